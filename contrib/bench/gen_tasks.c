/*
 * gen_tasks.c - writes SQL that fills a tasker database with many tasks,
 * fast: multi-row INSERTs in big transactions, for the `mariadb` client
 * (LOAD DATA is off in the stack: local_infile=0).
 *
 *   gen_tasks [-b BATCH] [-i IDSFILE] [-e EVERY] SPEC FIRST COUNT BASE_MS
 *
 * SPEC is a file with one handler version per line (made by
 * contrib/bench/run from the database):
 *
 *   hv_id TAB namespace TAB name TAB version TAB steps
 *   steps: step|step|...   step: name:retry_limit:retryable:skippable:parents
 *   parents: indexes of parent steps joined by '.', or empty
 *
 * Tasks FIRST .. FIRST+COUNT-1 are written; task i is created at BASE_MS
 * + i * 2592 ms (1,000,000 tasks span 30 days) and gets a UUIDv7 of that
 * time, so ids grow with i as tasker's own ids do and a later run with
 * FIRST = the previous COUNT appends.  Everything else (handler version,
 * status, context) comes from a PRNG seeded by i: the same i always gives
 * the same task.
 *
 * Consistency with the schema and the engine's rules:
 *  - tasks: status spread pending 15%, in_progress 10%, complete 60%,
 *    error 10%, cancelled 5%; completed_at for complete and cancelled.
 *  - workflow_steps: one row per step of the definition, with statuses
 *    that derive the task's status (state.h): complete tasks have every
 *    step complete; otherwise the steps of the first level are complete
 *    (of a one-level handler: none), the first step of the next level is
 *    in_progress (leased) or error (no attempts left) as the task's status
 *    says, and unmet_parents / ready_at follow from the parents' statuses.
 *  - task_transitions: the creation row (NULL -> pending), and one more to
 *    the task's status when it is not pending.
 *  - task_counts: the counts of the written tasks are ADDED (slot 0), so
 *    appending keeps SUM(n) per (handler version, status) exact.
 *  - step_transitions are not written (nothing the benchmark reads).
 *
 * With -i, every EVERY-th task id (default 100) is appended to IDSFILE as
 * a canonical UUID string, for the GET /tasks/{id} benchmark.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_HV     256
#define MAX_STEPS  64
#define NSTATUS    6
#define MS_PER_TASK 2592

enum { ST_PENDING, ST_IN_PROGRESS, ST_COMPLETE, ST_ERROR, ST_CANCELLED,
    ST_RESOLVED };
static const char *const status_name[NSTATUS] = { "pending",
    "in_progress", "complete", "error", "cancelled", "resolved_manually" };

struct step {
	char     name[65];
	unsigned retry_limit;
	int      retryable, skippable;
	int      parent[MAX_STEPS];
	int      nparent;
	int      level;
};

struct hv {
	unsigned    id;
	char        ns[65], name[65], version[65];
	struct step step[MAX_STEPS];
	int         nstep;
	int         nlevel;
	unsigned long long count[NSTATUS];
};

static struct hv hvs[MAX_HV];
static int nhv;

/* splitmix64: a good, seedable PRNG in four lines. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
die(const char *msg)
{
	fprintf(stderr, "gen_tasks: %s\n", msg);
	exit(1);
}

/* ------------------------------------------------------------ the spec */

