/*
 * transition_store.c - the status writes of state.c (see
 * transition_store.h).  The statements are state.c's as they were.
 */
#include "tasker/transition_store.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/alloc.h"
#include "tasker/outbox_store.h"
#include "rows.h"

static const char SQL_STEP_CAS[] =
    "UPDATE workflow_steps SET status = ?, updated_at = UTC_TIMESTAMP(6)"
    " WHERE id = ? AND status = ?";
/*
 * The compare-and-set with the claim's lease, and with a success's
 * results (last_error stays: why an earlier attempt failed is worth
 * keeping).  Each in two forms: the step alone, and the step with its
 * task's row_version (0008) when this transaction has not bumped it yet
 * - the bump the history row would need, in the same statement (the
 * engine holds both rows' locks already).
 */
#define CAS_TAKE_SET \
    " SET s.status = ?, s.attempts = s.attempts + 1," \
    " s.lease_owner = ?, s.lease_epoch = s.lease_epoch + 1," \
    " s.lease_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND," \
    " s.ready_at = NULL, s.started_at = UTC_TIMESTAMP(6)," \
    " s.completed_at = NULL, s.updated_at = UTC_TIMESTAMP(6)"
#define CAS_DONE_SET \
    " SET s.status = ?, s.results = ?, s.lease_owner = NULL," \
    " s.lease_expires_at = NULL, s.ready_at = NULL," \
    " s.completed_at = UTC_TIMESTAMP(6), s.updated_at = UTC_TIMESTAMP(6)"
#define CAS_STEP     "UPDATE workflow_steps s"
#define CAS_BUMP     "UPDATE workflow_steps s JOIN tasks t ON t.id = s.task_id"
#define CAS_BUMP_SET ", t.row_version = t.row_version + 1"
#define CAS_WHERE    " WHERE s.id = ? AND s.status = ?"
static const char SQL_STEP_CAS_TAKE[] = CAS_STEP CAS_TAKE_SET CAS_WHERE;
static const char SQL_STEP_CAS_DONE[] = CAS_STEP CAS_DONE_SET CAS_WHERE;
static const char SQL_STEP_CAS_TAKE_BUMP[] =
    CAS_BUMP CAS_TAKE_SET CAS_BUMP_SET CAS_WHERE;
static const char SQL_STEP_CAS_DONE_BUMP[] =
    CAS_BUMP CAS_DONE_SET CAS_BUMP_SET CAS_WHERE;
#define STEP_TRANSITION \
    "INSERT INTO step_transitions (step_id, task_id, from_status, to_status," \
    " attempt, actor, reason, created_at)" \
    " VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))"
static const char SQL_STEP_TRANSITION[] = STEP_TRANSITION;
/* A held row and the next, in that order (their ids too). */
static const char SQL_STEP_TRANSITION2[] =
    STEP_TRANSITION ", (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
static const char SQL_TASK_CAS[] =
    "UPDATE tasks SET status = ?, updated_at = UTC_TIMESTAMP(6),"
    " row_version = row_version + 1,"
    " completed_at = IF(?, UTC_TIMESTAMP(6), NULL)"
    " WHERE id = ? AND status = ?";
static const char SQL_TASK_TRANSITION[] =
    "INSERT INTO task_transitions (task_id, from_status, to_status, actor,"
    " reason, created_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
static const char SQL_COUNT[] =
    "INSERT INTO task_counts (handler_version_id, status, slot, n)"
    " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)";
/* A task's move between statuses: both counters in one statement, the
 * rows in the order of their status names, so that two moves lock
 * them in one order. */
static const char SQL_COUNT_MOVE[] =
    "INSERT INTO task_counts (handler_version_id, status, slot, n)"
    " VALUES (?, ?, ?, ?), (?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE n = n + VALUES(n)";
static const char SQL_TASK_HV[] =
    "SELECT handler_version_id FROM tasks WHERE id = ?";
static const char SQL_STEPS[] =
    "SELECT status, ready_at IS NOT NULL FROM workflow_steps"
    " WHERE task_id = ?";
