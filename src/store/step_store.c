/*
 * step_store.c - the engine's statements (see step_store.h).
 *
 * Every function runs one statement and turns its rows into the caller's
 * struct; the rows are freed here.  The statements are the engine's as
 * they were (their order and locking are the engine's, engine.c).
 */
#include "tasker/step_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/flow.h"
#include "tasker/state.h"
#include "tasker/transition_store.h"
#include "rows.h"

/*
 * The claim, in its two forms: the first ready step of all, and the
 * oldest ready step of one task (the chained claim of a step whose
 * parent just completed, in the record's transaction, the task's row
 * already locked).  A rule of which step may be claimed belongs in both.
 */
#define CLAIM_COLS \
    "SELECT id, task_id, position, name, status, attempts, retry_limit," \
    " retryable, unmet_parents, lease_epoch FROM workflow_steps"
/*
 * The claim of all: the ready step of the highest effective priority
 * (its task's priority plus one point per second waited: the smallest
 * claim_at, 0011_flow_control.sql), read off ix_steps_claim.  claim_at
 * is at most TK_PRIORITY_MAX seconds before ready_at, so a step that may run
 * has claim_at <= now + 100 s; a step whose retry is still ahead of it
 * can sort before it and is passed over (ready_at <= now).  With every
 * priority 0 this is the old FIFO claim over the same kind of index.
 */
#define CLAIM_ALL \
    CLAIM_COLS " FORCE INDEX (ix_steps_claim)" \
    " WHERE claim_at <= UTC_TIMESTAMP(6) + INTERVAL 100 SECOND" \
    " AND ready_at <= UTC_TIMESTAMP(6)" \
    " ORDER BY claim_at LIMIT 1 FOR UPDATE SKIP LOCKED"
static const char SQL_CLAIM[] = CLAIM_ALL;
static const char SQL_CLAIM_EXPLAIN[] = "EXPLAIN " CLAIM_ALL;
static const char SQL_CLAIM_OF_TASK[] =
    CLAIM_COLS " WHERE task_id = ? AND ready_at <= UTC_TIMESTAMP(6)"
    " ORDER BY ready_at LIMIT 1 FOR UPDATE SKIP LOCKED";
/* With the context, which the step's stdin needs next (step_store.h). */
static const char SQL_TASK_CLAIM[] =
    "SELECT status, handler_version_id, namespace, name, version, context"
    " FROM tasks WHERE id = ? FOR UPDATE";
/* max_in_flight (0011): the key's row locked (created if need be), the
 * leased attempts of the key counted, the step marked with its key. */
static const char SQL_SLOT_LOCK[] =
    "INSERT INTO flow_limits (limit_key, taken) VALUES (?, 0)"
    " ON DUPLICATE KEY UPDATE taken = taken";
static const char SQL_SLOT_COUNT[] =
    "SELECT COUNT(*) FROM workflow_steps FORCE INDEX (ix_steps_limit)"
    " WHERE limit_key = ? AND lease_expires_at > UTC_TIMESTAMP(6)";
static const char SQL_SLOT_MARK[] =
    "UPDATE workflow_steps SET limit_key = ? WHERE id = ?";
static const char SQL_SLOT_TAKEN[] =
    "UPDATE flow_limits SET taken = taken + 1 WHERE limit_key = ?";
/* A handler-level limit (0012): the other tasks with a step leased under
 * the key, and whether the claim's own task has one. */
static const char SQL_TASK_SLOT_COUNT[] =
    "SELECT COUNT(DISTINCT task_id), COALESCE(MAX(task_id = ?), 0)"
    " FROM workflow_steps FORCE INDEX (ix_steps_task_limit)"
    " WHERE task_limit_key = ? AND lease_expires_at > UTC_TIMESTAMP(6)";
static const char SQL_TASK_SLOT_MARK[] =
    "UPDATE workflow_steps SET task_limit_key = ? WHERE id = ?";
/* A rate limit (0012): the template's row locked (created if need be),
 * its GCRA time read with the database clock, in microseconds. */
static const char SQL_RATE_LOCK[] =
    "INSERT INTO flow_rates (rate_key) VALUES (?)"
    " ON DUPLICATE KEY UPDATE tat_us = tat_us";
