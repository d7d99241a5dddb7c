/*
 * task_request.c - the fields of the task API's request bodies, checked all at
 * once: POST /tasks, PATCH /tasks/{id}, PATCH .../workflow_steps/{step}
 * and POST /tasks/{id}/retry.  Also the canonical fingerprint of a create
 * request for Idempotency-Key.
 *
 * Every problem becomes one message in the details object under the
 * field's name (an unknown member under its own, quoted name), so a
 * client fixes everything in one round trip.
 */
#include "tasker/task_request.h"
#include "tasker/body_parser.h"
#include "tasker/buf.h"
#include "tasker/hex.h"
#include "tasker/json_canon.h"
#include "tasker/json_str.h"
#include "tasker/strlist.h"
#include "tasker/utf8.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/handler.h"

/* ---------------------------------------------------------------- fields */

/* One message per member of obj that keys does not list. */
static void
unknown_members(json_object *obj, const char *const *keys, const char *why,
    json_object *details)
{
	char q[72];

	json_object_object_foreach(obj, k, v) {
		(void)v;
		if (!tk_name_listed(keys, k))
			tk_details_add(details, tk_quote(q, k), "%s", why);
	}
}

/*
 * The object that holds the fields: body itself, or body[wrapper] for
 * the wrapped form ({"task": {...}}).  NULL (with a message) when body
 * is not an object.
 */
static json_object *
unwrap(json_object *body, const char *wrapper, json_object *details)
{
	json_object *inner;
	char q[72];

	if (!json_object_is_type(body, json_type_object)) {
		tk_details_add(details, "body", "must be a JSON object");
		return NULL;
	}
	if (wrapper == NULL || !json_object_object_get_ex(body, wrapper, &inner))
		return body;
	if (!json_object_is_type(inner, json_type_object)) {
		tk_details_add(details, wrapper, "must be a JSON object");
		return NULL;
	}
	json_object_object_foreach(body, k, v) {
		(void)v;
		if (strcmp(k, wrapper) != 0)
			tk_details_add(details, tk_quote(q, k),
			    "is not allowed next to '%s'", wrapper);
	}
	return inner;
}

/* A string without control characters, 1..max bytes.  *out NULL when the
 * member is absent or null; -1 after adding a message. */
static int
opt_text(json_object *obj, const char *key, size_t max, const char **out,
    json_object *details)
{
	json_object *v;
	const char *s;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		tk_details_add(details, key, "must be a string");
		return -1;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > max) {
		tk_details_add(details, key, "must be 1 to %zu bytes long", max);
		return -1;
	}
	if (tk_has_ctl(s, n)) {
		tk_details_add(details, key,
		    "must not contain control characters");
		return -1;
	}
	*out = s;
	return 0;
}

/* A handler or namespace name, required. */
static const char *
req_name(json_object *obj, const char *key, const char *what,
    json_object *details)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
		tk_details_add(details, key, "must be present");
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		tk_details_add(details, key, "must be a string");
		return NULL;
	}
	if (tk_json_cstr(v) == NULL || !tk_name_valid(tk_json_cstr(v))) {
		tk_details_add(details, key, "must be a %s: lowercase letters, "
		    "digits and '_', 1 to %d characters", what, TK_NAME_MAX);
		return NULL;
	}
	return json_object_get_string(v);
}

/* A JSON object, at most TK_VALUE_MAX_DEPTH levels; NULL when absent. */
static int
opt_object(json_object *obj, const char *key, json_object **out,
    json_object *details)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		tk_details_add(details, key, "must be a JSON object");
		return -1;
	}
	if (tk_json_depth(v) > TK_VALUE_MAX_DEPTH) {
		tk_details_add(details, key, "must not be nested deeper than "
		    "%d levels", TK_VALUE_MAX_DEPTH);
		return -1;
	}
	*out = v;
	return 0;
}

