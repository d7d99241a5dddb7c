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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/handler.h"
#include "tasker/log.h"

#define IDEM_ROUNDS   5      /* an Idempotency-Key taken, then expired */
#define ER_DUP_ENTRY  1062

/* ---------------------------------------------------------------- statements */

/* Time stamp columns are read as DATETIME text and put in the API's form
 * in C (query_times below): DATE_FORMAT in the server cost more. */

#define TASK_COLS                                                          \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, t.context, t.initiator, t.source_system, t.reason,"    \
	" t.tags, t.created_at, t.updated_at, t.completed_at, t.created_by"

#define STEP_COLS                                                          \
	"id, position, name, status, attempts, retry_limit, retryable,"    \
	" skippable, unmet_parents, results, last_error, ready_at,"        \
	" started_at, completed_at, created_at, updated_at"

/* Idempotency keys live by the database's clock: the same clock decides
 * below, in SQL_IDEM_FIND and in SQL_IDEM_PURGE whether one expired. */
static const char SQL_IDEM_DELETE_EXPIRED[] =
    "DELETE FROM idempotency_keys WHERE principal = ? AND idem_key = ?"
    " AND expires_at <= UTC_TIMESTAMP(6)";
static const char SQL_IDEM_INSERT[] =
    "INSERT INTO idempotency_keys (principal, idem_key, request_hash,"
    " task_id, created_at, expires_at)"
    " VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6),"
    " DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? SECOND))";
static const char SQL_IDEM_FIND[] =
    "SELECT task_id, request_hash FROM idempotency_keys"
    " WHERE principal = ? AND idem_key = ? AND expires_at > UTC_TIMESTAMP(6)";
static const char SQL_IDEM_PURGE[] =
    "DELETE FROM idempotency_keys WHERE expires_at < UTC_TIMESTAMP(6)"
    " LIMIT 100";

static const char SQL_TASK_INSERT[] =
    "INSERT INTO tasks (id, handler_version_id, namespace, name, version,"
    " context, initiator, source_system, reason, tags, created_at,"
    " updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* Steps go in multi-row INSERTs of up to STEP_ROWS rows (a handler of
 * up to six steps: one round trip); 10 parameters a row stay within
 * db.c's 64. */
#define STEP_VALUES "(?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)"
#define STEP_PARAMS 10
#define STEP_ROWS   6
#define STEP_INSERT                                                        \
	"INSERT INTO workflow_steps (task_id, position, name, attempts,"   \
	" retry_limit, retryable, skippable, unmet_parents, ready_at,"     \
	" created_at, updated_at) VALUES "
#define STEP_V2 STEP_VALUES ", " STEP_VALUES
#define STEP_V4 STEP_V2 ", " STEP_V2
static const char SQL_STEP_INSERT1[] = STEP_INSERT STEP_VALUES;
static const char SQL_STEP_INSERT2[] = STEP_INSERT STEP_V2;
static const char SQL_STEP_INSERT3[] = STEP_INSERT STEP_V2 ", " STEP_VALUES;
static const char SQL_STEP_INSERT4[] = STEP_INSERT STEP_V4;
static const char SQL_STEP_INSERT5[] = STEP_INSERT STEP_V4 ", " STEP_VALUES;
static const char SQL_STEP_INSERT6[] = STEP_INSERT STEP_V4 ", " STEP_V2;
static const char *const sql_step_insert[STEP_ROWS + 1] = { NULL,
    SQL_STEP_INSERT1, SQL_STEP_INSERT2, SQL_STEP_INSERT3, SQL_STEP_INSERT4,
    SQL_STEP_INSERT5, SQL_STEP_INSERT6 };

static const char SQL_TASK_GET[] =
    "SELECT " TASK_COLS " FROM tasks t WHERE t.id = ?";
static const char SQL_STEPS[] =
    "SELECT " STEP_COLS " FROM workflow_steps WHERE task_id = ?"
    " ORDER BY position";
/*
 * A task and its steps in one round trip: one row per step, the task's
 * columns first.  The task's big columns (context, tags) come only with
 * the step at position 0 (every task has one: positions are 0..n-1 from
 * creation), not once per step.  The steps are read in position order off
 * their index, so nothing is sorted.
 */
#define TASK_COLS_ONCE                                                     \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, IF(s.position = 0, t.context, NULL), t.initiator,"     \
	" t.source_system, t.reason, IF(s.position = 0, t.tags, NULL),"    \
	" t.created_at, t.updated_at, t.completed_at, t.created_by"
