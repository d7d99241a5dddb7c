/*
 * test_http.c - requests filled from real nginx and Apache parameters,
 * request ids, responses and their CGI head, Content-Type, Content-Length,
 * ETags and If-None-Match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tasker/http.h"

/* ------------------------------------------------------ Fixture loading */

/* The parameters of t/fixtures/http/<name>.env as a NULL-ended array. */
struct env {
	char  *text;
	char **envp;
};

static void
env_load(struct env *env, const char *name)
{
	char rel[128], *line, *next;
	size_t n = 0, cap = 64;
	long len;
	FILE *f;

	snprintf(rel, sizeof(rel), "http/%s.env", name);
	f = fopen(tk_fixture(rel), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	env->text = calloc(1, (size_t)len + 1);
	env->envp = calloc(cap, sizeof(char *));
	CU_ASSERT_FATAL(env->text != NULL && env->envp != NULL);
	CU_ASSERT_FATAL(fread(env->text, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	for (line = env->text; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		CU_ASSERT_FATAL(n + 1 < cap);
		env->envp[n++] = line;
	}
	env->envp[n] = NULL;
}

static void
env_free(struct env *env)
{
	free(env->text);
	free(env->envp);
}

/* Loads fixture name and fills req from it under prefix. */
static tk_err
from_fixture(struct tk_request *req, struct env *env, const char *name,
    const char *prefix)
{
	env_load(env, name);
	tk_request_init(req);
	return tk_request_from_env(req, env->envp, prefix);
}

static void
assert_segments(const struct tk_request *req, const char *joined)
{
	char got[512] = "";
	size_t i, len = 0;

	for (i = 0; i < req->path.nseg; i++)
		len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s",
		    i ? "|" : "", req->path.seg[i]);
	if (strcmp(got, joined) != 0) {
		fprintf(stderr, "\nsegments \"%s\", want \"%s\"\n", got,
		    joined);
		CU_FAIL("segments");
	}
}

/* -------------------------------------------------- Requests from servers */

static void
test_nginx_fixtures(void)
{
	struct tk_request req;
	struct env env;

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-get-handler",
	    "/tasker"), TK_OK);
	CU_ASSERT_STRING_EQUAL(req.method, "GET");
	assert_segments(&req, "handlers|payments|process_payment");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&req.query, "version"), "2.1.0");
	CU_ASSERT_STRING_EQUAL(req.request_id, "abc-123");
	CU_ASSERT_STRING_EQUAL(req.authorization, "Bearer xyz");
	CU_ASSERT_STRING_EQUAL(req.remote_addr, "127.0.0.1");
	CU_ASSERT_PTR_NULL(req.remote_user);          /* nginx sends "" */
	CU_ASSERT_STRING_EQUAL(req.content_length, "");
	/* nginx sends SCRIPT_NAME twice; the first wins, as in libfcgi. */
	CU_ASSERT_STRING_EQUAL(tk_request_env(&req, "SCRIPT_NAME"),
	    "/tasker/handlers/payments/process_payment");
	CU_ASSERT_STRING_EQUAL(tk_request_env(&req, "SERVER_SOFTWARE"),
	    "nginx/1.22.1");
	CU_ASSERT_PTR_NULL(tk_request_env(&req, "SCRIPT"));
	CU_ASSERT_PTR_NULL(tk_request_env(&req, "HTTP_X_NOPE"));
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-encoded", "/tasker"),
	    TK_OK);
	assert_segments(&req, "handlers|pay/ments|h x");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&req.query, "a"), "1 2");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&req.query, "b"), "+");
	/* No X-Request-Id: one is made. */
	CU_ASSERT_EQUAL(strlen(req.request_id), 32);
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-trailing", "/tasker"),
	    TK_OK);
	assert_segments(&req, "handlers");
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-root", "/tasker"),
	    TK_OK);
	CU_ASSERT_EQUAL(req.path.nseg, 0);
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-head", "/tasker"),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(req.method, "HEAD");
	CU_ASSERT_EQUAL(tk_query_count(&req.query, "status"), 2);
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-post", "/tasker"),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(req.method, "POST");
	CU_ASSERT_TRUE(tk_content_type_is_json(req.content_type));
	CU_ASSERT_STRING_EQUAL(req.content_length, "12");
	CU_ASSERT_STRING_EQUAL(req.idempotency_key, "k1");
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-inm", "/tasker"),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(req.if_none_match, "W/\"abc\", \"def\"");
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-utf8", "/tasker"),
	    TK_OK);
	assert_segments(&req, "handlers|caf\xc3\xa9");
	tk_request_free(&req);
	env_free(&env);

	/* A location without the SCRIPT_NAME line works the same. */
	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-plain", "/plain"),
	    TK_OK);
	assert_segments(&req, "handlers|x");
	tk_request_free(&req);
	env_free(&env);

	/* nginx normalises DOCUMENT_URI, but REQUEST_URI keeps the dots. */
	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-dotdot", "/tasker"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_STRING_EQUAL(req.error,
	    "request path contains a '.' or '..' segment");
	CU_ASSERT_EQUAL(strlen(req.request_id), 32);  /* set even on error */
	tk_request_free(&req);
	env_free(&env);
	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-dotenc", "/tasker"),
	    TK_ERR_BAD_REQUEST);
	tk_request_free(&req);
	env_free(&env);

	/* Under another prefix the same request is not ours. */
	CU_ASSERT_EQUAL(from_fixture(&req, &env, "nginx-get-handler",
	    "/api/v1/tasker"), TK_ERR_ROUTE_NOT_FOUND);
	tk_request_free(&req);
	env_free(&env);
}

