/*
 * task_read.c - reading a task, its steps and a step's transitions, and
 * turning their cells into the typed rows of task_store.h (the one place
 * that knows the column orders).
 */
#include "tasker/task_store.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/state.h"
#include "rows.h"
#include "task_rows.h"

/* ---------------------------------------------------------------- statements */

/* 0: not under a limit, 1: a concurrency slot, 2: a rate limit
 * ("r:" keys, 0012_flow_keys_rates.sql). */
#define HELD_BY(s) "IF(" s "limit_key LIKE 'r:%', 2, " s "limit_key IS NOT NULL)"
#define STEP_COLS                                                          \
	"id, position, name, status, attempts, retry_limit, retryable,"    \
	" skippable, unmet_parents, results, last_error, ready_at,"        \
	" started_at, completed_at, created_at, updated_at,"               \
	" " HELD_BY("")


static const char SQL_TASK_GET[] =
    "SELECT " TASK_COLS " FROM tasks t WHERE t.id = ?";
static const char SQL_STEPS[] =
    "SELECT " STEP_COLS " FROM workflow_steps WHERE task_id = ?"
    " ORDER BY position";
/*
 * A task and its steps in one round trip: one row per step, the task's
 * columns first.  The task's big columns (context, tags) come only with
 * the step at position 0 (every task has one: positions are 0..n-1 from
 * creation), not once per step.  The steps are read in position order off
 * their index, so nothing is sorted.
 */
#define TASK_COLS_ONCE                                                     \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, IF(s.position = 0, t.context, NULL), t.initiator,"     \
	" t.source_system, t.reason, IF(s.position = 0, t.tags, NULL),"    \
	" t.created_at, t.updated_at, t.completed_at, t.created_by,"       \
	" t.priority, t.row_version"
#define STEP_COLS_S                                                        \
	"s.id, s.position, s.name, s.status, s.attempts, s.retry_limit,"   \
	" s.retryable, s.skippable, s.unmet_parents, s.results,"           \
	" s.last_error, s.ready_at, s.started_at, s.completed_at,"         \
	" s.created_at, s.updated_at, " HELD_BY("s.")
static const char SQL_TASK_ALL[] =
    "SELECT " TASK_COLS_ONCE ", " STEP_COLS_S " FROM workflow_steps s"
    " FORCE INDEX (ix_steps_task_position) JOIN tasks t ON t.id = s.task_id"
    " WHERE s.task_id = ? ORDER BY s.position";
static const char SQL_STALE_COUNT[] =
    "SELECT status, COUNT(*) FROM tasks"
    " FORCE INDEX (ix_tasks_status_updated) WHERE " STALE_EXPR
    " GROUP BY status";
/* What a conditional GET needs: one primary-key read, no step. */
static const char SQL_TASK_HEAD[] =
    "SELECT namespace, created_by, status, updated_at, row_version"
    " FROM tasks WHERE id = ?";
static const char SQL_STEP_BY_NAME[] =
    "SELECT " STEP_COLS " FROM workflow_steps WHERE task_id = ? AND name = ?";
static const char SQL_STEP_TRANSITIONS[] =
    "SELECT from_status, to_status, attempt, actor, reason, created_at"
    " FROM (SELECT * FROM step_transitions"
    " WHERE step_id = ? ORDER BY id DESC LIMIT 100) x ORDER BY id";

/* The columns of STEP_COLS (and STEP_COLS_S), in order. */
enum step_col {
	SC_ID, SC_POSITION, SC_NAME, SC_STATUS, SC_ATTEMPTS, SC_RETRY_LIMIT,
	SC_RETRYABLE, SC_SKIPPABLE, SC_UNMET, SC_RESULTS, SC_LAST_ERROR,
	SC_READY_AT, SC_STARTED, SC_COMPLETED, SC_CREATED, SC_UPDATED,
	SC_LIMITED,
	SC__NCOLS
};

