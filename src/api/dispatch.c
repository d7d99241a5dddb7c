/*
 * dispatch.c - the route table and the request pipeline:
 *
 *   match route (404 / 405 + Allow; a CORS preflight: 204) -> authenticate
 *   (401 + WWW-Authenticate) -> check the route's permission (403) ->
 *   controller -> error rendering -> ETag / 304 for successful GETs ->
 *   the CORS headers for an allowed Origin.
 *
 * The table is the one place that says which endpoint exists, which
 * permission it needs and which function answers it, and (its flags)
 * which connection the controller reads through: TK_ROUTE_READ and
 * TK_ROUTE_LATEST routes only read, and use database.read when it is
 * set (route_conn below); every other route, and every transaction, uses
 * the writer.
 */
#include "tasker/api.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tasker/buf.h"
#include "tasker/clock.h"
#include "tasker/log.h"
#include "tasker/ops.h"
#include "tasker/task_api.h"

const struct tk_route tk_api_routes[] = {
	/* method  pattern                        permission               flags controller                  name */
	/* discovery: any synced node will do, a handler loaded a moment
	   ago may show a moment later */
	{ "GET", "/handlers",                  "tasker.handler:index", TK_ROUTE_READ, tk_api_handlers_index,     "handlers.index" },
	{ "GET", "/handlers/{namespace}",      "tasker.handler:index", TK_ROUTE_READ, tk_api_handlers_namespace, "handlers.namespace" },
	{ "GET", "/handlers/{namespace}/{name}", "tasker.handler:show", TK_ROUTE_READ, tk_api_handlers_show,     "handlers.show" },
	{ "GET", "/schedules",                 "tasker.handler:index", TK_ROUTE_LATEST, tk_api_schedules_index, "schedules.index" },
	/* operations (src/api/ops.c): open unless auth.open_health /
	   auth.open_docs close them; /metrics then needs its permission */
	{ "GET", "/health/live",               NULL, TK_ROUTE_OPEN, tk_api_health_live,  "health.live" },
	{ "GET", "/health/ready",              NULL, TK_ROUTE_OPEN, tk_api_health_ready, "health.ready" },
	{ "GET", "/health/status",             "tasker.health_status:index", 0, tk_api_health_status, "health.status" },
	{ "GET", "/metrics",                   "tasker.metrics:index", TK_ROUTE_OPEN, tk_api_metrics, "metrics" },
	{ "GET", "/api-docs.json",             NULL, TK_ROUTE_OPEN, tk_api_docs_json,    "docs.openapi" },
	/* tasks (src/api/task_controller.c, src/api/task_ops_controller.c);
	   a client reads what it just wrote: TK_ROUTE_LATEST */
	{ "POST",   "/tasks",                 "tasker.task:create", 0, tk_api_tasks_create, "tasks.create" },
	{ "GET",    "/tasks",                 "tasker.task:index",  TK_ROUTE_LATEST, tk_api_tasks_index,  "tasks.index" },
	{ "GET",    "/tasks/{id}",            "tasker.task:show",   TK_ROUTE_LATEST, tk_api_tasks_show,   "tasks.show" },
	{ "PATCH",  "/tasks/{id}",            "tasker.task:update", 0, tk_api_tasks_update, "tasks.update" },
	{ "DELETE", "/tasks/{id}",            "tasker.task:cancel", 0, tk_api_tasks_cancel, "tasks.cancel" },
	{ "POST",   "/tasks/{id}/retry",      "tasker.task:retry",  0, tk_api_tasks_retry,  "tasks.retry" },
	{ "GET",    "/tasks/{id}/events",     "tasker.task:show",   TK_ROUTE_LATEST, tk_api_tasks_events, "tasks.events" },
	{ "GET",    "/tasks/{id}/workflow_steps", "tasker.workflow_step:index", TK_ROUTE_LATEST, tk_api_steps_index, "steps.index" },
	{ "GET",    "/tasks/{id}/workflow_steps/{step}", "tasker.workflow_step:show", TK_ROUTE_LATEST, tk_api_steps_show, "steps.show" },
	{ "PATCH",  "/tasks/{id}/workflow_steps/{step}", "tasker.workflow_step:update", 0, tk_api_steps_update, "steps.update" },
};
const size_t tk_api_nroutes = sizeof(tk_api_routes) / sizeof(tk_api_routes[0]);

tk_err
tk_api_catalog(struct tk_request *req, struct tk_catalog **out)
{
	struct tk_app *app = req->app;
	tk_err e;

	e = tk_catalog_refresh(&app->catalog, app->db,
	    app->cfg->api.registry_refresh_ms);
	*out = app->catalog;
	return e;
}

tk_err
tk_api_authenticate(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	const struct tk_route *r = req->route;
	struct tk_auth_input in;
	const char *www_error = NULL;
	tk_err e;

	memset(&in, 0, sizeof(in));
	in.authorization = req->authorization;
	in.remote_user = req->remote_user;
	in.remote_groups = app->cfg->auth.groups_variable != NULL ?
	    tk_request_env(req, app->cfg->auth.groups_variable) : NULL;
	in.now = time(NULL);
	tk_principal_free(&app->principal);
	e = tk_auth_authenticate(app->auth, &in, &app->principal, &www_error);
	if (e == TK_ERR_AUTHENTICATION)
		(void)tk_response_set_header(res, "WWW-Authenticate",
		    tk_auth_challenge(www_error));
	if (e != TK_OK)
		return e;
	if (r->permission != NULL &&
	    !tk_principal_allows(&app->principal, r->permission)) {
		tk_request_errorf(req, "Insufficient permissions for %s",
		    r->permission);
		return TK_ERR_AUTHORIZATION;
	}
	return TK_OK;
}

