/*
 * test_router.c - route paths from nginx- and Apache-style parameters,
 * mount prefixes, hostile paths, and matching against a route table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tasker/http.h"

/* ---------------------------------------------------------- Path helpers */

static const char *
nz(const char *s)
{
	return s != NULL ? s : "(null)";
}

/*
 * Extracts and joins the segments with '|' into out ("" for no segment),
 * so a test can compare the whole split at once.
 */
static tk_err
split(const char *prefix, const char *uri, const char *sn, const char *pi,
    char *out, size_t outsz)
{
	struct tk_path p;
	char msg[256] = "";
	size_t i, len = 0;
	tk_err e;

	out[0] = '\0';
	e = tk_path_extract(&p, prefix, uri, sn, pi, msg, sizeof(msg));
	if (e != TK_OK) {
		CU_ASSERT_PTR_NULL(p.buf);
		CU_ASSERT_EQUAL(p.nseg, 0);
		snprintf(out, outsz, "%s", msg);
		return e;
	}
	for (i = 0; i < p.nseg; i++)
		len += (size_t)snprintf(out + len, outsz - len, "%s%s",
		    i ? "|" : "", p.seg[i]);
	tk_path_free(&p);
	return e;
}

#define PATH_OK(prefix, uri, sn, pi, want) do {                          \
	char got_[TK_PATH_MAX + 64];                                      \
	CU_ASSERT_EQUAL(split(prefix, uri, sn, pi, got_, sizeof(got_)),   \
	    TK_OK);                                                       \
	if (strcmp(got_, want) != 0) {                                    \
		fprintf(stderr, "\n%s:%d: \"%.80s\" gave \"%.80s\", "      \
		    "want \"%.80s\"\n", __FILE__, __LINE__, nz(uri), got_,  \
		    want);                                                \
		CU_FAIL("segments");                                      \
	}                                                                 \
} while (0)

#define PATH_ERR(prefix, uri, sn, pi, err) do {                          \
	char got_[TK_PATH_MAX + 64];                                      \
	tk_err e_ = split(prefix, uri, sn, pi, got_, sizeof(got_));       \
	if (e_ != (err)) {                                                \
		fprintf(stderr, "\n%s:%d: \"%.80s\" gave %s (%s)\n",         \
		    __FILE__, __LINE__, nz(uri),           \
		    tk_err_name(e_), got_);                                 \
		CU_FAIL("error");                                         \
	}                                                                 \
} while (0)

static void
test_nginx_style(void)
{
	/* REQUEST_URI raw; SCRIPT_NAME the decoded path; no PATH_INFO. */
	PATH_OK("/tasker", "/tasker/handlers/payments?version=2", 
	    "/tasker/handlers/payments", NULL, "handlers|payments");
	PATH_OK("/tasker", "/tasker/handlers/pay%2Fments/h%20x?a=1",
	    "/tasker/handlers/pay/ments/h x", "", "handlers|pay/ments|h x");
	PATH_OK("/tasker", "/tasker/handlers/caf%C3%A9", NULL, NULL,
	    "handlers|caf\xc3\xa9");
	/* '+' is not a space in paths. */
	PATH_OK("/tasker", "/tasker/a+b", NULL, NULL, "a+b");
	/* Absolute-form request targets. */
	PATH_OK("/tasker", "http://example.com/tasker/tasks?x=1", NULL, NULL,
	    "tasks");
	PATH_OK("/tasker", "HTTPS://example.com:8443/tasker/tasks", NULL, NULL,
	    "tasks");
	PATH_ERR("/tasker", "http://example.com?x", NULL, NULL,
	    TK_ERR_ROUTE_NOT_FOUND);
	PATH_OK("", "http://example.com", NULL, NULL, "");
}

