/*
 * storelib.c - the store tests' scratch database (see storelib.h).
 *
 * Everything here is set up once, by the first test that asks, and
 * released by an atexit handler that also drops the database: the
 * config, three handles (the app account twice, root once) and the
 * loaded definition set.
 */
#include "storelib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "tasker/config.h"
#include "tasker/diag.h"
#include "tasker/log.h"
#include "tasker/migrate.h"
#include "tasker/store.h"
#include "store/registry.h"   /* store-internal: the catalog's rows */

static struct {
	int                  tried;
	int                  ready;
	struct tk_config     cfg;
	struct tk_db_config  app;      /* cfg.db on ST_DBNAME */
	struct tk_db_config  rootcfg;  /* root over the socket */
	struct tk_db        *db, *db2, *root;
	int                  loaded;
	struct tk_defset     set;
} st;

int
st_sql(struct tk_db *db, const char *sql)
{
	if (tk_db_exec_text(db, sql, strlen(sql)) == TK_OK)
		return 0;
	fprintf(stderr, "store tests: %s: %s\n", sql, tk_db_error(db));
	return -1;
}

long long
st_num(struct tk_db *db, const char *sql)
{
	struct tk_rows r = TK_ROWS_INIT;
	long long v = -1;

	/* sql is a string literal or a caller's buffer: the statement
	 * cache keys on the address, so text built in a reused buffer
	 * must not come through here (st_sql takes it instead). */
	if (tk_db_query(db, sql, NULL, 0, &r) != TK_OK) {
		fprintf(stderr, "store tests: %s: %s\n", sql, tk_db_error(db));
		return -1;
	}
	if (r.nrows > 0 && tk_row_str(&r, 0, 0) != NULL)
		v = tk_row_int(&r, 0, 0);
	tk_rows_free(&r);
	return v;
}

const char *
st_fixture(const char *rel)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/t/store/fixtures/%s", TK_TEST_TOPSRC,
	    rel);
	return path;
}

static void
st_teardown(void)
{
	if (st.root != NULL && st.ready)
		(void)st_sql(st.root, "DROP DATABASE IF EXISTS " ST_DBNAME);
	tk_db_free(st.db);
	tk_db_free(st.db2);
	tk_db_free(st.root);
	if (st.loaded)
		tk_defset_free(&st.set);
	tk_config_free(&st.cfg);
}

/* The stack's config, and the two accounts' settings derived from it
 * (they borrow its strings). */
static int
st_config(void)
{
	const char *conf = getenv("TASKER_CONF");
	const char *sock = getenv("TASKER_DB_SOCKET");
	struct tk_diag d;
	tk_err e;

	if (conf == NULL || sock == NULL) {
		fprintf(stderr, "store tests: TASKER_CONF and TASKER_DB_SOCKET "
		    "must name the test stack (contrib/quickstart test sets "
		    "them)\n");
		return -1;
	}
	tk_diag_init(&d);
	e = tk_config_load(conf, &st.cfg, &d);
	if (e != TK_OK) {
		tk_diag_print(&d, stderr, "store tests: ");
		tk_diag_free(&d);
		return -1;
	}
	tk_diag_free(&d);
	st.app = st.cfg.db;
	st.app.name = (char *)ST_DBNAME;
	st.rootcfg = st.cfg.db;
	st.rootcfg.socket = (char *)sock;
	st.rootcfg.user = (char *)"root";
	st.rootcfg.password = NULL;
	st.rootcfg.name = (char *)"mysql";
	return 0;
}

/* A fresh ST_DBNAME that the app account may use as its own. */
static int
st_create(void)
{
	char grant[512];
	const char *u = st.cfg.db.user;

	if (tk_db_new(&st.rootcfg, &st.root) != TK_OK ||
	    tk_db_ensure(st.root) != TK_OK) {
		fprintf(stderr, "store tests: cannot connect as root over %s: "
		    "%s\n", st.rootcfg.socket,
		    st.root != NULL ? tk_db_error(st.root) : "no memory");
		return -1;
	}
	if (strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(u))
		return -1;
	snprintf(grant, sizeof(grant), "GRANT ALL ON " ST_DBNAME ".* TO "
	    "'%s'@'localhost'", u);
	if (st_sql(st.root, "DROP DATABASE IF EXISTS " ST_DBNAME) != 0 ||
	    st_sql(st.root, "CREATE DATABASE " ST_DBNAME " CHARACTER SET "
	    "utf8mb4 COLLATE utf8mb4_unicode_ci") != 0 ||
	    st_sql(st.root, grant) != 0)
		return -1;
	return 0;
}

