/*
 * test_metrics_openapi.c - the OpenAPI document against the route table
 * (both directions: every route is documented, every documented operation
 * is a route, with the same permission and openness), and the operations
 * endpoints through the real pipeline with the database away: the
 * document served with this mount prefix, live, ready's 503, /metrics,
 * and probes closed by configuration.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "testlib.h"
#include "tasker/api.h"
#include "tasker/ops.h"

#define DOC TK_TEST_TOPSRC "/contrib/openapi/openapi.json"

static const char *const methods[] = {
	"get", "put", "post", "delete", "options", "head", "patch", "trace"
};

static json_object *
load_doc(void)
{
	json_object *doc = json_object_from_file(DOC);

	CU_ASSERT_PTR_NOT_NULL(doc);
	return doc;
}

static json_object *
get(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

/* Follows a local "$ref" ("#/components/x/y") once. */
static json_object *
deref(json_object *doc, json_object *o)
{
	json_object *r = get(o, "$ref");
	char kind[64], name[128];

	if (r == NULL)
		return o;
	if (sscanf(json_object_get_string(r), "#/components/%63[^/]/%127s",
	    kind, name) != 2)
		return NULL;
	return get(get(get(doc, "components"), kind), name);
}

static void
lower(const char *s, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* 1 when security is empty or lists the empty requirement (no
 * credentials needed). */
static int
allows_anonymous(json_object *sec)
{
	size_t i;

	if (sec == NULL)
		return 0;
	if (json_object_array_length(sec) == 0)
		return 1;
	for (i = 0; i < json_object_array_length(sec); i++)
		if (json_object_object_length(
		    json_object_array_get_idx(sec, i)) == 0)
			return 1;
	return 0;
}

static void
test_routes_documented(void)
{
	json_object *doc = load_doc(), *paths, *op, *perm;
	char m[16];
	size_t i;

	paths = get(doc, "paths");
	CU_ASSERT_PTR_NOT_NULL_FATAL(paths);
	for (i = 0; i < tk_api_nroutes; i++) {
		const struct tk_route *r = &tk_api_routes[i];

		lower(r->method, m, sizeof(m));
		op = get(get(paths, r->pattern), m);
		if (op == NULL) {
			fprintf(stderr, "\n  route %s %s (%s) is not in %s\n",
			    r->method, r->pattern, r->name, DOC);
			CU_FAIL("route missing from the OpenAPI document");
			continue;
		}
		/* The permission the table asks for is the documented one. */
		perm = get(op, "x-tasker-permission");
		if (r->permission == NULL) {
			CU_ASSERT_TRUE(perm == NULL);
		} else if (perm == NULL ||
		    strcmp(json_object_get_string(perm), r->permission) != 0) {
			fprintf(stderr, "\n  %s %s: x-tasker-permission is not "
			    "%s\n", r->method, r->pattern, r->permission);
			CU_FAIL("permission differs");
		}
		/* Open routes say so; the others need the bearer token. */
		CU_ASSERT_EQUAL(allows_anonymous(get(op, "security")),
		    (r->flags & TK_ROUTE_OPEN) != 0);
	}
	json_object_put(doc);
}

/* 1 when the table answers method on path; GET answers HEAD, and
 * OPTIONS is answered (405 with Allow) on every path of the table. */
static int
route_exists(const char *path, const char *method)
{
	char m[16];
	size_t i;
	int any = strcmp(method, "options") == 0;

	if (strcmp(method, "head") == 0)
		method = "get";
	for (i = 0; i < tk_api_nroutes; i++) {
		lower(tk_api_routes[i].method, m, sizeof(m));
		if (strcmp(tk_api_routes[i].pattern, path) == 0 &&
		    (any || strcmp(m, method) == 0))
			return 1;
	}
	return 0;
}

static void
test_documented_are_routes(void)
{
	json_object *doc = load_doc(), *paths;
	size_t k, nops = 0;

	paths = get(doc, "paths");
	CU_ASSERT_PTR_NOT_NULL_FATAL(paths);
	json_object_object_foreach(paths, path, item) {
		/* HEAD is documented wherever GET is, and only there;
		   OPTIONS on every path. */
		CU_ASSERT_EQUAL(get(item, "get") != NULL,
		    get(item, "head") != NULL);
		CU_ASSERT_PTR_NOT_NULL(get(item, "options"));
		for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
			if (get(item, methods[k]) == NULL)
				continue;
			if (strcmp(methods[k], "head") != 0 &&
			    strcmp(methods[k], "options") != 0)
				nops++;
			if (!route_exists(path, methods[k])) {
				fprintf(stderr, "\n  documented %s %s is not a "
				    "route\n", methods[k], path);
				CU_FAIL("documented operation is not a route");
			}
		}
	}
	CU_ASSERT_EQUAL(nops, tk_api_nroutes);
	json_object_put(doc);
}

