/*
 * fcgi.h - the FastCGI transport of tasker-fcgi (libfcgi's FCGX API):
 * accepts one connection at a time on a listening socket (fd 0 from
 * spawn-fcgi or mod_fcgid), makes each request a struct tk_request with
 * its body read within the configured cap, lets the caller fill the
 * response, and writes it.  Nothing else includes fcgiapp.h.
 *
 *	struct tk_fcgi_handler h = { serve, done, app, prefix, max_body };
 *	tk_fcgi_run(0, &h, &stopping);
 */
#ifndef TASKER_FCGI_H
#define TASKER_FCGI_H

#include <signal.h>
#include <stddef.h>

#include "tasker/error.h"
#include "tasker/http.h"

struct tk_fcgi_handler {
	/*
	 * Fills res for req.  e is TK_OK, or why the request could not be
	 * read (a malformed path, query or Content-Length, a body over
	 * max_body or shorter than announced); req->error then says more.
	 */
	void       (*serve)(void *arg, struct tk_request *req,
	                struct tk_response *res, tk_err e);
	/* After the answer went out (may be NULL): us is the time taken. */
	void       (*done)(void *arg, struct tk_request *req,
	                const struct tk_response *res, long long us);
	void        *arg;
	const char  *prefix;     /* the mount prefix (api.mount_prefix) */
	size_t       max_body;   /* bytes (api.max_body_bytes) */
};

/* 1 when fd 0 is a listening socket (not run as CGI from a shell). */
int    tk_fcgi_is_listener(void);

/*
 * Serves requests on listen_fd until *stop is set (checked between
 * requests) or accepting fails; -1 when libfcgi cannot start.  A signal
 * handler that sets *stop also calls tk_fcgi_shutdown_pending(), so an
 * idle accept gives up instead of retrying.
 */
int    tk_fcgi_run(int listen_fd, const struct tk_fcgi_handler *h,
    volatile sig_atomic_t *stop);

/* Async-signal-safe: makes a blocked accept return (see above). */
void   tk_fcgi_shutdown_pending(void);

#endif
