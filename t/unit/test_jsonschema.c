/*
 * test_jsonschema.c - the JSON Schema validator: messages and pointers a
 * client sees, load-time refusals an operator sees, hostile limits, and
 * the official JSON Schema Test Suite (draft 7) for every claimed keyword.
 *
 * Suites: "jsonschema" (our own cases, fixtures in t/fixtures/jsonschema)
 * and "jsonschema_suite" (the Debian package json-schema-test-suite,
 * read from SUITE_DIR at run time; its absence is a failure, not a skip).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "testlib.h"
#include "tasker/diag.h"
#include "tasker/jsonschema.h"

#define SUITE_ROOT	"/usr/share/json-schema-test-suite/tests"
#define SUITE_DIR	SUITE_ROOT "/draft7"
#define MAX_FILE	(4 * 1024 * 1024)
#define PARSE_DEPTH	64

/* ---- helpers ---- */

/* Parses text strictly with a depth limit; the whole text must be one
 * JSON value.  *ok is cleared on failure. */
static json_object *
parse_len(const char *text, size_t len, int *ok)
{
	struct json_tokener *tok;
	json_object *o;
	size_t end;

	*ok = 0;
	if ((tok = json_tokener_new_ex(PARSE_DEPTH)) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		/* A top-level number needs a terminator to end. */
		o = json_tokener_parse_ex(tok, "", 1);
		end = len;
	}
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r\n", text[end]) != NULL)
		end++;
	if (end < len && text[end] != '\0') {
		json_object_put(o);
		return NULL;
	}
	*ok = 1;
	return o;
}

static json_object *
parse(const char *text)
{
	json_object *o;
	int ok;

	o = parse_len(text, strlen(text), &ok);
	CU_ASSERT_FATAL(ok);
	return o;
}

/* Reads and parses a JSON file; *ok cleared on any failure. */
static json_object *
load_file(const char *path, int *ok)
{
	json_object *o = NULL;
	size_t n = 0;
	char *buf;
	FILE *f;

	*ok = 0;
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(MAX_FILE + 1)) != NULL) {
		n = fread(buf, 1, MAX_FILE + 1, f);
		if (!ferror(f) && n <= MAX_FILE)
			o = parse_len(buf, n, ok);
		free(buf);
	}
	fclose(f);
	return o;
}

static struct tk_schema *
compile_ok(const char *text)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_schema *s = NULL;
	json_object *j = parse(text);
	tk_err e;

	e = tk_schema_compile(j, &s, &d);
	if (e != TK_OK)
		tk_diag_print(&d, stderr, "unexpected: ");
	CU_ASSERT_EQUAL(e, TK_OK);
	tk_diag_free(&d);
	json_object_put(j);
	return s;
}

/* Compiles text expecting refusal; messages land in d. */
static void
compile_bad(const char *text, struct tk_diag *d)
{
	struct tk_schema *s = NULL;
	json_object *j = parse(text);

	CU_ASSERT_EQUAL(tk_schema_compile(j, &s, d), TK_ERR_DEFINITION);
	CU_ASSERT_PTR_NULL(s);
	json_object_put(j);
}

static int
has(const struct tk_schema_result *r, const char *ptr, const char *msg)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].pointer, ptr) == 0 &&
		    strcmp(r->v[i].message, msg) == 0)
			return 1;
	fprintf(stderr, "\nmissing violation %s: %s; have:\n", ptr, msg);
	for (i = 0; i < r->n; i++)
		fprintf(stderr, "  '%s': %s\n", r->v[i].pointer,
		    r->v[i].message);
	return 0;
}

/* Validates instance text; returns the result code, fills r. */
static tk_err
check(const struct tk_schema *s, const char *text,
    struct tk_schema_result *r)
{
	json_object *i = parse(text);
	tk_err e;

	e = tk_schema_validate(s, i, r);
	json_object_put(i);
	return e;
}

/* One violation expected: at ptr with msg. */
static void
expect_one(const char *schema, const char *inst, const char *ptr,
    const char *msg)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	struct tk_schema *s = compile_ok(schema);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(check(s, inst, &r), TK_ERR_VALIDATION);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_TRUE(has(&r, ptr, msg));
	tk_schema_result_free(&r);
	tk_schema_free(s);
}

static void
expect_valid(const char *schema, const char *inst)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	struct tk_schema *s = compile_ok(schema);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(check(s, inst, &r), TK_OK);
	CU_ASSERT_EQUAL(r.n, 0);
	tk_schema_result_free(&r);
	tk_schema_free(s);
}

/* ---- messages and pointers ---- */

