/*
 * purge_store.h - deleting finished tasks with everything that hangs off
 * them (src/store/purge_store.c), for retention (src/sched/retention.c)
 * and `tasker-admin tasks purge`.
 *
 * One batch is one short transaction: up to TK_PURGE_BATCH tasks picked
 * in id order and locked FOR UPDATE SKIP LOCKED (a task some other
 * transaction holds is left for a later batch, nobody waits), handed to
 * an export callback, then deleted with their step transitions, steps,
 * task transitions, tags and Idempotency-Keys; task_counts moves by the
 * same numbers in the same transaction (state.h), so it stays exact, and
 * purge_counts (GET /metrics) counts what went.  Age is by the database's
 * clock, on updated_at (the task's last change).
 */
#ifndef TASKER_PURGE_STORE_H
#define TASKER_PURGE_STORE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/state.h"

#define TK_PURGE_BATCH 100

struct tk_purge_rule {
	const char     *ns;         /* only this namespace; NULL: every one */
	const char     *skip_ns;    /* with ns NULL: but these (comma list
	                               of names), or NULL */
	enum tk_status  status;     /* complete, cancelled or error */
	long long       older_than; /* seconds, > 0 */
};

struct tk_purge_result {
	unsigned long long tasks;
	unsigned long long steps;
	unsigned long long transitions;   /* task and step transitions */
};

/* The ids (n x 16 bytes) of a batch, locked, before they are deleted;
 * an error rolls the batch back. */
typedef tk_err (*tk_purge_export_fn)(void *arg, struct tk_db *db,
    const unsigned char *ids, size_t n);

/* One batch (see above); res gets what it deleted (added to). */
tk_err tk_purge_store_batch(struct tk_db *db, const struct tk_purge_rule *r,
    tk_purge_export_fn fn, void *arg, struct tk_purge_result *res);
/* How many tasks the rule matches now (a dry run). */
tk_err tk_purge_store_count(struct tk_db *db, const struct tk_purge_rule *r,
    unsigned long long *n);

/* purge_counts: what was purged so far, per namespace and status. */
struct tk_purge_total {
	char                   namespace_name[65];
	char                   status[33];
	struct tk_purge_result n;
};
/* Every row of purge_counts into *out (free()), *n of them. */
tk_err tk_purge_store_totals(struct tk_db *db, struct tk_purge_total **out,
    size_t *n);

#endif
