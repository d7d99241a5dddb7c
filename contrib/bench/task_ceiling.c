/*
 * task_ceiling.c - the ceiling of tasker's task reads: a FastCGI responder
 * (libfcgi + MariaDB Connector/C) that answers
 *
 *   GET /db/task/{id}          the body of tasker's GET /tasks/{id}
 *   GET /db/tasks?QUERY        the body of tasker's GET /tasks?QUERY, for
 *                              the filters contrib/bench/run walks through
 *                              (namespace, version, one status, page,
 *                              per_page)
 *
 * with the same bytes from the same rows, by one prepared statement per
 * answer (prepared once per process, the very statement text tasker
 * runs: same indexes, same plan) and snprintf into a buffer.  Nothing
 * else: no routing table, no authentication, no logging, no request id,
 * no validation beyond what keeps it from crashing.  What tasker spends
 * above this is tasker's own cost.
 *
 *   task_ceiling -S SOCKET -u USER [-p PASSWORD_FILE] [-D DB]
 *
 * (run under spawn-fcgi by contrib/bench/run).  The statements below are
 * copies of src/store/task_read.c's SQL_TASK_ALL and task_list.c's PLAIN
 * and MULTI lists: when those change, change these (the run compares the
 * two programs' answers byte for byte and says so when they differ).
 *
 * Stored JSON (context, results, tags) is copied as it is: the generated
 * rows are in json-c's printed form, which is what tasker copies too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

/* ---------------------------------------------------------------- statements */

#define TASK_COLS_ONCE                                                     \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, IF(s.position = 0, t.context, NULL), t.initiator,"     \
	" t.source_system, t.reason, IF(s.position = 0, t.tags, NULL),"    \
	" t.created_at, t.updated_at, t.completed_at, t.created_by"
#define STEP_COLS_S                                                        \
	"s.id, s.position, s.name, s.status, s.attempts, s.retry_limit,"   \
	" s.retryable, s.skippable, s.unmet_parents, s.results,"           \
	" s.last_error, s.ready_at, s.started_at, s.completed_at,"         \
	" s.created_at, s.updated_at"
static const char SQL_TASK_ALL[] =
    "SELECT " TASK_COLS_ONCE ", " STEP_COLS_S " FROM workflow_steps s"
    " FORCE INDEX (ix_steps_task_position) JOIN tasks t ON t.id = s.task_id"
    " WHERE s.task_id = ? ORDER BY s.position";

#define TASK_COLS                                                          \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, t.context, t.initiator, t.source_system, t.reason,"    \
	" t.tags, t.created_at, t.updated_at, t.completed_at, t.created_by"
#define COUNT_OF(ST) "COALESCE(SUM(IF(tc.status = '" ST "', tc.n, 0)), 0)"
#define COUNTS                                                             \
	"SELECT CONCAT_WS(',', " COUNT_OF("pending") ", "                  \
	COUNT_OF("in_progress") ", " COUNT_OF("complete") ", "             \
	COUNT_OF("error") ", " COUNT_OF("cancelled") ", "                  \
	COUNT_OF("resolved_manually") ") FROM handler_versions hv"         \
	" JOIN namespaces ns ON ns.id = hv.namespace_id"                   \
	" JOIN task_counts tc ON tc.handler_version_id = hv.id"            \
	" WHERE (? IS NULL OR ns.name = ?) AND (? IS NULL OR hv.name = ?)" \
	" AND (? IS NULL OR hv.version = ?) AND (? = 0 OR hv.id = ?)"
#define PAGE_OF(IDS)                                                       \
	"SELECT " TASK_COLS ", (" COUNTS ") FROM (" IDS ") p"              \
	" JOIN tasks t ON t.id = p.id ORDER BY t.id DESC"
#define PLAIN(IDX, COND)                                                   \
	PAGE_OF("SELECT id FROM tasks FORCE INDEX (" IDX ")" COND          \
	    " ORDER BY id DESC LIMIT ? OFFSET ?")