/* Every {param} of a path is declared as a path parameter of each op. */
static void
test_path_parameters(void)
{
	json_object *doc = load_doc(), *paths, *op, *params, *p;
	const char *s, *e;
	char name[64];
	size_t k, i;
	int found;

	paths = get(doc, "paths");
	CU_ASSERT_PTR_NOT_NULL_FATAL(paths);
	json_object_object_foreach(paths, path, item) {
		for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
			if ((op = get(item, methods[k])) == NULL)
				continue;
			params = get(op, "parameters");
			for (s = strchr(path, '{'); s != NULL;
			    s = strchr(e, '{')) {
				e = strchr(s, '}');
				CU_ASSERT_PTR_NOT_NULL_FATAL(e);
				snprintf(name, sizeof(name), "%.*s",
				    (int)(e - s - 1), s + 1);
				found = 0;
				for (i = 0; params != NULL &&
				    i < json_object_array_length(params); i++) {
					p = deref(doc,
					    json_object_array_get_idx(params, i));
					if (p != NULL && strcmp(json_object_get_string(
					    get(p, "in")), "path") == 0 &&
					    strcmp(json_object_get_string(
					    get(p, "name")), name) == 0)
						found = 1;
				}
				if (!found)
					fprintf(stderr, "\n  %s %s: no path "
					    "parameter %s\n", methods[k], path,
					    name);
				CU_ASSERT_TRUE(found);
			}
		}
	}
	json_object_put(doc);
}

/* Every error answer documented has the guide's error body. */
static void
test_errors_use_error_schema(void)
{
	json_object *doc = load_doc(), *paths, *op, *resp, *schema;
	size_t k, n = 0;

	paths = get(doc, "paths");
	CU_ASSERT_PTR_NOT_NULL_FATAL(paths);
	json_object_object_foreach(paths, path, item) {
		for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
			if ((op = get(item, methods[k])) == NULL)
				continue;
			/* Every operation documents 401 (open ones too: they
			   ask for a token when configuration closes them),
			   but OPTIONS: it is answered before authentication. */
			if (strcmp(methods[k], "options") != 0)
				CU_ASSERT_PTR_NOT_NULL(get(get(op, "responses"),
				    "401"));
			json_object_object_foreach(get(op, "responses"), code,
			    r) {
				if (code[0] != '4' && code[0] != '5')
					continue;
				resp = deref(doc, r);
				schema = get(get(get(resp, "content"),
				    "application/json"), "schema");
				if (schema == NULL || get(schema, "$ref") == NULL ||
				    strcmp(json_object_get_string(get(schema,
				    "$ref")), "#/components/schemas/Error") != 0) {
					fprintf(stderr, "\n  %s %s %s: not the "
					    "Error schema\n", methods[k], path,
					    code);
					CU_FAIL("error response without Error");
				}
				n++;
			}
		}
	}
	CU_ASSERT_TRUE(n > tk_api_nroutes);
	/* The error body is the guide's. */
	schema = get(get(get(get(get(doc, "components"), "schemas"), "Error"),
	    "properties"), "error");
	CU_ASSERT_PTR_NOT_NULL(get(get(schema, "properties"), "type"));
	CU_ASSERT_PTR_NOT_NULL(get(get(schema, "properties"), "message"));
	CU_ASSERT_PTR_NOT_NULL(get(get(schema, "properties"), "details"));
	CU_ASSERT_PTR_NOT_NULL(get(get(schema, "properties"), "code"));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(get(get(get(doc,
	    "components"), "securitySchemes"), "bearerAuth"), "scheme")),
	    "bearer");
	json_object_put(doc);
}

/* ------------------------------------------------ the endpoints, no DB */

struct env {
	char              dir[64];
	char              conf[128];
	struct tk_config  cfg;
	struct tk_app     app;
};

