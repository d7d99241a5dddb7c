/*
 * test_query.c - QUERY_STRING parsing, typed parameters, strict integers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tasker/http.h"

/* Parses qs expecting success. */
static void
parse_ok(struct tk_query *q, const char *qs)
{
	char msg[256] = "";

	CU_ASSERT_EQUAL_FATAL(tk_query_parse(q, qs, msg, sizeof(msg)), TK_OK);
	CU_ASSERT_STRING_EQUAL(msg, "");
}

/* Parses qs expecting TK_ERR_BAD_REQUEST with a message holding needle. */
static void
parse_bad(const char *qs, const char *needle)
{
	struct tk_query q;
	char msg[256] = "";

	CU_ASSERT_EQUAL(tk_query_parse(&q, qs, msg, sizeof(msg)),
	    TK_ERR_BAD_REQUEST);
	if (strstr(msg, needle) == NULL) {
		fprintf(stderr, "\nquery \"%.60s\": message \"%s\" "
		    "lacks \"%s\"\n", qs, msg, needle);
		CU_FAIL("message");
	}
	CU_ASSERT_EQUAL(q.n, 0);
	CU_ASSERT_PTR_NULL(q.buf);
}

static void
test_empty(void)
{
	struct tk_query q;

	parse_ok(&q, NULL);
	CU_ASSERT_EQUAL(q.n, 0);
	CU_ASSERT_PTR_NULL(tk_query_get(&q, "a"));
	tk_query_free(&q);
	parse_ok(&q, "");
	CU_ASSERT_EQUAL(q.n, 0);
	tk_query_free(&q);
	parse_ok(&q, "&&&");
	CU_ASSERT_EQUAL(q.n, 0);
	tk_query_free(&q);
}

static void
test_encodings(void)
{
	struct tk_query q;

	parse_ok(&q, "a=1+2&b=%2B&c=x%20y&d=%e2%82%AC&e%5Bf%5D=%3D%26");
	CU_ASSERT_EQUAL(q.n, 5);
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "a"), "1 2");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "b"), "+");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "c"), "x y");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "d"), "\xe2\x82\xac");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "e[f]"), "=&");
	tk_query_free(&q);

	/* Only the first '=' splits; names decode '+' too. */
	parse_ok(&q, "x=a=b&my+name=v");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "x"), "a=b");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "my name"), "v");
	tk_query_free(&q);
}

static void
test_repeats_and_empties(void)
{
	struct tk_query q;

	parse_ok(&q, "status=pending&flag&status=error&empty=&status=");
	CU_ASSERT_EQUAL(q.n, 5);
	CU_ASSERT_EQUAL(tk_query_count(&q, "status"), 3);
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "status"), "pending");
	CU_ASSERT_STRING_EQUAL(tk_query_get_nth(&q, "status", 1), "error");
	CU_ASSERT_STRING_EQUAL(tk_query_get_nth(&q, "status", 2), "");
	CU_ASSERT_PTR_NULL(tk_query_get_nth(&q, "status", 3));
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "flag"), "");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "empty"), "");
	CU_ASSERT_EQUAL(tk_query_count(&q, "missing"), 0);
	/* Names are case-sensitive; order is kept. */
	CU_ASSERT_PTR_NULL(tk_query_get(&q, "Status"));
	CU_ASSERT_STRING_EQUAL(q.pair[1].name, "flag");
	CU_ASSERT_STRING_EQUAL(q.pair[3].name, "empty");
	tk_query_free(&q);
}

static void
test_rejections(void)
{
	parse_bad("=1", "empty name");
	parse_bad("a=1&=2", "empty name");
	parse_bad("page=%zz", "'page' has an invalid percent-encoding");
	parse_bad("page=%4", "'page' has an invalid percent-encoding");
	parse_bad("page=%", "'page' has an invalid percent-encoding");
	parse_bad("pa%g=1", "name 'pa%g' has an invalid percent-encoding");
	parse_bad("q=a%00b", "'q' contains a NUL byte");
	parse_bad("q%00=1", "contains a NUL byte");
	parse_bad("q=%ff", "'q' is not valid UTF-8");
	parse_bad("q=%c0%af", "'q' is not valid UTF-8");       /* overlong */
	parse_bad("q=%ed%a0%80", "'q' is not valid UTF-8");    /* surrogate */
	parse_bad("q=%e2%82", "'q' is not valid UTF-8");       /* cut short */
	parse_bad("%fe=1", "is not valid UTF-8");
	/* A hostile name is quoted safely in the message. */
	parse_bad("%27%0a=%ff", "query parameter '?" "?' is not valid UTF-8");
}