static void
test_apache_fixtures(void)
{
	struct tk_request req;
	struct env env;

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-get-handler",
	    "/tasker"), TK_OK);
	assert_segments(&req, "handlers|payments|process_payment");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&req.query, "version"), "2.1.0");
	CU_ASSERT_STRING_EQUAL(req.request_id, "abc-123");
	CU_ASSERT_STRING_EQUAL(req.authorization, "Bearer xyz");
	CU_ASSERT_STRING_EQUAL(req.content_length, "0");  /* mod_fcgid */
	CU_ASSERT_PTR_NULL(req.content_type);
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-encoded2", "/tasker"),
	    TK_OK);
	assert_segments(&req, "handlers|h x%y");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&req.query, "a"), "1 2");
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-trailing", "/tasker"),
	    TK_OK);
	assert_segments(&req, "handlers");
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-root", "/tasker"),
	    TK_OK);
	CU_ASSERT_EQUAL(req.path.nseg, 0);
	tk_request_free(&req);
	env_free(&env);
	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-root2", "/tasker"),
	    TK_OK);
	CU_ASSERT_EQUAL(req.path.nseg, 0);
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-post", "/tasker"),
	    TK_OK);
	assert_segments(&req, "tasks");
	CU_ASSERT_STRING_EQUAL(req.content_length, "12");
	CU_ASSERT_STRING_EQUAL(req.idempotency_key, "k1");
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-scriptalias", "/sa"),
	    TK_OK);
	assert_segments(&req, "handlers|x");
	tk_request_free(&req);
	env_free(&env);

	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-utf8", "/tasker"),
	    TK_OK);
	assert_segments(&req, "handlers|caf\xc3\xa9");
	tk_request_free(&req);
	env_free(&env);

	/* Apache resolves ".." into PATH_INFO; REQUEST_URI still has it. */
	CU_ASSERT_EQUAL(from_fixture(&req, &env, "apache-dotdot", "/tasker"),
	    TK_ERR_BAD_REQUEST);
	tk_request_free(&req);
	env_free(&env);
}

