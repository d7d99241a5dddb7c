/*
 * strlist.c - lists of C strings (see strlist.h).
 */
#include "tasker/strlist.h"

#include <stddef.h>
#include <string.h>

int
tk_name_listed(const char *const *names, const char *s)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return 1;
	return 0;
}

int
tk_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}
