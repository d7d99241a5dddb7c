/*
 * testlib.c - the unit test runner: collects the suites that test files
 * registered at load time, runs them with CUnit's basic runner and prints
 * the closing "N passed, N failed" line that contrib/quickstart sums up.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#define MAX_SUITES 128

struct suite {
	const char                *name;
	const struct tk_test_case *cases;
	size_t                     n;
};

static struct suite suites[MAX_SUITES];
static size_t nsuites;

void
tk_test_suite_add(const char *name, const struct tk_test_case *cases, size_t n)
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "testlib: too many suites\n");
		abort();
	}
	suites[nsuites].name = name;
	suites[nsuites].cases = cases;
	suites[nsuites].n = n;
	nsuites++;
}

const char *
tk_fixture(const char *rel)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", TK_TEST_FIXTURES, rel);
	return path;
}

static int
wanted(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct suite *)a)->name,
	    ((const struct suite *)b)->name);
}

int
main(int argc, char **argv)
{
	unsigned run, failed;
	size_t i, j;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	qsort(suites, nsuites, sizeof(suites[0]), by_name);
	for (i = 0; i < nsuites; i++) {
		if (!wanted(suites[i].name, argc, argv))
			continue;
		if ((s = CU_add_suite(suites[i].name, NULL, NULL)) == NULL)
			return 2;
		for (j = 0; j < suites[i].n; j++)
			if (CU_add_test(s, suites[i].cases[j].name,
			    suites[i].cases[j].fn) == NULL)
				return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	printf("\n%u passed, %u failed\n", run - failed, failed);
	return failed == 0 ? 0 : 1;
}
