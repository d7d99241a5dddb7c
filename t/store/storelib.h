/*
 * storelib.h - the store tests' database: a scratch database of their own
 * on the test stack's MariaDB, migrated with the real migration code.
 *
 * The first test that calls st_db() sets it up: it reads TASKER_CONF (the
 * stack's tasker.yaml) for the account tasker uses, connects as root over
 * TASKER_DB_SOCKET, creates ST_DBNAME afresh, grants the account ALL on
 * it and applies db/migrations.  The database is dropped at exit.  When
 * no MariaDB is reachable every test fails, loudly (they never skip).
 */
#ifndef TASKER_STORELIB_H
#define TASKER_STORELIB_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/handler.h"

#define ST_DBNAME "tasker_store_test"

/* The app account's handle on ST_DBNAME, or NULL (the test then failed
 * fatally with the reason). */
struct tk_db *st_db(void);
/* A second, separate connection of the app account (two-connection
 * tests); and root's, on the same server. */
struct tk_db *st_db2(void);
struct tk_db *st_root(void);

/* The handle needed, or the test ends here as a failure. */
#define ST_NEED(v, fn) do {						\
	if (((v) = fn()) == NULL)					\
		CU_FAIL_FATAL("no MariaDB for the store tests");	\
} while (0)

/* Runs SQL text on db (no result); 0 on success, else prints why. */
int st_sql(struct tk_db *db, const char *sql);
/* The first column of the first row of a query, as a number (-1 when
 * the query fails or has no row). */
long long st_num(struct tk_db *db, const char *sql);

/* 1 when some transaction waits for a row lock, polled for up to 10 s
 * (two-connection tests: the other side is blocked).  InnoDB refreshes
 * what INNODB_TRX shows only when it was last read 0.1 s ago or more, so
 * a faster poll would read the same stale table forever. */
int st_lock_waits(void);

/* Loads the definition set under t/store/fixtures/v1 (idempotent) and
 * returns the handler called name in it with its handler_versions id;
 * NULL when that fails (a test failure is recorded). */
const struct tk_handler_def *st_handler(const char *name, unsigned *hv_id);

/* The path of a fixture under t/store/fixtures; static buffer. */
const char *st_fixture(const char *rel);

#endif
