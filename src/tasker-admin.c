/*
 * tasker-admin - the operator's command line.
 *
 *   tasker-admin [-c FILE] COMMAND [ARGS...]
 *   tasker-admin -h | --help | help [COMMAND] | COMMAND -h | COMMAND --help
 *
 * Commands (each one's usage text below says its arguments):
 *   config check [--json] [FILE]
 *   migrate | migrate status [--json] | migrate repair N --applied|--reverted
 *   handlers validate PATH... | handlers load [PATH...] |
 *   handlers list [--json]
 *   token [--subject S] [--permission P]... [--lifetime SECONDS]
 *         [--namespace NS]... [--no-namespaces] [--own-tasks]
 *   tasks list [NAME=VALUE | --NAME VALUE]... [--json]
 *   tasks show|cancel|retry ID [--reason TEXT] [--json]
 *   tasks events ID [--json]
 *   tasks purge --older-than DURATION [--namespace NS] [--dry-run] [--json]
 *   schedules list [--namespace NS] [--json] |
 *   schedules pause|resume NS/HANDLER/SCHEDULE
 *   health [--json]
 *   check utf8 [--json]
 *
 * Help goes to stdout with exit 0; bad usage is one line on stderr
 * naming where the usage is, exit 2 (cli.h).
 *
 * Exit status: 0 done, 1 refused or failed (with the reason on stderr),
 * 2 bad usage.  health: 0 healthy, 1 not.  check utf8: 0 nothing found, 1 found (listed on stdout),
 * 2 bad usage, 3 the check could not run or finish.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/admin.h"
#include "tasker/cli.h"
#include "tasker/config.h"
#include "tasker/diag.h"
#include "tasker/log.h"
#include "tasker/outbox_store.h"

struct admin {
	struct tk_config  cfg;
	const char       *cfg_path;
};

/* One command: its name, what runs it, its usage text (for -h, --help
 * and `help COMMAND`). */
struct command {
	const char  *name;
	int        (*run)(struct admin *, int, char **);
	const char  *usage;
};

static const char usage_text[] =
    "usage: tasker-admin [-c FILE] COMMAND [ARGS...]\n"
    "       tasker-admin -h | --help | help [COMMAND]\n"
    "\n"
    "Commands:\n"
    "  config check [--json] [FILE]  validate a configuration file\n"
    "  migrate                       apply pending schema migrations\n"
    "  migrate status [--json]       list applied and pending migrations\n"
    "  migrate repair N --applied|--reverted\n"
    "                                settle a half-applied migration\n"
    "  handlers validate PATH...     check handler YAML (no database)\n"
    "  handlers load [PATH...]       load handler YAML (default: "
    "handlers_dir)\n"
    "  handlers list [--json]        the handlers the database holds\n"
    "  token [OPTION...]             mint a JWT with the signing key\n"
    "  tasks list [FILTER...] [--json]\n"
    "                                tasks, filtered as GET /tasks\n"
    "  tasks show|cancel|retry ID [--json]\n"
    "                                one task: show it, cancel it, retry "
    "it\n"
    "  tasks events ID [--json]      a task's webhook deliveries\n"
    "  tasks purge --older-than DURATION [--namespace NS] [--dry-run]\n"
    "                                delete old finished tasks\n"
    "  schedules list [--json]       recurring tasks and their next runs\n"
    "  schedules pause|resume NS/HANDLER/SCHEDULE\n"
    "                                stop or restart a schedule's ticks\n"
    "  health [--json]               the checks of /health/status\n"
    "  check utf8 [--json]           list stored text that is not UTF-8\n"
    "  help [COMMAND]                this text, or a command's\n"
    "\n"
    "Options:\n"
    "  -c FILE      the configuration (default: $TASKER_CONFIG, else the\n"
    "               installed tasker.yaml)\n"
    "  -h, --help   this text; COMMAND -h or COMMAND --help: that "
    "command's\n"
    "  --json       after a command that prints data: one JSON document "
    "on\n"
    "               stdout instead of text\n"
    "\n"
    "Exit status:\n"
    "  0  done\n"
    "  1  refused or failed (the reason on stderr); health: unhealthy;\n"
    "     check utf8: found text that is not UTF-8\n"
    "  2  bad usage (a one-line hint on stderr)\n"
    "  3  check utf8: the check could not run or finish\n";

