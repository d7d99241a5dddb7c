/*
 * schedules.c - a handler's `schedules:` (recurring tasks): validation
 * into struct tk_schedule_def and their part of the canonical JSON.
 *
 *   schedules:
 *     - name: nightly
 *       cron: "30 2 * * *"
 *       timezone: Europe/Berlin      # default UTC
 *       context: { full: true }      # default {}; checked against schema
 *       missed_ticks: catch_up       # or skip (the default)
 *       catch_up_limit: 5            # catch_up only; default 10
 *
 * The cron syntax and the daylight-saving rules are cron.h's.  A context
 * is checked against the handler's schema as a POST /tasks body would
 * be, so a schedule that could never start its task is refused when the
 * handler is loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/jsonschema.h"
#include "tasker/yamljson.h"

#include "internal.h"

#define CATCH_UP_DEFAULT  10

static const char *const schedule_keys[] = { "name", "description", "cron",
    "timezone", "context", "missed_ticks", "catch_up_limit", NULL };

void
reg_schedules_free(struct tk_handler_def *h)
{
	size_t i;

	for (i = 0; h->schedules != NULL && i < h->nschedules; i++) {
		struct tk_schedule_def *s = &h->schedules[i];

		free(s->name);
		free(s->description);
		free(s->cron);
		free(s->timezone);
		json_object_put(s->context);
	}
	free(h->schedules);
	h->schedules = NULL;
	h->nschedules = 0;
}

/* cron and timezone of one schedule. */
static void
parse_when(struct vctx *v, struct tk_schedule_def *s, json_object *obj,
    const char *path)
{
	char p[PATH_LEN], why[128], q[80];
	json_object *val;
	unsigned l;

	reg_path_key(p, sizeof(p), path, "cron");
	if (!json_object_object_get_ex(obj, "cron", &val))
		reg_verr(v, tk_yaml_line(obj), p, "required");
	else if (reg_want_text(v, val, (l = tk_yaml_key_line(obj, "cron")), p,
	    TK_CRON_MAX, 0, &s->cron) == 0 && s->cron != NULL &&
	    tk_cron_parse(s->cron, &s->parsed, why, sizeof(why)) != TK_OK)
		reg_verr(v, l, p, "'%s' is not a cron expression: %s",
		    tk_diag_quote(q, s->cron), why);
	reg_path_key(p, sizeof(p), path, "timezone");
	if (json_object_object_get_ex(obj, "timezone", &val) &&
	    reg_want_text(v, val, (l = tk_yaml_key_line(obj, "timezone")), p,
	    TK_TZ_NAME_MAX, 0, &s->timezone) == 0 && s->timezone != NULL &&
	    !tk_tz_valid(s->timezone))
		reg_verr(v, l, p, "'%s' is not a time zone of the system's tz "
		    "database (an IANA name such as Europe/Berlin)",
		    tk_diag_quote(q, s->timezone));
	if (s->timezone == NULL)
		s->timezone = reg_dup(v, "UTC");
}

/* missed_ticks and catch_up_limit. */
static void
parse_missed(struct vctx *v, struct tk_schedule_def *s, json_object *obj,
    const char *path)
{
	char p[PATH_LEN];
	json_object *val;
	const char *m;
	int64_t n = CATCH_UP_DEFAULT;

	reg_path_key(p, sizeof(p), path, "missed_ticks");
	if (json_object_object_get_ex(obj, "missed_ticks", &val)) {
		m = json_object_get_string(val);
		if (!json_object_is_type(val, json_type_string) ||
		    (strcmp(m, "skip") != 0 && strcmp(m, "catch_up") != 0))
			reg_verr(v, tk_yaml_key_line(obj, "missed_ticks"), p,
			    "must be skip or catch_up");
		else
			s->catch_up = strcmp(m, "catch_up") == 0;
	}
	reg_path_key(p, sizeof(p), path, "catch_up_limit");
	if (json_object_object_get_ex(obj, "catch_up_limit", &val)) {
		if (!s->catch_up)
			reg_verr(v, tk_yaml_key_line(obj, "catch_up_limit"), p,
			    "only with missed_ticks: catch_up");
		else
			reg_want_int(v, val, tk_yaml_key_line(obj,
			    "catch_up_limit"), p, 1, TK_CATCH_UP_MAX, &n);
	}
	s->max_ticks = s->catch_up ? (unsigned)n : 1;
}

/* The context against the handler's schema (compiled once: sc). */
static void
check_schedule_context(struct vctx *v, const struct tk_schema *sc,
    struct tk_schedule_def *s, unsigned line, const char *path)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	size_t i;
	tk_err e;

	if (sc == NULL || s->context == NULL)
		return;
	if ((e = tk_schema_validate(sc, s->context, &r)) == TK_ERR_NOMEM)
		v->nomem = 1;
	for (i = 0; e == TK_ERR_VALIDATION && i < r.n; i++)
		reg_verr(v, line, path, "does not match the handler's schema: "
		    "%s: %s", r.v[i].pointer[0] ? r.v[i].pointer : "(root)",
		    r.v[i].message);
	tk_schema_result_free(&r);
}

