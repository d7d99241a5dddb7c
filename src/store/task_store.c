/*
 * task_store.c - the task API's SQL (see task_store.h).
 *
 * Sections: statements; transactions; create; read; lists and counts;
 * operations.
 *
 * Statements are static strings (db.c caches them by address).  The
 * list statements are spelled out per filter shape so that each names
 * the index it reads (FORCE INDEX: an ORDER BY id DESC LIMIT query is
 * where MariaDB's optimiser likes to pick a filtering index and sort
 * everything it matched), and each reads ids from that index first and
 * joins the full rows only for the page ("late row lookup").
 */
#include "tasker/task_store.h"

#include <stdio.h>
#include <string.h>

#include "tasker/handler.h"
#include "tasker/log.h"

#define TXN_ATTEMPTS  5
#define ER_DUP_ENTRY  1062
#define ER_LOCK_WAIT  1205
#define ER_DEADLOCK   1213

/* ---------------------------------------------------------------- statements */

#define TS(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

#define TASK_COLS                                                          \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, t.context, t.initiator, t.source_system, t.reason,"    \
	" t.tags, " TS("t.created_at") ", " TS("t.updated_at") ", "        \
	TS("t.completed_at")

#define STEP_COLS                                                          \
	"id, position, name, status, attempts, retry_limit, retryable,"    \
	" skippable, unmet_parents, results, last_error, " TS("ready_at")  \
	", " TS("started_at") ", " TS("completed_at") ", "                 \
	TS("created_at") ", " TS("updated_at")

static const char SQL_NOW[] =
    "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f')";

static const char SQL_IDEM_DELETE_EXPIRED[] =
    "DELETE FROM idempotency_keys WHERE principal = ? AND idem_key = ?"
    " AND expires_at <= ?";
static const char SQL_IDEM_INSERT[] =
    "INSERT INTO idempotency_keys (principal, idem_key, request_hash,"
    " task_id, created_at, expires_at)"
    " VALUES (?, ?, ?, ?, ?, DATE_ADD(?, INTERVAL ? SECOND))";
static const char SQL_IDEM_FIND[] =
    "SELECT task_id, request_hash FROM idempotency_keys"
    " WHERE principal = ? AND idem_key = ? AND expires_at > UTC_TIMESTAMP(6)";
static const char SQL_IDEM_PURGE[] =
    "DELETE FROM idempotency_keys WHERE expires_at < UTC_TIMESTAMP(6)"
    " LIMIT 100";

static const char SQL_TASK_INSERT[] =
    "INSERT INTO tasks (id, handler_version_id, namespace, name, version,"
    " context, initiator, source_system, reason, tags, created_at,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

#define STEP_VALUES "(?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)"
#define STEP_PARAMS 10
#define STEP_INSERT                                                        \
	"INSERT INTO workflow_steps (task_id, position, name, attempts,"   \
	" retry_limit, retryable, skippable, unmet_parents, ready_at,"     \
	" created_at, updated_at) VALUES "
static const char SQL_STEP_INSERT1[] = STEP_INSERT STEP_VALUES;
static const char SQL_STEP_INSERT4[] = STEP_INSERT STEP_VALUES ", "
    STEP_VALUES ", " STEP_VALUES ", " STEP_VALUES;

static const char SQL_TASK_GET[] =
    "SELECT " TASK_COLS " FROM tasks t WHERE t.id = ?";
static const char SQL_STEPS[] =
    "SELECT " STEP_COLS " FROM workflow_steps WHERE task_id = ?"
    " ORDER BY position";
static const char SQL_STEP_BY_NAME[] =
    "SELECT " STEP_COLS " FROM workflow_steps WHERE task_id = ? AND name = ?";
static const char SQL_STEP_TRANSITIONS[] =
    "SELECT from_status, to_status, attempt, actor, reason, "
    TS("created_at") " FROM (SELECT * FROM step_transitions"
    " WHERE step_id = ? ORDER BY id DESC LIMIT 100) x ORDER BY id";

static const char SQL_TASK_LOCK[] =
    "SELECT status, handler_version_id FROM tasks WHERE id = ? FOR UPDATE";
static const char SQL_STEPS_CANCELLABLE[] =
    "SELECT id, status, attempts FROM workflow_steps WHERE task_id = ?"
    " AND status IN ('pending', 'error') ORDER BY position FOR UPDATE";
