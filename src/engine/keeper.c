/*
 * keeper.c - the tick of one running step (the exec runner calls it
 * every TICK_MS): renews the lease every worker.heartbeat_seconds on the
 * lease connection, watches for shutdown and the lease deadline, and
 * looks for an operator's cancel or resolve.  It decides only whether
 * the handler goes on, is stopped or is killed; attempt.c turns that
 * into an outcome.
 */
#include "internal.h"

#include <string.h>

#include "tasker/clock.h"
#include "tasker/state.h"
#include "tasker/step_store.h"

#define SETTLED_CHECK_MS 1000   /* how often it looks for an operator's
                                   cancel or resolve */

void
eng_run_init(struct run *run, struct tk_engine *eng, const struct claim *c)
{
	memset(run, 0, sizeof(*run));
	run->eng = eng;
	run->c = c;
	run->last_try = run->last_check = tk_now_ms();
	run->settled = -1;
}

/*
 * One renewal, on the lease connection (config.h: it blocks at most
 * TK_LEASE_RENEW_MS).  1 when the lease is no longer ours.
 */
static int
renew(struct run *run, long long now)
{
	struct tk_engine *eng = run->eng;
	const struct tk_worker_config *w = &eng->cfg->worker;
	long long hb = (long long)w->heartbeat_seconds * 1000, sent;
	int held;
	tk_err e;

	run->last_try = now;
	if (!tk_db_connected(eng->lease_db)) {
		/* Connecting is this tick's one blocking call; the renewal
		 * is the next tick's. */
		run->last_try = tk_db_ensure(eng->lease_db) == TK_OK ?
		    now - hb : now - hb + 1000;
		return 0;
	}
	sent = tk_now_ms();
	e = tk_step_store_renew(eng->lease_db, run->c->id, eng->owner,
	    run->c->attempt, w->lease_seconds, &held);
	if (e == TK_OK && held)
		eng_lease_renewed(eng, sent);
	else if (e == TK_OK)
		return 1;   /* taken back, or settled by an operator */
	else
		run->last_try = now - hb + 1000;   /* again in a second */
	return 0;
}

static int
on_tick(void *p)
{
	struct run *run = p;
	struct tk_engine *eng = run->eng;
	const struct tk_worker_config *w = &eng->cfg->worker;
	long long now = tk_now_ms();

	if (eng_stop_requested(eng, now)) {
		if (run->stop_seen == 0)
			run->stop_seen = now;
		if (now - run->stop_seen >=
		    (long long)w->shutdown_grace_seconds * 1000) {
			run->why = WHY_STOP;
			return 1;
		}
	}
	/* Fenced by the watchdog (we were stopped past the deadline): the
	 * attempt is lost; renewing now would only delay the reaper. */
	if (eng_lease_fenced(eng)) {
		run->why = WHY_LOST;
		return 1;
	}
	if (now - run->last_try >= (long long)w->heartbeat_seconds * 1000 &&
	    renew(run, now)) {
		run->why = WHY_LOST;
		return 1;
	}
	/* The same deadline as the watchdog's, for an engine without one. */
	if (tk_now_ms() >= eng_lease_expiry(eng) - TK_LEASE_MARGIN_MS) {
		run->why = WHY_LOST;
		return 1;
	}
	return 0;
}

/*
 * 1 when an operator cancelled or resolved the step while it runs (the
 * status is no longer in_progress, the attempt still ours): one primary
 * key read every SETTLED_CHECK_MS, or now with force, on the lease
 * connection (its short timeouts keep the tick loop, and so the
 * renewals, moving).  A read that fails, or no lease connection yet,
 * says 0: the lease renewal deals with a database that went away.
 */
static int
settled_check(struct run *run, int force)
{
	long long now = tk_now_ms();
	unsigned attempts;
	int st;

	if (run->settled >= 0)
		return 1;
	if (!force && now - run->last_check < SETTLED_CHECK_MS)
		return 0;
	run->last_check = now;
	if (!tk_db_connected(run->eng->lease_db) ||
	    tk_step_store_status(run->eng->lease_db, run->c->id, &st,
	    &attempts) != TK_OK)
		return 0;
	if ((st == TK_ST_CANCELLED || st == TK_ST_RESOLVED_MANUALLY) &&
	    attempts == run->c->attempt)
		run->settled = st;
	return run->settled >= 0;
}

/*
 * The tick of a running step: on_tick (lease, shutdown), and the look for
 * an operator's cancel or resolve.  A step to stop gets SIGTERM, the
 * grace, SIGKILL; a lost lease kills at once (the attempt may be another
 * worker's by now) unless the step was settled by an operator (then no
 * worker runs it again).
 */
int
eng_run_tick(void *p)
{
	struct run *run = p;

	if (on_tick(p) != 0) {
		if (run->why == WHY_LOST && !settled_check(run, 1))
			return TK_EXEC_TICK_KILL;
		return TK_EXEC_TICK_STOP;
	}
	return settled_check(run, 0) ? TK_EXEC_TICK_STOP :
	    TK_EXEC_TICK_GO_ON;
}
