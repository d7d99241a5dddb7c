/*
 * ops.c - the operations endpoints: health probes, Prometheus metrics and
 * the OpenAPI document (see ops.h for the routes and who may call them).
 *
 * Process-wide state, set up once by tk_ops_init() in tasker-fcgi's main:
 * the mapping of the shared metrics segment, the OpenAPI document as it
 * is served, and the migration files readiness compares the schema with.
 * Each is one per process by nature (one process, one mapping, one
 * document), hence the one static struct below.
 */
#include "config.h"

#include "tasker/ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tasker/api.h"
#include "tasker/health.h"
#include "tasker/log.h"
#include "tasker/metrics.h"
#include "tasker/migrate.h"
#include "tasker/probe.h"
#include "tasker/task_api.h"
#include "tasker/outbox_store.h"
#include "tasker/purge_store.h"
#include "tasker/step_store.h"

#define DOCS_MAX_BYTES   (4u << 20)
#define DOCS_MAX_DEPTH   64
#define CATCHUP_BUDGET_MS 1500
#define WORKERS_LISTED   100
#define CONTENT_TYPE_PROM "text/plain; version=0.0.4; charset=utf-8"

static struct {
	const struct tk_config  *cfg;
	struct tk_metrics       *metrics;
	char                    *docs;       /* the document as served */
	size_t                   docs_len;
	struct tk_migration_set  migs;
	int                      migs_ok;    /* 1 once scanned without error */
	unsigned                 expected;   /* highest migration version */
} ops;

/* ---------------------------------------------------------------- setup */

const char *
tk_ops_docs_path(void)
{
	const char *p = getenv("TASKER_OPENAPI");

	return p != NULL && *p != '\0' ? p : TK_PKGDATADIR "/openapi.json";
}

/* Reads the whole of a small file; *out is the caller's to free. */
static tk_err
slurp(const char *path, size_t max, char **out, size_t *lenp)
{
	struct stat st;
	size_t len;
	char *buf;
	FILE *f;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL)
		return TK_ERR_IO;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || (size_t)st.st_size > max) {
		fclose(f);
		return TK_ERR_IO;
	}
	len = (size_t)st.st_size;
	if ((buf = malloc(len + 1)) == NULL) {
		fclose(f);
		return TK_ERR_NOMEM;
	}
	if (fread(buf, 1, len, f) != len) {
		free(buf);
		fclose(f);
		return TK_ERR_IO;
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	return TK_OK;
}

/*
 * Reads the OpenAPI document and points its "servers" at the mount prefix
 * this process serves, so "Try it out" in Swagger UI calls this API
 * wherever it is mounted.
 */
