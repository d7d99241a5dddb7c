/*
 * migrate.c - `tasker-admin migrate [status [--json] | repair VERSION
 * --applied|--reverted]`: the schema migrations of the configured
 * database (migrate.h does the work; this file parses and prints).
 */
#include "tasker/admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/cli.h"
#include "tasker/db.h"
#include "tasker/diag.h"
#include "tasker/migrate.h"

#define SEE "tasker-admin help migrate"

/* One run: the files, the database, the problems; run_op() owns them. */
struct mig {
	const struct tk_config  *cfg;
	struct tk_migration_set  set;
	struct tk_diag           d;
	struct tk_db            *db;
};

enum mig_op { MIG_APPLY, MIG_STATUS, MIG_STATUS_JSON, MIG_REPAIR };

static const char *
state_name(const struct tk_migration *m)
{
	return m->applied == 1 ? "applied" : m->applied == -1 ? "half" :
	    "pending";
}

static int
changed(const struct tk_migration *m)
{
	return m->applied == 1 && m->db_checksum != NULL &&
	    strcmp(m->db_checksum, m->checksum) != 0;
}

static int
apply(struct mig *g)
{
	if (tk_migrate_apply(g->db, &g->set, stdout, &g->d) == TK_OK)
		return 0;
	tk_diag_print(&g->d, stderr, "tasker-admin: ");
	if (g->d.n == 0)
		fprintf(stderr, "tasker-admin: %s\n", tk_db_error(g->db));
	return 1;
}

static void
print_status(const struct mig *g)
{
	const struct tk_migration *m;
	size_t i;

	for (i = 0; i < g->set.n; i++) {
		m = &g->set.m[i];
		printf("%-9s %s%s%s\n", m->applied == -1 ? "HALF" :
		    state_name(m), m->name, m->applied_at ? "  " : "",
		    m->applied_at ? m->applied_at : "");
		if (changed(m))
			printf("          warning: %s changed since it was "
			    "applied\n", m->path);
		if (m->applied == -1 && m->failure != NULL)
			printf("          %s\n", m->failure);
	}
	if (g->set.unknown_applied > 0)
		printf("warning: %u applied migration(s) have no file in %s\n",
		    g->set.unknown_applied, g->cfg->migrations_dir);
}

/* Migration i of the set as print_status tells it; NULL when out of
 * memory. */
static struct json_object *
status_json(const void *arg, size_t i)
{
	const struct tk_migration *m = &((const struct tk_migration_set *)
	    arg)->m[i];
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "version", json_object_new_int64(m->version));
	json_object_object_add(o, "name", tk_admin_json_str(m->name));
	json_object_object_add(o, "state",
	    json_object_new_string(state_name(m)));
	json_object_object_add(o, "applied_at", tk_admin_json_str(m->applied_at));
	json_object_object_add(o, "changed_since_applied",
	    json_object_new_boolean(changed(m)));
	json_object_object_add(o, "failure", m->applied == -1 ?
	    tk_admin_json_str(m->failure) : NULL);
	return o;
}

/* The same information as print_status, as one document. */
static int
print_status_json(const struct mig *g)
{
	struct json_object *doc;

	if ((doc = json_object_new_object()) == NULL)
		return tk_admin_json_print(NULL);
	json_object_object_add(doc, "migrations_dir",
	    tk_admin_json_str(g->cfg->migrations_dir));
	if (tk_admin_json_array(doc, "migrations", g->set.n, status_json,
	    &g->set) != 0) {
		json_object_put(doc);
		return tk_admin_json_print(NULL);
	}
	json_object_object_add(doc, "unknown_applied",
	    json_object_new_int64(g->set.unknown_applied));
	return tk_admin_json_print(doc);
}

static int
repair(struct mig *g, unsigned version, int applied)
{
	if (tk_migrate_repair(g->db, version, applied, &g->d) != TK_OK) {
		tk_diag_print(&g->d, stderr, "tasker-admin: ");
		return 1;
	}
	printf("migration %04u marked %s\n", version,
	    applied ? "applied" : "not applied");
	return 0;
}

static int
run_op(const struct tk_config *cfg, enum mig_op op, unsigned version,
    int applied)
{
	struct mig g = { cfg, { NULL, 0, 0 }, TK_DIAG_INIT, NULL };
	int rc = 1;

	if (tk_migrations_scan(cfg->migrations_dir, &g.set, &g.d) != TK_OK) {
		tk_diag_print(&g.d, stderr, "tasker-admin: ");
		goto out;
	}
	if (tk_db_new(&cfg->db, &g.db) != TK_OK)
		goto out;
	if (tk_db_ensure(g.db) != TK_OK) {
		fprintf(stderr, "tasker-admin: cannot connect to the database: "
		    "%s\n", tk_db_error(g.db));
		goto out;
	}
	if (op == MIG_APPLY)
		rc = apply(&g);
	else if (op == MIG_REPAIR)
		rc = repair(&g, version, applied);
	else if (tk_migrate_load_state(g.db, &g.set) != TK_OK)
		fprintf(stderr, "tasker-admin: %s\n", tk_db_error(g.db));
	else if (op == MIG_STATUS_JSON)
		rc = print_status_json(&g);
	else {
		print_status(&g);
		rc = 0;
	}
out:
	tk_db_free(g.db);
	tk_migrations_free(&g.set);
	tk_diag_free(&g.d);
	return rc;
}

/* repair VERSION --applied|--reverted */
static int
parse_repair(const struct tk_config *cfg, char **argv)
{
	char q[TK_DIAG_QUOTE_SIZE], *end;
	unsigned long v;

	errno = 0;
	v = strtoul(argv[0], &end, 10);
	if (argv[0][0] < '0' || argv[0][0] > '9' || errno != 0 ||
	    *end != '\0' || v == 0 || v > 9999)
		return tk_cli_usage_error("tasker-admin", SEE, "migrate "
		    "repair: '%s' is not a version (1 to 9999)",
		    tk_diag_quote(q, argv[0]));
	if (strcmp(argv[1], "--applied") == 0)
		return run_op(cfg, MIG_REPAIR, (unsigned)v, 1);
	if (strcmp(argv[1], "--reverted") == 0)
		return run_op(cfg, MIG_REPAIR, (unsigned)v, 0);
	return tk_cli_usage_error("tasker-admin", SEE, "migrate repair: "
	    "expected --applied or --reverted, not '%s'",
	    tk_diag_quote(q, argv[1]));
}

int
tk_admin_migrate(const struct tk_config *cfg, int argc, char **argv)
{
	char q[TK_DIAG_QUOTE_SIZE];
	int json;

	json = tk_cli_take_flag(&argc, argv, "--json");
	if (argc == 1 && strcmp(argv[0], "status") == 0)
		return run_op(cfg, json ? MIG_STATUS_JSON : MIG_STATUS, 0, 0);
	if (json)
		return tk_cli_usage_error("tasker-admin", SEE, "--json is for "
		    "'migrate status' only");
	if (argc == 0)
		return run_op(cfg, MIG_APPLY, 0, 0);
	if (strcmp(argv[0], "repair") == 0 && argc == 3)
		return parse_repair(cfg, argv + 1);
	if (strcmp(argv[0], "repair") == 0)
		return tk_cli_usage_error("tasker-admin", SEE, "migrate repair "
		    "takes VERSION and --applied or --reverted");
	return tk_cli_usage_error("tasker-admin", SEE, "migrate: unexpected "
	    "'%s'", tk_diag_quote(q, argv[0]));
}
