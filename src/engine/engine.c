/*
 * engine.c - claim, run, record, reap (see engine.h for the contract).
 *
 * Orchestration: every statement is the step store's (step_store.h) or,
 * for status changes, state.c's; this file composes them into the
 * transactions below and makes each decision (which ready mark is
 * wrong, whether the attempt is still ours, retry or error).  The
 * handler's documents are protocol.c's, who it runs as worker.c's.
 *
 * Lock order, everywhere: the step row(s) first, then the task row.  The
 * claim and the reaper lock steps with SKIP LOCKED, so workers never wait
 * for each other's steps; a deadlock with an operator's change (which may
 * lock the task first) rolls one transaction back, and ours is retried.
 *
 * Ownership: struct tk_engine owns its connection, catalog and strings;
 * a claimed step lives on run_one()'s stack; outcome texts are freed by
 * outcome_free().
 */
#include "tasker/engine.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tasker/backoff.h"
#include "tasker/catalog.h"
#include "tasker/clock.h"
#include "tasker/db.h"
#include "tasker/log.h"
#include "tasker/state.h"
#include "tasker/step_store.h"
#include "tasker/tasks.h"
#include "tasker/worker.h"

#define TICK_MS          200    /* how often a running step checks in */
#define SETTLED_CHECK_MS 1000   /* how often it looks for an operator's
                                   cancel or resolve */
#define REASON_MAX       200    /* transition reasons, log errors */
#define PACKET_SLACK     4096   /* a statement's bytes besides results */
#define RECORD_WAIT_MS   250    /* between tries of a database away */

struct tk_engine {
	const struct tk_config  *cfg;
	struct tk_db            *db;
	/* Lease renewal only: short timeouts, no retry (config.h). */
	struct tk_db_config      lease_cfg;
	struct tk_db            *lease_db;
	struct tk_lease_slot    *slot;       /* NULL: no watchdog */
	long long                held_at;    /* the last renewal that held
	                                        was sent then (monotonic) */
	unsigned long long       max_packet; /* the server's; 0: not known */
	struct tk_catalog       *cat;
	char                     owner[TK_ENGINE_OWNER_MAX];
	char                     actor[TK_ENGINE_OWNER_MAX + 8];
	volatile sig_atomic_t   *stop;
	long long                stop_at;
	const char              *work_dir;
	char                    *path;
	struct tk_run_as         as;         /* who handlers run as */
};

/* A claimed step: what the claim read and wrote. */
struct claim {
	unsigned long long id;
	unsigned char      task[16];
	char               task_str[37];
	size_t             position;
	char               name[TK_NAME_MAX + 1];
	unsigned           attempt;          /* this attempt's number */
	unsigned long long epoch;            /* its lease_epoch */
	unsigned           hv;
	char               ns[TK_NAME_MAX + 1];
	char               handler[TK_NAME_MAX + 1];
	char               version[TK_NAME_MAX + 1];
};

enum outcome_kind { O_SUCCESS, O_FAILURE, O_RELEASE, O_LOST };

struct outcome {
	enum outcome_kind  kind;
	char              *results;      /* O_SUCCESS: JSON text (owned) */
	struct tk_buf      error;        /* O_FAILURE: last_error */
	char               reason[REASON_MAX]; /* short, for logs/history */
	int                permanent;    /* O_FAILURE: no retry whatever */
	int                settled;      /* -1, or the status an operator
	                                    set while it ran (it was stopped) */
	int                requested;    /* the handler asked for delay_ms */
	unsigned long long delay_ms;
};

/* ---------------------------------------------------------------- helpers */

static void
sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	(void)nanosleep(&ts, NULL);
}

void
tk_engine_uuid_str(const unsigned char id[16], char out[37])
{
	tk_uuid_format(id, out);
}

/* A task that takes no more steps: cancelled, or final. */
static int
task_closed(int status)
{
	return status < 0 || tk_status_final((enum tk_status)status);
}

static int
stop_requested(const struct tk_engine *eng, long long now)
{
	return (eng->stop != NULL && *eng->stop) ||
	    (eng->stop_at != 0 && now >= eng->stop_at);
}

typedef tk_err (*txn_fn)(struct tk_engine *eng, void *arg);

/* One transaction of the engine, through tk_db_txn() (db.h: the retries
 * of deadlocks and lock waits). */
struct eng_txn {
	struct tk_engine *eng;
	txn_fn            fn;
	void             *arg;
};

static tk_err
eng_txn_run(struct tk_db *db, void *p)
{
	struct eng_txn *t = p;

	(void)db;
	return t->fn(t->eng, t->arg);
}

