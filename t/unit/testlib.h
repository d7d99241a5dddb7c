/*
 * testlib.h - self-registering CUnit suites.
 *
 * A test file declares its cases and registers them with one line:
 *
 *   static void test_parse(void) { CU_ASSERT_EQUAL(...); }
 *   TK_SUITE(semver, { "parse", test_parse }, { "compare", test_compare });
 *
 * t/unit_tests runs every suite, or those named on its command line, and
 * ends with "N passed, N failed" (tests, not asserts).
 */
#ifndef TASKER_TESTLIB_H
#define TASKER_TESTLIB_H

#include <stddef.h>

#include <CUnit/CUnit.h>

struct tk_test_case {
	const char *name;
	void      (*fn)(void);
};

void tk_test_suite_add(const char *name, const struct tk_test_case *cases,
    size_t n);

/* Path of a fixture file under t/fixtures; static buffer. */
const char *tk_fixture(const char *rel);

#define TK_SUITE(sname, ...)                                              \
	static const struct tk_test_case sname##_cases[] = { __VA_ARGS__ }; \
	__attribute__((constructor)) static void sname##_register(void)     \
	{                                                                   \
		tk_test_suite_add(#sname, sname##_cases,                    \
		    sizeof(sname##_cases) / sizeof(sname##_cases[0]));      \
	}

#endif
