/*
 * event_controller.c - GET /tasks/{id}/events (tasker.task:show): the
 * webhook events of a task (outbox_store.h), oldest first, each with its
 * payload as sent and the state of its delivery to each subscription.
 *
 * A task outside the principal's scope is a 404, as for GET /tasks/{id}.
 * Subscription URLs are not shown (they may carry credentials): the
 * subscription's name says where an event went.
 */
#include "tasker/task_api.h"

#include <string.h>

#include "tasker/outbox_store.h"
#include "tasker/uuid.h"

static const char *const no_params[] = { NULL };

static json_object *
opt_str(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
delivery_json(const struct tk_outbox_row *w)
{
	json_object *d;

	if ((d = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(d, "subscription",
	    json_object_new_string(w->subscription));
	json_object_object_add(d, "status", opt_str(w->status));
	json_object_object_add(d, "attempts",
	    json_object_new_int64(w->attempts));
	json_object_object_add(d, "last_status_code", w->last_status >= 0 ?
	    json_object_new_int(w->last_status) : NULL);
	json_object_object_add(d, "last_error", opt_str(w->last_error));
	json_object_object_add(d, "last_attempt_at",
	    opt_str(w->last_attempt_at));
	json_object_object_add(d, "next_attempt_at",
	    opt_str(w->next_attempt_at));
	return d;
}

static json_object *
event_json(const struct tk_outbox_row *w, json_object **deliveries)
{
	json_object *ev, *payload;

	if ((ev = json_object_new_object()) == NULL)
		return NULL;
	/* The payload is the server's own JSON_OBJECT, as it was sent. */
	payload = json_tokener_parse(w->payload != NULL ? w->payload : "null");
	json_object_object_add(ev, "id", json_object_new_string(w->msg_id));
	json_object_object_add(ev, "type", json_object_new_string(w->type));
	json_object_object_add(ev, "created_at", opt_str(w->created_at));
	json_object_object_add(ev, "payload", payload);
	*deliveries = json_object_new_array();
	json_object_object_add(ev, "deliveries", *deliveries);
	return ev;
}

/* The rows (one per event and delivery, by event) as a list of events. */
static json_object *
events_json(const struct tk_outbox_list *l)
{
	json_object *arr, *ev = NULL, *dl = NULL;
	size_t i;

	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		if (i == 0 || l->v[i].event_id != l->v[i - 1].event_id) {
			ev = event_json(&l->v[i], &dl);
			json_object_array_add(arr, ev);
		}
		if (l->v[i].subscription != NULL && dl != NULL)
			json_object_array_add(dl, delivery_json(&l->v[i]));
	}
	return arr;
}

tk_err
tk_api_tasks_events(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	struct tk_outbox_list l;
	struct tk_task_row t;
	unsigned char id[16];
	char idtext[TK_UUID_STR_SIZE];
	json_object *o;
	tk_err e;

	if ((e = tk_api_query_check(req, no_params)) != TK_OK ||
	    (e = tk_tasks_id_param(req, id)) != TK_OK)
		return e;
	tk_uuid_format(id, idtext);
	if ((e = tk_task_store_get(app->db, id, &t)) != TK_OK)
		return e == TK_ERR_TASK_NOT_FOUND ?
		    tk_tasks_not_found(req, idtext) : e;
	if (!tk_tasks_visible(req, &t)) {
		tk_task_row_free(&t);
		return tk_tasks_not_found(req, idtext);
	}
	tk_task_row_free(&t);
	if ((e = tk_outbox_read(app->db, id, &l)) != TK_OK)
		return e;
	if ((o = json_object_new_object()) != NULL) {
		json_object_object_add(o, "task_id",
		    json_object_new_string(idtext));
		json_object_object_add(o, "events", events_json(&l));
	}
	tk_outbox_list_free(&l);
	return tk_api_json(res, 200, o);
}