static tk_err
in_txn(struct tk_engine *eng, txn_fn fn, void *arg)
{
	struct eng_txn t = { eng, fn, arg };

	return tk_db_txn(eng->db, eng_txn_run, &t);
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

/* ---------------------------------------------------------------- pieces */

/* ---------------------------------------------------------------- claim */

struct claim_arg {
	struct claim c;
	int          found;    /* c is ours to run */
	int          cleared;  /* a stale ready mark was removed */
};

/* engine.h; ready_at is set exactly when the step may run, this checks
 * anyway. */
int
tk_engine_claim_stale(const struct tk_step_ready *s,
    const struct tk_step_task *t)
{
	unsigned max = tk_step_max_attempts(s->retryable, s->retry_limit);

	return task_closed(t->status) || s->unmet_parents ||
	    (s->status != TK_ST_PENDING && s->status != TK_ST_ERROR) ||
	    (s->status == TK_ST_ERROR && s->attempts >= max) || !t->names_ok;
}

/* The claim: s (locked) and its task (locked) become ours, or a wrong
 * ready mark is cleared. */
static tk_err
claim_txn(struct tk_engine *eng, void *p)
{
	struct claim_arg *a = p;
	struct claim *c = &a->c;
	struct tk_step_ready s;
	struct tk_step_task t;
	int found;
	tk_err e;

	memset(a, 0, sizeof(*a));
	if ((e = tk_step_store_next_ready(eng->db, &s, &found)) != TK_OK ||
	    !found)
		return e;
	c->id = s.id;
	if (!s.well_formed) {
		/* Not a step this engine can have written: never again. */
		a->cleared = 1;
		return tk_step_store_unready(eng->db, c->id);
	}
	memcpy(c->task, s.task, sizeof(c->task));
	tk_engine_uuid_str(c->task, c->task_str);
	c->position = s.position;
	memcpy(c->name, s.name, sizeof(c->name));
	if ((e = tk_step_store_claim_task(eng->db, c->task, &t)) != TK_OK)
		return e;
	if (tk_engine_claim_stale(&s, &t)) {
		a->cleared = 1;
		if ((e = tk_step_store_unready(eng->db, c->id)) != TK_OK)
			return e;
		if (!task_closed(t.status))
			e = tk_state_task_refresh(eng->db, c->task, eng->actor,
			    "step has no attempt left", NULL);
		return e;
	}
	memcpy(c->ns, t.ns, sizeof(c->ns));
	memcpy(c->handler, t.handler, sizeof(c->handler));
	memcpy(c->version, t.version, sizeof(c->version));
	c->hv = t.hv;
	c->attempt = s.attempts + 1;
	c->epoch = s.lease_epoch + 1;
	e = tk_state_step(eng->db, c->id, c->task, (enum tk_status)s.status,
	    TK_ST_IN_PROGRESS, c->attempt, eng->actor, NULL);
	if (e == TK_ERR_CONFLICT) {
		/* Cannot happen under the row lock; never loop on it. */
		a->cleared = 1;
		return tk_step_store_unready(eng->db, c->id);
	}
	if (e != TK_OK ||
	    (e = tk_step_store_take(eng->db, c->id, eng->owner,
	    eng->cfg->worker.lease_seconds)) != TK_OK ||
	    (e = tk_state_task_refresh(eng->db, c->task, eng->actor, NULL,
	    NULL)) != TK_OK)
		return e;
	a->found = 1;
	return TK_OK;
}

/* ---------------------------------------------------------------- lease
 * The slot's protocol is in engine.h (lease.c); the watchdog is
 * worker.c's. */

static long long
lease_expiry(const struct tk_engine *eng)
{
	return eng->held_at + (long long)eng->cfg->worker.lease_seconds * 1000;
}

/* A claim, sent at t (monotonic ms), made step ours. */
static void
lease_begin(struct tk_engine *eng, unsigned long long step, long long t)
{
	struct tk_lease_slot *s = eng->slot;

	eng->held_at = t;
	if (s == NULL)
		return;
	atomic_store(&s->pgid, 0);
	atomic_store(&s->step, step);
	atomic_store(&s->deadline, lease_expiry(eng) - TK_LEASE_MARGIN_MS);
	atomic_store(&s->state, TK_LEASE_RUN);
}

/* A renewal sent at t held. */
static void
lease_renewed(struct tk_engine *eng, long long t)
{
	eng->held_at = t;
	if (eng->slot != NULL)
		atomic_store(&eng->slot->deadline,
		    lease_expiry(eng) - TK_LEASE_MARGIN_MS);
}

static int
lease_fenced(const struct tk_engine *eng)
{
	int st;

	if (eng->slot == NULL)
		return 0;
	st = atomic_load(&eng->slot->state);
	return st == TK_LEASE_KILLING || st == TK_LEASE_FENCED;
}

/* The handler is over: 1 when the outcome is still ours to record (the
 * watchdog did not fence the attempt); the slot then holds the step
 * until the lease's real expiry. */
static int
lease_to_record(struct tk_engine *eng)
{
	int st = TK_LEASE_RUN;

	if (eng->slot == NULL)
		return 1;
	atomic_store(&eng->slot->deadline, lease_expiry(eng));
	return atomic_compare_exchange_strong(&eng->slot->state, &st,
	    TK_LEASE_RECORD);
}

static void
lease_end(struct tk_engine *eng)
{
	if (eng->slot != NULL)
		tk_lease_clear(eng->slot);
}

/* ---------------------------------------------------------------- running */

/* The lease keeper and shutdown watcher of one running step. */
struct run {
	struct tk_engine   *eng;
	const struct claim *c;
	long long           last_try;   /* last renewal attempt */
	long long           stop_seen;
	enum { WHY_NONE, WHY_LOST, WHY_STOP } why;
	long long           last_check; /* last look for an operator's change */
	int                 settled;    /* -1, or what an operator made the
	                                   step while it ran */
};

/*
 * One renewal, on the lease connection (config.h: it blocks at most
 * TK_LEASE_RENEW_MS).  1 when the lease is no longer ours.
 */
static int
renew(struct run *run, long long now)
{
	struct tk_engine *eng = run->eng;
	const struct tk_worker_config *w = &eng->cfg->worker;
	long long hb = (long long)w->heartbeat_seconds * 1000, sent;
	int held;
	tk_err e;

	run->last_try = now;
	if (!tk_db_connected(eng->lease_db)) {
		/* Connecting is this tick's one blocking call; the renewal
		 * is the next tick's. */
		run->last_try = tk_db_ensure(eng->lease_db) == TK_OK ?
		    now - hb : now - hb + 1000;
		return 0;
	}
	sent = tk_now_ms();
	e = tk_step_store_renew(eng->lease_db, run->c->id, eng->owner,
	    run->c->attempt, w->lease_seconds, &held);
	if (e == TK_OK && held)
		lease_renewed(eng, sent);
	else if (e == TK_OK)
		return 1;   /* taken back, or settled by an operator */
	else
		run->last_try = now - hb + 1000;   /* again in a second */
	return 0;
}

static int
on_tick(void *p)
{
	struct run *run = p;
	struct tk_engine *eng = run->eng;
	const struct tk_worker_config *w = &eng->cfg->worker;
	long long now = tk_now_ms();

	if (stop_requested(eng, now)) {
		if (run->stop_seen == 0)
			run->stop_seen = now;
		if (now - run->stop_seen >=
		    (long long)w->shutdown_grace_seconds * 1000) {
			run->why = WHY_STOP;
			return 1;
		}
	}
	/* Fenced by the watchdog (we were stopped past the deadline): the
	 * attempt is lost; renewing now would only delay the reaper. */
	if (lease_fenced(eng)) {
		run->why = WHY_LOST;
		return 1;
	}
	if (now - run->last_try >= (long long)w->heartbeat_seconds * 1000 &&
	    renew(run, now)) {
		run->why = WHY_LOST;
		return 1;
	}
	/* The same deadline as the watchdog's, for an engine without one. */
	if (tk_now_ms() >= lease_expiry(eng) - TK_LEASE_MARGIN_MS) {
		run->why = WHY_LOST;
		return 1;
	}
	return 0;
}

/*
 * 1 when an operator cancelled or resolved the step while it runs (the
 * status is no longer in_progress, the attempt still ours): one primary
 * key read every SETTLED_CHECK_MS, or now with force, on the lease
 * connection (its short timeouts keep the tick loop, and so the
 * renewals, moving).  A read that fails, or no lease connection yet,
 * says 0: the lease renewal deals with a database that went away.
 */
static int
settled_check(struct run *run, int force)
{
	long long now = tk_now_ms();
	unsigned attempts;
	int st;

	if (run->settled >= 0)
		return 1;
	if (!force && now - run->last_check < SETTLED_CHECK_MS)
		return 0;
	run->last_check = now;
	if (!tk_db_connected(run->eng->lease_db) ||
	    tk_step_store_status(run->eng->lease_db, run->c->id, &st,
	    &attempts) != TK_OK)
		return 0;
	if ((st == TK_ST_CANCELLED || st == TK_ST_RESOLVED_MANUALLY) &&
	    attempts == run->c->attempt)
		run->settled = st;
	return run->settled >= 0;
}

/*
 * The tick of a running step: on_tick (lease, shutdown), and the look for
 * an operator's cancel or resolve.  A step to stop gets SIGTERM, the
 * grace, SIGKILL; a lost lease kills at once (the attempt may be another
 * worker's by now) unless the step was settled by an operator (then no
 * worker runs it again).
 */
static int
run_tick(void *p)
{
	struct run *run = p;

	if (on_tick(p) != 0) {
		if (run->why == WHY_LOST && !settled_check(run, 1))
			return TK_EXEC_TICK_KILL;
		return TK_EXEC_TICK_STOP;
	}
	return settled_check(run, 0) ? TK_EXEC_TICK_STOP :
	    TK_EXEC_TICK_GO_ON;
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

/* The handler's stdin: the task, the step, the parents' results. */
static tk_err
build_input(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, const struct tk_step_def *sd,
    struct tk_buf *in)
{
	struct tk_engine_parent *par = NULL;
	struct tk_engine_attempt at;
	struct tk_engine_task t;
	char *ctx = NULL, **res = NULL;   /* ours, freed at out */
	size_t ctx_len, k;
	tk_err e;

	if ((e = tk_step_store_context(eng->db, c->task, &ctx, &ctx_len)) !=
	    TK_OK)
		return e;
	if (sd->nparents > 0 &&
	    ((res = calloc(sd->nparents, sizeof(*res))) == NULL ||
	    (par = calloc(sd->nparents, sizeof(*par))) == NULL)) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (k = 0; k < sd->nparents; k++) {
		par[k].name = def->steps[sd->parents[k]].name;
		if ((e = tk_step_store_parent_results(eng->db, c->task,
		    par[k].name, &res[k], &par[k].results_len)) != TK_OK)
			goto out;
		par[k].results = res[k];
	}
	t.id = c->task_str;
	t.namespace_name = c->ns;
	t.name = c->handler;
	t.version = c->version;
	t.context = ctx;
	t.context_len = ctx_len;
	at.number = c->attempt;
	at.epoch = c->epoch;
	e = tk_engine_input(in, &t, c->name, &at, par, sd->nparents);
out:
	for (k = 0; res != NULL && k < sd->nparents; k++)
		free(res[k]);
	free(res);
	free(par);
	free(ctx);
	return e;
}

/* Copies src into dst, cut short at a character boundary. */
static void
copy_trunc(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz) {
		n = dstsz - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
fail_with(struct outcome *o, const char *what, const char *err,
    size_t err_len)
{
	o->kind = O_FAILURE;
	copy_trunc(o->reason, sizeof(o->reason), what);
	(void)tk_engine_error_text(&o->error, what, err, err_len);
}

/* The outcome of a handler stopped because an operator settled its step:
 * its results when it still exited 0 with them, else a failure. */
static void
settled_outcome(struct outcome *o, const struct tk_exec_result *r,
    int settled)
{
	json_object *res = NULL;
	const char *s;
	char why[200], what[300];

	if (r->exited && r->status == 0 && tk_exec_parse_output(r->out,
	    r->out_len, &res, why, sizeof(why)) == TK_OK &&
	    (s = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) != NULL &&
	    (o->results = strdup(s)) != NULL)
		o->kind = O_SUCCESS;
	else {
		snprintf(what, sizeof(what), "stopped: the step was %s while "
		    "it ran (%s %d)", tk_status_name((enum tk_status)settled),
		    r->exited ? "exit status" : "signal", r->status);
		fail_with(o, what, r->err, r->err_len);
	}
	json_object_put(res);
}

/*
 * 1 when results of len bytes fit in one statement (the server's
 * max_allowed_packet, asked once); else why says so.  Unknown (the
 * database is away): 1, and a refusal is caught when recording.
 */
static int
fits(struct tk_engine *eng, size_t len, char *why, size_t whysz)
{
	if (eng->max_packet == 0)
		(void)tk_step_store_max_packet(eng->db, &eng->max_packet);
	if (eng->max_packet == 0 || len + PACKET_SLACK <= eng->max_packet)
		return 1;
	snprintf(why, whysz, "output of %zu bytes is more than the database "
	    "takes in one statement (max_allowed_packet %llu)", len,
	    eng->max_packet);
	return 0;
}

/* A handler's success: its results, when the database can take them. */
static void
succeed(struct tk_engine *eng, struct outcome *o, json_object *res,
    const struct tk_exec_result *r)
{
	const char *s = json_object_to_json_string_ext(res,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char why[200];

	if (s == NULL || (o->results = strdup(s)) == NULL) {
		o->kind = O_RELEASE;
		snprintf(o->reason, sizeof(o->reason),
		    "released: out of memory");
		return;
	}
	if (!fits(eng, strlen(s), why, sizeof(why))) {
		free(o->results);
		o->results = NULL;
		fail_with(o, why, r->err, r->err_len);
		return;
	}
	o->kind = O_SUCCESS;
}

/* The handler's environment (protocol.c: tk_engine_env). */
static tk_err
step_env(const struct tk_engine *eng, const struct claim *c,
    const struct tk_step_def *sd, struct tk_env *env)
{
	struct tk_engine_env_src src;

	memset(&src, 0, sizeof(src));
	src.path = eng->path;
	src.home = eng->as.home;
	src.exec = &sd->exec;
	src.task_id = c->task_str;
	src.namespace_name = c->ns;
	src.handler = c->handler;
	src.version = c->version;
	src.step = c->name;
	src.attempt.number = c->attempt;
	src.attempt.epoch = c->epoch;
	return tk_engine_env(env, &src);
}

/* What tk_exec_run() is asked to do; sp borrows env, in and run. */
static void
exec_spec(const struct tk_engine *eng, const struct tk_step_def *sd,
    const struct tk_env *env, const struct tk_buf *in, struct run *run,
    unsigned timeout_s, struct tk_exec_spec *sp)
{
	const struct tk_worker_config *w = &eng->cfg->worker;

	memset(sp, 0, sizeof(*sp));
	sp->argv = (const char *const *)sd->exec.argv;
	sp->envp = (const char *const *)env->v;
	sp->cwd = eng->work_dir;
	sp->input = in->data;
	sp->input_len = in->len;
	sp->timeout_ms = timeout_s * 1000;
	sp->max_output = w->max_output_bytes;
	sp->drop = eng->as.drop;
	sp->uid = eng->as.uid;
	sp->gid = eng->as.gid;
	sp->groups = eng->as.groups;
	sp->ngroups = eng->as.ngroups;
	sp->tick_ms = TICK_MS;
	sp->tick = run_tick;
	sp->tick_arg = run;
	sp->term_grace_ms = w->kill_grace_seconds * 1000;
	if (eng->slot != NULL) {
		sp->started = tk_lease_fence_started;
		sp->ended = tk_lease_fence_ended;
		sp->fence_arg = eng->slot;
	}
}

/* Turns what happened to the handler (r, and run: why it was stopped)
 * into an outcome. */
static void
judge(struct tk_engine *eng, const struct tk_step_def *sd,
    const struct tk_exec_result *r, const struct run *run,
    unsigned timeout_s, struct outcome *o)
{
	json_object *res = NULL;
	char why[200], what[600];
	unsigned secs;

	if (r->end == TK_EXEC_ABORTED && run->settled >= 0) {
		/* Stopped for an operator: what it said is recorded as
		 * late results or error (record_txn), if still ours. */
		settled_outcome(o, r, run->settled);
		o->settled = run->settled;
		return;
	}
	if (r->end == TK_EXEC_ABORTED) {
		o->kind = run->why == WHY_LOST ? O_LOST : O_RELEASE;
		snprintf(o->reason, sizeof(o->reason), "%s",
		    run->why == WHY_LOST ? "lease lost" :
		    "released: the worker stopped");
		return;
	}
	why[0] = '\0';
	if (r->end == TK_EXEC_EXITED && r->status == 0) {
		if (tk_exec_parse_output(r->out, r->out_len, &res, why,
		    sizeof(why)) == TK_OK) {
			succeed(eng, o, res, r);
			goto out;
		}
	} else if (r->end == TK_EXEC_EXITED &&
	    tk_exec_parse_output(r->out, r->out_len, &res, why,
	    sizeof(why)) == TK_OK && tk_backoff_requested(res, &secs)) {
		o->requested = 1;
		o->delay_ms = (unsigned long long)secs * 1000;
	}
	tk_engine_failure(what, sizeof(what), r, why[0] ? why : NULL,
	    sd->exec.argv[0], timeout_s, eng->cfg->worker.max_output_bytes);
	fail_with(o, what, r->err, r->err_len);
out:
	json_object_put(res);
}

/* Runs the step's handler and turns what happened into an outcome. */
static void
execute(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, const struct tk_step_def *sd,
    struct outcome *o)
{
	struct tk_buf in = TK_BUF_INIT;
	struct tk_env env = TK_ENV_INIT;
	struct tk_exec_spec sp;
	struct tk_exec_result r;
	struct run run;
	unsigned timeout_s = sd->exec.timeout_seconds ?
	    sd->exec.timeout_seconds : eng->cfg->worker.step_timeout_seconds;
	tk_err e;

	memset(&r, 0, sizeof(r));
	if ((e = build_input(eng, c, def, sd, &in)) != TK_OK) {
		/* Not the handler's fault: try again later, uncounted. */
		o->kind = O_RELEASE;
		snprintf(o->reason, sizeof(o->reason), "released: reading the "
		    "task failed (%s)", tk_err_name(e));
		goto out;
	}
	if (step_env(eng, c, sd, &env) != TK_OK) {
		o->kind = O_RELEASE;
		snprintf(o->reason, sizeof(o->reason),
		    "released: out of memory");
		goto out;
	}
	memset(&run, 0, sizeof(run));
	run.eng = eng;
	run.c = c;
	run.last_try = run.last_check = tk_now_ms();
	run.settled = -1;
	exec_spec(eng, sd, &env, &in, &run, timeout_s, &sp);
	if ((e = tk_exec_run(&sp, &r)) != TK_OK) {
		o->kind = O_RELEASE;
		snprintf(o->reason, sizeof(o->reason), "released: the worker "
		    "could not run the handler (%s)", tk_err_name(e));
		goto out;
	}
	judge(eng, sd, &r, &run, timeout_s, o);
out:
	tk_exec_result_free(&r);
	tk_env_free(&env);
	tk_buf_free(&in);
}

/* ---------------------------------------------------------------- record */

struct record_arg {
	const struct claim           *c;
	const struct tk_handler_def  *def;
	const struct outcome         *o;
	int                           lost;    /* out: not ours any more */
	int                           again;   /* out: will be retried */
};

/* An operator settled the step while it ran (cancelled the task,
 * resolved the step): keep what the handler said, but the status is
 * theirs. */
static tk_err
record_late(struct tk_engine *eng, const struct claim *c,
    const struct outcome *o, int st)
{
	if (o->kind == O_SUCCESS && st == TK_ST_CANCELLED)
		return tk_step_store_late_results(eng->db, c->id, o->results);
	if (o->kind == O_FAILURE)
		return tk_step_store_late_error(eng->db, c->id,
		    tk_buf_str(&o->error));
	return tk_step_store_lease_clear(eng->db, c->id);
}

/* The outcome of a step still in_progress and ours; tst is its task's
 * status, max its attempts in all. */
static tk_err
record_outcome(struct tk_engine *eng, struct record_arg *ra, int tst,
    unsigned attempts, unsigned max)
{
	const struct claim *c = ra->c;
	const struct outcome *o = ra->o;
	tk_err e = TK_OK;

	switch (o->kind) {
	case O_SUCCESS:
		if ((e = tk_state_step(eng->db, c->id, c->task,
		    TK_ST_IN_PROGRESS, TK_ST_COMPLETE, c->attempt, eng->actor,
		    NULL)) != TK_OK ||
		    (e = tk_step_store_done(eng->db, c->id, o->results)) !=
		    TK_OK)
			break;
		/* A cancelled task's children stay where they are. */
		if (!task_closed(tst))
			e = tk_state_release_children(eng->db, c->task,
			    ra->def, c->position);
		break;
	case O_FAILURE:
		ra->again = !o->permanent && attempts < max &&
		    !task_closed(tst);
		if ((e = tk_state_step(eng->db, c->id, c->task,
		    TK_ST_IN_PROGRESS, TK_ST_ERROR, c->attempt, eng->actor,
		    o->reason)) == TK_OK)
			e = tk_step_store_failed(eng->db, c->id,
			    tk_buf_str(&o->error), ra->again,
			    o->delay_ms * 1000);
		break;
	case O_RELEASE:
		if ((e = tk_state_step(eng->db, c->id, c->task,
		    TK_ST_IN_PROGRESS, TK_ST_PENDING, c->attempt, eng->actor,
		    o->reason)) == TK_OK)
			e = tk_step_store_released(eng->db, c->id,
			    !task_closed(tst));
		break;
	case O_LOST:
		ra->lost = 1;
		return TK_OK;
	}
	if (e != TK_OK)
		return e;
	return tk_state_task_refresh(eng->db, c->task, eng->actor, NULL, NULL);
}

/* The record: compare-and-set on lease_owner and attempts, the step
 * locked before its task. */
static tk_err
record_txn(struct tk_engine *eng, void *p)
{
	struct record_arg *ra = p;
	const struct claim *c = ra->c;
	struct tk_step_held h;
	int tst;
	tk_err e;

	ra->lost = ra->again = 0;
	if ((e = tk_step_store_lock_held(eng->db, c->id, &h)) != TK_OK)
		return e;
	if (!h.found || !h.has_owner || strcmp(h.owner, eng->owner) != 0 ||
	    h.attempts != c->attempt) {
		ra->lost = 1;
		return TK_OK;
	}
	if ((e = tk_step_store_lock_task(eng->db, c->task, &tst)) != TK_OK)
		goto out;
	if (h.status != TK_ST_IN_PROGRESS)
		e = record_late(eng, c, ra->o, h.status);
	else
		e = record_outcome(eng, ra, tst, h.attempts,
		    tk_step_max_attempts(h.retryable, h.retry_limit));
out:
	if (e == TK_ERR_CONFLICT) {
		/* The status moved under our lock: impossible; say lost. */
		ra->lost = 1;
	}
	return e;
}

/*
 * Records o.  A database that went away is waited for until the lease's
 * real expiry (the last renewal that held, plus the lease); after that
 * the attempt is the reaper's.
 */
static tk_err
record(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, const struct outcome *o, int *lost,
    int *again)
{
	struct record_arg ra;
	long long until = lease_expiry(eng), left;
	tk_err e;

	memset(&ra, 0, sizeof(ra));
	ra.c = c;
	ra.def = def;
	ra.o = o;
	for (;;) {
		e = in_txn(eng, record_txn, &ra);
		if (e != TK_ERR_DB_UNAVAILABLE || (left = until - tk_now_ms()) <= 0)
			break;
		/* Short waits: a database back just before the expiry is
		 * still in time. */
		sleep_ms(left < RECORD_WAIT_MS ? left : RECORD_WAIT_MS);
	}
	*lost = ra.lost;
	*again = ra.again;
	return e;
}

/* ---------------------------------------------------------------- run_one */

static const char *const kind_names[] = {
	"complete", "error", "released", "lost"
};

/* The retry delay of a failure that did not ask for one. */
static void
backoff(const struct tk_worker_config *w, const struct claim *c,
    struct outcome *o)
{
	if (o->kind == O_FAILURE && !o->permanent && !o->requested)
		o->delay_ms = tk_backoff_delay_ms(c->attempt,
		    w->backoff_base_seconds, w->backoff_cap_seconds,
		    tk_backoff_random());
}

/* A success the database would not store becomes a failure naming the
 * database's reason. */
static void
refused(struct tk_engine *eng, struct outcome *o)
{
	char what[600];

	snprintf(what, sizeof(what), "the database refused the handler's "
	    "output: %s", tk_db_error(eng->db));
	free(o->results);
	o->results = NULL;
	fail_with(o, what, NULL, 0);
}

/*
 * Records o, the handler being over: nothing when the attempt was fenced
 * or lost; a success the database refuses becomes a failure with the
 * database's reason.  Then the lease slot is empty again.
 */
static tk_err
settle(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, struct outcome *o, int *lost,
    int *again)
{
	const struct tk_worker_config *w = &eng->cfg->worker;
	tk_err e = TK_OK;

	*lost = *again = 0;
	if (o->kind != O_LOST && !lease_to_record(eng)) {
		o->kind = O_LOST;
		snprintf(o->reason, sizeof(o->reason), "lease lost: the handler "
		    "was killed at its lease deadline");
	}
	backoff(w, c, o);
	if (o->kind == O_LOST) {
		*lost = 1;
		goto out;
	}
	e = record(eng, c, def, o, lost, again);
	if (e == TK_ERR_DB && o->kind == O_SUCCESS &&
	    !tk_db_transient(eng->db)) {
		/* Not transient: running the handler again would not help the
		 * database take it.  The attempt fails, saying why. */
		refused(eng, o);
		backoff(w, c, o);
		e = record(eng, c, def, o, lost, again);
	}
out:
	lease_end(eng);
	return e;
}

static tk_err
run_claimed(struct tk_engine *eng, const struct claim *c)
{
	const struct tk_handler_def *def;
	const struct tk_step_def *sd = NULL;
	struct outcome o;
	long long t0 = tk_now_ms();
	char what[300], q[REASON_MAX + 16];
	int lost = 0, again = 0;
	tk_err e;

	memset(&o, 0, sizeof(o));
	o.settled = -1;
	tk_buf_init(&o.error);
	def = lookup_def(eng, c->hv, &e);
	if (def == NULL && e != TK_OK) {
		o.kind = O_RELEASE;
		snprintf(o.reason, sizeof(o.reason), "released: the handler "
		    "registry could not be read (%s)", tk_err_name(e));
	} else if (def == NULL) {
		snprintf(what, sizeof(what), "handler version %u (%s.%s@%s) "
		    "is not in the registry", c->hv, c->ns, c->handler,
		    c->version);
		fail_with(&o, what, NULL, 0);
		o.permanent = 1;
	} else if (c->position >= def->nsteps ||
	    strcmp(def->steps[c->position].name, c->name) != 0) {
		snprintf(what, sizeof(what), "step '%s' is not step %zu of "
		    "%s.%s@%s", c->name, c->position, c->ns, c->handler,
		    c->version);
		fail_with(&o, what, NULL, 0);
		o.permanent = 1;
	} else if (!(sd = &def->steps[c->position])->exec.runnable ||
	    sd->exec.argc == 0) {
		snprintf(what, sizeof(what), "step '%s' has no runnable "
		    "handler_config (type: exec)", c->name);
		fail_with(&o, what, NULL, 0);
		o.permanent = 1;
	} else
		execute(eng, c, def, sd, &o);

	e = settle(eng, c, def, &o, &lost, &again);

	if (e != TK_OK)
		tk_log(TK_LOG_ERROR, "event=step task=%s step=%s attempt=%u "
		    "outcome=unrecorded duration_ms=%lld error=%s db_error=%s",
		    c->task_str, c->name, c->attempt, tk_now_ms() - t0,
		    tk_err_name(e), tk_log_quote(q, sizeof(q),
		    tk_db_error(eng->db)));
	else if (o.settled >= 0)
		tk_log(TK_LOG_INFO, "event=step task=%s handler=%s.%s@%s "
		    "step=%s attempt=%u outcome=stopped status=%s "
		    "duration_ms=%lld recorded=%s", c->task_str, c->ns,
		    c->handler, c->version, c->name, c->attempt,
		    tk_status_name((enum tk_status)o.settled), tk_now_ms() - t0,
		    lost ? "no" : (o.kind == O_SUCCESS ? "results" : "error"));
	else if (o.kind == O_FAILURE && !lost) {
		char next[64] = "retry=no";

		if (again)
			snprintf(next, sizeof(next),
			    "retry=yes retry_in_ms=%llu", o.delay_ms);
		tk_log(TK_LOG_INFO, "event=step task=%s handler=%s.%s@%s "
		    "step=%s attempt=%u outcome=error %s duration_ms=%lld "
		    "error=%s", c->task_str, c->ns, c->handler, c->version,
		    c->name, c->attempt, next, tk_now_ms() - t0,
		    tk_log_quote(q, sizeof(q), o.reason));
	}
	else
		tk_log(lost ? TK_LOG_WARN : TK_LOG_INFO, "event=step task=%s "
		    "handler=%s.%s@%s step=%s attempt=%u outcome=%s "
		    "duration_ms=%lld%s%s", c->task_str, c->ns, c->handler,
		    c->version, c->name, c->attempt,
		    lost ? "lost" : kind_names[o.kind], tk_now_ms() - t0,
		    o.kind == O_RELEASE || o.kind == O_LOST ? " reason=" : "",
		    o.kind == O_RELEASE || o.kind == O_LOST ? tk_log_quote(q,
		    sizeof(q), o.reason) : "");
	free(o.results);
	tk_buf_free(&o.error);
	return e;
}

tk_err
tk_engine_run_one(struct tk_engine *eng, int *ran)
{
	struct claim_arg ca;
	long long t = tk_now_ms();
	tk_err e;

	*ran = 0;
	memset(&ca, 0, sizeof(ca));   /* claim_txn sets it on every run */
	/* t is before the lease was written: a deadline from it is early,
	 * never late. */
	if ((e = in_txn(eng, claim_txn, &ca)) != TK_OK)
		return e;
	if (ca.cleared) {
		*ran = 1;
		return TK_OK;
	}
	if (!ca.found)
		return TK_OK;
	*ran = 1;
	lease_begin(eng, ca.c.id, t);
	return run_claimed(eng, &ca.c);
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
	    s->retry_limit) && !task_closed(tst);
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
		if ((e = in_txn(eng, reap_txn, &ra)) != TK_OK)
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
