/*
 * fuzz_yaml.c - libFuzzer driver for the YAML -> JSON converter
 * (tk_yaml_parse): any bytes in, a json-c tree or a list of problems
 * out, never a crash, a leak, or a tree deeper than the header promises.
 * A successful tree must also survive being printed and parsed back by
 * json-c with its default depth (the reason TK_YAML_MAX_DEPTH is 31).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/yamljson.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static int
depth(json_object *o)
{
	int d = 0, m;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if ((m = depth(v)) > d)
				d = m;
		}
		return d + 1;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if ((m = depth(json_object_array_get_idx(o, i))) > d)
				d = m;
		return d + 1;
	default:
		return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_diag d = TK_DIAG_INIT;
	json_object *out = NULL, *back;
	const char *text;
	tk_err e;

	if (size > TK_YAML_MAX_BYTES + 16)
		return 0;
	e = tk_yaml_parse("fuzz.yaml", (const char *)data, size, &out, &d);
	if (e == TK_OK) {
		CHECK(out != NULL);
		CHECK(depth(out) <= TK_YAML_MAX_DEPTH);
		(void)tk_yaml_line(out);
		text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
		CHECK(text != NULL);
		back = json_tokener_parse(text);
		CHECK(back != NULL);
		json_object_put(back);
	} else
		CHECK(out == NULL);
	json_object_put(out);
	tk_diag_free(&d);
	return 0;
}
