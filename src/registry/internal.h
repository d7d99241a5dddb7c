/*
 * internal.h - what the handler files of src/registry share and nobody
 * else sees: message paths (handler.c), the key-sorted canonical copy of
 * a JSON value and the definition hash (canon.c).  The public surface is
 * include/tasker/handler.h.
 */
#ifndef TASKER_REGISTRY_INTERNAL_H
#define TASKER_REGISTRY_INTERNAL_H

#include <stddef.h>

#include <json-c/json.h>

#include "tasker/error.h"
#include "tasker/handler.h"
#include "tasker/json_canon.h"

#define PATH_LEN     160     /* a key path in a message */
#define CANON_DEPTH  64      /* nesting allowed in schema, handler_config */


/* ---- message paths (handler.c) ---- */

/* prefix.key, or key when prefix is empty, into buf (cut with "..."). */
const char *reg_path_key(char *buf, size_t sz, const char *prefix,
	    const char *key);
/* prefix[i] into buf (cut with "..."). */
const char *reg_path_index(char *buf, size_t sz, const char *prefix,
	    size_t i);

/* ---- canonical JSON and hash (canon.c) ---- */

/*
 * tk_json_canon of a whole value with scalars rebuilt (so a double prints
 * the same whether it came from YAML or from a JSON parse), at most
 * CANON_DEPTH levels; *out (the caller's) is NULL for JSON null or on
 * failure.  Printed with TK_JSON_FLAGS (hash, diff).
 */
enum tk_canon_rc reg_canon(json_object *v, json_object **out);
/* Sets h->hash: the SHA-256 of h's canonical JSON, in hex. */
tk_err	reg_hash(struct tk_handler_def *h);

#endif
