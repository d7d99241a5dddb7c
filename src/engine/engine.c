/*
 * engine.c - claim, run, record, reap (see engine.h for the contract):
 * the orchestration of a step's attempt.  The pieces are the engine's
 * other files (internal.h): keeper.c keeps the lease while the handler
 * runs, attempt.c runs it and judges how it ended, record.c records the
 * outcome; lease.c holds the slot the watchdog reads.  Every statement
 * is the step store's (step_store.h), every status change state.c's;
 * this file composes the claim and the reaper's transactions and makes
 * their decisions (which ready mark is wrong, whose lease expired).
 *
 * Lock order, everywhere: the step row(s) first, then the task row.  The
 * claim and the reaper lock steps with SKIP LOCKED, so workers never wait
 * for each other's steps; a deadlock with an operator's change (which may
 * lock the task first) rolls one transaction back, and ours is retried.
 *
 * Ownership: struct tk_engine owns its connections, catalog and strings;
 * a claimed step lives on run_one()'s stack; run_claimed() owns the
 * outcome's texts and frees them.
 */
#include "tasker/engine.h"
#include "internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/catalog.h"
#include "tasker/clock.h"
#include "tasker/db.h"
#include "tasker/log.h"
#include "tasker/state.h"
#include "tasker/step_store.h"
#include "tasker/tasks.h"
#include "tasker/transition_store.h"
#include "tasker/wake.h"

/* ---------------------------------------------------------------- helpers */

void
tk_engine_uuid_str(const unsigned char id[16], char out[37])
{
	tk_uuid_format(id, out);
}

int
eng_task_closed(int status)
{
	return status < 0 || tk_status_final((enum tk_status)status);
}

int
eng_stop_requested(const struct tk_engine *eng, long long now)
{
	return (eng->stop != NULL && *eng->stop) ||
	    (eng->stop_at != 0 && now >= eng->stop_at);
}

struct txn {
	struct tk_engine *eng;
	eng_txn_fn        fn;
	void             *arg;
};

/* fn, then the history row it may hold back (transition_store.h)
 * before the commit. */
static tk_err
txn_run(struct tk_db *db, void *p)
{
	struct txn *t = p;
	tk_err e;

	if ((e = t->fn(t->eng, t->arg)) != TK_OK)
		return e;
	return tk_transition_store_flush(db);
}

tk_err
eng_txn(struct tk_engine *eng, eng_txn_fn fn, void *arg)
{
	struct txn t = { eng, fn, arg };

	return tk_db_txn(eng->db, txn_run, &t);
}

/* ---------------------------------------------------------------- lifecycle */

tk_err
tk_engine_new(const struct tk_config *cfg, const char *owner,
    volatile sig_atomic_t *stop, struct tk_engine **out)
{
	struct tk_engine *eng;
	const char *path = getenv("PATH");
	tk_err e;

	*out = NULL;
	if (strlen(owner) >= TK_ENGINE_OWNER_MAX)
		return TK_ERR_INTERNAL;
	if ((eng = calloc(1, sizeof(*eng))) == NULL)
		return TK_ERR_NOMEM;
	eng->cfg = cfg;
	eng->stop = stop;
	snprintf(eng->owner, sizeof(eng->owner), "%s", owner);
	snprintf(eng->actor, sizeof(eng->actor), "worker:%s", owner);
	eng->work_dir = cfg->worker.work_dir ? cfg->worker.work_dir : "/";
	if ((eng->path = strdup(path && *path ? path :
	    TK_ENGINE_DEFAULT_PATH)) == NULL) {
		e = TK_ERR_NOMEM;
		goto err;
	}
	if ((e = tk_worker_run_as(cfg->worker.user, &eng->as)) != TK_OK)
		goto err;
	if ((e = tk_db_new(&cfg->db, &eng->db)) != TK_OK)
		goto err;
	/* Strings borrowed from cfg, which outlives the engine. */
	eng->lease_cfg = cfg->db;
	eng->lease_cfg.connect_timeout = TK_LEASE_IO_SECONDS;
	eng->lease_cfg.read_timeout = TK_LEASE_IO_SECONDS;
	eng->lease_cfg.write_timeout = TK_LEASE_IO_SECONDS;
	if ((e = tk_db_new(&eng->lease_cfg, &eng->lease_db)) != TK_OK)
		goto err;
	tk_db_set_retry(eng->lease_db, 0);
	*out = eng;
	return TK_OK;
err:
	tk_engine_free(eng);
	return e;
}

