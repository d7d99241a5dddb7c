/*
 * buf.c - growable byte buffer.
 */
#include "tasker/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
tk_buf_init(struct tk_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void
tk_buf_free(struct tk_buf *b)
{
	free(b->data);
	tk_buf_init(b);
}

void
tk_buf_reset(struct tk_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. */
static tk_err
reserve(struct tk_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return TK_ERR_NOMEM;
	if (n > SIZE_MAX - b->len - 1)
		goto fail;
	need = b->len + n + 1;
	if (need <= b->cap)
		return TK_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	if ((p = realloc(b->data, cap)) == NULL)
		goto fail;
	b->data = p;
	b->cap = cap;
	return TK_OK;
fail:
	b->failed = 1;
	return TK_ERR_NOMEM;
}

tk_err
tk_buf_append(struct tk_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) != TK_OK)
		return TK_ERR_NOMEM;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return TK_OK;
}

tk_err
tk_buf_puts(struct tk_buf *b, const char *s)
{
	return tk_buf_append(b, s, strlen(s));
}

tk_err
tk_buf_putc(struct tk_buf *b, char c)
{
	return tk_buf_append(b, &c, 1);
}

/*
 * One vsnprintf into the room already there; a second, after growing,
 * only when the text did not fit (the answers' writers call this per
 * field: printf was an eighth of a task list's CPU, half of it the
 * sizing pass every call made).
 */
tk_err
tk_buf_printf(struct tk_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (b->failed)
		return TK_ERR_NOMEM;
	room = b->cap > b->len ? b->cap - b->len : 0;
	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto bad;
	if ((size_t)n >= room) {
		if (reserve(b, (size_t)n) != TK_OK) {
			if (room > 0)
				b->data[b->len] = '\0';   /* undo the cut write */
			return TK_ERR_NOMEM;
		}
		va_start(ap, fmt);
		n = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
		if (n < 0)
			goto bad;
	}
	b->len += (size_t)n;
	return TK_OK;
bad:
	if (b->data != NULL)
		b->data[b->len] = '\0';   /* what the failed call wrote */
	return TK_ERR_INTERNAL;
}

const char *
tk_buf_str(const struct tk_buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *
tk_buf_detach(struct tk_buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	tk_buf_init(b);
	return p;
}
