/*
 * health.c - `tasker-admin health [--json]`: the checks of GET
 * /health/status (the decision is src/ops/health.c's, shared with the
 * API), read straight from the database.
 *
 * Text: "health: ok" or "health: unhealthy: PROBLEM, ...", then the
 * schema, workers, ready queue and task counts.  --json: the body of
 * /health/status shaped by the API layer (tk_ops_health_json: "status"
 * ok | degraded, "problems", "database", "schema", "tasks", "steps",
 * "ready_queue", "workers" without its list), or "status": "unavailable"
 * when the database cannot be reached.  Exit status 0 healthy, 1 not.
 */
#include "tasker/admin.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/cli.h"
#include "tasker/diag.h"
#include "tasker/health.h"
#include "tasker/ops.h"

struct verdict {
	struct tk_health  h;
	const char       *why[TK_HEALTH_MAX_PROBLEMS];
	size_t            n;
	int               scanned;   /* the migrations folder was read */
};

static json_object *
why_json(const void *arg, size_t i)
{
	return json_object_new_string(((const struct verdict *)arg)->why[i]);
}

/* /health/status's body (tk_ops_health_json); when the database cannot
 * be reached, what its 503 says: {"status": "unavailable", "problems":
 * ["database unreachable"], "database": "unreachable"}. */
static int
print_health(const struct verdict *v)
{
	json_object *doc;

	if (v->h.reachable)
		return tk_admin_json_print(tk_ops_health_json(&v->h));
	if ((doc = json_object_new_object()) == NULL)
		return tk_admin_json_print(NULL);
	json_object_object_add(doc, "status",
	    json_object_new_string("unavailable"));
	if (tk_admin_json_array(doc, "problems", v->n, why_json, v) != 0) {
		json_object_put(doc);
		return tk_admin_json_print(NULL);
	}
	json_object_object_add(doc, "database",
	    json_object_new_string("unreachable"));
	return tk_admin_json_print(doc);
}

static void
print_verdict(const struct verdict *v)
{
	const struct tk_probe_counts *c = &v->h.c;
	size_t i;
	int s;

	printf("health: %s", v->n == 0 ? "ok" : "unhealthy: ");
	for (i = 0; i < v->n; i++)
		printf("%s%s", i > 0 ? ", " : "", v->why[i]);
	putchar('\n');
	if (!v->h.reachable)
		return;
	printf("schema: version %u applied, %u expected%s\n", v->h.version,
	    v->h.expected, v->h.current ? "" : " (not current)");
	printf("workers: %lld live, %lld processes (heartbeat timeout %us)\n",
	    c->workers_live, c->worker_processes_live,
	    v->h.heartbeat_timeout);
	printf("ready queue: %lld ready, %lld waiting to retry\n",
	    c->ready_steps, c->waiting_steps);
	printf("tasks:");
	for (s = 0; s < TK_ST__COUNT; s++)
		if (c->tasks[s] > 0)
			printf(" %s %lld", tk_status_name((enum tk_status)s),
			    c->tasks[s]);
	putchar('\n');
}

int
tk_admin_health(const struct tk_config *cfg, int argc, char **argv)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_migration_set migs;
	struct verdict v;
	struct tk_db *db = NULL;
	char q[TK_DIAG_QUOTE_SIZE];
	int json = tk_cli_take_flag(&argc, argv, "--json"), rc;
	tk_err e;

	if (argc > 0)
		return tk_cli_usage_error("tasker-admin", "tasker-admin help "
		    "health", "health takes no argument '%s'",
		    tk_diag_quote(q, argv[0]));
	memset(&v, 0, sizeof(v));
	memset(&migs, 0, sizeof(migs));
	v.scanned = tk_migrations_scan(cfg->migrations_dir, &migs, &d) ==
	    TK_OK;
	if (!v.scanned)
		tk_diag_print(&d, stderr, "tasker-admin: ");
	tk_diag_free(&d);
	if ((e = tk_db_new(&cfg->db, &db)) == TK_OK)
		e = tk_health_read(db, cfg, v.scanned ? &migs : NULL, &v.h);
	if (e != TK_OK && e != TK_ERR_DB_UNAVAILABLE)
		fprintf(stderr, "tasker-admin: reading the database: %s\n",
		    db != NULL ? tk_db_error(db) : tk_err_name(e));
	v.h.reachable = e == TK_OK;
	v.n = tk_health_problems(&v.h, v.why);
	rc = json ? print_health(&v) : (print_verdict(&v), 0);
	if (v.scanned)
		tk_migrations_free(&migs);
	tk_db_free(db);
	return rc != 0 || v.n > 0 ? TK_EXIT_FAIL : TK_EXIT_OK;
}
