/*
 * tasker-worker - the step executor.
 *
 *   tasker-worker [-c FILE] [-l LOGFILE] [--until-idle [--max-seconds N]]
 *
 * -c: the configuration (else $TASKER_CONFIG, else the installed one).
 * -l: append log lines to LOGFILE instead of stderr.
 * --until-idle: run the steps that are ready, then exit (for cron).
 * --max-seconds N: with --until-idle, stop claiming after N seconds.
 *
 * Runs worker.processes processes that claim and run ready steps until
 * SIGTERM or SIGINT (see worker.h for the process tree, engine.h for what
 * one step run does).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tasker/config.h"
#include "tasker/diag.h"
#include "tasker/log.h"
#include "tasker/worker.h"

static void
usage(FILE *f)
{
	fputs("usage: tasker-worker [-c FILE] [-l LOGFILE] "
	    "[--until-idle [--max-seconds N]]\n"
	    "  -c FILE           configuration (default: $TASKER_CONFIG, then "
	    "the installed tasker.yaml)\n"
	    "  -l LOGFILE        append the log to LOGFILE instead of stderr\n"
	    "  --until-idle      run the steps that are ready, then exit\n"
	    "  --max-seconds N   with --until-idle: stop claiming after N "
	    "seconds\n", f);
}

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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "until-idle", no_argument, NULL, 'u' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_worker_opts o;
	const char *cfg_path = NULL, *log_path = NULL;
	int c, fd, rc = 1;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "c:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_path = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'u':
			o.until_idle = 1;
			break;
		case 'm':
			if ((o.max_seconds = parse_seconds(optarg)) == 0) {
				fprintf(stderr, "tasker-worker: --max-seconds: "
				    "expected 1 to 86400\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (o.max_seconds != 0 && !o.until_idle)) {
		usage(stderr);
		return 2;
	}
	if (log_path != NULL) {
		fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
			perror(log_path);
			return 1;
		}
		if (fd != STDERR_FILENO)
			close(fd);
	}
	if (tk_config_load(tk_config_find(cfg_path), &cfg, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-worker: ");
		goto out;
	}
	tk_log_setup("tasker-worker", (enum tk_log_level)cfg.log.level,
	    (enum tk_log_format)cfg.log.format,
	    (enum tk_log_dest)cfg.log.destination);
	o.cfg = &cfg;
	rc = tk_worker_run(&o);
out:
	tk_diag_free(&d);
	tk_config_free(&cfg);
	return rc;
}
