/*
 * test_engine.c - the parts of a step run that need no database: the
 * handler's stdin document, its environment, the error text kept for a
 * failed attempt, task ids, the claim's decision on a ready step, and
 * who handlers run as.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "testlib.h"
#include "tasker/engine.h"
#include "tasker/state.h"
#include "tasker/worker.h"

static json_object *
parse(const char *s)
{
	json_tokener *tok = json_tokener_new_ex(32);
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s));
	json_tokener_free(tok);
	return o;
}

static const char *
get(json_object *o, const char *path)
{
	char buf[200], *p, *save = NULL;
	json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p != NULL;
	    p = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(v, p, &v))
			return "(missing)";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static void
test_input_document(void)
{
	struct tk_buf b = TK_BUF_INIT;
	struct tk_engine_task t = {
		"0190d5c8-1111-7000-8000-000000000001", "payments",
		"process_payment", "2.1.0",
		"{\"payment_id\": 12, \"x\": [1]}", 0
	};
	struct tk_engine_parent p[2] = {
		{ "validate", "{\"valid\":true}", 14 },
		{ "skipped", NULL, 0 },   /* resolved manually: no results */
	};
	struct tk_engine_attempt at = { 2, 7 }, first = { 1, 1 };
	json_object *o;

	t.context_len = strlen(t.context);
	CU_ASSERT_EQUAL(tk_engine_input(&b, &t, "charge_card", &at, p, 2),
	    TK_OK);
	CU_ASSERT_EQUAL(b.data[b.len - 1], '\n');
	o = parse(b.data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(get(o, "task.id"),
	    "\"0190d5c8-1111-7000-8000-000000000001\"");
	CU_ASSERT_STRING_EQUAL(get(o, "task.namespace"), "\"payments\"");
	CU_ASSERT_STRING_EQUAL(get(o, "task.name"), "\"process_payment\"");
	CU_ASSERT_STRING_EQUAL(get(o, "task.version"), "\"2.1.0\"");
	CU_ASSERT_STRING_EQUAL(get(o, "task.context"),
	    "{\"payment_id\":12,\"x\":[1]}");
	CU_ASSERT_STRING_EQUAL(get(o, "step"),
	    "{\"name\":\"charge_card\",\"attempt\":2,\"lease_epoch\":7,"
	    "\"fencing_token\":\"2.7\"}");
	CU_ASSERT_STRING_EQUAL(get(o, "parents"),
	    "{\"validate\":{\"valid\":true},\"skipped\":null}");
	json_object_put(o);

	/* A root step: empty parents; a missing context is {} */
	tk_buf_reset(&b);
	t.context = NULL;
	t.context_len = 0;
	CU_ASSERT_EQUAL(tk_engine_input(&b, &t, "a", &first, NULL, 0), TK_OK);
	o = parse(b.data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(get(o, "parents"), "{}");
	CU_ASSERT_STRING_EQUAL(get(o, "task.context"), "{}");
	json_object_put(o);

	/* Strings are escaped */
	tk_buf_reset(&b);
	t.version = "1.0.0-\"x\"\\\n";
	CU_ASSERT_EQUAL(tk_engine_input(&b, &t, "a", &first, NULL, 0), TK_OK);
	o = parse(b.data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(get(o, "task.version"),
	    "\"1.0.0-\\\"x\\\"\\\\\\n\"");
	json_object_put(o);
	tk_buf_free(&b);
}

static void
test_environment(void)
{
	struct tk_env env = TK_ENV_INIT;
	struct tk_engine_env_src s;
	struct tk_exec_def ex;
	static char e1[] = "REGION=eu", e2[] = "LANG=de_DE.UTF-8",
	    e3[] = "TASKER_STEP_NAME=spoofed";
	char *entries[] = { e1, e2, e3, NULL };
	size_t i;

	memset(&ex, 0, sizeof(ex));
	ex.env = entries;
	ex.nenv = 3;
	memset(&s, 0, sizeof(s));
	s.path = "/opt/bin:/usr/bin:/bin";
	s.home = "/var/lib/tasker";
	s.exec = &ex;
	s.task_id = "0190d5c8-1111-7000-8000-000000000001";
	s.namespace_name = "payments";
	s.handler = "process_payment";
	s.version = "2.1.0";
	s.step = "charge_card";
	s.attempt.number = 3;
	s.attempt.epoch = 12345678901ULL;
	setenv("TASKER_DB_PASSWORD", "hunter2", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "k", 1);
	CU_ASSERT_EQUAL_FATAL(tk_engine_env(&env, &s), TK_OK);
	/* exactly these, nothing of the worker's own environment */
	CU_ASSERT_EQUAL(env.n, 12);
	CU_ASSERT_PTR_NULL(env.v[env.n]);
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "PATH"),
	    "/opt/bin:/usr/bin:/bin");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "HOME"), "/var/lib/tasker");
	/* the step's entries replace the defaults ... */
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "LANG"), "de_DE.UTF-8");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "REGION"), "eu");
	/* ... but not the metadata */
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "TASKER_STEP_NAME"),
	    "charge_card");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "TASKER_TASK_ID"),
	    "0190d5c8-1111-7000-8000-000000000001");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "TASKER_STEP_ATTEMPT"), "3");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "TASKER_LEASE_EPOCH"),
	    "12345678901");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "TASKER_FENCING_TOKEN"),
	    "3.12345678901");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "TASKER_NAMESPACE"),
	    "payments");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "TASKER_HANDLER"),
	    "process_payment");
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "TASKER_HANDLER_VERSION"),
	    "2.1.0");
	CU_ASSERT_PTR_NULL(tk_env_get(&env, "TASKER_DB_PASSWORD"));
	CU_ASSERT_PTR_NULL(tk_env_get(&env, "AWS_SECRET_ACCESS_KEY"));
	for (i = 0; i < env.n; i++)
		CU_ASSERT_PTR_NULL(strstr(env.v[i], "hunter2"));
	tk_env_free(&env);
	unsetenv("TASKER_DB_PASSWORD");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	/* No HOME, default PATH */
	s.path = NULL;
	s.home = NULL;
	s.exec = NULL;
	CU_ASSERT_EQUAL_FATAL(tk_engine_env(&env, &s), TK_OK);
	CU_ASSERT_PTR_NULL(tk_env_get(&env, "HOME"));
	CU_ASSERT_PTR_NOT_NULL(tk_env_get(&env, "PATH"));
	CU_ASSERT_STRING_EQUAL(tk_env_get(&env, "LANG"), "C.UTF-8");
	tk_env_free(&env);

	/* tk_env_put refuses an entry without a name */
	CU_ASSERT_EQUAL(tk_env_put(&env, "=x"), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_env_put(&env, "novalue"), TK_ERR_BAD_REQUEST);
	tk_env_free(&env);
}