static const char SQL_STEPS_CLEAR_READY[] =
    "UPDATE workflow_steps SET ready_at = NULL WHERE task_id = ?"
    " AND status = 'cancelled' AND ready_at IS NOT NULL";
static const char SQL_STEPS_FAILED[] =
    "SELECT id, attempts FROM workflow_steps WHERE task_id = ?"
    " AND status = 'error' ORDER BY position FOR UPDATE";
static const char SQL_STEP_RESET[] =
    "UPDATE workflow_steps SET attempts = 0,"
    " ready_at = IF(unmet_parents = 0, UTC_TIMESTAMP(6), NULL),"
    " lease_owner = NULL, lease_expires_at = NULL,"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_STEP_LOCK[] =
    "SELECT id, position, status, attempts FROM workflow_steps"
    " WHERE task_id = ? AND name = ? FOR UPDATE";
static const char SQL_STEP_RESOLVE[] =
    "UPDATE workflow_steps SET results = COALESCE(?, results),"
    " completed_at = UTC_TIMESTAMP(6), ready_at = NULL, lease_owner = NULL,"
    " lease_expires_at = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_STEP_STOP[] =
    "UPDATE workflow_steps SET ready_at = NULL, lease_owner = NULL,"
    " lease_expires_at = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_TASK_UPDATE[] =
    "UPDATE tasks SET reason = IF(?, ?, reason), tags = IF(?, ?, tags),"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";

/*
 * Lists.  PLAIN: one ordered read of an index.  MULTI: one ordered read
 * per status (six branches; an unused branch has LIMIT 0 and costs
 * nothing), merged and cut to the page.  Parameters: PLAIN: keys, limit,
 * offset; MULTI: per branch keys, status, offset + limit; then limit,
 * offset.
 */
#define PAGE_OF(IDS)                                                       \
	"SELECT " TASK_COLS " FROM (" IDS ") p JOIN tasks t ON t.id = p.id" \
	" ORDER BY t.id DESC"
#define PLAIN(IDX, COND)                                                   \
	PAGE_OF("SELECT id FROM tasks FORCE INDEX (" IDX ")" COND          \
	    " ORDER BY id DESC LIMIT ? OFFSET ?")
#define BRANCH(IDX, COND)                                                  \
	"(SELECT id FROM tasks FORCE INDEX (" IDX ") WHERE " COND          \
	"status = ? ORDER BY id DESC LIMIT ?)"
#define MULTI(IDX, COND)                                                   \
	PAGE_OF("SELECT id FROM (" BRANCH(IDX, COND) " UNION ALL "         \
	    BRANCH(IDX, COND) " UNION ALL " BRANCH(IDX, COND) " UNION ALL " \
	    BRANCH(IDX, COND) " UNION ALL " BRANCH(IDX, COND) " UNION ALL " \
	    BRANCH(IDX, COND) ") u ORDER BY id DESC LIMIT ? OFFSET ?")
#define NBRANCH 6

enum shape_kind { K_ALL, K_NS, K_NS_NAME, K_HV, K_VER, K_NS_VER, K_NAME,
    K_NAME_VER, K__COUNT };

static const char L_ALL[] = PLAIN("PRIMARY", "");
static const char L_ALL_S[] = MULTI("ix_tasks_status", "");
static const char L_NS[] = PLAIN("ix_tasks_ns", " WHERE namespace = ?");
static const char L_NS_S[] = MULTI("ix_tasks_ns_status", "namespace = ? AND ");
static const char L_NS_NAME[] = PLAIN("ix_tasks_ns_name",
    " WHERE namespace = ? AND name = ?");
static const char L_NS_NAME_S[] = MULTI("ix_tasks_ns_name_status",
    "namespace = ? AND name = ? AND ");
static const char L_HV[] = PLAIN("ix_tasks_hv",
    " WHERE handler_version_id = ?");
static const char L_HV_S[] = MULTI("ix_tasks_hv_status",
    "handler_version_id = ? AND ");
static const char L_VER[] = PLAIN("ix_tasks_ver", " WHERE version = ?");
static const char L_VER_S[] = MULTI("ix_tasks_ver_status", "version = ? AND ");
static const char L_NS_VER[] = PLAIN("ix_tasks_ns_ver",
    " WHERE namespace = ? AND version = ?");
