/*
 * internal.h - what the files of the engine share and nobody else sees
 * (the public surface is include/tasker/engine.h):
 *
 *   engine.c   orchestration: claim -> run -> record, the reaper.
 *   lease.c    the lease slot, and the engine's bookkeeping in it.
 *   keeper.c   the tick of a running step: lease renewal, shutdown,
 *              an operator's cancel or resolve.
 *   attempt.c  one attempt: the handler's stdin document and
 *              environment, the exec run, and the judging of its end
 *              into an outcome.
 *   record.c   the outcome recorded (compare-and-set on the lease), the
 *              retry delay, the lease slot emptied.
 *
 * Ownership: struct tk_engine owns its connections, catalog and strings
 * (engine.c creates and frees them); a claim lives on run_one()'s stack;
 * an outcome's results and error are its owner's (run_claimed()).
 */
#ifndef TASKER_ENGINE_INTERNAL_H
#define TASKER_ENGINE_INTERNAL_H

#include <signal.h>

#include "tasker/buf.h"
#include "tasker/config.h"
#include "tasker/db.h"
#include "tasker/engine.h"
#include "tasker/exec.h"
#include "tasker/handler.h"
#include "tasker/worker.h"

#define REASON_MAX       200    /* transition reasons, log errors */

struct tk_engine {
	const struct tk_config  *cfg;
	struct tk_db            *db;
	/* Lease renewal only: short timeouts, no retry (config.h). */
	struct tk_db_config      lease_cfg;
	struct tk_db            *lease_db;
	struct tk_lease_slot    *slot;       /* NULL: no watchdog */
	long long                held_at;    /* the last renewal that held
	                                        was sent then (monotonic) */
	unsigned long long       max_packet; /* the server's; 0: not known */
	struct tk_catalog       *cat;
	char                     owner[TK_ENGINE_OWNER_MAX];
	char                     actor[TK_ENGINE_OWNER_MAX + 8];
	volatile sig_atomic_t   *stop;
	long long                stop_at;
	const char              *work_dir;
	char                    *path;
	struct tk_run_as         as;         /* who handlers run as */
};

/* A claimed step: what the claim read and wrote. */
struct claim {
	unsigned long long id;
	unsigned char      task[16];
	char               task_str[37];
	size_t             position;
	char               name[TK_NAME_MAX + 1];
	unsigned           attempt;          /* this attempt's number */
	unsigned long long epoch;            /* its lease_epoch */
	unsigned           hv;
	char               ns[TK_NAME_MAX + 1];
	char               handler[TK_NAME_MAX + 1];
	char               version[TK_NAME_MAX + 1];
};

/*
 * What a chain of one task's steps (tk_engine_run_one) already has in
 * memory, so that a chained step's stdin needs no read: the task's
 * context (it never changes) and the results of the step this chain
 * just recorded, the bytes its committed row holds.  Owned by
 * tk_engine_run_one, freed by eng_carry_free.
 */
struct carry {
	unsigned char task[16];
	int           have_context;     /* context below is the task's */
	char         *context;
	size_t        context_len;
	char          step[TK_NAME_MAX + 1];   /* whose results follow */
	char         *results;          /* NULL: none carried */
	size_t        results_len;
};

/* A claim transaction's result. */
struct claim_arg {
	struct claim c;
	int          found;    /* c is ours to run */
	int          cleared;  /* a stale ready mark was removed */
	char        *context;  /* the ordinary claim's read of its task's
	                          context (the caller's to free), or NULL */
	size_t       context_len;
};

enum outcome_kind { O_SUCCESS, O_FAILURE, O_RELEASE, O_LOST };

struct outcome {
	enum outcome_kind  kind;
	char              *results;      /* O_SUCCESS: JSON text (owned) */
	struct tk_buf      error;        /* O_FAILURE: last_error */
	char               reason[REASON_MAX]; /* short, for logs/history */
	int                permanent;    /* O_FAILURE: no retry whatever */
	int                settled;      /* -1, or the status an operator
	                                    set while it ran (it was stopped) */
	int                requested;    /* the handler asked for delay_ms */
	unsigned long long delay_ms;
};

/* The lease keeper and shutdown watcher of one running step. */
struct run {
	struct tk_engine   *eng;
	const struct claim *c;
	long long           last_try;   /* last renewal attempt */
	long long           stop_seen;
	enum { WHY_NONE, WHY_LOST, WHY_STOP } why;
	long long           last_check; /* last look for an operator's change */
	int                 settled;    /* -1, or what an operator made the
	                                   step while it ran */
};

