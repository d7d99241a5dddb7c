/*
 * jsonschema.h - a JSON Schema validator on json-c, for task contexts.
 *
 * A handler declares a schema for its task context.  The loader compiles it
 * once with tk_schema_compile(), which refuses (TK_ERR_DEFINITION) a schema
 * that is malformed or uses a keyword this validator does not implement,
 * naming every problem with its location in the schema:
 *   "/properties/amount/minimum: must be a number"
 *   "/properties/item/$ref: keyword not supported"
 * so nothing is silently ignored at request time.  POST /tasks then calls
 * tk_schema_validate() on the request's context, which reports every
 * violation at once, each with the RFC 6901 JSON pointer of the offending
 * instance location ("" is the whole context) and a message:
 *   "/amount"       "must be >= 0"
 *   "/currency"     "must be one of: \"USD\", \"EUR\""
 *   "/customer"     "is required"          (points at the missing member)
 *   "/foo"          "additional property 'foo' is not allowed"
 *   "/items/2/sku"  "must be a string"
 *
 * Semantics are draft 7 (the default; draft-06, 2019-09 and 2020-12 are
 * accepted in "$schema" for the keywords below, whose meaning is the same).
 * Supported keywords:
 *   any:     type (a name or an array; "integer" is any number with a zero
 *            fractional part, so 1.0 is one), enum, const (deep equality:
 *            1 == 1.0, object members unordered), allOf, anyOf, oneOf, not,
 *            if/then/else (not in draft-06)
 *   numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum (numeric
 *            form only, draft 6+), multipleOf (with a relative tolerance of
 *            a few ulps, so 1.10 is a multiple of 0.01)
 *   strings: minLength, maxLength (Unicode code points, not bytes), pattern
 *   arrays:  items (a schema, or the array form with additionalItems; the
 *            array form is refused under 2020-12), minItems, maxItems,
 *            uniqueItems, contains
 *   objects: properties, patternProperties, additionalProperties,
 *            required, minProperties, maxProperties, propertyNames,
 *            dependencies (draft-06/07), dependentRequired and
 *            dependentSchemas (2019-09/2020-12)
 *   boolean schemas true and false anywhere a schema is allowed.
 * Annotations, accepted and ignored: $schema, $id, $comment, title,
 * description, default, examples, format.  "format" is NOT checked: a
 * "format": "email" field accepts any string; use pattern to constrain it.
 * Anything else ($ref, definitions, $defs, prefixItems, unevaluated*,
 * contentMediaType, a misspelt keyword, ...) is refused at compile time.
 *
 * pattern and patternProperties take ECMA-262 regexes (with the u flag:
 * a character is a code point), matched unanchored by PCRE2 in UTF mode:
 * \d \w \b are ASCII, \s is ECMA-262's Unicode white space, "." excludes
 * line terminators, $ is the end of input only, [] matches nothing;
 * lookaround, backreferences, named groups and \p{...} work.  Refused at
 * compile time, with PCRE2's or our reason: syntax errors, and PCRE2
 * syntax ECMA-262 lacks (possessive quantifiers, atomic groups, inline
 * flags, (*VERB)s, \Q \K \R and other escapes).  A match does a bounded
 * amount of work (match, depth and heap limits); a value whose match hits
 * the limit is a violation "could not be checked against pattern ...".
 *
 * Limits: schemas nest at most TK_SCHEMA_MAX_DEPTH levels (so validation
 * recursion is bounded by the schema, never by the instance); enum and
 * const values may nest TK_SCHEMA_MAX_VALUE_DEPTH levels, and uniqueItems
 * compares items that deep at most (deeper: the violation "is nested too
 * deeply to compare"); a result
 * holds at most TK_SCHEMA_MAX_VIOLATIONS violations, then sets truncated.
 * Pointers longer than TK_SCHEMA_MAX_POINTER bytes are cut and end in
 * "...", and property names quoted in messages are cut at 64 bytes.
 *
 * A compiled schema is read-only during validation: it may be shared by
 * threads.  Numbers: json-c saturates integers beyond 64 bits (to
 * INT64_MIN or UINT64_MAX) before we see them.
 */
#ifndef TASKER_JSONSCHEMA_H
#define TASKER_JSONSCHEMA_H

#include <stddef.h>

#include "tasker/diag.h"
#include "tasker/error.h"

struct json_object;

#define TK_SCHEMA_MAX_DEPTH       32   /* schema nesting levels */
#define TK_SCHEMA_MAX_VALUE_DEPTH 64   /* instance depth for equality */
#define TK_SCHEMA_MAX_VIOLATIONS  100
#define TK_SCHEMA_MAX_POINTER     1024

struct tk_schema;

/*
 * Checks and compiles schema (a JSON object or boolean; the caller keeps
 * ownership, nothing of it is referenced afterwards).  On success *out is
 * set (free it with tk_schema_free) and TK_OK returned.  On a bad schema
 * returns TK_ERR_DEFINITION with one message per problem added to diag,
 * each "LOCATION: message" where LOCATION is the RFC 6901 pointer in the
 * schema, or "(root)".  TK_ERR_NOMEM on allocation failure.
 */
tk_err	tk_schema_compile(struct json_object *schema, struct tk_schema **out,
	    struct tk_diag *diag);
void	tk_schema_free(struct tk_schema *s);

struct tk_schema_violation {
	char	*pointer;  /* instance location, RFC 6901; "" = the root */
	char	*message;  /* e.g. "must be >= 0" */
};

struct tk_schema_result {
	struct tk_schema_violation *v;
	size_t	 n, cap;
	int	 truncated;  /* more than TK_SCHEMA_MAX_VIOLATIONS: rest dropped */
};

#define TK_SCHEMA_RESULT_INIT { NULL, 0, 0, 0 }

/*
 * Validates instance (NULL is JSON null) against s.  Returns TK_OK when
 * valid; TK_ERR_VALIDATION when not, with one violation per problem
 * appended to out (per object: missing members first, then its members
 * in document order, each member's problems together); out may
 * be NULL to only ask "is it valid?", which stops at the first problem.
 * TK_ERR_NOMEM when a violation could not be recorded: treat as a 500,
 * out then holds what could be recorded.  out owns its strings.
 */
tk_err	tk_schema_validate(const struct tk_schema *s,
	    struct json_object *instance, struct tk_schema_result *out);
void	tk_schema_result_free(struct tk_schema_result *r);

#endif
