/*
 * handlers.c - `tasker-admin handlers validate | load | list`.
 *
 * validate checks YAML files or folders without a database.  load validates
 * everything first and then writes it all in one transaction, or nothing.
 * list prints what the database holds, as the API sees it.
 */
#include "tasker/admin.h"

#include <stdio.h>
#include <string.h>

#include "tasker/catalog.h"
#include "tasker/db.h"
#include "tasker/handler.h"
#include "tasker/store.h"

/* Validates paths into set; prints every problem. 0 when valid. */
static int
validate(const struct tk_config *cfg, int argc, char **argv,
    struct tk_defset *set)
{
	struct tk_diag d = TK_DIAG_INIT;
	const char *dflt[1];
	const char *const *paths = (const char *const *)argv;
	size_t n = (size_t)argc;
	tk_err e;

	if (argc == 0) {
		dflt[0] = cfg->handlers_dir;
		paths = dflt;
		n = 1;
	}
	memset(set, 0, sizeof(*set));
	e = tk_defset_load(paths, n, cfg->environment, set, &d);
	if (e != TK_OK) {
		tk_diag_print(&d, stderr, "");
		fprintf(stderr, "tasker-admin: %zu problem(s); nothing %s\n",
		    d.n, "was loaded");
	}
	tk_diag_free(&d);
	return e == TK_OK ? 0 : -1;
}

static int
cmd_validate(const struct tk_config *cfg, int argc, char **argv)
{
	struct tk_defset set;

	if (argc == 0) {
		fprintf(stderr, "usage: tasker-admin handlers validate PATH...\n");
		return 2;
	}
	if (validate(cfg, argc, argv, &set) != 0)
		return 1;
	printf("ok: %zu namespace(s), %zu handler version(s)\n",
	    set.nnamespaces, set.nhandlers);
	tk_defset_free(&set);
	return 0;
}

static int
cmd_load(const struct tk_config *cfg, int argc, char **argv)
{
	struct tk_load_report rep;
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;
	struct tk_db *db = NULL;
	int rc = 1;
	tk_err e;

	if (validate(cfg, argc, argv, &set) != 0)
		return 1;
	if (tk_db_new(&cfg->db, &db) != TK_OK)
		goto out;
	e = tk_store_load_defset(db, &set, &rep, &d);
	if (e == TK_ERR_CONFLICT) {
		tk_diag_print(&d, stderr, "");
		fprintf(stderr, "tasker-admin: refused; nothing was loaded\n");
		goto out;
	}
	if (e != TK_OK) {
		fprintf(stderr, "tasker-admin: load failed, nothing was loaded: "
		    "%s\n", tk_db_error(db));
		goto out;
	}
	printf("loaded: %u new handler version(s), %u unchanged, %u new "
	    "namespace(s), %u namespace description(s) updated\n", rep.added,
	    rep.unchanged, rep.namespaces_added, rep.namespaces_updated);
	rc = 0;
out:
	tk_diag_free(&d);
	tk_defset_free(&set);
	tk_db_free(db);
	return rc;
}

static int
cmd_list(const struct tk_config *cfg)
{
	struct tk_catalog *cat = NULL;
	struct tk_db *db = NULL;
	size_t i, j, k;
	int rc = 1;

	if (tk_db_new(&cfg->db, &db) != TK_OK)
		return 1;
	if (tk_catalog_refresh(&cat, db, 0) != TK_OK) {
		fprintf(stderr, "tasker-admin: %s\n", tk_db_error(db));
		goto out;
	}
	for (i = 0; i < cat->nnamespaces; i++) {
		const struct tk_catalog_namespace *ns = &cat->namespaces[i];

		printf("%s  (%s)\n", ns->name, ns->description);
		for (j = 0; j < ns->nhandlers; j++) {
			const struct tk_catalog_handler *h = &ns->handlers[j];
			const struct tk_handler_def *l = h->versions[h->latest].def;

			printf("  %-24s %-10s %2zu steps  ", h->name, l->version,
			    l->nsteps);
			for (k = 0; k < h->nversions; k++)
				printf("%s%s", k ? ", " : "versions: ",
				    h->versions[k].def->version);
			printf("\n");
		}
	}
	rc = 0;
out:
	tk_catalog_free(cat);
	tk_db_free(db);
	return rc;
}

int
tk_admin_handlers(const struct tk_config *cfg, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "validate") == 0)
		return cmd_validate(cfg, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "load") == 0)
		return cmd_load(cfg, argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_list(cfg);
	fprintf(stderr, "usage: tasker-admin handlers validate PATH... | "
	    "load [PATH...] | list\n");
	return 2;
}
