/*
 * task_store.h - every SQL statement of the task API: creating a task with
 * its steps, reading tasks and steps, listing with filters and counts, and
 * the operator's operations (cancel, update, retry, resolve or cancel a
 * step).
 *
 * Status columns, transition rows and task_counts are written only
 * through state.h; this module writes everything else of a row in the
 * same transaction.  Every write runs in one transaction that either
 * commits whole or leaves nothing; a deadlock or lock wait timeout is
 * retried (three attempts) before it becomes TK_ERR_DB.
 *
 * Rows come back as strings (struct tk_rows) in the column orders below;
 * timestamps are already ISO 8601 UTC with seconds precision
 * ("2024-01-15T10:30:00Z"), ids are the 16 raw bytes.
 */
#ifndef TASKER_TASK_STORE_H
#define TASKER_TASK_STORE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/state.h"

struct tk_handler_def;

/* Columns of a task row. */
enum tk_task_col {
	TK_TASK_ID, TK_TASK_HV, TK_TASK_NAMESPACE, TK_TASK_NAME,
	TK_TASK_VERSION, TK_TASK_STATUS, TK_TASK_CONTEXT, TK_TASK_INITIATOR,
	TK_TASK_SOURCE, TK_TASK_REASON, TK_TASK_TAGS, TK_TASK_CREATED,
	TK_TASK_UPDATED, TK_TASK_COMPLETED, TK_TASK_CREATED_BY,
	TK_TASK__NCOLS
};

/* Columns of a step row. */
enum tk_step_col {
	TK_STEP_ID, TK_STEP_POSITION, TK_STEP_NAME, TK_STEP_STATUS,
	TK_STEP_ATTEMPTS, TK_STEP_RETRY_LIMIT, TK_STEP_RETRYABLE,
	TK_STEP_SKIPPABLE, TK_STEP_UNMET, TK_STEP_RESULTS, TK_STEP_LAST_ERROR,
	TK_STEP_READY_AT, TK_STEP_STARTED, TK_STEP_COMPLETED, TK_STEP_CREATED,
	TK_STEP_UPDATED,
	TK_STEP__NCOLS
};

/* Columns of a step transition row. */
enum tk_trans_col {
	TK_TRANS_FROM, TK_TRANS_TO, TK_TRANS_ATTEMPT, TK_TRANS_ACTOR,
	TK_TRANS_REASON, TK_TRANS_AT,
	TK_TRANS__NCOLS
};

#define TK_TIMESTAMP_SIZE 21   /* "2024-01-15T10:30:00Z" and a NUL */
#ifndef TK_STATUS_ALL
#define TK_STATUS_ALL ((1u << TK_ST__COUNT) - 1)   /* every status bit */
#endif   /* "2024-01-15T10:30:00Z" and a NUL */

/* ---------------------------------------------------------------- create */

/* A task to create.  Every pointer is borrowed for the call. */
struct tk_task_new {
	unsigned char                id[16];
	unsigned                     hv_id;
	const struct tk_handler_def *def;       /* its steps become rows */
	const char                  *context;   /* JSON text of an object */
	size_t                       context_len;
	const char                  *initiator; /* NULL allowed */
	const char                  *source_system;
	const char                  *reason;
	const char                  *tags;      /* JSON array text, or NULL */
	const char                  *actor;     /* of the first transition */
	const char                  *created_by; /* the subject (1..256 bytes) */
	/* Idempotency-Key: idem_key NULL when the request has none. */
	const char                  *idem_principal;
	const char                  *idem_key;
	const char                  *idem_hash; /* 64 hex */
	unsigned                     idem_ttl;  /* seconds */
};

/* A live Idempotency-Key: the task it created and whether the request
 * that made it had the same fingerprint. */
struct tk_idem_hit {
	unsigned char task_id[16];
	int           same;
};

/*
 * Creates the task row, one step row per step of t->def (position =
 * index, status pending, attempts 0, retry_limit = default_retry_limit,
 * retryable, skippable, unmet_parents = number of parents, ready_at = now
 * for steps without parents), the first transition and the count, and
 * the Idempotency-Key row when there is a key: all in one transaction.
 * created_at gets the task's creation time.  TK_ERR_CONFLICT when the
 * key is live (made by an earlier or a concurrent request): nothing is
 * created and *hit says which task it made.
 */
tk_err tk_task_store_create(struct tk_db *db, const struct tk_task_new *t,
    char created_at[TK_TIMESTAMP_SIZE], struct tk_idem_hit *hit);

/* The live (unexpired) key of principal: TK_OK with *hit, or
 * TK_ERR_TASK_NOT_FOUND when there is none. */
tk_err tk_task_store_idem_find(struct tk_db *db, const char *principal,
    const char *key, const char *hash, struct tk_idem_hit *hit);

/* Deletes up to 100 expired keys.  Best effort: errors are ignored. */
void   tk_task_store_idem_purge(struct tk_db *db);

/* ---------------------------------------------------------------- read */

/* One task row (TK_TASK_* columns).  TK_ERR_TASK_NOT_FOUND. */
tk_err tk_task_store_get(struct tk_db *db, const unsigned char id[16],
    struct tk_rows *out);
/* The task's steps in definition order (TK_STEP_* columns). */
tk_err tk_task_store_steps(struct tk_db *db, const unsigned char id[16],
    struct tk_rows *out);
/*
 * The task (TK_TASK_* columns, one row) and its steps (TK_STEP_* columns,
 * in definition order) in one round trip (an unknown id takes a second,
 * to tell "no task" from "no steps").  TK_ERR_TASK_NOT_FOUND.  On failure
 * both are empty.
 */
tk_err tk_task_store_get_all(struct tk_db *db, const unsigned char id[16],
    struct tk_rows *task, struct tk_rows *steps);
