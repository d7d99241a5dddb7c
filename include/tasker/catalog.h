/*
 * catalog.h - a process's cached copy of the handler registry.
 *
 * The registry lives in MariaDB (namespaces, handler_versions).  Each
 * process keeps the whole of it in memory, ordered for the API: namespaces
 * and handler names in the order they were first loaded, each name's
 * versions newest first by semver precedence.  tk_catalog_refresh()
 * re-validates the cache against registry_generation at most every
 * refresh_ms and reloads it when a `tasker-admin handlers load` changed
 * anything, so a load is visible to every process within that time.
 * A version whose definition or context schema no longer compiles is
 * logged and left out, like a definition that no longer validates.
 *
 * Ownership: the catalog owns every definition and string in it.  A
 * pointer obtained from a lookup stays valid until the next refresh.
 */
#ifndef TASKER_CATALOG_H
#define TASKER_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/semver.h"

struct tk_handler_def;
struct tk_schema;

struct tk_catalog_version {
	unsigned               id;        /* handler_versions.id */
	struct tk_handler_def *def;
	/* def->schema compiled once when the catalog loads (NULL when the
	 * handler has no schema); POST /tasks validates contexts with it. */
	struct tk_schema      *schema;
	/* A cache slot for the API layer (the serialised answer of this
	 * version); the catalog frees it on reload. */
	char                  *api_cache;
	size_t                 api_cache_len;
	char                   api_etag[40];  /* the cache's ETag, or "" */
};

struct tk_catalog_handler {
	const char                *name;      /* points into versions[0] */
	struct tk_catalog_version *versions;  /* newest first */
	size_t                     nversions;
	size_t                     latest;    /* newest release, or newest
	                                         pre-release if no release */
};

struct tk_catalog_namespace {
	unsigned                   id;
	char                      *name;
	char                      *description;
	struct tk_catalog_handler *handlers;  /* in first-load order */
	size_t                     nhandlers;
	char                      *api_cache;
	size_t                     api_cache_len;
	char                       api_etag[40];
};

struct tk_catalog {
	struct tk_catalog_namespace *namespaces;  /* in first-load order */
	size_t                       nnamespaces;
	uint64_t                     generation;  /* registry_generation */
	long long                    checked_ms;  /* monotonic, last check */
	char                        *api_cache;   /* GET /handlers */
	size_t                       api_cache_len;
	char                         api_etag[40];
};

/*
 * Makes *cat current: when it is NULL or its last check is older than
 * refresh_ms, reads the generation and reloads on a change.
 * TK_ERR_DB_UNAVAILABLE when the database cannot be asked (the cache is
 * then kept but not used: callers answer 503).  A definition row that no
 * longer validates is logged and left out.
 */
tk_err tk_catalog_refresh(struct tk_catalog **cat, struct tk_db *db,
    unsigned refresh_ms);
void   tk_catalog_free(struct tk_catalog *cat);

const struct tk_catalog_namespace *tk_catalog_namespace(
    const struct tk_catalog *cat, const char *name);
const struct tk_catalog_handler *tk_catalog_handler(
    const struct tk_catalog_namespace *ns, const char *name);
/* The version equal to v (precedence, so build metadata is ignored), or
 * the latest when v is NULL; NULL when there is none. */
const struct tk_catalog_version *tk_catalog_version(
    const struct tk_catalog_handler *h, const struct tk_semver *v);
/* The highest version that satisfies the range r (npm's maxSatisfying:
 * pre-releases only as r allows them); NULL when none does. */
const struct tk_catalog_version *tk_catalog_match(
    const struct tk_catalog_handler *h, const struct tk_semver_range *r);
/*
 * Version resolution, pure: sorts v[0..n) newest first by semver precedence
 * and returns the index of the latest: the newest release, or the newest
 * pre-release when there is no release.  n must be > 0.
 */
size_t tk_versions_sort_latest(struct tk_semver *v, size_t n);

/* Looks a handler version up by id (for tasks); NULL when unknown. */
const struct tk_catalog_version *tk_catalog_by_id(
    const struct tk_catalog *cat, unsigned id);

#endif
