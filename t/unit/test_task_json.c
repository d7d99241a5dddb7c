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

/* Rows from cells (NULL: SQL NULL); lens[i] 0 means strlen. */
static void
make_rows(struct tk_rows *r, size_t nrows, size_t ncols,
    const char *const *cells, const size_t *lens)
{
	size_t i, n = nrows * ncols;

	r->nrows = nrows;
	r->ncols = ncols;
	r->cell = calloc(n, sizeof(*r->cell));
	r->len = calloc(n, sizeof(*r->len));
	for (i = 0; i < n; i++) {
		size_t l;

		if (cells[i] == NULL)
			continue;
		l = lens != NULL && lens[i] != 0 ? lens[i] : strlen(cells[i]);
		r->cell[i] = malloc(l + 1);
		memcpy(r->cell[i], cells[i], l);
		r->cell[i][l] = '\0';
		r->len[i] = l;
	}
}

static json_object *
ref_str(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
ref_stored(const struct tk_rows *r, size_t row, size_t col)
{
	const char *s = tk_row_str(r, row, col);

	return s != NULL ? tk_json_parse_stored(s,
	    r->len[row * r->ncols + col]) : NULL;
}

/* The former tk_step_json in brief. */
static json_object *
ref_step(const struct tk_rows *r, size_t row)
{
	int s = tk_status_parse(tk_row_str(r, row, TK_STEP_STATUS));
	enum tk_status st = s < 0 ? TK_ST_PENDING : (enum tk_status)s;
	const char *err = tk_row_str(r, row, TK_STEP_LAST_ERROR),
	    *ready = tk_row_str(r, row, TK_STEP_READY_AT);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name",
	    ref_str(tk_row_str(r, row, TK_STEP_NAME)));
	json_object_object_add(o, "status",
	    json_object_new_string(tk_status_name(st)));
	json_object_object_add(o, "results", ref_stored(r, row,
	    TK_STEP_RESULTS));
	json_object_object_add(o, "attempts",
	    json_object_new_int64(tk_row_int(r, row, TK_STEP_ATTEMPTS)));
	json_object_object_add(o, "started_at",
	    ref_str(tk_row_str(r, row, TK_STEP_STARTED)));
	json_object_object_add(o, "completed_at",
	    ref_str(tk_row_str(r, row, TK_STEP_COMPLETED)));
	if (err != NULL)
		json_object_object_add(o, "last_error", ref_str(err));
	if (st == TK_ST_ERROR && ready != NULL)
		json_object_object_add(o, "next_attempt_at", ref_str(ready));
	return o;
}

/* The former tk_task_json. */
static json_object *
ref_task(const struct tk_rows *r, size_t row, const struct tk_rows *steps,
    json_object *deps)
{
	char id[TK_UUID_STR_SIZE], full[3 * 64 + 8];
	const char *ns = tk_row_str(r, row, TK_TASK_NAMESPACE),
	    *name = tk_row_str(r, row, TK_TASK_NAME),
	    *ver = tk_row_str(r, row, TK_TASK_VERSION);
	json_object *o = json_object_new_object(), *ctx, *tags, *a;
	size_t i;

	if (r->len[row * r->ncols + TK_TASK_ID] == 16)
		tk_uuid_format((const unsigned char *)tk_row_str(r, row,
		    TK_TASK_ID), id);
	else
		snprintf(id, sizeof(id), "?");
	snprintf(full, sizeof(full), "%s.%s@%s", ns ? ns : "",
	    name ? name : "", ver ? ver : "");
	if ((ctx = ref_stored(r, row, TK_TASK_CONTEXT)) == NULL)
		ctx = json_object_new_object();
	if ((tags = ref_stored(r, row, TK_TASK_TAGS)) == NULL)
		tags = json_object_new_array();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", ref_str(name));
	json_object_object_add(o, "namespace", ref_str(ns));
	json_object_object_add(o, "version", ref_str(ver));
	json_object_object_add(o, "full_name", json_object_new_string(full));
	json_object_object_add(o, "status",
	    ref_str(tk_row_str(r, row, TK_TASK_STATUS)));
	json_object_object_add(o, "context", ctx);
	if (steps != NULL) {
		a = json_object_new_array();
		for (i = 0; i < steps->nrows; i++)
			json_object_array_add(a, ref_step(steps, i));
		json_object_object_add(o, "steps", a);
	}
	if (deps != NULL)
		json_object_object_add(o, "dependencies", json_object_get(deps));
	json_object_object_add(o, "created_at",
	    ref_str(tk_row_str(r, row, TK_TASK_CREATED)));
	json_object_object_add(o, "updated_at",
	    ref_str(tk_row_str(r, row, TK_TASK_UPDATED)));
	json_object_object_add(o, "initiator",
	    ref_str(tk_row_str(r, row, TK_TASK_INITIATOR)));
	json_object_object_add(o, "source_system",
	    ref_str(tk_row_str(r, row, TK_TASK_SOURCE)));
	json_object_object_add(o, "reason",
	    ref_str(tk_row_str(r, row, TK_TASK_REASON)));
	json_object_object_add(o, "tags", tags);
	json_object_object_add(o, "completed_at",
	    ref_str(tk_row_str(r, row, TK_TASK_COMPLETED)));
	json_object_object_add(o, "created_by",
	    ref_str(tk_row_str(r, row, TK_TASK_CREATED_BY)));
	return o;
}

