/*
 * task_ops_controller.c - what an operator does to a task and its steps.
 *
 *   DELETE /tasks/{id}                        cancel (tasker.task:cancel)
 *   PATCH  /tasks/{id}                        reason, tags (tasker.task:update)
 *   POST   /tasks/{id}/retry                  retry failed steps (tasker.task:retry)
 *   GET    /tasks/{id}/workflow_steps         steps (tasker.workflow_step:index)
 *   GET    /tasks/{id}/workflow_steps/{step}  one step (tasker.workflow_step:show)
 *   PATCH  /tasks/{id}/workflow_steps/{step}  resolve or cancel a step
 *                                             (tasker.workflow_step:update)
 *
 * Every status change goes through state.h (in task_store.c) with the
 * principal's subject as the actor.  A task outside the principal's
 * scope (namespaces, own tasks) is a 404 before anything is read from
 * the body or changed.  A change the state machine does not
 * allow is a 409 naming the current and the requested status.
 */
#include "tasker/task_api.h"

#include <stdio.h>
#include <string.h>

#include "tasker/handler.h"
#include "tasker/body_parser.h"
#include "tasker/task_request.h"
#include "tasker/task_writer.h"
#include "tasker/uuid.h"
#include "tasker/wake.h"

static const char *const no_params[] = { NULL };

/* The {step} path parameter, or TK_ERR_STEP_NOT_FOUND. */
static tk_err
step_param(struct tk_request *req, const unsigned char id[16],
    const char **out)
{
	const char *s = tk_request_param(req, "step");
	char q[72], idtext[TK_UUID_STR_SIZE];

	*out = s;
	if (s != NULL && tk_name_valid(s))
		return TK_OK;
	tk_uuid_format(id, idtext);
	tk_request_errorf(req, "Step '%s' not found in task '%s'",
	    tk_quote(q, s), idtext);
	return TK_ERR_STEP_NOT_FOUND;
}

static tk_err
step_not_found(struct tk_request *req, const unsigned char id[16],
    const char *name)
{
	char q[72], idtext[TK_UUID_STR_SIZE];

	tk_uuid_format(id, idtext);
	tk_request_errorf(req, "Step '%s' not found in task '%s'",
	    tk_quote(q, name), idtext);
	return TK_ERR_STEP_NOT_FOUND;
}

static tk_err
task_not_found(struct tk_request *req, const unsigned char id[16])
{
	char idtext[TK_UUID_STR_SIZE];

	tk_uuid_format(id, idtext);
	return tk_tasks_not_found(req, idtext);
}

/* An optional {"reason": "..."} body (DELETE, retry).  *body is the
 * caller's to put; *reason points into it. */
