/*
 * request.c - filling a request from a CGI environment: request ids,
 * method, the headers tasker reads, Content-Type and Content-Length.
 *
 * The request borrows the environment's strings (FastCGI keeps them
 * until the next accept) and owns what it decodes from them.
 */
#include "tasker/http.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "tasker/hex.h"

#include "internal.h"

/* ------------------------------------------------------------ Lifetime */

void
tk_request_init(struct tk_request *req)
{
	memset(req, 0, sizeof(*req));
}

void
tk_request_free(struct tk_request *req)
{
	void *app = req->app;

	tk_path_free(&req->path);
	tk_query_free(&req->query);
	tk_request_init(req);
	req->app = app;
}

void
tk_request_errorf(struct tk_request *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->error, sizeof(req->error), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------- Environment */

const char *
tk_request_env(const struct tk_request *req, const char *name)
{
	char *const *e;
	size_t n = strlen(name);

	if (req->envp == NULL)
		return NULL;
	for (e = req->envp; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *
tk_request_param(const struct tk_request *req, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < req->nparam; i++)
		if (req->param[i].namelen == n &&
		    memcmp(req->param[i].name, name, n) == 0)
			return req->param[i].value;
	return NULL;
}

int
tk_http_method_valid(const char *m)
{
	size_t i;

	if (m == NULL)
		return 0;
	for (i = 0; m[i] != '\0'; i++)
		if (i == 16 || m[i] < 'A' || m[i] > 'Z')
			return 0;
	return i > 0;
}

/*
 * The variables a request reads, found in one pass over the environment
 * (a FastCGI request has some thirty; looking each name up in turn was a
 * dozen passes).  The first occurrence of a name wins, as in
 * tk_request_env().
 */
enum env_slot {
	ENV_METHOD, ENV_CONTENT_TYPE, ENV_CONTENT_LENGTH, ENV_AUTHORIZATION,
	ENV_IF_NONE_MATCH, ENV_IDEMPOTENCY_KEY, ENV_REMOTE_USER,
	ENV_REMOTE_ADDR, ENV_REQUEST_ID, ENV_REQUEST_URI, ENV_SCRIPT_NAME,
	ENV_PATH_INFO, ENV_QUERY_STRING, ENV_NSLOTS
};

static const char *const env_names[ENV_NSLOTS] = {
	"REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH",
	"HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IDEMPOTENCY_KEY",
	"REMOTE_USER", "REMOTE_ADDR", "HTTP_X_REQUEST_ID", "REQUEST_URI",
	"SCRIPT_NAME", "PATH_INFO", "QUERY_STRING"
};

static void
env_scan(char *const *envp, const char *v[ENV_NSLOTS])
{
	char *const *e;
	const char *eq;
	size_t n, i;

	for (i = 0; i < ENV_NSLOTS; i++)
		v[i] = NULL;
	for (e = envp; e != NULL && *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL)
			continue;
		n = (size_t)(eq - *e);
		for (i = 0; i < ENV_NSLOTS; i++)
			if (v[i] == NULL && strncmp(env_names[i], *e, n) == 0 &&
			    env_names[i][n] == '\0') {
				v[i] = eq + 1;
				break;
			}
	}
}

tk_err
tk_request_from_env(struct tk_request *req, char *const *envp,
    const char *prefix)
{
	const char *v[ENV_NSLOTS], *uri, *qs;
	tk_err e;

	tk_path_free(&req->path);
	tk_query_free(&req->query);
	req->envp = envp;
	env_scan(envp, v);
	req->method = v[ENV_METHOD];
	req->content_type = v[ENV_CONTENT_TYPE];
	req->content_length = v[ENV_CONTENT_LENGTH];
	req->authorization = v[ENV_AUTHORIZATION];
	req->if_none_match = v[ENV_IF_NONE_MATCH];
	req->idempotency_key = v[ENV_IDEMPOTENCY_KEY];
	req->remote_user = v[ENV_REMOTE_USER];
	if (req->remote_user != NULL && req->remote_user[0] == '\0')
		req->remote_user = NULL;    /* nginx sends "" when unset */
	req->remote_addr = v[ENV_REMOTE_ADDR];

	if ((e = tk_request_set_id(req, v[ENV_REQUEST_ID])) != TK_OK)
		return e;
	if (!tk_http_method_valid(req->method)) {
		tk_request_errorf(req, "missing or invalid request method");
		return TK_ERR_BAD_REQUEST;
	}
	uri = v[ENV_REQUEST_URI];
	if ((e = tk_path_extract(&req->path, prefix, uri, v[ENV_SCRIPT_NAME],
	    v[ENV_PATH_INFO],
	    req->error, sizeof(req->error))) != TK_OK)
		return e;
	/* Servers send QUERY_STRING; should one not, take it from the URI. */
	if ((qs = v[ENV_QUERY_STRING]) == NULL &&
	    uri != NULL && (qs = strchr(uri, '?')) != NULL)
		qs++;
	return tk_query_parse(&req->query, qs, req->error,
	    sizeof(req->error));
}

/* --------------------------------------------------------- Request ids */

int
tk_request_id_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == TK_REQUEST_ID_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("._:-", s[i])))
			return 0;
	}
	return i > 0;
}

