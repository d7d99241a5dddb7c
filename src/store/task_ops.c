/*
 * task_ops.c - the operator's operations on a task (cancel, update,
 * retry, resolve or cancel a step; see task_store.h).  Status columns,
 * transitions and counts change through state.h; each operation answers
 * with the state it left, read in its own transaction.
 */
#include "tasker/task_store.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/handler.h"
#include "rows.h"
#include "task_rows.h"

/* ---------------------------------------------------------------- statements */

static const char SQL_TASK_LOCK[] =
    "SELECT status, handler_version_id FROM tasks WHERE id = ? FOR UPDATE";
/* Running steps too: their workers notice and stop the handlers. */
static const char SQL_STEPS_CANCELLABLE[] =
    "SELECT id, status, attempts FROM workflow_steps WHERE task_id = ?"
    " AND status IN ('pending', 'error', 'in_progress')"
    " ORDER BY position FOR UPDATE";
static const char SQL_STEPS_CLEAR_READY[] =
    "UPDATE workflow_steps SET ready_at = NULL WHERE task_id = ?"
    " AND status = 'cancelled' AND ready_at IS NOT NULL";
static const char SQL_STEPS_FAILED[] =
    "SELECT id, attempts FROM workflow_steps WHERE task_id = ?"
    " AND status = 'error' ORDER BY position FOR UPDATE";
/* A reset step starts over: no attempt, start, end or error of the runs
 * before the retry shows (those stay in its transitions). */
static const char SQL_STEP_RESET[] =
    "UPDATE workflow_steps SET attempts = 0,"
    " ready_at = IF(unmet_parents = 0, UTC_TIMESTAMP(6), NULL),"
    " lease_owner = NULL, lease_expires_at = NULL, started_at = NULL,"
    " completed_at = NULL, last_error = NULL,"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_STEP_LOCK[] =
    "SELECT id, position, status, attempts FROM workflow_steps"
    " WHERE task_id = ? AND name = ? FOR UPDATE";
/* The steps' statuses for the parents check of a resolve; locked, so a
 * parent cannot change under the decision. */
static const char SQL_STEP_STATUSES[] =
    "SELECT position, status FROM workflow_steps WHERE task_id = ?"
    " ORDER BY position LOCK IN SHARE MODE";
static const char SQL_STEP_RESOLVE[] =
    "UPDATE workflow_steps SET results = COALESCE(?, results),"
    " completed_at = UTC_TIMESTAMP(6), ready_at = NULL, lease_owner = NULL,"
    " lease_expires_at = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_TASK_UPDATE[] =
    "UPDATE tasks SET reason = IF(?, ?, reason), tags = IF(?, ?, tags),"
    " row_version = row_version + 1, updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
/* ---------------------------------------------------------------- operations */

