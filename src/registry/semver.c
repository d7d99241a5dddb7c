/*
 * semver.c - parse and order Semantic Versioning 2.0.0 strings.
 *
 * The grammar is the one of semver.org, checked byte by byte; nothing is
 * allocated.  Numeric pre-release identifiers have no leading zeros, so
 * they compare by length first and then as text, whatever their size.
 */
#include "tasker/semver.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int
is_ident(char c)
{
	return isdigit((unsigned char)c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '-';
}

/*
 * Reads one numeric part at *p: "0" or [1-9][0-9]*, at most UINT32_MAX.
 * Advances *p past it.  Returns 0 on success, -1 when malformed.
 */
static int
read_number(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	if (*s == '0' && isdigit((unsigned char)s[1]))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
		s++;
	}
	*out = (uint32_t)v;
	*p = s;
	return 0;
}

/*
 * Checks a dot-separated identifier list [s, s + len).  numeric_rule: no
 * leading zeros in all-digit identifiers (pre-release, not build).
 */
static int
check_idents(const char *s, size_t len, int numeric_rule)
{
	size_t i, start = 0;
	int alldigits = 1;

	if (len == 0)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (i == start)
				return -1;      /* empty identifier */
			if (numeric_rule && alldigits && s[start] == '0' &&
			    i - start > 1)
				return -1;      /* leading zero */
			start = i + 1;
			alldigits = 1;
			continue;
		}
		if (!is_ident(s[i]))
			return -1;
		if (!isdigit((unsigned char)s[i]))
			alldigits = 0;
	}
	return 0;
}

