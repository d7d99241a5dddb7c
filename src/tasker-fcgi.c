/*
 * tasker-fcgi - the FastCGI responder.
 *
 * Started by `spawn-fcgi -F N` or by Apache mod_fcgid, both of which hand
 * it the listening socket on fd 0.  One request at a time, no threads.  The
 * database connection is made lazily after the fork (by the first request
 * that needs it) and kept; see db.h for reconnection.
 *
 * SIGTERM / SIGINT / SIGUSR1: an idle process exits at once; a busy one
 * finishes the request in hand, then exits.  Both leave through main's
 * cleanup.
 *
 *   tasker-fcgi [-c FILE] [-l LOGFILE]
 *
 * -c: the configuration (else $TASKER_CONFIG, else the installed one).
 * -l: append log lines to LOGFILE instead of stderr; spawn-fcgi closes the
 *     children's stderr, so this is how its processes keep a log.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tasker/api.h"
#include "tasker/fcgi.h"
#include "tasker/log.h"
#include "tasker/ops.h"

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
done(void *arg, struct tk_request *req, const struct tk_response *res,
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

static void
usage(void)
{
	fputs("usage: tasker-fcgi [-c FILE] [-l LOGFILE]\n"
	    "Run under spawn-fcgi or mod_fcgid (listening socket on fd 0).\n",
	    stderr);
}

int
main(int argc, char **argv)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_app app;
	struct sigaction sa;
	struct tk_fcgi_handler h;
	const char *cfg_path = NULL, *log_path = NULL;
	int c, fd, rc = 1;

	while ((c = getopt(argc, argv, "c:l:h")) != -1) {
		switch (c) {
		case 'c':
			cfg_path = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (log_path != NULL) {
		fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
			perror(log_path);
			return 1;
		}
		if (fd != STDERR_FILENO)
			close(fd);
	}
	memset(&app, 0, sizeof(app));
	if (tk_config_load(tk_config_find(cfg_path), &cfg, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-fcgi: ");
		goto out;
	}
	tk_log_setup("tasker-fcgi", (enum tk_log_level)cfg.log.level,
	    (enum tk_log_format)cfg.log.format,
	    (enum tk_log_dest)cfg.log.destination);
	if (tk_auth_init(&cfg.auth, &app.auth, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-fcgi: ");
		goto out;
	}
	if (tk_db_new(&cfg.db, &app.db) != TK_OK)
		goto out;
	app.cfg = &cfg;
	if (tk_ops_init(&cfg) != TK_OK)
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!tk_fcgi_is_listener()) {
		fputs("tasker-fcgi: fd 0 is not a FastCGI listening socket\n",
		    stderr);
		usage();
		goto out;
	}
	memset(&h, 0, sizeof(h));
	h.serve = serve;
	h.done = done;
	h.arg = &app;
	h.prefix = cfg.api.mount_prefix;
	h.max_body = cfg.api.max_body_bytes;
	tk_log(TK_LOG_INFO, "event=start");
	if (tk_fcgi_run(0, &h, &stopping) < 0)
		goto out;
	tk_log(TK_LOG_INFO, "event=stop");
	rc = 0;
out:
	tk_ops_free();
	tk_diag_free(&d);
	tk_catalog_free(app.catalog);
	tk_db_free(app.db);
	tk_auth_free(app.auth);
	tk_config_free(&cfg);
	return rc;
}
