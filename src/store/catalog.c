/*
 * catalog.c - the per-process cache of the handler registry.
 *
 * A reload builds a whole new catalog from the rows and swaps it in only
 * when complete, so a failed reload leaves the old one intact.
 */
#include "tasker/catalog.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "tasker/alloc.h"
#include "tasker/clock.h"
#include "tasker/handler.h"
#include "tasker/jsonschema.h"
#include "tasker/log.h"
#include "tasker/store.h"
#include "registry.h"
#include "rows.h"

#define MAX_DEFINITION_DEPTH 64

void
tk_catalog_free(struct tk_catalog *cat)
{
	size_t i, j, k;

	if (cat == NULL)
		return;
	for (i = 0; i < cat->nnamespaces; i++) {
		struct tk_catalog_namespace *ns = &cat->namespaces[i];

		for (j = 0; j < ns->nhandlers; j++) {
			for (k = 0; k < ns->handlers[j].nversions; k++) {
				tk_handler_free(ns->handlers[j].versions[k].def);
				tk_schema_free(ns->handlers[j].versions[k].schema);
				free(ns->handlers[j].versions[k].api_cache);
			}
			free(ns->handlers[j].versions);
		}
		free(ns->handlers);
		free(ns->name);
		free(ns->description);
		free(ns->api_cache);
	}
	free(cat->namespaces);
	free(cat->api_cache);
	free(cat);
}

/* ---------------------------------------------------------------- lookups */

const struct tk_catalog_namespace *
tk_catalog_namespace(const struct tk_catalog *cat, const char *name)
{
	size_t i;

	for (i = 0; cat != NULL && i < cat->nnamespaces; i++)
		if (strcmp(cat->namespaces[i].name, name) == 0)
			return &cat->namespaces[i];
	return NULL;
}

const struct tk_catalog_handler *
tk_catalog_handler(const struct tk_catalog_namespace *ns, const char *name)
{
	size_t i;

	for (i = 0; ns != NULL && i < ns->nhandlers; i++)
		if (strcmp(ns->handlers[i].name, name) == 0)
			return &ns->handlers[i];
	return NULL;
}

const struct tk_catalog_version *
tk_catalog_version(const struct tk_catalog_handler *h,
    const struct tk_semver *v)
{
	size_t i;

	if (h == NULL || h->nversions == 0)
		return NULL;
	if (v == NULL)
		return &h->versions[h->latest];
	for (i = 0; i < h->nversions; i++)
		if (tk_semver_cmp(&h->versions[i].def->semver, v) == 0)
			return &h->versions[i];
	return NULL;
}

const struct tk_catalog_version *
tk_catalog_match(const struct tk_catalog_handler *h,
    const struct tk_semver_range *r)
{
	size_t i;

	/* Newest first: the first that satisfies is the highest. */
	for (i = 0; h != NULL && i < h->nversions; i++)
		if (tk_semver_range_test(r, &h->versions[i].def->semver))
			return &h->versions[i];
	return NULL;
}

const struct tk_catalog_version *
tk_catalog_by_id(const struct tk_catalog *cat, unsigned id)
{
	size_t i, j, k;

	for (i = 0; cat != NULL && i < cat->nnamespaces; i++)
		for (j = 0; j < cat->namespaces[i].nhandlers; j++) {
			const struct tk_catalog_handler *h =
			    &cat->namespaces[i].handlers[j];

			for (k = 0; k < h->nversions; k++)
				if (h->versions[k].id == id)
					return &h->versions[k];
		}
	return NULL;
}

/* ---------------------------------------------------------------- loading */

static struct tk_catalog_namespace *
ns_by_id(struct tk_catalog *cat, unsigned id)
{
	size_t i;

	for (i = 0; i < cat->nnamespaces; i++)
		if (cat->namespaces[i].id == id)
			return &cat->namespaces[i];
	return NULL;
}

