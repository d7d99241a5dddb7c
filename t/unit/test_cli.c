/*
 * test_cli.c - the command-line conventions (util/cli.c): when help is
 * asked, how --json is taken out of the arguments, and the one-line hint
 * bad usage prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "tasker/cli.h"

/* A writable argument, as main() gets them. */
#define S(s) ((char[]){ s })

static void
test_asks_help(void)
{
	char *a[] = { S("list"), S("-h"), NULL };
	char *b[] = { S("list"), S("--help"), NULL };
	char *c[] = { S("list"), S("--json"), S("x"), NULL };
	char *d[] = { S("--"), S("--help"), NULL };	/* after --: an operand */
	char *e[] = { S("-hx"), S("--helpme"), S("-H"), NULL };

	CU_ASSERT_EQUAL(tk_cli_asks_help(2, a), 1);
	CU_ASSERT_EQUAL(tk_cli_asks_help(2, b), 1);
	CU_ASSERT_EQUAL(tk_cli_asks_help(1, b), 0);	/* argc bounds it */
	CU_ASSERT_EQUAL(tk_cli_asks_help(3, c), 0);
	CU_ASSERT_EQUAL(tk_cli_asks_help(2, d), 0);
	CU_ASSERT_EQUAL(tk_cli_asks_help(3, e), 0);
	CU_ASSERT_EQUAL(tk_cli_asks_help(0, a), 0);
}

static void
test_take_flag(void)
{
	char *a[] = { S("--json"), S("status"), S("--json"), NULL };
	char *b[] = { S("status"), S("--"), S("--json"), NULL };
	char *c[] = { S("status"), S("--jsonx"), NULL };
	int n;

	n = 3;
	CU_ASSERT_EQUAL(tk_cli_take_flag(&n, a, "--json"), 1);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(a[0], "status");
	n = 3;			/* after "--" it is an operand, kept */
	CU_ASSERT_EQUAL(tk_cli_take_flag(&n, b, "--json"), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_STRING_EQUAL(b[2], "--json");
	n = 2;
	CU_ASSERT_EQUAL(tk_cli_take_flag(&n, c, "--json"), 0);
	CU_ASSERT_EQUAL(n, 2);
}

/* What f wrote to stderr while it ran, in out (one call). */
static int
stderr_of(int (*f)(void), char *out, size_t n)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	size_t got;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	rc = f();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	got = fread(out, 1, n - 1, tmp);
	out[got] = '\0';
	fclose(tmp);
	return rc;
}

static int unknown_short(void)
{ return tk_cli_option_error("prog", "prog --help", '?', 'x', "-x"); }
static int unknown_long(void)
{ return tk_cli_option_error("prog", "prog --help", '?', 0, "--bogus"); }
static int missing_short(void)
{ return tk_cli_option_error("prog", "prog --help", ':', 'c', "-c"); }
static int missing_long(void)
{ return tk_cli_option_error("prog", "prog help x", ':', 's',
    "--subject"); }
static int hostile(void)
{ return tk_cli_option_error("prog", "prog --help", '?', 0, "--\x1b[2J"); }
static int usage_line(void)
{ return tk_cli_usage_error("prog", "prog --help", "unknown command "
    "'%s'", "x"); }

static void
test_hints(void)
{
	char out[256];

	CU_ASSERT_EQUAL(stderr_of(unknown_short, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out,
	    "prog: unknown option '-x'; see 'prog --help'\n");
	CU_ASSERT_EQUAL(stderr_of(unknown_long, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out,
	    "prog: unknown option '--bogus'; see 'prog --help'\n");
	CU_ASSERT_EQUAL(stderr_of(missing_short, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out,
	    "prog: option '-c' needs a value; see 'prog --help'\n");
	CU_ASSERT_EQUAL(stderr_of(missing_long, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out,
	    "prog: option '--subject' needs a value; see 'prog help x'\n");
	/* what the terminal would obey is shown as '?' */
	CU_ASSERT_EQUAL(stderr_of(hostile, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out,
	    "prog: unknown option '--?[2J'; see 'prog --help'\n");
	CU_ASSERT_EQUAL(stderr_of(usage_line, out, sizeof(out)), 2);
	CU_ASSERT_STRING_EQUAL(out,
	    "prog: unknown command 'x'; see 'prog --help'\n");
}

TK_SUITE(cli,
    { "-h and --help before --", test_asks_help },
    { "--json taken out of the arguments", test_take_flag },
    { "bad usage: one line naming the usage", test_hints });
