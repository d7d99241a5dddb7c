/*
 * router.c - matching a request against the caller's route table.
 *
 * The table is data (see struct tk_route); patterns are read on every
 * match, which for tasker's dozen routes costs less than copying the
 * request.  A pattern matches a path of the same number of segments
 * whose literal segments are equal; {param} segments match anything
 * (every segment is non-empty, see tk_path_extract).  Where several
 * routes match, literals beat params at the first place they differ.
 */
#include "tasker/http.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Methods in the order an Allow header lists them. */
static const char *const known_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"
};
#define NKNOWN (sizeof(known_methods) / sizeof(known_methods[0]))

/* Entries a bad table may hold are skipped, never dereferenced. */
static int
usable(const struct tk_route *r)
{
	return r->method != NULL && r->pattern != NULL && r->handler != NULL;
}

static int
is_param(const char *s, size_t n)
{
	return n >= 2 && s[0] == '{' && s[n - 1] == '}';
}

/*
 * Matches pattern against path.  On a match returns 1, sets *lit (bit i:
 * segment i is a literal) and, when param is not NULL, the captures.
 */
static int
pattern_match(const char *pattern, const struct tk_path *path,
    uint32_t *lit, struct tk_path_param *param, size_t *nparam)
{
	const char *s, *e;
	size_t i = 0, n, np = 0;
	uint32_t mask = 0;

	if (pattern == NULL)
		return 0;
	if (strcmp(pattern, "/") == 0)
		s = "";
	else
		s = pattern;
	while (*s == '/') {
		s++;
		e = s + strcspn(s, "/");
		n = (size_t)(e - s);
		if (i == path->nseg)
			return 0;
		if (is_param(s, n)) {
			if (param != NULL) {
				param[np].name = s + 1;
				param[np].namelen = n - 2;
				param[np].value = path->seg[i];
			}
			np++;
		} else if (strlen(path->seg[i]) != n ||
		    memcmp(path->seg[i], s, n) != 0)
			return 0;
		else
			mask |= (uint32_t)1 << i;
		i++;
		s = e;
	}
	if (i != path->nseg)
		return 0;
	*lit = mask;
	if (nparam != NULL)
		*nparam = np;
	return 1;
}

/* 1 when a (literal mask) is more specific than b. */
static int
more_specific(uint32_t a, uint32_t b)
{
	uint32_t d = a ^ b;

	if (d == 0)
		return 0;
	return (a & (d & -d)) != 0;       /* lowest differing segment */
}

/* Appends method to the Allow list unless it is there or does not fit. */
static void
allow_add(char *allow, size_t allowsz, const char *method)
{
	size_t len = strlen(allow), mlen = strlen(method);
	const char *p;

	for (p = allow; (p = strstr(p, method)) != NULL; p += mlen)
		if ((p == allow || p[-1] == ' ') &&
		    (p[mlen] == ',' || p[mlen] == '\0'))
			return;
	if (len + (len ? 2 : 0) + mlen + 1 > allowsz)
		return;
	snprintf(allow + len, allowsz - len, "%s%s", len ? ", " : "", method);
}

static void
make_allow(const struct tk_route *routes, size_t nroutes,
    const struct tk_path *path, char *allow, size_t allowsz)
{
	unsigned known = 0;
	uint32_t lit;
	size_t i, k;

	if (allow == NULL || allowsz == 0)
		return;
	allow[0] = '\0';
	for (i = 0; i < nroutes; i++) {
		if (!usable(&routes[i]) ||
		    !pattern_match(routes[i].pattern, path, &lit, NULL, NULL))
			continue;
		for (k = 0; k < NKNOWN; k++)
			if (strcmp(routes[i].method, known_methods[k]) == 0)
				known |= 1u << k;
	}
	if (known & 1u)                   /* GET serves HEAD */
		known |= 2u;
	for (k = 0; k < NKNOWN; k++)
		if (known & (1u << k))
			allow_add(allow, allowsz, known_methods[k]);
	for (i = 0; i < nroutes; i++)
		if (usable(&routes[i]) &&
		    pattern_match(routes[i].pattern, path, &lit, NULL, NULL))
			allow_add(allow, allowsz, routes[i].method);
}

tk_err
tk_route_match(const struct tk_route *routes, size_t nroutes,
    struct tk_request *req, char *allow, size_t allowsz)
{
	const struct tk_route *exact = NULL, *viaget = NULL, *r;
	uint32_t lit, exactlit = 0, getlit = 0;
	int head, anypath = 0;
	size_t i;

