/*
 * schedule_store.h - the SQL of recurring tasks (src/store/
 * schedule_store.c): the schedule_state rows (paused, last tick; see
 * db/migrations/0010_schedules_retention.sql) and the database's clock,
 * which is the one every worker host agrees on.  The tasks themselves are created
 * through task_store.h, as POST /tasks creates them.
 */
#ifndef TASKER_SCHEDULE_STORE_H
#define TASKER_SCHEDULE_STORE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/handler.h"

struct tk_schedule_state {
	char       namespace_name[TK_NAME_MAX + 1];
	char       handler[TK_NAME_MAX + 1];
	char       schedule[TK_NAME_MAX + 1];
	int        paused;
	long long  last_tick;        /* seconds since the epoch */
	char       last_task_id[37]; /* "" when none yet */
};

struct tk_schedule_states {
	struct tk_schedule_state *v;
	size_t                    n;
};

/* The database's time, seconds since the epoch. */
tk_err tk_schedule_store_now(struct tk_db *db, long long *now);
/* Every state row, ordered by namespace, handler, schedule; free with
 * tk_schedule_states_free. */
tk_err tk_schedule_store_list(struct tk_db *db, struct tk_schedule_states *out);
void   tk_schedule_states_free(struct tk_schedule_states *s);
/* The state of one schedule, or NULL. */
const struct tk_schedule_state *tk_schedule_state_find(
    const struct tk_schedule_states *s, const char *ns, const char *handler,
    const char *schedule);
/* Makes the row of a schedule first seen, last_tick = the database's
 * now (nothing when it exists). */
tk_err tk_schedule_store_seen(struct tk_db *db, const char *ns,
    const char *handler, const char *schedule);
/* last_tick = max(last_tick, tick); task: the task the tick started
 * (16 bytes), or NULL for a skipped one. */
tk_err tk_schedule_store_advance(struct tk_db *db, const char *ns,
    const char *handler, const char *schedule, long long tick,
    const unsigned char *task);
/* Pauses (paused 1) or resumes (0: last_tick = now, so the ticks that
 * fell while paused are never started) a schedule, making its row when
 * there is none. */
tk_err tk_schedule_store_pause(struct tk_db *db, const char *ns,
    const char *handler, const char *schedule, int paused);

#endif
