/*
 * json.c - the documents `tasker-admin ... --json` prints: one JSON
 * document on stdout per command, built with json-c by the command and
 * handed here to print and free.
 */
#include "tasker/admin.h"

#include <stdio.h>

#include <json-c/json.h>

struct json_object *
tk_admin_json_str(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

int
tk_admin_json_print(struct json_object *doc)
{
	const char *s;

	s = doc != NULL ? json_object_to_json_string_ext(doc,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	if (s == NULL) {
		fprintf(stderr, "tasker-admin: out of memory\n");
		json_object_put(doc);
		return 1;
	}
	puts(s);
	json_object_put(doc);
	return fflush(stdout) == 0 ? 0 : 1;
}
