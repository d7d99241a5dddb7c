/*
 * body_parser.c - strict request bodies, stored JSON, and the "details" object
 * of validation errors.
 *
 * json-c is lenient in ways a request body must not be: it accepts NaN and
 * Infinity even in strict mode, cuts object keys at "\u0000", saturates
 * integers it cannot hold, and its UTF-8 check (JSON_TOKENER_VALIDATE_UTF8)
 * only counts continuation bytes: overlong forms (C0 AF), surrogates
 * (ED A0 80) and code points above U+10FFFF (F4 90 80 80) pass, and a
 * "\ud800" escape becomes U+FFFD.  tk_json_parse_body() therefore parses
 * with json-c (strict, depth limited, explicit length) and then scans the
 * raw text once for what json-c lets through (it also takes
 * 'single-quoted' strings in strict mode), following the document's
 * structure so that a bad string is named by its member's path.
 */
#include "tasker/body_parser.h"
#include "tasker/diag.h"
#include "tasker/json_canon.h"
#include "tasker/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---------------------------------------------------------------- messages */


const char *
tk_quote(char out[72], const char *s)
{
	return tk_diag_quote(out, s != NULL ? s : "");
}

void
tk_details_add(json_object *details, const char *field, const char *fmt, ...)
{
	json_object *arr = NULL;
	char msg[512];
	va_list ap;

	if (details == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json_object_object_get_ex(details, field, &arr)) {
		if ((arr = json_object_new_array()) == NULL)
			return;
		if (json_object_object_add(details, field, arr) != 0) {
			json_object_put(arr);
			return;
		}
	}
	/* Ten messages per field say enough. */
	if (json_object_array_length(arr) < 10)
		json_object_array_add(arr, json_object_new_string(msg));
}

size_t
tk_details_count(json_object *details)
{
	return details != NULL ? (size_t)json_object_object_length(details) : 0;
}

/* ---------------------------------------------------------------- parsing */

