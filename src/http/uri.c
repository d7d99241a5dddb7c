/*
 * uri.c - the request target: mount prefix, route path, query string.
 *
 * Everything here reads bytes a client chose.  Each input is bounded
 * before it is copied, decoded into a buffer that cannot overflow
 * (decoding never grows a string), and checked after decoding: no NUL,
 * no control bytes in paths, valid UTF-8 everywhere, no "." or "..".
 */
#include "tasker/http.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tasker/hex.h"
#include "tasker/utf8.h"

/* ------------------------------------------------------------ Helpers */

static void
setmsg(char *msg, size_t msgsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
setmsg(char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msgsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
}

/*
 * A client-chosen name made safe to quote in a message: printable ASCII
 * but the quote, at most 40 bytes, "..." when cut.
 */
static const char *
quotable(char *out, size_t outsz, const char *s, size_t len)
{
	size_t i, o, max;

	max = outsz - 4;
	for (i = o = 0; i < len && o < max; i++)
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'') ?
		    s[i] : '?';
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

#define PRINTABLE_SIZE 44

/*
 * Decodes len bytes of src into dst (room for len bytes; dst may equal
 * src).  plus: '+' is a space (query strings).  -1 on a '%' not followed
 * by two hex digits.  The result may hold NUL: the caller checks.
 */
static int
pct_decode(const char *src, size_t len, int plus, char *dst, size_t *dlen)
{
	size_t i, o;
	int hi, lo;

	for (i = o = 0; i < len; i++) {
		if (src[i] == '%') {
			if (len - i < 3)
				return -1;
			hi = tk_hexval((unsigned char)src[i + 1]);
			lo = tk_hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus && src[i] == '+')
			dst[o++] = ' ';
		else
			dst[o++] = src[i];
	}
	*dlen = o;
	return 0;
}

/* -------------------------------------------------------- Mount prefix */

/* The prefix without its trailing '/'s: its length. */
static size_t
prefix_len(const char *prefix)
{
	size_t len = strlen(prefix);

	while (len > 0 && prefix[len - 1] == '/')
		len--;
	return len;
}

int
tk_prefix_valid(const char *prefix)
{
	size_t len, i, start, nseg = 0;

	if (prefix == NULL || strcmp(prefix, "/") == 0)
		return 1;
	len = prefix_len(prefix);
	if (len == 0)
		return prefix[0] == '\0';
	if (len > TK_PREFIX_MAX || prefix[0] != '/')
		return 0;
	for (i = 1, start = 1; i <= len; i++) {
		if (i < len && prefix[i] != '/') {
			if ((unsigned char)prefix[i] <= 0x20 ||
			    prefix[i] == 0x7f || strchr("%?#", prefix[i]))
				return 0;
			continue;
		}
		if (i == start ||
		    (i - start == 1 && prefix[start] == '.') ||
		    (i - start == 2 && prefix[start] == '.' &&
		    prefix[start + 1] == '.'))
			return 0;
		if (++nseg > TK_PREFIX_MAX_SEGS)
			return 0;
		start = i + 1;
	}
	return tk_utf8_valid(prefix, len);
}

/*
 * Strips the prefix's segments from seg[0..*nseg): 0 when the path is
 * not under the prefix.
 */
static int
strip_prefix(const char *prefix, const char **seg, size_t *nseg)
{
	size_t len, i, start, k = 0, n;

	len = prefix == NULL ? 0 : prefix_len(prefix);
	for (i = 1, start = 1; len > 0 && i <= len; i++) {
		if (i < len && prefix[i] != '/')
			continue;
		n = i - start;
		if (k == *nseg || strlen(seg[k]) != n ||
		    memcmp(seg[k], prefix + start, n) != 0)
			return 0;
		k++;
		start = i + 1;
	}
	memmove(seg, seg + k, (*nseg - k) * sizeof(*seg));
	*nseg -= k;
	return 1;
}

/* ---------------------------------------------------------- Route path */

void
tk_path_free(struct tk_path *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

/*
 * Picks the raw path: REQUEST_URI up to '?', else SCRIPT_NAME+PATH_INFO.
 * Copies it into a new buffer *out (len bytes + NUL); *decode says
 * whether it still needs percent-decoding.
 */
static tk_err
raw_path(const char *request_uri, const char *script_name,
    const char *path_info, char **out, size_t *outlen, int *decode,
    char *msg, size_t msgsz)
{
	const char *s, *t;
	size_t len, l1, l2;
	char *buf;

	if (request_uri != NULL && request_uri[0] != '\0') {
		s = request_uri;
		/* Absolute form "http://host/p?q": keep "/p". */
		if (strncasecmp(s, "http://", 7) == 0 ||
		    strncasecmp(s, "https://", 8) == 0) {
			s = strstr(s, "//") + 2;
			len = strcspn(s, "/?");
			s += len;
			if (*s != '/')
				s = "/";
		}
		len = strcspn(s, "?");
		*decode = 1;
		if (len > TK_PATH_MAX)
			goto toolong;
		if (s[0] != '/') {
			setmsg(msg, msgsz, "request path must start with '/'");
			return TK_ERR_BAD_REQUEST;
		}
		if ((buf = malloc(len + 1)) == NULL)
			return TK_ERR_NOMEM;
		memcpy(buf, s, len);
		buf[len] = '\0';
	} else {
		s = script_name != NULL ? script_name : "";
		t = path_info != NULL ? path_info : "";
		l1 = strnlen(s, TK_PATH_MAX + 1);
		l2 = strnlen(t, TK_PATH_MAX + 1);
		len = l1 + l2;
		*decode = 0;
		if (len > TK_PATH_MAX)
			goto toolong;
		if (len == 0 || (l1 > 0 ? s[0] : t[0]) != '/') {
			setmsg(msg, msgsz, "request path must start with '/'");
			return TK_ERR_BAD_REQUEST;
		}
		if ((buf = malloc(len + 1)) == NULL)
			return TK_ERR_NOMEM;
		memcpy(buf, s, l1);
		memcpy(buf + l1, t, l2);
		buf[len] = '\0';
	}
	*out = buf;
	*outlen = len;
	return TK_OK;
toolong:
	setmsg(msg, msgsz, "request path is longer than %d bytes", TK_PATH_MAX);
	return TK_ERR_BAD_REQUEST;
}

/* Checks one decoded segment: a message when it is bad, else NULL. */
static const char *
bad_segment(const char *s, size_t len)
{
	if (memchr(s, '\0', len) != NULL || tk_has_ctl(s, len))
		return "request path contains a NUL or control character";
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' &&
	    s[1] == '.'))
		return "request path contains a '.' or '..' segment";
	if (!tk_utf8_valid(s, len))
		return "request path is not valid UTF-8";
	return NULL;
}

