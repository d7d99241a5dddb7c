/*
 * task_json.c - what the task API's controllers share: reading the body,
 * the query and the {id} parameter; the actor; and the JSON shapes of a
 * task, a step and a dependency analysis.
 *
 * Field order follows the guide (json-c keeps insertion order); fields
 * the guide does not show come after its own.
 */
#include "tasker/task_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/handler.h"
#include "tasker/tasks.h"

/* ---------------------------------------------------------------- request */

tk_err
tk_tasks_catalog(struct tk_request *req, struct tk_catalog **out)
{
	struct tk_app *app = req->app;
	tk_err e;

	e = tk_catalog_refresh(&app->catalog, app->db,
	    app->cfg->api.registry_refresh_ms);
	*out = app->catalog;
	return e;
}

const struct tk_catalog_version *
tk_tasks_version(struct tk_request *req, unsigned hv_id)
{
	struct tk_catalog *cat;

	if (tk_tasks_catalog(req, &cat) != TK_OK)
		return NULL;
	return tk_catalog_by_id(cat, hv_id);
}

tk_err
tk_tasks_not_found(struct tk_request *req, const char *s)
{
	char q[72];

	tk_request_errorf(req, "Task '%s' not found", tk_quote(q, s));
	return TK_ERR_TASK_NOT_FOUND;
}

tk_err
tk_tasks_id_param(struct tk_request *req, unsigned char id[16])
{
	const char *s = tk_request_param(req, "id");

	if (tk_uuid_parse(s, id) != 0)
		return tk_tasks_not_found(req, s);
	return TK_OK;
}

int
tk_tasks_visible(struct tk_request *req, const struct tk_rows *r, size_t row)
{
	struct tk_app *app = req->app;

	return tk_principal_sees_task(&app->principal,
	    tk_row_str(r, row, TK_TASK_NAMESPACE),
	    tk_row_str(r, row, TK_TASK_CREATED_BY));
}

tk_err
tk_tasks_scope_check(struct tk_request *req, const unsigned char id[16])
{
	struct tk_app *app = req->app;
	struct tk_rows t = TK_ROWS_INIT;
	char idtext[TK_UUID_STR_SIZE];
	tk_err e;

	if (!tk_principal_scoped(&app->principal))
		return TK_OK;
	if ((e = tk_task_store_get(app->db, id, &t)) != TK_OK &&
	    e != TK_ERR_TASK_NOT_FOUND)
		return e;
	if (e == TK_OK && !tk_tasks_visible(req, &t, 0))
		e = TK_ERR_TASK_NOT_FOUND;
	tk_rows_free(&t);
	if (e == TK_ERR_TASK_NOT_FOUND) {
		tk_uuid_format(id, idtext);
		return tk_tasks_not_found(req, idtext);
	}
	return TK_OK;
}

