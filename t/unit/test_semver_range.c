/*
 * test_semver_range.c - semver ranges against the known answers of the
 * node `semver` package's own tests (npm/node-semver 7.8.5,
 * test/fixtures/range-parse.js, range-include.js, range-exclude.js),
 * taken as facts: every row without options (or with loose off and no
 * includePrerelease), and whose version is a strict semver (no "v", no
 * loose forms; tasker's versions are strict).  Rows with
 * MAX_SAFE_INTEGER or 250-byte build metadata are left out: tasker's
 * parts are 32-bit and its ranges at most 256 bytes (see the limits
 * case).
 */
#include <string.h>

#include "testlib.h"
#include "tasker/semver.h"

/* range-parse.js: the range and npm's canonical Range.range, NULL for
 * "not a valid range". */
static const struct { const char *range, *canon; } parse_rows[] = {
	{ "1.0.0 - 2.0.0", ">=1.0.0 <=2.0.0" },
	{ "1 - 2", ">=1.0.0 <3.0.0-0" },
	{ "1.0 - 2.0", ">=1.0.0 <2.1.0-0" },
	{ "1.0.0", "1.0.0" },
	{ ">=*", "*" },
	{ "", "*" },
	{ "*", "*" },
	{ ">=1.0.0", ">=1.0.0" },
	{ ">1.0.0", ">1.0.0" },
	{ "<=2.0.0", "<=2.0.0" },
	{ "1", ">=1.0.0 <2.0.0-0" },
	{ "<2.0.0", "<2.0.0" },
	{ ">= 1.0.0", ">=1.0.0" },
	{ ">=  1.0.0", ">=1.0.0" },
	{ ">=   1.0.0", ">=1.0.0" },
	{ "> 1.0.0", ">1.0.0" },
	{ ">  1.0.0", ">1.0.0" },
	{ "<=   2.0.0", "<=2.0.0" },
	{ "<= 2.0.0", "<=2.0.0" },
	{ "<=  2.0.0", "<=2.0.0" },
	{ "<    2.0.0", "<2.0.0" },
	{ "<\t2.0.0", "<2.0.0" },
	{ ">=0.1.97", ">=0.1.97" },
	{ "0.1.20 || 1.2.4", "0.1.20||1.2.4" },
	{ ">=0.2.3 || <0.0.1", ">=0.2.3||<0.0.1" },
	{ "||", "*" },
	{ "2.x.x", ">=2.0.0 <3.0.0-0" },
	{ "1.2.x", ">=1.2.0 <1.3.0-0" },
	{ "1.2.x || 2.x", ">=1.2.0 <1.3.0-0||>=2.0.0 <3.0.0-0" },
	{ "1.x.5", NULL },
	{ "1.*.5", NULL },
	{ "1.x.5 || 2.x", NULL },
	{ "x.1", NULL },
	{ "x.1.2", NULL },
	{ "x.x.1", NULL },
	{ "x", "*" },
	{ "2.*.*", ">=2.0.0 <3.0.0-0" },
	{ "1.2.*", ">=1.2.0 <1.3.0-0" },
	{ "1.2.* || 2.*", ">=1.2.0 <1.3.0-0||>=2.0.0 <3.0.0-0" },
	{ "2", ">=2.0.0 <3.0.0-0" },
	{ "2.3", ">=2.3.0 <2.4.0-0" },
	{ "~2.4", ">=2.4.0 <2.5.0-0" },
	{ "~>3.2.1", ">=3.2.1 <3.3.0-0" },
	{ "~1", ">=1.0.0 <2.0.0-0" },
	{ "~>1", ">=1.0.0 <2.0.0-0" },
	{ "~> 1", ">=1.0.0 <2.0.0-0" },
	{ "~1.0", ">=1.0.0 <1.1.0-0" },
	{ "~ 1.0", ">=1.0.0 <1.1.0-0" },
	{ "^0", "<1.0.0-0" },
	{ "^ 1", ">=1.0.0 <2.0.0-0" },
	{ "^0.1", ">=0.1.0 <0.2.0-0" },
	{ "^1.0", ">=1.0.0 <2.0.0-0" },
	{ "^1.2", ">=1.2.0 <2.0.0-0" },
	{ "^0.0.1", ">=0.0.1 <0.0.2-0" },
	{ "^0.0.1-beta", ">=0.0.1-beta <0.0.2-0" },
	{ "^0.1.2", ">=0.1.2 <0.2.0-0" },
	{ "^1.2.3", ">=1.2.3 <2.0.0-0" },
	{ "^1.2.3-beta.4", ">=1.2.3-beta.4 <2.0.0-0" },
	{ "<1", "<1.0.0-0" },
	{ "< 1", "<1.0.0-0" },
	{ ">=1", ">=1.0.0" },
	{ ">= 1", ">=1.0.0" },
	{ "<1.2", "<1.2.0-0" },
	{ "< 1.2", "<1.2.0-0" },
	{ ">01.02.03", NULL },
	{ "~1.2.3beta", NULL },
	{ "^ 1.2 ^ 1", ">=1.2.0 <2.0.0-0 >=1.0.0" },
	{ "1.2 - 3.4.5", ">=1.2.0 <=3.4.5" },
	{ "1.2.3 - 3.4", ">=1.2.3 <3.5.0-0" },
	{ "1.2 - 3.4", ">=1.2.0 <3.5.0-0" },
	{ ">1", ">=2.0.0" },
	{ ">1.2", ">=1.3.0" },
	{ ">X", "<0.0.0-0" },
	{ "<X", "<0.0.0-0" },
	{ ">=09090", NULL },
	{ "1.x.x+build >2.x+build", ">=1.0.0 <2.0.0-0 >=3.0.0" },
	{ ">=1.x+build <2.x.x+build", ">=1.0.0 <2.0.0-0" },
	{ "1.x.x+build || 2.x.x+build", ">=1.0.0 <2.0.0-0||>=2.0.0 <3.0.0-0" },
	{ "1.x+build.123", ">=1.0.0 <2.0.0-0" },
	{ "1.x.x+meta-data", ">=1.0.0 <2.0.0-0" },
	{ "1.x.x+build.123 >2.x.x+meta-data", ">=1.0.0 <2.0.0-0 >=3.0.0" },
	{ "1.x.x+build <2.x.x+meta", ">=1.0.0 <2.0.0-0" },
	{ ">1.x+build <=2.x.x+meta", ">=2.0.0 <3.0.0-0" },
	{ " 1.x.x+build   >2.x.x+build  ", ">=1.0.0 <2.0.0-0 >=3.0.0" },
	{ "^1.x+build", ">=1.0.0 <2.0.0-0" },
	{ "^1.x.x+build", ">=1.0.0 <2.0.0-0" },
	{ "^1.2.x+build", ">=1.2.0 <2.0.0-0" },
	{ "^1.x+meta-data", ">=1.0.0 <2.0.0-0" },
	{ "^1.x.x+build.123", ">=1.0.0 <2.0.0-0" },
	{ "~1.x+build", ">=1.0.0 <2.0.0-0" },
	{ "~1.x.x+build", ">=1.0.0 <2.0.0-0" },
	{ "~1.2.x+build", ">=1.2.0 <1.3.0-0" },
	{ "~1.x+meta-data", ">=1.0.0 <2.0.0-0" },
	{ "~1.x.x+build.123", ">=1.0.0 <2.0.0-0" },
	{ "^1.x.x+build || ~2.x.x+meta", ">=1.0.0 <2.0.0-0||>=2.0.0 <3.0.0-0" },
	{ "~1.x.x+build >2.x+meta", ">=1.0.0 <2.0.0-0 >=3.0.0" },
	{ "^1.x+build.123 <2.x.x+meta-data", ">=1.0.0 <2.0.0-0" },
	{ "1.x.x-alpha+build", ">=1.0.0 <2.0.0-0" },
	{ ">1.x.x-alpha+build", ">=2.0.0" },
	{ ">=1.x.x-alpha+build <2.x.x+build", ">=1.0.0 <2.0.0-0" },
	{ "1.x.x-alpha+build || 2.x.x+build", ">=1.0.0 <2.0.0-0||>=2.0.0 <3.0.0-0" },
};

