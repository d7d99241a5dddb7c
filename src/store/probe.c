/*
 * probe.c - the SQL behind /health/status and /metrics.
 *
 * Cost per call: task_counts (a few rows per handler version), the ready
 * range of ix_steps_ready, the workers table, and one GROUP BY over
 * workflow_steps read off ix_steps_status (the one query here that grows
 * with the data: 0.3 s at 4M steps; see the operations docs).  The step catch-up reads
 * step_transitions by primary key from the watermark on, so a scrape
 * costs what happened since the last one.
 */
#include "tasker/probe.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/clock.h"
#include "rows.h"

#define BATCH 5000

/* Adds "status, n" rows into by[status]. */
static void
by_status(const struct tk_rows *r, long long *by)
{
	size_t i;
	int s;

	for (i = 0; i < r->nrows; i++)
		if ((s = tk_status_parse(tk_row_str(r, i, 0))) >= 0)
			by[s] += tk_row_int(r, i, 1);
}

tk_err
tk_probe_counts(struct tk_db *db, unsigned heartbeat_timeout,
    struct tk_probe_counts *c)
{
	static const char SQL_TASKS[] =
	    "SELECT status, SUM(n) FROM task_counts GROUP BY status";
	static const char SQL_STEPS[] =
	    "SELECT status, COUNT(*) FROM workflow_steps GROUP BY status";
	static const char SQL_READY[] =
	    "SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, MIN(ready_at),"
	    " UTC_TIMESTAMP(6)) FROM workflow_steps"
	    " WHERE ready_at <= UTC_TIMESTAMP(6)";
	static const char SQL_WAITING[] =
	    "SELECT COUNT(*) FROM workflow_steps"
	    " WHERE ready_at > UTC_TIMESTAMP(6)";
	static const char SQL_WORKERS[] =
	    "SELECT COUNT(*), COALESCE(SUM(processes), 0) FROM workers"
	    " WHERE stopped_at IS NULL"
	    " AND heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL ? SECOND";
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg p = TK_PINT(heartbeat_timeout);
	tk_err e;

	memset(c, 0, sizeof(*c));
	c->oldest_ready_seconds = -1;
	if ((e = tk_db_query(db, SQL_TASKS, NULL, 0, &r)) != TK_OK)
		goto out;
	by_status(&r, c->tasks);
	tk_rows_free(&r);
	if ((e = tk_db_query(db, SQL_STEPS, NULL, 0, &r)) != TK_OK)
		goto out;
	by_status(&r, c->steps);
	tk_rows_free(&r);
	if ((e = tk_db_query(db, SQL_READY, NULL, 0, &r)) != TK_OK)
		goto out;
	c->ready_steps = tk_row_int(&r, 0, 0);
	if (c->ready_steps > 0 && tk_row_str(&r, 0, 1) != NULL)
		c->oldest_ready_seconds = (double)tk_row_int(&r, 0, 1) / 1e6;
	tk_rows_free(&r);
	if ((e = tk_db_query(db, SQL_WAITING, NULL, 0, &r)) != TK_OK)
		goto out;
	c->waiting_steps = tk_row_int(&r, 0, 0);
	tk_rows_free(&r);
	if ((e = tk_db_query(db, SQL_WORKERS, &p, 1, &r)) != TK_OK)
		goto out;
	c->workers_live = tk_row_int(&r, 0, 0);
	c->worker_processes_live = tk_row_int(&r, 0, 1);
out:
	tk_rows_free(&r);
	return e;
}

void
tk_worker_list_free(struct tk_worker_list *l)
{
	size_t i;

	for (i = 0; l->v != NULL && i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].host);
		free(l->v[i].started_at);
		free(l->v[i].heartbeat_at);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The rows of SQL_WORKERS into out, taking their cells over. */
static tk_err
workers_take(struct tk_rows *r, struct tk_worker_list *out)
{
	struct tk_worker_row *w;
	size_t i;

	if (r->nrows == 0)
		return TK_OK;
	if ((out->v = calloc(r->nrows, sizeof(*out->v))) == NULL)
		return TK_ERR_NOMEM;
	out->n = r->nrows;
	for (i = 0; i < r->nrows; i++) {
		w = &out->v[i];
		w->id = tk_row_take(r, i, 0, NULL);
		w->host = tk_row_take(r, i, 1, NULL);
		w->pid = (unsigned)tk_row_int(r, i, 2);
		w->processes = (unsigned)tk_row_int(r, i, 3);
		w->started_at = tk_row_take(r, i, 4, NULL);
		w->heartbeat_at = tk_row_take(r, i, 5, NULL);
	}
	return TK_OK;
}

