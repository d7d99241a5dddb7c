/*
 * db.h - one MariaDB connection with its prepared statements.
 *
 * A process owns one struct tk_db.  Nothing connects before it is needed
 * (prefork: never connect before the fork).  Every statement goes through
 * a prepared statement cached by its SQL text's address, so callers pass
 * SQL as string literals (static storage) and each is prepared once per
 * connection.  When the server goes away the connection and every cached
 * statement are dropped and the next call reconnects and re-prepares;
 * outside a transaction a statement that failed because the connection was
 * lost is retried once on a fresh connection.  A failure to (re)connect is
 * TK_ERR_DB_UNAVAILABLE, which the API answers with 503.
 *
 * Queries that return rows are store-internal (src/store/rows.h): the
 * store modules turn their results into typed structs, so no string
 * table of cells leaves src/store/.
 */
#ifndef TASKER_DB_H
#define TASKER_DB_H

#include <stddef.h>
#include <stdint.h>

#include "tasker/config.h"
#include "tasker/error.h"

struct tk_db;

enum tk_dbarg_type { TK_P_NULL, TK_P_STR, TK_P_INT, TK_P_BLOB };

/* A statement parameter; strings and blobs are borrowed, not copied. */
struct tk_dbarg {
	enum tk_dbarg_type  type;
	const void         *p;     /* TK_P_STR, TK_P_BLOB */
	size_t              len;   /* TK_P_STR, TK_P_BLOB */
	long long           i;     /* TK_P_INT */
};

#define TK_PSTR(s)      ((struct tk_dbarg){ TK_P_STR, (s), strlen(s), 0 })
#define TK_PSTRN(s, n)  ((struct tk_dbarg){ TK_P_STR, (s), (n), 0 })
#define TK_PBLOB(p, n)  ((struct tk_dbarg){ TK_P_BLOB, (p), (n), 0 })
#define TK_PINT(v)      ((struct tk_dbarg){ TK_P_INT, NULL, 0, (long long)(v) })
#define TK_PNULL        ((struct tk_dbarg){ TK_P_NULL, NULL, 0, 0 })
/* A string parameter that is NULL in SQL when s is NULL. */
#define TK_POPT(s)      ((s) != NULL ? TK_PSTR(s) : TK_PNULL)

/* Creates the handle; does not connect.  cfg must outlive the handle. */
tk_err tk_db_new(const struct tk_db_config *cfg, struct tk_db **out);
void   tk_db_free(struct tk_db *db);

/* Connects when not connected.  TK_ERR_DB_UNAVAILABLE when it cannot. */
tk_err tk_db_ensure(struct tk_db *db);
/* tk_db_ensure every 250 ms until it connects or budget_ms have passed
 * (then once more at most connect_timeout): for a caller that must reach
 * the database again after losing it (HAProxy moves to another Galera
 * node in about a second). */
tk_err tk_db_reconnect(struct tk_db *db, long long budget_ms);
/* Drops the connection (and every prepared statement). */
void   tk_db_disconnect(struct tk_db *db);
/* 1 when a connection is open (it may still have gone away). */
int    tk_db_connected(const struct tk_db *db);

/*
 * Connects and sets the session's wsrep_sync_wait (Galera: 1 makes each
 * read wait until this node has applied every write the cluster had
 * committed when it began) unless the session has that value already;
 * a new connection gets it again.  For a connection to a node other than
 * the writer; a server without Galera accepts and ignores it.
 * TK_ERR_DB_UNAVAILABLE when it cannot connect.
 */
tk_err tk_db_sync_wait(struct tk_db *db, int mask);

/*
 * Chained (on 1; before the first statement, or it reconnects): the
 * session runs with autocommit off, so tk_db_txn needs no START
 * TRANSACTION round trip - the transaction is already open.  Outside
 * tk_db_txn a statement that returns no rows is committed at once, as
 * under autocommit; reads leave the session's transaction open (under
 * READ COMMITTED each still sees the latest commits, and none takes a row
 * lock) and the next tk_db_txn or tk_db_finish commits it.  The owner
 * calls tk_db_finish before it waits for other work, so that no idle
 * session holds the metadata locks a migration's ALTER waits for.
 * tasker-fcgi's writer is chained (api/dispatch.c finishes each request).
 */
void   tk_db_set_chained(struct tk_db *db, int on);
/* Chained: COMMIT of the reads since the last commit, when there were
 * any (one round trip); else, and on other connections, nothing. */
tk_err tk_db_finish(struct tk_db *db);

/* on 0: a statement that lost its connection is not retried on a new
 * one (a caller with a time budget, e.g. lease renewal, retries itself). */
void   tk_db_set_retry(struct tk_db *db, int on);

/* Runs a statement that returns no rows. affected/insert_id may be NULL. */
tk_err tk_db_exec(struct tk_db *db, const char *sql,
    const struct tk_dbarg *params, size_t nparams,
    unsigned long long *affected, unsigned long long *insert_id);
/* Runs SQL text without preparing it (DDL in migrations).  No retry. */
tk_err tk_db_exec_text(struct tk_db *db, const char *sql, size_t len);

tk_err tk_db_begin(struct tk_db *db);
tk_err tk_db_commit(struct tk_db *db);
void   tk_db_rollback(struct tk_db *db);   /* best effort */

/*
 * THE way to run a transaction: fn(db, arg) between START TRANSACTION
 * (none on a chained connection) and COMMIT (ROLLBACK when it fails).  A deadlock or a lock wait
 * timeout (on a Galera cluster a certification failure is a deadlock
 * too) runs it again from the start, up to TK_TXN_TRIES times, after a
 * short random pause; a database error that is not transient is logged
 * for the operator.  fn must read what it decides on inside the
 * transaction, so a second run starts afresh.  A lost connection
 * (TK_ERR_DB_UNAVAILABLE) is not run again: it may have been lost in the
 * COMMIT, which the server may or may not have done; the caller resolves
 * that from what it wrote (task creation: task_create.c, create_outcome)
 * or answers 503 and lets the client decide.
 */
#define TK_TXN_TRIES 8
/* On a chained connection a lost connection before fn's first
 * statement succeeded (a dead idle one: no START TRANSACTION found it)
 * runs fn once more on a new connection: nothing can have been written. */
typedef tk_err (*tk_txn_fn)(struct tk_db *db, void *arg);
tk_err tk_db_txn(struct tk_db *db, tk_txn_fn fn, void *arg);
/* Inside tk_db_txn: a number no other transaction of this process had
 * (a run again is another one); 0 outside.  For a store module that does
 * a thing once per transaction. */
unsigned long long tk_db_txn_serial(const struct tk_db *db);
/* 1 when the last error was transient (a deadlock or lock wait timeout):
 * the same work may well succeed when run again. */
int    tk_db_transient(const struct tk_db *db);

/* The server's last error for logs (never sent to clients). */
const char *tk_db_error(const struct tk_db *db);
/* The server's last error number (e.g. 1062 for a duplicate key). */
unsigned    tk_db_errno(const struct tk_db *db);

#endif