/* Line and column (both from 1) of byte offset off in buf. */
static void
position(const char *buf, size_t len, size_t off, unsigned long *line,
    unsigned long *col)
{
	size_t i, start = 0;

	*line = 1;
	if (off > len)
		off = len;
	for (i = 0; i < off; i++)
		if (buf[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	*col = (unsigned long)(off - start) + 1;
}

static tk_err
refuse(const char *buf, size_t len, size_t off, char *msg, size_t msgsz,
    const char *what)
{
	unsigned long line, col;

	position(buf, len, off, &line, &col);
	snprintf(msg, msgsz, "Malformed JSON at line %lu, column %lu: %s",
	    line, col, what);
	return TK_ERR_BAD_REQUEST;
}

/*
 * 1 when the decimal integer digits[0..n) (no sign) with sign neg fits
 * json-c exactly: [-2^63, 2^64 - 1].
 */
static int
integer_fits(const char *digits, size_t n, int neg)
{
	const char *lim = neg ? "9223372036854775808" : "18446744073709551615";
	size_t ln = strlen(lim);

	while (n > 1 && *digits == '0') {
		digits++;
		n--;
	}
	if (n != ln)
		return n < ln;
	return memcmp(digits, lim, n) <= 0;
}

/*
 * Where the raw-text pass is: one frame per open container, with the
 * member being read.  Keys stay offsets into the body (escapes and all):
 * nothing is copied unless a string turns out bad.
 */
struct frame {
	char   kind;     /* '{' or '[' */
	size_t index;    /* '[': the element */
	size_t key;      /* '{': the member's raw key, buf[key..key+keylen) */
	size_t keylen;
};

struct where {
	struct frame f[TK_BODY_MAX_DEPTH + 1];   /* json-c allows 40 */
	int          depth;
	int          want_key;   /* in an object, before the member's ':' */
};

#define PATH_SIZE 256   /* a field's path in details, "..." when cut */
#define SEG_MAX   64    /* bytes of one key in it */

/*
 * Appends s[0..n) to the path out (NUL-terminated, of size PATH_SIZE),
 * made safe for a message: printable ASCII and well-formed UTF-8 other
 * than controls stay, every other byte is '?'; at most SEG_MAX bytes of
 * s, and "..." where it is cut.
 */
static void
path_put(char *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = strlen(out), i = 0, k, room = PATH_SIZE - 4;

	while (i < n && i < SEG_MAX && o < room) {
		k = tk_utf8_seq(p + i, n - i);
		if (k == 0 || p[i] < 0x20 || p[i] == 0x7f ||
		    (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			out[o++] = '?';   /* a control, or not UTF-8 */
			i += k > 0 ? k : 1;
		} else if (o + k > room)
			o = room;         /* no room for the character */
		else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	if (i < n) {
		memcpy(out + (o < room ? o : room), "...", 4);
		return;
	}
	out[o] = '\0';
}

/* The path of the member being read: "context.customer.name", "tags[2]";
 * "body" for the document itself. */
static void
path_of(const char *buf, const struct where *w, char out[PATH_SIZE])
{
	char idx[32];
	int d;

	out[0] = '\0';
	for (d = 0; d < w->depth; d++) {
		const struct frame *f = &w->f[d];

		if (f->kind == '[') {
			snprintf(idx, sizeof(idx), "%s[%zu]", d == 0 ? "body" :
			    "", f->index);
			path_put(out, idx, strlen(idx));
		} else {
			if (d > 0)
				path_put(out, ".", 1);
			path_put(out, buf + f->key, f->keylen);
		}
	}
	if (out[0] == '\0')
		snprintf(out, PATH_SIZE, "body");
}

/*
 * One string of the body, buf[start..start+n) as written (escapes and
 * all), checked with the one UTF-8 check: json-c copies the bytes of a
 * string as they are (its own check lets overlong forms, surrogates and
 * code points above U+10FFFF through), and decodes every escape to
 * well-formed UTF-8 except half a surrogate pair, which it quietly turns
 * into U+FFFD.  The first problem goes into details under the member's
 * path, with its position in msg.
 */
static tk_err
check_text(const char *buf, size_t len, size_t start, size_t n,
    const struct where *w, int is_key, char *msg, size_t msgsz,
    json_object *details)
{
	char path[PATH_SIZE];
	unsigned long line, col;
	size_t bad, esc;

	bad = tk_utf8_bad(buf + start, n);
	esc = tk_utf8_json_escapes(buf + start, bad);
	if (bad == n && esc == n)
		return TK_OK;
	path_of(buf, w, path);
	if (esc < bad)
		tk_details_add(details, path, "'%.6s' is half a surrogate pair, "
		    "not a character", buf + start + esc);
	else
		tk_details_add(details, path, "%s be valid UTF-8 (no overlong "
		    "forms, surrogates, code points above U+10FFFF or stray "
		    "bytes)", is_key ? "the key must" : "must");
	position(buf, len, start + (esc < bad ? esc : bad), &line, &col);
	snprintf(msg, msgsz, "Invalid UTF-8 in the request body at line %lu, "
	    "column %lu", line, col);
	return TK_ERR_BAD_REQUEST;
}

/* Follows the document's structure for check_text's paths. */
static void
follow(struct where *w, char c)
{
	struct frame *top = w->depth > 0 ? &w->f[w->depth - 1] : NULL;

	switch (c) {
	case '{':
	case '[':
		if (w->depth < TK_BODY_MAX_DEPTH + 1) {
			memset(&w->f[w->depth], 0, sizeof(w->f[0]));
			w->f[w->depth++].kind = c;
		}
		w->want_key = c == '{';
		break;
	case '}':
	case ']':
		if (w->depth > 0)
			w->depth--;
		w->want_key = 0;
		break;
	case ',':
		if (top != NULL && top->kind == '[')
			top->index++;
		else
			w->want_key = 1;
		break;
	case ':':
		w->want_key = 0;
		break;
	}
}

#define NO_WORDS "unexpected word (JSON has no NaN or Infinity; its only " \
	"words are true, false and null)"

/* The string opening at buf[*i] (a '"'): "\u0000" refused, the text
 * checked (check_text); *i moves past its closing quote. */
static tk_err
scan_string(const char *buf, size_t len, size_t *pi, struct where *w,
    char *msg, size_t msgsz, json_object *details)
{
	struct frame *top = w->depth > 0 ? &w->f[w->depth - 1] : NULL;
	size_t i = *pi, start;
	int is_key;

	for (start = ++i; i < len && buf[i] != '"'; i++) {
		if (buf[i] != '\\')
			continue;
		if (i + 5 < len && buf[i + 1] == 'u' &&
		    memcmp(buf + i + 2, "0000", 4) == 0)
			return refuse(buf, len, i, msg, msgsz,
			    "\\u0000 is not allowed in strings");
		i++;   /* the escaped character */
	}
	is_key = top != NULL && w->want_key && top->kind == '{';
	if (is_key) {
		top->key = start;
		top->keylen = i - start;
	}
	*pi = i + 1;
	return check_text(buf, len, start, i - start, w, is_key, msg, msgsz,
	    details);
}

/* The number token at buf[*i]: an integer json-c holds, or a finite
 * double; *i moves past it. */
static tk_err
scan_number(const char *buf, size_t len, size_t *pi, char *msg,
    size_t msgsz)
{
	char num[400];
	size_t i = *pi, start = *pi, n;
	int neg = buf[i] == '-', isint = 1;

	if (neg)
		i++;
	while (i < len && ((buf[i] >= '0' && buf[i] <= '9') ||
	    buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E' ||
	    buf[i] == '+' || buf[i] == '-')) {
		if (buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E')
			isint = 0;
		i++;
	}
	*pi = i;
	n = i - start;
	if (n == (size_t)neg)   /* "-Infinity" */
		return refuse(buf, len, start, msg, msgsz, NO_WORDS);
	if (isint) {
		if (!integer_fits(buf + start + neg, n - (size_t)neg, neg))
			return refuse(buf, len, start, msg, msgsz,
			    "integer out of range (integers must lie between "
			    "-9223372036854775808 and 18446744073709551615)");
		return TK_OK;
	}
	if (n >= sizeof(num))
		return refuse(buf, len, start, msg, msgsz, "number too long");
	memcpy(num, buf + start, n);
	num[n] = '\0';
	errno = 0;
	if (!isfinite(strtod(num, NULL)))
		return refuse(buf, len, start, msg, msgsz,
		    "number out of range");
	return TK_OK;
}

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The bare word at buf[*i]: true, false or null; *i moves past it. */
static tk_err
scan_word(const char *buf, size_t len, size_t *pi, char *msg, size_t msgsz)
{
	size_t i = *pi, start = *pi, n;

	while (i < len && is_letter(buf[i]))
		i++;
	*pi = i;
	n = i - start;
	if ((n == 4 && memcmp(buf + start, "true", 4) == 0) ||
	    (n == 5 && memcmp(buf + start, "false", 5) == 0) ||
	    (n == 4 && memcmp(buf + start, "null", 4) == 0))
		return TK_OK;
	return refuse(buf, len, start, msg, msgsz, NO_WORDS);
}

/*
 * The raw-text pass over a document json-c accepted: strings are checked
 * (check_text; "\u0000" is refused), number tokens checked, and any bare
 * word other than true, false and null (NaN, Infinity) refused.
 */
static tk_err
scan(const char *buf, size_t len, char *msg, size_t msgsz,
    json_object *details)
{
	struct where w;
	size_t i = 0;
	tk_err e = TK_OK;
	char c;

	memset(&w, 0, sizeof(w));
	while (i < len && e == TK_OK) {
		c = buf[i];
		if (c == '"')
			e = scan_string(buf, len, &i, &w, msg, msgsz, details);
		else if (strchr("{}[],:", c) != NULL && c != '\0') {
			follow(&w, c);
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9'))
			e = scan_number(buf, len, &i, msg, msgsz);
		else if (c == '\'')
			return refuse(buf, len, i, msg, msgsz,
			    "strings must be in double quotes");
		else if (is_letter(c))
			e = scan_word(buf, len, &i, msg, msgsz);
		else
			i++;
	}
	return e;
}

/* JSON's white space (strchr would also match the NUL byte). */
static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

tk_err
tk_json_parse_body(const char *buf, size_t len, json_object **out, char *msg,
    size_t msgsz, json_object *details)
{
	enum json_tokener_error je;
	json_tokener *tok;
	json_object *j;
	size_t end, i;
	tk_err e;

	*out = NULL;
	msg[0] = '\0';
	if (buf == NULL)
		len = 0;
	for (i = 0; i < len && is_ws(buf[i]); i++)
		;
	if (i == len) {
		snprintf(msg, msgsz, "Request body is empty; send a JSON object");
		return TK_ERR_BAD_REQUEST;
	}
	if (len > INT32_MAX) {
		snprintf(msg, msgsz, "Request body is too large");
		return TK_ERR_BAD_REQUEST;
	}
	if ((tok = json_tokener_new_ex(TK_BODY_MAX_DEPTH)) == NULL)
		return TK_ERR_NOMEM;
	/* Not JSON_TOKENER_VALIDATE_UTF8: json-c's check lets overlong
	 * forms, surrogates and code points above U+10FFFF through, and says
	 * nothing of where.  scan() checks every string strictly and names
	 * its member. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, buf, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (je == json_tokener_continue && j == NULL) {
		/* A bare number or literal (RFC 8259 allows one at the top)
		 * ends only where the input ends: tell the tokener so. */
		j = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) == json_tokener_success)
			je = json_tokener_success;	/* j NULL: "null" */
		else {
			json_object_put(j);
			j = NULL;
		}
	}
	json_tokener_free(tok);
	if (je == json_tokener_continue) {
		json_object_put(j);
		return refuse(buf, len, len, msg, msgsz,
		    "unexpected end of input");
	}
	if (je == json_tokener_success && j == NULL) {
		/* json-c's value for the literal null: valid JSON, but no
		 * request body of ours may be it. */
		snprintf(msg, msgsz, "Request body is null; send a JSON object");
		return TK_ERR_BAD_REQUEST;
	}
	if (je != json_tokener_success || j == NULL) {
		json_object_put(j);
		if (je == json_tokener_error_depth)
			return refuse(buf, len, end, msg, msgsz, "nested "
			    "deeper than 40 levels");
		return refuse(buf, len, end, msg, msgsz,
		    json_tokener_error_desc(je));
	}
	/* Strict mode refuses anything but white space after the value;
	 * check anyway, the contract is ours. */
	for (i = end; i < len; i++)
		if (!is_ws(buf[i])) {
			json_object_put(j);
			return refuse(buf, len, i, msg, msgsz,
			    "unexpected data after the JSON value");
		}
	if ((e = scan(buf, len, msg, msgsz, details)) != TK_OK) {
		json_object_put(j);
		return e;
	}
	*out = j;
	return TK_OK;
}

json_object *
tk_json_parse_stored(const char *s, size_t len)
{
	json_tokener *tok;
	json_object *j;

	if (s == NULL || len > INT32_MAX ||
	    (tok = json_tokener_new_ex(TK_BODY_MAX_DEPTH + 24)) == NULL)
		return NULL;
	j = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	return j;
}

unsigned
tk_json_depth(json_object *v)
{
	unsigned d, max = 0;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_object: {
		json_object_object_foreach(v, k, val) {
			(void)k;
			if ((d = tk_json_depth(val)) > max)
				max = d;
		}
		return max + 1;
	}
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if ((d = tk_json_depth(json_object_array_get_idx(v, i)))
			    > max)
				max = d;
		return max + 1;
	default:
		return 0;
	}
}

const char *
tk_json_text(json_object *v, size_t *len)
{
	return json_object_to_json_string_length(v, TK_JSON_FLAGS, len);
}
