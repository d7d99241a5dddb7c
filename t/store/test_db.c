/*
 * test_db.c - db.c against a real server: tk_db_txn survives a deadlock
 * (provoked with two connections), a connection the server killed is
 * replaced, and the cached prepared statements are prepared again on it;
 * a chained connection (tasker-fcgi's writer) commits its transactions
 * without START TRANSACTION, its writes outside one at once, keeps its
 * reads fresh and open only until tk_db_finish, and survives being killed
 * while idle.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "storelib.h"
#include "../unit/testlib.h"

/* The other side of the deadlock, on its own connection: it changes
 * many rows (so that InnoDB, which rolls back the smaller transaction,
 * picks the test's), then waits for row 1, which the test holds. */
struct other {
	struct tk_db *db;
	tk_err        e;
};

static void *
other_run(void *arg)
{
	struct other *o = arg;

	if ((o->e = tk_db_begin(o->db)) != TK_OK)
		return NULL;
	if ((o->e = tk_db_exec(o->db, "UPDATE st_dl SET v = 2 WHERE id >= 2",
	    NULL, 0, NULL, NULL)) != TK_OK ||
	    (o->e = tk_db_exec(o->db, "UPDATE st_dl SET v = 2 WHERE id = 1",
	    NULL, 0, NULL, NULL)) != TK_OK ||
	    (o->e = tk_db_commit(o->db)) != TK_OK) {
		fprintf(stderr, "the other side: %s\n", tk_db_error(o->db));
		tk_db_rollback(o->db);
	}
	return NULL;
}

struct mine {
	int           runs;
	pthread_t     thread;
	int           started;
	struct other  other;
};

/* The transaction under test: row 1, then row 2.  Its first run takes
 * row 1, lets the other side block on it, and then asks for row 2, which
 * the other side holds: a deadlock. */
static tk_err
mine_run(struct tk_db *db, void *arg)
{
	struct mine *m = arg;
	tk_err e;

	m->runs++;
	if ((e = tk_db_exec(db, "UPDATE st_dl SET v = 1 WHERE id = 1", NULL,
	    0, NULL, NULL)) != TK_OK)
		return e;
	if (m->runs == 1) {
		if (pthread_create(&m->thread, NULL, other_run,
		    &m->other) != 0)
			return TK_ERR_INTERNAL;
		m->started = 1;
		if (!st_lock_waits())
			return TK_ERR_INTERNAL;
	}
	return tk_db_exec(db, "UPDATE st_dl SET v = 1 WHERE id = 2", NULL, 0,
	    NULL, NULL);
}

static void
test_txn_deadlock(void)
{
	struct tk_db *db, *db2;
	struct mine m;
	tk_err e;

	ST_NEED(db, st_db);
	ST_NEED(db2, st_db2);
	memset(&m, 0, sizeof(m));
	m.other.db = db2;
	CU_ASSERT_FATAL(st_sql(db, "CREATE TABLE st_dl (id INT PRIMARY KEY, "
	    "v INT NOT NULL) ENGINE=InnoDB") == 0);
	CU_ASSERT_FATAL(st_sql(db, "INSERT INTO st_dl SELECT seq, 0 FROM "
	    "seq_1_to_50") == 0);
	e = tk_db_txn(db, mine_run, &m);
	if (m.started)
		pthread_join(m.thread, NULL);
	/* The caller sees success: its transaction lost the deadlock, ran
	 * again once the other side committed, and its writes are the ones
	 * left. */
	CU_ASSERT_EQUAL(e, TK_OK);
	CU_ASSERT_EQUAL(m.runs, 2);
	CU_ASSERT_EQUAL(m.other.e, TK_OK);
	CU_ASSERT_EQUAL(st_num(db, "SELECT v FROM st_dl WHERE id = 1"), 1);
	CU_ASSERT_EQUAL(st_num(db, "SELECT v FROM st_dl WHERE id = 2"), 1);
	CU_ASSERT_EQUAL(st_num(db, "SELECT v FROM st_dl WHERE id = 3"), 2);
	(void)st_sql(db, "DROP TABLE st_dl");
}

/* A transaction that fails for a reason that is not transient runs once
 * and leaves nothing behind. */
