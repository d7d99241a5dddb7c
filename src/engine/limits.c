/*
 * limits.c - the flow limits at the claim (tasker-handler(5)): the
 * handler's concurrency (tasks with a step in progress, per key value),
 * a step template's max_in_flight or concurrency (attempts in progress,
 * per key value) and its rate_limit (starts per period, GCRA), all in
 * the claim's transaction, in that order (one lock of each kind per
 * claim, always in the same order: claims never deadlock on them).
 *
 * The keys (0012_flow_keys_rates.sql): "<ns>/<handler>/<step>" for a
 * template's limit without a key (max_in_flight: as in 0011), "k:" and
 * a SHA-256 for a template's per-value limit, "t:" and a SHA-256 for
 * the handler's, "r:<ns>/<handler>/<step>" for a rate limit.  Names
 * hold no ':' (tk_name_valid), so the kinds never meet.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/flow.h"
#include "tasker/hex.h"
#include "tasker/step_store.h"

#define KEY_MAX 208              /* flow_limits.limit_key is 200 */

/* What one claim needs to know about its limits. */
struct lim {
	struct tk_db                 *db;
	const struct tk_step_ready   *s;
	const struct tk_step_task    *t;
	json_object                  *ctx;   /* NULL until a key needs it */
	int                           ctx_read;
};

int
eng_limited(const struct tk_handler_def *def, const struct tk_step_def *sd)
{
	return def->concurrency.limit > 0 || sd->max_in_flight > 0 ||
	    sd->concurrency.limit > 0 || sd->rate.limit > 0;
}

/* The value of path in the task's context into out: 1 when found (read
 * once per claim, only when a key asks for it). */
static int
key_value(struct lim *l, const char *path, char *out, size_t outsz,
    tk_err *e)
{
	char *text = NULL;
	size_t len = 0;

	if (!l->ctx_read) {
		l->ctx_read = 1;
		if ((*e = tk_step_store_context(l->db, l->s->task, &text,
		    &len)) != TK_OK)
			return 0;
		if (text != NULL)
			l->ctx = json_tokener_parse(text);
		free(text);
	}
	return l->ctx != NULL && tk_json_path_get(l->ctx, path, out, outsz);
}

/* kind (":" ended) and the SHA-256 of scope NUL value into key. */
static tk_err
hashed_key(char *key, const char *kind, const char *scope, const char *value)
{
	char buf[3 * TK_NAME_MAX + 3 + TK_FLOW_VALUE_MAX], hex[65];
	size_t a = strlen(scope), b = strlen(value);
	tk_err e;

	if (a + 1 + b > sizeof(buf))
		return TK_ERR_INTERNAL;
	memcpy(buf, scope, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, value, b);
	if ((e = tk_sha256_hex(buf, a + 1 + b, hex)) != TK_OK)
		return e;
	snprintf(key, KEY_MAX, "%s%s", kind, hex);
	return TK_OK;
}

/*
 * The key of limit c for this claim into key: *none 1 when c has a key
 * path the task's context lacks (the task is not limited by it).
 */
static tk_err
limit_key(struct lim *l, const struct tk_flow_limit *c, const char *kind,
    const char *scope, char *key, int *none)
{
	char value[TK_FLOW_VALUE_MAX];
	tk_err e = TK_OK;

	*none = 0;
	if (c->key == NULL)
		value[0] = '\0';
	else if (!key_value(l, c->key, value, sizeof(value), &e)) {
		*none = e == TK_OK;
		return e;
	}
	return hashed_key(key, kind, scope, value);
}

/* The handler's limit: *held 1 when the task must wait for a slot. */
static tk_err
task_limit(struct lim *l, const struct tk_handler_def *def, int *held)
{
	char scope[2 * TK_NAME_MAX + 2], key[KEY_MAX];
	int none, taken = 0;
	tk_err e;

	snprintf(scope, sizeof(scope), "%s/%s", l->t->ns, l->t->handler);
	if ((e = limit_key(l, &def->concurrency, "t:", scope, key, &none)) !=
	    TK_OK || none)
		return e;
	if ((e = tk_step_store_task_slot_take(l->db, key,
	    def->concurrency.limit, l->s->id, l->s->task, &taken)) != TK_OK ||
	    taken)
		return e;
	*held = 1;
	return tk_step_store_hold(l->db, key, l->s->id);
}

/* The template's max_in_flight or concurrency: *held 1 when waiting. */
static tk_err
step_limit(struct lim *l, const struct tk_step_def *sd, const char *scope,
    int *held)
{
	char key[KEY_MAX];
	unsigned limit = sd->max_in_flight;
	int none = 0, taken = 0;
	tk_err e;

	if (sd->concurrency.limit > 0) {
		limit = sd->concurrency.limit;
		if (sd->concurrency.key != NULL &&
		    ((e = limit_key(l, &sd->concurrency, "k:", scope, key,
		    &none)) != TK_OK || none))
			return e;
	}
	if (limit == 0)
		return TK_OK;
	if (sd->concurrency.key == NULL)
		snprintf(key, sizeof(key), "%s", scope);
	if ((e = tk_step_store_slot_take(l->db, key, limit, l->s->id,
	    &taken)) != TK_OK || taken)
		return e;
	*held = 1;
	return tk_step_store_hold(l->db, key, l->s->id);
}

/* The template's rate_limit: *held 1 when the start must wait. */
static tk_err
rate_limit(struct lim *l, const struct tk_step_def *sd, const char *scope,
    int *held)
{
	char key[KEY_MAX];
	long long period, interval, wait;
	tk_err e;

	if (sd->rate.limit == 0)
		return TK_OK;
	snprintf(key, sizeof(key), "r:%s", scope);
	/* Rounded up: limit starts one interval apart never fit twice in
	 * one period. */
	period = (long long)sd->rate.period_seconds * 1000000;
	interval = (period + sd->rate.limit - 1) / sd->rate.limit;
	if ((e = tk_step_store_rate_take(l->db, key, interval, &wait)) !=
	    TK_OK || wait == 0)
		return e;
	*held = 1;
	return tk_step_store_hold_for(l->db, key, l->s->id, wait);
}

tk_err
eng_claim_limits(struct tk_db *db, const struct tk_handler_def *def,
    const struct tk_step_def *sd, const struct tk_step_ready *s,
    const struct tk_step_task *t, int *held)
{
	struct lim l;
	char scope[3 * TK_NAME_MAX + 3];
	tk_err e = TK_OK;

	memset(&l, 0, sizeof(l));
	l.db = db;
	l.s = s;
	l.t = t;
	*held = 0;
	snprintf(scope, sizeof(scope), "%s/%s/%s", t->ns, t->handler,
	    sd->name);
	if (def->concurrency.limit > 0)
		e = task_limit(&l, def, held);
	if (e == TK_OK && !*held)
		e = step_limit(&l, sd, scope, held);
	if (e == TK_OK && !*held)
		e = rate_limit(&l, sd, scope, held);
	json_object_put(l.ctx);
	return e;
}