/* range-include.js: the version satisfies the range. */
static const struct { const char *range, *version; } include_rows[] = {
	{ "1.0.0 - 2.0.0", "1.2.3" },
	{ "^1.2.3+build", "1.2.3" },
	{ "^1.2.3+build", "1.3.0" },
	{ "1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3" },
	{ "1.2.3-pre+asdf - 2.4.3-pre+asdf", "1.2.3-pre.2" },
	{ "1.2.3-pre+asdf - 2.4.3-pre+asdf", "2.4.3-alpha" },
	{ "1.2.3+asdf - 2.4.3+asdf", "1.2.3" },
	{ "1.0.0", "1.0.0" },
	{ ">=*", "0.2.4" },
	{ "", "1.0.0" },
	{ "*", "1.2.3" },
	{ ">=1.0.0", "1.0.1" },
	{ ">=1.0.0", "1.1.0" },
	{ ">1.0.0", "1.0.1" },
	{ ">1.0.0", "1.1.0" },
	{ "<=2.0.0", "2.0.0" },
	{ "<=2.0.0", "1.9999.9999" },
	{ "<=2.0.0", "0.2.9" },
	{ "<2.0.0", "1.9999.9999" },
	{ "<2.0.0", "0.2.9" },
	{ ">= 1.0.0", "1.0.0" },
	{ ">=  1.0.0", "1.0.1" },
	{ ">=   1.0.0", "1.1.0" },
	{ "> 1.0.0", "1.0.1" },
	{ ">  1.0.0", "1.1.0" },
	{ "<=   2.0.0", "2.0.0" },
	{ "<= 2.0.0", "1.9999.9999" },
	{ "<=  2.0.0", "0.2.9" },
	{ "<    2.0.0", "1.9999.9999" },
	{ "<\t2.0.0", "0.2.9" },
	{ ">=0.1.97", "0.1.97" },
	{ "0.1.20 || 1.2.4", "1.2.4" },
	{ ">=0.2.3 || <0.0.1", "0.0.0" },
	{ ">=0.2.3 || <0.0.1", "0.2.3" },
	{ ">=0.2.3 || <0.0.1", "0.2.4" },
	{ "||", "1.3.4" },
	{ "2.x.x", "2.1.3" },
	{ "1.2.x", "1.2.3" },
	{ "1.2.x || 2.x", "2.1.3" },
	{ "1.2.x || 2.x", "1.2.3" },
	{ "x", "1.2.3" },
	{ "2.*.*", "2.1.3" },
	{ "1.2.*", "1.2.3" },
	{ "1.2.* || 2.*", "2.1.3" },
	{ "1.2.* || 2.*", "1.2.3" },
	{ "*", "1.2.3" },
	{ "2", "2.1.2" },
	{ "2.3", "2.3.1" },
	{ "~0.0.1", "0.0.1" },
	{ "~0.0.1", "0.0.2" },
	{ "~x", "0.0.9" },
	{ "~2", "2.0.9" },
	{ "~2.4", "2.4.0" },
	{ "~2.4", "2.4.5" },
	{ "~>3.2.1", "3.2.2" },
	{ "~1", "1.2.3" },
	{ "~>1", "1.2.3" },
	{ "~> 1", "1.2.3" },
	{ "~1.0", "1.0.2" },
	{ "~ 1.0", "1.0.2" },
	{ "~ 1.0.3", "1.0.12" },
	{ ">=1", "1.0.0" },
	{ ">= 1", "1.0.0" },
	{ "<1.2", "1.1.1" },
	{ "< 1.2", "1.1.1" },
	{ "~v0.5.4-pre", "0.5.5" },
	{ "~v0.5.4-pre", "0.5.4" },
	{ "=0.7.x", "0.7.2" },
	{ "<=0.7.x", "0.7.2" },
	{ ">=0.7.x", "0.7.2" },
	{ "<=0.7.x", "0.6.2" },
	{ "~1.2.1 >=1.2.3", "1.2.3" },
	{ "~1.2.1 =1.2.3", "1.2.3" },
	{ "~1.2.1 1.2.3", "1.2.3" },
	{ "~1.2.1 >=1.2.3 1.2.3", "1.2.3" },
	{ "~1.2.1 1.2.3 >=1.2.3", "1.2.3" },
	{ ">=1.2.1 1.2.3", "1.2.3" },
	{ "1.2.3 >=1.2.1", "1.2.3" },
	{ ">=1.2.3 >=1.2.1", "1.2.3" },
	{ ">=1.2.1 >=1.2.3", "1.2.3" },
	{ ">=1.2", "1.2.8" },
	{ "^1.2.3", "1.8.1" },
	{ "^0.1.2", "0.1.2" },
	{ "^0.1", "0.1.2" },
	{ "^0.0.1", "0.0.1" },
	{ "^1.2", "1.4.2" },
	{ "^1.2 ^1", "1.4.2" },
	{ "^1.2.3-alpha", "1.2.3-pre" },
	{ "^1.2.0-alpha", "1.2.0-pre" },
	{ "^0.0.1-alpha", "0.0.1-beta" },
	{ "^0.0.1-alpha", "0.0.1" },
	{ "^0.1.1-alpha", "0.1.1-beta" },
	{ "^x", "1.2.3" },
	{ "x - 1.0.0", "0.9.7" },
	{ "x - 1.x", "0.9.7" },
	{ "1.0.0 - x", "1.9.7" },
	{ "1.x - x", "1.9.7" },
	{ "<=7.x", "7.9.9" },
};

