/*
 * test_tasks_list_seek.c - keyset pages (GET /tasks?cursor=) against a
 * real server: a walk sees every task once while tasks are created, the
 * way back (newer) mirrors the way forward, each filter reads its index
 * (EXPLAIN), and a page 4,000 rows deep reads as many index rows as the
 * first page, where OFFSET reads all 4,000 (MariaDB's Handler_read
 * counters of this session: what the server did, not how long it took).
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "tasker/handler.h"
#include "tasker/task_store.h"
#include "tasker/tasks.h"
#include "tasker/uuid.h"

#include "storelib.h"
#include "../unit/testlib.h"

#define DEEP_ROWS 5000   /* as the INSERT of test_deep spells it */

/* A task of handler "order" by who into id; 1 when created. */
static int
make(const char *who, unsigned char id[16])
{
	struct tk_task_new t;
	char created[TK_TIMESTAMP_SIZE];
	struct tk_idem_hit h;
	unsigned hv = 0;

	memset(&t, 0, sizeof(t));
	if ((t.def = st_handler("order", &hv)) == NULL ||
	    tk_uuid7_new(id) != TK_OK)
		return 0;
	memcpy(t.id, id, 16);
	t.hv_id = hv;
	t.context = "{}";
	t.context_len = 2;
	t.actor = t.created_by = t.idem_principal = who;
	return tk_task_store_create(st_db(), &t, created, &h) == TK_OK;
}

/* Walks f's keyset pages of 3 from the newest, creating a task by who
 * after each page; the ids seen, in order, into seen.  Returns how many. */
static size_t
walk(const struct tk_task_filter *f, const char *who,
    unsigned char seen[][16], size_t max)
{
	struct tk_task_list r = { NULL, 0 };
	unsigned char key[16], fresh[16];
	size_t n = 0, i;
	int first = 1;

	for (;;) {
		CU_ASSERT_FATAL(tk_task_store_seek(st_db(), f,
		    first ? NULL : key, 0, 3, &r) == TK_OK);
		for (i = 0; i < r.n && n < max; i++)
			memcpy(seen[n++], r.v[i].id, 16);
		if (r.n > 0)
			memcpy(key, r.v[r.n - 1].id, 16);
		first = 0;
		i = r.n;
		tk_task_list_free(&r);
		if (i < 3)
			return n;
		CU_ASSERT_FATAL(make(who, fresh));
	}
}