static void
test_from_env_edge_cases(void)
{
	/* Writable strings, as libfcgi's parameter array holds. */
#define V(s) ((char[]){ s })
	char *bad_method[] = { V("REQUEST_METHOD=G3T"), V("REQUEST_URI=/x"),
	    NULL };
	char *long_method[] = { V("REQUEST_METHOD=ABCDEFGHIJKLMNOPQ"),
	    V("REQUEST_URI=/x"), NULL };
	char *no_method[] = { V("REQUEST_URI=/x"), NULL };
	char *no_qs[] = { V("REQUEST_METHOD=GET"), V("REQUEST_URI=/x?a=1&b"),
	    V("REMOTE_USER=alice"), V("HTTP_X_REQUEST_ID=bad id"), NULL };
	char *bad_qs[] = { V("REQUEST_METHOD=GET"), V("REQUEST_URI=/x"),
	    V("QUERY_STRING=v=%ff"), NULL };
	char *empty_qs[] = { V("REQUEST_METHOD=GET"), V("REQUEST_URI=/x?a=1"),
	    V("QUERY_STRING="), NULL };
#undef V
	struct tk_request req;
	int marker;

	tk_request_init(&req);
	req.app = &marker;
	CU_ASSERT_EQUAL(tk_request_from_env(&req, bad_method, ""),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_STRING_EQUAL(req.error, "missing or invalid request method");
	tk_request_free(&req);
	CU_ASSERT_PTR_EQUAL(req.app, &marker);     /* app survives a free */
	CU_ASSERT_EQUAL(tk_request_from_env(&req, long_method, ""),
	    TK_ERR_BAD_REQUEST);
	tk_request_free(&req);
	CU_ASSERT_EQUAL(tk_request_from_env(&req, no_method, ""),
	    TK_ERR_BAD_REQUEST);
	tk_request_free(&req);

	/* Without QUERY_STRING the query comes from REQUEST_URI. */
	CU_ASSERT_EQUAL(tk_request_from_env(&req, no_qs, ""), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_query_get(&req.query, "a"), "1");
	CU_ASSERT_STRING_EQUAL(tk_query_get(&req.query, "b"), "");
	CU_ASSERT_STRING_EQUAL(req.remote_user, "alice");
	CU_ASSERT_EQUAL(strlen(req.request_id), 32);
	/* Filling again releases the previous path and query. */
	CU_ASSERT_EQUAL(tk_request_from_env(&req, no_qs, ""), TK_OK);
	tk_request_free(&req);

	CU_ASSERT_EQUAL(tk_request_from_env(&req, bad_qs, ""),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_STRING_EQUAL(req.error,
	    "query parameter 'v' is not valid UTF-8");
	tk_request_free(&req);
	CU_ASSERT_EQUAL(tk_request_from_env(&req, empty_qs, ""), TK_OK);
	CU_ASSERT_EQUAL(req.query.n, 0);            /* the server's word */
	tk_request_free(&req);

	tk_request_errorf(&req, "field %s is %d long", "name", 300);
	CU_ASSERT_STRING_EQUAL(req.error, "field name is 300 long");
	tk_request_free(&req);
	CU_ASSERT_STRING_EQUAL(req.error, "");
}

/* ------------------------------------------------------------ Request ids */

static void
test_request_id(void)
{
	char long_ok[TK_REQUEST_ID_MAX + 2], a[33], b[33];
	struct tk_request req;
	size_t i;

	CU_ASSERT_TRUE(tk_request_id_valid("a"));
	CU_ASSERT_TRUE(tk_request_id_valid("req-1.2:3_X"));
	CU_ASSERT_TRUE(tk_request_id_valid(
	    "0f8fad5b-d9cb-469f-a165-70867728950e"));
	CU_ASSERT_FALSE(tk_request_id_valid(NULL));
	CU_ASSERT_FALSE(tk_request_id_valid(""));
	CU_ASSERT_FALSE(tk_request_id_valid("a b"));
	CU_ASSERT_FALSE(tk_request_id_valid("a\r\nSet-Cookie: x"));
	CU_ASSERT_FALSE(tk_request_id_valid("a\"b"));
	CU_ASSERT_FALSE(tk_request_id_valid("a/b"));
	CU_ASSERT_FALSE(tk_request_id_valid("caf\xc3\xa9"));
	memset(long_ok, 'x', TK_REQUEST_ID_MAX);
	long_ok[TK_REQUEST_ID_MAX] = '\0';
	CU_ASSERT_TRUE(tk_request_id_valid(long_ok));
	strcat(long_ok, "x");
	CU_ASSERT_FALSE(tk_request_id_valid(long_ok));

	CU_ASSERT_EQUAL(tk_request_id_generate(a), TK_OK);
	CU_ASSERT_EQUAL(tk_request_id_generate(b), TK_OK);
	CU_ASSERT_EQUAL(strlen(a), 32);
	CU_ASSERT_EQUAL(strspn(a, "0123456789abcdef"), 32);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_TRUE(tk_request_id_valid(a));

	tk_request_init(&req);
	CU_ASSERT_EQUAL(tk_request_set_id(&req, "client-id-7"), TK_OK);
	CU_ASSERT_STRING_EQUAL(req.request_id, "client-id-7");
	CU_ASSERT_EQUAL(tk_request_set_id(&req, long_ok), TK_OK);
	CU_ASSERT_EQUAL(strlen(req.request_id), 32);
	CU_ASSERT_EQUAL(tk_request_set_id(&req, NULL), TK_OK);
	CU_ASSERT_EQUAL(strspn(req.request_id, "0123456789abcdef"), 32);
	long_ok[TK_REQUEST_ID_MAX] = '\0';
	CU_ASSERT_EQUAL(tk_request_set_id(&req, long_ok), TK_OK);
	CU_ASSERT_STRING_EQUAL(req.request_id, long_ok);
	for (i = 0; i < 100; i++)                 /* no repeats in 100 */
		CU_ASSERT_EQUAL(tk_request_id_generate(b), TK_OK);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

/* ------------------------------------------------------------- Responses */

static void
test_response_defaults_and_head(void)
{
	struct tk_response res;
	struct tk_buf head = TK_BUF_INIT;

	tk_response_init(&res);
	CU_ASSERT_EQUAL(res.status, 200);
	tk_buf_puts(&res.body, "{\"ok\":true}");
	CU_ASSERT_EQUAL(tk_response_head(&res, &head), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&head),
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 11\r\n"
	    "\r\n");
	CU_ASSERT_TRUE(tk_response_body_allowed(&res, "GET"));
	CU_ASSERT_FALSE(tk_response_body_allowed(&res, "HEAD"));

	/* Headers in set order; a repeat replaces in place. */
	res.status = 201;
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Location",
	    "/tasker/tasks/1"), TK_OK);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "X-Request-Id", "r1"),
	    TK_OK);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "location",
	    "/tasker/tasks/2"), TK_OK);
	CU_ASSERT_EQUAL(res.nheader, 2);
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res, "LOCATION"),
	    "/tasker/tasks/2");
	CU_ASSERT_PTR_NULL(tk_response_header(&res, "ETag"));
	tk_buf_reset(&head);
	CU_ASSERT_EQUAL(tk_response_head(&res, &head), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&head),
	    "Status: 201 Created\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 11\r\n"
	    "location: /tasker/tasks/2\r\n"
	    "X-Request-Id: r1\r\n"
	    "\r\n");

	/* Content-Type through either setter. */
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "content-type",
	    "text/plain"), TK_OK);
	CU_ASSERT_EQUAL(res.nheader, 2);
	CU_ASSERT_STRING_EQUAL(res.content_type, "text/plain");
	CU_ASSERT_EQUAL(tk_response_set_content_type(&res,
	    "application/yaml"), TK_OK);
	tk_buf_reset(&head);
	tk_response_head(&res, &head);
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_buf_str(&head),
	    "\r\nContent-Type: application/yaml\r\n"));

	/* 204 and 304: no Content-Type, no Content-Length, no body. */
	res.status = 204;
	tk_buf_reset(&head);
	tk_response_head(&res, &head);
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&head),
	    "Status: 204 No Content\r\n"
	    "location: /tasker/tasks/2\r\n"
	    "X-Request-Id: r1\r\n"
	    "\r\n");
	CU_ASSERT_FALSE(tk_response_body_allowed(&res, "GET"));
	res.status = 304;
	CU_ASSERT_FALSE(tk_response_body_allowed(&res, "GET"));

	/* Free starts over. */
	tk_response_free(&res);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_EQUAL(res.nheader, 0);
	CU_ASSERT_PTR_NULL(res.content_type);
	CU_ASSERT_EQUAL(res.body.len, 0);

	/* HEAD: the GET head with its Content-Length, body not sent. */
	tk_buf_puts(&res.body, "12345");
	tk_buf_reset(&head);
	tk_response_head(&res, &head);
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_buf_str(&head),
	    "Content-Length: 5\r\n"));
	CU_ASSERT_FALSE(tk_response_body_allowed(&res, "HEAD"));

	/* Every 503 says when to come back; one that set its own keeps it. */
	res.status = 503;
	tk_buf_reset(&head);
	tk_response_head(&res, &head);
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_buf_str(&head),
	    "\r\nRetry-After: " TK_RETRY_AFTER_SECONDS "\r\n"));
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Retry-After", "30"),
	    TK_OK);
	tk_buf_reset(&head);
	tk_response_head(&res, &head);
	CU_ASSERT_PTR_NULL(strstr(tk_buf_str(&head), "Retry-After: 5"));
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_buf_str(&head), "Retry-After: 30"));
	tk_response_free(&res);
	tk_buf_reset(&head);
	tk_response_head(&res, &head);   /* a 200 gets none */
	CU_ASSERT_PTR_NULL(strstr(tk_buf_str(&head), "Retry-After"));

	/* A status without a reason phrase is refused. */
	res.status = 299;
	tk_buf_reset(&head);
	CU_ASSERT_EQUAL(tk_response_head(&res, &head), TK_ERR_INTERNAL);
	tk_response_free(&res);
	tk_buf_free(&head);
}

