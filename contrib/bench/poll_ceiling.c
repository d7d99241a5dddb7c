/*
 * poll_ceiling.c - the ceiling of a polling loop with If-None-Match on
 * GET /tasks/{id}: a FastCGI responder (libfcgi) that does one
 * primary-key lookup of the task (a prepared statement, the columns
 * tasker's 304 path reads) and answers 304 when the request's tag is the
 * task's, else 200 with the tag and an empty object.
 *
 *   poll_ceiling -S SOCKET -u USER [-p PASSWORD_FILE] [-D DB]
 *       [-t PENDING:IN_PROGRESS:ERROR]
 *
 * Run under spawn-fcgi (one connection per process, made before the
 * first request).  The tag is tasker's ("t1-<row_version>-d0s<stale>",
 * stale from the status and updated_at read against the api.stale_after
 * seconds, -t, tasker's defaults 3600:21600:0); the comparison is byte
 * for byte, the request's If-None-Match being the tag the bench sends.
 * Nothing else: no auth, no scope check, no log line: what tasker could
 * not do with less.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

static const char SQL_HEAD[] =
    "SELECT namespace, created_by, status, updated_at, row_version"
    " FROM tasks WHERE id = ?";

/* api.stale_after of pending, in_progress, error (0: never stale). */
static long stale_after[3] = { 3600, 21600, 0 };

