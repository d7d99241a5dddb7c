/*
 * tasker-fcgi - the FastCGI responder.
 *
 * Started by `spawn-fcgi -F N` or by Apache mod_fcgid, both of which hand
 * it the listening socket on fd 0.  One request at a time, no threads.  The
 * database connection is made lazily after the fork (by the first request
 * that needs it) and kept; see db.h for reconnection.  With database.read
 * a second one, for the read-only routes, is made and kept the same way
 * (the route table in api/dispatch.c says which routes).
 *
 * SIGTERM / SIGINT / SIGUSR1: an idle process exits at once; a busy one
 * finishes the request in hand, then exits.  Both leave through main's
 * cleanup.
 *
 *   tasker-fcgi [-c FILE] [-l LOGFILE]
 *   tasker-fcgi -h | --help
 *
 * -c: the configuration (else $TASKER_CONFIG, else the installed one).
 * -l: append log lines to LOGFILE instead of stderr; spawn-fcgi closes the
 *     children's stderr, so this is how its processes keep a log.
 * -h, --help: the usage on stdout, exit 0.  Bad usage: one line on stderr
 *     (cli.h), exit 2.
 *
 * Exit status: 0 stopped by SIGTERM, SIGINT or SIGUSR1; 1 the
 * configuration, the log file, the signing keys or the metrics segment
 * could not be used, or fd 0 is not a FastCGI listening socket; 2 bad
 * usage.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/api.h"
#include "tasker/cli.h"
#include "tasker/diag.h"
#include "tasker/fcgi.h"
#include "tasker/log.h"
#include "tasker/ops.h"
#include "tasker/outbox_store.h"

static volatile sig_atomic_t stopping;

/*
 * SIGTERM/SIGINT/SIGUSR1: finish the request in hand, then leave through
 * main's cleanup (so log lines are written and sanitizers see the exit).
 * Idle in accept(2): the signal (installed without SA_RESTART) interrupts
 * it and tk_fcgi_shutdown_pending() makes libfcgi give up instead of
 * retrying.
 */
static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	tk_fcgi_shutdown_pending();
}

/* The API answers a request that could be read; the error body one that
 * could not. */
static void
serve(void *arg, struct tk_request *req, struct tk_response *res, tk_err e)
{
	struct tk_app *app = arg;

	if (e == TK_OK)
		tk_api_dispatch(app, req, res);
	else
		tk_api_error(res, e, req->error[0] ? req->error : NULL, NULL);
}

/* One log line and the metrics per request, then the principal goes. */
static void
request_done(void *arg, struct tk_request *req, const struct tk_response *res,
    long long us)
{
	struct tk_app *app = arg;
	char q[300];

	tk_ops_record(req, res->status, us);
	tk_log(TK_LOG_INFO, "event=request request_id=%s method=%s route=%s "
	    "status=%d duration_ms=%lld.%03lld principal=%s",
	    req->request_id[0] ? req->request_id : "-",
	    req->method ? req->method : "-",
	    req->route ? req->route->name : "-", res->status,
	    us / 1000, us % 1000,	/* integer: no floating-point printf */
	    tk_log_quote(q, sizeof(q), app->principal.subject ?
	    app->principal.subject : "-"));
	tk_principal_free(&app->principal);
}

#define SEE "tasker-fcgi --help"

static const char usage_text[] =
    "usage: tasker-fcgi [-c FILE] [-l LOGFILE]\n"
    "       tasker-fcgi -h | --help\n"
    "\n"
    "The FastCGI responder of the tasker API.  Run it under spawn-fcgi or\n"
    "Apache mod_fcgid, which hand it the listening socket on fd 0.\n"
    "  -c FILE      configuration (default: $TASKER_CONFIG, then the\n"
    "               installed tasker.yaml)\n"
    "  -l LOGFILE   append the log to LOGFILE instead of stderr\n"
    "  -h, --help   this text\n"
    "\n"
    "Exit status: 0 stopped by SIGTERM, SIGINT or SIGUSR1; 1 the\n"
    "configuration, the log file, the signing keys or the metrics segment\n"
    "could not be used, or fd 0 is not a FastCGI listening socket; 2 bad\n"
    "usage.\n";

/* The command line.  TK_EXIT_OK to run, -1 after --help printed the
 * usage, else the exit status (bad usage, said on stderr). */