/* Adds a version to its handler (created on first sight); takes schema
 * (may be NULL) on success. */
static tk_err
add_version(struct tk_catalog_namespace *ns, unsigned id,
    struct tk_handler_def *def, struct tk_schema *schema)
{
	struct tk_catalog_handler *h = NULL, *nh;
	struct tk_catalog_version *nv;
	size_t i;

	for (i = 0; i < ns->nhandlers; i++)
		if (strcmp(ns->handlers[i].name, def->name) == 0)
			h = &ns->handlers[i];
	if (h == NULL) {
		nh = tk_reallocarray(ns->handlers, ns->nhandlers + 1,
		    sizeof(*nh));
		if (nh == NULL)
			return TK_ERR_NOMEM;
		ns->handlers = nh;
		h = &ns->handlers[ns->nhandlers++];
		memset(h, 0, sizeof(*h));
		h->name = def->name;   /* finish() repoints it after sorting */
	}
	nv = tk_reallocarray(h->versions, h->nversions + 1, sizeof(*nv));
	if (nv == NULL)
		return TK_ERR_NOMEM;
	h->versions = nv;
	memset(&nv[h->nversions], 0, sizeof(*nv));
	nv[h->nversions].id = id;
	nv[h->nversions].def = def;
	nv[h->nversions].schema = schema;
	h->nversions++;
	return TK_OK;
}

static int
newest_first(const void *a, const void *b)
{
	const struct tk_catalog_version *x = a, *y = b;

	return tk_semver_cmp(&y->def->semver, &x->def->semver);
}

static int
semver_newest_first(const void *a, const void *b)
{
	return tk_semver_cmp((const struct tk_semver *)b,
	    (const struct tk_semver *)a);
}

size_t
tk_versions_sort_latest(struct tk_semver *v, size_t n)
{
	size_t k;

	qsort(v, n, sizeof(*v), semver_newest_first);
	for (k = 0; k < n; k++)
		if (!tk_semver_is_prerelease(&v[k]))
			return k;
	return 0;
}

/* Sorts versions and picks the latest; fixes the name pointers. */
static void
finish(struct tk_catalog *cat)
{
	size_t i, j, k;

	for (i = 0; i < cat->nnamespaces; i++)
		for (j = 0; j < cat->namespaces[i].nhandlers; j++) {
			struct tk_catalog_handler *h =
			    &cat->namespaces[i].handlers[j];

			qsort(h->versions, h->nversions, sizeof(*h->versions),
			    newest_first);
			h->name = h->versions[0].def->name;
			h->latest = 0;
			for (k = 0; k < h->nversions; k++)
				if (!tk_semver_is_prerelease(
				    &h->versions[k].def->semver)) {
					h->latest = k;
					break;
				}
		}
}

/* The namespace rows (NS_*) into cat. */
static tk_err
load_namespaces(struct tk_catalog *cat, const struct tk_rows *nr)
{
	struct tk_catalog_namespace *ns;
	const char *desc;
	size_t i;

	if (nr->nrows > 0 &&
	    (cat->namespaces = calloc(nr->nrows, sizeof(*ns))) == NULL)
		return TK_ERR_NOMEM;
	for (i = 0; i < nr->nrows; i++) {
		ns = &cat->namespaces[cat->nnamespaces++];
		ns->id = (unsigned)tk_row_int(nr, i, NS_ID);
		desc = tk_row_str(nr, i, NS_DESCRIPTION);
		ns->name = strdup(tk_row_str(nr, i, NS_NAME));
		ns->description = strdup(desc != NULL ? desc : "");
		if (ns->name == NULL || ns->description == NULL)
			return TK_ERR_NOMEM;
	}
	return TK_OK;
}

