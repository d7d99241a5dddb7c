/*
 * task_export.h - purged tasks as JSON lines (src/api/task_export.c):
 * each line is the task as GET /tasks/{id} shows it, with its steps, so
 * an archive reads like the API.
 */
#ifndef TASKER_TASK_EXPORT_H
#define TASKER_TASK_EXPORT_H

#include <stddef.h>

#include "tasker/buf.h"
#include "tasker/db.h"
#include "tasker/error.h"

/* Appends one line per task of ids (n x 16 bytes) to out; a task that
 * is gone is skipped. */
tk_err tk_task_export_lines(struct tk_db *db, const unsigned char *ids,
    size_t n, struct tk_buf *out);

#endif
