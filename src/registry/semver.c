/*
 * semver.c - parse and order Semantic Versioning 2.0.0 strings.
 *
 * The grammar is the one of semver.org, checked byte by byte; nothing is
 * allocated.  Numeric pre-release identifiers have no leading zeros, so
 * they compare by length first and then as text, whatever their size.
 */
#include "tasker/semver.h"

#include <ctype.h>
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