/* Logs a handler version row that is left out of the catalog. */
static void
left_out(const char *event, const struct tk_rows *vr, size_t i,
    const struct tk_catalog_namespace *ns)
{
	tk_log(TK_LOG_ERROR, "event=%s id=%lld handler=%s.%s@%s", event,
	    tk_row_int(vr, i, HV_ID), ns->name, tk_row_str(vr, i, HV_NAME),
	    tk_row_str(vr, i, HV_VERSION));
}

/*
 * Handler version row i of vr (HV_*) into its namespace of cat.  A row
 * we cannot read is left out, loudly (TK_OK); TK_ERR_NOMEM.
 */
static tk_err
load_version(struct tk_catalog *cat, const struct tk_rows *vr, size_t i,
    json_tokener *tok)
{
	struct tk_catalog_namespace *ns;
	struct tk_handler_def *def = NULL;
	struct tk_schema *schema = NULL;
	struct tk_diag d = TK_DIAG_INIT;
	json_object *j;
	tk_err e;

	if ((ns = ns_by_id(cat, (unsigned)tk_row_int(vr, i,
	    HV_NAMESPACE_ID))) == NULL)
		return TK_OK;
	json_tokener_reset(tok);
	j = json_tokener_parse_ex(tok, tk_row_str(vr, i, HV_DEFINITION),
	    (int)tk_row_len(vr, i, HV_DEFINITION));
	if (j == NULL || tk_handler_from_json(j, &def, &d) != TK_OK) {
		left_out("bad_definition", vr, i, ns);
		tk_diag_free(&d);
		json_object_put(j);
		return TK_OK;
	}
	json_object_put(j);
	if (def->schema != NULL &&
	    (e = tk_schema_compile(def->schema, &schema, &d)) != TK_OK) {
		tk_diag_free(&d);
		tk_handler_free(def);
		if (e != TK_ERR_NOMEM)
			left_out("bad_schema", vr, i, ns);
		return e == TK_ERR_NOMEM ? e : TK_OK;
	}
	if ((e = add_version(ns, (unsigned)tk_row_int(vr, i, HV_ID), def,
	    schema)) != TK_OK) {
		tk_schema_free(schema);
		tk_handler_free(def);
	}
	return e;
}

static tk_err
load_catalog(struct tk_db *db, uint64_t generation, struct tk_catalog **out)
{
	struct tk_rows nr = TK_ROWS_INIT, vr = TK_ROWS_INIT;
	struct tk_catalog *cat;
	json_tokener *tok = NULL;
	size_t i;
	tk_err e;

	if ((cat = calloc(1, sizeof(*cat))) == NULL)
		return TK_ERR_NOMEM;
	cat->generation = generation;
	if ((e = tk_store_namespaces(db, &nr)) != TK_OK ||
	    (e = tk_store_handler_versions(db, &vr)) != TK_OK ||
	    (e = load_namespaces(cat, &nr)) != TK_OK)
		goto out;
	if ((tok = json_tokener_new_ex(MAX_DEFINITION_DEPTH)) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < vr.nrows; i++)
		if ((e = load_version(cat, &vr, i, tok)) != TK_OK)
			goto out;
	finish(cat);
	*out = cat;
	cat = NULL;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	tk_rows_free(&nr);
	tk_rows_free(&vr);
	tk_catalog_free(cat);
	return e;
}

tk_err
tk_catalog_refresh(struct tk_catalog **cat, struct tk_db *db,
    unsigned refresh_ms)
{
	struct tk_catalog *fresh = NULL;
	long long now = tk_now_ms();
	uint64_t gen;
	tk_err e;

	if (*cat != NULL && now - (*cat)->checked_ms < (long long)refresh_ms)
		return TK_OK;
	if ((e = tk_store_registry_generation(db, &gen)) != TK_OK)
		return e;
	if (*cat == NULL || (*cat)->generation != gen) {
		if ((e = load_catalog(db, gen, &fresh)) != TK_OK)
			return e;
		tk_catalog_free(*cat);
		*cat = fresh;
	}
	(*cat)->checked_ms = now;
	return TK_OK;
}