/* The columns of SQL_STEP_TRANSITIONS, in order. */
enum trans_col {
	XC_FROM, XC_TO, XC_ATTEMPT, XC_ACTOR, XC_REASON, XC_AT,
	XC__NCOLS
};

/* ---------------------------------------------------------------- time stamps */

static const size_t task_times[] = { TC_CREATED, TC_UPDATED, TC_COMPLETED };
static const size_t step_times[] = { SC_READY_AT, SC_STARTED, SC_COMPLETED,
    SC_CREATED, SC_UPDATED };

/* Rewrites the n time stamp columns cols (after base) of r. */
static tk_err
times_at(struct tk_rows *r, size_t base, const size_t *cols, size_t n)
{
	size_t i;
	tk_err e;

	for (i = 0; i < n; i++)
		if ((e = tk_rows_iso_time(r, base + cols[i])) != TK_OK)
			return e;
	return TK_OK;
}

/*
 * tk_db_query, then the time stamps of the task columns (when task) and
 * of the step columns after them (when step) in the API's form; on
 * failure out is freed.
 */
static tk_err
query_times(struct tk_db *db, const char *sql, const struct tk_dbarg *a,
    size_t n, struct tk_rows *out, int task, int step)
{
	size_t base = task ? TC__NCOLS : 0;
	tk_err e;

	if ((e = tk_db_query(db, sql, a, n, out)) != TK_OK)
		return e;
	e = TK_OK;
	if (out->nrows > 0 && task)
		e = times_at(out, 0, task_times, 3);
	if (out->nrows > 0 && step && e == TK_OK)
		e = times_at(out, base, step_times, 5);
	if (e != TK_OK)
		tk_rows_free(out);
	return e;
}

tk_err
tk_task_query(struct tk_db *db, const char *sql, const struct tk_dbarg *a,
    size_t n, struct tk_rows *out)
{
	return query_times(db, sql, a, n, out, 1, 0);
}

/* ---------------------------------------------------------------- typed rows */

void
tk_task_row_free(struct tk_task_row *t)
{
	free(t->namespace_name);
	free(t->name);
	free(t->version);
	free(t->context);
	free(t->initiator);
	free(t->source_system);
	free(t->reason);
	free(t->tags);
	free(t->created_at);
	free(t->updated_at);
	free(t->completed_at);
	free(t->created_by);
	memset(t, 0, sizeof(*t));
}