void
tk_engine_free(struct tk_engine *eng)
{
	if (eng == NULL)
		return;
	tk_catalog_free(eng->cat);
	tk_db_free(eng->db);
	tk_db_free(eng->lease_db);
	free(eng->path);
	tk_run_as_free(&eng->as);
	free(eng);
}

void
tk_engine_disconnect(struct tk_engine *eng)
{
	tk_db_disconnect(eng->db);
	tk_db_disconnect(eng->lease_db);
}

void
tk_engine_set_lease_slot(struct tk_engine *eng, struct tk_lease_slot *slot)
{
	eng->slot = slot;
}

void
tk_engine_set_stop_at(struct tk_engine *eng, long long mono_ms)
{
	eng->stop_at = mono_ms;
}

/* ---------------------------------------------------------------- claim */

/* engine.h; ready_at is set exactly when the step may run, this checks
 * anyway. */
int
tk_engine_claim_stale(const struct tk_step_ready *s,
    const struct tk_step_task *t)
{
	unsigned max = tk_step_max_attempts(s->retryable, s->retry_limit);

	return eng_task_closed(t->status) || s->unmet_parents ||
	    (s->status != TK_ST_PENDING && s->status != TK_ST_ERROR) ||
	    (s->status == TK_ST_ERROR && s->attempts >= max) || !t->names_ok;
}

static const struct tk_handler_def *lookup_def(struct tk_engine *eng,
    unsigned hv, tk_err *e);

/*
 * The flow limits (limits.c): *held 1 when ready step s of task t (both
 * locked) must wait for a slot or its rate limit (it stays pending and
 * is looked at again later); else its slots are taken or it has no
 * limit.  An unknown definition is the run's to report: no limit here.
 */
static tk_err
claim_slot(struct tk_engine *eng, const struct tk_step_ready *s,
    const struct tk_step_task *t, int *held)
{
	const struct tk_handler_def *def;
	tk_err e;

	*held = 0;
	if ((def = lookup_def(eng, t->hv, &e)) == NULL ||
	    s->position >= def->nsteps ||
	    !eng_limited(def, &def->steps[s->position]))
		return e;
	return eng_claim_limits(eng->db, def, &def->steps[s->position], s, t,
	    held);
}

/* Ready step s (locked) of task t (locked) becomes ours in a, or its
 * wrong ready mark is cleared, or it waits for a slot (a->cleared: the
 * loop looks again). */
static tk_err
claim_take(struct tk_engine *eng, struct claim_arg *a,
    const struct tk_step_ready *s, const struct tk_step_task *t)
{
	struct claim *c = &a->c;
	struct tk_step_also also;
	int held;
	tk_err e;

	if (tk_engine_claim_stale(s, t)) {
		a->cleared = 1;
		if ((e = tk_step_store_unready(eng->db, c->id)) != TK_OK)
			return e;
		if (!eng_task_closed(t->status))
			e = tk_state_task_refresh_held(eng->db, c->task,
			    t->status, t->hv, eng->actor,
			    "step has no attempt left", NULL);
		return e;
	}
	if ((e = claim_slot(eng, s, t, &held)) != TK_OK || held) {
		a->cleared = held;
		return e;
	}
	memcpy(c->ns, t->ns, sizeof(c->ns));
	memcpy(c->handler, t->handler, sizeof(c->handler));
	memcpy(c->version, t->version, sizeof(c->version));
	c->hv = t->hv;
	c->attempt = s->attempts + 1;
	c->epoch = s->lease_epoch + 1;
	/* The status and the lease in one statement. */
	memset(&also, 0, sizeof(also));
	also.kind = TK_ALSO_TAKE;
	also.owner = eng->owner;
	also.lease_seconds = eng->cfg->worker.lease_seconds;
	e = tk_state_step_also(eng->db, c->id, c->task,
	    (enum tk_status)s->status, TK_ST_IN_PROGRESS, c->attempt,
	    eng->actor, NULL, &also);
	if (e == TK_ERR_CONFLICT) {
		/* Cannot happen under the row lock; never loop on it. */
		a->cleared = 1;
		return tk_step_store_unready(eng->db, c->id);
	}
	/* A task in_progress stays so when one more of its steps runs
	 * (tk_state_task_derive: nothing is complete, failed or cancelled
	 * that was not before); any other is derived again, under the
	 * lock the claim holds. */
	if (e == TK_OK && t->status != TK_ST_IN_PROGRESS)
		e = tk_state_task_refresh_held(eng->db, c->task, t->status,
		    t->hv, eng->actor, NULL, NULL);
	if (e != TK_OK)
		return e;
	a->found = 1;
	return TK_OK;
}

