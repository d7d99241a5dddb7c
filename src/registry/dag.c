/*
 * dag.c - topological order, execution levels and cycle finding.
 *
 * The graph is turned into child lists (compressed: one array of edges
 * plus per-node offsets), duplicate parents dropped.  Kahn's algorithm
 * with a min-heap of ready nodes gives the deterministic order.  Nodes
 * left over after Kahn all still have an unprocessed parent, so walking
 * parent links from any of them must revisit a node: that loop is the
 * reported cycle.
 */
#include "tasker/dag.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/alloc.h"

/* The graph with duplicates removed; owned by the analysis. */
struct graph {
	size_t  n;
	size_t *indeg;      /* distinct parents per node */
	size_t *child_off;  /* n + 1 offsets into child */
	size_t *child;      /* children, each list in ascending parent order */
};

static void
graph_free(struct graph *g)
{
	free(g->indeg);
	free(g->child_off);
	free(g->child);
}

static tk_err
graph_build(size_t n, const size_t *const *parents, const size_t *nparents,
    struct graph *g)
{
	size_t i, j, nedges = 0, *fill = NULL, *stamp = NULL;
	tk_err e = TK_ERR_NOMEM;

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->indeg = calloc(n + 1, sizeof(size_t));
	g->child_off = calloc(n + 1, sizeof(size_t));
	fill = calloc(n + 1, sizeof(size_t));
	/* stamp[p] == i + 1: p was already seen in the parents of i. */
	stamp = calloc(n + 1, sizeof(size_t));
	if (g->indeg == NULL || g->child_off == NULL || fill == NULL ||
	    stamp == NULL)
		goto out;
	/* Count distinct edges per parent. */
	for (i = 0; i < n; i++) {
		if (nparents[i] > 0 && (parents == NULL || parents[i] == NULL)) {
			e = TK_ERR_BAD_REQUEST;
			goto out;
		}
		for (j = 0; j < nparents[i]; j++) {
			size_t p = parents[i][j];
			if (p >= n) {
				e = TK_ERR_BAD_REQUEST;
				goto out;
			}
			if (stamp[p] == i + 1)
				continue;
			stamp[p] = i + 1;
			g->indeg[i]++;
			g->child_off[p + 1]++;
			if (++nedges > SIZE_MAX / sizeof(size_t) - 1)
				goto out;
		}
	}
	for (i = 0; i < n; i++)
		g->child_off[i + 1] += g->child_off[i];
	if ((g->child = calloc(nedges + 1, sizeof(size_t))) == NULL)
		goto out;
	/* Children of p are filled in ascending child index. */
	memset(stamp, 0, (n + 1) * sizeof(size_t));
	for (i = 0; i < n; i++)
		for (j = 0; j < nparents[i]; j++) {
			size_t p = parents[i][j];
			if (stamp[p] == i + 1)
				continue;
			stamp[p] = i + 1;
			g->child[g->child_off[p] + fill[p]++] = i;
		}
	e = TK_OK;
out:
	free(fill);
	free(stamp);
	if (e != TK_OK) {
		graph_free(g);
		memset(g, 0, sizeof(*g));
	}
	return e;
}

/* A binary min-heap of node indexes. */
struct heap {
	size_t *v;
	size_t  n;
};

static void
heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++, up;

	while (i > 0 && h->v[up = (i - 1) / 2] > x) {
		h->v[i] = h->v[up];
		i = up;
	}
	h->v[i] = x;
}

static size_t
heap_pop(struct heap *h)
{
	size_t top = h->v[0], last = h->v[--h->n], i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[c] >= last)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
	return top;
}

/*
 * Finds one cycle among the nodes Kahn could not process (done[i] == 0).
 * Walks first-unprocessed-parent links from the lowest such node until a
 * node repeats; the walk goes child -> parent, so the loop is reversed
 * into parent -> child order and rotated to start at its lowest index.
 */