	req->route = NULL;
	req->nparam = 0;
	if (allow != NULL && allowsz > 0)
		allow[0] = '\0';
	if (req->method == NULL)
		return TK_ERR_BAD_REQUEST;
	head = strcmp(req->method, "HEAD") == 0;
	for (i = 0; i < nroutes; i++) {
		r = &routes[i];
		if (!usable(r) ||
		    !pattern_match(r->pattern, &req->path, &lit, NULL, NULL))
			continue;
		anypath = 1;
		if (strcmp(r->method, req->method) == 0) {
			if (exact == NULL || more_specific(lit, exactlit)) {
				exact = r;
				exactlit = lit;
			}
		} else if (head && strcmp(r->method, "GET") == 0) {
			if (viaget == NULL || more_specific(lit, getlit)) {
				viaget = r;
				getlit = lit;
			}
		}
	}
	if ((r = exact != NULL ? exact : viaget) != NULL) {
		pattern_match(r->pattern, &req->path, &lit, req->param,
		    &req->nparam);
		req->route = r;
		return TK_OK;
	}
	if (!anypath)
		return TK_ERR_ROUTE_NOT_FOUND;
	make_allow(routes, nroutes, &req->path, allow, allowsz);
	return TK_ERR_METHOD_NOT_ALLOWED;
}

/* ---------------------------------------------------------- Table check */

static int
param_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* A message when pattern is malformed, else NULL. */
static const char *
pattern_problem(const char *pattern)
{
	const char *s, *e, *t, *u;
	size_t n, nseg = 0;

	if (pattern == NULL || pattern[0] != '/')
		return "pattern must start with '/'";
	if (strcmp(pattern, "/") == 0)
		return NULL;
	for (s = pattern; *s == '/'; s = e) {
		s++;
		e = s + strcspn(s, "/");
		n = (size_t)(e - s);
		if (n == 0)
			return "pattern has an empty segment";
		if (++nseg > TK_PATH_MAX_SEGS)
			return "pattern has too many segments";
		if (is_param(s, n)) {
			if (!param_name_ok(s + 1, n - 2))
				return "parameter names are [a-z0-9_]+";
			/* Unique among the earlier segments. */
			for (t = pattern; t < s - 1; t = u) {
				t++;
				u = t + strcspn(t, "/");
				if ((size_t)(u - t) == n &&
				    memcmp(t, s, n) == 0)
					return "parameter name used twice";
			}
		} else if (memchr(s, '{', n) || memchr(s, '}', n))
			return "a segment is a {param} or has no braces";
	}
	return NULL;
}

/* 1 when two well-formed patterns have the same shape. */
static int
same_shape(const char *a, const char *b)
{
	const char *ae, *be;
	size_t an, bn;

	if (strcmp(a, "/") == 0 || strcmp(b, "/") == 0)
		return strcmp(a, b) == 0;
	while (*a == '/' && *b == '/') {
		a++;
		b++;
		ae = a + strcspn(a, "/");
		be = b + strcspn(b, "/");
		an = (size_t)(ae - a);
		bn = (size_t)(be - b);
		if (is_param(a, an) != is_param(b, bn))
			return 0;
		if (!is_param(a, an) && (an != bn || memcmp(a, b, an) != 0))
			return 0;
		a = ae;
		b = be;
	}
	return *a == '\0' && *b == '\0';
}

tk_err
tk_routes_check(const struct tk_route *routes, size_t nroutes,
    struct tk_diag *diag)
{
	const struct tk_route *r;
	const char *why;
	size_t i, j;
	int bad = 0;

#define PROBLEM(...) do {                                       \
	bad = 1;                                                \
	if (diag != NULL)                                       \
		tk_diag_add(diag, __VA_ARGS__);                 \
} while (0)

	for (i = 0; i < nroutes; i++) {
		r = &routes[i];
		if (!tk_http_method_valid(r->method))
			PROBLEM("route %zu: method must be 1..16 of A-Z", i);
		if ((why = pattern_problem(r->pattern)) != NULL)
			PROBLEM("route %zu (%s): %s", i,
			    r->pattern ? r->pattern : "NULL", why);
		if (r->handler == NULL)
			PROBLEM("route %zu (%s): no handler", i,
			    r->pattern ? r->pattern : "NULL");
		if (r->permission != NULL && r->permission[0] == '\0')
			PROBLEM("route %zu (%s): empty permission", i,
			    r->pattern ? r->pattern : "NULL");
		if (why != NULL || !tk_http_method_valid(r->method))
			continue;
		for (j = 0; j < i; j++) {
			if (!tk_http_method_valid(routes[j].method) ||
			    pattern_problem(routes[j].pattern) != NULL)
				continue;
			if (strcmp(routes[j].method, r->method) == 0 &&
			    same_shape(routes[j].pattern, r->pattern))
				PROBLEM("route %zu (%s %s) can never match: "
				    "route %zu (%s) has the same shape", i,
				    r->method, r->pattern, j,
				    routes[j].pattern);
		}
	}
#undef PROBLEM
	return bad ? TK_ERR_INTERNAL : TK_OK;
}
