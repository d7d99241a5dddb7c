/*
 * json_writer.c - writing the task API's answers straight into a buffer, byte
 * for byte what json-c prints with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE (the flags of tk_api_json).
 *
 * Why: a list or a task answer used to parse every stored JSON column
 * (context, tags, results) back into json-c objects only to print them
 * again; that and the objects' malloc churn were most of the CPU of GET
 * /tasks.  Every writer of those columns stores json-c's printout with
 * those same flags (tk_json_text, the engine's results), and printing is
 * a fixpoint: parse + print of json-c's printout gives the same bytes.  So
 * stored text that is in json-c's printed form is copied verbatim.  What
 * is not (rows written by hand or by another program: white space, "\/",
 * "\u00e9", duplicate keys, -0, numbers json-c would saturate, ...) takes
 * the old path, parse and print, so the answer is the same either way.
 *
 * json-c's printed form, which tk_json_canonical accepts and nothing else:
 *  - no white space outside strings;
 *  - strings: bytes below 0x20, '"' and '\\' escaped, everything else
 *    (including '/', DEL and any byte >= 0x80) raw; the escapes are \" \\
 *    \b \f \n \r \t and \u00XX in lower case for the other control bytes
 *    (\u0000 is refused: json-c cuts keys there);
 *  - integers -?(0|[1-9][0-9]*) within [-2^63, 2^64-1], never "-0";
 *    other numbers are RFC 8259 numbers, which json-c prints as it read
 *    them;
 *  - no key twice in an object (json-c keeps one).
 */
#include "tasker/json_writer.h"
#include "tasker/body_parser.h"
#include "tasker/json_canon.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>


#define CANON_DEPTH   32     /* MariaDB's JSON_VALID refuses 32 levels */
#define CANON_KEYS    1024   /* keys of the open objects remembered */
#define CANON_PAIRWISE 16    /* objects up to this many keys: compare pairs */

/* ---------------------------------------------------------------- strings */

tk_err
tk_json_put_str(struct tk_buf *b, const char *s)
{
	if (s == NULL)
		return tk_buf_append(b, "null", 4);
	return tk_json_put_strn(b, s, strlen(s), TK_JSON_ESC_SHORT);
}

/* ---------------------------------------------------------------- canonical form */

struct span {
	const char *p;
	size_t      n;
};

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return memcmp(x->p, y->p, x->n);
}

/* 1 when keys[0..n) (spellings of one object's keys) has a repeat.  Sorts
 * them when there are many. */
static int
has_repeat(struct span *keys, size_t n)
{
	size_t i, j;

	if (n <= CANON_PAIRWISE) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (keys[i].n == keys[j].n &&
				    memcmp(keys[i].p, keys[j].p, keys[i].n) == 0)
					return 1;
		return 0;
	}
	qsort(keys, n, sizeof(*keys), span_cmp);
	for (i = 1; i < n; i++)
		if (span_cmp(&keys[i - 1], &keys[i]) == 0)
			return 1;
	return 0;
}

/* The string opening at s[i] (a '"'): the offset after its closing quote,
 * 0 when it is not in json-c's printed form. */
static size_t
canon_string(const char *s, size_t len, size_t i)
{
	unsigned char c;
	int v;

	for (i++; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c != '\\')
			continue;
		if (++i >= len)
			return 0;
		switch (s[i]) {
		case '"': case '\\': case 'b': case 'f': case 'n': case 'r':
		case 't':
			continue;
		case 'u':
			if (i + 4 >= len || s[i + 1] != '0' || s[i + 2] != '0' ||
			    (s[i + 3] != '0' && s[i + 3] != '1'))
				return 0;
			c = (unsigned char)s[i + 4];
			if (isdigit(c))
				v = c - '0';
			else if (c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else
				return 0;
			v += (s[i + 3] - '0') * 16;
			/* \u0000, and those json-c writes short. */
			if (v == 0 || v == '\b' || v == '\t' || v == '\n' ||
			    v == '\f' || v == '\r')
				return 0;
			i += 4;
			continue;
		default:
			return 0;
		}
	}
	return 0;
}

/* The number at s[i]: the offset after it, 0 when it is not in json-c's
 * printed form. */
