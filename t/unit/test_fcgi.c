/*
 * test_fcgi.c - the HTTP layer through the real request loop: the
 * tasker-fcgi this build made, on a socket of its own, spoken to in
 * FastCGI records by t/unit/fcgi_client.c (no nginx, no database).
 * Framing, headers and body limits are checked here in milliseconds; the
 * integration tests check the same through nginx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "testlib.h"
#include "fcgi_client.h"
#include "tasker/auth.h"
#include "tasker/config.h"

static struct fc_server srv;
static char token[2048];

/* Mints a token from the server's configuration (the same key). */
static int
mint(const char *perm)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_config cfg;
	struct tk_auth *a = NULL;
	char conf[160], *t = NULL;
	int rc = -1;

	snprintf(conf, sizeof(conf), "%s/tasker.yaml", srv.dir);
	if (tk_config_load(conf, &cfg, &d) != TK_OK)
		goto out;
	if (tk_auth_init(&cfg.auth, &a, &d) == TK_OK &&
	    tk_auth_mint(a, "fcgi-test", &perm, 1, 300, time(NULL), &t) ==
	    TK_OK && snprintf(token, sizeof(token),
	    "HTTP_AUTHORIZATION=Bearer %s", t) < (int)sizeof(token))
		rc = 0;
	free(t);
	tk_auth_free(a);
	tk_config_free(&cfg);
out:
	if (rc < 0)
		tk_diag_print(&d, stderr, "mint: ");
	tk_diag_free(&d);
	return rc;
}

static void
start(void)
{
	CU_ASSERT_EQUAL_FATAL(fc_server_start(&srv,
	    "api:\n  max_body_bytes: 1024\n"), 0);
	CU_ASSERT_EQUAL_FATAL(mint("tasker.task:create"), 0);
}

/* GET path (no body), chunked as asked; the answer in r. */
static int
get(const char *method, const char *uri, const char *extra, size_t chunk,
    struct fc_resp *r)
{
	char m[64], u[256];
	const char *p[5];
	struct fc_req q;
	int n = 0;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	p[n++] = m;
	p[n++] = u;
	p[n++] = "SERVER_PROTOCOL=HTTP/1.1";
	if (extra != NULL)
		p[n++] = extra;
	p[n] = NULL;
	memset(&q, 0, sizeof(q));
	q.params = p;
	q.chunk = chunk;
	return fc_roundtrip(&srv, &q, r);
}

/* POST /tasker/tasks with the token, a JSON body and Content-Length. */
static int
post(const char *body, size_t len, const char *clen, size_t chunk,
    struct fc_resp *r)
{
	char cl[64];
	const char *p[8];
	struct fc_req q;
	int n = 0;

	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%s", clen);
	p[n++] = "REQUEST_METHOD=POST";
	p[n++] = "REQUEST_URI=/tasker/tasks";
	p[n++] = "CONTENT_TYPE=application/json";
	p[n++] = token;
	p[n++] = cl;
	p[n] = NULL;
	memset(&q, 0, sizeof(q));
	q.params = p;
	q.body = body;
	q.body_len = len;
	q.chunk = chunk;
	return fc_roundtrip(&srv, &q, r);
}

static int
body_has(const struct fc_resp *r, const char *s)
{
	if (r->body != NULL && strstr(r->body, s) != NULL)
		return 1;
	fprintf(stderr, "\nanswer %d lacks '%s': %.300s\n", r->status, s,
	    r->body ? r->body : "(no body)");
	return 0;
}

/* ---------------------------------------------------------------- cases */

