/*
 * tasks.h - the task API's pure helpers: task ids (UUIDv7), strict JSON
 * request bodies, the fields of a task request, pagination arithmetic,
 * status lists and the dependency analysis of a task.
 *
 * Nothing here talks to the database or to HTTP, so every function can be
 * unit tested on its own (t/unit/test_tasks*.c).  The controllers in
 * src/api/tasks.c and src/api/task_ops.c use them; the SQL lives in
 * src/store/task_store.c.
 *
 * Problems with a request are collected, not returned one at a time: the
 * validators add "field": ["message", ...] members to a details object
 * (the "details" of the guide's error body) and keep going, so a client
 * sees everything wrong at once.
 */
#ifndef TASKER_TASKS_H
#define TASKER_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "tasker/buf.h"
#include "tasker/error.h"
#include "tasker/semver.h"
#include "tasker/state.h"

struct tk_handler_def;

/* ---------------------------------------------------------------- ids */

#define TK_UUID_STR_SIZE 37   /* 36 characters and a NUL */

/*
 * A UUIDv7 (RFC 9562) from a Unix time in milliseconds and 10 random
 * bytes: 48 bits of time, version 7, 12 bits of rand_a, variant 10, 62
 * bits of rand_b.  Pure, for tests.
 */
void   tk_uuid7_build(uint64_t unix_ms, const unsigned char rnd[10],
    unsigned char out[16]);
/*
 * A new UUIDv7 for now.  Ids made by one process increase strictly even
 * within a millisecond or when the clock steps back (rand_a and rand_b
 * then count up from the previous id), so "newest first" is "id
 * descending".  TK_ERR_IO when no random bytes can be had.
 */
tk_err tk_uuid7_new(unsigned char out[16]);
/* The canonical lowercase form, "0190f1a2-7b3c-7def-8a12-3456789abcde". */
void   tk_uuid_format(const unsigned char id[16], char out[TK_UUID_STR_SIZE]);
/*
 * Parses the canonical 8-4-4-4-12 form (hex digits of either case, no
 * braces, no "urn:uuid:").  0 on success, -1 for anything else, NULL too.
 */
int    tk_uuid_parse(const char *s, unsigned char out[16]);
/* The Unix time in milliseconds a UUIDv7 carries. */
uint64_t tk_uuid7_time(const unsigned char id[16]);

/* ---------------------------------------------------------------- JSON */

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
 * Writing answers straight into a buffer (src/tasks/jsonout.c), byte for
 * byte what json-c prints with the API's flags (JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE).  Allocation failures are remembered in
 * the buffer (b->failed); each returns TK_ERR_NOMEM once it happened.
 */
/* s as a JSON string, cut at its NUL like json_object_new_string; NULL
 * is null. */
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

/* ---------------------------------------------------------------- requests */

#define TK_TEXT_MAX       255   /* initiator, source_system */
#define TK_REASON_MAX     1024
#define TK_TAGS_MAX       32
#define TK_TAG_MAX        64

/*
 * POST /tasks, after tk_task_request_parse.  Strings point into root,
 * which the request holds a reference to; tk_task_request_free releases
 * it.  context is never NULL after a successful parse (an absent or null
 * context is an empty object).
 */
struct tk_task_request {
	json_object      *root;
	const char       *name;
	const char       *namespace_name;
	const char       *version;      /* NULL: the latest */
	struct tk_semver  semver;       /* parsed version when given */
	json_object      *context;      /* a reference of our own */
	const char       *initiator;    /* NULL when absent */
	const char       *source_system;
	const char       *reason;
	json_object      *tags;         /* array of strings, or NULL */
};

/*
 * Reads a create request: the guide's {"name", "namespace", "version",
 * "context"} or Tasker's wrapped {"task": {...}}, plus optional
 * "initiator", "source_system", "reason" and "tags".  Every problem is
 * added to details by field name.  TK_OK when details got nothing from
 * this call, TK_ERR_VALIDATION otherwise (out is usable for what was
 * valid either way, and must be freed).  TK_ERR_NOMEM.
 */
tk_err tk_task_request_parse(json_object *body, struct tk_task_request *out,
    json_object *details);