static struct tk_schema *
order_schema(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_schema *s = NULL;
	json_object *j;
	int ok;

	j = load_file(tk_fixture("jsonschema/order.schema.json"), &ok);
	CU_ASSERT_FATAL(ok);
	CU_ASSERT_EQUAL(tk_schema_compile(j, &s, &d), TK_OK);
	tk_diag_print(&d, stderr, "order.schema.json: ");
	tk_diag_free(&d);
	json_object_put(j);
	return s;
}

static void
test_order_every_violation(void)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	struct tk_schema *s = order_schema();
	json_object *i;
	int ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	i = load_file(tk_fixture("jsonschema/order.bad.json"), &ok);
	CU_ASSERT_FATAL(ok);
	CU_ASSERT_EQUAL(tk_schema_validate(s, i, &r), TK_ERR_VALIDATION);
	CU_ASSERT_EQUAL(r.n, 10);
	CU_ASSERT_FALSE(r.truncated);
	CU_ASSERT_TRUE(has(&r, "/customer", "is required"));
	CU_ASSERT_TRUE(has(&r, "/amount", "must be >= 0"));
	CU_ASSERT_TRUE(has(&r, "/currency",
	    "must be one of: \"USD\", \"EUR\""));
	CU_ASSERT_TRUE(has(&r, "/items/1/sku",
	    "must match pattern \"^[A-Z]{3}-\\d{4}$\""));
	CU_ASSERT_TRUE(has(&r, "/items/1/qty", "must be >= 1"));
	CU_ASSERT_TRUE(has(&r, "/items/2/sku", "must be a string"));
	CU_ASSERT_TRUE(has(&r, "/items/2/colour",
	    "additional property 'colour' is not allowed"));
	CU_ASSERT_TRUE(has(&r, "/a~1b~0c", "must be a string"));
	CU_ASSERT_TRUE(has(&r, "/tags",
	    "must not contain duplicate items (items 0 and 2 are equal)"));
	CU_ASSERT_TRUE(has(&r, "/foo",
	    "additional property 'foo' is not allowed"));
	/* Required members come first, then members in document order. */
	if (r.n == 10) {
		CU_ASSERT_STRING_EQUAL(r.v[0].pointer, "/customer");
		CU_ASSERT_STRING_EQUAL(r.v[9].pointer, "/foo");
	}
	tk_schema_result_free(&r);
	CU_ASSERT_EQUAL(r.n, 0);
	/* Quiet mode: same answer, nothing recorded. */
	CU_ASSERT_EQUAL(tk_schema_validate(s, i, NULL), TK_ERR_VALIDATION);
	json_object_put(i);
	tk_schema_free(s);
}

static void
test_order_valid(void)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	struct tk_schema *s = order_schema();
	json_object *i;
	int ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	i = load_file(tk_fixture("jsonschema/order.good.json"), &ok);
	CU_ASSERT_FATAL(ok);
	CU_ASSERT_EQUAL(tk_schema_validate(s, i, &r), TK_OK);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(tk_schema_validate(s, i, NULL), TK_OK);
	json_object_put(i);
	tk_schema_free(s);
}

static void
test_type_messages(void)
{
	expect_one("{\"type\": \"integer\"}", "1.5", "",
	    "must be an integer");
	expect_valid("{\"type\": \"integer\"}", "1.0");
	expect_one("{\"type\": [\"string\", \"null\"]}", "1", "",
	    "must be a string or null");
	expect_one("{\"type\": [\"null\", \"array\", \"object\"]}", "true",
	    "", "must be an object, an array or null");
	expect_one("{\"type\": [\"integer\", \"number\"]}", "\"x\"", "",
	    "must be a number");
	expect_one("{\"items\": {\"type\": \"boolean\"}}", "[true, 0]", "/1",
	    "must be a boolean");
}

static void
test_bound_messages(void)
{
	expect_one("{\"maximum\": 0.1}", "0.2", "", "must be <= 0.1");
	expect_one("{\"exclusiveMinimum\": 0}", "0", "", "must be > 0");
	expect_one("{\"exclusiveMaximum\": 1e3}", "1000", "",
	    "must be < 1000");
	expect_one("{\"multipleOf\": 0.01}", "0.015", "",
	    "must be a multiple of 0.01");
	expect_one("{\"minLength\": 1}", "\"\"", "",
	    "must be at least 1 character long");
	expect_one("{\"maxLength\": 3}", "\"\\u65e5\\u672c\\u8a9e!\"", "",
	    "must be at most 3 characters long");
	expect_valid("{\"maxLength\": 3}", "\"\\u65e5\\u672c\\u8a9e\"");
	expect_one("{\"minItems\": 2}", "[1]", "", "must have at least 2 items");
	expect_one("{\"maxItems\": 1}", "[1, 2]", "", "must have at most 1 item");
	expect_one("{\"minProperties\": 1}", "{}", "",
	    "must have at least 1 property");
	expect_one("{\"const\": {\"a\": [1]}}", "{\"a\": [2]}", "",
	    "must be equal to {\"a\":[1]}");
	expect_one("{\"enum\": [\"only\"]}", "\"other\"", "",
	    "must be equal to \"only\"");
	expect_one("{\"pattern\": \"^a+$\"}", "\"ab\"", "",
	    "must match pattern \"^a+$\"");
}

