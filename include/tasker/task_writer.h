/*
 * task_writer.h - the JSON shapes of the task API (src/api/task_writer.c):
 * a task, a step in full, a dependency analysis.
 */
#ifndef TASKER_TASK_WRITER_H
#define TASKER_TASK_WRITER_H

#include <stddef.h>

#include <json-c/json.h>

#include "tasker/api.h"
#include "tasker/buf.h"
#include "tasker/state.h"
#include "tasker/task_store.h"

struct tk_handler_def;
struct tk_glance;
struct tk_dep_step;

/*
 * A task as every answer shows it.  Strings may be NULL (printed as null);
 * context and tags are stored JSON texts (NULL: {} and []), copied as
 * they are when in json-c's printed form (tk_json_put_stored).
 */
struct tk_task_view {
	const unsigned char *id;            /* 16 bytes; NULL prints "?" */
	const char          *name;
	const char          *namespace_name;
	const char          *version;
	const char          *status;
	const char          *context;
	size_t               context_len;
	const char          *created_at;
	const char          *updated_at;
	const char          *initiator;
	const char          *source_system;
	const char          *reason;
	const char          *tags;
	size_t               tags_len;
	const char          *completed_at;
	const char          *created_by;
	int                  priority;
	int                  stale;
	/* With steps (the detail and the operations' answers): the task at
	 * a glance and the analysis of each step by position (NULL: the
	 * handler version is not loaded; the glance fields are omitted). */
	const struct tk_glance  *glance;
	const struct tk_dep_step *dep_steps;
	size_t                   ndep_steps;
};

/*
 * The one task writer (the 201 body of POST /tasks, the detail, the
 * list items, the answers of the task operations): appends v as the
 * guide shows it to b: id, name, namespace, version, full_name, status,
 * context, [steps], [dependencies], created_at, updated_at, then
 * initiator, source_system, reason, tags, completed_at, created_by,
 * priority, stale, and with a glance execution_status, recommended_action
 * ({"action", "step"}) and completion_percentage.
 * steps (NULL: no "steps" member) are shown in brief:
 * name, status, results, attempts, started_at, completed_at, and
 * last_error / next_attempt_at when they apply, then (with dep_steps)
 * dependencies_satisfied, retry_eligible, next_retry_at and
 * max_attempts; deps (NULL: none) is printed as the
 * "dependencies" member.  Stored JSON (context, tags, results) is copied
 * as it is when it is in json-c's printed form (tk_json_put_stored), so
 * the bytes are those json-c would print.  TK_ERR_NOMEM.
 */
tk_err tk_task_view_write(struct tk_buf *b, const struct tk_task_view *v,
    const struct tk_step_list *steps, json_object *deps);
/* The view of task t; it points into t. */
void   tk_task_view_of_row(const struct tk_task_row *t,
    struct tk_task_view *v);
/* tk_task_view_write of task t. */
tk_err tk_task_write(struct tk_buf *b, const struct tk_task_row *t,
    const struct tk_step_list *steps, json_object *deps);
/*
 * A step in full (workflow_steps endpoints): name, status, results,
 * attempts, started_at, completed_at, last_error, next_attempt_at,
 * position, depends_on, max_attempts, retryable, retry_limit, skippable,
 * created_at, updated_at.  def may be NULL (depends_on is then []).
 */
json_object *tk_step_json(const struct tk_step_row *s,
    const struct tk_handler_def *def);
/* Every step of l in full, in order. */
json_object *tk_steps_json(const struct tk_step_list *l,
    const struct tk_handler_def *def);
/* A step's transitions, oldest first: from, to, attempt, actor, reason,
 * at. */
json_object *tk_transitions_json(const struct tk_transition_list *l);
/* The dependency analysis of a task (see tk_deps_analyse); stale adds
 * the stale sentence. */
json_object *tk_deps_json(const struct tk_step_list *steps,
    const struct tk_handler_def *def, enum tk_status task_status,
    int stale);

/*
 * The ETag of a task's answers (detail and operations): from its
 * row_version, the representation's format (TK_TASK_FORMAT: raise it
 * with every change of the bytes a task answer is made of), the query
 * options that change the bytes (include_dependencies: deps) and the
 * time-dependent stale flag.  Equal tags: equal bytes.
 */
#define TK_TASK_FORMAT 1
void   tk_task_etag(char out[TK_ETAG_SIZE], unsigned long long row_version,
    int deps, int stale);

/* Answers with HTTP status code the task t with its steps s (and its
 * dependency analysis when deps), its ETag set (tk_task_etag). */
tk_err tk_tasks_render(struct tk_request *req, struct tk_response *res,
    const struct tk_task_row *task, const struct tk_step_list *steps,
    int code, int deps);

#endif
