/*
 * handlers.c - the handler discovery API.
 *
 *   GET /handlers                      namespaces with their handler names
 *   GET /handlers/{namespace}          a namespace's handlers, latest versions
 *   GET /handlers/{namespace}/{name}   one version with its dependency graph
 *
 * Answers come from the process's catalog.  Each answer is serialised once
 * per catalog generation and kept in the catalog's cache slots, so a
 * discovery request costs a lookup and a copy.
 *
 * A caller limited to some namespaces sees only those: the index lists
 * them alone (made for the request, not cached), and any other namespace
 * is a 404 NamespaceNotFound exactly like one that does not exist.
 */
#include "tasker/api.h"

#include <stdio.h>
#include <string.h>

#include "tasker/handler.h"
#include "tasker/utf8.h"

#define NAME_MAX_LEN 64

_Static_assert(sizeof(((struct tk_catalog *)0)->api_etag) >= TK_ETAG_SIZE,
    "catalog ETag slots must hold an ETag");

/* ---------------------------------------------------------------- helpers */

/* 1 when s can be a namespace or handler name: [a-z0-9_]{1,64}. */
static int
valid_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_') || n >= NAME_MAX_LEN)
			return 0;
	return n > 0;
}

/* A name echoed in a message: at most 64 bytes of s, cut on a UTF-8
 * boundary and then marked "..." as tk_quote marks its cuts, so a reader
 * knows the name went on.  out holds CLIP_SIZE bytes. */
#define CLIP_SIZE (NAME_MAX_LEN + 4)
static const char *
clip(const char *s, char out[CLIP_SIZE])
{
	size_t n = strlen(s);
	int cut = n > NAME_MAX_LEN;

	if (cut)
		n = tk_utf8_floor(s, NAME_MAX_LEN);
	memcpy(out, s, n);
	memcpy(out + n, cut ? "..." : "", cut ? 4 : 1);
	return out;
}

/*
 * Answers with a cached serialisation and its ETag, making both first if
 * needed (so a repeated request hashes nothing).
 */