static const char L_NS_VER_S[] = MULTI("ix_tasks_ns_ver_status",
    "namespace = ? AND version = ? AND ");
static const char L_NAME[] = PLAIN("ix_tasks_name", " WHERE name = ?");
static const char L_NAME_S[] = MULTI("ix_tasks_name_status", "name = ? AND ");
static const char L_NAME_VER[] = PLAIN("ix_tasks_name_ver",
    " WHERE name = ? AND version = ?");
static const char L_NAME_VER_S[] = MULTI("ix_tasks_name_ver_status",
    "name = ? AND version = ? AND ");

static const struct {
	const char *plain;
	const char *multi;
} shapes[K__COUNT] = {
	[K_ALL] = { L_ALL, L_ALL_S },
	[K_NS] = { L_NS, L_NS_S },
	[K_NS_NAME] = { L_NS_NAME, L_NS_NAME_S },
	[K_HV] = { L_HV, L_HV_S },
	[K_VER] = { L_VER, L_VER_S },
	[K_NS_VER] = { L_NS_VER, L_NS_VER_S },
	[K_NAME] = { L_NAME, L_NAME_S },
	[K_NAME_VER] = { L_NAME_VER, L_NAME_VER_S },
};

/* Counts per status of the handler versions the filter names. */
static const char SQL_COUNT[] =
    "SELECT tc.status, SUM(tc.n) FROM handler_versions hv"
    " JOIN namespaces ns ON ns.id = hv.namespace_id"
    " JOIN task_counts tc ON tc.handler_version_id = hv.id"
    " WHERE (? IS NULL OR ns.name = ?) AND (? IS NULL OR hv.name = ?)"
    " AND (? IS NULL OR hv.version = ?) AND (? = 0 OR hv.id = ?)"
    " GROUP BY tc.status";

/* ---------------------------------------------------------------- transactions */

typedef tk_err (*txn_fn)(struct tk_db *db, void *arg);

static int
retryable(unsigned en)
{
	return en == ER_DEADLOCK || en == ER_LOCK_WAIT;
}

/*
 * Runs fn in a transaction: commit on TK_OK, roll back otherwise.  A
 * deadlock or lock wait timeout runs it again from the start.
 */
static tk_err
in_txn(struct tk_db *db, txn_fn fn, void *arg)
{
	char q[600];
	unsigned en;
	int attempt;
	tk_err e = TK_ERR_DB;

	for (attempt = 0; attempt < TXN_ATTEMPTS; attempt++) {
		if ((e = tk_db_begin(db)) != TK_OK)
			return e;
		if ((e = fn(db, arg)) == TK_OK && (e = tk_db_commit(db)) == TK_OK)
			return TK_OK;
		en = tk_db_errno(db);
		if (e == TK_ERR_DB && !retryable(en))
			/* For the operator; the client gets a plain 500. */
			tk_log(TK_LOG_ERROR, "event=txn_failed error=%s",
			    tk_log_quote(q, sizeof(q), tk_db_error(db)));
		tk_db_rollback(db);
		if (e != TK_ERR_DB || !retryable(en))
			return e;
		tk_log(TK_LOG_INFO, "event=txn_retry errno=%u attempt=%d", en,
		    attempt + 1);
	}
	return e;
}

/* ---------------------------------------------------------------- create */

struct create_ctx {
	const struct tk_task_new *t;
	char                      now[32];  /* 'YYYY-MM-DD HH:MM:SS.ffffff' */
	int                       dup;      /* the key was taken */
};

static tk_err
insert_steps(struct tk_db *db, const struct tk_task_new *t, const char *now)
{
	struct tk_dbarg a[4 * STEP_PARAMS];
	const struct tk_handler_def *d = t->def;
	size_t i, k, n, base;
	tk_err e;

	for (i = 0; i < d->nsteps; i += n) {
		n = d->nsteps - i >= 4 ? 4 : 1;
		for (k = 0; k < n; k++) {
			const struct tk_step_def *s = &d->steps[i + k];

			base = k * STEP_PARAMS;
			a[base + 0] = TK_PBLOB(t->id, 16);
			a[base + 1] = TK_PINT(i + k);
			a[base + 2] = TK_PSTR(s->name);
			a[base + 3] = TK_PINT(s->retry_limit);
			a[base + 4] = TK_PINT(s->retryable != 0);
			a[base + 5] = TK_PINT(s->skippable != 0);
			a[base + 6] = TK_PINT(s->nparents);
			a[base + 7] = s->nparents == 0 ? TK_PSTR(now) : TK_PNULL;
			a[base + 8] = TK_PSTR(now);
			a[base + 9] = TK_PSTR(now);
		}
		e = tk_db_exec(db, n == 4 ? SQL_STEP_INSERT4 : SQL_STEP_INSERT1,
		    a, n * STEP_PARAMS, NULL, NULL);
		if (e != TK_OK)
			return e;
	}
	return TK_OK;
}