static void
test_combinator_messages(void)
{
	expect_one("{\"anyOf\": [{\"type\": \"string\"}, {\"minimum\": 5}]}",
	    "1", "", "must match at least one of the 2 schemas in anyOf");
	expect_one("{\"oneOf\": [{\"minimum\": 0}, {\"maximum\": 10}]}", "5",
	    "", "must match exactly one schema in oneOf, but matches both "
	    "oneOf/0 and oneOf/1");
	expect_one("{\"oneOf\": [{\"minimum\": 20}, {\"maximum\": 0}]}", "5",
	    "", "must match exactly one of the 2 schemas in oneOf, but "
	    "matches none");
	expect_one("{\"properties\": {\"x\": {\"not\": {\"type\": "
	    "\"null\"}}}}", "{\"x\": null}", "/x",
	    "must not match the schema in not");
	/* then/else report their own violations, at their own pointers. */
	expect_one("{\"if\": {\"properties\": {\"kind\": {\"const\": \"card\"}}},"
	    " \"then\": {\"required\": [\"pan\"]},"
	    " \"else\": {\"required\": [\"iban\"]}}",
	    "{\"kind\": \"card\"}", "/pan", "is required");
	expect_one("{\"if\": {\"properties\": {\"kind\": {\"const\": \"card\"}}},"
	    " \"then\": {\"required\": [\"pan\"]},"
	    " \"else\": {\"required\": [\"iban\"]}}",
	    "{\"kind\": \"sepa\"}", "/iban", "is required");
	/* allOf reports every failing branch. */
	{
		struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
		struct tk_schema *s = compile_ok("{\"allOf\": [{\"minimum\": "
		    "10}, {\"multipleOf\": 4}]}");

		CU_ASSERT_EQUAL(check(s, "5", &r), TK_ERR_VALIDATION);
		CU_ASSERT_EQUAL(r.n, 2);
		CU_ASSERT_TRUE(has(&r, "", "must be >= 10"));
		CU_ASSERT_TRUE(has(&r, "", "must be a multiple of 4"));
		tk_schema_result_free(&r);
		tk_schema_free(s);
	}
	expect_one("{\"contains\": {\"const\": 1}}", "[2, 3]", "",
	    "must contain at least one item that matches the contains "
	    "schema");
}

static void
test_object_messages(void)
{
	expect_one("{\"propertyNames\": {\"maxLength\": 3}}",
	    "{\"abc\": 1, \"toolong\": 2}", "/toolong",
	    "property name 'toolong' must be at most 3 characters long");
	expect_one("{\"dependencies\": {\"card\": [\"cvv\"]}}",
	    "{\"card\": \"4111\"}", "/cvv",
	    "is required when 'card' is present");
	expect_one("{\"dependencies\": {\"card\": {\"required\": [\"exp\"]}}}",
	    "{\"card\": \"4111\"}", "/exp", "is required");
	expect_one("{\"properties\": {\"a\": false}}", "{\"a\": 1}", "/a",
	    "is not allowed");
	expect_one("{\"items\": [{}], \"additionalItems\": false}", "[1, 2]",
	    "/1", "additional item is not allowed (at most 1 item)");
	expect_one("{\"patternProperties\": {\"^n_\": {\"type\": \"number\"}},"
	    " \"additionalProperties\": {\"type\": \"string\"}}",
	    "{\"n_1\": 1, \"s\": \"x\", \"t\": 2}", "/t", "must be a string");
	expect_one("{\"required\": [\"a/b\", \"m~n\", \"\"]}",
	    "{\"a/b\": 1, \"\": 2}", "/m~0n", "is required");
	/* The empty name is a member too: its pointer is "/". */
	expect_one("{\"required\": [\"\"]}", "{}", "/", "is required");
}

static void
test_nested_pointers(void)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	struct tk_schema *s;

	s = compile_ok("{\"properties\": {\"a\": {\"items\": {\"properties\":"
	    " {\"b/c\": {\"items\": {\"type\": \"integer\"}}}}}}}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(check(s, "{\"a\": [{}, {\"b/c\": [1, \"x\", 2.5]}]}",
	    &r), TK_ERR_VALIDATION);
	CU_ASSERT_EQUAL(r.n, 2);
	CU_ASSERT_TRUE(has(&r, "/a/1/b~1c/1", "must be an integer"));
	CU_ASSERT_TRUE(has(&r, "/a/1/b~1c/2", "must be an integer"));
	tk_schema_result_free(&r);
	tk_schema_free(s);
}

