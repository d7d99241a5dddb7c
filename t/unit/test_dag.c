/*
 * test_dag.c - topological order, levels and cycles of step graphs.
 */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tasker/dag.h"

/*
 * Builds the parent lists from a compact description: deps[i] is a
 * string of parent indexes as digits ("" for a root), n <= 10.
 */
struct graphdesc {
	size_t  n;
	size_t  p[10][10];
	size_t  np[10];
	const size_t *pp[10];
};

static void
describe(struct graphdesc *g, size_t n, const char *const *deps)
{
	size_t i, j;

	memset(g, 0, sizeof(*g));
	g->n = n;
	for (i = 0; i < n; i++) {
		for (j = 0; deps[i][j] != '\0'; j++)
			g->p[i][j] = (size_t)(deps[i][j] - '0');
		g->np[i] = j;
		g->pp[i] = g->p[i];
	}
}

static tk_err
run(struct tk_dag *d, size_t n, const char *const *deps)
{
	struct graphdesc g;

	describe(&g, n, deps);
	return tk_dag_analyse(g.n, g.pp, g.np, d);
}

/* Asserts order equals the digits of want. */
static void
assert_seq(const size_t *got, size_t n, const char *want)
{
	size_t i;

	CU_ASSERT_EQUAL_FATAL(n, strlen(want));
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(got[i], (size_t)(want[i] - '0'));
}

/* Asserts the level groups, e.g. "0|12|3". */
static void
assert_levels(const struct tk_dag *d, const char *want)
{
	char buf[64];
	size_t o = 0, i;
	unsigned k;

	for (k = 0; k < d->nlevels; k++) {
		if (k > 0)
			buf[o++] = '|';
		for (i = d->level_start[k]; i < d->level_start[k + 1]; i++) {
			CU_ASSERT_EQUAL(d->level[d->by_level[i]], k);
			buf[o++] = (char)('0' + d->by_level[i]);
		}
	}
	buf[o] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void
test_linear(void)
{
	static const char *const deps[] = { "", "0", "1", "2" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 4, deps), TK_OK);
	assert_seq(d.order, d.n, "0123");
	CU_ASSERT_EQUAL(d.nlevels, 4);
	assert_levels(&d, "0|1|2|3");
	CU_ASSERT_PTR_NULL(d.cycle);
	tk_dag_free(&d);
}

static void
test_linear_out_of_order(void)
{
	/* Definition order 0..3 but the chain runs 3 -> 1 -> 0 -> 2. */
	static const char *const deps[] = { "1", "3", "0", "" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 4, deps), TK_OK);
	assert_seq(d.order, d.n, "3102");
	assert_levels(&d, "3|1|0|2");
	tk_dag_free(&d);
}

static void
test_diamond(void)
{
	/* 0 -> {1, 2} -> 3 */
	static const char *const deps[] = { "", "0", "0", "12" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 4, deps), TK_OK);
	assert_seq(d.order, d.n, "0123");
	CU_ASSERT_EQUAL(d.nlevels, 3);
	assert_levels(&d, "0|12|3");
	tk_dag_free(&d);
}

static void
test_fan_out_in(void)
{
	/* fan-out: 0 -> 1,2,3,4 */
	static const char *const out[] = { "", "0", "0", "0", "0" };
	/* fan-in: 0,1,2,3 -> 4, declared child first */
	static const char *const in[] = { "1234", "", "", "", "" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 5, out), TK_OK);
	assert_seq(d.order, d.n, "01234");
	assert_levels(&d, "0|1234");
	tk_dag_free(&d);

	CU_ASSERT_EQUAL_FATAL(run(&d, 5, in), TK_OK);
	assert_seq(d.order, d.n, "12340");
	assert_levels(&d, "1234|0");
	CU_ASSERT_EQUAL(d.level[0], 1);
	tk_dag_free(&d);
}

static void
test_several_roots(void)
{
	/* Two chains 0 -> 2 and 1 -> 3 -> 4; 5 alone; lowest ready first. */
	static const char *const deps[] = { "", "", "0", "1", "3", "" };
	/* 0 waits for 2; once 2 is done, 0 (lower) beats 3. */
	static const char *const late[] = { "2", "", "", "1" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 6, deps), TK_OK);
	assert_seq(d.order, d.n, "012345");
	assert_levels(&d, "015|23|4");
	tk_dag_free(&d);

	CU_ASSERT_EQUAL_FATAL(run(&d, 4, late), TK_OK);
	assert_seq(d.order, d.n, "1203");
	assert_levels(&d, "12|03");
	tk_dag_free(&d);
}

static void
test_levels_longest_path(void)
{
	/* 3 depends on 0 (level 0) and on 2 (level 2): level 3. */
	static const char *const deps[] = { "", "0", "1", "02" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 4, deps), TK_OK);
	CU_ASSERT_EQUAL(d.level[3], 3);
	assert_levels(&d, "0|1|2|3");
	tk_dag_free(&d);
}