static void
test_walk(void)
{
	struct tk_task_filter f;
	struct tk_task_list r = { NULL, 0 };
	unsigned char ids[7][16], seen[32][16];
	struct tk_db *db;
	size_t i, n;

	ST_NEED(db, st_db);
	for (i = 0; i < 7; i++)
		CU_ASSERT_FATAL(make("st_seek", ids[i]));
	memset(&f, 0, sizeof(f));
	f.created_by = "st_seek";
	/* Newest first, each once, none of those created during the walk
	 * (they are newer than the first page). */
	n = walk(&f, "st_seek", seen, 32);
	CU_ASSERT_EQUAL_FATAL(n, 7);
	for (i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(memcmp(seen[i], ids[6 - i], 16), 0);
	/* Back from the 5th newest: the 3 just newer, newest first. */
	CU_ASSERT_FATAL(tk_task_store_seek(db, &f, ids[2], 1, 3, &r) ==
	    TK_OK);
	CU_ASSERT_EQUAL_FATAL(r.n, 3);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(memcmp(r.v[i].id, ids[5 - i], 16), 0);
	tk_task_list_free(&r);
	/* Filters apply as in the page form: none cancelled. */
	f.status_mask = 1u << TK_ST_CANCELLED;
	CU_ASSERT_FATAL(tk_task_store_seek(db, &f, NULL, 0, 3, &r) == TK_OK);
	CU_ASSERT_EQUAL(r.n, 0);
	tk_task_list_free(&r);
	/* Nothing is newer than the newest. */
	f.status_mask = 0;
	CU_ASSERT_FATAL(tk_task_store_seek(db, &f, NULL, 1, 3, &r) == TK_OK);
	CU_ASSERT_EQUAL(r.n, 0);
}

/* f's keyset plan names table_key (and is printed: the documentation). */
static void
seek_reads(const struct tk_task_filter *f, const char *table_key)
{
	char plan[512];

	CU_ASSERT_FATAL(tk_task_store_seek_plan(st_db(), f, plan,
	    sizeof(plan)) == TK_OK);
	fprintf(stderr, "\n  seek plan: %s", plan);
	if (strstr(plan, table_key) == NULL) {
		fprintf(stderr, "\n  plan %s lacks %s\n", plan, table_key);
		CU_FAIL("the filter's index is not in the plan");
	}
}

static void
test_plans(void)
{
	struct tk_task_filter f;
	struct tk_db *db;

	ST_NEED(db, st_db);
	memset(&f, 0, sizeof(f));
	seek_reads(&f, "tasks:PRIMARY");
	f.namespace_name = "st_shop";
	seek_reads(&f, "tasks:ix_tasks_ns");
	f.name = "order";
	f.status_mask = 1u << TK_ST_PENDING;
	seek_reads(&f, "tasks:ix_tasks_ns_name");
	memset(&f, 0, sizeof(f));
	f.created_by = "st_seek";
	seek_reads(&f, "tasks:ix_tasks_created_by");
	f.tag = "st_red";
	f.tags_json = "[\"st_red\"]";
	seek_reads(&f, "g:PRIMARY");
	/* sort=priority and -priority: (priority, id) off ix_tasks_priority,
	 * whatever else filters. */
	memset(&f, 0, sizeof(f));
	f.priority_min = TK_PRIORITY_MIN;
	f.priority_max = TK_PRIORITY_MAX;
	f.sort = TK_SORT_PRIORITY;
	seek_reads(&f, "tasks:ix_tasks_priority");
	f.sort = TK_SORT_PRIORITY_ASC;
	f.namespace_name = "st_shop";
	seek_reads(&f, "tasks:ix_tasks_priority");
}

/* Index and row reads of this session so far. */
static long long
reads(void)
{
	return st_num(st_db(), "SELECT SUM(VARIABLE_VALUE) FROM "
	    "information_schema.SESSION_STATUS WHERE VARIABLE_NAME LIKE "
	    "'HANDLER_READ%'");
}

/* The reads of one keyset page of 25 after key (its rows into r). */
static long long
seek_cost(const struct tk_task_filter *f, const unsigned char *key,
    struct tk_task_list *r)
{
	long long before = reads();

	CU_ASSERT_FATAL(tk_task_store_seek(st_db(), f, key, 0, 25, r) ==
	    TK_OK);
	return reads() - before;
}

/* The id of deep row seq (see test_deep's INSERT). */
static void
deep_id(unsigned seq, unsigned char id[16])
{
	memset(id, 0, 16);
	id[0] = 0x01;
	id[14] = (unsigned char)(seq >> 8);
	id[15] = (unsigned char)seq;
}

static void
test_deep(void)
{
	struct tk_task_filter f;
	struct tk_task_list r = { NULL, 0 };
	unsigned char key[16], one[16], want[16];
	unsigned long long total = 0;
	long long first, deep, offset, before;
	struct tk_db *db;
	size_t i;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(make("st_seek_model", one));
	/* DEEP_ROWS tasks straight into the table (ids 01..seq, older than
	 * any UUIDv7), deleted again below so task_counts stays true. */
	CU_ASSERT_FATAL(st_sql(db, "SET SESSION max_recursive_iterations = "
	    "10000") == 0);
	CU_ASSERT_FATAL(st_sql(db, "INSERT INTO tasks (id, handler_version_id,"
	    " namespace, name, version, status, context, created_at, "
	    "updated_at, created_by) SELECT UNHEX(CONCAT('01', LPAD(HEX(s.seq),"
	    " 30, '0'))), t.handler_version_id, t.namespace, t.name, t.version,"
	    " 'pending', '{}', t.created_at, t.updated_at, 'st_deep' FROM "
	    "(WITH RECURSIVE q(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM"
	    " q WHERE seq < 5000) SELECT seq FROM q) s JOIN (SELECT * FROM "
	    "tasks WHERE created_by = 'st_seek_model' LIMIT 1) t") == 0);
	memset(&f, 0, sizeof(f));
	f.created_by = "st_deep";
	first = seek_cost(&f, NULL, &r);
	CU_ASSERT_EQUAL(r.n, 25);
	deep_id(DEEP_ROWS, want);
	CU_ASSERT(r.n > 0 && memcmp(r.v[0].id, want, 16) == 0);
	tk_task_list_free(&r);
	/* 4,000 rows deep: the page after row 1000 (rows 999..975). */
	deep_id(1000, key);
	deep = seek_cost(&f, key, &r);
	CU_ASSERT_EQUAL(r.n, 25);
	for (i = 0; i < r.n; i++) {
		deep_id(999 - (unsigned)i, want);
		CU_ASSERT_EQUAL(memcmp(r.v[i].id, want, 16), 0);
	}
	tk_task_list_free(&r);
	before = reads();
	CU_ASSERT_FATAL(tk_task_store_list(db, &f, 4000, 25, &r, &total) ==
	    TK_OK);
	offset = reads() - before;
	tk_task_list_free(&r);
	fprintf(stderr, "\n  reads: keyset page 1 %lld, keyset 4,000 deep "
	    "%lld, OFFSET 4,000 %lld", first, deep, offset);
	CU_ASSERT(deep <= first + 2);
	CU_ASSERT(deep >= first - 2);
	CU_ASSERT(offset > 4000);
	CU_ASSERT(st_sql(db, "DELETE FROM tasks WHERE created_by = "
	    "'st_deep'") == 0);
}

TK_SUITE(store_tasks_seek,
    { "seek: a walk sees each task once while tasks are created",
      test_walk },
    { "seek: each filter reads its index (EXPLAIN)", test_plans },
    { "seek: page 4,000 rows deep reads what page 1 reads", test_deep });