/* Fills a from the ready step s; 0 when s is not well formed (a is then
 * a cleared claim of s). */
static int
claim_from(struct claim_arg *a, const struct tk_step_ready *s)
{
	struct claim *c = &a->c;

	c->id = s->id;
	if (!s->well_formed) {
		/* Not a step this engine can have written: never again. */
		a->cleared = 1;
		return 0;
	}
	memcpy(c->task, s->task, sizeof(c->task));
	tk_engine_uuid_str(c->task, c->task_str);
	c->position = s->position;
	memcpy(c->name, s->name, sizeof(c->name));
	return 1;
}

/* The claim: the oldest ready step (locked) and its task (locked) become
 * ours, or a wrong ready mark is cleared. */
static tk_err
claim_txn(struct tk_engine *eng, void *p)
{
	struct claim_arg *a = p;
	struct tk_step_ready s;
	struct tk_step_task t;
	int found;
	tk_err e;

	free(a->context);   /* a retried transaction's */
	memset(a, 0, sizeof(*a));
	if ((e = tk_step_store_next_ready(eng->db, &s, &found)) != TK_OK ||
	    !found)
		return e;
	if (!claim_from(a, &s))
		return tk_step_store_unready(eng->db, a->c.id);
	if ((e = tk_step_store_claim_task(eng->db, a->c.task, &t,
	    &a->context, &a->context_len)) != TK_OK)
		return e;
	return claim_take(eng, a, &s, &t);
}

/*
 * The chained claim (internal.h), inside the record's transaction: the
 * parent's task is locked and in status tst.  Only its own steps are
 * looked at (SKIP LOCKED), so no lock is taken out of the usual order
 * that another worker could be waiting on in reverse.
 */
tk_err
eng_claim_chained(struct tk_engine *eng, const struct claim *parent,
    int tst, struct claim_arg *a)
{
	struct tk_step_ready s;
	struct tk_step_task t;
	int found;
	tk_err e;

	memset(a, 0, sizeof(*a));
	if (eng_task_closed(tst) || eng_stop_requested(eng, tk_now_ms()))
		return TK_OK;
	if ((e = tk_step_store_next_ready_of(eng->db, parent->task, &s,
	    &found)) != TK_OK || !found)
		return e;
	if (!claim_from(a, &s)) {
		/* Left for the ordinary claim, which clears it. */
		memset(a, 0, sizeof(*a));
		return TK_OK;
	}
	memset(&t, 0, sizeof(t));
	t.status = tst;
	t.hv = parent->hv;
	t.names_ok = 1;
	memcpy(t.ns, parent->ns, sizeof(t.ns));
	memcpy(t.handler, parent->handler, sizeof(t.handler));
	memcpy(t.version, parent->version, sizeof(t.version));
	if ((e = claim_take(eng, a, &s, &t)) == TK_OK && a->cleared)
		a->cleared = 0;   /* nothing to run; the loop looks again */
	return e;
}

/* The definition of handler version hv; refreshes the catalog once when
 * it is unknown (loaded after our last look).  NULL with *e set. */
