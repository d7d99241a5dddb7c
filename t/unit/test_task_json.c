/*
 * test_task_json.c - the task answers written straight into a buffer
 * (src/tasks/json_writer.c, tk_task_write in src/api/task_writer.c) against
 * json-c, which printed them before: every byte must be the same.
 *
 * The reference is the old path: stored JSON parsed with
 * tk_json_parse_stored and printed with the API's flags, tasks and steps
 * built as json-c objects (a copy of the former tk_task_json below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tasker/task_api.h"
#include "tasker/body_parser.h"
#include "tasker/json_writer.h"
#include "tasker/task_writer.h"
#include "tasker/uuid.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---------------------------------------------------------------- the old path */

/* What the API printed for a stored column before: parse, print, dflt
 * when it did not parse.  Returns a malloc'd string. */
static char *
old_stored(const char *s, size_t len, const char *dflt)
{
	json_object *j = s != NULL ? tk_json_parse_stored(s, len) : NULL;
	char *out;

	if (j == NULL)
		return strdup(dflt);
	out = strdup(json_object_to_json_string_ext(j, FLAGS));
	json_object_put(j);
	return out;
}

static char *
new_stored(const char *s, size_t len, const char *dflt)
{
	struct tk_buf b = TK_BUF_INIT;

	CU_ASSERT_EQUAL(tk_json_put_stored(&b, s, len, dflt), TK_OK);
	return tk_buf_detach(&b);
}

/* Both paths give the same bytes for s; returns tk_json_canonical(s). */
static int
same_stored(const char *s, size_t len)
{
	char *o = old_stored(s, len, "{}"), *n = new_stored(s, len, "{}");
	int same = o != NULL && n != NULL && strcmp(o, n) == 0;

	if (!same)
		fprintf(stderr, "\nstored %.*s: old %s new %s\n", (int)len, s,
		    o ? o : "(null)", n ? n : "(null)");
	CU_ASSERT_TRUE(same);
	free(o);
	free(n);
	return tk_json_canonical(s, len);
}

/* ---------------------------------------------------------------- strings */

static void
test_put_str(void)
{
	static const char *const cases[] = { "", "plain", "a\"b\\c/d",
	    "\b\f\n\r\t", "\x01\x02\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80", "\xff\xfe broken utf-8", "</script>",
	    "\\u0041", NULL };
	char all[256];
	struct tk_buf b = TK_BUF_INIT;
	json_object *j;
	size_t i;

	for (i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = '\0';
	for (i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = i < sizeof(cases) / sizeof(cases[0]) ?
		    cases[i] : all;

		tk_buf_reset(&b);
		CU_ASSERT_EQUAL(tk_json_put_str(&b, s), TK_OK);
		j = s != NULL ? json_object_new_string(s) : NULL;
		CU_ASSERT_STRING_EQUAL(tk_buf_str(&b),
		    json_object_to_json_string_ext(j, FLAGS));
		json_object_put(j);
	}
	tk_buf_free(&b);
}

/* The one escaper's two spellings: json-c's (short escapes) for answers,
 * \u00XX for every control byte in the Idempotency-Key fingerprint;
 * both bounded by n, not by a NUL. */
static void
test_put_strn(void)
{
	static const char s[] = "a\"\\\b\f\n\r\t\x01/\0z";
	struct tk_buf b = TK_BUF_INIT;

	CU_ASSERT_EQUAL(tk_json_put_strn(&b, s, sizeof(s) - 1,
	    TK_JSON_ESC_SHORT), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&b),
	    "\"a\\\"\\\\\\b\\f\\n\\r\\t\\u0001/\\u0000z\"");
	tk_buf_reset(&b);
	CU_ASSERT_EQUAL(tk_json_put_strn(&b, s, sizeof(s) - 1, 0), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&b), "\"a\\\"\\\\\\u0008\\u000c"
	    "\\u000a\\u000d\\u0009\\u0001/\\u0000z\"");
	tk_buf_free(&b);
}

/* ---------------------------------------------------------------- canonical */