static void
test_duplicates(void)
{
	/* 1 lists 0 three times, 2 lists 1 twice: same as a chain. */
	static const char *const deps[] = { "", "000", "11" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 3, deps), TK_OK);
	assert_seq(d.order, d.n, "012");
	assert_levels(&d, "0|1|2");
	tk_dag_free(&d);
}

static void
test_self_loop(void)
{
	static const char *const deps[] = { "", "1", "0" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 3, deps), TK_ERR_DEFINITION);
	CU_ASSERT_PTR_NULL(d.order);
	CU_ASSERT_PTR_NULL(d.level);
	assert_seq(d.cycle, d.ncycle, "1");
	tk_dag_free(&d);
}

static void
test_cycle(void)
{
	/* 0 root; 1 -> 2 -> 3 -> 1 (parent -> child); 4 hangs off 3. */
	static const char *const deps[] = { "", "03", "1", "2", "3" };
	/* Same cycle declared the other way round: 1 <- 3? 3 -> 2 -> 1 -> 3 */
	static const char *const rev[] = { "2", "0", "1" };
	struct tk_dag d;

	CU_ASSERT_EQUAL_FATAL(run(&d, 5, deps), TK_ERR_DEFINITION);
	assert_seq(d.cycle, d.ncycle, "123");
	tk_dag_free(&d);

	/* 2 -> 0 -> 1 -> 2: rotated to start at 0. */
	CU_ASSERT_EQUAL_FATAL(run(&d, 3, rev), TK_ERR_DEFINITION);
	assert_seq(d.cycle, d.ncycle, "012");
	tk_dag_free(&d);
}

static void
test_empty_and_bad(void)
{
	struct tk_dag d;
	size_t np[2] = { 1, 0 }, p0[1] = { 7 };
	const size_t *pp[2] = { p0, NULL };

	CU_ASSERT_EQUAL_FATAL(tk_dag_analyse(0, NULL, NULL, &d), TK_OK);
	CU_ASSERT_EQUAL(d.n, 0);
	CU_ASSERT_EQUAL(d.nlevels, 0);
	CU_ASSERT_EQUAL(d.ncycle, 0);
	tk_dag_free(&d);

	/* Parent index out of range: refused, not read. */
	CU_ASSERT_EQUAL(tk_dag_analyse(2, pp, np, &d), TK_ERR_BAD_REQUEST);
	tk_dag_free(&d);
	CU_ASSERT_EQUAL(tk_dag_analyse(TK_DAG_MAX_NODES + 1, pp, np, &d),
	    TK_ERR_BAD_REQUEST);
	tk_dag_free(&d);
}

static void
test_large_chain(void)
{
	/* A long chain declared backwards: each step depends on the next. */
	size_t n = 5000, i, *par, *np;
	const size_t **pp;
	struct tk_dag d;

	par = calloc(n, sizeof(*par));
	np = calloc(n, sizeof(*np));
	pp = calloc(n, sizeof(*pp));
	CU_ASSERT_FATAL(par != NULL && np != NULL && pp != NULL);
	for (i = 0; i + 1 < n; i++) {
		par[i] = i + 1;
		np[i] = 1;
		pp[i] = &par[i];
	}
	CU_ASSERT_EQUAL_FATAL(tk_dag_analyse(n, pp, np, &d), TK_OK);
	CU_ASSERT_EQUAL(d.order[0], n - 1);
	CU_ASSERT_EQUAL(d.order[n - 1], 0);
	CU_ASSERT_EQUAL(d.nlevels, n);
	CU_ASSERT_EQUAL(d.level[0], n - 1);
	tk_dag_free(&d);
	/* Close the loop: the whole chain is one cycle. */
	par[n - 1] = 0;
	np[n - 1] = 1;
	pp[n - 1] = &par[n - 1];
	CU_ASSERT_EQUAL_FATAL(tk_dag_analyse(n, pp, np, &d), TK_ERR_DEFINITION);
	CU_ASSERT_EQUAL(d.ncycle, n);
	CU_ASSERT_EQUAL(d.cycle[0], 0);
	CU_ASSERT_EQUAL(d.cycle[1], n - 1);     /* n-1 is 0's child */
	tk_dag_free(&d);
	free(par);
	free(np);
	free(pp);
}

TK_SUITE(dag,
    { "linear chain", test_linear },
    { "chain declared out of order", test_linear_out_of_order },
    { "diamond", test_diamond },
    { "fan-out and fan-in", test_fan_out_in },
    { "several roots, lowest index first", test_several_roots },
    { "level is the longest path", test_levels_longest_path },
    { "duplicate parents count once", test_duplicates },
    { "self-loop", test_self_loop },
    { "longer cycle", test_cycle },
    { "empty graph and bad input", test_empty_and_bad },
    { "long chain and long cycle", test_large_chain });