static const char SQL_RATE_READ[] =
    "SELECT tat_us, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00',"
    " UTC_TIMESTAMP(6)) FROM flow_rates WHERE rate_key = ?";
static const char SQL_RATE_TAKE[] =
    "UPDATE flow_rates SET tat_us = ? WHERE rate_key = ?";
static const char SQL_RATE_HELD[] =
    "UPDATE flow_rates SET limited = limited + 1 WHERE rate_key = ?";
static const char SQL_RATE_TOTALS[] =
    "SELECT rate_key, limited FROM flow_rates ORDER BY rate_key";
/* A step held back: pending still, looked at again in ? microseconds. */
static const char SQL_HOLD[] =
    "UPDATE workflow_steps SET limit_key = ?, ready_at = UTC_TIMESTAMP(6)"
    " + INTERVAL ? MICROSECOND WHERE id = ?";
/* The hold's reason is in the task's answer (the dependency analysis):
 * its version moves when the reason does, not on every re-hold. */
static const char SQL_HOLD_BUMP[] =
    "UPDATE tasks SET row_version = row_version + 1"
    " WHERE id = (SELECT task_id FROM workflow_steps WHERE id = ?"
    " AND NOT limit_key <=> ?)";
static const char SQL_UNREADY[] =
    "UPDATE workflow_steps SET ready_at = NULL,"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_RENEW[] =
    "UPDATE workflow_steps"
    " SET lease_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND"
    " WHERE id = ? AND lease_owner = ? AND attempts = ?";
static const char SQL_SETTLED[] =
    "SELECT status, attempts FROM workflow_steps WHERE id = ?";
static const char SQL_CONTEXT[] =
    "SELECT context FROM tasks WHERE id = ?";
static const char SQL_PARENT[] =
    "SELECT results FROM workflow_steps WHERE task_id = ? AND name = ?";
/* The context and one parent's results in one round trip. */
static const char SQL_CONTEXT_PARENT[] =
    "SELECT t.context, (SELECT s.results FROM workflow_steps s"
    " WHERE s.task_id = t.id AND s.name = ?) FROM tasks t WHERE t.id = ?";
/* The step, then its task (both constant lookups by primary key, read
 * in that order): the engine's lock order in one round trip. */
static const char SQL_MINE[] =
    "SELECT s.status, s.attempts, s.lease_owner, s.retryable,"
    " s.retry_limit, t.status FROM workflow_steps s"
    " LEFT JOIN tasks t ON t.id = s.task_id WHERE s.id = ? FOR UPDATE";
static const char SQL_TASK_LOCK[] =
    "SELECT status FROM tasks WHERE id = ? FOR UPDATE";
static const char SQL_LATE_RESULTS[] =
    "UPDATE workflow_steps SET results = ?, lease_owner = NULL,"
    " lease_expires_at = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_FAILED[] =
    "UPDATE workflow_steps SET last_error = ?, lease_owner = NULL,"
    " lease_expires_at = NULL,"
    " ready_at = IF(?, UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND, NULL),"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_LATE_ERROR[] =
    "UPDATE workflow_steps SET last_error = ?, lease_owner = NULL,"
    " lease_expires_at = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_LEASE_CLEAR[] =
    "UPDATE workflow_steps SET lease_owner = NULL, lease_expires_at = NULL,"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_RELEASED[] =
    "UPDATE workflow_steps SET attempts = IF(attempts > 0, attempts - 1, 0),"
    " lease_owner = NULL, lease_expires_at = NULL,"
    " ready_at = IF(?, UTC_TIMESTAMP(6), NULL),"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
/* LIMIT: TK_STEP_REAP_BATCH. */
static const char SQL_EXPIRED[] =
    "SELECT id, task_id, status, attempts, retry_limit, retryable,"
    " lease_owner FROM workflow_steps FORCE INDEX (ix_steps_lease)"
    " WHERE lease_expires_at < UTC_TIMESTAMP(6)"
    " ORDER BY lease_expires_at LIMIT 20 FOR UPDATE SKIP LOCKED";
