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

static tk_err
load(struct tk_db *db, uint64_t generation, struct tk_catalog **out)
{
	struct tk_rows nr = TK_ROWS_INIT, vr = TK_ROWS_INIT;
	struct tk_catalog *cat;
	struct tk_catalog_namespace *ns;
	struct tk_handler_def *def;
	struct tk_schema *schema;
	struct tk_diag d = TK_DIAG_INIT;
	json_tokener *tok = NULL;
	json_object *j;
	const char *text;
	size_t i;
	tk_err e;

	if ((cat = calloc(1, sizeof(*cat))) == NULL)
		return TK_ERR_NOMEM;
	cat->generation = generation;
	if ((e = tk_store_namespaces(db, &nr)) != TK_OK ||
	    (e = tk_store_handler_versions(db, &vr)) != TK_OK)
		goto out;
	if (nr.nrows > 0 &&
	    (cat->namespaces = calloc(nr.nrows, sizeof(*ns))) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nr.nrows; i++) {
		ns = &cat->namespaces[cat->nnamespaces++];
		ns->id = (unsigned)tk_row_int(&nr, i, 0);
		ns->name = strdup(tk_row_str(&nr, i, 1));
		ns->description = strdup(tk_row_str(&nr, i, 2) ?
		    tk_row_str(&nr, i, 2) : "");
		if (ns->name == NULL || ns->description == NULL) {
			e = TK_ERR_NOMEM;
			goto out;
		}
	}
	if ((tok = json_tokener_new_ex(MAX_DEFINITION_DEPTH)) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < vr.nrows; i++) {
		if ((ns = ns_by_id(cat, (unsigned)tk_row_int(&vr, i, 1))) == NULL)
			continue;
		text = tk_row_str(&vr, i, 4);
		json_tokener_reset(tok);
		j = json_tokener_parse_ex(tok, text, (int)vr.len[i * vr.ncols + 4]);
		def = NULL;
		if (j == NULL || tk_handler_from_json(j, &def, &d) != TK_OK) {
			/* A row we cannot read is left out, loudly. */
			tk_log(TK_LOG_ERROR, "event=bad_definition id=%lld "
			    "handler=%s.%s@%s", tk_row_int(&vr, i, 0), ns->name,
			    tk_row_str(&vr, i, 2), tk_row_str(&vr, i, 3));
			tk_diag_free(&d);
			json_object_put(j);
			continue;
		}
		json_object_put(j);
		schema = NULL;
		if (def->schema != NULL &&
		    (e = tk_schema_compile(def->schema, &schema, &d)) != TK_OK) {
			tk_diag_free(&d);
			tk_handler_free(def);
			if (e == TK_ERR_NOMEM)
				goto out;
			tk_log(TK_LOG_ERROR, "event=bad_schema id=%lld "
			    "handler=%s.%s@%s", tk_row_int(&vr, i, 0), ns->name,
			    tk_row_str(&vr, i, 2), tk_row_str(&vr, i, 3));
			e = TK_OK;
			continue;
		}
		if ((e = add_version(ns, (unsigned)tk_row_int(&vr, i, 0),
		    def, schema)) != TK_OK) {
			tk_schema_free(schema);
			tk_handler_free(def);
			goto out;
		}
	}
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
		if ((e = load(db, gen, &fresh)) != TK_OK)
			return e;
		tk_catalog_free(*cat);
		*cat = fresh;
	}
	(*cat)->checked_ms = now;
	return TK_OK;
}