static void
copy_field(char *dst, size_t dstsz, const char *src, size_t len)
{
	if (len >= dstsz)
		die("a name in the spec is too long");
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void
parse_step(struct step *s, char *spec)
{
	char *f[5], *p = spec, *tok;
	int i;

	for (i = 0; i < 5; i++) {
		f[i] = p;
		if ((p = strchr(p, ':')) == NULL && i < 4)
			die("a step needs name:limit:retryable:skippable:parents");
		if (p != NULL)
			*p++ = '\0';
	}
	copy_field(s->name, sizeof(s->name), f[0], strlen(f[0]));
	s->retry_limit = (unsigned)strtoul(f[1], NULL, 10);
	s->retryable = atoi(f[2]) != 0;
	s->skippable = atoi(f[3]) != 0;
	s->nparent = 0;
	for (tok = strtok(f[4], "."); tok != NULL; tok = strtok(NULL, ".")) {
		if (s->nparent == MAX_STEPS)
			die("too many parents");
		s->parent[s->nparent++] = atoi(tok);
	}
}

/* Levels: a root is level 0, a child one more than its deepest parent. */
static void
compute_levels(struct hv *h)
{
	int changed = 1, i, j, rounds = 0;

	for (i = 0; i < h->nstep; i++)
		h->step[i].level = 0;
	while (changed && rounds++ <= h->nstep) {
		changed = 0;
		for (i = 0; i < h->nstep; i++)
			for (j = 0; j < h->step[i].nparent; j++) {
				int p = h->step[i].parent[j];
				if (p < 0 || p >= h->nstep)
					die("a parent index is out of range");
				if (h->step[p].level + 1 > h->step[i].level) {
					h->step[i].level = h->step[p].level + 1;
					changed = 1;
				}
			}
	}
	if (changed)
		die("a handler in the spec has a cycle");
	h->nlevel = 1;
	for (i = 0; i < h->nstep; i++)
		if (h->step[i].level + 1 > h->nlevel)
			h->nlevel = h->step[i].level + 1;
}

static void
load_spec(const char *path)
{
	FILE *f;
	char line[65536], *fld[5], *p, *st, *save = NULL;
	int i;

	if ((f = fopen(path, "r")) == NULL)
		die("cannot open the spec");
	while (fgets(line, sizeof(line), f) != NULL) {
		struct hv *h;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (nhv == MAX_HV)
			die("too many handler versions");
		p = line;
		for (i = 0; i < 5; i++) {
			fld[i] = p;
			if ((p = strchr(p, '\t')) == NULL && i < 4)
				die("a spec line needs five tab-separated fields");
			if (p != NULL)
				*p++ = '\0';
		}
		h = &hvs[nhv];
		memset(h, 0, sizeof(*h));
		h->id = (unsigned)strtoul(fld[0], NULL, 10);
		copy_field(h->ns, sizeof(h->ns), fld[1], strlen(fld[1]));
		copy_field(h->name, sizeof(h->name), fld[2], strlen(fld[2]));
		copy_field(h->version, sizeof(h->version), fld[3], strlen(fld[3]));
		for (st = strtok_r(fld[4], "|", &save); st != NULL;
		    st = strtok_r(NULL, "|", &save)) {
			if (h->nstep == MAX_STEPS)
				die("too many steps");
			parse_step(&h->step[h->nstep++], st);
		}
		if (h->nstep == 0)
			die("a handler without steps");
		compute_levels(h);
		nhv++;
	}
	fclose(f);
	if (nhv == 0)
		die("the spec is empty");
}

/* ---------------------------------------------------------- formatting */

/* 'YYYY-MM-DD HH:MM:SS.ffffff' of ms since the epoch, UTC. */
static const char *
dt(char *out, size_t outsz, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, outsz, "'%04d-%02d-%02d %02d:%02d:%02d.%03u000'",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
	return out;
}

/* UUIDv7 of (ms, seed): 48-bit time, version 7, variant 10, random rest. */
static void
uuid7(unsigned char u[16], uint64_t ms, uint64_t seed)
{
	uint64_t r1 = mix(seed ^ 0x5555), r2 = mix(seed ^ 0xaaaa);
	int i;

	for (i = 0; i < 6; i++)
		u[i] = (unsigned char)(ms >> (40 - 8 * i));
	for (i = 6; i < 16; i++)
		u[i] = (unsigned char)((i < 11 ? r1 : r2) >> (8 * (i % 8)));
	u[6] = (unsigned char)(0x70 | (u[6] & 0x0f));
	u[8] = (unsigned char)(0x80 | (u[8] & 0x3f));
}

static void
hex(char *out, const unsigned char *u, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[u[i] >> 4];
		out[2 * i + 1] = digits[u[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
uuid_string(char out[37], const unsigned char u[16])
{
	char h[33];

	hex(h, u, 16);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
	    h + 16, h + 20);
}

/* ------------------------------------------------------------- writing */

struct out {
	FILE *tasks, *steps, *trans;  /* memstreams, one statement each */
	char *tbuf, *sbuf, *rbuf;
	size_t tlen, slen, rlen;
	int ntask, nstep, ntrans;
};

static void
open_out(struct out *o)
{
	memset(o, 0, sizeof(*o));
	if ((o->tasks = open_memstream(&o->tbuf, &o->tlen)) == NULL ||
	    (o->steps = open_memstream(&o->sbuf, &o->slen)) == NULL ||
	    (o->trans = open_memstream(&o->rbuf, &o->rlen)) == NULL)
		die("out of memory");
}

static void
flush_out(struct out *o)
{
	fclose(o->tasks);
	fclose(o->steps);
	fclose(o->trans);
	if (o->ntask > 0)
		printf("INSERT INTO tasks (id, handler_version_id, namespace, name,"
		    " version, status, context, initiator, source_system, reason,"
		    " tags, created_at, updated_at, completed_at) VALUES %s;\n",
		    o->tbuf);
	if (o->nstep > 0)
		printf("INSERT INTO workflow_steps (task_id, position, name,"
		    " status, attempts, retry_limit, retryable, skippable,"
		    " unmet_parents, results, last_error, ready_at, lease_owner,"
		    " lease_expires_at, started_at, completed_at, created_at,"
		    " updated_at) VALUES %s;\n", o->sbuf);
	if (o->ntrans > 0)
		printf("INSERT INTO task_transitions (task_id, from_status,"
		    " to_status, actor, reason, created_at) VALUES %s;\n",
		    o->rbuf);
	printf("COMMIT;\n");
	free(o->tbuf);
	free(o->sbuf);
	free(o->rbuf);
	open_out(o);
}

static int
pick_status(uint64_t r)
{
	unsigned p = (unsigned)(r % 100);

	if (p < 15)
		return ST_PENDING;
	if (p < 25)
		return ST_IN_PROGRESS;
	if (p < 85)
		return ST_COMPLETE;
	if (p < 95)
		return ST_ERROR;
	return ST_CANCELLED;
}

static void
write_task(struct out *o, uint64_t i, uint64_t base_ms, FILE *ids,
    unsigned every)
{
	uint64_t r = mix(i), ms = base_ms + i * MS_PER_TASK + r % MS_PER_TASK;
	struct hv *h = &hvs[(r >> 8) % (uint64_t)nhv];
	int status = pick_status(r >> 20), st[MAX_STEPS], k, j;
	int done_level = h->nlevel > 1 ? 1 : 0, lead = -1;
	unsigned char u[16];
	char id[40], c[96], upd[96], fin[96], s1[96], s2[96], lease[96];
	uint64_t upd_ms = ms + (status == ST_PENDING ? 0 : 1000 * (uint64_t)h->nstep);

	uuid7(u, ms, i);
	id[0] = '0';
	id[1] = 'x';
	hex(id + 2, u, 16);
	if (ids != NULL && i % every == 0) {
		char s[37];
		uuid_string(s, u);
		fprintf(ids, "%s\n", s);
	}
	dt(c, sizeof(c), ms);
	dt(upd, sizeof(upd), upd_ms);
	h->count[status]++;

	fprintf(o->tasks, "%s(%s,%u,'%s','%s','%s','%s','{\"payment_id\":%llu,"
	    "\"amount\":%llu.%02llu,\"currency\":\"USD\",\"customer_id\":%llu}',"
	    "'bench','bench-gen',NULL,%s,%s,%s,%s)",
	    o->ntask ? "," : "", id, h->id, h->ns, h->name, h->version,
	    status_name[status], (unsigned long long)i,
	    (unsigned long long)(r >> 40) % 1000, (unsigned long long)(r >> 50) % 100,
	    (unsigned long long)(r >> 12) % 100000,
	    (r >> 33) % 4 == 0 ? "'[\"bench\",\"generated\"]'" : "NULL",
	    c, upd,
	    status == ST_COMPLETE || status == ST_CANCELLED ?
	    dt(fin, sizeof(fin), upd_ms) : "NULL");
	o->ntask++;

	/* The steps' statuses, as described at the top. */
	for (k = 0; k < h->nstep; k++) {
		if (status == ST_COMPLETE)
			st[k] = ST_COMPLETE;
		else if (status == ST_PENDING)
			st[k] = ST_PENDING;
		else if (h->step[k].level < done_level)
			st[k] = ST_COMPLETE;
		else if (h->step[k].level == done_level && lead < 0 &&
		    status != ST_CANCELLED) {
			lead = k;
			st[k] = status;
		} else
			st[k] = ST_PENDING;
	}
	for (k = 0; k < h->nstep; k++) {
		const struct step *s = &h->step[k];
		unsigned unmet = 0, attempts = 0;
		uint64_t sms = ms + 1000 * (uint64_t)k;

		for (j = 0; j < s->nparent; j++)
			if (st[s->parent[j]] != ST_COMPLETE)
				unmet++;
		if (st[k] == ST_COMPLETE || st[k] == ST_IN_PROGRESS)
			attempts = 1;
		else if (st[k] == ST_ERROR)
			attempts = s->retryable ? 1 + s->retry_limit : 1;
		dt(s1, sizeof(s1), sms);
		dt(s2, sizeof(s2), sms + 500);
		dt(lease, sizeof(lease), sms + 30000);
		fprintf(o->steps, "%s(%s,%d,'%s','%s',%u,%u,%d,%d,%u,%s,%s,%s,%s,%s,"
		    "%s,%s,%s,%s)",
		    o->nstep ? "," : "", id, k, s->name, status_name[st[k]], attempts,
		    s->retry_limit, s->retryable, s->skippable,
		    st[k] == ST_COMPLETE ? 0 : unmet,
		    st[k] == ST_COMPLETE ? "'{\"ok\":true}'" : "NULL",
		    st[k] == ST_ERROR ? "'bench: generated failure'" : "NULL",
		    st[k] == ST_PENDING && unmet == 0 && status != ST_CANCELLED ?
		    c : "NULL",
		    st[k] == ST_IN_PROGRESS ? "'bench-gen'" : "NULL",
		    st[k] == ST_IN_PROGRESS ? lease : "NULL",
		    st[k] == ST_PENDING ? "NULL" : s1,
		    st[k] == ST_COMPLETE ? s2 : "NULL",
		    c, st[k] == ST_PENDING ? c : s2);
		o->nstep++;
	}

	fprintf(o->trans, "%s(%s,NULL,'pending','bench-gen','generated',%s)",
	    o->ntrans ? "," : "", id, c);
	o->ntrans++;
	if (status != ST_PENDING) {
		fprintf(o->trans, ",(%s,'pending','%s','bench-gen','generated',%s)",
		    id, status_name[status], upd);
		o->ntrans++;
	}
}

static void
write_counts(void)
{
	int i, s, n = 0;

	for (i = 0; i < nhv; i++)
		for (s = 0; s < NSTATUS; s++) {
			if (hvs[i].count[s] == 0)
				continue;
			printf("%s(%u,'%s',0,%llu)", n++ ? "," :
			    "INSERT INTO task_counts (handler_version_id, status,"
			    " slot, n) VALUES ", hvs[i].id, status_name[s],
			    hvs[i].count[s]);
		}
	if (n > 0)
		printf(" ON DUPLICATE KEY UPDATE n = n + VALUES(n);\nCOMMIT;\n");
}

static void
usage(void)
{
	fputs("usage: gen_tasks [-b BATCH] [-i IDSFILE] [-e EVERY] "
	    "SPEC FIRST COUNT BASE_MS\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	unsigned long long first, count, base_ms, i;
	unsigned batch = 1000, every = 100;
	const char *idsfile = NULL;
	FILE *ids = NULL;
	struct out o;
	int c;

	while ((c = getopt(argc, argv, "b:i:e:")) != -1) {
		switch (c) {
		case 'b':
			batch = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			idsfile = optarg;
			break;
		case 'e':
			every = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 4 || batch == 0 || every == 0)
		usage();
	load_spec(argv[optind]);
	first = strtoull(argv[optind + 1], NULL, 10);
	count = strtoull(argv[optind + 2], NULL, 10);
	base_ms = strtoull(argv[optind + 3], NULL, 10);
	if (idsfile != NULL && (ids = fopen(idsfile, "a")) == NULL)
		die("cannot open the ids file");

	printf("SET SESSION foreign_key_checks = 0, unique_checks = 0,"
	    " time_zone = '+00:00';\nSET autocommit = 0;\n");
	open_out(&o);
	for (i = first; i < first + count; i++) {
		write_task(&o, i, base_ms, ids, every);
		if (o.ntask == (int)batch)
			flush_out(&o);
	}
	flush_out(&o);
	fclose(o.tasks);
	fclose(o.steps);
	fclose(o.trans);
	free(o.tbuf);
	free(o.sbuf);
	free(o.rbuf);
	write_counts();
	if (ids != NULL && fclose(ids) != 0)
		die("cannot write the ids file");
	if (fflush(stdout) != 0)
		die("cannot write");
	return 0;
}
