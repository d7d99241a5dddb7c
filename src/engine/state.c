/*
 * state.c - the transition tables and every status write.
 *
 * Each write is compare-and-set on the current status, so two actors
 * racing for the same change (two workers, a worker and an operator) end
 * with one winner and one TK_ERR_CONFLICT, never a lost update.
 */
#include "tasker/state.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/handler.h"

#define COUNT_SLOTS 8

static const char *const names[TK_ST__COUNT] = {
	"pending", "in_progress", "complete", "error", "cancelled",
	"resolved_manually"
};

#define P TK_ST_PENDING
#define I TK_ST_IN_PROGRESS
#define C TK_ST_COMPLETE
#define E TK_ST_ERROR
#define X TK_ST_CANCELLED
#define R TK_ST_RESOLVED_MANUALLY

/* step_legal[from][to] */
static const unsigned char step_legal[TK_ST__COUNT][TK_ST__COUNT] = {
	/*            P  I  C  E  X  R */
	[P] = {       0, 1, 0, 0, 1, 1 },
	[I] = {       1, 0, 1, 1, 1, 1 },
	[C] = {       0, 0, 0, 0, 0, 0 },
	[E] = {       1, 1, 0, 0, 1, 1 },
	[X] = {       0, 0, 0, 0, 0, 0 },
	[R] = {       0, 0, 0, 0, 0, 0 },
};

/* task_legal[from][to] */
static const unsigned char task_legal[TK_ST__COUNT][TK_ST__COUNT] = {
	/*            P  I  C  E  X  R */
	[P] = {       0, 1, 1, 1, 1, 0 },
	[I] = {       1, 0, 1, 1, 1, 0 },
	[C] = {       0, 0, 0, 0, 0, 0 },
	[E] = {       1, 1, 1, 0, 1, 0 },
	[X] = {       0, 0, 0, 0, 0, 0 },
	[R] = {       0, 0, 0, 0, 0, 0 },
};

#undef P
#undef I
#undef C
#undef E
#undef X
#undef R

static const char SQL_STEP_CAS[] =
    "UPDATE workflow_steps SET status = ?, updated_at = UTC_TIMESTAMP(6)"
    " WHERE id = ? AND status = ?";
static const char SQL_STEP_TRANSITION[] =
    "INSERT INTO step_transitions (step_id, task_id, from_status, to_status,"
    " attempt, actor, reason, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
static const char SQL_TASK_CAS[] =
    "UPDATE tasks SET status = ?, updated_at = UTC_TIMESTAMP(6),"
    " completed_at = IF(?, UTC_TIMESTAMP(6), NULL)"
    " WHERE id = ? AND status = ?";
static const char SQL_TASK_TRANSITION[] =
    "INSERT INTO task_transitions (task_id, from_status, to_status, actor,"
    " reason, created_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
static const char SQL_COUNT[] =
    "INSERT INTO task_counts (handler_version_id, status, slot, n)"
    " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)";
static const char SQL_TASK_LOCK[] =
    "SELECT status FROM tasks WHERE id = ? FOR UPDATE";
static const char SQL_TASK_HV[] =
    "SELECT handler_version_id FROM tasks WHERE id = ?";
static const char SQL_STEPS[] =
    "SELECT status, ready_at IS NOT NULL FROM workflow_steps"
    " WHERE task_id = ?";
/* ready_at is assigned first: MariaDB evaluates SET left to right. */
static const char SQL_RELEASE[] =
    "UPDATE workflow_steps SET"
    " ready_at = IF(unmet_parents = 1 AND status = 'pending',"
    "   UTC_TIMESTAMP(6), ready_at),"
    " unmet_parents = unmet_parents - 1, updated_at = UTC_TIMESTAMP(6)"
    " WHERE task_id = ? AND position = ? AND unmet_parents > 0";

/* ---------------------------------------------------------------- tables */

const char *
tk_status_name(enum tk_status s)
{
	if ((int)s < 0 || s >= TK_ST__COUNT)
		return "unknown";
	return names[s];
}

int
tk_status_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < TK_ST__COUNT; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
in_range(enum tk_status s)
{
	return (int)s >= 0 && s < TK_ST__COUNT;
}

int
tk_step_transition_legal(enum tk_status from, enum tk_status to)
{
	return in_range(from) && in_range(to) && step_legal[from][to];
}

