/*
 * purge_store.c - batches of finished tasks deleted with their rows (see
 * purge_store.h).
 *
 * The pick is served by ix_tasks_status (status, id), or
 * ix_tasks_ns_status (namespace, status, id) for one namespace, read up
 * to the id of a task created at the cutoff (ids are UUIDv7: a task
 * created later cannot be old enough), so a round that finds nothing
 * costs a short index range, not a scan of every finished task.  The
 * deletes name the batch's ids IN_IDS at a time in an IN list always
 * that long (padded with an id of the chunk), so each is one prepared
 * statement.
 * idempotency_keys has no index on task_id: its delete reads the table
 * (live keys only, bounded by api.idempotency_ttl_seconds); sessions are
 * READ COMMITTED, so it locks only the rows it deletes.
 */
#include "tasker/purge_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/uuid.h"

#include "rows.h"

#define IN_IDS   50      /* ids in one DELETE's IN list */
#define NS_MAX   64

struct pick {
	unsigned char id[16];
	unsigned      hv;
	char          ns[NS_MAX + 1];
};

struct batch {
	const struct tk_purge_rule *r;
	tk_purge_export_fn          fn;
	void                       *arg;
	struct tk_purge_result     *res;
	struct tk_purge_result      base;   /* *res before the batch */
	long long                   now;
};

/* The deletes, in foreign-key order; each IN list is IN_IDS long. */
#define IN_LIST "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?," \
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
static const char *const deletes[] = {
	"DELETE FROM step_transitions WHERE task_id IN " IN_LIST,
	"DELETE FROM workflow_steps WHERE task_id IN " IN_LIST,
	"DELETE FROM task_transitions WHERE task_id IN " IN_LIST,
	"DELETE FROM task_tags WHERE task_id IN " IN_LIST,
	"DELETE FROM idempotency_keys WHERE task_id IN " IN_LIST,
	"DELETE FROM tasks WHERE id IN " IN_LIST,
};
enum { DEL_STEP_TR, DEL_STEPS, DEL_TASK_TR, DEL_TAGS, DEL_IDEM, DEL_TASKS,
    NDELETES };
_Static_assert(sizeof(IN_LIST) == 2 * 50 + 2, "IN_LIST holds IN_IDS ids");

static const char SQL_NOW[] = "SELECT UNIX_TIMESTAMP()";
static const char SQL_TOTALS[] =
    "SELECT namespace, status, tasks, steps, transitions FROM purge_counts"
    " ORDER BY namespace, status";
static const char SQL_COUNTED[] =
    "INSERT INTO purge_counts (namespace, status, tasks, steps, transitions)"
    " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
    " tasks = tasks + VALUES(tasks), steps = steps + VALUES(steps),"
    " transitions = transitions + VALUES(transitions)";

/*
 * The statements of a rule, one per shape (db.c caches statements by the
 * address of their text, so each is a string of its own): for one
 * namespace, for every namespace but some, for every one.  Parameters:
 * [namespace], status, cutoff, id bound, [skipped namespaces].
 */
#define W_NS    "namespace = ? AND status = ? AND updated_at <" \
	" FROM_UNIXTIME(?) AND id < ?"
#define W_ALL   "status = ? AND updated_at < FROM_UNIXTIME(?) AND id < ?"
#define W_SKIP  W_ALL " AND FIND_IN_SET(namespace, ?) = 0"
#define PICK(w) "SELECT id, handler_version_id, namespace FROM tasks" \
	" WHERE " w " ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED"
#define COUNT(w) "SELECT COUNT(*) FROM tasks WHERE " w

static const char *const SQL_PICK[3] = { PICK(W_NS), PICK(W_SKIP),
    PICK(W_ALL) };
static const char *const SQL_COUNT[3] = { COUNT(W_NS), COUNT(W_SKIP),
    COUNT(W_ALL) };

_Static_assert(TK_PURGE_BATCH == 100, "PICK's LIMIT is TK_PURGE_BATCH");

static int
shape(const struct tk_purge_rule *r)
{
	return r->ns != NULL ? 0 : r->skip_ns != NULL ? 1 : 2;
}

