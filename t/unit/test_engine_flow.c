/*
 * test_engine_flow.c - the engine's decisions, driven through its public
 * calls (tk_engine_run_one, tk_engine_reap) against the in-memory store
 * of fake_step_store.c: no MariaDB.  Handlers are real processes
 * (/bin/sh one-liners, t/fixtures/engine/echo_input.sh); statuses are
 * state.c's, as in production.  Each case checks what a user would see
 * in the step's row: its status, attempts, results or last_error, when
 * it runs again, and what its task became.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"
#include "fake_step_store.h"
#include "tasker/clock.h"
#include "tasker/config.h"
#include "tasker/log.h"

#define HV 7

/* A task of two steps, "a" then "b" (b depends on a), each run by
 * /bin/sh -c with the command the case sets.  Writable copies: the
 * definition's strings are char *. */
static char sh[] = "/bin/sh", dash_c[] = "-c", cmd_a[4200], cmd_b[4200];
static char name_a[] = "a", name_b[] = "b";
static char ns[] = "flow", handler[] = "two_steps", version[] = "1.0.0";
static char *argv_a[] = { sh, dash_c, cmd_a, NULL };
static char *argv_b[] = { sh, dash_c, cmd_b, NULL };
static size_t parents_b[] = { 0 };
static struct tk_step_def steps[2];
static struct tk_handler_def def;
static struct tk_config cfg;
static struct tk_engine *eng;

static void
setup(const char *a, const char *b)
{
	size_t i;

	memset(steps, 0, sizeof(steps));
	memset(&def, 0, sizeof(def));
	snprintf(cmd_a, sizeof(cmd_a), "%s", a);
	snprintf(cmd_b, sizeof(cmd_b), "%s", b);
	steps[0].name = name_a;
	steps[1].name = name_b;
	steps[1].parents = parents_b;
	steps[1].nparents = 1;
	steps[0].exec.argv = argv_a;
	steps[1].exec.argv = argv_b;
	for (i = 0; i < 2; i++) {
		steps[i].retryable = 1;
		steps[i].retry_limit = 2;         /* 3 attempts in all */
		steps[i].exec.runnable = 1;
		steps[i].exec.argc = 3;
	}
	def.namespace_name = ns;
	def.name = handler;
	def.version = version;
	def.steps = steps;
	def.nsteps = 2;
	fake_reset(HV, &def);
	(void)fake_add_step(&def, 0);
	(void)fake_add_step(&def, 1);
	tk_config_free(&cfg);
	CU_ASSERT_FATAL(tk_config_defaults(&cfg) == TK_OK);
	cfg.worker.heartbeat_seconds = 1;
	cfg.worker.lease_seconds = 30;
	cfg.worker.backoff_base_seconds = 1;
	cfg.worker.backoff_cap_seconds = 300;
	cfg.worker.step_timeout_seconds = 20;
	cfg.worker.kill_grace_seconds = 1;
	tk_log_setup("engine_flow_tests", TK_LOG_ERROR, TK_LOG_LOGFMT,
	    TK_LOG_STDERR);
	tk_engine_free(eng);
	eng = NULL;
	CU_ASSERT_FATAL(tk_engine_new(&cfg, "worker-a", NULL, &eng) == TK_OK);
}

static void
teardown(void)
{
	tk_engine_free(eng);
	eng = NULL;
	tk_config_free(&cfg);
	memset(&cfg, 0, sizeof(cfg));
}

/* One tk_engine_run_one(): *ran as it said. */
static int
run_one(void)
{
	int ran = -1;

	CU_ASSERT_EQUAL(tk_engine_run_one(eng, &ran), TK_OK);
	return ran;
}

