/*
 * engine_ceiling.c - the ceiling of tasker's engine: only the database
 * work a step attempt needs and the fork/exec of its handler, nothing
 * around them.
 *
 *   engine_ceiling -S SOCKET -u USER [-p PASSWORD_FILE] [-D DB] [-c PROCS]
 *                  -H HV_ID -n STEPS -x HANDLER [-l LAST_POSITION]
 *
 * PROCS processes (as many as tasker's worker processes), each with one
 * connection and its statements prepared once (binary protocol,
 * autocommit off), run ready steps of a linear handler until STEPS
 * steps are done among them (or nothing was ready for 2 s):
 *
 *   claim   SELECT the oldest ready step (ix_steps_ready, FOR UPDATE
 *           SKIP LOCKED); UPDATE it in_progress with attempts + 1, a
 *           lease (owner, expiry, epoch + 1), started_at; INSERT its
 *           step transition; the first step also moves the task
 *           pending -> in_progress (UPDATE, task transition, the two
 *           task_counts rows); COMMIT.
 *   run     vfork, exec HANDLER with a small JSON document on stdin, read
 *           its stdout to the end, wait for it.
 *   record  UPDATE the step complete with the results (compare-and-set on
 *           its lease owner); INSERT its step transition; release the
 *           next step (unmet_parents - 1, ready when it reaches 0); the
 *           last step (position LAST_POSITION, default 3) moves the task
 *           to complete (UPDATE, transition, counts); COMMIT.
 *
 * That is what tasker guarantees per attempt (leased, recorded once,
 * visible in transitions, the task's status and counts kept) with the
 * fewest round trips the C client allows; it does not read the task's
 * context or parents' results, renew leases, log, or check anything an
 * operator may have changed.  It prints one line:
 * "steps self_us handler_us": the steps it ran, and the CPU its
 * processes spent (self) and their handlers (fork/exec included).
 * Throughput is read from the rows' started_at/completed_at by the
 * caller, as for tasker.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <mysql.h>

#define COUNT_SLOTS 8
#define IDLE_MS     2000

static const char *sock, *user, *pass, *dbname = "tasker", *handler;
static unsigned long long hv_id;
static long long want_steps;
static unsigned last_pos = 3;

enum { S_CLAIM, S_TAKE, S_STEP_LOG, S_TASK_CAS, S_TASK_LOG, S_COUNT,
	S_DONE, S_RELEASE, S__N };

static const char *const sql[S__N] = {
	[S_CLAIM] =
	"SELECT id, task_id, position FROM workflow_steps"
	" FORCE INDEX (ix_steps_ready) WHERE ready_at <= UTC_TIMESTAMP(6)"
	" ORDER BY ready_at LIMIT 1 FOR UPDATE SKIP LOCKED",
	[S_TAKE] =
	"UPDATE workflow_steps SET status = 'in_progress',"
	" attempts = attempts + 1, lease_owner = ?,"
	" lease_epoch = lease_epoch + 1,"
	" lease_expires_at = UTC_TIMESTAMP(6) + INTERVAL 30 SECOND,"
	" ready_at = NULL, started_at = UTC_TIMESTAMP(6),"
	" updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND status = 'pending'",
	[S_STEP_LOG] =
	"INSERT INTO step_transitions (step_id, task_id, from_status,"
	" to_status, attempt, actor, reason, created_at)"
	" VALUES (?, ?, ?, ?, 1, ?, NULL, UTC_TIMESTAMP(6))",
	[S_TASK_CAS] =
	"UPDATE tasks SET status = ?, updated_at = UTC_TIMESTAMP(6),"
	" completed_at = IF(? = 'complete', UTC_TIMESTAMP(6), NULL)"
	" WHERE id = ? AND status = ?",
	[S_TASK_LOG] =
	"INSERT INTO task_transitions (task_id, from_status, to_status, actor,"
	" reason, created_at) VALUES (?, ?, ?, ?, NULL, UTC_TIMESTAMP(6))",
	[S_COUNT] =
	"INSERT INTO task_counts (handler_version_id, status, slot, n)"
	" VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)",
	[S_DONE] =
	"UPDATE workflow_steps SET status = 'complete', results = ?,"
	" lease_owner = NULL, lease_expires_at = NULL,"
	" completed_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)"
	" WHERE id = ? AND lease_owner = ? AND status = 'in_progress'",
	[S_RELEASE] =
	"UPDATE workflow_steps SET"
	" ready_at = IF(unmet_parents = 1 AND status = 'pending',"
	"   UTC_TIMESTAMP(6), ready_at),"
	" unmet_parents = unmet_parents - 1, updated_at = UTC_TIMESTAMP(6)"
	" WHERE task_id = ? AND position = ? AND unmet_parents > 0",
};

struct conn {
	MYSQL      *m;
	MYSQL_STMT *st[S__N];
	char        owner[64];
};

/* A bind of one string or integer parameter. */
static void
bstr(MYSQL_BIND *b, const void *s, unsigned long *len, size_t n)
{
	memset(b, 0, sizeof(*b));
	*len = (unsigned long)n;
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)(uintptr_t)s;
	b->buffer_length = *len;
	b->length = len;
}

