/*
 * probe.h - what the health and metrics endpoints read from the database.
 *
 * The SQL of the operations endpoints, kept out of the controllers.  Every
 * query is served by an index or reads a small table, except the count of
 * steps by status, which reads workflow_steps whole (see tk_probe_counts).
 */
#ifndef TASKER_PROBE_H
#define TASKER_PROBE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/metrics.h"
#include "tasker/state.h"

/* Step transitions younger than this are left for the next scrape, so a
   transaction that took a lower id but commits later is not skipped. */
#define TK_PROBE_SETTLE_SECONDS 2

struct tk_probe_counts {
	long long tasks[TK_ST__COUNT];   /* by status, from task_counts */
	long long steps[TK_ST__COUNT];   /* by status, from workflow_steps */
	long long ready_steps;           /* ready_at <= now: claimable now */
	long long waiting_steps;         /* ready_at > now: in retry backoff */
	double    oldest_ready_seconds;  /* age of the oldest ready step; -1
	                                    when none is ready */
	long long workers_live;          /* heartbeat within the timeout */
	long long worker_processes_live; /* their `processes`, summed */
};

/*
 * Fills c.  A live worker has not stopped and sent a heartbeat within
 * heartbeat_timeout seconds.  TK_ERR_DB_UNAVAILABLE / TK_ERR_DB.
 */
tk_err tk_probe_counts(struct tk_db *db, unsigned heartbeat_timeout,
    struct tk_probe_counts *c);

/* A live worker; the row owns its strings. */
struct tk_worker_row {
	char     *id;
	char     *host;
	unsigned  pid;
	unsigned  processes;
	char     *started_at;     /* ISO 8601 UTC */
	char     *heartbeat_at;   /* ISO 8601 UTC */
};

struct tk_worker_list {
	struct tk_worker_row *v;
	size_t                n;
};

/* The live workers, newest heartbeat first, at most limit of them; on
 * failure out is empty. */
tk_err tk_probe_workers(struct tk_db *db, unsigned heartbeat_timeout,
    unsigned limit, struct tk_worker_list *out);
/* Frees what the list owns and leaves it empty. */
void   tk_worker_list_free(struct tk_worker_list *l);

/*
 * Counts the step transitions after the segment's watermark into m
 * (attempts, failures, durations by handler) and moves the watermark, in
 * batches, for at most budget_ms.  Only the process holding the step lock
 * does this; others return TK_OK at once.  Stops at the first transition
 * younger than TK_PROBE_SETTLE_SECONDS.
 */
tk_err tk_probe_step_catchup(struct tk_db *db, struct tk_metrics *m,
    unsigned budget_ms);

#endif
