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
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "tasker/api.h"
#include "tasker/log.h"
#include "tasker/ops.h"

static volatile sig_atomic_t stopping;

/*
 * SIGTERM/SIGINT/SIGUSR1: finish the request in hand, then leave through
 * main's cleanup (so log lines are written and sanitizers see the exit).
 * Idle in accept(2): the signal (installed without SA_RESTART) interrupts
 * it and FCGX_ShutdownPending() makes libfcgi give up instead of retrying.
 */
static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Reads the body announced by CONTENT_LENGTH, within the configured cap. */
static tk_err
read_body(FCGX_Request *rq, struct tk_request *req, size_t limit, char **out)
{
	size_t len = 0;
	char *buf;
	int n;

	switch (tk_content_length_parse(req->content_length, limit, &len)) {
	case TK_CLEN_ABSENT:
		return TK_OK;
	case TK_CLEN_INVALID:
		tk_request_errorf(req, "Content-Length is not a number");
		return TK_ERR_BAD_REQUEST;
	case TK_CLEN_TOO_LARGE:
		tk_request_errorf(req, "Request body is larger than %zu bytes",
		    limit);
		return TK_ERR_PAYLOAD_TOO_LARGE;
	case TK_CLEN_OK:
		break;
	}
	if (len == 0)
		return TK_OK;
	if ((buf = malloc(len + 1)) == NULL)
		return TK_ERR_NOMEM;
	n = FCGX_GetStr(buf, (int)len, rq->in);
	if (n < 0 || (size_t)n != len) {
		free(buf);
		tk_request_errorf(req, "Request body is shorter than Content-Length");
		return TK_ERR_BAD_REQUEST;
	}
	buf[len] = '\0';
	req->body = buf;
	req->body_len = len;
	*out = buf;
	return TK_OK;
}

static void
write_response(FCGX_Request *rq, struct tk_request *req,
    struct tk_response *res)
{
	struct tk_buf head = TK_BUF_INIT;

	if (req->request_id[0] != '\0')
		(void)tk_response_set_header(res, "X-Request-Id", req->request_id);
	if (tk_response_head(res, &head) != TK_OK) {
		tk_buf_reset(&head);
		tk_buf_puts(&head, "Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/json; charset=utf-8\r\n\r\n");
	}
	FCGX_PutStr(head.data, (int)head.len, rq->out);
	if (tk_response_body_allowed(res, req->method) && res->body.len > 0)
		FCGX_PutStr(res->body.data, (int)res->body.len, rq->out);
	tk_buf_free(&head);
}

static void
handle(struct tk_app *app, FCGX_Request *rq)
{
	struct tk_request req;
	struct tk_response res;
	char *body = NULL, q[300];
	long long t0 = now_us(), us;
	tk_err e;

	tk_request_init(&req);
	tk_response_init(&res);
	e = tk_request_from_env(&req, rq->envp, app->cfg->api.mount_prefix);
	if (e == TK_OK)
		e = read_body(rq, &req, app->cfg->api.max_body_bytes, &body);
	if (e == TK_OK)
		tk_api_dispatch(app, &req, &res);
	else
		tk_api_error(&res, e, req.error[0] ? req.error : NULL, NULL);
	write_response(rq, &req, &res);
	us = now_us() - t0;
	tk_ops_record(&req, res.status, us);
	tk_log(TK_LOG_INFO, "event=request request_id=%s method=%s route=%s "
	    "status=%d duration_ms=%lld.%03lld principal=%s",
	    req.request_id[0] ? req.request_id : "-",
	    req.method ? req.method : "-",
	    req.route ? req.route->name : "-", res.status,
	    us / 1000, us % 1000,	/* integer: no floating-point printf */
	    tk_log_quote(q, sizeof(q), app->principal.subject ?
	    app->principal.subject : "-"));
	tk_principal_free(&app->principal);
	tk_response_free(&res);
	tk_request_free(&req);
	free(body);
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
	FCGX_Request rq;
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

	if (FCGX_IsCGI()) {
		fputs("tasker-fcgi: fd 0 is not a FastCGI listening socket\n",
		    stderr);
		usage();
		goto out;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0)
		goto out;
	tk_log(TK_LOG_INFO, "event=start");
	while (!stopping) {
		if (FCGX_Accept_r(&rq) < 0)
			break;
		handle(&app, &rq);
		FCGX_Finish_r(&rq);
	}
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
