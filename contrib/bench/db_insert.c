/*
 * db_insert.c - the ceiling of POST /tasks: the same inserts, straight
 * into MariaDB, with nothing around them.
 *
 *   db_insert -S SOCKET -u USER [-p PASSWORD_FILE] [-D DB] [-c CONNS]
 *             [-d SECONDS] -H HV_ID
 *
 * Each of CONNS threads opens one connection, prepares its statements
 * once, then for SECONDS repeats one transaction, what creating a task
 * costs the database:
 *
 *   INSERT tasks                  one row, status pending, a small context
 *   INSERT workflow_steps         one row per step of handler version
 *                                 HV_ID (read from its definition), roots
 *                                 ready, each with its unmet parents; one
 *                                 multi-row statement, as task_store.c
 *   INSERT task_transitions       NULL -> pending
 *   INSERT task_counts ... ON DUPLICATE KEY UPDATE n = n + 1  (a random
 *                                 one of 8 slots, as the state module)
 *   COMMIT
 *
 * and prints one line: "transactions/s p50_ms p99_ms count errors".
 * Prepared statements, binary protocol, autocommit off: the fastest way
 * the C client offers to do exactly this work.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#define MAX_STEPS   64
#define MAX_LAT     (4 * 1024 * 1024)
#define COUNT_SLOTS 8

struct step {
	char     name[65];
	unsigned long namelen;
	unsigned retry_limit;
	int      retryable, skippable;
	unsigned nparents;
};

static const char *sock, *user, *pass, *dbname = "tasker";
static unsigned hv_id;
static char hv_ns[65], hv_name[65], hv_version[65];
static struct step steps[MAX_STEPS];
static int nsteps;
static double seconds = 10;

struct worker {
	pthread_t  th;
	unsigned   id;
	double    *lat;     /* ms per transaction */
	size_t     nlat;
	unsigned long errors;
};

static const char SQL_TASK[] =
    "INSERT INTO tasks (id, handler_version_id, namespace, name, version,"
    " status, context, initiator, source_system, reason, tags, created_at,"
    " updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, NULL, NULL, NULL,"
    " UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))";
/* The steps go in one multi-row INSERT (as task_store.c does): the
 * statement is built for the handler's step count at start. */
static const char SQL_STEP_HEAD[] =
    "INSERT INTO workflow_steps (task_id, position, name, status, attempts,"
    " retry_limit, retryable, skippable, unmet_parents, ready_at,"
    " created_at, updated_at) VALUES ";
static const char SQL_STEP_ROW[] =
    "(?, ?, ?, 'pending', 0, ?, ?, ?, ?,"
    " IF(? = 0, UTC_TIMESTAMP(6), NULL), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))";
static char *sql_steps;
static const char SQL_TRANSITION[] =
    "INSERT INTO task_transitions (task_id, from_status, to_status, actor,"
    " reason, created_at) VALUES (?, NULL, 'pending', ?, NULL,"
    " UTC_TIMESTAMP(6))";
static const char SQL_COUNT[] =
    "INSERT INTO task_counts (handler_version_id, status, slot, n)"
    " VALUES (?, 'pending', ?, 1) ON DUPLICATE KEY UPDATE n = n + 1";

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
uuid7(unsigned char u[16], uint64_t *state)
{
	struct timespec ts;
	uint64_t ms, r1, r2;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	r1 = mix((*state)++);
	r2 = mix((*state)++);
	for (i = 0; i < 6; i++)
		u[i] = (unsigned char)(ms >> (40 - 8 * i));
	for (i = 6; i < 16; i++)
		u[i] = (unsigned char)((i < 11 ? r1 : r2) >> (8 * (i % 8)));
	u[6] = (unsigned char)(0x70 | (u[6] & 0x0f));
	u[8] = (unsigned char)(0x80 | (u[8] & 0x3f));
}