static void
test_error_text(void)
{
	struct tk_buf b = TK_BUF_INIT;
	char big[10000];
	size_t i;

	CU_ASSERT_EQUAL(tk_engine_error_text(&b, "exit status 1",
	    "card declined\n\n", 15), TK_OK);
	CU_ASSERT_STRING_EQUAL(b.data, "exit status 1; stderr: card declined");

	CU_ASSERT_EQUAL(tk_engine_error_text(&b, "exit status 2", NULL, 0),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(b.data, "exit status 2");

	/* Only the tail of a long stderr is kept, and the whole is
	 * bounded. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	memcpy(big + sizeof(big) - 4, "END\n", 4);
	CU_ASSERT_EQUAL(tk_engine_error_text(&b, "exit status 1", big,
	    sizeof(big)), TK_OK);
	CU_ASSERT(b.len <= TK_ENGINE_ERROR_MAX);
	CU_ASSERT(b.len >= TK_ENGINE_STDERR_TAIL);
	CU_ASSERT_EQUAL(strcmp(b.data + b.len - 3, "END"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "stderr (last bytes): "));

	/* Bytes that are not UTF-8 and control characters become '?', so
	 * the database never refuses the text; UTF-8 stays. */
	{
		static const char raw[] =
		    "caf\xc3\xa9 \xff\xfe\x01\x1b[31mred\tok\xed\xa0\x80";

		CU_ASSERT_EQUAL(tk_engine_error_text(&b, "x", raw,
		    sizeof(raw) - 1), TK_OK);
	}
	CU_ASSERT_STRING_EQUAL(b.data,
	    "x; stderr: caf\xc3\xa9 ????[31mred\tok???");

	/* A tail that starts in the middle of a character */
	memset(big, 'a', sizeof(big));
	for (i = sizeof(big) - TK_ENGINE_STDERR_TAIL - 1; i < sizeof(big) - 1;
	    i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	CU_ASSERT_EQUAL(tk_engine_error_text(&b, "x", big, sizeof(big)),
	    TK_OK);
	CU_ASSERT_PTR_NULL(strchr(b.data, '?'));
	tk_buf_free(&b);
}

static void
test_failure_text(void)
{
	static char odd[] = "done \"ok\"\\\n\xc3\xa9";
	static char longer[] = "01234567890123456789012345678901234567890123"
	    "45678901234567890123tail";
	struct tk_exec_result r;
	char w[600];

	memset(&r, 0, sizeof(r));
	r.end = TK_EXEC_EXITED;
	r.status = 75;
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r, NULL,
	    "x.sh", 30, 1024), "exit status 75");
	r.status = 0;
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r,
	    "output is not a JSON object", "x.sh", 30, 1024),
	    "output is not a JSON object");
	/* A refused output shows how it began, escaped, cut with "...". */
	r.out = odd;
	r.out_len = strlen(r.out);
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r,
	    "output is not a JSON object", "x.sh", 30, 1024),
	    "output is not a JSON object; stdout began: "
	    "\"done \\\"ok\\\"\\\\\\x0a\\xc3\\xa9\"");
	r.out = longer;
	r.out_len = strlen(r.out);
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r,
	    "output is not valid JSON", "x.sh", 30, 1024),
	    "output is not valid JSON; stdout began: \"0123456789012345678901"
	    "234567890123456789012345678901234567890123\"...");
	r.out = NULL;
	r.out_len = 0;
	r.end = TK_EXEC_SIGNALED;
	r.status = SIGKILL;
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r, NULL,
	    "x.sh", 30, 1024), "killed by signal 9 (SIGKILL)");
	r.end = TK_EXEC_TIMEOUT;
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r, NULL,
	    "x.sh", 30, 1024), "timed out after 30 s (the handler and its "
	    "child processes were killed)");
	r.end = TK_EXEC_TOO_LARGE;
	r.out_overflow = 1;
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r, NULL,
	    "x.sh", 30, 1024), "stdout passed the limit of 1024 bytes "
	    "(worker.max_output_bytes); the handler was killed");
	r.end = TK_EXEC_NOT_STARTED;
	r.status = ENOENT;
	r.failed_op = "exec";
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r, NULL,
	    "bin/x.sh", 30, 1024),
	    "cannot run 'bin/x.sh': No such file or directory");
	r.failed_op = "chdir";
	CU_ASSERT_STRING_EQUAL(tk_engine_failure(w, sizeof(w), &r, NULL,
	    "bin/x.sh", 30, 1024),
	    "cannot run 'bin/x.sh': chdir failed: No such file or directory");
}

