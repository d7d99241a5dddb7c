/*
 * remote_user.c - REMOTE_USER mapping (remote_user mode): the web server
 * authenticated the caller; the grants of auth.users and auth.groups,
 * checked and copied at start, give the principal its permissions and
 * scope.
 */
#include <stdlib.h>
#include <string.h>

#include "tasker/handler.h"  /* tk_name_valid */
#include "tasker/log.h"
#include "tasker/utf8.h"

#include "internal.h"

#define GROUPS_MAX_COUNT  256    /* groups read from the groups variable */

void
auth_grants_free(struct tk_perm_grant *g, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < g[i].nperms; j++)
			free(g[i].perms[j]);
		free(g[i].perms);
		for (j = 0; j < g[i].nnamespaces; j++)
			free(g[i].namespaces[j]);
		free(g[i].namespaces);
		free(g[i].name);
	}
	free(g);
}

/*
 * Copies and checks the scope of grant src (index i of list what) into g.
 * TK_ERR_NOMEM only; problems are reported.
 */
static tk_err
copy_scope(const char *what, size_t i, const struct tk_perm_grant *src,
    struct tk_perm_grant *g, struct tk_diag *diag, int *nbad)
{
	size_t j;

	g->ns_limited = src->ns_limited;
	g->own_tasks = src->own_tasks;
	if (src->nnamespaces == 0)
		return TK_OK;
	if (src->nnamespaces > TK_NS_MAX_COUNT) {
		auth_problem(diag, nbad, "auth.%s[%zu] (%s): more than %d "
		    "namespaces", what, i, src->name, TK_NS_MAX_COUNT);
		return TK_OK;
	}
	if ((g->namespaces = calloc(src->nnamespaces, sizeof(char *))) == NULL)
		return TK_ERR_NOMEM;
	for (j = 0; j < src->nnamespaces; j++) {
		if (src->namespaces[j] == NULL ||
		    !tk_name_valid(src->namespaces[j])) {
			auth_problem(diag, nbad, "auth.%s[%zu] (%s): namespace "
			    "%zu: not a namespace name", what, i, src->name, j);
			continue;
		}
		if ((g->namespaces[g->nnamespaces] =
		    strdup(src->namespaces[j])) == NULL)
			return TK_ERR_NOMEM;
		g->nnamespaces++;
	}
	return TK_OK;
}

/* Deep-copies and checks the grants of one list ("users", "groups"). */
tk_err
auth_grants_copy(const char *what, const struct tk_perm_grant *src, size_t n,
    struct tk_perm_grant **dst, size_t *ndst, struct tk_diag *diag,
    int *nbad)
{
	struct tk_perm_grant *g;
	size_t i, j;

	*dst = NULL;
	*ndst = 0;
	if (n == 0)
		return TK_OK;
	if ((g = calloc(n, sizeof(*g))) == NULL)
		return TK_ERR_NOMEM;
	*dst = g;
	*ndst = n;
	for (i = 0; i < n; i++) {
		if (!tk_subject_valid(src[i].name)) {
			auth_problem(diag, nbad, "auth.%s[%zu]: name: must be "
			    "1..%d bytes without control characters", what, i,
			    TK_SUBJECT_MAX_LEN);
			continue;
		}
		if (src[i].nperms > TK_PERM_MAX_COUNT) {
			auth_problem(diag, nbad, "auth.%s[%zu] (%s): more than "
			    "%d permissions", what, i, src[i].name,
			    TK_PERM_MAX_COUNT);
			continue;
		}
		if ((g[i].name = strdup(src[i].name)) == NULL)
			return TK_ERR_NOMEM;
		if (copy_scope(what, i, &src[i], &g[i], diag, nbad) != TK_OK)
			return TK_ERR_NOMEM;
		if (src[i].nperms == 0)
			continue;
		g[i].perms = calloc(src[i].nperms, sizeof(char *));
		if (g[i].perms == NULL)
			return TK_ERR_NOMEM;
		for (j = 0; j < src[i].nperms; j++) {
			if (!tk_perm_valid(src[i].perms[j])) {
				auth_problem(diag, nbad, "auth.%s[%zu] (%s): "
				    "permission %zu: must be 1..%d bytes "
				    "without control characters", what, i,
				    src[i].name, j, TK_PERM_MAX_LEN);
				continue;
			}
			if ((g[i].perms[g[i].nperms] =
			    strdup(src[i].perms[j])) == NULL)
				return TK_ERR_NOMEM;
			g[i].nperms++;
		}
	}
	return TK_OK;
}

