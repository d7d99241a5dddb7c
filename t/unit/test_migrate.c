/*
 * test_migrate.c - the SQL splitter and the migration folder scan (the
 * database half of the runner is tested by t/integration/test_admin.sh).
 */
#include <string.h>

#include "testlib.h"
#include "tasker/migrate.h"

/* Splits text and returns the statements joined by '|'. */
static const char *
split(const char *text)
{
	static char out[1024];
	struct tk_buf stmt = TK_BUF_INIT;
	const char *p = text, *end = text + strlen(text);

	out[0] = '\0';
	while (tk_sql_next(&p, end, &stmt)) {
		if (out[0] != '\0')
			strcat(out, "|");
		strncat(out, tk_buf_str(&stmt), sizeof(out) - strlen(out) - 2);
	}
	tk_buf_free(&stmt);
	return out;
}

static void
test_split_basic(void)
{
	CU_ASSERT_STRING_EQUAL(split("SELECT 1; SELECT 2;"), "SELECT 1|SELECT 2");
	CU_ASSERT_STRING_EQUAL(split("SELECT 1"), "SELECT 1");
	CU_ASSERT_STRING_EQUAL(split(""), "");
	CU_ASSERT_STRING_EQUAL(split(" ;; ; "), "");
}

static void
test_split_quotes_and_comments(void)
{
	CU_ASSERT_STRING_EQUAL(split("INSERT INTO t VALUES ('a;b');"),
	    "INSERT INTO t VALUES ('a;b')");
	CU_ASSERT_STRING_EQUAL(split("INSERT INTO t VALUES ('it\\'s;');x;"),
	    "INSERT INTO t VALUES ('it\\'s;')|x");
	CU_ASSERT_STRING_EQUAL(split("-- a; comment\nSELECT 1;"), "SELECT 1");
	CU_ASSERT_STRING_EQUAL(split("/* c; */ SELECT 1; # x;\nSELECT 2"),
	    "SELECT 1|SELECT 2");
	CU_ASSERT_STRING_EQUAL(split("SELECT `a;b` FROM t;"), "SELECT `a;b` FROM t");
	CU_ASSERT_STRING_EQUAL(split("SELECT 1 -- trailing; comment\n;"),
	    "SELECT 1");
	CU_ASSERT_STRING_EQUAL(split("SELECT 5--3;"), "SELECT 5--3");
}

static void
test_scan_good(void)
{
	struct tk_migration_set set;
	struct tk_diag d = TK_DIAG_INIT;

	CU_ASSERT_EQUAL(tk_migrations_scan(tk_fixture("migrations/good"), &set,
	    &d), TK_OK);
	CU_ASSERT_EQUAL_FATAL(set.n, 2);
	CU_ASSERT_EQUAL(set.m[0].version, 1);
	CU_ASSERT_STRING_EQUAL(set.m[0].name, "0001_first");
	CU_ASSERT_EQUAL(set.m[1].version, 2);
	CU_ASSERT_EQUAL(strlen(set.m[0].checksum), 64);
	CU_ASSERT_NOT_EQUAL(strcmp(set.m[0].checksum, set.m[1].checksum), 0);
	CU_ASSERT_EQUAL(d.n, 0);
	tk_migrations_free(&set);
	tk_diag_free(&d);
}

static void
test_scan_bad(void)
{
	struct tk_migration_set set;
	struct tk_diag d = TK_DIAG_INIT;

	CU_ASSERT_EQUAL(tk_migrations_scan(tk_fixture("migrations/dup"), &set,
	    &d), TK_ERR_MIGRATION);
	CU_ASSERT_TRUE(tk_diag_has(&d, "two migrations numbered 0001"));
	tk_migrations_free(&set);
	tk_diag_free(&d);

	CU_ASSERT_EQUAL(tk_migrations_scan(tk_fixture("migrations/badname"),
	    &set, &d), TK_ERR_MIGRATION);
	CU_ASSERT_TRUE(tk_diag_has(&d, "1_short.sql: not a migration name"));
	tk_migrations_free(&set);
	tk_diag_free(&d);

	CU_ASSERT_EQUAL(tk_migrations_scan(tk_fixture("migrations/none"), &set,
	    &d), TK_ERR_MIGRATION);
	CU_ASSERT_TRUE(tk_diag_has(&d, "cannot open migrations folder"));
	tk_migrations_free(&set);
	tk_diag_free(&d);
}

static void
test_shipped_migrations(void)
{
	struct tk_migration_set set;
	struct tk_diag d = TK_DIAG_INIT;

	CU_ASSERT_EQUAL(tk_migrations_scan(TK_TEST_TOPSRC "/db/migrations",
	    &set, &d), TK_OK);
	CU_ASSERT_TRUE(set.n >= 1);
	if (set.n >= 1)
		CU_ASSERT_EQUAL(set.m[0].version, 1);
	tk_migrations_free(&set);
	tk_diag_free(&d);
}

TK_SUITE(migrate,
    { "split statements", test_split_basic },
    { "split honours quotes and comments", test_split_quotes_and_comments },
    { "scan a good folder", test_scan_good },
    { "scan refuses duplicates, bad names, missing folder", test_scan_bad },
    { "shipped migrations scan", test_shipped_migrations });
