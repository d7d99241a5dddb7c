/*
 * json_str.h - JSON strings, out and in (src/util/json_str.c): the one
 * escaper, and the one reader of a parsed string as a C string.
 */
#ifndef TASKER_JSON_STR_H
#define TASKER_JSON_STR_H

#include <stddef.h>

#include <json-c/json.h>

#include "tasker/buf.h"
#include "tasker/error.h"

/*
 * Appends s[0..n) to b as a JSON string: '"', '\\' and bytes below 0x20
 * escaped, every other byte copied (n bounds it, not a NUL).  With
 * TK_JSON_ESC_SHORT the control bytes json-c writes short are \b \f \n
 * \r \t, as json-c prints them; without, every control byte is \u00XX
 * (the spelling of the Idempotency-Key fingerprint, which must not change
 * while keys are stored, and of the engine's step documents).
 * Allocation failures are remembered in b: TK_ERR_NOMEM once it happened.
 */
#define TK_JSON_ESC_SHORT 0x1
tk_err tk_json_put_strn(struct tk_buf *b, const char *s, size_t n,
    int flags);

/*
 * The C string of a JSON string (v's own), or NULL when v is NULL, not a
 * string, or holds a NUL: "a\u0000b" must not pass as "a".
 */
const char *tk_json_cstr(json_object *v);

#endif
