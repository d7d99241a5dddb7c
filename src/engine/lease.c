/*
 * lease.c - the lease slot a worker process shares with the watchdog
 * (the protocol is in engine.h; the watchdog is worker.c's), and the
 * engine's bookkeeping in it (internal.h: eng_lease_*): the deadline it
 * publishes follows the last renewal that held.  Lock-free: atomics
 * only, and tk_lease_fence_started() runs in the handler's process
 * before exec, so it is async-signal-safe.
 */
#include "tasker/engine.h"
#include "internal.h"

#include <signal.h>
#include <time.h>

#include "tasker/clock.h"

int
tk_lease_check(struct tk_lease_slot *s, long long now, int *pgid)
{
	int st = atomic_load(&s->state);

	*pgid = 0;
	if ((st != TK_LEASE_RUN && st != TK_LEASE_RECORD) ||
	    now < atomic_load(&s->deadline))
		return 0;
	if (!atomic_compare_exchange_strong(&s->state, &st, TK_LEASE_KILLING))
		return 0;   /* the worker moved on meanwhile */
	/* While KILLING the worker does not reap the handler
	 * (tk_lease_fence_ended): pgid is still the handler's group. */
	if ((*pgid = atomic_load(&s->pgid)) > 0)
		(void)kill(-*pgid, SIGKILL);
	atomic_store(&s->state, TK_LEASE_FENCED);
	return 1;
}

int
tk_lease_holds(struct tk_lease_slot *s, unsigned long long step)
{
	int st = atomic_load(&s->state);

	return (st == TK_LEASE_RUN || st == TK_LEASE_RECORD) &&
	    atomic_load(&s->step) == step;
}

/* Waits (a moment, bounded) while the watchdog is killing. */
static void
kill_wait(struct tk_lease_slot *s)
{
	static const struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 1000 && atomic_load(&s->state) == TK_LEASE_KILLING;
	    i++)
		(void)nanosleep(&ms, NULL);
}

void
tk_lease_clear(struct tk_lease_slot *s)
{
	int st;

	for (;;) {
		kill_wait(s);
		st = atomic_load(&s->state);
		if (atomic_compare_exchange_strong(&s->state, &st,
		    TK_LEASE_IDLE))
			break;
	}
	atomic_store(&s->pgid, 0);
	atomic_store(&s->step, 0);
}

/* Runs in the handler's process before exec: async-signal-safe. */
int
tk_lease_fence_started(void *arg, pid_t pgid)
{
	struct tk_lease_slot *s = arg;
	int st = TK_LEASE_RUN;

	atomic_store(&s->pgid, (int)pgid);
	/* Past the deadline already (the worker was stopped since the
	 * claim), and the watchdog has not looked yet: fence it here. */
	if (tk_now_ms() >= atomic_load(&s->deadline))
		(void)atomic_compare_exchange_strong(&s->state, &st,
		    TK_LEASE_FENCED);
	/* Fenced: the watchdog may not have seen pgid; do not run at all. */
	return atomic_load(&s->state) == TK_LEASE_RUN ? 0 : -1;
}

/* The handler exited and is not reaped yet (exec.h). */
void
tk_lease_fence_ended(void *arg)
{
	struct tk_lease_slot *s = arg;

	atomic_store(&s->pgid, 0);
	kill_wait(s);
}

/* ---------------------------------------------------------------- the engine's
 * bookkeeping (internal.h) */

long long
eng_lease_expiry(const struct tk_engine *eng)
{
	return eng->held_at + (long long)eng->cfg->worker.lease_seconds * 1000;
}

/* A claim, sent at t (monotonic ms), made step ours. */
void
eng_lease_begin(struct tk_engine *eng, unsigned long long step, long long t)
{
	struct tk_lease_slot *s = eng->slot;

	eng->held_at = t;
	if (s == NULL)
		return;
	atomic_store(&s->pgid, 0);
	atomic_store(&s->step, step);
	atomic_store(&s->deadline, eng_lease_expiry(eng) - TK_LEASE_MARGIN_MS);
	atomic_store(&s->state, TK_LEASE_RUN);
}

/* A renewal sent at t held. */
void
eng_lease_renewed(struct tk_engine *eng, long long t)
{
	eng->held_at = t;
	if (eng->slot != NULL)
		atomic_store(&eng->slot->deadline,
		    eng_lease_expiry(eng) - TK_LEASE_MARGIN_MS);
}

int
eng_lease_fenced(const struct tk_engine *eng)
{
	int st;

	if (eng->slot == NULL)
		return 0;
	st = atomic_load(&eng->slot->state);
	return st == TK_LEASE_KILLING || st == TK_LEASE_FENCED;
}

/* The handler is over: 1 when the outcome is still ours to record (the
 * watchdog did not fence the attempt); the slot then holds the step
 * until the lease's real expiry. */
int
eng_lease_to_record(struct tk_engine *eng)
{
	int st = TK_LEASE_RUN;

	if (eng->slot == NULL)
		return 1;
	atomic_store(&eng->slot->deadline, eng_lease_expiry(eng));
	return atomic_compare_exchange_strong(&eng->slot->state, &st,
	    TK_LEASE_RECORD);
}

void
eng_lease_end(struct tk_engine *eng)
{
	if (eng->slot != NULL)
		tk_lease_clear(eng->slot);
}