static tk_err
reason_body(struct tk_request *req, json_object **body, const char **reason)
{
	json_object *d;
	tk_err e;

	*reason = NULL;
	if ((e = tk_api_query_check(req, no_params)) != TK_OK ||
	    (e = tk_tasks_body(req, 1, body)) != TK_OK)
		return e;
	if ((d = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	if ((e = tk_retry_request_parse(*body, reason, d)) != TK_OK)
		return tk_api_reject(req, TK_ERR_VALIDATION,
		    "Invalid request", d);
	json_object_put(d);
	return TK_OK;
}

/*
 * The prologue of a PATCH: no query parameters, a JSON body (*body) and
 * an empty details object (*d) for its parser; both the caller's to put.
 */
static tk_err
patch_body(struct tk_request *req, json_object **body, json_object **d)
{
	tk_err e;

	if ((e = tk_api_query_check(req, no_params)) != TK_OK ||
	    (e = tk_tasks_body(req, 0, body)) != TK_OK)
		return e;
	if ((*d = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	return TK_OK;
}

/* A PATCH parser's verdict e: TK_ERR_VALIDATION takes message and the
 * details *d with it (*d is NULL then). */
static tk_err
parsed(struct tk_request *req, tk_err e, const char *message,
    json_object **d)
{
	if (e == TK_ERR_VALIDATION) {
		e = tk_api_reject(req, e, message, *d);
		*d = NULL;
	}
	return e;
}

/* ---------------------------------------------------------------- DELETE /tasks/{id}, POST .../retry */

typedef tk_err (*task_op_fn)(struct tk_db *, const unsigned char[16],
    const char *, const char *, enum tk_status *, struct tk_task_state *);

/*
 * A whole-task operation: the task id from the path, an optional
 * {"reason"} body, the store's operation, and the task as it left it.
 * The 409 reads "Task '<id>' is <already><status>; only a task <only>".
 */
static tk_err
task_op(struct tk_request *req, struct tk_response *res, task_op_fn op,
    const char *default_reason, const char *already, const char *only)
{
	struct tk_app *app = req->app;
	unsigned char id[16];
	char actor[TK_ACTOR_MAX + 1], idtext[TK_UUID_STR_SIZE];
	struct tk_task_state out;
	json_object *body = NULL;
	const char *reason;
	enum tk_status st;
	tk_err e;

	if ((e = tk_tasks_id_param(req, id)) != TK_OK ||
	    (e = tk_tasks_scope_check(req, id)) != TK_OK)
		return e;
	if ((e = reason_body(req, &body, &reason)) != TK_OK) {
		json_object_put(body);
		return e;
	}
	e = op(app->db, id, tk_tasks_actor(req, actor),
	    reason != NULL ? reason : default_reason, &st, &out);
	json_object_put(body);
	if (e == TK_ERR_TASK_NOT_FOUND)
		return task_not_found(req, id);
	if (e == TK_ERR_CONFLICT) {
		tk_uuid_format(id, idtext);
		tk_request_errorf(req, "Task '%s' is %s%s; only a task %s",
		    idtext, already, tk_status_name(st), only);
		return e;
	}
	if (e != TK_OK)
		return e;
	e = tk_tasks_render(req, res, &out.task, &out.steps, 200, 0);
	tk_task_state_free(&out);
	return e;
}

tk_err
tk_api_tasks_cancel(struct tk_request *req, struct tk_response *res)
{
	return task_op(req, res, tk_task_store_cancel,
	    "cancelled through the API", "already ",
	    "that has not finished can be cancelled");
}

tk_err
tk_api_tasks_retry(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	tk_err e;

	e = task_op(req, res, tk_task_store_retry,
	    "retried through the API", "", "in error can be retried");
	/* Committed: its steps are ready again for an idle worker here. */
	if (e == TK_OK)
		tk_wake_send(app->cfg->run_dir, 1);
	return e;
}

/* ---------------------------------------------------------------- PATCH /tasks/{id} */

tk_err
tk_api_tasks_update(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	struct tk_task_update u;
	struct tk_task_state out;
	unsigned char id[16];
	json_object *body = NULL, *d = NULL;
	const char *tags = NULL;
	tk_err e;

	memset(&u, 0, sizeof(u));
	if ((e = tk_tasks_id_param(req, id)) != TK_OK ||
	    (e = tk_tasks_scope_check(req, id)) != TK_OK)
		return e;
	if ((e = patch_body(req, &body, &d)) != TK_OK ||
	    (e = parsed(req, tk_task_update_parse(body, &u, d),
	    "Only reason and tags of a task can be changed", &d)) != TK_OK)
		goto out;
	if (u.tags != NULL && (tags = tk_json_text(u.tags, NULL)) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	e = tk_task_store_update(app->db, id, u.set_reason, u.reason,
	    u.set_tags, tags, &out);
	if (e == TK_ERR_TASK_NOT_FOUND)
		e = task_not_found(req, id);
	else if (e == TK_OK) {
		e = tk_tasks_render(req, res, &out.task, &out.steps, 200, 0);
		tk_task_state_free(&out);
	}
out:
	json_object_put(d);
	tk_task_update_free(&u);
	json_object_put(body);
	return e;
}

/* ---------------------------------------------------------------- steps */

/* Reads the task's handler definition (for depends_on); NULL when the
 * catalog cannot say.  TK_ERR_TASK_NOT_FOUND when there is no task, or
 * none in the principal's scope. */
static tk_err
task_def(struct tk_request *req, const unsigned char id[16],
    const struct tk_handler_def **def)
{
	struct tk_app *app = req->app;
	const struct tk_catalog_version *v;
	struct tk_task_row t;
	tk_err e;

	*def = NULL;
	if ((e = tk_task_store_get(app->db, id, &t)) != TK_OK)
		return e == TK_ERR_TASK_NOT_FOUND ? task_not_found(req, id) : e;
	if (!tk_tasks_visible(req, &t)) {
		tk_task_row_free(&t);
		return task_not_found(req, id);
	}
	v = tk_tasks_version(req, t.hv_id);
	*def = v != NULL ? v->def : NULL;
	tk_task_row_free(&t);
	return TK_OK;
}

tk_err
tk_api_steps_index(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	const struct tk_handler_def *def;
	struct tk_step_list s;
	unsigned char id[16];
	char idtext[TK_UUID_STR_SIZE];
	json_object *o;
	tk_err e;

	if ((e = tk_api_query_check(req, no_params)) != TK_OK)
		return e;
	if ((e = tk_tasks_id_param(req, id)) != TK_OK ||
	    (e = task_def(req, id, &def)) != TK_OK)
		return e;
	if ((e = tk_task_store_steps(app->db, id, &s)) != TK_OK)
		return e;
	tk_uuid_format(id, idtext);
	if ((o = json_object_new_object()) != NULL) {
		json_object_object_add(o, "task_id",
		    json_object_new_string(idtext));
		json_object_object_add(o, "workflow_steps",
		    tk_steps_json(&s, def));
	}
	tk_step_list_free(&s);
	return tk_api_json(res, 200, o);
}

/*
 * One step in full, with its task id and its latest transitions.  given
 * (may be NULL: read it) is the step as an operation left it; answer_step
 * takes it over.
 */
static tk_err
answer_step(struct tk_request *req, struct tk_response *res,
    const unsigned char id[16], const char *name,
    const struct tk_handler_def *def, struct tk_step_list *given)
{
	struct tk_app *app = req->app;
	struct tk_step_list s = { NULL, 0 };
	struct tk_transition_list tr;
	char idtext[TK_UUID_STR_SIZE];
	json_object *o;
	tk_err e;

	if (given != NULL && given->n == 1) {
		s = *given;
		memset(given, 0, sizeof(*given));
	} else if ((e = tk_task_store_step(app->db, id, name, &s)) != TK_OK)
		return e == TK_ERR_STEP_NOT_FOUND ?
		    step_not_found(req, id, name) : e;
	if ((e = tk_task_store_step_transitions(app->db, s.v[0].id, &tr))
	    != TK_OK) {
		tk_step_list_free(&s);
		return e;
	}
	tk_uuid_format(id, idtext);
	if ((o = tk_step_json(&s.v[0], def)) != NULL) {
		json_object_object_add(o, "task_id",
		    json_object_new_string(idtext));
		json_object_object_add(o, "transitions",
		    tk_transitions_json(&tr));
	}
	tk_step_list_free(&s);
	tk_transition_list_free(&tr);
	return tk_api_json(res, 200, o);
}

tk_err
tk_api_steps_show(struct tk_request *req, struct tk_response *res)
{
	const struct tk_handler_def *def;
	unsigned char id[16];
	const char *name;
	tk_err e;

	if ((e = tk_api_query_check(req, no_params)) != TK_OK)
		return e;
	if ((e = tk_tasks_id_param(req, id)) != TK_OK ||
	    (e = task_def(req, id, &def)) != TK_OK ||
	    (e = step_param(req, id, &name)) != TK_OK)
		return e;
	return answer_step(req, res, id, name, def, NULL);
}

/* The 409 of a step change, saying why. */
static void
step_conflict(struct tk_request *req, const char *name, enum tk_status to,
    const struct tk_step_set_info *info, const struct tk_handler_def *def)
{
	char q[72], qp[72];

	if (!tk_step_transition_legal(info->from, to))
		tk_request_errorf(req, "Cannot change step '%s' from %s to %s",
		    tk_quote(q, name), tk_status_name(info->from),
		    tk_status_name(to));
	else if (info->parent >= 0 && (size_t)info->parent < def->nsteps)
		tk_request_errorf(req, "Step '%s' cannot be resolved while its "
		    "parent '%s' is %s (only a step whose parents are all "
		    "complete or resolved_manually can be)", tk_quote(q, name),
		    tk_quote(qp, def->steps[info->parent].name),
		    tk_status_name(info->parent_status));
	else
		tk_request_errorf(req, "Cannot change step '%s': its task is "
		    "%s", tk_quote(q, name), tk_status_name(info->task_status));
}

/* The message of a refused step PATCH, saying what its details say: the
 * status rule when the status was wrong, else what went wrong first. */
static const char *
step_refusal(json_object *d)
{
	if (d == NULL || json_object_object_get_ex(d, "status", NULL))
		return "A step can be set to resolved_manually or cancelled";
	if (json_object_object_get_ex(d, "results", NULL))
		return "Results are an object, given only with "
		    "resolved_manually";
	if (json_object_object_get_ex(d, "reason", NULL))
		return "Invalid reason";
	return "Invalid step change";
}

tk_err
tk_api_steps_update(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	const struct tk_handler_def *def;
	struct tk_step_update u;
	struct tk_step_set_info info;
	struct tk_task_state out;
	unsigned char id[16];
	char actor[TK_ACTOR_MAX + 1];
	json_object *body = NULL, *d = NULL;
	const char *name, *results = NULL;
	tk_err e;

	memset(&u, 0, sizeof(u));
	if ((e = tk_tasks_id_param(req, id)) != TK_OK ||
	    (e = task_def(req, id, &def)) != TK_OK ||
	    (e = step_param(req, id, &name)) != TK_OK)
		return e;
	if ((e = patch_body(req, &body, &d)) != TK_OK)
		goto out;
	e = tk_step_update_parse(body, &u, d);   /* fills d first */
	if ((e = parsed(req, e, step_refusal(d), &d)) != TK_OK)
		goto out;
	if (def == NULL) {
		/* Releasing children needs the definition. */
		e = TK_ERR_INTERNAL;
		goto out;
	}
	if (u.results != NULL &&
	    (results = tk_json_text(u.results, NULL)) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	e = tk_task_store_step_set(app->db, id, def, name, u.status, results,
	    tk_tasks_actor(req, actor), u.reason != NULL ? u.reason :
	    (u.status == TK_ST_CANCELLED ? "cancelled through the API" :
	    "resolved manually through the API"), &info, &out);
	if (e == TK_ERR_TASK_NOT_FOUND)
		e = task_not_found(req, id);
	else if (e == TK_ERR_STEP_NOT_FOUND)
		e = step_not_found(req, id, name);
	else if (e == TK_ERR_CONFLICT)
		step_conflict(req, name, u.status, &info, def);
	else if (e == TK_OK) {
		e = answer_step(req, res, id, name, def, &out.steps);
		tk_task_state_free(&out);
	}
out:
	json_object_put(d);
	tk_step_update_free(&u);
	json_object_put(body);
	return e;
}