int
tk_task_transition_legal(enum tk_status from, enum tk_status to)
{
	return in_range(from) && in_range(to) && task_legal[from][to];
}

int
tk_status_final(enum tk_status s)
{
	return s == TK_ST_COMPLETE || s == TK_ST_CANCELLED ||
	    s == TK_ST_RESOLVED_MANUALLY;
}

unsigned
tk_step_max_attempts(int retryable, unsigned retry_limit)
{
	if (!retryable)
		return 1;
	return retry_limit >= 1000000 ? 1000001 : retry_limit + 1;
}

enum tk_status
tk_state_task_derive(const struct tk_step_state *steps, size_t n)
{
	size_t i, done = 0;
	int failed = 0, started = 0, running = 0, cancelled = 0;

	for (i = 0; i < n; i++) {
		switch (steps[i].status) {
		case TK_ST_COMPLETE:
		case TK_ST_RESOLVED_MANUALLY:
			done++;
			started = 1;
			break;
		case TK_ST_ERROR:
			if (!steps[i].attempts_left)
				failed = 1;
			started = 1;
			break;
		case TK_ST_CANCELLED:
			cancelled = 1;
			started = 1;
			break;
		case TK_ST_IN_PROGRESS:
			running = 1;
			started = 1;
			break;
		case TK_ST_PENDING:
		default:
			break;
		}
	}
	if (n > 0 && done == n)
		return TK_ST_COMPLETE;
	if (failed)
		return TK_ST_ERROR;
	/* A cancelled step can never complete, so neither can the task:
	 * once nothing runs any more, the task ends cancelled. */
	if (cancelled && !running)
		return TK_ST_CANCELLED;
	return started ? TK_ST_IN_PROGRESS : TK_ST_PENDING;
}

/* ---------------------------------------------------------------- writes */

static tk_err
count(struct tk_db *db, unsigned hv_id, enum tk_status s, int delta)
{
	struct tk_dbarg a[4];

	a[0] = TK_PINT(hv_id);
	a[1] = TK_PSTR(names[s]);
	a[2] = TK_PINT(rand() % COUNT_SLOTS);
	a[3] = TK_PINT(delta);
	return tk_db_exec(db, SQL_COUNT, a, 4, NULL, NULL);
}

tk_err
tk_state_step(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason)
{
	unsigned long long n = 0;
	struct tk_dbarg a[7];
	tk_err e;

	if (!tk_step_transition_legal(from, to))
		return TK_ERR_CONFLICT;
	a[0] = TK_PSTR(names[to]);
	a[1] = TK_PINT(step_id);
	a[2] = TK_PSTR(names[from]);
	if ((e = tk_db_exec(db, SQL_STEP_CAS, a, 3, &n, NULL)) != TK_OK)
		return e;
	if (n != 1)
		return TK_ERR_CONFLICT;
	a[0] = TK_PINT(step_id);
	a[1] = TK_PBLOB(task_id, 16);
	a[2] = TK_PSTR(names[from]);
	a[3] = TK_PSTR(names[to]);
	a[4] = TK_PINT(attempt);
	a[5] = TK_POPT(actor);
	a[6] = TK_POPT(reason);
	return tk_db_exec(db, SQL_STEP_TRANSITION, a, 7, NULL, NULL);
}

tk_err
tk_state_task(struct tk_db *db, const unsigned char task_id[16],
    unsigned hv_id, enum tk_status from, enum tk_status to,
    const char *actor, const char *reason)
{
	unsigned long long n = 0;
	struct tk_dbarg a[5];
	tk_err e;

	if (!tk_task_transition_legal(from, to))
		return TK_ERR_CONFLICT;
	a[0] = TK_PSTR(names[to]);
	a[1] = TK_PINT(to == TK_ST_COMPLETE || to == TK_ST_CANCELLED);
	a[2] = TK_PBLOB(task_id, 16);
	a[3] = TK_PSTR(names[from]);
	if ((e = tk_db_exec(db, SQL_TASK_CAS, a, 4, &n, NULL)) != TK_OK)
		return e;
	if (n != 1)
		return TK_ERR_CONFLICT;
	if ((e = count(db, hv_id, from, -1)) != TK_OK ||
	    (e = count(db, hv_id, to, 1)) != TK_OK)
		return e;
	a[0] = TK_PBLOB(task_id, 16);
	a[1] = TK_PSTR(names[from]);
	a[2] = TK_PSTR(names[to]);
	a[3] = TK_POPT(actor);
	a[4] = TK_POPT(reason);
	return tk_db_exec(db, SQL_TASK_TRANSITION, a, 5, NULL, NULL);
}