/* Hostile sizes: a huge key, many violations. */
static void
test_limits(void)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	struct tk_schema *s;
	json_object *o, *a;
	char *key;
	size_t i;

	s = compile_ok("{\"additionalProperties\": false}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	key = malloc(5001);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	memset(key, 'k', 5000);
	key[5000] = '\0';
	o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_int(1));
	CU_ASSERT_EQUAL(tk_schema_validate(s, o, &r), TK_ERR_VALIDATION);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT(strlen(r.v[0].pointer) <= TK_SCHEMA_MAX_POINTER + 3);
	CU_ASSERT(strcmp(r.v[0].pointer + strlen(r.v[0].pointer) - 3,
	    "...") == 0);
	CU_ASSERT(strlen(r.v[0].message) < 200);
	tk_schema_result_free(&r);
	json_object_put(o);
	free(key);
	tk_schema_free(s);

	/* 500 bad items: 100 violations kept, the rest dropped and said so. */
	s = compile_ok("{\"items\": {\"type\": \"string\"}}");
	a = json_object_new_array();
	for (i = 0; i < 500; i++)
		json_object_array_add(a, json_object_new_int((int32_t)i));
	CU_ASSERT_EQUAL(tk_schema_validate(s, a, &r), TK_ERR_VALIDATION);
	CU_ASSERT_EQUAL(r.n, TK_SCHEMA_MAX_VIOLATIONS);
	CU_ASSERT_TRUE(r.truncated);
	CU_ASSERT_STRING_EQUAL(r.v[99].pointer, "/99");
	tk_schema_result_free(&r);
	json_object_put(a);
	tk_schema_free(s);
}

/* Builds [[[...]]] n deep without the parser's depth limit. */
static json_object *
deep_array(size_t n)
{
	json_object *o = json_object_new_int(1), *a;
	size_t i;

	for (i = 0; i < n; i++) {
		a = json_object_new_array();
		json_object_array_add(a, o);
		o = a;
	}
	return o;
}

static void
test_depth_limits(void)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_schema *s = NULL;
	json_object *deep, *schema, *arr;
	size_t i;

	/* A schema nested 40 levels is refused, not recursed into. */
	schema = json_object_new_object();
	for (i = 0; i < 40; i++) {
		json_object *outer = json_object_new_object();

		json_object_object_add(outer, "items", schema);
		schema = outer;
	}
	CU_ASSERT_EQUAL(tk_schema_compile(schema, &s, &d), TK_ERR_DEFINITION);
	CU_ASSERT_TRUE(tk_diag_has(&d, "schema nested deeper than 32 levels"));
	CU_ASSERT_EQUAL(d.n, 1);
	tk_diag_free(&d);
	json_object_put(schema);

	/* A 100000-deep instance: validation follows the schema only. */
	deep = deep_array(100000);
	s = compile_ok("{\"items\": {\"items\": {\"type\": \"array\"}}}");
	CU_ASSERT_EQUAL(tk_schema_validate(s, deep, &r), TK_OK);
	tk_schema_free(s);
	/* const/enum values are at most 64 deep, so comparing stops there. */
	s = compile_ok("{\"const\": [[1]]}");
	CU_ASSERT_EQUAL(tk_schema_validate(s, deep, &r), TK_ERR_VALIDATION);
	CU_ASSERT_TRUE(has(&r, "", "must be equal to [[1]]"));
	tk_schema_result_free(&r);
	tk_schema_free(s);
	/* Comparing two instance values stops at the limit and says so. */
	s = compile_ok("{\"uniqueItems\": true}");
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_get(deep));
	json_object_array_add(arr, json_object_new_int(2));
	CU_ASSERT_EQUAL(tk_schema_validate(s, arr, &r), TK_OK);
	json_object_array_add(arr, json_object_get(deep));
	CU_ASSERT_EQUAL(tk_schema_validate(s, arr, &r), TK_ERR_VALIDATION);
	CU_ASSERT_TRUE(has(&r, "", "is nested too deeply to compare"));
	tk_schema_result_free(&r);
	/* ... also on the hashed path of long arrays. */
	for (i = 0; i < 20; i++)
		json_object_array_add(arr, json_object_new_int((int32_t)i + 10));
	CU_ASSERT_EQUAL(tk_schema_validate(s, arr, &r), TK_ERR_VALIDATION);
	CU_ASSERT_TRUE(has(&r, "", "is nested too deeply to compare"));
	tk_schema_result_free(&r);
	json_object_put(arr);
	tk_schema_free(s);
	json_object_put(deep);
}

/* ---- load-time refusals ---- */

