/*
 * metrics.h - counters shared by every tasker-fcgi process of a host, and
 * the Prometheus text format.
 *
 * Why shared memory: tasker-fcgi is prefork (spawn-fcgi -F N, mod_fcgid),
 * and a scrape reaches one process.  For one scrape to see the whole
 * service, every process adds into one segment: the file
 * <run_dir>/tasker-fcgi-<layout>.metrics, mapped MAP_SHARED, holding
 * 64-bit counters that processes add to with atomic instructions (no lock
 * on the request path).  <layout> is a hash of the route table, the
 * status slots and the bucket bounds, so a binary with other routes never
 * reads a segment laid out for another.  The first process creates and
 * zeroes the file under an OFD lock; later ones (also restarted ones) map
 * it as it is, so counters survive a process restart and only a new
 * layout (or removing the file) starts them from zero, which Prometheus
 * reads as a counter reset.  When the file cannot be used (no run_dir,
 * not writable) the process counts into private memory instead, logs a
 * warning and tk_metrics_shared() says so.
 *
 * The segment also holds the step outcomes by handler that the /metrics
 * controller reads from the database's step_transitions: totals kept
 * here with a watermark (the last transition id counted), so each scrape
 * reads only the transitions that are new, and one process at a time does
 * so (tk_metrics_steps_lock).
 *
 * Readers take no lock either: a scrape sees each counter at some moment
 * during the scrape.  A histogram's _count is computed from its own
 * buckets, so _count always equals the +Inf bucket.
 */
#ifndef TASKER_METRICS_H
#define TASKER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "tasker/buf.h"
#include "tasker/error.h"
#include "tasker/http.h"

/* Handlers with their own step series; later ones share "_other". */
#define TK_METRICS_MAX_HANDLERS 256
#define TK_METRICS_NAME_MAX     64   /* bytes of a namespace or handler name */

struct tk_metrics;   /* one mapping per process */

/*
 * Maps (creating if needed) the segment in dir for a route table.  routes
 * must outlive the handle.  Falls back to private memory, with a warning
 * in the log, when the file cannot be used; fails only with TK_ERR_NOMEM
 * (or TK_ERR_INTERNAL for a table of more than 1024 routes).
 */
tk_err tk_metrics_open(const char *dir, const struct tk_route *routes,
    size_t nroutes, struct tk_metrics **out);
void   tk_metrics_close(struct tk_metrics *m);   /* NULL is ok */
/* 1 when the counters are the shared file's, 0 when private. */
int    tk_metrics_shared(const struct tk_metrics *m);
/* The segment's file, or NULL when private. */
const char *tk_metrics_path(const struct tk_metrics *m);

/*
 * Counts one answered request: route is the index in the route table,
 * or any value >= nroutes for a request that matched no route (label
 * route="none").  NULL m is ok (metrics off).  Async-signal-safe.
 */
void   tk_metrics_observe(struct tk_metrics *m, size_t route, int status,
    uint64_t duration_us);
/* Requests counted so far for (route, status), summed over processes. */
uint64_t tk_metrics_count(const struct tk_metrics *m, size_t route,
    int status);

/*
 * Appends tasker_http_requests_total and tasker_http_request_duration_seconds
 * (labels route, status), plus tasker_metrics_shared, in the text format.
 * Only (route, status) pairs that were seen are written.
 */
tk_err tk_metrics_render_requests(const struct tk_metrics *m,
    struct tk_buf *out);

/* ---------------------------------------------- step outcomes by handler */

enum tk_step_event {
	TK_STEP_ATTEMPT,   /* a step was claimed: a transition into in_progress */
	TK_STEP_FAILURE,   /* an attempt failed: in_progress -> error */
	TK_STEP_FINISH     /* an attempt ended (complete or error): duration */
};

/*
 * 1 when this process now holds the accumulator (non-blocking; another
 * process catching up gives 0), to call the three below and then
 * tk_metrics_steps_unlock.  A private segment is always lockable.
 */
int      tk_metrics_steps_lock(struct tk_metrics *m);
void     tk_metrics_steps_unlock(struct tk_metrics *m);
/* The id of the last step transition counted (0 at first). */
uint64_t tk_metrics_steps_watermark(const struct tk_metrics *m);
void     tk_metrics_steps_set_watermark(struct tk_metrics *m, uint64_t id);
/*
 * Counts one event for handler ns/name (cut to TK_METRICS_NAME_MAX
 * bytes; beyond TK_METRICS_MAX_HANDLERS handlers, counted as
 * "_other"/"_other").  duration_us is used by TK_STEP_FINISH only; a
 * negative one is not observed.  Call with the lock held.
 */
void     tk_metrics_steps_add(struct tk_metrics *m, const char *ns,
    const char *name, enum tk_step_event ev, long long duration_us);
/*
 * Appends tasker_step_attempts_total, tasker_step_failures_total and
 * tasker_step_duration_seconds (labels namespace, handler).
 */
tk_err   tk_metrics_render_steps(const struct tk_metrics *m,
    struct tk_buf *out);

/* ---------------------------------------------------------- text format */

/* "# HELP name help\n# TYPE name type\n" */
tk_err tk_prom_header(struct tk_buf *out, const char *name, const char *type,
    const char *help);
/* A label value with \\, \" and \n escaped (no quotes around it). */
tk_err tk_prom_label_value(struct tk_buf *out, const char *s);

#endif
