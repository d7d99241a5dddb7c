/*
 * schedule.c - starting the tasks of due schedule ticks (see sched.h).
 *
 * For each schedule: its state row (made the first time it is seen, with
 * last_tick = now, so nothing before is started), then the ticks in
 * (last_tick, now] by the database's clock; the latest max_ticks of them
 * (1 for missed_ticks: skip) get a task each, oldest first, created as
 * POST /tasks creates one (tk_task_store_create) with the Idempotency-Key
 * "NS/HANDLER/SCHEDULE/TICK" of principal "tasker:schedule": a tick some
 * other worker started already is a conflict, which is success here.
 * Then last_tick moves on to the latest tick handled.
 */
#include "tasker/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/body_parser.h"
#include "tasker/catalog.h"
#include "tasker/handler.h"
#include "tasker/log.h"
#include "tasker/schedule_store.h"
#include "tasker/task_store.h"
#include "tasker/uuid.h"

#define IDEM_PRINCIPAL  "tasker:schedule"
#define IDEM_TTL        (7 * 86400)  /* far longer than any race */
/* The fingerprint is not what tells ticks apart (the key is): one
 * constant, so a replayed tick is "the same request". */
#define IDEM_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

struct tick_ctx {
	struct tk_db                    *db;
	const struct tk_catalog_namespace *ns;
	const struct tk_catalog_handler *h;
	const struct tk_catalog_version *v;
	const struct tk_schedule_def    *s;
};

/* Starts the task of one tick; *made 1 when this call created it. */
static tk_err
start_tick(const struct tick_ctx *c, time_t tick, unsigned char id[16],
    int *made)
{
	struct tk_task_new t;
	struct tk_idem_hit hit;
	char key[4 * (TK_NAME_MAX + 1) + 24], initiator[TK_NAME_MAX + 16],
	    reason[TK_NAME_MAX + 64], when[TK_TIMESTAMP_SIZE],
	    created[TK_TIMESTAMP_SIZE];
	struct tm tm;
	tk_err e;

	*made = 0;
	gmtime_r(&tick, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(key, sizeof(key), "%s/%s/%s/%lld", c->ns->name, c->h->name,
	    c->s->name, (long long)tick);
	snprintf(initiator, sizeof(initiator), "schedule:%s", c->s->name);
	snprintf(reason, sizeof(reason), "schedule %s, tick %s", c->s->name,
	    when);
	memset(&t, 0, sizeof(t));
	t.hv_id = c->v->id;
	t.def = c->v->def;
	/* Stored as POST /tasks stores a context. */
	if ((t.context = tk_json_text(c->s->context, &t.context_len)) == NULL)
		return TK_ERR_NOMEM;
	t.initiator = initiator;
	t.source_system = "tasker-scheduler";
	t.reason = reason;
	t.actor = initiator;
	t.created_by = IDEM_PRINCIPAL;
	t.idem_principal = IDEM_PRINCIPAL;
	t.idem_key = key;
	t.idem_hash = IDEM_HASH;
	t.idem_ttl = IDEM_TTL;
	if ((e = tk_uuid7_new(t.id)) != TK_OK)
		return e;
	e = tk_task_store_create(c->db, &t, created, &hit);
	if (e == TK_ERR_CONFLICT) {
		memcpy(id, hit.task_id, 16);
		return TK_OK;   /* another worker started this tick */
	}
	if (e == TK_OK) {
		memcpy(id, t.id, 16);
		*made = 1;
	}
	return e;
}

/* The due ticks of one schedule whose last handled tick is last. */
static tk_err
run_one(const struct tick_ctx *c, long long last, long long now,
    unsigned *started)
{
	time_t *ticks;
	unsigned char id[16];
	char sid[TK_UUID_STR_SIZE], q[80];
	size_t n = 0, i;
	int made;
	tk_err e;

	if ((ticks = calloc(c->s->max_ticks, sizeof(*ticks))) == NULL)
		return TK_ERR_NOMEM;
	e = tk_cron_ticks(&c->s->parsed, c->s->timezone, (time_t)last,
	    (time_t)now, ticks, c->s->max_ticks, &n);
	for (i = 0; e == TK_OK && i < n; i++) {
		if ((e = start_tick(c, ticks[i], id, &made)) != TK_OK)
			break;
		*started += (unsigned)made;
		if (made) {
			tk_uuid_format(id, sid);
			tk_log(TK_LOG_INFO, "event=schedule_tick namespace=%s "
			    "handler=%s schedule=%s tick=%lld task_id=%s",
			    c->ns->name, c->h->name, c->s->name,
			    (long long)ticks[i], sid);
		}
		e = tk_schedule_store_advance(c->db, c->ns->name, c->h->name,
		    c->s->name, (long long)ticks[i], id);
	}
	if (e != TK_OK)
		tk_log(TK_LOG_WARN, "event=schedule_failed schedule=%s "
		    "error=%s", tk_log_quote(q, sizeof(q), c->s->name),
		    tk_err_name(e));
	free(ticks);
	return e;
}

/* Every schedule of one handler's latest version. */
static tk_err
run_handler(struct tick_ctx *c, const struct tk_schedule_states *st,
    long long now, unsigned *started)
{
	const struct tk_schedule_state *row;
	size_t i;
	tk_err e = TK_OK, e1;

	c->v = &c->h->versions[c->h->latest];
	for (i = 0; i < c->v->def->nschedules; i++) {
		c->s = &c->v->def->schedules[i];
		row = tk_schedule_state_find(st, c->ns->name, c->h->name,
		    c->s->name);
		if (row == NULL)
			e1 = tk_schedule_store_seen(c->db, c->ns->name,
			    c->h->name, c->s->name);
		else if (row->paused)
			continue;
		else
			e1 = run_one(c, row->last_tick, now, started);
		if (e1 != TK_OK)
			e = e1;
	}
	return e;
}

tk_err
tk_sched_run(struct tk_db *db, const struct tk_catalog *cat,
    unsigned *started)
{
	struct tk_schedule_states st;
	struct tick_ctx c;
	unsigned made = 0;
	long long now;
	size_t i, j;
	tk_err e, e1;

	memset(&c, 0, sizeof(c));
	c.db = db;
	if ((e = tk_schedule_store_now(db, &now)) != TK_OK ||
	    (e = tk_schedule_store_list(db, &st)) != TK_OK)
		return e;
	for (i = 0; i < cat->nnamespaces; i++) {
		c.ns = &cat->namespaces[i];
		for (j = 0; j < c.ns->nhandlers; j++) {
			c.h = &c.ns->handlers[j];
			if (c.h->nversions == 0 ||
			    c.h->versions[c.h->latest].def->nschedules == 0)
				continue;
			if ((e1 = run_handler(&c, &st, now, &made)) != TK_OK)
				e = e1;
		}
	}
	tk_schedule_states_free(&st);
	if (started != NULL)
		*started = made;
	return e;
}