#define BRANCH(IDX, COND)                                                  \
	"(SELECT id FROM tasks FORCE INDEX (" IDX ") WHERE " COND          \
	"status = ? ORDER BY id DESC LIMIT ?)"
#define MULTI(IDX, COND)                                                   \
	PAGE_OF("SELECT id FROM (" BRANCH(IDX, COND) " UNION ALL "         \
	    BRANCH(IDX, COND) " UNION ALL " BRANCH(IDX, COND) " UNION ALL " \
	    BRANCH(IDX, COND) " UNION ALL " BRANCH(IDX, COND) " UNION ALL " \
	    BRANCH(IDX, COND) ") u ORDER BY id DESC LIMIT ? OFFSET ?")
#define NBRANCH 6

/* The list shapes the bench uses: by namespace, version, both, none;
 * each plain (no status) or multi (a status). */
enum shape { SH_ALL, SH_NS, SH_VER, SH_NS_VER, SH__COUNT };
static const char *const list_sql[SH__COUNT][2] = {
	[SH_ALL] = { PLAIN("PRIMARY", ""), MULTI("ix_tasks_status", "") },
	[SH_NS] = { PLAIN("ix_tasks_ns", " WHERE namespace = ?"),
	    MULTI("ix_tasks_ns_status", "namespace = ? AND ") },
	[SH_VER] = { PLAIN("ix_tasks_ver", " WHERE version = ?"),
	    MULTI("ix_tasks_ver_status", "version = ? AND ") },
	[SH_NS_VER] = { PLAIN("ix_tasks_ns_ver",
	    " WHERE namespace = ? AND version = ?"),
	    MULTI("ix_tasks_ns_ver_status", "namespace = ? AND version = ? AND ") },
};

static const char *const status_names[] = { "pending", "in_progress",
    "complete", "error", "cancelled", "resolved_manually" };
#define NSTATUS 6

/* ---------------------------------------------------------------- result columns */

/* Columns of TASK_COLS, then (detail) of STEP_COLS_S or (list) the counts. */
enum { T_ID, T_HV, T_NS, T_NAME, T_VER, T_STATUS, T_CTX, T_INIT, T_SRC,
    T_REASON, T_TAGS, T_CREATED, T_UPDATED, T_COMPLETED, T_BY, T__N };
enum { S_ID, S_POS, S_NAME, S_STATUS, S_ATTEMPTS, S_LIMIT, S_RETRYABLE,
    S_SKIPPABLE, S_UNMET, S_RESULTS, S_ERROR, S_READY, S_STARTED,
    S_COMPLETED, S_CREATED, S_UPDATED, S__N };
#define MAX_COLS (T__N + S__N)
#define CELL     (64 * 1024)   /* a longer cell is refused (500) */

struct cols {
	MYSQL_BIND    b[MAX_COLS];
	unsigned long len[MAX_COLS];
	my_bool       null[MAX_COLS], err[MAX_COLS];
	char         *buf[MAX_COLS];
};

static struct cols cols;
static MYSQL *db;
static MYSQL_STMT *st_task, *st_list[SH__COUNT][2];

/* The answer being written, and (GET /db/task) the task's fields after
 * its steps, written from the first row. */
struct obuf {
	char  *p;
	size_t len, cap;
};
static struct obuf body, tailbuf;
static struct obuf *out = &body;

/* ---------------------------------------------------------------- output */

static void
put(const char *s, size_t n)
{
	char *p;

	if (out->len + n + 1 > out->cap) {
		out->cap = (out->len + n + 1) * 2;
		if ((p = realloc(out->p, out->cap)) == NULL)
			abort();
		out->p = p;
	}
	memcpy(out->p + out->len, s, n);
	out->len += n;
}

static void
puts_(const char *s)
{
	put(s, strlen(s));
}

