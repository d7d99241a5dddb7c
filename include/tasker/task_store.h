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
 * Rows come back typed (struct tk_task_row, tk_step_row,
 * tk_transition_row); each owns its strings (NULL for SQL NULL) and is
 * freed by its free function.  Timestamps are ISO 8601 UTC with seconds
 * precision ("2024-01-15T10:30:00Z"), ids of tasks the 16 raw bytes.
 */
#ifndef TASKER_TASK_STORE_H
#define TASKER_TASK_STORE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/state.h"

struct tk_handler_def;

/* A task as the API shows it. */
struct tk_task_row {
	unsigned char   id[16];
	unsigned        hv_id;          /* handler_version_id */
	char           *namespace_name;
	char           *name;
	char           *version;
	enum tk_status  status;
	char           *context;        /* JSON object text */
	size_t          context_len;
	char           *initiator;
	char           *source_system;
	char           *reason;
	char           *tags;           /* JSON array text, or NULL */
	size_t          tags_len;
	char           *created_at;
	char           *updated_at;
	char           *completed_at;
	char           *created_by;
	int             priority;       /* -100..100, higher first */
	unsigned long long row_version; /* 0008: bumped by every change */
	int             stale;          /* not the store's: the API sets it
	                                   (tk_tasks_stale) */
};

/* What a conditional GET of a task reads (tk_task_store_head). */
struct tk_task_head {
	char           *namespace_name;
	char           *created_by;
	enum tk_status  status;
	char           *updated_at;
	unsigned long long row_version;
};

/* The stale filter (tk_task_filter.stale); the cut-offs are per
 * status: pending, in_progress, error (the statuses that can stall). */
enum { TK_STALE_ANY, TK_STALE_ONLY, TK_STALE_NOT };
#define TK_STALE_CUTOFFS 3

/* A step run. */
struct tk_step_row {
	unsigned long long id;
	unsigned        position;       /* index in the definition */
	char           *name;
	enum tk_status  status;
	unsigned        attempts;
	unsigned        retry_limit;
	int             retryable;
	int             skippable;
	unsigned        unmet_parents;
	char           *results;        /* JSON object text, or NULL */
	size_t          results_len;
	char           *last_error;
	char           *ready_at;       /* NULL: not claimable */
	char           *started_at;
	char           *completed_at;
	char           *created_at;
	char           *updated_at;
	int             limited;        /* claimed or held under a
	                                   max_in_flight or concurrency
	                                   limit (0011): 1; a rate limit
	                                   (0012): 2; else 0 */
};

/* A step's status change (the statuses as written: text). */
struct tk_transition_row {
	char           *from_status;    /* NULL for the first */
	char           *to_status;
	unsigned        attempt;
	char           *actor;
	char           *reason;
	char           *created_at;
};

struct tk_task_list {
	struct tk_task_row *v;
	size_t              n;
};

struct tk_step_list {
	struct tk_step_row *v;
	size_t              n;
};

struct tk_transition_list {
	struct tk_transition_row *v;
	size_t                    n;
};

/* Each frees what the row or list owns and leaves it empty; a zeroed
 * one is empty already. */
void   tk_task_row_free(struct tk_task_row *t);
void   tk_task_list_free(struct tk_task_list *l);
void   tk_step_list_free(struct tk_step_list *l);
void   tk_transition_list_free(struct tk_transition_list *l);

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
	int                          priority;  /* -100..100; its steps' too */
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

/*
 * What the ETag of task id's answers derives from and what its scope
 * check needs, by one primary-key read (no step is read).
 * TK_ERR_TASK_NOT_FOUND.  tk_task_head_free frees it.
 */
tk_err tk_task_store_head(struct tk_db *db, const unsigned char id[16],
    struct tk_task_head *out);
void   tk_task_head_free(struct tk_task_head *h);

/* One task.  TK_ERR_TASK_NOT_FOUND. */
tk_err tk_task_store_get(struct tk_db *db, const unsigned char id[16],
    struct tk_task_row *out);
/* The task's steps in definition order. */
tk_err tk_task_store_steps(struct tk_db *db, const unsigned char id[16],
    struct tk_step_list *out);
/*
 * The task and its steps (in definition order) in one round trip (an
 * unknown id takes a second, to tell "no task" from "no steps").  TK_ERR_TASK_NOT_FOUND.  On failure
 * both are empty.
 */
tk_err tk_task_store_get_all(struct tk_db *db, const unsigned char id[16],
    struct tk_task_row *task, struct tk_step_list *steps);
/* One step by name (out->n is 1).  TK_ERR_STEP_NOT_FOUND. */
tk_err tk_task_store_step(struct tk_db *db, const unsigned char id[16],
    const char *name, struct tk_step_list *out);
/* The latest 100 transitions of a step, oldest first. */
tk_err tk_task_store_step_transitions(struct tk_db *db,
    unsigned long long step_id, struct tk_transition_list *out);

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
/*
 * GET /tasks?sort=: newest first (the default, sort=created_at); sort=
 * priority: highest priority first, newest first within one; sort=
 * -priority: the exact reverse (lowest first, oldest first within one).
 * Both priority orders read ix_tasks_priority (priority, id).
 */
