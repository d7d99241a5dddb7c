/*
 * housekeep.c - the worker supervisor's housekeeping round (see sched.h):
 * when each duty is due (schedules every SCHED_MS, retention every
 * RETENTION_MS when configured), its own connection, the catalog the
 * schedules are read from.
 *
 * Process-wide state (hk): the supervisor is the only caller, one per
 * process; hk owns the connection handle and the catalog.
 */
#include "tasker/sched.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/catalog.h"
#include "tasker/log.h"
#include "tasker/purge_store.h"

#define SCHED_MS        1000    /* schedules are looked at */
#define CATALOG_MS      5000    /* a handlers load is seen within */
#define ERR_LOG_MS      30000   /* a failing duty is logged this often */
#define UNREACHABLE_MS  10000   /* the next try after an unreachable db */
#define RETENTION_MS    5000    /* finished tasks are looked for */
#define RETENTION_BATCHES 10    /* per rule and round: a backlog drains
                                   over rounds, never in one long go */

static struct {
	struct tk_db      *db;
	struct tk_catalog *cat;
	long long          next_sched;
	long long          next_purge;
	long long          last_err_log;
} hk;

static void
duty_failed(const char *what, tk_err e, long long now_ms)
{
	if (now_ms - hk.last_err_log < ERR_LOG_MS)
		return;
	hk.last_err_log = now_ms;
	tk_log(TK_LOG_WARN, "event=housekeeping_failed duty=%s error=%s",
	    what, tk_err_name(e));
}

static void
schedules(long long now_ms)
{
	tk_err e;

	hk.next_sched = now_ms + SCHED_MS;
	if ((e = tk_catalog_refresh(&hk.cat, hk.db, CATALOG_MS)) != TK_OK ||
	    (e = tk_sched_run(hk.db, hk.cat, NULL)) != TK_OK)
		duty_failed("schedules", e, now_ms);
	/* A database that cannot be reached is not asked every second:
	 * each try may block the supervisor for a connect timeout. */
	if (e == TK_ERR_DB_UNAVAILABLE)
		hk.next_sched = now_ms + UNREACHABLE_MS;
}

/* 1 when retention: purges anything at all. */
static int
retention_on(const struct tk_retention_config *rc)
{
	size_t i;

	if (rc->ages.complete > 0 || rc->ages.cancelled > 0 ||
	    rc->ages.error > 0)
		return 1;
	for (i = 0; i < rc->nnamespaces; i++)
		if (rc->namespaces[i].ages.complete > 0 ||
		    rc->namespaces[i].ages.cancelled > 0 ||
		    rc->namespaces[i].ages.error > 0)
			return 1;
	return 0;
}

static void
retention(const struct tk_config *cfg, long long now_ms)
{
	struct tk_purge_result res;
	tk_err e;

	hk.next_purge = now_ms + RETENTION_MS;
	memset(&res, 0, sizeof(res));
	e = tk_retention_run(hk.db, &cfg->retention, RETENTION_BATCHES, &res);
	if (res.tasks > 0)
		tk_log(TK_LOG_INFO, "event=retention_purged tasks=%llu "
		    "steps=%llu transitions=%llu", res.tasks, res.steps,
		    res.transitions);
	if (e != TK_OK)
		duty_failed("retention", e, now_ms);
}

void
tk_housekeep(const struct tk_config *cfg, long long now_ms)
{
	int purge = now_ms >= hk.next_purge && retention_on(&cfg->retention);

	if (now_ms < hk.next_sched && !purge)
		return;
	if (hk.db == NULL && tk_db_new(&cfg->db, &hk.db) != TK_OK)
		return;
	if (now_ms >= hk.next_sched)
		schedules(now_ms);
	if (purge)
		retention(cfg, now_ms);
	/* Never held across the supervisor's forks. */
	tk_db_disconnect(hk.db);
}

void
tk_housekeep_end(void)
{
	tk_catalog_free(hk.cat);
	tk_db_free(hk.db);
	memset(&hk, 0, sizeof(hk));
}