static tk_err
find_cycle(size_t n, const size_t *const *parents, const size_t *nparents,
    const unsigned char *done, struct tk_dag *out)
{
	size_t *pos = NULL, *walk = NULL, start, len = 0, cur, i, j, lo;
	tk_err e = TK_ERR_NOMEM;

	if ((pos = tk_reallocarray(NULL, n, sizeof(size_t))) == NULL ||
	    (walk = tk_reallocarray(NULL, n, sizeof(size_t))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		pos[i] = SIZE_MAX;
	for (cur = 0; cur < n && done[cur]; cur++)
		;
	while (pos[cur] == SIZE_MAX) {
		pos[cur] = len;
		walk[len++] = cur;
		for (j = 0; j < nparents[cur]; j++)
			if (!done[parents[cur][j]])
				break;
		if (j == nparents[cur]) {
			e = TK_ERR_INTERNAL;    /* cannot happen after Kahn */
			goto out;
		}
		cur = parents[cur][j];
	}
	start = pos[cur];
	out->ncycle = len - start;
	if ((out->cycle = tk_reallocarray(NULL, out->ncycle,
	    sizeof(size_t))) == NULL) {
		out->ncycle = 0;
		goto out;
	}
	/* walk[start..len) goes child -> parent; reverse it. */
	for (i = 0; i < out->ncycle; i++)
		out->cycle[i] = walk[len - 1 - i];
	lo = 0;
	for (i = 1; i < out->ncycle; i++)
		if (out->cycle[i] < out->cycle[lo])
			lo = i;
	/* Rotate left by lo, reusing walk as scratch. */
	for (i = 0; i < out->ncycle; i++)
		walk[i] = out->cycle[(lo + i) % out->ncycle];
	memcpy(out->cycle, walk, out->ncycle * sizeof(size_t));
	e = TK_ERR_DEFINITION;
out:
	free(pos);
	free(walk);
	return e;
}

/* Groups nodes by level (counting sort keeps definition order). */
static tk_err
group_levels(struct tk_dag *d)
{
	size_t i, *fill;
	unsigned k;

	d->nlevels = 0;
	for (i = 0; i < d->n; i++)
		if (d->level[i] + 1 > d->nlevels)
			d->nlevels = d->level[i] + 1;
	d->level_start = calloc((size_t)d->nlevels + 1, sizeof(size_t));
	d->by_level = calloc(d->n + 1, sizeof(size_t));
	fill = calloc((size_t)d->nlevels + 1, sizeof(size_t));
	if (d->level_start == NULL || d->by_level == NULL || fill == NULL) {
		free(fill);
		return TK_ERR_NOMEM;
	}
	for (i = 0; i < d->n; i++)
		d->level_start[d->level[i] + 1]++;
	for (k = 0; k < d->nlevels; k++)
		d->level_start[k + 1] += d->level_start[k];
	for (i = 0; i < d->n; i++) {
		k = d->level[i];
		d->by_level[d->level_start[k] + fill[k]++] = i;
	}
	free(fill);
	return TK_OK;
}

tk_err
tk_dag_analyse(size_t n, const size_t *const *parents, const size_t *nparents,
    struct tk_dag *out)
{
	struct graph g;
	struct heap h = { NULL, 0 };
	unsigned char *done = NULL;
	size_t *left = NULL, i, j, k, x, c;
	tk_err e;

	memset(out, 0, sizeof(*out));
	if (n > TK_DAG_MAX_NODES)
		return TK_ERR_BAD_REQUEST;
	out->n = n;
	if ((e = graph_build(n, parents, nparents, &g)) != TK_OK)
		return e;
	e = TK_ERR_NOMEM;
	out->order = calloc(n + 1, sizeof(size_t));
	out->level = calloc(n + 1, sizeof(unsigned));
	h.v = calloc(n + 1, sizeof(size_t));
	done = calloc(n + 1, 1);
	left = calloc(n + 1, sizeof(size_t));
	if (out->order == NULL || out->level == NULL || h.v == NULL ||
	    done == NULL || left == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		left[i] = g.indeg[i];
		if (left[i] == 0)
			heap_push(&h, i);
	}
	for (k = 0; h.n > 0; k++) {
		x = heap_pop(&h);
		out->order[k] = x;
		done[x] = 1;
		for (j = g.child_off[x]; j < g.child_off[x + 1]; j++) {
			c = g.child[j];
			/* Parents are processed first, so their level is
			 * final when the child is reached. */
			if (out->level[x] + 1 > out->level[c])
				out->level[c] = out->level[x] + 1;
			if (--left[c] == 0)
				heap_push(&h, c);
		}
	}
	if (k < n) {
		free(out->order);
		free(out->level);
		out->order = NULL;
		out->level = NULL;
		e = find_cycle(n, parents, nparents, done, out);
		goto out;
	}
	e = group_levels(out);
out:
	free(h.v);
	free(done);
	free(left);
	graph_free(&g);
	if (e != TK_OK && e != TK_ERR_DEFINITION) {
		tk_dag_free(out);
		out->n = n;
	}
	return e;
}

void
tk_dag_free(struct tk_dag *d)
{
	free(d->order);
	free(d->level);
	free(d->by_level);
	free(d->level_start);
	free(d->cycle);
	memset(d, 0, sizeof(*d));
}
