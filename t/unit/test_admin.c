/*
 * test_admin.c - the pure parts of `tasker-admin tasks` and `health`:
 * how tasks list's arguments become the API's query string
 * (src/admin/tasks.c) and which problems make the service unhealthy
 * (src/ops/health.c, shared with GET /health/status).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "tasker/admin.h"
#include "tasker/buf.h"
#include "tasker/health.h"

#define S(s) ((char[]){ s })

/* tk_admin_tasks_query of argv, stderr silenced: its exit status, the
 * query string in out. */
static int
query(int argc, char **argv, char *out, size_t n)
{
	struct tk_buf b;
	int rc, saved, null;

	tk_buf_init(&b);
	tk_buf_puts(&b, "");
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO);
	rc = tk_admin_tasks_query(argc, argv, &b);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
	snprintf(out, n, "%s", tk_buf_str(&b));
	tk_buf_free(&b);
	return rc;
}

static void
test_tasks_query(void)
{
	char *a[] = { S("status=error,pending"), S("--namespace"), S("it ns"),
	    S("--per-page=5"), S("created_by=a&b=c") };
	char *b[] = { S("--status") };
	char *c[] = { S("status") };
	char *d[] = { S("=x") };
	char *e[] = { S("--tags"), S("a,\xc3\xa9") };
	char out[256];

	CU_ASSERT_EQUAL(query(5, a, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "status=error%2Cpending&namespace=it%20ns"
	    "&per_page=5&created_by=a%26b%3Dc");
	CU_ASSERT_EQUAL(query(1, b, out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(query(1, c, out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(query(1, d, out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(query(2, e, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "tags=a%2C%C3%A9");
	CU_ASSERT_EQUAL(query(0, a, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void
test_health_problems(void)
{
	struct tk_health h;
	const char *why[TK_HEALTH_MAX_PROBLEMS];

	memset(&h, 0, sizeof(h));
	CU_ASSERT_EQUAL(tk_health_problems(&h, why), 1);
	CU_ASSERT_STRING_EQUAL(why[0], "database unreachable");
	h.reachable = 1;
	CU_ASSERT_EQUAL(tk_health_problems(&h, why), 2);
	CU_ASSERT_STRING_EQUAL(why[0], "schema is not current");
	CU_ASSERT_STRING_EQUAL(why[1], "no live worker");
	h.current = 1;
	h.c.workers_live = 1;
	CU_ASSERT_EQUAL(tk_health_problems(&h, why), 0);
	h.c.workers_live = 0;
	CU_ASSERT_EQUAL(tk_health_problems(&h, why), 1);
	CU_ASSERT_STRING_EQUAL(why[0], "no live worker");
}

TK_SUITE(admin,
    { "tasks list: arguments become the API's query string",
      test_tasks_query },
    { "health: the problems that make it unhealthy", test_health_problems });