static void
test_answers(void)
{
	struct fc_resp r;
	char h[128];

	start();
	CU_ASSERT_EQUAL(get("GET", "/tasker/handlers", NULL, 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_TRUE(body_has(&r, "\"type\":\"AuthenticationError\""));
	CU_ASSERT_PTR_NOT_NULL(fc_header(&r, "WWW-Authenticate", h,
	    sizeof(h)));
	CU_ASSERT_PTR_NOT_NULL(fc_header(&r, "Content-Type", h, sizeof(h)));
	CU_ASSERT_STRING_EQUAL(h, "application/json; charset=utf-8");
	CU_ASSERT_PTR_NOT_NULL(fc_header(&r, "X-Request-Id", h, sizeof(h)));
	CU_ASSERT_EQUAL(strlen(h), 32);
	fc_resp_free(&r);

	CU_ASSERT_EQUAL(get("GET", "/tasker/nowhere", NULL, 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 404);
	fc_resp_free(&r);
	CU_ASSERT_EQUAL(get("DELETE", "/tasker/handlers", NULL, 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 405);
	CU_ASSERT_PTR_NOT_NULL(fc_header(&r, "Allow", h, sizeof(h)));
	fc_resp_free(&r);
	CU_ASSERT_EQUAL(get("GET", "/tasker/a%zz", NULL, 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 400);
	fc_resp_free(&r);
}

/* The same answers whatever the record boundaries. */
static void
test_framing(void)
{
	static const char bad[] = "{\"name\": \"x\",\n \"namespace\": }";
	struct fc_resp r;
	char cl[16];

	CU_ASSERT_EQUAL(get("GET", "/tasker/handlers", NULL, 1, &r), 0);
	CU_ASSERT_EQUAL(r.status, 401);
	fc_resp_free(&r);
	/* A body in one-byte records is read whole: the parser's message
	 * points past the first record. */
	snprintf(cl, sizeof(cl), "%zu", strlen(bad));
	CU_ASSERT_EQUAL(post(bad, strlen(bad), cl, 1, &r), 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_TRUE(body_has(&r, "Malformed JSON at line 2"));
	fc_resp_free(&r);
}

static void
test_body_limits(void)
{
	static const char body[] = "{\"name\": \"x\"}";
	char big[1100];
	struct fc_resp r;

	CU_ASSERT_EQUAL(post(body, 4, "abc", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_TRUE(body_has(&r, "Content-Length is not a number"));
	fc_resp_free(&r);
	CU_ASSERT_EQUAL(post(body, strlen(body), "-1", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 400);
	fc_resp_free(&r);
	/* Over api.max_body_bytes: refused on the announced length. */
	memset(big, ' ', sizeof(big));
	CU_ASSERT_EQUAL(post(big, sizeof(big), "1100", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 413);
	CU_ASSERT_TRUE(body_has(&r, "larger than 1024 bytes"));
	fc_resp_free(&r);
	CU_ASSERT_EQUAL(post(body, strlen(body), "99999999999999999999999",
	    0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 413);
	fc_resp_free(&r);
	/* Shorter than announced. */
	CU_ASSERT_EQUAL(post(body, 4, "40", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_TRUE(body_has(&r, "shorter than Content-Length"));
	fc_resp_free(&r);
	CU_ASSERT_EQUAL(post("", 0, "0", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_TRUE(body_has(&r, "Request body is empty"));
	fc_resp_free(&r);
}

static void
test_headers(void)
{
	struct fc_resp r;
	char h[160];

	CU_ASSERT_EQUAL(get("GET", "/tasker/handlers",
	    "HTTP_X_REQUEST_ID=abc.123:x-y", 0, &r), 0);
	CU_ASSERT_PTR_NOT_NULL(fc_header(&r, "X-Request-Id", h, sizeof(h)));
	CU_ASSERT_STRING_EQUAL(h, "abc.123:x-y");
	fc_resp_free(&r);
	CU_ASSERT_EQUAL(get("GET", "/tasker/handlers",
	    "HTTP_X_REQUEST_ID=bad id\x01", 0, &r), 0);
	CU_ASSERT_PTR_NOT_NULL(fc_header(&r, "X-Request-Id", h, sizeof(h)));
	CU_ASSERT_EQUAL(strlen(h), 32);
	fc_resp_free(&r);
	/* HEAD: the head of GET, no body. */
	CU_ASSERT_EQUAL(get("HEAD", "/tasker/handlers", NULL, 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_EQUAL(r.body_len, 0);
	fc_resp_free(&r);
	CU_ASSERT_EQUAL(get("GET", "/tasker/handlers",
	    "HTTP_AUTHORIZATION=Bearer not.a.token", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_PTR_NOT_NULL(fc_header(&r, "WWW-Authenticate", h,
	    sizeof(h)));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "invalid_token"));
	fc_resp_free(&r);
}

/*
 * FCGI_KEEP_CONN: the request is answered, and the next connection too.
 * Whether libfcgi keeps the connection depends on whether the empty
 * STDIN record was in its buffer when the answer ended (a timing detail);
 * the nginx configuration does not ask for kept connections at all.
 */
static void
test_keep_conn(void)
{
	const char *p[] = { "REQUEST_METHOD=GET",
	    "REQUEST_URI=/tasker/handlers", NULL };
	struct fc_req q;
	struct fc_resp r;
	int fd;

	memset(&q, 0, sizeof(q));
	q.params = p;
	q.keep = 1;
	q.id = 7;
	CU_ASSERT_FATAL((fd = fc_connect(&srv)) >= 0);
	CU_ASSERT_EQUAL(fc_send(fd, &q), 0);
	CU_ASSERT_EQUAL(fc_recv(fd, 7, &r), 0);
	CU_ASSERT_EQUAL(r.status, 401);
	fc_resp_free(&r);
	close(fd);
	CU_ASSERT_EQUAL(get("GET", "/tasker/handlers", NULL, 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 401);
	fc_resp_free(&r);
}

/* Broken clients cost the process nothing: the next one is served. */
static void
test_broken_clients(void)
{
	static const unsigned char garbage[] = "GET / HTTP/1.1\r\n\r\n";
	static const unsigned char half[] = { 1, 1, 0, 1, 0, 8, 0, 0,
	    0, 1, 0, 0, 0, 0, 0, 0, 1, 4, 0, 1, 0, 200, 0, 0, 5 };
	struct fc_resp r;
	int fd, i;

	for (i = 0; i < 2; i++) {
		CU_ASSERT_FATAL((fd = fc_connect(&srv)) >= 0);
		if (i == 0)
			(void)fc_write_all(fd, garbage, sizeof(garbage) - 1);
		else
			(void)fc_write_all(fd, half, sizeof(half));
		close(fd);
		CU_ASSERT_EQUAL(get("GET", "/tasker/handlers", NULL, 0, &r),
		    0);
		CU_ASSERT_EQUAL(r.status, 401);
		fc_resp_free(&r);
	}
}

/* SIGTERM ends an idle tasker-fcgi through main's cleanup: status 0. */
static void
test_sigterm(void)
{
	int status = fc_server_stop(&srv);

	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

TK_SUITE(fcgi_loop,
    { "tasker-fcgi answers over FastCGI", test_answers },
    { "any record boundaries", test_framing },
    { "Content-Length and body limits", test_body_limits },
    { "request id, HEAD, bad token", test_headers },
    { "FCGI_KEEP_CONN", test_keep_conn },
    { "broken clients do not stop the loop", test_broken_clients },
    { "SIGTERM ends it through exit(0)", test_sigterm });