/*
 * Splits buf[0..len) ("/a/b", no trailing '/') into at most maxseg
 * checked segments, decoding in place when decode: each segment reads
 * '/' + raw bytes and writes at most as many decoded bytes + NUL, so w
 * never passes r.  seg[] points into buf.
 */
static tk_err
split_path(char *buf, size_t len, int decode, const char **seg,
    size_t maxseg, size_t *nseg, char *msg, size_t msgsz)
{
	const char *why;
	size_t r, w, end, dlen;

	for (r = 0, w = 0; r < len; r = end) {
		r++;                                 /* the '/' */
		end = r + strcspn(buf + r, "/");
		if (end == r) {
			setmsg(msg, msgsz, "request path has an empty segment");
			return TK_ERR_BAD_REQUEST;
		}
		if (*nseg == maxseg) {
			setmsg(msg, msgsz,
			    "request path has more than %d segments",
			    TK_PATH_MAX_SEGS);
			return TK_ERR_BAD_REQUEST;
		}
		if (!decode) {
			memmove(buf + w, buf + r, end - r);
			dlen = end - r;
		} else if (pct_decode(buf + r, end - r, 0, buf + w, &dlen)) {
			setmsg(msg, msgsz,
			    "request path has an invalid percent-encoding");
			return TK_ERR_BAD_REQUEST;
		}
		if ((why = bad_segment(buf + w, dlen)) != NULL) {
			setmsg(msg, msgsz, "%s", why);
			return TK_ERR_BAD_REQUEST;
		}
		seg[(*nseg)++] = buf + w;
		w += dlen;
		buf[w++] = '\0';
	}
	return TK_OK;
}

