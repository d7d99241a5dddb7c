/*
 * db.c - the MariaDB connection, its statement cache, and result fetching.
 *
 * Ownership: struct tk_db owns the MYSQL handle and every MYSQL_STMT in its
 * cache.  Results are copied into struct tk_rows, which the caller frees;
 * nothing returned points into libmariadb's buffers.
 */
#include "tasker/db.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "tasker/alloc.h"
#include "tasker/clock.h"
#include "tasker/log.h"
#include "rows.h"

#define STMT_CACHE_MAX 128
#define MAX_PARAMS     72
#define CELL_START     256   /* first fetch buffer per column */

struct cached_stmt {
	const char *sql;     /* the caller's static string: the cache key */
	MYSQL_STMT *stmt;
};

/* Transactions' serials, process-wide: a handle freed and another
 * allocated at its address never repeat a (handle, serial) pair that a
 * store module keyed something on (tk_db_txn_serial). */
static _Atomic unsigned long long serial_next;

struct tk_db {
	const struct tk_db_config *cfg;
	MYSQL                     *conn;     /* NULL when disconnected */
	int                        in_txn;    /* inside tk_db_txn */
	int                        chained;   /* tk_db_set_chained(db, 1) */
	int                        open;      /* chained: reads since COMMIT */
	unsigned                   txn_sent;  /* statements the txn ran */
	unsigned long long         txn_serial; /* of the last tk_db_begin */
	int                        no_retry;  /* tk_db_set_retry(db, 0) */
	int                        sync_want; /* tk_db_sync_wait; -1: never */
	int                        sync_have; /* on conn; -1 = the server's */
	struct cached_stmt         cache[STMT_CACHE_MAX];
	size_t                     ncache;
	char                       err[512];
	unsigned                   errnum;
};

/* ---------------------------------------------------------------- errors */

static int
is_connection_error(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	    e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	    e == ER_SERVER_SHUTDOWN || e == CR_COMMANDS_OUT_OF_SYNC;
}

static void
save_error(struct tk_db *db, unsigned e, const char *msg)
{
	db->errnum = e;
	snprintf(db->err, sizeof(db->err), "%u: %s", e, msg ? msg : "");
}

/* Maps a failure to tk_err; a lost connection is dropped here. */
static tk_err
fail(struct tk_db *db, unsigned e, const char *msg)
{
	save_error(db, e, msg);
	if (is_connection_error(e)) {
		tk_db_disconnect(db);
		return TK_ERR_DB_UNAVAILABLE;
	}
	return TK_ERR_DB;
}

/*
 * A statement's failure.  Some errors (a deadlock or lock wait reported
 * while rows are streamed by mysql_stmt_fetch) are recorded on the
 * connection, not on the statement: take whichever has one.
 */
