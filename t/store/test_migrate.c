/*
 * test_migrate.c - migrate.c against a real server: the scratch database
 * was migrated by it (storelib.c); a half-applied migration is refused,
 * with the way to repair it, and the repair lets it go on.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "tasker/diag.h"
#include "tasker/migrate.h"

#include "storelib.h"
#include "../unit/testlib.h"

#define MIGRATIONS TK_TEST_TOPSRC "/db/migrations"

static void
test_current(void)
{
	struct tk_migration_set set = { NULL, 0, 0 };
	struct tk_diag d;
	struct tk_db *db;
	unsigned version = 0;
	int current = 0;

	ST_NEED(db, st_db);
	tk_diag_init(&d);
	CU_ASSERT_FATAL(tk_migrations_scan(MIGRATIONS, &set, &d) == TK_OK);
	CU_ASSERT_FATAL(set.n > 0);
	CU_ASSERT_EQUAL(tk_migrate_current(db, &set, &version, &current),
	    TK_OK);
	CU_ASSERT_EQUAL(version, set.m[set.n - 1].version);
	CU_ASSERT_EQUAL(current, 1);
	/* Applying again changes nothing. */
	CU_ASSERT_EQUAL(tk_migrate_load_state(db, &set), TK_OK);
	CU_ASSERT_EQUAL(tk_migrate_apply(db, &set, NULL, &d), TK_OK);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM schema_migrations"),
	    (long long)set.n);
	tk_migrations_free(&set);
	tk_diag_free(&d);
}

/* The last migration is marked as started, not finished, as a crash in
 * the middle of its DDL leaves it. */
static void
test_half_applied(void)
{
	struct tk_migration_set set = { NULL, 0, 0 };
	struct tk_diag d;
	struct tk_db *db;
	unsigned version = 0, last;
	int current = 1;

	ST_NEED(db, st_db);
	tk_diag_init(&d);
	CU_ASSERT_FATAL(tk_migrations_scan(MIGRATIONS, &set, &d) == TK_OK);
	last = set.m[set.n - 1].version;
	CU_ASSERT_FATAL(st_sql(db, "UPDATE schema_migrations SET finished_at "
	    "= NULL WHERE version = (SELECT v FROM (SELECT MAX(version) AS v "
	    "FROM schema_migrations) AS m)") == 0);
	CU_ASSERT_EQUAL(tk_migrate_load_state(db, &set), TK_OK);
	CU_ASSERT_EQUAL(set.m[set.n - 1].applied, -1);
	CU_ASSERT_EQUAL(tk_migrate_current(db, &set, &version, &current),
	    TK_OK);
	CU_ASSERT_EQUAL(current, 0);
	/* Refused, saying how to repair, and nothing is written. */
	CU_ASSERT_EQUAL(tk_migrate_apply(db, &set, NULL, &d), TK_ERR_MIGRATION);
	CU_ASSERT(tk_diag_has(&d, "half-changed"));
	CU_ASSERT(tk_diag_has(&d, "migrate repair"));
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM schema_migrations "
	    "WHERE finished_at IS NULL"), 1);
	/* The operator's repair (it was applied after all): current again. */
	CU_ASSERT_EQUAL(tk_migrate_repair(db, last, 1, &d), TK_OK);
	CU_ASSERT_EQUAL(tk_migrate_load_state(db, &set), TK_OK);
	CU_ASSERT_EQUAL(tk_migrate_current(db, &set, &version, &current),
	    TK_OK);
	CU_ASSERT_EQUAL(current, 1);
	CU_ASSERT_EQUAL(version, last);
	tk_migrations_free(&set);
	tk_diag_free(&d);
}

TK_SUITE(store_migrate,
    { "the scratch database is current; applying again is a no-op",
      test_current },
    { "a half-applied migration is refused until repaired",
      test_half_applied });