static void
test_reason_phrases(void)
{
	static const struct {
		int         status;
		const char *reason;
	} want[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 304, "Not Modified" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 409, "Conflict" },
		{ 411, "Length Required" }, { 413, "Payload Too Large" },
		{ 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Entity" },
		{ 500, "Internal Server Error" },
		{ 503, "Service Unavailable" },
	};
	struct tk_response res;
	struct tk_buf head = TK_BUF_INIT;
	char line[64];
	size_t i;
	int e;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(tk_http_reason(want[i].status));
		CU_ASSERT_STRING_EQUAL(tk_http_reason(want[i].status),
		    want[i].reason);
		tk_response_init(&res);
		res.status = want[i].status;
		tk_buf_reset(&head);
		CU_ASSERT_EQUAL(tk_response_head(&res, &head), TK_OK);
		snprintf(line, sizeof(line), "Status: %d %s\r\n",
		    want[i].status, want[i].reason);
		CU_ASSERT_EQUAL(strncmp(tk_buf_str(&head), line, strlen(line)),
		    0);
		tk_response_free(&res);
	}
	/* Every client-facing error maps to a status with a phrase. */
	for (e = TK_OK; e < TK_ERR__COUNT; e++)
		CU_ASSERT_PTR_NOT_NULL(tk_http_reason(tk_err_info(e)->status));
	CU_ASSERT_PTR_NULL(tk_http_reason(0));
	CU_ASSERT_PTR_NULL(tk_http_reason(999));
	tk_buf_free(&head);
}