const char *
tk_tasks_actor(struct tk_request *req, char out[TK_ACTOR_MAX + 1])
{
	struct tk_app *app = req->app;
	const char *s = app->principal.subject;
	size_t n;

	if (s == NULL || *s == '\0')
		s = "unknown";
	n = strlen(s);
	if (n > TK_ACTOR_MAX) {
		n = TK_ACTOR_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

tk_err
tk_tasks_invalid(struct tk_response *res, tk_err e, const char *message,
    json_object *details)
{
	tk_api_error(res, e, message, details);
	return e;
}

tk_err
tk_tasks_body(struct tk_request *req, struct tk_response *res,
    int allow_empty, json_object **out)
{
	char msg[TK_ERRMSG_SIZE];
	json_object *d;
	size_t i;
	tk_err e;

	*out = NULL;
	for (i = 0; i < req->body_len; i++)
		if (strchr(" \t\r\n", req->body[i]) == NULL ||
		    req->body[i] == '\0')
			break;
	if (i == req->body_len) {
		if (allow_empty)
			return TK_OK;
		return tk_tasks_invalid(res, TK_ERR_BAD_REQUEST, "Request body "
		    "is empty; send a JSON object", NULL);
	}
	if (!tk_content_type_is_json(req->content_type))
		return tk_tasks_invalid(res, TK_ERR_UNSUPPORTED_MEDIA,
		    "Content-Type must be application/json", NULL);
	/* Every body of every route comes through here: text that is not
	 * UTF-8 stops at this point, with its member named in details. */
	if ((d = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	e = tk_json_parse_body(req->body, req->body_len, out, msg,
	    sizeof(msg), d);
	if (e == TK_ERR_BAD_REQUEST) {
		if (tk_details_count(d) == 0) {
			json_object_put(d);
			d = NULL;
		}
		return tk_tasks_invalid(res, e, msg, d);   /* takes d */
	}
	json_object_put(d);
	return e;
}

static int
allowed_param(const char *const *allowed, const char *name)
{
	size_t i;

	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(allowed[i], name) == 0)
			return 1;
	return 0;
}

tk_err
tk_tasks_query_check(struct tk_request *req, struct tk_response *res,
    const char *const *allowed)
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
		if (!allowed_param(allowed, name))
			tk_details_add(d, tk_quote(q, name),
			    "is not a known parameter");
		else if (tk_query_count(&req->query, name) > 1)
			tk_details_add(d, name, "must be given at most once");
	}
	if (tk_details_count(d) == 0) {
		json_object_put(d);
		return TK_OK;
	}
	return tk_tasks_invalid(res, TK_ERR_BAD_REQUEST,
	    "Invalid request parameters", d);
}

/* ---------------------------------------------------------------- shapes */

/*
 * Task and brief step answers are written straight into the body (see
 * src/tasks/jsonout.c: byte for byte what json-c would print, stored JSON
 * copied as it is); the full step shape, answered one task at a time,
 * still goes through json-c.
 */

static json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* The byte length of a cell (0 for SQL NULL or out of range). */
static size_t
cell_len(const struct tk_rows *r, size_t row, size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return 0;
	return r->len[row * r->ncols + col];
}

/*
 * A stored JSON column as a json-c value: NULL for SQL NULL (and for text
 * that does not parse, which only a bug could store).  Text already in
 * json-c's printed form is not parsed: an object standing in for it
 * prints the text itself.
 */
static json_object *
stored(const struct tk_rows *r, size_t row, size_t col)
{
	const char *s = tk_row_str(r, row, col);
	size_t n = cell_len(r, row, col);
	json_object *o;
	char *copy;

	if (s == NULL)
		return NULL;
	if (!tk_json_canonical(s, n))
		return tk_json_parse_stored(s, n);
	if ((copy = strdup(s)) == NULL)
		return NULL;
	if ((o = json_object_new_object()) == NULL) {
		free(copy);
		return NULL;
	}
	json_object_set_serializer(o, json_object_userdata_to_json_string,
	    copy, json_object_free_userdata);
	return o;
}

static enum tk_status
status_at(const struct tk_rows *r, size_t row, size_t col)
{
	int s = tk_status_parse(tk_row_str(r, row, col));

	return s < 0 ? TK_ST_PENDING : (enum tk_status)s;
}

/* ,"key": then the cell as a string (or null). */
static void
put_cell(struct tk_buf *b, const char *key, const struct tk_rows *r,
    size_t row, size_t col)
{
	tk_buf_puts(b, key);
	tk_json_put_str(b, tk_row_str(r, row, col));
}

/* ,"key": then the stored JSON cell, dflt when there is none. */
static void
put_stored(struct tk_buf *b, const char *key, const struct tk_rows *r,
    size_t row, size_t col, const char *dflt)
{
	tk_buf_puts(b, key);
	tk_json_put_stored(b, tk_row_str(r, row, col), cell_len(r, row, col),
	    dflt);
}

/*
 * A step in brief, as a task shows it: name, status, results, attempts,
 * started_at, completed_at, and last_error / next_attempt_at when they
 * apply.
 */
static void
put_step(struct tk_buf *b, const struct tk_rows *r, size_t row)
{
	enum tk_status st = status_at(r, row, TK_STEP_STATUS);
	const char *err = tk_row_str(r, row, TK_STEP_LAST_ERROR),
	    *ready = tk_row_str(r, row, TK_STEP_READY_AT);

	put_cell(b, "{\"name\":", r, row, TK_STEP_NAME);
	tk_buf_puts(b, ",\"status\":");
	tk_json_put_str(b, tk_status_name(st));
	put_stored(b, ",\"results\":", r, row, TK_STEP_RESULTS, "null");
	tk_buf_printf(b, ",\"attempts\":%lld",
	    tk_row_int(r, row, TK_STEP_ATTEMPTS));
	put_cell(b, ",\"started_at\":", r, row, TK_STEP_STARTED);
	put_cell(b, ",\"completed_at\":", r, row, TK_STEP_COMPLETED);
	/* A failed step with a retry scheduled keeps ready_at: the time of
	 * its next attempt. */
	if (err != NULL) {
		tk_buf_puts(b, ",\"last_error\":");
		tk_json_put_str(b, err);
	}
	if (st == TK_ST_ERROR && ready != NULL) {
		tk_buf_puts(b, ",\"next_attempt_at\":");
		tk_json_put_str(b, ready);
	}
	tk_buf_putc(b, '}');
}

tk_err
tk_task_write(struct tk_buf *b, const struct tk_rows *r, size_t row,
    const struct tk_rows *steps, json_object *deps)
{
	char id[TK_UUID_STR_SIZE], full[3 * 64 + 8];
	const char *ns = tk_row_str(r, row, TK_TASK_NAMESPACE),
	    *name = tk_row_str(r, row, TK_TASK_NAME),
	    *ver = tk_row_str(r, row, TK_TASK_VERSION);
	size_t i;

	if (cell_len(r, row, TK_TASK_ID) == 16)
		tk_uuid_format((const unsigned char *)tk_row_str(r, row,
		    TK_TASK_ID), id);
	else
		snprintf(id, sizeof(id), "?");
	snprintf(full, sizeof(full), "%s.%s@%s", ns ? ns : "",
	    name ? name : "", ver ? ver : "");
	tk_buf_puts(b, "{\"id\":");
	tk_json_put_str(b, id);
	put_cell(b, ",\"name\":", r, row, TK_TASK_NAME);
	put_cell(b, ",\"namespace\":", r, row, TK_TASK_NAMESPACE);
	put_cell(b, ",\"version\":", r, row, TK_TASK_VERSION);
	tk_buf_puts(b, ",\"full_name\":");
	tk_json_put_str(b, full);
	put_cell(b, ",\"status\":", r, row, TK_TASK_STATUS);
	put_stored(b, ",\"context\":", r, row, TK_TASK_CONTEXT, "{}");
	if (steps != NULL) {
		tk_buf_puts(b, ",\"steps\":[");
		for (i = 0; i < steps->nrows; i++) {
			if (i > 0)
				tk_buf_putc(b, ',');
			put_step(b, steps, i);
		}
		tk_buf_putc(b, ']');
	}
	if (deps != NULL) {
		tk_buf_puts(b, ",\"dependencies\":");
		tk_json_put_object(b, deps);
	}
	put_cell(b, ",\"created_at\":", r, row, TK_TASK_CREATED);
	put_cell(b, ",\"updated_at\":", r, row, TK_TASK_UPDATED);
	put_cell(b, ",\"initiator\":", r, row, TK_TASK_INITIATOR);
	put_cell(b, ",\"source_system\":", r, row, TK_TASK_SOURCE);
	put_cell(b, ",\"reason\":", r, row, TK_TASK_REASON);
	put_stored(b, ",\"tags\":", r, row, TK_TASK_TAGS, "[]");
	put_cell(b, ",\"completed_at\":", r, row, TK_TASK_COMPLETED);
	put_cell(b, ",\"created_by\":", r, row, TK_TASK_CREATED_BY);
	return tk_buf_putc(b, '}');
}

json_object *
tk_step_json(const struct tk_rows *r, size_t row,
    const struct tk_handler_def *def)
{
	enum tk_status st = status_at(r, row, TK_STEP_STATUS);
	const char *err = tk_row_str(r, row, TK_STEP_LAST_ERROR),
	    *ready = tk_row_str(r, row, TK_STEP_READY_AT);
	long long pos = tk_row_int(r, row, TK_STEP_POSITION);
	json_object *o, *deps;
	size_t k;
	int retryable = tk_row_int(r, row, TK_STEP_RETRYABLE) != 0;
	unsigned limit = (unsigned)tk_row_int(r, row, TK_STEP_RETRY_LIMIT);

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "name",
	    str_or_null(tk_row_str(r, row, TK_STEP_NAME)));
	json_object_object_add(o, "status",
	    json_object_new_string(tk_status_name(st)));
	json_object_object_add(o, "results", stored(r, row, TK_STEP_RESULTS));
	json_object_object_add(o, "attempts",
	    json_object_new_int64(tk_row_int(r, row, TK_STEP_ATTEMPTS)));
	json_object_object_add(o, "started_at",
	    str_or_null(tk_row_str(r, row, TK_STEP_STARTED)));
	json_object_object_add(o, "completed_at",
	    str_or_null(tk_row_str(r, row, TK_STEP_COMPLETED)));
	json_object_object_add(o, "last_error", str_or_null(err));
	/* The time of the next attempt of a failed step with a retry
	 * scheduled. */
	json_object_object_add(o, "next_attempt_at",
	    st == TK_ST_ERROR ? str_or_null(ready) : NULL);
	json_object_object_add(o, "position", json_object_new_int64(pos));
	deps = json_object_new_array();
	if (def != NULL && pos >= 0 && (size_t)pos < def->nsteps)
		for (k = 0; k < def->steps[pos].nparents; k++)
			json_object_array_add(deps, json_object_new_string(
			    def->steps[def->steps[pos].parents[k]].name));
	json_object_object_add(o, "depends_on", deps);
	json_object_object_add(o, "max_attempts", json_object_new_int64(
	    tk_step_max_attempts(retryable, limit)));
	json_object_object_add(o, "retryable",
	    json_object_new_boolean(retryable));
	json_object_object_add(o, "retry_limit", json_object_new_int64(limit));
	json_object_object_add(o, "skippable", json_object_new_boolean(
	    tk_row_int(r, row, TK_STEP_SKIPPABLE) != 0));
	json_object_object_add(o, "created_at",
	    str_or_null(tk_row_str(r, row, TK_STEP_CREATED)));
	json_object_object_add(o, "updated_at",
	    str_or_null(tk_row_str(r, row, TK_STEP_UPDATED)));
	return o;
}