static tk_err
load_docs(const struct tk_config *cfg)
{
	const char *path = tk_ops_docs_path(), *s;
	json_tokener *tok = NULL;
	json_object *doc = NULL, *servers, *server;
	char *text = NULL, q[600];
	size_t len = 0;
	tk_err e;

	if ((e = slurp(path, DOCS_MAX_BYTES, &text, &len)) != TK_OK)
		goto out;
	e = TK_ERR_IO;
	if ((tok = json_tokener_new_ex(DOCS_MAX_DEPTH)) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (doc == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(doc, json_type_object))
		goto out;
	servers = json_object_new_array();
	server = json_object_new_object();
	if (servers == NULL || server == NULL) {
		json_object_put(servers);
		json_object_put(server);
		e = TK_ERR_NOMEM;
		goto out;
	}
	json_object_object_add(server, "url", json_object_new_string(
	    cfg->api.mount_prefix[0] != '\0' ? cfg->api.mount_prefix : "/"));
	json_object_object_add(server, "description",
	    json_object_new_string("This tasker"));
	json_object_array_add(servers, server);
	json_object_object_add(doc, "servers", servers);
	s = json_object_to_json_string_length(doc,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL || (ops.docs = malloc(len + 1)) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	memcpy(ops.docs, s, len + 1);
	ops.docs_len = len;
	e = TK_OK;
out:
	if (e == TK_ERR_IO)
		tk_log(TK_LOG_ERROR, "event=openapi_unreadable path=%s "
		    "hint=\"set TASKER_OPENAPI or run make install\"",
		    tk_log_quote(q, sizeof(q), path));
	json_object_put(doc);
	if (tok != NULL)
		json_tokener_free(tok);
	free(text);
	return e;
}

static void
scan_migrations(const struct tk_config *cfg)
{
	struct tk_diag d = TK_DIAG_INIT;
	char q[600];

	if (tk_migrations_scan(cfg->migrations_dir, &ops.migs, &d) != TK_OK) {
		tk_log(TK_LOG_ERROR, "event=migrations_unreadable dir=%s",
		    tk_log_quote(q, sizeof(q), cfg->migrations_dir));
		tk_diag_free(&d);
		return;
	}
	tk_diag_free(&d);
	ops.migs_ok = 1;
	ops.expected = tk_health_expected(&ops.migs);
}

tk_err
tk_ops_init(const struct tk_config *cfg)
{
	tk_err e;

	tk_ops_free();
	ops.cfg = cfg;
	if ((e = tk_metrics_open(cfg->run_dir, tk_api_routes, tk_api_nroutes,
	    &ops.metrics)) != TK_OK)
		return e;
	if (load_docs(cfg) == TK_ERR_NOMEM)
		return TK_ERR_NOMEM;
	scan_migrations(cfg);
	return TK_OK;
}

void
tk_ops_record(const struct tk_request *req, int status, long long duration_us)
{
	size_t route = tk_api_nroutes;

	if (req->route != NULL && req->route >= tk_api_routes &&
	    req->route < tk_api_routes + tk_api_nroutes)
		route = (size_t)(req->route - tk_api_routes);
	tk_metrics_observe(ops.metrics, route, status,
	    duration_us > 0 ? (uint64_t)duration_us : 0);
}

void
tk_ops_free(void)
{
	tk_metrics_close(ops.metrics);
	free(ops.docs);
	if (ops.migs_ok)
		tk_migrations_free(&ops.migs);
	memset(&ops, 0, sizeof(ops));
}

/* ---------------------------------------------------------------- helpers */

/*
 * The check of a route that is open by default (TK_ROUTE_OPEN in the
 * table) but closed by configuration: authenticate as the pipeline does
 * for every other route and check the route's permission, if it names
 * one.  The principal lands in app->principal, for the request log.
 * Then the rule of every route: no query parameter (these take none).
 */
static tk_err
guard(struct tk_request *req, struct tk_response *res, int open)
{
	tk_err e;

	if (!open && (e = tk_api_authenticate(req, res)) != TK_OK)
		return e;
	return tk_api_query_check(req, NULL);
}

/*
 * 503 in the guide's error format with the reason for the operator.
 * tk_api_error() keeps 5xx bodies free of detail, as it must for failures
 * inside the service; a probe's reason ("database unreachable", "schema
 * version 1 of 2") is the answer the caller asked for and names nothing
 * internal, so it is put together here from the same error table entry.
 */
static tk_err
unavailable(struct tk_response *res, const char *message, const char *field,
    const char *detail)
{
	const struct tk_err_info *info = tk_err_info(TK_ERR_DB_UNAVAILABLE);
	json_object *root, *err;

	if ((root = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	if ((err = json_object_new_object()) == NULL) {
		json_object_put(root);
		return TK_ERR_NOMEM;
	}
	json_object_object_add(root, "error", err);
	json_object_object_add(err, "type", json_object_new_string(info->type));
	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(err, "details", tk_api_details1(field, detail));
	json_object_object_add(err, "code", json_object_new_string(info->code));
	(void)tk_response_set_header(res, "Cache-Control", "no-store");
	(void)tk_response_set_header(res, "Retry-After",
	    TK_RETRY_AFTER_SECONDS);
	return tk_api_json(res, info->status, root);
}

struct schema_state {
	unsigned version;   /* highest applied */
	int      current;   /* every migration file applied, none half */
};

/*
 * Asks the database where the schema is.  *answered stays 0 when the
 * service is ready (st filled); else it is 1 and the 503 is in res.
 */
static tk_err
check_ready(struct tk_app *app, struct tk_response *res,
    struct schema_state *st, int *answered)
{
	char msg[160];
	tk_err e;

	*answered = 0;
	memset(st, 0, sizeof(*st));
	if (tk_db_ensure(app->db) != TK_OK) {
		*answered = 1;
		return unavailable(res, "The database is unreachable",
		    "database", "unreachable");
	}
	if (!ops.migs_ok) {
		*answered = 1;
		return unavailable(res, "The schema cannot be checked: the "
		    "migrations folder cannot be read", "schema", "unknown");
	}
	e = tk_migrate_current(app->db, &ops.migs, &st->version, &st->current);
	if (e == TK_ERR_DB_UNAVAILABLE) {
		*answered = 1;
		return unavailable(res, "The database is unreachable",
		    "database", "unreachable");
	}
	if (e != TK_OK) {
		/* No schema_migrations table: never migrated. */
		*answered = 1;
		return unavailable(res, "The schema is not migrated; run "
		    "tasker-admin migrate", "schema", "not migrated");
	}
	if (!st->current) {
		snprintf(msg, sizeof(msg), "The schema is not current: version "
		    "%u applied, %u expected; run tasker-admin migrate",
		    st->version, ops.expected);
		*answered = 1;
		return unavailable(res, msg, "schema", "not current");
	}
	return TK_OK;
}

static void
iso_now(char *out, size_t outsz)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static unsigned
heartbeat_timeout(const struct tk_config *cfg)
{
	return tk_health_heartbeat_timeout(cfg);
}

/* ---------------------------------------------------------------- /health */

tk_err
tk_api_health_live(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	json_object *o;
	tk_err e;

	if ((e = guard(req, res, app->cfg->auth.open_health)) != TK_OK)
		return e;
	if ((o = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	(void)tk_response_set_header(res, "Cache-Control", "no-store");
	return tk_api_json(res, 200, o);
}

tk_err
tk_api_health_ready(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	struct schema_state st;
	json_object *o;
	int answered;
	tk_err e;

	if ((e = guard(req, res, app->cfg->auth.open_health)) != TK_OK)
		return e;
	if ((e = check_ready(app, res, &st, &answered)) != TK_OK || answered)
		return e;
	if ((o = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "schema_version",
	    json_object_new_int64(st.version));
	(void)tk_response_set_header(res, "Cache-Control", "no-store");
	return tk_api_json(res, 200, o);
}

/* The first n statuses (TK_TASK_ST__COUNT for tasks) and their counts. */
static json_object *
status_counts(const long long *by, int n)
{
	json_object *o = json_object_new_object();
	int s;

	for (s = 0; o != NULL && s < n; s++)
		json_object_object_add(o, tk_status_name((enum tk_status)s),
		    json_object_new_int64(by[s]));
	return o;
}

static json_object *
workers_list(struct tk_app *app)
{
	struct tk_worker_list l;
	struct tk_worker_row *r;
	json_object *a, *w;
	size_t i;

	if ((a = json_object_new_array()) == NULL)
		return NULL;
	if (tk_probe_workers(app->db, heartbeat_timeout(app->cfg),
	    WORKERS_LISTED, &l) != TK_OK)
		return a;
	for (i = 0; i < l.n; i++) {
		r = &l.v[i];
		w = json_object_new_object();
		json_object_object_add(w, "id", json_object_new_string(r->id));
		json_object_object_add(w, "host",
		    json_object_new_string(r->host));
		json_object_object_add(w, "pid", json_object_new_int64(r->pid));
		json_object_object_add(w, "processes",
		    json_object_new_int64(r->processes));
		json_object_object_add(w, "started_at",
		    json_object_new_string(r->started_at));
		json_object_object_add(w, "heartbeat_at",
		    json_object_new_string(r->heartbeat_at));
		json_object_array_add(a, w);
	}
	tk_worker_list_free(&l);
	return a;
}

json_object *
tk_ops_health_json(const struct tk_health *h)
{
	const char *why[TK_HEALTH_MAX_PROBLEMS];
	json_object *o, *schema, *queue, *workers, *problems;
	size_t i, n;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	problems = json_object_new_array();
	n = tk_health_problems(h, why);
	for (i = 0; i < n; i++)
		json_object_array_add(problems, json_object_new_string(why[i]));
	json_object_object_add(o, "status", json_object_new_string(
	    n == 0 ? "ok" : "degraded"));
	json_object_object_add(o, "problems", problems);
	json_object_object_add(o, "database", json_object_new_string("ok"));
	schema = json_object_new_object();
	json_object_object_add(schema, "version", json_object_new_int64(h->version));
	json_object_object_add(schema, "expected_version",
	    json_object_new_int64(h->expected));
	json_object_object_add(schema, "current",
	    json_object_new_boolean(h->current));
	json_object_object_add(o, "schema", schema);
	json_object_object_add(o, "tasks", status_counts(h->c.tasks, TK_TASK_ST__COUNT));
	json_object_object_add(o, "steps", status_counts(h->c.steps, TK_ST__COUNT));
	queue = json_object_new_object();
	json_object_object_add(queue, "ready", json_object_new_int64(h->c.ready_steps));
	json_object_object_add(queue, "oldest_ready_age_seconds",
	    h->c.oldest_ready_seconds >= 0 ?
	    json_object_new_double(h->c.oldest_ready_seconds) : NULL);
	json_object_object_add(queue, "waiting_retry",
	    json_object_new_int64(h->c.waiting_steps));
	json_object_object_add(o, "ready_queue", queue);
	workers = json_object_new_object();
	json_object_object_add(workers, "live",
	    json_object_new_int64(h->c.workers_live));
	json_object_object_add(workers, "processes",
	    json_object_new_int64(h->c.worker_processes_live));
	json_object_object_add(workers, "heartbeat_timeout_seconds",
	    json_object_new_int64(h->heartbeat_timeout));
	json_object_object_add(o, "workers", workers);
	return o;
}

tk_err
tk_api_health_status(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	struct tk_health h;
	json_object *o, *workers;
	char now[32];
	tk_err e;

	if ((e = tk_api_query_check(req, NULL)) != TK_OK)
		return e;
	/* The decision is src/ops/health.c's. */
	e = tk_health_read(app->db, app->cfg, ops.migs_ok ? &ops.migs : NULL,
	    &h);
	if (e == TK_ERR_DB_UNAVAILABLE)
		return unavailable(res, "The database is unreachable", "database",
		    "unreachable");
	if (e != TK_OK)
		return e;
	if ((o = tk_ops_health_json(&h)) == NULL)
		return TK_ERR_NOMEM;
	iso_now(now, sizeof(now));
	if (json_object_object_get_ex(o, "workers", &workers) &&
	    workers != NULL)
		json_object_object_add(workers, "list", workers_list(app));
	json_object_object_add(o, "generated_at", json_object_new_string(now));
	(void)tk_response_set_header(res, "Cache-Control", "no-store");
	return tk_api_json(res, 200, o);
}

/* ---------------------------------------------------------------- /metrics */

static void
gauge(struct tk_buf *b, const char *name, const char *help, long long v)
{
	tk_prom_header(b, name, "gauge", help);
	tk_buf_printf(b, "%s %lld\n", name, v);
}

static void
gauge_by_status(struct tk_buf *b, const char *name, const char *help,
    const long long *by, int n)
{
	int s;

	tk_prom_header(b, name, "gauge", help);
	for (s = 0; s < n; s++)
		tk_buf_printf(b, "%s{status=\"%s\"} %lld\n", name,
		    tk_status_name((enum tk_status)s), by[s]);
}

/* Tasks api.stale_after flags, per status that can stall (one count over
 * ix_tasks_status_updated); nothing when the count fails. */
static void
gauge_stale(struct tk_app *app, struct tk_buf *b)
{
	static const char *const names[TK_STALE_CUTOFFS] = { "pending",
	    "in_progress", "error" };
	char buf[TK_STALE_CUTOFFS][TK_DB_TIME_SIZE];
	const char *before[TK_STALE_CUTOFFS];
	unsigned long long n[TK_STALE_CUTOFFS];
	size_t i;

	tk_tasks_stale_cutoffs(app->cfg, time(NULL), buf, before);
	if (tk_task_store_stale_count(app->db, before, n) != TK_OK)
		return;
	tk_prom_header(b, "tasker_tasks_stale", "gauge", "Tasks in one status "
	    "(since updated_at) for longer than api.stale_after allows.");
	for (i = 0; i < TK_STALE_CUTOFFS; i++)
		tk_buf_printf(b, "tasker_tasks_stale{status=\"%s\"} %llu\n",
		    names[i], n[i]);
}

/* Webhook deliveries by outcome (outbox_store.h); nothing before
 * migration 0009 is applied. */
static void
render_webhooks(struct tk_app *app, struct tk_buf *b)
{
	static const char *const outcome[] = { "delivered", "retried",
	    "failed" };
	unsigned long long n[3];
	int i;

	if (tk_outbox_counts(app->db, n) != TK_OK)
		return;
	tk_prom_header(b, "tasker_webhook_deliveries_total", "counter",
	    "Webhook delivery attempts by outcome: delivered (2xx), retried "
	    "(failed, to be sent again), failed (no attempt left).");
	for (i = 0; i < 3; i++)
		tk_buf_printf(b, "tasker_webhook_deliveries_total"
		    "{outcome=\"%s\"} %llu\n", outcome[i], n[i]);
}

/* What retention purged (purge_counts); nothing before migration 0010. */
static void
render_purged(struct tk_app *app, struct tk_buf *b)
{
	struct tk_purge_total *t;
	unsigned long long steps = 0, transitions = 0;
	size_t n, i;

	if (tk_purge_store_totals(app->db, &t, &n) != TK_OK)
		return;
	tk_prom_header(b, "tasker_tasks_purged_total", "counter",
	    "Finished tasks deleted by retention or tasker-admin tasks purge.");
	for (i = 0; i < n; i++) {
		tk_buf_printf(b, "tasker_tasks_purged_total{namespace=\"%s\","
		    "status=\"%s\"} %llu\n", t[i].namespace_name, t[i].status,
		    t[i].n.tasks);
		steps += t[i].n.steps;
		transitions += t[i].n.transitions;
	}
	tk_prom_header(b, "tasker_purged_rows_total", "counter",
	    "Rows deleted with the purged tasks.");
	tk_buf_printf(b, "tasker_purged_rows_total{table=\"workflow_steps\"} "
	    "%llu\ntasker_purged_rows_total{table=\"transitions\"} %llu\n",
	    steps, transitions);
	free(t);
}

/* Claims held back by each step template's rate_limit (flow_rates,
 * 0012); nothing before that migration or before any rate limit. */
static void
render_rate_limited(struct tk_app *app, struct tk_buf *b)
{
	struct tk_rate_total *t;
	size_t n, i;

	if (tk_step_store_rate_totals(app->db, &t, &n) != TK_OK)
		return;
	tk_prom_header(b, "tasker_rate_limited_total", "counter",
	    "Claims of a step held back by its template's rate_limit.");
	for (i = 0; i < n; i++) {
		/* "r:<namespace>/<handler>/<step>": names need no escape. */
		tk_buf_printf(b, "tasker_rate_limited_total{step=\"%s\"} "
		    "%llu\n", t[i].step + (strncmp(t[i].step, "r:", 2) == 0 ?
		    2 : 0), t[i].limited);
	}
	free(t);
}

/* The metrics read from the database; 0 when it could not be reached. */
static int
render_db(struct tk_app *app, struct tk_buf *b)
{
	struct tk_probe_counts c;
	unsigned version = 0;
	int current = 0;

	if (tk_db_ensure(app->db) != TK_OK)
		return 0;
	if (ops.metrics != NULL &&
	    tk_probe_step_catchup(app->db, ops.metrics, CATCHUP_BUDGET_MS) ==
	    TK_ERR_DB_UNAVAILABLE)
		return 0;
	if (tk_probe_counts(app->db, heartbeat_timeout(app->cfg), &c) != TK_OK)
		return 0;
	if (ops.migs_ok &&
	    tk_migrate_current(app->db, &ops.migs, &version, &current) != TK_OK)
		current = 0;
	gauge_by_status(b, "tasker_tasks", "Tasks by status.", c.tasks,
	    TK_TASK_ST__COUNT);
	gauge_stale(app, b);
	gauge_by_status(b, "tasker_steps", "Workflow steps by status.",
	    c.steps, TK_ST__COUNT);
	gauge(b, "tasker_ready_steps", "Steps that a worker may claim now "
	    "(the ready queue).", c.ready_steps);
	tk_prom_header(b, "tasker_ready_step_oldest_age_seconds", "gauge",
	    "How long the oldest ready step has waited; 0 when none is ready.");
	tk_buf_printf(b, "tasker_ready_step_oldest_age_seconds %.6f\n",
	    c.oldest_ready_seconds > 0 ? c.oldest_ready_seconds : 0.0);
	gauge(b, "tasker_waiting_retry_steps", "Failed steps waiting for their "
	    "retry backoff to elapse.", c.waiting_steps);
	gauge(b, "tasker_workers_live", "Workers with a heartbeat within 3 x "
	    "worker.heartbeat_seconds.", c.workers_live);
	gauge(b, "tasker_worker_processes_live", "Step-running processes of "
	    "the live workers.", c.worker_processes_live);
	gauge(b, "tasker_schema_version", "Highest schema migration applied.",
	    version);
	gauge(b, "tasker_schema_current", "1 when every migration this "
	    "tasker-fcgi knows is applied.", current);
	render_webhooks(app, b);
	render_purged(app, b);
	render_rate_limited(app, b);
	return 1;
}

tk_err
tk_api_metrics(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	struct tk_buf *b = &res->body;
	int up;
	tk_err e;

	if ((e = guard(req, res, app->cfg->auth.open_health)) != TK_OK)
		return e;
	tk_buf_reset(b);
	tk_prom_header(b, "tasker_build_info", "gauge",
	    "The tasker version this process runs.");
	tk_buf_printf(b, "tasker_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	if (ops.metrics != NULL)
		(void)tk_metrics_render_requests(ops.metrics, b);
	up = render_db(app, b);
	gauge(b, "tasker_database_up", "1 when the database answered this "
	    "scrape.", up);
	if (ops.metrics != NULL)
		(void)tk_metrics_render_steps(ops.metrics, b);
	if (b->failed)
		return TK_ERR_NOMEM;
	res->status = 200;
	(void)tk_response_set_header(res, "Cache-Control", "no-store");
	return tk_response_set_content_type(res, CONTENT_TYPE_PROM);
}

/* ---------------------------------------------------------------- /api-docs.json */

tk_err
tk_api_docs_json(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	tk_err e;

	if ((e = guard(req, res, app->cfg->auth.open_docs)) != TK_OK)
		return e;
	/* Not read at start (missing then): try again, so installing the
	   document needs no restart. */
	if (ops.docs == NULL && (e = load_docs(app->cfg)) != TK_OK)
		return e;
	tk_buf_reset(&res->body);
	if ((e = tk_buf_append(&res->body, ops.docs, ops.docs_len)) != TK_OK)
		return e;
	res->status = 200;
	return TK_OK;
}