#define STEP_COLS_S                                                        \
	"s.id, s.position, s.name, s.status, s.attempts, s.retry_limit,"   \
	" s.retryable, s.skippable, s.unmet_parents, s.results,"           \
	" s.last_error, s.ready_at, s.started_at, s.completed_at,"         \
	" s.created_at, s.updated_at"
static const char SQL_TASK_ALL[] =
    "SELECT " TASK_COLS_ONCE ", " STEP_COLS_S " FROM workflow_steps s"
    " FORCE INDEX (ix_steps_task_position) JOIN tasks t ON t.id = s.task_id"
    " WHERE s.task_id = ? ORDER BY s.position";
static const char SQL_STEP_BY_NAME[] =
    "SELECT " STEP_COLS " FROM workflow_steps WHERE task_id = ? AND name = ?";
static const char SQL_STEP_TRANSITIONS[] =
    "SELECT from_status, to_status, attempt, actor, reason, created_at"
    " FROM (SELECT * FROM step_transitions"
    " WHERE step_id = ? ORDER BY id DESC LIMIT 100) x ORDER BY id";

static const char SQL_TASK_LOCK[] =
    "SELECT status, handler_version_id FROM tasks WHERE id = ? FOR UPDATE";
/* Running steps too: their workers notice and stop the handlers. */
static const char SQL_STEPS_CANCELLABLE[] =
    "SELECT id, status, attempts FROM workflow_steps WHERE task_id = ?"
    " AND status IN ('pending', 'error', 'in_progress')"
    " ORDER BY position FOR UPDATE";
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
/* The steps' statuses for the parents check of a resolve; locked, so a
 * parent cannot change under the decision. */
static const char SQL_STEP_STATUSES[] =
    "SELECT position, status FROM workflow_steps WHERE task_id = ?"
    " ORDER BY position LOCK IN SHARE MODE";
static const char SQL_STEP_RESOLVE[] =
    "UPDATE workflow_steps SET results = COALESCE(?, results),"
    " completed_at = UTC_TIMESTAMP(6), ready_at = NULL, lease_owner = NULL,"
    " lease_expires_at = NULL, updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
static const char SQL_TASK_UPDATE[] =
    "UPDATE tasks SET reason = IF(?, ?, reason), tags = IF(?, ?, tags),"
    " updated_at = UTC_TIMESTAMP(6) WHERE id = ?";

/*
 * How many tasks the filter matches, per status, from task_counts joined
 * to the registry: one row, one column, "n,n,n,n,n,n" in the order of
 * enum tk_status (count_sum reads it).  Parameters: namespace twice, name
 * twice, version twice, handler version id twice (SQL_COUNT_NS_SET: then
 * the namespace set).
 */
#define COUNT_OF(ST) "COALESCE(SUM(IF(tc.status = '" ST "', tc.n, 0)), 0)"
#define COUNTS                                                             \
	"SELECT CONCAT_WS(',', " COUNT_OF("pending") ", "                  \
	COUNT_OF("in_progress") ", " COUNT_OF("complete") ", "             \
	COUNT_OF("error") ", " COUNT_OF("cancelled") ", "                  \
	COUNT_OF("resolved_manually") ") FROM handler_versions hv"         \
	" JOIN namespaces ns ON ns.id = hv.namespace_id"                   \
	" JOIN task_counts tc ON tc.handler_version_id = hv.id"            \
	" WHERE (? IS NULL OR ns.name = ?) AND (? IS NULL OR hv.name = ?)" \
	" AND (? IS NULL OR hv.version = ?) AND (? = 0 OR hv.id = ?)"
#define NCOUNTS      6
#define COUNT_PARAMS 8
_Static_assert(TK_ST__COUNT == NCOUNTS, "COUNTS names every status");
static const char SQL_COUNT[] = COUNTS;
static const char SQL_COUNT_NS_SET[] =
    COUNTS " AND FIND_IN_SET(ns.name, ?) > 0";

/*
 * Lists.  PLAIN: one ordered read of an index.  MULTI: one ordered read
 * per status (six branches; an unused branch has LIMIT 0 and costs
 * nothing), merged and cut to the page.
 * Every row of a page carries the COUNTS of the filter as its last
 * column (an uncorrelated scalar subquery: computed once), so a page and
 * its total take one round trip; as a column it leaves the join and its
 * order alone (a derived table there made MariaDB sort the whole page,
 * LONGTEXTs and all, through a temporary table).  Parameters: the COUNTS
 * parameters (the subquery comes first in the text), then PLAIN: keys,
 * limit, offset; MULTI: per branch keys, status, offset + limit; then
 * limit, offset.  (A statement of its own for a single status measured no
 * faster than MULTI with five empty branches.)
 */