static tk_err
dup_run(struct tk_db *db, void *arg)
{
	int *runs = arg;
	tk_err e;

	(*runs)++;
	if ((e = tk_db_exec(db, "INSERT INTO st_once VALUES (2)", NULL, 0,
	    NULL, NULL)) != TK_OK)
		return e;
	return tk_db_exec(db, "INSERT INTO st_once VALUES (1)", NULL, 0, NULL,
	    NULL);
}

static void
test_txn_no_retry(void)
{
	struct tk_db *db;
	int runs = 0;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(st_sql(db, "CREATE TABLE st_once (id INT PRIMARY KEY)"
	    " ENGINE=InnoDB") == 0);
	CU_ASSERT_FATAL(st_sql(db, "INSERT INTO st_once VALUES (1)") == 0);
	CU_ASSERT_EQUAL(tk_db_txn(db, dup_run, &runs), TK_ERR_DB);
	CU_ASSERT_EQUAL(tk_db_errno(db), 1062);
	CU_ASSERT_EQUAL(runs, 1);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM st_once"), 1);
	(void)st_sql(db, "DROP TABLE st_once");
}

/* The server kills the connection (an idle timeout, a restart, an
 * operator's KILL): the next statement runs on a new connection, and a
 * statement prepared on the old one is prepared again there. */
static void
test_reconnect(void)
{
	struct tk_db *db, *root;
	char kill[64];
	long long before, after;

	ST_NEED(db, st_db);
	ST_NEED(root, st_root);
	before = st_num(db, "SELECT CONNECTION_ID()");
	CU_ASSERT_FATAL(before > 0);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM schema_migrations "
	    "WHERE finished_at IS NOT NULL") > 0, 1);
	snprintf(kill, sizeof(kill), "KILL CONNECTION %lld", before);
	CU_ASSERT_FATAL(st_sql(root, kill) == 0);
	/* The same statements (the cache keys on the text's address). */
	after = st_num(db, "SELECT CONNECTION_ID()");
	CU_ASSERT(after > 0);
	CU_ASSERT_NOT_EQUAL(after, before);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM schema_migrations "
	    "WHERE finished_at IS NOT NULL") > 0, 1);
	/* And once more on the new connection, from the cache. */
	CU_ASSERT_EQUAL(st_num(db, "SELECT CONNECTION_ID()"), after);
}

/* ---------------------------------------------------------------- chained */

/* START TRANSACTIONs this session sent so far. */
static long long
begins(struct tk_db *db)
{
	return st_num(db, "SELECT VARIABLE_VALUE FROM information_schema."
	    "SESSION_STATUS WHERE VARIABLE_NAME = 'COM_BEGIN'");
}

/* Open transactions of the test database's sessions, as root sees them
 * (INNODB_TRX is refreshed at most every 0.1 s: wait that long first). */
static long long
open_txns(void)
{
	static const struct timespec refresh = { 0, 150000000L };
	struct tk_db *root = st_root();

	(void)nanosleep(&refresh, NULL);
	return root == NULL ? -1 : st_num(root, "SELECT COUNT(*) FROM "
	    "information_schema.INNODB_TRX t JOIN information_schema."
	    "PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.DB = '"
	    ST_DBNAME "'");
}

static tk_err
put_row(struct tk_db *db, void *arg)
{
	int *runs = arg;

	(*runs)++;
	return tk_db_exec(db, "INSERT INTO st_ch VALUES (1, 10)", NULL, 0,
	    NULL, NULL);
}

static tk_err
put_dup(struct tk_db *db, void *arg)
{
	tk_err e;

	(void)arg;
	if ((e = tk_db_exec(db, "INSERT INTO st_ch VALUES (3, 30)", NULL, 0,
	    NULL, NULL)) != TK_OK)
		return e;
	return tk_db_exec(db, "INSERT INTO st_ch VALUES (1, 11)", NULL, 0,
	    NULL, NULL);
}

