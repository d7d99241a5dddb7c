/*
 * test_perm.c - permission wildcards and the principal's permission list.
 */
#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "tasker/perm.h"

struct match_case {
	const char *granted;
	const char *required;
	int         want;
};

static const struct match_case match_cases[] = {
	/* exact */
	{ "tasker.task:create", "tasker.task:create", 1 },
	{ "tasker.task:create", "tasker.task:index", 0 },
	{ "tasker.task:create", "Tasker.task:create", 0 },
	{ "tasker.task", "tasker.task:create", 0 },
	{ "tasker.task:create", "tasker.task", 0 },
	/* everything */
	{ "*", "tasker.task:create", 1 },
	{ "*", "anything at all", 1 },
	/* prefix at '.' */
	{ "tasker.*", "tasker.handler:index", 1 },
	{ "tasker.*", "tasker.task:create", 1 },
	{ "tasker.*", "tasker.", 0 },
	{ "tasker.*", "tasker", 0 },
	{ "tasker.*", "taskerx.task:create", 0 },
	{ "tasker.*", "other.task:create", 0 },
	/* prefix at ':' */
	{ "tasker.task:*", "tasker.task:create", 1 },
	{ "tasker.task:*", "tasker.task:cancel", 1 },
	{ "tasker.task:*", "tasker.taskx:create", 0 },
	{ "tasker.task:*", "tasker.handler:index", 0 },
	{ "tasker.task:*", "tasker.task:", 0 },
	{ "tasker.task:*", "tasker.task", 0 },
	/* '*' anywhere else is a literal */
	{ "tasker.task*", "tasker.task:create", 0 },
	{ "tasker.task*", "tasker.taskx:create", 0 },
	{ "tasker.task*", "tasker.task*", 1 },
	{ "*.task:create", "tasker.task:create", 0 },
	{ "tasker.*:create", "tasker.task:create", 0 },
	{ "**", "tasker.task:create", 0 },
	/* empty never matches */
	{ "", "tasker.task:create", 0 },
	{ "*", "", 0 },
	{ "", "", 0 },
};

static void
test_match_table(void)
{
	size_t i;
	int got;

	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		got = tk_perm_match(match_cases[i].granted,
		    match_cases[i].required);
		if (got != match_cases[i].want)
			fprintf(stderr, "\n  tk_perm_match(\"%s\", \"%s\") "
			    "= %d\n",
			    match_cases[i].granted, match_cases[i].required,
			    got);
		CU_ASSERT_EQUAL(got, match_cases[i].want);
	}
	CU_ASSERT_EQUAL(tk_perm_match(NULL, "x"), 0);
	CU_ASSERT_EQUAL(tk_perm_match("*", NULL), 0);
}

static void
test_principal(void)
{
	struct tk_principal p = TK_PRINCIPAL_INIT;
	char perm[32];
	int i;

	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.task:create"));
	CU_ASSERT_FALSE(tk_principal_allows(NULL, "tasker.task:create"));
	CU_ASSERT_EQUAL(tk_principal_set_subject(&p, "alice"), TK_OK);
	CU_ASSERT_EQUAL(tk_principal_add_perm(&p, "tasker.handler:index"),
	    TK_OK);
	CU_ASSERT_EQUAL(tk_principal_add_perm(&p, "tasker.task:*"), TK_OK);
	/* duplicates are kept once */
	CU_ASSERT_EQUAL(tk_principal_add_perm(&p, "tasker.task:*"), TK_OK);
	CU_ASSERT_EQUAL(p.nperms, 2);
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.task:create"));
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.handler:index"));
	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.handler:show"));
	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.step:update"));
	/* bounded */
	for (i = 0; i < TK_PERM_MAX_COUNT + 10; i++) {
		snprintf(perm, sizeof(perm), "p%d", i);
		tk_principal_add_perm(&p, perm);
	}
	CU_ASSERT_EQUAL(p.nperms, TK_PERM_MAX_COUNT);
	CU_ASSERT_EQUAL(tk_principal_add_perm(&p, "one.more"),
	    TK_ERR_BAD_REQUEST);
	tk_principal_free(&p);
	CU_ASSERT_PTR_NULL(p.subject);
	CU_ASSERT_EQUAL(p.nperms, 0);
	tk_principal_free(&p);  /* twice is harmless */
}

static void
test_valid(void)
{
	char longp[TK_PERM_MAX_LEN + 2];

	CU_ASSERT_TRUE(tk_perm_valid("tasker.task:create"));
	CU_ASSERT_TRUE(tk_perm_valid("*"));
	CU_ASSERT_FALSE(tk_perm_valid(""));
	CU_ASSERT_FALSE(tk_perm_valid(NULL));
	CU_ASSERT_FALSE(tk_perm_valid("a\nb"));
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	CU_ASSERT_FALSE(tk_perm_valid(longp));
	longp[TK_PERM_MAX_LEN] = '\0';
	CU_ASSERT_TRUE(tk_perm_valid(longp));
	CU_ASSERT_TRUE(tk_subject_valid("alice@example.com"));
	CU_ASSERT_FALSE(tk_subject_valid("alice\r\nX-Injected: 1"));
	/* strict UTF-8, and no C1 control (C2 80..C2 9F) either */
	CU_ASSERT_TRUE(tk_subject_valid("Jos\xc3\xa9 \xf0\x9f\x98\x80\xc2\xa0"));
	CU_ASSERT_FALSE(tk_subject_valid("a\xc2\x85"));
	CU_ASSERT_FALSE(tk_subject_valid("\xc2\x80"));
	CU_ASSERT_FALSE(tk_subject_valid("a\xc2\x9f" "b"));
	CU_ASSERT_FALSE(tk_subject_valid("a\x7f"));
	CU_ASSERT_FALSE(tk_subject_valid("\xc0\xaf"));
	CU_ASSERT_FALSE(tk_subject_valid("\xed\xa0\x80"));
	CU_ASSERT_FALSE(tk_subject_valid("\xf4\x90\x80\x80"));
	CU_ASSERT_FALSE(tk_subject_valid("a\xc2"));
	CU_ASSERT_FALSE(tk_perm_valid("tasker.task:\xc2\x85"));
	CU_ASSERT_FALSE(tk_perm_valid("tasker.\xc0\xaf"));
}

TK_SUITE(perm,
    { "wildcard table", test_match_table },
    { "principal permissions", test_principal },
    { "permission and subject syntax", test_valid });
