/*
 * buf.h - a growable byte buffer, always NUL-terminated.
 *
 * The buffer owns its storage; tk_buf_free() releases it, tk_buf_detach()
 * hands it to the caller.  After an allocation failure the buffer is marked
 * failed and every later append is a no-op returning TK_ERR_NOMEM, so a
 * caller may append many pieces and check once at the end.
 */
#ifndef TASKER_BUF_H
#define TASKER_BUF_H

#include <stddef.h>

#include "tasker/error.h"

struct tk_buf {
	char   *data;   /* NUL-terminated once anything was appended */
	size_t  len;    /* bytes used, not counting the NUL */
	size_t  cap;    /* bytes allocated */
	int     failed; /* an allocation failed */
};

#define TK_BUF_INIT { NULL, 0, 0, 0 }

void   tk_buf_init(struct tk_buf *b);
void   tk_buf_free(struct tk_buf *b);
void   tk_buf_reset(struct tk_buf *b);          /* len = 0, keeps storage */
tk_err tk_buf_append(struct tk_buf *b, const void *p, size_t n);
tk_err tk_buf_puts(struct tk_buf *b, const char *s);
tk_err tk_buf_putc(struct tk_buf *b, char c);
tk_err tk_buf_printf(struct tk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The contents, "" when empty; valid until the next append or free. */
const char *tk_buf_str(const struct tk_buf *b);
/* Hands the storage to the caller (free() it); the buffer is emptied. */
char  *tk_buf_detach(struct tk_buf *b);

#endif
