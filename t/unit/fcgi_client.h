/*
 * fcgi_client.h - a small FastCGI client for the tests, after kcgi's
 * regression harness: it starts the real tasker-fcgi (the program the
 * build made, with a private configuration and no database) on a
 * listening unix socket of its own, and speaks FastCGI records to it, so
 * HTTP-layer cases (framing, headers, body limits) run in milliseconds
 * without nginx.
 *
 * libfcgi accepts on a listening socket (fd 0, as spawn-fcgi hands it),
 * so the server gets one in a private folder, not a socketpair.
 */
#ifndef TASKER_TEST_FCGI_CLIENT_H
#define TASKER_TEST_FCGI_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include "tasker/buf.h"

struct fc_server {
	pid_t pid;
	char  dir[64];      /* private folder: config, socket, log */
	char  sock[128];
	char  log[128];
};

/*
 * Writes "<dir>/tasker.yaml" from extra_yaml (appended to a base config:
 * JWT with the fixture HS256 key, no database) and starts tasker-fcgi on
 * "<dir>/fcgi.sock".  0, or -1 with a message on stderr.
 */
int  fc_server_start(struct fc_server *s, const char *extra_yaml);
/* SIGTERM, then waits; returns the wait status (or -1). */
int  fc_server_stop(struct fc_server *s);

/* One request: params are "NAME=VALUE" strings (NULL-ended).  chunk
 * bounds the content of each PARAMS and STDIN record (0: 65535).  keep
 * sets FCGI_KEEP_CONN. */
struct fc_req {
	const char *const *params;
	const char        *body;
	size_t             body_len;
	size_t             chunk;
	unsigned           id;      /* 0: 1 */
	int                keep;
};

struct fc_resp {
	struct tk_buf out;       /* every FCGI_STDOUT byte */
	int           status;    /* from "Status:", 200 without one */
	const char   *body;      /* into out, after the blank line */
	size_t        body_len;
	int           ended;     /* FCGI_END_REQUEST seen */
};

/* A connection to s with a 30 s read limit; -1 on failure. */
int  fc_connect(const struct fc_server *s);
/* Sends one request's records; 0 or -1. */
int  fc_send(int fd, const struct fc_req *r);
/* Reads records of request id until FCGI_END_REQUEST or EOF; 0 or -1. */
int  fc_recv(int fd, unsigned id, struct fc_resp *out);
/* connect, send, recv, close. */
int  fc_roundtrip(const struct fc_server *s, const struct fc_req *r,
    struct fc_resp *out);
/* A header of the answer (case-insensitive name) into buf, or NULL. */
const char *fc_header(const struct fc_resp *r, const char *name, char *buf,
    size_t bufsz);
void fc_resp_free(struct fc_resp *r);
/* Writes raw bytes to fd (for malformed records). */
int  fc_write_all(int fd, const void *p, size_t n);

#endif