static void
test_canonical_accepts(void)
{
	/* What json-c prints, tricky parts included. */
	static const char *const yes[] = {
		"{}", "[]", "[[]]", "{\"a\":{}}",
		"{\"payment_id\":12345,\"amount\":99.99,\"currency\":\"USD\"}",
		"{\"url\":\"https://example.com/a/b\"}",
		"{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
		"{\"e\":\"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u001f\"}",
		"{\"del\":\"\x7f\"}",
		"[0,-1,9223372036854775807,-9223372036854775808,"
		    "18446744073709551615]",
		"[1.50,1e5,-0.0,1E+2,0.1e-7,1e400,1.0000000000000000000001]",
		"[true,false,null,\"\"]",
		"{\"\":1,\"a\":[1,{\"b\":[null]}]}",
		"{\"a\":1,\"A\":2,\"a \":3}",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		CU_ASSERT_TRUE(same_stored(yes[i], strlen(yes[i])));
		if (!tk_json_canonical(yes[i], strlen(yes[i])))
			fprintf(stderr, "\nnot canonical: %s\n", yes[i]);
	}
}

static void
test_canonical_refuses(void)
{
	/* Not what json-c prints: the old path decides (and both agree). */
	static const char *const no[] = {
		"", " {}", "{} ", "{ }", "{\"a\": 1}", "[1, 2]", "{}x",
		"{\"a\":\"x\\/y\"}", "{\"a\":\"\\u00e9\"}", "{\"a\":\"\\u001F\"}",
		"{\"a\":\"\\u0008\"}", "{\"a\":\"\\u000a\"}",
		"{\"a\":\"\\u0000\"}", "{\"k\\u0000z\":1}",
		"{\"a\":1,\"b\":2,\"a\":3}", "[-0]", "[007]", "[1.]", "[.5]",
		"[+1]", "[18446744073709551616]", "[-9223372036854775809]",
		"[1e]", "[NaN]", "[Infinity]", "[tru]", "[nul]", "{\"a\"}",
		"{\"a\":}", "[1,]", "{,}", "[", "{\"a\":1", "\"x\"", "5", "true",
		"null", "{'a':1}", "{\"a\":\"tab\there\"}", "[\"\\x\"]",
		"[\"\\u12\"]", "{\"a\":[1]]", "[{]}", "[1]]",
	};
	char big[200];
	size_t i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		CU_ASSERT_FALSE(same_stored(no[i], strlen(no[i])));
		if (tk_json_canonical(no[i], strlen(no[i])))
			fprintf(stderr, "\ncanonical: %s\n", no[i]);
	}
	/* A raw NUL inside a string. */
	CU_ASSERT_FALSE(same_stored("[\"a\0b\"]", 7));
	/* 32 levels pass, 33 do not (MariaDB stores at most 31). */
	memset(big, '[', 32);
	memset(big + 32, ']', 32);
	CU_ASSERT_TRUE(same_stored(big, 64));
	memset(big, '[', 33);
	memset(big + 33, ']', 33);
	CU_ASSERT_FALSE(same_stored(big, 66));
	CU_ASSERT_FALSE(tk_json_canonical(NULL, 0));
}

/* Many keys: the repeat check sorts them. */
static void
test_canonical_many_keys(void)
{
	struct tk_buf b = TK_BUF_INIT;
	int i;

	tk_buf_putc(&b, '{');
	for (i = 0; i < 500; i++)
		tk_buf_printf(&b, "%s\"k%03d\":%d", i ? "," : "", i, i);
	tk_buf_putc(&b, '}');
	CU_ASSERT_TRUE(same_stored(b.data, b.len));
	/* The same with one key twice. */
	b.len--;
	tk_buf_puts(&b, ",\"k250\":0}");
	CU_ASSERT_FALSE(same_stored(b.data, b.len));
	/* More keys than remembered: the old path, same bytes. */
	tk_buf_reset(&b);
	tk_buf_putc(&b, '{');
	for (i = 0; i < 1500; i++)
		tk_buf_printf(&b, "%s\"k%04d\":%d", i ? "," : "", i, i);
	tk_buf_putc(&b, '}');
	(void)same_stored(b.data, b.len);
	tk_buf_free(&b);
}

/* The default: SQL NULL, a stored null, text that does not parse. */
static void
test_stored_default(void)
{
	char *s;

	s = new_stored(NULL, 0, "[]");
	CU_ASSERT_STRING_EQUAL(s, "[]");
	free(s);
	s = new_stored("null", 4, "{}");
	CU_ASSERT_STRING_EQUAL(s, "{}");
	free(s);
	s = new_stored("{\"a\":", 5, "null");
	CU_ASSERT_STRING_EQUAL(s, "null");
	free(s);
	s = new_stored("{ \"a\" : \"x\\/y\" }", 16, "{}");
	CU_ASSERT_STRING_EQUAL(s, "{\"a\":\"x/y\"}");
	free(s);
}

