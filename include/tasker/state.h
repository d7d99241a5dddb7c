/*
 * state.h - the one place that changes the status of a task or a step.
 *
 * States (task and step): pending, in_progress, complete, error, cancelled,
 * resolved_manually.  The legal transitions are a table in state.c; every
 * change writes a row to task_transitions / step_transitions with the
 * actor (a principal's subject, or "worker:<id>") and a reason, and task
 * changes keep task_counts in step.  No other module writes a status
 * column.
 *
 * Every function here runs inside a transaction the CALLER opened
 * (tk_db_begin) and commits; none of them begins or commits.  They only
 * touch the status column, the transition tables and task_counts; the
 * caller updates the other columns of the same row (attempts, results,
 * lease, ready_at, timestamps) in the same transaction.
 *
 * Step transitions (from -> to):
 *   pending      -> in_progress (claimed), cancelled, resolved_manually
 *   in_progress  -> complete, error (attempt failed), pending (lease lost
 *                   or released), cancelled, resolved_manually
 *   error        -> in_progress (retry claimed), pending (retried by an
 *                   operator), cancelled, resolved_manually
 *   complete, cancelled, resolved_manually: final
 *
 * Task transitions:
 *   pending      -> in_progress, complete, error, cancelled
 *   in_progress  -> pending, complete, error, cancelled
 *   error        -> pending, in_progress, complete, cancelled
 *   complete, cancelled, resolved_manually: final
 *
 * A task's status follows from its steps (tk_state_task_derive): all steps
 * complete or resolved_manually -> complete; some step in error with no
 * attempt left -> error; some step cancelled and none running ->
 * cancelled (it can never complete); some step claimed or done (not
 * pending) -> in_progress; else pending.  A cancelled task stays
 * cancelled.
 *
 * Cancel: an operator's cancel (of the task, or of any one step) cancels
 * every step that has not finished (pending, error, in_progress) and the
 * task, in one transaction (task_store.c); the workers stop the handlers
 * of the steps that were running.
 */
#ifndef TASKER_STATE_H
#define TASKER_STATE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"

enum tk_status {
	TK_ST_PENDING,
	TK_ST_IN_PROGRESS,
	TK_ST_COMPLETE,
	TK_ST_ERROR,
	TK_ST_CANCELLED,
	TK_ST_RESOLVED_MANUALLY,
	TK_ST__COUNT
};
/* A task's statuses are the first TK_TASK_ST__COUNT: resolved_manually
 * is a step's only (a task whose steps are done is complete). */
#define TK_TASK_ST__COUNT TK_ST_RESOLVED_MANUALLY

/* "pending", "in_progress", ...; "unknown" out of range. */
const char *tk_status_name(enum tk_status s);
/* The status named s, or -1. */
int         tk_status_parse(const char *s);
/* 1 when from -> to is legal for a step / for a task. */
int         tk_step_transition_legal(enum tk_status from, enum tk_status to);
int         tk_task_transition_legal(enum tk_status from, enum tk_status to);
/* 1 for complete, cancelled, resolved_manually. */
int         tk_status_final(enum tk_status s);

/*
 * How many times a step may run: 1 + default_retry_limit when retryable,
 * exactly 1 when not (default_retryable: false means one attempt, not
 * zero).  workflow_steps.retry_limit stores default_retry_limit.
 */
unsigned    tk_step_max_attempts(int retryable, unsigned retry_limit);

/* A step's state as the derivation needs it. */
struct tk_step_state {
	enum tk_status status;
	int            attempts_left;  /* 1 when a failed step will be retried:
	                                  the engine keeps ready_at set on an
	                                  error step exactly then */
};
/* The task status that steps imply (cancelled tasks are not derived). */
enum tk_status tk_state_task_derive(const struct tk_step_state *steps,
    size_t n);

/*
 * Sets step step_id (of task task_id) from `from` to `to`, compare-and-set:
 * TK_ERR_CONFLICT when the step is not in `from` any more (another worker
 * or operator won) or the transition is illegal.  Writes the transition
 * row with attempt, actor and reason (reason may be NULL).
 */
tk_err tk_state_step(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason);
/* The same, also writing what also says (transition_store.h: the
 * claim's lease, a success's results) in the compare-and-set itself. */
struct tk_step_also;
tk_err tk_state_step_also(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason,
    const struct tk_step_also *also);

/*
 * Sets task task_id from `from` to `to`, compare-and-set as above; moves
 * one count in task_counts from `from` to `to` for handler version hv_id;
 * writes the transition row; touches updated_at (and completed_at for a
 * final status).
 */
tk_err tk_state_task(struct tk_db *db, const unsigned char task_id[16],
    unsigned hv_id, enum tk_status from, enum tk_status to,
    const char *actor, const char *reason);

/*
 * n tasks of handler version hv_id in status s were deleted (retention,
 * src/store/purge_store.c): -n in task_counts, in the caller's
 * transaction with the deletes.
 */
tk_err tk_state_tasks_purged(struct tk_db *db, unsigned hv_id,
    enum tk_status s, unsigned n);

/*
 * Records a new task's first status (pending): the transition row
 * (from NULL) and +1 in task_counts.  Called by task creation.
 */
tk_err tk_state_task_created(struct tk_db *db, const unsigned char task_id[16],
    unsigned hv_id, const char *actor, const char *reason);

/*
 * Reads the task's steps (locking the task row FOR UPDATE first), derives
 * the status they imply and applies it with tk_state_task when it differs.
 * A cancelled or final task is left alone.  *now (may be NULL) gets the
 * resulting status.
 */
tk_err tk_state_task_refresh(struct tk_db *db, const unsigned char task_id[16],
    const char *actor, const char *reason, enum tk_status *now);
/* The same for a task the caller locked in this transaction and read
 * as cur (a status, or -1: no such task), hv its handler version (0: read
 * it when needed): one round trip or two fewer. */
tk_err tk_state_task_refresh_held(struct tk_db *db,
    const unsigned char task_id[16], int cur, unsigned hv,
    const char *actor, const char *reason, enum tk_status *now);

/*
 * After step step_index of task task_id reached complete or
 * resolved_manually: each child of that step (per def) loses one unmet
 * parent, and a child left with none that is still pending becomes ready
 * (ready_at = now).
 */
struct tk_handler_def;
tk_err tk_state_release_children(struct tk_db *db,
    const unsigned char task_id[16], const struct tk_handler_def *def,
    size_t step_index);
/*
 * Dependency order under operator actions: a step may be resolved by hand
 * only when every parent is complete or resolved_manually, or its
 * children would be released (and start) while a grandparent has not
 * finished.  st[i] is the status of step i (n of them).  Returns the
 * index of the first parent of step pos that is not finished, or -1 when
 * there is none (a parent beyond n counts as unfinished).
 */
long   tk_state_unfinished_parent(const struct tk_handler_def *def,
    size_t pos, const enum tk_status *st, size_t n);

#endif
