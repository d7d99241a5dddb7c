/*
 * ecmare.c - translates the ECMA-262 regexes of "pattern" and
 * "patternProperties" into POSIX extended regexes for regcomp() in a
 * UTF-8 locale.
 *
 * The translation only has to preserve "does it match somewhere", never
 * capture groups, so (?:...) becomes (...) and lazy quantifiers become
 * greedy ones.  ECMA-only escapes are spelt out (\d is [0-9], \s lists
 * ECMA-262's white space and line terminators), literal metacharacters
 * are put in brackets, and "." excludes the line terminators as in ECMA.
 * Whatever cannot be translated faithfully (backreferences, lookaround,
 * \b, Unicode properties, ...) is refused with a reason, so a schema
 * author learns at load time, not from a wrong answer at request time.
 *
 * regcomp() expands counted repetitions, so (a{1000}){1000} would build a
 * million nodes: the translator keeps a weight (roughly the size of the
 * expanded regex) and refuses patterns above MAX_WEIGHT.
 *
 * Anchors: in ECMA-262 (without the m flag) ^ and $ match only at the
 * ends of the input, but glibc's matcher lets a ^ that follows a newline,
 * or a $ that precedes one, match there even without REG_NEWLINE.  So ^
 * is accepted only where nothing can have been consumed before it (the
 * start of the pattern or of an alternative, also inside groups that
 * start there), $ only where nothing is consumed after it, and anchors
 * are never repeated; elsewhere the pattern is refused.  Where accepted,
 * both engines agree.
 */
#include <stdint.h>
#include <string.h>

#include "internal.h"

#define MAX_COUNT	1000	/* largest n or m in {n,m} */
#define MAX_WEIGHT	20000	/* expanded size estimate */
#define MAX_GROUPS	64	/* nesting of parentheses */

/* ECMA-262 \s: WhiteSpace and LineTerminator, as UTF-8. */
#define SPACE_CHARS							\
	" \t\n\v\f\r"							\
	"\xc2\xa0" "\xe1\x9a\x80"					\
	"\xe2\x80\x80" "\xe2\x80\x81" "\xe2\x80\x82" "\xe2\x80\x83"	\
	"\xe2\x80\x84" "\xe2\x80\x85" "\xe2\x80\x86" "\xe2\x80\x87"	\
	"\xe2\x80\x88" "\xe2\x80\x89" "\xe2\x80\x8a"			\
	"\xe2\x80\xa8" "\xe2\x80\xa9" "\xe2\x80\xaf" "\xe2\x81\x9f"	\
	"\xe3\x80\x80" "\xef\xbb\xbf"
#define DIGIT_CHARS	"0-9"
#define WORD_CHARS	"A-Za-z0-9_"
/* "." in ECMA-262: anything but a line terminator. */
#define DOT_ERE		"[^\n\r\xe2\x80\xa8\xe2\x80\xa9]"

enum esc_kind { ESC_CHAR, ESC_CLASS, ESC_NCLASS };

struct tr {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	struct tk_buf	*out;
	const char	*why;		/* reason for refusing, static */
	size_t		 w[MAX_GROUPS + 1];	/* weight per open group */
	size_t		 level;
	size_t		 last;		/* weight of the last atom */
	/* Per open group, for anchors (see above): */
	char		 start[MAX_GROUPS + 1];	/* nothing consumed yet */
	char		 gstart[MAX_GROUPS + 1];	/* start when opened */
	char		 altend[MAX_GROUPS + 1];	/* $ in this alternative */
	char		 anyend[MAX_GROUPS + 1];	/* $ in any alternative */
	char		 anchors[MAX_GROUPS + 1];	/* holds ^ or $ */
	int		 last_anchored;	/* last atom is or holds an anchor */
};

static int
refuse(struct tr *t, const char *why)
{
	t->why = why;
	return -1;
}

/* Decodes one UTF-8 character at t->pos; advances past it. */
static int
get_utf8(struct tr *t, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)t->s + t->pos;
	size_t left = t->len - t->pos, n, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		t->pos++;
		return 0;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return refuse(t, "pattern is not valid UTF-8");
	if (left < n)
		return refuse(t, "pattern is not valid UTF-8");
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return refuse(t, "pattern is not valid UTF-8");
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return refuse(t, "pattern is not valid UTF-8");
	*cp = c;
	t->pos += n;
	return 0;
}

