/*
 * alloc.h - the allocation policy: no size is ever multiplied bare.
 *
 * An array of n elements is allocated or resized with tk_reallocarray,
 * which refuses a product that overflows size_t.  An array that grows
 * one element at a time does so with tk_grow: its capacity doubles (from
 * first), so n appends cost O(n) copies.  Both leave the old block as it
 * was when they fail; the caller still owns (and frees) it.
 */
#ifndef TASKER_ALLOC_H
#define TASKER_ALLOC_H

#include <stddef.h>

#include "tasker/error.h"

/* realloc(p, n * size), or NULL (p untouched) when that overflows or
 * memory runs out.  p may be NULL (an allocation). */
void  *tk_reallocarray(void *p, size_t n, size_t size);

/*
 * Makes the array *arrp (elements of elem bytes, *cap of them allocated)
 * hold at least need: capacity first, then doubled until it does.
 * TK_OK (*arrp and *cap updated) or TK_ERR_NOMEM (both unchanged).
 * arrp is the address of the caller's pointer, cast: (void **)&p.
 */
tk_err  tk_grow(void **arrp, size_t *cap, size_t need, size_t elem,
    size_t first);

#endif