static MYSQL *
connect_db(void)
{
	MYSQL *m;
	unsigned timeout = 5;

	if ((m = mysql_init(NULL)) == NULL)
		return NULL;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(m, NULL, user, pass, dbname, 0, sock, 0) == NULL) {
		fprintf(stderr, "db_insert: connect: %s\n", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	if (mysql_query(m, "SET time_zone = '+00:00'") != 0 ||
	    mysql_autocommit(m, 0) != 0) {
		fprintf(stderr, "db_insert: %s\n", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

static MYSQL_STMT *
prepare(MYSQL *m, const char *sql)
{
	MYSQL_STMT *s;

	if ((s = mysql_stmt_init(m)) == NULL)
		return NULL;
	if (mysql_stmt_prepare(s, sql, strlen(sql)) != 0) {
		fprintf(stderr, "db_insert: prepare: %s\n", mysql_stmt_error(s));
		mysql_stmt_close(s);
		return NULL;
	}
	return s;
}

static void
bind_blob(MYSQL_BIND *b, const void *p, unsigned long *len)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_BLOB;
	b->buffer = (void *)(uintptr_t)p;
	b->length = len;
}

static void
bind_str(MYSQL_BIND *b, const char *p, unsigned long *len)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)(uintptr_t)p;
	b->length = len;
}

static void
bind_uint(MYSQL_BIND *b, unsigned *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONG;
	b->buffer = v;
	b->is_unsigned = 1;
}

/* One task: returns 0 on success; rolls back on any failure. */
static int
one_task(MYSQL *m, MYSQL_STMT *st[4], uint64_t *rng)
{
	unsigned char id[16];
	char ctx[160];
	unsigned long idlen = 16, ctxlen, nslen = strlen(hv_ns),
	    namelen = strlen(hv_name), verlen = strlen(hv_version),
	    actorlen = 5;
	unsigned hv = hv_id, slot, v[MAX_STEPS][5];
	MYSQL_BIND b[8], sb[8 * MAX_STEPS];
	int k, n;

	uuid7(id, rng);
	n = snprintf(ctx, sizeof(ctx), "{\"payment_id\":%llu,\"amount\":99.99,"
	    "\"currency\":\"USD\",\"customer_id\":67890}",
	    (unsigned long long)(*rng % 1000000));
	ctxlen = (unsigned long)n;

	bind_blob(&b[0], id, &idlen);
	bind_uint(&b[1], &hv);
	bind_str(&b[2], hv_ns, &nslen);
	bind_str(&b[3], hv_name, &namelen);
	bind_str(&b[4], hv_version, &verlen);
	bind_str(&b[5], ctx, &ctxlen);
	bind_str(&b[6], "bench", &actorlen);
	if (mysql_stmt_bind_param(st[0], b) || mysql_stmt_execute(st[0]))
		goto err;
	for (k = 0; k < nsteps; k++) {
		MYSQL_BIND *r = &sb[8 * k];
		v[k][0] = (unsigned)k;
		v[k][1] = steps[k].retry_limit;
		v[k][2] = (unsigned)steps[k].retryable;
		v[k][3] = (unsigned)steps[k].skippable;
		v[k][4] = steps[k].nparents;
		bind_blob(&r[0], id, &idlen);
		bind_uint(&r[1], &v[k][0]);
		bind_str(&r[2], steps[k].name, &steps[k].namelen);
		bind_uint(&r[3], &v[k][1]);
		bind_uint(&r[4], &v[k][2]);
		bind_uint(&r[5], &v[k][3]);
		bind_uint(&r[6], &v[k][4]);
		bind_uint(&r[7], &v[k][4]);
	}
	if (mysql_stmt_bind_param(st[1], sb) || mysql_stmt_execute(st[1]))
		goto err;
	bind_blob(&b[0], id, &idlen);
	bind_str(&b[1], "bench", &actorlen);
	if (mysql_stmt_bind_param(st[2], b) || mysql_stmt_execute(st[2]))
		goto err;
	slot = (unsigned)(mix((*rng)++) % COUNT_SLOTS);
	bind_uint(&b[0], &hv);
	bind_uint(&b[1], &slot);
	if (mysql_stmt_bind_param(st[3], b) || mysql_stmt_execute(st[3]))
		goto err;
	if (mysql_commit(m) != 0)
		goto err;
	return 0;
err:
	fprintf(stderr, "db_insert: %s\n", mysql_error(m));
	mysql_rollback(m);
	return -1;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	MYSQL *m;
	MYSQL_STMT *st[4] = { NULL, NULL, NULL, NULL };
	uint64_t rng = mix((uint64_t)w->id * 7919 + (uint64_t)time(NULL));
	double end, t0, t1;
	int i;

	mysql_thread_init();
	if ((m = connect_db()) == NULL)
		goto out;
	if ((st[0] = prepare(m, SQL_TASK)) == NULL ||
	    (st[1] = prepare(m, sql_steps)) == NULL ||
	    (st[2] = prepare(m, SQL_TRANSITION)) == NULL ||
	    (st[3] = prepare(m, SQL_COUNT)) == NULL)
		goto out;
	end = now_ms() + seconds * 1000.0;
	while ((t0 = now_ms()) < end && w->nlat < MAX_LAT) {
		if (one_task(m, st, &rng) != 0) {
			if (++w->errors > 100)
				break;
			continue;
		}
		t1 = now_ms();
		w->lat[w->nlat++] = t1 - t0;
	}
out:
	for (i = 0; i < 4; i++)
		if (st[i] != NULL)
			mysql_stmt_close(st[i]);
	if (m != NULL)
		mysql_close(m);
	mysql_thread_end();
	return NULL;
}

/* Name, version and steps of the handler version, from its definition. */
static int
load_handler(void)
{
	MYSQL *m;
	MYSQL_RES *r;
	MYSQL_ROW row;
	char q[512];
	int ok = -1;

	if ((m = connect_db()) == NULL)
		return -1;
	snprintf(q, sizeof(q), "SELECT n.name, hv.name, hv.version"
	    " FROM handler_versions hv JOIN namespaces n"
	    " ON n.id = hv.namespace_id WHERE hv.id = %u", hv_id);
	if (mysql_query(m, q) != 0 || (r = mysql_store_result(m)) == NULL)
		goto out;
	if ((row = mysql_fetch_row(r)) != NULL) {
		snprintf(hv_ns, sizeof(hv_ns), "%s", row[0]);
		snprintf(hv_name, sizeof(hv_name), "%s", row[1]);
		snprintf(hv_version, sizeof(hv_version), "%s", row[2]);
	}
	mysql_free_result(r);
	if (hv_ns[0] == '\0')
		goto out;
	/* One row per step: JSON_TABLE over the canonical definition. */
	snprintf(q, sizeof(q), "SELECT j.name, j.lim, j.retryable, j.skippable,"
	    " (j.dep IS NOT NULL) + JSON_LENGTH(j.deps)"
	    " FROM handler_versions hv, JSON_TABLE(hv.definition,"
	    " '$.step_templates[*]' COLUMNS (name VARCHAR(64) PATH '$.name',"
	    " lim INT PATH '$.default_retry_limit',"
	    " retryable BOOLEAN PATH '$.default_retryable',"
	    " skippable BOOLEAN PATH '$.skippable',"
	    " dep VARCHAR(64) PATH '$.depends_on_step',"
	    " deps JSON PATH '$.depends_on_steps')) j WHERE hv.id = %u", hv_id);
	if (mysql_query(m, q) != 0 || (r = mysql_store_result(m)) == NULL)
		goto out;
	while ((row = mysql_fetch_row(r)) != NULL && nsteps < MAX_STEPS) {
		struct step *s = &steps[nsteps++];
		snprintf(s->name, sizeof(s->name), "%s", row[0]);
		s->namelen = strlen(s->name);
		s->retry_limit = (unsigned)strtoul(row[1] ? row[1] : "0", NULL, 10);
		s->retryable = row[2] && (strcmp(row[2], "1") == 0 ||
		    strcmp(row[2], "true") == 0);
		s->skippable = row[3] && (strcmp(row[3], "1") == 0 ||
		    strcmp(row[3], "true") == 0);
		s->nparents = (unsigned)strtoul(row[4] ? row[4] : "0", NULL, 10);
	}
	mysql_free_result(r);
	ok = nsteps > 0 ? 0 : -1;
out:
	if (ok != 0)
		fprintf(stderr, "db_insert: handler version %u: %s\n", hv_id,
		    mysql_error(m)[0] ? mysql_error(m) : "not found");
	mysql_close(m);
	return ok;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

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

int
main(int argc, char **argv)
{
	struct worker *w;
	unsigned conns = 4, i;
	double *all, t0, elapsed;
	size_t total = 0, k;
	unsigned long errors = 0;
	int c;

	while ((c = getopt(argc, argv, "S:u:p:D:c:d:H:")) != -1) {
		switch (c) {
		case 'S': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pass = read_password(optarg); break;
		case 'D': dbname = optarg; break;
		case 'c': conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': seconds = strtod(optarg, NULL); break;
		case 'H': hv_id = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fputs("usage: db_insert -S SOCKET -u USER [-p PASSWORD_FILE]"
			    " [-D DB] [-c CONNS] [-d SECONDS] -H HV_ID\n", stderr);
			return 2;
		}
	}
	if (sock == NULL || user == NULL || hv_id == 0 || conns == 0 ||
	    conns > 256 || seconds <= 0) {
		fputs("db_insert: -S, -u and -H are required\n", stderr);
		return 2;
	}
	if (mysql_library_init(0, NULL, NULL) != 0 || load_handler() != 0)
		return 1;
	if ((sql_steps = malloc(sizeof(SQL_STEP_HEAD) +
	    (size_t)nsteps * sizeof(SQL_STEP_ROW) + 2)) == NULL)
		return 1;
	strcpy(sql_steps, SQL_STEP_HEAD);
	for (c = 0; c < nsteps; c++) {
		if (c > 0)
			strcat(sql_steps, ",");
		strcat(sql_steps, SQL_STEP_ROW);
	}
	if ((w = calloc(conns, sizeof(*w))) == NULL)
		return 1;
	t0 = now_ms();
	for (i = 0; i < conns; i++) {
		w[i].id = i;
		if ((w[i].lat = malloc(MAX_LAT * sizeof(double))) == NULL)
			return 1;
		pthread_create(&w[i].th, NULL, run, &w[i]);
	}
	for (i = 0; i < conns; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].nlat;
		errors += w[i].errors;
	}
	elapsed = (now_ms() - t0) / 1000.0;
	if ((all = malloc((total + 1) * sizeof(double))) == NULL)
		return 1;
	for (i = 0, k = 0; i < conns; i++) {
		memcpy(all + k, w[i].lat, w[i].nlat * sizeof(double));
		k += w[i].nlat;
		free(w[i].lat);
	}
	qsort(all, total, sizeof(double), cmp);
	if (total == 0) {
		fprintf(stderr, "db_insert: no transaction succeeded\n");
		return 1;
	}
	printf("%.1f %.3f %.3f %zu %lu\n", (double)total / elapsed,
	    all[total / 2], all[(size_t)((double)total * 0.99)], total, errors);
	free(all);
	free(w);
	mysql_library_end();
	return errors > 0;
}
