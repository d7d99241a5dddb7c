/*
 * error.c - the table behind tk_err: HTTP status, type, code, message.
 */
#include "tasker/error.h"

#include <stddef.h>

struct row {
	const char        *name;
	struct tk_err_info info;
};

/* Indexed by tk_err; keep in the order of the enum. */
static const struct row table[TK_ERR__COUNT] = {
	[TK_OK] = { "TK_OK", { 200, NULL, NULL, NULL } },
	[TK_ERR_NOMEM] = { "TK_ERR_NOMEM",
	    { 500, "InternalError", "INTERNAL_ERROR", "Internal server error" } },
	[TK_ERR_IO] = { "TK_ERR_IO",
	    { 500, "InternalError", "INTERNAL_ERROR", "Internal server error" } },
	[TK_ERR_INTERNAL] = { "TK_ERR_INTERNAL",
	    { 500, "InternalError", "INTERNAL_ERROR", "Internal server error" } },
	[TK_ERR_DB] = { "TK_ERR_DB",
	    { 500, "InternalError", "INTERNAL_ERROR", "Internal server error" } },
	[TK_ERR_DB_UNAVAILABLE] = { "TK_ERR_DB_UNAVAILABLE",
	    { 503, "ServiceUnavailable", "SERVICE_UNAVAILABLE",
	      "The database is unavailable; retry later" } },
	[TK_ERR_CONFIG] = { "TK_ERR_CONFIG",
	    { 500, "InternalError", "INTERNAL_ERROR", "Invalid configuration" } },
	[TK_ERR_DEFINITION] = { "TK_ERR_DEFINITION",
	    { 500, "InternalError", "INTERNAL_ERROR", "Invalid handler definition" } },
	[TK_ERR_MIGRATION] = { "TK_ERR_MIGRATION",
	    { 500, "InternalError", "INTERNAL_ERROR", "Schema migration failed" } },
	[TK_ERR_BAD_REQUEST] = { "TK_ERR_BAD_REQUEST",
	    { 400, "BadRequest", "BAD_REQUEST", "Invalid request parameters" } },
	[TK_ERR_AUTHENTICATION] = { "TK_ERR_AUTHENTICATION",
	    { 401, "AuthenticationError", "AUTHENTICATION_FAILED",
	      "Invalid or expired authentication token" } },
	[TK_ERR_AUTHORIZATION] = { "TK_ERR_AUTHORIZATION",
	    { 403, "AuthorizationError", "AUTHORIZATION_FAILED",
	      "Insufficient permissions" } },
	[TK_ERR_ROUTE_NOT_FOUND] = { "TK_ERR_ROUTE_NOT_FOUND",
	    { 404, "NotFound", "NOT_FOUND", "No such resource" } },
	[TK_ERR_NAMESPACE_NOT_FOUND] = { "TK_ERR_NAMESPACE_NOT_FOUND",
	    { 404, "NamespaceNotFound", "NAMESPACE_NOT_FOUND",
	      "Namespace does not exist" } },
	[TK_ERR_HANDLER_NOT_FOUND] = { "TK_ERR_HANDLER_NOT_FOUND",
	    { 404, "HandlerNotFound", "HANDLER_NOT_FOUND", "Handler not found" } },
	[TK_ERR_TASK_NOT_FOUND] = { "TK_ERR_TASK_NOT_FOUND",
	    { 404, "TaskNotFound", "TASK_NOT_FOUND", "Task not found" } },
	[TK_ERR_STEP_NOT_FOUND] = { "TK_ERR_STEP_NOT_FOUND",
	    { 404, "StepNotFound", "STEP_NOT_FOUND", "Step not found" } },
	[TK_ERR_METHOD_NOT_ALLOWED] = { "TK_ERR_METHOD_NOT_ALLOWED",
	    { 405, "MethodNotAllowed", "METHOD_NOT_ALLOWED",
	      "Method not allowed for this resource" } },
	[TK_ERR_CONFLICT] = { "TK_ERR_CONFLICT",
	    { 409, "Conflict", "CONFLICT", "The request conflicts with the current state" } },
	[TK_ERR_LENGTH_REQUIRED] = { "TK_ERR_LENGTH_REQUIRED",
	    { 411, "LengthRequired", "LENGTH_REQUIRED", "Content-Length is required" } },
	[TK_ERR_PAYLOAD_TOO_LARGE] = { "TK_ERR_PAYLOAD_TOO_LARGE",
	    { 413, "PayloadTooLarge", "PAYLOAD_TOO_LARGE", "Request body is too large" } },
	[TK_ERR_UNSUPPORTED_MEDIA] = { "TK_ERR_UNSUPPORTED_MEDIA",
	    { 415, "UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE",
	      "Content-Type must be application/json" } },
	[TK_ERR_VALIDATION] = { "TK_ERR_VALIDATION",
	    { 422, "ValidationError", "INVALID_TASK_CONFIG", "Invalid task configuration" } },
};

const struct tk_err_info *
tk_err_info(tk_err e)
{
	if ((int)e < 0 || e >= TK_ERR__COUNT)
		e = TK_ERR_INTERNAL;
	return &table[e].info;
}

const char *
tk_err_name(tk_err e)
{
	if ((int)e < 0 || e >= TK_ERR__COUNT)
		return "TK_ERR_UNKNOWN";
	return table[e].name;
}