/* 0008: a change of a task, its steps or transitions. */
static const char SQL_VERSION_BUMP[] =
    "UPDATE tasks SET row_version = row_version + 1 WHERE id = ?";
static const char SQL_VERSION_BUMP_BY_STEP[] =
    "UPDATE tasks SET row_version = row_version + 1"
    " WHERE id = (SELECT task_id FROM workflow_steps WHERE id = ?)";
/* ready_at is assigned first: MariaDB evaluates SET left to right. */
static const char SQL_RELEASE[] =
    "UPDATE workflow_steps SET"
    " ready_at = IF(unmet_parents = 1 AND status = 'pending',"
    "   UTC_TIMESTAMP(6), ready_at),"
    " unmet_parents = unmet_parents - 1, updated_at = UTC_TIMESTAMP(6)"
    " WHERE task_id = ? AND position = ? AND unmet_parents > 0";

/*
 * A reader sees a task's row_version only as committed, so one bump per
 * transaction is all the ETag needs: the task this handle's transaction
 * (tk_db_txn_serial) last bumped is not bumped again - a chained step's
 * record and its child's claim are one transaction and one bump.
 */
static struct {
	const struct tk_db *db;
	unsigned long long  txn;
	unsigned char       task[16];
} bumped;

static void
bumped_now(const struct tk_db *db, const unsigned char task_id[16])
{
	bumped.db = db;
	bumped.txn = tk_db_txn_serial(db);
	memcpy(bumped.task, task_id, 16);
}

static int
bumped_already(const struct tk_db *db, const unsigned char task_id[16])
{
	return bumped.txn != 0 && bumped.db == db &&
	    bumped.txn == tk_db_txn_serial(db) &&
	    memcmp(bumped.task, task_id, 16) == 0;
}

tk_err
tk_transition_store_step_cas(struct tk_db *db, unsigned long long step_id,
    enum tk_status from, enum tk_status to, int *changed)
{
	unsigned long long n = 0;
	struct tk_dbarg a[3];
	tk_err e;

	a[0] = TK_PSTR(tk_status_name(to));
	a[1] = TK_PINT(step_id);
	a[2] = TK_PSTR(tk_status_name(from));
	e = tk_db_exec(db, SQL_STEP_CAS, a, 3, &n, NULL);
	*changed = e == TK_OK && n == 1;
	return e;
}

tk_err
tk_transition_store_step_cas_also(struct tk_db *db,
    unsigned long long step_id, const unsigned char task_id[16],
    enum tk_status from, enum tk_status to,
    const struct tk_step_also *also, int *changed)
{
	int take = also->kind == TK_ALSO_TAKE;
	int bump = !bumped_already(db, task_id);
	unsigned long long n = 0;
	struct tk_dbarg a[5];
	const char *sql;
	size_t k = 0;
	tk_err e;

	a[k++] = TK_PSTR(tk_status_name(to));
	if (take) {
		a[k++] = TK_PSTR(also->owner);
		a[k++] = TK_PINT(also->lease_seconds);
	} else
		a[k++] = TK_PSTR(also->results);
	a[k++] = TK_PINT(step_id);
	a[k++] = TK_PSTR(tk_status_name(from));
	if (bump)
		sql = take ? SQL_STEP_CAS_TAKE_BUMP : SQL_STEP_CAS_DONE_BUMP;
	else
		sql = take ? SQL_STEP_CAS_TAKE : SQL_STEP_CAS_DONE;
	e = tk_db_exec(db, sql, a, k, &n, NULL);
	/* With the task: two rows changed, or none. */
	*changed = e == TK_OK && n == (bump ? 2 : 1);
	if (*changed && bump)
		bumped_now(db, task_id);
	return e;
}

tk_err
tk_transition_store_task_cas(struct tk_db *db,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    int completed, int *changed)
{
	unsigned long long n = 0;
	struct tk_dbarg a[4];
	tk_err e;

	a[0] = TK_PSTR(tk_status_name(to));
	a[1] = TK_PINT(completed);
	a[2] = TK_PBLOB(task_id, 16);
	a[3] = TK_PSTR(tk_status_name(from));
	e = tk_db_exec(db, SQL_TASK_CAS, a, 4, &n, NULL);
	*changed = e == TK_OK && n == 1;
	if (*changed)
		bumped_now(db, task_id);
	return e;
}

