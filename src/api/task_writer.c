/*
 * task_writer.c - the JSON shapes of the task API: a task (the one
 * writer of the 201 body of POST /tasks, the task detail, the list
 * items and the answers of the task operations), a step, a step's
 * transitions, and a dependency analysis, from the store's typed rows.
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

/*
 * A stored JSON text (n bytes) as a json-c value: NULL for SQL NULL (and
 * for text that does not parse, which only a bug could store).  Text
 * already in json-c's printed form is not parsed: an object standing in
 * for it prints the text itself.
 */
static json_object *
stored(const char *s, size_t n)
{
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

/* ,"key": then s as a string (or null). */
static void
put_field(struct tk_buf *b, const char *key, const char *s)
{
	tk_buf_puts(b, key);
	tk_json_put_str(b, s);
}

/*
 * What the analysis says of step s (by position): whether its parents
 * are done, whether the engine will run it again (failed, a retry
 * scheduled), when, and how many attempts it has in all.
 */
static void
put_step_glance(struct tk_buf *b, const struct tk_step_row *s,
    const struct tk_task_view *v)
{
	int deps_ok = s->position < v->ndep_steps &&
	    v->dep_steps[s->position].deps_ok;
	int retry = s->status == TK_ST_ERROR && s->ready_at != NULL;

	tk_buf_printf(b, ",\"dependencies_satisfied\":%s,"
	    "\"retry_eligible\":%s", deps_ok ? "true" : "false",
	    retry ? "true" : "false");
	put_field(b, ",\"next_retry_at\":", retry ? s->ready_at : NULL);
	tk_buf_printf(b, ",\"max_attempts\":%u",
	    tk_step_max_attempts(s->retryable, s->retry_limit));
}

/* stale, and the task at a glance when there is one. */
static void
put_task_glance(struct tk_buf *b, const struct tk_task_view *v)
{
	const struct tk_glance *g = v->glance;

	tk_buf_printf(b, ",\"stale\":%s", v->stale ? "true" : "false");
	if (g == NULL)
		return;
	put_field(b, ",\"execution_status\":", tk_exec_status_name(g->status));
	put_field(b, ",\"recommended_action\":{\"action\":",
	    tk_action_name(g->action));
	put_field(b, ",\"step\":", g->step < v->ndep_steps ?
	    v->dep_steps[g->step].name : NULL);
	tk_buf_printf(b, "},\"completion_percentage\":%u", g->percent);
}

void
tk_task_etag(char out[TK_ETAG_SIZE], unsigned long long row_version,
    int deps, int stale)
{
	snprintf(out, TK_ETAG_SIZE, "\"t%d-%llu-d%ds%d\"", TK_TASK_FORMAT,
	    row_version, deps != 0, stale != 0);
}

/*
 * A step in brief, as a task shows it: name, status, results, attempts,
 * started_at, completed_at, and last_error / next_attempt_at when they
 * apply.
 */
static void
put_step(struct tk_buf *b, const struct tk_step_row *s,
    const struct tk_task_view *v)
{
	put_field(b, "{\"name\":", s->name);
	put_field(b, ",\"status\":", tk_status_name(s->status));
	tk_buf_puts(b, ",\"results\":");
	tk_json_put_stored(b, s->results, s->results_len, "null");
	tk_buf_printf(b, ",\"attempts\":%u", s->attempts);
	put_field(b, ",\"started_at\":", s->started_at);
	put_field(b, ",\"completed_at\":", s->completed_at);
	/* A failed step with a retry scheduled keeps ready_at: the time of
	 * its next attempt. */
	if (s->last_error != NULL)
		put_field(b, ",\"last_error\":", s->last_error);
	if (s->status == TK_ST_ERROR && s->ready_at != NULL)
		put_field(b, ",\"next_attempt_at\":", s->ready_at);
	if (v->dep_steps != NULL)
		put_step_glance(b, s, v);
	tk_buf_putc(b, '}');
}

tk_err
tk_task_view_write(struct tk_buf *b, const struct tk_task_view *v,
    const struct tk_step_list *steps, json_object *deps)
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
	put_field(b, "{\"id\":", id);
	put_field(b, ",\"name\":", v->name);
	put_field(b, ",\"namespace\":", v->namespace_name);
	put_field(b, ",\"version\":", v->version);
	put_field(b, ",\"full_name\":", full);
	put_field(b, ",\"status\":", v->status);
	tk_buf_puts(b, ",\"context\":");
	tk_json_put_stored(b, v->context, v->context_len, "{}");
	if (steps != NULL) {
		tk_buf_puts(b, ",\"steps\":[");
		for (i = 0; i < steps->n; i++) {
			if (i > 0)
				tk_buf_putc(b, ',');
			put_step(b, &steps->v[i], v);
		}
		tk_buf_putc(b, ']');
	}
	if (deps != NULL) {
		tk_buf_puts(b, ",\"dependencies\":");
		tk_json_put_object(b, deps);
	}
	put_field(b, ",\"created_at\":", v->created_at);
	put_field(b, ",\"updated_at\":", v->updated_at);
	put_field(b, ",\"initiator\":", v->initiator);
	put_field(b, ",\"source_system\":", v->source_system);
	put_field(b, ",\"reason\":", v->reason);
	tk_buf_puts(b, ",\"tags\":");
	tk_json_put_stored(b, v->tags, v->tags_len, "[]");
	put_field(b, ",\"completed_at\":", v->completed_at);
	put_field(b, ",\"created_by\":", v->created_by);
	tk_buf_printf(b, ",\"priority\":%d", v->priority);
	put_task_glance(b, v);
	return tk_buf_putc(b, '}');
}