/* range-exclude.js: the version does not satisfy the range. */
static const struct { const char *range, *version; } exclude_rows[] = {
	{ "1.0.0 - 2.0.0", "2.2.3" },
	{ "1.2.3+asdf - 2.4.3+asdf", "1.2.3-pre.2" },
	{ "1.2.3+asdf - 2.4.3+asdf", "2.4.3-alpha" },
	{ "^1.2.3+build", "2.0.0" },
	{ "^1.2.3+build", "1.2.0" },
	{ "^1.2.3", "1.2.3-pre" },
	{ "^1.2", "1.2.0-pre" },
	{ ">1.2", "1.3.0-beta" },
	{ "<=1.2.3", "1.2.3-beta" },
	{ "^1.2.3", "1.2.3-beta" },
	{ "=0.7.x", "0.7.0-asdf" },
	{ ">=0.7.x", "0.7.0-asdf" },
	{ "<=0.7.x", "0.7.0-asdf" },
	{ "1.0.0", "1.0.1" },
	{ ">=1.0.0", "0.0.0" },
	{ ">=1.0.0", "0.0.1" },
	{ ">=1.0.0", "0.1.0" },
	{ ">1.0.0", "0.0.1" },
	{ ">1.0.0", "0.1.0" },
	{ "<=2.0.0", "3.0.0" },
	{ "<=2.0.0", "2.9999.9999" },
	{ "<=2.0.0", "2.2.9" },
	{ "<2.0.0", "2.9999.9999" },
	{ "<2.0.0", "2.2.9" },
	{ ">=0.1.97", "0.1.93" },
	{ "0.1.20 || 1.2.4", "1.2.3" },
	{ ">=0.2.3 || <0.0.1", "0.0.3" },
	{ ">=0.2.3 || <0.0.1", "0.2.2" },
	{ "2.x.x", "1.1.3" },
	{ "2.x.x", "3.1.3" },
	{ "1.2.x", "1.3.3" },
	{ "1.2.x || 2.x", "3.1.3" },
	{ "1.2.x || 2.x", "1.1.3" },
	{ "2.*.*", "1.1.3" },
	{ "2.*.*", "3.1.3" },
	{ "1.2.*", "1.3.3" },
	{ "1.2.* || 2.*", "3.1.3" },
	{ "1.2.* || 2.*", "1.1.3" },
	{ "2", "1.1.2" },
	{ "2.3", "2.4.1" },
	{ "~0.0.1", "0.1.0-alpha" },
	{ "~0.0.1", "0.1.0" },
	{ "~2.4", "2.5.0" },
	{ "~2.4", "2.3.9" },
	{ "~>3.2.1", "3.3.2" },
	{ "~>3.2.1", "3.2.0" },
	{ "~1", "0.2.3" },
	{ "~>1", "2.2.3" },
	{ "~1.0", "1.1.0" },
	{ "<1", "1.0.0" },
	{ ">=1.2", "1.1.1" },
	{ "~v0.5.4-beta", "0.5.4-alpha" },
	{ "=0.7.x", "0.8.2" },
	{ ">=0.7.x", "0.6.2" },
	{ "<0.7.x", "0.7.2" },
	{ "<1.2.3", "1.2.3-beta" },
	{ "=1.2.3", "1.2.3-beta" },
	{ ">1.2", "1.2.8" },
	{ "^0.0.1", "0.0.2-alpha" },
	{ "^0.0.1", "0.0.2" },
	{ "^1.2.3", "2.0.0-alpha" },
	{ "^1.2.3", "1.2.2" },
	{ "^1.2", "1.1.9" },
	{ "^1.0.0", "2.0.0-rc1" },
	{ "1 - 2", "2.0.0-pre" },
	{ "1 - 2", "1.0.0-pre" },
	{ "1.0 - 2", "1.0.0-pre" },
	{ "1.1.x", "1.0.0-a" },
	{ "1.1.x", "1.1.0-a" },
	{ "1.1.x", "1.2.0-a" },
	{ "1.x", "1.0.0-a" },
	{ "1.x", "1.1.0-a" },
	{ "1.x", "1.2.0-a" },
	{ ">=1.0.0 <1.1.0", "1.1.0" },
	{ ">=1.0.0 <1.1.0", "1.1.0-pre" },
	{ ">=1.0.0 <1.1.0-pre", "1.1.0-pre" },
};