static size_t
where_args(struct tk_dbarg *a, const struct tk_purge_rule *r, long long now,
    unsigned char bound[16])
{
	static const unsigned char ff[10] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff };
	long long cutoff = now - r->older_than;
	size_t n = 0;

	tk_uuid7_build((uint64_t)(cutoff > 0 ? cutoff : 0) * 1000 + 999, ff,
	    bound);
	if (r->ns != NULL)
		a[n++] = TK_PSTR(r->ns);
	a[n++] = TK_PSTR(tk_status_name(r->status));
	a[n++] = TK_PINT(cutoff);
	a[n++] = TK_PBLOB(bound, 16);
	if (r->ns == NULL && r->skip_ns != NULL)
		a[n++] = TK_PSTR(r->skip_ns);
	return n;
}

static tk_err
db_now(struct tk_db *db, long long *now)
{
	struct tk_rows rows = TK_ROWS_INIT;
	tk_err e;

	if ((e = tk_db_query(db, SQL_NOW, NULL, 0, &rows)) != TK_OK)
		return e;
	*now = rows.nrows == 1 ? tk_row_int(&rows, 0, 0) : 0;
	tk_rows_free(&rows);
	return *now > 0 ? TK_OK : TK_ERR_DB;
}

tk_err
tk_purge_store_count(struct tk_db *db, const struct tk_purge_rule *r,
    unsigned long long *n)
{
	struct tk_rows rows = TK_ROWS_INIT;
	struct tk_dbarg a[4];
	unsigned char bound[16];
	long long now;
	size_t na;
	tk_err e;

	if ((e = db_now(db, &now)) != TK_OK)
		return e;
	na = where_args(a, r, now, bound);
	if ((e = tk_db_query(db, SQL_COUNT[shape(r)], a, na, &rows)) != TK_OK)
		return e;
	*n = rows.nrows == 1 ? (unsigned long long)tk_row_int(&rows, 0, 0) : 0;
	tk_rows_free(&rows);
	return TK_OK;
}

/* The batch's tasks, locked; *n of them. */
static tk_err
pick(struct tk_db *db, const struct batch *b, struct pick *p, size_t *n)
{
	struct tk_rows rows = TK_ROWS_INIT;
	struct tk_dbarg a[4];
	unsigned char bound[16];
	const char *ns;
	size_t na, i;
	tk_err e;

	na = where_args(a, b->r, b->now, bound);
	*n = 0;
	if ((e = tk_db_query(db, SQL_PICK[shape(b->r)], a, na, &rows)) !=
	    TK_OK)
		return e;
	for (i = 0; i < rows.nrows && i < TK_PURGE_BATCH; i++) {
		if (tk_row_len(&rows, i, 0) != 16)
			continue;
		memcpy(p[*n].id, tk_row_str(&rows, i, 0), 16);
		p[*n].hv = (unsigned)tk_row_int(&rows, i, 1);
		ns = tk_row_str(&rows, i, 2);
		snprintf(p[*n].ns, sizeof(p[*n].ns), "%s", ns != NULL ? ns : "");
		(*n)++;
	}
	tk_rows_free(&rows);
	return TK_OK;
}

/* Runs delete d for the ids of p[0..n), IN_IDS at a time (db.c binds
 * at most 64 parameters; IN_LIST), the last chunk padded; *affected
 * rows. */
static tk_err
delete_in(struct tk_db *db, size_t d, const struct pick *p, size_t n,
    unsigned long long *affected)
{
	struct tk_dbarg a[IN_IDS];
	unsigned long long got;
	size_t i, at;
	tk_err e;

	*affected = 0;
	for (at = 0; at < n; at += IN_IDS) {
		for (i = 0; i < IN_IDS; i++)
			a[i] = TK_PBLOB(p[at + i < n ? at + i : at].id, 16);
		got = 0;
		if ((e = tk_db_exec(db, deletes[d], a, IN_IDS, &got, NULL)) !=
		    TK_OK)
			return e;
		*affected += got;
	}
	return TK_OK;
}