void
tk_task_view_of_row(const struct tk_task_row *t, struct tk_task_view *v)
{
	memset(v, 0, sizeof(*v));
	v->id = t->id;
	v->name = t->name;
	v->namespace_name = t->namespace_name;
	v->version = t->version;
	v->status = tk_status_name(t->status);
	v->context = t->context;
	v->context_len = t->context_len;
	v->created_at = t->created_at;
	v->updated_at = t->updated_at;
	v->initiator = t->initiator;
	v->source_system = t->source_system;
	v->reason = t->reason;
	v->tags = t->tags;
	v->tags_len = t->tags_len;
	v->completed_at = t->completed_at;
	v->created_by = t->created_by;
	v->priority = t->priority;
	v->stale = t->stale;
}

tk_err
tk_task_write(struct tk_buf *b, const struct tk_task_row *t,
    const struct tk_step_list *steps, json_object *deps)
{
	struct tk_task_view v;

	tk_task_view_of_row(t, &v);
	return tk_task_view_write(b, &v, steps, deps);
}

/* The names of the parents of step s of def (none without def). */
static json_object *
parents_json(const struct tk_step_row *s, const struct tk_handler_def *def)
{
	json_object *a = json_object_new_array();
	size_t k, pos = s->position;

	if (a == NULL || def == NULL || pos >= def->nsteps)
		return a;
	for (k = 0; k < def->steps[pos].nparents; k++)
		json_object_array_add(a, json_object_new_string(
		    def->steps[def->steps[pos].parents[k]].name));
	return a;
}

json_object *
tk_step_json(const struct tk_step_row *s, const struct tk_handler_def *def)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "name", str_or_null(s->name));
	json_object_object_add(o, "status",
	    json_object_new_string(tk_status_name(s->status)));
	json_object_object_add(o, "results",
	    stored(s->results, s->results_len));
	json_object_object_add(o, "attempts",
	    json_object_new_int64(s->attempts));
	json_object_object_add(o, "started_at", str_or_null(s->started_at));
	json_object_object_add(o, "completed_at",
	    str_or_null(s->completed_at));
	json_object_object_add(o, "last_error", str_or_null(s->last_error));
	/* The time of the next attempt of a failed step with a retry
	 * scheduled. */
	json_object_object_add(o, "next_attempt_at",
	    s->status == TK_ST_ERROR ? str_or_null(s->ready_at) : NULL);
	json_object_object_add(o, "position",
	    json_object_new_int64(s->position));
	json_object_object_add(o, "depends_on", parents_json(s, def));
	json_object_object_add(o, "max_attempts", json_object_new_int64(
	    tk_step_max_attempts(s->retryable, s->retry_limit)));
	json_object_object_add(o, "retryable",
	    json_object_new_boolean(s->retryable));
	json_object_object_add(o, "retry_limit",
	    json_object_new_int64(s->retry_limit));
	json_object_object_add(o, "skippable",
	    json_object_new_boolean(s->skippable));
	json_object_object_add(o, "created_at", str_or_null(s->created_at));
	json_object_object_add(o, "updated_at", str_or_null(s->updated_at));
	return o;
}