/* One step by name.  TK_ERR_STEP_NOT_FOUND. */
tk_err tk_task_store_step(struct tk_db *db, const unsigned char id[16],
    const char *name, struct tk_rows *out);
/* The latest 100 transitions of a step, oldest first (TK_TRANS_*). */
tk_err tk_task_store_step_transitions(struct tk_db *db,
    unsigned long long step_id, struct tk_rows *out);

/* ---------------------------------------------------------------- lists */

/*
 * GET /tasks filters.  NULL strings match anything; status_mask 0 (or
 * every status) matches every status.  hv_id, when not 0, must be the
 * handler version that namespace + name + version name: the list then
 * uses its index.  created_by: only that subject's tasks (read off
 * ix_tasks_created_by).  ns_set: only the namespaces of this
 * comma-separated list of namespace names (a caller's scope; namespace
 * names hold no comma).
 */
struct tk_task_filter {
	const char *namespace_name;
	const char *name;
	const char *version;
	unsigned    hv_id;
	unsigned    status_mask;
	const char *created_by;
	const char *ns_set;
};

/*
 * The tasks of page [offset, offset + limit), newest first (id
 * descending; ids are time-ordered), and *total, how many tasks match f
 * (as tk_task_store_count says).  Every filter combination reads an index
 * in id order (a status set: one ordered read per status, merged), so the
 * cost grows with offset + limit, never with the table.  The page and its
 * total come in one round trip; an empty page costs a second (the count),
 * and from offset 10000 on the count comes first so that a page past the
 * end is not read at all.  Rows: TK_TASK_* columns, then the per-status
 * counts as one text column (ignore it).
 * With created_by or ns_set the total comes first (a count over
 * ix_tasks_created_by; ns_set alone: task_counts), then the page: off
 * ix_tasks_created_by, or for ns_set alone one ordered read of
 * ix_tasks_ns per namespace (at most 8; beyond, the primary key read in
 * order and filtered, whose cost grows with the other namespaces' tasks
 * between the page's rows); the other filters are conditions on those
 * rows.  Two round trips.
 */
tk_err tk_task_store_list(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out,
    unsigned long long *total);

/*
 * How many tasks match f, from task_counts (per handler version and
 * status) joined to the registry: no scan of tasks.  With created_by: a
 * count over ix_tasks_created_by (grows with that subject's tasks).
 */
tk_err tk_task_store_count(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long *total);

/* ---------------------------------------------------------------- operations */

/*
 * The operations below answer with the state they left, read in their
 * own transaction (so a worker acting right after the commit does not
 * blur the answer): on TK_OK, *task (TK_TASK_* columns) and, when steps
 * is not NULL, *steps (TK_STEP_* columns) hold the task and its steps;
 * the caller frees them.  On failure both are empty.
 */
struct tk_task_state {
	struct tk_rows task;
	struct tk_rows steps;
};

/*
 * Cancels a task that is not final, in one transaction: every step not
 * finished (pending, error, in_progress) becomes cancelled and loses
 * ready_at (no new claims), then the task.  A running step keeps its
 * lease: its worker sees the cancel, stops the handler and may still
 * record what it printed (late results).  TK_ERR_TASK_NOT_FOUND;
 * TK_ERR_CONFLICT when the task is final already.  *status gets the
 * status found (on success: cancelled).
 */
tk_err tk_task_store_cancel(struct tk_db *db, const unsigned char id[16],
    const char *actor, const char *reason, enum tk_status *status,
    struct tk_task_state *out);

/* Sets reason and/or tags (JSON array text; NULL clears either).
 * TK_ERR_TASK_NOT_FOUND. */
tk_err tk_task_store_update(struct tk_db *db, const unsigned char id[16],
    int set_reason, const char *reason, int set_tags, const char *tags,
    struct tk_task_state *out);

/*
 * Retries a task in error: every step in error goes back to pending with
 * attempts 0 (ready now when it has no unmet parent), completed steps
 * stay, the task's status is derived again.  TK_ERR_TASK_NOT_FOUND;
 * TK_ERR_CONFLICT when the task is not in error.  *status: the task's
 * status found, then after.
 */
tk_err tk_task_store_retry(struct tk_db *db, const unsigned char id[16],
    const char *actor, const char *reason, enum tk_status *status,
    struct tk_task_state *out);

/* Why tk_task_store_step_set said what it said. */
struct tk_step_set_info {
	enum tk_status from;           /* the step's status found */
	enum tk_status task_status;    /* the task's, found, then after */
	long           parent;         /* -1, or the unfinished parent (its
	                                  index in def) that refused a
	                                  resolve */
	enum tk_status parent_status;
};

/*
 * Moves step `name` of a task to `to` (resolved_manually or cancelled).
 * resolved_manually: only when each parent of the step is complete or
 * resolved_manually (else TK_ERR_CONFLICT with info->parent set);
 * results (JSON object text, NULL keeps what is there) and completed_at
 * are set, ready_at and the lease cleared, the step's children released,
 * and the task's status derived again.  cancelled: as
 * tk_task_store_cancel, every step not finished (this one with them) and
 * the task become cancelled.  TK_ERR_TASK_NOT_FOUND,
 * TK_ERR_STEP_NOT_FOUND; TK_ERR_CONFLICT when the task is final
 * (info->task_status says so) or the step cannot go from its status
 * (info->from) to `to`.  out->steps holds the one step.
 */
tk_err tk_task_store_step_set(struct tk_db *db, const unsigned char id[16],
    const struct tk_handler_def *def, const char *name, enum tk_status to,
    const char *results, const char *actor, const char *reason,
    struct tk_step_set_info *info, struct tk_task_state *out);

void   tk_task_state_free(struct tk_task_state *st);

#endif
