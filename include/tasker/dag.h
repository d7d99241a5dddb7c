/*
 * dag.h - dependency analysis of a handler's steps.
 *
 * Input: n steps in definition order, each with the indexes of its
 * parents (the steps it depends on).  Output, in struct tk_dag:
 *
 *   - order: a topological order (Kahn's algorithm; among the steps that
 *     are ready, the lowest definition index goes first, so the order is
 *     deterministic and a linear chain comes out as written);
 *   - level: 0 for a root, else 1 + the highest level of its parents;
 *     by_level lists the steps grouped by level, each group in definition
 *     order: group k is by_level[level_start[k] .. level_start[k + 1]);
 *   - when the graph has a cycle: one cycle, cycle[0..ncycle), such that
 *     cycle[i] is a parent of cycle[i + 1] and cycle[ncycle - 1] is a
 *     parent of cycle[0]; it starts at its lowest index.  A self-loop is
 *     a cycle of one.  A caller prints it as "a -> b -> c -> a".
 *
 * Duplicate parent entries count once.  The struct owns its arrays;
 * tk_dag_free() releases them.
 */
#ifndef TASKER_DAG_H
#define TASKER_DAG_H

#include <stddef.h>

#include "tasker/error.h"

/* Upper bound on n, so every count fits and the analysis stays cheap. */
#define TK_DAG_MAX_NODES 100000

struct tk_dag {
	size_t    n;
	/* Filled when acyclic (TK_OK); NULL otherwise. */
	size_t   *order;       /* n entries */
	unsigned *level;       /* n entries, by step index */
	unsigned  nlevels;     /* 0 when n == 0 */
	size_t   *by_level;    /* n entries */
	size_t   *level_start; /* nlevels + 1 entries */
	/* Filled when cyclic (TK_ERR_DEFINITION); NULL otherwise. */
	size_t   *cycle;
	size_t    ncycle;
};

/*
 * Analyses the graph.  parents[i] lists nparents[i] indexes (< n) for
 * step i; parents may be NULL when n == 0 or every nparents[i] is 0.
 * Returns TK_OK (acyclic), TK_ERR_DEFINITION (a cycle, see cycle),
 * TK_ERR_BAD_REQUEST (n too large or a parent index out of range) or
 * TK_ERR_NOMEM.  out is always valid to free afterwards.
 */
tk_err tk_dag_analyse(size_t n, const size_t *const *parents,
    const size_t *nparents, struct tk_dag *out);
void   tk_dag_free(struct tk_dag *d);

#endif