/* Locks the task row: its status and handler version. */
static tk_err
lock_task(struct tk_db *db, const unsigned char id[16], enum tk_status *st,
    unsigned *hv)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(id, 16);
	int s;
	tk_err e;

	if ((e = tk_db_query(db, SQL_TASK_LOCK, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows != 1) {
		tk_rows_free(&r);
		return TK_ERR_TASK_NOT_FOUND;
	}
	s = tk_status_parse(tk_row_str(&r, 0, 0));
	if (hv != NULL)
		*hv = (unsigned)tk_row_int(&r, 0, 1);
	tk_rows_free(&r);
	if (s < 0)
		return TK_ERR_INTERNAL;
	*st = (enum tk_status)s;
	return TK_OK;
}

struct op_ctx {
	struct tk_task_state        *out;
	const unsigned char         *id;
	const struct tk_handler_def *def;
	const char                  *name;
	enum tk_status               to;
	const char                  *results;
	const char                  *actor;
	const char                  *reason;
	enum tk_status               task_status;
	enum tk_status               step_from;
	long                         parent;   /* a resolve's blocker, -1 */
	enum tk_status               parent_status;
	int                          set_reason;
	int                          set_tags;
};

void
tk_task_state_free(struct tk_task_state *st)
{
	tk_task_row_free(&st->task);
	tk_step_list_free(&st->steps);
}

/*
 * The answer of an operation, read before its commit: the task, and its
 * steps (all of them, or the one called step_name).
 */
static tk_err
read_back(struct tk_db *db, struct op_ctx *c, const char *step_name)
{
	tk_err e;

	tk_task_state_free(c->out);   /* a retried transaction read once */
	if ((e = tk_task_store_get(db, c->id, &c->out->task)) != TK_OK)
		return e;
	if (step_name == NULL)
		return tk_task_store_steps(db, c->id, &c->out->steps);
	return tk_task_store_step(db, c->id, step_name, &c->out->steps);
}

/* tk_db_txn for an operation: its answer is freed when it fails. */
static tk_err
op_txn(struct tk_db *db, tk_txn_fn fn, struct op_ctx *c)
{
	tk_err e;

	memset(c->out, 0, sizeof(*c->out));
	if ((e = tk_db_txn(db, fn, c)) != TK_OK)
		tk_task_state_free(c->out);
	return e;
}

/*
 * Cancels every step of the task that has not finished, then the task
 * (from c->task_status; hv: its handler version).  The caller locked the
 * task row.
 */
static tk_err
cancel_all(struct tk_db *db, struct op_ctx *c, unsigned hv)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(c->id, 16);
	size_t i;
	int s;
	tk_err e;

	if ((e = tk_db_query(db, SQL_STEPS_CANCELLABLE, &a, 1, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows && e == TK_OK; i++) {
		if ((s = tk_status_parse(tk_row_str(&r, i, 1))) < 0) {
			e = TK_ERR_INTERNAL;
			break;
		}
		e = tk_state_step(db, (unsigned long long)tk_row_int(&r, i, 0),
		    c->id, (enum tk_status)s, TK_ST_CANCELLED,
		    (unsigned)tk_row_int(&r, i, 2), c->actor, c->reason);
	}
	tk_rows_free(&r);
	if (e != TK_OK)
		return e;
	if ((e = tk_db_exec(db, SQL_STEPS_CLEAR_READY, &a, 1, NULL, NULL))
	    != TK_OK)
		return e;
	if ((e = tk_state_task(db, c->id, hv, c->task_status, TK_ST_CANCELLED,
	    c->actor, c->reason)) != TK_OK)
		return e;
	c->task_status = TK_ST_CANCELLED;
	return TK_OK;
}

static tk_err
cancel_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	unsigned hv = 0;
	tk_err e;

	if ((e = lock_task(db, c->id, &c->task_status, &hv)) != TK_OK)
		return e;
	if (tk_status_final(c->task_status))
		return TK_ERR_CONFLICT;
	if ((e = cancel_all(db, c, hv)) != TK_OK)
		return e;
	return read_back(db, c, NULL);
}

/* Runs a whole-task operation (cancel, retry) in its transaction. */
static tk_err
status_op(struct tk_db *db, tk_txn_fn fn, const unsigned char id[16],
    const char *actor, const char *reason, enum tk_status *status,
    struct tk_task_state *out)
{
	struct op_ctx c;
	tk_err e;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.id = id;
	c.actor = actor;
	c.reason = reason;
	e = op_txn(db, fn, &c);
	*status = c.task_status;
	return e;
}

tk_err
tk_task_store_cancel(struct tk_db *db, const unsigned char id[16],
    const char *actor, const char *reason, enum tk_status *status,
    struct tk_task_state *out)
{
	return status_op(db, cancel_txn, id, actor, reason, status, out);
}

static tk_err
update_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	enum tk_status st;
	struct tk_dbarg a[5];
	tk_err e;

	if ((e = lock_task(db, c->id, &st, NULL)) != TK_OK)
		return e;
	a[0] = TK_PINT(c->set_reason != 0);
	a[1] = TK_POPT(c->reason);
	a[2] = TK_PINT(c->set_tags != 0);
	a[3] = TK_POPT(c->results);   /* the tags */
	a[4] = TK_PBLOB(c->id, 16);
	if ((e = tk_db_exec(db, SQL_TASK_UPDATE, a, 5, NULL, NULL)) != TK_OK)
		return e;
	if (c->set_tags &&
	    (e = tk_task_tags_write(db, c->id, c->results, 1)) != TK_OK)
		return e;
	return read_back(db, c, NULL);
}

tk_err
tk_task_store_update(struct tk_db *db, const unsigned char id[16],
    int set_reason, const char *reason, int set_tags, const char *tags,
    struct tk_task_state *out)
{
	struct op_ctx c;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.id = id;
	c.set_reason = set_reason;
	c.reason = reason;
	c.set_tags = set_tags;
	c.results = tags;
	return op_txn(db, update_txn, &c);
}

