/*
 * record.c - the outcome of an attempt, recorded: one transaction,
 * compare-and-set on lease_owner and attempts (a worker that lost its
 * lease records nothing), the step locked before its task.  The status
 * changes are state.c's (tk_state_step, tk_state_task_refresh,
 * tk_state_release_children); this file picks which, and the retry
 * delay of a failure.  A database that went away is waited for until
 * the lease's real expiry.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/backoff.h"
#include "tasker/clock.h"
#include "tasker/state.h"
#include "tasker/step_store.h"
#include "tasker/transition_store.h"

#define RECORD_WAIT_MS   250    /* between tries of a database away */

static void
sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	(void)nanosleep(&ts, NULL);
}

struct record_arg {
	const struct claim           *c;
	const struct tk_handler_def  *def;
	const struct outcome         *o;
	int                           lost;    /* out: not ours any more */
	int                           again;   /* out: will be retried */
	struct claim_arg             *next;    /* out: the chained claim;
	                                          NULL: none wanted */
};

/* An operator settled the step while it ran (cancelled the task,
 * resolved the step): keep what the handler said, but the status is
 * theirs. */
static tk_err
record_late(struct tk_engine *eng, const struct claim *c,
    const struct outcome *o, int st)
{
	if (o->kind == O_SUCCESS && st == TK_ST_CANCELLED)
		return tk_step_store_late_results(eng->db, c->id, o->results);
	if (o->kind == O_FAILURE)
		return tk_step_store_late_error(eng->db, c->id,
		    tk_buf_str(&o->error));
	return tk_step_store_lease_clear(eng->db, c->id);
}

/* The outcome of a step still in_progress and ours; tst is its task's
 * status, max its attempts in all. */
static tk_err
record_outcome(struct tk_engine *eng, struct record_arg *ra, int tst,
    unsigned attempts, unsigned max)
{
	const struct claim *c = ra->c;
	const struct outcome *o = ra->o;
	struct tk_step_also also;
	enum tk_status now;
	tk_err e = TK_OK;

	switch (o->kind) {
	case O_SUCCESS:
		/* The status and the results in one statement; the history
		 * row goes with the chained claim's, when there is one. */
		memset(&also, 0, sizeof(also));
		also.kind = TK_ALSO_DONE;
		also.results = o->results;
		also.hold_log = ra->next != NULL;
		if ((e = tk_state_step_also(eng->db, c->id, c->task,
		    TK_ST_IN_PROGRESS, TK_ST_COMPLETE, c->attempt, eng->actor,
		    NULL, &also)) != TK_OK)
			break;
		/* A cancelled task's children stay where they are. */
		if (!eng_task_closed(tst))
			e = tk_state_release_children(eng->db, c->task,
			    ra->def, c->position);
		break;
	case O_FAILURE:
		ra->again = !o->permanent && attempts < max &&
		    !eng_task_closed(tst);
		if ((e = tk_state_step(eng->db, c->id, c->task,
		    TK_ST_IN_PROGRESS, TK_ST_ERROR, c->attempt, eng->actor,
		    o->reason)) == TK_OK)
			e = tk_step_store_failed(eng->db, c->id,
			    tk_buf_str(&o->error), ra->again,
			    o->delay_ms * 1000);
		break;
	case O_RELEASE:
		if ((e = tk_state_step(eng->db, c->id, c->task,
		    TK_ST_IN_PROGRESS, TK_ST_PENDING, c->attempt, eng->actor,
		    o->reason)) == TK_OK)
			e = tk_step_store_released(eng->db, c->id,
			    !eng_task_closed(tst));
		break;
	case O_LOST:
		ra->lost = 1;
		return TK_OK;
	}
	if (e != TK_OK)
		return e;
	/* The task is locked since record_txn read tst. */
	if ((e = tk_state_task_refresh_held(eng->db, c->task, tst, c->hv,
	    eng->actor, NULL, &now)) != TK_OK)
		return e;
	/* A child this success made ready: ours now, in this transaction. */
	if (o->kind == O_SUCCESS && ra->next != NULL)
		e = eng_claim_chained(eng, c, (int)now, ra->next);
	return e;
}

/* The record: compare-and-set on lease_owner and attempts, the step
 * locked before its task. */