tk_err
tk_path_extract(struct tk_path *p, const char *prefix,
    const char *request_uri, const char *script_name, const char *path_info,
    char *msg, size_t msgsz)
{
	const char *seg[TK_PREFIX_MAX_SEGS + TK_PATH_MAX_SEGS];
	size_t len, nseg = 0;
	int decode;
	char *buf = NULL;
	tk_err e;

	memset(p, 0, sizeof(*p));
	if (!tk_prefix_valid(prefix)) {
		setmsg(msg, msgsz, "invalid mount prefix");
		return TK_ERR_CONFIG;
	}
	e = raw_path(request_uri, script_name, path_info, &buf, &len,
	    &decode, msg, msgsz);
	if (e != TK_OK)
		return e;

	/* One trailing '/' is not a segment: "/a/" is "/a", "/" is "". */
	if (len > 0 && buf[len - 1] == '/')
		buf[--len] = '\0';
	e = split_path(buf, len, decode, seg, sizeof(seg) / sizeof(seg[0]),
	    &nseg, msg, msgsz);
	if (e != TK_OK)
		goto err;
	if (!strip_prefix(prefix, seg, &nseg)) {
		if (msg != NULL && msgsz > 0)
			msg[0] = '\0';          /* the error's default */
		e = TK_ERR_ROUTE_NOT_FOUND;
		goto err;
	}
	if (nseg > TK_PATH_MAX_SEGS) {
		setmsg(msg, msgsz, "request path has more than %d segments",
		    TK_PATH_MAX_SEGS);
		e = TK_ERR_BAD_REQUEST;
		goto err;
	}
	p->buf = buf;
	memcpy(p->seg, seg, nseg * sizeof(seg[0]));
	p->nseg = nseg;
	return TK_OK;
err:
	free(buf);
	return e;
}

/* -------------------------------------------------------- Query string */

void
tk_query_free(struct tk_query *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

/*
 * Decodes one name or value of raw length len at src into *w, moves *w
 * past it and its NUL.  A message naming the parameter when it is bad.
 */
static tk_err
query_piece(const char *src, size_t len, size_t max, const char *what,
    const char *pname, char **w, char *msg, size_t msgsz)
{
	size_t dlen;
	const char *why = NULL;

	if (pct_decode(src, len, 1, *w, &dlen))
		why = "has an invalid percent-encoding";
	else if (dlen > max)
		why = "is too long";
	else if (memchr(*w, '\0', dlen) != NULL)
		why = "contains a NUL byte";
	else if (!tk_utf8_valid(*w, dlen))
		why = "is not valid UTF-8";
	if (why != NULL) {
		setmsg(msg, msgsz, "query parameter %s'%s' %s", what, pname,
		    why);
		return TK_ERR_BAD_REQUEST;
	}
	(*w)[dlen] = '\0';
	*w += dlen + 1;
	return TK_OK;
}

tk_err
tk_query_parse(struct tk_query *q, const char *qs, char *msg, size_t msgsz)
{
	char pname[PRINTABLE_SIZE];
	const char *s, *amp, *eq;
	size_t len, nlen;
	char *w;
	tk_err e;

	memset(q, 0, sizeof(*q));
	if (qs == NULL || qs[0] == '\0')
		return TK_OK;
	if ((len = strnlen(qs, TK_QUERY_MAX + 1)) > TK_QUERY_MAX) {
		setmsg(msg, msgsz, "query string is longer than %d bytes",
		    TK_QUERY_MAX);
		return TK_ERR_BAD_REQUEST;
	}
	/* Each pair writes at most its raw bytes plus two NULs. */
	if ((q->buf = malloc(len + 2 * TK_QUERY_MAX_PAIRS + 2)) == NULL)
		return TK_ERR_NOMEM;
	w = q->buf;
	for (s = qs; s < qs + len; s = amp + 1) {
		if ((amp = strchr(s, '&')) == NULL)
			amp = qs + len;
		if (amp == s)
			continue;                    /* "a=1&&b=2" */
		if (q->n == TK_QUERY_MAX_PAIRS) {
			setmsg(msg, msgsz, "more than %d query parameters",
			    TK_QUERY_MAX_PAIRS);
			e = TK_ERR_BAD_REQUEST;
			goto err;
		}
		if ((eq = memchr(s, '=', (size_t)(amp - s))) == NULL)
			eq = amp;
		nlen = (size_t)(eq - s);
		if (nlen == 0) {
			setmsg(msg, msgsz,
			    "query parameter with an empty name");
			e = TK_ERR_BAD_REQUEST;
			goto err;
		}
		quotable(pname, sizeof(pname), s, nlen);
		q->pair[q->n].name = w;
		if ((e = query_piece(s, nlen, TK_QUERY_MAX_NAME, "name ",
		    pname, &w, msg, msgsz)) != TK_OK)
			goto err;
		quotable(pname, sizeof(pname), q->pair[q->n].name,
		    strlen(q->pair[q->n].name));
		q->pair[q->n].value = w;
		if (eq == amp)
			*w++ = '\0';
		else if ((e = query_piece(eq + 1, (size_t)(amp - eq - 1),
		    TK_QUERY_MAX_VALUE, "", pname, &w, msg, msgsz)) != TK_OK)
			goto err;
		q->n++;
	}
	return TK_OK;
err:
	tk_query_free(q);
	return e;
}

const char *
tk_query_get_nth(const struct tk_query *q, const char *name, size_t i)
{
	size_t k;

	for (k = 0; k < q->n; k++)
		if (strcmp(q->pair[k].name, name) == 0 && i-- == 0)
			return q->pair[k].value;
	return NULL;
}

const char *
tk_query_get(const struct tk_query *q, const char *name)
{
	return tk_query_get_nth(q, name, 0);
}

size_t
tk_query_count(const struct tk_query *q, const char *name)
{
	size_t k, n = 0;

	for (k = 0; k < q->n; k++)
		if (strcmp(q->pair[k].name, name) == 0)
			n++;
	return n;
}

tk_err
tk_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long n = 0;
	unsigned d;

	if (s == NULL || *s == '\0')
		return TK_ERR_BAD_REQUEST;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return TK_ERR_BAD_REQUEST;
		d = (unsigned)(*s - '0');
		if (n > (ULLONG_MAX - d) / 10)
			return TK_ERR_BAD_REQUEST;
		n = n * 10 + d;
	}
	if (n > max)
		return TK_ERR_BAD_REQUEST;
	*out = n;
	return TK_OK;
}