static tk_err
create_txn(struct tk_db *db, void *arg)
{
	struct create_ctx *c = arg;
	const struct tk_task_new *t = c->t;
	const struct tk_handler_def *d = t->def;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[12];
	tk_err e;

	if ((e = tk_db_query(db, SQL_NOW, NULL, 0, &r)) != TK_OK)
		return e;
	if (r.nrows != 1 || tk_row_str(&r, 0, 0) == NULL) {
		tk_rows_free(&r);
		return TK_ERR_DB;
	}
	snprintf(c->now, sizeof(c->now), "%s", tk_row_str(&r, 0, 0));
	tk_rows_free(&r);

	/* The key first: a concurrent twin waits here on our row lock and
	 * then finds the key taken, having written nothing. */
	if (t->idem_key != NULL) {
		a[0] = TK_PSTR(t->idem_principal);
		a[1] = TK_PSTR(t->idem_key);
		a[2] = TK_PSTR(c->now);
		if ((e = tk_db_exec(db, SQL_IDEM_DELETE_EXPIRED, a, 3, NULL,
		    NULL)) != TK_OK)
			return e;
		a[2] = TK_PSTR(t->idem_hash);
		a[3] = TK_PBLOB(t->id, 16);
		a[4] = TK_PSTR(c->now);
		a[5] = TK_PSTR(c->now);
		a[6] = TK_PINT(t->idem_ttl);
		e = tk_db_exec(db, SQL_IDEM_INSERT, a, 7, NULL, NULL);
		if (e == TK_ERR_DB && tk_db_errno(db) == ER_DUP_ENTRY) {
			c->dup = 1;
			return TK_ERR_CONFLICT;
		}
		if (e != TK_OK)
			return e;
	}

	a[0] = TK_PBLOB(t->id, 16);
	a[1] = TK_PINT(t->hv_id);
	a[2] = TK_PSTR(d->namespace_name);
	a[3] = TK_PSTR(d->name);
	a[4] = TK_PSTR(d->version);
	a[5] = TK_PSTRN(t->context, t->context_len);
	a[6] = TK_POPT(t->initiator);
	a[7] = TK_POPT(t->source_system);
	a[8] = TK_POPT(t->reason);
	a[9] = TK_POPT(t->tags);
	a[10] = TK_PSTR(c->now);
	a[11] = TK_PSTR(c->now);
	if ((e = tk_db_exec(db, SQL_TASK_INSERT, a, 12, NULL, NULL)) != TK_OK)
		return e;
	if ((e = insert_steps(db, t, c->now)) != TK_OK)
		return e;
	return tk_state_task_created(db, t->id, t->hv_id, t->actor,
	    "created");
}

/* "YYYY-MM-DD HH:MM:SS.ffffff" -> "YYYY-MM-DDTHH:MM:SSZ" */
static void
iso_seconds(const char *now, char out[TK_TIMESTAMP_SIZE])
{
	snprintf(out, TK_TIMESTAMP_SIZE, "%.10sT%.8sZ", now,
	    strlen(now) >= 19 ? now + 11 : "00:00:00");
}

tk_err
tk_task_store_create(struct tk_db *db, const struct tk_task_new *t,
    char created_at[TK_TIMESTAMP_SIZE], struct tk_idem_hit *hit)
{
	struct create_ctx c;
	int round;
	tk_err e;

	for (round = 0; round < TXN_ATTEMPTS; round++) {
		memset(&c, 0, sizeof(c));
		c.t = t;
		e = in_txn(db, create_txn, &c);
		if (e == TK_OK) {
			iso_seconds(c.now, created_at);
			return TK_OK;
		}
		if (!c.dup)
			return e;
		/* The key is taken: by a live request we must answer like,
		 * or by one that expired in between (then try again). */
		e = tk_task_store_idem_find(db, t->idem_principal, t->idem_key,
		    t->idem_hash, hit);
		if (e == TK_OK)
			return TK_ERR_CONFLICT;
		if (e != TK_ERR_TASK_NOT_FOUND)
			return e;
	}
	return TK_ERR_DB;
}

