/*
 * fcgi_client.c - a FastCGI client and a real tasker-fcgi to talk to
 * (see fcgi_client.h).  Records as in the FastCGI 1.0 specification:
 * an 8-byte header (version, type, request id, content length, padding
 * length, reserved), then content and padding.
 */
#include "fcgi_client.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "testlib.h"

#define T_BEGIN   1
#define T_END     3
#define T_PARAMS  4
#define T_STDIN   5
#define T_STDOUT  6
#define REC_MAX   65535

int
fc_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A unix socket address for path; -1 when it does not fit. */
static int
unix_addr(struct sockaddr_un *a, const char *path)
{
	size_t n = strlen(path);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (n >= sizeof(a->sun_path))
		return -1;
	memcpy(a->sun_path, path, n + 1);
	return 0;
}

static int
record(int fd, int type, unsigned id, const void *p, size_t n)
{
	unsigned char h[8];

	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(n >> 8);
	h[5] = (unsigned char)n;
	h[6] = h[7] = 0;
	if (fc_write_all(fd, h, 8) < 0)
		return -1;
	return n > 0 ? fc_write_all(fd, p, n) : 0;
}

/* A stream: data in records of at most chunk bytes, then an empty one. */
static int
stream(int fd, int type, unsigned id, const char *p, size_t n, size_t chunk)
{
	size_t k;

	while (n > 0) {
		k = n < chunk ? n : chunk;
		if (record(fd, type, id, p, k) < 0)
			return -1;
		p += k;
		n -= k;
	}
	return record(fd, type, id, NULL, 0);
}

static void
put_len(struct tk_buf *b, size_t n)
{
	if (n < 128) {
		tk_buf_putc(b, (char)n);
		return;
	}
	tk_buf_putc(b, (char)(0x80 | (n >> 24)));
	tk_buf_putc(b, (char)(n >> 16));
	tk_buf_putc(b, (char)(n >> 8));
	tk_buf_putc(b, (char)n);
}

/* "NAME=VALUE" strings as FastCGI name-value pairs. */
static void
encode_params(struct tk_buf *b, const char *const *params)
{
	const char *eq;
	size_t nl;

	for (; params != NULL && *params != NULL; params++) {
		eq = strchr(*params, '=');
		nl = eq != NULL ? (size_t)(eq - *params) : strlen(*params);
		put_len(b, nl);
		put_len(b, eq != NULL ? strlen(eq + 1) : 0);
		tk_buf_append(b, *params, nl);
		if (eq != NULL)
			tk_buf_puts(b, eq + 1);
	}
}

int
fc_send(int fd, const struct fc_req *r)
{
	unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	struct tk_buf pb = TK_BUF_INIT;
	size_t chunk = r->chunk ? r->chunk : REC_MAX;
	unsigned id = r->id ? r->id : 1;
	int rc = -1;

	begin[2] = r->keep ? 1 : 0;
	encode_params(&pb, r->params);
	if (pb.failed || record(fd, T_BEGIN, id, begin, 8) < 0 ||
	    stream(fd, T_PARAMS, id, pb.data, pb.len, chunk) < 0 ||
	    stream(fd, T_STDIN, id, r->body, r->body_len, chunk) < 0)
		goto out;
	rc = 0;
out:
	tk_buf_free(&pb);
	return rc;
}