static const struct tk_handler_def *
lookup_def(struct tk_engine *eng, unsigned hv, tk_err *e)
{
	const struct tk_catalog_version *v;

	*e = TK_OK;
	if ((v = tk_catalog_by_id(eng->cat, hv)) != NULL)
		return v->def;
	if ((*e = tk_catalog_refresh(&eng->cat, eng->db, 0)) != TK_OK)
		return NULL;
	v = tk_catalog_by_id(eng->cat, hv);
	return v != NULL ? v->def : NULL;
}

/* ---------------------------------------------------------------- run */

static const char *const kind_names[] = {
	"complete", "error", "released", "lost"
};

/* Before running: an outcome already when the step cannot run here (its
 * handler version unknown or unreadable, the step not in it, no runnable
 * handler_config); else 0 with *sd the step's definition. */
static int
unrunnable(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def **def, const struct tk_step_def **sd,
    struct outcome *o)
{
	char what[300];
	tk_err e;

	*sd = NULL;
	if ((*def = lookup_def(eng, c->hv, &e)) == NULL && e != TK_OK) {
		o->kind = O_RELEASE;
		snprintf(o->reason, sizeof(o->reason), "released: the handler "
		    "registry could not be read (%s)", tk_err_name(e));
		return 1;
	}
	if (*def == NULL)
		snprintf(what, sizeof(what), "handler version %u (%s.%s@%s) "
		    "is not in the registry", c->hv, c->ns, c->handler,
		    c->version);
	else if (c->position >= (*def)->nsteps ||
	    strcmp((*def)->steps[c->position].name, c->name) != 0)
		snprintf(what, sizeof(what), "step '%s' is not step %zu of "
		    "%s.%s@%s", c->name, c->position, c->ns, c->handler,
		    c->version);
	else if (!(*sd = &(*def)->steps[c->position])->exec.runnable ||
	    (*sd)->exec.argc == 0)
		snprintf(what, sizeof(what), "step '%s' has no runnable "
		    "handler_config (type: exec)", c->name);
	else
		return 0;
	/* The definition will not change: no retry whatever. */
	eng_fail_with(o, what, NULL, 0);
	o->permanent = 1;
	return 1;
}

/* The one log line of an attempt (never the context or the results). */
static void
log_attempt(struct tk_engine *eng, const struct claim *c,
    const struct outcome *o, tk_err e, int lost, int again, long long t0)
{
	char q[REASON_MAX + 16], next[64] = "retry=no";
	long long ms = tk_now_ms() - t0;

	if (e != TK_OK)
		tk_log(TK_LOG_ERROR, "event=step task=%s step=%s attempt=%u "
		    "outcome=unrecorded duration_ms=%lld error=%s db_error=%s",
		    c->task_str, c->name, c->attempt, ms, tk_err_name(e),
		    tk_log_quote(q, sizeof(q), tk_db_error(eng->db)));
	else if (o->settled >= 0)
		tk_log(TK_LOG_INFO, "event=step task=%s handler=%s.%s@%s "
		    "step=%s attempt=%u outcome=stopped status=%s "
		    "duration_ms=%lld recorded=%s", c->task_str, c->ns,
		    c->handler, c->version, c->name, c->attempt,
		    tk_status_name((enum tk_status)o->settled), ms,
		    lost ? "no" : (o->kind == O_SUCCESS ? "results" : "error"));
	else if (o->kind == O_FAILURE && !lost) {
		if (again)
			snprintf(next, sizeof(next),
			    "retry=yes retry_in_ms=%llu", o->delay_ms);
		tk_log(TK_LOG_INFO, "event=step task=%s handler=%s.%s@%s "
		    "step=%s attempt=%u outcome=error %s duration_ms=%lld "
		    "error=%s", c->task_str, c->ns, c->handler, c->version,
		    c->name, c->attempt, next, ms,
		    tk_log_quote(q, sizeof(q), o->reason));
	} else
		tk_log(lost ? TK_LOG_WARN : TK_LOG_INFO, "event=step task=%s "
		    "handler=%s.%s@%s step=%s attempt=%u outcome=%s "
		    "duration_ms=%lld%s%s", c->task_str, c->ns, c->handler,
		    c->version, c->name, c->attempt,
		    lost ? "lost" : kind_names[o->kind], ms,
		    o->kind == O_RELEASE || o->kind == O_LOST ? " reason=" : "",
		    o->kind == O_RELEASE || o->kind == O_LOST ? tk_log_quote(q,
		    sizeof(q), o->reason) : "");
}

