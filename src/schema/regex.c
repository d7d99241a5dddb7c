/*
 * regex.c - ECMA-262 patterns ("pattern", "patternProperties") compiled
 * and matched by PCRE2.
 *
 * PCRE2 in UTF mode without UCP already agrees with ECMA-262 (with the u
 * flag, as JSON Schema means it) on nearly everything: \d \w \b are
 * ASCII, a character is a code point, lookaround, backreferences, named
 * groups and \p{...} work alike.  What differs is rewritten here, in one
 * pass over the pattern, before pcre2_compile() sees it:
 *
 *   \s \S    ECMA's white space and line terminators are Unicode ones
 *            (NBSP, U+2028, U+FEFF, ...): spelt out as a class.  A class
 *            holding \S becomes a group, since PCRE2 cannot subtract.
 *   .        anything but \n \r U+2028 U+2029 (PCRE2: anything but \n).
 *   \uHHHH   and surrogate pairs of them, \u{H...}, \xHH, \0, \v, \cX:
 *            written as \x{...}, which means one thing in PCRE2.
 *   [ in a class is escaped, so "[[:alpha:]]" is never a POSIX class.
 *
 * PCRE2 syntax that ECMA-262 does not have (possessive quantifiers,
 * atomic groups, (?i) and other (? forms, (*VERB)s, \Q \K \R \h and
 * other escapes) is refused, so a pattern means what a JavaScript
 * validator says it means or is refused at load time.  $ matches only at
 * the very end (PCRE2_DOLLAR_ENDONLY), [] and [^] are ECMA's
 * (PCRE2_ALLOW_EMPTY_CLASS).
 *
 * Matching is bounded: a match limit, a depth limit and a heap limit cap
 * the work of one match, so a pattern built to backtrack for ever costs a
 * few milliseconds and then reports that it could not be decided.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "tasker/hex.h"

#define NEST_LIMIT	64		/* nesting of parentheses */
#define MATCH_LIMIT	200000		/* pcre2 match() calls per match */
#define DEPTH_LIMIT	5000		/* backtracking depth */
#define HEAP_LIMIT	8192		/* KiB of backtracking memory */

/* ECMA-262 WhiteSpace and LineTerminator, as PCRE2 class members. */
#define WS	"\\t\\n\\x{0b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}" \
		"\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}"
/* "." in ECMA-262: anything but a line terminator. */
#define DOT	"[^\\n\\r\\x{2028}\\x{2029}]"

struct rw {
	const char	*s;
	size_t		 len, pos;
	struct tk_buf	*out;		/* the PCRE2 pattern */
	const char	*why;		/* static reason for a refusal */
};

static int
refuse(struct rw *r, const char *why)
{
	if (r->why == NULL)
		r->why = why;
	return -1;
}

