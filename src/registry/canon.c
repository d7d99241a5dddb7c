/*
 * canon.c - canonical JSON and hashing of a handler definition: the one
 * JSON form of a struct tk_handler_def (keys sorted, scalars rebuilt, one
 * spelling of the step graph), which the API shows, the database keeps,
 * and whose SHA-256 is the definition's hash.  The same definition always
 * gives the same bytes, whether it came from YAML or from JSON.
 */
#include "tasker/handler.h"

#include <stdint.h>

#include "tasker/hex.h"

#include "internal.h"

/* v's canonical copy (see internal.h). */
enum tk_canon_rc
reg_canon(json_object *v, json_object **out)
{
	return tk_json_canon(v, out, 1, CANON_DEPTH, TK_CANON_REBUILD);
}

/* Adds key: value to o, taking val; sets *bad on failure. */
static void
put(json_object *o, const char *key, json_object *val, int *bad)
{
	if (json_object_object_add(o, key, val) != 0) {
		json_object_put(val);
		*bad = 1;
	}
}

static void
put_string(json_object *o, const char *key, const char *s, int *bad)
{
	json_object *val = NULL;

	if (s != NULL && (val = json_object_new_string(s)) == NULL)
		*bad = 1;
	put(o, key, val, bad);
}

/* Only when set (val not NULL): definitions without it keep their
 * canonical form and hash. */
static void
put_set(json_object *o, const char *key, json_object *val, int *bad)
{
	if (val != NULL)
		put(o, key, val, bad);
}

/* A canonical copy (NULL stays null). */
static void
put_copy(json_object *o, const char *key, json_object *src, int *bad)
{
	json_object *c = NULL;

	if (src != NULL && reg_canon(src, &c) != TK_CANON_OK)
		*bad = 1;
	put(o, key, c, bad);
}

static json_object *
step_to_json(const struct tk_handler_def *h, const struct tk_step_def *s,
    int *bad)
{
	json_object *o, *deps;
	size_t j;

	if ((o = json_object_new_object()) == NULL) {
		*bad = 1;
		return NULL;
	}
	put_string(o, "name", s->name, bad);
	put_string(o, "description", s->description, bad);
	put_string(o, "handler_class", s->handler_class, bad);
	/* One parent: depends_on_step, as the guide shows it; several:
	 * depends_on_steps.  The same graph always reads the same. */
	put_string(o, "depends_on_step", s->nparents == 1 ?
	    h->steps[s->parents[0]].name : NULL, bad);
	if ((deps = json_object_new_array()) == NULL)
		*bad = 1;
	for (j = 0; deps != NULL && s->nparents > 1 && j < s->nparents; j++)
		if (json_object_array_add(deps, json_object_new_string(
		    h->steps[s->parents[j]].name)) != 0)
			*bad = 1;
	put(o, "depends_on_steps", deps, bad);
	put(o, "default_retryable", json_object_new_boolean(s->retryable),
	    bad);
	put(o, "default_retry_limit",
	    json_object_new_int64((int64_t)s->retry_limit), bad);
	put(o, "skippable", json_object_new_boolean(s->skippable), bad);
	put_copy(o, "handler_config", s->handler_config, bad);
	put_copy(o, "custom_events", s->custom_events, bad);
	put_string(o, "dependent_system", s->dependent_system, bad);
	/* Only when set: hashes of steps without one stay as they were. */
	if (s->max_in_flight > 0)
		put(o, "max_in_flight",
		    json_object_new_int64((int64_t)s->max_in_flight), bad);
	put_set(o, "concurrency", tk_flow_limit_json(&s->concurrency, bad),
	    bad);
	put_set(o, "rate_limit", tk_flow_rate_json(&s->rate, bad), bad);
	return o;
}

json_object *
tk_handler_to_json(const struct tk_handler_def *h)
{
	json_object *o, *steps;
	size_t i;
	int bad = 0;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	put_string(o, "name", h->name, &bad);
	put_string(o, "namespace_name", h->namespace_name, &bad);
	put_string(o, "version", h->version, &bad);
	put_string(o, "description", h->description, &bad);
	put_string(o, "task_handler_class", h->task_handler_class, &bad);
	put_string(o, "module_namespace", h->module_namespace, &bad);
	put_string(o, "default_dependent_system", h->default_dependent_system,
	    &bad);
	/* Only when set: the canonical form (and hash) of a handler without
	 * one stays what it was before priorities. */
	if (h->default_priority != 0)
		put(o, "default_priority",
		    json_object_new_int(h->default_priority), &bad);
	put_set(o, "concurrency", tk_flow_limit_json(&h->concurrency, &bad),
	    &bad);
	put_copy(o, "schema", h->schema, &bad);
	if ((steps = json_object_new_array()) == NULL)
		bad = 1;
	for (i = 0; steps != NULL && i < h->nsteps; i++) {
		json_object *s = step_to_json(h, &h->steps[i], &bad);
		if (s == NULL || json_object_array_add(steps, s) != 0) {
			json_object_put(s);
			bad = 1;
		}
	}
	put(o, "step_templates", steps, &bad);
	/* Only when there are some: older definitions keep their hash. */
	if (h->nschedules > 0) {
		json_object *sch = reg_schedules_to_json(h);
		if (sch == NULL)
			bad = 1;
		put(o, "schedules", sch, &bad);
	}
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* h->hash: SHA-256 of the canonical JSON, in hex. */
tk_err
reg_hash(struct tk_handler_def *h)
{
	json_object *j;
	const char *s;
	size_t len;
	tk_err e;

	if ((j = tk_handler_to_json(h)) == NULL)
		return TK_ERR_NOMEM;
	s = json_object_to_json_string_length(j, TK_JSON_FLAGS, &len);
	e = s == NULL ? TK_ERR_NOMEM : tk_sha256_hex(s, len, h->hash);
	json_object_put(j);
	return e;
}