void
tk_task_list_free(struct tk_task_list *l)
{
	size_t i;

	for (i = 0; l->v != NULL && i < l->n; i++)
		tk_task_row_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
step_row_free(struct tk_step_row *s)
{
	free(s->name);
	free(s->results);
	free(s->last_error);
	free(s->ready_at);
	free(s->started_at);
	free(s->completed_at);
	free(s->created_at);
	free(s->updated_at);
	memset(s, 0, sizeof(*s));
}

void
tk_step_list_free(struct tk_step_list *l)
{
	size_t i;

	for (i = 0; l->v != NULL && i < l->n; i++)
		step_row_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
tk_transition_list_free(struct tk_transition_list *l)
{
	size_t i;

	for (i = 0; l->v != NULL && i < l->n; i++) {
		free(l->v[i].from_status);
		free(l->v[i].to_status);
		free(l->v[i].actor);
		free(l->v[i].reason);
		free(l->v[i].created_at);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Row i of r (TASK_COLS) into t, taking its cells over. */
static tk_err
task_take(struct tk_rows *r, size_t i, struct tk_task_row *t)
{
	int st = tk_status_parse(tk_row_str(r, i, TC_STATUS));

	if (tk_row_len(r, i, TC_ID) != 16 || st < 0)
		return TK_ERR_DB;
	memcpy(t->id, tk_row_str(r, i, TC_ID), 16);
	t->hv_id = (unsigned)tk_row_int(r, i, TC_HV);
	t->status = (enum tk_status)st;
	t->namespace_name = tk_row_take(r, i, TC_NAMESPACE, NULL);
	t->name = tk_row_take(r, i, TC_NAME, NULL);
	t->version = tk_row_take(r, i, TC_VERSION, NULL);
	t->context = tk_row_take(r, i, TC_CONTEXT, &t->context_len);
	t->initiator = tk_row_take(r, i, TC_INITIATOR, NULL);
	t->source_system = tk_row_take(r, i, TC_SOURCE, NULL);
	t->reason = tk_row_take(r, i, TC_REASON, NULL);
	t->tags = tk_row_take(r, i, TC_TAGS, &t->tags_len);
	t->created_at = tk_row_take(r, i, TC_CREATED, NULL);
	t->updated_at = tk_row_take(r, i, TC_UPDATED, NULL);
	t->completed_at = tk_row_take(r, i, TC_COMPLETED, NULL);
	t->created_by = tk_row_take(r, i, TC_CREATED_BY, NULL);
	t->priority = (int)tk_row_int(r, i, TC_PRIORITY);
	t->row_version = (unsigned long long)tk_row_int(r, i, TC_ROW_VERSION);
	return TK_OK;
}

tk_err
tk_task_rows_take(struct tk_rows *r, struct tk_task_list *out)
{
	size_t i;
	tk_err e = TK_OK;

	memset(out, 0, sizeof(*out));
	if (r->nrows == 0)
		return TK_OK;
	if (r->ncols < TC__NCOLS)
		return TK_ERR_DB;
	if ((out->v = calloc(r->nrows, sizeof(*out->v))) == NULL)
		return TK_ERR_NOMEM;
	out->n = r->nrows;
	for (i = 0; i < r->nrows && e == TK_OK; i++)
		e = task_take(r, i, &out->v[i]);
	if (e != TK_OK)
		tk_task_list_free(out);
	return e;
}

/* Row i of r (STEP_COLS from column b) into s, taking its cells over. */
static tk_err
step_take(struct tk_rows *r, size_t i, size_t b, struct tk_step_row *s)
{
	int st = tk_status_parse(tk_row_str(r, i, b + SC_STATUS));

	if (st < 0)
		return TK_ERR_DB;
	s->id = (unsigned long long)tk_row_int(r, i, b + SC_ID);
	s->position = (unsigned)tk_row_int(r, i, b + SC_POSITION);
	s->name = tk_row_take(r, i, b + SC_NAME, NULL);
	s->status = (enum tk_status)st;
	s->attempts = (unsigned)tk_row_int(r, i, b + SC_ATTEMPTS);
	s->retry_limit = (unsigned)tk_row_int(r, i, b + SC_RETRY_LIMIT);
	s->retryable = tk_row_int(r, i, b + SC_RETRYABLE) != 0;
	s->skippable = tk_row_int(r, i, b + SC_SKIPPABLE) != 0;
	s->unmet_parents = (unsigned)tk_row_int(r, i, b + SC_UNMET);
	s->results = tk_row_take(r, i, b + SC_RESULTS, &s->results_len);
	s->last_error = tk_row_take(r, i, b + SC_LAST_ERROR, NULL);
	s->ready_at = tk_row_take(r, i, b + SC_READY_AT, NULL);
	s->started_at = tk_row_take(r, i, b + SC_STARTED, NULL);
	s->completed_at = tk_row_take(r, i, b + SC_COMPLETED, NULL);
	s->created_at = tk_row_take(r, i, b + SC_CREATED, NULL);
	s->updated_at = tk_row_take(r, i, b + SC_UPDATED, NULL);
	s->limited = (int)tk_row_int(r, i, b + SC_LIMITED);
	return TK_OK;
}

/* Every row of r (STEP_COLS from column b) into out; on failure out is
 * empty. */
static tk_err
steps_take(struct tk_rows *r, size_t b, struct tk_step_list *out)
{
	size_t i;
	tk_err e = TK_OK;

	memset(out, 0, sizeof(*out));
	if (r->nrows == 0)
		return TK_OK;
	if (r->ncols < b + SC__NCOLS)
		return TK_ERR_DB;
	if ((out->v = calloc(r->nrows, sizeof(*out->v))) == NULL)
		return TK_ERR_NOMEM;
	out->n = r->nrows;
	for (i = 0; i < r->nrows && e == TK_OK; i++)
		e = step_take(r, i, b, &out->v[i]);
	if (e != TK_OK)
		tk_step_list_free(out);
	return e;
}

static tk_err
transitions_take(struct tk_rows *r, struct tk_transition_list *out)
{
	struct tk_transition_row *x;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (r->nrows == 0)
		return TK_OK;
	if (r->ncols < XC__NCOLS)
		return TK_ERR_DB;
	if ((out->v = calloc(r->nrows, sizeof(*out->v))) == NULL)
		return TK_ERR_NOMEM;
	out->n = r->nrows;
	for (i = 0; i < r->nrows; i++) {
		x = &out->v[i];
		x->from_status = tk_row_take(r, i, XC_FROM, NULL);
		x->to_status = tk_row_take(r, i, XC_TO, NULL);
		x->attempt = (unsigned)tk_row_int(r, i, XC_ATTEMPT);
		x->actor = tk_row_take(r, i, XC_ACTOR, NULL);
		x->reason = tk_row_take(r, i, XC_REASON, NULL);
		x->created_at = tk_row_take(r, i, XC_AT, NULL);
	}
	return TK_OK;
}

/* ---------------------------------------------------------------- reads */

/* The one task of r (row 0) into out, or TK_ERR_TASK_NOT_FOUND. */
static tk_err
one_task(struct tk_rows *r, struct tk_task_row *out)
{
	memset(out, 0, sizeof(*out));
	if (r->nrows != 1 || r->ncols < TC__NCOLS)
		return TK_ERR_TASK_NOT_FOUND;
	return task_take(r, 0, out);
}

tk_err
tk_task_store_get(struct tk_db *db, const unsigned char id[16],
    struct tk_task_row *out)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(id, 16);
	tk_err e;

	memset(out, 0, sizeof(*out));
	if ((e = tk_task_query(db, SQL_TASK_GET, &a, 1, &r)) != TK_OK)
		return e;
	if ((e = one_task(&r, out)) != TK_OK)
		tk_task_row_free(out);
	tk_rows_free(&r);
	return e;
}

/* Runs a step query (STEP_COLS) into out. */
static tk_err
query_steps(struct tk_db *db, const char *sql, const struct tk_dbarg *a,
    size_t n, struct tk_step_list *out)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	memset(out, 0, sizeof(*out));
	if ((e = query_times(db, sql, a, n, &r, 0, 1)) != TK_OK)
		return e;
	e = steps_take(&r, 0, out);
	tk_rows_free(&r);
	return e;
}

tk_err
tk_task_store_steps(struct tk_db *db, const unsigned char id[16],
    struct tk_step_list *out)
{
	struct tk_dbarg a = TK_PBLOB(id, 16);

	return query_steps(db, SQL_STEPS, &a, 1, out);
}

/* The two plain reads of tk_task_store_get_all. */
static tk_err
get_apart(struct tk_db *db, const unsigned char id[16],
    struct tk_task_row *task, struct tk_step_list *steps)
{
	tk_err e;

	if ((e = tk_task_store_get(db, id, task)) != TK_OK)
		return e;
	if ((e = tk_task_store_steps(db, id, steps)) != TK_OK)
		tk_task_row_free(task);
	return e;
}

tk_err
tk_task_store_get_all(struct tk_db *db, const unsigned char id[16],
    struct tk_task_row *task, struct tk_step_list *steps)
{
	struct tk_rows all = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(id, 16);
	tk_err e;

	memset(task, 0, sizeof(*task));
	memset(steps, 0, sizeof(*steps));
	if ((e = query_times(db, SQL_TASK_ALL, &a, 1, &all, 1, 1)) != TK_OK)
		return e;
	if (all.nrows == 0 || all.ncols != TC__NCOLS + SC__NCOLS ||
	    tk_row_str(&all, 0, TC_CONTEXT) == NULL) {
		/* No steps (no task, then), or no step at position 0 to
		 * carry the context (never written so): the two plain
		 * reads. */
		tk_rows_free(&all);
		return get_apart(db, id, task, steps);
	}
	if ((e = task_take(&all, 0, task)) == TK_OK)
		e = steps_take(&all, TC__NCOLS, steps);
	if (e != TK_OK)
		tk_task_row_free(task);
	tk_rows_free(&all);
	return e;
}

tk_err
tk_task_store_step(struct tk_db *db, const unsigned char id[16],
    const char *name, struct tk_step_list *out)
{
	struct tk_dbarg a[2];
	tk_err e;

	a[0] = TK_PBLOB(id, 16);
	a[1] = TK_PSTR(name);
	if ((e = query_steps(db, SQL_STEP_BY_NAME, a, 2, out)) != TK_OK)
		return e;
	if (out->n != 1) {
		tk_step_list_free(out);
		return TK_ERR_STEP_NOT_FOUND;
	}
	return TK_OK;
}

tk_err
tk_task_store_step_transitions(struct tk_db *db, unsigned long long step_id,
    struct tk_transition_list *out)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PINT(step_id);
	tk_err e;

	memset(out, 0, sizeof(*out));
	if ((e = tk_db_query(db, SQL_STEP_TRANSITIONS, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows > 0 && (e = tk_rows_iso_time(&r, XC_AT)) == TK_OK)
		e = transitions_take(&r, out);
	tk_rows_free(&r);
	return e;
}

tk_err
tk_task_store_head(struct tk_db *db, const unsigned char id[16],
    struct tk_task_head *out)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(id, 16);
	int st;
	tk_err e;

	memset(out, 0, sizeof(*out));
	if ((e = tk_db_query(db, SQL_TASK_HEAD, &a, 1, &r)) != TK_OK)
		return e;
	e = TK_ERR_TASK_NOT_FOUND;
	if (r.nrows != 1 || r.ncols != 5 ||
	    (st = tk_status_parse(tk_row_str(&r, 0, 2))) < 0 ||
	    (e = tk_rows_iso_time(&r, 3)) != TK_OK)
		goto out;
	out->status = (enum tk_status)st;
	out->namespace_name = tk_row_take(&r, 0, 0, NULL);
	out->created_by = tk_row_take(&r, 0, 1, NULL);
	out->updated_at = tk_row_take(&r, 0, 3, NULL);
	out->row_version = (unsigned long long)tk_row_int(&r, 0, 4);
	e = TK_OK;
out:
	tk_rows_free(&r);
	return e;
}

void
tk_task_head_free(struct tk_task_head *h)
{
	free(h->namespace_name);
	free(h->created_by);
	free(h->updated_at);
	memset(h, 0, sizeof(*h));
}

tk_err
tk_task_store_stale_count(struct tk_db *db,
    const char *const before[TK_STALE_CUTOFFS],
    unsigned long long out[TK_STALE_CUTOFFS])
{
	static const enum tk_status order[TK_STALE_CUTOFFS] = {
	    TK_ST_PENDING, TK_ST_IN_PROGRESS, TK_ST_ERROR };
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[TK_STALE_CUTOFFS];
	size_t i, k;
	int st;
	tk_err e;

	for (k = 0; k < TK_STALE_CUTOFFS; k++) {
		out[k] = 0;
		a[k] = TK_PSTR(before[k] != NULL ? before[k] : TK_STALE_NEVER);
	}
	if ((e = tk_db_query(db, SQL_STALE_COUNT, a, TK_STALE_CUTOFFS, &r)) !=
	    TK_OK)
		return e;
	for (i = 0; i < r.nrows; i++) {
		st = tk_status_parse(tk_row_str(&r, i, 0));
		for (k = 0; k < TK_STALE_CUTOFFS; k++)
			if (st == (int)order[k])
				out[k] = (unsigned long long)tk_row_int(&r, i,
				    1);
	}
	tk_rows_free(&r);
	return TK_OK;
}