/* n hex digits at the cursor as a number, or -1 (cursor unmoved). */
static long
hex_at(struct rw *r, size_t n)
{
	long v = 0;
	size_t i;

	if (r->len - r->pos < n)
		return -1;
	for (i = 0; i < n; i++) {
		int h = tk_hexval((unsigned char)r->s[r->pos + i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	r->pos += n;
	return v;
}

/* \u after the backslash and the u: HHHH (a surrogate pair of them), or
 * {H...}; the code point, or -1. */
static long
unicode_escape(struct rw *r)
{
	long hi, lo, v = 0;
	size_t n = 0;

	if (r->pos < r->len && r->s[r->pos] == '{') {
		r->pos++;
		while (r->pos < r->len && v <= 0x10ffff &&
		    tk_hexval((unsigned char)r->s[r->pos]) >= 0) {
			v = v * 16 + tk_hexval((unsigned char)r->s[r->pos++]);
			n++;
		}
		if (n == 0 || v > 0x10ffff || r->pos >= r->len ||
		    r->s[r->pos++] != '}')
			return refuse(r, "bad \\u{...} escape");
		return v >= 0xd800 && v <= 0xdfff ?
		    refuse(r, "lone surrogate escape") : v;
	}
	if ((hi = hex_at(r, 4)) < 0)
		return refuse(r, "\\u needs four hex digits");
	if (hi < 0xd800 || hi > 0xdfff)
		return hi;
	if (hi <= 0xdbff && r->len - r->pos >= 6 && r->s[r->pos] == '\\' &&
	    r->s[r->pos + 1] == 'u') {
		r->pos += 2;
		if ((lo = hex_at(r, 4)) >= 0xdc00 && lo <= 0xdfff)
			return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	return refuse(r, "lone surrogate escape");
}

static void
put_cp(struct tk_buf *out, long cp)
{
	tk_buf_printf(out, "\\x{%lx}", cp);
}

/*
 * The escapes that stand for one character (\t \n \r \f \v \0 \xHH
 * \u... \cX), c being the letter after the backslash: written to out as
 * PCRE2 reads them.  1 when c was one of them, 0 when not, -1 with r->why
 * set when it was malformed.
 */
static int
char_escape(struct rw *r, struct tk_buf *out, unsigned char c)
{
	long v;

	switch (c) {
	case 't': case 'n': case 'r': case 'f':
		tk_buf_printf(out, "\\%c", c);
		return 1;
	case 'v':
		tk_buf_puts(out, "\\x{0b}");
		return 1;
	case '0':
		if (r->pos < r->len && r->s[r->pos] >= '0' &&
		    r->s[r->pos] <= '9')
			return refuse(r, "octal escapes are not ECMA-262 "
			    "(with the u flag)");
		v = 0;
		break;
	case 'x':
		if ((v = hex_at(r, 2)) < 0)
			return refuse(r, "\\x needs two hex digits");
		break;
	case 'u':
		if ((v = unicode_escape(r)) < 0)
			return -1;
		break;
	case 'c':
		if (r->pos >= r->len || !((r->s[r->pos] >= 'a' &&
		    r->s[r->pos] <= 'z') || (r->s[r->pos] >= 'A' &&
		    r->s[r->pos] <= 'Z')))
			return refuse(r, "\\c needs a letter");
		v = r->s[r->pos++] % 32;
		break;
	default:
		return 0;
	}
	put_cp(out, v);
	return 1;
}

/*
 * One escape after the backslash (the cursor is on the letter), written
 * to out.  In a class (in_class), \s is written bare (the caller's
 * brackets hold it), \S sets *negspace, \B and backreferences are
 * refused; \b is a backspace.  Returns 0, or -1 with r->why set.
 */
static int
escape(struct rw *r, struct tk_buf *out, int in_class, int *negspace)
{
	unsigned char c;
	int rc;

	if (r->pos >= r->len)
		return refuse(r, "a pattern cannot end with a backslash");
	c = (unsigned char)r->s[r->pos++];
	if ((rc = char_escape(r, out, c)) != 0)
		return rc < 0 ? -1 : 0;
	switch (c) {
	case 'd': case 'D': case 'w': case 'W': case 'p': case 'P':
		tk_buf_printf(out, "\\%c", c);
		return 0;
	case 's':
		tk_buf_puts(out, in_class ? WS : "[" WS "]");
		return 0;
	case 'S':
		if (in_class)
			*negspace = 1;
		else
			tk_buf_puts(out, "[^" WS "]");
		return 0;
	case 'b':
		tk_buf_puts(out, in_class ? "\\x{08}" : "\\b");
		return 0;
	case 'B':
	case 'k':
		if (in_class)
			return refuse(r, c == 'B' ? "\\B in a character class" :
			    "\\k in a character class");
		tk_buf_printf(out, "\\%c", c);
		return 0;
	default:
		break;
	}
	if (c >= '1' && c <= '9') {
		if (in_class)
			return refuse(r, "a backreference in a character "
			    "class");
		tk_buf_printf(out, "\\%c", c);
		while (r->pos < r->len && r->s[r->pos] >= '0' &&
		    r->s[r->pos] <= '9')
			tk_buf_putc(out, r->s[r->pos++]);
		return 0;
	}
	/* ECMA-262 (u flag) lets only syntax characters and / be escaped;
	 * - too, inside a class. */
	if ((c != '\0' && strchr("^$\\.*+?()[]{}|/", c) != NULL) ||
	    (in_class && c == '-')) {
		tk_buf_printf(out, "\\%c", c);
		return 0;
	}
	return refuse(r, "an escape that is not ECMA-262 (\\a, \\e, \\h, "
	    "\\K, \\Q, \\R, ... or an escaped letter or digit)");
}

/* Appends pre, the bytes of m (NULs too), post. */
static void
wrap(struct tk_buf *out, const char *pre, const struct tk_buf *m,
    const char *post)
{
	tk_buf_puts(out, pre);
	(void)tk_buf_append(out, m->data, m->len);
	tk_buf_puts(out, post);
}

/*
 * A character class; the cursor is after '['.  Without \S the class is
 * copied; with \S, [\Sx] becomes (?:[^WS]|[x]) and [^\Sx] (?:(?![x])[WS])
 * (an empty [x] is ECMA's empty class, which matches nothing).
 */
static int
char_class(struct rw *r)
{
	struct tk_buf members = TK_BUF_INIT;
	int neg = 0, negspace = 0, rc = -1;

	if (r->pos < r->len && r->s[r->pos] == '^') {
		neg = 1;
		r->pos++;
	}
	for (;;) {
		if (r->pos >= r->len) {
			refuse(r, "unterminated character class");
			goto out;
		}
		if (r->s[r->pos] == ']')
			break;
		if (r->s[r->pos] == '\\') {
			r->pos++;
			if (escape(r, &members, 1, &negspace) < 0)
				goto out;
		} else if (r->s[r->pos] == '[') {
			tk_buf_puts(&members, "\\[");
			r->pos++;
		} else
			tk_buf_putc(&members, r->s[r->pos++]);
	}
	r->pos++;
	if (!negspace)
		wrap(r->out, neg ? "[^" : "[", &members, "]");
	else if (!neg)
		wrap(r->out, "(?:[^" WS "]|[", &members, "])");
	else
		wrap(r->out, "(?:(?![", &members, "])[" WS "])");
	rc = members.failed ? refuse(r, "out of memory") : 0;
out:
	tk_buf_free(&members);
	return rc;
}

/* After '(': the group forms ECMA-262 has. */
static int
group_open(struct rw *r)
{
	static const char *const forms[] = { "?:", "?=", "?!", "?<=", "?<!" };
	const char *p = r->s + r->pos;
	size_t left = r->len - r->pos, i, n;

	tk_buf_putc(r->out, '(');
	if (left == 0 || (*p != '?' && *p != '*'))
		return 0;
	if (*p == '*')
		return refuse(r, "(*...) verbs are not ECMA-262");
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		n = strlen(forms[i]);
		if (left >= n && memcmp(p, forms[i], n) == 0) {
			tk_buf_puts(r->out, forms[i]);
			r->pos += n;
			return 0;
		}
	}
	if (left >= 2 && p[1] == '<') {
		tk_buf_puts(r->out, "?<");   /* a named group */
		r->pos += 2;
		return 0;
	}
	return refuse(r, "this (? group is not ECMA-262 (atomic groups, "
	    "inline flags, conditionals, comments, recursion)");
}

/* 1 when a {n}, {n,} or {n,m} quantifier starts at the cursor. */
static int
is_quantifier(const struct rw *r)
{
	size_t i = r->pos + 1, digits = 0;

	while (i < r->len && r->s[i] >= '0' && r->s[i] <= '9') {
		i++;
		digits++;
	}
	if (digits == 0)
		return 0;
	if (i < r->len && r->s[i] == ',') {
		i++;
		while (i < r->len && r->s[i] >= '0' && r->s[i] <= '9')
			i++;
	}
	return i < r->len && r->s[i] == '}';
}

/* A quantifier at the cursor (copied), then refuses a possessive '+'. */
static int
quantifier(struct rw *r)
{
	if (r->s[r->pos] == '{')
		while (r->s[r->pos] != '}')
			tk_buf_putc(r->out, r->s[r->pos++]);
	tk_buf_putc(r->out, r->s[r->pos++]);
	if (r->pos < r->len && r->s[r->pos] == '?')
		tk_buf_putc(r->out, r->s[r->pos++]);
	else if (r->pos < r->len && r->s[r->pos] == '+')
		return refuse(r, "possessive quantifiers are not ECMA-262");
	return 0;
}

static int
rewrite(struct rw *r)
{
	unsigned char c;
	int unused = 0;

	while (r->pos < r->len) {
		c = (unsigned char)r->s[r->pos];
		if (c == '*' || c == '+' || c == '?' ||
		    (c == '{' && is_quantifier(r))) {
			if (quantifier(r) < 0)
				return -1;
			continue;
		}
		r->pos++;
		if ((c == '\\' && escape(r, r->out, 0, &unused) < 0) ||
		    (c == '[' && char_class(r) < 0) ||
		    (c == '(' && group_open(r) < 0))
			return -1;
		if (c == '.')
			tk_buf_puts(r->out, DOT);
		else if (c != '\\' && c != '[' && c != '(')
			tk_buf_putc(r->out, (char)c);
	}
	return 0;
}

tk_err
tk_sregex_compile(const char *src, size_t len, struct tk_sregex *re,
    char *why, size_t whysz)
{
	struct tk_buf pat = TK_BUF_INIT;
	struct rw r = { src, len, 0, &pat, NULL };
	pcre2_compile_context *cc = NULL;
	PCRE2_SIZE off;
	int code;
	tk_err e = TK_ERR_DEFINITION;

	if (rewrite(&r) < 0) {
		snprintf(why, whysz, "%s", r.why);
		goto out;
	}
	if (pat.failed || (cc = pcre2_compile_context_create(NULL)) == NULL ||
	    (re->mc = pcre2_match_context_create(NULL)) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	pcre2_set_parens_nest_limit(cc, NEST_LIMIT);
	pcre2_set_match_limit(re->mc, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mc, DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mc, HEAP_LIMIT);
	re->code = pcre2_compile((PCRE2_SPTR)tk_buf_str(&pat), pat.len,
	    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS |
	    PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C, &code, &off, cc);
	if (re->code == NULL) {
		PCRE2_UCHAR msg[160];

		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		snprintf(why, whysz, "%s", (const char *)msg);
		goto out;
	}
	e = TK_OK;
out:
	pcre2_compile_context_free(cc);
	tk_buf_free(&pat);
	return e;
}

int
tk_sregex_match(const struct tk_sregex *re, const char *s, size_t len)
{
	pcre2_match_data *md;
	int rc;

	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		return -1;
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, re->mc);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

void
tk_sregex_clear(struct tk_sregex *re)
{
	pcre2_code_free(re->code);
	pcre2_match_context_free(re->mc);
	re->code = NULL;
	re->mc = NULL;
}