/* The children of step pos of def: its success may make as many steps
 * ready, of which this process runs one next (the chained claim). */
static unsigned
children(const struct tk_handler_def *def, size_t pos)
{
	size_t i, k;
	unsigned n = 0;

	for (i = 0; def != NULL && i < def->nsteps; i++)
		for (k = 0; k < def->steps[i].nparents; k++)
			if (def->steps[i].parents[k] == pos)
				n++;
	return n;
}

/* Runs claim c to a recorded outcome (or to the reaper's, when the
 * attempt is lost).  A success's record claims a child it made ready
 * (*next, leased at *next_t), which the caller runs next, its stdin
 * from what cy carries; when c has more children, as many idle
 * processes on this host are woken for the rest. */
static tk_err
run_claimed(struct tk_engine *eng, const struct claim *c,
    struct claim_arg *next, long long *next_t, struct carry *cy)
{
	const struct tk_handler_def *def;
	const struct tk_step_def *sd;
	struct outcome o;
	long long t0 = tk_now_ms();
	int lost = 0, again = 0;
	unsigned n;
	tk_err e;

	memset(&o, 0, sizeof(o));
	o.settled = -1;
	tk_buf_init(&o.error);
	if (!unrunnable(eng, c, &def, &sd, &o))
		eng_execute(eng, c, def, sd, cy, &o);
	e = eng_settle(eng, c, def, &o, &lost, &again, next, next_t);
	log_attempt(eng, c, &o, e, lost, again, t0);
	if (e == TK_OK && !lost && o.kind == O_SUCCESS &&
	    (n = children(def, c->position)) > 1)
		tk_wake_send(eng->cfg->run_dir, n - 1);
	if (e == TK_OK && !lost && o.kind == O_SUCCESS && next->found)
		eng_carry_results(cy, c, &o);
	free(o.results);
	tk_buf_free(&o.error);
	return e;
}

tk_err
tk_engine_run_one(struct tk_engine *eng, int *ran)
{
	struct claim_arg ca, next;
	struct carry cy;   /* the chain's context and last results */
	long long t = tk_now_ms();
	tk_err e;

	*ran = 0;
	memset(&ca, 0, sizeof(ca));   /* claim_txn sets it on every run */
	memset(&cy, 0, sizeof(cy));
	/* t is before the lease was written: a deadline from it is early,
	 * never late. */
	e = eng_txn(eng, claim_txn, &ca);
	if (e != TK_OK || !ca.found) {
		free(ca.context);
		*ran = e == TK_OK && ca.cleared;
		return e;
	}
	*ran = 1;
	/* The chain starts with the context the claim read. */
	memcpy(cy.task, ca.c.task, sizeof(cy.task));
	cy.context = ca.context;
	cy.context_len = ca.context_len;
	cy.have_context = 1;
	ca.context = NULL;
	/* There may be more: one more idle worker here looks (wake.h). */
	tk_wake_more(eng->cfg->run_dir);
	/* A chain: each success may hand over the next step of its task,
	 * claimed in its record's transaction; it runs at once. */
	for (;;) {
		eng_lease_begin(eng, ca.c.id, t);
		if ((e = run_claimed(eng, &ca.c, &next, &t, &cy)) != TK_OK ||
		    !next.found)
			break;
		ca = next;
	}
	eng_carry_free(&cy);
	return e;
}

/* ---------------------------------------------------------------- reaper */

struct reap_arg {
	tk_engine_live_fn live;
	void             *arg;
	unsigned          n;
};

