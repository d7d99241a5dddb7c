/*
 * fuzz_schema.c - libFuzzer driver for the JSON Schema compiler and
 * validator (tk_schema_compile, tk_schema_validate).
 *
 * Input: JSON.  An array of two items is [schema, instance]; anything
 * else is a schema, validated against itself and a few fixed instances.
 * Besides no crash / leak / UB: validating with a result and without one
 * must agree, a result never holds more than TK_SCHEMA_MAX_VIOLATIONS,
 * and every violation has a pointer ("" or starting with '/') and a
 * message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/jsonschema.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const char *const fixed[] = {
	"null", "true", "0", "-1", "1.5", "1e308", "\"\"", "\"abc\"",
	"\"\\u00e9t\\u00e9 \\ud83d\\ude00\"", "[]", "[1,2,2]", "{}",
	"{\"a\":1,\"b\":[{\"c\":null}]}", "18446744073709551615",
	"-9223372036854775808",
};

static void
check(const struct tk_schema *s, json_object *inst)
{
	struct tk_schema_result r = TK_SCHEMA_RESULT_INIT;
	tk_err a, b;
	size_t i;

	a = tk_schema_validate(s, inst, NULL);
	b = tk_schema_validate(s, inst, &r);
	if (b != TK_ERR_NOMEM) {
		CHECK(a == b);
		CHECK((b == TK_OK) == (r.n == 0));
	}
	CHECK(r.n <= TK_SCHEMA_MAX_VIOLATIONS);
	for (i = 0; i < r.n; i++) {
		CHECK(r.v[i].pointer != NULL && r.v[i].message != NULL);
		CHECK(r.v[i].pointer[0] == '\0' || r.v[i].pointer[0] == '/');
		CHECK(strlen(r.v[i].pointer) <= TK_SCHEMA_MAX_POINTER + 3);
	}
	tk_schema_result_free(&r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_schema *s = NULL;
	struct json_tokener *tok;
	json_object *in, *schema, *inst = NULL, *f;
	size_t i;

	if (size > 65536 || (tok = json_tokener_new_ex(64)) == NULL)
		return 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	in = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (in == NULL || json_tokener_get_parse_end(tok) != size)
		goto out;
	schema = in;
	if (json_object_is_type(in, json_type_array) &&
	    json_object_array_length(in) == 2) {
		schema = json_object_array_get_idx(in, 0);
		inst = json_object_array_get_idx(in, 1);
	}
	if (tk_schema_compile(schema, &s, &d) != TK_OK) {
		CHECK(s == NULL || d.n > 0);
		goto out;
	}
	check(s, inst != NULL ? inst : schema);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((f = json_tokener_parse(fixed[i])) == NULL &&
		    strcmp(fixed[i], "null") != 0)
			continue;
		check(s, f);
		json_object_put(f);
	}
out:
	tk_schema_free(s);
	json_object_put(in);
	json_tokener_free(tok);
	tk_diag_free(&d);
	return 0;
}