/* ---- engine.c */

/* A task that takes no more steps: cancelled, or final. */
int    eng_task_closed(int status);
/* *stop is set, or the stop time passed (now: monotonic ms). */
int    eng_stop_requested(const struct tk_engine *eng, long long now);
/* The chained claim, in the record's transaction of parent's success:
 * a ready step of the same task (whose row the record locked, status
 * tst) becomes ours in a (a->found), so the worker runs it next without
 * a claim transaction of its own.  Nothing when the task is closed or
 * the engine is stopping. */
tk_err eng_claim_chained(struct tk_engine *eng, const struct claim *parent,
    int tst, struct claim_arg *a);
/* One transaction of the engine, through tk_db_txn() (db.h: the retries
 * of deadlocks and lock waits). */
typedef tk_err (*eng_txn_fn)(struct tk_engine *eng, void *arg);
tk_err eng_txn(struct tk_engine *eng, eng_txn_fn fn, void *arg);

/* ---- lease.c: the slot's protocol is in engine.h; the watchdog is
 * worker.c's. */

/* When the lease really expires (monotonic ms): the last renewal that
 * held was sent then, plus the lease. */
long long eng_lease_expiry(const struct tk_engine *eng);
/* A claim, sent at t (monotonic ms), made step ours. */
void   eng_lease_begin(struct tk_engine *eng, unsigned long long step,
    long long t);
/* A renewal sent at t held. */
void   eng_lease_renewed(struct tk_engine *eng, long long t);
/* 1 when the watchdog fenced the attempt (it is lost). */
int    eng_lease_fenced(const struct tk_engine *eng);
/* The handler is over: 1 when the outcome is still ours to record (the
 * watchdog did not fence the attempt); the slot then holds the step
 * until the lease's real expiry. */
int    eng_lease_to_record(struct tk_engine *eng);
/* The attempt is over: the slot is empty again. */
void   eng_lease_end(struct tk_engine *eng);

/* ---- keeper.c */

/* run watches claim c of eng from now on. */
void   eng_run_init(struct run *run, struct tk_engine *eng,
    const struct claim *c);
/* The exec runner's tick (exec.h: tk_exec_spec.tick), arg a struct run. */
int    eng_run_tick(void *arg);

/* ---- attempt.c */

/* Runs handler step sd of def for claim c, and turns what happened into
 * o (o->settled -1 and o->error initialised by the caller).  The stdin
 * document takes what cy carries and leaves the task's context in it. */
void   eng_execute(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, const struct tk_step_def *sd,
    struct carry *cy, struct outcome *o);
/* Success o of claim c was recorded and the chain goes on: cy takes its
 * results (o->results becomes NULL). */
void   eng_carry_results(struct carry *cy, const struct claim *c,
    struct outcome *o);
void   eng_carry_free(struct carry *cy);
/* o becomes a failure: reason what (cut short), last_error what and
 * the tail of err (tk_engine_error_text). */
void   eng_fail_with(struct outcome *o, const char *what, const char *err,
    size_t err_len);

/* ---- limits.c */

/* 1 when the handler or step template sd has a flow limit: only then
 * does the claim take a slot or a start (the plain claim adds no query). */
int    eng_limited(const struct tk_handler_def *def,
    const struct tk_step_def *sd);
/*
 * Ready step s (locked) of task t (locked), of template sd of def, in
 * the claim's transaction: its slots and its start are taken, or *held
 * 1 and it stays pending, held (the reason in the dependency analysis),
 * looked at again when a slot or the next start may be free.
 */
tk_err eng_claim_limits(struct tk_db *db, const struct tk_handler_def *def,
    const struct tk_step_def *sd, const struct tk_step_ready *s,
    const struct tk_step_task *t, int *held);

/* ---- record.c */

/*
 * Records o, the handler being over: nothing when the attempt was fenced
 * or lost; a success the database refuses becomes a failure with the
 * database's reason.  Then the lease slot is empty again.  *lost: the
 * attempt was not ours any more; *again: it will be retried.  next (may
 * be NULL) gets the chained claim a success's record made
 * (eng_claim_chained), its lease taken at next_t (monotonic ms, before
 * the transaction that wrote it).
 */
tk_err eng_settle(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, struct outcome *o, int *lost,
    int *again, struct claim_arg *next, long long *next_t);

#endif
