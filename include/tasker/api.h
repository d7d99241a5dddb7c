/*
 * api.h - the REST API: the route table, the request pipeline, and the
 * error bodies of the guide.
 *
 * tasker-fcgi turns a FastCGI request into a struct tk_request and calls
 * tk_api_dispatch(), which matches the route, authenticates, checks the
 * route's permission, runs the controller and renders any error.  A
 * controller has one error channel: it returns the tk_err, with its
 * message in req->error and its details attached by tk_api_reject; it
 * never renders an error itself.  Each
 * controller reads like the endpoint's documentation: it validates its
 * input, asks the store or the catalog, and shapes JSON.  Only this layer
 * shapes JSON; only the store speaks SQL; only the http layer knows HTTP.
 */
#ifndef TASKER_API_H
#define TASKER_API_H

#include <json-c/json.h>

#include "tasker/auth.h"
#include "tasker/catalog.h"
#include "tasker/config.h"
#include "tasker/db.h"
#include "tasker/http.h"
#include "tasker/perm.h"

/* What a controller reaches through req->app.  One per process. */
struct tk_app {
	const struct tk_config *cfg;
	struct tk_db           *db;       /* the writer, chained (db.h),
	                                     connected lazily after the fork;
	                                     while a read-only route's
	                                     controller runs, the connection
	                                     dispatch.c chose */
	struct tk_db           *reader;   /* the read-only routes' connection:
	                                     database.read's or, without it,
	                                     a second one to the writer's
	                                     server (reader_local), so that
	                                     reads leave the writer's
	                                     transaction closed; lazily */
	int                     reader_local; /* no wsrep_sync_wait needed */
	long long               reader_retry_ms; /* reader down until then */
	struct tk_catalog      *catalog;  /* cached handler registry */
	struct tk_auth         *auth;     /* verification keys */
	struct tk_principal     principal; /* of the request in hand */
	json_object            *details;  /* of the error the request's
	                                     controller returns (tk_api_reject);
	                                     the dispatcher renders and puts it */
};

/* The route table: every endpoint, its permission and its controller. */
extern const struct tk_route tk_api_routes[];
extern const size_t          tk_api_nroutes;

/*
 * Runs one request end to end and leaves the complete answer in res
 * (status, headers, body).  Never fails: every error becomes the guide's
 * error body.
 */
void tk_api_dispatch(struct tk_app *app, struct tk_request *req,
    struct tk_response *res);

/*
 * The one rule for query parameters, on every route: a parameter not in
 * allowed (NULL-ended; NULL: none) or given more than once is refused,
 * 400 with each such parameter named in the details (attached, for the
 * dispatcher to render).  Controllers call it before reading anything.
 */
tk_err tk_api_query_check(struct tk_request *req,
    const char *const *allowed);

/* The process's catalog, refreshed when stale: *out is app->catalog,
 * set on error too.  For every controller that reads the registry. */
tk_err tk_api_catalog(struct tk_request *req, struct tk_catalog **out);

/*
 * Authenticates the request (its credentials, REMOTE_USER and groups
 * variable) into app->principal and checks its route's permission.
 * TK_ERR_AUTHENTICATION with WWW-Authenticate set on res;
 * TK_ERR_AUTHORIZATION with req->error saying which permission is
 * missing.  The pipeline calls it for every route that is not open, and
 * src/api/ops.c for open routes that configuration closes.
 */
tk_err tk_api_authenticate(struct tk_request *req, struct tk_response *res);

/*
 * Renders {"error": {"type", "message", "details"?, "code"}} for e into
 * res (replacing whatever it held).  message NULL: req-independent
 * default of the error table.  details (may be NULL) is taken over.
 */
void tk_api_error(struct tk_response *res, tk_err e, const char *message,
    json_object *details);

/*
 * A controller's error: sets req->error to message (unless NULL: keep it)
 * and attaches details (may be NULL; taken over) for the dispatcher to
 * render.  Returns e, so a controller ends with "return tk_api_reject(...)".
 */
tk_err tk_api_reject(struct tk_request *req, tk_err e, const char *message,
    json_object *details);

/* Serialises obj into the body with status; obj is released. */
tk_err tk_api_json(struct tk_response *res, int status, json_object *obj);

/* {"field": ["message"]}: the details shape of the guide. */
json_object *tk_api_details1(const char *field, const char *message);

/* Discovery controllers (src/api/handlers.c). */
tk_err tk_api_handlers_index(struct tk_request *req, struct tk_response *res);
tk_err tk_api_handlers_namespace(struct tk_request *req,
    struct tk_response *res);
tk_err tk_api_handlers_show(struct tk_request *req, struct tk_response *res);

/*
 * Recurring tasks (src/api/schedules.c).  GET /schedules; the schedules
 * of the latest version of every handler in cat (only namespace ns when
 * not NULL; only those p sees when p is not NULL) as an array, for the
 * API and tasker-admin; root["schedules"] for one definition d.  Each
 * item: the definition, paused, last_tick_at, last_task_id, next_run_at.
 */
struct tk_handler_def;
tk_err tk_api_schedules_index(struct tk_request *req, struct tk_response *res);
tk_err tk_api_schedules_of(struct tk_db *db, const struct tk_catalog *cat,
    const struct tk_principal *p, const char *ns, json_object **out);
tk_err tk_api_schedules_add(struct tk_db *db, const struct tk_handler_def *d,
    json_object *root);

#endif
