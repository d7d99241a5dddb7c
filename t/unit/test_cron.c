/*
 * test_cron.c - cron expressions and fire times against known answers
 * (checked with Python's zoneinfo), daylight-saving transitions included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/cron.h"
#include "testlib.h"

/* "2024-03-10T07:00:00Z" into seconds. */
static time_t
iso(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	CU_ASSERT_PTR_NOT_NULL_FATAL(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
	return timegm(&tm);
}

/* The fire time after `after`, as ISO text (static), or "none". */
static const char *
next(const char *expr, const char *tz, const char *after)
{
	static char out[32];
	struct tk_cron c;
	struct tm tm;
	time_t t;

	CU_ASSERT_EQUAL_FATAL(tk_cron_parse(expr, &c, NULL, 0), TK_OK);
	if (tk_cron_next(&c, tz, iso(after), &t) != TK_OK)
		return "none";
	gmtime_r(&t, &tm);
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

static void
test_basic(void)
{
	CU_ASSERT_STRING_EQUAL(next("*/15 * * * *", "UTC",
	    "2024-01-01T00:07:00Z"), "2024-01-01T00:15:00Z");
	/* Strictly after. */
	CU_ASSERT_STRING_EQUAL(next("0 0 * * *", "UTC",
	    "2024-01-01T00:00:00Z"), "2024-01-02T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("10-30/10 * * * *", "UTC",
	    "2024-01-01T00:30:00Z"), "2024-01-01T01:10:00Z");
	CU_ASSERT_STRING_EQUAL(next("0 12 * jan-mar mon-fri", "UTC",
	    "2024-03-29T12:00:00Z"), "2025-01-01T12:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("0 0 1 JAN *", "UTC",
	    "2024-06-01T00:00:00Z"), "2025-01-01T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("@hourly", "UTC",
	    "2024-01-01T00:59:59Z"), "2024-01-01T01:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("5/20 * * * *", "UTC",
	    "2024-01-01T00:26:00Z"), "2024-01-01T00:45:00Z");
	/* 7 is Sunday too; 2024-01-07 was one. */
	CU_ASSERT_STRING_EQUAL(next("0 0 * * 7", "UTC",
	    "2024-01-01T00:00:00Z"), "2024-01-07T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("0 0 29 2 *", "UTC",
	    "2024-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("0 0 30 2 *", "UTC",
	    "2024-03-01T00:00:00Z"), "none");
}

/* Vixie: both restricted is OR; a field starting with '*' makes AND. */
static void
test_dom_dow(void)
{
	/* 2024-01-08 is a Monday, before the 15th. */
	CU_ASSERT_STRING_EQUAL(next("0 0 15 * mon", "UTC",
	    "2024-01-01T00:00:00Z"), "2024-01-08T00:00:00Z");
	/* Odd days that are Mondays: the 1st is past, the 15th. */
	CU_ASSERT_STRING_EQUAL(next("0 0 */2 * mon", "UTC",
	    "2024-01-01T00:00:00Z"), "2024-01-15T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("0 0 13 * *", "UTC",
	    "2024-09-01T00:00:00Z"), "2024-09-13T00:00:00Z");
}

/* A skipped wall time fires once at the end of the gap. */
static void
test_dst_gap(void)
{
	CU_ASSERT_STRING_EQUAL(next("30 2 * * *", "America/New_York",
	    "2024-03-09T12:00:00Z"), "2024-03-10T07:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("30 2 * * *", "America/New_York",
	    "2024-03-10T07:00:00Z"), "2024-03-11T06:30:00Z");
	CU_ASSERT_STRING_EQUAL(next("30 2 * * *", "Europe/Berlin",
	    "2024-03-30T12:00:00Z"), "2024-03-31T01:00:00Z");
	/* Lord Howe moves 30 minutes: 02:00 to 02:30. */
	CU_ASSERT_STRING_EQUAL(next("15 2 * * *", "Australia/Lord_Howe",
	    "2024-10-05T12:00:00Z"), "2024-10-05T15:30:00Z");
	/* 02:00, 02:15 and 02:30 are one instant: it fires once. */
	CU_ASSERT_STRING_EQUAL(next("*/15 * * * *", "Australia/Lord_Howe",
	    "2024-10-05T15:30:00Z"), "2024-10-05T15:45:00Z");
}

/* A repeated wall time fires once, at its first occurrence. */
static void
test_dst_repeat(void)
{
	CU_ASSERT_STRING_EQUAL(next("30 1 * * *", "America/New_York",
	    "2024-11-03T04:00:00Z"), "2024-11-03T05:30:00Z");
	CU_ASSERT_STRING_EQUAL(next("30 1 * * *", "America/New_York",
	    "2024-11-03T05:30:00Z"), "2024-11-04T06:30:00Z");
	/* Hourly: 01:00 EST repeats 01:00 EDT, so 02:00 EST is next. */
	CU_ASSERT_STRING_EQUAL(next("0 * * * *", "America/New_York",
	    "2024-11-03T05:00:00Z"), "2024-11-03T07:00:00Z");
	CU_ASSERT_STRING_EQUAL(next("30 2 * * *", "Europe/Berlin",
	    "2024-10-26T12:00:00Z"), "2024-10-27T00:30:00Z");
	CU_ASSERT_STRING_EQUAL(next("45 1 * * *", "Australia/Lord_Howe",
	    "2024-04-06T12:00:00Z"), "2024-04-06T14:45:00Z");
	CU_ASSERT_STRING_EQUAL(next("45 1 * * *", "Australia/Lord_Howe",
	    "2024-04-06T14:45:00Z"), "2024-04-07T15:15:00Z");
}

