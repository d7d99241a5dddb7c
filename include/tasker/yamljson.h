/*
 * yamljson.h - one YAML document to a json-c tree, with source lines: the
 * one YAML reader, for handler YAML and tasker.yaml alike.
 *
 * The converter reads libyaml events (never the document API, which would
 * expand aliases) and refuses what a configuration file never needs and
 * an attacker likes: more than TK_YAML_MAX_BYTES, nesting deeper than
 * TK_YAML_MAX_DEPTH, anchors and aliases, more than one document, bytes
 * that are not UTF-8, NUL characters (raw or escaped), %TAG directives,
 * tags other than the standard !!str !!int !!float !!bool !!null !!map
 * !!seq, complex (non-scalar) keys and duplicate keys.
 *
 * Plain scalars resolve by the YAML 1.2 core schema: null / Null / NULL /
 * ~ / empty -> null; true / True / TRUE / false / ... -> boolean; decimal,
 * 0x and 0o integers (int64; out of range is an error) -> integer; decimals
 * with a dot or exponent -> double; everything else -> string.  Unlike
 * YAML 1.1, yes / no / on / off are strings.  Two deviations, both errors
 * rather than silent surprises: a decimal integer with a leading zero
 * ("012", octal in YAML 1.1) and .inf / .nan (not representable in JSON).
 * Quoted and block scalars are always strings.
 *
 * Source lines (1-based) are kept on every mapping and sequence as json-c
 * userdata, so they survive reference counting and moves between trees:
 * tk_yaml_key_line() gives the line of a mapping key, tk_yaml_item_line()
 * the line of a sequence item.  Objects built by other code have no
 * lines; the lookups then return 0.
 */
#ifndef TASKER_YAMLJSON_H
#define TASKER_YAMLJSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "tasker/diag.h"
#include "tasker/error.h"

#define TK_YAML_MAX_BYTES  (1024 * 1024)
/* Nested mappings/sequences, the root counting 1.  31, so that every
 * accepted document, as JSON, parses within json-c's default depth of 32
 * (json-c counts the innermost scalar as a level too). */
#define TK_YAML_MAX_DEPTH  31
#define TK_YAML_MAX_ERRORS 50   /* per document; then one "too many" */

/*
 * Converts the YAML document in buf[0..len) to *out (caller puts it; JSON
 * null, i.e. NULL, for an empty document is an error).  file names the
 * input in messages ("FILE:LINE: message").  On any problem returns
 * TK_ERR_DEFINITION with every problem found in diag and *out = NULL;
 * TK_ERR_NOMEM on allocation failure.
 */
tk_err tk_yaml_parse(const char *file, const char *buf, size_t len,
    json_object **out, struct tk_diag *diag);

/*
 * tk_yaml_parse with options, for a caller with its own value rules (the
 * tasker.yaml reader):
 *
 * TK_YAML_RAW   Plain scalars are not resolved: the null forms still give
 *               null, every other plain scalar stays a string, marked so
 *               that tk_yaml_is_plain() tells it from a quoted one.  So
 *               "010", "0x10", "yes" and "1.5" reach the caller as
 *               written.  !!int, !!float and !!bool scalars are checked
 *               against their tag, then kept as plain strings too.
 * TK_YAML_KEEP  When the problems found still leave one whole tree
 *               (aliases, anchors, tags, duplicate keys, NUL characters,
 *               bad scalars; not syntax errors, a second document, too
 *               deep or too many problems), *out is that tree, less the
 *               refused values (a duplicate key keeps its first value),
 *               and the result is still TK_ERR_DEFINITION: the caller
 *               may walk it to report its own problems too, and puts it.
 */
#define TK_YAML_RAW  0x01
#define TK_YAML_KEEP 0x02

tk_err tk_yaml_parse_flags(const char *file, const char *buf, size_t len,
    int flags, json_object **out, struct tk_diag *diag);

/* 1 when v is a string from a plain (unquoted, untagged) scalar of a
 * TK_YAML_RAW parse. */
int tk_yaml_is_plain(json_object *v);

/*
 * Reads path (a regular file of at most TK_YAML_MAX_BYTES) and converts
 * it.  An unreadable file is TK_ERR_DEFINITION too, with a message.
 */
tk_err tk_yaml_load_file(const char *path, json_object **out,
    struct tk_diag *diag);

/* Line where the mapping or sequence starts; 0 when unknown. */
unsigned tk_yaml_line(json_object *container);
/* Line of key in mapping obj; the mapping's own line when the key is
 * absent (so "missing key" points at the mapping); 0 when unknown. */
unsigned tk_yaml_key_line(json_object *obj, const char *key);
/* Line of item i of sequence arr; the sequence's line when out of range. */
unsigned tk_yaml_item_line(json_object *arr, size_t i);

/*
 * Records lines on an object built by hand (e.g. a merge of two mappings),
 * so later messages still point at the right place.  Idempotent per key.
 */
tk_err tk_yaml_set_line(json_object *container, unsigned line);
tk_err tk_yaml_set_key_line(json_object *obj, const char *key,
    unsigned line);

/*
 * Unknown keys: calls fn for every key of mapping obj that is not in
 * known (NULL-terminated), in file order, with the key's line and the
 * nearest known key (a small edit distance, or a known key that contains
 * it: "timeout" for "timeout_seconds"), or NULL.  Each caller words its
 * own message.  Returns the number of unknown keys.
 */
typedef void tk_yaml_unknown_fn(void *arg, const char *key, unsigned line,
    const char *near);
size_t tk_yaml_check_keys(json_object *obj, const char *const *known,
    tk_yaml_unknown_fn *fn, void *arg);

#endif