static const struct tk_perm_grant *
find_grant(const struct tk_perm_grant *g, size_t n, const char *name,
    size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].name != NULL && strlen(g[i].name) == len &&
		    memcmp(g[i].name, name, len) == 0)
			return &g[i];
	return NULL;
}

/* Adds the grant's permissions; stops quietly at TK_PERM_MAX_COUNT. */
static tk_err
add_grant(struct tk_principal *p, const struct tk_perm_grant *g)
{
	size_t i;
	tk_err e;

	for (i = 0; g != NULL && i < g->nperms; i++) {
		e = tk_principal_add_perm(p, g->perms[i]);
		if (e == TK_ERR_BAD_REQUEST) {
			tk_log(TK_LOG_WARN, "event=auth_too_many_permissions "
			    "limit=%d", TK_PERM_MAX_COUNT);
			return TK_OK;
		}
		if (e != TK_OK)
			return e;
	}
	return TK_OK;
}

/*
 * The scope the grants that apply add up to (they add up like their
 * permissions): every namespace when one of them is not limited, else
 * the union of their namespaces; own tasks only when all of them say so.
 * No grant at all: nothing.
 */
struct grant_scope {
	size_t napplied;
	int    unlimited;
	int    all_own;
};

/* Adds g (NULL: none applies) to p's permissions and to sc. */
static tk_err
apply_grant(struct tk_principal *p, const struct tk_perm_grant *g,
    struct grant_scope *sc)
{
	size_t i;
	tk_err e;

	if (g == NULL)
		return TK_OK;
	sc->napplied++;
	if (!g->ns_limited)
		sc->unlimited = 1;
	if (!g->own_tasks)
		sc->all_own = 0;
	for (i = 0; i < g->nnamespaces; i++) {
		e = tk_principal_add_ns(p, g->namespaces[i]);
		if (e == TK_ERR_BAD_REQUEST) {
			/* Names were checked at start: the grants together
			 * hold more than the cap.  Fewer is the safe side. */
			tk_log(TK_LOG_WARN, "event=auth_too_many_namespaces "
			    "limit=%d", TK_NS_MAX_COUNT);
			break;
		}
		if (e != TK_OK)
			return e;
	}
	return add_grant(p, g);
}

/* Sets p's scope from sc once every grant was applied. */
static void
finish_scope(struct tk_principal *p, const struct grant_scope *sc)
{
	size_t i;

	p->own_tasks = sc->napplied > 0 && sc->all_own;
	p->ns_limited = sc->napplied == 0 || !sc->unlimited;
	if (p->ns_limited)
		return;
	for (i = 0; i < p->nns; i++)
		free(p->ns[i]);
	free(p->ns);
	p->ns = NULL;
	p->nns = 0;
}

/* remote_user mode (see internal.h). */
tk_err
auth_remote_user(const struct tk_auth *a, const struct tk_auth_input *in,
    struct tk_principal *out, const char **werr, const char **reason)
{
	struct tk_principal p = TK_PRINCIPAL_INIT;
	struct grant_scope sc = { 0, 0, 1 };
	const char *u = in->remote_user, *s;
	size_t n, count = 0;
	tk_err e;

	*werr = NULL;
	if (u == NULL || *u == '\0') {
		*reason = "no_remote_user";
		return TK_ERR_AUTHENTICATION;
	}
	/* UTF-8 too: the name is stored as created_by and shown in JSON. */
	if (!tk_subject_valid(u) || !tk_utf8_valid(u, strlen(u))) {
		*reason = "bad_remote_user";
		return TK_ERR_AUTHENTICATION;
	}
	if ((e = tk_principal_set_subject(&p, u)) != TK_OK)
		goto out;
	if ((e = apply_grant(&p, find_grant(a->users, a->nusers, u,
	    strlen(u)), &sc)) != TK_OK)
		goto out;
	for (s = in->remote_groups; s != NULL && *s != '\0'; s += n) {
		s += strspn(s, ", \t");
		if ((n = strcspn(s, ", \t")) == 0 ||
		    ++count > GROUPS_MAX_COUNT)
			break;
		if ((e = apply_grant(&p, find_grant(a->groups, a->ngroups, s,
		    n), &sc)) != TK_OK)
			goto out;
	}
	finish_scope(&p, &sc);
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	tk_principal_free(&p);
	return e;
}