struct lookup {
	MYSQL         *m;
	MYSQL_STMT    *st;
	unsigned char  id[16];
	unsigned long  idlen;
	char           ns[65], by[257], status[24];
	MYSQL_TIME     at;
	unsigned long long version;
	unsigned long  lens[4];
	MYSQL_BIND     in, out[5];
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The UUID after the last '/' of uri (up to '?') into id; 0 when none. */
static int
uuid_of(const char *uri, unsigned char id[16])
{
	const char *s = strrchr(uri, '/');
	int i = 0, hi, lo;

	if (s == NULL)
		return 0;
	for (s++; *s != '\0' && *s != '?' && i < 16; ) {
		if (*s == '-') {
			s++;
			continue;
		}
		if ((hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0)
			return 0;
		id[i++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return i == 16;
}

static int
prepare(struct lookup *l)
{
	memset(&l->in, 0, sizeof(l->in));
	memset(l->out, 0, sizeof(l->out));
	l->in.buffer_type = MYSQL_TYPE_BLOB;
	l->in.buffer = l->id;
	l->in.length = &l->idlen;
	l->idlen = 16;
	l->out[0].buffer_type = MYSQL_TYPE_STRING;
	l->out[0].buffer = l->ns;
	l->out[0].buffer_length = sizeof(l->ns);
	l->out[0].length = &l->lens[0];
	l->out[1].buffer_type = MYSQL_TYPE_STRING;
	l->out[1].buffer = l->by;
	l->out[1].buffer_length = sizeof(l->by);
	l->out[1].length = &l->lens[1];
	l->out[2].buffer_type = MYSQL_TYPE_STRING;
	l->out[2].buffer = l->status;
	l->out[2].buffer_length = sizeof(l->status);
	l->out[2].length = &l->lens[2];
	l->out[3].buffer_type = MYSQL_TYPE_DATETIME;
	l->out[3].buffer = &l->at;
	l->out[4].buffer_type = MYSQL_TYPE_LONGLONG;
	l->out[4].buffer = &l->version;
	l->out[4].is_unsigned = 1;
	if ((l->st = mysql_stmt_init(l->m)) == NULL ||
	    mysql_stmt_prepare(l->st, SQL_HEAD, strlen(SQL_HEAD)) != 0 ||
	    mysql_stmt_bind_param(l->st, &l->in) != 0 ||
	    mysql_stmt_bind_result(l->st, l->out) != 0) {
		fprintf(stderr, "poll_ceiling: prepare: %s\n",
		    mysql_error(l->m));
		return -1;
	}
	return 0;
}

/* 1 with l->version when the task exists, 0 when not, -1 on error. */
static int
lookup(struct lookup *l)
{
	int r;

	if (mysql_stmt_execute(l->st) != 0)
		return -1;
	r = mysql_stmt_fetch(l->st);
	mysql_stmt_free_result(l->st);
	return r == 0 || r == MYSQL_DATA_TRUNCATED ? 1 :
	    r == MYSQL_NO_DATA ? 0 : -1;
}

/* Whether the task just read is stale (tk_task_stale). */
static int
stale(const struct lookup *l)
{
	static const char *const names[3] = { "pending", "in_progress",
	    "error" };
	struct tm tm;
	int i;

	for (i = 0; i < 3; i++)
		if (l->lens[2] == strlen(names[i]) &&
		    memcmp(l->status, names[i], l->lens[2]) == 0)
			break;
	if (i == 3 || stale_after[i] == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)l->at.year - 1900;
	tm.tm_mon = (int)l->at.month - 1;
	tm.tm_mday = (int)l->at.day;
	tm.tm_hour = (int)l->at.hour;
	tm.tm_min = (int)l->at.minute;
	tm.tm_sec = (int)l->at.second;
	return time(NULL) - timegm(&tm) > (time_t)stale_after[i];
}

static void
answer(FCGX_Request *rq, struct lookup *l)
{
	const char *uri = FCGX_GetParam("REQUEST_URI", rq->envp);
	const char *inm = FCGX_GetParam("HTTP_IF_NONE_MATCH", rq->envp);
	char tag[48];
	int r;

	if (uri == NULL || !uuid_of(uri, l->id) || (r = lookup(l)) == 0) {
		FCGX_FPrintF(rq->out, "Status: 404 Not Found\r\n"
		    "Content-Type: application/json\r\n\r\n{}");
		return;
	}
	if (r < 0) {
		FCGX_FPrintF(rq->out, "Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/json\r\n\r\n{}");
		return;
	}
	snprintf(tag, sizeof(tag), "\"t1-%llu-d0s%d\"", l->version, stale(l));
	if (inm != NULL && strcmp(inm, tag) == 0)
		FCGX_FPrintF(rq->out, "Status: 304 Not Modified\r\n"
		    "ETag: %s\r\n\r\n", tag);
	else
		FCGX_FPrintF(rq->out, "Status: 200 OK\r\nETag: %s\r\n"
		    "Content-Type: application/json\r\n\r\n{}", tag);
}

static char *
read_password(const char *path)
{
	static char buf[256];
	FILE *f;
	size_t n;

	if (path == NULL)
		return NULL;
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return buf;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *user = NULL, *passfile = NULL,
	    *dbname = "tasker";
	struct lookup l;
	FCGX_Request rq;
	int c;

	while ((c = getopt(argc, argv, "S:u:p:D:t:")) != -1)
		switch (c) {
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': passfile = optarg; break;
		case 'D': dbname = optarg; break;
		case 't':
			if (sscanf(optarg, "%ld:%ld:%ld", &stale_after[0],
			    &stale_after[1], &stale_after[2]) == 3)
				break;
			/* FALLTHROUGH */
		default:
			fprintf(stderr, "usage: poll_ceiling -S SOCKET -u USER "
			    "[-p PASSWORD_FILE] [-D DB] [-t PENDING:IN_PROGRESS:"
			    "ERROR]\n");
			return 2;
		}
	memset(&l, 0, sizeof(l));
	if ((l.m = mysql_init(NULL)) == NULL ||
	    mysql_real_connect(l.m, NULL, user, read_password(passfile),
	    dbname, 0, sock, 0) == NULL) {
		fprintf(stderr, "poll_ceiling: connect: %s\n",
		    l.m != NULL ? mysql_error(l.m) : "no memory");
		return 1;
	}
	if (prepare(&l) != 0 || FCGX_Init() != 0 ||
	    FCGX_InitRequest(&rq, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&rq) >= 0) {
		answer(&rq, &l);
		FCGX_Finish_r(&rq);
	}
	mysql_stmt_close(l.st);
	mysql_close(l.m);
	return 0;
}