static void
env_setup(struct env *v, int open)
{
	struct tk_diag d = TK_DIAG_INIT;
	FILE *f;

	memset(v, 0, sizeof(*v));
	snprintf(v->dir, sizeof(v->dir), "/tmp/tk-ops.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(v->dir));
	snprintf(v->conf, sizeof(v->conf), "%s/tasker.yaml", v->dir);
	f = fopen(v->conf, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "run_dir: %s\nmigrations_dir: %s/db/migrations\n"
	    "database:\n  socket: %s/no.sock\n  connect_timeout: 1\n"
	    "auth:\n  mode: jwt\n  algorithms: [HS256]\n  keys:\n"
	    "    - algorithm: HS256\n      key_file: %s\n"
	    "      signing_key_file: %s\n"
	    "  open_health: %s\n  open_docs: %s\n"
	    "api:\n  mount_prefix: /api/v1/tasker\n",
	    v->dir, TK_TEST_TOPSRC, v->dir, tk_fixture("auth/hs256.secret"),
	    tk_fixture("auth/hs256.secret"), open ? "true" : "false",
	    open ? "true" : "false");
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(tk_config_load(v->conf, &v->cfg, &d), TK_OK);
	CU_ASSERT_EQUAL_FATAL(tk_auth_init(&v->cfg.auth, &v->app.auth, &d),
	    TK_OK);
	CU_ASSERT_EQUAL_FATAL(tk_db_new(&v->cfg.db, &v->app.db), TK_OK);
	v->app.cfg = &v->cfg;
	setenv("TASKER_OPENAPI", DOC, 1);
	CU_ASSERT_EQUAL_FATAL(tk_ops_init(&v->cfg), TK_OK);
	tk_diag_free(&d);
}

static void
env_free(struct env *v)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	tk_ops_free();
	tk_principal_free(&v->app.principal);
	tk_db_free(v->app.db);
	tk_auth_free(v->app.auth);
	tk_config_free(&v->cfg);
	if ((d = opendir(v->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", v->dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(v->dir);
	unsetenv("TASKER_OPENAPI");
}

/* Runs one GET through the pipeline; the answer in res (free it). */
static void
run(struct env *v, const char *path, const char *authz,
    struct tk_response *res)
{
	char uri[256], auth[1024];
	char *envp[4];
	struct tk_request req;
	int n = 0;

	snprintf(uri, sizeof(uri), "REQUEST_URI=/api/v1/tasker%s", path);
	envp[n++] = (char *)"REQUEST_METHOD=GET";
	envp[n++] = uri;
	if (authz != NULL) {
		snprintf(auth, sizeof(auth), "HTTP_AUTHORIZATION=Bearer %s",
		    authz);
		envp[n++] = auth;
	}
	envp[n] = NULL;
	tk_request_init(&req);
	tk_response_init(res);
	req.app = &v->app;
	CU_ASSERT_EQUAL(tk_request_from_env(&req, envp, "/api/v1/tasker"),
	    TK_OK);
	tk_api_dispatch(&v->app, &req, res);
	tk_ops_record(&req, res->status, 1234);
	tk_principal_free(&v->app.principal);
	tk_request_free(&req);
}

static json_object *
body_json(const struct tk_response *res)
{
	return json_tokener_parse(tk_buf_str(&res->body));
}

static void
test_endpoints_open(void)
{
	struct tk_response res;
	struct env v;
	json_object *o;
	const char *t;
	int i;

	env_setup(&v, 1);
	/* The document, with servers pointing at this mount prefix. */
	run(&v, "/api-docs.json", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 200);
	o = body_json(&res);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(
	    json_object_array_get_idx(get(o, "servers"), 0), "url")),
	    "/api/v1/tasker");
	CU_ASSERT_PTR_NOT_NULL(get(get(o, "paths"), "/handlers/{namespace}"));
	json_object_put(o);
	tk_response_free(&res);
	/* Live needs nothing. */
	run(&v, "/health/live", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_STRING_EQUAL(tk_buf_str(&res.body), "{\"status\":\"ok\"}");
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res, "Cache-Control"),
	    "no-store");
	tk_response_free(&res);
	/* Ready says why not, in the error format. */
	run(&v, "/health/ready", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 503);
	o = body_json(&res);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(get(o, "error"),
	    "code")), "SERVICE_UNAVAILABLE");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(get(o, "error"),
	    "message")), "The database is unreachable");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_array_get_idx(
	    get(get(get(o, "error"), "details"), "database"), 0)),
	    "unreachable");
	json_object_put(o);
	tk_response_free(&res);
	/* Metrics answer without the database, and count what came before. */
	for (i = 0; i < 3; i++) {
		run(&v, "/health/live", NULL, &res);
		tk_response_free(&res);
	}
	run(&v, "/metrics", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_STRING_EQUAL(res.content_type,
	    "text/plain; version=0.0.4; charset=utf-8");
	t = tk_buf_str(&res.body);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_http_requests_total{route="
	    "\"health.live\",status=\"200\"} 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_http_requests_total{route="
	    "\"health.ready\",status=\"503\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_database_up 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\ntasker_metrics_shared 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tasker_build_info{version=\""));
	CU_ASSERT_PTR_NULL(strstr(t, "tasker_tasks{"));
	tk_response_free(&res);
	/* An unknown path counts as route "none". */
	run(&v, "/nothing", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 404);
	tk_response_free(&res);
	run(&v, "/metrics", NULL, &res);
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_buf_str(&res.body),
	    "tasker_http_requests_total{route=\"none\",status=\"404\"} 1\n"));
	tk_response_free(&res);
	/* Status is never open. */
	run(&v, "/health/status", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 401);
	tk_response_free(&res);
	env_free(&v);
}