tk_err
tk_state_task_created(struct tk_db *db, const unsigned char task_id[16],
    unsigned hv_id, const char *actor, const char *reason)
{
	struct tk_dbarg a[5];
	tk_err e;

	if ((e = count(db, hv_id, TK_ST_PENDING, 1)) != TK_OK)
		return e;
	a[0] = TK_PBLOB(task_id, 16);
	a[1] = TK_PNULL;
	a[2] = TK_PSTR(names[TK_ST_PENDING]);
	a[3] = TK_POPT(actor);
	a[4] = TK_POPT(reason);
	return tk_db_exec(db, SQL_TASK_TRANSITION, a, 5, NULL, NULL);
}

tk_err
tk_state_task_refresh(struct tk_db *db, const unsigned char task_id[16],
    const char *actor, const char *reason, enum tk_status *now)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_step_state *st = NULL;
	struct tk_dbarg a = TK_PBLOB(task_id, 16);
	enum tk_status cur, want;
	unsigned hv;
	size_t i;
	int s;
	tk_err e;

	if ((e = tk_db_query(db, SQL_TASK_LOCK, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows != 1 || (s = tk_status_parse(tk_row_str(&r, 0, 0))) < 0) {
		tk_rows_free(&r);
		return TK_ERR_TASK_NOT_FOUND;
	}
	tk_rows_free(&r);
	cur = (enum tk_status)s;
	if (now != NULL)
		*now = cur;
	if (tk_status_final(cur))
		return TK_OK;
	if ((e = tk_db_query(db, SQL_STEPS, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows > 0 && (st = calloc(r.nrows, sizeof(*st))) == NULL) {
		tk_rows_free(&r);
		return TK_ERR_NOMEM;
	}
	for (i = 0; i < r.nrows; i++) {
		s = tk_status_parse(tk_row_str(&r, i, 0));
		st[i].status = s < 0 ? TK_ST_PENDING : (enum tk_status)s;
		st[i].attempts_left = tk_row_int(&r, i, 1) != 0;
	}
	want = tk_state_task_derive(st, r.nrows);
	tk_rows_free(&r);
	free(st);
	if (want == cur)
		return TK_OK;
	if ((e = tk_db_query(db, SQL_TASK_HV, &a, 1, &r)) != TK_OK)
		return e;
	hv = (unsigned)tk_row_int(&r, 0, 0);
	tk_rows_free(&r);
	if ((e = tk_state_task(db, task_id, hv, cur, want, actor, reason)) != TK_OK)
		return e;
	if (now != NULL)
		*now = want;
	return TK_OK;
}

long
tk_state_unfinished_parent(const struct tk_handler_def *def, size_t pos,
    const enum tk_status *st, size_t n)
{
	const struct tk_step_def *sd;
	size_t k, p;

	if (pos >= def->nsteps)
		return -1;
	sd = &def->steps[pos];
	for (k = 0; k < sd->nparents; k++) {
		p = sd->parents[k];
		if (p >= n || (st[p] != TK_ST_COMPLETE &&
		    st[p] != TK_ST_RESOLVED_MANUALLY))
			return (long)p;
	}
	return -1;
}

tk_err
tk_state_release_children(struct tk_db *db, const unsigned char task_id[16],
    const struct tk_handler_def *def, size_t step_index)
{
	struct tk_dbarg a[2];
	size_t i, k;
	tk_err e;

	for (i = 0; i < def->nsteps; i++)
		for (k = 0; k < def->steps[i].nparents; k++) {
			if (def->steps[i].parents[k] != step_index)
				continue;
			a[0] = TK_PBLOB(task_id, 16);
			a[1] = TK_PINT(i);
			if ((e = tk_db_exec(db, SQL_RELEASE, a, 2, NULL, NULL))
			    != TK_OK)
				return e;
		}
	return TK_OK;
}