/*
 * One step history row held back (tk_transition_store_step_hold) for
 * the next row of the same transaction, so that a chained step's
 * completion and its child's claim are one INSERT.  Its strings are
 * copies; a row of another handle or transaction is no longer ours (it
 * was rolled back with it).
 */
static struct {
	const struct tk_db *db;
	unsigned long long  txn;
	unsigned long long  step;
	unsigned char       task[16];
	enum tk_status      from, to;
	unsigned            attempt;
	char               *actor, *reason;
} held;

static void
held_clear(void)
{
	free(held.actor);
	free(held.reason);
	memset(&held, 0, sizeof(held));
}

static int
held_here(const struct tk_db *db)
{
	return held.txn != 0 && held.db == db &&
	    held.txn == tk_db_txn_serial(db);
}

static void
row_args(struct tk_dbarg *a, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason)
{
	a[0] = TK_PINT(step_id);
	a[1] = TK_PBLOB(task_id, 16);
	a[2] = TK_PSTR(tk_status_name(from));
	a[3] = TK_PSTR(tk_status_name(to));
	a[4] = TK_PINT(attempt);
	a[5] = TK_POPT(actor);
	a[6] = TK_POPT(reason);
}

tk_err
tk_transition_store_step_log(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason)
{
	struct tk_dbarg a[14];
	struct tk_outbox_step fail = { step_id, attempt, reason };
	size_t n = 0;
	tk_err e;

	if (to == TK_ST_ERROR && (e = tk_outbox_add(db, TK_EV_STEP_FAILED,
	    task_id, &fail)) != TK_OK)
		return e;
	if (held_here(db)) {
		row_args(a, held.step, held.task, held.from, held.to,
		    held.attempt, held.actor, held.reason);
		n = 7;
	}
	row_args(a + n, step_id, task_id, from, to, attempt, actor, reason);
	e = tk_db_exec(db, n > 0 ? SQL_STEP_TRANSITION2 : SQL_STEP_TRANSITION,
	    a, n + 7, NULL, NULL);
	held_clear();
	if (e != TK_OK)
		return e;
	/* Every step status change shows in its task's answers. */
	return tk_task_version_bump(db, task_id, 0);
}

tk_err
tk_transition_store_step_hold(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason)
{
	tk_err e;

	/* Outside a transaction, or a failure (its outbox event), or one
	 * held already: written now. */
	if (tk_db_txn_serial(db) == 0 || to == TK_ST_ERROR || held_here(db))
		return tk_transition_store_step_log(db, step_id, task_id,
		    from, to, attempt, actor, reason);
	held_clear();
	if ((actor != NULL && (held.actor = strdup(actor)) == NULL) ||
	    (reason != NULL && (held.reason = strdup(reason)) == NULL)) {
		held_clear();
		return TK_ERR_NOMEM;
	}
	held.db = db;
	held.txn = tk_db_txn_serial(db);
	held.step = step_id;
	memcpy(held.task, task_id, 16);
	held.from = from;
	held.to = to;
	held.attempt = attempt;
	if ((e = tk_task_version_bump(db, task_id, 0)) != TK_OK)
		held_clear();
	return e;
}

tk_err
tk_transition_store_flush(struct tk_db *db)
{
	struct tk_dbarg a[7];
	tk_err e;

	if (!held_here(db)) {
		held_clear();
		return TK_OK;
	}
	row_args(a, held.step, held.task, held.from, held.to, held.attempt,
	    held.actor, held.reason);
	e = tk_db_exec(db, SQL_STEP_TRANSITION, a, 7, NULL, NULL);
	held_clear();
	return e;
}