#define NROWS(a) (sizeof(a) / sizeof(a[0]))

static void
test_parse_table(void)
{
	struct tk_semver_range r;
	char out[512];
	size_t i;

	for (i = 0; i < NROWS(parse_rows); i++) {
		tk_err e = tk_semver_range_parse(parse_rows[i].range, &r);

		if (parse_rows[i].canon == NULL) {
			if (e != TK_ERR_BAD_REQUEST)
				fprintf(stderr, "accepted: '%s'\n",
				    parse_rows[i].range);
			CU_ASSERT_EQUAL(e, TK_ERR_BAD_REQUEST);
			continue;
		}
		if (e != TK_OK)
			fprintf(stderr, "refused: '%s'\n", parse_rows[i].range);
		CU_ASSERT_EQUAL_FATAL(e, TK_OK);
		tk_semver_range_format(&r, out, sizeof(out));
		if (strcmp(out, parse_rows[i].canon) != 0)
			fprintf(stderr, "'%s': '%s', npm '%s'\n",
			    parse_rows[i].range, out, parse_rows[i].canon);
		CU_ASSERT_STRING_EQUAL(out, parse_rows[i].canon);
	}
}

/* Whether range satisfies version; -1 when either does not parse. */
static int
satisfies(const char *range, const char *version)
{
	struct tk_semver_range r;
	struct tk_semver v;

	if (tk_semver_range_parse(range, &r) != TK_OK ||
	    tk_semver_parse(version, &v) != TK_OK)
		return -1;
	return tk_semver_range_test(&r, &v);
}

