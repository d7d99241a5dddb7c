/*
 * test_catalog.c - version resolution: newest first by precedence, the
 * latest is the newest release, a pre-release only when no release exists.
 */
#include <string.h>

#include "testlib.h"
#include "tasker/catalog.h"

static size_t
resolve(const char *const *in, size_t n, struct tk_semver *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(tk_semver_parse(in[i], &v[i]), TK_OK);
	return tk_versions_sort_latest(v, n);
}

static void
test_latest_release(void)
{
	const char *in[] = { "2.9.0", "2.10.0", "1.0.0", "3.0.0-rc.1", "2.10.0-beta" };
	struct tk_semver v[5];
	size_t l = resolve(in, 5, v);

	CU_ASSERT_STRING_EQUAL(v[0].str, "3.0.0-rc.1");
	CU_ASSERT_STRING_EQUAL(v[1].str, "2.10.0");
	CU_ASSERT_STRING_EQUAL(v[2].str, "2.10.0-beta");
	CU_ASSERT_STRING_EQUAL(v[3].str, "2.9.0");
	CU_ASSERT_STRING_EQUAL(v[4].str, "1.0.0");
	CU_ASSERT_STRING_EQUAL(v[l].str, "2.10.0");
}

static void
test_only_prereleases(void)
{
	const char *in[] = { "1.0.0-alpha", "1.0.0-rc.1", "1.0.0-beta.11", "1.0.0-beta.2" };
	struct tk_semver v[4];
	size_t l = resolve(in, 4, v);

	CU_ASSERT_STRING_EQUAL(v[l].str, "1.0.0-rc.1");
	CU_ASSERT_STRING_EQUAL(v[1].str, "1.0.0-beta.11");
	CU_ASSERT_STRING_EQUAL(v[2].str, "1.0.0-beta.2");
}

static void
test_single(void)
{
	const char *in[] = { "0.1.0" };
	struct tk_semver v[1];

	CU_ASSERT_EQUAL(resolve(in, 1, v), 0);
}

TK_SUITE(catalog,
    { "latest is the newest release", test_latest_release },
    { "only pre-releases: the newest", test_only_prereleases },
    { "a single version", test_single });