static tk_err
retry_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(c->id, 16), sid;
	size_t i;
	tk_err e;

	if ((e = lock_task(db, c->id, &c->task_status, NULL)) != TK_OK)
		return e;
	if (c->task_status != TK_ST_ERROR)
		return TK_ERR_CONFLICT;
	if ((e = tk_db_query(db, SQL_STEPS_FAILED, &a, 1, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows && e == TK_OK; i++) {
		e = tk_state_step(db, (unsigned long long)tk_row_int(&r, i, 0),
		    c->id, TK_ST_ERROR, TK_ST_PENDING,
		    (unsigned)tk_row_int(&r, i, 1), c->actor, c->reason);
		sid = TK_PINT(tk_row_int(&r, i, 0));
		if (e == TK_OK)
			e = tk_db_exec(db, SQL_STEP_RESET, &sid, 1, NULL, NULL);
	}
	tk_rows_free(&r);
	if (e != TK_OK)
		return e;
	if ((e = tk_state_task_refresh(db, c->id, c->actor, c->reason,
	    &c->task_status)) != TK_OK)
		return e;
	return read_back(db, c, NULL);
}

tk_err
tk_task_store_retry(struct tk_db *db, const unsigned char id[16],
    const char *actor, const char *reason, enum tk_status *status,
    struct tk_task_state *out)
{
	return status_op(db, retry_txn, id, actor, reason, status, out);
}

/*
 * Dependency order: c->parent gets the first parent of step pos that is
 * not complete or resolved_manually (-1: none), read under a shared lock.
 */
static tk_err
unfinished_parent(struct tk_db *db, struct op_ctx *c, size_t pos)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(c->id, 16);
	enum tk_status *st = NULL;
	size_t i, n = c->def->nsteps, p;
	int s;
	tk_err e;

	c->parent = -1;
	if (pos >= n || c->def->steps[pos].nparents == 0)
		return TK_OK;
	if ((e = tk_db_query(db, SQL_STEP_STATUSES, &a, 1, &r)) != TK_OK)
		return e;
	if ((st = calloc(n, sizeof(*st))) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		st[i] = TK_ST_PENDING;   /* a missing row: not finished */
	for (i = 0; i < r.nrows; i++) {
		p = (size_t)tk_row_int(&r, i, 0);
		s = tk_status_parse(tk_row_str(&r, i, 1));
		if (p < n && s >= 0)
			st[p] = (enum tk_status)s;
	}
	c->parent = tk_state_unfinished_parent(c->def, pos, st, n);
	if (c->parent >= 0)
		c->parent_status = st[c->parent];
out:
	free(st);
	tk_rows_free(&r);
	return e;
}

/* Resolves step sid (at pos) by hand, when its parents have finished. */
static tk_err
resolve_step(struct tk_db *db, struct op_ctx *c, unsigned long long sid,
    size_t pos, unsigned attempts)
{
	struct tk_dbarg a[2];
	tk_err e;

	if ((e = unfinished_parent(db, c, pos)) != TK_OK)
		return e;
	if (c->parent >= 0)
		return TK_ERR_CONFLICT;
	if ((e = tk_state_step(db, sid, c->id, c->step_from, c->to, attempts,
	    c->actor, c->reason)) != TK_OK)
		return e;
	a[0] = TK_POPT(c->results);
	a[1] = TK_PINT(sid);
	if ((e = tk_db_exec(db, SQL_STEP_RESOLVE, a, 2, NULL, NULL)) != TK_OK)
		return e;
	if (pos < c->def->nsteps &&
	    (e = tk_state_release_children(db, c->id, c->def, pos)) != TK_OK)
		return e;
	return tk_state_task_refresh(db, c->id, c->actor, c->reason,
	    &c->task_status);
}

static tk_err
step_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	unsigned long long sid;
	unsigned attempts, hv = 0;
	size_t pos;
	int s;
	tk_err e;

	c->parent = -1;
	if ((e = lock_task(db, c->id, &c->task_status, &hv)) != TK_OK)
		return e;
	a[0] = TK_PBLOB(c->id, 16);
	a[1] = TK_PSTR(c->name);
	if ((e = tk_db_query(db, SQL_STEP_LOCK, a, 2, &r)) != TK_OK)
		return e;
	if (r.nrows != 1) {
		tk_rows_free(&r);
		return TK_ERR_STEP_NOT_FOUND;
	}
	sid = (unsigned long long)tk_row_int(&r, 0, 0);
	pos = (size_t)tk_row_int(&r, 0, 1);
	s = tk_status_parse(tk_row_str(&r, 0, 2));
	attempts = (unsigned)tk_row_int(&r, 0, 3);
	tk_rows_free(&r);
	if (s < 0)
		return TK_ERR_INTERNAL;
	c->step_from = (enum tk_status)s;
	if (tk_status_final(c->task_status) ||
	    !tk_step_transition_legal(c->step_from, c->to))
		return TK_ERR_CONFLICT;
	/* A cancelled step can never complete, nor can its task: the rest
	 * of the task is cancelled with it, none of it left pending. */
	if (c->to == TK_ST_CANCELLED)
		e = cancel_all(db, c, hv);
	else
		e = resolve_step(db, c, sid, pos, attempts);
	if (e != TK_OK)
		return e;
	return read_back(db, c, c->name);
}

tk_err
tk_task_store_step_set(struct tk_db *db, const unsigned char id[16],
    const struct tk_handler_def *def, const char *name, enum tk_status to,
    const char *results, const char *actor, const char *reason,
    struct tk_step_set_info *info, struct tk_task_state *out)
{
	struct op_ctx c;
	tk_err e;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.id = id;
	c.def = def;
	c.name = name;
	c.to = to;
	c.results = results;
	c.actor = actor;
	c.reason = reason;
	c.parent = -1;
	e = op_txn(db, step_txn, &c);
	info->from = c.step_from;
	info->task_status = c.task_status;
	info->parent = e == TK_ERR_CONFLICT ? c.parent : -1;
	info->parent_status = c.parent_status;
	return e;
}