static void
test_include_table(void)
{
	size_t i;
	int got;

	for (i = 0; i < NROWS(include_rows); i++) {
		got = satisfies(include_rows[i].range, include_rows[i].version);
		if (got != 1)
			fprintf(stderr, "'%s' should include %s: %d\n",
			    include_rows[i].range, include_rows[i].version, got);
		CU_ASSERT_EQUAL(got, 1);
	}
}

static void
test_exclude_table(void)
{
	size_t i;
	int got;

	for (i = 0; i < NROWS(exclude_rows); i++) {
		got = satisfies(exclude_rows[i].range, exclude_rows[i].version);
		if (got != 0)
			fprintf(stderr, "'%s' should exclude %s: %d\n",
			    exclude_rows[i].range, exclude_rows[i].version, got);
		CU_ASSERT_EQUAL(got, 0);
	}
}

/* range-parse.js's null sets, by meaning rather than by spelling. */
static void
test_null_sets(void)
{
	CU_ASSERT_EQUAL(satisfies("<x <* || >* 2.x", "0.0.0"), 0);
	CU_ASSERT_EQUAL(satisfies("<x <* || >* 2.x", "2.1.0"), 0);
	CU_ASSERT_EQUAL(satisfies(">x 2.x || * || <x", "1.2.3"), 1);
	CU_ASSERT_EQUAL(satisfies(">X", "0.0.0"), 0);
}