static void
test_header_injection(void)
{
	struct tk_response res;
	struct tk_buf head = TK_BUF_INIT;
	char big[TK_HEADER_VALUE_MAX + 2];
	char name[80];
	int i;

	tk_response_init(&res);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Location",
	    "/x\r\nSet-Cookie: a=b"), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Location", "/x\n"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Location", "/x\r"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Location", "/x\x7f"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Location", "\x01"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "X-A\r\nB", "v"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "X A", "v"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "X:A", "v"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "", "v"),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_content_type(&res,
	    "text/html\r\nX: y"), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Content-Type",
	    "a\nb"), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(res.nheader, 0);
	CU_ASSERT_PTR_NULL(res.content_type);

	/* The layer writes these itself. */
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "Status", "200 OK"),
	    TK_ERR_INTERNAL);
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "content-length", "1"),
	    TK_ERR_INTERNAL);

	/* Tabs and UTF-8 are fine; sizes are bounded. */
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "WWW-Authenticate",
	    "Bearer realm=\"tasker\",\terror=\"invalid_token\""), TK_OK);
	memset(big, 'v', TK_HEADER_VALUE_MAX);
	big[TK_HEADER_VALUE_MAX] = '\0';
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "X-Big", big), TK_OK);
	strcat(big, "v");
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "X-Big", big),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(strlen(tk_response_header(&res, "X-Big")),
	    TK_HEADER_VALUE_MAX);
	memset(name, 'n', 65);
	name[65] = '\0';
	CU_ASSERT_EQUAL(tk_response_set_header(&res, name, "v"),
	    TK_ERR_BAD_REQUEST);
	name[64] = '\0';
	CU_ASSERT_EQUAL(tk_response_set_header(&res, name, "v"), TK_OK);

	/* At most TK_RESPONSE_MAX_HEADERS. */
	for (i = (int)res.nheader; i < TK_RESPONSE_MAX_HEADERS; i++) {
		snprintf(name, sizeof(name), "X-H%d", i);
		CU_ASSERT_EQUAL(tk_response_set_header(&res, name, "v"), TK_OK);
	}
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "X-One-More", "v"),
	    TK_ERR_INTERNAL);
	/* Replacing one still works when full. */
	CU_ASSERT_EQUAL(tk_response_set_header(&res, "X-Big", "small"), TK_OK);

	CU_ASSERT_EQUAL(tk_response_head(&res, &head), TK_OK);
	CU_ASSERT_PTR_NULL(strstr(tk_buf_str(&head), "Set-Cookie"));
	tk_buf_free(&head);
	tk_response_free(&res);
}

