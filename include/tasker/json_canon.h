/*
 * json_canon.h - key-sorted canonical JSON (src/util/json_canon.c): the
 * one implementation behind the handler definition's hash and stored
 * form (src/registry/canon.c) and the Idempotency-Key request
 * fingerprint (src/tasks/task_request.c).
 */
#ifndef TASKER_JSON_CANON_H
#define TASKER_JSON_CANON_H

#include <stddef.h>

#include <json-c/json.h>

#include "tasker/buf.h"
#include "tasker/error.h"

/* The flags of every JSON text tasker prints with json-c: the API's
 * answers, stored columns, canonical definitions. */
#define TK_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

enum tk_canon_rc {
	TK_CANON_OK,
	TK_CANON_NOMEM,
	TK_CANON_DEEP,      /* nested deeper than maxdepth */
	TK_CANON_NUMBER     /* a NaN or infinity (TK_CANON_REBUILD) */
};

/* Scalars are new objects, so a double prints the same whether it came
 * from YAML or from a JSON parse; non-finite numbers are refused.
 * Without it scalars are v's own (a parsed double keeps its text). */
#define TK_CANON_REBUILD 0x1

/*
 * *out (the caller's): a copy of v whose objects have their keys in
 * strcmp() order; NULL for JSON null and on failure.  v sits at level
 * depth (1 for a whole value) and nothing may sit below level maxdepth.
 */
enum tk_canon_rc tk_json_canon(json_object *v, json_object **out,
	    int depth, int maxdepth, int flags);

/*
 * v as JSON text in b, members in the order they are in (so a
 * tk_json_canon copy prints key-sorted): strings through
 * tk_json_put_strn with escflags, other scalars as json-c prints them
 * plain.  Failures are remembered in b (b->failed).
 */
void	tk_json_put_tree(struct tk_buf *b, json_object *v, int escflags);

#endif