/* tasker's own limits: 32-bit parts (carrying at the top), 256 bytes,
 * 32 comparators, hostile bytes. */
static void
test_limits(void)
{
	struct tk_semver_range r;
	char big[TK_SEMVER_RANGE_MAX + 2];
	char out[128];

	CU_ASSERT_EQUAL(satisfies("^4294967295.0.0", "4294967295.7.1"), 1);
	CU_ASSERT_EQUAL(satisfies("~1.4294967295", "2.0.0"), 0);
	CU_ASSERT_EQUAL(satisfies("~1.4294967295", "1.4294967295.9"), 1);
	CU_ASSERT_EQUAL(satisfies(">4294967295", "4294967295.9.9"), 0);
	CU_ASSERT_EQUAL(tk_semver_range_parse("^4294967296.0.0", &r),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL_FATAL(tk_semver_range_parse("~1.4294967295", &r), TK_OK);
	tk_semver_range_format(&r, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, ">=1.4294967295.0 <2.0.0-0");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '1';
	CU_ASSERT_EQUAL(tk_semver_range_parse(big, &r), TK_ERR_BAD_REQUEST);
	big[TK_SEMVER_RANGE_MAX] = '\0';
	CU_ASSERT_EQUAL(tk_semver_range_parse(big, &r), TK_OK);
	/* 17 carets are 34 comparators: one too many. */
	CU_ASSERT_EQUAL(tk_semver_range_parse("^1 ^1 ^1 ^1 ^1 ^1 ^1 ^1 ^1 "
	    "^1 ^1 ^1 ^1 ^1 ^1 ^1", &r), TK_OK);
	CU_ASSERT_EQUAL(tk_semver_range_parse("^1 ^1 ^1 ^1 ^1 ^1 ^1 ^1 ^1 "
	    "^1 ^1 ^1 ^1 ^1 ^1 ^1 ^1", &r), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_semver_range_parse(NULL, &r), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_semver_range_parse("1.2.3\n", &r),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_semver_range_parse("1 | 2", &r), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_semver_range_parse("1 - 2 - 3", &r),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_semver_range_parse(">= ", &r), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_semver_range_parse("^1.2.3-", &r),
	    TK_ERR_BAD_REQUEST);
}

TK_SUITE(semver_range,
    { "parse: node-semver range-parse.js", test_parse_table },
    { "include: node-semver range-include.js", test_include_table },
    { "exclude: node-semver range-exclude.js", test_exclude_table },
    { "null sets", test_null_sets },
    { "limits and hostile input", test_limits });
