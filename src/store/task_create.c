/*
 * task_create.c - creating a task with its steps, and the
 * Idempotency-Keys of POST /tasks (see task_store.h).
 */
#include "tasker/task_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/handler.h"
#include "tasker/log.h"
#include "rows.h"
#include "task_rows.h"

#define IDEM_ROUNDS   5      /* an Idempotency-Key taken, then expired */
#define OUTCOME_MS    1500   /* to reach the writer again after a lost commit */
#define ER_DUP_ENTRY  1062

/* ---------------------------------------------------------------- statements */

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

/* One row per tag; the JSON array was checked by the API (1 to 64
 * bytes a tag, no repeats; IGNORE: a repeat would be one row anyway). */
static const char SQL_TAGS_DELETE[] =
    "DELETE FROM task_tags WHERE task_id = ?";
static const char SQL_TAGS_INSERT[] =
    "INSERT IGNORE INTO task_tags (tag, task_id) SELECT j.tag, ? FROM"
    " JSON_TABLE(?, '$[*]' COLUMNS (tag VARCHAR(64) CHARACTER SET utf8mb4"
    " COLLATE utf8mb4_bin PATH '$')) j WHERE j.tag IS NOT NULL";

/* Whether a task is stored, on a node that has first applied every write
 * the cluster committed before this read (Galera's wsrep_sync_wait;
 * MariaDB without a cluster ignores it). */
static const char SQL_TASK_EXISTS_SYNCED[] =
    "SET STATEMENT wsrep_sync_wait = 1 FOR"
    " SELECT 1 FROM tasks WHERE id = ?";

static const char SQL_TASK_INSERT[] =
    "INSERT INTO tasks (id, handler_version_id, namespace, name, version,"
    " context, initiator, source_system, reason, tags, created_at,"
    " updated_at, created_by, priority)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* Steps go in multi-row INSERTs of up to STEP_ROWS rows (a handler of
 * up to six steps: one round trip); 11 parameters a row stay within
 * db.c's 72.  A step's priority is its task's (0011: the claim order). */
#define STEP_VALUES "(?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)"
#define STEP_PARAMS 11
#define STEP_ROWS   6
#define STEP_INSERT                                                        \
	"INSERT INTO workflow_steps (task_id, position, name, attempts,"   \
	" retry_limit, retryable, skippable, unmet_parents, ready_at,"     \
	" created_at, updated_at, priority) VALUES "
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
			a[base + 10] = TK_PINT(t->priority);
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
	struct tk_dbarg a[14];
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
	a[13] = TK_PINT(t->priority);
	if ((e = tk_db_exec(db, SQL_TASK_INSERT, a, 14, NULL, NULL)) != TK_OK)
		return e;
	if ((e = tk_task_tags_write(db, t->id, t->tags, 0)) != TK_OK ||
	    (e = insert_steps(db, t, c->now)) != TK_OK)
		return e;
	return tk_state_task_created(db, t->id, t->hv_id, t->actor,
	    "created");
}

tk_err
tk_task_tags_write(struct tk_db *db, const unsigned char id[16],
    const char *tags, int replace)
{
	struct tk_dbarg a[2];
	tk_err e;

	a[0] = TK_PBLOB(id, 16);
	if (replace &&
	    (e = tk_db_exec(db, SQL_TAGS_DELETE, a, 1, NULL, NULL)) != TK_OK)
		return e;
	if (tags == NULL)
		return TK_OK;
	a[1] = TK_PSTR(tags);
	return tk_db_exec(db, SQL_TAGS_INSERT, a, 2, NULL, NULL);
}

/* "YYYY-MM-DD HH:MM:SS.ffffff" -> "YYYY-MM-DDTHH:MM:SSZ" */
static void
iso_seconds(const char *now, char out[TK_TIMESTAMP_SIZE])
{
	snprintf(out, TK_TIMESTAMP_SIZE, "%.10sT%.8sZ", now,
	    strlen(now) >= 19 ? now + 11 : "00:00:00");
}

/*
 * The connection was lost in the creation's transaction, perhaps in its
 * COMMIT (the writer died, or HAProxy cut its connections when it marked
 * the node down): the task may be stored or not.  Its id was chosen
 * before the insert, so a new connection (to the new writer) says which.
 * The writer may still be moving: connecting is tried for OUTCOME_MS
 * (a failed request must still fail fast).  TK_OK: stored; TK_ERR_TASK_NOT_FOUND: not stored;
 * TK_ERR_DB_UNAVAILABLE: still unknown (the client gets 503).
 */
static tk_err
create_outcome(struct tk_db *db, const unsigned char id[16])
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[1];
	tk_err e;

	a[0] = TK_PBLOB(id, 16);
	if ((e = tk_db_reconnect(db, OUTCOME_MS)) != TK_OK ||
	    (e = tk_db_query(db, SQL_TASK_EXISTS_SYNCED, a, 1, &r)) != TK_OK)
		return e;
	e = r.nrows > 0 ? TK_OK : TK_ERR_TASK_NOT_FOUND;
	tk_rows_free(&r);
	tk_log(TK_LOG_WARN, "event=commit_outcome_resolved stored=%s",
	    e == TK_OK ? "yes" : "no");
	return e;
}

tk_err
tk_task_store_create(struct tk_db *db, const struct tk_task_new *t,
    char created_at[TK_TIMESTAMP_SIZE], struct tk_idem_hit *hit)
{
	struct create_ctx c;
	int round, lost = 0;
	tk_err e;

	for (round = 0; round < IDEM_ROUNDS; round++) {
		memset(&c, 0, sizeof(c));
		c.t = t;
		e = tk_db_txn(db, create_txn, &c);
		/* Lost after create_txn began (it set c.now first): the
		 * outcome is resolved, not guessed: stored, or run once more
		 * (a round that does not count).  Lost before: nothing was
		 * written, and a database that is down fails fast. */
		if (e == TK_ERR_DB_UNAVAILABLE && c.now[0] != '\0' && !lost) {
			lost = 1;
			e = create_outcome(db, t->id);
			if (e == TK_ERR_TASK_NOT_FOUND) {
				round--;
				continue;
			}
		}
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

