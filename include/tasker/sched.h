/*
 * sched.h - the worker's housekeeping (src/sched/): recurring tasks
 * (schedules: in the handler YAML) and retention (config retention:).
 *
 * tk_housekeep is called once per round of tasker-worker's supervisor
 * loop and does each duty when it is due: schedules every second,
 * retention every RETENTION_MS.  It keeps its own database connection
 * and drops it at the end of each round, so nothing of it is ever
 * inherited by a forked child or a handler.  Every worker host runs it;
 * the database decides: the time is the database's (NOW), a tick's task
 * is created with an Idempotency-Key made of the schedule and the tick
 * (so however many workers look at once, a tick starts one task), and
 * purges take their rows with SKIP LOCKED.
 *
 * State (the catalog cache, when each duty is next due) is process-wide:
 * one supervisor per process.  Errors are logged, never fatal: the next
 * round tries again.
 */
#ifndef TASKER_SCHED_H
#define TASKER_SCHED_H

#include "tasker/config.h"
#include "tasker/db.h"
#include "tasker/error.h"

struct tk_catalog;

/* One round: whatever is due.  now_ms: tk_now_ms(). */
void   tk_housekeep(const struct tk_config *cfg, long long now_ms);
/* Frees what tk_housekeep keeps (at exit; tests). */
void   tk_housekeep_end(void);

/*
 * One look at every schedule of the latest version of every handler in
 * cat: starts the due ticks' tasks.  *started (may be NULL) gets how
 * many tasks this call created.
 */
tk_err tk_sched_run(struct tk_db *db, const struct tk_catalog *cat,
    unsigned *started);

/*
 * Retention (src/sched/retention.c).  Every rule of rc (each status's
 * age, namespaces with their own ages apart), up to max_batches batches
 * of TK_PURGE_BATCH tasks per rule; each purged task is first appended
 * to rc->export when set.  res (zeroed by the caller) gets what went.
 */
struct tk_purge_result;
tk_err tk_retention_run(struct tk_db *db,
    const struct tk_retention_config *rc, unsigned max_batches,
    struct tk_purge_result *res);

/*
 * tasker-admin tasks purge: the complete, cancelled and error tasks of
 * namespace ns (NULL: every one) older than older_than seconds, exported
 * to export (NULL: not) first.  dry_run: only counted.  count[0..2] get
 * the tasks of each status (complete, cancelled, error).
 */
tk_err tk_retention_purge(struct tk_db *db, const char *ns,
    long long older_than, const char *export, int dry_run,
    unsigned long long count[3]);

#endif
