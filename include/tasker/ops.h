/*
 * ops.h - the operations endpoints of tasker-fcgi: health probes,
 * Prometheus metrics and the OpenAPI document; and the per-process state
 * they use.
 *
 *   GET /health/live     the process answers (no database)        open *
 *   GET /health/ready    database reachable and schema current    open *
 *   GET /health/status   counts, workers, queue, schema   tasker.health_status:index
 *   GET /metrics         Prometheus text format   open *, else tasker.metrics:index
 *   GET /api-docs.json   the OpenAPI document                     open **
 *
 * (*) when auth.open_health (default true); (**) when auth.open_docs
 * (default true).  When closed, the route asks for a valid token like any
 * other (and /metrics for its permission).
 *
 * Per process (tasker-fcgi calls these from main and after each request):
 * the shared metrics segment, the OpenAPI document (read once, with its
 * "servers" set to api.mount_prefix), and the migration files the
 * readiness check compares the schema with.
 */
#ifndef TASKER_OPS_H
#define TASKER_OPS_H

#include <json-c/json.h>

#include "tasker/config.h"
#include "tasker/error.h"
#include "tasker/http.h"

/*
 * The OpenAPI document's path: $TASKER_OPENAPI when set, else
 * TK_PKGDATADIR "/openapi.json" (installed by `make install`).
 */
const char *tk_ops_docs_path(void);

/*
 * Sets up the process's operations state for cfg (which must outlive it):
 * maps the metrics segment in cfg->run_dir, reads the OpenAPI document
 * and scans cfg->migrations_dir.  A missing document or migrations folder
 * is logged and answered per request (500, 503), not fatal: the process
 * still serves the API.  TK_ERR_NOMEM only.
 */
tk_err tk_ops_init(const struct tk_config *cfg);
/* Counts one answered request in the metrics (after the answer is sent). */
void   tk_ops_record(const struct tk_request *req, int status,
    long long duration_us);
void   tk_ops_free(void);

/*
 * The body of GET /health/status for h (src/ops/health.c's reading),
 * but for workers.list and generated_at, which the endpoint adds:
 * status ("ok" or "degraded"), problems, database, schema, tasks,
 * steps, ready_queue, workers.  Also `tasker-admin health --json`'s.
 * NULL when out of memory.
 */
struct tk_health;
json_object *tk_ops_health_json(const struct tk_health *h);

/* Controllers (src/api/ops.c). */
tk_err tk_api_health_live(struct tk_request *req, struct tk_response *res);
tk_err tk_api_health_ready(struct tk_request *req, struct tk_response *res);
tk_err tk_api_health_status(struct tk_request *req, struct tk_response *res);
tk_err tk_api_metrics(struct tk_request *req, struct tk_response *res);
tk_err tk_api_docs_json(struct tk_request *req, struct tk_response *res);

#endif
