/*
 * schedules.c - `tasker-admin schedules list [--namespace NS] [--json] |
 * pause NS/HANDLER/SCHEDULE | resume NS/HANDLER/SCHEDULE`.
 *
 * list shows what GET /schedules shows (src/api/schedules.c makes the
 * document for both).  pause and resume change the schedule's state row
 * (db/migrations/0010_schedules_retention.sql) without touching the
 * YAML: a paused schedule starts nothing, and resuming starts from that
 * moment (ticks that fell while it was paused are not started).  Only a schedule of
 * the latest version of a handler the database holds is accepted.
 */
#include "tasker/admin.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/api.h"
#include "tasker/catalog.h"
#include "tasker/cli.h"
#include "tasker/diag.h"
#include "tasker/handler.h"
#include "tasker/schedule_store.h"

#define SEE "tasker-admin help schedules"

struct ctx {
	struct tk_db      *db;
	struct tk_catalog *cat;
};

static int
open_ctx(const struct tk_config *cfg, struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	if (tk_db_new(&cfg->db, &c->db) != TK_OK)
		return -1;
	if (tk_catalog_refresh(&c->cat, c->db, 0) != TK_OK) {
		fprintf(stderr, "tasker-admin: %s\n", tk_db_error(c->db));
		return -1;
	}
	return 0;
}

static void
close_ctx(struct ctx *c)
{
	tk_catalog_free(c->cat);
	tk_db_free(c->db);
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

/* One line per schedule: where, when, state, the next run. */
static void
print_schedules(json_object *a)
{
	json_object *o, *next;
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		json_object_object_get_ex(o, "next_run_at", &next);
		printf("%s/%s/%s  '%s' %s  %s  next %s  last task %s\n",
		    str_of(o, "namespace"), str_of(o, "handler"),
		    str_of(o, "name"), str_of(o, "cron"), str_of(o, "timezone"),
		    json_object_get_boolean(json_object_object_get(o,
		    "paused")) ? "PAUSED" : "active",
		    json_object_array_length(next) > 0 ? json_object_get_string(
		    json_object_array_get_idx(next, 0)) : "-",
		    str_of(o, "last_task_id"));
	}
}

static int
cmd_schedules_list(const struct tk_config *cfg, const char *ns, int json)
{
	struct ctx c;
	json_object *a = NULL, *doc;
	int rc = 1;

	if (open_ctx(cfg, &c) < 0)
		goto out;
	if (tk_api_schedules_of(c.db, c.cat, NULL, ns, &a) != TK_OK) {
		fprintf(stderr, "tasker-admin: %s\n", tk_db_error(c.db));
		goto out;
	}
	if (json) {
		if ((doc = json_object_new_object()) != NULL)
			json_object_object_add(doc, "schedules",
			    json_object_get(a));
		rc = tk_admin_json_print(doc);
	} else {
		print_schedules(a);
		rc = 0;
	}
out:
	json_object_put(a);
	close_ctx(&c);
	return rc;
}

/* NS/HANDLER/SCHEDULE into its parts (in buf); 0 when well-formed. */
static int
split_spec(const char *spec, char buf[3 * (TK_NAME_MAX + 1)], char *part[3])
{
	char *p;
	int i;

	if (strlen(spec) >= 3 * (TK_NAME_MAX + 1))
		return -1;
	snprintf(buf, 3 * (TK_NAME_MAX + 1), "%s", spec);
	p = buf;
	for (i = 0; i < 3; i++) {
		part[i] = p;
		if ((p = strchr(p, '/')) != NULL)
			*p++ = '\0';
		if (!tk_name_valid(part[i]) || (i < 2) != (p != NULL))
			return -1;
	}
	return 0;
}

static int
has_schedule(const struct tk_catalog *cat, char *const part[3])
{
	const struct tk_catalog_handler *h;
	const struct tk_handler_def *d;
	size_t k;

	h = tk_catalog_handler(tk_catalog_namespace(cat, part[0]), part[1]);
	if (h == NULL)
		return 0;
	d = h->versions[h->latest].def;
	for (k = 0; k < d->nschedules; k++)
		if (strcmp(d->schedules[k].name, part[2]) == 0)
			return 1;
	return 0;
}

static int
cmd_pause(const struct tk_config *cfg, const char *spec, int paused)
{
	char buf[3 * (TK_NAME_MAX + 1)], *part[3], q[TK_DIAG_QUOTE_SIZE];
	struct ctx c;
	int rc = 1;

	if (split_spec(spec, buf, part) < 0)
		return tk_cli_usage_error("tasker-admin", SEE, "'%s' is not "
		    "NAMESPACE/HANDLER/SCHEDULE", tk_diag_quote(q, spec));
	if (open_ctx(cfg, &c) < 0)
		goto out;
	if (!has_schedule(c.cat, part)) {
		fprintf(stderr, "tasker-admin: no schedule %s (the latest "
		    "version of the handler has none of that name)\n",
		    tk_diag_quote(q, spec));
		goto out;
	}
	if (tk_schedule_store_pause(c.db, part[0], part[1], part[2],
	    paused) != TK_OK) {
		fprintf(stderr, "tasker-admin: %s\n", tk_db_error(c.db));
		goto out;
	}
	printf("%s: %s\n", spec, paused ? "paused" : "resumed");
	rc = 0;
out:
	close_ctx(&c);
	return rc;
}

int
tk_admin_schedules(const struct tk_config *cfg, int argc, char **argv)
{
	char q[TK_DIAG_QUOTE_SIZE];
	const char *ns = NULL;
	int json, got;

	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		json = tk_cli_take_flag(&argc, argv, "--json");
		got = tk_cli_take_value(&argc, argv, "--namespace", &ns);
		if (got < 0 || (got > 0 && !tk_name_valid(ns)))
			return tk_cli_usage_error("tasker-admin", SEE, "--namespace"
			    " needs a namespace name");
		if (argc == 1)
			return cmd_schedules_list(cfg, ns, json);
		return tk_cli_usage_error("tasker-admin", SEE, "schedules list: "
		    "unexpected '%s'", tk_diag_quote(q, argv[1]));
	}
	if (argc >= 1 && (strcmp(argv[0], "pause") == 0 ||
	    strcmp(argv[0], "resume") == 0)) {
		if (argc != 2)
			return tk_cli_usage_error("tasker-admin", SEE, "schedules "
			    "%s takes one NAMESPACE/HANDLER/SCHEDULE", argv[0]);
		return cmd_pause(cfg, argv[1], argv[0][0] == 'p');
	}
	if (argc == 0)
		return tk_cli_usage_error("tasker-admin", SEE, "expected "
		    "'schedules list', 'schedules pause' or 'schedules resume'");
	return tk_cli_usage_error("tasker-admin", SEE, "schedules: unknown "
	    "subcommand '%s'", tk_diag_quote(q, argv[0]));
}