tk_err
tk_task_store_idem_find(struct tk_db *db, const char *principal,
    const char *key, const char *hash, struct tk_idem_hit *hit)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	tk_err e;

	a[0] = TK_PSTR(principal);
	a[1] = TK_PSTR(key);
	if ((e = tk_db_query(db, SQL_IDEM_FIND, a, 2, &r)) != TK_OK)
		return e;
	if (r.nrows != 1 || r.len[0] != 16) {
		tk_rows_free(&r);
		return TK_ERR_TASK_NOT_FOUND;
	}
	memcpy(hit->task_id, tk_row_str(&r, 0, 0), 16);
	hit->same = tk_row_str(&r, 0, 1) != NULL &&
	    strcmp(tk_row_str(&r, 0, 1), hash) == 0;
	tk_rows_free(&r);
	return TK_OK;
}

void
tk_task_store_idem_purge(struct tk_db *db)
{
	if (tk_db_exec(db, SQL_IDEM_PURGE, NULL, 0, NULL, NULL) != TK_OK)
		tk_log(TK_LOG_WARN, "event=idempotency_purge_failed");
}

/* ---------------------------------------------------------------- read */

tk_err
tk_task_store_get(struct tk_db *db, const unsigned char id[16],
    struct tk_rows *out)
{
	struct tk_dbarg a = TK_PBLOB(id, 16);
	tk_err e;

	if ((e = tk_db_query(db, SQL_TASK_GET, &a, 1, out)) != TK_OK)
		return e;
	if (out->nrows != 1) {
		tk_rows_free(out);
		return TK_ERR_TASK_NOT_FOUND;
	}
	return TK_OK;
}

tk_err
tk_task_store_steps(struct tk_db *db, const unsigned char id[16],
    struct tk_rows *out)
{
	struct tk_dbarg a = TK_PBLOB(id, 16);

	return tk_db_query(db, SQL_STEPS, &a, 1, out);
}

tk_err
tk_task_store_step(struct tk_db *db, const unsigned char id[16],
    const char *name, struct tk_rows *out)
{
	struct tk_dbarg a[2];
	tk_err e;

	a[0] = TK_PBLOB(id, 16);
	a[1] = TK_PSTR(name);
	if ((e = tk_db_query(db, SQL_STEP_BY_NAME, a, 2, out)) != TK_OK)
		return e;
	if (out->nrows != 1) {
		tk_rows_free(out);
		return TK_ERR_STEP_NOT_FOUND;
	}
	return TK_OK;
}

tk_err
tk_task_store_step_transitions(struct tk_db *db, unsigned long long step_id,
    struct tk_rows *out)
{
	struct tk_dbarg a = TK_PINT(step_id);

	return tk_db_query(db, SQL_STEP_TRANSITIONS, &a, 1, out);
}

/* ---------------------------------------------------------------- lists and counts */

static enum shape_kind
shape_of(const struct tk_task_filter *f)
{
	int ns = f->namespace_name != NULL, nm = f->name != NULL,
	    ver = f->version != NULL;

	if (f->hv_id != 0)
		return K_HV;
	if (ns && nm)
		return K_NS_NAME;   /* (with a version only when hv_id is 0) */
	if (ns && ver)
		return K_NS_VER;
	if (ns)
		return K_NS;
	if (nm && ver)
		return K_NAME_VER;
	if (nm)
		return K_NAME;
	if (ver)
		return K_VER;
	return K_ALL;
}

