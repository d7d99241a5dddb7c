/*
 * store.h - the registry's rows in MariaDB: namespaces and immutable
 * handler versions.  (Tasks and steps have their own store modules; the
 * catalog reads the rows through src/store/registry.h.)
 */
#ifndef TASKER_STORE_H
#define TASKER_STORE_H

#include <stdint.h>

#include "tasker/db.h"
#include "tasker/diag.h"
#include "tasker/error.h"

struct tk_defset;

/* registry_generation: bumped by every load that changed something. */
tk_err tk_store_registry_generation(struct tk_db *db, uint64_t *gen);

struct tk_load_report {
	unsigned added;               /* handler versions inserted */
	unsigned unchanged;           /* identical versions already there */
	unsigned namespaces_added;
	unsigned namespaces_updated;  /* description changed */
};

/*
 * Loads a validated definition set in one transaction: all or nothing.
 * A namespace's description follows the YAML (it is not versioned).  A
 * handler version is immutable: the same namespace/name/version with the
 * same content is a no-op, with different content it is refused
 * (TK_ERR_CONFLICT) and diag lists what differs.  The generation is bumped
 * when anything changed.
 */
tk_err tk_store_load_defset(struct tk_db *db, const struct tk_defset *set,
    struct tk_load_report *rep, struct tk_diag *diag);

#endif