static void
test_success_releases_children(void)
{
	char cmd[4200];
	struct fake_step *a, *b;

	snprintf(cmd, sizeof(cmd), "exec %s",
	    tk_fixture("engine/echo_input.sh"));
	setup(cmd, cmd);
	a = fake_step(0);
	b = fake_step(1);
	CU_ASSERT_EQUAL(run_one(), 1);
	/* a ran once, with the task's context on stdin, and holds nothing. */
	CU_ASSERT_EQUAL(a->status, TK_ST_COMPLETE);
	CU_ASSERT_EQUAL(a->attempts, 1);
	CU_ASSERT(a->has_results);
	CU_ASSERT_PTR_NOT_NULL(strstr(a->results, "\"context\":{\"n\":1}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a->results, "\"fencing_token\":\"1.1\""));
	CU_ASSERT_STRING_EQUAL(a->owner, "");
	CU_ASSERT(!a->ready);
	/* b's last parent is done: a's record claimed it (the chain), and
	 * it ran in the same call, told a's results, leased and recorded
	 * like any attempt. */
	CU_ASSERT_EQUAL(b->unmet_parents, 0);
	CU_ASSERT(!b->ready);
	CU_ASSERT_EQUAL(b->status, TK_ST_COMPLETE);
	CU_ASSERT_EQUAL(b->attempts, 1);
	CU_ASSERT_EQUAL(b->lease_epoch, 1);
	CU_ASSERT_STRING_EQUAL(b->owner, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(b->results, "\"parents\":{\"a\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b->results, "\"fencing_token\":\"1.1\""));
	/* The context came with a's claim, and b took it and a's results
	 * from the chain: neither step read anything for its stdin. */
	CU_ASSERT_PTR_NOT_NULL(strstr(b->results, "\"context\":{\"n\":1}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b->results,
	    "\"parents\":{\"a\":{\"input\":{\"task\":"));
	CU_ASSERT_EQUAL(fake.input_reads, 0);
	CU_ASSERT_PTR_NOT_NULL(fake_last_transition(b));
	if (fake_last_transition(b) != NULL) {
		CU_ASSERT_EQUAL(fake_last_transition(b)->from,
		    TK_ST_IN_PROGRESS);
		CU_ASSERT_EQUAL(fake_last_transition(b)->to, TK_ST_COMPLETE);
		CU_ASSERT_EQUAL(fake_last_transition(b)->attempt, 1);
	}
	CU_ASSERT_EQUAL(fake.task.status, TK_ST_COMPLETE);
	CU_ASSERT_EQUAL(run_one(), 0);
	teardown();
}