enum tk_task_sort { TK_SORT_NEWEST = 0, TK_SORT_PRIORITY = 1,
    TK_SORT_PRIORITY_ASC = 2 };

struct tk_task_filter {
	const char *namespace_name;
	const char *name;
	const char *version;
	unsigned    hv_id;
	unsigned    status_mask;
	const char *created_by;
	const char *ns_set;
	const char *initiator;
	const char *source_system;
	const char *tag;            /* one of tags_json's: the index read */
	const char *tags_json;      /* JSON array: the task holds them all */
	const char *created_after;  /* 'YYYY-MM-DD HH:MM:SS.ffffff' UTC, */
	const char *created_before; /*   both exclusive */
	int         has_priority;   /* priority_min..max (inclusive) given */
	int         priority_min;
	int         priority_max;
	int         stale;          /* TK_STALE_ANY, _ONLY or _NOT */
	int         sort;           /* enum tk_task_sort */
	const char *stale_before[TK_STALE_CUTOFFS]; /* a task in pending,
	                               in_progress, error last changed
	                               before this time is stale (NULL:
	                               never) */
};

/*
 * The tasks of page [offset, offset + limit), newest first (id
 * descending; ids are time-ordered), and *total, how many tasks match f
 * (as tk_task_store_count says).  Every filter combination reads an index
 * in id order (a status set: one ordered read per status, merged), so the
 * cost grows with offset + limit, never with the table.  The page and its
 * total come in one round trip; an empty page costs a second (the count),
 * and from offset 10000 on the count comes first so that a page past the
 * end is not read at all.
 * With created_by, initiator, source_system, tags, a created_at range
 * or ns_set the total comes first (a count over the index of the first
 * of these given, in that order: task_tags' primary key for tags,
 * ix_tasks_created_by, ix_tasks_initiator, ix_tasks_source_system,
 * ix_tasks_created_at; ns_set alone: task_counts), then the page off
 * that index (the created_at range: its rows sorted by id), or for
 * ns_set alone one ordered read of
 * ix_tasks_ns per namespace (at most 8; beyond, the primary key read in
 * order and filtered, whose cost grows with the other namespaces' tasks
 * between the page's rows); the other filters are conditions on those
 * rows.  Two round trips.
 */
tk_err tk_task_store_list(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_task_list *out,
    unsigned long long *total);

/*
 * Keyset pages (GET /tasks?cursor=): up to limit tasks of f older than
 * key (newer 0), or newer than key (newer 1), shown newest first either
 * way; key NULL: from the newest.  One index is read from key on, by
 * seek, not offset: the same work for the first page and the 40,000th,
 * and a page is not shifted by tasks created meanwhile.  The index is the
 * one of f's first filter (as for tk_task_store_list's filtered lists,
 * else namespace/name/version's, else the primary key); the other filters
 * are conditions on the rows it yields.
 */
tk_err tk_task_store_seek(struct tk_db *db, const struct tk_task_filter *f,
    const unsigned char *key, int newer, unsigned limit,
    struct tk_task_list *out);
/*
 * The same for a list sorted by priority (f->sort, tk_task_sort): up to
 * limit tasks after (before 0) or before (before 1) the task key of
 * priority priority in the list's order, shown in that order; key NULL:
 * from the first.  A seek of ix_tasks_priority by (priority, id).
 */
tk_err tk_task_store_seek_sorted(struct tk_db *db,
    const struct tk_task_filter *f, const unsigned char *key, int priority,
    int before, unsigned limit, struct tk_task_list *out);
/* The plan of f's older-than page, as tk_task_store_list_plan (sorted:
 * its after page). */
tk_err tk_task_store_seek_plan(struct tk_db *db,
    const struct tk_task_filter *f, char *out, size_t outsz);

/*
 * How many tasks match f, from task_counts (per handler version and
 * status) joined to the registry: no scan of tasks.  With created_by: a
 * count over ix_tasks_created_by (grows with that subject's tasks).
 */
tk_err tk_task_store_count(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long *total);

/*
 * The plan of f's page as MariaDB's EXPLAIN says, "table:key" per row,
 * comma-separated, into out (e.g. "<derived2>:NULL,tasks:ix_tasks_initiator,
 * t:PRIMARY"): for the tests and the documentation that show each
 * filter read through its index.
 */
tk_err tk_task_store_list_plan(struct tk_db *db,
    const struct tk_task_filter *f, char *out, size_t outsz);

/*
 * How many tasks are stale per status (pending, in_progress, error) by
 * the cut-offs of tk_task_filter.stale_before: one count over the ranges
 * of ix_tasks_status_updated (0008).
 */
tk_err tk_task_store_stale_count(struct tk_db *db,
    const char *const before[TK_STALE_CUTOFFS],
    unsigned long long out[TK_STALE_CUTOFFS]);

/* ---------------------------------------------------------------- operations */

/*
 * The operations below answer with the state they left, read in their
 * own transaction (so a worker acting right after the commit does not
 * blur the answer): on TK_OK, task and steps hold the task and its
 * steps; the caller frees them (tk_task_state_free).  On failure both
 * are empty.
 */
struct tk_task_state {
	struct tk_task_row  task;
	struct tk_step_list steps;
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
