/*
 * flow.c - concurrency keys' JSON paths and the GCRA (see flow.h).
 */
#include "tasker/flow.h"

#include <stdio.h>
#include <string.h>

#define SEGMENT_MAX 64

static int
seg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int
tk_json_path_valid(const char *path)
{
	size_t i, seg = 0, nseg = 0;

	if (path == NULL || path[0] != '$' ||
	    strlen(path) > TK_JSON_PATH_MAX)
		return 0;
	for (i = 1; path[i] != '\0'; i++) {
		if (path[i] == '.') {
			if (i > 1 && seg == 0)
				return 0;
			seg = 0;
			nseg++;
		} else if (!seg_char(path[i]) || ++seg > SEGMENT_MAX ||
		    nseg == 0)
			return 0;
	}
	return nseg > 0 && seg > 0;
}

int
tk_json_path_get(json_object *ctx, const char *path, char *out,
    size_t outsz)
{
	char name[SEGMENT_MAX + 1];
	const char *p = path + 1, *end;
	json_object *v = ctx;
	int n;

	while (*p == '.') {
		p++;
		end = strchr(p, '.');
		n = snprintf(name, sizeof(name), "%.*s",
		    (int)(end ? (size_t)(end - p) : strlen(p)), p);
		if (n <= 0 || (size_t)n >= sizeof(name) ||
		    !json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, name, &v))
			return 0;
		p += n;
	}
	if (json_object_is_type(v, json_type_string))
		n = snprintf(out, outsz, "%s", json_object_get_string(v));
	else if (json_object_is_type(v, json_type_int))
		n = snprintf(out, outsz, "%lld",
		    (long long)json_object_get_int64(v));
	else
		return 0;
	return n >= 0 && (size_t)n < outsz;
}

long long
tk_gcra(long long now_us, long long *tat_us, long long interval_us)
{
	if (*tat_us > now_us)
		return *tat_us - now_us;
	*tat_us = now_us + interval_us;
	return 0;
}
