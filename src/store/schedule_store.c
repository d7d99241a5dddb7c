/*
 * schedule_store.c - schedule_state rows and the database clock (see
 * schedule_store.h).
 */
#include "tasker/schedule_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/uuid.h"

#include "rows.h"

static const char SQL_NOW[] = "SELECT UNIX_TIMESTAMP()";
static const char SQL_LIST[] =
    "SELECT namespace, handler, schedule, paused, last_tick, last_task_id"
    " FROM schedule_state ORDER BY namespace, handler, schedule";
static const char SQL_SEEN[] =
    "INSERT IGNORE INTO schedule_state (namespace, handler, schedule,"
    " paused, last_tick, updated_at)"
    " VALUES (?, ?, ?, 0, UNIX_TIMESTAMP(), UTC_TIMESTAMP(6))";
static const char SQL_ADVANCE[] =
    "UPDATE schedule_state SET last_tick = GREATEST(last_tick, ?),"
    " last_task_id = COALESCE(?, last_task_id), updated_at = UTC_TIMESTAMP(6)"
    " WHERE namespace = ? AND handler = ? AND schedule = ?";
static const char SQL_PAUSE[] =
    "INSERT INTO schedule_state (namespace, handler, schedule, paused,"
    " last_tick, updated_at)"
    " VALUES (?, ?, ?, ?, UNIX_TIMESTAMP(), UTC_TIMESTAMP(6))"
    " ON DUPLICATE KEY UPDATE paused = VALUES(paused),"
    " last_tick = IF(VALUES(paused) = 0, UNIX_TIMESTAMP(), last_tick),"
    " updated_at = UTC_TIMESTAMP(6)";

tk_err
tk_schedule_store_now(struct tk_db *db, long long *now)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	if ((e = tk_db_query(db, SQL_NOW, NULL, 0, &r)) != TK_OK)
		return e;
	if (r.nrows != 1)
		e = TK_ERR_DB;
	else
		*now = tk_row_int(&r, 0, 0);
	tk_rows_free(&r);
	return e;
}

tk_err
tk_schedule_store_list(struct tk_db *db, struct tk_schedule_states *out)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_schedule_state *s;
	size_t i;
	tk_err e;

	memset(out, 0, sizeof(*out));
	if ((e = tk_db_query(db, SQL_LIST, NULL, 0, &r)) != TK_OK)
		return e;
	if (r.nrows > 0 && (out->v = calloc(r.nrows, sizeof(*s))) == NULL) {
		tk_rows_free(&r);
		return TK_ERR_NOMEM;
	}
	for (i = 0; i < r.nrows; i++) {
		s = &out->v[i];
		/* NOT NULL columns of at most TK_NAME_MAX bytes. */
		snprintf(s->namespace_name, sizeof(s->namespace_name), "%s",
		    tk_row_str(&r, i, 0));
		snprintf(s->handler, sizeof(s->handler), "%s",
		    tk_row_str(&r, i, 1));
		snprintf(s->schedule, sizeof(s->schedule), "%s",
		    tk_row_str(&r, i, 2));
		s->paused = tk_row_int(&r, i, 3) != 0;
		s->last_tick = tk_row_int(&r, i, 4);
		if (tk_row_len(&r, i, 5) == 16)
			tk_uuid_format((const unsigned char *)tk_row_str(&r, i,
			    5), s->last_task_id);
	}
	out->n = r.nrows;
	tk_rows_free(&r);
	return TK_OK;
}

void
tk_schedule_states_free(struct tk_schedule_states *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

const struct tk_schedule_state *
tk_schedule_state_find(const struct tk_schedule_states *s, const char *ns,
    const char *handler, const char *schedule)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].namespace_name, ns) == 0 &&
		    strcmp(s->v[i].handler, handler) == 0 &&
		    strcmp(s->v[i].schedule, schedule) == 0)
			return &s->v[i];
	return NULL;
}

tk_err
tk_schedule_store_seen(struct tk_db *db, const char *ns, const char *handler,
    const char *schedule)
{
	struct tk_dbarg a[3];

	a[0] = TK_PSTR(ns);
	a[1] = TK_PSTR(handler);
	a[2] = TK_PSTR(schedule);
	return tk_db_exec(db, SQL_SEEN, a, 3, NULL, NULL);
}

tk_err
tk_schedule_store_advance(struct tk_db *db, const char *ns,
    const char *handler, const char *schedule, long long tick,
    const unsigned char *task)
{
	struct tk_dbarg a[5];

	a[0] = TK_PINT(tick);
	a[1] = task != NULL ? TK_PBLOB(task, 16) : TK_PNULL;
	a[2] = TK_PSTR(ns);
	a[3] = TK_PSTR(handler);
	a[4] = TK_PSTR(schedule);
	return tk_db_exec(db, SQL_ADVANCE, a, 5, NULL, NULL);
}

tk_err
tk_schedule_store_pause(struct tk_db *db, const char *ns, const char *handler,
    const char *schedule, int paused)
{
	struct tk_dbarg a[4];

	a[0] = TK_PSTR(ns);
	a[1] = TK_PSTR(handler);
	a[2] = TK_PSTR(schedule);
	a[3] = TK_PINT(paused ? 1 : 0);
	return tk_db_exec(db, SQL_PAUSE, a, 4, NULL, NULL);
}
