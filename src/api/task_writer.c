/*
 * task_writer.c - the JSON shapes of the task API: a task (the one
 * writer of the 201 body of POST /tasks, the task detail, the list
 * items and the answers of the task operations), a step, and a
 * dependency analysis.
 *
 * Field order follows the guide; fields the guide does not show come
 * after its own.
 */
#include "tasker/task_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/body_parser.h"
#include "tasker/deps.h"
#include "tasker/handler.h"
#include "tasker/json_writer.h"
#include "tasker/task_api.h"
#include "tasker/uuid.h"

/*
 * Task and brief step answers are written straight into the body (see
 * src/tasks/json_writer.c: byte for byte what json-c would print, stored JSON
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

/* ,"key": then s as a string (or null). */
static void
put_str(struct tk_buf *b, const char *key, const char *s)
{
	tk_buf_puts(b, key);
	tk_json_put_str(b, s);
}

tk_err
tk_task_view_write(struct tk_buf *b, const struct tk_task_view *v,
    const struct tk_rows *steps, json_object *deps)
{
	char id[TK_UUID_STR_SIZE], full[3 * 64 + 8];
	size_t i;

	if (v->id != NULL)
		tk_uuid_format(v->id, id);
	else
		snprintf(id, sizeof(id), "?");
	snprintf(full, sizeof(full), "%s.%s@%s",
	    v->namespace_name ? v->namespace_name : "",
	    v->name ? v->name : "", v->version ? v->version : "");
	put_str(b, "{\"id\":", id);
	put_str(b, ",\"name\":", v->name);
	put_str(b, ",\"namespace\":", v->namespace_name);
	put_str(b, ",\"version\":", v->version);
	put_str(b, ",\"full_name\":", full);
	put_str(b, ",\"status\":", v->status);
	tk_buf_puts(b, ",\"context\":");
	tk_json_put_stored(b, v->context, v->context_len, "{}");
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
	put_str(b, ",\"created_at\":", v->created_at);
	put_str(b, ",\"updated_at\":", v->updated_at);
	put_str(b, ",\"initiator\":", v->initiator);
	put_str(b, ",\"source_system\":", v->source_system);
	put_str(b, ",\"reason\":", v->reason);
	tk_buf_puts(b, ",\"tags\":");
	tk_json_put_stored(b, v->tags, v->tags_len, "[]");
	put_str(b, ",\"completed_at\":", v->completed_at);
	put_str(b, ",\"created_by\":", v->created_by);
	return tk_buf_putc(b, '}');
}

void
tk_task_view_of_row(const struct tk_rows *r, size_t row,
    struct tk_task_view *v)
{
	memset(v, 0, sizeof(*v));
	if (cell_len(r, row, TK_TASK_ID) == 16)
		v->id = (const unsigned char *)tk_row_str(r, row, TK_TASK_ID);
	v->name = tk_row_str(r, row, TK_TASK_NAME);
	v->namespace_name = tk_row_str(r, row, TK_TASK_NAMESPACE);
	v->version = tk_row_str(r, row, TK_TASK_VERSION);
	v->status = tk_row_str(r, row, TK_TASK_STATUS);
	v->context = tk_row_str(r, row, TK_TASK_CONTEXT);
	v->context_len = cell_len(r, row, TK_TASK_CONTEXT);
	v->created_at = tk_row_str(r, row, TK_TASK_CREATED);
	v->updated_at = tk_row_str(r, row, TK_TASK_UPDATED);
	v->initiator = tk_row_str(r, row, TK_TASK_INITIATOR);
	v->source_system = tk_row_str(r, row, TK_TASK_SOURCE);
	v->reason = tk_row_str(r, row, TK_TASK_REASON);
	v->tags = tk_row_str(r, row, TK_TASK_TAGS);
	v->tags_len = cell_len(r, row, TK_TASK_TAGS);
	v->completed_at = tk_row_str(r, row, TK_TASK_COMPLETED);
	v->created_by = tk_row_str(r, row, TK_TASK_CREATED_BY);
}

tk_err
tk_task_write(struct tk_buf *b, const struct tk_rows *r, size_t row,
    const struct tk_rows *steps, json_object *deps)
{
	struct tk_task_view v;

	tk_task_view_of_row(r, row, &v);
	return tk_task_view_write(b, &v, steps, deps);
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