static int
read_full(int fd, void *p, size_t n)
{
	char *c = p;
	ssize_t got;

	while (n > 0) {
		if ((got = read(fd, c, n)) < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		c += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Status and body from the CGI-style head of out. */
static void
parse_head(struct fc_resp *r)
{
	const char *s = tk_buf_str(&r->out), *end;

	r->status = 200;
	if ((end = strstr(s, "\r\n\r\n")) == NULL)
		return;
	r->body = end + 4;
	r->body_len = r->out.len - (size_t)(r->body - s);
	if (strncmp(s, "Status: ", 8) == 0)
		r->status = atoi(s + 8);
}

int
fc_recv(int fd, unsigned id, struct fc_resp *out)
{
	unsigned char h[8], buf[REC_MAX + 255];
	size_t n;

	memset(out, 0, sizeof(*out));
	tk_buf_init(&out->out);
	id = id ? id : 1;
	while (!out->ended && read_full(fd, h, 8) == 0) {
		n = (size_t)h[4] << 8 | h[5];
		if (read_full(fd, buf, n + h[6]) < 0)
			return -1;
		if (((unsigned)h[2] << 8 | h[3]) != id)
			continue;
		if (h[1] == T_STDOUT)
			tk_buf_append(&out->out, buf, n);
		else if (h[1] == T_END)
			out->ended = 1;
	}
	parse_head(out);
	return out->ended ? 0 : -1;
}

int
fc_connect(const struct fc_server *s)
{
	struct sockaddr_un a;
	struct timeval tv = { 30, 0 };
	int fd;

	if (unix_addr(&a, s->sock) < 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
fc_roundtrip(const struct fc_server *s, const struct fc_req *r,
    struct fc_resp *out)
{
	int fd, rc = -1;

	memset(out, 0, sizeof(*out));
	tk_buf_init(&out->out);
	if ((fd = fc_connect(s)) < 0)
		return -1;
	if (fc_send(fd, r) == 0)
		rc = fc_recv(fd, r->id, out);
	close(fd);
	return rc;
}

const char *
fc_header(const struct fc_resp *r, const char *name, char *buf, size_t bufsz)
{
	const char *p = tk_buf_str(&r->out), *eol, *v;
	size_t nl = strlen(name);

	while ((eol = strstr(p, "\r\n")) != NULL && eol != p) {
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			for (v = p + nl + 1; *v == ' '; v++)
				;
			snprintf(buf, bufsz, "%.*s", (int)(eol - v), v);
			return buf;
		}
		p = eol + 2;
	}
	return NULL;
}

void
fc_resp_free(struct fc_resp *r)
{
	tk_buf_free(&r->out);
	memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------- server */

static int
write_config(const struct fc_server *s, const char *extra)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tasker.yaml", s->dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "run_dir: %s\nmigrations_dir: %s/db/migrations\n"
	    "database:\n  socket: %s/no.sock\n  connect_timeout: 1\n"
	    "logging:\n  level: debug\n"
	    "auth:\n  mode: jwt\n  algorithms: [HS256]\n  keys:\n"
	    "    - algorithm: HS256\n      key_file: %s\n"
	    "      signing_key_file: %s\n%s",
	    s->dir, TK_TEST_TOPSRC, s->dir, tk_fixture("auth/hs256.secret"),
	    tk_fixture("auth/hs256.secret"), extra ? extra : "");
	return fclose(f) == 0 ? 0 : -1;
}

static int
listener(const char *path)
{
	struct sockaddr_un a;
	int fd;

	if (unix_addr(&a, path) < 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
fc_server_start(struct fc_server *s, const char *extra_yaml)
{
	char conf[160];
	int lfd;

	memset(s, 0, sizeof(s[0]));
	snprintf(s->dir, sizeof(s->dir), "/tmp/tk-fcgi.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(s->sock, sizeof(s->sock), "%s/fcgi.sock", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/fcgi.log", s->dir);
	snprintf(conf, sizeof(conf), "%s/tasker.yaml", s->dir);
	if (write_config(s, extra_yaml) < 0 || (lfd = listener(s->sock)) < 0)
		return -1;
	if ((s->pid = fork()) < 0) {
		close(lfd);
		return -1;
	}
	if (s->pid == 0) {
		/* As spawn-fcgi does: the listening socket on fd 0. */
		if (dup2(lfd, 0) < 0)
			_exit(127);
		execl(TK_TEST_BUILDDIR "/tasker-fcgi", "tasker-fcgi", "-c",
		    conf, "-l", s->log, (char *)NULL);
		fprintf(stderr, "exec %s/tasker-fcgi: %s\n", TK_TEST_BUILDDIR,
		    strerror(errno));
		_exit(127);
	}
	close(lfd);
	return 0;
}

int
fc_server_stop(struct fc_server *s)
{
	char path[sizeof(s->dir) + 300];
	struct dirent *de;
	int status = -1;
	DIR *d;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		if (waitpid(s->pid, &status, 0) < 0)
			status = -1;
		s->pid = 0;
	}
	if (s->dir[0] == '\0' || (d = opendir(s->dir)) == NULL)
		return status;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(s->dir);
	return status;
}
