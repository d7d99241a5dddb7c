/*
 * tasker-worker - the step executor.
 *
 *   tasker-worker [-c FILE] [-l LOGFILE] [--until-idle [--max-seconds N]]
 *   tasker-worker -h | --help
 *
 * -c: the configuration (else $TASKER_CONFIG, else the installed one).
 * -l: append log lines to LOGFILE instead of stderr.
 * --until-idle: run the steps that are ready, then exit (for cron).
 * --max-seconds N: with --until-idle, stop claiming after N seconds.
 *
 * Runs worker.processes processes that claim and run ready steps until
 * SIGTERM or SIGINT (see worker.h for the process tree, engine.h for what
 * one step run does).
 *
 * -h, --help: the usage on stdout, exit 0.  Bad usage: one line on stderr
 * (cli.h), exit 2.
 *
 * Exit status: 0 stopped by SIGTERM or SIGINT, or idle (--until-idle);
 * 1 the configuration, the log file or the database could not be used;
 * 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/cli.h"
#include "tasker/config.h"
#include "tasker/diag.h"
#include "tasker/log.h"
#include "tasker/outbox_store.h"
#include "tasker/worker.h"

#define SEE "tasker-worker --help"

static const char usage_text[] =
    "usage: tasker-worker [-c FILE] [-l LOGFILE] [--until-idle "
    "[--max-seconds N]]\n"
    "       tasker-worker -h | --help\n"
    "\n"
    "Runs worker.processes processes that claim and run ready steps until\n"
    "SIGTERM or SIGINT.\n"
    "  -c FILE           configuration (default: $TASKER_CONFIG, then the\n"
    "                    installed tasker.yaml)\n"
    "  -l LOGFILE        append the log to LOGFILE instead of stderr\n"
    "  --until-idle      run the steps that are ready, then exit (for "
    "cron)\n"
    "  --max-seconds N   with --until-idle: stop claiming after N seconds\n"
    "                    (1 to 86400)\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0 stopped by SIGTERM or SIGINT, or idle (--until-idle);\n"
    "1 the configuration, the log file or the database could not be used;\n"
    "2 bad usage.\n";

/* A decimal 1..86400, or 0 when s is not one. */
static unsigned
parse_seconds(const char *s)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 86400)
		return 0;
	return (unsigned)v;
}

/* The command line.  TK_EXIT_OK to run, -1 after --help printed the
 * usage, else the exit status (bad usage, said on stderr). */
static int
parse_args(int argc, char **argv, const char **cfg_path,
    const char **log_path, struct tk_worker_opts *o)
{
	static const struct option longopts[] = {
		{ "until-idle", no_argument, NULL, 'u' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char q[TK_DIAG_QUOTE_SIZE];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*cfg_path = optarg;
			break;
		case 'l':
			*log_path = optarg;
			break;
		case 'u':
			o->until_idle = 1;
			break;
		case 'm':
			if ((o->max_seconds = parse_seconds(optarg)) == 0)
				return tk_cli_usage_error("tasker-worker", SEE,
				    "--max-seconds: expected 1 to 86400");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			return tk_cli_option_error("tasker-worker", SEE, c,
			    optopt, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return tk_cli_usage_error("tasker-worker", SEE, "unexpected "
		    "operand '%s'", tk_diag_quote(q, argv[optind]));
	if (o->max_seconds != 0 && !o->until_idle)
		return tk_cli_usage_error("tasker-worker", SEE, "--max-seconds "
		    "needs --until-idle");
	return TK_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_worker_opts o;
	const char *cfg_path = NULL, *log_path = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = parse_args(argc, argv, &cfg_path, &log_path, &o)) !=
	    TK_EXIT_OK)
		return rc < 0 ? TK_EXIT_OK : rc;
	if (log_path != NULL && tk_cli_log_to(log_path) != 0)
		return TK_EXIT_FAIL;
	rc = TK_EXIT_FAIL;
	if (tk_config_load(tk_config_find(cfg_path), &cfg, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-worker: ");
		goto out;
	}
	tk_log_setup("tasker-worker", (enum tk_log_level)cfg.log.level,
	    (enum tk_log_format)cfg.log.format,
	    (enum tk_log_dest)cfg.log.destination);
	o.cfg = &cfg;
	tk_outbox_configure(cfg.webhooks, cfg.nwebhooks);
	rc = tk_worker_run(&o);
out:
	tk_diag_free(&d);
	tk_config_free(&cfg);
	return rc;
}