static void
test_limits(void)
{
	char qs[TK_QUERY_MAX + 64], name[TK_QUERY_MAX_NAME + 2];
	struct tk_query q;
	size_t i, len;

	/* Exactly 64 pairs pass, 65 do not. */
	for (i = 0, len = 0; i < TK_QUERY_MAX_PAIRS; i++)
		len += (size_t)snprintf(qs + len, sizeof(qs) - len,
		    "%sp%zu=%zu", i ? "&" : "", i, i);
	parse_ok(&q, qs);
	CU_ASSERT_EQUAL(q.n, TK_QUERY_MAX_PAIRS);
	CU_ASSERT_STRING_EQUAL(tk_query_get(&q, "p63"), "63");
	tk_query_free(&q);
	strcat(qs, "&x=1");
	parse_bad(qs, "more than 64 query parameters");

	/* Length: exactly 4096 bytes pass, 4097 do not. */
	qs[0] = '\0';
	for (i = 0; i < 4; i++) {
		len = strlen(qs);
		snprintf(qs + len, sizeof(qs) - len, "%sv%zu=",
		    i ? "&" : "", i);
		len = strlen(qs);
		memset(qs + len, 'a', i < 3 ? 1020 : 1021);
		qs[len + (i < 3 ? 1020 : 1021)] = '\0';
	}
	CU_ASSERT_EQUAL_FATAL(strlen(qs), TK_QUERY_MAX);
	parse_ok(&q, qs);
	CU_ASSERT_EQUAL(q.n, 4);
	CU_ASSERT_EQUAL(strlen(tk_query_get(&q, "v3")), 1021);
	tk_query_free(&q);
	strcat(qs, "a");
	parse_bad(qs, "longer than 4096 bytes");

	memset(qs, 'a', TK_QUERY_MAX);
	memcpy(qs, "v=", 2);
	qs[TK_QUERY_MAX] = '\0';
	parse_bad(qs, "'v' is too long");            /* value over 1024 */
	memset(qs, 'a', TK_QUERY_MAX);
	for (i = 1000; i < TK_QUERY_MAX; i += 1000)
		qs[i] = '&';
	qs[TK_QUERY_MAX] = '\0';
	parse_bad(qs, "name 'aaaa");                  /* names over 64 */
	for (i = 0; i < TK_QUERY_MAX; i += 16)
		memcpy(qs + i, "&abcdefghi=12345", 16);
	qs[TK_QUERY_MAX] = '\0';
	parse_bad(qs, "more than 64");                /* 256 pairs */
	memset(qs, 'a', sizeof(qs));
	qs[TK_QUERY_MAX + 1] = '\0';
	parse_bad(qs, "longer than 4096 bytes");

	/* Value of exactly 1024 decoded bytes, from 3072 raw bytes. */
	memcpy(qs, "v=", 3);
	for (i = 0; i < TK_QUERY_MAX_VALUE; i++)
		strcat(qs, "%41");
	parse_ok(&q, qs);
	CU_ASSERT_EQUAL(strlen(tk_query_get(&q, "v")), TK_QUERY_MAX_VALUE);
	tk_query_free(&q);
	strcat(qs, "A");
	parse_bad(qs, "'v' is too long");

	/* Name of exactly 64 bytes passes, 65 does not. */
	memset(name, 'n', TK_QUERY_MAX_NAME);
	name[TK_QUERY_MAX_NAME] = '\0';
	parse_ok(&q, name);
	CU_ASSERT_EQUAL(q.n, 1);
	tk_query_free(&q);
	strcat(name, "n");
	parse_bad(name, "is too long");
}