static void
test_uuid(void)
{
	static const unsigned char id[16] = {
		0x01, 0x90, 0xd5, 0xc8, 0xab, 0xcd, 0x7e, 0xf0,
		0x80, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xff
	};
	char s[37];

	tk_engine_uuid_str(id, s);
	CU_ASSERT_STRING_EQUAL(s, "0190d5c8-abcd-7ef0-8000-123456789aff");
}

/* The watchdog's side of a lease slot (engine.h). */
static void
test_lease_slot(void)
{
	struct tk_lease_slot l;
	int pgid, status;
	pid_t pid;

	atomic_init(&l.state, TK_LEASE_IDLE);
	atomic_init(&l.pgid, 0);
	atomic_init(&l.deadline, 0);
	atomic_init(&l.step, 0);
	/* idle: never fenced, holds nothing */
	CU_ASSERT_EQUAL(tk_lease_check(&l, 1000, &pgid), 0);
	CU_ASSERT_EQUAL(tk_lease_holds(&l, 0), 0);

	/* running, before the deadline: held, not fenced */
	atomic_store(&l.step, 42);
	atomic_store(&l.deadline, 5000);
	atomic_store(&l.state, TK_LEASE_RUN);
	CU_ASSERT_EQUAL(tk_lease_check(&l, 4999, &pgid), 0);
	CU_ASSERT_EQUAL(tk_lease_holds(&l, 42), 1);
	CU_ASSERT_EQUAL(tk_lease_holds(&l, 43), 0);

	/* past it: the handler's group is killed, the slot fenced */
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		(void)setpgid(0, 0);
		for (;;)
			pause();
	}
	(void)setpgid(pid, pid);
	atomic_store(&l.pgid, (int)pid);
	CU_ASSERT_EQUAL(tk_lease_check(&l, 5000, &pgid), 1);
	CU_ASSERT_EQUAL(pgid, (int)pid);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CU_ASSERT_EQUAL(atomic_load(&l.state), TK_LEASE_FENCED);
	CU_ASSERT_EQUAL(tk_lease_holds(&l, 42), 0);
	/* fenced once */
	CU_ASSERT_EQUAL(tk_lease_check(&l, 9000, &pgid), 0);

	/* recording: fenced at its own deadline, nothing to kill */
	atomic_store(&l.pgid, 0);
	atomic_store(&l.state, TK_LEASE_RECORD);
	atomic_store(&l.deadline, 7000);
	CU_ASSERT_EQUAL(tk_lease_holds(&l, 42), 1);
	CU_ASSERT_EQUAL(tk_lease_check(&l, 7000, &pgid), 1);
	CU_ASSERT_EQUAL(pgid, 0);

	tk_lease_clear(&l);
	CU_ASSERT_EQUAL(atomic_load(&l.state), TK_LEASE_IDLE);
	CU_ASSERT_EQUAL(atomic_load(&l.step), 0);
}