static void
parse_one(struct vctx *v, struct tk_handler_def *h, size_t i,
    json_object *obj, const struct tk_schema *sc, const char *path)
{
	struct tk_schedule_def *s = &h->schedules[i];
	char p[PATH_LEN], q[80];
	json_object *val;
	unsigned l;
	size_t j;

	reg_check_keys(v, obj, path, schedule_keys);
	reg_path_key(p, sizeof(p), path, "name");
	if (!json_object_object_get_ex(obj, "name", &val))
		reg_verr(v, tk_yaml_line(obj), p, "required");
	else if (reg_want_name(v, val, tk_yaml_key_line(obj, "name"), p,
	    &s->name) == 0 && s->name != NULL)
		for (j = 0; j < i; j++)
			if (h->schedules[j].name != NULL &&
			    strcmp(h->schedules[j].name, s->name) == 0)
				reg_verr(v, tk_yaml_key_line(obj, "name"), p,
				    "'%s' is named twice",
				    tk_diag_quote(q, s->name));
	reg_path_key(p, sizeof(p), path, "description");
	if (json_object_object_get_ex(obj, "description", &val))
		reg_want_text(v, val, tk_yaml_key_line(obj, "description"), p,
		    DESC_MAX, 1, &s->description);
	parse_when(v, s, obj, path);
	parse_missed(v, s, obj, path);
	reg_path_key(p, sizeof(p), path, "context");
	l = tk_yaml_key_line(obj, "context");
	if (!json_object_object_get_ex(obj, "context", &val) || val == NULL) {
		if ((s->context = json_object_new_object()) == NULL)
			v->nomem = 1;
	} else if (!json_object_is_type(val, json_type_object)) {
		reg_verr(v, l, p, "must be a mapping, not %s", reg_tname(val));
		return;
	} else
		s->context = reg_canon_at(v, val, l, p);
	check_schedule_context(v, sc, s, l, p);
}

void
reg_parse_schedules(struct vctx *v, struct tk_handler_def *h,
    json_object *root)
{
	struct tk_schema *sc = NULL;
	struct tk_diag d = TK_DIAG_INIT;
	json_object *arr;
	char p[PATH_LEN];
	size_t i, n;
	unsigned l;

	if (!json_object_object_get_ex(root, "schedules", &arr) || arr == NULL)
		return;
	l = tk_yaml_key_line(root, "schedules");
	if (!json_object_is_type(arr, json_type_array) ||
	    (n = json_object_array_length(arr)) == 0 ||
	    n > TK_HANDLER_MAX_SCHEDULES) {
		reg_verr(v, l, "schedules", "must be a list of 1 to %d "
		    "schedules", TK_HANDLER_MAX_SCHEDULES);
		return;
	}
	if ((h->schedules = calloc(n, sizeof(*h->schedules))) == NULL) {
		v->nomem = 1;
		return;
	}
	h->nschedules = n;
	/* A schema that does not compile is reported by parse_top. */
	if (h->schema != NULL && tk_schema_compile(h->schema, &sc, &d) ==
	    TK_ERR_NOMEM)
		v->nomem = 1;
	tk_diag_free(&d);
	for (i = 0; i < n && !v->nomem; i++) {
		json_object *obj = json_object_array_get_idx(arr, i);

		reg_path_index(p, sizeof(p), "schedules", i);
		if (!json_object_is_type(obj, json_type_object))
			reg_verr(v, tk_yaml_item_line(arr, i), p, "must be a "
			    "mapping, not %s", reg_tname(obj));
		else
			parse_one(v, h, i, obj, sc, p);
	}
	tk_schema_free(sc);
}

/* One schedule's canonical JSON. */
static json_object *
schedule_to_json(const struct tk_schedule_def *s)
{
	json_object *o = json_object_new_object(), *c = NULL;
	int bad = o == NULL;

#define PUT(k, val) do {                                                   \
	json_object *x_ = (val);                                           \
	if (!bad && json_object_object_add(o, k, x_) != 0) {               \
		json_object_put(x_);                                       \
		bad = 1;                                                   \
	}                                                                  \
} while (0)
	PUT("name", json_object_new_string(s->name));
	if (s->description != NULL)
		PUT("description", json_object_new_string(s->description));
	PUT("cron", json_object_new_string(s->cron));
	PUT("timezone", json_object_new_string(s->timezone));
	if (reg_canon(s->context, &c) != TK_CANON_OK)
		bad = 1;
	PUT("context", c);
	PUT("missed_ticks", json_object_new_string(s->catch_up ? "catch_up" :
	    "skip"));
	if (s->catch_up)
		PUT("catch_up_limit", json_object_new_int64(s->max_ticks));
#undef PUT
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *
reg_schedules_to_json(const struct tk_handler_def *h)
{
	json_object *a = json_object_new_array(), *s;
	size_t i;

	for (i = 0; a != NULL && i < h->nschedules; i++)
		if ((s = schedule_to_json(&h->schedules[i])) == NULL ||
		    json_object_array_add(a, s) != 0) {
			json_object_put(s);
			json_object_put(a);
			return NULL;
		}
	return a;
}
