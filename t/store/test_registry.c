/*
 * test_registry.c - registry_store.c against a real server: loading the
 * same definition set twice changes nothing the second time; a set with a
 * conflicting version is refused whole and writes nothing.
 */
#include <string.h>

#include <CUnit/CUnit.h>

#include "tasker/diag.h"
#include "tasker/handler.h"
#include "tasker/store.h"
#include "store/registry.h"   /* store-internal: the catalog's rows */

#include "storelib.h"
#include "../unit/testlib.h"

static tk_err
load(struct tk_db *db, const char *dir, struct tk_load_report *rep,
    struct tk_diag *d)
{
	struct tk_defset set;
	const char *paths[1];
	tk_err e;

	paths[0] = st_fixture(dir);
	memset(rep, 0, sizeof(*rep));
	if ((e = tk_defset_load(paths, 1, NULL, &set, d)) != TK_OK)
		return e;
	e = tk_store_load_defset(db, &set, rep, d);
	tk_defset_free(&set);
	return e;
}

static uint64_t
generation(struct tk_db *db)
{
	uint64_t g = 0;

	CU_ASSERT_EQUAL(tk_store_registry_generation(db, &g), TK_OK);
	return g;
}

static void
test_load_twice(void)
{
	struct tk_load_report rep;
	struct tk_diag d;
	struct tk_db *db;
	uint64_t g0, g1;
	long long nver;

	ST_NEED(db, st_db);
	tk_diag_init(&d);
	/* The first load may have happened in another suite: load once,
	 * then check that the next load finds everything unchanged. */
	CU_ASSERT_FATAL(load(db, "v1", &rep, &d) == TK_OK);
	g0 = generation(db);
	nver = st_num(db, "SELECT COUNT(*) FROM handler_versions");
	CU_ASSERT_EQUAL(nver, 2);
	CU_ASSERT_EQUAL(load(db, "v1", &rep, &d), TK_OK);
	CU_ASSERT_EQUAL(rep.added, 0);
	CU_ASSERT_EQUAL(rep.unchanged, 2);
	CU_ASSERT_EQUAL(rep.namespaces_added, 0);
	CU_ASSERT_EQUAL(rep.namespaces_updated, 0);
	g1 = generation(db);
	CU_ASSERT_EQUAL(g1, g0);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM handler_versions"),
	    nver);
	CU_ASSERT_EQUAL(d.n, 0);
	tk_diag_free(&d);
}

static void
test_conflict(void)
{
	struct tk_load_report rep;
	struct tk_diag d;
	struct tk_db *db;
	struct tk_rows ns = TK_ROWS_INIT;
	uint64_t g0;
	size_t i;

	ST_NEED(db, st_db);
	tk_diag_init(&d);
	CU_ASSERT_FATAL(load(db, "v1", &rep, &d) == TK_OK);
	g0 = generation(db);
	/* order 1.0.0 with other content, a new order 2.0.0 and a new
	 * description for st_shop: refused whole, naming the difference. */
	CU_ASSERT_EQUAL(load(db, "conflict", &rep, &d), TK_ERR_CONFLICT);
	CU_ASSERT(tk_diag_has(&d, "default_retry_limit"));
	CU_ASSERT_EQUAL(generation(db), g0);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM handler_versions"),
	    2);
	CU_ASSERT_EQUAL(tk_store_namespaces(db, &ns), TK_OK);
	/* Columns: id, name, description. */
	for (i = 0; i < ns.nrows; i++)
		if (strcmp(tk_row_str(&ns, i, 1), "st_shop") == 0)
			CU_ASSERT_STRING_EQUAL(tk_row_str(&ns, i, 2),
			    "Store tests' shop");
	tk_rows_free(&ns);
	tk_diag_free(&d);
}

TK_SUITE(store_registry,
    { "loading a definition set twice: unchanged", test_load_twice },
    { "a conflicting version is refused, nothing written", test_conflict });