/* db/migrations into ST_DBNAME, by the code tasker-admin migrate runs. */
static int
st_migrate(void)
{
	struct tk_migration_set set = { NULL, 0, 0 };
	struct tk_diag d;
	FILE *devnull;
	int rc = -1;

	tk_diag_init(&d);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		goto out;
	if (tk_migrations_scan(TK_TEST_TOPSRC "/db/migrations", &set, &d) !=
	    TK_OK || tk_migrate_load_state(st.db, &set) != TK_OK ||
	    tk_migrate_apply(st.db, &set, devnull, &d) != TK_OK)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		tk_diag_print(&d, stderr, "store tests: migrate: ");
		fprintf(stderr, "store tests: migrate: %s\n",
		    st.db != NULL ? tk_db_error(st.db) : "");
	}
	if (devnull != NULL)
		fclose(devnull);
	tk_migrations_free(&set);
	tk_diag_free(&d);
	return rc;
}

static void
st_setup(void)
{
	st.tried = 1;
	tk_log_setup("store_tests", TK_LOG_ERROR, TK_LOG_LOGFMT,
	    TK_LOG_STDERR);
	if (atexit(st_teardown) != 0 || st_config() != 0 ||
	    st_create() != 0)
		return;
	st.ready = 1;   /* from here on the teardown drops the database */
	if (tk_db_new(&st.app, &st.db) != TK_OK ||
	    tk_db_new(&st.app, &st.db2) != TK_OK ||
	    tk_db_ensure(st.db) != TK_OK || tk_db_ensure(st.db2) != TK_OK) {
		fprintf(stderr, "store tests: cannot connect as %s: %s\n",
		    st.app.user, st.db != NULL ? tk_db_error(st.db) : "");
		st.ready = 0;
		(void)st_sql(st.root, "DROP DATABASE IF EXISTS " ST_DBNAME);
		return;
	}
	if (st_migrate() != 0) {
		(void)st_sql(st.root, "DROP DATABASE IF EXISTS " ST_DBNAME);
		st.ready = 0;
	}
}

struct tk_db *
st_db(void)
{
	if (!st.tried)
		st_setup();
	return st.ready ? st.db : NULL;
}

struct tk_db *
st_db2(void)
{
	return st_db() != NULL ? st.db2 : NULL;
}

struct tk_db *
st_root(void)
{
	return st_db() != NULL ? st.root : NULL;
}

const struct tk_handler_def *
st_handler(const char *name, unsigned *hv_id)
{
	const char *paths[1];
	struct tk_load_report rep;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_diag d;
	const struct tk_handler_def *h = NULL;
	size_t i;

	tk_diag_init(&d);
	if (st_db() == NULL)
		goto out;
	paths[0] = st_fixture("v1");
	if (!st.loaded) {
		if (tk_defset_load(paths, 1, NULL, &st.set, &d) != TK_OK)
			goto out;
		st.loaded = 1;
	}
	if (tk_store_load_defset(st.db, &st.set, &rep, &d) != TK_OK ||
	    tk_store_handler_versions(st.db, &r) != TK_OK)
		goto out;
	for (i = 0; i < st.set.nhandlers; i++)
		if (strcmp(st.set.handlers[i]->name, name) == 0)
			h = st.set.handlers[i];
	/* Columns: id, namespace_id, name, version, definition. */
	for (i = 0; h != NULL && i < r.nrows; i++)
		if (strcmp(tk_row_str(&r, i, 2), name) == 0 &&
		    strcmp(tk_row_str(&r, i, 3), h->version) == 0)
			*hv_id = (unsigned)tk_row_int(&r, i, 0);
out:
	if (h == NULL) {
		tk_diag_print(&d, stderr, "store tests: ");
		CU_FAIL("the fixture handlers did not load");
	}
	tk_rows_free(&r);
	tk_diag_free(&d);
	return h;
}

int
st_lock_waits(void)
{
	struct timespec ts = { 0, 200 * 1000000L };
	int i;

	for (i = 0; i < 50; i++) {
		(void)nanosleep(&ts, NULL);
		if (st_num(st_root(), "SELECT COUNT(*) FROM "
		    "information_schema.INNODB_TRX WHERE trx_state = "
		    "'LOCK WAIT'") > 0)
			return 1;
	}
	return 0;
}
