/*
 * response.c - a response under construction, its CGI head, and ETags.
 *
 * Controllers set a status, headers and a body; tasker-fcgi writes
 * tk_response_head() and then the body when tk_response_body_allowed().
 * Header values are checked here, once, so no controller can split a
 * response with a CR or LF taken from a request.
 */
#include "tasker/http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "tasker/hex.h"

#include "internal.h"

/* ------------------------------------------------------------ Lifetime */

void
tk_response_init(struct tk_response *res)
{
	memset(res, 0, sizeof(*res));
	res->status = 200;
	tk_buf_init(&res->body);
}

void
tk_response_free(struct tk_response *res)
{
	size_t i;

	for (i = 0; i < res->nheader; i++)
		free(res->header[i].name);
	free(res->content_type);
	tk_buf_free(&res->body);
	tk_response_init(res);
}

/* ------------------------------------------------------------- Headers */

static int
name_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == 64 || !http_is_tchar(s[i]))
			return 0;
	return i > 0;
}

/* No CR, LF, NUL or other control byte but tab; bounded. */
static int
value_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == TK_HEADER_VALUE_MAX)
			return 0;
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return 0;
	}
	return 1;
}

tk_err
tk_response_set_content_type(struct tk_response *res, const char *ct)
{
	char *p;

	if (ct == NULL || ct[0] == '\0' || !value_valid(ct))
		return TK_ERR_BAD_REQUEST;
	if ((p = strdup(ct)) == NULL)
		return TK_ERR_NOMEM;
	free(res->content_type);
	res->content_type = p;
	return TK_OK;
}

const char *
tk_response_header(const struct tk_response *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nheader; i++)
		if (strcasecmp(res->header[i].name, name) == 0)
			return res->header[i].value;
	return NULL;
}

tk_err
tk_response_set_header(struct tk_response *res, const char *name,
    const char *value)
{
	size_t i, nlen, vlen;
	char *p;

	if (name == NULL || value == NULL)
		return TK_ERR_INTERNAL;
	if (strcasecmp(name, "Status") == 0 ||
	    strcasecmp(name, "Content-Length") == 0)
		return TK_ERR_INTERNAL;
	if (strcasecmp(name, "Content-Type") == 0)
		return tk_response_set_content_type(res, value);
	if (!name_valid(name) || !value_valid(value))
		return TK_ERR_BAD_REQUEST;
	for (i = 0; i < res->nheader; i++)
		if (strcasecmp(res->header[i].name, name) == 0)
			break;
	if (i == TK_RESPONSE_MAX_HEADERS)
		return TK_ERR_INTERNAL;
	nlen = strlen(name);
	vlen = strlen(value);
	if ((p = malloc(nlen + vlen + 2)) == NULL)
		return TK_ERR_NOMEM;
	memcpy(p, name, nlen + 1);
	memcpy(p + nlen + 1, value, vlen + 1);
	if (i < res->nheader)
		free(res->header[i].name);
	else
		res->nheader++;
	res->header[i].name = p;
	res->header[i].value = p + nlen + 1;
	return TK_OK;
}

/* ---------------------------------------------------------------- Link */

void
tk_url_encode(struct tk_buf *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			tk_buf_putc(b, (char)c);
			continue;
		}
		tk_buf_putc(b, '%');
		tk_buf_putc(b, hexd[c >> 4]);
		tk_buf_putc(b, hexd[c & 15]);
	}
}

static int
dropped(const char *name, const char *const *drop)
{
	for (; drop != NULL && *drop != NULL; drop++)
		if (strcmp(name, *drop) == 0)
			return 1;
	return 0;
}

tk_err
tk_response_add_link(struct tk_response *res, const char *prefix,
    const char *path, const struct tk_query *q, const char *const *drop,
    const char *name, const char *value, const char *rel)
{
	const char *old = tk_response_header(res, "Link");
	struct tk_buf b;
	size_t i, n;
	tk_err e;

	tk_buf_init(&b);
	n = prefix != NULL ? strlen(prefix) : 0;
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	if (old != NULL)
		tk_buf_printf(&b, "%s, ", old);
	tk_buf_printf(&b, "<%.*s%s?", (int)n, prefix != NULL ? prefix : "",
	    path);
	for (i = 0; q != NULL && i < q->n; i++) {
		if (dropped(q->pair[i].name, drop))
			continue;
		tk_url_encode(&b, q->pair[i].name, strlen(q->pair[i].name));
		tk_buf_putc(&b, '=');
		tk_url_encode(&b, q->pair[i].value,
		    strlen(q->pair[i].value));
		tk_buf_putc(&b, '&');
	}
	tk_url_encode(&b, name, strlen(name));
	tk_buf_putc(&b, '=');
	tk_url_encode(&b, value, strlen(value));
	tk_buf_printf(&b, ">; rel=\"%s\"", rel);
	if (b.failed)
		e = TK_ERR_NOMEM;
	else if (b.len > TK_HEADER_VALUE_MAX)
		e = TK_OK;   /* too long for a header: the body has it */
	else
		e = tk_response_set_header(res, "Link", tk_buf_str(&b));
	tk_buf_free(&b);
	return e;
}