static void
put_utf8(struct tk_buf *b, uint32_t c)
{
	char u[4];

	if (c < 0x80) {
		u[0] = (char)c;
		tk_buf_append(b, u, 1);
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		tk_buf_append(b, u, 2);
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		tk_buf_append(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		tk_buf_append(b, u, 4);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads n hex digits at t->pos. */
static int
get_hex(struct tr *t, size_t n, uint32_t *v)
{
	size_t i;
	int h;

	if (t->len - t->pos < n)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if ((h = hexval(t->s[t->pos + i])) < 0)
			return -1;
		*v = (*v << 4) | (uint32_t)h;
	}
	t->pos += n;
	return 0;
}

/* \uHHHH, with a surrogate pair joined; t->pos is after the "u". */
static int
get_uescape(struct tr *t, uint32_t *cp)
{
	uint32_t lo;

	if (t->pos < t->len && t->s[t->pos] == '{')
		return refuse(t, "\\u{...} is not supported");
	if (get_hex(t, 4, cp) == -1)
		return refuse(t, "\\u needs four hex digits");
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return refuse(t, "lone surrogate in \\u escape");
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (t->len - t->pos < 6 || t->s[t->pos] != '\\' ||
		    t->s[t->pos + 1] != 'u')
			return refuse(t, "lone surrogate in \\u escape");
		t->pos += 2;
		if (get_hex(t, 4, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
			return refuse(t, "lone surrogate in \\u escape");
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return 0;
}

/*
 * Parses the escape after a backslash (t->pos is after it).  Sets *kind:
 * ESC_CHAR with *cp, or ESC_CLASS / ESC_NCLASS with *cls one of "dws".
 */
static int
get_escape(struct tr *t, int in_class, enum esc_kind *kind, uint32_t *cp,
    char *cls)
{
	char c;

	if (t->pos >= t->len)
		return refuse(t, "pattern ends with a backslash");
	c = t->s[t->pos];
	*kind = ESC_CHAR;
	switch (c) {
	case 'd': case 'w': case 's':
		*kind = ESC_CLASS;
		*cls = c;
		t->pos++;
		return 0;
	case 'D': case 'W': case 'S':
		*kind = ESC_NCLASS;
		*cls = (char)(c - 'A' + 'a');
		t->pos++;
		return 0;
	case 'n': *cp = '\n'; t->pos++; return 0;
	case 't': *cp = '\t'; t->pos++; return 0;
	case 'r': *cp = '\r'; t->pos++; return 0;
	case 'f': *cp = '\f'; t->pos++; return 0;
	case 'v': *cp = '\v'; t->pos++; return 0;
	case 'b':
		if (!in_class)
			return refuse(t, "word boundary \\b is not supported");
		*cp = '\b';
		t->pos++;
		return 0;
	case 'B':
		return refuse(t, "\\B is not supported");
	case 'x':
		t->pos++;
		if (get_hex(t, 2, cp) == -1)
			return refuse(t, "\\x needs two hex digits");
		break;
	case 'u':
		t->pos++;
		if (get_uescape(t, cp) == -1)
			return -1;
		break;
	case 'p': case 'P':
		return refuse(t, "Unicode property escapes \\p are not "
		    "supported");
	case 'c':
		return refuse(t, "control escapes \\c are not supported");
	case 'k':
		return refuse(t, "named backreferences are not supported");
	default:
		if (c >= '1' && c <= '9')
			return refuse(t, "backreferences are not supported");
		if (c == '0')
			return refuse(t, "\\0 is not supported");
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (unsigned char)c >= 0x80)
			return refuse(t, "unknown escape sequence");
		/* Escaped punctuation (or any other character): itself. */
		return get_utf8(t, cp);
	}
	if (*cp == 0)
		return refuse(t, "NUL characters are not supported");
	return 0;
}

static const char *
class_chars(char cls)
{
	switch (cls) {
	case 'd':
		return DIGIT_CHARS;
	case 'w':
		return WORD_CHARS;
	default:
		return SPACE_CHARS;
	}
}

/* Appends a literal character outside a bracket expression. */
static void
put_literal(struct tk_buf *b, uint32_t c)
{
	if (c == '^' || c == '\\') {
		tk_buf_putc(b, '\\');
		tk_buf_putc(b, (char)c);
	} else if (c < 0x80 && strchr(".[]()*+?{}|$", (int)c) != NULL) {
		tk_buf_putc(b, '[');
		tk_buf_putc(b, (char)c);
		tk_buf_putc(b, ']');
	} else
		put_utf8(b, c);
}

/* Characters a POSIX bracket expression treats specially; they are
 * placed where they are literal rather than escaped. */
struct bracket {
	struct tk_buf	 body;
	int		 rbracket, lbracket, caret, dash;
	size_t		 nitems;
	char		 ncls;		/* \D \W \S seen: 'd', 'w' or 's' */
};

static void
bracket_char(struct bracket *br, uint32_t c)
{
	if (c == ']')
		br->rbracket = 1;
	else if (c == '[')
		br->lbracket = 1;
	else if (c == '^')
		br->caret = 1;
	else if (c == '-')
		br->dash = 1;
	else
		put_utf8(&br->body, c);
}

/* One member of a class: a character, a range or a class escape. */
static int
bracket_item(struct tr *t, struct bracket *br)
{
	enum esc_kind kind = ESC_CHAR, hikind = ESC_CHAR;
	uint32_t lo = 0, hi = 0;
	char cls = 0;

	br->nitems++;
	if (t->s[t->pos] == '\\') {
		t->pos++;
		if (get_escape(t, 1, &kind, &lo, &cls) == -1)
			return -1;
	} else if (get_utf8(t, &lo) == -1)
		return -1;
	if (kind == ESC_CLASS) {
		tk_buf_puts(&br->body, class_chars(cls));
		return 0;
	}
	if (kind == ESC_NCLASS) {
		br->ncls = cls;
		return 0;
	}
	if (lo == 0)
		return refuse(t, "NUL characters are not supported");
	/* "a-z"; a "-" before "]" is a literal. */
	if (t->len - t->pos < 2 || t->s[t->pos] != '-' ||
	    t->s[t->pos + 1] == ']') {
		bracket_char(br, lo);
		return 0;
	}
	t->pos++;
	if (t->s[t->pos] == '\\') {
		t->pos++;
		if (get_escape(t, 1, &hikind, &hi, &cls) == -1)
			return -1;
		if (hikind != ESC_CHAR)
			return refuse(t, "a class escape cannot end a range");
	} else if (get_utf8(t, &hi) == -1)
		return -1;
	if (hi < lo)
		return refuse(t, "range out of order in character class");
	if (lo > 0x7f || hi > 0x7f)
		return refuse(t, "ranges over non-ASCII characters are not "
		    "supported");
	if (strchr("[]-^", (int)lo) != NULL || strchr("[]-^", (int)hi) != NULL)
		return refuse(t, "a range cannot start or end with [ ] - ^");
	put_utf8(&br->body, lo);
	tk_buf_putc(&br->body, '-');
	put_utf8(&br->body, hi);
	return 0;
}

static void
bracket_emit(struct tk_buf *out, const struct bracket *br, int neg)
{
	/* A lone "^" (with perhaps "-") would read as a negation. */
	if (!neg && !br->rbracket && br->body.len == 0 && !br->lbracket &&
	    br->caret) {
		tk_buf_puts(out, br->dash ? "[-^]" : "\\^");
		return;
	}
	tk_buf_puts(out, neg ? "[^" : "[");
	if (br->rbracket)
		tk_buf_putc(out, ']');
	tk_buf_puts(out, tk_buf_str(&br->body));
	if (br->lbracket)
		tk_buf_putc(out, '[');
	if (br->caret)
		tk_buf_putc(out, '^');
	if (br->dash)
		tk_buf_putc(out, '-');
	tk_buf_putc(out, ']');
}

/* A character class; t->pos is after the "[". */
static int
bracket(struct tr *t)
{
	struct bracket br;
	int neg = 0, rc = -1;

	memset(&br, 0, sizeof(br));
	tk_buf_init(&br.body);
	if (t->pos < t->len && t->s[t->pos] == '^') {
		neg = 1;
		t->pos++;
	}
	if (t->pos < t->len && t->s[t->pos] == ']') {
		refuse(t, "empty character classes [] and [^] are not "
		    "supported");
		goto out;
	}
	for (;;) {
		if (t->pos >= t->len) {
			refuse(t, "unterminated character class");
			goto out;
		}
		if (t->s[t->pos] == ']') {
			t->pos++;
			break;
		}
		if (bracket_item(t, &br) == -1)
			goto out;
	}
	if (br.ncls) {
		if (br.nitems != 1) {
			refuse(t, "\\D, \\W or \\S with other members of a "
			    "character class is not supported");
			goto out;
		}
		tk_buf_puts(&br.body, class_chars(br.ncls));
		neg = !neg;
	}
	bracket_emit(t->out, &br, neg);
	rc = br.body.failed ? -2 : 0;
out:
	tk_buf_free(&br.body);
	return rc;
}

/* Something that consumes input: not allowed after $. */
static int
consume(struct tr *t)
{
	if (t->altend[t->level])
		return refuse(t, "$ is only supported at the end of the "
		    "pattern or of an alternative");
	t->start[t->level] = 0;
	t->last_anchored = 0;
	return 0;
}

static int
add_atom(struct tr *t, size_t weight)
{
	if (consume(t) == -1)
		return -1;
	t->last = weight;
	t->w[t->level] += weight;
	if (t->w[t->level] > MAX_WEIGHT)
		return refuse(t, "pattern is too complex");
	return 0;
}

/* A quantifier multiplies the last atom's weight by factor. */
static int
quantify(struct tr *t, size_t factor)
{
	if (t->last_anchored)
		return refuse(t, "an anchor cannot be repeated");
	t->w[t->level] += t->last * (factor - 1);
	t->last *= factor;
	if (t->w[t->level] > MAX_WEIGHT || t->last > MAX_WEIGHT)
		return refuse(t, "pattern is too complex");
	/* Lazy or greedy, the regex matches the same strings. */
	if (t->pos < t->len && t->s[t->pos] == '?')
		t->pos++;
	return 0;
}

static int
get_count(struct tr *t, size_t *n)
{
	size_t start = t->pos;

	*n = 0;
	while (t->pos < t->len && t->s[t->pos] >= '0' &&
	    t->s[t->pos] <= '9') {
		*n = *n * 10 + (size_t)(t->s[t->pos] - '0');
		if (*n > MAX_COUNT)
			*n = MAX_COUNT + 1;
		t->pos++;
	}
	return t->pos > start;
}

/*
 * "{n}", "{n,}" or "{n,m}" at t->pos ("{" included).  Returns 1 and emits
 * it when it is one; 0 (position unchanged) when the "{" is a literal, as
 * ECMA-262 Annex B reads it; -1 when refused.
 */
static int
brace(struct tr *t)
{
	size_t save = t->pos, n, m = 0;
	int has_comma = 0, has_m = 0;

	t->pos++;
	if (!get_count(t, &n))
		goto literal;
	if (t->pos < t->len && t->s[t->pos] == ',') {
		has_comma = 1;
		t->pos++;
		has_m = get_count(t, &m);
	}
	if (t->pos >= t->len || t->s[t->pos] != '}')
		goto literal;
	t->pos++;
	if (n > MAX_COUNT || m > MAX_COUNT)
		return refuse(t, "repetition count above 1000");
	if (has_m && m < n)
		return refuse(t, "repetition {n,m} with m < n");
	if (!has_comma)
		tk_buf_printf(t->out, "{%zu}", n);
	else if (!has_m)
		tk_buf_printf(t->out, "{%zu,}", n);
	else
		tk_buf_printf(t->out, "{%zu,%zu}", n, m);
	if (quantify(t, has_m ? (m > 0 ? m : 1) : n + 1) == -1)
		return -1;
	return 1;
literal:
	t->pos = save;
	return 0;
}

static int
open_group(struct tr *t)
{
	if (t->pos < t->len && t->s[t->pos] == '?') {
		if (t->pos + 1 < t->len && t->s[t->pos + 1] == ':')
			t->pos += 2;
		else
			return refuse(t, "lookahead, lookbehind and named "
			    "groups are not supported");
	}
	if (t->level == MAX_GROUPS)
		return refuse(t, "groups nested too deeply");
	t->level++;
	t->w[t->level] = 0;
	t->start[t->level] = t->gstart[t->level] = t->start[t->level - 1];
	t->altend[t->level] = t->anyend[t->level] = 0;
	t->anchors[t->level] = 0;
	t->last = 0;
	tk_buf_putc(t->out, '(');
	return 0;
}

static int
close_group(struct tr *t)
{
	size_t g;
	int ended, anchored;

	if (t->level == 0)
		return refuse(t, "unmatched )");
	g = t->w[t->level];
	ended = t->anyend[t->level];
	anchored = t->anchors[t->level];
	t->level--;
	tk_buf_putc(t->out, ')');
	if (add_atom(t, g > 0 ? g : 1) == -1)
		return -1;
	/* A $ inside the group ends what follows the group too. */
	if (ended)
		t->altend[t->level] = t->anyend[t->level] = 1;
	if (anchored)
		t->anchors[t->level] = 1;
	t->last_anchored = anchored;
	return 0;
}

static int
anchor(struct tr *t, char c)
{
	if (c == '^' && !t->start[t->level])
		return refuse(t, "^ is only supported at the start of the "
		    "pattern or of an alternative");
	if (c == '$')
		t->altend[t->level] = t->anyend[t->level] = 1;
	t->anchors[t->level] = 1;
	t->last_anchored = 1;
	tk_buf_putc(t->out, c);
	t->pos++;
	return 0;
}

static int
escape_atom(struct tr *t)
{
	enum esc_kind kind;
	uint32_t cp = 0;
	char cls = 0;

	if (get_escape(t, 0, &kind, &cp, &cls) == -1)
		return -1;
	if (kind == ESC_CHAR)
		put_literal(t->out, cp);
	else {
		tk_buf_puts(t->out, kind == ESC_NCLASS ? "[^" : "[");
		tk_buf_puts(t->out, class_chars(cls));
		tk_buf_putc(t->out, ']');
	}
	return add_atom(t, 1);
}

static int
step(struct tr *t)
{
	uint32_t cp;
	int r;

	switch (t->s[t->pos]) {
	case '\\':
		t->pos++;
		return escape_atom(t);
	case '[':
		t->pos++;
		if ((r = bracket(t)) != 0)
			return r;
		return add_atom(t, 1);
	case '(':
		t->pos++;
		return open_group(t);
	case ')':
		t->pos++;
		return close_group(t);
	case '|':
		tk_buf_putc(t->out, t->s[t->pos++]);
		t->start[t->level] = t->gstart[t->level];
		t->altend[t->level] = 0;
		t->last = 0;
		t->last_anchored = 0;
		return 0;
	case '^':
	case '$':
		t->last = 0;
		return anchor(t, t->s[t->pos]);
	case '.':
		t->pos++;
		tk_buf_puts(t->out, DOT_ERE);
		return add_atom(t, 1);
	case '*':
	case '+':
	case '?':
		tk_buf_putc(t->out, t->s[t->pos++]);
		return quantify(t, 2);
	case '{':
		if ((r = brace(t)) != 0)
			return r < 0 ? -1 : 0;
		t->pos++;
		put_literal(t->out, '{');
		return add_atom(t, 1);
	default:
		if (get_utf8(t, &cp) == -1)
			return -1;
		if (cp == 0)
			return refuse(t, "NUL characters are not supported");
		put_literal(t->out, cp);
		return add_atom(t, 1);
	}
}

tk_err
tk_ecma_to_ere(const char *src, size_t len, struct tk_buf *out,
    const char **why)
{
	struct tr t;
	int r;

	memset(&t, 0, sizeof(t));
	t.s = src;
	t.len = len;
	t.out = out;
	t.start[0] = t.gstart[0] = 1;
	*why = NULL;
	while (t.pos < t.len) {
		if ((r = step(&t)) == -2 || out->failed)
			return TK_ERR_NOMEM;
		if (r == -1) {
			*why = t.why;
			return TK_ERR_DEFINITION;
		}
	}
	if (t.level != 0) {
		*why = "unmatched (";
		return TK_ERR_DEFINITION;
	}
	return out->failed ? TK_ERR_NOMEM : TK_OK;
}