static void
test_unsupported_keywords(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	compile_bad("{\"type\": \"object\","
	    " \"properties\": {\"a/b\": {\"$ref\": \"#/definitions/x\"},"
	    "   \"c\": {\"items\": [{\"minimun\": 1}]}},"
	    " \"definitions\": {\"x\": {}},"
	    " \"patternProperties\": {\"^x\\\\K\": {}},"
	    " \"unevaluatedProperties\": false}", &d);
	CU_ASSERT_EQUAL(d.n, 5);
	CU_ASSERT_TRUE(tk_diag_has(&d,
	    "/properties/a~1b/$ref: keyword not supported"));
	CU_ASSERT_TRUE(tk_diag_has(&d,
	    "/properties/c/items/0/minimun: keyword not supported"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/definitions: keyword not supported"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/patternProperties/^x\\K: pattern "
	    "not supported: an escape that is not ECMA-262"));
	CU_ASSERT_TRUE(tk_diag_has(&d,
	    "/unevaluatedProperties: keyword not supported"));
	tk_diag_free(&d);
}

static void
test_bad_keyword_values(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	compile_bad("{\"minimum\": \"0\", \"type\": \"strin\","
	    " \"required\": [\"a\", \"a\"], \"maxLength\": -1,"
	    " \"exclusiveMinimum\": true, \"enum\": [], \"multipleOf\": 0,"
	    " \"items\": [1], \"properties\": {\"p\": {\"minItems\": 1.5}},"
	    " \"allOf\": [], \"uniqueItems\": 1, \"title\": 3,"
	    " \"maximum\": 1e400}", &d);
	CU_ASSERT_TRUE(tk_diag_has(&d, "/minimum: must be a number"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/type: unknown type \"strin\""));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/required: must not repeat \"a\""));
	CU_ASSERT_TRUE(tk_diag_has(&d,
	    "/maxLength: must be a non-negative integer"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/exclusiveMinimum: must be a number "
	    "(the draft-04 boolean form is not supported)"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/enum: must be a non-empty array"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/multipleOf: must be greater than 0"));
	CU_ASSERT_TRUE(tk_diag_has(&d,
	    "/items/0: a schema must be an object or a boolean"));
	CU_ASSERT_TRUE(tk_diag_has(&d,
	    "/properties/p/minItems: must be a non-negative integer"));
	CU_ASSERT_TRUE(tk_diag_has(&d,
	    "/allOf: must be a non-empty array of schemas"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/uniqueItems: must be a boolean"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/title: must be a string"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "/maximum: must be a finite number"));
	CU_ASSERT_EQUAL(d.n, 13);
	tk_diag_free(&d);

	compile_bad("[]", &d);
	CU_ASSERT_TRUE(tk_diag_has(&d,
	    "(root): a schema must be an object or a boolean"));
	tk_diag_free(&d);
	compile_bad("{\"$schema\": \"http://json-schema.org/draft-04/schema#\"}",
	    &d);
	CU_ASSERT_TRUE(tk_diag_has(&d, "/$schema: dialect not supported"));
	tk_diag_free(&d);
}

static void
test_pattern_refusals(void)
{
	static const struct {
		const char *pattern;	/* as JSON string contents */
		const char *why;
	} cases[] = {
		/* ECMA-262 syntax errors, in PCRE2's words */
		{ "(a", "missing closing parenthesis" },
		{ "a)", "unmatched closing parenthesis" },
		{ "[a", "unterminated character class" },
		{ "a{3,2}", "numbers out of order" },
		{ "a{70000}", "number too big" },
		{ "*a", "quantifier does not follow a repeatable item" },
		{ "(?<n>a)\\\\k<m>", "non-existent subpattern" },
		{ "((((((((((((((((((((((((((((((((((("
		  "(((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))"
		  ")))))))))))))))))))))))))))))))))))",
		  "too deeply nested" },
		/* ours: escapes and groups ECMA-262 does not have */
		{ "\\\\ud800", "lone surrogate" },
		{ "\\\\ud83dx", "lone surrogate" },
		{ "\\\\u{110000}", "bad \\u{...} escape" },
		{ "\\\\u12", "\\u needs four hex digits" },
		{ "\\\\x4", "\\x needs two hex digits" },
		{ "\\\\c1", "\\c needs a letter" },
		{ "a\\\\01", "octal escapes" },
		{ "\\\\q", "an escape that is not ECMA-262" },
		{ "\\\\Qa\\\\E", "an escape that is not ECMA-262" },
		{ "a\\\\K", "an escape that is not ECMA-262" },
		{ "\\\\R", "an escape that is not ECMA-262" },
		{ "\\\\-", "an escape that is not ECMA-262" },
		{ "\\\\\\u00e9", "an escape that is not ECMA-262" },
		{ "a\\\\", "a pattern cannot end with a backslash" },
		{ "[\\\\B]", "\\B in a character class" },
		{ "[\\\\1]", "a backreference in a character class" },
		{ "a++", "possessive quantifiers" },
		{ "a{2}+", "possessive quantifiers" },
		{ "(?>a)", "this (? group is not ECMA-262" },
		{ "(?i)a", "this (? group is not ECMA-262" },
		{ "(?#c)a", "this (? group is not ECMA-262" },
		{ "(*FAIL)", "(*...) verbs are not ECMA-262" },
	};
	struct tk_diag d = TK_DIAG_INIT;
	char schema[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(schema, sizeof(schema), "{\"properties\": {\"p\":"
		    " {\"pattern\": \"%s\"}}}", cases[i].pattern);
		compile_bad(schema, &d);
		if (!tk_diag_has(&d, cases[i].why) ||
		    !tk_diag_has(&d, "/properties/p/pattern: pattern not "
		    "supported: ")) {
			fprintf(stderr, "\npattern %s:\n", cases[i].pattern);
			tk_diag_print(&d, stderr, "  ");
			CU_FAIL("pattern refused for the wrong reason");
		}
		tk_diag_free(&d);
	}
}

