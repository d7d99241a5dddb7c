/*
 * error.h - the one error enum of tasker.
 *
 * Every fallible function in libtasker returns a tk_err.  The client-facing
 * values map to an HTTP status, the guide's error "type" and "code", and a
 * default message; the API layer renders them as
 *   {"error": {"type", "message", "details"?, "code"}}
 * so no handler ever builds an error body by hand.
 */
#ifndef TASKER_ERROR_H
#define TASKER_ERROR_H

typedef enum tk_err {
	TK_OK = 0,

	/* Internal failures: rendered as 500 (or 503) without detail. */
	TK_ERR_NOMEM,            /* allocation failed */
	TK_ERR_IO,               /* file or socket I/O failed */
	TK_ERR_INTERNAL,         /* a bug or an impossible state */
	TK_ERR_DB,               /* the database refused a statement */
	TK_ERR_DB_UNAVAILABLE,   /* the database cannot be reached: 503 */

	/* Operator-facing failures (CLI, config, YAML): never reach HTTP. */
	TK_ERR_CONFIG,           /* configuration file is invalid */
	TK_ERR_DEFINITION,       /* handler YAML is invalid */
	TK_ERR_MIGRATION,        /* schema migration cannot proceed */

	/* Client-facing failures. */
	TK_ERR_BAD_REQUEST,      /* 400 malformed request or parameter */
	TK_ERR_AUTHENTICATION,   /* 401 */
	TK_ERR_AUTHORIZATION,    /* 403 */
	TK_ERR_ROUTE_NOT_FOUND,  /* 404 no such path */
	TK_ERR_NAMESPACE_NOT_FOUND, /* 404 */
	TK_ERR_HANDLER_NOT_FOUND,   /* 404 */
	TK_ERR_TASK_NOT_FOUND,      /* 404 */
	TK_ERR_STEP_NOT_FOUND,      /* 404 */
	TK_ERR_METHOD_NOT_ALLOWED,  /* 405 */
	TK_ERR_CONFLICT,            /* 409 illegal transition, immutable data */
	TK_ERR_LENGTH_REQUIRED,     /* 411 */
	TK_ERR_PAYLOAD_TOO_LARGE,   /* 413 */
	TK_ERR_UNSUPPORTED_MEDIA,   /* 415 */
	TK_ERR_VALIDATION,          /* 422 */

	TK_ERR__COUNT
} tk_err;

/* What a client sees for an error. Static storage; never freed. */
struct tk_err_info {
	int         status;   /* HTTP status */
	const char *type;     /* the guide's "type", e.g. "HandlerNotFound" */
	const char *code;     /* the guide's "code", e.g. "HANDLER_NOT_FOUND" */
	const char *message;  /* default message when the caller has none */
};

const struct tk_err_info *tk_err_info(tk_err e);

/* A short name for logs, e.g. "TK_ERR_DB". */
const char *tk_err_name(tk_err e);

#endif