static void
test_endpoints_closed(void)
{
	const char *perms[] = { "tasker.handler:index" };
	const char *mperm[] = { "tasker.metrics:index" };
	struct tk_response res;
	char *tok = NULL, *mtok = NULL;
	struct env v;

	env_setup(&v, 0);
	run(&v, "/health/live", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 401);
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res, "WWW-Authenticate"),
	    "Bearer realm=\"tasker\"");
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_buf_str(&res.body),
	    "\"code\":\"AUTHENTICATION_FAILED\""));
	tk_response_free(&res);
	run(&v, "/api-docs.json", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 401);
	tk_response_free(&res);
	run(&v, "/health/live", "not-a-token", &res);
	CU_ASSERT_EQUAL(res.status, 401);
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_response_header(&res,
	    "WWW-Authenticate"), "invalid_token"));
	tk_response_free(&res);
	/* Any valid token opens the probes and the document ... */
	CU_ASSERT_EQUAL_FATAL(tk_auth_mint(v.app.auth, "ops-test", perms, 1, 60,
	    time(NULL), &tok), TK_OK);
	run(&v, "/health/live", tok, &res);
	CU_ASSERT_EQUAL(res.status, 200);
	tk_response_free(&res);
	run(&v, "/api-docs.json", tok, &res);
	CU_ASSERT_EQUAL(res.status, 200);
	tk_response_free(&res);
	/* ... but /metrics wants its permission. */
	run(&v, "/metrics", tok, &res);
	CU_ASSERT_EQUAL(res.status, 403);
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_buf_str(&res.body),
	    "Insufficient permissions for tasker.metrics:index"));
	tk_response_free(&res);
	CU_ASSERT_EQUAL_FATAL(tk_auth_mint(v.app.auth, "ops-test", mperm, 1, 60,
	    time(NULL), &mtok), TK_OK);
	run(&v, "/metrics", mtok, &res);
	CU_ASSERT_EQUAL(res.status, 200);
	tk_response_free(&res);
	free(tok);
	free(mtok);
	env_free(&v);
}

static void
test_docs_missing(void)
{
	struct tk_response res;
	struct env v;

	env_setup(&v, 1);
	tk_ops_free();
	setenv("TASKER_OPENAPI", "/nonexistent/openapi.json", 1);
	CU_ASSERT_EQUAL(tk_ops_init(&v.cfg), TK_OK);  /* not fatal */
	run(&v, "/api-docs.json", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 500);
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_buf_str(&res.body), "INTERNAL_ERROR"));
	tk_response_free(&res);
	/* Installed later: served without a restart. */
	setenv("TASKER_OPENAPI", DOC, 1);
	run(&v, "/api-docs.json", NULL, &res);
	CU_ASSERT_EQUAL(res.status, 200);
	tk_response_free(&res);
	env_free(&v);
}

TK_SUITE(openapi,
    { "every route is documented", test_routes_documented },
    { "every documented operation is a route", test_documented_are_routes },
    { "path parameters declared", test_path_parameters },
    { "errors use the Error schema", test_errors_use_error_schema });

TK_SUITE(ops,
    { "open endpoints without a database", test_endpoints_open },
    { "endpoints closed by configuration", test_endpoints_closed },
    { "document missing, then installed", test_docs_missing });