/* ---------------------------------------------------------------- random documents */

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Sometimes white space, as another program might write. */
static void
ws(struct tk_buf *b, int loose)
{
	if (loose && rnd(4) == 0)
		tk_buf_puts(b, rnd(2) ? " " : "\n\t");
}

static void
rnd_string(struct tk_buf *b, int loose)
{
	static const char *const bits[] = { "a", "b", "/", "\\/", "\\\"",
	    "\\\\", "\\n", "\\u0001", "\\u001f", "\\u00e9", "\\u0008",
	    "\\ud83d\\ude00", "\xc3\xa9", "\x7f", "\\t", "\\u000A", "key",
	    "\\b" };
	unsigned i, n = rnd(5);

	tk_buf_putc(b, '"');
	for (i = 0; i < n; i++)
		tk_buf_puts(b, bits[rnd(loose ? 18 : 3)]);
	tk_buf_putc(b, '"');
}

static void
rnd_value(struct tk_buf *b, int depth, int loose)
{
	static const char *const nums[] = { "0", "1", "-1", "12.50", "1e3",
	    "-0", "-0.0", "18446744073709551615", "18446744073709551616",
	    "-9223372036854775808", "3.14159265358979323846264338327950288",
	    "1E-7", "100" };
	unsigned i, n;

	ws(b, loose);
	switch (depth > 5 ? 2 + rnd(3) : rnd(5)) {
	case 0:
		tk_buf_putc(b, '{');
		n = rnd(4);
		for (i = 0; i < n; i++) {
			if (i > 0)
				tk_buf_putc(b, ',');
			ws(b, loose);
			rnd_string(b, loose);
			ws(b, loose);
			tk_buf_putc(b, ':');
			rnd_value(b, depth + 1, loose);
		}
		ws(b, loose);
		tk_buf_putc(b, '}');
		break;
	case 1:
		tk_buf_putc(b, '[');
		n = rnd(4);
		for (i = 0; i < n; i++) {
			if (i > 0)
				tk_buf_putc(b, ',');
			rnd_value(b, depth + 1, loose);
		}
		tk_buf_putc(b, ']');
		break;
	case 2:
		rnd_string(b, loose);
		break;
	case 3:
		tk_buf_puts(b, nums[rnd(loose ? 13 : 5)]);
		break;
	default:
		tk_buf_puts(b, rnd(3) == 0 ? "true" : rnd(2) ? "false" : "null");
		break;
	}
	ws(b, loose);
}

/*
 * Random documents, loose (white space, every escape, odd numbers, keys
 * that repeat) and their json-c printouts: the two paths agree on all of
 * them, and every printout is taken as canonical.
 */
static void
test_random_documents(void)
{
	struct tk_buf b = TK_BUF_INIT;
	json_object *j;
	const char *p;
	size_t len;
	int i, canon = 0;

	for (i = 0; i < 3000; i++) {
		tk_buf_reset(&b);
		tk_buf_putc(&b, '{');
		tk_buf_puts(&b, "\"k\":");
		rnd_value(&b, 0, i % 2);
		if (rnd(3) == 0) {
			tk_buf_puts(&b, ",\"k\":");
			rnd_value(&b, 0, i % 2);
		}
		tk_buf_putc(&b, '}');
		canon += same_stored(b.data, b.len);
		if ((j = tk_json_parse_stored(b.data, b.len)) == NULL)
			continue;
		p = json_object_to_json_string_length(j, FLAGS, &len);
		CU_ASSERT_TRUE(tk_json_canonical(p, len));
		if (!tk_json_canonical(p, len))
			fprintf(stderr, "\nprintout not canonical: %s\n", p);
		(void)same_stored(p, len);
		json_object_put(j);
	}
	/* Both kinds were seen. */
	CU_ASSERT_TRUE(canon > 100 && canon < 2900);
	tk_buf_free(&b);
}

/* ---------------------------------------------------------------- tasks */