json_object *
tk_steps_json(const struct tk_step_list *l, const struct tk_handler_def *def)
{
	json_object *a = json_object_new_array_ext((int)l->n);
	size_t i;

	for (i = 0; a != NULL && i < l->n; i++)
		json_object_array_add(a, tk_step_json(&l->v[i], def));
	return a;
}

json_object *
tk_transitions_json(const struct tk_transition_list *l)
{
	const struct tk_transition_row *t;
	json_object *a = json_object_new_array(), *x;
	size_t i;

	for (i = 0; a != NULL && i < l->n; i++) {
		t = &l->v[i];
		x = json_object_new_object();
		json_object_object_add(x, "from", str_or_null(t->from_status));
		json_object_object_add(x, "to", str_or_null(t->to_status));
		json_object_object_add(x, "attempt",
		    json_object_new_int64(t->attempt));
		json_object_object_add(x, "actor", str_or_null(t->actor));
		json_object_object_add(x, "reason", str_or_null(t->reason));
		json_object_object_add(x, "at", str_or_null(t->created_at));
		json_object_array_add(a, x);
	}
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

/* The steps by position as the analysis reads them (def->nsteps of
 * them; one the rows lack counts as pending).  NULL: no memory. */
static struct tk_dep_step *
dep_steps_of(const struct tk_step_list *steps,
    const struct tk_handler_def *def)
{
	struct tk_dep_step *st;
	size_t i, pos, n = def->nsteps;

	if ((st = calloc(n ? n : 1, sizeof(*st))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		st[i].name = def->steps[i].name;
		st[i].status = TK_ST_PENDING;
		st[i].retryable = 1;
	}
	for (i = 0; i < steps->n; i++) {
		pos = steps->v[i].position;
		if (pos >= n)
			continue;
		st[pos].status = steps->v[i].status;
		st[pos].attempts_left = st[pos].status == TK_ST_ERROR &&
		    steps->v[i].ready_at != NULL;
		st[pos].held = st[pos].status == TK_ST_PENDING &&
		    steps->v[i].ready_at != NULL ? steps->v[i].limited : 0;
		st[pos].retryable = steps->v[i].retryable;
	}
	return st;
}

json_object *
tk_deps_json(const struct tk_step_list *steps, const struct tk_handler_def *def,
    enum tk_status task_status, int stale)
{
	struct tk_dep_step *st = NULL;
	enum tk_dep_class *cls = NULL;
	char analysis[TK_ANALYSIS_SIZE];
	json_object *o = NULL, *by, *p;
	size_t i, k, n;

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
	st = dep_steps_of(steps, def);
	cls = calloc(n, sizeof(*cls));
	if (st == NULL || cls == NULL)
		goto out;
	tk_deps_analyse(def, st, n, task_status, cls, analysis);
	if (stale)
		tk_deps_say_stale(analysis, task_status);
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
    const struct tk_task_row *t, const struct tk_step_list *s, int code,
    int deps)
{
	const struct tk_catalog_version *cv = tk_tasks_version(req, t->hv_id);
	const struct tk_handler_def *def = cv != NULL ? cv->def : NULL;
	struct tk_task_view v;
	struct tk_glance g;
	struct tk_dep_step *ds = NULL;
	enum tk_dep_class *cls = NULL;
	json_object *dj = NULL;
	char tag[TK_ETAG_SIZE];
	tk_err e = TK_ERR_NOMEM;

	tk_task_view_of_row(t, &v);
	v.stale = tk_tasks_stale(req, t->status, t->updated_at);
	if (def != NULL && def->nsteps > 0) {
		if ((ds = dep_steps_of(s, def)) == NULL ||
		    (cls = calloc(def->nsteps, sizeof(*cls))) == NULL)
			goto out;
		tk_deps_glance(def, ds, def->nsteps, t->status, cls, &g);
		v.dep_steps = ds;
		v.ndep_steps = def->nsteps;
		v.glance = &g;
	}
	if (deps && (dj = tk_deps_json(s, def, t->status, v.stale)) == NULL)
		goto out;
	tk_buf_reset(&res->body);
	if ((e = tk_task_view_write(&res->body, &v, s, dj)) != TK_OK)
		goto out;
	res->status = code;
	tk_task_etag(tag, t->row_version, deps, v.stale);
	e = tk_response_set_header(res, "ETag", tag);
out:
	json_object_put(dj);
	free(ds);
	free(cls);
	return e;
}