tk_err
tk_semver_parse(const char *s, struct tk_semver *out)
{
	const char *p, *pre = NULL, *build = NULL, *end;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return TK_ERR_BAD_REQUEST;
	len = strnlen(s, TK_SEMVER_MAX + 1);
	if (len == 0 || len > TK_SEMVER_MAX)
		return TK_ERR_BAD_REQUEST;
	end = s + len;
	p = s;
	if (read_number(&p, &out->major) || *p++ != '.' ||
	    read_number(&p, &out->minor) || *p++ != '.' ||
	    read_number(&p, &out->patch))
		goto bad;
	if (*p == '-') {
		pre = ++p;
		while (p < end && *p != '+')
			p++;
		if (check_idents(pre, (size_t)(p - pre), 1))
			goto bad;
	}
	if (*p == '+') {
		build = ++p;
		if (check_idents(build, (size_t)(end - build), 0))
			goto bad;
		p = end;
	}
	if (p != end)
		goto bad;
	memcpy(out->str, s, len);
	out->str[len] = '\0';
	if (pre != NULL) {
		out->pre_off = (uint8_t)(pre - s);
		out->pre_len = (uint8_t)((build ? build - 1 : end) - pre);
	}
	if (build != NULL) {
		out->build_off = (uint8_t)(build - s);
		out->build_len = (uint8_t)(end - build);
	}
	return TK_OK;
bad:
	memset(out, 0, sizeof(*out));
	return TK_ERR_BAD_REQUEST;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Compares two single pre-release identifiers by semver rules. */
static int
cmp_ident(const char *a, size_t na, const char *b, size_t nb)
{
	int da = all_digits(a, na), db = all_digits(b, nb), c;

	if (da && db) {
		if (na != nb)
			return na < nb ? -1 : 1;
		return memcmp(a, b, na);
	}
	if (da != db)
		return da ? -1 : 1;     /* numeric < alphanumeric */
	c = memcmp(a, b, na < nb ? na : nb);
	if (c != 0)
		return c;
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

/* Compares two pre-release lists; both non-empty. */
static int
cmp_pre(const char *a, size_t na, const char *b, size_t nb)
{
	size_t ia = 0, ib = 0, ea, eb;
	int c;

	for (;;) {
		if (ia >= na || ib >= nb)
			break;
		for (ea = ia; ea < na && a[ea] != '.'; ea++)
			;
		for (eb = ib; eb < nb && b[eb] != '.'; eb++)
			;
		if ((c = cmp_ident(a + ia, ea - ia, b + ib, eb - ib)) != 0)
			return c < 0 ? -1 : 1;
		ia = ea + 1;
		ib = eb + 1;
	}
	/* A larger set of identifiers has higher precedence. */
	if (ia < na)
		return 1;
	if (ib < nb)
		return -1;
	return 0;
}

int
tk_semver_cmp(const struct tk_semver *a, const struct tk_semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	/* A pre-release has lower precedence than the release. */
	if (a->pre_len == 0 || b->pre_len == 0) {
		if (a->pre_len == b->pre_len)
			return 0;
		return a->pre_len == 0 ? 1 : -1;
	}
	return cmp_pre(a->str + a->pre_off, a->pre_len,
	    b->str + b->pre_off, b->pre_len);
}

int
tk_semver_is_prerelease(const struct tk_semver *v)
{
	return v->pre_len > 0;
}

/* ---------------------------------------------------------------- ranges */

/*
 * A version as a range writes it: up to three parts, each a number or a
 * wildcard (x, X, *).  nx is how many leading parts are numbers (0: "*"
 * or nothing); parts after the first wildcard are ignored, as npm does.
 */
struct partial {
	uint32_t    n[3];
	int         nx;
	const char *pre;        /* the pre-release without '-', when nx 3 */
	size_t      prelen;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static const char *
skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* Reads one part: a number or a wildcard (*x = 1). */
static int
read_part(const char **p, uint32_t *out, int *x)
{
	*x = 0;
	if (**p == 'x' || **p == 'X' || **p == '*') {
		(*p)++;
		*x = 1;
		*out = 0;
		return 0;
	}
	return read_number(p, out);
}

/* Reads the optional -PRE and +BUILD after a full version. */
static int
read_qualifier(const char **pp, struct partial *v)
{
	const char *p = *pp, *s;

	if (*p == '-') {
		for (s = ++p; *p != '\0' && *p != '+' && !is_space(*p) &&
		    *p != '|'; p++)
			;
		if (check_idents(s, (size_t)(p - s), 1))
			return -1;
		v->pre = s;
		v->prelen = (size_t)(p - s);
	}
	if (*p == '+') {
		for (s = ++p; *p != '\0' && !is_space(*p) && *p != '|'; p++)
			;
		if (check_idents(s, (size_t)(p - s), 0))
			return -1;
	}
	*pp = p;
	return 0;
}

/*
 * Reads a partial version at *pp; it must end at a space or the end.
 * After a wildcard only wildcards may follow (1.x.5 is no range); a
 * pre-release counts only on a full version, build metadata never.
 */
static int
read_partial(const char **pp, struct partial *v)
{
	const char *p = *pp;
	int i, x, seen_x = 0;

	memset(v, 0, sizeof(*v));
	if (*p == 'v')
		p++;
	for (i = 0; i < 3; i++) {
		if (i > 0 && *p != '.')
			break;
		if (i > 0)
			p++;
		if (read_part(&p, &v->n[i], &x) || (seen_x && !x))
			return -1;
		seen_x |= x;
		if (!seen_x)
			v->nx = i + 1;
	}
	if ((i == 3 || *p == '+') && read_qualifier(&p, v))
		return -1;
	if (v->nx < 3) {
		v->pre = NULL;
		v->prelen = 0;
	}
	if (*p != '\0' && !is_space(*p))
		return -1;
	*pp = p;
	return 0;
}

/* Appends the comparator op M.m.p[-pre] to set. */
static int
add_comp(struct tk_semver_range *r, enum tk_semver_op op, const uint32_t n[3],
    const char *pre, size_t prelen)
{
	char text[TK_SEMVER_MAX + 2];
	struct tk_semver_comp *c;
	int len;

	if (op == TK_SV_GE && n[0] == 0 && n[1] == 0 && n[2] == 0 &&
	    pre == NULL)
		return 0;   /* >=0.0.0: every release; npm drops it too */
	if (r->ncomps == TK_SEMVER_RANGE_COMPS)
		return -1;
	len = snprintf(text, sizeof(text), "%u.%u.%u%s%.*s", (unsigned)n[0],
	    (unsigned)n[1], (unsigned)n[2], pre != NULL ? "-" : "",
	    (int)prelen, pre != NULL ? pre : "");
	if (len < 0 || (size_t)len >= sizeof(text))
		return -1;
	c = &r->comp[r->ncomps];
	if (tk_semver_parse(text, &c->v) != TK_OK)
		return -1;
	c->op = op;
	c->set = r->nsets - 1;
	r->ncomps++;
	return 0;
}

/*
 * Appends op (LT, or GE for the lower end after a wildcard) with the
 * version after all versions of the first `level` parts of n
 * (level 1: M+1.0.0, 2: M.m+1.0, 3: M.m.p+1), carrying on overflow.
 * Past the largest version: an LT bound is no bound, a GE bound
 * allows nothing (<0.0.0-0).  LT bounds get the pre-release 0, the
 * lowest there is, so that no pre-release of the bound slips under.
 */
static int
add_next(struct tk_semver_range *r, enum tk_semver_op op, const uint32_t n[3],
    int level)
{
	static const uint32_t zero[3] = { 0, 0, 0 };
	uint32_t b[3] = { 0, 0, 0 };
	int i;

	while (level > 0 && n[level - 1] == UINT32_MAX)
		level--;
	if (level == 0)
		return op == TK_SV_LT ? 0 : add_comp(r, TK_SV_LT, zero, "0", 1);
	for (i = 0; i < level - 1; i++)
		b[i] = n[i];
	b[level - 1] = n[level - 1] + 1;
	return add_comp(r, op, b, op == TK_SV_LT ? "0" : NULL,
	    op == TK_SV_LT ? 1 : 0);
}

/* ">=" the lowest version of v (its wildcards as 0). */
static int
add_low(struct tk_semver_range *r, const struct partial *v)
{
	if (v->nx == 0)
		return 0;
	return add_comp(r, TK_SV_GE, v->n, v->pre, v->prelen);
}

/* An X-range or exact version without an operator (or with "="). */
static int
add_plain(struct tk_semver_range *r, const struct partial *v)
{
	if (v->nx == 3)
		return add_comp(r, TK_SV_EQ, v->n, v->pre, v->prelen);
	if (v->nx == 0)
		return 0;
	return add_low(r, v) || add_next(r, TK_SV_LT, v->n, v->nx);
}

/* "<", "<=", ">", ">=" before a version with wildcards. */
static int
add_x_compare(struct tk_semver_range *r, enum tk_semver_op op,
    const struct partial *v)
{
	static const uint32_t zero[3] = { 0, 0, 0 };

	if (v->nx == 0)
		return op == TK_SV_LT || op == TK_SV_GT ?
		    add_comp(r, TK_SV_LT, zero, "0", 1) : 0;
	switch (op) {
	case TK_SV_GT:
		return add_next(r, TK_SV_GE, v->n, v->nx);
	case TK_SV_LE:
		return add_next(r, TK_SV_LT, v->n, v->nx);
	case TK_SV_LT:
		return add_comp(r, TK_SV_LT, v->n, "0", 1);
	default:
		return add_comp(r, TK_SV_GE, v->n, NULL, 0);
	}
}

/* ~v: patch-level changes (minor-level when only a major is given). */
static int
add_tilde(struct tk_semver_range *r, const struct partial *v)
{
	if (v->nx == 0)
		return 0;
	return add_low(r, v) ||
	    add_next(r, TK_SV_LT, v->n, v->nx == 1 ? 1 : 2);
}

/* ^v: changes that do not modify the left-most non-zero part. */
static int
add_caret(struct tk_semver_range *r, const struct partial *v)
{
	int level;

	if (v->nx == 0)
		return 0;
	if (v->n[0] != 0 || v->nx == 1)
		level = 1;
	else if (v->n[1] != 0 || v->nx == 2)
		level = 2;
	else
		level = 3;
	return add_low(r, v) || add_next(r, TK_SV_LT, v->n, level);
}

/* Reads an operator at *pp (none: *op = -1). */
static void
read_op(const char **pp, int *op)
{
	static const struct { const char *s; int op; } ops[] = {
		{ "<=", TK_SV_LE }, { ">=", TK_SV_GE }, { "<", TK_SV_LT },
		{ ">", TK_SV_GT }, { "=", TK_SV_EQ }, { "~>", '~' },
		{ "~", '~' }, { "^", '^' },
	};
	size_t i, n;

	*op = -1;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		n = strlen(ops[i].s);
		if (strncmp(*pp, ops[i].s, n) == 0) {
			*op = ops[i].op;
			*pp += n;
			return;
		}
	}
}

/* One comparator (operator and partial version) into r. */
static int
add_one(struct tk_semver_range *r, int op, const struct partial *v)
{
	if (op == '~')
		return add_tilde(r, v);
	if (op == '^')
		return add_caret(r, v);
	if (op == -1 || (op == TK_SV_EQ && v->nx < 3))
		return add_plain(r, v);
	if (v->nx < 3)
		return add_x_compare(r, (enum tk_semver_op)op, v);
	return add_comp(r, (enum tk_semver_op)op, v->n, v->pre, v->prelen);
}

/* "A - B" as the whole set s: 1 when it is one (and *bad on error). */
static int
hyphen(struct tk_semver_range *r, const char *s, int *bad)
{
	struct partial from, to;
	const char *p = s;

	if (read_partial(&p, &from) || !is_space(*p))
		return 0;
	p = skip_space(p);
	if (*p != '-' || !is_space(p[1]))
		return 0;
	p = skip_space(p + 1);
	if (read_partial(&p, &to) || *skip_space(p) != '\0') {
		*bad = 1;
		return 1;
	}
	*bad = add_low(r, &from);
	if (*bad == 0 && to.nx == 3)
		*bad = add_comp(r, TK_SV_LE, to.n, to.pre, to.prelen);
	else if (*bad == 0 && to.nx > 0)
		*bad = add_next(r, TK_SV_LT, to.n, to.nx);
	return 1;
}

/* One ||-separated set s (NUL-terminated) into r. */
static int
parse_set(struct tk_semver_range *r, const char *s)
{
	struct partial v;
	const char *p;
	int op, bad = 0;

	p = skip_space(s);
	if (hyphen(r, p, &bad))
		return bad ? -1 : 0;
	while (*p != '\0') {
		read_op(&p, &op);
		p = skip_space(p);
		if (read_partial(&p, &v) || add_one(r, op, &v))
			return -1;
		p = skip_space(p);
	}
	return 0;
}

tk_err
tk_semver_range_parse(const char *s, struct tk_semver_range *out)
{
	char set[TK_SEMVER_RANGE_MAX + 1];
	const char *p, *bar;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (s == NULL || (len = strnlen(s, TK_SEMVER_RANGE_MAX + 1)) >
	    TK_SEMVER_RANGE_MAX)
		return TK_ERR_BAD_REQUEST;
	for (p = s;; p = bar + 2) {
		bar = strstr(p, "||");
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		memcpy(set, p, len);
		set[len] = '\0';
		out->nsets++;
		if (parse_set(out, set) != 0) {
			memset(out, 0, sizeof(*out));
			return TK_ERR_BAD_REQUEST;
		}
		if (bar == NULL)
			return TK_OK;
	}
}

static int
comp_test(const struct tk_semver_comp *c, const struct tk_semver *v)
{
	int d = tk_semver_cmp(v, &c->v);

	switch (c->op) {
	case TK_SV_EQ:
		return d == 0;
	case TK_SV_LT:
		return d < 0;
	case TK_SV_LE:
		return d <= 0;
	case TK_SV_GT:
		return d > 0;
	default:
		return d >= 0;
	}
}

/* Set `set` of r against v, with npm's pre-release rule. */
static int
set_test(const struct tk_semver_range *r, unsigned set,
    const struct tk_semver *v)
{
	const struct tk_semver_comp *c;
	size_t i;

	for (i = 0; i < r->ncomps; i++)
		if (r->comp[i].set == set && !comp_test(&r->comp[i], v))
			return 0;
	if (!tk_semver_is_prerelease(v))
		return 1;
	for (i = 0; i < r->ncomps; i++) {
		c = &r->comp[i];
		if (c->set == set && tk_semver_is_prerelease(&c->v) &&
		    c->v.major == v->major && c->v.minor == v->minor &&
		    c->v.patch == v->patch)
			return 1;
	}
	return 0;
}

/* Appends one comparator's text to out at *len. */
static void
format_comp(const struct tk_semver_comp *c, char *out, size_t outsz,
    size_t *len)
{
	static const char *const ops[] = { "", "<", "<=", ">", ">=" };
	int n;

	n = snprintf(out + *len, outsz - *len, "%s%s", ops[c->op], c->v.str);
	*len += n > 0 ? (size_t)n : 0;
	if (*len >= outsz)
		*len = outsz - 1;
}

static int
set_empty(const struct tk_semver_range *r, unsigned set)
{
	size_t i;

	for (i = 0; i < r->ncomps; i++)
		if (r->comp[i].set == set)
			return 0;
	return 1;
}

/* 1 when comparator i repeats one before it in its set. */
static int
repeated(const struct tk_semver_range *r, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (r->comp[j].set == r->comp[i].set &&
		    r->comp[j].op == r->comp[i].op &&
		    strcmp(r->comp[j].v.str, r->comp[i].v.str) == 0)
			return 1;
	return 0;
}

void
tk_semver_range_format(const struct tk_semver_range *r, char *out,
    size_t outsz)
{
	size_t i, len = 0, nset;
	unsigned set;

	out[0] = '\0';
	for (set = 0; set < r->nsets; set++)
		if (set_empty(r, set)) {
			snprintf(out, outsz, "*");   /* one "*" set: any */
			return;
		}
	for (set = 0; set < r->nsets && len + 3 < outsz; set++) {
		if (set > 0)
			len += (size_t)snprintf(out + len, outsz - len, "||");
		nset = 0;
		for (i = 0; i < r->ncomps && len + 1 < outsz; i++) {
			if (r->comp[i].set != set || repeated(r, i))
				continue;
			if (nset++ > 0)
				out[len++] = ' ';
			format_comp(&r->comp[i], out, outsz, &len);
		}
		if (nset == 0 && len + 1 < outsz)
			out[len++] = '*';
		out[len] = '\0';
	}
}

int
tk_semver_range_test(const struct tk_semver_range *r,
    const struct tk_semver *v)
{
	unsigned set;

	for (set = 0; set < r->nsets; set++)
		if (set_test(r, set, v))
			return 1;
	return 0;
}

tk_err
tk_semver_want_parse(const char *s, struct tk_semver *exact,
    struct tk_semver_range *range, int *is_range)
{
	*is_range = 0;
	memset(range, 0, sizeof(*range));
	if (tk_semver_parse(s, exact) == TK_OK)
		return TK_OK;
	if (s == NULL || *skip_space(s) == '\0' ||
	    tk_semver_range_parse(s, range) != TK_OK)
		return TK_ERR_BAD_REQUEST;
	*is_range = 1;
	return TK_OK;
}
