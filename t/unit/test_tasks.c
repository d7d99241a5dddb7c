/*
 * test_tasks.c - the task API's pure helpers: UUIDv7 ids, strict request
 * bodies, request validation, the idempotency fingerprint, pagination,
 * status lists and the dependency analysis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "testlib.h"
#include "tasker/body_parser.h"
#include "tasker/deps.h"
#include "tasker/page.h"
#include "tasker/task_request.h"
#include "tasker/uuid.h"
#include "tasker/db.h"
#include "tasker/handler.h"
#include "store/rows.h"   /* tk_rows_iso_time: store-internal */

/* ---------------------------------------------------------------- ids */

static void
test_uuid_layout(void)
{
	unsigned char rnd[10] = { 0xff, 0xee, 0xff, 1, 2, 3, 4, 5, 6, 7 };
	unsigned char id[16];
	char s[TK_UUID_STR_SIZE];

	tk_uuid7_build(0x0190f1a27b3cULL, rnd, id);
	tk_uuid_format(id, s);
	/* time, version 7 + 12 bits, variant 10 + 62 bits */
	CU_ASSERT_STRING_EQUAL(s, "0190f1a2-7b3c-7fee-bf01-020304050607");
	CU_ASSERT_EQUAL(tk_uuid7_time(id), 0x0190f1a27b3cULL);
}

static void
test_uuid_parse(void)
{
	unsigned char id[16], back[16];
	char s[TK_UUID_STR_SIZE];

	CU_ASSERT_EQUAL(tk_uuid_parse("550e8400-e29b-41d4-a716-446655440000",
	    id), 0);
	tk_uuid_format(id, s);
	CU_ASSERT_STRING_EQUAL(s, "550e8400-e29b-41d4-a716-446655440000");
	CU_ASSERT_EQUAL(tk_uuid_parse("550E8400-E29B-41D4-A716-446655440000",
	    back), 0);
	CU_ASSERT_EQUAL(memcmp(id, back, 16), 0);
	CU_ASSERT_EQUAL(tk_uuid_parse(NULL, id), -1);
	CU_ASSERT_EQUAL(tk_uuid_parse("", id), -1);
	CU_ASSERT_EQUAL(tk_uuid_parse("550e8400e29b41d4a716446655440000", id),
	    -1);
	CU_ASSERT_EQUAL(tk_uuid_parse("550e8400-e29b-41d4-a716-44665544000",
	    id), -1);
	CU_ASSERT_EQUAL(tk_uuid_parse("550e8400-e29b-41d4-a716-4466554400000",
	    id), -1);
	CU_ASSERT_EQUAL(tk_uuid_parse("550e8400-e29b-41d4-a716_446655440000",
	    id), -1);
	CU_ASSERT_EQUAL(tk_uuid_parse("550e8400-e29b-41d4-a716-44665544000g",
	    id), -1);
	CU_ASSERT_EQUAL(tk_uuid_parse("{50e8400-e29b-41d4-a716-44665544000}",
	    id), -1);
	CU_ASSERT_EQUAL(tk_uuid_parse("550e8400--29b-41d4-a716-446655440000",
	    id), -1);
}

static void
test_uuid_monotonic(void)
{
	unsigned char prev[16], id[16];
	char s[TK_UUID_STR_SIZE];
	int i, ordered = 1;

	CU_ASSERT_EQUAL_FATAL(tk_uuid7_new(prev), TK_OK);
	for (i = 0; i < 20000; i++) {
		CU_ASSERT_EQUAL_FATAL(tk_uuid7_new(id), TK_OK);
		if (memcmp(prev, id, 16) >= 0)
			ordered = 0;
		memcpy(prev, id, 16);
	}
	CU_ASSERT(ordered);
	tk_uuid_format(id, s);
	CU_ASSERT_EQUAL(s[14], '7');
	CU_ASSERT(strchr("89ab", s[19]) != NULL);
	/* A recent time: after 2024-01-01 in milliseconds. */
	CU_ASSERT(tk_uuid7_time(id) > 1704067200000ULL);
}

/* ---------------------------------------------------------------- strict JSON */

static json_object *
parse_ok(const char *s)
{
	json_object *j = NULL;
	char msg[256];

	if (tk_json_parse_body(s, strlen(s), &j, msg, sizeof(msg), NULL) !=
	    TK_OK) {
		fprintf(stderr, "\nparse of %.60s failed: %s\n", s, msg);
		CU_FAIL("parse");
	}
	return j;
}

static void
parse_bad(const char *s, size_t len, const char *needle)
{
	json_object *j = NULL;
	char msg[256] = "";

	CU_ASSERT_EQUAL(tk_json_parse_body(s, len, &j, msg, sizeof(msg),
	    NULL), TK_ERR_BAD_REQUEST);
	CU_ASSERT_PTR_NULL(j);
	if (strstr(msg, needle) == NULL) {
		fprintf(stderr, "\nbody %.60s: message \"%s\" lacks \"%s\"\n",
		    s, msg, needle);
		CU_FAIL("message");
	}
	json_object_put(j);
}

#define BAD(s, needle) parse_bad((s), strlen(s), (needle))

static void
test_json_strict(void)
{
	char deep[200];
	int i;

	json_object_put(parse_ok("{\"a\":1}"));
	json_object_put(parse_ok(" \r\n{\"a\": [1, 2.5, -3e2, true, null]}\n "));
	json_object_put(parse_ok("{\"a\":18446744073709551615}"));
	json_object_put(parse_ok("{\"a\":-9223372036854775808}"));
	json_object_put(parse_ok("{\"a\":\"\\\\u0000\"}"));
	json_object_put(parse_ok("{\"NaN\":\"Infinity\"}"));
	/* A bare top-level number or literal is JSON (the caller then says
	 * it is not an object). */
	json_object_put(parse_ok("8"));
	json_object_put(parse_ok("-0"));
	json_object_put(parse_ok("true"));
	json_object_put(parse_ok("1.5"));
	BAD("null", "Request body is null; send a JSON object");
	BAD(" null\n", "Request body is null");
	BAD("tru", "unexpected end of input");
	BAD("-", "unexpected end of input");
	BAD("", "empty");
	BAD(" \n ", "empty");
	parse_bad(NULL, 0, "empty");
	BAD("{\"a\":1} x", "line 1, column 9");
	BAD("{\"a\":1}{}", "column 8");
	BAD("{\n  \"a\": x}", "line 2, column 8");
	BAD("{\"a\":", "unexpected end of input");
	BAD("[1,]", "column 4");
	BAD("{'a':1}", "column 2: strings must be in double quotes");
	BAD("{\"a\":NaN}", "no NaN or Infinity");
	BAD("{\"a\":Infinity}", "no NaN or Infinity");
	BAD("{\"a\":-Infinity}", "no NaN or Infinity");
	BAD("{\"a\":18446744073709551616}", "integer out of range");
	BAD("{\"a\":-9223372036854775809}", "integer out of range");
	BAD("{\"a\":99999999999999999999999}", "column 6");
	BAD("{\"a\":1e400}", "number out of range");
	BAD("{\"a\":\"x\\u0000\"}", "\\u0000");
	BAD("{\"a\\u0000b\":1}", "\\u0000");
	BAD("{\"a\":\"\xff\"}", "Invalid UTF-8 in the request body at line 1, "
	    "column 7");
	parse_bad("{\"a\":1}\0", 8, "Malformed JSON");
	for (i = 0; i < 41; i++)
		deep[i] = '[';
	for (i = 41; i < 82; i++)
		deep[i] = ']';
	deep[82] = '\0';
	BAD(deep, "nested deeper than 40");
}