static const char SQL_REAPED[] =
    "UPDATE workflow_steps SET last_error = ?, lease_owner = NULL,"
    " lease_expires_at = NULL, ready_at = IF(?, UTC_TIMESTAMP(6), NULL),"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_READY_COUNT[] =
    "SELECT id FROM workflow_steps FORCE INDEX (ix_steps_ready)"
    " WHERE ready_at <= UTC_TIMESTAMP(6) LIMIT ?";
static const char SQL_MAX_PACKET[] =
    "SELECT @@max_allowed_packet";
static const char SQL_WORKER_GC[] =
    "DELETE FROM workers"
    " WHERE heartbeat_at < UTC_TIMESTAMP(6) - INTERVAL 7 DAY";
static const char SQL_WORKER_START[] =
    "INSERT INTO workers (id, host, pid, processes, started_at,"
    " heartbeat_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))";
static const char SQL_WORKER_BEAT[] =
    "UPDATE workers SET heartbeat_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_WORKER_STOP[] =
    "UPDATE workers SET heartbeat_at = UTC_TIMESTAMP(6),"
    " stopped_at = UTC_TIMESTAMP(6) WHERE id = ?";

/* ---------------------------------------------------------------- cells */

/* Copies a cell into a fixed buffer; 0 when it is NULL or too long. */
static int
copy_cell(char *dst, size_t dstsz, const struct tk_rows *r, size_t row,
    size_t col)
{
	const char *s = tk_row_str(r, row, col);

	if (s == NULL || tk_row_len(r, row, col) >= dstsz)
		return 0;
	memcpy(dst, s, tk_row_len(r, row, col) + 1);
	return 1;
}

/* A 16-byte id cell into id; 0 when it is not one. */
static int
copy_id(unsigned char id[16], const struct tk_rows *r, size_t row,
    size_t col)
{
	const char *s = tk_row_str(r, row, col);

	if (s == NULL || tk_row_len(r, row, col) != 16)
		return 0;
	memcpy(id, s, 16);
	return 1;
}

static int
row_status(const struct tk_rows *r, size_t row, size_t col)
{
	return tk_status_parse(tk_row_str(r, row, col));
}

/* A copy of cell (0, col) of r: *out NULL for SQL NULL or no row. */
static tk_err
copy_first(const struct tk_rows *r, size_t col, char **out, size_t *len)
{
	const char *s = tk_row_str(r, 0, col);

	*out = NULL;
	*len = 0;
	if (s == NULL)
		return TK_OK;
	*len = tk_row_len(r, 0, col);
	if ((*out = malloc(*len + 1)) == NULL)
		return TK_ERR_NOMEM;
	memcpy(*out, s, *len + 1);
	return TK_OK;
}

/* A copy of the first row's first cell (NULL for SQL NULL or no row). */
static tk_err
first_cell(struct tk_db *db, const char *sql, const struct tk_dbarg *a,
    size_t na, char **out, size_t *len)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	*out = NULL;
	*len = 0;
	if ((e = tk_db_query(db, sql, a, na, &r)) != TK_OK)
		return e;
	e = copy_first(&r, 0, out, len);
	tk_rows_free(&r);
	return e;
}

static tk_err
by_id(struct tk_db *db, const char *sql, unsigned long long id)
{
	struct tk_dbarg a = TK_PINT(id);

	return tk_db_exec(db, sql, &a, 1, NULL, NULL);
}

static tk_err
str_by_id(struct tk_db *db, const char *sql, const char *s,
    unsigned long long id)
{
	struct tk_dbarg a[2];

	a[0] = TK_PSTR(s);
	a[1] = TK_PINT(id);
	return tk_db_exec(db, sql, a, 2, NULL, NULL);
}

/* ---------------------------------------------------------------- claim */

