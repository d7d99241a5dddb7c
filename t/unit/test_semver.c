/*
 * test_semver.c - strict semver parsing and precedence.
 */
#include <string.h>

#include "testlib.h"
#include "tasker/semver.h"

static void
test_parse_valid(void)
{
	struct tk_semver v;

	CU_ASSERT_EQUAL_FATAL(tk_semver_parse("2.10.3", &v), TK_OK);
	CU_ASSERT_EQUAL(v.major, 2);
	CU_ASSERT_EQUAL(v.minor, 10);
	CU_ASSERT_EQUAL(v.patch, 3);
	CU_ASSERT_STRING_EQUAL(v.str, "2.10.3");
	CU_ASSERT_FALSE(tk_semver_is_prerelease(&v));

	CU_ASSERT_EQUAL_FATAL(tk_semver_parse("1.0.0-rc.1+build.5", &v), TK_OK);
	CU_ASSERT_TRUE(tk_semver_is_prerelease(&v));
	CU_ASSERT_EQUAL(v.pre_len, 4);
	CU_ASSERT_EQUAL(strncmp(v.str + v.pre_off, "rc.1", v.pre_len), 0);
	CU_ASSERT_EQUAL(v.build_len, 7);
	CU_ASSERT_EQUAL(strncmp(v.str + v.build_off, "build.5", 7), 0);

	CU_ASSERT_EQUAL(tk_semver_parse("0.0.0", &v), TK_OK);
	CU_ASSERT_EQUAL(tk_semver_parse("1.0.0+001", &v), TK_OK);
	CU_ASSERT_FALSE(tk_semver_is_prerelease(&v));
	CU_ASSERT_EQUAL(tk_semver_parse("1.0.0-0A.is.legal", &v), TK_OK);
	CU_ASSERT_EQUAL(tk_semver_parse("1.0.0-x-y-z.--", &v), TK_OK);
	CU_ASSERT_EQUAL(tk_semver_parse("4294967295.0.0", &v), TK_OK);
	CU_ASSERT_EQUAL(v.major, 4294967295u);
}

static void
test_parse_invalid(void)
{
	static const char *const bad[] = {
		"", "1", "1.0", "1.0.0.0", "v1.0.0", " 1.0.0", "1.0.0 ",
		"01.0.0", "1.02.0", "1.0.00", "1.0.0-", "1.0.0+", "1.0.0-01",
		"1.0.0-a..b", "1.0.0-a.", "1.0.0-.a", "1.0.0+a..b", "1.0.0-a_b",
		"1.0.0+a+b", "1.0.0-é", "-1.0.0", "1.-1.0", "1.0.x",
		"4294967296.0.0", "99999999999999999999.0.0", "1..0", "1.0.0\n",
	};
	struct tk_semver v;
	char longv[100];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&v, 0x55, sizeof(v));
		CU_ASSERT_EQUAL(tk_semver_parse(bad[i], &v), TK_ERR_BAD_REQUEST);
		CU_ASSERT_EQUAL(v.str[0], '\0');
	}
	CU_ASSERT_EQUAL(tk_semver_parse(NULL, &v), TK_ERR_BAD_REQUEST);
	/* Longer than TK_SEMVER_MAX, otherwise valid. */
	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "1.0.0-", 6);
	longv[TK_SEMVER_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(tk_semver_parse(longv, &v), TK_ERR_BAD_REQUEST);
	longv[TK_SEMVER_MAX] = '\0';
	CU_ASSERT_EQUAL(tk_semver_parse(longv, &v), TK_OK);
}

static int
cmp(const char *a, const char *b)
{
	struct tk_semver va, vb;

	CU_ASSERT_EQUAL_FATAL(tk_semver_parse(a, &va), TK_OK);
	CU_ASSERT_EQUAL_FATAL(tk_semver_parse(b, &vb), TK_OK);
	return tk_semver_cmp(&va, &vb);
}

static void
test_precedence(void)
{
	/* semver.org section 11, in ascending order. */
	static const char *const chain[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		"1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
		"1.0.0", "1.0.1", "1.1.0", "2.0.0", "2.9.0", "2.10.0",
		"10.0.0",
	};
	size_t i, j, n = sizeof(chain) / sizeof(chain[0]);

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			int c = cmp(chain[i], chain[j]);
			if (i < j) {
				CU_ASSERT_TRUE(c < 0);
			} else if (i > j) {
				CU_ASSERT_TRUE(c > 0);
			} else {
				CU_ASSERT_EQUAL(c, 0);
			}
		}
	/* Build metadata is ignored. */
	CU_ASSERT_EQUAL(cmp("1.0.0+a", "1.0.0+b"), 0);
	CU_ASSERT_EQUAL(cmp("1.0.0-rc.1+x", "1.0.0-rc.1"), 0);
	/* Numeric identifiers compare as numbers, even long ones. */
	CU_ASSERT_TRUE(cmp("1.0.0-99999999999999999999",
	    "1.0.0-100000000000000000000") < 0);
	CU_ASSERT_TRUE(cmp("1.0.0-2", "1.0.0-10") < 0);
	/* Numeric < alphanumeric; ASCII order for text. */
	CU_ASSERT_TRUE(cmp("1.0.0-999", "1.0.0-a") < 0);
	CU_ASSERT_TRUE(cmp("1.0.0-B", "1.0.0-a") < 0);
	CU_ASSERT_TRUE(cmp("1.0.0-alpha", "1.0.0-alpha0") < 0);
	CU_ASSERT_TRUE(cmp("4294967295.0.0", "4294967294.99.99") > 0);
}

TK_SUITE(semver,
    { "parse valid versions", test_parse_valid },
    { "reject invalid versions", test_parse_invalid },
    { "precedence", test_precedence });
