/*
 * perm.c - permission matching and the principal's permission list.
 *
 * The wildcard rules are documented in perm.h.  Nothing here allocates
 * while matching, so an authorisation check cannot fail for lack of memory.
 */
#include "tasker/perm.h"

#include "tasker/alloc.h"
#include "tasker/handler.h"

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
clean_text(const char *s, size_t max)
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
	return clean_text(s, TK_PERM_MAX_LEN);
}

int
tk_subject_valid(const char *s)
{
	return clean_text(s, TK_SUBJECT_MAX_LEN);
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

/*
 * Adds a copy of s to the set v[0..*n) unless it is there already; at
 * most max members (TK_ERR_BAD_REQUEST beyond).  The set owns the copies.
 */
static tk_err
set_add(char ***v, size_t *n, size_t max, const char *s)
{
	char **nv, *copy;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return TK_OK;
	if (*n >= max)
		return TK_ERR_BAD_REQUEST;
	if ((copy = strdup(s)) == NULL)
		return TK_ERR_NOMEM;
	if ((nv = tk_reallocarray(*v, *n + 1, sizeof(*nv))) == NULL) {
		free(copy);
		return TK_ERR_NOMEM;
	}
	nv[(*n)++] = copy;
	*v = nv;
	return TK_OK;
}

tk_err
tk_principal_add_perm(struct tk_principal *p, const char *perm)
{
	return set_add(&p->perms, &p->nperms, TK_PERM_MAX_COUNT, perm);
}

tk_err
tk_principal_add_ns(struct tk_principal *p, const char *ns)
{
	if (ns == NULL || !tk_name_valid(ns))
		return TK_ERR_BAD_REQUEST;
	p->ns_limited = 1;
	return set_add(&p->ns, &p->nns, TK_NS_MAX_COUNT, ns);
}

int
tk_principal_scoped(const struct tk_principal *p)
{
	return p == NULL || p->ns_limited || p->own_tasks;
}

int
tk_principal_sees_ns(const struct tk_principal *p, const char *ns)
{
	size_t i;

	if (p == NULL || ns == NULL)
		return 0;
	if (!p->ns_limited)
		return 1;
	for (i = 0; i < p->nns; i++)
		if (strcmp(p->ns[i], ns) == 0)
			return 1;
	return 0;
}

int
tk_principal_sees_task(const struct tk_principal *p, const char *ns,
    const char *created_by)
{
	if (!tk_principal_sees_ns(p, ns))
		return 0;
	if (!p->own_tasks)
		return 1;
	return created_by != NULL && p->subject != NULL &&
	    strcmp(created_by, p->subject) == 0;
}

tk_err
tk_principal_copy(const struct tk_principal *src, struct tk_principal *dst)
{
	size_t i;
	tk_err e = TK_OK;

	if (src->subject != NULL)
		e = tk_principal_set_subject(dst, src->subject);
	for (i = 0; e == TK_OK && i < src->nperms; i++)
		e = tk_principal_add_perm(dst, src->perms[i]);
	for (i = 0; e == TK_OK && i < src->nns; i++)
		e = tk_principal_add_ns(dst, src->ns[i]);
	dst->ns_limited = src->ns_limited;
	dst->own_tasks = src->own_tasks;
	if (e != TK_OK) {
		tk_principal_free(dst);
		return TK_ERR_NOMEM;   /* src held only valid entries */
	}
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
	for (i = 0; i < p->nns; i++)
		free(p->ns[i]);
	free(p->ns);
	free(p->subject);
	p->subject = NULL;
	p->perms = NULL;
	p->nperms = 0;
	p->ns = NULL;
	p->nns = 0;
	p->ns_limited = 0;
	p->own_tasks = 0;
}
