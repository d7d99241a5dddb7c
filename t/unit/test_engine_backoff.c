/*
 * test_engine_backoff.c - the retry delay schedule: doubling, cap,
 * jitter range, and the delay a handler asks for.
 */
#include <json-c/json.h>

#include "testlib.h"
#include "tasker/backoff.h"

static void
test_schedule_doubles(void)
{
	/* rnd 0: no jitter taken off: 1, 2, 4, 8, 16, 32 s. */
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(1, 1, 300, 0.0), 1000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(2, 1, 300, 0.0), 2000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(3, 1, 300, 0.0), 4000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(4, 1, 300, 0.0), 8000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(5, 1, 300, 0.0), 16000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(6, 1, 300, 0.0), 32000);
	/* attempt 0 is taken as the first */
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(0, 1, 300, 0.0), 1000);
	/* another base */
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(1, 5, 300, 0.0), 5000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(3, 5, 300, 0.0), 20000);
}

static void
test_schedule_cap(void)
{
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(9, 1, 300, 0.0), 256000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(10, 1, 300, 0.0), 300000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(1000, 1, 300, 0.0), 300000);
	/* huge attempt numbers never overflow into a short delay */
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(4000000000u, 3600, 86400, 0.0),
	    86400000ULL);
	/* a cap below the base is the base */
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(3, 10, 5, 0.0), 10000);
	/* jitter never goes above the cap */
	CU_ASSERT(tk_backoff_delay_ms(20, 1, 300, 0.999) <= 300000);
}

static void
test_jitter_range(void)
{
	unsigned long long d, lo = ~0ULL, hi = 0;
	int i;

	/* [3/4 d, d] */
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(3, 1, 300, 0.5), 3500);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(3, 1, 300, 0.9999999), 3001);
	/* out-of-range rnd is no jitter, not garbage */
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(3, 1, 300, -1.0), 4000);
	CU_ASSERT_EQUAL(tk_backoff_delay_ms(3, 1, 300, 7.0), 4000);
	for (i = 0; i < 2000; i++) {
		double r = tk_backoff_random();

		CU_ASSERT(r >= 0.0 && r < 1.0);
		d = tk_backoff_delay_ms(4, 1, 300, r);
		CU_ASSERT(d >= 6000 && d <= 8000);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
	}
	/* the jitter really spreads retries */
	CU_ASSERT(hi - lo > 1000);
}

static void
test_requested_delay(void)
{
	json_object *o;
	unsigned s = 99;

	o = json_tokener_parse("{\"retry_after_seconds\": 7, \"x\": 1}");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 1);
	CU_ASSERT_EQUAL(s, 7);
	json_object_put(o);
	o = json_tokener_parse("{\"retry_after_seconds\": 0}");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 1);
	CU_ASSERT_EQUAL(s, 0);
	json_object_put(o);
	o = json_tokener_parse("{\"retry_after_seconds\": 86400}");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 1);
	CU_ASSERT_EQUAL(s, 86400);
	json_object_put(o);

	s = 99;
	o = json_tokener_parse("{\"retry_after_seconds\": 86401}");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 0);
	json_object_put(o);
	o = json_tokener_parse("{\"retry_after_seconds\": -1}");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 0);
	json_object_put(o);
	o = json_tokener_parse("{\"retry_after_seconds\": \"5\"}");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 0);
	json_object_put(o);
	o = json_tokener_parse("{\"retry_after_seconds\": 2.5}");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 0);
	json_object_put(o);
	o = json_tokener_parse(
	    "{\"retry_after_seconds\": 99999999999999999999}");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 0);
	json_object_put(o);
	o = json_tokener_parse("[{\"retry_after_seconds\": 5}]");
	CU_ASSERT_EQUAL(tk_backoff_requested(o, &s), 0);
	json_object_put(o);
	CU_ASSERT_EQUAL(tk_backoff_requested(NULL, &s), 0);
	CU_ASSERT_EQUAL(s, 99);
}

TK_SUITE(engine_backoff,
    { "doubling from the base", test_schedule_doubles },
    { "cap", test_schedule_cap },
    { "jitter stays in [3/4 d, d]", test_jitter_range },
    { "delay requested by the handler", test_requested_delay });