/*
 * A body whose string (or key) is not strict UTF-8 is refused with the
 * member's path in details, as the API answers it.
 */
static void
utf8_bad(const char *s, const char *path, const char *needle)
{
	json_object *j = NULL, *d, *a;
	char msg[256] = "";

	d = json_object_new_object();
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(tk_json_parse_body(s, strlen(s), &j, msg, sizeof(msg),
	    d), TK_ERR_BAD_REQUEST);
	CU_ASSERT_PTR_NULL(j);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "Invalid UTF-8 in the request body"));
	CU_ASSERT_EQUAL(tk_details_count(d), 1);
	if (!json_object_object_get_ex(d, path, &a) ||
	    strstr(json_object_get_string(json_object_array_get_idx(a, 0)),
	    needle) == NULL) {
		fprintf(stderr, "\nbody %.60s: details %s lack %s: %s\n", s,
		    json_object_to_json_string(d), path, needle);
		CU_FAIL("details");
	}
	json_object_put(d);
}

static void
test_json_utf8(void)
{
	static const char *const forms[] = {
		"\xc0\xaf",             /* overlong '/' */
		"\xe0\x80\xaf",         /* overlong */
		"\xed\xa0\x80",         /* surrogate U+D800 */
		"\xf4\x90\x80\x80",     /* above U+10FFFF */
		"\xf5\x80\x80\x80",     /* no such lead byte */
		"\x80",                 /* a lone continuation byte */
		"\xe2\x82",             /* cut short */
	};
	json_object *j, *v;
	char body[200], path[32];
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		/* a value deep in context, a key, an array item */
		snprintf(body, sizeof(body), "{\"name\":\"x\",\"context\":"
		    "{\"customer\":{\"id\":1,\"name\":\"ab%scd\"}}}", forms[i]);
		utf8_bad(body, "context.customer.name", "must be valid UTF-8");
		snprintf(body, sizeof(body), "{\"context\":{\"k%s\":1}}",
		    forms[i]);
		/* each byte that is not UTF-8 is a '?' in the path */
		snprintf(path, sizeof(path), "context.k%.*s",
		    (int)strlen(forms[i]), "????");
		utf8_bad(body, path, "the key must be valid UTF-8");
		snprintf(body, sizeof(body), "{\"tags\":[\"a\",\"b\",\"%s\"]}",
		    forms[i]);
		utf8_bad(body, "tags[2]", "must be valid UTF-8");
		snprintf(body, sizeof(body), "{\"task\":{\"reason\":\"%s\"}}",
		    forms[i]);
		utf8_bad(body, "task.reason", "must be valid UTF-8");
	}
	/* Escapes json-c would turn into U+FFFD. */
	utf8_bad("{\"initiator\":\"\\ud800\"}", "initiator",
	    "'\\ud800' is half a surrogate pair");
	utf8_bad("{\"a\":[{\"b\":\"x\\uDC00\"}]}", "a[0].b",
	    "'\\uDC00' is half a surrogate pair");
	utf8_bad("{\"a\":\"\\ud83d\\u0041\"}", "a", "half a surrogate");
	utf8_bad("{\"\\ud800\":1}", "\\ud800", "half a surrogate");
	utf8_bad("[1,\"\xc0\xaf\"]", "body[1]", "must be valid UTF-8");
	utf8_bad("\"\xed\xa0\x80\"", "body", "must be valid UTF-8");
	/* The first problem in the text is the one named. */
	utf8_bad("{\"a\":\"\\udc00\",\"b\":\"\x80\"}", "a", "surrogate");
	/* Paths are cut and stay printable. */
	utf8_bad("{\"a.\\\"\xc3\xa9\x01\":\"\x80\"}", "a.\\\"\xc3\xa9?",
	    "must be valid");

	/* Valid text: every length of sequence, pairs, U+10FFFF. */
	j = parse_ok("{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
	    "\xf4\x8f\xbf\xbf \\ud83d\\ude00 \\uDBFF\\uDFFF \\u00e9\","
	    "\"\xc3\xa9\":[\"\xc2\x85\"]}");
	CU_ASSERT_FATAL(json_object_object_get_ex(j, "s", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "caf\xc3\xa9 "
	    "\xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xf0\x9f\x98\x80 "
	    "\xf4\x8f\xbf\xbf \xc3\xa9");
	json_object_put(j);
}

static void
test_json_depth(void)
{
	json_object *j = parse_ok("{\"a\":{\"b\":[1,{\"c\":[]}]},\"d\":2}");

	CU_ASSERT_EQUAL(tk_json_depth(j), 5);
	json_object_put(j);
	CU_ASSERT_EQUAL(tk_json_depth(NULL), 0);
}

/* ---------------------------------------------------------------- requests */

/* details[field] holds a message containing needle. */
static int
has_detail(json_object *d, const char *field, const char *needle)
{
	json_object *a;
	size_t i;

	if (!json_object_object_get_ex(d, field, &a))
		return 0;
	for (i = 0; i < json_object_array_length(a); i++)
		if (strstr(json_object_get_string(
		    json_object_array_get_idx(a, i)), needle) != NULL)
			return 1;
	return 0;
}

static const char guide_body[] =
    "{\"name\": \"process_payment\", \"namespace\": \"payments\","
    " \"version\": \"2.1.0\", \"context\": {\"payment_id\": 12345,"
    " \"amount\": 99.99, \"currency\": \"USD\", \"customer_id\": 67890}}";

