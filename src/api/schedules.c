/*
 * schedules.c - recurring tasks as the API and tasker-admin show them.
 *
 *   GET /schedules[?namespace=NS]   every schedule of the latest version
 *                                   of every handler the caller may see
 *
 * and the `schedules` array of GET /handlers/{namespace}/{name} (a
 * version with schedules is answered fresh, not from the catalog's
 * cache: its next run times move on).  Each schedule: its definition,
 * its state (paused, the last tick handled and the task it started) and
 * the next NEXT_RUNS fire times from the database's now ([] while
 * paused).
 */
#include "tasker/api.h"

#include <string.h>
#include <time.h>

#include "tasker/auth.h"
#include "tasker/handler.h"
#include "tasker/schedule_store.h"
#include "tasker/task_store.h"

#define NEXT_RUNS  3

static json_object *
iso_time(long long t)
{
	char s[TK_TIMESTAMP_SIZE];
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		return NULL;
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(s);
}

static json_object *
next_runs(const struct tk_schedule_def *s, int paused, long long now)
{
	json_object *a = json_object_new_array();
	time_t t = (time_t)now;
	int i;

	for (i = 0; a != NULL && !paused && i < NEXT_RUNS; i++) {
		if (tk_cron_next(&s->parsed, s->timezone, t, &t) != TK_OK)
			break;
		json_object_array_add(a, iso_time(t));
	}
	return a;
}

static json_object *
nullable(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_object_new_string(s) : NULL;
}

static json_object *
schedule_json(const struct tk_handler_def *h,
    const struct tk_schedule_def *s, const struct tk_schedule_state *st,
    long long now)
{
	json_object *o = json_object_new_object();
	int paused = st != NULL && st->paused;

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "namespace",
	    json_object_new_string(h->namespace_name));
	json_object_object_add(o, "handler", json_object_new_string(h->name));
	json_object_object_add(o, "version", json_object_new_string(h->version));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "description", nullable(s->description));
	json_object_object_add(o, "cron", json_object_new_string(s->cron));
	json_object_object_add(o, "timezone",
	    json_object_new_string(s->timezone));
	json_object_object_add(o, "context", json_object_get(s->context));
	json_object_object_add(o, "missed_ticks", json_object_new_string(
	    s->catch_up ? "catch_up" : "skip"));
	json_object_object_add(o, "catch_up_limit", s->catch_up ?
	    json_object_new_int64(s->max_ticks) : NULL);
	json_object_object_add(o, "paused", json_object_new_boolean(paused));
	json_object_object_add(o, "last_tick_at", st != NULL ?
	    iso_time(st->last_tick) : NULL);
	json_object_object_add(o, "last_task_id", st != NULL ?
	    nullable(st->last_task_id) : NULL);
	json_object_object_add(o, "next_run_at", next_runs(s, paused, now));
	return o;
}

/* Appends the schedules of d to a. */
static void
add_schedules_of(json_object *a, const struct tk_handler_def *d,
    const struct tk_schedule_states *st, long long now)
{
	size_t k;

	for (k = 0; k < d->nschedules; k++)
		json_object_array_add(a, schedule_json(d,
		    &d->schedules[k], tk_schedule_state_find(st,
		    d->namespace_name, d->name, d->schedules[k].name), now));
}

/* The database's now, every state row and an empty array to fill. */
static tk_err
begin(struct tk_db *db, struct tk_schedule_states *st, long long *now,
    json_object **a)
{
	tk_err e;

	if ((e = tk_schedule_store_now(db, now)) != TK_OK ||
	    (e = tk_schedule_store_list(db, st)) != TK_OK)
		return e;
	if ((*a = json_object_new_array()) == NULL) {
		tk_schedule_states_free(st);
		return TK_ERR_NOMEM;
	}
	return TK_OK;
}

tk_err
tk_api_schedules_of(struct tk_db *db, const struct tk_catalog *cat,
    const struct tk_principal *p, const char *ns, json_object **out)
{
	struct tk_schedule_states st;
	const struct tk_catalog_handler *h;
	json_object *a;
	long long now;
	size_t i, j;
	tk_err e;

	*out = NULL;
	if ((e = begin(db, &st, &now, &a)) != TK_OK)
		return e;
	for (i = 0; i < cat->nnamespaces; i++) {
		if ((ns != NULL && strcmp(ns, cat->namespaces[i].name) != 0) ||
		    (p != NULL && !tk_principal_sees_ns(p,
		    cat->namespaces[i].name)))
			continue;
		for (j = 0; j < cat->namespaces[i].nhandlers; j++) {
			h = &cat->namespaces[i].handlers[j];
			add_schedules_of(a, h->versions[h->latest].def, &st, now);
		}
	}
	tk_schedule_states_free(&st);
	*out = a;
	return TK_OK;
}

tk_err
tk_api_schedules_index(struct tk_request *req, struct tk_response *res)
{
	static const char *const params[] = { "namespace", NULL };
	const char *ns = tk_query_get(&req->query, "namespace");
	struct tk_app *app = req->app;
	struct tk_catalog *cat;
	json_object *a, *root;
	tk_err e;

	if ((e = tk_api_query_check(req, params)) != TK_OK)
		return e;
	if (ns != NULL && !tk_name_valid(ns))
		return tk_api_reject(req, TK_ERR_BAD_REQUEST,
		    "Invalid request parameters", tk_api_details1("namespace",
		    "must be a namespace name ([a-z0-9_], 1 to 64 characters)"));
	if ((e = tk_api_catalog(req, &cat)) != TK_OK ||
	    (e = tk_api_schedules_of(app->db, cat, &app->principal, ns,
	    &a)) != TK_OK)
		return e;
	if ((root = json_object_new_object()) == NULL) {
		json_object_put(a);
		return TK_ERR_NOMEM;
	}
	json_object_object_add(root, "schedules", a);
	return tk_api_json(res, 200, root);
}

tk_err
tk_api_schedules_add(struct tk_db *db, const struct tk_handler_def *d,
    json_object *root)
{
	struct tk_schedule_states st;
	json_object *a;
	long long now;
	tk_err e;

	if ((e = begin(db, &st, &now, &a)) != TK_OK)
		return e;
	add_schedules_of(a, d, &st, now);
	tk_schedule_states_free(&st);
	json_object_object_add(root, "schedules", a);
	return TK_OK;
}
