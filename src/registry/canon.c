/*
 * canon.c - canonical JSON and hashing of a handler definition: the one
 * JSON form of a struct tk_handler_def (keys sorted, scalars rebuilt, one
 * spelling of the step graph), which the API shows, the database keeps,
 * and whose SHA-256 is the definition's hash.  The same definition always
 * gives the same bytes, whether it came from YAML or from JSON.
 */
#include "tasker/handler.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

/* qsort() order of C strings (see internal.h). */
int
reg_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds canonical copies of arr's items to c, a new array. */
static enum canon_rc
canon_array(json_object *arr, json_object *c, int depth)
{
	json_object *child;
	size_t n, i;
	enum canon_rc rc;

	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		if ((rc = reg_canon(json_object_array_get_idx(arr, i),
		    &child, depth + 1)) != CANON_OK)
			return rc;
		if (json_object_array_add(c, child) != 0) {
			json_object_put(child);
			return CANON_NOMEM;
		}
	}
	return CANON_OK;
}

/* Adds canonical copies of obj's members to c, a new object, in key
 * order. */
static enum canon_rc
canon_object(json_object *obj, json_object *c, int depth)
{
	struct json_object_iter it;
	json_object *child;
	const char **keys;
	size_t n, i;
	enum canon_rc rc = CANON_OK;

	n = (size_t)json_object_object_length(obj);
	if ((keys = calloc(n + 1, sizeof(*keys))) == NULL)
		return CANON_NOMEM;
	i = 0;
	json_object_object_foreachC(obj, it)
		if (i < n)
			keys[i++] = it.key;
	n = i;
	qsort(keys, n, sizeof(*keys), reg_strp_cmp);
	for (i = 0; i < n && rc == CANON_OK; i++) {
		rc = reg_canon(json_object_object_get(obj, keys[i]), &child,
		    depth + 1);
		if (rc == CANON_OK &&
		    json_object_object_add(c, keys[i], child) != 0) {
			json_object_put(child);
			rc = CANON_NOMEM;
		}
	}
	free(keys);
	return rc;
}

/* A key-sorted deep copy of v (see internal.h). */
enum canon_rc
reg_canon(json_object *v, json_object **out, int depth)
{
	json_object *c = NULL;
	double d;
	enum canon_rc rc = CANON_OK;

	*out = NULL;
	if (depth > CANON_DEPTH)
		return CANON_DEEP;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return CANON_OK;
	case json_type_boolean:
		c = json_object_new_boolean(json_object_get_boolean(v));
		break;
	case json_type_int:
		c = json_object_new_int64(json_object_get_int64(v));
		break;
	case json_type_double:
		d = json_object_get_double(v);
		if (!isfinite(d))
			return CANON_NUMBER;
		c = json_object_new_double(d);
		break;
	case json_type_string:
		c = json_object_new_string_len(json_object_get_string(v),
		    json_object_get_string_len(v));
		break;
	case json_type_array:
		if ((c = json_object_new_array()) != NULL)
			rc = canon_array(v, c, depth);
		break;
	case json_type_object:
		if ((c = json_object_new_object()) != NULL)
			rc = canon_object(v, c, depth);
		break;
	}
	if (c == NULL)
		return CANON_NOMEM;
	if (rc != CANON_OK) {
		json_object_put(c);
		return rc;
	}
	*out = c;
	return CANON_OK;
}

/* Adds key: value to o, taking val; sets *bad on failure. */
static void
put(json_object *o, const char *key, json_object *val, int *bad)
{
	if (json_object_object_add(o, key, val) != 0) {
		json_object_put(val);
		*bad = 1;
	}
}

static void
put_str(json_object *o, const char *key, const char *s, int *bad)
{
	json_object *val = NULL;

	if (s != NULL && (val = json_object_new_string(s)) == NULL)
		*bad = 1;
	put(o, key, val, bad);
}

/* A canonical copy (NULL stays null). */
static void
put_copy(json_object *o, const char *key, json_object *src, int *bad)
{
	json_object *c = NULL;

	if (src != NULL && reg_canon(src, &c, 1) != CANON_OK)
		*bad = 1;
	put(o, key, c, bad);
}

static json_object *
step_to_json(const struct tk_handler_def *h, const struct tk_step_def *s,
    int *bad)
{
	json_object *o, *deps;
	size_t j;

	if ((o = json_object_new_object()) == NULL) {
		*bad = 1;
		return NULL;
	}
	put_str(o, "name", s->name, bad);
	put_str(o, "description", s->description, bad);
	put_str(o, "handler_class", s->handler_class, bad);
	/* One parent: depends_on_step, as the guide shows it; several:
	 * depends_on_steps.  The same graph always reads the same. */
	put_str(o, "depends_on_step", s->nparents == 1 ?
	    h->steps[s->parents[0]].name : NULL, bad);
	if ((deps = json_object_new_array()) == NULL)
		*bad = 1;
	for (j = 0; deps != NULL && s->nparents > 1 && j < s->nparents; j++)
		if (json_object_array_add(deps, json_object_new_string(
		    h->steps[s->parents[j]].name)) != 0)
			*bad = 1;
	put(o, "depends_on_steps", deps, bad);
	put(o, "default_retryable", json_object_new_boolean(s->retryable),
	    bad);
	put(o, "default_retry_limit",
	    json_object_new_int64((int64_t)s->retry_limit), bad);
	put(o, "skippable", json_object_new_boolean(s->skippable), bad);
	put_copy(o, "handler_config", s->handler_config, bad);
	put_copy(o, "custom_events", s->custom_events, bad);
	put_str(o, "dependent_system", s->dependent_system, bad);
	return o;
}

json_object *
tk_handler_to_json(const struct tk_handler_def *h)
{
	json_object *o, *steps;
	size_t i;
	int bad = 0;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	put_str(o, "name", h->name, &bad);
	put_str(o, "namespace_name", h->namespace_name, &bad);
	put_str(o, "version", h->version, &bad);
	put_str(o, "description", h->description, &bad);
	put_str(o, "task_handler_class", h->task_handler_class, &bad);
	put_str(o, "module_namespace", h->module_namespace, &bad);
	put_str(o, "default_dependent_system", h->default_dependent_system,
	    &bad);
	put_copy(o, "schema", h->schema, &bad);
	if ((steps = json_object_new_array()) == NULL)
		bad = 1;
	for (i = 0; steps != NULL && i < h->nsteps; i++) {
		json_object *s = step_to_json(h, &h->steps[i], &bad);
		if (s == NULL || json_object_array_add(steps, s) != 0) {
			json_object_put(s);
			bad = 1;
		}
	}
	put(o, "step_templates", steps, &bad);
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* h->hash: SHA-256 of the canonical JSON, in hex. */
tk_err
reg_hash(struct tk_handler_def *h)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	json_object *j;
	const char *s;
	size_t len;

	if ((j = tk_handler_to_json(h)) == NULL)
		return TK_ERR_NOMEM;
	s = json_object_to_json_string_length(j, JSON_FLAGS, &len);
	if (s == NULL || !EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32) {
		json_object_put(j);
		return s == NULL ? TK_ERR_NOMEM : TK_ERR_INTERNAL;
	}
	for (i = 0; i < 32; i++) {
		h->hash[2 * i] = hex[md[i] >> 4];
		h->hash[2 * i + 1] = hex[md[i] & 15];
	}
	h->hash[64] = '\0';
	json_object_put(j);
	return TK_OK;
}
