/*
 * test_metrics.c - the shared request counters of tasker-fcgi: one segment
 * seen by every process (forked children add, the parent reads the sum),
 * kept across reopening, private when the file cannot be had, and
 * rendered in the Prometheus text format.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "tasker/metrics.h"

static tk_err
noop(struct tk_request *req, struct tk_response *res)
{
	(void)req;
	(void)res;
	return TK_OK;
}

static const struct tk_route routes[] = {
	{ "GET", "/a", NULL, 0, noop, "a.index" },
	{ "POST", "/a", NULL, 0, noop, "a.create" },
	{ "GET", "/b/{id}", NULL, 0, noop, "b.show" },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* A fresh folder for one test; removed with rmdir_all(). */
static char *
tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/tk-metrics.XXXXXX");
	return mkdtemp(dir);
}

static void
rmdir_all(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static char *
render(const struct tk_metrics *m)
{
	struct tk_buf b = TK_BUF_INIT;

	CU_ASSERT_EQUAL(tk_metrics_render_requests(m, &b), TK_OK);
	CU_ASSERT_EQUAL(tk_metrics_render_steps(m, &b), TK_OK);
	return tk_buf_detach(&b);
}

static void
test_shared_across_processes(void)
{
	struct tk_metrics *m = NULL;
	char *dir = tmpdir();
	pid_t pid[4];
	int i, j, st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m), TK_OK);
	CU_ASSERT_TRUE(tk_metrics_shared(m));
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_metrics_path(m), "/tasker-fcgi-"));
	/* Four processes, as spawn-fcgi -F 4 makes, each opening the
	   segment itself after the fork and counting 2500 requests. */
	for (i = 0; i < 4; i++) {
		if ((pid[i] = fork()) == 0) {
			struct tk_metrics *c = NULL;

			if (tk_metrics_open(dir, routes, NROUTES, &c) != TK_OK)
				_exit(1);
			for (j = 0; j < 2500; j++)
				tk_metrics_observe(c, 2, 200, (uint64_t)j);
			tk_metrics_observe(c, 0, 404, 100);
			tk_metrics_close(c);
			_exit(0);
		}
		CU_ASSERT_TRUE(pid[i] > 0);
	}
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(waitpid(pid[i], &st, 0), pid[i]);
		CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CU_ASSERT_EQUAL(tk_metrics_count(m, 2, 200), 10000);
	CU_ASSERT_EQUAL(tk_metrics_count(m, 0, 404), 4);
	CU_ASSERT_EQUAL(tk_metrics_count(m, 1, 200), 0);
	tk_metrics_close(m);
	rmdir_all(dir);
}

static void
test_survives_reopen(void)
{
	struct tk_metrics *m = NULL, *m2 = NULL;
	char *dir = tmpdir();

	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m), TK_OK);
	tk_metrics_observe(m, 1, 201, 1500);
	tk_metrics_close(m);
	/* A restarted process finds the counts where they were. */
	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m), TK_OK);
	CU_ASSERT_EQUAL(tk_metrics_count(m, 1, 201), 1);
	/* Another route table is another layout: its own, zeroed file. */
	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES - 1, &m2),
	    TK_OK);
	CU_ASSERT_STRING_NOT_EQUAL(tk_metrics_path(m), tk_metrics_path(m2));
	CU_ASSERT_EQUAL(tk_metrics_count(m2, 1, 201), 0);
	tk_metrics_close(m2);
	tk_metrics_close(m);
	rmdir_all(dir);
}

