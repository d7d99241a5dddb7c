/*
 * registry.h - the registry's rows as the catalog loads them
 * (store-internal: registry_store.c reads them, catalog.c builds the
 * per-process catalog from them; t/store tests may include it).
 */
#ifndef TASKER_STORE_REGISTRY_H
#define TASKER_STORE_REGISTRY_H

#include "tasker/db.h"
#include "tasker/error.h"
#include "rows.h"

/* Columns of tk_store_namespaces and tk_store_handler_versions. */
enum { NS_ID, NS_NAME, NS_DESCRIPTION };
enum { HV_ID, HV_NAMESPACE_ID, HV_NAME, HV_VERSION, HV_DEFINITION };

/* Columns: NS_*; ordered by id (first-load order). */
tk_err tk_store_namespaces(struct tk_db *db, struct tk_rows *out);

/* Columns: HV_*; ordered by id. */
tk_err tk_store_handler_versions(struct tk_db *db, struct tk_rows *out);

#endif
