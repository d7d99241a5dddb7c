/*
 * test_schedules.c - a handler's schedules: (src/registry/schedules.c):
 * defaults, every refusal with its message, the canonical JSON round
 * trip and that a handler without schedules keeps its hash.
 */
#include <stdio.h>
#include <string.h>

#include "tasker/handler.h"
#include "tasker/yamljson.h"
#include "testlib.h"

#define HEAD "name: nightly_report\nnamespace_name: reports\n" \
	"schema:\n  type: object\n  properties:\n" \
	"    full: { type: boolean }\n  additionalProperties: false\n" \
	"step_templates:\n  - name: build\n    handler_config:\n" \
	"      command: /bin/true\n"

/* Parses text; TK_OK and *h, or the error with d filled. */
static tk_err
parse(const char *text, struct tk_handler_def **h, struct tk_diag *d)
{
	json_object *o = NULL;
	tk_err e;

	*h = NULL;
	if ((e = tk_yaml_parse("s.yaml", text, strlen(text), &o, d)) != TK_OK)
		return e;
	e = tk_handler_parse(o, "s.yaml", NULL, h, d);
	json_object_put(o);
	return e;
}

static void
refused(const char *sched, const char *want)
{
	char text[2048];
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h;

	snprintf(text, sizeof(text), "%sschedules:\n%s", HEAD, sched);
	CU_ASSERT_EQUAL(parse(text, &h, &d), TK_ERR_DEFINITION);
	if (!tk_diag_has(&d, want)) {
		fprintf(stderr, "\n  missing: %s\n", want);
		tk_diag_print(&d, stderr, "    ");
		CU_FAIL("message");
	}
	tk_handler_free(h);
	tk_diag_free(&d);
}

static void
test_defaults(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h;
	const struct tk_schedule_def *s;

	CU_ASSERT_EQUAL_FATAL(parse(HEAD "schedules:\n  - name: hourly\n"
	    "    cron: '@hourly'\n  - name: night\n    cron: 30 2 * * *\n"
	    "    timezone: Europe/Berlin\n    context: { full: true }\n"
	    "    missed_ticks: catch_up\n    catch_up_limit: 5\n", &h, &d),
	    TK_OK);
	CU_ASSERT_EQUAL_FATAL(h->nschedules, 2);
	s = &h->schedules[0];
	CU_ASSERT_STRING_EQUAL(s->timezone, "UTC");
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string(s->context), "{ }");
	CU_ASSERT_EQUAL(s->catch_up, 0);
	CU_ASSERT_EQUAL(s->max_ticks, 1);
	s = &h->schedules[1];
	CU_ASSERT_STRING_EQUAL(s->cron, "30 2 * * *");
	CU_ASSERT_EQUAL(s->catch_up, 1);
	CU_ASSERT_EQUAL(s->max_ticks, 5);
	tk_handler_free(h);
	tk_diag_free(&d);
}

static void
test_refusals(void)
{
	refused("  - name: a\n", "schedules[0].cron: required");
	refused("  - cron: '* * * * *'\n", "schedules[0].name: required");
	refused("  - name: a\n    cron: '* * *'\n",
	    "schedules[0].cron: '* * *' is not a cron expression");
	refused("  - name: a\n    cron: '61 * * * *'\n",
	    "minute: '61' is not valid");
	refused("  - name: a\n    cron: '* * * * *'\n    timezone: Mars/Base\n",
	    "schedules[0].timezone: 'Mars/Base' is not a time zone");
	refused("  - name: a\n    cron: '* * * * *'\n    timezone: ../../etc/"
	    "passwd\n", "is not a time zone");
	refused("  - name: a\n    cron: '* * * * *'\n    context: { full: 3 }\n",
	    "schedules[0].context: does not match the handler's schema: "
	    "/full");
	refused("  - name: a\n    cron: '* * * * *'\n    context: [1]\n",
	    "schedules[0].context: must be a mapping");
	refused("  - name: a\n    cron: '* * * * *'\n    missed_ticks: all\n",
	    "schedules[0].missed_ticks: must be skip or catch_up");
	refused("  - name: a\n    cron: '* * * * *'\n    catch_up_limit: 3\n",
	    "only with missed_ticks: catch_up");
	refused("  - name: a\n    cron: '* * * * *'\n    missed_ticks: "
	    "catch_up\n    catch_up_limit: 0\n", "must be between 1 and 1000");
	refused("  - name: a\n    cron: '* * * * *'\n  - name: a\n"
	    "    cron: '@daily'\n", "schedules[1].name: 'a' is named twice");
	refused("  - name: a\n    cron: '* * * * *'\n    when: now\n",
	    "schedules[0].when");
	refused("  - name: Bad Name\n    cron: '* * * * *'\n",
	    "is not a valid name");
	refused("  - 3\n", "schedules[0]: must be a mapping");
	refused("  []\n", "schedules: must be a list of 1 to 32");
}

/* The canonical JSON carries the schedules and reads back the same;
 * a handler without any keeps the key out (and its hash). */
static void
test_round_trip(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h, *back;
	json_object *j, *s;

	CU_ASSERT_EQUAL_FATAL(parse(HEAD "schedules:\n  - name: night\n"
	    "    cron: 0 3 * * mon-fri\n    timezone: America/New_York\n"
	    "    missed_ticks: catch_up\n", &h, &d), TK_OK);
	j = tk_handler_to_json(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "schedules", &s));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(
	    json_object_array_get_idx(s, 0), JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"name\":\"night\",\"cron\":\"0 3 * * mon-fri\",\"timezone\":"
	    "\"America/New_York\",\"context\":{},\"missed_ticks\":"
	    "\"catch_up\",\"catch_up_limit\":10}");
	CU_ASSERT_EQUAL_FATAL(tk_handler_from_json(j, &back, &d), TK_OK);
	CU_ASSERT_STRING_EQUAL(back->hash, h->hash);
	CU_ASSERT_EQUAL(back->schedules[0].max_ticks, 10);
	tk_handler_free(back);
	json_object_put(j);
	tk_handler_free(h);
	CU_ASSERT_EQUAL_FATAL(parse(HEAD, &h, &d), TK_OK);
	j = tk_handler_to_json(h);
	CU_ASSERT_FALSE(json_object_object_get_ex(j, "schedules", &s));
	json_object_put(j);
	tk_handler_free(h);
	tk_diag_free(&d);
}

TK_SUITE(schedules, { "defaults", test_defaults },
    { "refusals", test_refusals }, { "round trip", test_round_trip });