/* A ready step the claim may run, of an open task. */
static void
runnable(struct tk_step_ready *s, struct tk_step_task *t)
{
	memset(s, 0, sizeof(*s));
	memset(t, 0, sizeof(*t));
	s->well_formed = 1;
	s->status = TK_ST_PENDING;
	s->retryable = 1;
	s->retry_limit = 2;
	t->status = TK_ST_IN_PROGRESS;
	t->names_ok = 1;
}

static void
test_claim_stale(void)
{
	struct tk_step_ready s;
	struct tk_step_task t;
	static const int closed[] = { TK_ST_COMPLETE, TK_ST_CANCELLED,
	    TK_ST_RESOLVED_MANUALLY, -1 };
	size_t i;

	runnable(&s, &t);
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 0);
	t.status = TK_ST_PENDING;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 0);
	t.status = TK_ST_ERROR;   /* an error task still runs its retries */
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 0);
	/* a closed or missing task runs nothing */
	for (i = 0; i < sizeof(closed) / sizeof(closed[0]); i++) {
		runnable(&s, &t);
		t.status = closed[i];
		CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 1);
	}
	runnable(&s, &t);
	s.unmet_parents = 1;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 1);
	runnable(&s, &t);
	t.names_ok = 0;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 1);
	/* only pending and error steps wait to run */
	runnable(&s, &t);
	s.status = TK_ST_IN_PROGRESS;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 1);
	s.status = TK_ST_COMPLETE;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 1);
	s.status = -1;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 1);
	/* a failed step runs while attempts are left (1 + retry_limit) */
	runnable(&s, &t);
	s.status = TK_ST_ERROR;
	s.attempts = 2;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 0);
	s.attempts = 3;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 1);
	s.retryable = 0;
	s.attempts = 1;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 1);
	/* a pending step runs whatever its attempts (an operator's retry) */
	s.status = TK_ST_PENDING;
	s.attempts = 9;
	CU_ASSERT_EQUAL(tk_engine_claim_stale(&s, &t), 0);
}

static void
test_run_as(void)
{
	struct tk_run_as as;

	memset(&as, 0, sizeof(as));
	CU_ASSERT_EQUAL(tk_worker_run_as(NULL, &as), TK_OK);
	CU_ASSERT_EQUAL(as.drop, 0);
	tk_run_as_free(&as);
	if (geteuid() != 0) {
		/* worker.user applies only to a worker running as root */
		CU_ASSERT_EQUAL(tk_worker_run_as("tasker-no-such-user", &as),
		    TK_OK);
		CU_ASSERT_EQUAL(as.drop, 0);
		tk_run_as_free(&as);
		return;
	}
	CU_ASSERT_EQUAL(tk_worker_run_as("tasker-no-such-user", &as),
	    TK_ERR_CONFIG);
	tk_run_as_free(&as);
	CU_ASSERT_EQUAL(tk_worker_run_as("root", &as), TK_OK);
	CU_ASSERT_EQUAL(as.drop, 1);
	CU_ASSERT_EQUAL(as.uid, 0);
	CU_ASSERT(as.ngroups >= 1);
	CU_ASSERT_PTR_NOT_NULL(as.home);
	tk_run_as_free(&as);
}

TK_SUITE(engine,
    { "the handler's stdin document", test_input_document },
    { "the handler's environment", test_environment },
    { "error text: tail, bound, clean UTF-8", test_error_text },
    { "failure descriptions", test_failure_text },
    { "task id text", test_uuid },
    { "lease slot: fenced at the deadline, group killed", test_lease_slot },
    { "claim: which ready marks are wrong", test_claim_stale },
    { "worker.user: who handlers run as", test_run_as });
