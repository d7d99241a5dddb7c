/*
 * step_store.h - the engine's statements on workflow_steps, tasks and
 * workers: the claim, the lease, the record of an outcome, the reaper,
 * the worker registry (see engine.h for what the engine does with them).
 *
 * Each call is one statement and returns what it read as a typed struct;
 * struct tk_rows never leaves the store.  The store decides nothing: the
 * engine composes the calls into its transactions (through tk_db_txn(),
 * db.h) in the order that gives its guarantees (lock order: the step
 * row(s) first, then the task row), reads what it decides on, and tells
 * the store what to write.  Calls marked "locks" take row locks (FOR
 * UPDATE) and belong inside a transaction.
 *
 * Statuses come back as enum tk_status values (state.h), -1 when the
 * row is missing or holds no status the code knows.
 */
#ifndef TASKER_STEP_STORE_H
#define TASKER_STEP_STORE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/handler.h"

/* Bytes of a lease_owner or workers.id: VARCHAR(128) of utf8mb4. */
#define TK_STEP_OWNER_SIZE  (128 * 4 + 1)
/* Steps one reaper batch takes (the LIMIT of its query). */
#define TK_STEP_REAP_BATCH  20

/* The oldest ready step (locks, SKIP LOCKED: never waits). */
struct tk_step_ready {
	unsigned long long id;
	int                well_formed;  /* 0: task id not 16 bytes or the
	                                    name too long: nothing the
	                                    engine can have written */
	unsigned char      task[16];
	size_t             position;
	char               name[TK_NAME_MAX + 1];
	int                status;
	unsigned           attempts;
	unsigned           retry_limit;
	int                retryable;
	int                unmet_parents;  /* 1 when any parent is unmet */
	unsigned long long lease_epoch;
};

/* The task of a step being claimed (locks). */
struct tk_step_task {
	int       status;      /* -1: no such task */
	unsigned  hv;          /* handler_version_id */
	int       names_ok;    /* 0: a name below is missing or too long */
	char      ns[TK_NAME_MAX + 1];
	char      handler[TK_NAME_MAX + 1];
	char      version[TK_NAME_MAX + 1];
};

/* A step as its lease holder sees it before recording, with its task's
 * status (locks both, the step first, in one statement). */
struct tk_step_held {
	int       found;
	int       status;
	int       task_status; /* -1: no such task */
	unsigned  attempts;
	int       has_owner;   /* lease_owner is not NULL (and fits) */
	char      owner[TK_STEP_OWNER_SIZE];
	int       retryable;
	unsigned  retry_limit;
};

/* A step whose lease expired (locks, SKIP LOCKED). */
struct tk_step_expired {
	unsigned long long id;
	int                task_ok;   /* task id is 16 bytes */
	unsigned char      task[16];
	int                status;
	unsigned           attempts;
	unsigned           retry_limit;
	int                retryable;
	int                has_owner;
	char               owner[TK_STEP_OWNER_SIZE];
};

/* ---- claim */

/* *found 0: no step is ready (or every ready one is locked).  The
 * highest effective priority first: the task's priority plus one point
 * per second since the step became ready (0011_flow_control.sql). */
tk_err tk_step_store_next_ready(struct tk_db *db, struct tk_step_ready *out,
    int *found);
/* The claim's EXPLAIN as "type:key:Extra" (for the store tests: the
 * claim is an ordered range read of ix_steps_claim, no sort). */
tk_err tk_step_store_claim_plan(struct tk_db *db, char *out, size_t outsz);
/* The same among the steps of one task (locks, SKIP LOCKED): the chained
 * claim of a child its parent's record made ready. */
tk_err tk_step_store_next_ready_of(struct tk_db *db,
    const unsigned char task[16], struct tk_step_ready *out, int *found);
/* The claim's task (locked), with its context in *context (the
 * caller's to free; NULL when there is no such task), which the
 * step's stdin needs next: no read of its own before the handler. */
tk_err tk_step_store_claim_task(struct tk_db *db, const unsigned char task[16],
    struct tk_step_task *out, char **context, size_t *context_len);
/* Clears a ready mark that is wrong, so the claim does not find it again. */
tk_err tk_step_store_unready(struct tk_db *db, unsigned long long id);
/*
 * max_in_flight, in the claim's transaction: locks key's row of
 * flow_limits (every claim of key across the fleet queues there until
 * commit), counts the steps of key whose lease is unexpired and, below
 * limit, marks step id with key: *taken 1.  A record clears the lease
 * and a dead worker's expires: its slot comes back with it.
 */
tk_err tk_step_store_slot_take(struct tk_db *db, const char *key,
    unsigned limit, unsigned long long id, int *taken);
/* A step held back by limit key stays pending, marked with key (the
 * dependency analysis says why it waits); the claim looks at it again in
 * half a second. */
tk_err tk_step_store_hold(struct tk_db *db, const char *key,
    unsigned long long id);