tk_err
tk_probe_workers(struct tk_db *db, unsigned heartbeat_timeout,
    unsigned limit, struct tk_worker_list *out)
{
	static const char SQL_WORKERS[] =
	    "SELECT id, host, pid, processes,"
	    " DATE_FORMAT(started_at, '%Y-%m-%dT%TZ'),"
	    " DATE_FORMAT(heartbeat_at, '%Y-%m-%dT%TZ')"
	    " FROM workers WHERE stopped_at IS NULL"
	    " AND heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL ? SECOND"
	    " ORDER BY heartbeat_at DESC LIMIT ?";
	struct tk_dbarg p[2] = { TK_PINT(heartbeat_timeout), TK_PINT(limit) };
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	memset(out, 0, sizeof(*out));
	if ((e = tk_db_query(db, SQL_WORKERS, p, 2, &r)) == TK_OK)
		e = workers_take(&r, out);
	tk_rows_free(&r);
	return e;
}

/*
 * One batch of transitions after `after`, in id order: id, from, to,
 * the task's namespace and name, whether the row has settled, and for an
 * attempt's outcome the microseconds since the step's previous transition
 * (its claim: a step in in_progress got there by its last transition).
 */
static const char SQL_BATCH[] =
    "SELECT t.id, t.from_status, t.to_status, k.namespace, k.name,"
    " t.created_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND,"
    " IF(t.from_status = 'in_progress' AND t.to_status IN ('complete','error'),"
    "  (SELECT TIMESTAMPDIFF(MICROSECOND, p.created_at, t.created_at)"
    "   FROM step_transitions p WHERE p.step_id = t.step_id AND p.id < t.id"
    "   ORDER BY p.id DESC LIMIT 1), NULL)"
    " FROM step_transitions t JOIN tasks k ON k.id = t.task_id"
    " WHERE t.id > ? ORDER BY t.id LIMIT ?";

/* Counts the rows of one batch; *done when a row had not settled. */
static void
count_batch(struct tk_metrics *m, const struct tk_rows *r, int *done)
{
	const char *from, *to, *ns, *name;
	unsigned long long id;
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		if (!tk_row_int(r, i, 5)) {
			*done = 1;
			return;
		}
		id = (unsigned long long)tk_row_int(r, i, 0);
		from = tk_row_str(r, i, 1);
		to = tk_row_str(r, i, 2);
		ns = tk_row_str(r, i, 3);
		name = tk_row_str(r, i, 4);
		if (to != NULL && strcmp(to, "in_progress") == 0)
			tk_metrics_steps_add(m, ns, name, TK_STEP_ATTEMPT, -1);
		if (from != NULL && strcmp(from, "in_progress") == 0 &&
		    to != NULL && (strcmp(to, "complete") == 0 ||
		    strcmp(to, "error") == 0)) {
			if (strcmp(to, "error") == 0)
				tk_metrics_steps_add(m, ns, name,
				    TK_STEP_FAILURE, -1);
			tk_metrics_steps_add(m, ns, name, TK_STEP_FINISH,
			    tk_row_str(r, i, 6) != NULL ?
			    tk_row_int(r, i, 6) : -1);
		}
		tk_metrics_steps_set_watermark(m, id);
	}
}

tk_err
tk_probe_step_catchup(struct tk_db *db, struct tk_metrics *m,
    unsigned budget_ms)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg p[3];
	long long t0 = tk_now_ms();
	int done = 0;
	tk_err e = TK_OK;

	if (!tk_metrics_steps_lock(m))
		return TK_OK;
	while (!done && tk_now_ms() - t0 < (long long)budget_ms) {
		p[0] = TK_PINT(TK_PROBE_SETTLE_SECONDS);
		p[1] = TK_PINT(tk_metrics_steps_watermark(m));
		p[2] = TK_PINT(BATCH);
		if ((e = tk_db_query(db, SQL_BATCH, p, 3, &r)) != TK_OK)
			break;
		count_batch(m, &r, &done);
		if (r.nrows < BATCH)
			done = 1;
		tk_rows_free(&r);
	}
	tk_rows_free(&r);
	tk_metrics_steps_unlock(m);
	return e;
}
