/*
 * task_api.h - the task API's controllers (named in the route table of
 * src/api/dispatch.c) and what they share (src/api/task_support.c); the
 * JSON shapes are in task_writer.h.
 *
 *   POST   /tasks                                   tasker.task:create
 *   GET    /tasks                                   tasker.task:index
 *   GET    /tasks/{id}                              tasker.task:show
 *   PATCH  /tasks/{id}                              tasker.task:update
 *   DELETE /tasks/{id}                              tasker.task:cancel
 *   POST   /tasks/{id}/retry                        tasker.task:retry
 *   GET    /tasks/{id}/workflow_steps               tasker.workflow_step:index
 *   GET    /tasks/{id}/workflow_steps/{step}        tasker.workflow_step:show
 *   PATCH  /tasks/{id}/workflow_steps/{step}        tasker.workflow_step:update
 */
#ifndef TASKER_TASK_API_H
#define TASKER_TASK_API_H

#include <time.h>

#include <json-c/json.h>

#include "tasker/api.h"
#include "tasker/buf.h"
#include "tasker/task_store.h"

struct tk_config;

/* Controllers: src/api/task_controller.c */
tk_err tk_api_tasks_create(struct tk_request *req, struct tk_response *res);
tk_err tk_api_tasks_index(struct tk_request *req, struct tk_response *res);
tk_err tk_api_tasks_show(struct tk_request *req, struct tk_response *res);
/* Controllers: src/api/task_ops_controller.c */
tk_err tk_api_tasks_cancel(struct tk_request *req, struct tk_response *res);
tk_err tk_api_tasks_update(struct tk_request *req, struct tk_response *res);
tk_err tk_api_tasks_retry(struct tk_request *req, struct tk_response *res);
tk_err tk_api_steps_index(struct tk_request *req, struct tk_response *res);
tk_err tk_api_steps_show(struct tk_request *req, struct tk_response *res);
tk_err tk_api_steps_update(struct tk_request *req, struct tk_response *res);
/* Controller: src/api/event_controller.c */
tk_err tk_api_tasks_events(struct tk_request *req, struct tk_response *res);

/* ---------------------------------------------------------------- shared (task_support.c) */

#define TK_ACTOR_MAX 255   /* actor, initiator and principal columns */

/* The handler version of a task by id; NULL when the catalog lacks it. */
const struct tk_catalog_version *tk_tasks_version(struct tk_request *req,
    unsigned hv_id);

/* The {id} path parameter as a task id; TK_ERR_TASK_NOT_FOUND (message
 * set) when it is not one. */
tk_err tk_tasks_id_param(struct tk_request *req, unsigned char id[16]);
/* The message of a 404 for task id text s. */
tk_err tk_tasks_not_found(struct tk_request *req, const char *s);

/* 1 when the request's principal may see task t (its namespace and
 * created_by are in the principal's scope). */
int    tk_tasks_visible(struct tk_request *req, const struct tk_task_row *t);
/* Whether a task in status, last changed at updated_at (ISO 8601), is
 * stale now under api.stale_after (see tk_task_stale). */
int    tk_tasks_stale(struct tk_request *req, enum tk_status status,
    const char *updated_at);
/*
 * GET /tasks/{id} with If-None-Match: 1 when the request's tag matches
 * the task's current ETag (deps: include_dependencies), known from one
 * primary-key read (tk_task_store_head) with no step read; the ETag is
 * then set and the answer left to the dispatcher's 304.  0: answer in
 * full.  A task the caller may not see is never matched.
 */
tk_err tk_tasks_unchanged(struct tk_request *req, struct tk_response *res,
    const unsigned char id[16], int deps, int *unchanged);
/*
 * For a principal with a scope (namespaces, own tasks): reads task id and
 * returns TK_ERR_TASK_NOT_FOUND (message set) when there is none or it is
 * outside the scope, so that nothing is changed and nothing is revealed.
 * An unlimited principal costs no read (TK_OK).
 */
tk_err tk_tasks_scope_check(struct tk_request *req,
    const unsigned char id[16]);

/* The principal's subject cut to TK_ACTOR_MAX bytes on a character
 * boundary (the width of the actor columns); "unknown" without one. */
const char *tk_tasks_actor(struct tk_request *req, char out[TK_ACTOR_MAX + 1]);

/*
 * The request's JSON body: 415 for a Content-Type other than JSON, 400
 * for an empty body (unless allow_empty: *out NULL then) and for JSON
 * that does not parse (saying where).  Errors come with their message
 * and details attached (tk_api_reject) for the dispatcher to render.
 */
tk_err tk_tasks_body(struct tk_request *req, int allow_empty,
    json_object **out);

/* 'YYYY-MM-DD HH:MM:SS.ffffff' and its NUL: a time as the database
 * compares it (UTC). */
#define TK_DB_TIME_SIZE 27

/*
 * An RFC 3339 time (ISO 8601 with its offset): YYYY-MM-DDTHH:MM:SS, an
 * optional fraction (digits past the sixth are dropped), then Z or
 * +HH:MM / -HH:MM (in a query string '+' must be sent as %2B), years 1000
 * to 9999.  Into out in UTC, as the database compares it.  0 when it is
 * one, else -1.
 */
int    tk_time_parse(const char *s, char out[TK_DB_TIME_SIZE]);
/*
 * The stale cut-offs of tk_task_filter.stale_before at now under
 * cfg's api.stale_after (pending, in_progress, error), spelled into buf:
 * out[i] NULL for a status that is never stale.
 */
void   tk_tasks_stale_cutoffs(const struct tk_config *cfg, time_t now,
    char buf[TK_STALE_CUTOFFS][TK_DB_TIME_SIZE],
    const char *out[TK_STALE_CUTOFFS]);

/*
 * Reads task id and answers it with HTTP status code: the task with its
 * steps (and dependency analysis when deps).  TK_ERR_TASK_NOT_FOUND, also
 * for a task outside the principal's scope.
 */
tk_err tk_tasks_answer(struct tk_request *req, struct tk_response *res,
    const unsigned char id[16], int code, int deps);

#endif