/* ------------------------------------------------ Content-Type and -Length */

static void
test_content_type(void)
{
	static const char *yes[] = {
		"application/json", "application/json; charset=utf-8",
		"Application/JSON;charset=UTF-8", "  application/json  ",
		"application/json ; charset=\"utf-8\"",
		"application/json; foo=bar; charset=utf-8",
		"application/json;", "application/json\t;\tcharset=utf-8",
	};
	static const char *no[] = {
		"", "text/json", "application/jsonx",
		"application/json-patch+json",
		"application/json; charset=latin1",
		"application/json; charset=\"iso-8859-1\"",
		"application/json, text/plain", "application/json x",
		"application/json; charset", "application/json; =utf-8",
		"application/json; charset=",
		"application/json; charset=\"utf-8",
		"application/*", "*/*", "json", "application/ json",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!tk_content_type_is_json(yes[i])) {
			fprintf(stderr, "\nrefused \"%s\"\n", yes[i]);
			CU_FAIL("json content type refused");
		}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (tk_content_type_is_json(no[i])) {
			fprintf(stderr, "\naccepted \"%s\"\n", no[i]);
			CU_FAIL("non-json content type accepted");
		}
	CU_ASSERT_FALSE(tk_content_type_is_json(NULL));
}

static void
test_content_length(void)
{
	size_t n = 77;

	CU_ASSERT_EQUAL(tk_content_length_parse(NULL, 100, &n), TK_CLEN_ABSENT);
	CU_ASSERT_EQUAL(tk_content_length_parse("", 100, &n), TK_CLEN_ABSENT);
	CU_ASSERT_EQUAL(n, 77);
	CU_ASSERT_EQUAL(tk_content_length_parse("0", 100, &n), TK_CLEN_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(tk_content_length_parse("100", 100, &n), TK_CLEN_OK);
	CU_ASSERT_EQUAL(n, 100);
	CU_ASSERT_EQUAL(tk_content_length_parse("0100", 100, &n), TK_CLEN_OK);
	n = 77;
	CU_ASSERT_EQUAL(tk_content_length_parse("101", 100, &n),
	    TK_CLEN_TOO_LARGE);
	CU_ASSERT_EQUAL(tk_content_length_parse("1048577", 1048576, &n),
	    TK_CLEN_TOO_LARGE);
	CU_ASSERT_EQUAL(tk_content_length_parse("1048576", 1048576, &n),
	    TK_CLEN_OK);
	CU_ASSERT_EQUAL(n, 1048576);
	n = 77;
	CU_ASSERT_EQUAL(tk_content_length_parse("18446744073709551616",
	    (size_t)-1, &n), TK_CLEN_TOO_LARGE);
	CU_ASSERT_EQUAL(tk_content_length_parse(
	    "99999999999999999999999999999999999999", 100, &n),
	    TK_CLEN_TOO_LARGE);
	CU_ASSERT_EQUAL(tk_content_length_parse("5", 0, &n),
	    TK_CLEN_TOO_LARGE);
	CU_ASSERT_EQUAL(n, 77);
	CU_ASSERT_EQUAL(tk_content_length_parse("-1", 100, &n),
	    TK_CLEN_INVALID);
	CU_ASSERT_EQUAL(tk_content_length_parse("+1", 100, &n),
	    TK_CLEN_INVALID);
	CU_ASSERT_EQUAL(tk_content_length_parse(" 1", 100, &n),
	    TK_CLEN_INVALID);
	CU_ASSERT_EQUAL(tk_content_length_parse("1 ", 100, &n),
	    TK_CLEN_INVALID);
	CU_ASSERT_EQUAL(tk_content_length_parse("1,1", 100, &n),
	    TK_CLEN_INVALID);
	CU_ASSERT_EQUAL(tk_content_length_parse("0x10", 100, &n),
	    TK_CLEN_INVALID);
	CU_ASSERT_EQUAL(tk_content_length_parse("99999999999999999999999x",
	    100, &n), TK_CLEN_INVALID);
	CU_ASSERT_EQUAL(n, 77);
}

/* --------------------------------------------------------------- ETags */

static void
test_etag(void)
{
	char a[TK_ETAG_SIZE], b[TK_ETAG_SIZE], c[TK_ETAG_SIZE];

	CU_ASSERT_EQUAL(tk_etag("{\"a\":1}", 7, a), TK_OK);
	CU_ASSERT_EQUAL(tk_etag("{\"a\":1}", 7, b), TK_OK);
	CU_ASSERT_EQUAL(tk_etag("{\"a\":2}", 7, c), TK_OK);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_EQUAL(strlen(a), 34);
	CU_ASSERT_EQUAL(a[0], '"');
	CU_ASSERT_EQUAL(a[33], '"');
	/* SHA-256 of "" starts e3b0c442 98fc1c14 9afbf4c8 996fb924. */
	CU_ASSERT_EQUAL(tk_etag(NULL, 0, a), TK_OK);
	CU_ASSERT_STRING_EQUAL(a, "\"e3b0c44298fc1c149afbf4c8996fb924\"");
}

static void
test_etag_match(void)
{
	const char *t = "\"e3b0c442\"";

	CU_ASSERT_TRUE(tk_etag_match("\"e3b0c442\"", t));
	CU_ASSERT_TRUE(tk_etag_match("W/\"e3b0c442\"", t));
	CU_ASSERT_TRUE(tk_etag_match("\"e3b0c442\"", "W/\"e3b0c442\""));
	CU_ASSERT_TRUE(tk_etag_match("*", t));
	CU_ASSERT_TRUE(tk_etag_match("  *  ", t));
	CU_ASSERT_TRUE(tk_etag_match("\"a\", \"e3b0c442\"", t));
	CU_ASSERT_TRUE(tk_etag_match("\"a\",W/\"e3b0c442\" ,\"b\"", t));
	CU_ASSERT_TRUE(tk_etag_match(" , \"e3b0c442\" , ,", t));
	CU_ASSERT_FALSE(tk_etag_match("\"a\", \"b\"", t));
	CU_ASSERT_FALSE(tk_etag_match("\"E3B0C442\"", t));
	CU_ASSERT_FALSE(tk_etag_match("\"e3b0c44\"", t));
	CU_ASSERT_FALSE(tk_etag_match("e3b0c442", t));
	CU_ASSERT_FALSE(tk_etag_match("w/\"e3b0c442\"", t));
	CU_ASSERT_FALSE(tk_etag_match("", t));
	CU_ASSERT_FALSE(tk_etag_match(NULL, t));
	CU_ASSERT_FALSE(tk_etag_match("*", NULL));
	/* Malformed headers match nothing, even with a good tag inside. */
	CU_ASSERT_FALSE(tk_etag_match("\"e3b0c442\" \"x\"", t));
	CU_ASSERT_FALSE(tk_etag_match("\"e3b0c442\", \"x", t));
	CU_ASSERT_FALSE(tk_etag_match("\"e3b0c442\", *", t));
	CU_ASSERT_FALSE(tk_etag_match("*, \"e3b0c442\"", t));
	CU_ASSERT_FALSE(tk_etag_match("\"e3b0 c442\"", t));
	CU_ASSERT_FALSE(tk_etag_match("\"e3b0c442\"", "bad"));
}

static void
test_conditional(void)
{
	struct tk_request req;
	struct tk_response res;
	char tag[TK_ETAG_SIZE];
	char inm[64];

	tk_request_init(&req);
	tk_response_init(&res);
	req.method = "GET";
	tk_buf_puts(&res.body, "{\"x\":1}");
	CU_ASSERT_EQUAL(tk_response_conditional(&res, &req), TK_OK);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_EQUAL(tk_etag("{\"x\":1}", 7, tag), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res, "ETag"), tag);

	/* The client has it: 304, no body. */
	snprintf(inm, sizeof(inm), "\"zz\", W/%s", tag);
	req.if_none_match = inm;
	req.method = "HEAD";
	CU_ASSERT_EQUAL(tk_response_conditional(&res, &req), TK_OK);
	CU_ASSERT_EQUAL(res.status, 304);
	CU_ASSERT_EQUAL(res.body.len, 0);
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res, "ETag"), tag);
	tk_response_free(&res);

	/* A controller's own ETag is kept and compared. */
	req.method = "GET";
	req.if_none_match = "\"v7\"";
	tk_buf_puts(&res.body, "{}");
	tk_response_set_header(&res, "ETag", "\"v7\"");
	CU_ASSERT_EQUAL(tk_response_conditional(&res, &req), TK_OK);
	CU_ASSERT_EQUAL(res.status, 304);
	tk_response_free(&res);

	/* Not for POST, not for errors. */
	req.method = "POST";
	req.if_none_match = "*";
	tk_buf_puts(&res.body, "{}");
	CU_ASSERT_EQUAL(tk_response_conditional(&res, &req), TK_OK);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_PTR_NULL(tk_response_header(&res, "ETag"));
	req.method = "GET";
	res.status = 404;
	CU_ASSERT_EQUAL(tk_response_conditional(&res, &req), TK_OK);
	CU_ASSERT_EQUAL(res.status, 404);
	CU_ASSERT_EQUAL(res.body.len, 2);
	tk_response_free(&res);
	tk_request_free(&req);
}

TK_SUITE(http,
    { "nginx parameters", test_nginx_fixtures },
    { "Apache mod_fcgid parameters", test_apache_fixtures },
    { "environment edge cases", test_from_env_edge_cases },
    { "request ids", test_request_id },
    { "response head", test_response_defaults_and_head },
    { "reason phrases", test_reason_phrases },
    { "header injection", test_header_injection },
    { "Content-Type", test_content_type },
    { "Content-Length", test_content_length },
    { "ETag", test_etag },
    { "If-None-Match", test_etag_match },
    { "conditional GET", test_conditional });
