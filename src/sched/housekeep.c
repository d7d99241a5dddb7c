/*
 * housekeep.c - the worker supervisor's housekeeping round (see sched.h):
 * when each duty is due, its own connection, the catalog it reads.
 *
 * Process-wide state (hk): the supervisor is the only caller, one per
 * process; hk owns the connection handle and the catalog.
 */
#include "tasker/sched.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/catalog.h"
#include "tasker/log.h"

#define SCHED_MS        1000    /* schedules are looked at */
#define CATALOG_MS      5000    /* a handlers load is seen within */
#define ERR_LOG_MS      30000   /* a failing duty is logged this often */

static struct {
	struct tk_db      *db;
	struct tk_catalog *cat;
	long long          next_sched;
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
}

void
tk_housekeep(const struct tk_config *cfg, long long now_ms)
{
	if (now_ms < hk.next_sched)
		return;
	if (hk.db == NULL && tk_db_new(&cfg->db, &hk.db) != TK_OK)
		return;
	schedules(now_ms);
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
