/*
 * task_rows.h - what the task store's files share (store-internal): the
 * task columns every task read selects, and turning their cells into
 * struct tk_task_row (task_read.c).
 *
 * The task store is four files, one job each: task_create.c (a task
 * with its steps, Idempotency-Keys), task_read.c (a task, its steps, a
 * step's transitions; the typed rows), task_list.c (lists and counts),
 * task_ops.c (the operator's operations).  Their one header is
 * include/tasker/task_store.h.
 */
#ifndef TASKER_STORE_TASK_ROWS_H
#define TASKER_STORE_TASK_ROWS_H

#include <stddef.h>

#include "tasker/task_store.h"
#include "rows.h"

/* Time stamp columns are read as DATETIME text and put in the API's form
 * in C (tk_task_query): DATE_FORMAT in the server cost more. */
#define TASK_COLS                                                          \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, t.context, t.initiator, t.source_system, t.reason,"    \
	" t.tags, t.created_at, t.updated_at, t.completed_at, t.created_by,"  \
	" t.priority, t.row_version"

/*
 * A stale task (0008, GET /tasks?stale=, the tasker_tasks_stale gauge):
 * pending, in_progress or error and last changed before that status's
 * cut-off (three parameters; a status that is never stale gets a time
 * before every task, TK_STALE_NEVER).  Ranges of ix_tasks_status_updated.
 */
#define STALE_EXPR                                                         \
	"(status = 'pending' AND updated_at < ?"                           \
	" OR status = 'in_progress' AND updated_at < ?"                    \
	" OR status = 'error' AND updated_at < ?)"
#define TK_STALE_NEVER "1000-01-01 00:00:00"

/* The columns of TASK_COLS, in order. */
enum task_col {
	TC_ID, TC_HV, TC_NAMESPACE, TC_NAME, TC_VERSION, TC_STATUS,
	TC_CONTEXT, TC_INITIATOR, TC_SOURCE, TC_REASON, TC_TAGS, TC_CREATED,
	TC_UPDATED, TC_COMPLETED, TC_CREATED_BY, TC_PRIORITY, TC_ROW_VERSION,
	TC__NCOLS
};

/*
 * tk_db_query of a statement whose rows start with TASK_COLS, then the
 * task's time stamps in the API's form.  On failure out is empty.
 */
tk_err tk_task_query(struct tk_db *db, const char *sql,
    const struct tk_dbarg *a, size_t n, struct tk_rows *out);

/*
 * The rows of tk_task_query as tasks: takes their cells over (r keeps
 * the columns after TASK_COLS).  TK_ERR_NOMEM; TK_ERR_DB for a row that
 * is not a task's.  On failure out is empty.
 */
tk_err tk_task_rows_take(struct tk_rows *r, struct tk_task_list *out);

/*
 * The task_tags rows of task id (0006: the index of the tags filter) for
 * tags, its JSON array text (NULL: none): written with the task, and
 * rewritten (replace: the old rows go first) when PATCH changes them.
 * In the caller's transaction.  (task_create.c)
 */
tk_err tk_task_tags_write(struct tk_db *db, const unsigned char id[16],
    const char *tags, int replace);

#endif