json_object *
tk_steps_json(const struct tk_rows *r, const struct tk_handler_def *def)
{
	json_object *a = json_object_new_array_ext((int)r->nrows);
	size_t i;

	for (i = 0; a != NULL && i < r->nrows; i++)
		json_object_array_add(a, tk_step_json(r, i, def));
	return a;
}

static json_object *
names_of(const struct tk_dep_step *st, const enum tk_dep_class *cls, size_t n,
    enum tk_dep_class want)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (cls[i] == want)
			json_object_array_add(a,
			    json_object_new_string(st[i].name));
	return a;
}

json_object *
tk_deps_json(const struct tk_rows *steps, const struct tk_handler_def *def,
    enum tk_status task_status)
{
	struct tk_dep_step *st = NULL;
	enum tk_dep_class *cls = NULL;
	char analysis[TK_ANALYSIS_SIZE];
	json_object *o = NULL, *by, *p;
	size_t i, k, n, pos;

	if (def == NULL || def->nsteps == 0) {
		/* Only a handler version the catalog could not load. */
		if ((o = json_object_new_object()) == NULL)
			return NULL;
		json_object_object_add(o, "analysis", json_object_new_string(
		    "Dependency information is unavailable: the task's handler "
		    "version is not loaded."));
		json_object_object_add(o, "blocked_steps", json_object_new_array());
		json_object_object_add(o, "ready_steps", json_object_new_array());
		json_object_object_add(o, "completed_steps",
		    json_object_new_array());
		return o;
	}
	n = def->nsteps;
	st = calloc(n, sizeof(*st));
	cls = calloc(n, sizeof(*cls));
	if (st == NULL || cls == NULL)
		goto out;
	/* Steps by position; one the rows lack counts as pending. */
	for (i = 0; i < n; i++) {
		st[i].name = def->steps[i].name;
		st[i].status = TK_ST_PENDING;
	}
	for (i = 0; i < steps->nrows; i++) {
		pos = (size_t)tk_row_int(steps, i, TK_STEP_POSITION);
		if (pos >= n)
			continue;
		st[pos].status = status_at(steps, i, TK_STEP_STATUS);
		st[pos].attempts_left = st[pos].status == TK_ST_ERROR &&
		    tk_row_str(steps, i, TK_STEP_READY_AT) != NULL;
	}
	tk_deps_analyse(def, st, n, task_status, cls, analysis);
	if ((o = json_object_new_object()) == NULL)
		goto out;
	json_object_object_add(o, "analysis", json_object_new_string(analysis));
	json_object_object_add(o, "blocked_steps",
	    names_of(st, cls, n, TK_DEP_BLOCKED));
	json_object_object_add(o, "ready_steps",
	    names_of(st, cls, n, TK_DEP_READY));
	json_object_object_add(o, "completed_steps",
	    names_of(st, cls, n, TK_DEP_COMPLETED));
	by = json_object_new_object();
	for (i = 0; by != NULL && i < n; i++) {
		if (cls[i] != TK_DEP_BLOCKED)
			continue;
		p = json_object_new_array();
		for (k = 0; p != NULL && k < def->steps[i].nparents; k++) {
			size_t q = def->steps[i].parents[k];

			if (st[q].status != TK_ST_COMPLETE &&
			    st[q].status != TK_ST_RESOLVED_MANUALLY)
				json_object_array_add(p,
				    json_object_new_string(st[q].name));
		}
		json_object_object_add(by, st[i].name, p);
	}
	json_object_object_add(o, "blocked_by", by);
	json_object_object_add(o, "failed_steps",
	    names_of(st, cls, n, TK_DEP_FAILED));
	json_object_object_add(o, "cancelled_steps",
	    names_of(st, cls, n, TK_DEP_CANCELLED));
out:
	free(st);
	free(cls);
	return o;
}

