/*
 * health.c - the health decision GET /health/status and `tasker-admin
 * health` share: the database answers, the schema is current, a worker
 * is live.  The SQL is src/store/probe.c's; the JSON is each caller's.
 */
#include "tasker/health.h"

#include <string.h>

unsigned
tk_health_heartbeat_timeout(const struct tk_config *cfg)
{
	return 3 * cfg->worker.heartbeat_seconds;
}

unsigned
tk_health_expected(const struct tk_migration_set *migs)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; migs != NULL && i < migs->n; i++)
		if (migs->m[i].version > v)
			v = migs->m[i].version;
	return v;
}

tk_err
tk_health_read(struct tk_db *db, const struct tk_config *cfg,
    const struct tk_migration_set *migs, struct tk_health *h)
{
	tk_err e;

	memset(h, 0, sizeof(*h));
	h->heartbeat_timeout = tk_health_heartbeat_timeout(cfg);
	h->expected = tk_health_expected(migs);
	if (tk_db_ensure(db) != TK_OK)
		return TK_ERR_DB_UNAVAILABLE;
	e = tk_probe_counts(db, h->heartbeat_timeout, &h->c);
	if (e != TK_OK)
		return e;
	h->reachable = 1;
	/* No schema_migrations table (never migrated) is not current. */
	if (migs != NULL && tk_migrate_current(db, migs, &h->version,
	    &h->current) != TK_OK)
		h->current = 0;
	return TK_OK;
}

size_t
tk_health_problems(const struct tk_health *h,
    const char *out[TK_HEALTH_MAX_PROBLEMS])
{
	size_t n = 0;

	if (!h->reachable) {
		out[n++] = "database unreachable";
		return n;
	}
	if (!h->current)
		out[n++] = "schema is not current";
	if (h->c.workers_live == 0)
		out[n++] = "no live worker";
	return n;
}
