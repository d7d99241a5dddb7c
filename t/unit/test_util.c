/*
 * test_util.c - buffers, diagnostics, the error table, log quoting and
 * holding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "tasker/buf.h"
#include "tasker/diag.h"
#include "tasker/error.h"
#include "tasker/log.h"
#include "tasker/utf8.h"
#include "tasker/alloc.h"

static void
test_buf_grows(void)
{
	struct tk_buf b = TK_BUF_INIT;
	int i;

	CU_ASSERT_STRING_EQUAL(tk_buf_str(&b), "");
	for (i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(tk_buf_printf(&b, "%d,", i % 10), TK_OK);
	CU_ASSERT_EQUAL(b.len, 2000);
	CU_ASSERT_EQUAL(strncmp(b.data, "0,1,2,", 6), 0);
	CU_ASSERT_EQUAL(b.data[b.len], '\0');
	tk_buf_reset(&b);
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&b), "");
	tk_buf_puts(&b, "abc");
	tk_buf_putc(&b, 'd');
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&b), "abcd");
	tk_buf_free(&b);
}

/* tk_buf_printf writes into the room there is and grows only when the
 * text does not fit: every boundary keeps the whole text and the NUL. */
static void
test_buf_printf_room(void)
{
	struct tk_buf b = TK_BUF_INIT;
	char want[300];
	size_t room;

	CU_ASSERT_EQUAL(tk_buf_puts(&b, "ab"), TK_OK);   /* cap 64 */
	room = b.cap - b.len;
	/* Exactly the room less the NUL: fits in place. */
	CU_ASSERT_EQUAL(tk_buf_printf(&b, "%0*d", (int)room - 1, 7), TK_OK);
	CU_ASSERT_EQUAL(b.len, 2 + room - 1);
	CU_ASSERT_EQUAL(b.cap, 64);
	CU_ASSERT_EQUAL(b.data[b.len - 1], '7');
	CU_ASSERT_EQUAL(b.data[b.len], '\0');
	/* One byte more than the room: grows, nothing cut. */
	tk_buf_reset(&b);
	CU_ASSERT_EQUAL(tk_buf_puts(&b, "xy"), TK_OK);
	room = b.cap - b.len;
	CU_ASSERT_EQUAL(tk_buf_printf(&b, "%0*d", (int)room, 5), TK_OK);
	CU_ASSERT_EQUAL(b.len, 2 + room);
	CU_ASSERT(b.cap > 64);
	CU_ASSERT_EQUAL(strncmp(b.data, "xy000", 5), 0);
	CU_ASSERT_EQUAL(b.data[b.len - 1], '5');
	CU_ASSERT_EQUAL(b.data[b.len], '\0');
	/* Far more than the room, from an empty buffer. */
	tk_buf_free(&b);
	memset(want, 'q', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	CU_ASSERT_EQUAL(tk_buf_printf(&b, "%s|%u", want, 42u), TK_OK);
	CU_ASSERT_EQUAL(b.len, sizeof(want) - 1 + 3);
	CU_ASSERT_EQUAL(strncmp(b.data, want, sizeof(want) - 1), 0);
	CU_ASSERT_STRING_EQUAL(b.data + sizeof(want) - 1, "|42");
	tk_buf_free(&b);
}

static void
test_buf_detach(void)
{
	struct tk_buf b = TK_BUF_INIT;
	char *s;

	s = tk_buf_detach(&b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
	tk_buf_puts(&b, "xyz");
	s = tk_buf_detach(&b);
	CU_ASSERT_STRING_EQUAL(s, "xyz");
	CU_ASSERT_PTR_NULL(b.data);
	free(s);
}

static void
test_diag(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	int i;

	for (i = 0; i < 20; i++)
		tk_diag_add(&d, "f.yaml:%d: key: bad", i);
	CU_ASSERT_EQUAL(d.n, 20);
	CU_ASSERT_TRUE(tk_diag_has(&d, "f.yaml:19: key"));
	CU_ASSERT_FALSE(tk_diag_has(&d, "f.yaml:20:"));
	tk_diag_free(&d);
	CU_ASSERT_EQUAL(d.n, 0);
}

static void
test_error_table(void)
{
	const struct tk_err_info *i;
	int e;

	i = tk_err_info(TK_ERR_HANDLER_NOT_FOUND);
	CU_ASSERT_EQUAL(i->status, 404);
	CU_ASSERT_STRING_EQUAL(i->type, "HandlerNotFound");
	CU_ASSERT_STRING_EQUAL(i->code, "HANDLER_NOT_FOUND");
	CU_ASSERT_EQUAL(tk_err_info(TK_ERR_AUTHENTICATION)->status, 401);
	CU_ASSERT_STRING_EQUAL(tk_err_info(TK_ERR_VALIDATION)->code,
	    "INVALID_TASK_CONFIG");
	CU_ASSERT_EQUAL(tk_err_info(TK_ERR_DB_UNAVAILABLE)->status, 503);
	/* Out-of-range values map to an internal error, not a crash. */
	CU_ASSERT_EQUAL(tk_err_info((tk_err)9999)->status, 500);
	/* Every row is filled in. */
	for (e = 1; e < TK_ERR__COUNT; e++) {
		CU_ASSERT_PTR_NOT_NULL(tk_err_info((tk_err)e)->type);
		CU_ASSERT_PTR_NOT_NULL(tk_err_info((tk_err)e)->message);
		CU_ASSERT_PTR_NOT_NULL(tk_err_name((tk_err)e));
	}
}

static void
test_log_quote(void)
{
	char out[64];

	CU_ASSERT_STRING_EQUAL(tk_log_quote(out, sizeof(out), "plain"), "plain");
	CU_ASSERT_STRING_EQUAL(tk_log_quote(out, sizeof(out), "a b"), "\"a b\"");
	CU_ASSERT_STRING_EQUAL(tk_log_quote(out, sizeof(out), "a\"b\n"),
	    "\"a\\\"b?\"");
	CU_ASSERT_STRING_EQUAL(tk_log_quote(out, sizeof(out), ""), "\"\"");
	CU_ASSERT_EQUAL(tk_log_level_parse("warn"), TK_LOG_WARN);
	CU_ASSERT_EQUAL(tk_log_level_parse("loud"), -1);
}

/* What fd 2 received since the mark (a temporary file stands in). */
static size_t
stderr_since(FILE *f, long mark, char *out, size_t outsz)
{
	size_t n;

	fflush(f);
	fseek(f, mark, SEEK_SET);
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	return n;
}

/*
 * Held lines: nothing reaches fd 2 until a flush, a warn line (which
 * brings the held ones first, in order), a full buffer, or the end of
 * holding; then whole lines only.
 */
static void
test_log_hold(void)
{
	FILE *f = tmpfile();
	char got[16384];
	int saved = dup(2), i;
	size_t n;

	CU_ASSERT_FATAL(f != NULL && saved >= 0);
	dup2(fileno(f), 2);
	tk_log_setup("t", TK_LOG_INFO, TK_LOG_LOGFMT, TK_LOG_STDERR);
	tk_log_hold(1);
	tk_log(TK_LOG_INFO, "event=one");
	tk_log(TK_LOG_DEBUG, "event=hidden");
	CU_ASSERT_EQUAL(stderr_since(f, 0, got, sizeof(got)), 0);
	tk_log(TK_LOG_WARN, "event=two");
	n = stderr_since(f, 0, got, sizeof(got));
	CU_ASSERT(strstr(got, "event=one\n") != NULL &&
	    strstr(got, "event=one") < strstr(got, "event=two"));
	CU_ASSERT(strstr(got, "hidden") == NULL);
	tk_log(TK_LOG_INFO, "event=three");
	CU_ASSERT_EQUAL(stderr_since(f, (long)n, got, sizeof(got)), 0);
	tk_log_flush();
	stderr_since(f, (long)n, got, sizeof(got));
	CU_ASSERT(strncmp(got, "time=", 5) == 0 &&
	    strstr(got, "event=three\n") != NULL);
	/* A full buffer goes out by itself, in whole lines. */
	n = stderr_since(f, 0, got, sizeof(got));
	for (i = 0; i < 100; i++)
		tk_log(TK_LOG_INFO, "event=many i=%d", i);
	stderr_since(f, (long)n, got, sizeof(got));
	CU_ASSERT(strstr(got, "i=0\n") != NULL);
	CU_ASSERT(strstr(got, "i=99\n") == NULL);
	CU_ASSERT(got[0] != '\0' && got[strlen(got) - 1] == '\n');
	tk_log_hold(0);
	stderr_since(f, (long)n, got, sizeof(got));
	CU_ASSERT(strstr(got, "i=99\n") != NULL);
	/* Not holding: at once. */
	n = stderr_since(f, 0, got, sizeof(got));
	tk_log(TK_LOG_INFO, "event=four");
	stderr_since(f, (long)n, got, sizeof(got));
	CU_ASSERT(strstr(got, "event=four\n") != NULL);
	dup2(saved, 2);
	close(saved);
	fclose(f);
}

/* Strict UTF-8: every boundary's check. */
static void
test_utf8(void)
{
	static const struct { const char *s; size_t len, bad; } c[] = {
		{ "plain", 5, 5 },
		{ "caf\xc3\xa9", 5, 5 },
		{ "\xe2\x82\xac \xf0\x9f\x98\x80", 8, 8 },
		{ "\xf4\x8f\xbf\xbf", 4, 4 },            /* U+10FFFF */
		{ "\xed\x9f\xbf", 3, 3 },                 /* U+D7FF */
		{ "a\xc0\xaf", 3, 1 },                     /* overlong '/' */
		{ "\xc1\xbf", 2, 0 },                      /* overlong */
		{ "\xe0\x80\xaf", 3, 0 },                 /* overlong */
		{ "\xf0\x80\x80\xaf", 4, 0 },            /* overlong */
		{ "ab\xed\xa0\x80", 5, 2 },               /* surrogate */
		{ "\xed\xbf\xbf", 3, 0 },                 /* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 },            /* > U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xff", 1, 0 },
		{ "x\x80", 2, 1 },                          /* stray */
		{ "\xe2\x82", 2, 0 },                      /* cut short */
		{ "\xc3(", 2, 0 },
		{ "nul\0ok", 6, 6 },                        /* NUL is UTF-8 */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		CU_ASSERT_EQUAL(tk_utf8_bad(c[i].s, c[i].len), c[i].bad);
		CU_ASSERT_EQUAL(tk_utf8_valid(c[i].s, c[i].len),
		    c[i].bad == c[i].len);
	}
	CU_ASSERT_EQUAL(tk_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
	CU_ASSERT_EQUAL(tk_utf8_seq((const unsigned char *)"\xc3\xa9", 1), 0);
	CU_ASSERT_EQUAL(tk_utf8_seq((const unsigned char *)"", 0), 0);
}

/* "\u" escapes of half a surrogate pair, in JSON text. */
static void
test_utf8_json_escapes(void)
{
	static const struct { const char *s; size_t bad; } c[] = {
		{ "{\"a\":\"plain\"}", 13 },
		{ "\"\\ud83d\\ude00\"", 14 },   /* a pair: U+1F600 */
		{ "\"\\uDBFF\\uDFFF\"", 14 },   /* U+10FFFF */
		{ "\"\\u00e9\\uffff\"", 14 },
		{ "\"\\ud800\"", 1 },           /* high half alone */
		{ "\"x\\uD800x\"", 2 },
		{ "\"\\ud800\\u0041\"", 1 },    /* not a low half */
		{ "\"\\ud800\\ud800\"", 1 },
		{ "\"\\udc00\"", 1 },           /* low half alone */
		{ "\"\\ud83d\\ude00\\udfff\"", 13 },
		{ "\"\\\\ud800\"", 9 },         /* an escaped backslash */
		{ "\"\\ud80\"", 7 },            /* not an escape */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		CU_ASSERT_EQUAL(tk_utf8_json_escapes(c[i].s, strlen(c[i].s)),
		    c[i].bad);
	/* cut short inside the pair */
	CU_ASSERT_EQUAL(tk_utf8_json_escapes("\\ud800\\udc0", 11), 0);
}

/* The allocation policy: products that overflow are refused, arrays grow
 * by doubling, a failure leaves the caller's block as it was. */
static void
test_alloc(void)
{
	int *a = NULL, *keep;
	size_t cap = 0, i;

	CU_ASSERT_PTR_NULL(tk_reallocarray(NULL, SIZE_MAX / 2 + 1, 2));
	CU_ASSERT_PTR_NULL(tk_reallocarray(NULL, 2, SIZE_MAX / 2 + 1));
	for (i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL_FATAL(tk_grow((void **)&a, &cap, i + 1,
		    sizeof(*a), 8), TK_OK);
		a[i] = (int)i;
	}
	CU_ASSERT_EQUAL(cap, 128);   /* 8, 16, 32, 64, 128 */
	CU_ASSERT_EQUAL(a[99], 99);
	CU_ASSERT_EQUAL(tk_grow((void **)&a, &cap, 50, sizeof(*a), 8), TK_OK);
	CU_ASSERT_EQUAL(cap, 128);   /* room already */
	keep = a;
	CU_ASSERT_EQUAL(tk_grow((void **)&a, &cap, SIZE_MAX / 2, sizeof(*a),
	    8), TK_ERR_NOMEM);
	CU_ASSERT_PTR_EQUAL(a, keep);
	CU_ASSERT_EQUAL(cap, 128);
	free(a);
}

TK_SUITE(util,
    { "buf grows and resets", test_buf_grows },
    { "buf printf in place and growing", test_buf_printf_room },
    { "buf detach", test_buf_detach },
    { "diag collects messages", test_diag },
    { "error table", test_error_table },
    { "log quoting", test_log_quote },
    { "log holding", test_log_hold },
    { "allocation: overflow refused, doubling", test_alloc },
    { "strict UTF-8", test_utf8 },
    { "surrogate escapes in JSON", test_utf8_json_escapes });