/* A pattern built to backtrack is cut off by the match limit: a
 * violation that says so, for a value and for a property name; the
 * fuzz finding that used to run for minutes is refused at load. */
static void
test_pattern_match_limit(void)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_schema *s;
	char inst[128];

	snprintf(inst, sizeof(inst), "{\"p\": \"%.*sb\", \"%.*sb\": 1}",
	    40, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    40, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	s = compile_ok("{\"properties\": {\"p\": {\"pattern\": "
	    "\"^(a+)+$\"}}, \"patternProperties\": {\"^(a+)+$\": {}}}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(check(s, inst, &r), TK_ERR_VALIDATION);
	CU_ASSERT_TRUE(has(&r, "/p", "could not be checked against pattern "
	    "\"^(a+)+$\": the match limit was reached"));
	tk_schema_result_free(&r);
	CU_ASSERT_EQUAL(check(s, "{\"p\": \"aaaa\", \"aa\": 1}", &r),
	    TK_OK);
	tk_schema_result_free(&r);
	tk_schema_free(s);
	compile_bad("{\"pattern\": \"/+++++++++++3?????????????????\\u007f"
	    "??????+++++???????\\u007f?????????*a&$\"}", &d);
	CU_ASSERT_TRUE(tk_diag_has(&d, "possessive quantifiers are not "
	    "ECMA-262"));
	tk_diag_free(&d);
}

/* ---- test-suite files (official and ours) ---- */

struct counts {
	unsigned ran, skipped, tests, passed;
};

static void
run_test(const struct tk_schema *s, const char *file, const char *group,
    json_object *t, struct counts *c)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	json_object *data = NULL, *valid = NULL, *desc = NULL;
	tk_err e, quiet;
	int want;

	c->tests++;
	if (!json_object_object_get_ex(t, "data", &data) ||
	    !json_object_object_get_ex(t, "valid", &valid)) {
		CU_FAIL("test without data or valid");
		return;
	}
	json_object_object_get_ex(t, "description", &desc);
	want = json_object_get_boolean(valid);
	e = tk_schema_validate(s, data, &r);
	quiet = tk_schema_validate(s, data, NULL);
	if ((want && e == TK_OK && r.n == 0 && quiet == TK_OK) ||
	    (!want && e == TK_ERR_VALIDATION && r.n > 0 &&
	    quiet == TK_ERR_VALIDATION))
		c->passed++;
	else {
		printf("\n  FAIL %s: %s: %s: expected %s, got %s (%zu "
		    "violations)\n", file, group, json_object_get_string(desc),
		    want ? "valid" : "invalid",
		    e == TK_OK ? "valid" : "invalid", r.n);
		CU_FAIL("suite test gave the wrong answer");
	}
	tk_schema_result_free(&r);
}

/* 1 when every diag message is a refusal of something unsupported. */
static int
all_unsupported(const struct tk_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->msg[i], "not supported") == NULL)
			return 0;
	return d->n > 0;
}

static void
run_group(const char *file, json_object *g, struct counts *c)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_schema *s = NULL;
	json_object *schema, *tests, *desc = NULL;
	const char *gd;
	size_t i;
	tk_err e;

	json_object_object_get_ex(g, "description", &desc);
	gd = desc != NULL ? json_object_get_string(desc) : "?";
	if (!json_object_object_get_ex(g, "schema", &schema) ||
	    !json_object_object_get_ex(g, "tests", &tests) ||
	    !json_object_is_type(tests, json_type_array)) {
		CU_FAIL("group without schema or tests");
		return;
	}
	e = tk_schema_compile(schema, &s, &d);
	if (e != TK_OK) {
		/* Refused: only ever for a feature we do not support. */
		c->skipped++;
		printf("\n  skipped %s: %s: %s", file, gd,
		    d.n > 0 ? d.msg[0] : "?");
		if (e != TK_ERR_DEFINITION || !all_unsupported(&d)) {
			tk_diag_print(&d, stdout, "\n    ");
			CU_FAIL("group refused for a reason other than an "
			    "unsupported feature");
		}
		tk_diag_free(&d);
		return;
	}
	c->ran++;
	for (i = 0; i < json_object_array_length(tests); i++)
		run_test(s, file, gd, json_object_array_get_idx(tests, i), c);
	tk_schema_free(s);
	tk_diag_free(&d);
}