/* The single value of name: 0 absent, 1 found, -1 repeated (msg set). */
static int
single(const struct tk_query *q, const char *name, const char **v,
    char *msg, size_t msgsz)
{
	char pname[PRINTABLE_SIZE];
	size_t n;

	if ((n = tk_query_count(q, name)) == 0)
		return 0;
	if (n > 1) {
		setmsg(msg, msgsz, "query parameter '%s' must be given once",
		    quotable(pname, sizeof(pname), name, strlen(name)));
		return -1;
	}
	*v = tk_query_get(q, name);
	return 1;
}

tk_err
tk_query_uint(const struct tk_query *q, const char *name,
    unsigned long long min, unsigned long long max, unsigned long long *out,
    char *msg, size_t msgsz)
{
	char pname[PRINTABLE_SIZE];
	unsigned long long n;
	const char *v = NULL;
	int r;

	if ((r = single(q, name, &v, msg, msgsz)) <= 0)
		return r == 0 ? TK_OK : TK_ERR_BAD_REQUEST;
	if (tk_parse_uint(v, max, &n) != TK_OK || n < min) {
		setmsg(msg, msgsz, "query parameter '%s' must be an integer "
		    "between %llu and %llu",
		    quotable(pname, sizeof(pname), name, strlen(name)),
		    min, max);
		return TK_ERR_BAD_REQUEST;
	}
	*out = n;
	return TK_OK;
}

tk_err
tk_query_bool(const struct tk_query *q, const char *name, int *out,
    char *msg, size_t msgsz)
{
	char pname[PRINTABLE_SIZE];
	const char *v = NULL;
	int r;

	if ((r = single(q, name, &v, msg, msgsz)) <= 0)
		return r == 0 ? TK_OK : TK_ERR_BAD_REQUEST;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else {
		setmsg(msg, msgsz, "query parameter '%s' must be true, false, "
		    "1 or 0",
		    quotable(pname, sizeof(pname), name, strlen(name)));
		return TK_ERR_BAD_REQUEST;
	}
	return TK_OK;
}