static void
check_task(const struct tk_rows *t, const struct tk_rows *s,
    json_object *deps)
{
	struct tk_buf b = TK_BUF_INIT;
	json_object *ref;
	size_t row;

	for (row = 0; row < t->nrows; row++) {
		tk_buf_reset(&b);
		CU_ASSERT_EQUAL(tk_task_write(&b, t, row, s, deps), TK_OK);
		ref = ref_task(t, row, s, deps);
		CU_ASSERT_STRING_EQUAL(tk_buf_str(&b),
		    json_object_to_json_string_ext(ref, FLAGS));
		json_object_put(ref);
	}
	tk_buf_free(&b);
}

/* The full step shape (json-c, stored results standing in as text) prints
 * what parsing the results would. */
static void
check_full_steps(const struct tk_rows *s)
{
	json_object *o;
	char *a;
	size_t i;

	for (i = 0; i < s->nrows; i++) {
		o = tk_step_json(s, i, NULL);
		a = strdup(json_object_to_json_string_ext(o, FLAGS));
		/* The same object with the results parsed, as before. */
		json_object_object_add(o, "results", ref_stored(s, i,
		    TK_STEP_RESULTS));
		CU_ASSERT_STRING_EQUAL(a, json_object_to_json_string_ext(o,
		    FLAGS));
		free(a);
		json_object_put(o);
	}
}

static void
test_task_write(void)
{
	static const unsigned char id[16] = { 0x01, 0x90, 0xf1, 0xa2, 0x7b,
	    0x3c, 0x7d, 0xef, 0x8a, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde };
	const char *const tc[3 * TK_TASK__NCOLS] = {
		/* An ordinary task. */
		(const char *)id, "9", "payments", "process_payment", "2.1.0",
		"complete", "{\"payment_id\":12345,\"amount\":99.99}", "alice",
		"web/app", "because \"reasons\"\n", "[\"a\",\"b/c\"]",
		"2024-01-15T10:30:00Z", "2024-01-15T10:31:00Z",
		"2024-01-15T10:31:00Z", "svc \"billing\"",
		/* Written by someone else: loose JSON, odd text. */
		"short", "1", "ns", "n\x01me", "1.0.0", "pending",
		"{ \"url\" : \"http:\\/\\/x\", \"e\": \"\\u00e9\", \"a\":1,"
		    " \"a\":2 }", "\xc3\xa9t\xc3\xa9 \x7f", NULL, NULL,
		"[ \"x\" ]", "2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z",
		NULL, "\xc3\xa9ve",
		/* Nothing where it may be nothing; JSON that does not parse. */
		(const char *)id, "2", NULL, NULL, NULL, NULL, "{\"a\":", NULL,
		NULL, NULL, "null", NULL, NULL, NULL, NULL,
	};
	const char *const sc[3 * TK_STEP__NCOLS] = {
		"1", "0", "validate", "complete", "1", "3", "1", "0", "0",
		"{\"ok\":true,\"path\":\"/tmp/x\"}", NULL, NULL,
		"2024-01-15T10:30:00Z", "2024-01-15T10:30:01Z",
		"2024-01-15T10:30:00Z", "2024-01-15T10:30:01Z",
		/* Failed, a retry scheduled. */
		"2", "1", "charge \"card\"", "error", "2", "3", "1", "0", "0",
		"null", "boom:\ttimeout\n", "2024-01-15T10:35:00Z",
		"2024-01-15T10:30:01Z", NULL, "2024-01-15T10:30:00Z",
		"2024-01-15T10:30:02Z",
		/* Unknown status, loose results, no attempts number. */
		"3", "2", NULL, "bogus", "x", "3", "1", "0", "1",
		"{ \"n\" : -0 }", "old error", "2024-01-15T10:35:00Z", NULL, NULL,
		"2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z",
	};
	size_t tl[3 * TK_TASK__NCOLS] = { 16 };
	struct tk_rows t, s, none = TK_ROWS_INIT;
	json_object *deps;

	tl[2 * TK_TASK__NCOLS] = 16;
	make_rows(&t, 3, TK_TASK__NCOLS, tc, tl);
	make_rows(&s, 3, TK_STEP__NCOLS, sc, NULL);
	check_task(&t, NULL, NULL);
	check_task(&t, &s, NULL);
	check_task(&t, &none, NULL);
	deps = json_object_new_object();
	json_object_object_add(deps, "analysis",
	    json_object_new_string("Task is running: 1/2 done."));
	json_object_object_add(deps, "blocked_steps", json_object_new_array());
	check_task(&t, &s, deps);
	json_object_put(deps);
	check_full_steps(&s);
	tk_rows_free(&t);
	tk_rows_free(&s);
}

TK_SUITE(task_json,
    { "put_str", test_put_str },
    { "put_strn", test_put_strn },
    { "canonical_accepts", test_canonical_accepts },
    { "canonical_refuses", test_canonical_refuses },
    { "canonical_many_keys", test_canonical_many_keys },
    { "stored_default", test_stored_default },
    { "random_documents", test_random_documents },
    { "task_write", test_task_write });
