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

#define PATH_LEN     160     /* a key path in a message */
#define CANON_DEPTH  64      /* nesting allowed in schema, handler_config */

/* The one JSON text form of canonical JSON (hash, diff). */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- message paths (handler.c) ---- */

/* prefix.key, or key when prefix is empty, into buf (cut with "..."). */
const char *reg_path_key(char *buf, size_t sz, const char *prefix,
	    const char *key);
/* prefix[i] into buf (cut with "..."). */
const char *reg_path_index(char *buf, size_t sz, const char *prefix,
	    size_t i);

/* ---- canonical JSON and hash (canon.c) ---- */

/* qsort() order of an array of char *: strcmp() of the strings. */
int	reg_strp_cmp(const void *a, const void *b);

enum canon_rc { CANON_OK, CANON_NOMEM, CANON_DEEP, CANON_NUMBER };

/*
 * Deep copy of v with object keys sorted and every scalar rebuilt (so a
 * double prints the same whether it came from YAML or from a JSON parse),
 * nested at most CANON_DEPTH levels below depth 1; *out (the caller's)
 * is NULL for JSON null or on failure.
 */
enum canon_rc reg_canon(json_object *v, json_object **out, int depth);
/* Sets h->hash: the SHA-256 of h's canonical JSON, in hex. */
tk_err	reg_hash(struct tk_handler_def *h);

#endif
