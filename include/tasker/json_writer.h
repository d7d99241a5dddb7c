/*
 * json_writer.h - JSON answers written straight into a buffer
 * (src/tasks/json_writer.c).
 */
#ifndef TASKER_JSON_WRITER_H
#define TASKER_JSON_WRITER_H

#include <stddef.h>

#include <json-c/json.h>

#include "tasker/buf.h"
#include "tasker/error.h"
#include "tasker/json_str.h"

/*
 * Byte for byte what json-c prints with the API's flags
 * (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE).  Allocation failures are remembered in
 * the buffer (b->failed); each returns TK_ERR_NOMEM once it happened.
 */
/* s as a JSON string (tk_json_put_strn in json-c's spelling), cut at
 * its NUL like json_object_new_string; NULL is null. */
tk_err tk_json_put_str(struct tk_buf *b, const char *s);
/*
 * 1 when s[0..len) is an object or array exactly as json-c prints it with
 * those flags (so parsing and printing it again gives the same bytes):
 * no white space, json-c's string escapes, integers json-c holds, no
 * repeated key, at most 32 levels.  0 otherwise, NULL too.
 */
int    tk_json_canonical(const char *s, size_t len);
/*
 * A stored JSON column as the API shows it: the text itself when
 * tk_json_canonical, otherwise what tk_json_parse_stored + printing gives
 * (json-c's reading of it); dflt (e.g. "{}") for SQL NULL (s NULL), for
 * text that does not parse and for a stored null.
 */
tk_err tk_json_put_stored(struct tk_buf *b, const char *s, size_t len,
    const char *dflt);
/* v printed with the API's flags. */
tk_err tk_json_put_object(struct tk_buf *b, json_object *v);

#endif