static void
test_request_guide(void)
{
	json_object *b = parse_ok(guide_body), *d = json_object_new_object();
	struct tk_task_request r;

	CU_ASSERT_EQUAL(tk_task_request_parse(b, &r, d), TK_OK);
	CU_ASSERT_EQUAL(tk_details_count(d), 0);
	CU_ASSERT_STRING_EQUAL(r.name, "process_payment");
	CU_ASSERT_STRING_EQUAL(r.namespace_name, "payments");
	CU_ASSERT_STRING_EQUAL(r.version, "2.1.0");
	CU_ASSERT_EQUAL(r.semver.minor, 1);
	CU_ASSERT_STRING_EQUAL(tk_json_text(r.context, NULL),
	    "{\"payment_id\":12345,\"amount\":99.99,\"currency\":\"USD\","
	    "\"customer_id\":67890}");
	CU_ASSERT_PTR_NULL(r.initiator);
	CU_ASSERT_PTR_NULL(r.tags);
	tk_task_request_free(&r);
	json_object_put(b);
	json_object_put(d);
}

static void
test_request_defaults(void)
{
	json_object *b = parse_ok("{\"task\": {\"name\": \"a\", \"namespace\":"
	    " \"b\", \"version\": null, \"initiator\": \"ci\","
	    " \"tags\": [\"x\", \"y\"]}}"), *d = json_object_new_object();
	struct tk_task_request r;

	CU_ASSERT_EQUAL(tk_task_request_parse(b, &r, d), TK_OK);
	CU_ASSERT_PTR_NULL(r.version);
	CU_ASSERT_STRING_EQUAL(tk_json_text(r.context, NULL), "{}");
	CU_ASSERT_STRING_EQUAL(r.initiator, "ci");
	CU_ASSERT_EQUAL(json_object_array_length(r.tags), 2);
	tk_task_request_free(&r);
	json_object_put(b);
	json_object_put(d);
}

static void
test_request_problems(void)
{
	char big[400], deep[200];
	json_object *b, *d = json_object_new_object();
	struct tk_task_request r;
	int i;

	memset(big, 'x', 300);
	big[300] = '\0';
	b = json_object_new_object();
	json_object_object_add(b, "name", json_object_new_string("Bad Name"));
	json_object_object_add(b, "version", json_object_new_string("2.1.0.0"));
	json_object_object_add(b, "context", json_object_new_array());
	json_object_object_add(b, "initiator", json_object_new_string(big));
	json_object_object_add(b, "source_system", json_object_new_int(3));
	json_object_object_add(b, "reason", json_object_new_string("a\tb"));
	json_object_object_add(b, "tags", json_object_new_string("x"));
	json_object_object_add(b, "colour", json_object_new_string("red"));
	CU_ASSERT_EQUAL(tk_task_request_parse(b, &r, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "namespace", "must be present"));
	CU_ASSERT(has_detail(d, "name", "must be a handler name"));
	CU_ASSERT(has_detail(d, "version", "must be a valid semantic version"));
	CU_ASSERT(has_detail(d, "context", "must be a JSON object"));
	CU_ASSERT(has_detail(d, "initiator", "1 to 255 bytes"));
	CU_ASSERT(has_detail(d, "source_system", "must be a string"));
	CU_ASSERT(has_detail(d, "reason", "control characters"));
	CU_ASSERT(has_detail(d, "tags", "must be an array"));
	CU_ASSERT(has_detail(d, "colour", "is not a known field"));
	CU_ASSERT_EQUAL(tk_details_count(d), 9);
	tk_task_request_free(&r);
	json_object_put(b);
	json_object_put(d);

	/* Tags: too long, not a string, repeated. */
	d = json_object_new_object();
	b = parse_ok("{\"name\":\"a\",\"namespace\":\"b\",\"tags\":[\"x\",1,"
	    "\"x\",\"\"]}");
	CU_ASSERT_EQUAL(tk_task_request_parse(b, &r, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "tags", "item 1 must be a string"));
	CU_ASSERT(has_detail(d, "tags", "'x' is listed twice"));
	CU_ASSERT(has_detail(d, "tags", "item 3 must be 1 to 64 bytes"));
	CU_ASSERT_EQUAL(tk_details_count(d), 1);
	tk_task_request_free(&r);
	json_object_put(b);
	json_object_put(d);

	/* A context one level deeper than MariaDB stores. */
	strcpy(deep, "{\"name\":\"a\",\"namespace\":\"b\",\"context\":");
	for (i = 0; i < 32; i++)
		strcat(deep, i == 0 ? "{\"a\":" : "[");
	for (i = 0; i < 31; i++)
		strcat(deep, "]");
	strcat(deep, "}}");
	d = json_object_new_object();
	b = parse_ok(deep);
	CU_ASSERT_EQUAL(tk_task_request_parse(b, &r, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "context", "nested deeper than 31"));
	tk_task_request_free(&r);
	json_object_put(b);
	json_object_put(d);

	/* Not an object; a wrapper that is not one; keys next to it. */
	d = json_object_new_object();
	b = parse_ok("[1]");
	CU_ASSERT_EQUAL(tk_task_request_parse(b, &r, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "body", "must be a JSON object"));
	tk_task_request_free(&r);
	json_object_put(b);
	json_object_put(d);
	d = json_object_new_object();
	b = parse_ok("{\"task\": {\"name\":\"a\",\"namespace\":\"b\"},"
	    " \"name\": \"c\"}");
	CU_ASSERT_EQUAL(tk_task_request_parse(b, &r, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "name", "is not allowed next to 'task'"));
	tk_task_request_free(&r);
	json_object_put(b);
	json_object_put(d);
}

static void
hash_of(const char *body, char out[65])
{
	json_object *b = parse_ok(body), *d = json_object_new_object();
	struct tk_task_request r;

	CU_ASSERT_EQUAL(tk_task_request_parse(b, &r, d), TK_OK);
	CU_ASSERT_EQUAL(tk_task_request_hash(&r, out), TK_OK);
	tk_task_request_free(&r);
	json_object_put(b);
	json_object_put(d);
}

static void
test_request_hash(void)
{
	char a[65], b[65], c[65], e[65], f[65];

	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"context\":{\"x\":1,"
	    "\"y\":{\"b\":2,\"a\":\"\\u00e9\"}}}", a);
	hash_of("{\"task\": {\"context\": {\"y\": {\"a\": \"\xc3\xa9\","
	    " \"b\": 2}, \"x\": 1}, \"namespace\": \"n\", \"name\": \"p\"}}", b);
	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"context\":{\"x\":2,"
	    "\"y\":{\"b\":2,\"a\":\"\\u00e9\"}}}", c);
	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"version\":\"1.0.0\","
	    "\"context\":{\"x\":1,\"y\":{\"b\":2,\"a\":\"\\u00e9\"}}}", e);
	hash_of("{\"name\":\"p\",\"namespace\":\"n\"}", f);
	CU_ASSERT_EQUAL(strlen(a), 64);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_STRING_NOT_EQUAL(a, e);
	CU_ASSERT_STRING_NOT_EQUAL(a, f);
	/* The spelling is fixed while keys are stored: control bytes as
	 * \u00XX, absent members null (SHA-256 of that exact text). */
	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"reason\":\"ab\","
	    "\"context\":{\"k\":\"x\\ty\\n\"}}", a);
	CU_ASSERT_STRING_EQUAL(a, "d59a6deeee82a6b4d364cd9696d5ca07"
	    "6e09c7b6ac3cfe0599c82687c65be467");
}