/*
 * Runs one file of the suite format; ran and skipped are the group counts
 * we expect, so a keyword that starts being refused (or accepted) is
 * noticed.  Prints "file: N groups ran, N skipped; N/N tests passed".
 */
static void
run_file(const char *path, const char *name, unsigned ran, unsigned skipped)
{
	struct counts c = { 0, 0, 0, 0 };
	json_object *doc;
	size_t i;
	int ok;

	doc = load_file(path, &ok);
	if (!ok) {
		printf("\n  cannot read %s (%s)\n", path,
		    errno ? strerror(errno) : "bad JSON");
		CU_FAIL_FATAL("test-suite file missing or unreadable");
	}
	CU_ASSERT_FATAL(json_object_is_type(doc, json_type_array));
	for (i = 0; i < json_object_array_length(doc); i++)
		run_group(name, json_object_array_get_idx(doc, i), &c);
	printf("\n  %-34s %2u groups ran, %u skipped; %3u/%3u tests passed\n  ",
	    name, c.ran, c.skipped, c.passed, c.tests);
	CU_ASSERT_EQUAL(c.ran, ran);
	CU_ASSERT_EQUAL(c.skipped, skipped);
	CU_ASSERT_EQUAL(c.passed, c.tests);
	json_object_put(doc);
}

static void
run_official(const char *file, unsigned ran, unsigned skipped)
{
	char path[512], name[128];
	struct stat st;

	if (stat(SUITE_DIR, &st) == -1 || !S_ISDIR(st.st_mode)) {
		printf("\n  %s is missing: install the Debian package "
		    "json-schema-test-suite (contrib/quickstart does)\n",
		    SUITE_DIR);
		CU_FAIL_FATAL("JSON Schema Test Suite not installed");
	}
	snprintf(path, sizeof(path), "%s/%s", SUITE_DIR, file);
	snprintf(name, sizeof(name), "draft7/%s", file);
	run_file(path, name, ran, skipped);
}

static void
run_local(const char *file, unsigned ran, unsigned skipped)
{
	char rel[128], name[128];

	snprintf(rel, sizeof(rel), "jsonschema/local/%s", file);
	snprintf(name, sizeof(name), "local/%s", file);
	run_file(tk_fixture(rel), name, ran, skipped);
}

static void
test_local_regex(void)
{
	run_local("regex.json", 47, 5);
}

static void
test_local_numbers(void)
{
	run_local("numbers.json", 9, 0);
}

static void
test_local_strings(void)
{
	run_local("strings.json", 4, 5);
}

/* Which drafts the installed package has: we need draft7. */
static void
test_suite_layout(void)
{
	static const char *drafts[] = { "draft4", "draft6", "draft7",
	    "draft2019-09", "draft2020-12" };
	struct stat st;
	size_t i;

	printf("\n  %s:", SUITE_ROOT);
	for (i = 0; i < sizeof(drafts) / sizeof(drafts[0]); i++) {
		char p[256];

		snprintf(p, sizeof(p), "%s/%s", SUITE_ROOT, drafts[i]);
		printf(" %s %s", drafts[i], stat(p, &st) == 0 ? "yes" : "no");
	}
	if (stat(SUITE_DIR, &st) == -1 || !S_ISDIR(st.st_mode)) {
		printf("\n  %s is missing: install the Debian package "
		    "json-schema-test-suite (contrib/quickstart does)\n",
		    SUITE_DIR);
		CU_FAIL_FATAL("JSON Schema Test Suite not installed");
	}
}

/* One case per file; the numbers are groups that run and that are
 * refused (skipped) because they use an unsupported keyword. */
#define OFFICIAL(fn, file, ran, skipped)				\
	static void fn(void) { run_official(file, ran, skipped); }

