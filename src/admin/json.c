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

int
tk_admin_json_array(struct json_object *obj, const char *key, size_t n,
    struct json_object *(*item)(const void *arg, size_t i), const void *arg)
{
	struct json_object *list, *o;
	size_t i;

	if ((list = json_object_new_array()) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((o = item(arg, i)) == NULL ||
		    json_object_array_add(list, o) != 0) {
			json_object_put(o);
			json_object_put(list);
			return -1;
		}
	if (json_object_object_add(obj, key, list) != 0) {
		json_object_put(list);
		return -1;
	}
	return 0;
}