/*
 * Fingerprints pinned before the key-sorted canonical JSON moved to
 * src/util/json_canon.c: numbers keep their text, every member and
 * tag is in, nested keys sorted, keys escaped like strings.
 */
static void
test_request_hash_pinned(void)
{
	char a[65], b[65];

	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"version\":\"1.2.3\","
	    "\"initiator\":\"me\",\"reason\":\"r\\\"q\\\\\","
	    "\"source_system\":\"s/t\",\"tags\":[\"t1\",\"t\\u00e9\"],"
	    "\"context\":{\"z\":[1.50,1e3,-0,18446744073709551615,"
	    "-9223372036854775808,true,false,null,\"a\\/b\\u0007\\n\"],"
	    "\"b\":{\"d\":{},\"c\":[]},\"\\u00e9\":\"x\",\"a\\\"q\":0.1,"
	    "\"B\":-2.5e-3}}", a);
	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"context\":"
	    "{\"k\":[[[{\"y\":{\"x\":1}}]]]},\"tags\":[]}", b);
	CU_ASSERT_STRING_EQUAL(a, "00333f3a9c303e226ad070fa9145da85"
	    "9daee000acb53a641f5af9654d38e67b");
	CU_ASSERT_STRING_EQUAL(b, "00cb535e7224443d9ffad368f686dbbd"
	    "464ce53008a437f6612e9fd2ef933c45");
}

/* "priority": a whole number from -100 to 100; null is absent; its
 * fingerprint member only when given (older keys keep theirs). */
static void
test_request_priority(void)
{
	static const char *const bad[] = { "101", "-101", "1.5", "\"5\"",
	    "true", "18446744073709551615", "-9223372036854775808", "[1]" };
	char body[128], a[65], b[65];
	json_object *j, *d;
	struct tk_task_request r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"a\",\"namespace\":"
		    "\"b\",\"priority\":%s}", bad[i]);
		d = json_object_new_object();
		j = parse_ok(body);
		CU_ASSERT_EQUAL(tk_task_request_parse(j, &r, d),
		    TK_ERR_VALIDATION);
		CU_ASSERT(has_detail(d, "priority", "from -100 to 100"));
		CU_ASSERT_EQUAL(tk_details_count(d), 1);
		CU_ASSERT_FALSE(r.has_priority);
		tk_task_request_free(&r);
		json_object_put(j);
		json_object_put(d);
	}
	d = json_object_new_object();
	j = parse_ok("{\"task\":{\"name\":\"a\",\"namespace\":\"b\","
	    "\"priority\":-100}}");
	CU_ASSERT_EQUAL(tk_task_request_parse(j, &r, d), TK_OK);
	CU_ASSERT(r.has_priority);
	CU_ASSERT_EQUAL(r.priority, -100);
	tk_task_request_free(&r);
	json_object_put(j);
	j = parse_ok("{\"name\":\"a\",\"namespace\":\"b\",\"priority\":null}");
	CU_ASSERT_EQUAL(tk_task_request_parse(j, &r, d), TK_OK);
	CU_ASSERT_FALSE(r.has_priority);
	tk_task_request_free(&r);
	json_object_put(j);
	json_object_put(d);
	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"priority\":null}", a);
	hash_of("{\"name\":\"p\",\"namespace\":\"n\"}", b);
	CU_ASSERT_STRING_EQUAL(a, b);
	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"priority\":0}", a);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	hash_of("{\"name\":\"p\",\"namespace\":\"n\",\"priority\":1}", b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static void
test_update_parse(void)
{
	json_object *b, *d = json_object_new_object();
	struct tk_task_update u;

	b = parse_ok("{\"reason\": null, \"tags\": [\"a\"]}");
	CU_ASSERT_EQUAL(tk_task_update_parse(b, &u, d), TK_OK);
	CU_ASSERT(u.set_reason);
	CU_ASSERT_PTR_NULL(u.reason);
	CU_ASSERT(u.set_tags);
	CU_ASSERT_PTR_NOT_NULL(u.tags);
	tk_task_update_free(&u);
	json_object_put(b);

	b = parse_ok("{\"status\": \"complete\", \"context\": {}}");
	CU_ASSERT_EQUAL(tk_task_update_parse(b, &u, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "status", "cannot be changed"));
	CU_ASSERT(has_detail(d, "context", "cannot be changed"));
	tk_task_update_free(&u);
	json_object_put(b);
	json_object_put(d);

	d = json_object_new_object();
	b = parse_ok("{}");
	CU_ASSERT_EQUAL(tk_task_update_parse(b, &u, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "body", "must set reason or tags"));
	tk_task_update_free(&u);
	json_object_put(b);
	json_object_put(d);
}

static void
test_step_update_parse(void)
{
	json_object *b, *d = json_object_new_object();
	struct tk_step_update u;

	b = parse_ok("{\"status\": \"resolved_manually\", \"results\":"
	    " {\"ok\": true}, \"reason\": \"paid by hand\"}");
	CU_ASSERT_EQUAL(tk_step_update_parse(b, &u, d), TK_OK);
	CU_ASSERT_EQUAL(u.status, TK_ST_RESOLVED_MANUALLY);
	CU_ASSERT_PTR_NOT_NULL(u.results);
	CU_ASSERT_STRING_EQUAL(u.reason, "paid by hand");
	tk_step_update_free(&u);
	json_object_put(b);

	b = parse_ok("{\"status\": \"complete\", \"results\": 3, \"x\": 1}");
	CU_ASSERT_EQUAL(tk_step_update_parse(b, &u, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "status", "resolved_manually"));
	CU_ASSERT(has_detail(d, "results", "must be a JSON object"));
	CU_ASSERT(has_detail(d, "x", "is not a known field"));
	tk_step_update_free(&u);
	json_object_put(b);
	json_object_put(d);

	d = json_object_new_object();
	b = parse_ok("{\"status\": \"cancelled\", \"results\": {}}");
	CU_ASSERT_EQUAL(tk_step_update_parse(b, &u, d), TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "results", "only be given with"));
	tk_step_update_free(&u);
	json_object_put(b);
	json_object_put(d);
}

