/*
 * task_request.h - the fields of the task API's request bodies, checked all
 * at once, and the Idempotency-Key fingerprint (src/tasks/task_request.c).
 */
#ifndef TASKER_TASK_REQUEST_H
#define TASKER_TASK_REQUEST_H

#include <json-c/json.h>

#include "tasker/error.h"
#include "tasker/semver.h"
#include "tasker/state.h"

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
	int               is_range;     /* version is a range, not exact */
	struct tk_semver_range range;   /* the range, when is_range */
	json_object      *context;      /* a reference of our own */
	const char       *initiator;    /* NULL when absent */
	const char       *source_system;
	const char       *reason;
	json_object      *tags;         /* array of strings, or NULL */
	int               has_priority; /* "priority" given */
	int               priority;     /* TK_PRIORITY_MIN..MAX when given */
};

/*
 * Reads a create request: the guide's {"name", "namespace", "version",
 * "context"} or Tasker's wrapped {"task": {...}}, plus optional
 * "initiator", "source_system", "reason", "tags" and "priority" (a whole
 * number from -100 to 100; null is absent).  Every problem is
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

#endif
