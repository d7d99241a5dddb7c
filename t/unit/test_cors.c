/*
 * test_cors.c - CORS: what an origin is, which requests are allowed and
 * preflights, and the headers each answer gets (src/http/cors.c).
 */
#include <string.h>

#include "testlib.h"
#include "tasker/http.h"

static void
test_origin_valid(void)
{
	static const char *const good[] = { "https://app.example.com",
	    "http://localhost:8080", "https://10.0.0.1", "http://[::1]:3000",
	    "https://a-b.example", "http://x:65535", NULL };
	static const char *const bad[] = { "*", "null", "", "app.example.com",
	    "https://", "ftp://a.example", "https://App.example.com",
	    "https://a.example/", "https://a.example/path", "https://a.example:",
	    "https://a.example:0", "https://a.example:65536",
	    "https://a.example:1234567", "https://user@a.example",
	    "https://a.example?x", "https://.a.example", "http://[]",
	    "http://[::1", "https://a example", NULL };
	char longest[TK_ORIGIN_MAX + 2];
	size_t i;

	for (i = 0; good[i] != NULL; i++)
		CU_ASSERT_TRUE_FATAL(tk_cors_origin_valid(good[i]));
	for (i = 0; bad[i] != NULL; i++)
		if (tk_cors_origin_valid(bad[i]))
			CU_FAIL(bad[i]);
	memcpy(longest, "https://", 8);
	memset(longest + 8, 'a', sizeof(longest) - 9);
	longest[sizeof(longest) - 1] = '\0';
	CU_ASSERT_FALSE(tk_cors_origin_valid(longest));
	longest[sizeof(longest) - 2] = '\0';
	CU_ASSERT_TRUE(tk_cors_origin_valid(longest));
}

static void
test_allowed_and_preflight(void)
{
	char o1[] = "https://a.example", o2[] = "http://localhost:8080";
	char *origins[] = { o1, o2 };
	char e1[] = "HTTP_ORIGIN=http://localhost:8080",
	    e2[] = "HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST";
	char *env[] = { e1, e2, NULL };
	struct tk_request req;

	memset(&req, 0, sizeof(req));
	req.envp = env;
	req.method = "OPTIONS";
	CU_ASSERT_PTR_EQUAL(tk_cors_allowed(&req, origins, 2), o2);
	CU_ASSERT_PTR_NULL(tk_cors_allowed(&req, origins, 1));
	CU_ASSERT_PTR_NULL(tk_cors_allowed(&req, NULL, 0));   /* CORS off */
	CU_ASSERT_TRUE(tk_cors_is_preflight(&req));
	req.method = "GET";
	CU_ASSERT_FALSE(tk_cors_is_preflight(&req));
	req.method = "OPTIONS";
	env[1] = NULL;   /* an OPTIONS without the preflight header */
	CU_ASSERT_FALSE(tk_cors_is_preflight(&req));
	env[0] = NULL;   /* no Origin: not a cross-origin request */
	CU_ASSERT_PTR_NULL(tk_cors_allowed(&req, origins, 2));
}

static void
test_headers(void)
{
	struct tk_response res;

	tk_response_init(&res);
	tk_buf_puts(&res.body, "{\"error\":{}}");
	res.status = 405;
	CU_ASSERT_EQUAL(tk_cors_preflight(&res, "GET, HEAD, POST"), TK_OK);
	CU_ASSERT_EQUAL(res.status, 204);
	CU_ASSERT_EQUAL(res.body.len, 0);
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res,
	    "Access-Control-Allow-Methods"), "GET, HEAD, POST");
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res,
	    "Access-Control-Allow-Headers"), "Authorization, Content-Type, "
	    "Idempotency-Key, If-None-Match, X-Request-Id");
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res,
	    "Access-Control-Max-Age"), "600");
	CU_ASSERT_EQUAL(tk_cors_headers(&res, "https://a.example"), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res,
	    "Access-Control-Allow-Origin"), "https://a.example");
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res, "Vary"), "Origin");
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res,
	    "Access-Control-Expose-Headers"),
	    "ETag, Location, X-Request-Id, Retry-After, Link");
	tk_response_free(&res);
}

TK_SUITE(cors,
    { "origins", test_origin_valid },
    { "allowed origins and preflights", test_allowed_and_preflight },
    { "headers", test_headers });
