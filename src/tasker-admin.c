/*
 * tasker-admin - the operator's command line.
 *
 *   tasker-admin [-c FILE] config check [FILE]
 *   tasker-admin [-c FILE] migrate [status | repair VERSION --applied|--reverted]
 *   tasker-admin [-c FILE] handlers validate PATH...
 *   tasker-admin [-c FILE] handlers load [PATH...]
 *   tasker-admin [-c FILE] handlers list
 *   tasker-admin [-c FILE] token [--subject S] [--permission P]... [--lifetime SECONDS]
 *   tasker-admin [-c FILE] check utf8
 *
 * Exit status: 0 done, 1 refused or failed (with the reason on stderr),
 * 2 bad usage.  check utf8: 0 nothing found, 1 found (listed on stdout),
 * 2 bad usage, 3 the check could not run or finish.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/admin.h"
#include "tasker/config.h"
#include "tasker/db.h"
#include "tasker/diag.h"
#include "tasker/log.h"
#include "tasker/migrate.h"

struct admin {
	struct tk_config  cfg;
	const char       *cfg_path;
	struct tk_db     *db;
};

static void
usage(void)
{
	fputs("usage: tasker-admin [-c FILE] COMMAND ...\n"
	    "  config check [FILE]           validate a configuration file\n"
	    "  migrate                       apply pending schema migrations\n"
	    "  migrate status                list applied and pending migrations\n"
	    "  migrate repair N --applied|--reverted\n"
	    "                                settle a half-applied migration\n"
	    "  handlers validate PATH...     check handler YAML (no database)\n"
	    "  handlers load [PATH...]       load handler YAML (default: handlers_dir)\n"
	    "  handlers list                 what is loaded\n"
	    "  token [--subject S] [--permission P]... [--lifetime SECONDS]\n"
	    "        [--namespace NS]... [--no-namespaces] [--own-tasks]\n"
	    "                                mint a JWT with the signing key\n"
	    "  check utf8                    list stored text that is not UTF-8\n"
	    "                                (exit 1 when there is some, 3 when\n"
	    "                                the check could not finish)\n"
	    "The configuration is -c FILE, else $TASKER_CONFIG, else the installed\n"
	    "tasker.yaml.\n", stderr);
}

/* Loads the configuration; prints every problem.  0 on success. */
static int
load_config(struct admin *a)
{
	struct tk_diag d = TK_DIAG_INIT;
	const char *path = tk_config_find(a->cfg_path);
	tk_err e;

	/* tk_config_load() starts from the defaults itself. */
	tk_config_free(&a->cfg);
	e = tk_config_load(path, &a->cfg, &d);
	if (e != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-admin: ");
		if (d.n == 0)
			fprintf(stderr, "tasker-admin: %s: %s\n", path,
			    tk_err_name(e));
	}
	tk_diag_free(&d);
	return e == TK_OK ? 0 : -1;
}

static int
open_db(struct admin *a)
{
	if (tk_db_new(&a->cfg.db, &a->db) != TK_OK)
		return -1;
	if (tk_db_ensure(a->db) != TK_OK) {
		fprintf(stderr, "tasker-admin: cannot connect to the database: "
		    "%s\n", tk_db_error(a->db));
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- config */

static int
cmd_config(struct admin *a, int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "check") != 0 || argc > 2) {
		usage();
		return 2;
	}
	if (argc == 2)
		a->cfg_path = argv[1];
	if (load_config(a) != 0)
		return 1;
	printf("%s: ok\n", a->cfg.path ? a->cfg.path : "(defaults)");
	return 0;
}

/* ---------------------------------------------------------------- migrate */