/* The same, to be looked at again in wait_us microseconds (a rate
 * limit's next allowed start). */
tk_err tk_step_store_hold_for(struct tk_db *db, const char *key,
    unsigned long long id, long long wait_us);
/*
 * A handler-level limit (0012_flow_keys_rates.sql), in the claim's
 * transaction: locks key's row of flow_limits, counts the other tasks
 * with a step leased under key and, when task already has one or they
 * are below limit, marks step id with key: *taken 1.
 */
tk_err tk_step_store_task_slot_take(struct tk_db *db, const char *key,
    unsigned limit, unsigned long long id, const unsigned char task[16],
    int *taken);
/*
 * A rate limit, in the claim's transaction: locks key's row of
 * flow_rates and decides with the database clock (tk_gcra, flow.h):
 * *wait_us 0 when a start is allowed now (and taken), else the
 * microseconds until the next allowed one (the hold is counted).
 */
tk_err tk_step_store_rate_take(struct tk_db *db, const char *key,
    long long interval_us, long long *wait_us);
/* Claims held back by each rate limit (tasker_rate_limited_total). */
struct tk_rate_total {
	char               step[208];   /* "r:<namespace>/<handler>/<step>" */
	unsigned long long limited;
};
tk_err tk_step_store_rate_totals(struct tk_db *db, struct tk_rate_total **out,
    size_t *n);
/* Taking the step (attempts + 1, a lease, epoch + 1, started now) is
 * part of its compare-and-set: transition_store.h, TK_ALSO_TAKE. */

/* ---- while it runs (the lease connection) */

/* Extends the lease when it is still owner's for attempt: *held 1. */
tk_err tk_step_store_renew(struct tk_db *db, unsigned long long id,
    const char *owner, unsigned attempt, unsigned lease_seconds, int *held);
/* The step's status and attempts (no lock); *status -1 when it is gone. */
tk_err tk_step_store_status(struct tk_db *db, unsigned long long id,
    int *status, unsigned *attempts);
/* The task's context, or the results of its step named name: a copy
 * (*out NULL when NULL or missing; the caller frees it). */
tk_err tk_step_store_context(struct tk_db *db, const unsigned char task[16],
    char **out, size_t *len);
tk_err tk_step_store_parent_results(struct tk_db *db,
    const unsigned char task[16], const char *name, char **out, size_t *len);
/* Both at once: the context and the results of the step named name, in
 * one round trip (the caller frees *ctx and *res). */
tk_err tk_step_store_context_parent(struct tk_db *db,
    const unsigned char task[16], const char *name, char **ctx,
    size_t *ctx_len, char **res, size_t *res_len);
/* The server's max_allowed_packet; *bytes 0 when it did not say. */
tk_err tk_step_store_max_packet(struct tk_db *db, unsigned long long *bytes);

/* ---- record */

tk_err tk_step_store_lock_held(struct tk_db *db, unsigned long long id,
    struct tk_step_held *out);
/* The task's status (locks); -1 when there is no such task. */
tk_err tk_step_store_lock_task(struct tk_db *db, const unsigned char task[16],
    int *status);
/* A success (results, lease dropped, completed now) is part of its
 * compare-and-set: transition_store.h, TK_ALSO_DONE. */
/* A failure: last_error, lease dropped, ready again after delay_us when
 * again (else not ready). */
tk_err tk_step_store_failed(struct tk_db *db, unsigned long long id,
    const char *error, int again, unsigned long long delay_us);
/* A release: the attempt uncounted, lease dropped, ready now when ready. */
tk_err tk_step_store_released(struct tk_db *db, unsigned long long id,
    int ready);
/* The step was settled by an operator while it ran: keep what the
 * handler said, drop the lease. */
tk_err tk_step_store_late_results(struct tk_db *db, unsigned long long id,
    const char *results);
tk_err tk_step_store_late_error(struct tk_db *db, unsigned long long id,
    const char *error);
tk_err tk_step_store_lease_clear(struct tk_db *db, unsigned long long id);

/* ---- reap */

/* Up to TK_STEP_REAP_BATCH steps whose lease expired, oldest first. */
tk_err tk_step_store_expired(struct tk_db *db, struct tk_step_expired *out,
    size_t *n);
/* The lost attempt: last_error, lease dropped, ready now when again. */
tk_err tk_step_store_reaped(struct tk_db *db, unsigned long long id,
    const char *error, int again);
/* How many steps are ready now, counting up to limit. */
tk_err tk_step_store_ready_count(struct tk_db *db, unsigned limit,
    unsigned *n);

/* ---- the worker registry */

/* Forgets workers silent for a week, then registers id. */
tk_err tk_step_store_worker_start(struct tk_db *db, const char *id,
    const char *host, unsigned pid, unsigned processes);
tk_err tk_step_store_worker_beat(struct tk_db *db, const char *id);
tk_err tk_step_store_worker_stop(struct tk_db *db, const char *id);

#endif
