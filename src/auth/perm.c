/*
 * perm.c - permission matching and the principal's permission list.
 *
 * The wildcard rules are documented in perm.h.  Nothing here allocates
 * while matching, so an authorisation check cannot fail for lack of memory.
 */
#include "tasker/perm.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/utf8.h"

int
tk_perm_match(const char *granted, const char *required)
{
	size_t glen;

	if (granted == NULL || required == NULL || *granted == '\0' ||
	    *required == '\0')
		return 0;
	if (strcmp(granted, "*") == 0)
		return 1;
	glen = strlen(granted);
	if (glen >= 2 && granted[glen - 1] == '*' &&
	    (granted[glen - 2] == '.' || granted[glen - 2] == ':'))
		/* Prefix up to and including the separator, then more. */
		return strncmp(granted, required, glen - 1) == 0 &&
		    strlen(required) > glen - 1;
	return strcmp(granted, required) == 0;
}

int
tk_principal_allows(const struct tk_principal *p, const char *required)
{
	size_t i;

	if (p == NULL)
		return 0;
	for (i = 0; i < p->nperms; i++)
		if (tk_perm_match(p->perms[i], required))
			return 1;
	return 0;
}

/*
 * 1 when s is 1..max bytes of strict UTF-8 without control characters:
 * no C0 (U+0000..U+001F), DEL, or C1 (U+0080..U+009F, the bytes C2 80..
 * C2 9F).  Subjects end up in log lines and in the database (actor,
 * initiator), where any of these could forge or break a line or a
 * strict client's JSON.
 */
static int
printable(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		if (n == max)
			return 0;
		if (p[n] < 0x20 || p[n] == 0x7f ||
		    (p[n] == 0xc2 && p[n + 1] >= 0x80 && p[n + 1] <= 0x9f))
			return 0;
	}
	return n > 0 && tk_utf8_valid(s, n);
}

int
tk_perm_valid(const char *s)
{
	return printable(s, TK_PERM_MAX_LEN);
}

int
tk_subject_valid(const char *s)
{
	return printable(s, TK_SUBJECT_MAX_LEN);
}

tk_err
tk_principal_set_subject(struct tk_principal *p, const char *s)
{
	char *copy;

	if ((copy = strdup(s)) == NULL)
		return TK_ERR_NOMEM;
	free(p->subject);
	p->subject = copy;
	return TK_OK;
}

tk_err
tk_principal_add_perm(struct tk_principal *p, const char *perm)
{
	char **np, *copy;
	size_t i;

	for (i = 0; i < p->nperms; i++)
		if (strcmp(p->perms[i], perm) == 0)
			return TK_OK;
	if (p->nperms >= TK_PERM_MAX_COUNT)
		return TK_ERR_BAD_REQUEST;
	if ((copy = strdup(perm)) == NULL)
		return TK_ERR_NOMEM;
	np = realloc(p->perms, (p->nperms + 1) * sizeof(*np));
	if (np == NULL) {
		free(copy);
		return TK_ERR_NOMEM;
	}
	np[p->nperms++] = copy;
	p->perms = np;
	return TK_OK;
}

void
tk_principal_free(struct tk_principal *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nperms; i++)
		free(p->perms[i]);
	free(p->perms);
	free(p->subject);
	p->subject = NULL;
	p->perms = NULL;
	p->nperms = 0;
}