/* Authenticates and authorizes the request's route; renders the 401 or
 * 403 itself.  An open route needs neither. */
static tk_err
authorize(struct tk_app *app, struct tk_request *req, struct tk_response *res)
{
	tk_err e;

	tk_principal_free(&app->principal);
	if (req->route->flags & TK_ROUTE_OPEN)
		return TK_OK;
	if ((e = tk_api_authenticate(req, res)) != TK_OK)
		tk_api_error(res, e, req->error[0] ? req->error : NULL, NULL);
	return e;
}

#define READ_RETRY_MS 5000	/* a read connection that failed rests so long */

/* The read connection failed: the writer answers for READ_RETRY_MS, so a
 * dead read listener costs one failed connect, not one per request. */
static void
reader_down(struct tk_app *app)
{
	char q[300];

	tk_log(TK_LOG_WARN, "event=read_db_unavailable error=%s retry_ms=%d",
	    tk_log_quote(q, sizeof(q), tk_db_error(app->reader)),
	    READ_RETRY_MS);
	tk_db_disconnect(app->reader);
	app->reader_retry_ms = tk_now_ms() + READ_RETRY_MS;
}

/*
 * The one place that chooses a request's connection: the read connection
 * for a route that only reads - database.read's with wsrep_sync_wait 1
 * when it must see the latest write (0 for discovery), or the writer's
 * server's - as long as it answers; else the writer.
 */
static struct tk_db *
route_conn(struct tk_app *app, const struct tk_route *r)
{
	tk_err e;

	if (app->reader == NULL ||
	    (r->flags & (TK_ROUTE_READ | TK_ROUTE_LATEST)) == 0 ||
	    tk_now_ms() < app->reader_retry_ms)
		return app->db;
	if (app->reader_local)
		e = tk_db_ensure(app->reader);
	else
		e = tk_db_sync_wait(app->reader, (r->flags & TK_ROUTE_LATEST) ?
		    1 : 0);
	if (e == TK_OK)
		return app->reader;
	reader_down(app);
	return app->db;
}

/*
 * Runs the route's controller with app->db lent the connection route_conn
 * chose.  A read connection that fails under it (its node died or left
 * the cluster) is set aside and the controller, which only reads, runs
 * again on the writer: a read node's death never costs a request.
 */
static tk_err
run_controller(struct tk_app *app, struct tk_request *req,
    struct tk_response *res)
{
	struct tk_db *writer = app->db;
	tk_err e;

	app->db = route_conn(app, req->route);
	e = req->route->handler(req, res);
	if (app->db != writer &&
	    (e == TK_ERR_DB_UNAVAILABLE || e == TK_ERR_DB)) {
		reader_down(app);
		app->db = writer;
		json_object_put(app->details);
		app->details = NULL;
		req->error[0] = '\0';
		tk_buf_reset(&res->body);
		res->status = 200;
		e = req->route->handler(req, res);
	}
	app->db = writer;
	return e;
}

/* The pipeline; origin is the request's Origin when CORS allows it. */
static void
dispatch(struct tk_app *app, struct tk_request *req, struct tk_response *res,
    const char *origin)
{
	char allow[TK_ALLOW_SIZE];
	tk_err e;

	e = tk_route_match(tk_api_routes, tk_api_nroutes, req, allow,
	    sizeof(allow));
	if (e == TK_ERR_METHOD_NOT_ALLOWED && origin != NULL &&
	    tk_cors_is_preflight(req)) {
		/* No credentials come with a preflight: answered before
		 * authentication, for a path that exists. */
		if (tk_cors_preflight(res, allow) != TK_OK)
			tk_api_error(res, TK_ERR_NOMEM, NULL, NULL);
		return;
	}
	if (e == TK_ERR_METHOD_NOT_ALLOWED) {
		tk_api_error(res, e, NULL, NULL);
		(void)tk_response_set_header(res, "Allow", allow);
		return;
	}
	if (e != TK_OK) {
		tk_api_error(res, e, req->error[0] ? req->error : NULL, NULL);
		return;
	}
	if (authorize(app, req, res) != TK_OK)
		return;
	json_object_put(app->details);
	app->details = NULL;
	e = run_controller(app, req, res);
	if (e != TK_OK) {
		if (e == TK_ERR_DB || e == TK_ERR_INTERNAL || e == TK_ERR_NOMEM)
			tk_log(TK_LOG_ERROR, "event=error request_id=%s route=%s "
			    "error=%s", req->request_id, req->route->name,
			    tk_err_name(e));
		/* Every controller error is rendered here, details too. */
		tk_api_error(res, e, req->error[0] ? req->error : NULL,
		    app->details);
		app->details = NULL;
		return;
	}
	json_object_put(app->details);   /* attached, then not returned */
	app->details = NULL;
	if (tk_response_conditional(res, req) != TK_OK)
		tk_api_error(res, TK_ERR_NOMEM, NULL, NULL);
}

void
tk_api_dispatch(struct tk_app *app, struct tk_request *req,
    struct tk_response *res)
{
	const struct tk_api_config *api = &app->cfg->api;
	const char *origin;

	req->app = app;
	origin = tk_cors_allowed(req, api->cors_origins, api->ncors_origins);
	dispatch(app, req, res, origin);
	/* Reads on the writer outside a transaction (a write route's
	 * lookups, the probes) end here: no idle process holds them. */
	if (tk_db_finish(app->db) != TK_OK)
		tk_log(TK_LOG_WARN, "event=db_finish_failed request_id=%s",
		    req->request_id);
	/* Errors included: a script may read why its request failed. */
	if (origin != NULL)
		(void)tk_cors_headers(res, origin);
}