static void
test_retry_parse(void)
{
	json_object *b, *d = json_object_new_object();
	const char *reason = "x";

	CU_ASSERT_EQUAL(tk_retry_request_parse(NULL, &reason, d), TK_OK);
	CU_ASSERT_PTR_NULL(reason);
	b = parse_ok("{\"reason\": \"fixed the gateway\"}");
	CU_ASSERT_EQUAL(tk_retry_request_parse(b, &reason, d), TK_OK);
	CU_ASSERT_STRING_EQUAL(reason, "fixed the gateway");
	json_object_put(b);
	b = parse_ok("{\"force\": true}");
	CU_ASSERT_EQUAL(tk_retry_request_parse(b, &reason, d),
	    TK_ERR_VALIDATION);
	CU_ASSERT(has_detail(d, "force", "is not a known field"));
	json_object_put(b);
	json_object_put(d);
}

/* ---------------------------------------------------------------- pages */

static void
test_page_parse(void)
{
	json_object *d = json_object_new_object();
	struct tk_page p;

	CU_ASSERT_EQUAL(tk_page_parse(NULL, NULL, 25, 100, &p, d), TK_OK);
	CU_ASSERT_EQUAL(p.page, 1);
	CU_ASSERT_EQUAL(p.per_page, 25);
	CU_ASSERT_EQUAL(p.offset, 0);
	CU_ASSERT_EQUAL(p.clamped, 0);
	CU_ASSERT_EQUAL(tk_page_parse("3", "10", 25, 100, &p, d), TK_OK);
	CU_ASSERT_EQUAL(p.offset, 20);
	CU_ASSERT_EQUAL(tk_page_parse("2", "500", 25, 100, &p, d), TK_OK);
	CU_ASSERT_EQUAL(p.per_page, 100);
	CU_ASSERT_EQUAL(p.offset, 100);
	CU_ASSERT(p.clamped);
	CU_ASSERT_EQUAL(tk_page_parse("1", "99999999999999999999999", 25, 100,
	    &p, d), TK_OK);
	CU_ASSERT_EQUAL(p.per_page, 100);
	CU_ASSERT_EQUAL(tk_page_parse("10000000", "100", 25, 100, &p, d),
	    TK_OK);
	CU_ASSERT_EQUAL(p.offset, 999999900ULL);
	CU_ASSERT_EQUAL(tk_details_count(d), 0);

	CU_ASSERT_EQUAL(tk_page_parse("0", "x", 25, 100, &p, d),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT(has_detail(d, "page", "between 1 and"));
	CU_ASSERT(has_detail(d, "per_page", "at least 1"));
	json_object_put(d);
	d = json_object_new_object();
	CU_ASSERT_EQUAL(tk_page_parse("-1", NULL, 25, 100, &p, d),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_page_parse("10000001", NULL, 25, 100, &p, d),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_page_parse("1.5", "0", 25, 100, &p, d),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_page_parse("", " 5", 25, 100, &p, d),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_page_parse(NULL, "-5", 25, 100, &p, d),
	    TK_ERR_BAD_REQUEST);
	json_object_put(d);
}

static void
test_total_pages(void)
{
	CU_ASSERT_EQUAL(tk_page_total_pages(0, 25), 0);
	CU_ASSERT_EQUAL(tk_page_total_pages(1, 25), 1);
	CU_ASSERT_EQUAL(tk_page_total_pages(25, 25), 1);
	CU_ASSERT_EQUAL(tk_page_total_pages(26, 25), 2);
	CU_ASSERT_EQUAL(tk_page_total_pages(42, 10), 5);
	CU_ASSERT_EQUAL(tk_page_total_pages(1000, 100), 10);
	CU_ASSERT_EQUAL(tk_page_total_pages(1001, 100), 11);
}

static void
test_status_list(void)
{
	json_object *d = json_object_new_object();
	unsigned m;

	CU_ASSERT_EQUAL(tk_status_list_parse("pending", &m, d), TK_OK);
	CU_ASSERT_EQUAL(m, 1u << TK_ST_PENDING);
	CU_ASSERT_EQUAL(tk_status_list_parse("error,pending,error", &m, d),
	    TK_OK);
	CU_ASSERT_EQUAL(m, (1u << TK_ST_PENDING) | (1u << TK_ST_ERROR));
	CU_ASSERT_EQUAL(tk_status_list_parse("pending,in_progress,complete,"
	    "error,cancelled,resolved_manually", &m, d), TK_OK);
	CU_ASSERT_EQUAL(m, TK_STATUS_ALL);
	CU_ASSERT_EQUAL(tk_details_count(d), 0);
	CU_ASSERT_EQUAL(tk_status_list_parse("pending,,done", &m, d),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT(has_detail(d, "status", "empty item"));
	CU_ASSERT(has_detail(d, "status", "unknown status 'done'"));
	CU_ASSERT_EQUAL(tk_status_list_parse("", &m, d), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_status_list_parse("Pending", &m, d),
	    TK_ERR_BAD_REQUEST);
	json_object_put(d);
}

/* ---------------------------------------------------------------- dependencies */

/* a -> b -> d, a -> c -> d (a diamond) */
static size_t pb[] = { 0 }, pc[] = { 0 }, pd[] = { 1, 2 };

static void
diamond(struct tk_handler_def *h, struct tk_step_def *s)
{
	memset(h, 0, sizeof(*h));
	memset(s, 0, 4 * sizeof(*s));
	s[1].parents = pb;
	s[1].nparents = 1;
	s[2].parents = pc;
	s[2].nparents = 1;
	s[3].parents = pd;
	s[3].nparents = 2;
	h->steps = s;
	h->nsteps = 4;
}

static void
test_deps(void)
{
	struct tk_handler_def h;
	struct tk_step_def s[4];
	struct tk_dep_step st[4] = {
		{ "a", TK_ST_COMPLETE, 0, 0, 1, 0 },
		{ "b", TK_ST_IN_PROGRESS, 0, 0, 1, 0 },
		{ "c", TK_ST_PENDING, 0, 0, 1, 0 },
		{ "d", TK_ST_PENDING, 0, 0, 1, 0 } };
	enum tk_dep_class cls[4];
	char an[TK_ANALYSIS_SIZE];

	diamond(&h, s);
	tk_deps_analyse(&h, st, 4, TK_ST_IN_PROGRESS, cls, an);
	CU_ASSERT_EQUAL(cls[0], TK_DEP_COMPLETED);
	CU_ASSERT_EQUAL(cls[1], TK_DEP_READY);
	CU_ASSERT_EQUAL(cls[2], TK_DEP_READY);
	CU_ASSERT_EQUAL(cls[3], TK_DEP_BLOCKED);
	CU_ASSERT_STRING_EQUAL(an, "Task is progressing normally through "
	    "dependency chain: 1 of 4 steps complete, 1 running, 1 ready to "
	    "run, 1 waiting on its parents.");

	st[0].status = TK_ST_PENDING;
	st[1].status = TK_ST_PENDING;
	tk_deps_analyse(&h, st, 4, TK_ST_PENDING, cls, an);
	CU_ASSERT_EQUAL(cls[0], TK_DEP_READY);
	CU_ASSERT_EQUAL(cls[1], TK_DEP_BLOCKED);
	CU_ASSERT_STRING_EQUAL(an, "Task has not started yet: 1 ready to "
	    "run, 3 waiting on their parents.");

	st[0].status = TK_ST_COMPLETE;
	st[1].status = TK_ST_ERROR;
	tk_deps_analyse(&h, st, 4, TK_ST_ERROR, cls, an);
	CU_ASSERT_EQUAL(cls[1], TK_DEP_FAILED);
	CU_ASSERT_STRING_EQUAL(an, "Task has failed: step 'b' has no "
	    "attempts left and 1 dependent step cannot run; retry the task "
	    "or resolve the step manually.");

	st[1].attempts_left = 1;
	tk_deps_analyse(&h, st, 4, TK_ST_IN_PROGRESS, cls, an);
	CU_ASSERT_EQUAL(cls[1], TK_DEP_READY);
	CU_ASSERT_STRING_EQUAL(an, "Step 'b' failed and will be retried; "
	    "1 of 4 steps complete.");

	st[1].status = TK_ST_CANCELLED;
	st[2].status = TK_ST_COMPLETE;
	tk_deps_analyse(&h, st, 4, TK_ST_IN_PROGRESS, cls, an);
	CU_ASSERT_EQUAL(cls[1], TK_DEP_CANCELLED);
	CU_ASSERT_EQUAL(cls[3], TK_DEP_BLOCKED);
	CU_ASSERT_STRING_EQUAL(an, "Task cannot finish: step 'b' was "
	    "cancelled and 1 step depends on it.");

	st[1].status = TK_ST_RESOLVED_MANUALLY;
	st[3].status = TK_ST_COMPLETE;
	tk_deps_analyse(&h, st, 4, TK_ST_COMPLETE, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Task is complete: all 4 steps finished, "
	    "1 of them resolved manually.");

	st[3].status = TK_ST_IN_PROGRESS;
	tk_deps_analyse(&h, st, 4, TK_ST_CANCELLED, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Task was cancelled with 3 of 4 steps "
	    "complete; a running step may still finish but will not revive "
	    "the task.");
}

/* The analysis of the diamond with statuses a, b, c, d (attempts left
 * for an error when left) in task status ts. */
static const char *
diamond_says(enum tk_status a, enum tk_status b, enum tk_status c,
    enum tk_status d, int left, enum tk_status ts)
{
	static char an[TK_ANALYSIS_SIZE];
	struct tk_handler_def h;
	struct tk_step_def s[4];
	struct tk_dep_step st[4] = { { "a", a, left, 0, 1, 0 },
	    { "b", b, left, 0, 1, 0 }, { "c", c, left, 0, 1, 0 },
	    { "d", d, left, 0, 1, 0 } };
	enum tk_dep_class cls[4];

	diamond(&h, s);
	tk_deps_analyse(&h, st, 4, ts, cls, an);
	return an;
}

/* The sentence reads well in every state: no "0 ..." parts, "running"
 * where a step runs, singular and plural right. */
/* A step held back by max_in_flight: pending with the reason, not
 * "ready to run". */
static void
test_deps_held(void)
{
	struct tk_handler_def h;
	struct tk_step_def s[4];
	struct tk_dep_step st[4] = {
		{ "a", TK_ST_COMPLETE, 0, 0, 1, 0 },
		{ "b", TK_ST_PENDING, 0, 1, 1, 0 },
		{ "c", TK_ST_PENDING, 0, 0, 1, 0 },
		{ "d", TK_ST_PENDING, 0, 0, 1, 0 } };
	enum tk_dep_class cls[4];
	char an[TK_ANALYSIS_SIZE];

	diamond(&h, s);
	tk_deps_analyse(&h, st, 4, TK_ST_IN_PROGRESS, cls, an);
	CU_ASSERT_EQUAL(cls[1], TK_DEP_READY);
	CU_ASSERT_STRING_EQUAL(an, "Task is progressing normally through "
	    "dependency chain: 1 of 4 steps complete, 1 ready to run, "
	    "1 waiting for a concurrency slot, 1 waiting on its parents.");
}

/* Held by a rate limit (held 2): its own reason, after a concurrency
 * slot's. */
static void
test_deps_rate_held(void)
{
	struct tk_handler_def h;
	struct tk_step_def s[4];
	struct tk_dep_step st[4] = {
		{ "a", TK_ST_COMPLETE, 0, 0, 1, 0 },
		{ "b", TK_ST_PENDING, 0, 2, 1, 0 },
		{ "c", TK_ST_PENDING, 0, 1, 1, 0 },
		{ "d", TK_ST_PENDING, 0, 0, 1, 0 } };
	enum tk_dep_class cls[4];
	char an[TK_ANALYSIS_SIZE];

	diamond(&h, s);
	tk_deps_analyse(&h, st, 4, TK_ST_IN_PROGRESS, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Task is progressing normally through "
	    "dependency chain: 1 of 4 steps complete, 1 waiting for a "
	    "concurrency slot, 1 waiting for its rate limit, 1 waiting on "
	    "its parents.");
	st[2].held = 2;
	tk_deps_analyse(&h, st, 4, TK_ST_IN_PROGRESS, cls, an);
	CU_ASSERT_PTR_NOT_NULL(strstr(an, "2 waiting for their rate limit"));
}

static void
test_deps_wording(void)
{
	struct tk_handler_def h;
	struct tk_step_def one;
	struct tk_dep_step st = { "only", TK_ST_PENDING, 0, 0, 1, 0 };
	enum tk_dep_class cls[1];
	char an[TK_ANALYSIS_SIZE];

	/* Running, none ready: no "0 ready" beside ready_steps ["b"]. */
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_COMPLETE, TK_ST_IN_PROGRESS,
	    TK_ST_COMPLETE, TK_ST_PENDING, 0, TK_ST_IN_PROGRESS),
	    "Task is progressing normally through dependency chain: 2 of 4 "
	    "steps complete, 1 running, 1 waiting on its parents.");
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_COMPLETE, TK_ST_IN_PROGRESS,
	    TK_ST_IN_PROGRESS, TK_ST_PENDING, 0, TK_ST_IN_PROGRESS),
	    "Task is progressing normally through dependency chain: 1 of 4 "
	    "steps complete, 2 running, 1 waiting on its parents.");
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_COMPLETE, TK_ST_COMPLETE,
	    TK_ST_COMPLETE, TK_ST_PENDING, 0, TK_ST_IN_PROGRESS),
	    "Task is progressing normally through dependency chain: 3 of 4 "
	    "steps complete, 1 ready to run.");
	/* Failed, nothing depends on it: no "0 dependent steps". */
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_COMPLETE, TK_ST_COMPLETE,
	    TK_ST_COMPLETE, TK_ST_ERROR, 0, TK_ST_ERROR),
	    "Task has failed: step 'd' has no attempts left; retry the task "
	    "or resolve the step manually.");
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_COMPLETE, TK_ST_ERROR,
	    TK_ST_ERROR, TK_ST_PENDING, 0, TK_ST_ERROR),
	    "Task has failed: steps 'b' and 'c' have no attempts left and 1 "
	    "dependent step cannot run; retry the task or resolve the steps "
	    "manually.");
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_ERROR, TK_ST_PENDING,
	    TK_ST_PENDING, TK_ST_PENDING, 0, TK_ST_ERROR),
	    "Task has failed: step 'a' has no attempts left and 3 dependent "
	    "steps cannot run; retry the task or resolve the step manually.");
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_COMPLETE, TK_ST_CANCELLED,
	    TK_ST_CANCELLED, TK_ST_PENDING, 0, TK_ST_IN_PROGRESS),
	    "Task cannot finish: steps 'b' and 'c' were cancelled and 1 step "
	    "depends on them.");
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_CANCELLED, TK_ST_PENDING,
	    TK_ST_PENDING, TK_ST_PENDING, 0, TK_ST_IN_PROGRESS),
	    "Task cannot finish: step 'a' was cancelled and 3 steps depend on "
	    "it.");
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_COMPLETE, TK_ST_ERROR,
	    TK_ST_ERROR, TK_ST_PENDING, 1, TK_ST_IN_PROGRESS),
	    "Step 'b' and 1 other failed and will be retried; 1 of 4 steps "
	    "complete.");
	CU_ASSERT_STRING_EQUAL(diamond_says(TK_ST_COMPLETE, TK_ST_IN_PROGRESS,
	    TK_ST_IN_PROGRESS, TK_ST_PENDING, 0, TK_ST_CANCELLED),
	    "Task was cancelled with 1 of 4 steps complete; running steps may "
	    "still finish but will not revive the task.");

	/* One step: singular throughout. */
	memset(&h, 0, sizeof(h));
	memset(&one, 0, sizeof(one));
	h.steps = &one;
	h.nsteps = 1;
	tk_deps_analyse(&h, &st, 1, TK_ST_PENDING, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Task has not started yet: 1 ready to "
	    "run.");
	st.status = TK_ST_IN_PROGRESS;
	tk_deps_analyse(&h, &st, 1, TK_ST_IN_PROGRESS, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Task is progressing normally through "
	    "dependency chain: 0 of 1 step complete, 1 running.");
	st.status = TK_ST_ERROR;
	st.attempts_left = 1;
	tk_deps_analyse(&h, &st, 1, TK_ST_IN_PROGRESS, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Step 'only' failed and will be retried; "
	    "0 of 1 step complete.");
	st.status = TK_ST_RESOLVED_MANUALLY;
	tk_deps_analyse(&h, &st, 1, TK_ST_COMPLETE, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Task is complete: its only step "
	    "finished, resolved manually.");
	st.status = TK_ST_COMPLETE;
	tk_deps_analyse(&h, &st, 1, TK_ST_COMPLETE, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Task is complete: its only step "
	    "finished.");
	st.status = TK_ST_PENDING;
	tk_deps_analyse(&h, &st, 1, TK_ST_CANCELLED, cls, an);
	CU_ASSERT_STRING_EQUAL(an, "Task was cancelled with 0 of 1 step "
	    "complete.");
}

