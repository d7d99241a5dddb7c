/*
 * diag.h - a list of human-readable problems found while validating input
 * (a config file, a handler YAML file, a request body).
 *
 * Validators keep going after the first problem and add one message per
 * problem, so an operator sees everything wrong at once.  Messages name the
 * file, the line and the key, e.g. "etc/tasker.yaml:12: api.max_per_page:
 * must be between 1 and 1000".  The list owns its strings.
 */
#ifndef TASKER_DIAG_H
#define TASKER_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct tk_diag {
	char   **msg;
	size_t   n;
	size_t   cap;
};

#define TK_DIAG_INIT { NULL, 0, 0 }

void tk_diag_init(struct tk_diag *d);
void tk_diag_free(struct tk_diag *d);
/* Adds a message; on allocation failure the message is dropped silently. */
void tk_diag_add(struct tk_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints each message on its own line, prefixed by prefix (may be NULL). */
void tk_diag_print(const struct tk_diag *d, FILE *f, const char *prefix);
/*
 * A hostile string made safe to quote in a message: at most 60 bytes of it,
 * every byte outside printable ASCII shown as '?', "..." when cut.  out
 * needs TK_DIAG_QUOTE_SIZE bytes; returns out.
 */
#define TK_DIAG_QUOTE_SIZE 72
const char *tk_diag_quote(char out[TK_DIAG_QUOTE_SIZE], const char *s);
/* 1 when some message contains needle: for tests. */
int  tk_diag_has(const struct tk_diag *d, const char *needle);

#endif
