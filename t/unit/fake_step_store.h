/*
 * fake_step_store.h - an in-memory stand-in for the engine's store, so
 * the engine's decisions run without MariaDB (t/engine_flow_tests).
 *
 * fake_step_store.c defines, over the one world below, every call the
 * engine and state.c make into the store: step_store.h and
 * transition_store.h whole, the few db.h calls (tk_db_new, tk_db_txn,
 * ...) and the catalog's lookup (tk_catalog_refresh, tk_catalog_by_id).
 * Linked before libtasker.a, these definitions keep the archive's
 * db.o, step_store.o, transition_store.o and catalog.o out of the
 * program; the engine's own objects (engine.o, record.o, state.o, ...)
 * come from the archive unchanged.
 *
 * The fake keeps the rows' meaning (step_store.h), not SQL: one clock
 * (fake.now_us, the database's UTC_TIMESTAMP) that only the tests move,
 * ready_at as ready + ready_at_us, a lease as owner + expiry.  tk_db_txn
 * runs fn once on a copy of the world and keeps the copy only when fn
 * returns TK_OK, as a rollback would.
 */
#ifndef TASKER_FAKE_STEP_STORE_H
#define TASKER_FAKE_STEP_STORE_H

#include "tasker/engine.h"
#include "tasker/handler.h"
#include "tasker/state.h"
#include "tasker/step_store.h"

#define FAKE_STEPS    8
#define FAKE_HISTORY  64
#define FAKE_TEXT     (TK_ENGINE_ERROR_MAX + 1)

struct fake_task {
	unsigned char id[16];
	int           status;           /* enum tk_status */
	unsigned      hv;
	char          context[256];
};

struct fake_step {
	unsigned long long id;          /* 0: no step in this slot */
	unsigned char      task[16];
	size_t             position;
	char               name[TK_NAME_MAX + 1];
	int                status;      /* enum tk_status */
	unsigned           attempts;
	unsigned           retry_limit;
	int                retryable;
	unsigned           unmet_parents;
	unsigned long long lease_epoch;
	int                ready;       /* ready_at is not NULL */
	long long          ready_at_us;
	int                leased;      /* lease_expires_at is not NULL */
	long long          lease_expires_us;
	char               owner[TK_STEP_OWNER_SIZE]; /* "": NULL */
	int                has_results;
	char               results[FAKE_TEXT];
	char               last_error[FAKE_TEXT];     /* "": NULL */
};

/* One row of step_transitions. */
struct fake_transition {
	unsigned long long step;
	int                from, to;
	unsigned           attempt;
	char               reason[200];
};

struct fake_world {
	long long              now_us;      /* the database's clock */
	struct fake_task       task;        /* one task is enough */
	struct fake_step       steps[FAKE_STEPS];
	size_t                 nsteps;
	struct fake_transition history[FAKE_HISTORY];
	size_t                 nhistory;
	unsigned               task_changes; /* rows of task_transitions */
	/* Set by a test: step steal_step goes to another worker (its
	 * reaper and claim ran while ours was busy) at the next
	 * tk_step_store_lock_held() (the record), or with steal_on_renew
	 * at the next tk_step_store_renew(). */
	unsigned long long     steal_step;
	int                    steal_on_renew;
	int                    steal_same_attempt; /* its attempt number is
	                                              ours (an operator's
	                                              retry reset attempts) */
	/* Set by a test: tk_step_store_done() fails with a database error
	 * that is not transient (e.g. the results are too large). */
	int                    refuse_results;
	int                    db_transient;
	unsigned               txns;        /* transactions committed */
	/* Flow limits (0012): calls into the store's limits (slots, rate,
	 * holds) committed; a rate limit allows a start unless a test sets
	 * rate_wait_us, then the step is held that long. */
	unsigned               limit_calls;
	long long              rate_wait_us;
	/* Reads of the context or of a step's results for a step's stdin
	 * (a context or a results counts one each) outside the claim. */
	unsigned               input_reads;
};

extern struct fake_world fake;

/* An empty world with one pending task of handler version hv, whose
 * definition is def (the catalog's only version). */
void              fake_reset(unsigned hv, const struct tk_handler_def *def);
/* Adds step position of def (name, retry policy and parents from it):
 * pending, ready now when it has no parent. */
struct fake_step *fake_add_step(const struct tk_handler_def *def,
    size_t position);
struct fake_step *fake_step(size_t position);
/* The last transition of step s, or NULL. */
const struct fake_transition *fake_last_transition(
    const struct fake_step *s);

#endif