/* One of the claim's two forms (a NULL or one argument, the task). */
static tk_err
claim_query(struct tk_db *db, const char *sql, const struct tk_dbarg *a,
    size_t na, struct tk_step_ready *s, int *found)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	memset(s, 0, sizeof(*s));
	*found = 0;
	if ((e = tk_db_query(db, sql, a, na, &r)) != TK_OK)
		return e;
	if (r.nrows == 0)
		goto out;
	*found = 1;
	s->id = (unsigned long long)tk_row_int(&r, 0, 0);
	s->well_formed = copy_id(s->task, &r, 0, 1) &&
	    copy_cell(s->name, sizeof(s->name), &r, 0, 3);
	s->position = (size_t)tk_row_int(&r, 0, 2);
	s->status = row_status(&r, 0, 4);
	s->attempts = (unsigned)tk_row_int(&r, 0, 5);
	s->retry_limit = (unsigned)tk_row_int(&r, 0, 6);
	s->retryable = tk_row_int(&r, 0, 7) != 0;
	s->unmet_parents = tk_row_int(&r, 0, 8) != 0;
	s->lease_epoch = (unsigned long long)tk_row_int(&r, 0, 9);
out:
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_step_store_next_ready(struct tk_db *db, struct tk_step_ready *s,
    int *found)
{
	return claim_query(db, SQL_CLAIM, NULL, 0, s, found);
}

tk_err
tk_step_store_claim_plan(struct tk_db *db, char *out, size_t outsz)
{
	struct tk_rows r = TK_ROWS_INIT;
	const char *type, *key, *extra;
	tk_err e;

	out[0] = '\0';
	if ((e = tk_db_query(db, SQL_CLAIM_EXPLAIN, NULL, 0, &r)) != TK_OK)
		return e;
	/* EXPLAIN: id, select_type, table, type, possible_keys, key,
	 * key_len, ref, rows, Extra. */
	if (r.nrows == 1 && r.ncols >= 10) {
		type = tk_row_str(&r, 0, 3);
		key = tk_row_str(&r, 0, 5);
		extra = tk_row_str(&r, 0, 9);
		snprintf(out, outsz, "%s:%s:%s", type ? type : "NULL",
		    key ? key : "NULL", extra ? extra : "");
	}
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_step_store_next_ready_of(struct tk_db *db, const unsigned char task[16],
    struct tk_step_ready *s, int *found)
{
	struct tk_dbarg a = TK_PBLOB(task, 16);

	return claim_query(db, SQL_CLAIM_OF_TASK, &a, 1, s, found);
}

tk_err
tk_step_store_claim_task(struct tk_db *db, const unsigned char task[16],
    struct tk_step_task *t, char **context, size_t *context_len)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(task, 16);
	tk_err e;

	memset(t, 0, sizeof(*t));
	t->status = -1;
	*context = NULL;
	*context_len = 0;
	if ((e = tk_db_query(db, SQL_TASK_CLAIM, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows == 1) {
		t->status = row_status(&r, 0, 0);
		t->hv = (unsigned)tk_row_int(&r, 0, 1);
		t->names_ok = copy_cell(t->ns, sizeof(t->ns), &r, 0, 2) &&
		    copy_cell(t->handler, sizeof(t->handler), &r, 0, 3) &&
		    copy_cell(t->version, sizeof(t->version), &r, 0, 4);
		*context = tk_row_take(&r, 0, 5, context_len);
	}
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_step_store_slot_take(struct tk_db *db, const char *key, unsigned limit,
    unsigned long long id, int *taken)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PSTR(key);
	long long n;
	tk_err e;

	*taken = 0;
	if ((e = tk_db_exec(db, SQL_SLOT_LOCK, &a, 1, NULL, NULL)) != TK_OK ||
	    (e = tk_db_query(db, SQL_SLOT_COUNT, &a, 1, &r)) != TK_OK)
		return e;
	n = r.nrows == 1 ? tk_row_int(&r, 0, 0) : -1;
	tk_rows_free(&r);
	if (n < 0 || (unsigned long long)n >= limit)
		return TK_OK;
	if ((e = str_by_id(db, SQL_SLOT_MARK, key, id)) != TK_OK ||
	    (e = tk_db_exec(db, SQL_SLOT_TAKEN, &a, 1, NULL, NULL)) != TK_OK)
		return e;
	*taken = 1;
	return TK_OK;
}

tk_err
tk_step_store_task_slot_take(struct tk_db *db, const char *key,
    unsigned limit, unsigned long long id, const unsigned char task[16],
    int *taken)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	long long others, mine;
	tk_err e;

	*taken = 0;
	a[0] = TK_PBLOB(task, 16);
	a[1] = TK_PSTR(key);
	if ((e = tk_db_exec(db, SQL_SLOT_LOCK, &a[1], 1, NULL, NULL)) !=
	    TK_OK ||
	    (e = tk_db_query(db, SQL_TASK_SLOT_COUNT, a, 2, &r)) != TK_OK)
		return e;
	others = r.nrows == 1 ? tk_row_int(&r, 0, 0) : -1;
	mine = r.nrows == 1 ? tk_row_int(&r, 0, 1) : 0;
	tk_rows_free(&r);
	/* Its own task's slot counts once: another step of a task already
	 * running under the key needs none of its own. */
	if (others < 0 || (!mine && (unsigned long long)others >= limit))
		return TK_OK;
	if ((e = str_by_id(db, SQL_TASK_SLOT_MARK, key, id)) != TK_OK)
		return e;
	*taken = 1;
	return TK_OK;
}

tk_err
tk_step_store_rate_take(struct tk_db *db, const char *key,
    long long interval_us, long long *wait_us)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	long long tat, now;
	tk_err e;

	*wait_us = 0;
	a[1] = TK_PSTR(key);
	if ((e = tk_db_exec(db, SQL_RATE_LOCK, &a[1], 1, NULL, NULL)) !=
	    TK_OK ||
	    (e = tk_db_query(db, SQL_RATE_READ, &a[1], 1, &r)) != TK_OK)
		return e;
	if (r.nrows != 1) {
		tk_rows_free(&r);
		return TK_ERR_INTERNAL;
	}
	tat = tk_row_int(&r, 0, 0);
	now = tk_row_int(&r, 0, 1);
	tk_rows_free(&r);
	if ((*wait_us = tk_gcra(now, &tat, interval_us)) > 0)
		return tk_db_exec(db, SQL_RATE_HELD, &a[1], 1, NULL, NULL);
	a[0] = TK_PINT(tat);
	return tk_db_exec(db, SQL_RATE_TAKE, a, 2, NULL, NULL);
}