static int
cmd_migrate(struct admin *a, int argc, char **argv)
{
	struct tk_migration_set set = { NULL, 0, 0 };
	struct tk_diag d = TK_DIAG_INIT;
	int rc = 1, applied;
	unsigned long v;
	size_t i;
	char *end;
	tk_err e;

	if (load_config(a) != 0)
		return 1;
	if (tk_migrations_scan(a->cfg.migrations_dir, &set, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-admin: ");
		goto out;
	}
	if (open_db(a) != 0)
		goto out;
	if (argc == 0) {
		if (tk_migrate_apply(a->db, &set, stdout, &d) != TK_OK) {
			tk_diag_print(&d, stderr, "tasker-admin: ");
			if (d.n == 0)
				fprintf(stderr, "tasker-admin: %s\n",
				    tk_db_error(a->db));
			goto out;
		}
		rc = 0;
	} else if (strcmp(argv[0], "status") == 0 && argc == 1) {
		if ((e = tk_migrate_load_state(a->db, &set)) != TK_OK) {
			fprintf(stderr, "tasker-admin: %s\n", tk_db_error(a->db));
			goto out;
		}
		for (i = 0; i < set.n; i++) {
			const struct tk_migration *m = &set.m[i];

			printf("%-9s %s%s%s\n", m->applied == 1 ? "applied" :
			    m->applied == -1 ? "HALF" : "pending", m->name,
			    m->applied_at ? "  " : "",
			    m->applied_at ? m->applied_at : "");
			if (m->applied == 1 && m->db_checksum != NULL &&
			    strcmp(m->db_checksum, m->checksum) != 0)
				printf("          warning: %s changed since it was "
				    "applied\n", m->path);
			if (m->applied == -1 && m->failure != NULL)
				printf("          %s\n", m->failure);
		}
		if (set.unknown_applied > 0)
			printf("warning: %u applied migration(s) have no file in %s\n",
			    set.unknown_applied, a->cfg.migrations_dir);
		rc = 0;
	} else if (strcmp(argv[0], "repair") == 0 && argc == 3) {
		errno = 0;
		v = strtoul(argv[1], &end, 10);
		if (errno != 0 || *end != '\0' || v == 0 || v > 9999) {
			usage();
			rc = 2;
			goto out;
		}
		if (strcmp(argv[2], "--applied") == 0)
			applied = 1;
		else if (strcmp(argv[2], "--reverted") == 0)
			applied = 0;
		else {
			usage();
			rc = 2;
			goto out;
		}
		if (tk_migrate_repair(a->db, (unsigned)v, applied, &d) != TK_OK) {
			tk_diag_print(&d, stderr, "tasker-admin: ");
			goto out;
		}
		printf("migration %04lu marked %s\n", v,
		    applied ? "applied" : "not applied");
		rc = 0;
	} else {
		usage();
		rc = 2;
	}
out:
	tk_migrations_free(&set);
	tk_diag_free(&d);
	return rc;
}

/* ---------------------------------------------------------------- check */

/* check utf8.  Exit 1 means "found", so a failure to load the
 * configuration is 3 here, like every failure of the check itself. */
static int
cmd_check(struct admin *a, int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "utf8") != 0) {
		usage();
		return 2;
	}
	if (load_config(a) != 0)
		return 3;
	return tk_admin_check_utf8(&a->cfg);
}

/* ---------------------------------------------------------------- main */

int
main(int argc, char **argv)
{
	struct admin a;
	int c, rc;

	memset(&a, 0, sizeof(a));
	tk_log_setup("tasker-admin", TK_LOG_WARN, TK_LOG_LOGFMT, TK_LOG_STDERR);
	while ((c = getopt(argc, argv, "+c:h")) != -1) {
		switch (c) {
		case 'c':
			a.cfg_path = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage();
		return 2;
	}
	if (tk_config_defaults(&a.cfg) != TK_OK)
		return 1;
	if (strcmp(argv[0], "config") == 0)
		rc = cmd_config(&a, argc - 1, argv + 1);
	else if (strcmp(argv[0], "migrate") == 0)
		rc = cmd_migrate(&a, argc - 1, argv + 1);
	else if (strcmp(argv[0], "handlers") == 0)
		rc = load_config(&a) != 0 ? 1 :
		    tk_admin_handlers(&a.cfg, argc - 1, argv + 1);
	else if (strcmp(argv[0], "token") == 0)
		rc = load_config(&a) != 0 ? 1 :
		    tk_admin_token(&a.cfg, argc - 1, argv + 1);
	else if (strcmp(argv[0], "check") == 0)
		rc = cmd_check(&a, argc - 1, argv + 1);
	else {
		usage();
		rc = 2;
	}
	tk_db_free(a.db);
	tk_config_free(&a.cfg);
	return rc;
}
