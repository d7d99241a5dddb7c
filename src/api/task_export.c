/*
 * task_export.c - purged tasks as JSON lines (see task_export.h): read
 * back as GET /tasks/{id} reads them, written by the one task writer.
 */
#include "tasker/task_export.h"

#include <string.h>

#include "tasker/task_store.h"
#include "tasker/task_writer.h"

tk_err
tk_task_export_lines(struct tk_db *db, const unsigned char *ids, size_t n,
    struct tk_buf *out)
{
	struct tk_task_row t;
	struct tk_step_list s;
	size_t i;
	tk_err e = TK_OK;

	for (i = 0; i < n && e == TK_OK; i++) {
		memset(&t, 0, sizeof(t));
		memset(&s, 0, sizeof(s));
		e = tk_task_store_get_all(db, ids + 16 * i, &t, &s);
		if (e == TK_ERR_TASK_NOT_FOUND) {
			e = TK_OK;
			continue;
		}
		if (e == TK_OK && (e = tk_task_write(out, &t, &s, NULL)) == TK_OK)
			e = tk_buf_putc(out, '\n');
		tk_task_row_free(&t);
		tk_step_list_free(&s);
	}
	return e;
}