/* A JSON string as json-c prints it (no slash escape), or null. */
static void
put_str(const char *s, size_t n, int isnull)
{
	char e[8];
	size_t i, from = 0;

	if (isnull) {
		put("null", 4);
		return;
	}
	put("\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(s + from, i - from);
		from = i + 1;
		switch (c) {
		case '"': put("\\\"", 2); break;
		case '\\': put("\\\\", 2); break;
		case '\n': put("\\n", 2); break;
		case '\r': put("\\r", 2); break;
		case '\t': put("\\t", 2); break;
		case '\b': put("\\b", 2); break;
		case '\f': put("\\f", 2); break;
		default:
			snprintf(e, sizeof(e), "\\u%04x", c);
			put(e, 6);
		}
	}
	put(s + from, n - from);
	put("\"", 1);
}

static void
field(const char *key, int c)
{
	puts_(key);
	put_str(cols.buf[c], cols.len[c], cols.null[c]);
}

/* A DATETIME cell ("YYYY-MM-DD HH:MM:SS[.f]") as "YYYY-MM-DDTHH:MM:SSZ". */
static void
time_field(const char *key, int c)
{
	char t[24];

	puts_(key);
	if (cols.null[c] || cols.len[c] < 19) {
		put("null", 4);
		return;
	}
	memcpy(t + 1, cols.buf[c], 19);
	t[0] = '"';
	t[11] = 'T';
	memcpy(t + 20, "Z\"", 2);
	put(t, 22);
}

static void
stored(const char *key, int c, const char *dflt)
{
	puts_(key);
	if (cols.null[c])
		puts_(dflt);
	else
		put(cols.buf[c], cols.len[c]);
}

static void
uuid_field(const char *key, int c)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)cols.buf[c];
	char s[40];
	int i, k = 0;

	for (i = 0; i < 16 && cols.len[c] == 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[k++] = '-';
		s[k++] = hex[u[i] >> 4];
		s[k++] = hex[u[i] & 15];
	}
	puts_(key);
	put_str(s, (size_t)k, 0);
}

/* The task of the current row up to its steps (tk_task_view_write). */
static void
task_head(void)
{
	char full[3 * 64 + 8];
	int n;

	uuid_field("{\"id\":", T_ID);
	field(",\"name\":", T_NAME);
	field(",\"namespace\":", T_NS);
	field(",\"version\":", T_VER);
	n = snprintf(full, sizeof(full), "%.*s.%.*s@%.*s",
	    (int)cols.len[T_NS], cols.buf[T_NS], (int)cols.len[T_NAME],
	    cols.buf[T_NAME], (int)cols.len[T_VER], cols.buf[T_VER]);
	puts_(",\"full_name\":");
	put_str(full, n > 0 ? (size_t)n : 0, 0);
	field(",\"status\":", T_STATUS);
	stored(",\"context\":", T_CTX, "{}");
}

/* ... and after them (the tail of tk_task_view_write). */
static void
task_tail(void)
{
	time_field(",\"created_at\":", T_CREATED);
	time_field(",\"updated_at\":", T_UPDATED);
	field(",\"initiator\":", T_INIT);
	field(",\"source_system\":", T_SRC);
	field(",\"reason\":", T_REASON);
	stored(",\"tags\":", T_TAGS, "[]");
	time_field(",\"completed_at\":", T_COMPLETED);
	field(",\"created_by\":", T_BY);
	put("}", 1);
}