tk_err
tk_tasks_render(struct tk_request *req, struct tk_response *res,
    const struct tk_rows *t, const struct tk_rows *s, int code, int deps)
{
	const struct tk_catalog_version *v;
	json_object *dj = NULL;
	tk_err e;

	if (t->nrows != 1)
		return TK_ERR_INTERNAL;
	if (deps) {
		v = tk_tasks_version(req, (unsigned)tk_row_int(t, 0,
		    TK_TASK_HV));
		if ((dj = tk_deps_json(s, v != NULL ? v->def : NULL,
		    status_at(t, 0, TK_TASK_STATUS))) == NULL)
			return TK_ERR_NOMEM;
	}
	tk_buf_reset(&res->body);
	e = tk_task_write(&res->body, t, 0, s, dj);
	json_object_put(dj);
	if (e == TK_OK)
		res->status = code;
	return e;
}

tk_err
tk_tasks_answer(struct tk_request *req, struct tk_response *res,
    const unsigned char id[16], int code, int deps)
{
	struct tk_app *app = req->app;
	struct tk_rows t = TK_ROWS_INIT, s = TK_ROWS_INIT;
	char idtext[TK_UUID_STR_SIZE];
	tk_err e;

	if ((e = tk_task_store_get_all(app->db, id, &t, &s)) != TK_OK) {
		if (e == TK_ERR_TASK_NOT_FOUND) {
			tk_uuid_format(id, idtext);
			return tk_tasks_not_found(req, idtext);
		}
		return e;
	}
	if (!tk_tasks_visible(req, &t, 0)) {
		/* Outside the caller's scope: as if there were none. */
		tk_uuid_format(id, idtext);
		e = tk_tasks_not_found(req, idtext);
	} else
		e = tk_tasks_render(req, res, &t, &s, code, deps);
	tk_rows_free(&t);
	tk_rows_free(&s);
	return e;
}