/* Fills p with n random bytes: getrandom(2), else /dev/urandom. */
static int
random_bytes(unsigned char *p, size_t n)
{
	size_t got = 0;
	ssize_t r;
	int fd;

	while (got < n) {
		r = getrandom(p + got, n - got, 0);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0 || errno != EINTR)
			break;
	}
	if (got == n)
		return 0;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (got < n) {
		r = read(fd, p + got, n - got);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0 || errno != EINTR)
			break;
	}
	close(fd);
	return got == n ? 0 : -1;
}

/*
 * Request ids come from a per-process pool of random bytes refilled 512
 * bytes at a time: one getrandom(2) per 32 requests instead of one per
 * request.  The ids are correlation handles, not secrets.  A forked child
 * drops what it inherited so two processes never hand out the same id.
 */
static unsigned char id_pool[512];
static size_t id_pool_left;

static void
id_pool_forget(void)
{
	id_pool_left = 0;
}

static int
id_random(unsigned char r[16])
{
	static int registered;

	if (!registered) {
		registered = 1;
		(void)pthread_atfork(NULL, NULL, id_pool_forget);
	}
	if (id_pool_left < 16) {
		if (random_bytes(id_pool, sizeof(id_pool)) != 0)
			return -1;
		id_pool_left = sizeof(id_pool);
	}
	memcpy(r, id_pool + sizeof(id_pool) - id_pool_left, 16);
	id_pool_left -= 16;
	return 0;
}

tk_err
tk_request_id_generate(char out[33])
{
	unsigned char r[16];

	if (id_random(r) != 0) {
		strcpy(out, "-");
		return TK_ERR_IO;
	}
	tk_hex_encode(out, r, sizeof(r));
	return TK_OK;
}

tk_err
tk_request_set_id(struct tk_request *req, const char *given)
{
	if (tk_request_id_valid(given)) {
		memcpy(req->request_id, given, strlen(given) + 1);
		return TK_OK;
	}
	return tk_request_id_generate(req->request_id);
}

/* -------------------------------------------------------- Content-Type */

/* See internal.h. */
const char *
http_skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* RFC 9110 tchar (see internal.h). */
int
http_is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Reads one media type parameter "name=value" or "name=\"value\"" at *s.
 * Returns 0 when malformed or when it is a charset other than utf-8.
 */
static int
json_param_ok(const char **sp)
{
	const char *s = *sp, *name, *val;
	size_t nlen, vlen;

	for (name = s; http_is_tchar(*s); s++)
		continue;
	if ((nlen = (size_t)(s - name)) == 0 || *s++ != '=')
		return 0;
	if (*s == '"') {
		for (val = ++s; *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '\0' || (unsigned char)*s < 0x20)
				return 0;
		}
		vlen = (size_t)(s++ - val);
	} else {
		for (val = s; http_is_tchar(*s); s++)
			continue;
		if ((vlen = (size_t)(s - val)) == 0)
			return 0;
	}
	if (nlen == 7 && strncasecmp(name, "charset", 7) == 0 &&
	    !(vlen == 5 && strncasecmp(val, "utf-8", 5) == 0))
		return 0;
	*sp = s;
	return 1;
}

int
tk_content_type_is_json(const char *ct)
{
	const char *s;

	if (ct == NULL)
		return 0;
	s = http_skip_ows(ct);
	if (strncasecmp(s, "application/json", 16) != 0)
		return 0;
	s = http_skip_ows(s + 16);
	while (*s == ';') {
		s = http_skip_ows(s + 1);
		if (*s == '\0')
			break;
		if (!json_param_ok(&s))
			return 0;
		s = http_skip_ows(s);
	}
	return *s == '\0';
}

/* ------------------------------------------------------ Content-Length */

enum tk_clen
tk_content_length_parse(const char *s, size_t limit, size_t *out)
{
	size_t n = 0, i;
	unsigned d;
	int over = 0;

	if (s == NULL || s[0] == '\0')
		return TK_CLEN_ABSENT;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return TK_CLEN_INVALID;
	for (i = 0; s[i] != '\0' && !over; i++) {
		d = (unsigned)(s[i] - '0');
		if (d > limit || n > (limit - d) / 10)
			over = 1;
		else
			n = n * 10 + d;
	}
	if (over)
		return TK_CLEN_TOO_LARGE;
	*out = n;
	return TK_CLEN_OK;
}
