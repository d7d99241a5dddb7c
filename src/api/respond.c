/*
 * respond.c - JSON bodies and the guide's error format.
 *
 * Every error answer of the API is made here, from the tk_err table:
 *   {"error": {"type": "...", "message": "...", "details": {...}, "code": "..."}}
 * with "details" only when there are some.  A 5xx never carries detail.
 * Also the one rule for query parameters (tk_api_query_check).
 */
#include "tasker/api.h"

#include <string.h>

#include "tasker/body_parser.h"

tk_err
tk_api_json(struct tk_response *res, int status, json_object *obj)
{
	const char *s;
	size_t len;
	tk_err e;

	if (obj == NULL)
		return TK_ERR_NOMEM;
	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	tk_buf_reset(&res->body);
	e = s != NULL ? tk_buf_append(&res->body, s, len) : TK_ERR_NOMEM;
	json_object_put(obj);
	if (e == TK_OK)
		res->status = status;
	return e;
}

tk_err
tk_api_reject(struct tk_request *req, tk_err e, const char *message,
    json_object *details)
{
	struct tk_app *app = req->app;

	if (message != NULL)
		tk_request_errorf(req, "%s", message);
	json_object_put(app->details);
	app->details = details;
	return e;
}

json_object *
tk_api_details1(const char *field, const char *message)
{
	json_object *d, *a;

	if ((d = json_object_new_object()) == NULL)
		return NULL;
	if ((a = json_object_new_array()) == NULL) {
		json_object_put(d);
		return NULL;
	}
	json_object_array_add(a, json_object_new_string(message));
	json_object_object_add(d, field, a);
	return d;
}

void
tk_api_error(struct tk_response *res, tk_err e, const char *message,
    json_object *details)
{
	const struct tk_err_info *info = tk_err_info(e);
	json_object *root, *err;
	const char *s;
	size_t len;

	if (info->status >= 500) {
		/* Never leak what went wrong inside to a client. */
		message = NULL;
		json_object_put(details);
		details = NULL;
	}
	if (message == NULL || *message == '\0')
		message = info->message;
	res->status = info->status;
	tk_buf_reset(&res->body);
	root = json_object_new_object();
	err = json_object_new_object();
	if (root == NULL || err == NULL)
		goto fallback;
	json_object_object_add(root, "error", err);
	json_object_object_add(err, "type", json_object_new_string(info->type));
	json_object_object_add(err, "message", json_object_new_string(message));
	if (details != NULL) {
		json_object_object_add(err, "details", details);
		details = NULL;
	}
	json_object_object_add(err, "code", json_object_new_string(info->code));
	s = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL || tk_buf_append(&res->body, s, len) != TK_OK)
		goto fallback;
	json_object_put(root);
	return;
fallback:
	/* Out of memory: a fixed body that needs no allocation to make. */
	json_object_put(root);
	json_object_put(details);
	res->status = 500;
	tk_buf_reset(&res->body);
	tk_buf_puts(&res->body, "{\"error\":{\"type\":\"InternalError\","
	    "\"message\":\"Internal server error\",\"code\":\"INTERNAL_ERROR\"}}");
}

tk_err
tk_api_query_check(struct tk_request *req, const char *const *allowed)
{
	json_object *d;
	const char *name;
	char q[72];
	size_t i, j;

	if ((d = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	for (i = 0; i < req->query.n; i++) {
		name = req->query.pair[i].name;
		for (j = 0; j < i; j++)
			if (strcmp(req->query.pair[j].name, name) == 0)
				break;
		if (j < i)
			continue;   /* reported at its first occurrence */
		if (allowed == NULL || !tk_name_listed(allowed, name))
			tk_details_add(d, tk_quote(q, name),
			    "is not a known parameter");
		else if (tk_query_count(&req->query, name) > 1)
			tk_details_add(d, name, "must be given at most once");
	}
	if (tk_details_count(d) == 0) {
		json_object_put(d);
		return TK_OK;
	}
	return tk_api_reject(req, TK_ERR_BAD_REQUEST,
	    "Invalid request parameters", d);
}