#define PAGE_OF(IDS)                                                       \
	"SELECT " TASK_COLS ", (" COUNTS ") FROM (" IDS ") p"              \
	" JOIN tasks t ON t.id = p.id ORDER BY t.id DESC"
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

/*
 * From this offset on, the total is counted first and a page past the
 * end is not read: its ordered read would walk the index up to the offset
 * for nothing (the old cost of a deep page, kept to what it was).
 */
#define COUNT_FIRST_OFFSET 10000ULL

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

/*
 * Lists of a subject's tasks (created_by) or of a set of namespaces (a
 * limited caller's scope).  The other filters are conditions on the rows
 * the index yields, in id order.  Parameters: (created_by,) the
 * SCOPED_WHERE pairs: namespace set, namespace, name, version, status set
 * (comma lists for FIND_IN_SET; NULL: any); then limit, offset.
 */
#define SCOPED_WHERE                                                       \
	" (? IS NULL OR FIND_IN_SET(namespace, ?) > 0)"                    \
	" AND (? IS NULL OR namespace = ?) AND (? IS NULL OR name = ?)"    \
	" AND (? IS NULL OR version = ?)"                                  \
	" AND (? IS NULL OR FIND_IN_SET(status, ?) > 0)"
#define SCOPED_PARAMS 10
#define SCOPED_PAGE(IDX, COND)                                             \
	"SELECT " TASK_COLS " FROM (SELECT id FROM tasks FORCE INDEX ("    \
	IDX ") WHERE " COND SCOPED_WHERE " ORDER BY id DESC LIMIT ?"        \
	" OFFSET ?) p JOIN tasks t ON t.id = p.id ORDER BY t.id DESC"
static const char SQL_OWN_PAGE[] =
    SCOPED_PAGE("ix_tasks_created_by", "created_by = ? AND");
static const char SQL_OWN_COUNT[] =
    "SELECT COUNT(*) FROM tasks FORCE INDEX (ix_tasks_created_by)"
    " WHERE created_by = ? AND" SCOPED_WHERE;
static const char SQL_NS_SET_PAGE[] = SCOPED_PAGE("PRIMARY", "");

/*
 * A set of at most NS_BRANCHES namespaces: one ordered read of
 * ix_tasks_ns per namespace (an unused branch has namespace NULL and
 * LIMIT 0: it reads nothing), merged and cut to the page as MULTI does.
 * The other filters are conditions on the rows (COALESCE: one parameter
 * each).  Parameters per branch: namespace, name, version, status set,
 * offset + limit; then limit, offset.
 */
#define NS_BRANCH                                                          \
	"(SELECT id FROM tasks FORCE INDEX (ix_tasks_ns) WHERE namespace = ?" \
	" AND name = COALESCE(?, name) AND version = COALESCE(?, version)"  \
	" AND FIND_IN_SET(status, COALESCE(?, status)) > 0"                 \
	" ORDER BY id DESC LIMIT ?)"
#define NS_BRANCH_PARAMS 5
#define NS_BRANCHES      8
#define NS_BRANCH2       NS_BRANCH " UNION ALL " NS_BRANCH
#define NS_BRANCH4       NS_BRANCH2 " UNION ALL " NS_BRANCH2
static const char SQL_NS_BRANCHES_PAGE[] =
    "SELECT " TASK_COLS " FROM (SELECT id FROM (" NS_BRANCH4 " UNION ALL "
    NS_BRANCH4 ") u ORDER BY id DESC LIMIT ? OFFSET ?) p"
    " JOIN tasks t ON t.id = p.id ORDER BY t.id DESC";
_Static_assert(NS_BRANCHES * NS_BRANCH_PARAMS + 2 <= 64,
    "within db.c's parameter limit");

/* ---------------------------------------------------------------- transactions */

/* ---------------------------------------------------------------- create */

struct create_ctx {
	const struct tk_task_new *t;
	char                      now[32];  /* 'YYYY-MM-DD HH:MM:SS.ffffff' */
	int                       dup;      /* the key was taken */
};

/*
 * Now, UTC, to the microsecond, by this host's clock (the one the task's
 * UUIDv7 id is made from) rather than the database's: asking MariaDB for
 * UTC_TIMESTAMP(6) cost a round trip per task.  The task's created_at and
 * updated_at and its steps' created_at, updated_at and ready_at (the
 * root steps' claim time) all get this one value, as they used to get the
 * database's.  Later times (claims, transitions, completion) come from
 * the database's clock; with the database on another host the two
 * clocks should agree (NTP): a root step becomes claimable when the
 * database's clock reaches this value.
 */