/* Deletes the tasks p[0..n) of one namespace; counts follow. */
static tk_err
delete_group(struct tk_db *db, const struct batch *b, const struct pick *p,
    size_t n)
{
	unsigned long long got[NDELETES];
	struct tk_dbarg a[5];
	size_t d, i, j, k;
	tk_err e;

	for (d = 0; d < NDELETES; d++)
		if ((e = delete_in(db, d, p, n, &got[d])) != TK_OK)
			return e;
	/* task_counts per handler version (p is sorted by it within ns). */
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && p[j].hv == p[i].hv; j++)
			;
		if ((e = tk_state_tasks_purged(db, p[i].hv, b->r->status,
		    (unsigned)(j - i))) != TK_OK)
			return e;
	}
	k = 0;
	a[k++] = TK_PSTR(p[0].ns);
	a[k++] = TK_PSTR(tk_status_name(b->r->status));
	a[k++] = TK_PINT(got[DEL_TASKS]);
	a[k++] = TK_PINT(got[DEL_STEPS]);
	a[k++] = TK_PINT(got[DEL_STEP_TR] + got[DEL_TASK_TR]);
	if ((e = tk_db_exec(db, SQL_COUNTED, a, k, NULL, NULL)) != TK_OK)
		return e;
	b->res->tasks += got[DEL_TASKS];
	b->res->steps += got[DEL_STEPS];
	b->res->transitions += got[DEL_STEP_TR] + got[DEL_TASK_TR];
	return TK_OK;
}

static int
by_ns_hv(const void *x, const void *y)
{
	const struct pick *a = x, *b = y;
	int c = strcmp(a->ns, b->ns);

	if (c != 0)
		return c;
	return a->hv < b->hv ? -1 : a->hv > b->hv;
}

static tk_err
batch_txn(struct tk_db *db, void *arg)
{
	struct batch *b = arg;
	struct pick p[TK_PURGE_BATCH];
	unsigned char ids[TK_PURGE_BATCH * 16];
	size_t n, i, j;
	tk_err e;

	/* A run again (deadlock) counts from scratch. */
	*b->res = b->base;
	if ((e = pick(db, b, p, &n)) != TK_OK || n == 0)
		return e;
	for (i = 0; i < n; i++)
		memcpy(ids + 16 * i, p[i].id, 16);
	if (b->fn != NULL && (e = b->fn(b->arg, db, ids, n)) != TK_OK)
		return e;
	qsort(p, n, sizeof(p[0]), by_ns_hv);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && strcmp(p[j].ns, p[i].ns) == 0; j++)
			;
		if ((e = delete_group(db, b, p + i, j - i)) != TK_OK)
			return e;
	}
	return TK_OK;
}

tk_err
tk_purge_store_batch(struct tk_db *db, const struct tk_purge_rule *r,
    tk_purge_export_fn fn, void *arg, struct tk_purge_result *res)
{
	struct batch b;
	tk_err e;

	b.r = r;
	b.fn = fn;
	b.arg = arg;
	b.res = res;
	b.base = *res;
	if ((e = db_now(db, &b.now)) != TK_OK)
		return e;
	if ((e = tk_db_txn(db, batch_txn, &b)) != TK_OK)
		*res = b.base;   /* rolled back: nothing went */
	return e;
}

tk_err
tk_purge_store_totals(struct tk_db *db, struct tk_purge_total **out,
    size_t *n)
{
	struct tk_rows rows = TK_ROWS_INIT;
	struct tk_purge_total *t;
	size_t i;
	tk_err e;

	*out = NULL;
	*n = 0;
	if ((e = tk_db_query(db, SQL_TOTALS, NULL, 0, &rows)) != TK_OK)
		return e;
	if (rows.nrows > 0 &&
	    (*out = calloc(rows.nrows, sizeof(**out))) == NULL) {
		tk_rows_free(&rows);
		return TK_ERR_NOMEM;
	}
	for (i = 0; i < rows.nrows; i++) {
		t = &(*out)[i];
		snprintf(t->namespace_name, sizeof(t->namespace_name), "%s",
		    tk_row_str(&rows, i, 0));
		snprintf(t->status, sizeof(t->status), "%s",
		    tk_row_str(&rows, i, 1));
		t->n.tasks = (unsigned long long)tk_row_int(&rows, i, 2);
		t->n.steps = (unsigned long long)tk_row_int(&rows, i, 3);
		t->n.transitions = (unsigned long long)tk_row_int(&rows, i, 4);
	}
	*n = rows.nrows;
	tk_rows_free(&rows);
	return TK_OK;
}