static int cmd_config(struct admin *, int, char **);
static int cmd_migrate(struct admin *, int, char **);
static int cmd_handlers(struct admin *, int, char **);
static int cmd_token(struct admin *, int, char **);
static int cmd_tasks(struct admin *, int, char **);
static int cmd_schedules(struct admin *, int, char **);
static int cmd_health(struct admin *, int, char **);
static int cmd_check(struct admin *, int, char **);
static int cmd_help(struct admin *, int, char **);

static const struct command commands[] = {
	{ "config", cmd_config,
	    "usage: tasker-admin [-c FILE] config check [--json] [FILE]\n"
	    "\n"
	    "Validates a configuration file (FILE, else -c FILE, else\n"
	    "$TASKER_CONFIG, else the installed tasker.yaml) and prints\n"
	    "\"FILE: ok\", or every problem on stderr.\n"
	    "  --json   print {\"path\", \"valid\", \"problems\": [...]} on "
	    "stdout\n"
	    "           instead, valid or not\n"
	    "\n"
	    "Exit status: 0 valid, 1 not valid or not readable, 2 bad usage.\n" },
	{ "migrate", cmd_migrate,
	    "usage: tasker-admin [-c FILE] migrate\n"
	    "       tasker-admin [-c FILE] migrate status [--json]\n"
	    "       tasker-admin [-c FILE] migrate repair VERSION "
	    "--applied|--reverted\n"
	    "\n"
	    "migrate         applies the pending migrations of migrations_dir "
	    "in\n"
	    "                order, one line each\n"
	    "migrate status  lists every migration: applied (and when), "
	    "pending,\n"
	    "                or HALF (half-applied, with its error); warns when "
	    "an\n"
	    "                applied file changed or an applied version has no "
	    "file\n"
	    "  --json        print {\"migrations_dir\", \"migrations\": "
	    "[{\"version\",\n"
	    "                \"name\", \"state\": applied|pending|half, "
	    "\"applied_at\",\n"
	    "                \"changed_since_applied\", \"failure\"}],\n"
	    "                \"unknown_applied\"} instead\n"
	    "migrate repair  settles a half-applied migration after a manual "
	    "fix:\n"
	    "                --applied marks it done, --reverted forgets it so\n"
	    "                that migrate runs it again\n"
	    "\n"
	    "Exit status: 0 done, 1 failed (the reason on stderr), 2 bad "
	    "usage.\n" },
	{ "handlers", cmd_handlers,
	    "usage: tasker-admin [-c FILE] handlers validate PATH...\n"
	    "       tasker-admin [-c FILE] handlers load [PATH...]\n"
	    "       tasker-admin [-c FILE] handlers list [--json]\n"
	    "\n"
	    "validate  checks handler YAML files or folders (no database)\n"
	    "load      validates, then writes everything in one transaction,\n"
	    "          or nothing (default PATH: handlers_dir)\n"
	    "list      the namespaces and handlers the database holds: each\n"
	    "          handler's latest version, its steps, every version\n"
	    "  --json  print {\"namespaces\": [{\"name\", \"description\",\n"
	    "          \"handlers\": [{\"name\", \"latest\", \"steps\",\n"
	    "          \"versions\": [...]}]}]} instead\n"
	    "\n"
	    "Exit status: 0 done, 1 refused or failed (every problem on "
	    "stderr),\n"
	    "2 bad usage.\n" },
	{ "token", cmd_token,
	    "usage: tasker-admin [-c FILE] token [--subject S] "
	    "[--permission P]...\n"
	    "           [--lifetime SECONDS] [--namespace NS]... "
	    "[--no-namespaces]\n"
	    "           [--own-tasks]\n"
	    "\n"
	    "Mints a JWT with the configured signing key\n"
	    "(auth.keys[].signing_key_file) and prints it on stdout only.\n"
	    "  --subject S         the token's subject (default: admin)\n"
	    "  --permission P      a permission, repeatable (default: \"*\", "
	    "all)\n"
	    "  --lifetime SECONDS  1 to 31536000 (default:\n"
	    "                      auth.token_lifetime_seconds)\n"
	    "  --namespace NS      limit the token to namespace NS, repeatable\n"
	    "  --no-namespaces     limit it to no namespace at all\n"
	    "  --own-tasks         limit it to the tasks its subject creates\n"
	    "\n"
	    "Exit status: 0 printed, 1 refused (no signing key, invalid "
	    "value),\n"
	    "2 bad usage.\n" },
	{ "tasks", cmd_tasks,
	    "usage: tasker-admin [-c FILE] tasks list [NAME=VALUE | --NAME "
	    "VALUE]... [--json]\n"
	    "       tasker-admin [-c FILE] tasks show ID [--json]\n"
	    "       tasker-admin [-c FILE] tasks events ID [--json]\n"
	    "       tasker-admin [-c FILE] tasks cancel ID [--reason TEXT] "
	    "[--json]\n"
	    "       tasker-admin [-c FILE] tasks retry ID [--reason TEXT] "
	    "[--json]\n"
	    "       tasker-admin [-c FILE] tasks purge --older-than DURATION\n"
	    "           [--namespace NS] [--dry-run] [--json]\n"
	    "\n"
	    "The task API's requests (GET /tasks, GET /tasks/{id}, DELETE\n"
	    "/tasks/{id}, POST /tasks/{id}/retry), answered straight from the\n"
	    "database by the API's own code: the same filters, checks and\n"
	    "state rules.  The caller has every permission; cancel and retry\n"
	    "record the actor \"admin:USER\" (the unix user).\n"
	    "list    filters and pages as GET /tasks's query parameters:\n"
	    "        status=S (comma-separated), namespace=N, name=N, "
	    "version=V,\n"
	    "        created_by=SUBJECT, page=N, per_page=N ... ('-' in NAME is\n"
	    "        read as '_', so --per-page 5 is per_page=5)\n"
	    "show    the task and its steps\n"
	    "events  its webhook events and their deliveries (GET\n"
	    "        /tasks/{id}/events)\n"
	    "cancel  a task that has not finished (reason default: "
	    "\"cancelled\n"
	    "        with tasker-admin\")\n"
	    "retry   a task in error: its failed steps run again\n"
	    "purge   delete complete, cancelled and error tasks whose last\n"
	    "        change is older than DURATION (30d, 12h, 90m, 45s), with\n"
	    "        their steps and transitions, in batches of 100 (as the\n"
	    "        workers' retention does; each first appended to\n"
	    "        retention.export when set); --namespace: only that one;\n"
	    "        --dry-run: only count them\n"
	    "  --json  print the API's answer body as it is instead of text\n"
	    "          (purge: {\"dry_run\", \"older_than_seconds\",\n"
	    "          \"namespace\", \"tasks\": {STATUS: N}, \"total\"})\n"
	    "\n"
	    "Exit status: 0 done, 1 refused or failed (no such task, a\n"
	    "conflict such as cancelling a finished task, the database: the\n"
	    "reason on stderr), 2 bad usage or a value the API refuses (400,\n"
	    "422: its message and details on one line).\n" },
	{ "schedules", cmd_schedules,
	    "usage: tasker-admin [-c FILE] schedules list [--namespace NS] "
	    "[--json]\n"
	    "       tasker-admin [-c FILE] schedules pause "
	    "NAMESPACE/HANDLER/SCHEDULE\n"
	    "       tasker-admin [-c FILE] schedules resume "
	    "NAMESPACE/HANDLER/SCHEDULE\n"
	    "\n"
	    "Recurring tasks (schedules: in the handler YAML, see\n"
	    "tasker-handler(5)); the workers start their ticks.\n"
	    "list    every schedule of the latest version of each handler:\n"
	    "        cron, zone, paused or active, next run, last task\n"
	    "  --namespace NS   only that namespace's\n"
	    "  --json  print {\"schedules\": [...]} (GET /schedules's "
	    "items)\n"
	    "pause   the schedule starts no task until resumed\n"
	    "resume  it starts again from now: ticks that fell while it was\n"
	    "        paused are not started\n"
	    "\n"
	    "Exit status: 0 done, 1 no such schedule or failed, 2 bad usage.\n" },
	{ "health", cmd_health,
	    "usage: tasker-admin [-c FILE] health [--json]\n"
	    "\n"
	    "The checks of GET /health/status, straight against the database:\n"
	    "the database answers, the schema is current (every migration of\n"
	    "migrations_dir applied), a worker sent a heartbeat within 3 x\n"
	    "worker.heartbeat_seconds; and the ready queue and task counts.\n"
	    "  --json  print {\"status\": ok|degraded|unavailable, "
	    "\"problems\",\n"
	    "          \"database\", \"schema\", \"tasks\", \"steps\", "
	    "\"ready_queue\",\n"
	    "          \"workers\"} (as /health/status) instead\n"
	    "\n"
	    "Exit status: 0 healthy, 1 unhealthy (database unreachable, schema\n"
	    "not current, no live worker), 2 bad usage.\n" },
	{ "check", cmd_check,
	    "usage: tasker-admin [-c FILE] check utf8 [--json]\n"
	    "\n"
	    "Lists every stored value a client or a step handler wrote that is\n"
	    "not strict UTF-8, one line each on stdout, e.g.\n"
	    "  tasks id=0190f1a2-7b3c-7def-8a12-3456789abcde column=reason "
	    "offset=3\n"
	    "then a summary line.\n"
	    "  --json  print {\"tables\", \"rows\", \"bad_rows\", "
	    "\"bad_values\",\n"
	    "          \"findings\": [{\"table\", \"keys\": {...}, "
	    "\"column\",\n"
	    "          \"offset\"}]} instead\n"
	    "\n"
	    "Exit status: 0 none found, 1 some found, 2 bad usage, 3 the check\n"
	    "could not run or finish (configuration, database).\n" },
	{ "help", cmd_help,
	    "usage: tasker-admin help [COMMAND]\n"
	    "\n"
	    "Prints the usage of tasker-admin, or of COMMAND, on stdout.\n"
	    "\n"
	    "Exit status: 0 printed, 2 no such command.\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* "tasker-admin: MESSAGE; see 'tasker-admin help CMD'"; exit status 2. */
static int
bad_usage(const char *cmd, const char *what, const char *arg)
{
	char q[TK_DIAG_QUOTE_SIZE], see[64];

	snprintf(see, sizeof(see), "tasker-admin help %s", cmd);
	if (arg == NULL)
		return tk_cli_usage_error("tasker-admin", see, "%s", what);
	return tk_cli_usage_error("tasker-admin", see, "%s '%s'", what,
	    tk_diag_quote(q, arg));
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
	tk_outbox_configure(a->cfg.webhooks, a->cfg.nwebhooks);
	return e == TK_OK ? 0 : -1;
}

/* ---------------------------------------------------------------- config */

/* Problem i of a diag list, as a JSON string. */
static struct json_object *
problem_json(const void *arg, size_t i)
{
	return json_object_new_string(((const struct tk_diag *)arg)->msg[i]);
}

/* config check --json: the text form's verdict and problems, as one
 * document on stdout. */
static int
config_json(struct admin *a)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct json_object *doc;
	const char *path = tk_config_find(a->cfg_path);
	tk_err e;
	int rc;

	tk_config_free(&a->cfg);
	e = tk_config_load(path, &a->cfg, &d);
	if (e != TK_OK && d.n == 0)
		tk_diag_add(&d, "%s: %s", path, tk_err_name(e));
	if ((doc = json_object_new_object()) != NULL) {
		json_object_object_add(doc, "path", tk_admin_json_str(
		    a->cfg.path != NULL ? a->cfg.path : path));
		json_object_object_add(doc, "valid",
		    json_object_new_boolean(e == TK_OK));
		if (tk_admin_json_array(doc, "problems", d.n, problem_json,
		    &d) != 0) {
			json_object_put(doc);
			doc = NULL;
		}
	}
	rc = tk_admin_json_print(doc);
	tk_diag_free(&d);
	return rc != 0 || e != TK_OK ? 1 : 0;
}

static int
cmd_config(struct admin *a, int argc, char **argv)
{
	int json = tk_cli_take_flag(&argc, argv, "--json");

	if (argc < 1 || strcmp(argv[0], "check") != 0)
		return bad_usage("config", "expected 'config check'", NULL);
	if (argc > 2)
		return bad_usage("config", "config check takes one FILE, not",
		    argv[2]);
	if (argc == 2)
		a->cfg_path = argv[1];
	if (json)
		return config_json(a);
	if (load_config(a) != 0)
		return 1;
	printf("%s: ok\n", a->cfg.path ? a->cfg.path : "(defaults)");
	return 0;
}

/* ------------------------------------------------ the library's commands */

static int
cmd_migrate(struct admin *a, int argc, char **argv)
{
	return load_config(a) != 0 ? 1 : tk_admin_migrate(&a->cfg, argc, argv);
}

static int
cmd_handlers(struct admin *a, int argc, char **argv)
{
	return load_config(a) != 0 ? 1 :
	    tk_admin_handlers(&a->cfg, argc, argv);
}

static int
cmd_token(struct admin *a, int argc, char **argv)
{
	return load_config(a) != 0 ? 1 : tk_admin_token(&a->cfg, argc, argv);
}

static int
cmd_tasks(struct admin *a, int argc, char **argv)
{
	return load_config(a) != 0 ? 1 : tk_admin_tasks(&a->cfg, argc, argv);
}

static int
cmd_schedules(struct admin *a, int argc, char **argv)
{
	return load_config(a) != 0 ? 1 :
	    tk_admin_schedules(&a->cfg, argc, argv);
}

static int
cmd_health(struct admin *a, int argc, char **argv)
{
	return load_config(a) != 0 ? 1 : tk_admin_health(&a->cfg, argc, argv);
}

/* check utf8.  Exit 1 means "found", so a failure to load the
 * configuration is 3 here, like every failure of the check itself. */
static int
cmd_check(struct admin *a, int argc, char **argv)
{
	int json = tk_cli_take_flag(&argc, argv, "--json");

	if (argc != 1 || strcmp(argv[0], "utf8") != 0)
		return bad_usage("check", argc == 0 ? "expected 'check utf8'" :
		    "no such check", argc == 0 ? NULL : argv[0]);
	if (load_config(a) != 0)
		return 3;
	return tk_admin_check_utf8(&a->cfg, json);
}

/* ---------------------------------------------------------------- help */

static int
cmd_help(struct admin *a, int argc, char **argv)
{
	const struct command *c;

	(void)a;
	if (argc == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc > 1)
		return bad_usage("help", "help takes one COMMAND, not", argv[1]);
	if ((c = find_command(argv[0])) == NULL)
		return bad_usage("help", "no such command", argv[0]);
	fputs(c->usage, stdout);
	return 0;
}

/* ---------------------------------------------------------------- main */

/* The options before COMMAND; TK_EXIT_OK to go on, else the exit status
 * (with -h or --help, the usage has been printed). */
static int
parse_options(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->cfg_path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			return tk_cli_option_error("tasker-admin",
			    "tasker-admin --help", c, optopt, argv[optind - 1]);
		}
	}
	return TK_EXIT_OK;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct admin a;
	char q[TK_DIAG_QUOTE_SIZE];
	int rc;

	memset(&a, 0, sizeof(a));
	tk_log_setup("tasker-admin", TK_LOG_WARN, TK_LOG_LOGFMT, TK_LOG_STDERR);
	if ((rc = parse_options(&a, argc, argv)) != TK_EXIT_OK)
		return rc < 0 ? TK_EXIT_OK : rc;
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return tk_cli_usage_error("tasker-admin", "tasker-admin --help",
		    "no command given");
	if ((cmd = find_command(argv[0])) == NULL)
		return tk_cli_usage_error("tasker-admin", "tasker-admin --help",
		    "unknown command '%s'", tk_diag_quote(q, argv[0]));
	if (tk_cli_asks_help(argc - 1, argv + 1)) {
		fputs(cmd->usage, stdout);
		return TK_EXIT_OK;
	}
	if (tk_config_defaults(&a.cfg) != TK_OK)
		return TK_EXIT_FAIL;
	rc = cmd->run(&a, argc - 1, argv + 1);
	tk_config_free(&a.cfg);
	return rc;
}