/* Rows of one column holding copies of vals (NULL: SQL NULL). */
static void
rows_of(struct tk_rows *r, const char *const *vals, size_t n)
{
	size_t i;

	r->nrows = n;
	r->ncols = 1;
	r->cell = calloc(n, sizeof(*r->cell));
	r->len = calloc(n, sizeof(*r->len));
	for (i = 0; i < n; i++)
		if (vals[i] != NULL) {
			r->cell[i] = strdup(vals[i]);
			r->len[i] = strlen(vals[i]);
		}
}

static void
test_iso_time(void)
{
	static const char *const good[] = { "2026-11-27 15:04:23.123456",
	    NULL, "2024-01-15 10:30:00", "1999-12-31 23:59:59.999999" };
	static const char *const bad[][1] = { { "2026-11-27T15:04:23" },
	    { "2026-11-27 15:04" }, { "2026-11-27 15:04:23x" }, { "" },
	    { "20x6-11-27 15:04:23" } };
	struct tk_rows r = TK_ROWS_INIT;
	size_t i;

	rows_of(&r, good, 4);
	CU_ASSERT_EQUAL(tk_rows_iso_time(&r, 0), TK_OK);
	/* Whole seconds, cut (not rounded), as DATE_FORMAT's %s. */
	CU_ASSERT_STRING_EQUAL(tk_row_str(&r, 0, 0), "2026-11-27T15:04:23Z");
	CU_ASSERT_PTR_NULL(tk_row_str(&r, 1, 0));
	CU_ASSERT_STRING_EQUAL(tk_row_str(&r, 2, 0), "2024-01-15T10:30:00Z");
	CU_ASSERT_STRING_EQUAL(tk_row_str(&r, 3, 0), "1999-12-31T23:59:59Z");
	CU_ASSERT_EQUAL(r.len[0], 20);
	CU_ASSERT_EQUAL(r.len[2], 20);
	CU_ASSERT_EQUAL(tk_rows_iso_time(&r, 1), TK_ERR_INTERNAL);
	tk_rows_free(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rows_of(&r, bad[i], 1);
		CU_ASSERT_EQUAL(tk_rows_iso_time(&r, 0), TK_ERR_DB);
		tk_rows_free(&r);
	}
}

