/*
 * fcgi.c - the FastCGI transport (see fcgi.h).
 *
 * libfcgi does not enforce CONTENT_LENGTH: the body is read only after
 * the announced length passed tk_content_length_parse(), so a client
 * cannot make us allocate more than max_body + 1 bytes.  Strings of the
 * FCGX request (its envp) die at the next accept: the request and its
 * answer are finished before that.
 */
#include "tasker/fcgi.h"

#include <poll.h>
#include <stdlib.h>

#include <fcgiapp.h>

#include "tasker/clock.h"
#include "tasker/log.h"

/*
 * Reads the body announced by CONTENT_LENGTH, within limit, into a
 * buffer that *out owns (NULL without a body); req->body borrows it.
 */
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
		tk_request_errorf(req, "Request body is shorter than "
		    "Content-Length");
		return TK_ERR_BAD_REQUEST;
	}
	buf[len] = '\0';
	req->body = buf;
	req->body_len = len;
	*out = buf;
	return TK_OK;
}

/* The head (with X-Request-Id), then the body when the method has one. */
static void
write_response(FCGX_Request *rq, const struct tk_request *req,
    struct tk_response *res)
{
	struct tk_buf head = TK_BUF_INIT;

	if (req->request_id[0] != '\0')
		(void)tk_response_set_header(res, "X-Request-Id",
		    req->request_id);
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
handle(const struct tk_fcgi_handler *h, FCGX_Request *rq)
{
	struct tk_request req;
	struct tk_response res;
	char *body = NULL;
	long long t0 = tk_now_us();
	tk_err e;

	tk_request_init(&req);
	tk_response_init(&res);
	req.app = h->arg;
	e = tk_request_from_env(&req, rq->envp, h->prefix);
	if (e == TK_OK)
		e = read_body(rq, &req, h->max_body, &body);
	h->serve(h->arg, &req, &res, e);
	write_response(rq, &req, &res);
	if (h->done != NULL)
		h->done(h->arg, &req, &res, tk_now_us() - t0);
	tk_response_free(&res);
	tk_request_free(&req);
	free(body);
}

int
tk_fcgi_is_listener(void)
{
	return !FCGX_IsCGI();
}

void
tk_fcgi_shutdown_pending(void)
{
	FCGX_ShutdownPending();
}

/*
 * Before waiting for the next request: the held log lines (tk_log_hold)
 * go out now unless a request is already waiting - on the connection
 * kept open (fastcgi_keep_conn) or, without one, on the listening
 * socket - in which case they go with a later flush (the buffer is
 * small, and the first moment no request waits writes it).  The socket is
 * shared with the other processes: one may take the connection this one
 * saw, and then this one's lines wait for its next request or its exit.
 */
static void
flush_when_idle(const FCGX_Request *rq)
{
	struct pollfd p;

	p.fd = rq->ipcFd >= 0 ? rq->ipcFd : rq->listen_sock;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0)
		tk_log_flush();
}

int
tk_fcgi_run(int listen_fd, const struct tk_fcgi_handler *h,
    volatile sig_atomic_t *stop)
{
	FCGX_Request rq;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, listen_fd, 0) != 0)
		return -1;
	while (!*stop) {
		flush_when_idle(&rq);
		if (FCGX_Accept_r(&rq) < 0)
			break;
		handle(h, &rq);
		FCGX_Finish_r(&rq);
	}
	return 0;
}