/* Takes back one expired step s (locked), the lost attempt counted. */
static tk_err
reap_one(struct tk_engine *eng, const struct tk_step_expired *s,
    struct tk_buf *err)
{
	const char *owner = s->has_owner ? s->owner : "?";
	char q[TK_STEP_OWNER_SIZE + 8], ts[37];
	int tst, again;
	tk_err e;

	if ((e = tk_step_store_lock_task(eng->db, s->task, &tst)) != TK_OK)
		return e;
	again = s->attempts < tk_step_max_attempts(s->retryable,
	    s->retry_limit) && !eng_task_closed(tst);
	if ((e = tk_state_step(eng->db, s->id, s->task, TK_ST_IN_PROGRESS,
	    again ? TK_ST_PENDING : TK_ST_ERROR, s->attempts, eng->actor,
	    "lease expired")) != TK_OK)
		return e;
	tk_buf_reset(err);
	tk_buf_printf(err, "attempt %u lost: the lease of worker %s "
	    "expired (the worker died, hung or lost the database)",
	    s->attempts, owner);
	if (err->failed)
		return TK_ERR_NOMEM;
	if ((e = tk_step_store_reaped(eng->db, s->id, err->data, again)) !=
	    TK_OK || (e = tk_state_task_refresh(eng->db, s->task, eng->actor,
	    "lease expired", NULL)) != TK_OK)
		return e;
	tk_engine_uuid_str(s->task, ts);
	tk_log(TK_LOG_WARN, "event=lease_expired task=%s step_id=%llu "
	    "attempt=%u owner=%s outcome=%s", ts, s->id, s->attempts,
	    tk_log_quote(q, sizeof(q), owner), again ? "ready" : "error");
	return TK_OK;
}

static tk_err
reap_txn(struct tk_engine *eng, void *p)
{
	struct reap_arg *ra = p;
	struct tk_step_expired s[TK_STEP_REAP_BATCH];
	struct tk_buf err = TK_BUF_INIT;
	size_t i, n;
	tk_err e;

	ra->n = 0;
	if ((e = tk_step_store_expired(eng->db, s, &n)) != TK_OK)
		return e;
	for (i = 0; i < n; i++) {
		/* Held by a live process of ours (e.g. recording after an
		 * outage): it is not lost; it will say when it is. */
		if (ra->live != NULL && s[i].has_owner &&
		    ra->live(ra->arg, s[i].owner, s[i].id))
			continue;
		if (!s[i].task_ok || s[i].status != TK_ST_IN_PROGRESS) {
			/* A lease left on a settled step: just drop it. */
			if ((e = tk_step_store_lease_clear(eng->db, s[i].id)) !=
			    TK_OK)
				break;
			continue;
		}
		if ((e = reap_one(eng, &s[i], &err)) != TK_OK)
			break;
		ra->n++;
	}
	tk_buf_free(&err);
	return e;
}

tk_err
tk_engine_reap(struct tk_engine *eng, tk_engine_live_fn live, void *arg,
    unsigned *n)
{
	struct reap_arg ra;
	unsigned total = 0;
	tk_err e;

	memset(&ra, 0, sizeof(ra));
	ra.live = live;
	ra.arg = arg;
	/* Batches until a short one: a mass death is cleared at once. */
	do {
		if ((e = eng_txn(eng, reap_txn, &ra)) != TK_OK)
			break;
		total += ra.n;
	} while (ra.n == TK_STEP_REAP_BATCH);
	if (n != NULL)
		*n = total;
	return e;
}

tk_err
tk_engine_ready_count(struct tk_engine *eng, unsigned limit, unsigned *n)
{
	return tk_step_store_ready_count(eng->db, limit, n);
}

/* ---------------------------------------------------------------- workers */

tk_err
tk_engine_worker_start(struct tk_engine *eng, const char *id,
    const char *host, unsigned pid, unsigned processes)
{
	return tk_step_store_worker_start(eng->db, id, host, pid, processes);
}

tk_err
tk_engine_worker_beat(struct tk_engine *eng, const char *id)
{
	return tk_step_store_worker_beat(eng->db, id);
}

tk_err
tk_engine_worker_stop(struct tk_engine *eng, const char *id)
{
	return tk_step_store_worker_stop(eng->db, id);
}