static tk_err
record_txn(struct tk_engine *eng, void *p)
{
	struct record_arg *ra = p;
	const struct claim *c = ra->c;
	struct tk_step_held h;
	int tst;
	tk_err e;

	ra->lost = ra->again = 0;
	if (ra->next != NULL)
		memset(ra->next, 0, sizeof(*ra->next));   /* a retry's too */
	if ((e = tk_step_store_lock_held(eng->db, c->id, &h)) != TK_OK)
		return e;
	if (!h.found || !h.has_owner || strcmp(h.owner, eng->owner) != 0 ||
	    h.attempts != c->attempt) {
		ra->lost = 1;
		return TK_OK;
	}
	/* The task was locked with the step (lock order: the step first). */
	tst = h.task_status;
	if (h.status != TK_ST_IN_PROGRESS)
		e = record_late(eng, c, ra->o, h.status);
	else
		e = record_outcome(eng, ra, tst, h.attempts,
		    tk_step_max_attempts(h.retryable, h.retry_limit));
	if (e == TK_ERR_CONFLICT) {
		/* The status moved under our lock: impossible; say lost. */
		ra->lost = 1;
	}
	return e;
}

/*
 * Records o.  A database that went away is waited for until the lease's
 * real expiry (the last renewal that held, plus the lease); after that
 * the attempt is the reaper's.
 */
static tk_err
record_retrying(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, const struct outcome *o, int *lost,
    int *again, struct claim_arg *next, long long *next_t)
{
	struct record_arg ra;
	long long until = eng_lease_expiry(eng), left;
	tk_err e;

	memset(&ra, 0, sizeof(ra));
	ra.c = c;
	ra.def = def;
	ra.o = o;
	ra.next = next;
	for (;;) {
		/* Before the transaction that may take a chained lease: a
		 * deadline from it is early, never late. */
		*next_t = tk_now_ms();
		e = eng_txn(eng, record_txn, &ra);
		if (e != TK_ERR_DB_UNAVAILABLE ||
		    (left = until - tk_now_ms()) <= 0)
			break;
		/* Short waits: a database back just before the expiry is
		 * still in time. */
		sleep_ms(left < RECORD_WAIT_MS ? left : RECORD_WAIT_MS);
	}
	*lost = ra.lost;
	*again = ra.again;
	return e;
}

/* The retry delay of a failure that did not ask for one. */
static void
backoff(const struct tk_worker_config *w, const struct claim *c,
    struct outcome *o)
{
	if (o->kind == O_FAILURE && !o->permanent && !o->requested)
		o->delay_ms = tk_backoff_delay_ms(c->attempt,
		    w->backoff_base_seconds, w->backoff_cap_seconds,
		    tk_backoff_random());
}

/* A success the database would not store becomes a failure naming the
 * database's reason. */
static void
refused(struct tk_engine *eng, struct outcome *o)
{
	char what[600];

	snprintf(what, sizeof(what), "the database refused the handler's "
	    "output: %s", tk_db_error(eng->db));
	free(o->results);
	o->results = NULL;
	eng_fail_with(o, what, NULL, 0);
}

/*
 * Records o, the handler being over: nothing when the attempt was fenced
 * or lost; a success the database refuses becomes a failure with the
 * database's reason.  Then the lease slot is empty again.
 */
tk_err
eng_settle(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, struct outcome *o, int *lost,
    int *again, struct claim_arg *next, long long *next_t)
{
	const struct tk_worker_config *w = &eng->cfg->worker;
	long long t = 0;
	tk_err e = TK_OK;

	*lost = *again = 0;
	if (next != NULL)
		memset(next, 0, sizeof(*next));
	if (o->kind != O_LOST && !eng_lease_to_record(eng)) {
		o->kind = O_LOST;
		snprintf(o->reason, sizeof(o->reason), "lease lost: the "
		    "handler was killed at its lease deadline");
	}
	backoff(w, c, o);
	if (o->kind == O_LOST) {
		*lost = 1;
		goto out;
	}
	e = record_retrying(eng, c, def, o, lost, again, next, &t);
	if (e == TK_ERR_DB && o->kind == O_SUCCESS &&
	    !tk_db_transient(eng->db)) {
		/* Not transient: running the handler again would not help the
		 * database take it.  The attempt fails, saying why. */
		refused(eng, o);
		backoff(w, c, o);
		e = record_retrying(eng, c, def, o, lost, again, next, &t);
	}
out:
	eng_lease_end(eng);
	if (next != NULL && (e != TK_OK || *lost))
		memset(next, 0, sizeof(*next));   /* rolled back: not ours */
	if (next_t != NULL)
		*next_t = t;
	return e;
}