/* The diamond at a glance with statuses a, b, c, d (attempts left for an
 * error when left, b retryable when bretry) in task status ts. */
static struct tk_glance
diamond_glance(enum tk_status a, enum tk_status b, enum tk_status c,
    enum tk_status d, int left, int bretry, enum tk_status ts, int *deps_ok)
{
	struct tk_handler_def h;
	struct tk_step_def s[4];
	struct tk_dep_step st[4] = { { "a", a, left, 0, 1, 0 },
	    { "b", b, left, 0, bretry, 0 }, { "c", c, left, 0, 1, 0 },
	    { "d", d, left, 0, 1, 0 } };
	enum tk_dep_class cls[4];
	struct tk_glance g;
	int i;

	diamond(&h, s);
	tk_deps_glance(&h, st, 4, ts, cls, &g);
	for (i = 0; i < 4; i++)
		deps_ok[i] = st[i].deps_ok;
	return g;
}

/* execution_status, recommended_action, completion_percentage and each
 * step's dependencies_satisfied in every kind of state. */
static void
test_deps_glance(void)
{
	struct tk_glance g;
	int ok[4];

	g = diamond_glance(TK_ST_PENDING, TK_ST_PENDING, TK_ST_PENDING,
	    TK_ST_PENDING, 0, 1, TK_ST_PENDING, ok);
	CU_ASSERT_STRING_EQUAL(tk_exec_status_name(g.status),
	    "has_ready_steps");
	CU_ASSERT_STRING_EQUAL(tk_action_name(g.action), "wait");
	CU_ASSERT_EQUAL(g.percent, 0);
	CU_ASSERT(ok[0] && !ok[1] && !ok[2] && !ok[3]);
	g = diamond_glance(TK_ST_COMPLETE, TK_ST_IN_PROGRESS, TK_ST_COMPLETE,
	    TK_ST_PENDING, 0, 1, TK_ST_IN_PROGRESS, ok);
	CU_ASSERT_STRING_EQUAL(tk_exec_status_name(g.status), "processing");
	CU_ASSERT_EQUAL(g.percent, 50);
	CU_ASSERT(ok[0] && ok[1] && ok[2] && !ok[3]);
	g = diamond_glance(TK_ST_COMPLETE, TK_ST_ERROR, TK_ST_COMPLETE,
	    TK_ST_PENDING, 1, 1, TK_ST_IN_PROGRESS, ok);
	CU_ASSERT_STRING_EQUAL(tk_exec_status_name(g.status),
	    "waiting_for_retry");
	CU_ASSERT_STRING_EQUAL(tk_action_name(g.action), "wait");
	g = diamond_glance(TK_ST_COMPLETE, TK_ST_ERROR, TK_ST_COMPLETE,
	    TK_ST_PENDING, 0, 1, TK_ST_ERROR, ok);
	CU_ASSERT_STRING_EQUAL(tk_exec_status_name(g.status),
	    "blocked_by_failures");
	CU_ASSERT_STRING_EQUAL(tk_action_name(g.action), "retry_task");
	CU_ASSERT_EQUAL(g.step, SIZE_MAX);
	/* A step that may not be retried: resolve it. */
	g = diamond_glance(TK_ST_COMPLETE, TK_ST_ERROR, TK_ST_COMPLETE,
	    TK_ST_PENDING, 0, 0, TK_ST_ERROR, ok);
	CU_ASSERT_STRING_EQUAL(tk_action_name(g.action),
	    "resolve_step_manually");
	CU_ASSERT_EQUAL(g.step, 1);
	g = diamond_glance(TK_ST_COMPLETE, TK_ST_CANCELLED, TK_ST_COMPLETE,
	    TK_ST_PENDING, 0, 1, TK_ST_IN_PROGRESS, ok);
	CU_ASSERT_STRING_EQUAL(tk_action_name(g.action),
	    "resolve_step_manually");
	CU_ASSERT_EQUAL(g.step, 1);
	g = diamond_glance(TK_ST_COMPLETE, TK_ST_RESOLVED_MANUALLY,
	    TK_ST_COMPLETE, TK_ST_COMPLETE, 0, 1, TK_ST_COMPLETE, ok);
	CU_ASSERT_STRING_EQUAL(tk_exec_status_name(g.status), "all_complete");
	CU_ASSERT_STRING_EQUAL(tk_action_name(g.action), "none");
	CU_ASSERT_EQUAL(g.percent, 100);
	g = diamond_glance(TK_ST_COMPLETE, TK_ST_CANCELLED, TK_ST_CANCELLED,
	    TK_ST_CANCELLED, 0, 1, TK_ST_CANCELLED, ok);
	CU_ASSERT_STRING_EQUAL(tk_exec_status_name(g.status), "cancelled");
	CU_ASSERT_STRING_EQUAL(tk_action_name(g.action), "none");
	CU_ASSERT_EQUAL(g.percent, 25);
}