static void
test_bad(void)
{
	static const char *const bad[] = { "", "* * * *", "* * * * * *",
	    "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
	    "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *",
	    "1,,2 * * * *", ",1 * * * *", "@reboot", "1- * * * *",
	    "*/100 * * * *", "* * * january *", "0001 * * * *", NULL };
	struct tk_cron c;
	char why[128];
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		CU_ASSERT_EQUAL(tk_cron_parse(bad[i], &c, why, sizeof(why)),
		    TK_ERR_BAD_REQUEST);
		CU_ASSERT_NOT_EQUAL(why[0], '\0');
	}
}

static void
test_tz(void)
{
	struct tk_cron c;
	time_t t;

	CU_ASSERT_TRUE(tk_tz_valid("UTC"));
	CU_ASSERT_TRUE(tk_tz_valid("Europe/Berlin"));
	CU_ASSERT_TRUE(tk_tz_valid("America/New_York"));
	CU_ASSERT_FALSE(tk_tz_valid(""));
	CU_ASSERT_FALSE(tk_tz_valid("Nowhere/City"));
	CU_ASSERT_FALSE(tk_tz_valid("../../etc/passwd"));
	CU_ASSERT_FALSE(tk_tz_valid("/etc/localtime"));
	CU_ASSERT_FALSE(tk_tz_valid("Europe"));   /* a folder */
	CU_ASSERT_FALSE(tk_tz_valid("Europe/Berlin "));
	CU_ASSERT_EQUAL_FATAL(tk_cron_parse("* * * * *", &c, NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(tk_cron_next(&c, "Nowhere/City", 0, &t),
	    TK_ERR_CONFIG);
	/* The caller's TZ is left as it was. */
	setenv("TZ", "UTC", 1);
	CU_ASSERT_EQUAL(tk_cron_next(&c, "Asia/Tokyo", 0, &t), TK_OK);
	CU_ASSERT_STRING_EQUAL(getenv("TZ"), "UTC");
	unsetenv("TZ");
}

/* The latest ticks of a stretch, oldest first; a long one is cheap. */
static void
test_ticks(void)
{
	struct tk_cron c;
	time_t t[100];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(tk_cron_parse("*/10 * * * *", &c, NULL, 0),
	    TK_OK);
	CU_ASSERT_EQUAL(tk_cron_ticks(&c, "UTC", iso("2024-01-01T00:00:00Z"),
	    iso("2024-01-01T01:00:00Z"), t, 3, &n), TK_OK);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(t[0], iso("2024-01-01T00:40:00Z"));
	CU_ASSERT_EQUAL(t[2], iso("2024-01-01T01:00:00Z"));
	CU_ASSERT_EQUAL(tk_cron_ticks(&c, "UTC", iso("2024-01-01T00:00:00Z"),
	    iso("2024-01-01T01:00:00Z"), t, 100, &n), TK_OK);
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_EQUAL(t[0], iso("2024-01-01T00:10:00Z"));
	CU_ASSERT_EQUAL(tk_cron_ticks(&c, "UTC", iso("2024-01-01T00:00:00Z"),
	    iso("2024-01-01T00:09:59Z"), t, 100, &n), TK_OK);
	CU_ASSERT_EQUAL(n, 0);
	/* Four years of minutes: only the last two are looked for. */
	CU_ASSERT_EQUAL_FATAL(tk_cron_parse("* * * * *", &c, NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(tk_cron_ticks(&c, "Europe/Berlin",
	    iso("2020-01-01T00:00:00Z"), iso("2024-01-01T00:00:30Z"), t, 2,
	    &n), TK_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(t[0], iso("2023-12-31T23:59:00Z"));
	CU_ASSERT_EQUAL(t[1], iso("2024-01-01T00:00:00Z"));
	/* A yearly one over a long gap finds its ticks further back. */
	CU_ASSERT_EQUAL_FATAL(tk_cron_parse("@yearly", &c, NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(tk_cron_ticks(&c, "UTC", iso("2020-06-01T00:00:00Z"),
	    iso("2024-06-01T00:00:00Z"), t, 2, &n), TK_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(t[0], iso("2023-01-01T00:00:00Z"));
}

TK_SUITE(cron, { "basic", test_basic }, { "dom_dow", test_dom_dow },
    { "dst_gap", test_dst_gap }, { "dst_repeat", test_dst_repeat },
    { "bad", test_bad }, { "tz", test_tz }, { "ticks", test_ticks });
