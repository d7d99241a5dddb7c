/*
 * cors.c - cross-origin resource sharing for the origins the operator
 * lists (http.h).  The API layer decides when (dispatch.c: a preflight
 * before authentication, the headers on every answer); this file knows
 * the headers and what an origin looks like.
 */
#include "tasker/http.h"

#include <string.h>

/* The request headers the API reads, which a browser must be allowed
 * to send. */
#define ALLOW_HEADERS "Authorization, Content-Type, Idempotency-Key, " \
	"If-None-Match, X-Request-Id"
/* The response headers a script may read besides the simple ones. */
#define EXPOSE_HEADERS "ETag, Location, X-Request-Id, Retry-After, Link"
/* How long a browser may keep a preflight's answer (seconds). */
#define MAX_AGE "600"

static int
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.';
}

/* Past the host at s (a name, IPv4 or [IPv6]); NULL when there is none. */
static const char *
skip_host(const char *s)
{
	const char *p = s;

	if (*p == '[') {
		for (p++; (*p >= '0' && *p <= '9') || (*p >= 'a' &&
		    *p <= 'f') || *p == ':' || *p == '.'; p++)
			;
		return *p == ']' && p > s + 1 ? p + 1 : NULL;
	}
	while (host_char(*p))
		p++;
	return p > s && *s != '.' && *s != '-' ? p : NULL;
}

int
tk_cors_origin_valid(const char *s)
{
	unsigned long port = 0;
	const char *p;
	size_t n = 0;

	if (s == NULL || strlen(s) > TK_ORIGIN_MAX)
		return 0;
	if (strncmp(s, "https://", 8) == 0)
		p = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		p = s + 7;
	else
		return 0;
	if ((p = skip_host(p)) == NULL)
		return 0;
	if (*p == ':') {
		for (p++; *p >= '0' && *p <= '9' && n < 6; p++, n++)
			port = port * 10 + (unsigned long)(*p - '0');
		if (n == 0 || port == 0 || port > 65535)
			return 0;
	}
	return *p == '\0';
}

const char *
tk_cors_allowed(const struct tk_request *req, char *const *origins,
    size_t n)
{
	const char *origin;
	size_t i;

	if (n == 0 || (origin = tk_request_env(req, "HTTP_ORIGIN")) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(origins[i], origin) == 0)
			return origins[i];
	return NULL;
}

int
tk_cors_is_preflight(const struct tk_request *req)
{
	return req->method != NULL && strcmp(req->method, "OPTIONS") == 0 &&
	    tk_request_env(req, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") != NULL;
}

tk_err
tk_cors_preflight(struct tk_response *res, const char *allow)
{
	tk_err e;

	tk_buf_reset(&res->body);
	res->status = 204;
	if ((e = tk_response_set_header(res, "Access-Control-Allow-Methods",
	    allow)) != TK_OK ||
	    (e = tk_response_set_header(res, "Access-Control-Allow-Headers",
	    ALLOW_HEADERS)) != TK_OK)
		return e;
	return tk_response_set_header(res, "Access-Control-Max-Age", MAX_AGE);
}

tk_err
tk_cors_headers(struct tk_response *res, const char *origin)
{
	tk_err e;

	if ((e = tk_response_set_header(res, "Access-Control-Allow-Origin",
	    origin)) != TK_OK ||
	    (e = tk_response_set_header(res, "Vary", "Origin")) != TK_OK)
		return e;
	return tk_response_set_header(res, "Access-Control-Expose-Headers",
	    EXPOSE_HEADERS);
}