/* The shape's key parameters into a; returns how many. */
static size_t
keys_of(const struct tk_task_filter *f, enum shape_kind k,
    struct tk_dbarg *a)
{
	switch (k) {
	case K_ALL:
		return 0;
	case K_NS:
		a[0] = TK_PSTR(f->namespace_name);
		return 1;
	case K_NS_NAME:
		a[0] = TK_PSTR(f->namespace_name);
		a[1] = TK_PSTR(f->name);
		return 2;
	case K_HV:
		a[0] = TK_PINT(f->hv_id);
		return 1;
	case K_VER:
		a[0] = TK_PSTR(f->version);
		return 1;
	case K_NS_VER:
		a[0] = TK_PSTR(f->namespace_name);
		a[1] = TK_PSTR(f->version);
		return 2;
	case K_NAME:
		a[0] = TK_PSTR(f->name);
		return 1;
	case K_NAME_VER:
		a[0] = TK_PSTR(f->name);
		a[1] = TK_PSTR(f->version);
		return 2;
	default:
		return 0;
	}
}

tk_err
tk_task_store_list(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out)
{
	struct tk_dbarg a[NBRANCH * 4 + 2], keys[2];
	enum shape_kind k;
	size_t nk, n = 0, b, i;
	unsigned mask = f->status_mask & TK_STATUS_ALL;
	int st = 0;

	memset(out, 0, sizeof(*out));
	if (f->hv_id == 0 && f->namespace_name != NULL && f->name != NULL &&
	    f->version != NULL)
		return TK_OK;   /* no such handler version: no tasks */
	k = shape_of(f);
	nk = keys_of(f, k, keys);
	if (mask == 0 || mask == TK_STATUS_ALL) {
		for (i = 0; i < nk; i++)
			a[n++] = keys[i];
		a[n++] = TK_PINT(limit);
		a[n++] = TK_PINT(offset);
		return tk_db_query(db, shapes[k].plain, a, n, out);
	}
	for (b = 0; b < NBRANCH; b++) {
		while (st < TK_ST__COUNT && !(mask & (1u << st)))
			st++;
		for (i = 0; i < nk; i++)
			a[n++] = keys[i];
		if (st < TK_ST__COUNT) {
			a[n++] = TK_PSTR(tk_status_name((enum tk_status)st));
			a[n++] = TK_PINT(offset + limit);
			st++;
		} else {
			a[n++] = TK_PNULL;
			a[n++] = TK_PINT(0);
		}
	}
	a[n++] = TK_PINT(limit);
	a[n++] = TK_PINT(offset);
	return tk_db_query(db, shapes[k].multi, a, n, out);
}