static void
test_corrupt_header_resets(void)
{
	struct tk_metrics *m = NULL;
	char *dir = tmpdir(), path[512];
	int fd;

	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m), TK_OK);
	tk_metrics_observe(m, 0, 200, 1);
	snprintf(path, sizeof(path), "%s", tk_metrics_path(m));
	tk_metrics_close(m);
	fd = open(path, O_WRONLY);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, "garbage!", 8, 0), 8);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m), TK_OK);
	CU_ASSERT_TRUE(tk_metrics_shared(m));
	CU_ASSERT_EQUAL(tk_metrics_count(m, 0, 200), 0);
	tk_metrics_observe(m, 0, 200, 1);
	CU_ASSERT_EQUAL(tk_metrics_count(m, 0, 200), 1);
	tk_metrics_close(m);
	/* A file shorter than the layout (truncated) is grown and reset. */
	CU_ASSERT_EQUAL(truncate(path, 16), 0);
	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m), TK_OK);
	CU_ASSERT_EQUAL(tk_metrics_count(m, 0, 200), 0);
	tk_metrics_close(m);
	rmdir_all(dir);
}

static void
test_private_fallback(void)
{
	struct tk_metrics *m = NULL;
	char *text;

	/* A folder nobody can create files in. */
	CU_ASSERT_EQUAL_FATAL(tk_metrics_open("/proc/self/nonexistent/x",
	    routes, NROUTES, &m), TK_OK);
	CU_ASSERT_FALSE(tk_metrics_shared(m));
	CU_ASSERT_PTR_NULL(tk_metrics_path(m));
	tk_metrics_observe(m, 0, 200, 10);
	CU_ASSERT_EQUAL(tk_metrics_count(m, 0, 200), 1);
	text = render(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\ntasker_metrics_shared 0\n"));
	free(text);
	tk_metrics_close(m);
	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(NULL, routes, NROUTES, &m), TK_OK);
	CU_ASSERT_FALSE(tk_metrics_shared(m));
	tk_metrics_close(m);
	tk_metrics_observe(NULL, 0, 200, 1);   /* metrics off: no crash */
}

static void
test_render_requests(void)
{
	struct tk_metrics *m = NULL;
	char *dir = tmpdir(), *t;

	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m), TK_OK);
	tk_metrics_observe(m, 0, 200, 400);       /* <= 0.0005 s */
	tk_metrics_observe(m, 0, 200, 2000);      /* <= 0.0025 s */
	tk_metrics_observe(m, 0, 200, 20000000);  /* > 10 s: +Inf only */
	tk_metrics_observe(m, 99, 404, 100);      /* no route */
	tk_metrics_observe(m, 2, 299, 100);       /* no slot: its class */
	tk_metrics_observe(m, 2, 42, 100);        /* nonsense status */
	t = render(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "# TYPE tasker_http_requests_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "\ntasker_http_requests_total{route=\"a.index\",status=\"200\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "\ntasker_http_requests_total{route=\"none\",status=\"404\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "\ntasker_http_requests_total{route=\"b.show\",status=\"2xx\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "\ntasker_http_requests_total{route=\"b.show\",status=\"other\"} 1\n"));
	/* Unseen pairs are not written. */
	CU_ASSERT_PTR_NULL(strstr(t, "route=\"a.create\""));
	/* Buckets are cumulative; _count equals +Inf. */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tasker_http_request_duration_seconds_"
	    "bucket{route=\"a.index\",status=\"200\",le=\"0.0005\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tasker_http_request_duration_seconds_"
	    "bucket{route=\"a.index\",status=\"200\",le=\"0.001\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tasker_http_request_duration_seconds_"
	    "bucket{route=\"a.index\",status=\"200\",le=\"0.0025\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tasker_http_request_duration_seconds_"
	    "bucket{route=\"a.index\",status=\"200\",le=\"10\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tasker_http_request_duration_seconds_"
	    "bucket{route=\"a.index\",status=\"200\",le=\"+Inf\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tasker_http_request_duration_seconds_"
	    "sum{route=\"a.index\",status=\"200\"} 20.002400\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tasker_http_request_duration_seconds_"
	    "count{route=\"a.index\",status=\"200\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_metrics_shared 1\n"));
	CU_ASSERT_EQUAL(t[strlen(t) - 1], '\n');
	free(t);
	tk_metrics_close(m);
	rmdir_all(dir);
}

