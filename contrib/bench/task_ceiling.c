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
 *       [-s SPEC] [-t PENDING:IN_PROGRESS:ERROR]
 *
 * (run under spawn-fcgi by contrib/bench/run).  The statements below are
 * copies of src/store/task_read.c's SQL_TASK_ALL and task_list.c's PLAIN
 * and MULTI lists: when those change, change these (the run compares the
 * two programs' answers byte for byte and says so when they differ).
 *
 * What tasker adds from elsewhere is added here the same way: a task's
 * "stale" from its status and updated_at against the api.stale_after
 * seconds (-t, tasker's defaults 3600:21600:0), and on GET /db/task the
 * task at a glance (execution_status, recommended_action,
 * completion_percentage, each step's dependencies_satisfied,
 * retry_eligible, next_retry_at, max_attempts; src/tasks/deps.c) from the
 * steps' parents, which tasker's catalog holds and this reads once from
 * SPEC (the run's spec.tsv, see gen_tasks.c; a handler version not in it
 * gets no glance, as tasker's answer without its definition).
 *
 * Stored JSON (context, results, tags) is copied as it is: the generated
 * rows are in json-c's printed form, which is what tasker copies too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

/* ---------------------------------------------------------------- statements */

#define TASK_COLS_ONCE                                                     \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, IF(s.position = 0, t.context, NULL), t.initiator,"     \
	" t.source_system, t.reason, IF(s.position = 0, t.tags, NULL),"    \
	" t.created_at, t.updated_at, t.completed_at, t.created_by,"       \
	" t.priority, t.row_version"
#define STEP_COLS_S                                                        \
	"s.id, s.position, s.name, s.status, s.attempts, s.retry_limit,"   \
	" s.retryable, s.skippable, s.unmet_parents, s.results,"           \
	" s.last_error, s.ready_at, s.started_at, s.completed_at,"         \
	" s.created_at, s.updated_at, s.limit_key IS NOT NULL"
static const char SQL_TASK_ALL[] =
    "SELECT " TASK_COLS_ONCE ", " STEP_COLS_S " FROM workflow_steps s"
    " FORCE INDEX (ix_steps_task_position) JOIN tasks t ON t.id = s.task_id"
    " WHERE s.task_id = ? ORDER BY s.position";

#define TASK_COLS                                                          \
	"t.id, t.handler_version_id, t.namespace, t.name, t.version,"      \
	" t.status, t.context, t.initiator, t.source_system, t.reason,"    \
	" t.tags, t.created_at, t.updated_at, t.completed_at, t.created_by,"  \
	" t.priority, t.row_version"
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

/* ---------------------------------------------------------------- definitions */

/* A handler version's steps by position: names and parents (SPEC). */
#define MAX_STEPS   64
#define MAX_PARENTS 16
struct def {
	unsigned long long hv;
	int  nsteps;
	char name[MAX_STEPS][64];
	int  nparents[MAX_STEPS];
	int  parents[MAX_STEPS][MAX_PARENTS];
};
static struct def *defs;
static int ndefs;

/* api.stale_after by status (status_names order; 0: never stale). */
static long stale_after[NSTATUS] = { 3600, 21600, 0, 0, 0, 0 };

/* One step "name:retry_limit:retryable:skippable:p.p" of SPEC into d. */
static void
spec_step(struct def *d, char *text)
{
	char *f[5], *p, *save = NULL;
	int i, k = d->nsteps;

	for (i = 0; i < 5; i++) {
		f[i] = text;
		if (text != NULL && (text = strchr(text, ':')) != NULL)
			*text++ = '\0';
	}
	if (k >= MAX_STEPS || f[0] == NULL)
		return;
	snprintf(d->name[k], sizeof(d->name[k]), "%s", f[0]);
	for (p = f[4] != NULL ? strtok_r(f[4], ".", &save) : NULL;
	    p != NULL && d->nparents[k] < MAX_PARENTS;
	    p = strtok_r(NULL, ".", &save))
		d->parents[k][d->nparents[k]++] = atoi(p);
	d->nsteps++;
}

/* SPEC: "hv<TAB>ns<TAB>name<TAB>version<TAB>step|step|..." a line. */
static void
load_spec(const char *path)
{
	char line[8192], *steps, *st, *save = NULL;
	struct def *d;
	FILE *f;
	int i;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		for (i = 0, steps = line; i < 4 && steps != NULL; i++)
			if ((steps = strchr(steps, '\t')) != NULL)
				steps++;
		if (steps == NULL ||
		    (d = realloc(defs, (ndefs + 1) * sizeof(*d))) == NULL)
			continue;
		defs = d;
		d = &defs[ndefs++];
		memset(d, 0, sizeof(*d));
		d->hv = strtoull(line, NULL, 10);
		for (st = strtok_r(steps, "|", &save); st != NULL;
		    st = strtok_r(NULL, "|", &save))
			spec_step(d, st);
	}
	fclose(f);
}

static const struct def *
def_of(const char *hv, size_t len)
{
	char buf[24];
	unsigned long long id;
	int i;

	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, hv, len);
	buf[len] = '\0';
	id = strtoull(buf, NULL, 10);
	for (i = 0; i < ndefs; i++)
		if (defs[i].hv == id)
			return &defs[i];
	return NULL;
}

/* ---------------------------------------------------------------- result columns */

/* Columns of TASK_COLS, then (detail) of STEP_COLS_S or (list) the counts. */
enum { T_ID, T_HV, T_NS, T_NAME, T_VER, T_STATUS, T_CTX, T_INIT, T_SRC,
    T_REASON, T_TAGS, T_CREATED, T_UPDATED, T_COMPLETED, T_BY, T_PRIO,
    T_ROWVER, T__N };
enum { S_ID, S_POS, S_NAME, S_STATUS, S_ATTEMPTS, S_LIMIT, S_RETRYABLE,
    S_SKIPPABLE, S_UNMET, S_RESULTS, S_ERROR, S_READY, S_STARTED,
    S_COMPLETED, S_CREATED, S_UPDATED, S_LIMITED, S__N };
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
static MYSQL_STMT *st_task, *st_count, *st_list[SH__COUNT][2];

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

/* The status_names index of a status cell (-1: none). */
enum { ST_PENDING, ST_IN_PROGRESS, ST_COMPLETE, ST_ERROR, ST_CANCELLED,
    ST_RESOLVED };
static int
status_cell(int c)
{
	int i;

	for (i = 0; i < NSTATUS; i++)
		if (!cols.null[c] && cols.len[c] == strlen(status_names[i]) &&
		    memcmp(cols.buf[c], status_names[i], cols.len[c]) == 0)
			return i;
	return -1;
}

/* Whether the task of the current row is stale (tk_task_stale): in its
 * status longer than stale_after says, by its updated_at. */
static int
stale_now(void)
{
	struct tm tm;
	char t[20];
	int st = status_cell(T_STATUS);
	long limit;

	if (st < 0 || (limit = stale_after[st]) == 0 || st == ST_COMPLETE ||
	    st == ST_CANCELLED || st == ST_RESOLVED || cols.null[T_UPDATED] ||
	    cols.len[T_UPDATED] < 19)
		return 0;
	memcpy(t, cols.buf[T_UPDATED], 19);
	t[19] = '\0';
	memset(&tm, 0, sizeof(tm));
	if (sscanf(t, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return time(NULL) - timegm(&tm) > (time_t)limit;
}

/* ---------------------------------------------------------------- at a glance */

/* The task at a glance (src/tasks/deps.c's tk_deps_glance) for the task
 * being answered, its definition's steps by position; d NULL: none. */
struct gstep {
	int status;          /* a status_names index; pending: no row */
	int attempts_left;   /* error with a retry scheduled */
	int retryable;
	int deps_ok;         /* every parent complete or resolved */
};
static struct {
	const struct def *d;
	struct gstep      st[MAX_STEPS];
	const char       *exec, *action;
	int               step;      /* the step the action names; -1 none */
	unsigned          percent;
} gl;

static int
done(int st)
{
	return st == ST_COMPLETE || st == ST_RESOLVED;
}

/* The step of the current row into gl (dep_steps_of). */
static void
glance_row(void)
{
	int pos = atoi(cols.buf[T__N + S_POS]);
	struct gstep *g;

	if (pos < 0 || pos >= gl.d->nsteps)
		return;
	g = &gl.st[pos];
	g->status = status_cell(T__N + S_STATUS);
	g->attempts_left = g->status == ST_ERROR && !cols.null[T__N + S_READY];
	g->retryable = cols.len[T__N + S_RETRYABLE] > 0 &&
	    cols.buf[T__N + S_RETRYABLE][0] != '0';
}

/* The classes of tk_deps_glance's tally, and what stops the task. */
static void
glance_stuck(int failed, int first_failed, int first_cancelled)
{
	gl.exec = "blocked_by_failures";
	if (failed > 0) {
		gl.step = first_failed;
		gl.action = gl.st[first_failed].retryable ? "retry_task" :
		    "resolve_step_manually";
	} else {
		gl.step = first_cancelled;
		gl.action = "resolve_step_manually";
	}
	if (strcmp(gl.action, "retry_task") == 0)
		gl.step = -1;
}

static void
glance_decide(int task_status)
{
	const struct def *d = gl.d;
	int i, k, p, n = d->nsteps, done_n = 0, cancelled = 0, failed = 0,
	    ready = 0, running = 0, retrying = 0, ffail = -1, fcanc = -1;
	struct gstep *g;

	for (i = 0; i < n; i++) {
		g = &gl.st[i];
		g->deps_ok = 1;
		for (k = 0; k < d->nparents[i]; k++)
			if ((p = d->parents[i][k]) >= n || !done(gl.st[p].status))
				g->deps_ok = 0;
		if (done(g->status))
			done_n++;
		else if (g->status == ST_CANCELLED)
			fcanc = cancelled++ == 0 ? i : fcanc;
		else if (g->status == ST_ERROR && !g->attempts_left)
			ffail = failed++ == 0 ? i : ffail;
		else if (g->deps_ok) {
			ready++;
			running += g->status == ST_IN_PROGRESS;
			retrying += g->status == ST_ERROR;
		}
	}
	gl.step = -1;
	gl.action = "wait";
	gl.percent = n > 0 ? (unsigned)(done_n * 100 / n) : 100;
	if (task_status == ST_COMPLETE || (n > 0 && done_n == n)) {
		gl.exec = "all_complete";
		gl.action = "none";
		gl.percent = 100;
	} else if (task_status == ST_CANCELLED) {
		gl.exec = "cancelled";
		gl.action = "none";
	} else if (failed > 0 || (cancelled > 0 && ready == 0))
		glance_stuck(failed, ffail, fcanc);
	else
		gl.exec = running > 0 ? "processing" : ready > retrying ?
		    "has_ready_steps" : retrying > 0 ? "waiting_for_retry" :
		    "waiting_for_dependencies";
}

/* ---------------------------------------------------------------- the task */

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

/* ... and after them (the tail of tk_task_view_write; with_glance: the
 * task at a glance, GET /db/task). */
static void
task_tail(int with_glance)
{
	char n[48];
	int k;

	time_field(",\"created_at\":", T_CREATED);
	time_field(",\"updated_at\":", T_UPDATED);
	field(",\"initiator\":", T_INIT);
	field(",\"source_system\":", T_SRC);
	field(",\"reason\":", T_REASON);
	stored(",\"tags\":", T_TAGS, "[]");
	time_field(",\"completed_at\":", T_COMPLETED);
	field(",\"created_by\":", T_BY);
	puts_(",\"priority\":");
	put(cols.buf[T_PRIO], cols.len[T_PRIO]);
	puts_(stale_now() ? ",\"stale\":true" : ",\"stale\":false");
	if (with_glance && gl.d != NULL) {
		puts_(",\"execution_status\":");
		put_str(gl.exec, strlen(gl.exec), 0);
		puts_(",\"recommended_action\":{\"action\":");
		put_str(gl.action, strlen(gl.action), 0);
		puts_(",\"step\":");
		if (gl.step >= 0)
			put_str(gl.d->name[gl.step], strlen(gl.d->name[gl.step]), 0);
		else
			put("null", 4);
		k = snprintf(n, sizeof(n), "},\"completion_percentage\":%u",
		    gl.percent);
		put(n, (size_t)k);
	}
	put("}", 1);
}

/* What the glance says of the step of the current row (put_step_glance). */
static void
step_glance(void)
{
	int pos = atoi(cols.buf[T__N + S_POS]), k;
	int retry = status_cell(T__N + S_STATUS) == ST_ERROR &&
	    !cols.null[T__N + S_READY];
	unsigned long limit = strtoul(cols.buf[T__N + S_LIMIT], NULL, 10);
	unsigned max;
	char n[64];

	k = snprintf(n, sizeof(n), ",\"dependencies_satisfied\":%s,"
	    "\"retry_eligible\":%s", pos >= 0 && pos < gl.d->nsteps &&
	    gl.st[pos].deps_ok ? "true" : "false", retry ? "true" : "false");
	put(n, (size_t)k);
	if (retry)
		time_field(",\"next_retry_at\":", T__N + S_READY);
	else
		puts_(",\"next_retry_at\":null");
	/* tk_step_max_attempts */
	max = cols.buf[T__N + S_RETRYABLE][0] == '0' ? 1 :
	    limit >= 1000000 ? 1000001 : (unsigned)limit + 1;
	k = snprintf(n, sizeof(n), ",\"max_attempts\":%u", max);
	put(n, (size_t)k);
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
	if (gl.d != NULL)
		step_glance();
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
	st_count = prepare(COUNTS);
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

/* The first pass: gl from every step row; how many rows, -1 on error. */
static int
glance_pass(void)
{
	int rows = 0, rc, status = -1, i;

	gl.d = NULL;
	while ((rc = mysql_stmt_fetch(st_task)) == 0) {
		if (rows++ == 0 && (gl.d = def_of(cols.buf[T_HV],
		    cols.len[T_HV])) != NULL) {
			status = status_cell(T_STATUS);
			/* A step the rows lack counts as pending. */
			for (i = 0; i < gl.d->nsteps; i++)
				gl.st[i] = (struct gstep){ ST_PENDING, 0, 1, 0 };
		}
		if (gl.d != NULL)
			glance_row();
	}
	if (rc != MYSQL_NO_DATA)
		return -1;
	if (gl.d != NULL)
		glance_decide(status);
	return rows;
}

/* The second pass: the answer; 200 or 500. */
static int
write_pass(void)
{
	int rows = 0, rc;

	while ((rc = mysql_stmt_fetch(st_task)) == 0) {
		if (rows++ == 0) {
			/* Context and tags come with the first row only. */
			task_head();
			puts_(",\"steps\":[");
			tailbuf.len = 0;
			out = &tailbuf;
			task_tail(1);
			out = &body;
		} else
			put(",", 1);
		step();
	}
	if (rc != MYSQL_NO_DATA)
		return 500;
	put("]", 1);
	put(tailbuf.p, tailbuf.len);
	return 200;
}

/* 200, 404 or 500 for GET /db/task/{hex id without dashes or with}. */
static int
answer_task(const char *idtext)
{
	unsigned char id[16];
	unsigned long idlen = 16;
	MYSQL_BIND a[1];
	int k = 0, rows, rc;
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
	/* Two passes over the rows, kept on this side as tasker keeps them:
	 * the glance needs every step before the first is written. */
	if (mysql_stmt_store_result(st_task) != 0 || (rows = glance_pass()) < 0)
		rc = 500;
	else if (rows == 0)
		rc = 404;
	else {
		mysql_stmt_data_seek(st_task, 0);
		rc = write_pass();
	}
	mysql_stmt_free_result(st_task);
	return rc;
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

/* The total of the filter of COUNTS parameters a for status st (-1:
 * all); (unsigned long long)-1 on error. */
static unsigned long long
count_only(MYSQL_BIND *a, int st)
{
	unsigned long long t = (unsigned long long)-1;

	if (run(st_count, a) != 0)
		return t;
	if (mysql_stmt_fetch(st_count) == 0)
		t = total_of(cols.buf[0], cols.len[0], st);
	mysql_stmt_free_result(st_count);
	return t;
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
		task_tail(0);
	}
	if (rc != MYSQL_NO_DATA) {
		mysql_stmt_free_result(s);
		return 500;
	}
	/* An empty page has no row to carry the counts: they on their own
	 * (list_rows), with the list's first parameters. */
	if (rows == 0 && (total = count_only(a, st)) == (unsigned long long)-1)
		return 500;
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

	while ((c = getopt(argc, argv, "S:u:p:D:s:t:")) != -1) {
		switch (c) {
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = read_password(optarg); break;
		case 'D': name = optarg; break;
		case 's': load_spec(optarg); break;
		case 't':
			if (sscanf(optarg, "%ld:%ld:%ld", &stale_after[ST_PENDING],
			    &stale_after[ST_IN_PROGRESS], &stale_after[ST_ERROR]) == 3)
				break;
			/* FALLTHROUGH */
		default:
			fputs("usage: task_ceiling -S SOCKET -u USER"
			    " [-p PASSWORD_FILE] [-D DB] [-s SPEC]"
			    " [-t PENDING:IN_PROGRESS:ERROR]\n", stderr);
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