static void
test_apache_style(void)
{
	/* mod_fcgid, Alias /tasker: REQUEST_URI wins when present... */
	PATH_OK("/tasker", "/tasker/handlers/payments?v=1", "/tasker",
	    "/handlers/payments", "handlers|payments");
	/* ...else SCRIPT_NAME + PATH_INFO, which are already decoded. */
	PATH_OK("/tasker", NULL, "/tasker", "/handlers/payments",
	    "handlers|payments");
	PATH_OK("/tasker", "", "/tasker", "/handlers/h x%25y",
	    "handlers|h x%25y");
	PATH_OK("/tasker", NULL, "/tasker", NULL, "");
	PATH_OK("/tasker", NULL, "/tasker", "/", "");
	PATH_OK("/sa", NULL, "/sa", "/handlers/x", "handlers|x");
	PATH_OK("", NULL, NULL, "/handlers/x", "handlers|x");
	PATH_ERR("/tasker", NULL, "/other", "/handlers",
	    TK_ERR_ROUTE_NOT_FOUND);
	PATH_ERR("/tasker", NULL, "/tasker", "/../x", TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", NULL, "/tasker", "/a//b", TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", NULL, "/tasker", "/a\tb", TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", NULL, NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", NULL, "tasker", "/x", TK_ERR_BAD_REQUEST);
}

static void
test_prefixes(void)
{
	/* Root mount: "" and "/" are the same. */
	PATH_OK("", "/handlers/x", NULL, NULL, "handlers|x");
	PATH_OK("/", "/handlers/x", NULL, NULL, "handlers|x");
	PATH_OK(NULL, "/handlers/x", NULL, NULL, "handlers|x");
	PATH_OK("", "/", NULL, NULL, "");
	/* Deep prefix; a trailing '/' on the prefix is ignored. */
	PATH_OK("/api/v1/tasker", "/api/v1/tasker/tasks/9", NULL, NULL,
	    "tasks|9");
	PATH_OK("/api/v1/tasker/", "/api/v1/tasker/tasks/9", NULL, NULL,
	    "tasks|9");
	PATH_ERR("/api/v1/tasker", "/api/v1/tasks/9", NULL, NULL,
	    TK_ERR_ROUTE_NOT_FOUND);
	PATH_ERR("/api/v1/tasker", "/api/v1", NULL, NULL,
	    TK_ERR_ROUTE_NOT_FOUND);
	/* The prefix itself, with or without '/', is the empty route path. */
	PATH_OK("/tasker", "/tasker", NULL, NULL, "");
	PATH_OK("/tasker", "/tasker/", NULL, NULL, "");
	PATH_OK("/tasker", "/tasker?x=1", NULL, NULL, "");
	/* Segment boundary: /taskerx is not under /tasker. */
	PATH_ERR("/tasker", "/taskerx/handlers", NULL, NULL,
	    TK_ERR_ROUTE_NOT_FOUND);
	PATH_ERR("/tasker", "/taskerx", NULL, NULL, TK_ERR_ROUTE_NOT_FOUND);
	PATH_ERR("/tasker", "/task", NULL, NULL, TK_ERR_ROUTE_NOT_FOUND);
	PATH_ERR("/tasker", "/", NULL, NULL, TK_ERR_ROUTE_NOT_FOUND);
	PATH_ERR("/tasker", "/Tasker/handlers", NULL, NULL,
	    TK_ERR_ROUTE_NOT_FOUND);
	/* An encoded slash is inside a segment, so not the prefix's '/'. */
	PATH_ERR("/api/v1", "/api%2Fv1/x", NULL, NULL,
	    TK_ERR_ROUTE_NOT_FOUND);
	/* The prefix is compared with decoded segments. */
	PATH_OK("/tasker", "/t%61sker/handlers", NULL, NULL, "handlers");
	/* Bad prefixes are a configuration error. */
	PATH_ERR("tasker", "/tasker/x", NULL, NULL, TK_ERR_CONFIG);
	PATH_ERR("/a//b", "/a/b/x", NULL, NULL, TK_ERR_CONFIG);
	CU_ASSERT_TRUE(tk_prefix_valid(""));
	CU_ASSERT_TRUE(tk_prefix_valid("/"));
	CU_ASSERT_TRUE(tk_prefix_valid("/tasker"));
	CU_ASSERT_TRUE(tk_prefix_valid("/api/v1/tasker/"));
	CU_ASSERT_TRUE(tk_prefix_valid("/a/b/c/d/e/f/g/h"));
	CU_ASSERT_FALSE(tk_prefix_valid("/a/b/c/d/e/f/g/h/i"));
	CU_ASSERT_FALSE(tk_prefix_valid("tasker"));
	CU_ASSERT_FALSE(tk_prefix_valid("//"));
	CU_ASSERT_FALSE(tk_prefix_valid("/a/../b"));
	CU_ASSERT_FALSE(tk_prefix_valid("/a/./b"));
	CU_ASSERT_FALSE(tk_prefix_valid("/t%61sker"));
	CU_ASSERT_FALSE(tk_prefix_valid("/tasker?x"));
	CU_ASSERT_FALSE(tk_prefix_valid("/task er"));
	CU_ASSERT_FALSE(tk_prefix_valid("/task\ner"));
}

static void
test_trailing_slash(void)
{
	PATH_OK("/tasker", "/tasker/handlers/", NULL, NULL, "handlers");
	PATH_OK("/tasker", "/tasker/handlers/?x=1", NULL, NULL, "handlers");
	PATH_OK("/tasker", NULL, "/tasker", "/handlers/", "handlers");
	/* Only one: a second is an empty segment. */
	PATH_ERR("/tasker", "/tasker/handlers//", NULL, NULL,
	    TK_ERR_BAD_REQUEST);
	PATH_ERR("", "//", NULL, NULL, TK_ERR_BAD_REQUEST);
}

static void
test_rejections(void)
{
	char uri[TK_PATH_MAX + 64];
	size_t i;

	/* Bad escapes. */
	PATH_ERR("/tasker", "/tasker/a%zzb", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/a%2", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/a%", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/%%41", NULL, NULL, TK_ERR_BAD_REQUEST);
	/* NUL and control characters, raw or encoded. */
	PATH_ERR("/tasker", "/tasker/a%00b", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/a%0Ab", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/a%0d", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/a%7f", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/a\x01", NULL, NULL, TK_ERR_BAD_REQUEST);
	/* Dot segments, raw or encoded, even where harmless. */
	PATH_ERR("/tasker", "/tasker/handlers/../tasks", NULL, NULL,
	    TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/handlers/%2e%2e/tasks", NULL, NULL,
	    TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/./tasks", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/%2E", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/../tasker/x", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_OK("/tasker", "/tasker/...", NULL, NULL, "...");
	PATH_OK("/tasker", "/tasker/.x/..y", NULL, NULL, ".x|..y");
	/* Empty middle segments. */
	PATH_ERR("/tasker", "/tasker//handlers", NULL, NULL,
	    TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "//tasker/handlers", NULL, NULL,
	    TK_ERR_BAD_REQUEST);
	/* Invalid UTF-8 once decoded. */
	PATH_ERR("/tasker", "/tasker/%ff", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/%c0%ae", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "/tasker/\xc3", NULL, NULL, TK_ERR_BAD_REQUEST);
	/* Not a path at all. */
	PATH_ERR("/tasker", "tasker/x", NULL, NULL, TK_ERR_BAD_REQUEST);
	PATH_ERR("/tasker", "*", NULL, NULL, TK_ERR_BAD_REQUEST);

	/* Segment count: 16 after the prefix pass, 17 do not. */
	strcpy(uri, "/tasker");
	for (i = 0; i < TK_PATH_MAX_SEGS; i++)
		strcat(uri, "/s");
	PATH_OK("/tasker", uri, NULL, NULL, "s|s|s|s|s|s|s|s|s|s|s|s|s|s|s|s");
	strcat(uri, "/s");
	PATH_ERR("/tasker", uri, NULL, NULL, TK_ERR_BAD_REQUEST);
	for (i = 0; i < 100; i++)
		strcat(uri, "/s");
	PATH_ERR("/tasker", uri, NULL, NULL, TK_ERR_BAD_REQUEST);

	/* Length: 2048 bytes pass, 2049 do not, even with a query after. */
	strcpy(uri, "/tasker/");
	memset(uri + 8, 'x', TK_PATH_MAX - 8);
	uri[TK_PATH_MAX] = '\0';
	PATH_OK("/tasker", uri, NULL, NULL, uri + 8);
	strcat(uri, "x?a=1");
	PATH_ERR("/tasker", uri, NULL, NULL, TK_ERR_BAD_REQUEST);
	uri[TK_PATH_MAX + 1] = '\0';             /* 2049 bytes, no query */
	PATH_ERR("/tasker", NULL, "/tasker", uri + 7, TK_ERR_BAD_REQUEST);
	uri[TK_PATH_MAX] = '\0';
	PATH_OK("/tasker", NULL, "/tasker", uri + 7, uri + 8);
}

static void
test_messages(void)
{
	struct tk_path p;
	char out[256];

	split("/tasker", "/tasker/a%zz", NULL, NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out,
	    "request path has an invalid percent-encoding");
	split("/tasker", "/tasker/%2e%2e", NULL, NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out,
	    "request path contains a '.' or '..' segment");
	split("/tasker", "/tasker//x", NULL, NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "request path has an empty segment");
	split("/tasker", "/tasker/%00", NULL, NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out,
	    "request path contains a NUL or control character");
	split("/tasker", "/tasker/%ff", NULL, NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "request path is not valid UTF-8");
	/* 404 leaves the error's default message. */
	strcpy(out, "stale");
	CU_ASSERT_EQUAL(tk_path_extract(&p, "/tasker", "/other", NULL, NULL,
	    out, sizeof(out)), TK_ERR_ROUTE_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(out, "");
}

/* --------------------------------------------------------------- Router */

static int calls;

static tk_err
h_any(struct tk_request *req, struct tk_response *res)
{
	calls++;
	return TK_OK;
}

static tk_err
h_other(struct tk_request *req, struct tk_response *res)
{
	return TK_OK;
}

/* Close to tasker's own table, plus two routes to exercise precedence. */
static const struct tk_route routes[] = {
	{ "GET", "/", NULL, TK_ROUTE_OPEN, h_any, "root" },
	{ "GET", "/handlers", "tasker.handler:index", 0, h_any,
	    "handler.index" },
	{ "GET", "/handlers/{namespace}", "tasker.handler:index", 0, h_any,
	    "handler.namespace" },
	{ "GET", "/handlers/{namespace}/{name}", "tasker.handler:show", 0,
	    h_any, "handler.show" },
	{ "GET", "/tasks", "tasker.task:index", 0, h_any, "task.index" },
	{ "POST", "/tasks", "tasker.task:create", 0, h_any, "task.create" },
	{ "GET", "/tasks/{id}", "tasker.task:show", 0, h_any, "task.show" },
	{ "PATCH", "/tasks/{id}", "tasker.task:update", 0, h_any,
	    "task.update" },
	{ "DELETE", "/tasks/{id}", "tasker.task:cancel", 0, h_any,
	    "task.cancel" },
	{ "PUT", "/tasks/{id}", "tasker.task:update", 0, h_any, "task.put" },
	{ "GET", "/tasks/stats", "tasker.task:index", 0, h_other,
	    "task.stats" },
	{ "GET", "/tasks/{id}/steps/{step}", "tasker.step:show", 0, h_any,
	    "step.show" },
	{ "GET", "/{a}/x", NULL, 0, h_any, "param.then.literal" },
	{ "GET", "/y/{b}", NULL, 0, h_any, "literal.then.param" },
	{ "HEAD", "/probe", NULL, TK_ROUTE_OPEN, h_other, "probe.head" },
	{ "GET", "/probe", NULL, TK_ROUTE_OPEN, h_any, "probe.get" },
	{ "PURGE", "/cache", NULL, 0, h_any, "cache.purge" },
	{ "POST", "/cache", NULL, 0, h_any, "cache.post" },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/*
 * Sets req up for method and uri under /tasker and matches it.  allow
 * gets the Allow value.
 */
static tk_err
route(struct tk_request *req, const char *method, const char *uri,
    char *allow)
{
	tk_err e;

	tk_request_init(req);
	req->method = method;
	e = tk_path_extract(&req->path, "/tasker", uri, NULL, NULL,
	    req->error, sizeof(req->error));
	CU_ASSERT_EQUAL_FATAL(e, TK_OK);
	return tk_route_match(routes, NROUTES, req, allow, TK_ALLOW_SIZE);
}

#define ROUTES_TO(method, uri, rname) do {                               \
	struct tk_request r_;                                             \
	char a_[TK_ALLOW_SIZE];                                           \
	tk_err e_ = route(&r_, method, uri, a_);                          \
	if (e_ != TK_OK || strcmp(r_.route->name, rname) != 0) {          \
		fprintf(stderr, "\n%s:%d: %s %s: %s, %s, want %s\n",          \
		    __FILE__, __LINE__, method, uri, tk_err_name(e_),       \
		    r_.route ? r_.route->name : "-", rname);                \
		CU_FAIL("route");                                         \
	}                                                                 \
	tk_request_free(&r_);                                             \
} while (0)

static void
test_match_literal_and_params(void)
{
	struct tk_request req;
	char allow[TK_ALLOW_SIZE];

	ROUTES_TO("GET", "/tasker", "root");
	ROUTES_TO("GET", "/tasker/", "root");
	ROUTES_TO("GET", "/tasker/handlers", "handler.index");
	ROUTES_TO("GET", "/tasker/handlers/", "handler.index");
	ROUTES_TO("GET", "/tasker/handlers/payments", "handler.namespace");
	ROUTES_TO("POST", "/tasker/tasks", "task.create");
	ROUTES_TO("DELETE", "/tasker/tasks/42", "task.cancel");

	CU_ASSERT_EQUAL(route(&req, "GET",
	    "/tasker/handlers/pay%2Fments/process%20payment?version=1",
	    allow), TK_OK);
	CU_ASSERT_STRING_EQUAL(req.route->name, "handler.show");
	CU_ASSERT_STRING_EQUAL(req.route->permission, "tasker.handler:show");
	CU_ASSERT_EQUAL(req.nparam, 2);
	CU_ASSERT_STRING_EQUAL(tk_request_param(&req, "namespace"),
	    "pay/ments");
	CU_ASSERT_STRING_EQUAL(tk_request_param(&req, "name"),
	    "process payment");
	CU_ASSERT_PTR_NULL(tk_request_param(&req, "nam"));
	CU_ASSERT_PTR_NULL(tk_request_param(&req, "names"));
	CU_ASSERT_PTR_NULL(tk_request_param(&req, "id"));
	/* The handler is the caller's to call, after authorisation. */
	calls = 0;
	CU_ASSERT_EQUAL(req.route->handler(&req, NULL), TK_OK);
	CU_ASSERT_EQUAL(calls, 1);
	tk_request_free(&req);

	CU_ASSERT_EQUAL(route(&req, "GET", "/tasker/tasks/7/steps/charge",
	    allow), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_request_param(&req, "id"), "7");
	CU_ASSERT_STRING_EQUAL(tk_request_param(&req, "step"), "charge");
	tk_request_free(&req);

	/* Literals are case-sensitive and compared whole. */
	CU_ASSERT_EQUAL(route(&req, "GET", "/tasker/Handlers", allow),
	    TK_ERR_ROUTE_NOT_FOUND);
	CU_ASSERT_PTR_NULL(req.route);
	tk_request_free(&req);
	CU_ASSERT_EQUAL(route(&req, "GET", "/tasker/handler", allow),
	    TK_ERR_ROUTE_NOT_FOUND);
	tk_request_free(&req);
	CU_ASSERT_EQUAL(route(&req, "GET", "/tasker/handlers/a/b/c", allow),
	    TK_ERR_ROUTE_NOT_FOUND);
	tk_request_free(&req);
	CU_ASSERT_EQUAL(route(&req, "GET", "/tasker/tasks/7/steps", allow),
	    TK_ERR_ROUTE_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(allow, "");
	tk_request_free(&req);
}

static void
test_404_vs_405(void)
{
	struct tk_request req;
	char allow[TK_ALLOW_SIZE];

	CU_ASSERT_EQUAL(route(&req, "GET", "/tasker/nowhere", allow),
	    TK_ERR_ROUTE_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(allow, "");
	tk_request_free(&req);

	CU_ASSERT_EQUAL(route(&req, "DELETE", "/tasker/tasks", allow),
	    TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, POST");
	CU_ASSERT_PTR_NULL(req.route);
	CU_ASSERT_EQUAL(req.nparam, 0);
	tk_request_free(&req);

	CU_ASSERT_EQUAL(route(&req, "POST", "/tasker/tasks/42", allow),
	    TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, PUT, PATCH, DELETE");
	tk_request_free(&req);

	/* Every route matching the path counts: {id} and stats both. */
	CU_ASSERT_EQUAL(route(&req, "POST", "/tasker/tasks/stats", allow),
	    TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, PUT, PATCH, DELETE");
	tk_request_free(&req);

	CU_ASSERT_EQUAL(route(&req, "PUT", "/tasker/handlers", allow),
	    TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD");
	tk_request_free(&req);

	/* Explicit HEAD is listed once; unknown methods come last. */
	CU_ASSERT_EQUAL(route(&req, "POST", "/tasker/probe", allow),
	    TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD");
	tk_request_free(&req);
	CU_ASSERT_EQUAL(route(&req, "GET", "/tasker/cache", allow),
	    TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "POST, PURGE");
	tk_request_free(&req);
	CU_ASSERT_EQUAL(route(&req, "OPTIONS", "/tasker/cache", allow),
	    TK_ERR_METHOD_NOT_ALLOWED);
	tk_request_free(&req);
	ROUTES_TO("PURGE", "/tasker/cache", "cache.purge");

	/* Methods are case-sensitive, as HTTP says. */
	CU_ASSERT_EQUAL(route(&req, "get", "/tasker/tasks", allow),
	    TK_ERR_METHOD_NOT_ALLOWED);
	tk_request_free(&req);

	/* No method at all. */
	tk_request_init(&req);
	CU_ASSERT_EQUAL(tk_route_match(routes, NROUTES, &req, allow,
	    sizeof(allow)), TK_ERR_BAD_REQUEST);
	/* A NULL allow buffer is allowed. */
	CU_ASSERT_EQUAL(route(&req, "PUT", "/tasker/handlers", NULL),
	    TK_ERR_METHOD_NOT_ALLOWED);
	tk_request_free(&req);
}

static void
test_head(void)
{
	ROUTES_TO("HEAD", "/tasker/tasks", "task.index");
	ROUTES_TO("HEAD", "/tasker/tasks/9", "task.show");
	ROUTES_TO("HEAD", "/tasker/tasks/stats", "task.stats");
	/* An explicit HEAD route wins over the GET one. */
	ROUTES_TO("HEAD", "/tasker/probe", "probe.head");
	ROUTES_TO("GET", "/tasker/probe", "probe.get");
}

static void
test_precedence(void)
{
	struct tk_request req;
	char allow[TK_ALLOW_SIZE];

	/* "/tasks/stats" is listed after "/tasks/{id}" and still wins. */
	ROUTES_TO("GET", "/tasker/tasks/stats", "task.stats");
	ROUTES_TO("GET", "/tasker/tasks/stat", "task.show");
	/* ...but only for its method: DELETE stats is the {id} route. */
	CU_ASSERT_EQUAL(route(&req, "DELETE", "/tasker/tasks/stats", allow),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(req.route->name, "task.cancel");
	CU_ASSERT_STRING_EQUAL(tk_request_param(&req, "id"), "stats");
	tk_request_free(&req);
	/* The first differing segment decides: /y/{b} beats /{a}/x. */
	ROUTES_TO("GET", "/tasker/y/x", "literal.then.param");
	ROUTES_TO("GET", "/tasker/z/x", "param.then.literal");
	ROUTES_TO("GET", "/tasker/y/z", "literal.then.param");
}

/* Same matches with the table in reverse order: order is not precedence. */
static void
test_precedence_reversed(void)
{
	struct tk_route rev[NROUTES];
	struct tk_request req;
	char allow[TK_ALLOW_SIZE];
	size_t i;

	for (i = 0; i < NROUTES; i++)
		rev[i] = routes[NROUTES - 1 - i];
	tk_request_init(&req);
	req.method = "GET";
	CU_ASSERT_EQUAL_FATAL(tk_path_extract(&req.path, "", "/tasks/stats",
	    NULL, NULL, NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(tk_route_match(rev, NROUTES, &req, allow,
	    sizeof(allow)), TK_OK);
	CU_ASSERT_STRING_EQUAL(req.route->name, "task.stats");
	tk_request_free(&req);
	req.method = "GET";
	CU_ASSERT_EQUAL_FATAL(tk_path_extract(&req.path, "", "/y/x",
	    NULL, NULL, NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(tk_route_match(rev, NROUTES, &req, allow,
	    sizeof(allow)), TK_OK);
	CU_ASSERT_STRING_EQUAL(req.route->name, "literal.then.param");
	tk_request_free(&req);
	/* Allow keeps its canonical order whatever the table order. */
	req.method = "POST";
	CU_ASSERT_EQUAL_FATAL(tk_path_extract(&req.path, "", "/tasks/1",
	    NULL, NULL, NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(tk_route_match(rev, NROUTES, &req, allow,
	    sizeof(allow)), TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, PUT, PATCH, DELETE");
	tk_request_free(&req);
}

static void
test_routes_check(void)
{
	static const struct tk_route bad[] = {
		{ "GET", "/tasks/{id}", NULL, 0, h_any, "a" },
		{ "GET", "/tasks/{task_id}", NULL, 0, h_any, "same shape" },
		{ "POST", "/tasks/{id}", NULL, 0, h_any, "other method: fine" },
		{ "get", "/x", NULL, 0, h_any, "lower-case method" },
		{ "GET", "x", NULL, 0, h_any, "no slash" },
		{ "GET", "/x/", NULL, 0, h_any, "trailing slash" },
		{ "GET", "/a/{id}/b/{id}", NULL, 0, h_any, "param twice" },
		{ "GET", "/a/{ID}", NULL, 0, h_any, "upper-case param" },
		{ "GET", "/a/{}", NULL, 0, h_any, "empty param" },
		{ "GET", "/a/x{y}", NULL, 0, h_any, "brace in literal" },
		{ "GET", "/h", NULL, 0, NULL, "no handler" },
		{ "GET", "/p", "", 0, h_any, "empty permission" },
		{ "GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", NULL, 0,
		    h_any, "too deep" },
		{ NULL, "/n", NULL, 0, h_any, "no method" },
	};
	struct tk_diag d = TK_DIAG_INIT;

	CU_ASSERT_EQUAL(tk_routes_check(routes, NROUTES, &d), TK_OK);
	CU_ASSERT_EQUAL(d.n, 0);
	CU_ASSERT_EQUAL(tk_routes_check(bad, sizeof(bad) / sizeof(bad[0]),
	    &d), TK_ERR_INTERNAL);
	CU_ASSERT_EQUAL(d.n, 12);
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 1 (GET /tasks/{task_id}) can "
	    "never match: route 0 (/tasks/{id}) has the same shape"));
	CU_ASSERT_FALSE(tk_diag_has(&d, "route 2"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 3: method"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 4 (x): pattern must start"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 5 (/x/): pattern has an empty"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 6 (/a/{id}/b/{id}): parameter "
	    "name used twice"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 7 (/a/{ID}): parameter names"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 8 (/a/{}): parameter names"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 9 (/a/x{y}): a segment"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 10 (/h): no handler"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 11 (/p): empty permission"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 12 (/1/2/3/4/5/6/7/8/9/10/11/12/"
	    "13/14/15/16/17): pattern has too many"));
	CU_ASSERT_TRUE(tk_diag_has(&d, "route 13: method"));
	tk_diag_free(&d);
}

/* Malformed entries never crash matching; they just do not match. */
static void
test_bad_table_is_harmless(void)
{
	static const struct tk_route bad[] = {
		{ NULL, "/x", NULL, 0, h_any, "no method" },
		{ "GET", NULL, NULL, 0, h_any, "no pattern" },
		{ "GET", "/x", NULL, 0, NULL, "no handler" },
		{ "GET", "/x", NULL, 0, h_any, "good" },
	};
	struct tk_request req;
	char allow[TK_ALLOW_SIZE];

	tk_request_init(&req);
	req.method = "GET";
	CU_ASSERT_EQUAL_FATAL(tk_path_extract(&req.path, "", "/x", NULL, NULL,
	    NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(tk_route_match(bad, 4, &req, allow, sizeof(allow)),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(req.route->name, "good");
	req.method = "POST";
	CU_ASSERT_EQUAL(tk_route_match(bad, 4, &req, allow, sizeof(allow)),
	    TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD");
	/* A small Allow buffer is cut at a method, never mid-word. */
	CU_ASSERT_EQUAL(tk_route_match(bad, 4, &req, allow, 6),
	    TK_ERR_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET");
	tk_request_free(&req);
}

TK_SUITE(http_path,
    { "nginx-style parameters", test_nginx_style },
    { "Apache-style parameters", test_apache_style },
    { "mount prefixes", test_prefixes },
    { "trailing slash", test_trailing_slash },
    { "rejections", test_rejections },
    { "messages", test_messages });

TK_SUITE(http_router,
    { "literals and params", test_match_literal_and_params },
    { "404 versus 405 and Allow", test_404_vs_405 },
    { "HEAD", test_head },
    { "precedence", test_precedence },
    { "precedence is not table order", test_precedence_reversed },
    { "route table check", test_routes_check },
    { "malformed table entries", test_bad_table_is_harmless });