static int
parse_args(int argc, char **argv, const char **cfg_path,
    const char **log_path)
{
	static const struct option longopts[] = {
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
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			return tk_cli_option_error("tasker-fcgi", SEE, c,
			    optopt, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return tk_cli_usage_error("tasker-fcgi", SEE, "unexpected "
		    "operand '%s'", tk_diag_quote(q, argv[optind]));
	return TK_EXIT_OK;
}

/* The configuration, the log, the keys, the database handle and the
 * metrics: what every request needs.  0, or -1 (said on stderr). */
static int
setup(struct tk_app *app, struct tk_config *cfg,
    struct tk_db_config *read_cfg, const char *cfg_path)
{
	struct tk_diag d = TK_DIAG_INIT;
	int rc = -1;

	if (tk_config_load(tk_config_find(cfg_path), cfg, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-fcgi: ");
		goto out;
	}
	tk_log_setup("tasker-fcgi", (enum tk_log_level)cfg->log.level,
	    (enum tk_log_format)cfg->log.format,
	    (enum tk_log_dest)cfg->log.destination);
	if (tk_auth_init(&cfg->auth, &app->auth, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-fcgi: ");
		goto out;
	}
	if (tk_db_new(&cfg->db, &app->db) != TK_OK)
		goto out;
	/* The writer needs no START TRANSACTION (db.h: chained); the
	 * read-only routes' connection (api/dispatch.c) is database.read's
	 * or the writer's server's, in autocommit. */
	tk_db_set_chained(app->db, 1);
	app->reader_local = !tk_db_config_read(&cfg->db, read_cfg);
	if (tk_db_new(app->reader_local ? &cfg->db : read_cfg,
	    &app->reader) != TK_OK)
		goto out;
	app->cfg = cfg;
	tk_outbox_configure(cfg->webhooks, cfg->nwebhooks);
	if (tk_ops_init(cfg) != TK_OK)
		goto out;
	rc = 0;
out:
	tk_diag_free(&d);
	return rc;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Serves requests on fd 0 until a signal; 0, or -1 (said on stderr). */
static int
serve_all(struct tk_app *app, const struct tk_config *cfg)
{
	struct tk_fcgi_handler h;

	if (!tk_fcgi_is_listener()) {
		fputs("tasker-fcgi: fd 0 is not a FastCGI listening socket; "
		    "run it under spawn-fcgi or mod_fcgid (see 'tasker-fcgi "
		    "--help')\n", stderr);
		return -1;
	}
	memset(&h, 0, sizeof(h));
	h.serve = serve;
	h.done = request_done;
	h.arg = app;
	h.prefix = cfg->api.mount_prefix;
	h.max_body = cfg->api.max_body_bytes;
	tk_log(TK_LOG_INFO, "event=start");
	/* Request lines are written in batches: tk_fcgi_run flushes them
	 * whenever no request waits (log.h says what a crash loses). */
	tk_log_hold(1);
	if (tk_fcgi_run(0, &h, &stopping) < 0) {
		tk_log_hold(0);
		return -1;
	}
	tk_log(TK_LOG_INFO, "event=stop");
	tk_log_hold(0);
	return 0;
}

int
main(int argc, char **argv)
{
	struct tk_config cfg;
	struct tk_db_config read_cfg;	/* borrows cfg's strings */
	struct tk_app app;
	const char *cfg_path = NULL, *log_path = NULL;
	int rc;

	if ((rc = parse_args(argc, argv, &cfg_path, &log_path)) != TK_EXIT_OK)
		return rc < 0 ? TK_EXIT_OK : rc;
	if (log_path != NULL && tk_cli_log_to(log_path) != 0)
		return TK_EXIT_FAIL;
	memset(&app, 0, sizeof(app));
	rc = TK_EXIT_FAIL;
	if (setup(&app, &cfg, &read_cfg, cfg_path) == 0) {
		install_signals();
		if (serve_all(&app, &cfg) == 0)
			rc = TK_EXIT_OK;
	}
	tk_ops_free();
	tk_catalog_free(app.catalog);
	tk_db_free(app.db);
	tk_db_free(app.reader);
	tk_auth_free(app.auth);
	tk_config_free(&cfg);
	return rc;
}