int
tk_tags_check(json_object *tags, json_object *details)
{
	size_t i, j, n, len;
	json_object *t, *u;
	int bad = 0;
	const char *s;
	char q[72];

	if (!json_object_is_type(tags, json_type_array)) {
		tk_details_add(details, "tags", "must be an array of strings");
		return -1;
	}
	n = json_object_array_length(tags);
	if (n > TK_TAGS_MAX) {
		tk_details_add(details, "tags", "must have at most %d items",
		    TK_TAGS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tags, i);
		if (!json_object_is_type(t, json_type_string)) {
			tk_details_add(details, "tags", "item %zu must be a "
			    "string", i);
			bad = 1;
			continue;
		}
		s = json_object_get_string(t);
		len = (size_t)json_object_get_string_len(t);
		if (len == 0 || len > TK_TAG_MAX) {
			tk_details_add(details, "tags", "item %zu must be 1 to "
			    "%d bytes long", i, TK_TAG_MAX);
			bad = 1;
			continue;
		}
		if (tk_has_ctl(s, len)) {
			tk_details_add(details, "tags", "item %zu must not "
			    "contain control characters", i);
			bad = 1;
			continue;
		}
		for (j = 0; j < i; j++) {
			u = json_object_array_get_idx(tags, j);
			if (json_object_is_type(u, json_type_string) &&
			    strcmp(json_object_get_string(u), s) == 0) {
				tk_details_add(details, "tags", "'%s' is listed "
				    "twice", tk_quote(q, s));
				bad = 1;
				break;
			}
		}
	}
	return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- POST /tasks */

static const char *const create_keys[] = { "name", "namespace", "version",
    "context", "initiator", "source_system", "reason", "tags", "priority",
    NULL };

/* "priority": a whole number in TK_PRIORITY_MIN..TK_PRIORITY_MAX. */
static void
opt_priority(json_object *obj, struct tk_task_request *out,
    json_object *details)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, "priority", &v) || v == NULL)
		return;
	n = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) ||
	    n < TK_PRIORITY_MIN || n > TK_PRIORITY_MAX) {
		tk_details_add(details, "priority", "must be a whole number "
		    "from %d to %d", TK_PRIORITY_MIN, TK_PRIORITY_MAX);
		return;
	}
	out->has_priority = 1;
	out->priority = (int)n;
}

tk_err
tk_task_request_parse(json_object *body, struct tk_task_request *out,
    json_object *details)
{
	size_t before = tk_details_count(details);
	json_object *obj, *v;

	memset(out, 0, sizeof(*out));
	out->root = json_object_get(body);
	if ((obj = unwrap(body, "task", details)) == NULL)
		return TK_ERR_VALIDATION;
	unknown_members(obj, create_keys, "is not a known field", details);
	out->name = req_name(obj, "name", "handler name", details);
	out->namespace_name = req_name(obj, "namespace", "namespace name",
	    details);
	if (json_object_object_get_ex(obj, "version", &v) && v != NULL) {
		if (tk_json_cstr(v) == NULL ||
		    tk_semver_want_parse(json_object_get_string(v),
		    &out->semver, &out->range, &out->is_range) != TK_OK)
			tk_details_add(details, "version",
			    "must be a valid semantic version");
		else
			out->version = json_object_get_string(v);
	}
	if (opt_object(obj, "context", &v, details) == 0) {
		out->context = v != NULL ? json_object_get(v) :
		    json_object_new_object();
		if (out->context == NULL)
			return TK_ERR_NOMEM;
	}
	(void)opt_text(obj, "initiator", TK_TEXT_MAX, &out->initiator, details);
	(void)opt_text(obj, "source_system", TK_TEXT_MAX, &out->source_system,
	    details);
	(void)opt_text(obj, "reason", TK_REASON_MAX, &out->reason, details);
	if (json_object_object_get_ex(obj, "tags", &v) && v != NULL &&
	    tk_tags_check(v, details) == 0)
		out->tags = v;
	opt_priority(obj, out, details);
	return tk_details_count(details) > before ? TK_ERR_VALIDATION : TK_OK;
}