static void
bint(MYSQL_BIND *b, unsigned long long *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
	b->is_unsigned = 1;
}

static int
fail(struct conn *c, MYSQL_STMT *st, const char *what)
{
	fprintf(stderr, "engine_ceiling: %s: %s\n", what,
	    st ? mysql_stmt_error(st) : mysql_error(c->m));
	return -1;
}

/* Runs statement i with binds b; *rows the affected rows. */
static int
exec_st(struct conn *c, int i, MYSQL_BIND *b, unsigned long long *rows)
{
	MYSQL_STMT *st = c->st[i];

	if ((b != NULL && mysql_stmt_bind_param(st, b) != 0) ||
	    mysql_stmt_execute(st) != 0)
		return fail(c, st, sql[i]);
	if (rows != NULL)
		*rows = mysql_stmt_affected_rows(st);
	return 0;
}

static int
connect_db(struct conn *c, int n)
{
	unsigned timeout = 5, i;

	memset(c, 0, sizeof(*c));
	snprintf(c->owner, sizeof(c->owner), "engine_ceiling/%d/%d", n,
	    (int)getpid());
	if ((c->m = mysql_init(NULL)) == NULL)
		return -1;
	mysql_options(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(c->m, NULL, user, pass, dbname, 0, sock, 0) ==
	    NULL || mysql_query(c->m, "SET time_zone = '+00:00'") != 0 ||
	    mysql_autocommit(c->m, 0) != 0)
		return fail(c, NULL, "connect");
	for (i = 0; i < S__N; i++)
		if ((c->st[i] = mysql_stmt_init(c->m)) == NULL ||
		    mysql_stmt_prepare(c->st[i], sql[i], strlen(sql[i])) != 0)
			return fail(c, c->st[i], sql[i]);
	return 0;
}

/* The step transition from -> to. */
static int
step_log(struct conn *c, unsigned long long id, const unsigned char *task,
    const char *from, const char *to)
{
	MYSQL_BIND b[5];
	unsigned long l[5];

	bint(&b[0], &id);
	bstr(&b[1], task, &l[1], 16);
	bstr(&b[2], from, &l[2], strlen(from));
	bstr(&b[3], to, &l[3], strlen(to));
	bstr(&b[4], c->owner, &l[4], strlen(c->owner));
	return exec_st(c, S_STEP_LOG, b, NULL);
}

