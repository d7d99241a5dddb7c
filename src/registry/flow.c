/*
 * flow.c - validation of the flow limits of a definition: concurrency
 * (a step template's or the handler's, per key value), the handler's
 * max_in_flight, and a step template's rate_limit; their canonical JSON.
 * The engine applies them at the claim (src/engine/engine.c).
 */
#include "tasker/handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/diag.h"
#include "tasker/duration.h"
#include "tasker/flow.h"
#include "tasker/yamljson.h"

#include "internal.h"

static const char *const limit_keys[] = { "key", "limit", NULL };
static const char *const rate_keys[] = { "limit", "period", NULL };

void
reg_flow_limit_free(struct tk_flow_limit *c)
{
	free(c->key);
	memset(c, 0, sizeof(*c));
}

/* obj's key "limit" (required) in 1..hi into *out: 0 when valid. */
static int
want_limit(struct vctx *v, json_object *obj, const char *prefix, int64_t hi,
    unsigned *out)
{
	char p[PATH_LEN];
	json_object *val;
	int64_t n;

	reg_path_key(p, sizeof(p), prefix, "limit");
	if (!json_object_object_get_ex(obj, "limit", &val)) {
		reg_verr(v, tk_yaml_line(obj), p, "required");
		return -1;
	}
	if (reg_want_int(v, val, tk_yaml_key_line(obj, "limit"), p, 1, hi,
	    &n) != 0)
		return -1;
	*out = (unsigned)n;
	return 0;
}

void
reg_parse_concurrency(struct vctx *v, json_object *val, unsigned line,
    const char *path, struct tk_flow_limit *c)
{
	char p[PATH_LEN], q[80];
	json_object *key;
	const char *s;

	reg_flow_limit_free(c);
	if (val == NULL)
		return;
	if (!json_object_is_type(val, json_type_object)) {
		reg_verr(v, line, path, "must be a mapping such as {key: "
		    "\"$.customer_id\", limit: 1}, not %s", reg_tname(val));
		return;
	}
	reg_check_keys(v, val, path, limit_keys);
	if (want_limit(v, val, path, TK_IN_FLIGHT_MAX, &c->limit) != 0)
		return;
	if (!json_object_object_get_ex(val, "key", &key) || key == NULL)
		return;
	reg_path_key(p, sizeof(p), path, "key");
	s = json_object_get_string(key);
	if (!json_object_is_type(key, json_type_string) ||
	    !tk_json_path_valid(s)) {
		reg_verr(v, tk_yaml_key_line(val, "key"), p, "'%s' is not a "
		    "JSON path such as \"$.customer_id\" ($, then .name "
		    "segments of letters, digits, _ and -)",
		    tk_diag_quote(q, s != NULL ? s : "null"));
		c->limit = 0;
		return;
	}
	c->key = reg_dup(v, s);
}

/* "1s", "1m", 60 ...: *seconds in 1..TK_RATE_PERIOD_MAX; 0 when valid. */
static int
want_period(struct vctx *v, json_object *obj, const char *prefix,
    unsigned *seconds)
{
	char p[PATH_LEN], text[32];
	json_object *val;
	long long n = -1;

	reg_path_key(p, sizeof(p), prefix, "period");
	if (!json_object_object_get_ex(obj, "period", &val)) {
		reg_verr(v, tk_yaml_line(obj), p, "required");
		return -1;
	}
	if (json_object_is_type(val, json_type_int))
		n = json_object_get_int64(val);
	else if (json_object_is_type(val, json_type_string) &&
	    snprintf(text, sizeof(text), "%s", json_object_get_string(val)) <
	    (int)sizeof(text) && tk_duration_parse(text, &n) != TK_OK)
		n = -1;
	if (n < 1 || n > TK_RATE_PERIOD_MAX) {
		reg_verr(v, tk_yaml_key_line(obj, "period"), p, "must be a "
		    "length of time from 1s to 1d such as \"1s\", \"1m\" or "
		    "\"1h\"");
		return -1;
	}
	*seconds = (unsigned)n;
	return 0;
}

void
reg_parse_rate(struct vctx *v, json_object *val, unsigned line,
    const char *path, struct tk_flow_rate *r)
{
	struct tk_flow_rate n;

	memset(r, 0, sizeof(*r));
	if (val == NULL)
		return;
	if (!json_object_is_type(val, json_type_object)) {
		reg_verr(v, line, path, "must be a mapping such as {limit: 10, "
		    "period: \"1s\"}, not %s", reg_tname(val));
		return;
	}
	reg_check_keys(v, val, path, rate_keys);
	if (want_limit(v, val, path, TK_RATE_MAX, &n.limit) == 0 &&
	    want_period(v, val, path, &n.period_seconds) == 0)
		*r = n;
}

/* The handler's concurrency: or max_in_flight: (one of them). */
void
reg_parse_flow_top(struct vctx *v, struct tk_handler_def *h,
    json_object *root)
{
	json_object *val = NULL, *mif;
	int64_t n;

	if (!json_object_object_get_ex(root, "concurrency", &val))
		val = NULL;
	else if (val != NULL)
		reg_parse_concurrency(v, val, tk_yaml_key_line(root,
		    "concurrency"), "concurrency", &h->concurrency);
	if (!json_object_object_get_ex(root, "max_in_flight", &mif) ||
	    mif == NULL)
		return;
	if (h->concurrency.limit > 0 || val != NULL)
		reg_verr(v, tk_yaml_key_line(root, "max_in_flight"),
		    "max_in_flight", "give concurrency or max_in_flight, not "
		    "both (max_in_flight: N is concurrency: {limit: N})");
	else if (reg_want_int(v, mif, tk_yaml_key_line(root, "max_in_flight"),
	    "max_in_flight", 1, TK_IN_FLIGHT_MAX, &n) == 0)
		h->concurrency.limit = (unsigned)n;
}

/* A step's max_in_flight and concurrency are one slot each: one only. */
void
reg_flow_check_step(struct vctx *v, const struct tk_step_def *st,
    json_object *obj, const char *prefix)
{
	char p[PATH_LEN];

	if (st->max_in_flight > 0 && st->concurrency.limit > 0)
		reg_verr(v, tk_yaml_line(obj), reg_path_key(p, sizeof(p),
		    prefix, "concurrency"), "give concurrency or "
		    "max_in_flight, not both (max_in_flight: N is "
		    "concurrency: {limit: N})");
}

/* {"key": ..., "limit": N}, key only when set; NULL when none. */
json_object *
tk_flow_limit_json(const struct tk_flow_limit *c, int *bad)
{
	json_object *o;

	if (c->limit == 0)
		return NULL;
	if ((o = json_object_new_object()) == NULL ||
	    (c->key != NULL && json_object_object_add(o, "key",
	    json_object_new_string(c->key)) != 0) ||
	    json_object_object_add(o, "limit",
	    json_object_new_int64((int64_t)c->limit)) != 0)
		*bad = 1;
	return o;
}

/* {"limit": N, "period": "Ns"}; NULL when none. */
json_object *
tk_flow_rate_json(const struct tk_flow_rate *r, int *bad)
{
	char period[24];
	json_object *o;

	if (r->limit == 0)
		return NULL;
	snprintf(period, sizeof(period), "%us", r->period_seconds);
	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "limit",
	    json_object_new_int64((int64_t)r->limit)) != 0 ||
	    json_object_object_add(o, "period",
	    json_object_new_string(period)) != 0)
		*bad = 1;
	return o;
}