void
tk_task_request_free(struct tk_task_request *r)
{
	json_object_put(r->context);
	json_object_put(r->root);
	memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------- fingerprint */

/*
 * The fingerprint's strings are written with flags 0 (every control byte
 * as \u00XX): its spelling must not change while keys are stored.
 * Values were checked to be at most TK_VALUE_MAX_DEPTH deep; the copy's
 * own limit is only a backstop.
 */
#define FINGERPRINT_DEPTH 64

/* v (context or tags) key-sorted: the one canonical JSON, printed with
 * the fingerprint's spelling of strings. */
static void
canon(struct tk_buf *b, json_object *v)
{
	json_object *c;

	if (tk_json_canon(v, &c, 1, FINGERPRINT_DEPTH, 0) != TK_CANON_OK) {
		b->failed = 1;
		return;
	}
	tk_json_put_tree(b, c, 0);
	json_object_put(c);
}

static void
canon_member(struct tk_buf *b, const char *key, const char *s, int first)
{
	if (!first)
		tk_buf_putc(b, ',');
	tk_json_put_strn(b, key, strlen(key), 0);
	tk_buf_putc(b, ':');
	if (s != NULL)
		tk_json_put_strn(b, s, strlen(s), 0);
	else
		tk_buf_puts(b, "null");
}

tk_err
tk_task_request_hash(const struct tk_task_request *r, char out[65])
{
	struct tk_buf b = TK_BUF_INIT;
	tk_err e;

	/* Members in sorted order, absent ones as null. */
	tk_buf_puts(&b, "{\"context\":");
	canon(&b, r->context);
	canon_member(&b, "initiator", r->initiator, 0);
	canon_member(&b, "name", r->name, 0);
	canon_member(&b, "namespace", r->namespace_name, 0);
	/* Only when given: the fingerprints of requests without one stay
	 * what they were (keys stored before priorities still match). */
	if (r->has_priority)
		tk_buf_printf(&b, ",\"priority\":%d", r->priority);
	canon_member(&b, "reason", r->reason, 0);
	canon_member(&b, "source_system", r->source_system, 0);
	tk_buf_puts(&b, ",\"tags\":");
	canon(&b, r->tags);
	canon_member(&b, "version", r->version, 0);
	tk_buf_putc(&b, '}');
	e = b.failed ? TK_ERR_NOMEM : tk_sha256_hex(b.data, b.len, out);
	tk_buf_free(&b);
	return e;
}

/* ---------------------------------------------------------------- PATCH /tasks/{id} */

static const char *const update_keys[] = { "reason", "tags", NULL };

tk_err
tk_task_update_parse(json_object *body, struct tk_task_update *out,
    json_object *details)
{
	size_t before = tk_details_count(details);
	json_object *obj, *v;

	memset(out, 0, sizeof(*out));
	out->root = json_object_get(body);
	if ((obj = unwrap(body, "task", details)) == NULL)
		return TK_ERR_VALIDATION;
	unknown_members(obj, update_keys, "cannot be changed (only reason and "
	    "tags can)", details);
	if (json_object_object_get_ex(obj, "reason", NULL)) {
		out->set_reason = 1;
		(void)opt_text(obj, "reason", TK_REASON_MAX, &out->reason,
		    details);
	}
	if (json_object_object_get_ex(obj, "tags", &v)) {
		out->set_tags = 1;
		if (v != NULL && tk_tags_check(v, details) == 0)
			out->tags = v;
	}
	if (!out->set_reason && !out->set_tags &&
	    tk_details_count(details) == before)
		tk_details_add(details, "body", "must set reason or tags");
	return tk_details_count(details) > before ? TK_ERR_VALIDATION : TK_OK;
}

void
tk_task_update_free(struct tk_task_update *u)
{
	json_object_put(u->root);
	memset(u, 0, sizeof(*u));
}

/* ---------------------------------------------------------------- PATCH .../workflow_steps/{step} */

static const char *const step_keys[] = { "status", "results", "reason",
    NULL };

tk_err
tk_step_update_parse(json_object *body, struct tk_step_update *out,
    json_object *details)
{
	size_t before = tk_details_count(details);
	json_object *obj, *v;
	int s = -1;

	memset(out, 0, sizeof(*out));
	out->root = json_object_get(body);
	if ((obj = unwrap(body, NULL, details)) == NULL)
		return TK_ERR_VALIDATION;
	unknown_members(obj, step_keys, "is not a known field", details);
	if (!json_object_object_get_ex(obj, "status", &v) || v == NULL)
		tk_details_add(details, "status", "must be present");
	else if (!json_object_is_type(v, json_type_string) ||
	    ((s = tk_status_parse(json_object_get_string(v))) !=
	    TK_ST_RESOLVED_MANUALLY && s != TK_ST_CANCELLED))
		tk_details_add(details, "status",
		    "must be \"resolved_manually\" or \"cancelled\"");
	else
		out->status = (enum tk_status)s;
	if (opt_object(obj, "results", &out->results, details) == 0 &&
	    out->results != NULL && s == TK_ST_CANCELLED)
		tk_details_add(details, "results",
		    "can only be given with \"resolved_manually\"");
	(void)opt_text(obj, "reason", TK_REASON_MAX, &out->reason, details);
	return tk_details_count(details) > before ? TK_ERR_VALIDATION : TK_OK;
}

void
tk_step_update_free(struct tk_step_update *u)
{
	json_object_put(u->root);
	memset(u, 0, sizeof(*u));
}

/* ---------------------------------------------------------------- POST /tasks/{id}/retry */

static const char *const retry_keys[] = { "reason", NULL };

tk_err
tk_retry_request_parse(json_object *body, const char **reason,
    json_object *details)
{
	size_t before = tk_details_count(details);
	json_object *obj;

	*reason = NULL;
	if (body == NULL)
		return TK_OK;
	if ((obj = unwrap(body, NULL, details)) == NULL)
		return TK_ERR_VALIDATION;
	unknown_members(obj, retry_keys, "is not a known field", details);
	(void)opt_text(obj, "reason", TK_REASON_MAX, reason, details);
	return tk_details_count(details) > before ? TK_ERR_VALIDATION : TK_OK;
}
