/*
 * task_controller.c - the guide's task management API.
 *
 *   POST /tasks        create a task (Idempotency-Key honoured)
 *   GET  /tasks        list, filtered and paginated, newest first
 *   GET  /tasks/{id}   one task with its steps (and dependency analysis)
 *
 * A caller limited to some namespaces or to its own tasks (see perm.h)
 * creates only in its namespaces (403 elsewhere), lists only what it may
 * see and gets 404 for any other task.  created_by is always the
 * principal's subject; the body cannot set it.
 *
 * Every error is returned, with its message and details attached
 * (tk_api_reject), for the dispatcher to render; internal errors are
 * logged there and answered 500.
 */
#include "tasker/task_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "tasker/handler.h"
#include "tasker/jsonschema.h"
#include "tasker/log.h"
#include "tasker/body_parser.h"
#include "tasker/page.h"
#include "tasker/task_request.h"
#include "tasker/task_writer.h"
#include "tasker/uuid.h"
#include "tasker/utf8.h"
#include "tasker/wake.h"

#define IDEM_KEY_MAX 255
#define LOCATION_MAX (TK_PREFIX_MAX + 64)

/* ---------------------------------------------------------------- POST /tasks */

/* 1..255 bytes of visible ASCII. */
static int
idem_key_valid(const char *k)
{
	size_t n;

	for (n = 0; k[n] != '\0'; n++)
		if (n >= IDEM_KEY_MAX || k[n] <= 0x20 || k[n] >= 0x7f)
			return 0;
	return n > 0;
}

/*
 * Whose keys these are: the subject, or for a subject wider than the
 * column its SHA-256, so two long subjects never share keys.
 */
