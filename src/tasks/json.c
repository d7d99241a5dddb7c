/*
 * json.c - strict request bodies, stored JSON, and the "details" object
 * of validation errors.
 *
 * json-c is lenient in ways a request body must not be: it accepts NaN and
 * Infinity even in strict mode, cuts object keys at "\u0000", and
 * saturates integers it cannot hold.  tk_json_parse_body() therefore
 * parses with json-c (strict, UTF-8 checked, depth limited, explicit
 * length) and then scans the raw text once for what json-c lets through
 * (it also takes 'single-quoted' strings in strict mode).
 */
#include "tasker/tasks.h"
#include "tasker/diag.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

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
 * The raw-text pass over a document json-c accepted: strings are skipped
 * (refusing "\u0000"), number tokens checked, and any bare word other
 * than true, false and null (NaN, Infinity) refused.
 */
static tk_err
scan(const char *buf, size_t len, char *msg, size_t msgsz)
{
	char num[400];
	size_t i = 0, start, n;
	int neg, isint;
	double d;

	while (i < len) {
		char c = buf[i];

		if (c == '"') {
			for (i++; i < len && buf[i] != '"'; i++) {
				if (buf[i] != '\\')
					continue;
				if (i + 5 < len && buf[i + 1] == 'u' &&
				    memcmp(buf + i + 2, "0000", 4) == 0)
					return refuse(buf, len, i, msg, msgsz,
					    "\\u0000 is not allowed in strings");
				i++;   /* the escaped character */
			}
			i++;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			start = i;
			neg = c == '-';
			isint = 1;
			if (neg)
				i++;
			while (i < len && ((buf[i] >= '0' && buf[i] <= '9') ||
			    buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E' ||
			    buf[i] == '+' || buf[i] == '-')) {
				if (buf[i] == '.' || buf[i] == 'e' ||
				    buf[i] == 'E')
					isint = 0;
				i++;
			}
			n = i - start;
			if (n == (size_t)neg)   /* "-Infinity" */
				return refuse(buf, len, start, msg, msgsz,
				    "unexpected word (JSON has no NaN or "
				    "Infinity; its only words are true, false "
				    "and null)");
			if (isint) {
				if (!integer_fits(buf + start + neg,
				    n - (size_t)neg, neg))
					return refuse(buf, len, start, msg,
					    msgsz, "integer out of range "
					    "(integers must lie between "
					    "-9223372036854775808 and "
					    "18446744073709551615)");
				continue;
			}
			if (n >= sizeof(num))
				return refuse(buf, len, start, msg, msgsz,
				    "number too long");
			memcpy(num, buf + start, n);
			num[n] = '\0';
			errno = 0;
			d = strtod(num, NULL);
			if (!isfinite(d))
				return refuse(buf, len, start, msg, msgsz,
				    "number out of range");
			continue;
		}
		if (c == '\'')
			return refuse(buf, len, i, msg, msgsz,
			    "strings must be in double quotes");
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			start = i;
			while (i < len && ((buf[i] >= 'a' && buf[i] <= 'z') ||
			    (buf[i] >= 'A' && buf[i] <= 'Z')))
				i++;
			n = i - start;
			if (!((n == 4 && memcmp(buf + start, "true", 4) == 0) ||
			    (n == 5 && memcmp(buf + start, "false", 5) == 0) ||
			    (n == 4 && memcmp(buf + start, "null", 4) == 0)))
				return refuse(buf, len, start, msg, msgsz,
				    "unexpected word (JSON has no NaN or "
				    "Infinity; its only words are true, false "
				    "and null)");
			continue;
		}
		i++;
	}
	return TK_OK;
}

/* JSON's white space (strchr would also match the NUL byte). */
static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

tk_err
tk_json_parse_body(const char *buf, size_t len, json_object **out, char *msg,
    size_t msgsz)
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
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
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
	if ((e = scan(buf, len, msg, msgsz)) != TK_OK) {
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
	return json_object_to_json_string_length(v, JSON_FLAGS, len);
}