static size_t
canon_number(const char *s, size_t len, size_t i)
{
	static const char max_neg[] = "9223372036854775808",
	    max_pos[] = "18446744073709551615";
	const char *lim;
	size_t start, n, ln;
	int neg = 0, isint = 1;

	if (s[i] == '-') {
		neg = 1;
		i++;
	}
	start = i;
	if (i >= len)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	else
		return 0;
	n = i - start;
	if (i < len && s[i] == '.') {
		isint = 0;
		if (++i >= len || !isdigit((unsigned char)s[i]))
			return 0;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		isint = 0;
		if (++i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !isdigit((unsigned char)s[i]))
			return 0;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
	}
	if (!isint)
		return i;   /* json-c prints a double as it read it */
	if (neg && n == 1 && s[start] == '0')
		return 0;   /* "-0" prints as "0" */
	lim = neg ? max_neg : max_pos;
	ln = strlen(lim);
	if (n > ln || (n == ln && memcmp(s + start, lim, n) > 0))
		return 0;   /* json-c would saturate it */
	return i;
}

/* The string, literal or number at s[i]: the offset after it, 0 when it
 * is not in json-c's printed form. */
static size_t
canon_scalar(const char *s, size_t len, size_t i)
{
	switch (s[i]) {
	case '"':
		return canon_string(s, len, i);
	case 't':
		return len - i >= 4 && memcmp(s + i, "true", 4) == 0 ? i + 4 : 0;
	case 'f':
		return len - i >= 5 && memcmp(s + i, "false", 5) == 0 ?
		    i + 5 : 0;
	case 'n':
		return len - i >= 4 && memcmp(s + i, "null", 4) == 0 ? i + 4 : 0;
	default:
		if (s[i] != '-' && !isdigit((unsigned char)s[i]))
			return 0;
		return canon_number(s, len, i);
	}
}

int
tk_json_canonical(const char *s, size_t len)
{
	struct span keys[CANON_KEYS];
	size_t keybase[CANON_DEPTH], nkeys = 0, depth = 0, i = 0, end;
	char open[CANON_DEPTH];

	/* Only an object or an array: json-c's tokener does not finish a
	 * bare number or literal at the end of the text (the old path
	 * answered those with the default). */
	if (s == NULL || len == 0 || (s[0] != '{' && s[0] != '['))
		return 0;
value:
	if (i >= len)
		return 0;
	if (s[i] != '{' && s[i] != '[') {
		if ((i = canon_scalar(s, len, i)) == 0)
			return 0;
		goto after;
	}
	if (depth == CANON_DEPTH)
		return 0;
	open[depth] = s[i];
	keybase[depth] = nkeys;
	depth++;
	if (++i < len && s[i] == (open[depth - 1] == '{' ? '}' : ']'))
		goto close;
	if (open[depth - 1] == '{')
		goto key;
	goto value;
key:
	if (i >= len || s[i] != '"' || (end = canon_string(s, len, i)) == 0 ||
	    nkeys == CANON_KEYS)
		return 0;
	keys[nkeys].p = s + i + 1;
	keys[nkeys].n = end - i - 2;
	nkeys++;
	i = end;
	if (i >= len || s[i] != ':')
		return 0;
	i++;
	goto value;
close:
	/* s[i] closes the innermost container. */
	depth--;
	if (open[depth] == '{' &&
	    has_repeat(keys + keybase[depth], nkeys - keybase[depth]))
		return 0;
	nkeys = keybase[depth];
	i++;
after:
	if (depth == 0)
		return i == len;
	if (i >= len)
		return 0;
	if (s[i] == ',') {
		i++;
		if (open[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (s[i] == (open[depth - 1] == '{' ? '}' : ']'))
		goto close;
	return 0;
}

/* ---------------------------------------------------------------- stored text */

tk_err
tk_json_put_stored(struct tk_buf *b, const char *s, size_t len,
    const char *dflt)
{
	json_object *j;
	tk_err e;

	if (s == NULL)
		return tk_buf_puts(b, dflt);
	if (tk_json_canonical(s, len))
		return tk_buf_append(b, s, len);
	/* The old path: what does not parse (or is null) gets dflt. */
	if ((j = tk_json_parse_stored(s, len)) == NULL)
		return tk_buf_puts(b, dflt);
	e = tk_json_put_object(b, j);
	json_object_put(j);
	return e;
}

tk_err
tk_json_put_object(struct tk_buf *b, json_object *v)
{
	const char *t;
	size_t n = 0;

	if ((t = json_object_to_json_string_length(v, TK_JSON_FLAGS, &n)) == NULL) {
		/* json-c's allocation failed: the buffer remembers it like
		 * its own, so callers check once at the end. */
		b->failed = 1;
		return TK_ERR_NOMEM;
	}
	return tk_buf_append(b, t, n);
}