/* A step in brief, from the step columns after the task's (put_step). */
static void
step(void)
{
	char n[32];
	int k;

	field("{\"name\":", T__N + S_NAME);
	field(",\"status\":", T__N + S_STATUS);
	stored(",\"results\":", T__N + S_RESULTS, "null");
	k = snprintf(n, sizeof(n), ",\"attempts\":%.*s",
	    (int)cols.len[T__N + S_ATTEMPTS], cols.buf[T__N + S_ATTEMPTS]);
	put(n, (size_t)k);
	time_field(",\"started_at\":", T__N + S_STARTED);
	time_field(",\"completed_at\":", T__N + S_COMPLETED);
	if (!cols.null[T__N + S_ERROR])
		field(",\"last_error\":", T__N + S_ERROR);
	if (!cols.null[T__N + S_READY] && cols.len[T__N + S_STATUS] == 5 &&
	    memcmp(cols.buf[T__N + S_STATUS], "error", 5) == 0)
		time_field(",\"next_attempt_at\":", T__N + S_READY);
	put("}", 1);
}

/* ---------------------------------------------------------------- database */

static MYSQL_STMT *
prepare(const char *sql)
{
	MYSQL_STMT *s;

	if ((s = mysql_stmt_init(db)) == NULL ||
	    mysql_stmt_prepare(s, sql, strlen(sql)) != 0) {
		fprintf(stderr, "task_ceiling: prepare: %s\n", mysql_error(db));
		exit(1);
	}
	return s;
}

/* The session tasker's connections have (src/store/db.c). */
static const char SESSION[] =
    "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,"
    "NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION', tx_isolation = 'READ-COMMITTED'";

static int
connect_db(const char *sock, const char *user, const char *pass,
    const char *name)
{
	int i, s;

	if ((db = mysql_init(NULL)) == NULL)
		return -1;
	mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(db, NULL, user, pass, name, 0, sock, 0) == NULL ||
	    mysql_query(db, SESSION) != 0) {
		fprintf(stderr, "task_ceiling: %s\n", mysql_error(db));
		return -1;
	}
	st_task = prepare(SQL_TASK_ALL);
	for (s = 0; s < SH__COUNT; s++)
		for (i = 0; i < 2; i++)
			st_list[s][i] = prepare(list_sql[s][i]);
	for (i = 0; i < MAX_COLS; i++) {
		if ((cols.buf[i] = malloc(CELL)) == NULL)
			return -1;
		cols.b[i].buffer_type = MYSQL_TYPE_STRING;
		cols.b[i].buffer = cols.buf[i];
		cols.b[i].buffer_length = CELL;
		cols.b[i].length = &cols.len[i];
		cols.b[i].is_null = &cols.null[i];
		cols.b[i].error = &cols.err[i];
	}
	return 0;
}

static void
bind_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)(uintptr_t)s;
	b->length = len;
	if (s == NULL)
		b->buffer_type = MYSQL_TYPE_NULL;
}

static void
bind_ull(MYSQL_BIND *b, unsigned long long *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
	b->is_unsigned = 1;
}