static void
test_chained(void)
{
	struct tk_db *db, *db2;
	long long b;
	int runs = 0;

	ST_NEED(db, st_db);
	ST_NEED(db2, st_db2);
	CU_ASSERT_FATAL(st_sql(db2, "CREATE TABLE st_ch (id INT PRIMARY KEY,"
	    " v INT NOT NULL) ENGINE=InnoDB") == 0);
	tk_db_set_chained(db, 1);
	b = begins(db);
	CU_ASSERT_FATAL(b >= 0);
	/* A transaction: no START TRANSACTION, committed for the others. */
	CU_ASSERT_EQUAL(tk_db_txn(db, put_row, &runs), TK_OK);
	CU_ASSERT_EQUAL(begins(db), b);
	CU_ASSERT_EQUAL(st_num(db2, "SELECT v FROM st_ch WHERE id = 1"), 10);
	/* A failed one leaves nothing, and no transaction open. */
	CU_ASSERT_EQUAL(tk_db_txn(db, put_dup, NULL), TK_ERR_DB);
	CU_ASSERT_EQUAL(st_num(db2, "SELECT COUNT(*) FROM st_ch"), 1);
	CU_ASSERT_EQUAL(open_txns(), 0);
	/* A write outside one is committed at once, as in autocommit. */
	CU_ASSERT_EQUAL(tk_db_exec(db, "INSERT INTO st_ch VALUES (2, 20)",
	    NULL, 0, NULL, NULL), TK_OK);
	CU_ASSERT_EQUAL(st_num(db2, "SELECT v FROM st_ch WHERE id = 2"), 20);
	CU_ASSERT_EQUAL(open_txns(), 0);
	/* Reads stay open until tk_db_finish, and each sees the latest. */
	CU_ASSERT_EQUAL(st_num(db, "SELECT v FROM st_ch WHERE id = 1"), 10);
	CU_ASSERT_EQUAL(open_txns(), 1);
	CU_ASSERT_FATAL(st_sql(db2, "UPDATE st_ch SET v = 12 WHERE id = 1")
	    == 0);
	CU_ASSERT_EQUAL(st_num(db, "SELECT v FROM st_ch WHERE id = 1"), 12);
	CU_ASSERT_EQUAL(tk_db_finish(db), TK_OK);
	CU_ASSERT_EQUAL(open_txns(), 0);
	CU_ASSERT_EQUAL(begins(db), b);
	CU_ASSERT_EQUAL(tk_db_finish(db), TK_OK);
	tk_db_set_chained(db, 0);
	(void)st_sql(db2, "DROP TABLE st_ch");
}

/* Killed while idle: no START TRANSACTION finds out, the transaction's
 * first statement does, and the transaction runs again on a new
 * connection - once, its row written once. */
static void
test_chained_killed(void)
{
	struct tk_db *db, *root;
	char kill[64];
	long long id;
	int runs = 0;

	ST_NEED(db, st_db);
	ST_NEED(root, st_root);
	CU_ASSERT_FATAL(st_sql(db, "CREATE TABLE st_ch (id INT PRIMARY KEY,"
	    " v INT NOT NULL) ENGINE=InnoDB") == 0);
	tk_db_set_chained(db, 1);
	id = st_num(db, "SELECT CONNECTION_ID()");
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(tk_db_finish(db), TK_OK);
	snprintf(kill, sizeof(kill), "KILL CONNECTION %lld", id);
	CU_ASSERT_FATAL(st_sql(root, kill) == 0);
	CU_ASSERT_EQUAL(tk_db_txn(db, put_row, &runs), TK_OK);
	CU_ASSERT_EQUAL(runs, 2);
	CU_ASSERT_NOT_EQUAL(st_num(db, "SELECT CONNECTION_ID()"), id);
	CU_ASSERT_EQUAL(st_num(root, "SELECT COUNT(*) FROM " ST_DBNAME
	    ".st_ch"), 1);
	tk_db_set_chained(db, 0);
	(void)st_sql(db, "DROP TABLE st_ch");
}

TK_SUITE(store_db,
    { "tk_db_txn: a deadlock is run again and succeeds", test_txn_deadlock },
    { "tk_db_txn: a duplicate key is not retried", test_txn_no_retry },
    { "a killed connection is replaced, statements re-prepared",
      test_reconnect },
    { "chained: no START TRANSACTION, writes committed, reads fresh and "
      "open until tk_db_finish", test_chained },
    { "chained: a transaction on a connection killed while idle runs "
      "again on a new one", test_chained_killed });