static void
now_utc(char out[32])
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
		gmtime_r(&ts.tv_sec, &tm);
	}
	/* The remainders only bound the fields for the compiler. */
	snprintf(out, 32, "%04u-%02u-%02u %02u:%02u:%02u.%06lu",
	    (unsigned)(tm.tm_year + 1900) % 10000,
	    (unsigned)(tm.tm_mon + 1) % 100, (unsigned)tm.tm_mday % 100,
	    (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100,
	    (unsigned)tm.tm_sec % 100,
	    (unsigned long)(ts.tv_nsec / 1000) % 1000000);
}

static tk_err
insert_steps(struct tk_db *db, const struct tk_task_new *t, const char *now)
{
	struct tk_dbarg a[STEP_ROWS * STEP_PARAMS];
	const struct tk_handler_def *d = t->def;
	size_t i, k, n, base;
	tk_err e;

	for (i = 0; i < d->nsteps; i += n) {
		n = d->nsteps - i < STEP_ROWS ? d->nsteps - i : STEP_ROWS;
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
		e = tk_db_exec(db, sql_step_insert[n], a, n * STEP_PARAMS, NULL,
		    NULL);
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
	struct tk_dbarg a[13];
	tk_err e;

	now_utc(c->now);

	/* The key first: a concurrent twin waits here on our row lock and
	 * then finds the key taken, having written nothing. */
	if (t->idem_key != NULL) {
		a[0] = TK_PSTR(t->idem_principal);
		a[1] = TK_PSTR(t->idem_key);
		if ((e = tk_db_exec(db, SQL_IDEM_DELETE_EXPIRED, a, 2, NULL,
		    NULL)) != TK_OK)
			return e;
		a[2] = TK_PSTR(t->idem_hash);
		a[3] = TK_PBLOB(t->id, 16);
		a[4] = TK_PINT(t->idem_ttl);
		e = tk_db_exec(db, SQL_IDEM_INSERT, a, 5, NULL, NULL);
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
	a[12] = TK_POPT(t->created_by);
	if ((e = tk_db_exec(db, SQL_TASK_INSERT, a, 13, NULL, NULL)) != TK_OK)
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

	for (round = 0; round < IDEM_ROUNDS; round++) {
		memset(&c, 0, sizeof(c));
		c.t = t;
		e = tk_db_txn(db, create_txn, &c);
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

/* The row shapes whose time stamps query_times rewrites. */
enum times_of { TIMES_TASK, TIMES_STEP, TIMES_TASK_STEP, TIMES_TRANSITION };

static const size_t task_times[] = { TK_TASK_CREATED, TK_TASK_UPDATED,
    TK_TASK_COMPLETED };
static const size_t step_times[] = { TK_STEP_READY_AT, TK_STEP_STARTED,
    TK_STEP_COMPLETED, TK_STEP_CREATED, TK_STEP_UPDATED };
#define TRANSITION_TIME 5   /* created_at of SQL_STEP_TRANSITIONS */

static tk_err
times_at(struct tk_rows *r, size_t base, const size_t *cols, size_t n)
{
	size_t i;
	tk_err e;

	for (i = 0; i < n; i++)
		if ((e = tk_rows_iso_time(r, base + cols[i])) != TK_OK)
			return e;
	return TK_OK;
}

/* tk_db_query, then the rows' time stamps in the API's form; on failure
 * out is freed. */
static tk_err
query_times(struct tk_db *db, const char *sql, const struct tk_dbarg *a,
    size_t n, struct tk_rows *out, enum times_of shape)
{
	tk_err e;

	if ((e = tk_db_query(db, sql, a, n, out)) != TK_OK)
		return e;
	if (out->nrows == 0)
		return TK_OK;
	switch (shape) {
	case TIMES_TASK:
		e = times_at(out, 0, task_times, 3);
		break;
	case TIMES_STEP:
		e = times_at(out, 0, step_times, 5);
		break;
	case TIMES_TASK_STEP:
		if ((e = times_at(out, 0, task_times, 3)) == TK_OK)
			e = times_at(out, TK_TASK__NCOLS, step_times, 5);
		break;
	case TIMES_TRANSITION:
		e = tk_rows_iso_time(out, TRANSITION_TIME);
		break;
	}
	if (e != TK_OK)
		tk_rows_free(out);
	return e;
}

tk_err
tk_task_store_get(struct tk_db *db, const unsigned char id[16],
    struct tk_rows *out)
{
	struct tk_dbarg a = TK_PBLOB(id, 16);
	tk_err e;

	if ((e = query_times(db, SQL_TASK_GET, &a, 1, out, TIMES_TASK))
	    != TK_OK)
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

	return query_times(db, SQL_STEPS, &a, 1, out, TIMES_STEP);
}

/*
 * Moves columns [first, first + ncols) of rows [r0, r0 + nrows) of all
 * into out (which takes the cells over; all keeps the rest).
 */
static tk_err
take_cols(struct tk_rows *all, size_t r0, size_t nrows, size_t first,
    size_t ncols, struct tk_rows *out)
{
	size_t i, c, from, to;

	memset(out, 0, sizeof(*out));
	out->ncols = ncols;
	if (nrows == 0)
		return TK_OK;
	out->cell = calloc(nrows * ncols, sizeof(*out->cell));
	out->len = calloc(nrows * ncols, sizeof(*out->len));
	if (out->cell == NULL || out->len == NULL) {
		tk_rows_free(out);
		return TK_ERR_NOMEM;
	}
	out->nrows = nrows;
	for (i = 0; i < nrows; i++)
		for (c = 0; c < ncols; c++) {
			from = (r0 + i) * all->ncols + first + c;
			to = i * ncols + c;
			out->cell[to] = all->cell[from];
			out->len[to] = all->len[from];
			all->cell[from] = NULL;
		}
	return TK_OK;
}

tk_err
tk_task_store_get_all(struct tk_db *db, const unsigned char id[16],
    struct tk_rows *task, struct tk_rows *steps)
{
	struct tk_rows all = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(id, 16);
	tk_err e;

	memset(task, 0, sizeof(*task));
	memset(steps, 0, sizeof(*steps));
	if ((e = query_times(db, SQL_TASK_ALL, &a, 1, &all,
	    TIMES_TASK_STEP)) != TK_OK)
		return e;
	if (all.nrows == 0 || all.ncols != TK_TASK__NCOLS + TK_STEP__NCOLS ||
	    tk_row_str(&all, 0, TK_TASK_CONTEXT) == NULL) {
		/* No steps (no task, then), or no step at position 0 to
		 * carry the context (never written so): the two plain
		 * reads. */
		tk_rows_free(&all);
		if ((e = tk_task_store_get(db, id, task)) != TK_OK)
			return e;
		if ((e = tk_task_store_steps(db, id, steps)) != TK_OK)
			tk_rows_free(task);
		return e;
	}
	if ((e = take_cols(&all, 0, 1, 0, TK_TASK__NCOLS, task)) == TK_OK &&
	    (e = take_cols(&all, 0, all.nrows, TK_TASK__NCOLS, TK_STEP__NCOLS,
	    steps)) != TK_OK)
		tk_rows_free(task);
	tk_rows_free(&all);
	return e;
}

tk_err
tk_task_store_step(struct tk_db *db, const unsigned char id[16],
    const char *name, struct tk_rows *out)
{
	struct tk_dbarg a[2];
	tk_err e;

	a[0] = TK_PBLOB(id, 16);
	a[1] = TK_PSTR(name);
	if ((e = query_times(db, SQL_STEP_BY_NAME, a, 2, out,
	    TIMES_STEP)) != TK_OK)
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

	return query_times(db, SQL_STEP_TRANSITIONS, &a, 1, out,
	    TIMES_TRANSITION);
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

/* The COUNTS parameters of f into a; returns how many. */
static size_t
count_params(const struct tk_task_filter *f, struct tk_dbarg *a)
{
	a[0] = a[1] = TK_POPT(f->namespace_name);
	a[2] = a[3] = TK_POPT(f->name);
	a[4] = a[5] = TK_POPT(f->version);
	a[6] = a[7] = TK_PINT(f->hv_id);
	return COUNT_PARAMS;
}

/*
 * The total of the counts text of COUNTS ("n,n,n,n,n,n", enum tk_status
 * order): the statuses of the filter (status_mask 0: all), none below
 * zero.
 */
static unsigned long long
count_sum(const char *s, unsigned status_mask)
{
	unsigned mask = status_mask & TK_STATUS_ALL;
	unsigned long long total = 0;
	long long n;
	char *end;
	int st;

	for (st = 0; s != NULL && st < NCOUNTS && st < TK_ST__COUNT; st++) {
		n = strtoll(s, &end, 10);
		if (end != s && n > 0 && (mask == 0 || (mask & (1u << st))))
			total += (unsigned long long)n;
		if ((s = strchr(s, ',')) != NULL)
			s++;
	}
	return total;
}

/*
 * The statuses of mask as a comma list ("pending,error") in out, or NULL
 * for every status.
 */
static const char *
status_set(unsigned mask, char *out, size_t outsz)
{
	size_t n = 0;
	int st;

	mask &= TK_STATUS_ALL;
	if (mask == 0 || mask == TK_STATUS_ALL)
		return NULL;
	out[0] = '\0';
	for (st = 0; st < TK_ST__COUNT; st++)
		if (mask & (1u << st))
			n += (size_t)snprintf(out + n, n < outsz ? outsz - n : 0,
			    "%s%s", n > 0 ? "," : "",
			    tk_status_name((enum tk_status)st));
	return out;
}

#define STATUS_SET_SIZE 128   /* every status name, comma-separated */

/* The SCOPED_WHERE parameters of f into a; returns how many. */
static size_t
scoped_params(const struct tk_task_filter *f, const char *statuses,
    struct tk_dbarg *a)
{
	a[0] = a[1] = TK_POPT(f->ns_set);
	a[2] = a[3] = TK_POPT(f->namespace_name);
	a[4] = a[5] = TK_POPT(f->name);
	a[6] = a[7] = TK_POPT(f->version);
	a[8] = a[9] = TK_POPT(statuses);
	return SCOPED_PARAMS;
}

/* How many of created_by's tasks match f. */
static tk_err
own_count(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long *total)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[1 + SCOPED_PARAMS];
	char st[STATUS_SET_SIZE];
	long long n;
	tk_err e;

	a[0] = TK_PSTR(f->created_by);
	scoped_params(f, status_set(f->status_mask, st, sizeof(st)), a + 1);
	if ((e = tk_db_query(db, SQL_OWN_COUNT, a, 1 + SCOPED_PARAMS, &r))
	    != TK_OK)
		return e;
	n = tk_row_int(&r, 0, 0);
	*total = n > 0 ? (unsigned long long)n : 0;
	tk_rows_free(&r);
	return TK_OK;
}

/*
 * The page of a namespace set of at most NS_BRANCHES names (and no
 * namespace or creator filter) off ix_tasks_ns.  1 when it applies (and
 * *e says how it went), 0 when the set is too large for it.
 */
static int
list_ns_branches(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out,
    tk_err *e)
{
	struct tk_dbarg a[NS_BRANCHES * NS_BRANCH_PARAMS + 2];
	char st[STATUS_SET_SIZE];
	const char *p = f->ns_set, *statuses;
	size_t b, len, n = 0;

	if (f->created_by != NULL || f->namespace_name != NULL)
		return 0;
	statuses = status_set(f->status_mask, st, sizeof(st));
	for (b = 0; b < NS_BRANCHES; b++) {
		a[n] = TK_PNULL;
		a[n + 4] = TK_PINT(0);
		if (*p != '\0') {
			len = strcspn(p, ",");
			a[n] = TK_PSTRN(p, len);
			a[n + 4] = TK_PINT(offset + limit);
			p += len + (p[len] == ',');
		}
		a[n + 1] = TK_POPT(f->name);
		a[n + 2] = TK_POPT(f->version);
		a[n + 3] = TK_POPT(statuses);
		n += NS_BRANCH_PARAMS;
	}
	if (*p != '\0')
		return 0;   /* more names than branches */
	a[n++] = TK_PINT(limit);
	a[n++] = TK_PINT(offset);
	*e = query_times(db, SQL_NS_BRANCHES_PAGE, a, n, out, TIMES_TASK);
	return 1;
}

/* tk_task_store_list() for a filter with created_by or ns_set. */
static tk_err
list_scoped(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out,
    unsigned long long *total)
{
	struct tk_dbarg a[1 + SCOPED_PARAMS + 2];
	char st[STATUS_SET_SIZE];
	const char *sql = SQL_NS_SET_PAGE;
	size_t n = 0;
	tk_err e;

	if ((e = tk_task_store_count(db, f, total)) != TK_OK ||
	    offset >= *total)
		return e;
	if (f->ns_set != NULL &&
	    list_ns_branches(db, f, offset, limit, out, &e))
		return e;
	if (f->created_by != NULL) {
		a[n++] = TK_PSTR(f->created_by);
		sql = SQL_OWN_PAGE;
	}
	n += scoped_params(f, status_set(f->status_mask, st, sizeof(st)),
	    a + n);
	a[n++] = TK_PINT(limit);
	a[n++] = TK_PINT(offset);
	return query_times(db, sql, a, n, out, TIMES_TASK);
}

tk_err
tk_task_store_count(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long *total)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[COUNT_PARAMS + 1];
	size_t n;
	tk_err e;

	*total = 0;
	if (f->created_by != NULL)
		return own_count(db, f, total);
	n = count_params(f, a);
	if (f->ns_set != NULL)
		a[n++] = TK_PSTR(f->ns_set);
	if ((e = tk_db_query(db, f->ns_set != NULL ? SQL_COUNT_NS_SET :
	    SQL_COUNT, a, n, &r)) != TK_OK)
		return e;
	*total = count_sum(tk_row_str(&r, 0, 0), f->status_mask);
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_task_store_list(struct tk_db *db, const struct tk_task_filter *f,
    unsigned long long offset, unsigned limit, struct tk_rows *out,
    unsigned long long *total)
{
	struct tk_dbarg a[NBRANCH * 4 + 2 + COUNT_PARAMS], keys[2];
	enum shape_kind k;
	size_t nk, n, b, i;
	unsigned mask = f->status_mask & TK_STATUS_ALL;
	const char *sql;
	int st = 0;
	tk_err e;

	memset(out, 0, sizeof(*out));
	*total = 0;
	if (f->created_by != NULL || f->ns_set != NULL)
		return list_scoped(db, f, offset, limit, out, total);
	if (f->hv_id == 0 && f->namespace_name != NULL && f->name != NULL &&
	    f->version != NULL)
		/* No such handler version (in this process's catalog): no
		 * tasks to list, but the counts say what they say. */
		return tk_task_store_count(db, f, total);
	if (offset >= COUNT_FIRST_OFFSET) {
		if ((e = tk_task_store_count(db, f, total)) != TK_OK ||
		    offset >= *total)
			return e;
	}
	k = shape_of(f);
	nk = keys_of(f, k, keys);
	n = count_params(f, a);
	if (mask == 0 || mask == TK_STATUS_ALL) {
		for (i = 0; i < nk; i++)
			a[n++] = keys[i];
		a[n++] = TK_PINT(limit);
		a[n++] = TK_PINT(offset);
		sql = shapes[k].plain;
	} else {
		for (b = 0; b < NBRANCH; b++) {
			while (st < TK_ST__COUNT && !(mask & (1u << st)))
				st++;
			for (i = 0; i < nk; i++)
				a[n++] = keys[i];
			if (st < TK_ST__COUNT) {
				a[n++] = TK_PSTR(tk_status_name(
				    (enum tk_status)st));
				a[n++] = TK_PINT(offset + limit);
				st++;
			} else {
				a[n++] = TK_PNULL;
				a[n++] = TK_PINT(0);
			}
		}
		a[n++] = TK_PINT(limit);
		a[n++] = TK_PINT(offset);
		sql = shapes[k].multi;
	}
	if ((e = query_times(db, sql, a, n, out, TIMES_TASK)) != TK_OK)
		return e;
	if (out->nrows > 0 && out->ncols == TK_TASK__NCOLS + 1) {
		*total = count_sum(tk_row_str(out, 0, TK_TASK__NCOLS),
		    f->status_mask);
		return TK_OK;
	}
	/* An empty page (past the end, or nothing matches) has no row to
	 * carry the counts. */
	tk_rows_free(out);
	return tk_task_store_count(db, f, total);
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
	long                         parent;   /* a resolve's blocker, -1 */
	enum tk_status               parent_status;
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
	if ((e = query_times(db, SQL_TASK_GET, a, 1, &c->out->task,
	    TIMES_TASK)) != TK_OK)
		return e;
	if (step_name == NULL)
		return query_times(db, SQL_STEPS, a, 1, &c->out->steps,
		    TIMES_STEP);
	a[1] = TK_PSTR(step_name);
	return query_times(db, SQL_STEP_BY_NAME, a, 2, &c->out->steps,
	    TIMES_STEP);
}

/* tk_db_txn for an operation: its answer is freed when it fails. */
static tk_err
op_txn(struct tk_db *db, tk_txn_fn fn, struct op_ctx *c)
{
	tk_err e;

	memset(c->out, 0, sizeof(*c->out));
	if ((e = tk_db_txn(db, fn, c)) != TK_OK)
		tk_task_state_free(c->out);
	return e;
}

/*
 * Cancels every step of the task that has not finished, then the task
 * (from c->task_status; hv: its handler version).  The caller locked the
 * task row.
 */
static tk_err
cancel_all(struct tk_db *db, struct op_ctx *c, unsigned hv)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(c->id, 16);
	size_t i;
	int s;
	tk_err e;

	if ((e = tk_db_query(db, SQL_STEPS_CANCELLABLE, &a, 1, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows && e == TK_OK; i++) {
		if ((s = tk_status_parse(tk_row_str(&r, i, 1))) < 0) {
			e = TK_ERR_INTERNAL;
			break;
		}
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
	return TK_OK;
}

static tk_err
cancel_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	unsigned hv = 0;
	tk_err e;

	if ((e = lock_task(db, c->id, &c->task_status, &hv)) != TK_OK)
		return e;
	if (tk_status_final(c->task_status))
		return TK_ERR_CONFLICT;
	if ((e = cancel_all(db, c, hv)) != TK_OK)
		return e;
	return read_back(db, c, NULL);
}

/* Runs a whole-task operation (cancel, retry) in its transaction. */
static tk_err
task_op(struct tk_db *db, tk_txn_fn fn, const unsigned char id[16],
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

/*
 * Dependency order: c->parent gets the first parent of step pos that is
 * not complete or resolved_manually (-1: none), read under a shared lock.
 */
static tk_err
unfinished_parent(struct tk_db *db, struct op_ctx *c, size_t pos)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(c->id, 16);
	enum tk_status *st = NULL;
	size_t i, n = c->def->nsteps, p;
	int s;
	tk_err e;

	c->parent = -1;
	if (pos >= n || c->def->steps[pos].nparents == 0)
		return TK_OK;
	if ((e = tk_db_query(db, SQL_STEP_STATUSES, &a, 1, &r)) != TK_OK)
		return e;
	if ((st = calloc(n, sizeof(*st))) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		st[i] = TK_ST_PENDING;   /* a missing row: not finished */
	for (i = 0; i < r.nrows; i++) {
		p = (size_t)tk_row_int(&r, i, 0);
		s = tk_status_parse(tk_row_str(&r, i, 1));
		if (p < n && s >= 0)
			st[p] = (enum tk_status)s;
	}
	c->parent = tk_state_unfinished_parent(c->def, pos, st, n);
	if (c->parent >= 0)
		c->parent_status = st[c->parent];
out:
	free(st);
	tk_rows_free(&r);
	return e;
}

/* Resolves step sid (at pos) by hand, when its parents have finished. */
static tk_err
resolve_step(struct tk_db *db, struct op_ctx *c, unsigned long long sid,
    size_t pos, unsigned attempts)
{
	struct tk_dbarg a[2];
	tk_err e;

	if ((e = unfinished_parent(db, c, pos)) != TK_OK)
		return e;
	if (c->parent >= 0)
		return TK_ERR_CONFLICT;
	if ((e = tk_state_step(db, sid, c->id, c->step_from, c->to, attempts,
	    c->actor, c->reason)) != TK_OK)
		return e;
	a[0] = TK_POPT(c->results);
	a[1] = TK_PINT(sid);
	if ((e = tk_db_exec(db, SQL_STEP_RESOLVE, a, 2, NULL, NULL)) != TK_OK)
		return e;
	if (pos < c->def->nsteps &&
	    (e = tk_state_release_children(db, c->id, c->def, pos)) != TK_OK)
		return e;
	return tk_state_task_refresh(db, c->id, c->actor, c->reason,
	    &c->task_status);
}

static tk_err
step_txn(struct tk_db *db, void *arg)
{
	struct op_ctx *c = arg;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	unsigned long long sid;
	unsigned attempts, hv = 0;
	size_t pos;
	int s;
	tk_err e;

	c->parent = -1;
	if ((e = lock_task(db, c->id, &c->task_status, &hv)) != TK_OK)
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
	/* A cancelled step can never complete, nor can its task: the rest
	 * of the task is cancelled with it, none of it left pending. */
	if (c->to == TK_ST_CANCELLED)
		e = cancel_all(db, c, hv);
	else
		e = resolve_step(db, c, sid, pos, attempts);
	if (e != TK_OK)
		return e;
	return read_back(db, c, c->name);
}

tk_err
tk_task_store_step_set(struct tk_db *db, const unsigned char id[16],
    const struct tk_handler_def *def, const char *name, enum tk_status to,
    const char *results, const char *actor, const char *reason,
    struct tk_step_set_info *info, struct tk_task_state *out)
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
	c.parent = -1;
	e = op_txn(db, step_txn, &c);
	info->from = c.step_from;
	info->task_status = c.task_status;
	info->parent = e == TK_ERR_CONFLICT ? c.parent : -1;
	info->parent_status = c.parent_status;
	return e;
}