static tk_err
stmt_fail(struct tk_db *db, MYSQL_STMT *st)
{
	if (mysql_stmt_errno(st) != 0 || db->conn == NULL)
		return fail(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	if (mysql_errno(db->conn) != 0)
		return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	return fail(db, CR_UNKNOWN_ERROR, "statement failed without an error");
}

const char *
tk_db_error(const struct tk_db *db)
{
	return db->err;
}

unsigned
tk_db_errno(const struct tk_db *db)
{
	return db->errnum;
}

/* ---------------------------------------------------------------- connection */

tk_err
tk_db_new(const struct tk_db_config *cfg, struct tk_db **out)
{
	struct tk_db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return TK_ERR_NOMEM;
	db->cfg = cfg;
	db->sync_want = -1;
	*out = db;
	return TK_OK;
}

void
tk_db_disconnect(struct tk_db *db)
{
	size_t i;

	for (i = 0; i < db->ncache; i++)
		mysql_stmt_close(db->cache[i].stmt);
	db->ncache = 0;
	if (db->conn != NULL)
		mysql_close(db->conn);
	db->conn = NULL;
	db->in_txn = 0;
	db->open = 0;
}

void
tk_db_free(struct tk_db *db)
{
	if (db == NULL)
		return;
	tk_db_disconnect(db);
	free(db);
}

int
tk_db_connected(const struct tk_db *db)
{
	return db->conn != NULL;
}

/* SET SESSION wsrep_sync_wait unless the session has it already. */
static tk_err
apply_sync_wait(struct tk_db *db)
{
	char q[64];

	if (db->sync_have == db->sync_want)
		return TK_OK;
	snprintf(q, sizeof(q), "SET SESSION wsrep_sync_wait = %d",
	    db->sync_want);
	if (mysql_query(db->conn, q) != 0)
		return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	db->sync_have = db->sync_want;
	return TK_OK;
}

/* Every session: UTC, strict SQL, and READ COMMITTED, so that each read
 * sees what was committed when it began (a chained connection's reads
 * share one transaction and must not share one snapshot). */
#define INIT_SESSION							\
	"SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,"	\
	"NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"	\
	"NO_ENGINE_SUBSTITUTION', tx_isolation = 'READ-COMMITTED'"
static const char INIT_AUTOCOMMIT[] = INIT_SESSION;
static const char INIT_CHAINED[] = INIT_SESSION ", autocommit = 0";

void
tk_db_set_chained(struct tk_db *db, int on)
{
	if (db->chained != (on != 0))
		tk_db_disconnect(db);
	db->chained = on != 0;
}

tk_err
tk_db_ensure(struct tk_db *db)
{
	const struct tk_db_config *c = db->cfg;
	unsigned int ct = c->connect_timeout, rt = c->read_timeout,
	    wt = c->write_timeout;
	my_bool off = 0;
	MYSQL *m;

	if (db->conn != NULL)
		return TK_OK;
	if ((m = mysql_init(NULL)) == NULL)
		return TK_ERR_NOMEM;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	/* We own reconnection: automatic reconnect would silently drop our
	 * prepared statements and any open transaction. */
	mysql_options(m, MYSQL_OPT_RECONNECT, &off);
	mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &off);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_INIT_COMMAND, db->chained ? INIT_CHAINED :
	    INIT_AUTOCOMMIT);
	if (mysql_real_connect(m, c->socket ? NULL : c->host, c->user,
	    c->password, c->name, c->socket ? 0 : c->port, c->socket, 0) == NULL) {
		save_error(db, mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return TK_ERR_DB_UNAVAILABLE;
	}
	db->conn = m;
	db->in_txn = 0;
	db->open = 0;
	db->sync_have = -1;
	/* A reconnection keeps what tk_db_sync_wait asked for. */
	if (db->sync_want >= 0)
		return apply_sync_wait(db);
	return TK_OK;
}

tk_err
tk_db_sync_wait(struct tk_db *db, int mask)
{
	int was_connected = db->conn != NULL;
	tk_err e;

	db->sync_want = mask;
	if ((e = tk_db_ensure(db)) != TK_OK)
		return e;
	/* A dead idle connection shows up here: once more on a new one. */
	if ((e = apply_sync_wait(db)) == TK_ERR_DB_UNAVAILABLE &&
	    was_connected && (e = tk_db_ensure(db)) == TK_OK)
		e = apply_sync_wait(db);
	return e;
}

/* ---------------------------------------------------------------- statements */

/* The cached statement for sql, prepared on first use. */
static tk_err
get_stmt(struct tk_db *db, const char *sql, MYSQL_STMT **out)
{
	MYSQL_STMT *st = NULL;
	size_t i;
	tk_err e;

	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].sql == sql) {
			*out = db->cache[i].stmt;
			return TK_OK;
		}
	if ((e = tk_db_ensure(db)) != TK_OK)
		return e;
	if ((st = mysql_stmt_init(db->conn)) == NULL)
		return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		unsigned en = mysql_stmt_errno(st);
		char msg[400];

		snprintf(msg, sizeof(msg), "%s", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return fail(db, en, msg);
	}
	if (db->ncache == STMT_CACHE_MAX) {
		/* Full: evict the oldest.  Only reached by a bug (SQL built at
		 * run time), but never a crash. */
		mysql_stmt_close(db->cache[0].stmt);
		memmove(&db->cache[0], &db->cache[1],
		    (STMT_CACHE_MAX - 1) * sizeof(db->cache[0]));
		db->ncache--;
	}
	db->cache[db->ncache].sql = sql;
	db->cache[db->ncache].stmt = st;
	db->ncache++;
	*out = st;
	return TK_OK;
}