/* The task from -> to: compare-and-set, its transition, its counts. */
static int
task_move(struct conn *c, const unsigned char *task, const char *from,
    const char *to)
{
	MYSQL_BIND b[4];
	unsigned long l[4];
	unsigned long long rows, slot, delta;
	const char *st;
	int k;

	bstr(&b[0], to, &l[0], strlen(to));
	bstr(&b[1], to, &l[1], strlen(to));
	bstr(&b[2], task, &l[2], 16);
	bstr(&b[3], from, &l[3], strlen(from));
	if (exec_st(c, S_TASK_CAS, b, &rows) < 0)
		return -1;
	if (rows != 1)
		return 0;
	bstr(&b[0], task, &l[0], 16);
	bstr(&b[1], from, &l[1], strlen(from));
	bstr(&b[2], to, &l[2], strlen(to));
	bstr(&b[3], c->owner, &l[3], strlen(c->owner));
	if (exec_st(c, S_TASK_LOG, b, NULL) < 0)
		return -1;
	for (k = 0; k < 2; k++) {
		st = k == 0 ? from : to;
		slot = (unsigned long long)(rand() % COUNT_SLOTS);
		delta = k == 0 ? (unsigned long long)-1LL : 1;
		bint(&b[0], &hv_id);
		bstr(&b[1], st, &l[1], strlen(st));
		bint(&b[2], &slot);
		bint(&b[3], &delta);
		b[3].is_unsigned = 0;
		if (exec_st(c, S_COUNT, b, NULL) < 0)
			return -1;
	}
	return 0;
}

struct step {
	unsigned long long id, pos;
	unsigned char      task[16];
};

/* The claim transaction; 1 when s is ours, 0 when nothing is ready. */
static int
claim(struct conn *c, struct step *s)
{
	MYSQL_STMT *st = c->st[S_CLAIM];
	MYSQL_BIND r[3], b[2];
	unsigned long tl = 0, ol;
	unsigned long long rows;
	int found;

	if (mysql_stmt_execute(st) != 0)
		return fail(c, st, "claim");
	memset(r, 0, sizeof(r));
	bint(&r[0], &s->id);
	r[1].buffer_type = MYSQL_TYPE_BLOB;
	r[1].buffer = s->task;
	r[1].buffer_length = 16;
	r[1].length = &tl;
	bint(&r[2], &s->pos);
	if (mysql_stmt_bind_result(st, r) != 0 ||
	    mysql_stmt_store_result(st) != 0)
		return fail(c, st, "claim");
	found = mysql_stmt_fetch(st) == 0 && tl == 16;
	mysql_stmt_free_result(st);
	if (!found)
		return mysql_commit(c->m) == 0 ? 0 : fail(c, NULL, "commit");
	bstr(&b[0], c->owner, &ol, strlen(c->owner));
	bint(&b[1], &s->id);
	if (exec_st(c, S_TAKE, b, &rows) < 0 ||
	    step_log(c, s->id, s->task, "pending", "in_progress") < 0 ||
	    (s->pos == 0 &&
	    task_move(c, s->task, "pending", "in_progress") < 0) ||
	    mysql_commit(c->m) != 0)
		return fail(c, NULL, "claim");
	return 1;
}

/* The record transaction of a success. */
static int
record(struct conn *c, const struct step *s, const char *results, size_t n)
{
	MYSQL_BIND b[3];
	unsigned long l[3];
	unsigned long long rows, next = s->pos + 1;

	bstr(&b[0], results, &l[0], n);
	bint(&b[1], (unsigned long long *)(uintptr_t)&s->id);
	bstr(&b[2], c->owner, &l[2], strlen(c->owner));
	if (exec_st(c, S_DONE, b, &rows) < 0 || rows != 1 ||
	    step_log(c, s->id, s->task, "in_progress", "complete") < 0)
		return fail(c, NULL, "record");
	bstr(&b[0], s->task, &l[0], 16);
	bint(&b[1], &next);
	if ((s->pos < last_pos && exec_st(c, S_RELEASE, b, NULL) < 0) ||
	    (s->pos == last_pos &&
	    task_move(c, s->task, "in_progress", "complete") < 0) ||
	    mysql_commit(c->m) != 0)
		return fail(c, NULL, "record");
	return 0;
}

