/*
 * fuzz_http.c - libFuzzer driver for the HTTP layer's parsers: the route
 * path (tk_path_extract), the query string (tk_query_parse and the typed
 * getters), a whole CGI environment (tk_request_from_env) matched against
 * a route table shaped like tasker's, and the small header parsers
 * (Content-Length, Content-Type, If-None-Match, X-Request-Id).
 *
 * Input: up to five lines, "\n"-separated: REQUEST_URI, QUERY_STRING,
 * REQUEST_METHOD, a header value, PATH_INFO.  Besides "no crash, no
 * leak, no undefined behaviour", the driver checks what the header
 * promises of a successful parse and aborts when it does not hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/http.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static tk_err
dummy(struct tk_request *req, struct tk_response *res)
{
	(void)req;
	(void)res;
	return TK_OK;
}

static const struct tk_route routes[] = {
	{ "GET", "/handlers", "p", 0, dummy, "a" },
	{ "GET", "/handlers/{namespace}", "p", 0, dummy, "b" },
	{ "GET", "/handlers/{namespace}/{name}", "p", 0, dummy, "c" },
	{ "GET", "/tasks", "p", 0, dummy, "d" },
	{ "POST", "/tasks", "p", 0, dummy, "e" },
	{ "GET", "/tasks/{id}", "p", 0, dummy, "f" },
	{ "PATCH", "/tasks/{id}", "p", 0, dummy, "g" },
	{ "DELETE", "/tasks/{id}", "p", 0, dummy, "h" },
	{ "GET", "/tasks/stats", "p", 0, dummy, "i" },
	{ "GET", "/tasks/{id}/workflow_steps/{step}", "p", 0, dummy, "j" },
	{ "GET", "/health/live", NULL, TK_ROUTE_OPEN, dummy, "k" },
};

/* Valid UTF-8, and with ctl no control byte either. */
static int
utf8_ok(const char *s, int ctl)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if (ctl && (*p < 0x20 || *p == 0x7f))
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		{
			int n = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			    (*p & 0xf8) == 0xf0 ? 3 : -1;
			if (n < 0 || *p == 0xc0 || *p == 0xc1 || *p > 0xf4)
				return 0;
			for (p++; n-- > 0; p++)
				if ((*p & 0xc0) != 0x80)
					return 0;
		}
	}
	return 1;
}

static void
path_checks(const char *prefix, const char *uri, const char *sn,
    const char *pi)
{
	struct tk_path p;
	char msg[TK_ERRMSG_SIZE];
	size_t i;
	tk_err e;

	memset(&p, 0, sizeof(p));
	e = tk_path_extract(&p, prefix, uri, sn, pi, msg, sizeof(msg));
	if (e == TK_OK) {
		CHECK(p.nseg <= TK_PATH_MAX_SEGS);
		for (i = 0; i < p.nseg; i++) {
			CHECK(p.seg[i] != NULL && p.seg[i][0] != '\0');
			CHECK(strcmp(p.seg[i], ".") != 0 &&
			    strcmp(p.seg[i], "..") != 0);
			CHECK(utf8_ok(p.seg[i], 1));
		}
	} else
		CHECK(p.nseg == 0);
	tk_path_free(&p);
}

static void
query_checks(const char *qs)
{
	struct tk_query q;
	char msg[TK_ERRMSG_SIZE];
	unsigned long long u = 7;
	int b = 0;
	size_t i;

	memset(&q, 0, sizeof(q));
	if (tk_query_parse(&q, qs, msg, sizeof(msg)) == TK_OK) {
		CHECK(q.n <= TK_QUERY_MAX_PAIRS);
		for (i = 0; i < q.n; i++) {
			CHECK(q.pair[i].name[0] != '\0');
			CHECK(strlen(q.pair[i].name) <= TK_QUERY_MAX_NAME);
			CHECK(strlen(q.pair[i].value) <= TK_QUERY_MAX_VALUE);
			CHECK(utf8_ok(q.pair[i].name, 0));
			CHECK(utf8_ok(q.pair[i].value, 0));
			CHECK(tk_query_count(&q, q.pair[i].name) >= 1);
		}
		if (q.n > 0) {
			if (tk_query_uint(&q, q.pair[0].name, 1, 100, &u, msg,
			    sizeof(msg)) == TK_OK)
				CHECK(u >= 1 && u <= 100);
			(void)tk_query_bool(&q, q.pair[0].name, &b, msg,
			    sizeof(msg));
			(void)tk_query_get_nth(&q, q.pair[0].name, 1);
		}
		(void)tk_query_get(&q, "page");
	} else
		CHECK(q.n == 0);
	tk_query_free(&q);
}

static void
request_checks(char *uri, char *qs, char *method, char *hdr, char *pi)
{
	struct tk_request req;
	char allow[TK_ALLOW_SIZE];
	char *env[12];
	char *buf[8];
	size_t n = 0, i;
	tk_err e;

	/* "NAME=value" strings for the environment. */
	const char *names[] = { "REQUEST_URI=", "QUERY_STRING=",
	    "REQUEST_METHOD=", "HTTP_X_REQUEST_ID=", "PATH_INFO=",
	    "HTTP_IF_NONE_MATCH=", "CONTENT_LENGTH=" };
	const char *vals[] = { uri, qs, method, hdr, pi, hdr, hdr };
	for (i = 0; i < 7; i++) {
		size_t ln = strlen(names[i]), lv = strlen(vals[i]);
		if ((buf[n] = malloc(ln + lv + 1)) == NULL)
			goto out;
		memcpy(buf[n], names[i], ln);
		memcpy(buf[n] + ln, vals[i], lv + 1);
		env[n] = buf[n];
		n++;
	}
	env[n] = NULL;

	tk_request_init(&req);
	e = tk_request_from_env(&req, env, "/tasker");
	CHECK(req.request_id[0] != '\0');
	if (e == TK_OK) {
		e = tk_route_match(routes, sizeof(routes) / sizeof(routes[0]),
		    &req, allow, sizeof(allow));
		if (e == TK_OK) {
			CHECK(req.route != NULL);
			CHECK(req.nparam <= TK_PATH_MAX_SEGS);
			for (i = 0; i < req.nparam; i++)
				CHECK(req.param[i].value != NULL);
		} else if (e == TK_ERR_METHOD_NOT_ALLOWED)
			CHECK(strlen(allow) < sizeof(allow));
	}
	tk_request_free(&req);
out:
	for (i = 0; i < n; i++)
		free(buf[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *line[5], *p;
	size_t len = 0;
	int i;

	if (size > 16384)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	p = s;
	for (i = 0; i < 5; i++) {
		line[i] = p;
		if (p != NULL && (p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
		if (line[i] == NULL)
			line[i] = (char *)"";
	}

	path_checks("/tasker", line[0], NULL, NULL);
	path_checks("", line[0], NULL, NULL);
	path_checks("/api/v1/tasker", NULL, line[0], line[4]);
	query_checks(line[1]);
	(void)tk_content_length_parse(line[3], 1048576, &len);
	CHECK(len <= 1048576);
	(void)tk_content_type_is_json(line[3]);
	(void)tk_etag_match(line[3], "\"0123456789abcdef0123456789abcdef\"");
	(void)tk_request_id_valid(line[3]);
	request_checks(line[0], line[1], line[2], line[3], line[4]);
	free(s);
	return 0;
}