static void
test_failure_backs_off(void)
{
	struct fake_step *a;
	long long delay;

	setup("echo boom >&2; exit 3", "exit 0");
	a = fake_step(0);
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT_EQUAL(a->status, TK_ST_ERROR);
	CU_ASSERT_EQUAL(a->attempts, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(a->last_error, "exit status 3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a->last_error, "stderr: boom"));
	CU_ASSERT_STRING_EQUAL(a->owner, "");
	/* Ready again after the backoff: base 1 s, less up to a quarter. */
	CU_ASSERT(a->ready);
	delay = a->ready_at_us - fake.now_us;
	CU_ASSERT(delay >= 750000 && delay <= 1000000);
	/* Attempts are left: the task is not failed, b is not released. */
	CU_ASSERT_EQUAL(fake.task.status, TK_ST_IN_PROGRESS);
	CU_ASSERT(!fake_step(1)->ready);
	/* Not before its time; then attempt 2. */
	CU_ASSERT_EQUAL(run_one(), 0);
	fake.now_us += 1000000;
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT_EQUAL(a->attempts, 2);
	CU_ASSERT_EQUAL(a->status, TK_ST_ERROR);
	teardown();
}

static void
test_last_attempt_fails_task(void)
{
	struct fake_step *a;
	const struct fake_transition *t;

	setup("exit 1", "exit 0");
	a = fake_step(0);
	/* Two attempts failed already; the third is the last. */
	a->status = TK_ST_ERROR;
	a->attempts = 2;
	fake.task.status = TK_ST_IN_PROGRESS;
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT_EQUAL(a->status, TK_ST_ERROR);
	CU_ASSERT_EQUAL(a->attempts, 3);
	CU_ASSERT(!a->ready);
	CU_ASSERT_FATAL((t = fake_last_transition(a)) != NULL);
	CU_ASSERT_EQUAL(t->attempt, 3);
	CU_ASSERT_EQUAL(t->to, TK_ST_ERROR);
	CU_ASSERT_EQUAL(fake.task.status, TK_ST_ERROR);
	CU_ASSERT_EQUAL(run_one(), 0);
	teardown();
}

static void
test_not_retryable_fails_at_once(void)
{
	setup("exit 1", "exit 0");
	steps[0].retryable = 0;
	fake_step(0)->retryable = 0;
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT_EQUAL(fake_step(0)->status, TK_ST_ERROR);
	CU_ASSERT(!fake_step(0)->ready);
	CU_ASSERT_EQUAL(fake.task.status, TK_ST_ERROR);
	teardown();
}

/* Another worker took the step back and claimed it while ours ran (its
 * attempt number the next one, or ours again after an operator's retry
 * reset the attempts): the outcome is not ours to record. */
static void
test_stale_worker_records_nothing(void)
{
	struct fake_step *a;
	int same;

	for (same = 0; same < 2; same++) {
		setup("echo '{\"late\": true}'", "exit 0");
		a = fake_step(0);
		fake.steal_step = a->id;
		fake.steal_same_attempt = same;
		CU_ASSERT_EQUAL(run_one(), 1);
		CU_ASSERT_EQUAL(a->status, TK_ST_IN_PROGRESS);
		CU_ASSERT_STRING_EQUAL(a->owner, "worker-b");
		CU_ASSERT_EQUAL(a->attempts, same ? 1 : 2);
		CU_ASSERT(!a->has_results);
		CU_ASSERT_EQUAL(a->last_error[0], '\0');
		CU_ASSERT_EQUAL(fake_step(1)->unmet_parents, 1);
		CU_ASSERT(!fake_step(1)->ready);
		teardown();
	}
}

/* The renewal finds the lease gone: the handler is killed at once (not
 * after its 30 s), and nothing is recorded. */
static void
test_lost_lease_kills_handler(void)
{
	struct fake_step *a;
	long long t0;

	setup("sleep 30; echo '{}'", "exit 0");
	a = fake_step(0);
	fake.steal_step = a->id;
	fake.steal_on_renew = 1;
	t0 = tk_now_ms();
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT(tk_now_ms() - t0 < 10000);
	CU_ASSERT_EQUAL(a->status, TK_ST_IN_PROGRESS);
	CU_ASSERT_STRING_EQUAL(a->owner, "worker-b");
	CU_ASSERT(!a->has_results);
	CU_ASSERT_EQUAL(a->last_error[0], '\0');
	teardown();
}

/* A success the database will not store fails the attempt, saying why. */
static void
test_refused_results_fail(void)
{
	struct fake_step *a;

	setup("echo '{\"big\": true}'", "exit 0");
	a = fake_step(0);
	fake.refuse_results = 1;
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT_EQUAL(a->status, TK_ST_ERROR);
	CU_ASSERT(!a->has_results);
	CU_ASSERT_PTR_NOT_NULL(strstr(a->last_error,
	    "the database refused the handler's output: Data too long"));
	CU_ASSERT(a->ready);
	teardown();
}

/* A step whose worker died: the reaper counts the lost attempt and makes
 * it ready again, or error when it was the last. */
static void
test_reap_counts_attempt(void)
{
	struct fake_step *a;
	const struct fake_transition *t;
	unsigned n = 99;

	setup("exit 0", "exit 0");
	a = fake_step(0);
	a->status = TK_ST_IN_PROGRESS;
	a->attempts = 1;
	a->ready = 0;
	snprintf(a->owner, sizeof(a->owner), "worker-dead");
	a->leased = 1;
	a->lease_expires_us = fake.now_us + 1;
	fake.task.status = TK_ST_IN_PROGRESS;
	/* Not expired yet: left alone. */
	CU_ASSERT_EQUAL(tk_engine_reap(eng, NULL, NULL, &n), TK_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(a->status, TK_ST_IN_PROGRESS);
	fake.now_us += 2;
	CU_ASSERT_EQUAL(tk_engine_reap(eng, NULL, NULL, &n), TK_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(a->status, TK_ST_PENDING);
	CU_ASSERT_EQUAL(a->attempts, 1);           /* counted, not undone */
	CU_ASSERT(a->ready);
	CU_ASSERT_STRING_EQUAL(a->owner, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(a->last_error,
	    "attempt 1 lost: the lease of worker worker-dead expired"));
	CU_ASSERT_FATAL((t = fake_last_transition(a)) != NULL);
	CU_ASSERT_STRING_EQUAL(t->reason, "lease expired");
	/* The last attempt lost: error, and the task with it. */
	a->status = TK_ST_IN_PROGRESS;
	a->attempts = 3;
	a->ready = 0;
	snprintf(a->owner, sizeof(a->owner), "worker-dead");
	a->leased = 1;
	a->lease_expires_us = fake.now_us - 1;
	CU_ASSERT_EQUAL(tk_engine_reap(eng, NULL, NULL, &n), TK_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(a->status, TK_ST_ERROR);
	CU_ASSERT(!a->ready);
	CU_ASSERT_EQUAL(fake.task.status, TK_ST_ERROR);
	teardown();
}

/* A ready step of a cancelled or finished task is not run: its ready
 * mark is cleared and the step left as it was. */
static void
test_closed_task_not_run(void)
{
	static const int closed[] = { TK_ST_CANCELLED, TK_ST_COMPLETE };
	struct fake_step *a;
	size_t i;

	for (i = 0; i < 2; i++) {
		setup("echo '{}'", "exit 0");
		a = fake_step(0);
		fake.task.status = closed[i];
		CU_ASSERT_EQUAL(run_one(), 1);   /* look again at once */
		CU_ASSERT_EQUAL(a->status, TK_ST_PENDING);
		CU_ASSERT_EQUAL(a->attempts, 0);
		CU_ASSERT(!a->ready);
		CU_ASSERT(!a->has_results);
		CU_ASSERT_EQUAL(fake.task.status, closed[i]);
		CU_ASSERT_EQUAL(run_one(), 0);
		teardown();
	}
}

/* A handler without flow limits: the claim makes no call into the
 * store's limits (no statement added to the plain claim). */
static void
test_no_limits_no_calls(void)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "exec %s",
	    tk_fixture("engine/echo_input.sh"));
	setup(cmd, cmd);
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT_EQUAL(fake_step(1)->status, TK_ST_COMPLETE);
	CU_ASSERT_EQUAL(fake.limit_calls, 0);
	teardown();
}

/* A step held by its rate limit stays pending, no attempt counted,
 * ready again when the next start is allowed; then it runs. */
static void
test_rate_limit_holds(void)
{
	char cmd[4200];
	struct fake_step *a;
	long long t0;

	snprintf(cmd, sizeof(cmd), "exec %s",
	    tk_fixture("engine/echo_input.sh"));
	setup(cmd, cmd);
	steps[0].rate.limit = 4;
	steps[0].rate.period_seconds = 1;
	fake.rate_wait_us = 250000;
	t0 = fake.now_us;
	a = fake_step(0);
	/* The hold clears the claim (look again), then nothing is ready. */
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT_EQUAL(run_one(), 0);
	CU_ASSERT(fake.limit_calls >= 2);    /* the rate, the hold */
	CU_ASSERT_EQUAL(a->status, TK_ST_PENDING);
	CU_ASSERT_EQUAL(a->attempts, 0);
	CU_ASSERT(a->ready);
	CU_ASSERT_EQUAL(a->ready_at_us, t0 + 250000);
	fake.rate_wait_us = 0;
	fake.now_us = t0 + 250000;
	CU_ASSERT_EQUAL(run_one(), 1);
	CU_ASSERT_EQUAL(a->status, TK_ST_COMPLETE);
	CU_ASSERT_EQUAL(a->attempts, 1);
	teardown();
}

TK_SUITE(engine_flow,
    { "claim, success, children released", test_success_releases_children },
    { "failure with attempts left: backoff", test_failure_backs_off },
    { "last attempt: step and task error", test_last_attempt_fails_task },
    { "not retryable: error at once", test_not_retryable_fails_at_once },
    { "stale worker records nothing", test_stale_worker_records_nothing },
    { "lease lost while running: killed, nothing recorded",
      test_lost_lease_kills_handler },
    { "results refused: the attempt fails", test_refused_results_fail },
    { "reap: expired lease counts the attempt", test_reap_counts_attempt },
    { "cancelled or finished task: not run", test_closed_task_not_run },
    { "no flow limits: no call into them", test_no_limits_no_calls },
    { "rate limit: held pending, then run", test_rate_limit_holds });