static json_object *
ref_str(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
ref_stored(const char *s, size_t n)
{
	return s != NULL ? tk_json_parse_stored(s, n) : NULL;
}

/* The former tk_step_json in brief. */
static json_object *
ref_step(const struct tk_step_row *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", ref_str(s->name));
	json_object_object_add(o, "status",
	    json_object_new_string(tk_status_name(s->status)));
	json_object_object_add(o, "results", ref_stored(s->results,
	    s->results_len));
	json_object_object_add(o, "attempts",
	    json_object_new_int64(s->attempts));
	json_object_object_add(o, "started_at", ref_str(s->started_at));
	json_object_object_add(o, "completed_at", ref_str(s->completed_at));
	if (s->last_error != NULL)
		json_object_object_add(o, "last_error", ref_str(s->last_error));
	if (s->status == TK_ST_ERROR && s->ready_at != NULL)
		json_object_object_add(o, "next_attempt_at",
		    ref_str(s->ready_at));
	return o;
}

/* The former tk_task_json. */
static json_object *
ref_task(const struct tk_task_row *t, const struct tk_step_list *steps,
    json_object *deps)
{
	char id[TK_UUID_STR_SIZE], full[3 * 64 + 8];
	json_object *o = json_object_new_object(), *ctx, *tags, *a;
	size_t i;

	tk_uuid_format(t->id, id);
	snprintf(full, sizeof(full), "%s.%s@%s",
	    t->namespace_name ? t->namespace_name : "",
	    t->name ? t->name : "", t->version ? t->version : "");
	if ((ctx = ref_stored(t->context, t->context_len)) == NULL)
		ctx = json_object_new_object();
	if ((tags = ref_stored(t->tags, t->tags_len)) == NULL)
		tags = json_object_new_array();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", ref_str(t->name));
	json_object_object_add(o, "namespace", ref_str(t->namespace_name));
	json_object_object_add(o, "version", ref_str(t->version));
	json_object_object_add(o, "full_name", json_object_new_string(full));
	json_object_object_add(o, "status",
	    ref_str(tk_status_name(t->status)));
	json_object_object_add(o, "context", ctx);
	if (steps != NULL) {
		a = json_object_new_array();
		for (i = 0; i < steps->n; i++)
			json_object_array_add(a, ref_step(&steps->v[i]));
		json_object_object_add(o, "steps", a);
	}
	if (deps != NULL)
		json_object_object_add(o, "dependencies", json_object_get(deps));
	json_object_object_add(o, "created_at", ref_str(t->created_at));
	json_object_object_add(o, "updated_at", ref_str(t->updated_at));
	json_object_object_add(o, "initiator", ref_str(t->initiator));
	json_object_object_add(o, "source_system", ref_str(t->source_system));
	json_object_object_add(o, "reason", ref_str(t->reason));
	json_object_object_add(o, "tags", tags);
	json_object_object_add(o, "completed_at", ref_str(t->completed_at));
	json_object_object_add(o, "created_by", ref_str(t->created_by));
	json_object_object_add(o, "priority", json_object_new_int(t->priority));
	json_object_object_add(o, "stale", json_object_new_boolean(t->stale));
	return o;
}

static void
check_task(const struct tk_task_row *t, size_t n,
    const struct tk_step_list *s, json_object *deps)
{
	struct tk_buf b = TK_BUF_INIT;
	json_object *ref;
	size_t i;

	for (i = 0; i < n; i++) {
		tk_buf_reset(&b);
		CU_ASSERT_EQUAL(tk_task_write(&b, &t[i], s, deps), TK_OK);
		ref = ref_task(&t[i], s, deps);
		CU_ASSERT_STRING_EQUAL(tk_buf_str(&b),
		    json_object_to_json_string_ext(ref, FLAGS));
		json_object_put(ref);
	}
	tk_buf_free(&b);
}

/* The full step shape (json-c, stored results standing in as text) prints
 * what parsing the results would. */
static void
check_full_steps(const struct tk_step_list *s)
{
	json_object *o;
	char *a;
	size_t i;

	for (i = 0; i < s->n; i++) {
		o = tk_step_json(&s->v[i], NULL);
		a = strdup(json_object_to_json_string_ext(o, FLAGS));
		/* The same object with the results parsed, as before. */
		json_object_object_add(o, "results", ref_stored(
		    s->v[i].results, s->v[i].results_len));
		CU_ASSERT_STRING_EQUAL(a, json_object_to_json_string_ext(o,
		    FLAGS));
		free(a);
		json_object_put(o);
	}
}

/* A stored text as a row holds it: its own copy (NULL stays NULL). */
#define DUP(s) ((s) != NULL ? strdup(s) : NULL)
#define LEN(s) ((s) != NULL ? strlen(s) : 0)

static void
make_task(struct tk_task_row *t, const unsigned char id[16],
    const char *const c[11], enum tk_status st)
{
	memcpy(t->id, id, 16);
	t->status = st;
	t->namespace_name = DUP(c[0]);
	t->name = DUP(c[1]);
	t->version = DUP(c[2]);
	t->context = DUP(c[3]);
	t->context_len = LEN(c[3]);
	t->initiator = DUP(c[4]);
	t->source_system = DUP(c[5]);
	t->reason = DUP(c[6]);
	t->tags = DUP(c[7]);
	t->tags_len = LEN(c[7]);
	t->created_at = DUP(c[8]);
	t->updated_at = DUP(c[9]);
	t->completed_at = DUP(c[10]);
}

static void
make_step(struct tk_step_row *s, const char *const c[8], enum tk_status st,
    unsigned attempts)
{
	s->name = DUP(c[0]);
	s->status = st;
	s->attempts = attempts;
	s->retry_limit = 3;
	s->retryable = 1;
	s->results = DUP(c[1]);
	s->results_len = LEN(c[1]);
	s->last_error = DUP(c[2]);
	s->ready_at = DUP(c[3]);
	s->started_at = DUP(c[4]);
	s->completed_at = DUP(c[5]);
	s->created_at = DUP(c[6]);
	s->updated_at = DUP(c[7]);
}

static void
test_task_write(void)
{
	static const unsigned char id[16] = { 0x01, 0x90, 0xf1, 0xa2, 0x7b,
	    0x3c, 0x7d, 0xef, 0x8a, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde };
	/* namespace, name, version, context, initiator, source_system,
	 * reason, tags, created_at, updated_at, completed_at */
	const char *const tc[3][11] = {
		/* An ordinary task. */
		{ "payments", "process_payment", "2.1.0",
		"{\"payment_id\":12345,\"amount\":99.99}", "alice",
		"web/app", "because \"reasons\"\n", "[\"a\",\"b/c\"]",
		"2024-01-15T10:30:00Z", "2024-01-15T10:31:00Z",
		"2024-01-15T10:31:00Z" },
		/* Written by someone else: loose JSON, odd text. */
		{ "ns", "n\x01me", "1.0.0",
		"{ \"url\" : \"http:\\/\\/x\", \"e\": \"\\u00e9\", \"a\":1,"
		    " \"a\":2 }", "\xc3\xa9t\xc3\xa9 \x7f", NULL, NULL,
		"[ \"x\" ]", "2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z",
		NULL },
		/* Nothing where it may be nothing; JSON that does not parse. */
		{ NULL, NULL, NULL, "{\"a\":", NULL, NULL, NULL, "null", NULL,
		NULL, NULL },
	};
	const char *const by[3] = { "svc \"billing\"", "\xc3\xa9ve", NULL };
	/* name, results, last_error, ready_at, started_at, completed_at,
	 * created_at, updated_at */
	const char *const sc[3][8] = {
		{ "validate", "{\"ok\":true,\"path\":\"/tmp/x\"}", NULL, NULL,
		"2024-01-15T10:30:00Z", "2024-01-15T10:30:01Z",
		"2024-01-15T10:30:00Z", "2024-01-15T10:30:01Z" },
		/* Failed, a retry scheduled. */
		{ "charge \"card\"", "null", "boom:\ttimeout\n",
		"2024-01-15T10:35:00Z", "2024-01-15T10:30:01Z", NULL,
		"2024-01-15T10:30:00Z", "2024-01-15T10:30:02Z" },
		/* No name, loose results, an old error and ready_at. */
		{ NULL, "{ \"n\" : -0 }", "old error", "2024-01-15T10:35:00Z",
		NULL, NULL, "2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z" },
	};
	static const enum tk_status tst[3] = { TK_ST_COMPLETE, TK_ST_PENDING,
	    TK_ST_CANCELLED };
	static const enum tk_status sst[3] = { TK_ST_COMPLETE, TK_ST_ERROR,
	    TK_ST_PENDING };
	struct tk_task_row t[3];
	struct tk_step_list s, none = { NULL, 0 };
	json_object *deps;
	size_t i;

	memset(t, 0, sizeof(t));
	s.n = 3;
	s.v = calloc(3, sizeof(*s.v));
	for (i = 0; i < 3; i++) {
		make_task(&t[i], id, tc[i], tst[i]);
		t[i].created_by = DUP(by[i]);
		t[i].priority = (int)i * 50 - 100;
		make_step(&s.v[i], sc[i], sst[i], (unsigned)(2 - i));
		s.v[i].id = i + 1;
		s.v[i].position = (unsigned)i;
	}
	check_task(t, 3, NULL, NULL);
	check_task(t, 3, &s, NULL);
	check_task(t, 3, &none, NULL);
	deps = json_object_new_object();
	json_object_object_add(deps, "analysis",
	    json_object_new_string("Task is running: 1/2 done."));
	json_object_object_add(deps, "blocked_steps", json_object_new_array());
	check_task(t, 3, &s, deps);
	json_object_put(deps);
	check_full_steps(&s);
	for (i = 0; i < 3; i++)
		tk_task_row_free(&t[i]);
	tk_step_list_free(&s);
}

/* GET /tasks?created_after=...: RFC 3339 in, the database's UTC out. */
static void
test_time_parse(void)
{
	static const struct {
		const char *in;
		const char *out;   /* NULL: refused */
	} cases[] = {
		{ "2026-12-07T04:05:06Z", "2026-12-07 04:05:06.000000" },
		{ "2026-12-07T04:05:06.5z", "2026-12-07 04:05:06.500000" },
		{ "2026-12-07T04:05:06.123456789Z",
		    "2026-12-07 04:05:06.123456" },
		{ "2026-12-07T05:05:06+01:00", "2026-12-07 04:05:06.000000" },
		{ "2026-01-01T00:30:00+01:00", "2025-12-31 23:30:00.000000" },
		{ "2026-12-31T23:00:00-02:30", "2027-01-01 01:30:00.000000" },
		{ "2024-02-29T00:00:00Z", "2024-02-29 00:00:00.000000" },
		{ "2026-02-29T00:00:00Z", NULL },
		{ "2026-02-30T00:00:00Z", NULL },
		{ "2026-12-07T04:05:06", NULL },
		{ "2026-12-07 04:05:06Z", NULL },
		{ "2026-12-07T04:05:06 01:00", NULL },
		{ "2026-12-07T24:00:00Z", NULL },
		{ "2026-12-07T04:60:00Z", NULL },
		{ "2026-12-07T04:05:60Z", NULL },
		{ "2026-13-07T04:05:06Z", NULL },
		{ "2026-12-07T04:05:06.Z", NULL },
		{ "2026-12-07T04:05:06Zjunk", NULL },
		{ "2026-12-07T04:05:06+1:00", NULL },
		{ "0999-12-31T23:59:59Z", NULL },
		{ "1000-01-01T00:30:00+01:00", NULL },
		{ "+026-12-07T04:05:06Z", NULL },
		{ "2026-12-07", NULL },
		{ "", NULL },
	};
	char out[TK_DB_TIME_SIZE];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = tk_time_parse(cases[i].in, out);

		if (cases[i].out == NULL) {
			if (rc == 0)
				fprintf(stderr, "\n  accepted %s\n", cases[i].in);
			CU_ASSERT_EQUAL(rc, -1);
		} else {
			CU_ASSERT_EQUAL(rc, 0);
			if (rc == 0 && strcmp(out, cases[i].out) != 0)
				fprintf(stderr, "\n  %s -> %s\n", cases[i].in,
				    out);
			CU_ASSERT(rc == 0 && strcmp(out, cases[i].out) == 0);
		}
	}
}

TK_SUITE(task_json,
    { "time_parse", test_time_parse },
    { "put_str", test_put_str },
    { "put_strn", test_put_strn },
    { "canonical_accepts", test_canonical_accepts },
    { "canonical_refuses", test_canonical_refuses },
    { "canonical_many_keys", test_canonical_many_keys },
    { "stored_default", test_stored_default },
    { "random_documents", test_random_documents },
    { "task_write", test_task_write });
