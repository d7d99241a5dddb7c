/*
 * purge.c - `tasker-admin tasks purge --older-than DURATION
 * [--namespace NS] [--dry-run] [--json]`: what retention does, now, with
 * one age for complete, cancelled and error tasks (src/sched/
 * retention.c, purge_store.h).  Purged tasks go to retention.export
 * first when the configuration names one.
 */
#include "tasker/admin.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/cli.h"
#include "tasker/db.h"
#include "tasker/duration.h"
#include "tasker/handler.h"
#include "tasker/sched.h"

#define SEE "tasker-admin help tasks"

static const char *const names[3] = { "complete", "cancelled", "error" };

static int
print_result(const unsigned long long count[3], long long age,
    const char *ns, int dry_run, int json)
{
	json_object *doc, *by;
	unsigned long long total = count[0] + count[1] + count[2];
	size_t k;

	if (!json) {
		printf("%s %llu tasks (complete %llu, cancelled %llu, error "
		    "%llu)\n", dry_run ? "would purge" : "purged", total,
		    count[0], count[1], count[2]);
		return 0;
	}
	if ((doc = json_object_new_object()) == NULL ||
	    (by = json_object_new_object()) == NULL) {
		json_object_put(doc);
		return tk_admin_json_print(NULL);
	}
	for (k = 0; k < 3; k++)
		json_object_object_add(by, names[k],
		    json_object_new_int64((int64_t)count[k]));
	json_object_object_add(doc, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(doc, "older_than_seconds",
	    json_object_new_int64(age));
	json_object_object_add(doc, "namespace", tk_admin_json_str(ns));
	json_object_object_add(doc, "tasks", by);
	json_object_object_add(doc, "total", json_object_new_int64(
	    (int64_t)total));
	return tk_admin_json_print(doc);
}

int
tk_admin_tasks_purge(const struct tk_config *cfg, int argc, char **argv,
    int json)
{
	const char *age_s = NULL, *ns = NULL;
	unsigned long long count[3] = { 0, 0, 0 };
	struct tk_db *db = NULL;
	long long age;
	int dry, rc = 1, ga, gn;
	tk_err e;

	dry = tk_cli_take_flag(&argc, argv, "--dry-run");
	ga = tk_cli_take_value(&argc, argv, "--older-than", &age_s);
	gn = tk_cli_take_value(&argc, argv, "--namespace", &ns);
	if (ga <= 0 || tk_duration_parse(age_s, &age) != TK_OK)
		return tk_cli_usage_error("tasker-admin", SEE, "tasks purge "
		    "needs --older-than DURATION (such as 30d, 12h, 90m)");
	if (gn < 0 || (gn > 0 && !tk_name_valid(ns)))
		return tk_cli_usage_error("tasker-admin", SEE, "--namespace "
		    "needs a namespace name");
	if (argc != 0)
		return tk_cli_usage_error("tasker-admin", SEE, "tasks purge: "
		    "unexpected '%s'", argv[0]);
	if (tk_db_new(&cfg->db, &db) != TK_OK)
		return 1;
	e = tk_retention_purge(db, ns, age, cfg->retention.export, dry, count);
	if (e != TK_OK)
		fprintf(stderr, "tasker-admin: tasks purge: %s%s%s\n",
		    tk_err_name(e), e == TK_ERR_IO ? "" : ": ",
		    e == TK_ERR_IO ? " (the export file)" : tk_db_error(db));
	else
		rc = print_result(count, age, ns, dry, json);
	tk_db_free(db);
	return rc;
}
