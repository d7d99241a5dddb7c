/*
 * state.c - the transition tables, and the only module that decides a
 * status change.
 *
 * Each write is compare-and-set on the current status, so two actors
 * racing for the same change (two workers, a worker and an operator) end
 * with one winner and one TK_ERR_CONFLICT, never a lost update.  The
 * statements are the transition store's (transition_store.h): it writes
 * what it is told here.
 */
#include "tasker/state.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/handler.h"
#include "tasker/step_store.h"
#include "tasker/transition_store.h"

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

/* A random counter slot: concurrent writers seldom wait for one row. */
static unsigned
count_slot(void)
{
	return (unsigned)(rand() % COUNT_SLOTS);
}

static tk_err
count(struct tk_db *db, unsigned hv_id, enum tk_status s, int delta)
{
	return tk_transition_store_count(db, hv_id, s, count_slot(), delta);
}

tk_err
tk_state_tasks_purged(struct tk_db *db, unsigned hv_id, enum tk_status s,
    unsigned n)
{
	return count(db, hv_id, s, -(int)n);
}

tk_err
tk_state_step(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason)
{
	return tk_state_step_also(db, step_id, task_id, from, to, attempt,
	    actor, reason, NULL);
}

tk_err
tk_state_step_also(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason,
    const struct tk_step_also *also)
{
	int changed;
	tk_err e;

	if (!tk_step_transition_legal(from, to))
		return TK_ERR_CONFLICT;
	if (also != NULL)
		e = tk_transition_store_step_cas_also(db, step_id, task_id,
		    from, to, also, &changed);
	else
		e = tk_transition_store_step_cas(db, step_id, from, to,
		    &changed);
	if (e != TK_OK)
		return e;
	if (!changed)
		return TK_ERR_CONFLICT;
	if (also != NULL && also->hold_log)
		return tk_transition_store_step_hold(db, step_id, task_id,
		    from, to, attempt, actor, reason);
	return tk_transition_store_step_log(db, step_id, task_id, from, to,
	    attempt, actor, reason);
}

tk_err
tk_state_task(struct tk_db *db, const unsigned char task_id[16],
    unsigned hv_id, enum tk_status from, enum tk_status to,
    const char *actor, const char *reason)
{
	int changed;
	tk_err e;

	if (!tk_task_transition_legal(from, to))
		return TK_ERR_CONFLICT;
	if ((e = tk_transition_store_task_cas(db, task_id, from, to,
	    to == TK_ST_COMPLETE || to == TK_ST_CANCELLED, &changed)) != TK_OK)
		return e;
	if (!changed)
		return TK_ERR_CONFLICT;
	if ((e = tk_transition_store_count_move(db, hv_id, from, to,
	    count_slot())) != TK_OK)
		return e;
	return tk_transition_store_task_log(db, task_id, (int)from, to, actor,
	    reason);
}

tk_err
tk_state_task_created(struct tk_db *db, const unsigned char task_id[16],
    unsigned hv_id, const char *actor, const char *reason)
{
	tk_err e;

	if ((e = count(db, hv_id, TK_ST_PENDING, 1)) != TK_OK)
		return e;
	return tk_transition_store_task_log(db, task_id, -1, TK_ST_PENDING,
	    actor, reason);
}

/* The status the task's steps imply (tk_state_task_derive); a step of
 * a status not known counts as pending. */
static tk_err
derived(struct tk_db *db, const unsigned char task_id[16],
    enum tk_status *want)
{
	struct tk_transition_step *ts = NULL;
	struct tk_step_state *st = NULL;
	size_t i, n;
	tk_err e;

	if ((e = tk_transition_store_steps(db, task_id, &ts, &n)) != TK_OK)
		return e;
	if (n > 0 && (st = calloc(n, sizeof(*st))) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		st[i].status = ts[i].status < 0 ? TK_ST_PENDING :
		    (enum tk_status)ts[i].status;
		st[i].attempts_left = ts[i].ready;
	}
	*want = tk_state_task_derive(st, n);
out:
	free(ts);
	free(st);
	return e;
}

tk_err
tk_state_task_refresh(struct tk_db *db, const unsigned char task_id[16],
    const char *actor, const char *reason, enum tk_status *now)
{
	int s;
	tk_err e;

	if ((e = tk_step_store_lock_task(db, task_id, &s)) != TK_OK)
		return e;
	return tk_state_task_refresh_held(db, task_id, s, 0, actor, reason,
	    now);
}

tk_err
tk_state_task_refresh_held(struct tk_db *db, const unsigned char task_id[16],
    int s, unsigned hv, const char *actor, const char *reason,
    enum tk_status *now)
{
	enum tk_status cur, want;
	tk_err e;

	if (s < 0)
		return TK_ERR_TASK_NOT_FOUND;
	cur = (enum tk_status)s;
	if (now != NULL)
		*now = cur;
	if (tk_status_final(cur))
		return TK_OK;
	if ((e = derived(db, task_id, &want)) != TK_OK)
		return e;
	if (want == cur)
		return TK_OK;
	if (hv == 0 &&
	    (e = tk_transition_store_task_hv(db, task_id, &hv)) != TK_OK)
		return e;
	if ((e = tk_state_task(db, task_id, hv, cur, want, actor, reason)) !=
	    TK_OK)
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
	size_t i, k;
	tk_err e;

	for (i = 0; i < def->nsteps; i++)
		for (k = 0; k < def->steps[i].nparents; k++) {
			if (def->steps[i].parents[k] != step_index)
				continue;
			if ((e = tk_transition_store_release(db, task_id, i)) !=
			    TK_OK)
				return e;
		}
	return TK_OK;
}