/* Executes s with params a and binds the result to cols; 0 or -1. */
static int
run(MYSQL_STMT *s, MYSQL_BIND *a)
{
	if (mysql_stmt_bind_param(s, a) != 0 || mysql_stmt_execute(s) != 0 ||
	    mysql_stmt_bind_result(s, cols.b) != 0) {
		fprintf(stderr, "task_ceiling: %s\n", mysql_stmt_error(s));
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- answers */

/* 200, 404 or 500 for GET /db/task/{hex id without dashes or with}. */
static int
answer_task(const char *idtext)
{
	unsigned char id[16];
	unsigned long idlen = 16;
	MYSQL_BIND a[1];
	int k = 0, rows = 0, rc;
	unsigned v;

	for (; *idtext != '\0' && k < 16; idtext++) {
		if (*idtext == '-')
			continue;
		if (sscanf(idtext, "%2x", &v) != 1)
			return 404;
		id[k++] = (unsigned char)v;
		idtext++;
	}
	if (k != 16)
		return 404;
	memset(a, 0, sizeof(a));
	a[0].buffer_type = MYSQL_TYPE_BLOB;
	a[0].buffer = id;
	a[0].length = &idlen;
	if (run(st_task, a) != 0)
		return 500;
	while ((rc = mysql_stmt_fetch(st_task)) == 0) {
		if (rows++ == 0) {
			/* Context and tags come with the first row only. */
			task_head();
			puts_(",\"steps\":[");
			tailbuf.len = 0;
			out = &tailbuf;
			task_tail();
			out = &body;
		} else
			put(",", 1);
		step();
	}
	if (rc != MYSQL_NO_DATA) {
		mysql_stmt_free_result(st_task);
		return 500;
	}
	if (rows == 0)
		return 404;
	put("]", 1);
	put(tailbuf.p, tailbuf.len);
	return 200;
}

/* The value of key in query q (up to '&'), in v (size vsz); 1 if found. */
static int
param(const char *q, const char *key, char *v, size_t vsz)
{
	size_t kl = strlen(key), n;

	while (q != NULL && *q != '\0') {
		n = strcspn(q, "&");
		if (n > kl && strncmp(q, key, kl) == 0 && q[kl] == '=' &&
		    n - kl - 1 < vsz) {
			memcpy(v, q + kl + 1, n - kl - 1);
			v[n - kl - 1] = '\0';
			return 1;
		}
		q += n + (q[n] == '&');
	}
	return 0;
}

static int
status_of(const char *s)
{
	int i;

	for (i = 0; i < NSTATUS; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

/* The total of a counts cell "n,n,n,n,n,n" for status st (-1: all). */
static unsigned long long
total_of(const char *s, size_t len, int st)
{
	char buf[256];
	unsigned long long t = 0, n;
	char *p = buf, *end;
	int i;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (i = 0; i < NSTATUS && *p != '\0'; i++) {
		n = strtoull(p, &end, 10);
		if (st < 0 || st == i)
			t += n;
		p = *end == ',' ? end + 1 : end;
	}
	return t;
}

/* The list statement's parameters into a (see task_list.c's page_params). */
static int
list_params(MYSQL_BIND *a, char *ns, unsigned long *nslen, char *ver,
    unsigned long *verlen, int st, unsigned long long *nums,
    unsigned long *stlen)
{
	static unsigned long long zero = 0;
	int n = 0, b, k, nk = 0;
	MYSQL_BIND keys[2];

	/* COUNTS: namespace twice, name twice (NULL), version twice, hv 0. */
	bind_str(&a[n++], ns, nslen);
	bind_str(&a[n++], ns, nslen);
	bind_str(&a[n++], NULL, NULL);
	bind_str(&a[n++], NULL, NULL);
	bind_str(&a[n++], ver, verlen);
	bind_str(&a[n++], ver, verlen);
	bind_ull(&a[n++], &zero);
	bind_ull(&a[n++], &zero);
	if (ns != NULL)
		bind_str(&keys[nk++], ns, nslen);
	if (ver != NULL)
		bind_str(&keys[nk++], ver, verlen);
	/* nums: limit, offset, offset + limit */
	for (b = 0; st >= 0 && b < NBRANCH; b++) {
		for (k = 0; k < nk; k++)
			a[n++] = keys[k];
		if (b == 0) {
			bind_str(&a[n++], status_names[st], stlen);
			bind_ull(&a[n++], &nums[2]);
		} else {
			bind_str(&a[n++], NULL, NULL);
			bind_ull(&a[n++], &zero);
		}
	}
	for (k = 0; st < 0 && k < nk; k++)
		a[n++] = keys[k];
	bind_ull(&a[n++], &nums[0]);
	bind_ull(&a[n++], &nums[1]);
	return n;
}

/* 200 or 500 for GET /db/tasks?q (the bench's filters). */
static int
answer_list(const char *q)
{
	char ns[65], ver[65], sts[32], num[24];
	unsigned long nslen, verlen, stlen;
	unsigned long long nums[3], page = 1, per = 25, total = 0, pages;
	MYSQL_BIND a[8 + NBRANCH * 4 + 2];
	int hns, hver, st = -1, rows = 0, rc;
	MYSQL_STMT *s;
	char tail[192];

	hns = param(q, "namespace", ns, sizeof(ns));
	hver = param(q, "version", ver, sizeof(ver));
	if (param(q, "status", sts, sizeof(sts)) && (st = status_of(sts)) < 0)
		return 400;
	if (param(q, "page", num, sizeof(num)))
		page = strtoull(num, NULL, 10);
	if (param(q, "per_page", num, sizeof(num)))
		per = strtoull(num, NULL, 10);
	if (page == 0 || per == 0 || per > 100)
		return 400;
	nslen = hns ? strlen(ns) : 0;
	verlen = hver ? strlen(ver) : 0;
	stlen = st >= 0 ? strlen(status_names[st]) : 0;
	nums[0] = per;
	nums[1] = (page - 1) * per;
	nums[2] = nums[1] + per;
	s = st_list[hns && hver ? SH_NS_VER : hns ? SH_NS : hver ? SH_VER :
	    SH_ALL][st >= 0];
	list_params(a, hns ? ns : NULL, &nslen, hver ? ver : NULL, &verlen,
	    st, nums, &stlen);
	if (run(s, a) != 0)
		return 500;
	puts_("{\"tasks\":[");
	while ((rc = mysql_stmt_fetch(s)) == 0) {
		if (rows++ > 0)
			put(",", 1);
		else
			total = total_of(cols.buf[T__N], cols.len[T__N], st);
		task_head();
		task_tail();
	}
	if (rc != MYSQL_NO_DATA) {
		mysql_stmt_free_result(s);
		return 500;
	}
	/* (An empty page would need the count on its own: the bench's
	 * filters all have rows.) */
	pages = total / per + (total % per != 0);
	rc = snprintf(tail, sizeof(tail), "],\"pagination\":{\"current_page\""
	    ":%llu,\"per_page\":%llu,\"total_pages\":%llu,\"total_count\":"
	    "%llu}}", page, per, pages, total);
	put(tail, (size_t)rc);
	return 200;
}

/* ---------------------------------------------------------------- main */

static char *
read_password(const char *path)
{
	static char buf[256];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL || fgets(buf, sizeof(buf), f) == NULL) {
		perror(path);
		exit(1);
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

static int
answer(const char *uri)
{
	const char *q;

	body.len = 0;
	if (uri == NULL)
		return 404;
	if (strncmp(uri, "/db/task/", 9) == 0)
		return answer_task(uri + 9);
	if (strncmp(uri, "/db/tasks", 9) == 0 && (uri[9] == '\0' ||
	    uri[9] == '?')) {
		q = strchr(uri, '?');
		return answer_list(q != NULL ? q + 1 : "");
	}
	return 404;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *user = NULL, *pass = NULL, *name = "tasker";
	FCGX_Request rq;
	char head[160];
	int c, code, n;

	while ((c = getopt(argc, argv, "S:u:p:D:")) != -1) {
		switch (c) {
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = read_password(optarg); break;
		case 'D': name = optarg; break;
		default:
			fputs("usage: task_ceiling -S SOCKET -u USER"
			    " [-p PASSWORD_FILE] [-D DB]\n", stderr);
			return 2;
		}
	}
	if (sock == NULL || user == NULL || connect_db(sock, user, pass,
	    name) != 0)
		return 1;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&rq) >= 0) {
		code = answer(FCGX_GetParam("REQUEST_URI", rq.envp));
		if (code != 200)
			body.len = 0;
		n = snprintf(head, sizeof(head), "Status: %d\r\n"
		    "Content-Type: application/json; charset=utf-8\r\n"
		    "Content-Length: %zu\r\n\r\n", code, body.len);
		FCGX_PutStr(head, n, rq.out);
		FCGX_PutStr(body.p, (int)body.len, rq.out);
		FCGX_Finish_r(&rq);
	}
	return 0;
}
