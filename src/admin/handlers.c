/*
 * handlers.c - `tasker-admin handlers validate | load | list`.
 *
 * validate checks YAML files or folders without a database.  load validates
 * everything first and then writes it all in one transaction, or nothing.
 * list prints what the database holds, as the API sees it; list --json
 * prints the same as one JSON document.
 */
#include "tasker/admin.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/catalog.h"
#include "tasker/cli.h"
#include "tasker/db.h"
#include "tasker/diag.h"
#include "tasker/handler.h"
#include "tasker/store.h"

#define SEE "tasker-admin help handlers"

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

	if (argc == 0)
		return tk_cli_usage_error("tasker-admin", SEE, "handlers "
		    "validate needs a PATH");
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

/* The text form of list: a line per namespace, one per handler. */
static void
print_list(const struct tk_catalog *cat)
{
	const struct tk_catalog_namespace *ns;
	const struct tk_catalog_handler *h;
	const struct tk_handler_def *l;
	size_t i, j, k;

	for (i = 0; i < cat->nnamespaces; i++) {
		ns = &cat->namespaces[i];
		printf("%s  (%s)\n", ns->name, ns->description);
		for (j = 0; j < ns->nhandlers; j++) {
			h = &ns->handlers[j];
			l = h->versions[h->latest].def;
			printf("  %-24s %-10s %2zu steps  ", h->name, l->version,
			    l->nsteps);
			for (k = 0; k < h->nversions; k++)
				printf("%s%s", k ? ", " : "versions: ",
				    h->versions[k].def->version);
			printf("\n");
		}
	}
}

/* Handler i of a namespace as print_list tells it; NULL when out of
 * memory. */
static struct json_object *
handler_json(const void *arg, size_t i)
{
	const struct tk_catalog_handler *h = &((const struct
	    tk_catalog_namespace *)arg)->handlers[i];
	const struct tk_handler_def *l = h->versions[h->latest].def;
	struct json_object *o, *v;
	size_t k;

	o = json_object_new_object();
	v = json_object_new_array();
	if (o == NULL || v == NULL) {
		json_object_put(v);
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "name", tk_admin_json_str(h->name));
	json_object_object_add(o, "latest", tk_admin_json_str(l->version));
	json_object_object_add(o, "steps", json_object_new_int64(
	    (int64_t)l->nsteps));
	for (k = 0; k < h->nversions; k++)
		json_object_array_add(v,
		    tk_admin_json_str(h->versions[k].def->version));
	json_object_object_add(o, "versions", v);
	return o;
}

/* Namespace i of the catalog and its handlers; NULL when out of memory. */
static struct json_object *
namespace_json(const void *arg, size_t i)
{
	const struct tk_catalog_namespace *ns = &((const struct tk_catalog *)
	    arg)->namespaces[i];
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "name", tk_admin_json_str(ns->name));
	json_object_object_add(o, "description",
	    tk_admin_json_str(ns->description));
	if (tk_admin_json_array(o, "handlers", ns->nhandlers, handler_json,
	    ns) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The same information as print_list, as one document. */
static int
print_list_json(const struct tk_catalog *cat)
{
	struct json_object *doc;

	if ((doc = json_object_new_object()) != NULL &&
	    tk_admin_json_array(doc, "namespaces", cat->nnamespaces,
	    namespace_json, cat) != 0) {
		json_object_put(doc);
		doc = NULL;
	}
	return tk_admin_json_print(doc);
}

static int
cmd_list(const struct tk_config *cfg, int json)
{
	struct tk_catalog *cat = NULL;
	struct tk_db *db = NULL;
	int rc = 1;

	if (tk_db_new(&cfg->db, &db) != TK_OK)
		return 1;
	if (tk_catalog_refresh(&cat, db, 0) != TK_OK) {
		fprintf(stderr, "tasker-admin: %s\n", tk_db_error(db));
		goto out;
	}
	if (json)
		rc = print_list_json(cat);
	else {
		print_list(cat);
		rc = 0;
	}
out:
	tk_catalog_free(cat);
	tk_db_free(db);
	return rc;
}

int
tk_admin_handlers(const struct tk_config *cfg, int argc, char **argv)
{
	char q[TK_DIAG_QUOTE_SIZE];
	int json;

	if (argc >= 1 && strcmp(argv[0], "validate") == 0)
		return cmd_validate(cfg, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "load") == 0)
		return cmd_load(cfg, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		json = tk_cli_take_flag(&argc, argv, "--json");
		if (argc == 1)
			return cmd_list(cfg, json);
		return tk_cli_usage_error("tasker-admin", SEE, "handlers list: "
		    "unexpected '%s'", tk_diag_quote(q, argv[1]));
	}
	if (argc == 0)
		return tk_cli_usage_error("tasker-admin", SEE, "expected "
		    "'handlers validate', 'handlers load' or 'handlers list'");
	return tk_cli_usage_error("tasker-admin", SEE, "handlers: unknown "
	    "subcommand '%s'", tk_diag_quote(q, argv[0]));
}
