/*
 * test_flow_util.c - a concurrency key's JSON path (valid paths, values
 * found and not) and the rate limit's GCRA decision (no window of the
 * period ever holds more than the limit).
 */
#include <string.h>

#include <json-c/json.h>

#include "tasker/flow.h"
#include "testlib.h"

static void
test_path_valid(void)
{
	CU_ASSERT(tk_json_path_valid("$.customer_id"));
	CU_ASSERT(tk_json_path_valid("$.order.region-2"));
	CU_ASSERT(!tk_json_path_valid(NULL));
	CU_ASSERT(!tk_json_path_valid(""));
	CU_ASSERT(!tk_json_path_valid("$"));
	CU_ASSERT(!tk_json_path_valid("$."));
	CU_ASSERT(!tk_json_path_valid("$.a."));
	CU_ASSERT(!tk_json_path_valid("$..a"));
	CU_ASSERT(!tk_json_path_valid("customer_id"));
	CU_ASSERT(!tk_json_path_valid("$customer"));
	CU_ASSERT(!tk_json_path_valid("$.a[0]"));
	CU_ASSERT(!tk_json_path_valid("$.a b"));
	CU_ASSERT(!tk_json_path_valid("$.*"));
}

static void
test_path_long(void)
{
	char p[300];

	memset(p, 'a', sizeof(p));
	p[0] = '$';
	p[1] = '.';
	p[2 + 64] = '\0';
	CU_ASSERT(tk_json_path_valid(p));
	p[2 + 64] = 'a';
	p[2 + 65] = '\0';
	CU_ASSERT(!tk_json_path_valid(p));
}

/* The value of path in the JSON text ctx, or "(none)". */
static const char *
get(const char *ctx, const char *path)
{
	static char out[64];
	json_object *o = json_tokener_parse(ctx);
	int found;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	found = tk_json_path_get(o, path, out, sizeof(out));
	json_object_put(o);
	return found ? out : "(none)";
}

static void
test_path_get(void)
{
	CU_ASSERT_STRING_EQUAL(get("{\"c\":\"acme\"}", "$.c"), "acme");
	CU_ASSERT_STRING_EQUAL(get("{\"c\":42}", "$.c"), "42");
	CU_ASSERT_STRING_EQUAL(get("{\"c\":-7}", "$.c"), "-7");
	CU_ASSERT_STRING_EQUAL(get("{\"a\":{\"b\":\"x\"}}", "$.a.b"), "x");
	CU_ASSERT_STRING_EQUAL(get("{\"c\":\"\"}", "$.c"), "");
	CU_ASSERT_STRING_EQUAL(get("{}", "$.c"), "(none)");
	CU_ASSERT_STRING_EQUAL(get("{\"c\":null}", "$.c"), "(none)");
	CU_ASSERT_STRING_EQUAL(get("{\"c\":true}", "$.c"), "(none)");
	CU_ASSERT_STRING_EQUAL(get("{\"c\":1.5}", "$.c"), "(none)");
	CU_ASSERT_STRING_EQUAL(get("{\"c\":[1]}", "$.c"), "(none)");
	CU_ASSERT_STRING_EQUAL(get("{\"c\":{}}", "$.c"), "(none)");
	CU_ASSERT_STRING_EQUAL(get("{\"a\":\"s\"}", "$.a.b"), "(none)");
	CU_ASSERT_STRING_EQUAL(get("[1]", "$.a"), "(none)");
	/* Too long for the caller's buffer: no key rather than a cut one. */
	CU_ASSERT_STRING_EQUAL(get("{\"c\":\"0123456789012345678901234567"
	    "890123456789012345678901234567890123456789\"}", "$.c"),
	    "(none)");
}

static void
test_gcra(void)
{
	long long tat = 0;

	/* 5 per second: one start every 200 ms, smooth (no burst). */
	CU_ASSERT_EQUAL(tk_gcra(1000000, &tat, 200000), 0);
	CU_ASSERT_EQUAL(tat, 1200000);
	CU_ASSERT_EQUAL(tk_gcra(1000001, &tat, 200000), 199999);
	CU_ASSERT_EQUAL(tat, 1200000);
	CU_ASSERT_EQUAL(tk_gcra(1200000, &tat, 200000), 0);
	CU_ASSERT_EQUAL(tat, 1400000);
	/* Idle a long while: no credit saved up for a burst. */
	CU_ASSERT_EQUAL(tk_gcra(9000000, &tat, 200000), 0);
	CU_ASSERT_EQUAL(tat, 9200000);
	CU_ASSERT(tk_gcra(9000001, &tat, 200000) > 0);
}

/* Starts taken as soon as allowed from a busy clock: no window of the
 * period ever holds more than the limit. */
static void
test_gcra_windows(void)
{
	long long now = 123, tat = 0, starts[64], wait;
	size_t n = 0, i, j, in;

	while (n < 64) {
		wait = tk_gcra(now, &tat, 333334);	/* 1 s / 3, rounded up */
		if (wait == 0)
			starts[n++] = now;
		now += wait > 0 ? wait : 7919;
	}
	for (i = 0; i < n; i++) {
		for (in = 0, j = i; j < n && starts[j] < starts[i] + 1000000;
		    j++)
			in++;
		CU_ASSERT(in <= 3);
	}
}

TK_SUITE(flow_util, { "path_valid", test_path_valid },
    { "path_long", test_path_long }, { "path_get", test_path_get },
    { "gcra", test_gcra }, { "gcra_windows", test_gcra_windows });