void   tk_task_request_free(struct tk_task_request *r);
/*
 * The request's fingerprint for Idempotency-Key: SHA-256 (hex) of the
 * canonical JSON of what it asks for (object keys sorted, absent fields
 * as null), so a flat and a wrapped body, or two spellings with other
 * white space or key order, are the same request.
 */
tk_err tk_task_request_hash(const struct tk_task_request *r, char out[65]);

/* Checks tags (array of 1..TK_TAG_MAX-byte strings, at most TK_TAGS_MAX,
 * no repeats, no control characters) into details["tags"]; 0 when ok. */
int    tk_tags_check(json_object *tags, json_object *details);

/* PATCH /tasks/{id}: {"reason", "tags"} (or {"task": {...}}). */
struct tk_task_update {
	json_object *root;
	int          set_reason;
	const char  *reason;     /* NULL: clear */
	int          set_tags;
	json_object *tags;       /* NULL: clear */
};
tk_err tk_task_update_parse(json_object *body, struct tk_task_update *out,
    json_object *details);
void   tk_task_update_free(struct tk_task_update *u);

/* PATCH /tasks/{id}/workflow_steps/{step}:
 * {"status": "resolved_manually" | "cancelled", "results"?, "reason"?} */
struct tk_step_update {
	json_object    *root;
	enum tk_status  status;
	json_object    *results;  /* object, or NULL */
	const char     *reason;   /* NULL when absent */
};
tk_err tk_step_update_parse(json_object *body, struct tk_step_update *out,
    json_object *details);
void   tk_step_update_free(struct tk_step_update *u);

/* POST /tasks/{id}/retry: no body, {} or {"reason": "..."}.  body may be
 * NULL.  *reason points into body. */
tk_err tk_retry_request_parse(json_object *body, const char **reason,
    json_object *details);

/* ---------------------------------------------------------------- lists */

#define TK_PAGE_MAX 10000000ULL   /* deepest page a client may ask for */

struct tk_page {
	unsigned long long page;      /* 1-based */
	unsigned           per_page;  /* after clamping */
	unsigned long long offset;    /* (page - 1) * per_page */
	int                clamped;   /* per_page was lowered to the maximum */
};

/*
 * Reads the text of page and per_page (NULL: absent) into out.  page:
 * digits, 1..TK_PAGE_MAX, default 1.  per_page: digits, >= 1, default
 * def; larger than max is lowered to max (clamped = 1), however large.
 * Problems go into details under the parameter's name; TK_ERR_BAD_REQUEST
 * then.
 */
tk_err tk_page_parse(const char *page, const char *per_page, unsigned def,
    unsigned max, struct tk_page *out, json_object *details);
/* ceil(total / per_page); 0 for no rows. */
unsigned long long tk_page_total_pages(unsigned long long total,
    unsigned per_page);

/* Bit (1u << status) set for each status. */
#ifndef TK_STATUS_ALL
#define TK_STATUS_ALL ((1u << TK_ST__COUNT) - 1)
#endif
/*
 * "pending,error" into a mask of statuses.  Empty items and unknown names
 * are refused with one message each into details["status"];
 * TK_ERR_BAD_REQUEST then.
 */
tk_err tk_status_list_parse(const char *s, unsigned *mask,
    json_object *details);

/* ---------------------------------------------------------------- dependencies */

/* What the dependency analysis says of one step. */
enum tk_dep_class {
	TK_DEP_COMPLETED,   /* complete or resolved_manually */
	TK_DEP_READY,       /* parents done; pending, running or retrying */
	TK_DEP_BLOCKED,     /* waiting on a parent that is not done */
	TK_DEP_FAILED,      /* error with no attempt left */
	TK_DEP_CANCELLED
};

/* A step as the analysis needs it; index = position in the definition. */
struct tk_dep_step {
	const char     *name;
	enum tk_status  status;
	int             attempts_left;  /* error with a retry scheduled */
};

#define TK_ANALYSIS_SIZE 400

/*
 * Classifies each of the n steps of a task with status task_status
 * (cls[i]) and writes one sentence about the whole into analysis.  def
 * gives the parents; steps[i] must be def's step i (n == def->nsteps).
 */
void   tk_deps_analyse(const struct tk_handler_def *def,
    const struct tk_dep_step *steps, size_t n, enum tk_status task_status,
    enum tk_dep_class *cls, char analysis[TK_ANALYSIS_SIZE]);

#endif