static tk_err
answer_cached(struct tk_response *res, char **slot, size_t *slotlen,
    char etag[40], json_object *(*make)(const void *), const void *arg)
{
	tk_err e;

	json_object *obj;
	const char *s;
	size_t len;

	if (*slot == NULL) {
		if ((obj = make(arg)) == NULL)
			return TK_ERR_NOMEM;
		s = json_object_to_json_string_length(obj,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (s == NULL || (*slot = malloc(len + 1)) == NULL) {
			json_object_put(obj);
			return TK_ERR_NOMEM;
		}
		memcpy(*slot, s, len + 1);
		*slotlen = len;
		json_object_put(obj);
		if (tk_etag(*slot, len, etag) != TK_OK)
			etag[0] = '\0';
	}
	res->status = 200;
	tk_buf_reset(&res->body);
	if ((e = tk_buf_append(&res->body, *slot, *slotlen)) != TK_OK)
		return e;
	return etag[0] != '\0' ? tk_response_set_header(res, "ETag", etag) :
	    TK_OK;
}

static json_object *
step_names(const struct tk_handler_def *h)
{
	json_object *a = json_object_new_array_ext((int)h->nsteps);
	size_t i;

	for (i = 0; a != NULL && i < h->nsteps; i++)
		json_object_array_add(a,
		    json_object_new_string(h->steps[i].name));
	return a;
}

static json_object *
nullable_string(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* ---------------------------------------------------------------- GET /handlers */

/* The index of the namespaces p may see (p NULL: every namespace). */
static json_object *
index_of(const struct tk_catalog *cat, const struct tk_principal *p)
{
	json_object *root, *list, *ns, *names;
	size_t i, j;

	root = json_object_new_object();
	list = json_object_new_array_ext((int)cat->nnamespaces);
	json_object_object_add(root, "namespaces", list);
	for (i = 0; i < cat->nnamespaces; i++) {
		const struct tk_catalog_namespace *n = &cat->namespaces[i];

		if (p != NULL && !tk_principal_sees_ns(p, n->name))
			continue;

		ns = json_object_new_object();
		names = json_object_new_array_ext((int)n->nhandlers);
		for (j = 0; j < n->nhandlers; j++)
			json_object_array_add(names,
			    json_object_new_string(n->handlers[j].name));
		json_object_object_add(ns, "name", json_object_new_string(n->name));
		json_object_object_add(ns, "description",
		    json_object_new_string(n->description));
		json_object_object_add(ns, "handler_count",
		    json_object_new_int64((int64_t)n->nhandlers));
		json_object_object_add(ns, "handlers", names);
		json_object_array_add(list, ns);
	}
	return root;
}

static json_object *
make_index(const void *arg)
{
	return index_of(arg, NULL);
}

tk_err
tk_api_handlers_index(struct tk_request *req, struct tk_response *res)
{
	struct tk_app *app = req->app;
	const struct tk_principal *p = &app->principal;
	struct tk_catalog *cat;
	tk_err e;

	if ((e = tk_api_query_check(req, NULL)) != TK_OK ||
	    (e = tk_api_catalog(req, &cat)) != TK_OK)
		return e;
	if (p->ns_limited)
		return tk_api_json(res, 200, index_of(cat, p));
	return answer_cached(res, &cat->api_cache, &cat->api_cache_len,
	    cat->api_etag, make_index, cat);
}

/* ---------------------------------------------------------------- GET /handlers/{ns} */

static json_object *
make_namespace(const void *arg)
{
	const struct tk_catalog_namespace *ns = arg;
	json_object *root, *list, *o, *versions;
	size_t i, k;

	root = json_object_new_object();
	list = json_object_new_array_ext((int)ns->nhandlers);
	json_object_object_add(root, "namespace", json_object_new_string(ns->name));
	json_object_object_add(root, "handlers", list);
	for (i = 0; i < ns->nhandlers; i++) {
		const struct tk_catalog_handler *h = &ns->handlers[i];
		const struct tk_handler_def *d = h->versions[h->latest].def;

		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(d->name));
		json_object_object_add(o, "namespace",
		    json_object_new_string(ns->name));
		json_object_object_add(o, "version",
		    json_object_new_string(d->version));
		json_object_object_add(o, "description",
		    nullable_string(d->description));
		json_object_object_add(o, "step_count",
		    json_object_new_int64((int64_t)d->nsteps));
		json_object_object_add(o, "step_names", step_names(d));
		versions = json_object_new_array_ext((int)h->nversions);
		for (k = 0; k < h->nversions; k++)
			json_object_array_add(versions, json_object_new_string(
			    h->versions[k].def->version));
		json_object_object_add(o, "versions", versions);
		json_object_array_add(list, o);
	}
	return root;
}

static tk_err
namespace_not_found(struct tk_request *req, const char *name)
{
	char c[CLIP_SIZE];

	tk_request_errorf(req, "Namespace '%s' does not exist",
	    clip(name, c));
	return TK_ERR_NAMESPACE_NOT_FOUND;
}

tk_err
tk_api_handlers_namespace(struct tk_request *req, struct tk_response *res)
{
	const char *name = tk_request_param(req, "namespace");
	struct tk_app *app = req->app;
	struct tk_catalog_namespace *ns;
	struct tk_catalog *cat;
	tk_err e;

	if ((e = tk_api_query_check(req, NULL)) != TK_OK)
		return e;
	if (!valid_name(name) ||
	    !tk_principal_sees_ns(&app->principal, name))
		return namespace_not_found(req, name);
	if ((e = tk_api_catalog(req, &cat)) != TK_OK)
		return e;
	ns = (struct tk_catalog_namespace *)tk_catalog_namespace(cat, name);
	if (ns == NULL)
		return namespace_not_found(req, name);
	return answer_cached(res, &ns->api_cache, &ns->api_cache_len,
	    ns->api_etag, make_namespace, ns);
}

/* ---------------------------------------------------------------- GET /handlers/{ns}/{name} */

/* The flow limits set (tasker-handler(5)), none when none: max_in_flight,
 * then a concurrency limit named name, then a rate limit (r may be NULL). */
static void
add_flow(json_object *o, unsigned max_in_flight, const char *name,
    const struct tk_flow_limit *c, const struct tk_flow_rate *r)
{
	json_object *v;
	int bad = 0;

	if (max_in_flight > 0)
		json_object_object_add(o, "max_in_flight",
		    json_object_new_int64((int64_t)max_in_flight));
	if ((v = tk_flow_limit_json(c, &bad)) != NULL)
		json_object_object_add(o, name, v);
	if (r != NULL && (v = tk_flow_rate_json(r, &bad)) != NULL)
		json_object_object_add(o, "rate_limit", v);
}

static json_object *
make_step(const struct tk_handler_def *h, const struct tk_step_def *s)
{
	json_object *o = json_object_new_object(), *parents;
	size_t i;

	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "description", nullable_string(s->description));
	json_object_object_add(o, "handler_class",
	    nullable_string(s->handler_class));
	json_object_object_add(o, "depends_on_step", s->nparents == 1 ?
	    json_object_new_string(h->steps[s->parents[0]].name) : NULL);
	json_object_object_add(o, "default_retryable",
	    json_object_new_boolean(s->retryable));
	json_object_object_add(o, "default_retry_limit",
	    json_object_new_int64(s->retry_limit));
	json_object_object_add(o, "skippable", json_object_new_boolean(s->skippable));
	json_object_object_add(o, "custom_events", s->custom_events != NULL ?
	    json_object_get(s->custom_events) : json_object_new_array());
	parents = json_object_new_array_ext((int)s->nparents);
	for (i = 0; i < s->nparents; i++)
		json_object_array_add(parents,
		    json_object_new_string(h->steps[s->parents[i]].name));
	json_object_object_add(o, "depends_on_steps", parents);
	add_flow(o, s->max_in_flight, "concurrency", &s->concurrency,
	    &s->rate);
	return o;
}

