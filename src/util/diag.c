/*
 * diag.c - validation message list.
 */
#include "tasker/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/alloc.h"

void
tk_diag_init(struct tk_diag *d)
{
	d->msg = NULL;
	d->n = d->cap = 0;
}

void
tk_diag_free(struct tk_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->msg);
	tk_diag_init(d);
}

void
tk_diag_add(struct tk_diag *d, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (tk_grow((void **)&d->msg, &d->cap, d->n + 1, sizeof(*d->msg), 8)
	    != TK_OK) {
		free(s);
		return;
	}
	d->msg[d->n++] = s;
}

void
tk_diag_print(const struct tk_diag *d, FILE *f, const char *prefix)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(f, "%s%s\n", prefix ? prefix : "", d->msg[i]);
}

int
tk_diag_has(const struct tk_diag *d, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->msg[i], needle) != NULL)
			return 1;
	return 0;
}

const char *
tk_diag_quote(char out[TK_DIAG_QUOTE_SIZE], const char *s)
{
	size_t o = 0, i;

	for (i = 0; s[i] != '\0' && o < 60; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (s[i] != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