tk_err
tk_task_version_bump(struct tk_db *db, const unsigned char task_id[16],
    unsigned long long step_id)
{
	struct tk_dbarg a;

	tk_err e;

	if (task_id != NULL) {
		if (bumped_already(db, task_id))
			return TK_OK;
		a = TK_PBLOB(task_id, 16);
		if ((e = tk_db_exec(db, SQL_VERSION_BUMP, &a, 1, NULL, NULL)) ==
		    TK_OK)
			bumped_now(db, task_id);
		return e;
	}
	a = TK_PINT(step_id);
	return tk_db_exec(db, SQL_VERSION_BUMP_BY_STEP, &a, 1, NULL, NULL);
}

tk_err
tk_transition_store_task_log(struct tk_db *db,
    const unsigned char task_id[16], int from, enum tk_status to,
    const char *actor, const char *reason)
{
	struct tk_dbarg a[5];
	tk_err e;

	if ((e = tk_outbox_add(db, tk_outbox_task_event(from, to), task_id,
	    NULL)) != TK_OK)
		return e;
	a[0] = TK_PBLOB(task_id, 16);
	a[1] = from < 0 ? TK_PNULL :
	    TK_PSTR(tk_status_name((enum tk_status)from));
	a[2] = TK_PSTR(tk_status_name(to));
	a[3] = TK_POPT(actor);
	a[4] = TK_POPT(reason);
	return tk_db_exec(db, SQL_TASK_TRANSITION, a, 5, NULL, NULL);
}

tk_err
tk_transition_store_count(struct tk_db *db, unsigned hv_id, enum tk_status s,
    unsigned slot, int delta)
{
	struct tk_dbarg a[4];

	a[0] = TK_PINT(hv_id);
	a[1] = TK_PSTR(tk_status_name(s));
	a[2] = TK_PINT(slot);
	a[3] = TK_PINT(delta);
	return tk_db_exec(db, SQL_COUNT, a, 4, NULL, NULL);
}

tk_err
tk_transition_store_count_move(struct tk_db *db, unsigned hv_id,
    enum tk_status from, enum tk_status to, unsigned slot)
{
	const char *name[2] = { tk_status_name(from), tk_status_name(to) };
	int delta[2] = { -1, 1 }, k, first;
	struct tk_dbarg a[8];

	first = strcmp(name[0], name[1]) <= 0 ? 0 : 1;
	for (k = 0; k < 2; k++) {
		int i = k == 0 ? first : 1 - first;

		a[4 * k] = TK_PINT(hv_id);
		a[4 * k + 1] = TK_PSTR(name[i]);
		a[4 * k + 2] = TK_PINT(slot);
		a[4 * k + 3] = TK_PINT(delta[i]);
	}
	return tk_db_exec(db, SQL_COUNT_MOVE, a, 8, NULL, NULL);
}

tk_err
tk_transition_store_steps(struct tk_db *db, const unsigned char task_id[16],
    struct tk_transition_step **out, size_t *n)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(task_id, 16);
	struct tk_transition_step *s = NULL;
	size_t i;
	tk_err e;

	*out = NULL;
	*n = 0;
	if ((e = tk_db_query(db, SQL_STEPS, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows > 0 &&
	    (s = tk_reallocarray(NULL, r.nrows, sizeof(*s))) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < r.nrows; i++) {
		s[i].status = tk_status_parse(tk_row_str(&r, i, 0));
		s[i].ready = tk_row_int(&r, i, 1) != 0;
	}
	*out = s;
	*n = r.nrows;
out:
	tk_rows_free(&r);
	return e;
}

tk_err
tk_transition_store_task_hv(struct tk_db *db, const unsigned char task_id[16],
    unsigned *hv)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(task_id, 16);
	tk_err e;

	*hv = 0;
	if ((e = tk_db_query(db, SQL_TASK_HV, &a, 1, &r)) != TK_OK)
		return e;
	*hv = (unsigned)tk_row_int(&r, 0, 0);
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_transition_store_release(struct tk_db *db, const unsigned char task_id[16],
    size_t position)
{
	struct tk_dbarg a[2];

	a[0] = TK_PBLOB(task_id, 16);
	a[1] = TK_PINT(position);
	return tk_db_exec(db, SQL_RELEASE, a, 2, NULL, NULL);
}