static json_object *
make_graph(const struct tk_handler_def *h)
{
	json_object *g = json_object_new_object(), *nodes, *edges, *order,
	    *levels, *lvl, *edge;
	size_t i, k;
	unsigned l;

	nodes = step_names(h);
	edges = json_object_new_array();
	for (i = 0; i < h->nsteps; i++)
		for (k = 0; k < h->steps[i].nparents; k++) {
			edge = json_object_new_object();
			json_object_object_add(edge, "from", json_object_new_string(
			    h->steps[h->steps[i].parents[k]].name));
			json_object_object_add(edge, "to",
			    json_object_new_string(h->steps[i].name));
			json_object_array_add(edges, edge);
		}
	order = json_object_new_array_ext((int)h->nsteps);
	for (i = 0; i < h->nsteps; i++)
		json_object_array_add(order,
		    json_object_new_string(h->steps[h->order[i]].name));
	levels = json_object_new_array_ext((int)h->nlevels);
	for (l = 0; l < h->nlevels; l++) {
		lvl = json_object_new_array();
		for (i = 0; i < h->nsteps; i++)
			if (h->level[i] == l)
				json_object_array_add(lvl,
				    json_object_new_string(h->steps[i].name));
		json_object_array_add(levels, lvl);
	}
	json_object_object_add(g, "nodes", nodes);
	json_object_object_add(g, "edges", edges);
	json_object_object_add(g, "execution_order", order);
	json_object_object_add(g, "execution_levels", levels);
	return g;
}

static json_object *
make_show(const void *arg)
{
	const struct tk_handler_def *h = arg;
	json_object *root = json_object_new_object(), *steps;
	size_t i;

	json_object_object_add(root, "id", json_object_new_string(h->name));
	json_object_object_add(root, "namespace",
	    json_object_new_string(h->namespace_name));
	json_object_object_add(root, "version", json_object_new_string(h->version));
	json_object_object_add(root, "description", nullable_string(h->description));
	steps = json_object_new_array_ext((int)h->nsteps);
	for (i = 0; i < h->nsteps; i++)
		json_object_array_add(steps, make_step(h, &h->steps[i]));
	json_object_object_add(root, "step_templates", steps);
	json_object_object_add(root, "dependency_graph", make_graph(h));
	add_flow(root, 0, "concurrency", &h->concurrency, NULL);
	return root;
}

/* A version with schedules: made afresh, its next run times move on. */
static tk_err
show_scheduled(struct tk_request *req, struct tk_response *res,
    const struct tk_handler_def *d)
{
	struct tk_app *app = req->app;
	json_object *root = make_show(d);
	tk_err e;

	if (root == NULL)
		return TK_ERR_NOMEM;
	if ((e = tk_api_schedules_add(app->db, d, root)) != TK_OK) {
		json_object_put(root);
		return e;
	}
	return tk_api_json(res, 200, root);
}

tk_err
tk_api_handlers_show(struct tk_request *req, struct tk_response *res)
{
	static const char *const params[] = { "version", NULL };
	const char *nsname = tk_request_param(req, "namespace");
	const char *name = tk_request_param(req, "name");
	const char *vtext = tk_query_get(&req->query, "version");
	struct tk_app *app = req->app;
	struct tk_catalog_version *v;
	const struct tk_catalog_namespace *ns;
	struct tk_catalog *cat;
	struct tk_semver want;
	struct tk_semver_range range;
	char c1[CLIP_SIZE], c2[CLIP_SIZE], c3[CLIP_SIZE];
	int is_range = 0;
	tk_err e;

	if ((e = tk_api_query_check(req, params)) != TK_OK)
		return e;
	if (vtext != NULL && tk_semver_want_parse(vtext, &want, &range,
	    &is_range) != TK_OK)
		return tk_api_reject(req, TK_ERR_BAD_REQUEST,
		    "Invalid request parameters", tk_api_details1("version",
		    "must be a valid semantic version"));
	if (!valid_name(nsname) ||
	    !tk_principal_sees_ns(&app->principal, nsname))
		return namespace_not_found(req, nsname);
	if ((e = tk_api_catalog(req, &cat)) != TK_OK)
		return e;
	if ((ns = tk_catalog_namespace(cat, nsname)) == NULL)
		return namespace_not_found(req, nsname);
	v = NULL;
	if (valid_name(name) && is_range)
		v = (struct tk_catalog_version *)tk_catalog_match(
		    tk_catalog_handler(ns, name), &range);
	else if (valid_name(name))
		v = (struct tk_catalog_version *)tk_catalog_version(
		    tk_catalog_handler(ns, name), vtext != NULL ? &want : NULL);
	if (v == NULL) {
		tk_request_errorf(req, "Handler '%s' not found in namespace '%s' "
		    "version '%s'", clip(name, c1),
		    clip(nsname, c2),
		    vtext != NULL ? clip(vtext, c3) : "latest");
		return TK_ERR_HANDLER_NOT_FOUND;
	}
	if (v->def->nschedules > 0)
		return show_scheduled(req, res, v->def);
	return answer_cached(res, &v->api_cache, &v->api_cache_len,
	    v->api_etag, make_show, v->def);
}