static tk_err
bind_params(struct tk_db *db, MYSQL_STMT *st, const struct tk_dbarg *params,
    size_t n, MYSQL_BIND *b, long long *ints)
{
	size_t i;

	if (n > MAX_PARAMS || mysql_stmt_param_count(st) != n)
		return fail(db, 0, "parameter count mismatch");
	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		switch (params[i].type) {
		case TK_P_NULL:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case TK_P_STR:
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = (void *)(uintptr_t)params[i].p;
			b[i].buffer_length = params[i].len;
			break;
		case TK_P_BLOB:
			b[i].buffer_type = MYSQL_TYPE_BLOB;
			b[i].buffer = (void *)(uintptr_t)params[i].p;
			b[i].buffer_length = params[i].len;
			break;
		case TK_P_INT:
			ints[i] = params[i].i;
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &ints[i];
			break;
		}
	}
	if (n > 0 && mysql_stmt_bind_param(st, b) != 0)
		return stmt_fail(db, st);
	return TK_OK;
}

void
tk_rows_free(struct tk_rows *r)
{
	size_t i;

	if (r->cell != NULL)
		for (i = 0; i < r->nrows * r->ncols; i++)
			free(r->cell[i]);
	free(r->cell);
	free(r->len);
	r->cell = NULL;
	r->len = NULL;
	r->nrows = r->ncols = 0;
}

