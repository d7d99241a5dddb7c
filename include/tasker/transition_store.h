/*
 * transition_store.h - the status writes state.c decides on: the
 * compare-and-set of a step's or a task's status, the transition
 * history, the task counts, the release of a step's children.
 *
 * The store decides nothing: state.c checks that a change is legal and
 * which one to make (it stays the only module that decides a status
 * change); the store writes what it is told and says whether the
 * compare-and-set found the row in the status expected.  Every call
 * belongs inside the caller's transaction.
 */
#ifndef TASKER_TRANSITION_STORE_H
#define TASKER_TRANSITION_STORE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/state.h"

/* A step of a task, as the task's status is derived from it. */
struct tk_transition_step {
	int  status;    /* enum tk_status, -1 when unknown */
	int  ready;     /* ready_at is set */
};

/* status = to where it is from: *changed 1 when it was. */
tk_err tk_transition_store_step_cas(struct tk_db *db,
    unsigned long long step_id, enum tk_status from, enum tk_status to,
    int *changed);

/*
 * What a step's compare-and-set also writes in the same UPDATE, so the
 * engine's claim and record spend one round trip where they spent two.
 * (The engine's claim and record, engine.c and record.c.)
 */
enum tk_step_also_kind {
	TK_ALSO_TAKE,    /* attempts + 1, owner's lease of lease_seconds,
	                    lease_epoch + 1, ready_at NULL, started now */
	TK_ALSO_DONE     /* results, lease dropped, ready_at NULL,
	                    completed now */
};
struct tk_step_also {
	enum tk_step_also_kind  kind;
	const char             *owner;          /* TAKE */
	unsigned                lease_seconds;  /* TAKE */
	const char             *results;        /* DONE */
	int                     hold_log;       /* the history row waits for
	                                           the next one of this
	                                           transaction:
	                                           tk_transition_store_step_hold */
};
/* The same with what also says, and task task_id's row_version bumped
 * in the same statement unless this transaction bumped it already (so
 * the history row's bump, tk_transition_store_step_log, is not a
 * statement of its own).  The caller holds the locks of the step and
 * of its task. */
tk_err tk_transition_store_step_cas_also(struct tk_db *db,
    unsigned long long step_id, const unsigned char task_id[16],
    enum tk_status from, enum tk_status to,
    const struct tk_step_also *also, int *changed);
/* completed: completed_at is set now (else NULL). */
tk_err tk_transition_store_task_cas(struct tk_db *db,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    int completed, int *changed);
/* The history rows; actor and reason may be NULL, from -1 is NULL (a
 * task just created). */
tk_err tk_transition_store_step_log(struct tk_db *db,
    unsigned long long step_id, const unsigned char task_id[16],
    enum tk_status from, enum tk_status to, unsigned attempt,
    const char *actor, const char *reason);
/*
 * The step's history row, held back until the next row of the same
 * transaction, which is written with it in one INSERT (a chained
 * step's completion and its child's claim), or until
 * tk_transition_store_flush, which the transaction must call before it
 * commits (the engine's eng_txn does).  Outside a transaction, for a
 * failure, or with a row held already it is written at once.  The task's
 * row_version moves as with tk_transition_store_step_log.
 */
tk_err tk_transition_store_step_hold(struct tk_db *db,
    unsigned long long step_id, const unsigned char task_id[16],
    enum tk_status from, enum tk_status to, unsigned attempt,
    const char *actor, const char *reason);
/* Writes the row this transaction holds, if any. */
tk_err tk_transition_store_flush(struct tk_db *db);
tk_err tk_transition_store_task_log(struct tk_db *db,
    const unsigned char task_id[16], int from, enum tk_status to,
    const char *actor, const char *reason);
/*
 * row_version + 1 of task task_id, or (task_id NULL) of step step_id's
 * task (0008): called in the transaction of every change of a task that
 * no UPDATE of tasks already bumps (step transitions, step writes
 * without one), so the task's ETag changes with it.  Once per
 * transaction (tk_db_txn_serial): a task this transaction already bumped,
 * by this or by tk_transition_store_task_cas, is not bumped again -
 * readers only see the commit.
 */
tk_err tk_task_version_bump(struct tk_db *db,
    const unsigned char task_id[16], unsigned long long step_id);
/* Adds delta to the count of hv's tasks in status s, in counter slot. */
tk_err tk_transition_store_count(struct tk_db *db, unsigned hv_id,
    enum tk_status s, unsigned slot, int delta);
/* One task of hv moved from status from to status to: -1 and +1 in
 * counter slot, in one statement. */
tk_err tk_transition_store_count_move(struct tk_db *db, unsigned hv_id,
    enum tk_status from, enum tk_status to, unsigned slot);
/* The task's steps (*out owned by the caller, NULL when none). */
tk_err tk_transition_store_steps(struct tk_db *db,
    const unsigned char task_id[16], struct tk_transition_step **out,
    size_t *n);
/* The task's handler_version_id (0 when there is no such task). */
tk_err tk_transition_store_task_hv(struct tk_db *db,
    const unsigned char task_id[16], unsigned *hv);
/* One parent of the step at position is met: unmet_parents - 1, and the
 * step becomes ready when that was the last and it is pending. */
tk_err tk_transition_store_release(struct tk_db *db,
    const unsigned char task_id[16], size_t position);

#endif