static void
test_uint(void)
{
	unsigned long long v = 0;
	struct {
		const char *s;
		tk_err      want;
		unsigned long long v;
	} cases[] = {
		{ "0", TK_OK, 0 }, { "7", TK_OK, 7 }, { "007", TK_OK, 7 },
		{ "18446744073709551615", TK_OK, 18446744073709551615ULL },
		{ "18446744073709551616", TK_ERR_BAD_REQUEST, 0 },
		{ "99999999999999999999999", TK_ERR_BAD_REQUEST, 0 },
		{ "", TK_ERR_BAD_REQUEST, 0 }, { "-1", TK_ERR_BAD_REQUEST, 0 },
		{ "+1", TK_ERR_BAD_REQUEST, 0 },
		{ " 1", TK_ERR_BAD_REQUEST, 0 },
		{ "1 ", TK_ERR_BAD_REQUEST, 0 },
		{ "0x10", TK_ERR_BAD_REQUEST, 0 },
		{ "1e3", TK_ERR_BAD_REQUEST, 0 },
		{ "1.0", TK_ERR_BAD_REQUEST, 0 },
		{ "abc", TK_ERR_BAD_REQUEST, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		CU_ASSERT_EQUAL(tk_parse_uint(cases[i].s, ~0ULL, &v),
		    cases[i].want);
		if (cases[i].want == TK_OK) {
			CU_ASSERT_EQUAL(v, cases[i].v);
		} else {
			CU_ASSERT_EQUAL(v, 12345);       /* untouched */
		}
	}
	CU_ASSERT_EQUAL(tk_parse_uint("100", 100, &v), TK_OK);
	CU_ASSERT_EQUAL(tk_parse_uint("101", 100, &v), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_parse_uint(NULL, 100, &v), TK_ERR_BAD_REQUEST);
}

static void
test_query_uint(void)
{
	struct tk_query q;
	unsigned long long page, per;
	char msg[256];

	parse_ok(&q, "page=3&per_page=0&big=101&neg=-1&twice=1&twice=2&x=abc");
	page = 1;
	CU_ASSERT_EQUAL(tk_query_uint(&q, "page", 1, 1000, &page, msg,
	    sizeof(msg)), TK_OK);
	CU_ASSERT_EQUAL(page, 3);
	per = 25;                                  /* absent: default kept */
	CU_ASSERT_EQUAL(tk_query_uint(&q, "missing", 1, 100, &per, msg,
	    sizeof(msg)), TK_OK);
	CU_ASSERT_EQUAL(per, 25);
	CU_ASSERT_EQUAL(tk_query_uint(&q, "per_page", 1, 100, &per, msg,
	    sizeof(msg)), TK_ERR_BAD_REQUEST);
	CU_ASSERT_STRING_EQUAL(msg, "query parameter 'per_page' must be an "
	    "integer between 1 and 100");
	CU_ASSERT_EQUAL(per, 25);
	CU_ASSERT_EQUAL(tk_query_uint(&q, "big", 1, 100, &per, msg,
	    sizeof(msg)), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_query_uint(&q, "neg", 0, 100, &per, msg,
	    sizeof(msg)), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_query_uint(&q, "x", 0, 100, &per, msg,
	    sizeof(msg)), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_query_uint(&q, "twice", 0, 100, &per, msg,
	    sizeof(msg)), TK_ERR_BAD_REQUEST);
	CU_ASSERT_STRING_EQUAL(msg, "query parameter 'twice' must be given "
	    "once");
	CU_ASSERT_EQUAL(per, 25);
	/* A NULL message buffer is allowed. */
	CU_ASSERT_EQUAL(tk_query_uint(&q, "x", 0, 100, &per, NULL, 0),
	    TK_ERR_BAD_REQUEST);
	tk_query_free(&q);
}

static void
test_query_bool(void)
{
	struct tk_query q;
	char msg[256];
	int b;

	parse_ok(&q, "t=true&f=false&one=1&zero=0&T=TRUE&yes=yes&e=&bare");
	b = -1;
	CU_ASSERT_EQUAL(tk_query_bool(&q, "t", &b, msg, sizeof(msg)), TK_OK);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_EQUAL(tk_query_bool(&q, "f", &b, msg, sizeof(msg)), TK_OK);
	CU_ASSERT_EQUAL(b, 0);
	CU_ASSERT_EQUAL(tk_query_bool(&q, "one", &b, msg, sizeof(msg)), TK_OK);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_EQUAL(tk_query_bool(&q, "zero", &b, msg, sizeof(msg)), TK_OK);
	CU_ASSERT_EQUAL(b, 0);
	b = -1;
	CU_ASSERT_EQUAL(tk_query_bool(&q, "absent", &b, msg, sizeof(msg)),
	    TK_OK);
	CU_ASSERT_EQUAL(b, -1);
	CU_ASSERT_EQUAL(tk_query_bool(&q, "T", &b, msg, sizeof(msg)),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_STRING_EQUAL(msg, "query parameter 'T' must be true, false, "
	    "1 or 0");
	CU_ASSERT_EQUAL(tk_query_bool(&q, "yes", &b, msg, sizeof(msg)),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_query_bool(&q, "e", &b, msg, sizeof(msg)),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_query_bool(&q, "bare", &b, msg, sizeof(msg)),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(b, -1);
	tk_query_free(&q);
}

TK_SUITE(http_query,
    { "empty", test_empty },
    { "encodings", test_encodings },
    { "repeats and empty values", test_repeats_and_empties },
    { "rejections", test_rejections },
    { "limits", test_limits },
    { "strict integers", test_uint },
    { "integer parameters", test_query_uint },
    { "boolean parameters", test_query_bool });