tk_err
tk_step_store_rate_totals(struct tk_db *db, struct tk_rate_total **out,
    size_t *n)
{
	struct tk_rows r = TK_ROWS_INIT;
	size_t i;
	tk_err e;

	*out = NULL;
	*n = 0;
	if ((e = tk_db_query(db, SQL_RATE_TOTALS, NULL, 0, &r)) != TK_OK)
		return e;
	if (r.nrows > 0 && (*out = calloc(r.nrows, sizeof(**out))) == NULL) {
		tk_rows_free(&r);
		return TK_ERR_NOMEM;
	}
	for (i = 0; i < r.nrows; i++) {
		copy_cell((*out)[i].step, sizeof((*out)[i].step), &r, i, 0);
		(*out)[i].limited = (unsigned long long)tk_row_int(&r, i, 1);
	}
	*n = r.nrows;
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_step_store_hold_for(struct tk_db *db, const char *key,
    unsigned long long id, long long wait_us)
{
	struct tk_dbarg a[3];
	tk_err e;

	/* The key marks it for the dependency analysis; a pending step has
	 * no lease, so it takes no slot. */
	a[0] = TK_PINT(id);
	a[1] = TK_PSTR(key);
	if ((e = tk_db_exec(db, SQL_HOLD_BUMP, a, 2, NULL, NULL)) != TK_OK)
		return e;
	a[0] = TK_PSTR(key);
	a[1] = TK_PINT(wait_us);
	a[2] = TK_PINT(id);
	return tk_db_exec(db, SQL_HOLD, a, 3, NULL, NULL);
}

tk_err
tk_step_store_hold(struct tk_db *db, const char *key, unsigned long long id)
{
	return tk_step_store_hold_for(db, key, id, 500000);
}

tk_err
tk_step_store_unready(struct tk_db *db, unsigned long long id)
{
	tk_err e;

	/* A retry that will not come: next_attempt_at goes from the
	 * task's answers. */
	if ((e = by_id(db, SQL_UNREADY, id)) != TK_OK)
		return e;
	return tk_task_version_bump(db, NULL, id);
}

/* ---------------------------------------------------------------- running */

tk_err
tk_step_store_renew(struct tk_db *db, unsigned long long id,
    const char *owner, unsigned attempt, unsigned lease_seconds, int *held)
{
	struct tk_dbarg a[4];
	unsigned long long n = 0;
	tk_err e;

	a[0] = TK_PINT(lease_seconds);
	a[1] = TK_PINT(id);
	a[2] = TK_PSTR(owner);
	a[3] = TK_PINT(attempt);
	e = tk_db_exec(db, SQL_RENEW, a, 4, &n, NULL);
	*held = e == TK_OK && n == 1;
	return e;
}

tk_err
tk_step_store_status(struct tk_db *db, unsigned long long id, int *status,
    unsigned *attempts)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PINT(id);
	tk_err e;

	*status = -1;
	*attempts = 0;
	if ((e = tk_db_query(db, SQL_SETTLED, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows == 1) {
		*status = row_status(&r, 0, 0);
		*attempts = (unsigned)tk_row_int(&r, 0, 1);
	}
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_step_store_context(struct tk_db *db, const unsigned char task[16],
    char **out, size_t *len)
{
	struct tk_dbarg a = TK_PBLOB(task, 16);

	return first_cell(db, SQL_CONTEXT, &a, 1, out, len);
}

tk_err
tk_step_store_parent_results(struct tk_db *db, const unsigned char task[16],
    const char *name, char **out, size_t *len)
{
	struct tk_dbarg a[2];

	/* One row at most: (task_id, name) is unique. */
	a[0] = TK_PBLOB(task, 16);
	a[1] = TK_PSTR(name);
	return first_cell(db, SQL_PARENT, a, 2, out, len);
}

tk_err
tk_step_store_context_parent(struct tk_db *db, const unsigned char task[16],
    const char *name, char **ctx, size_t *ctx_len, char **res,
    size_t *res_len)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	tk_err e;

	*ctx = *res = NULL;
	*ctx_len = *res_len = 0;
	a[0] = TK_PSTR(name);
	a[1] = TK_PBLOB(task, 16);
	if ((e = tk_db_query(db, SQL_CONTEXT_PARENT, a, 2, &r)) != TK_OK)
		return e;
	if ((e = copy_first(&r, 0, ctx, ctx_len)) == TK_OK &&
	    (e = copy_first(&r, 1, res, res_len)) != TK_OK) {
		free(*ctx);
		*ctx = NULL;
	}
	tk_rows_free(&r);
	return e;
}

tk_err
tk_step_store_max_packet(struct tk_db *db, unsigned long long *bytes)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	*bytes = 0;
	if ((e = tk_db_query(db, SQL_MAX_PACKET, NULL, 0, &r)) != TK_OK)
		return e;
	if (r.nrows == 1 && tk_row_int(&r, 0, 0) > 0)
		*bytes = (unsigned long long)tk_row_int(&r, 0, 0);
	tk_rows_free(&r);
	return TK_OK;
}

/* ---------------------------------------------------------------- record */

tk_err
tk_step_store_lock_held(struct tk_db *db, unsigned long long id,
    struct tk_step_held *h)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PINT(id);
	tk_err e;

	memset(h, 0, sizeof(*h));
	h->status = h->task_status = -1;
	if ((e = tk_db_query(db, SQL_MINE, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows == 1) {
		h->found = 1;
		h->status = row_status(&r, 0, 0);
		h->attempts = (unsigned)tk_row_int(&r, 0, 1);
		h->has_owner = copy_cell(h->owner, sizeof(h->owner), &r, 0, 2);
		h->retryable = tk_row_int(&r, 0, 3) != 0;
		h->retry_limit = (unsigned)tk_row_int(&r, 0, 4);
		h->task_status = row_status(&r, 0, 5);
	}
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_step_store_lock_task(struct tk_db *db, const unsigned char task[16],
    int *status)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(task, 16);
	tk_err e;

	*status = -1;
	if ((e = tk_db_query(db, SQL_TASK_LOCK, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows == 1)
		*status = row_status(&r, 0, 0);
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_step_store_failed(struct tk_db *db, unsigned long long id,
    const char *error, int again, unsigned long long delay_us)
{
	struct tk_dbarg a[4];

	a[0] = TK_PSTR(error);
	a[1] = TK_PINT(again);
	a[2] = TK_PINT(delay_us);
	a[3] = TK_PINT(id);
	return tk_db_exec(db, SQL_FAILED, a, 4, NULL, NULL);
}

tk_err
tk_step_store_released(struct tk_db *db, unsigned long long id, int ready)
{
	struct tk_dbarg a[2];

	a[0] = TK_PINT(ready);
	a[1] = TK_PINT(id);
	return tk_db_exec(db, SQL_RELEASED, a, 2, NULL, NULL);
}

tk_err
tk_step_store_late_results(struct tk_db *db, unsigned long long id,
    const char *results)
{
	tk_err e;

	if ((e = str_by_id(db, SQL_LATE_RESULTS, results, id)) != TK_OK)
		return e;
	return tk_task_version_bump(db, NULL, id);
}

tk_err
tk_step_store_late_error(struct tk_db *db, unsigned long long id,
    const char *error)
{
	tk_err e;

	if ((e = str_by_id(db, SQL_LATE_ERROR, error, id)) != TK_OK)
		return e;
	return tk_task_version_bump(db, NULL, id);
}

tk_err
tk_step_store_lease_clear(struct tk_db *db, unsigned long long id)
{
	return by_id(db, SQL_LEASE_CLEAR, id);
}

/* ---------------------------------------------------------------- reap */

tk_err
tk_step_store_expired(struct tk_db *db, struct tk_step_expired *out,
    size_t *n)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_step_expired *s;
	size_t i;
	tk_err e;

	*n = 0;
	if ((e = tk_db_query(db, SQL_EXPIRED, NULL, 0, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows && i < TK_STEP_REAP_BATCH; i++) {
		s = &out[i];
		memset(s, 0, sizeof(*s));
		s->id = (unsigned long long)tk_row_int(&r, i, 0);
		s->task_ok = copy_id(s->task, &r, i, 1);
		s->status = row_status(&r, i, 2);
		s->attempts = (unsigned)tk_row_int(&r, i, 3);
		s->retry_limit = (unsigned)tk_row_int(&r, i, 4);
		s->retryable = tk_row_int(&r, i, 5) != 0;
		s->has_owner = copy_cell(s->owner, sizeof(s->owner), &r, i, 6);
	}
	*n = i;
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_step_store_reaped(struct tk_db *db, unsigned long long id,
    const char *error, int again)
{
	struct tk_dbarg a[3];

	a[0] = TK_PSTR(error);
	a[1] = TK_PINT(again);
	a[2] = TK_PINT(id);
	return tk_db_exec(db, SQL_REAPED, a, 3, NULL, NULL);
}

tk_err
tk_step_store_ready_count(struct tk_db *db, unsigned limit, unsigned *n)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PINT(limit);
	tk_err e;

	*n = 0;
	if ((e = tk_db_query(db, SQL_READY_COUNT, &a, 1, &r)) != TK_OK)
		return e;
	*n = (unsigned)r.nrows;
	tk_rows_free(&r);
	return TK_OK;
}

/* ---------------------------------------------------------------- workers */

tk_err
tk_step_store_worker_start(struct tk_db *db, const char *id,
    const char *host, unsigned pid, unsigned processes)
{
	struct tk_dbarg a[4];
	tk_err e;

	if ((e = tk_db_exec(db, SQL_WORKER_GC, NULL, 0, NULL, NULL)) != TK_OK)
		return e;
	a[0] = TK_PSTR(id);
	a[1] = TK_PSTR(host);
	a[2] = TK_PINT(pid);
	a[3] = TK_PINT(processes);
	return tk_db_exec(db, SQL_WORKER_START, a, 4, NULL, NULL);
}

tk_err
tk_step_store_worker_beat(struct tk_db *db, const char *id)
{
	struct tk_dbarg a = TK_PSTR(id);

	return tk_db_exec(db, SQL_WORKER_BEAT, &a, 1, NULL, NULL);
}

tk_err
tk_step_store_worker_stop(struct tk_db *db, const char *id)
{
	struct tk_dbarg a = TK_PSTR(id);

	return tk_db_exec(db, SQL_WORKER_STOP, &a, 1, NULL, NULL);
}
