/*
 * alloc.c - overflow-checked array allocation (see alloc.h).
 */
#include "tasker/alloc.h"

#include <stdint.h>
#include <stdlib.h>

void *
tk_reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	bytes = n * size;
	/* Not 0: realloc(p, 0) may free p and return NULL. */
	return realloc(p, bytes != 0 ? bytes : 1);
}

tk_err
tk_grow(void **arrp, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t c = *cap ? *cap : (first ? first : 1);
	void *p;

	if (need <= *cap)
		return TK_OK;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return TK_ERR_NOMEM;
		c *= 2;
	}
	if ((p = tk_reallocarray(*arrp, c, elem)) == NULL)
		return TK_ERR_NOMEM;
	*arrp = p;
	*cap = c;
	return TK_OK;
}
