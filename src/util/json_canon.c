/*
 * json_canon.c - key-sorted canonical JSON (see json_canon.h): a deep
 * copy with every object's keys in strcmp() order, and a printer that
 * writes a value's members in the order they are in.  The handler
 * registry prints its copies with json-c (the definition hash); the
 * task fingerprint prints its copy with tk_json_put_tree (its spelling
 * of strings must not change while keys are stored).
 */
#include "tasker/json_canon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/json_str.h"
#include "tasker/strlist.h"

/* Adds canonical copies of arr's items to c, a new array. */
static enum tk_canon_rc
canon_array(json_object *arr, json_object *c, int depth, int maxdepth,
    int flags)
{
	json_object *child;
	size_t n, i;
	enum tk_canon_rc rc;

	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		if ((rc = tk_json_canon(json_object_array_get_idx(arr, i),
		    &child, depth + 1, maxdepth, flags)) != TK_CANON_OK)
			return rc;
		if (json_object_array_add(c, child) != 0) {
			json_object_put(child);
			return TK_CANON_NOMEM;
		}
	}
	return TK_CANON_OK;
}

/* Adds canonical copies of obj's members to c, a new object, in key
 * order. */
static enum tk_canon_rc
canon_object(json_object *obj, json_object *c, int depth, int maxdepth,
    int flags)
{
	struct json_object_iter it;
	json_object *child;
	const char **keys;
	size_t n, i;
	enum tk_canon_rc rc = TK_CANON_OK;

	n = (size_t)json_object_object_length(obj);
	if ((keys = calloc(n + 1, sizeof(*keys))) == NULL)
		return TK_CANON_NOMEM;
	i = 0;
	json_object_object_foreachC(obj, it)
		if (i < n)
			keys[i++] = it.key;
	n = i;
	qsort(keys, n, sizeof(*keys), tk_strp_cmp);
	for (i = 0; i < n && rc == TK_CANON_OK; i++) {
		rc = tk_json_canon(json_object_object_get(obj, keys[i]),
		    &child, depth + 1, maxdepth, flags);
		if (rc == TK_CANON_OK &&
		    json_object_object_add(c, keys[i], child) != 0) {
			json_object_put(child);
			rc = TK_CANON_NOMEM;
		}
	}
	free(keys);
	return rc;
}

/* A new scalar equal to v (not null, not a container); NULL with *rc
 * set on failure. */
static json_object *
rebuild(json_object *v, enum tk_canon_rc *rc)
{
	json_object *c = NULL;
	double d;

	switch (json_object_get_type(v)) {
	case json_type_boolean:
		c = json_object_new_boolean(json_object_get_boolean(v));
		break;
	case json_type_int:
		c = json_object_new_int64(json_object_get_int64(v));
		break;
	case json_type_double:
		d = json_object_get_double(v);
		if (!isfinite(d)) {
			*rc = TK_CANON_NUMBER;
			return NULL;
		}
		c = json_object_new_double(d);
		break;
	default:
		c = json_object_new_string_len(json_object_get_string(v),
		    json_object_get_string_len(v));
		break;
	}
	if (c == NULL)
		*rc = TK_CANON_NOMEM;
	return c;
}

enum tk_canon_rc
tk_json_canon(json_object *v, json_object **out, int depth, int maxdepth,
    int flags)
{
	json_object *c = NULL;
	enum tk_canon_rc rc = TK_CANON_OK;

	*out = NULL;
	if (depth > maxdepth)
		return TK_CANON_DEEP;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return TK_CANON_OK;
	case json_type_array:
		if ((c = json_object_new_array()) != NULL)
			rc = canon_array(v, c, depth, maxdepth, flags);
		break;
	case json_type_object:
		if ((c = json_object_new_object()) != NULL)
			rc = canon_object(v, c, depth, maxdepth, flags);
		break;
	default:
		if (!(flags & TK_CANON_REBUILD)) {
			*out = json_object_get(v);
			return TK_CANON_OK;
		}
		if ((c = rebuild(v, &rc)) == NULL)
			return rc;
		break;
	}
	if (c == NULL)
		return TK_CANON_NOMEM;
	if (rc != TK_CANON_OK) {
		json_object_put(c);
		return rc;
	}
	*out = c;
	return TK_CANON_OK;
}

void
tk_json_put_tree(struct tk_buf *b, json_object *v, int escflags)
{
	struct json_object_iter it;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_object:
		tk_buf_putc(b, '{');
		i = 0;
		json_object_object_foreachC(v, it) {
			if (i++ > 0)
				tk_buf_putc(b, ',');
			tk_json_put_strn(b, it.key, strlen(it.key), escflags);
			tk_buf_putc(b, ':');
			tk_json_put_tree(b, it.val, escflags);
		}
		tk_buf_putc(b, '}');
		break;
	case json_type_array:
		n = json_object_array_length(v);
		tk_buf_putc(b, '[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				tk_buf_putc(b, ',');
			tk_json_put_tree(b, json_object_array_get_idx(v, i),
			    escflags);
		}
		tk_buf_putc(b, ']');
		break;
	case json_type_string:
		tk_json_put_strn(b, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), escflags);
		break;
	default:
		/* null, booleans, numbers (a parsed double keeps its text). */
		tk_buf_puts(b, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
		break;
	}
}