static tk_err
idem_principal(struct tk_request *req, char out[TK_ACTOR_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	struct tk_app *app = req->app;
	const char *s = app->principal.subject ? app->principal.subject : "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;

	if (strlen(s) <= TK_ACTOR_MAX) {
		snprintf(out, TK_ACTOR_MAX + 1, "%s", s);
		return TK_OK;
	}
	if (!EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return TK_ERR_INTERNAL;
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
	return TK_OK;
}

/* "/tasker/tasks/<id>" under the configured mount prefix. */
static tk_err
set_location(struct tk_request *req, struct tk_response *res,
    const unsigned char id[16])
{
	struct tk_app *app = req->app;
	const char *prefix = app->cfg->api.mount_prefix ?
	    app->cfg->api.mount_prefix : "";
	char loc[LOCATION_MAX], idtext[TK_UUID_STR_SIZE];
	size_t n = strlen(prefix);

	while (n > 0 && prefix[n - 1] == '/')
		n--;
	tk_uuid_format(id, idtext);
	if (n > TK_PREFIX_MAX)
		return TK_ERR_INTERNAL;
	snprintf(loc, sizeof(loc), "%.*s/tasks/%s", (int)n, prefix, idtext);
	return tk_response_set_header(res, "Location", loc);
}

/* Adds the schema's violations of the context to details["context"]. */
static tk_err
check_context(const struct tk_schema *schema, json_object *context,
    json_object *details)
{
	struct tk_schema_result sr = TK_SCHEMA_RESULT_INIT;
	size_t i;
	tk_err e;

	e = tk_schema_validate(schema, context, &sr);
	if (e == TK_ERR_VALIDATION) {
		for (i = 0; i < sr.n; i++)
			if (sr.v[i].pointer[0] != '\0')
				tk_details_add(details, "context", "%s: %s",
				    sr.v[i].pointer, sr.v[i].message);
			else
				tk_details_add(details, "context", "%s",
				    sr.v[i].message);
		if (sr.truncated)
			tk_details_add(details, "context", "more problems "
			    "were found; the first %d are shown",
			    TK_SCHEMA_MAX_VIOLATIONS);
		e = TK_OK;
	}
	tk_schema_result_free(&sr);
	return e;
}

/*
 * Finds the handler version the request names.  *v NULL with the
 * message set when there is none: NamespaceNotFound for an unknown
 * namespace, HandlerNotFound for an unknown name or version.
 */
static tk_err
resolve(struct tk_request *req, const struct tk_task_request *r,
    const struct tk_catalog_version **v, tk_err *notfound)
{
	const struct tk_catalog_namespace *ns;
	const struct tk_catalog_handler *h;
	struct tk_catalog *cat;
	char q1[72], q2[72], q3[72];
	tk_err e;

	*v = NULL;
	if ((e = tk_api_catalog(req, &cat)) != TK_OK)
		return e;
	if ((ns = tk_catalog_namespace(cat, r->namespace_name)) == NULL) {
		tk_request_errorf(req, "Namespace '%s' does not exist",
		    tk_quote(q1, r->namespace_name));
		*notfound = TK_ERR_NAMESPACE_NOT_FOUND;
		return TK_OK;
	}
	h = tk_catalog_handler(ns, r->name);
	*v = r->is_range ? tk_catalog_match(h, &r->range) :
	    tk_catalog_version(h, r->version != NULL ? &r->semver : NULL);
	if (*v == NULL) {
		tk_request_errorf(req, "Handler '%s' not found in namespace "
		    "'%s' version '%s'", tk_quote(q1, r->name),
		    tk_quote(q2, r->namespace_name),
		    r->version != NULL ? tk_quote(q3, r->version) : "latest");
		*notfound = TK_ERR_HANDLER_NOT_FOUND;
	}
	return TK_OK;
}

/*
 * TK_ERR_AUTHORIZATION (message set) when the principal is limited to
 * namespaces and ns is not one of them.  Asked before the handler is
 * looked up, so whether ns exists stays unknown to the caller.
 */
static tk_err
create_allowed(struct tk_request *req, const char *ns)
{
	struct tk_app *app = req->app;
	char q[72];

	if (tk_principal_sees_ns(&app->principal, ns))
		return TK_OK;
	tk_request_errorf(req, "Not allowed to create tasks in namespace '%s'",
	    tk_quote(q, ns));
	return TK_ERR_AUTHORIZATION;
}

/* The answer to a repeated Idempotency-Key: the task it made (200), or
 * 422 when the key came with another request. */
static tk_err
replay(struct tk_request *req, struct tk_response *res,
    const struct tk_idem_hit *hit)
{
	char q[72];
	tk_err e;

	if (!hit->same) {
		tk_request_errorf(req, "Idempotency-Key '%s' was already used "
		    "with a different request", tk_quote(q,
		    req->idempotency_key));
		return tk_api_reject(req, TK_ERR_VALIDATION, NULL,
		    tk_api_details1("Idempotency-Key", "was already used with "
		    "a different request; use a new key for a new request"));
	}
	if ((e = tk_tasks_answer(req, res, hit->task_id, 200, 0)) != TK_OK)
		return e;
	if ((e = set_location(req, res, hit->task_id)) != TK_OK)
		return e;
	return tk_response_set_header(res, "Idempotent-Replayed", "true");
}

/*
 * The 201 body: what was just written, through the task writer that
 * answers GET /tasks/{id}, so the two are the same bytes.  The context
 * and tags are the texts just stored.
 */
static tk_err
created_body(struct tk_response *res, const struct tk_task_new *t,
    const char *created_at)
{
	const struct tk_handler_def *d = t->def;
	struct tk_task_view v;
	tk_err e;

	memset(&v, 0, sizeof(v));
	v.id = t->id;
	v.name = d->name;
	v.namespace_name = d->namespace_name;
	v.version = d->version;
	v.status = tk_status_name(TK_ST_PENDING);
	v.context = t->context;
	v.context_len = t->context_len;
	v.created_at = created_at;
	v.updated_at = created_at;
	v.initiator = t->initiator;
	v.source_system = t->source_system;
	v.reason = t->reason;
	v.tags = t->tags;
	v.tags_len = t->tags != NULL ? strlen(t->tags) : 0;
	v.created_by = t->created_by;
	v.priority = t->priority;
	tk_buf_reset(&res->body);
	if ((e = tk_task_view_write(&res->body, &v, NULL, NULL)) == TK_OK)
		res->status = 201;
	return e;
}

/*
 * Reads the create request in body into r (the caller frees it) and finds
 * its handler version *v.  Every problem of the fields and of the context
 * (against the handler's schema) comes back in one 422 (details
 * attached); then a namespace outside the principal's scope (403), an
 * unknown namespace or handler (404).
 */
static tk_err
check_request(struct tk_request *req, json_object *body,
    struct tk_task_request *r, const struct tk_catalog_version **v)
{
	json_object *details;
	tk_err e, notfound = TK_OK;

	*v = NULL;
	if ((details = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	e = tk_task_request_parse(body, r, details);
	if (e == TK_ERR_NOMEM)
		goto out;
	if (r->namespace_name != NULL &&
	    (e = create_allowed(req, r->namespace_name)) != TK_OK)
		goto out;
	/* The handler, when the request names one; its schema checks the
	 * context in the same answer as the other fields. */
	if (r->name != NULL && r->namespace_name != NULL &&
	    !json_object_object_get_ex(details, "version", NULL)) {
		if ((e = resolve(req, r, v, &notfound)) != TK_OK)
			goto out;
		if (*v != NULL && (*v)->schema != NULL && r->context != NULL &&
		    (e = check_context((*v)->schema, r->context, details)) !=
		    TK_OK)
			goto out;
	}
	if (tk_details_count(details) > 0) {
		e = tk_api_reject(req, TK_ERR_VALIDATION,
		    "Invalid task configuration", details);
		details = NULL;
	} else if (*v == NULL)
		e = notfound != TK_OK ? notfound : TK_ERR_HANDLER_NOT_FOUND;
	else
		e = TK_OK;
out:
	json_object_put(details);
	return e;
}

/* The row to insert for request r of handler version v; it points into
 * r and actor.  TK_ERR_NOMEM. */
static tk_err
new_task(struct tk_request *req, const struct tk_task_request *r,
    const struct tk_catalog_version *v, const char *actor,
    struct tk_task_new *t)
{
	struct tk_app *app = req->app;

	memset(t, 0, sizeof(*t));
	t->hv_id = v->id;
	t->def = v->def;
	t->context = tk_json_text(r->context, &t->context_len);
	t->initiator = r->initiator != NULL ? r->initiator : actor;
	t->source_system = r->source_system;
	t->reason = r->reason;
	t->tags = r->tags != NULL ? tk_json_text(r->tags, NULL) : NULL;
	t->actor = actor;
	t->priority = r->has_priority ? r->priority :
	    v->def->default_priority;
	t->created_by = app->principal.subject != NULL ?
	    app->principal.subject : "unknown";
	if (t->context == NULL || (r->tags != NULL && t->tags == NULL))
		return TK_ERR_NOMEM;
	return TK_OK;
}

tk_err
tk_api_tasks_create(struct tk_request *req, struct tk_response *res)
{
	static const char *const params[] = { NULL };
	struct tk_app *app = req->app;
	struct tk_task_request r;
	const struct tk_catalog_version *v = NULL;
	struct tk_task_new t;
	struct tk_idem_hit hit;
	json_object *body = NULL;
	char actor[TK_ACTOR_MAX + 1], principal[TK_ACTOR_MAX + 1], hash[65],
	    created_at[TK_TIMESTAMP_SIZE];
	const char *key = req->idempotency_key;
	tk_err e;

	memset(&r, 0, sizeof(r));
	if ((e = tk_api_query_check(req, params)) != TK_OK)
		return e;
	if (key != NULL && !idem_key_valid(key))
		return tk_api_reject(req, TK_ERR_BAD_REQUEST,
		    "Invalid Idempotency-Key", tk_api_details1(
		    "Idempotency-Key", "must be 1 to 255 visible ASCII "
		    "characters (no spaces)"));
	if ((e = tk_tasks_body(req, 0, &body)) != TK_OK)
		return e;
	if ((e = check_request(req, body, &r, &v)) != TK_OK ||
	    (e = new_task(req, &r, v, tk_tasks_actor(req, actor), &t)) != TK_OK)
		goto out;
	if (key != NULL) {
		if ((e = idem_principal(req, principal)) != TK_OK ||
		    (e = tk_task_request_hash(&r, hash)) != TK_OK)
			goto out;
		e = tk_task_store_idem_find(app->db, principal, key, hash, &hit);
		if (e == TK_OK) {
			e = replay(req, res, &hit);
			goto out;
		}
		if (e != TK_ERR_TASK_NOT_FOUND)
			goto out;
		t.idem_principal = principal;
		t.idem_key = key;
		t.idem_hash = hash;
		t.idem_ttl = app->cfg->api.idempotency_ttl_seconds;
	}
	if ((e = tk_uuid7_new(t.id)) != TK_OK)
		goto out;
	e = tk_task_store_create(app->db, &t, created_at, &hit);
	if (e == TK_ERR_CONFLICT) {
		/* A concurrent twin with the same key won the race. */
		e = replay(req, res, &hit);
		goto out;
	}
	if (e != TK_OK)
		goto out;
	/* Committed: an idle worker on this host may start it now (one:
	 * it wakes another when there is more, wake.h). */
	tk_wake_send(app->cfg->run_dir, 1);
	if (key != NULL && rand() % 16 == 0)
		tk_task_store_idem_purge(app->db);
	if ((e = created_body(res, &t, created_at)) == TK_OK)
		e = set_location(req, res, t.id);
out:
	tk_task_request_free(&r);
	json_object_put(body);
	return e;
}

/* ---------------------------------------------------------------- GET /tasks */

#define NS_SET_SIZE (TK_NS_MAX_COUNT * (TK_NAME_MAX + 1))

/*
 * Narrows f to what the principal may see: its own tasks, its
 * namespaces (one namespace becomes the namespace filter, which has its
 * indexes; several the namespace set, spelled into nsbuf).  *empty 1:
 * nothing can match (a namespace or creator asked for outside the
 * scope), and nothing need be read.
 */
static void
scope_filter(const struct tk_principal *p, struct tk_task_filter *f,
    char nsbuf[NS_SET_SIZE], int *empty)
{
	size_t i, n = 0;

	*empty = 0;
	if (p->own_tasks) {
		if (p->subject == NULL || (f->created_by != NULL &&
		    strcmp(f->created_by, p->subject) != 0))
			*empty = 1;
		f->created_by = p->subject;
	}
	if (!p->ns_limited)
		return;
	if (f->namespace_name != NULL) {
		if (!tk_principal_sees_ns(p, f->namespace_name))
			*empty = 1;
		return;
	}
	if (p->nns <= 1) {
		if (p->nns == 0)
			*empty = 1;
		else
			f->namespace_name = p->ns[0];
		return;
	}
	nsbuf[0] = '\0';
	for (i = 0; i < p->nns && n < NS_SET_SIZE; i++)
		n += (size_t)snprintf(nsbuf + n, NS_SET_SIZE - n, "%s%s",
		    i > 0 ? "," : "", p->ns[i]);
	f->ns_set = nsbuf;
}

/* What the filters of a list request point into; list_more fills it,
 * tk_api_tasks_index frees it. */
struct list_text {
	json_object *tags;                /* the array tags_json spells */
	char         after[TK_DB_TIME_SIZE];
	char         before[TK_DB_TIME_SIZE];
	char         stale[TK_STALE_CUTOFFS][TK_DB_TIME_SIZE];
};

/* initiator and source_system: what a task can hold (VARCHAR(255)). */
static const char *
text_param(struct tk_request *req, const char *name, json_object *details)
{
	const char *s = tk_query_get(&req->query, name);

	if (s == NULL)
		return NULL;
	if (*s != '\0' && strlen(s) <= 255 && tk_utf8_valid(s, strlen(s)) &&
	    !tk_has_ctl(s, strlen(s)))
		return s;
	tk_details_add(details, name, "must be 1 to 255 bytes of UTF-8 "
	    "without control characters");
	return NULL;
}

/*
 * tags=a,b: tasks holding every tag given (comma-separated; a tag with a
 * comma cannot be asked for), each 1 to TK_TAG_MAX bytes, at most
 * TK_TAGS_MAX.  Sets f->tag (the first: the index read) and f->tags_json.
 */
static void
tags_param(const char *s, struct tk_task_filter *f, struct list_text *lt,
    json_object *details)
{
	json_object *tags;
	size_t len;

	if ((tags = json_object_new_array()) == NULL)
		return;
	for (;; s += len + 1) {
		len = strcspn(s, ",");
		if (len == 0 || len > TK_TAG_MAX || tk_has_ctl(s, len) ||
		    !tk_utf8_valid(s, len) ||
		    json_object_array_length(tags) == TK_TAGS_MAX) {
			tk_details_add(details, "tags", "must be 1 to %d tags "
			    "separated by ',', each 1 to %d bytes of UTF-8 "
			    "without control characters", TK_TAGS_MAX,
			    TK_TAG_MAX);
			json_object_put(tags);
			return;
		}
		json_object_array_add(tags, json_object_new_string_len(s,
		    (int)len));
		if (s[len] == '\0')
			break;
	}
	lt->tags = tags;
	f->tag = json_object_get_string(json_object_array_get_idx(tags, 0));
	f->tags_json = json_object_to_json_string_ext(tags,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* created_after / created_before: an RFC 3339 time into buf, as the
 * database compares it. */
static const char *
time_param(struct tk_request *req, const char *name, char *buf,
    json_object *details)
{
	const char *s = tk_query_get(&req->query, name);

	if (s == NULL)
		return NULL;
	if (tk_time_parse(s, buf) == 0)
		return buf;
	tk_details_add(details, name, "must be an ISO 8601 time with its "
	    "offset, e.g. 2026-12-07T04:05:06Z (years 1000 to 9999)");
	return NULL;
}

/* priority= / priority_min= / priority_max=: a whole number from
 * TK_PRIORITY_MIN to TK_PRIORITY_MAX into *out; 1 when given and valid. */
static int
priority_param(struct tk_request *req, const char *name, int *out,
    json_object *details)
{
	const char *s = tk_query_get(&req->query, name);
	char *end;
	long n;

	if (s == NULL)
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	/* Digits with an optional '-': no space or '+' strtol would take. */
	if ((isdigit((unsigned char)*s) || (*s == '-' &&
	    isdigit((unsigned char)s[1]))) && *end == '\0' && errno == 0 &&
	    n >= TK_PRIORITY_MIN && n <= TK_PRIORITY_MAX) {
		*out = (int)n;
		return 1;
	}
	tk_details_add(details, name, "must be a whole number from %d to %d",
	    TK_PRIORITY_MIN, TK_PRIORITY_MAX);
	return 0;
}

/* The priority range of priority / priority_min / priority_max (one
 * priority: both ends). */
static void
priority_filter(struct tk_request *req, struct tk_task_filter *f,
    json_object *details)
{
	int p;

	f->priority_min = TK_PRIORITY_MIN;
	f->priority_max = TK_PRIORITY_MAX;
	if (priority_param(req, "priority", &p, details)) {
		f->priority_min = f->priority_max = p;
		f->has_priority = 1;
	}
	if (priority_param(req, "priority_min", &p, details)) {
		f->priority_min = p > f->priority_min ? p : f->priority_min;
		f->has_priority = 1;
	}
	if (priority_param(req, "priority_max", &p, details)) {
		f->priority_max = p < f->priority_max ? p : f->priority_max;
		f->has_priority = 1;
	}
}

/* sort=priority | -priority | created_at (enum tk_task_sort; absent:
 * created_at, newest first). */
static void
sort_param(struct tk_request *req, struct tk_task_filter *f,
    json_object *details)
{
	const char *s = tk_query_get(&req->query, "sort");

	if (s == NULL || strcmp(s, "created_at") == 0)
		f->sort = TK_SORT_NEWEST;
	else if (strcmp(s, "priority") == 0)
		f->sort = TK_SORT_PRIORITY;
	else if (strcmp(s, "-priority") == 0)
		f->sort = TK_SORT_PRIORITY_ASC;
	else
		tk_details_add(details, "sort", "must be priority (highest "
		    "first), -priority (lowest first) or created_at (newest "
		    "first, the default)");
}

/* stale=true|false: the tasks api.stale_after flags (or the others),
 * by the cut-offs of now. */
static void
stale_param(struct tk_request *req, struct tk_task_filter *f,
    struct list_text *lt, json_object *details)
{
	struct tk_app *app = req->app;
	char msg[TK_ERRMSG_SIZE];
	int v = 0;

	if (tk_query_get(&req->query, "stale") == NULL)
		return;
	if (tk_query_bool(&req->query, "stale", &v, msg, sizeof(msg)) !=
	    TK_OK) {
		tk_details_add(details, "stale", "must be true, false, 1 or 0");
		return;
	}
	f->stale = v ? TK_STALE_ONLY : TK_STALE_NOT;
	tk_tasks_stale_cutoffs(app->cfg, time(NULL), lt->stale,
	    f->stale_before);
}

/* The filters on what a task holds: initiator, source_system, tags,
 * the created_at range and the priority range; and stale=. */
static void
list_more(struct tk_request *req, struct tk_task_filter *f,
    struct list_text *lt, json_object *details)
{
	const char *s;

	f->initiator = text_param(req, "initiator", details);
	f->source_system = text_param(req, "source_system", details);
	if ((s = tk_query_get(&req->query, "tags")) != NULL)
		tags_param(s, f, lt, details);
	f->created_after = time_param(req, "created_after", lt->after,
	    details);
	f->created_before = time_param(req, "created_before", lt->before,
	    details);
	priority_filter(req, f, details);
	sort_param(req, f, details);
	stale_param(req, f, lt, details);
}

/*
 * The filter of a list request; problems go into details.  When
 * namespace, name and version are all given, the handler version they
 * name is looked up so the list can use its index.  The principal's
 * scope narrows it (see scope_filter).
 */
static tk_err
list_filter(struct tk_request *req, struct tk_task_filter *f,
    struct list_text *lt, json_object *details, char nsbuf[NS_SET_SIZE],
    int *empty)
{
	struct tk_app *app = req->app;
	const struct tk_catalog_handler *h;
	struct tk_catalog *cat;
	struct tk_semver sv;
	const char *s;
	size_t i;
	tk_err e;

	memset(f, 0, sizeof(*f));
	if ((s = tk_query_get(&req->query, "namespace")) != NULL) {
		if (tk_name_valid(s))
			f->namespace_name = s;
		else
			tk_details_add(details, "namespace", "must be a "
			    "namespace name: lowercase letters, digits and "
			    "'_', 1 to %d characters", TK_NAME_MAX);
	}
	if ((s = tk_query_get(&req->query, "name")) != NULL) {
		if (tk_name_valid(s))
			f->name = s;
		else
			tk_details_add(details, "name", "must be a handler "
			    "name: lowercase letters, digits and '_', 1 to %d "
			    "characters", TK_NAME_MAX);
	}
	if ((s = tk_query_get(&req->query, "version")) != NULL) {
		if (tk_semver_parse(s, &sv) == TK_OK)
			f->version = s;
		else
			tk_details_add(details, "version",
			    "must be a valid semantic version");
	}
	if ((s = tk_query_get(&req->query, "status")) != NULL)
		(void)tk_status_list_parse(s, &f->status_mask, details);
	if ((s = tk_query_get(&req->query, "created_by")) != NULL) {
		if (tk_subject_valid(s) && tk_utf8_valid(s, strlen(s)))
			f->created_by = s;
		else
			tk_details_add(details, "created_by", "must be a "
			    "subject: 1 to %d bytes of UTF-8 without control "
			    "characters", TK_SUBJECT_MAX_LEN);
	}
	list_more(req, f, lt, details);
	scope_filter(&app->principal, f, nsbuf, empty);
	if (tk_details_count(details) > 0 || *empty ||
	    f->namespace_name == NULL ||
	    f->name == NULL || f->version == NULL)
		return TK_OK;
	if ((e = tk_api_catalog(req, &cat)) != TK_OK)
		return e;
	h = tk_catalog_handler(tk_catalog_namespace(cat, f->namespace_name),
	    f->name);
	for (i = 0; h != NULL && i < h->nversions; i++)
		if (strcmp(h->versions[i].def->version, f->version) == 0)
			f->hv_id = h->versions[i].id;
	return TK_OK;
}

/* The query parameters a list link drops (the new cursor replaces them). */
static const char *const link_drop[] = { "page", "cursor", NULL };

/* Adds a Link to the list with a cursor of dir from id (rel next/prev)
 * and, when text is not NULL, writes the cursor there too.  A list
 * sorted by priority (f->sort) seeks from the task's priority too. */
static tk_err
list_link(struct tk_request *req, struct tk_response *res,
    const struct tk_task_filter *f, const unsigned char filter[8],
    enum tk_cursor_dir dir, const unsigned char id[16], int priority,
    char text[TK_CURSOR_LEN + 1])
{
	struct tk_app *app = req->app;
	struct tk_cursor c;
	char buf[TK_CURSOR_LEN + 1];

	c.dir = dir;
	c.sorted = f->sort != TK_SORT_NEWEST;
	c.priority = priority;
	memcpy(c.id, id, 16);
	memcpy(c.filter, filter, 8);
	tk_cursor_encode(&c, text != NULL ? text : buf);
	return tk_response_add_link(res, app->cfg->api.mount_prefix, "/tasks",
	    &req->query, link_drop, "cursor", text != NULL ? text : buf,
	    dir == TK_CURSOR_NEXT ? "next" : "prev");
}

/* {"tasks": [ rows ], "pagination": { (open: the caller ends it) */
static void
write_rows(struct tk_request *req, struct tk_buf *b,
    struct tk_task_list *rows)
{
	size_t i;

	tk_buf_reset(b);
	tk_buf_puts(b, "{\"tasks\":[");
	for (i = 0; i < rows->n; i++) {
		if (i > 0)
			tk_buf_putc(b, ',');
		rows->v[i].stale = tk_tasks_stale(req, rows->v[i].status,
		    rows->v[i].updated_at);
		tk_task_write(b, &rows->v[i], NULL, NULL);
	}
	tk_buf_puts(b, "],\"pagination\":{");
}

/*
 * The guide's page form: its body unchanged; Link next/prev carry
 * cursors from the page's ends, so a client can go on by seek.
 */
static tk_err
list_by_page(struct tk_request *req, struct tk_response *res,
    const struct tk_task_filter *f, int empty, const struct tk_page *pg)
{
	struct tk_app *app = req->app;
	struct tk_task_list rows = { NULL, 0 };
	unsigned long long total = 0;
	unsigned char filter[8];
	tk_err e;

	if (!empty && (e = tk_task_store_list(app->db, f, pg->offset,
	    pg->per_page, &rows, &total)) != TK_OK)
		return e;
	/* written straight into the body (tk_task_write: the bytes json-c
	 * would print) */
	write_rows(req, &res->body, &rows);
	tk_buf_printf(&res->body, "\"current_page\":%lld,"
	    "\"per_page\":%u,\"total_pages\":%lld,\"total_count\":%lld}}",
	    (long long)pg->page, pg->per_page,
	    (long long)tk_page_total_pages(total, pg->per_page),
	    (long long)total);
	e = tk_cursor_filter_hash(f, filter);
	if (e == TK_OK && rows.n > 0 && pg->offset + rows.n < total)
		e = list_link(req, res, f, filter, TK_CURSOR_NEXT,
		    rows.v[rows.n - 1].id, rows.v[rows.n - 1].priority, NULL);
	if (e == TK_OK && rows.n > 0 && pg->page > 1)
		e = list_link(req, res, f, filter, TK_CURSOR_PREV,
		    rows.v[0].id, rows.v[0].priority, NULL);
	tk_task_list_free(&rows);
	return e;
}

/* A cursor of the pagination object: "name":"text" or "name":null. */
static void
put_cursor(struct tk_buf *b, const char *name, const char *text)
{
	if (text[0] != '\0')
		tk_buf_printf(b, ",\"%s\":\"%s\"", name, text);
	else
		tk_buf_printf(b, ",\"%s\":null", name);
}

/*
 * Reads a keyset page of cur (NULL: the first) into rows: at most
 * per_page, and whether there are more each way (*more_older,
 * *more_newer).  One row beyond the page is asked for to know.
 */
static tk_err
seek_page(struct tk_db *db, const struct tk_task_filter *f,
    const struct tk_cursor *cur, unsigned per_page,
    struct tk_task_list *rows, int *more_older, int *more_newer)
{
	int newer = cur != NULL && cur->dir == TK_CURSOR_PREV;
	tk_err e;

	*more_older = newer;       /* the cursor's own task, at least */
	*more_newer = cur != NULL && !newer;
	if (f->sort != TK_SORT_NEWEST)
		e = tk_task_store_seek_sorted(db, f, cur != NULL ? cur->id :
		    NULL, cur != NULL ? cur->priority : 0, newer, per_page + 1,
		    rows);
	else
		e = tk_task_store_seek(db, f, cur != NULL ? cur->id : NULL,
		    newer, per_page + 1, rows);
	if (e != TK_OK || rows->n <= per_page)
		return e;
	/* One too many: the far end from the cursor goes. */
	if (newer) {
		tk_task_row_free(&rows->v[0]);
		memmove(rows->v, rows->v + 1, per_page * sizeof(*rows->v));
		*more_newer = 1;
	} else {
		tk_task_row_free(&rows->v[per_page]);
		*more_older = 1;
	}
	rows->n = per_page;
	return TK_OK;
}

/* GET /tasks?cursor=: a keyset page; pagination carries the cursors. */
static tk_err
list_by_cursor(struct tk_request *req, struct tk_response *res,
    const struct tk_task_filter *f, int empty, const struct tk_cursor *cur,
    unsigned per_page)
{
	struct tk_app *app = req->app;
	struct tk_task_list rows = { NULL, 0 };
	char next[TK_CURSOR_LEN + 1] = "", prev[TK_CURSOR_LEN + 1] = "";
	unsigned long long total = 0;
	int older = 0, newer = 0;
	tk_err e = TK_OK;

	if (!empty && ((e = seek_page(app->db, f, cur, per_page, &rows,
	    &older, &newer)) != TK_OK ||
	    (e = tk_task_store_count(app->db, f, &total)) != TK_OK))
		goto out;
	if (older)
		e = list_link(req, res, f, cur->filter, TK_CURSOR_NEXT,
		    rows.n > 0 ? rows.v[rows.n - 1].id : cur->id,
		    rows.n > 0 ? rows.v[rows.n - 1].priority : cur->priority,
		    next);
	if (e == TK_OK && newer)
		e = list_link(req, res, f, cur->filter, TK_CURSOR_PREV,
		    rows.n > 0 ? rows.v[0].id : cur->id,
		    rows.n > 0 ? rows.v[0].priority : cur->priority, prev);
	write_rows(req, &res->body, &rows);
	tk_buf_printf(&res->body, "\"per_page\":%u,\"total_count\":%lld",
	    per_page, (long long)total);
	put_cursor(&res->body, "next_cursor", next);
	put_cursor(&res->body, "prev_cursor", prev);
	tk_buf_puts(&res->body, "}}");
out:
	tk_task_list_free(&rows);
	return e;
}

/*
 * page/per_page, or cursor/per_page (never page and cursor), into pg or
 * cur; *has_cursor says which.  Problems go into details.
 */
static void
list_paging(struct tk_request *req, const struct tk_task_filter *f,
    struct tk_page *pg, struct tk_cursor *cur, int *has_cursor,
    json_object *details)
{
	struct tk_app *app = req->app;
	const char *page = tk_query_get(&req->query, "page");
	const char *cursor = tk_query_get(&req->query, "cursor");
	unsigned char filter[8];

	*has_cursor = cursor != NULL;
	(void)tk_page_parse(cursor != NULL ? NULL : page,
	    tk_query_get(&req->query, "per_page"),
	    app->cfg->api.default_per_page, app->cfg->api.max_per_page, pg,
	    details);
	if (cursor == NULL)
		return;
	if (page != NULL)
		tk_details_add(details, "cursor", "cannot be given with page: "
		    "a list is paged by one or the other");
	else if (tk_cursor_filter_hash(f, filter) == TK_OK)
		(void)tk_cursor_decode(cursor, filter, cur, details);
	else
		tk_details_add(details, "cursor", "could not be checked");
}

tk_err
tk_api_tasks_index(struct tk_request *req, struct tk_response *res)
{
	static const char *const params[] = { "namespace", "name", "version",
	    "status", "created_by", "initiator", "source_system", "tags",
	    "created_after", "created_before", "page", "per_page", "cursor",
	    "priority", "priority_min", "priority_max", "stale", "sort",
	    NULL };
	struct list_text lt = { NULL, "", "", { "", "", "" } };
	struct tk_task_filter f;
	char nsbuf[NS_SET_SIZE];
	int empty = 0, has_cursor = 0;
	struct tk_page pg;
	struct tk_cursor cur;
	json_object *details;
	tk_err e;

	if ((e = tk_api_query_check(req, params)) != TK_OK)
		return e;
	if ((details = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	if ((e = list_filter(req, &f, &lt, details, nsbuf, &empty)) != TK_OK) {
		json_object_put(details);
		goto out;
	}
	list_paging(req, &f, &pg, &cur, &has_cursor, details);
	if (tk_details_count(details) > 0) {
		e = tk_api_reject(req, TK_ERR_BAD_REQUEST,
		    "Invalid request parameters", details);
		goto out;
	}
	json_object_put(details);
	e = has_cursor ? list_by_cursor(req, res, &f, empty, &cur,
	    pg.per_page) : list_by_page(req, res, &f, empty, &pg);
	if (e == TK_OK && res->body.failed)
		e = TK_ERR_NOMEM;
	if (e == TK_OK)
		res->status = 200;
out:
	json_object_put(lt.tags);
	return e;
}

/* ---------------------------------------------------------------- GET /tasks/{id} */

tk_err
tk_api_tasks_show(struct tk_request *req, struct tk_response *res)
{
	static const char *const params[] = { "include_dependencies", NULL };
	unsigned char id[16];
	char msg[TK_ERRMSG_SIZE];
	int deps = 0, unchanged;
	tk_err e;

	if ((e = tk_api_query_check(req, params)) != TK_OK)
		return e;
	if (tk_query_bool(&req->query, "include_dependencies", &deps, msg,
	    sizeof(msg)) != TK_OK)
		return tk_api_reject(req, TK_ERR_BAD_REQUEST,
		    "Invalid request parameters", tk_api_details1(
		    "include_dependencies", "must be true, false, 1 or 0"));
	if ((e = tk_tasks_id_param(req, id)) != TK_OK)
		return e;
	/* A polling client's unchanged task: 304 after one primary-key
	 * read (the dispatcher turns the matched 200 into it). */
	if ((e = tk_tasks_unchanged(req, res, id, deps, &unchanged)) !=
	    TK_OK || unchanged)
		return e;
	return tk_tasks_answer(req, res, id, 200, deps);
}
