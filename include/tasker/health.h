/*
 * health.h - the one health decision (src/ops/health.c), used by GET
 * /health/status (src/api/ops.c shapes its JSON) and by `tasker-admin
 * health` (src/admin/health.c): what is read from the database and which
 * problems make the service unhealthy.
 */
#ifndef TASKER_HEALTH_H
#define TASKER_HEALTH_H

#include <stddef.h>

#include "tasker/config.h"
#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/migrate.h"
#include "tasker/probe.h"

#define TK_HEALTH_MAX_PROBLEMS 3

struct tk_health {
	int                    reachable;  /* the database answered */
	unsigned               version;    /* highest migration applied */
	unsigned               expected;   /* highest migration file */
	int                    current;    /* every file applied, none half */
	unsigned               heartbeat_timeout;   /* seconds */
	struct tk_probe_counts c;
};

/* A worker is live when its heartbeat is younger than this (seconds). */
unsigned tk_health_heartbeat_timeout(const struct tk_config *cfg);
/* The highest version of migs (0 for NULL or none). */
unsigned tk_health_expected(const struct tk_migration_set *migs);

/*
 * Reads what the checks need into h: the counts and live workers, and
 * where the schema is against migs (NULL: the migrations folder could
 * not be read, so the schema counts as not current).  TK_OK;
 * TK_ERR_DB_UNAVAILABLE when the database cannot be reached
 * (h->reachable 0); TK_ERR_DB.
 */
tk_err tk_health_read(struct tk_db *db, const struct tk_config *cfg,
    const struct tk_migration_set *migs, struct tk_health *h);

/*
 * The problems h shows, as fixed phrases ("database unreachable",
 * "schema is not current", "no live worker"), into out; returns how many
 * (0: healthy).  Pure.
 */
size_t tk_health_problems(const struct tk_health *h,
    const char *out[TK_HEALTH_MAX_PROBLEMS]);

#endif
