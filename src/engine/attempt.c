/*
 * attempt.c - one attempt of a claimed step: the handler's stdin
 * document (the task's context and the parents' results, read from the
 * step store, shaped by protocol.c) and environment, the exec run with
 * keeper.c's tick, and the judging of how the handler ended into an
 * outcome (internal.h) for record.c.  Decides nothing about statuses:
 * an outcome says what happened, record.c and state.c what follows.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/backoff.h"
#include "tasker/state.h"
#include "tasker/step_store.h"

#define TICK_MS          200    /* how often a running step checks in */
#define PACKET_SLACK     4096   /* a statement's bytes besides results */

void
eng_carry_free(struct carry *cy)
{
	free(cy->context);
	free(cy->results);
	memset(cy, 0, sizeof(*cy));
}

void
eng_carry_results(struct carry *cy, const struct claim *c,
    struct outcome *o)
{
	if (memcmp(cy->task, c->task, sizeof(cy->task)) != 0) {
		eng_carry_free(cy);
		memcpy(cy->task, c->task, sizeof(cy->task));
	}
	free(cy->results);
	cy->results = o->results;
	cy->results_len = o->results != NULL ? strlen(o->results) : 0;
	memcpy(cy->step, c->name, sizeof(cy->step));
	o->results = NULL;
}

/* The task's context into cy, unless cy has it: with the results of
 * step first (not NULL) into *res, in the same round trip. */
static tk_err
read_context(struct tk_engine *eng, const struct claim *c, struct carry *cy,
    const char *first, char **res, size_t *res_len)
{
	int same = memcmp(cy->task, c->task, sizeof(cy->task)) == 0;
	tk_err e;

	if (same && cy->have_context)
		return first == NULL ? TK_OK : tk_step_store_parent_results(
		    eng->db, c->task, first, res, res_len);
	/* Another task's carry goes; this task's results (borrowed by the
	 * caller) stay. */
	if (!same)
		eng_carry_free(cy);
	free(cy->context);
	cy->context = NULL;
	if (first == NULL)
		e = tk_step_store_context(eng->db, c->task, &cy->context,
		    &cy->context_len);
	else
		e = tk_step_store_context_parent(eng->db, c->task, first,
		    &cy->context, &cy->context_len, res, res_len);
	if (e == TK_OK) {
		memcpy(cy->task, c->task, sizeof(cy->task));
		cy->have_context = 1;
	}
	return e;
}

/* The carried results of step name (borrowed from cy), else NULL. */
static const char *
carried(const struct carry *cy, const struct claim *c, const char *name,
    size_t *len)
{
	if (cy->results == NULL || strcmp(cy->step, name) != 0 ||
	    memcmp(cy->task, c->task, sizeof(cy->task)) != 0)
		return NULL;
	*len = cy->results_len;
	return cy->results;
}

/*
 * The handler's stdin: the task, the step, the parents' results.  The
 * usual step of a chain reads nothing (its context and its parent's
 * results are carried); the first step a worker runs of a task reads
 * the context with its first parent's results in one round trip.
 */
static tk_err
build_input(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, const struct tk_step_def *sd,
    struct carry *cy, struct tk_buf *in)
{
	struct tk_engine_parent *par = NULL;
	struct tk_engine_attempt at;
	struct tk_engine_task t;
	char **res = NULL;   /* the results read here: ours, freed at out */
	char *res0 = NULL;   /* the first parent's, read with the context */
	const char *first = NULL;
	size_t k, res0_len = 0;
	tk_err e;

	if (sd->nparents > 0 &&
	    ((res = calloc(sd->nparents, sizeof(*res))) == NULL ||
	    (par = calloc(sd->nparents, sizeof(*par))) == NULL)) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (k = 0; k < sd->nparents; k++) {
		par[k].name = def->steps[sd->parents[k]].name;
		par[k].results = carried(cy, c, par[k].name,
		    &par[k].results_len);
	}
	if (sd->nparents > 0 && par[0].results == NULL)
		first = par[0].name;
	if ((e = read_context(eng, c, cy, first, &res0, &res0_len)) != TK_OK)
		goto out;
	if (first != NULL) {
		res[0] = res0;
		res0 = NULL;
		par[0].results = res[0];
		par[0].results_len = res0_len;
	}
	for (k = 0; k < sd->nparents; k++) {
		if (par[k].results == NULL && (k > 0 || first == NULL)) {
			if ((e = tk_step_store_parent_results(eng->db, c->task,
			    par[k].name, &res[k], &par[k].results_len)) !=
			    TK_OK)
				goto out;
			par[k].results = res[k];
		}
	}
	t.id = c->task_str;
	t.namespace_name = c->ns;
	t.name = c->handler;
	t.version = c->version;
	t.context = cy->context;
	t.context_len = cy->context_len;
	at.number = c->attempt;
	at.epoch = c->epoch;
	e = tk_engine_input(in, &t, c->name, &at, par, sd->nparents);
out:
	for (k = 0; res != NULL && k < sd->nparents; k++)
		free(res[k]);
	free(res);
	free(res0);
	free(par);
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

void
eng_fail_with(struct outcome *o, const char *what, const char *err,
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
		eng_fail_with(o, what, r->err, r->err_len);
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
		eng_fail_with(o, why, r->err, r->err_len);
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
	sp->tick = eng_run_tick;
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
		 * late results or error (record.c), if still ours. */
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
	eng_fail_with(o, what, r->err, r->err_len);
out:
	json_object_put(res);
}

/* Runs the step's handler and turns what happened into an outcome. */
void
eng_execute(struct tk_engine *eng, const struct claim *c,
    const struct tk_handler_def *def, const struct tk_step_def *sd,
    struct carry *cy, struct outcome *o)
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
	if ((e = build_input(eng, c, def, sd, cy, &in)) != TK_OK) {
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
	eng_run_init(&run, eng, c);
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