/* 1 when s[0..19) is "YYYY-MM-DD HH:MM:SS". */
static int
datetime_shape(const char *s)
{
	static const char pat[] = "dddd-dd-dd dd:dd:dd";
	size_t i;

	for (i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	return 1;
}

tk_err
tk_rows_iso_time(struct tk_rows *r, size_t col)
{
	size_t i, k;
	char *c, *n;

	if (col >= r->ncols)
		return TK_ERR_INTERNAL;
	for (i = 0; i < r->nrows; i++) {
		k = i * r->ncols + col;
		if ((c = r->cell[k]) == NULL)
			continue;
		if (r->len[k] < 19 || !datetime_shape(c) ||
		    (r->len[k] > 19 && c[19] != '.'))
			return TK_ERR_DB;
		if (r->len[k] < 20) {	/* no fraction: room for the Z */
			if ((n = realloc(c, 21)) == NULL)
				return TK_ERR_NOMEM;
			r->cell[k] = c = n;
		}
		c[10] = 'T';
		c[19] = 'Z';
		c[20] = '\0';
		r->len[k] = 20;
	}
	return TK_OK;
}

/* Appends the current row of st (bound to b/lens/nulls) to out. */
static tk_err
take_row(MYSQL_STMT *st, MYSQL_BIND *b, unsigned long *lens, my_bool *nulls,
    size_t ncols, struct tk_rows *out, size_t *cap)
{
	size_t c, base;
	char *cell;

	if (out->nrows == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **nc;
		size_t *nl;

		if ((nc = tk_reallocarray(out->cell, ncap, ncols *
		    sizeof(*nc))) == NULL)
			return TK_ERR_NOMEM;
		out->cell = nc;
		if ((nl = tk_reallocarray(out->len, ncap, ncols *
		    sizeof(*nl))) == NULL)
			return TK_ERR_NOMEM;
		out->len = nl;
		*cap = ncap;
	}
	base = out->nrows * ncols;
	for (c = 0; c < ncols; c++) {
		out->cell[base + c] = NULL;
		out->len[base + c] = 0;
	}
	out->nrows++;
	for (c = 0; c < ncols; c++) {
		if (nulls[c])
			continue;
		if ((cell = malloc(lens[c] + 1)) == NULL)
			return TK_ERR_NOMEM;
		out->cell[base + c] = cell;
		out->len[base + c] = lens[c];
		if (lens[c] <= b[c].buffer_length)
			memcpy(cell, b[c].buffer, lens[c]);
		else {
			/* Truncated: fetch the whole column into the cell. */
			MYSQL_BIND one;

			memset(&one, 0, sizeof(one));
			one.buffer_type = MYSQL_TYPE_STRING;
			one.buffer = cell;
			one.buffer_length = lens[c];
			if (mysql_stmt_fetch_column(st, &one, (unsigned)c, 0) != 0)
				return TK_ERR_DB;
		}
		cell[lens[c]] = '\0';
	}
	return TK_OK;
}

static tk_err
fetch_all(struct tk_db *db, MYSQL_STMT *st, struct tk_rows *out)
{
	MYSQL_RES *meta = NULL;
	MYSQL_BIND *b = NULL;
	unsigned long *lens = NULL;
	my_bool *nulls = NULL;
	char *bufs = NULL;
	size_t ncols, c, cap = 0;
	tk_err e = TK_OK;
	int rc;

	if ((meta = mysql_stmt_result_metadata(st)) == NULL)
		return fail(db, mysql_stmt_errno(st), "statement returns no rows");
	ncols = mysql_num_fields(meta);
	mysql_free_result(meta);
	out->ncols = ncols;
	b = calloc(ncols ? ncols : 1, sizeof(*b));
	lens = calloc(ncols ? ncols : 1, sizeof(*lens));
	nulls = calloc(ncols ? ncols : 1, sizeof(*nulls));
	bufs = tk_reallocarray(NULL, ncols ? ncols : 1, CELL_START);
	if (b == NULL || lens == NULL || nulls == NULL || bufs == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (c = 0; c < ncols; c++) {
		b[c].buffer_type = MYSQL_TYPE_STRING;
		b[c].buffer = bufs + c * CELL_START;
		b[c].buffer_length = CELL_START;
		b[c].length = &lens[c];
		b[c].is_null = &nulls[c];
	}
	if (mysql_stmt_bind_result(st, b) != 0) {
		e = stmt_fail(db, st);
		goto out;
	}
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		if ((e = take_row(st, b, lens, nulls, ncols, out, &cap)) != TK_OK)
			goto out;
	if (rc != MYSQL_NO_DATA)
		e = stmt_fail(db, st);
out:
	if (e != TK_OK)
		tk_rows_free(out);
	mysql_stmt_free_result(st);
	free(b);
	free(lens);
	free(nulls);
	free(bufs);
	return e;
}

/* One attempt at running sql; rows may be NULL for statements. */
static tk_err
run_once(struct tk_db *db, const char *sql, const struct tk_dbarg *params,
    size_t n, struct tk_rows *rows, unsigned long long *affected,
    unsigned long long *insert_id)
{
	MYSQL_BIND b[MAX_PARAMS];
	long long ints[MAX_PARAMS];
	MYSQL_STMT *st = NULL;
	tk_err e;

	if ((e = get_stmt(db, sql, &st)) != TK_OK)
		return e;
	if ((e = bind_params(db, st, params, n, b, ints)) != TK_OK)
		return e;
	if (mysql_stmt_execute(st) != 0)
		return stmt_fail(db, st);
	if (rows != NULL)
		return fetch_all(db, st, rows);
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(st);
	if (insert_id != NULL)
		*insert_id = mysql_stmt_insert_id(st);
	return TK_OK;
}

/*
 * On a chained connection outside tk_db_txn, what autocommit would have
 * done: a statement that returns no rows (a write) is committed at once,
 * with whatever reads preceded it; a read leaves the transaction open for
 * tk_db_finish (reads under READ COMMITTED take no row locks).  So the
 * transaction tk_db_txn joins never holds another caller's write.
 */
static tk_err
end_outside(struct tk_db *db, int wrote)
{
	if (!db->chained || db->in_txn || db->conn == NULL)
		return TK_OK;
	if (!wrote) {
		db->open = 1;
		return TK_OK;
	}
	db->open = 0;
	if (mysql_commit(db->conn) != 0)
		return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	return TK_OK;
}

/* Runs once; outside a transaction, a lost connection gets one retry. */
static tk_err
run(struct tk_db *db, const char *sql, const struct tk_dbarg *params,
    size_t n, struct tk_rows *rows, unsigned long long *affected,
    unsigned long long *insert_id)
{
	int was_connected = db->conn != NULL, in_txn = db->in_txn;
	tk_err e;

	e = run_once(db, sql, params, n, rows, affected, insert_id);
	if (e == TK_ERR_DB_UNAVAILABLE && was_connected && !in_txn &&
	    !db->no_retry) {
		tk_log(TK_LOG_INFO, "event=db_reconnect");
		e = run_once(db, sql, params, n, rows, affected, insert_id);
	}
	if (e == TK_OK && in_txn)
		db->txn_sent++;
	else if (e == TK_OK)
		e = end_outside(db, rows == NULL);
	else if (db->conn != NULL)
		(void)end_outside(db, 0);   /* a failed statement: its reads stay */
	return e;
}

void
tk_db_set_retry(struct tk_db *db, int on)
{
	db->no_retry = !on;
}

tk_err
tk_db_exec(struct tk_db *db, const char *sql, const struct tk_dbarg *params,
    size_t nparams, unsigned long long *affected, unsigned long long *insert_id)
{
	return run(db, sql, params, nparams, NULL, affected, insert_id);
}

tk_err
tk_db_query(struct tk_db *db, const char *sql, const struct tk_dbarg *params,
    size_t nparams, struct tk_rows *out)
{
	out->nrows = out->ncols = 0;
	out->cell = NULL;
	out->len = NULL;
	return run(db, sql, params, nparams, out, NULL, NULL);
}

tk_err
tk_db_exec_text(struct tk_db *db, const char *sql, size_t len)
{
	MYSQL_RES *res;
	tk_err e;

	if ((e = tk_db_ensure(db)) != TK_OK)
		return e;
	if (mysql_real_query(db->conn, sql, len) != 0)
		return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	if ((res = mysql_store_result(db->conn)) != NULL)
		mysql_free_result(res);
	return end_outside(db, 1);
}

tk_err
tk_db_reconnect(struct tk_db *db, long long budget_ms)
{
	static const struct timespec pause = { 0, 250000000L };
	long long end = tk_now_ms() + budget_ms;
	tk_err e;

	while ((e = tk_db_ensure(db)) != TK_OK && tk_now_ms() < end)
		(void)nanosleep(&pause, NULL);
	return e;
}

/* ---------------------------------------------------------------- transactions */

tk_err
tk_db_begin(struct tk_db *db)
{
	tk_err e;

	if ((e = tk_db_ensure(db)) != TK_OK)
		return e;
	db->txn_sent = 0;
	db->txn_serial = atomic_fetch_add(&serial_next, 1) + 1;
	if (db->chained) {
		/* Already in a transaction (autocommit is off): holding at
		 * most reads, which this one may as well commit. */
		db->in_txn = 1;
		return TK_OK;
	}
	if (mysql_query(db->conn, "START TRANSACTION") != 0) {
		/* A dead idle connection shows up here: retry once. */
		e = fail(db, mysql_errno(db->conn), mysql_error(db->conn));
		if (e != TK_ERR_DB_UNAVAILABLE || (e = tk_db_ensure(db)) != TK_OK)
			return e;
		if (mysql_query(db->conn, "START TRANSACTION") != 0)
			return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	}
	db->in_txn = 1;
	return TK_OK;
}

tk_err
tk_db_commit(struct tk_db *db)
{
	if (db->conn == NULL)
		return TK_ERR_DB_UNAVAILABLE;
	db->in_txn = 0;
	db->open = 0;
	if (mysql_commit(db->conn) != 0)
		return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	return TK_OK;
}

void
tk_db_rollback(struct tk_db *db)
{
	if (db->conn != NULL && mysql_rollback(db->conn) != 0)
		(void)fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	db->in_txn = 0;
	db->open = 0;
}

unsigned long long
tk_db_txn_serial(const struct tk_db *db)
{
	return db->in_txn ? db->txn_serial : 0;
}

tk_err
tk_db_finish(struct tk_db *db)
{
	if (!db->open || db->conn == NULL)
		return TK_OK;
	db->open = 0;
	if (mysql_commit(db->conn) != 0)
		return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	return TK_OK;
}

#define ER_TXN_DEADLOCK  1213   /* also a Galera certification failure */
#define ER_TXN_LOCK_WAIT 1205

int
tk_db_transient(const struct tk_db *db)
{
	unsigned en = tk_db_errno(db);

	return en == ER_TXN_DEADLOCK || en == ER_TXN_LOCK_WAIT;
}

/* A pause of 1..10*try ms before a transaction runs again, so two that
 * deadlocked do not meet again at once. */
static void
txn_pause(int try)
{
	struct timespec ts;
	unsigned r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)try * 7919u;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(1 + r % (10u * (unsigned)try)) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

tk_err
tk_db_txn(struct tk_db *db, tk_txn_fn fn, void *arg)
{
	char q[600];
	tk_err e = TK_ERR_DB;
	unsigned en;
	int try, transient, revived = 0;

	for (try = 0; try < TK_TXN_TRIES; try++) {
		if (try > 0)
			txn_pause(try);
		if ((e = tk_db_begin(db)) != TK_OK)
			return e;
		if ((e = fn(db, arg)) == TK_OK && (e = tk_db_commit(db)) ==
		    TK_OK)
			return TK_OK;
		/* Chained, no START TRANSACTION met a dead idle connection:
		 * the first statement did, and nothing of this run can have
		 * been committed, so it runs once more on a new one. */
		if (e == TK_ERR_DB_UNAVAILABLE && db->chained &&
		    db->txn_sent == 0 && !revived && !db->no_retry) {
			revived = 1;
			try--;
			tk_db_rollback(db);
			tk_log(TK_LOG_INFO, "event=db_reconnect");
			continue;
		}
		/* Read before the rollback, whose own failure would
		 * replace the error. */
		en = tk_db_errno(db);
		transient = e == TK_ERR_DB && tk_db_transient(db);
		if (e == TK_ERR_DB && !transient)
			/* For the operator; a client gets a plain 500. */
			tk_log(TK_LOG_ERROR, "event=txn_failed errno=%u error=%s",
			    en, tk_log_quote(q, sizeof(q), tk_db_error(db)));
		tk_db_rollback(db);
		if (!transient)
			return e;
		tk_log(TK_LOG_DEBUG, "event=txn_retry errno=%u attempt=%d", en,
		    try + 1);
	}
	return e;
}

/* ---------------------------------------------------------------- rows */

const char *
tk_row_str(const struct tk_rows *r, size_t row, size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cell[row * r->ncols + col];
}

long long
tk_row_int(const struct tk_rows *r, size_t row, size_t col)
{
	const char *s = tk_row_str(r, row, col);
	char *end;
	long long v;

	if (s == NULL)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return 0;
	return v;
}

size_t
tk_row_len(const struct tk_rows *r, size_t row, size_t col)
{
	if (tk_row_str(r, row, col) == NULL)
		return 0;
	return r->len[row * r->ncols + col];
}

char *
tk_row_take(struct tk_rows *r, size_t row, size_t col, size_t *len)
{
	char *s;

	if (len != NULL)
		*len = tk_row_len(r, row, col);
	if (tk_row_str(r, row, col) == NULL)
		return NULL;
	s = r->cell[row * r->ncols + col];
	r->cell[row * r->ncols + col] = NULL;
	return s;
}