/* vfork, exec the handler with doc on stdin, its stdout into out. */
static int
run_handler(const char *doc, char *out, size_t outsz, size_t *n)
{
	int in[2], o[2], st;
	ssize_t r;
	pid_t pid;

	*n = 0;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0)
		return -1;
	/* vfork, as tasker's exec runner: no page tables copied. */
	if ((pid = vfork()) < 0)
		return -1;
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(o[1], 1) < 0)
			_exit(127);
		execl(handler, handler, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	if (write(in[1], doc, strlen(doc)) < 0)
		st = -1;
	close(in[1]);
	while ((r = read(o[0], out + *n, outsz - 1 - *n)) > 0)
		*n += (size_t)r;
	close(o[0]);
	out[*n] = '\0';
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
us(struct timeval t)
{
	return (long long)t.tv_sec * 1000000 + t.tv_usec;
}

/* One process: claim, run, record until the shared count is reached;
 * writes "steps self_us handler_us" to fd. */
static int
proc_main(int n, atomic_llong *done, int fd)
{
	static const char doc[] = "{\"task\":{\"context\":{\"n\":1}},"
	    "\"step\":{\"name\":\"s\",\"attempt\":1},\"parents\":{}}\n";
	struct conn c;
	struct step s;
	struct rusage self, kids;
	char out[4096], line[128];
	long long mine = 0, idle_since = now_ms();
	size_t len;
	int k;

	srand((unsigned)getpid());
	if (connect_db(&c, n) < 0)
		return 1;
	while (atomic_load(done) < want_steps) {
		if ((k = claim(&c, &s)) < 0)
			return 1;
		if (k == 0) {
			if (now_ms() - idle_since > IDLE_MS)
				break;
			usleep(1000);
			continue;
		}
		if (run_handler(doc, out, sizeof(out), &len) < 0 ||
		    record(&c, &s, out, len) < 0)
			return 1;
		mine++;
		atomic_fetch_add(done, 1);
		idle_since = now_ms();
	}
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	k = snprintf(line, sizeof(line), "%lld %lld %lld\n", mine,
	    us(self.ru_utime) + us(self.ru_stime),
	    us(kids.ru_utime) + us(kids.ru_stime));
	if (write(fd, line, (size_t)k) != k)
		return 1;
	mysql_close(c.m);
	return 0;
}

static char *
read_secret(const char *path)
{
	static char buf[256];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL || fgets(buf, sizeof(buf), f) == NULL) {
		perror(path);
		exit(2);
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

int
main(int argc, char **argv)
{
	atomic_llong *done;
	long long steps = 0, self = 0, hnd = 0, a, b2, c2;
	int procs = 4, opt, i, p[2], rc = 0, st;
	FILE *f;

	while ((opt = getopt(argc, argv, "S:u:p:D:c:H:n:x:l:")) != -1) {
		switch (opt) {
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = read_secret(optarg); break;
		case 'D': dbname = optarg; break;
		case 'c': procs = atoi(optarg); break;
		case 'H': hv_id = strtoull(optarg, NULL, 10); break;
		case 'n': want_steps = atoll(optarg); break;
		case 'x': handler = optarg; break;
		case 'l': last_pos = (unsigned)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (sock == NULL || user == NULL || handler == NULL || hv_id == 0 ||
	    want_steps <= 0 || procs < 1)
		goto usage;
	done = mmap(NULL, sizeof(*done), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (done == MAP_FAILED || pipe(p) < 0)
		return 1;
	atomic_init(done, 0);
	for (i = 0; i < procs; i++)
		if (fork() == 0) {
			close(p[0]);
			_exit(proc_main(i, done, p[1]));
		}
	close(p[1]);
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	if ((f = fdopen(p[0], "r")) == NULL)
		return 1;
	while (fscanf(f, "%lld %lld %lld", &a, &b2, &c2) == 3) {
		steps += a;
		self += b2;
		hnd += c2;
	}
	printf("%lld %lld %lld\n", steps, self, hnd);
	return rc;
usage:
	fprintf(stderr, "usage: engine_ceiling -S SOCKET -u USER [-p PWFILE] "
	    "[-D DB] [-c PROCS] -H HV_ID -n STEPS -x HANDLER [-l LAST]\n");
	return 2;
}
