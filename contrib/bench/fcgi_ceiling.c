/*
 * fcgi_ceiling.c - the smallest useful FastCGI responder: the ceiling that
 * tasker-fcgi is measured against in contrib/bench/run.
 *
 * It does what any responder must do and nothing more: accept a request
 * with the FCGX_* API, find a canned answer by the last segment of the
 * request path, and write a CGI head and the bytes.  No parsing beyond
 * that, no database, no authentication.  So "tasker / ceiling" says what
 * tasker's own work costs on top of nginx + FastCGI on this machine.
 *
 *   fcgi_ceiling NAME=FILE [NAME=FILE ...]
 *
 * Each FILE is read once at start; a request whose path ends in "/NAME"
 * gets FILE's bytes as application/json, anything else 404.  Run under
 * spawn-fcgi (listening socket on fd 0), like tasker-fcgi.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#define MAX_ANSWERS 16

struct answer {
	const char *name;
	char       *head;   /* the CGI head, CRLF-terminated */
	size_t      headlen;
	char       *body;
	size_t      bodylen;
};

static struct answer answers[MAX_ANSWERS];
static size_t nanswers;

/* Reads a whole file; the caller frees *out. */
static int
slurp(const char *path, char **out, size_t *len)
{
	FILE *f;
	char *buf = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto err;
	if ((buf = malloc((size_t)n + 1)) == NULL)
		goto err;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto err;
	fclose(f);
	*out = buf;
	*len = (size_t)n;
	return 0;
err:
	free(buf);
	fclose(f);
	return -1;
}

static int
add_answer(char *arg)
{
	struct answer *a;
	char *eq, head[256];
	int n;

	if (nanswers == MAX_ANSWERS || (eq = strchr(arg, '=')) == NULL)
		return -1;
	*eq = '\0';
	a = &answers[nanswers];
	a->name = arg;
	if (slurp(eq + 1, &a->body, &a->bodylen) != 0) {
		perror(eq + 1);
		return -1;
	}
	n = snprintf(head, sizeof(head), "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n\r\n", a->bodylen);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    (a->head = strdup(head)) == NULL)
		return -1;
	a->headlen = (size_t)n;
	nanswers++;
	return 0;
}

static const struct answer *
find(const char *uri)
{
	const char *q, *last;
	size_t i, len;

	if (uri == NULL)
		return NULL;
	len = (q = strchr(uri, '?')) != NULL ? (size_t)(q - uri) : strlen(uri);
	for (last = uri + len; last > uri && last[-1] != '/'; last--)
		continue;
	len -= (size_t)(last - uri);
	for (i = 0; i < nanswers; i++)
		if (strlen(answers[i].name) == len &&
		    memcmp(answers[i].name, last, len) == 0)
			return &answers[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	static const char notfound[] = "Status: 404 Not Found\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	const struct answer *a;
	FCGX_Request rq;
	int i;

	for (i = 1; i < argc; i++)
		if (add_answer(argv[i]) != 0) {
			fprintf(stderr, "usage: fcgi_ceiling NAME=FILE ...\n");
			return 2;
		}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&rq) >= 0) {
		a = find(FCGX_GetParam("REQUEST_URI", rq.envp));
		if (a == NULL)
			FCGX_PutStr(notfound, (int)sizeof(notfound) - 1, rq.out);
		else {
			FCGX_PutStr(a->head, (int)a->headlen, rq.out);
			FCGX_PutStr(a->body, (int)a->bodylen, rq.out);
		}
		FCGX_Finish_r(&rq);
	}
	return 0;
}