/* stale: longer than the status's threshold without a change; 0 is
 * never; final statuses never. */
static void
test_task_stale(void)
{
	unsigned after[TK_STALE_STATUSES] = { 0 };
	time_t t0 = 1705314600;   /* 2024-01-15T10:30:00Z */
	const char *at = "2024-01-15T10:30:00Z";

	after[TK_ST_PENDING] = 60;
	after[TK_ST_COMPLETE] = 60;
	CU_ASSERT_FALSE(tk_task_stale(TK_ST_PENDING, at, after, t0 + 60));
	CU_ASSERT_TRUE(tk_task_stale(TK_ST_PENDING, at, after, t0 + 61));
	CU_ASSERT_FALSE(tk_task_stale(TK_ST_IN_PROGRESS, at, after, t0 + 1e6));
	CU_ASSERT_FALSE(tk_task_stale(TK_ST_COMPLETE, at, after, t0 + 1e6));
	CU_ASSERT_FALSE(tk_task_stale(TK_ST_PENDING, "garbage", after,
	    t0 + 1e6));
	CU_ASSERT_FALSE(tk_task_stale(TK_ST_PENDING, NULL, after, t0 + 1e6));
}

TK_SUITE(tasks,
    { "uuid layout", test_uuid_layout },
    { "uuid parse", test_uuid_parse },
    { "uuid monotonic", test_uuid_monotonic },
    { "strict json", test_json_strict },
    { "strict json: UTF-8 with the member named", test_json_utf8 },
    { "json depth", test_json_depth },
    { "request: guide body", test_request_guide },
    { "request: defaults, wrapped form", test_request_defaults },
    { "request: every problem at once", test_request_problems },
    { "request: fingerprint", test_request_hash },
    { "request: fingerprint, pinned", test_request_hash_pinned },
    { "request: priority", test_request_priority },
    { "update request", test_update_parse },
    { "step update request", test_step_update_parse },
    { "retry request", test_retry_parse },
    { "page parameters", test_page_parse },
    { "total pages", test_total_pages },
    { "status list", test_status_list },
    { "dependency analysis", test_deps },
    { "dependency analysis wording in every state", test_deps_wording },
    { "dependency analysis: held by a limit", test_deps_held },
    { "dependency analysis: held by a rate limit", test_deps_rate_held },
    { "a task at a glance", test_deps_glance },
    { "stale tasks", test_task_stale },
    { "DATETIME text to API time stamps", test_iso_time });
