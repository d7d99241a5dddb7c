/*
 * body_parser.h - the strict parser of request bodies, stored JSON as tasker
 * wrote it, and the "details" object of validation errors
 * (src/tasks/body_parser.c).
 *
 * Problems with a request are collected, not returned one at a time: the
 * validators add "field": ["message", ...] members to a details object
 * (the "details" of the guide's error body) and keep going, so a client
 * sees everything wrong at once.
 */
#ifndef TASKER_BODY_PARSER_H
#define TASKER_BODY_PARSER_H

#include <stddef.h>

#include <json-c/json.h>

#include "tasker/error.h"
/* tk_name_listed, which the checkers of request members use with these. */
#include "tasker/strlist.h"

#define TK_BODY_MAX_DEPTH   40  /* JSON nesting of a request body */
#define TK_VALUE_MAX_DEPTH  31  /* containers in a stored JSON value:
                                   MariaDB's JSON_VALID refuses 32 */

/*
 * Parses a request body strictly: RFC 8259 JSON and nothing else (no
 * trailing commas, comments, NaN or Infinity), at most TK_BODY_MAX_DEPTH
 * levels, the whole input consumed (white space may follow).  Every
 * string, object keys included, must be strict UTF-8 (tk_utf8_bad: no
 * overlong forms, surrogates, code points above U+10FFFF or stray bytes)
 * and no "\u" escape may be half a surrogate pair ("\ud800" alone;
 * "\ud83d\ude00" is fine).  Refused too, because they would not survive
 * a round trip: "\u0000" in a string (json-c cuts keys at NUL), integers
 * outside [-2^63, 2^64-1] (json-c saturates them silently) and numbers
 * too large for a double.  On failure returns TK_ERR_BAD_REQUEST with msg
 * saying where: "Malformed JSON at line 2, column 7: unexpected
 * character"; a string that is not UTF-8 also adds a message to details
 * (when not NULL) under its member's path, "context.customer.name",
 * "tags[2]" ("body" for the document itself).  *out is the caller's to
 * put.
 */
tk_err tk_json_parse_body(const char *buf, size_t len, json_object **out,
    char *msg, size_t msgsz, json_object *details);
/* Parses JSON written by tasker itself (a stored context or result);
 * NULL when it does not parse. */
json_object *tk_json_parse_stored(const char *s, size_t len);
/* Levels of arrays and objects in v: 0 for a scalar, 1 for {} or []. */
unsigned tk_json_depth(json_object *v);
/* v without insignificant white space: the text to store. */
const char *tk_json_text(json_object *v, size_t *len);

/*
 * Adds message to details[field], an array created on first use; both
 * strings are copied.  Allocation failures are remembered in the object
 * (see tk_details_failed) rather than returned, so validators stay short.
 */
void   tk_details_add(json_object *details, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Number of fields with problems. */
size_t tk_details_count(json_object *details);
/* A hostile string made fit for a message: printable ASCII, at most 60
 * bytes, '?' for anything else, "..." when cut. */
const char *tk_quote(char out[72], const char *s);

#endif