OFFICIAL(t_type, "type.json", 8, 0)
OFFICIAL(t_required, "required.json", 3, 0)
OFFICIAL(t_properties, "properties.json", 3, 0)
OFFICIAL(t_additionalproperties, "additionalProperties.json", 5, 0)
OFFICIAL(t_patternproperties, "patternProperties.json", 4, 0)
OFFICIAL(t_propertynames, "propertyNames.json", 3, 0)
OFFICIAL(t_minproperties, "minProperties.json", 1, 0)
OFFICIAL(t_maxproperties, "maxProperties.json", 1, 0)
OFFICIAL(t_dependencies, "dependencies.json", 5, 0)
OFFICIAL(t_enum, "enum.json", 3, 0)
OFFICIAL(t_const, "const.json", 4, 0)
OFFICIAL(t_minimum, "minimum.json", 1, 0)
OFFICIAL(t_maximum, "maximum.json", 1, 0)
OFFICIAL(t_exclusiveminimum, "exclusiveMinimum.json", 1, 0)
OFFICIAL(t_exclusivemaximum, "exclusiveMaximum.json", 1, 0)
OFFICIAL(t_multipleof, "multipleOf.json", 3, 0)
OFFICIAL(t_minlength, "minLength.json", 1, 0)
OFFICIAL(t_maxlength, "maxLength.json", 1, 0)
OFFICIAL(t_pattern, "pattern.json", 2, 0)
OFFICIAL(t_items, "items.json", 5, 0)
OFFICIAL(t_additionalitems, "additionalItems.json", 5, 0)
OFFICIAL(t_minitems, "minItems.json", 1, 0)
OFFICIAL(t_maxitems, "maxItems.json", 1, 0)
OFFICIAL(t_uniqueitems, "uniqueItems.json", 1, 0)
OFFICIAL(t_contains, "contains.json", 4, 0)
OFFICIAL(t_allof, "allOf.json", 6, 0)
OFFICIAL(t_anyof, "anyOf.json", 6, 0)
OFFICIAL(t_oneof, "oneOf.json", 7, 0)
OFFICIAL(t_not, "not.json", 6, 0)
OFFICIAL(t_ifthenelse, "if-then-else.json", 7, 0)
OFFICIAL(t_boolean_schema, "boolean_schema.json", 2, 0)
OFFICIAL(t_default, "default.json", 2, 0)
/* Not supported: every group must be refused at compile time. */
OFFICIAL(t_ref, "ref.json", 1, 10)
OFFICIAL(t_refremote, "refRemote.json", 0, 7)
OFFICIAL(t_definitions, "definitions.json", 0, 2)
/* Optional files that concern the keywords above. */
OFFICIAL(t_opt_bignum, "optional/bignum.json", 9, 0)
OFFICIAL(t_opt_zerofloats, "optional/zeroTerminatedFloats.json", 1, 0)

TK_SUITE(jsonschema,
    { "order: every violation at once", test_order_every_violation },
    { "order: valid context", test_order_valid },
    { "type messages", test_type_messages },
    { "bound messages", test_bound_messages },
    { "combinator messages", test_combinator_messages },
    { "object messages", test_object_messages },
    { "nested pointers and escaping", test_nested_pointers },
    { "limits: pointer length, violation cap", test_limits },
    { "limits: depth", test_depth_limits },
    { "unsupported keywords named at load", test_unsupported_keywords },
    { "bad keyword values named at load", test_bad_keyword_values },
    { "patterns ECMA-262 lacks refused", test_pattern_refusals },
    { "pattern match limit", test_pattern_match_limit },
    { "local suite: ECMA-262 patterns", test_local_regex },
    { "local suite: numbers and equality", test_local_numbers },
    { "local suite: strings, dialects", test_local_strings });

TK_SUITE(jsonschema_suite,
    { "layout (draft7 present)", test_suite_layout },
    { "type", t_type },
    { "required", t_required },
    { "properties", t_properties },
    { "additionalProperties", t_additionalproperties },
    { "patternProperties", t_patternproperties },
    { "propertyNames", t_propertynames },
    { "minProperties", t_minproperties },
    { "maxProperties", t_maxproperties },
    { "dependencies", t_dependencies },
    { "enum", t_enum },
    { "const", t_const },
    { "minimum", t_minimum },
    { "maximum", t_maximum },
    { "exclusiveMinimum", t_exclusiveminimum },
    { "exclusiveMaximum", t_exclusivemaximum },
    { "multipleOf", t_multipleof },
    { "minLength", t_minlength },
    { "maxLength", t_maxlength },
    { "pattern", t_pattern },
    { "items", t_items },
    { "additionalItems", t_additionalitems },
    { "minItems", t_minitems },
    { "maxItems", t_maxitems },
    { "uniqueItems", t_uniqueitems },
    { "contains", t_contains },
    { "allOf", t_allof },
    { "anyOf", t_anyof },
    { "oneOf", t_oneof },
    { "not", t_not },
    { "if-then-else", t_ifthenelse },
    { "boolean schemas", t_boolean_schema },
    { "default (annotation)", t_default },
    { "$ref refused", t_ref },
    { "remote $ref refused", t_refremote },
    { "definitions refused", t_definitions },
    { "optional: bignum", t_opt_bignum },
    { "optional: zero-terminated floats", t_opt_zerofloats });