tk_err
tk_task_store_count(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long *total)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[8];
	unsigned mask = f->status_mask & TK_STATUS_ALL;
	long long n;
	size_t i;
	int st;
	tk_err e;

	*total = 0;
	a[0] = a[1] = TK_POPT(f->namespace_name);
	a[2] = a[3] = TK_POPT(f->name);
	a[4] = a[5] = TK_POPT(f->version);
	a[6] = a[7] = TK_PINT(f->hv_id);
	if ((e = tk_db_query(db, SQL_COUNT, a, 8, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows; i++) {
		st = tk_status_parse(tk_row_str(&r, i, 0));
		n = tk_row_int(&r, i, 1);
		if (st < 0 || n <= 0)
			continue;
		if (mask == 0 || (mask & (1u << st)))
			*total += (unsigned long long)n;
	}
	tk_rows_free(&r);
	return TK_OK;
}

/* ---------------------------------------------------------------- operations */

/* Locks the task row: its status and handler version. */
static tk_err
lock_task(struct tk_db *db, const unsigned char id[16], enum tk_status *st,
    unsigned *hv)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(id, 16);
	int s;
	tk_err e;

	if ((e = tk_db_query(db, SQL_TASK_LOCK, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows != 1) {
		tk_rows_free(&r);
		return TK_ERR_TASK_NOT_FOUND;
	}
	s = tk_status_parse(tk_row_str(&r, 0, 0));
	if (hv != NULL)
		*hv = (unsigned)tk_row_int(&r, 0, 1);
	tk_rows_free(&r);
	if (s < 0)
		return TK_ERR_INTERNAL;
	*st = (enum tk_status)s;
	return TK_OK;
}

struct op_ctx {
	struct tk_task_state        *out;
	const unsigned char         *id;
	const struct tk_handler_def *def;
	const char                  *name;
	enum tk_status               to;
	const char                  *results;
	const char                  *actor;
	const char                  *reason;
	enum tk_status               task_status;
	enum tk_status               step_from;
	int                          set_reason;
	int                          set_tags;
};

void
tk_task_state_free(struct tk_task_state *st)
{
	tk_rows_free(&st->task);
	tk_rows_free(&st->steps);
}

/*
 * The answer of an operation, read before its commit: the task, and its
 * steps (all of them, or the one called step_name).
 */
static tk_err
read_back(struct tk_db *db, struct op_ctx *c, const char *step_name)
{
	struct tk_dbarg a[2];
	tk_err e;

	tk_task_state_free(c->out);   /* a retried transaction read once */
	a[0] = TK_PBLOB(c->id, 16);
	if ((e = tk_db_query(db, SQL_TASK_GET, a, 1, &c->out->task)) != TK_OK)
		return e;
	if (step_name == NULL)
		return tk_db_query(db, SQL_STEPS, a, 1, &c->out->steps);
	a[1] = TK_PSTR(step_name);
	return tk_db_query(db, SQL_STEP_BY_NAME, a, 2, &c->out->steps);
}

/* in_txn for an operation: its answer is freed when it fails. */
static tk_err
op_txn(struct tk_db *db, txn_fn fn, struct op_ctx *c)
{
	tk_err e;

	memset(c->out, 0, sizeof(*c->out));
	if ((e = in_txn(db, fn, c)) != TK_OK)
		tk_task_state_free(c->out);
	return e;
}

static tk_err
cancel_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(c->id, 16);
	unsigned hv = 0;
	size_t i;
	int s;
	tk_err e;

	if ((e = lock_task(db, c->id, &c->task_status, &hv)) != TK_OK)
		return e;
	if (tk_status_final(c->task_status))
		return TK_ERR_CONFLICT;
	if ((e = tk_db_query(db, SQL_STEPS_CANCELLABLE, &a, 1, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows && e == TK_OK; i++) {
		s = tk_status_parse(tk_row_str(&r, i, 1));
		e = tk_state_step(db, (unsigned long long)tk_row_int(&r, i, 0),
		    c->id, (enum tk_status)s, TK_ST_CANCELLED,
		    (unsigned)tk_row_int(&r, i, 2), c->actor, c->reason);
	}
	tk_rows_free(&r);
	if (e != TK_OK)
		return e;
	if ((e = tk_db_exec(db, SQL_STEPS_CLEAR_READY, &a, 1, NULL, NULL))
	    != TK_OK)
		return e;
	if ((e = tk_state_task(db, c->id, hv, c->task_status, TK_ST_CANCELLED,
	    c->actor, c->reason)) != TK_OK)
		return e;
	c->task_status = TK_ST_CANCELLED;
	return read_back(db, c, NULL);
}

/* Runs a whole-task operation (cancel, retry) in its transaction. */
static tk_err
task_op(struct tk_db *db, txn_fn fn, const unsigned char id[16],
    const char *actor, const char *reason, enum tk_status *status,
    struct tk_task_state *out)
{
	struct op_ctx c;
	tk_err e;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.id = id;
	c.actor = actor;
	c.reason = reason;
	e = op_txn(db, fn, &c);
	*status = c.task_status;
	return e;
}

tk_err
tk_task_store_cancel(struct tk_db *db, const unsigned char id[16],
    const char *actor, const char *reason, enum tk_status *status,
    struct tk_task_state *out)
{
	return task_op(db, cancel_txn, id, actor, reason, status, out);
}

static tk_err
update_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	enum tk_status st;
	struct tk_dbarg a[5];
	tk_err e;

	if ((e = lock_task(db, c->id, &st, NULL)) != TK_OK)
		return e;
	a[0] = TK_PINT(c->set_reason != 0);
	a[1] = TK_POPT(c->reason);
	a[2] = TK_PINT(c->set_tags != 0);
	a[3] = TK_POPT(c->results);   /* the tags */
	a[4] = TK_PBLOB(c->id, 16);
	if ((e = tk_db_exec(db, SQL_TASK_UPDATE, a, 5, NULL, NULL)) != TK_OK)
		return e;
	return read_back(db, c, NULL);
}

tk_err
tk_task_store_update(struct tk_db *db, const unsigned char id[16],
    int set_reason, const char *reason, int set_tags, const char *tags,
    struct tk_task_state *out)
{
	struct op_ctx c;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.id = id;
	c.set_reason = set_reason;
	c.reason = reason;
	c.set_tags = set_tags;
	c.results = tags;
	return op_txn(db, update_txn, &c);
}

static tk_err
retry_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(c->id, 16), sid;
	size_t i;
	tk_err e;

	if ((e = lock_task(db, c->id, &c->task_status, NULL)) != TK_OK)
		return e;
	if (c->task_status != TK_ST_ERROR)
		return TK_ERR_CONFLICT;
	if ((e = tk_db_query(db, SQL_STEPS_FAILED, &a, 1, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows && e == TK_OK; i++) {
		e = tk_state_step(db, (unsigned long long)tk_row_int(&r, i, 0),
		    c->id, TK_ST_ERROR, TK_ST_PENDING,
		    (unsigned)tk_row_int(&r, i, 1), c->actor, c->reason);
		sid = TK_PINT(tk_row_int(&r, i, 0));
		if (e == TK_OK)
			e = tk_db_exec(db, SQL_STEP_RESET, &sid, 1, NULL, NULL);
	}
	tk_rows_free(&r);
	if (e != TK_OK)
		return e;
	if ((e = tk_state_task_refresh(db, c->id, c->actor, c->reason,
	    &c->task_status)) != TK_OK)
		return e;
	return read_back(db, c, NULL);
}

tk_err
tk_task_store_retry(struct tk_db *db, const unsigned char id[16],
    const char *actor, const char *reason, enum tk_status *status,
    struct tk_task_state *out)
{
	return task_op(db, retry_txn, id, actor, reason, status, out);
}

static tk_err
step_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	unsigned long long sid;
	unsigned attempts;
	size_t pos;
	int s;
	tk_err e;

	if ((e = lock_task(db, c->id, &c->task_status, NULL)) != TK_OK)
		return e;
	a[0] = TK_PBLOB(c->id, 16);
	a[1] = TK_PSTR(c->name);
	if ((e = tk_db_query(db, SQL_STEP_LOCK, a, 2, &r)) != TK_OK)
		return e;
	if (r.nrows != 1) {
		tk_rows_free(&r);
		return TK_ERR_STEP_NOT_FOUND;
	}
	sid = (unsigned long long)tk_row_int(&r, 0, 0);
	pos = (size_t)tk_row_int(&r, 0, 1);
	s = tk_status_parse(tk_row_str(&r, 0, 2));
	attempts = (unsigned)tk_row_int(&r, 0, 3);
	tk_rows_free(&r);
	if (s < 0)
		return TK_ERR_INTERNAL;
	c->step_from = (enum tk_status)s;
	if (tk_status_final(c->task_status) ||
	    !tk_step_transition_legal(c->step_from, c->to))
		return TK_ERR_CONFLICT;
	if ((e = tk_state_step(db, sid, c->id, c->step_from, c->to, attempts,
	    c->actor, c->reason)) != TK_OK)
		return e;
	if (c->to == TK_ST_RESOLVED_MANUALLY) {
		a[0] = TK_POPT(c->results);
		a[1] = TK_PINT(sid);
		if ((e = tk_db_exec(db, SQL_STEP_RESOLVE, a, 2, NULL, NULL))
		    != TK_OK)
			return e;
		if (pos < c->def->nsteps &&
		    (e = tk_state_release_children(db, c->id, c->def, pos))
		    != TK_OK)
			return e;
	} else {
		a[0] = TK_PINT(sid);
		if ((e = tk_db_exec(db, SQL_STEP_STOP, a, 1, NULL, NULL))
		    != TK_OK)
			return e;
	}
	if ((e = tk_state_task_refresh(db, c->id, c->actor, c->reason,
	    &c->task_status)) != TK_OK)
		return e;
	return read_back(db, c, c->name);
}

tk_err
tk_task_store_step_set(struct tk_db *db, const unsigned char id[16],
    const struct tk_handler_def *def, const char *name, enum tk_status to,
    const char *results, const char *actor, const char *reason,
    enum tk_status *from, enum tk_status *task_status,
    struct tk_task_state *out)
{
	struct op_ctx c;
	tk_err e;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.id = id;
	c.def = def;
	c.name = name;
	c.to = to;
	c.results = results;
	c.actor = actor;
	c.reason = reason;
	e = op_txn(db, step_txn, &c);
	*from = c.step_from;
	*task_status = c.task_status;
	return e;
}