/* ---------------------------------------------------------------- Head */

const char *
tk_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default:  return NULL;
	}
}

/* Statuses that carry no content, so no Content-Type or -Length. */
static int
bodiless_status(int status)
{
	return status == 204 || status == 304;
}

tk_err
tk_response_head(const struct tk_response *res, struct tk_buf *out)
{
	const char *reason;
	size_t i;

	/* Appends, not printf: this runs once per request. */
	if ((reason = tk_http_reason(res->status)) == NULL)
		return TK_ERR_INTERNAL;
	tk_buf_printf(out, "Status: %d ", res->status);
	tk_buf_puts(out, reason);
	if (!bodiless_status(res->status)) {
		tk_buf_puts(out, "\r\nContent-Type: ");
		tk_buf_puts(out, res->content_type != NULL ?
		    res->content_type : TK_CONTENT_TYPE_JSON);
		tk_buf_printf(out, "\r\nContent-Length: %zu", res->body.len);
	}
	/* Every 503 (database away, probe failed ...) says when to come
	 * back, whichever path made it (RFC 9110 10.2.3). */
	if (res->status == 503 && tk_response_header(res, "Retry-After") ==
	    NULL)
		tk_buf_puts(out, "\r\nRetry-After: " TK_RETRY_AFTER_SECONDS);
	for (i = 0; i < res->nheader; i++) {
		tk_buf_puts(out, "\r\n");
		tk_buf_puts(out, res->header[i].name);
		tk_buf_puts(out, ": ");
		tk_buf_puts(out, res->header[i].value);
	}
	return tk_buf_puts(out, "\r\n\r\n");
}

int
tk_response_body_allowed(const struct tk_response *res, const char *method)
{
	if (method != NULL && strcmp(method, "HEAD") == 0)
		return 0;
	return !bodiless_status(res->status);
}

/* --------------------------------------------------------------- ETags */

/*
 * Every GET answer's ETag is a digest of its body: the digest and its
 * context are fetched once per process and reused (OpenSSL 3 looks the
 * algorithm up and allocates a context on every EVP_Digest otherwise,
 * which cost more than hashing a list page).  Process lifetime: never
 * freed; the process serves one request at a time.
 */
static EVP_MD_CTX *
etag_ctx(void)
{
	static EVP_MD *md;
	static EVP_MD_CTX *ctx;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return NULL;
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1)
		return NULL;
	return ctx;
}

tk_err
tk_etag(const void *body, size_t len, char out[TK_ETAG_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;

	if ((ctx = etag_ctx()) == NULL ||
	    EVP_DigestUpdate(ctx, body != NULL ? body : "", len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 16)
		return TK_ERR_INTERNAL;
	out[0] = '"';
	tk_hex_encode(out + 1, md, 16);
	out[33] = '"';
	out[34] = '\0';
	return TK_OK;
}

/* RFC 9110 etagc: '!', '#'..'~', obs-text. */
static int
is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/*
 * Reads an entity-tag at *sp: sets *tag and *len to the opaque tag with its
 * quotes, moves *sp past it.  0 when malformed.
 */
static int
read_etag(const char **sp, const char **tag, size_t *len)
{
	const char *s = *sp;

	if (s[0] == 'W' && s[1] == '/')
		s += 2;
	if (*s != '"')
		return 0;
	*tag = s++;
	while (is_etagc((unsigned char)*s))
		s++;
	if (*s++ != '"')
		return 0;
	*len = (size_t)(s - *tag);
	*sp = s;
	return 1;
}

int
tk_etag_match(const char *inm, const char *etag)
{
	const char *s, *mine, *tag;
	size_t minelen, len;
	int found = 0;

	if (inm == NULL || etag == NULL)
		return 0;
	s = etag;
	if (!read_etag(&s, &mine, &minelen) || *s != '\0')
		return 0;
	s = http_skip_ows(inm);
	if (*s == '*')
		return *http_skip_ows(s + 1) == '\0';
	for (;;) {
		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;                    /* empty list elements */
		if (*s == '\0')
			break;
		if (!read_etag(&s, &tag, &len))
			return 0;
		if (len == minelen && memcmp(tag, mine, len) == 0)
			found = 1;
		s = http_skip_ows(s);
		if (*s != ',' && *s != '\0')
			return 0;
	}
	return found;
}

tk_err
tk_response_conditional(struct tk_response *res, const struct tk_request *req)
{
	char tag[TK_ETAG_SIZE];
	const char *etag;
	tk_err e;

	if (res->status != 200 || req->method == NULL ||
	    (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0))
		return TK_OK;
	if ((etag = tk_response_header(res, "ETag")) == NULL) {
		if ((e = tk_etag(res->body.data, res->body.len, tag)) != TK_OK)
			return e;
		if ((e = tk_response_set_header(res, "ETag", tag)) != TK_OK)
			return e;
		etag = tk_response_header(res, "ETag");
	}
	if (tk_etag_match(req->if_none_match, etag)) {
		res->status = 304;
		tk_buf_reset(&res->body);
	}
	return TK_OK;
}