static void
test_steps(void)
{
	struct tk_metrics *m = NULL, *m2 = NULL;
	char *dir = tmpdir(), *t, ns[32];
	int i;

	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m), TK_OK);
	CU_ASSERT_EQUAL_FATAL(tk_metrics_open(dir, routes, NROUTES, &m2), TK_OK);
	/* One accumulator at a time, across processes (and handles). */
	CU_ASSERT_TRUE_FATAL(tk_metrics_steps_lock(m));
	CU_ASSERT_FALSE(tk_metrics_steps_lock(m2));
	CU_ASSERT_EQUAL(tk_metrics_steps_watermark(m), 0);
	tk_metrics_steps_add(m, "payments", "process_payment", TK_STEP_ATTEMPT, -1);
	tk_metrics_steps_add(m, "payments", "process_payment", TK_STEP_ATTEMPT, -1);
	tk_metrics_steps_add(m, "payments", "process_payment", TK_STEP_FAILURE, -1);
	tk_metrics_steps_add(m, "payments", "process_payment", TK_STEP_FINISH,
	    300000);
	tk_metrics_steps_add(m, "payments", "process_payment", TK_STEP_FINISH,
	    -5);   /* unknown duration: not observed */
	tk_metrics_steps_add(m, "a\"b", "x\\y\nz", TK_STEP_ATTEMPT, -1);
	tk_metrics_steps_set_watermark(m, 42);
	tk_metrics_steps_unlock(m);
	CU_ASSERT_TRUE(tk_metrics_steps_lock(m2));
	CU_ASSERT_EQUAL(tk_metrics_steps_watermark(m2), 42);
	tk_metrics_steps_unlock(m2);
	t = render(m2);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_step_attempts_total{namespace="
	    "\"payments\",handler=\"process_payment\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_step_failures_total{namespace="
	    "\"payments\",handler=\"process_payment\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_step_duration_seconds_bucket{"
	    "namespace=\"payments\",handler=\"process_payment\",le=\"0.25\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_step_duration_seconds_bucket{"
	    "namespace=\"payments\",handler=\"process_payment\",le=\"0.5\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_step_duration_seconds_count{"
	    "namespace=\"payments\",handler=\"process_payment\"} 1\n"));
	/* Label values are escaped. */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "{namespace=\"a\\\"b\","
	    "handler=\"x\\\\y\\nz\"} 1\n"));
	free(t);
	/* Past TK_METRICS_MAX_HANDLERS handlers, the rest share "_other". */
	CU_ASSERT_TRUE_FATAL(tk_metrics_steps_lock(m));
	for (i = 0; i < TK_METRICS_MAX_HANDLERS + 10; i++) {
		snprintf(ns, sizeof(ns), "ns%d", i);
		tk_metrics_steps_add(m, ns, "h", TK_STEP_ATTEMPT, -1);
	}
	tk_metrics_steps_unlock(m);
	t = render(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_step_attempts_total{namespace="
	    "\"_other\",handler=\"_other\"} 12\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "namespace=\"ns253\""));
	CU_ASSERT_PTR_NULL(strstr(t, "namespace=\"ns254\""));
	free(t);
	tk_metrics_close(m2);
	tk_metrics_close(m);
	rmdir_all(dir);
}

static void
test_label_escape(void)
{
	struct tk_buf b = TK_BUF_INIT;

	CU_ASSERT_EQUAL(tk_prom_label_value(&b, "plain"), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&b), "plain");
	tk_buf_reset(&b);
	tk_prom_label_value(&b, "q\"b\\n\n");
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&b), "q\\\"b\\\\n\\n");
	tk_buf_reset(&b);
	tk_prom_header(&b, "x_total", "counter", "Some help.");
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&b),
	    "# HELP x_total Some help.\n# TYPE x_total counter\n");
	tk_buf_free(&b);
}

TK_SUITE(metrics,
    { "summed over processes", test_shared_across_processes },
    { "kept across reopen, per layout", test_survives_reopen },
    { "a corrupt segment is reset", test_corrupt_header_resets },
    { "private fallback", test_private_fallback },
    { "request metrics text", test_render_requests },
    { "step outcomes by handler", test_steps },
    { "label escaping", test_label_escape });
