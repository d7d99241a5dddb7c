/*
 * test_tasks.c - task_store.c against a real server: creating a task
 * (with and without an Idempotency-Key, and when its connection is lost
 * in the transaction), the list's filters and totals,
 * the cancel and retry transitions, and the scope filter.
 *
 * Tasks pile up over the cases, so each case uses its own created_by
 * (or counts before and after) to see only its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "tasker/state.h"
#include "tasker/step_store.h"
#include "tasker/task_store.h"
#include "tasker/transition_store.h"
#include "tasker/tasks.h"

#include "storelib.h"
#include "../unit/testlib.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* What the next create() sets besides its arguments (NULL: nothing). */
static const char *next_initiator, *next_tags;
static int next_priority;

/* A task of handler `handler` by `who` into id; the store's answer. */
static tk_err
create(const char *handler, const char *who, const char *key,
    const char *hash, unsigned char id[16], struct tk_idem_hit *hit)
{
	struct tk_task_new t;
	char created[TK_TIMESTAMP_SIZE];
	struct tk_idem_hit h;
	unsigned hv = 0;

	memset(&t, 0, sizeof(t));
	if ((t.def = st_handler(handler, &hv)) == NULL)
		return TK_ERR_INTERNAL;
	if (tk_uuid7_new(id) != TK_OK)
		return TK_ERR_INTERNAL;
	memcpy(t.id, id, 16);
	t.hv_id = hv;
	t.context = "{\"n\":1}";
	t.context_len = strlen(t.context);
	t.source_system = "store_tests";
	t.initiator = next_initiator;
	t.tags = next_tags;
	t.priority = next_priority;
	t.reason = "test";
	t.actor = who;
	t.created_by = who;
	t.idem_principal = who;
	t.idem_key = key;
	t.idem_hash = hash;
	t.idem_ttl = 3600;
	created[0] = '\0';
	return tk_task_store_create(st_db(), &t, created,
	    hit != NULL ? hit : &h);
}

/* A task without a key: 1 when it was created. */
static int
plain(const char *handler, const char *who, unsigned char id[16])
{
	return create(handler, who, NULL, NULL, id, NULL) == TK_OK;
}

static const char *
task_status(const unsigned char id[16])
{
	static char s[32];
	struct tk_task_row r;

	s[0] = '\0';
	if (tk_task_store_get(st_db(), id, &r) == TK_OK)
		snprintf(s, sizeof(s), "%s", tk_status_name(r.status));
	tk_task_row_free(&r);
	return s;
}

static void
test_create(void)
{
	struct tk_task_row task;
	struct tk_step_list steps;
	unsigned char id[16];
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(plain("order", "st_create", id));
	CU_ASSERT_FATAL(tk_task_store_get_all(db, id, &task, &steps) ==
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_status_name(task.status),
	    "pending");
	CU_ASSERT_STRING_EQUAL(task.namespace_name,
	    "st_shop");
	CU_ASSERT_STRING_EQUAL(task.created_by,
	    "st_create");
	/* Three steps in definition order: prepare ready now, the others
	 * wait for it; check has its own retry limit. */
	CU_ASSERT_FATAL(steps.n == 3);
	CU_ASSERT_STRING_EQUAL(steps.v[0].name, "prepare");
	CU_ASSERT_STRING_EQUAL(steps.v[1].name, "check");
	CU_ASSERT_EQUAL(steps.v[0].unmet_parents, 0);
	CU_ASSERT_PTR_NOT_NULL(steps.v[0].ready_at);
	CU_ASSERT_EQUAL(steps.v[1].unmet_parents, 1);
	CU_ASSERT_PTR_NULL(steps.v[1].ready_at);
	CU_ASSERT_EQUAL(steps.v[1].retry_limit, 2);
	tk_task_row_free(&task);
	tk_step_list_free(&steps);
	/* No key: the same request again is a second task. */
	CU_ASSERT_EQUAL(create("order", "st_create", NULL, NULL, id, NULL),
	    TK_OK);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM tasks WHERE "
	    "created_by = 'st_create'"), 2);
}

static void
test_idempotency(void)
{
	unsigned char first[16], second[16];
	struct tk_idem_hit hit;
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(create("order", "st_idem", "k1", HASH_A, first,
	    NULL) == TK_OK);
	/* The same key again: nothing created, the first task named. */
	memset(&hit, 0, sizeof(hit));
	CU_ASSERT_EQUAL(create("order", "st_idem", "k1", HASH_A, second,
	    &hit), TK_ERR_CONFLICT);
	CU_ASSERT_EQUAL(memcmp(hit.task_id, first, 16), 0);
	CU_ASSERT_EQUAL(hit.same, 1);
	CU_ASSERT_EQUAL(tk_task_store_get_all(db, second, &(struct tk_task_row)
	    { .hv_id = 0 }, &(struct tk_step_list){ NULL, 0 }),
	    TK_ERR_TASK_NOT_FOUND);
	/* Another request body under the same key: told apart. */
	CU_ASSERT_EQUAL(create("order", "st_idem", "k1", HASH_B, second,
	    &hit), TK_ERR_CONFLICT);
	CU_ASSERT_EQUAL(hit.same, 0);
	CU_ASSERT_EQUAL(tk_task_store_idem_find(db, "st_idem", "k1", HASH_A,
	    &hit), TK_OK);
	CU_ASSERT_EQUAL(memcmp(hit.task_id, first, 16), 0);
	/* Keys are per principal. */
	CU_ASSERT_EQUAL(create("order", "st_idem2", "k1", HASH_A, second,
	    NULL), TK_OK);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM tasks WHERE "
	    "created_by LIKE 'st\\_idem%'"), 2);
}

/* ---------------------------------------------------------------- a lost commit */

/* The connection of a creation is lost in its transaction: db2 holds
 * the Idempotency-Key's row in an open transaction, the creation waits
 * on it, and then root kills the creation's connection (after storing
 * the task under its id itself when `stored`: what the creation sees
 * when its COMMIT was done but the answer lost), and db2 rolls back. */
struct cut {
	char       hex[33];     /* the task's id */
	long long  conn;        /* the creation's connection */
	int        stored;
	int        ok;
};

static void *
cut_run(void *arg)
{
	struct cut *c = arg;
	char sql[512];

	c->ok = st_lock_waits();
	if (c->ok && c->stored) {
		snprintf(sql, sizeof(sql), "INSERT INTO " ST_DBNAME ".tasks "
		    "(id, handler_version_id, namespace, name, version, "
		    "context, created_at, updated_at, created_by) SELECT "
		    "UNHEX('%s'), handler_version_id, namespace, name, "
		    "version, context, created_at, updated_at, 'st_cut' FROM "
		    ST_DBNAME ".tasks LIMIT 1", c->hex);
		c->ok = st_sql(st_root(), sql) == 0;
	}
	snprintf(sql, sizeof(sql), "KILL CONNECTION %lld", c->conn);
	c->ok = st_sql(st_root(), sql) == 0 && c->ok;
	tk_db_rollback(st_db2());
	return NULL;
}

/* A creation with key `key` whose connection is cut; its answer. */
static tk_err
cut_create(const char *key, int stored, unsigned char id[16])
{
	struct tk_task_new t;
	struct tk_idem_hit hit;
	struct cut c;
	char created[TK_TIMESTAMP_SIZE], sql[256];
	pthread_t th;
	unsigned hv = 0;
	tk_err e;
	int i;

	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	if ((t.def = st_handler("order", &hv)) == NULL ||
	    tk_uuid7_new(id) != TK_OK)
		return TK_ERR_INTERNAL;
	for (i = 0; i < 16; i++)
		snprintf(c.hex + 2 * i, 3, "%02x", id[i]);
	memcpy(t.id, id, 16);
	t.hv_id = hv;
	t.context = "{}";
	t.context_len = 2;
	t.actor = t.created_by = t.idem_principal = "st_cut";
	t.idem_key = key;
	t.idem_hash = HASH_A;
	t.idem_ttl = 3600;
	c.stored = stored;
	c.conn = st_num(st_db(), "SELECT CONNECTION_ID()");
	snprintf(sql, sizeof(sql), "INSERT INTO idempotency_keys VALUES "
	    "('st_cut', '%s', '%s', UNHEX('%s'), UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)", key, HASH_A, c.hex);
	if (tk_db_begin(st_db2()) != TK_OK || st_sql(st_db2(), sql) != 0 ||
	    pthread_create(&th, NULL, cut_run, &c) != 0)
		return TK_ERR_INTERNAL;
	e = tk_task_store_create(st_db(), &t, created, &hit);
	pthread_join(th, NULL);
	CU_ASSERT(c.ok);
	return e;
}

/* Lost, not stored: the creation runs once more and stores the task
 * once, under its key.  Lost, stored: it answers as stored. */
static void
test_create_lost(void)
{
	unsigned char id[16], other[16];
	struct tk_idem_hit hit;
	struct tk_db *db;

	ST_NEED(db, st_db);
	ST_NEED(db, st_db2);
	ST_NEED(db, st_root);
	db = st_db();
	CU_ASSERT_FATAL(plain("order", "st_cut0", other));
	CU_ASSERT_EQUAL(cut_create("c1", 0, id), TK_OK);
	CU_ASSERT_EQUAL(tk_task_store_idem_find(db, "st_cut", "c1", HASH_A,
	    &hit), TK_OK);
	CU_ASSERT_EQUAL(memcmp(hit.task_id, id, 16), 0);
	CU_ASSERT_EQUAL(cut_create("c2", 1, id), TK_OK);
	CU_ASSERT_STRING_EQUAL(task_status(id), "pending");
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM tasks WHERE "
	    "created_by = 'st_cut'"), 2);
}

/* The list of f: its total and its page's ids, newest first. */
static void
list(const struct tk_task_filter *f, unsigned long long offset,
    unsigned limit, size_t nexpect, unsigned long long total_expect,
    const unsigned char *first_id)
{
	struct tk_task_list r = { NULL, 0 };
	unsigned long long total = 0, count = 0;

	CU_ASSERT_FATAL(tk_task_store_list(st_db(), f, offset, limit, &r,
	    &total) == TK_OK);
	CU_ASSERT_EQUAL(r.n, nexpect);
	CU_ASSERT_EQUAL(total, total_expect);
	if (first_id != NULL && r.n > 0)
		CU_ASSERT_EQUAL(memcmp(r.v[0].id, first_id,
		    16), 0);
	tk_task_list_free(&r);
	CU_ASSERT_EQUAL(tk_task_store_count(st_db(), f, &count), TK_OK);
	CU_ASSERT_EQUAL(count, total_expect);
}

static void
test_list(void)
{
	struct tk_task_filter f;
	unsigned char a1[16], a2[16], a3[16], o1[16];
	enum tk_status st;
	struct tk_task_state out;
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(plain("order", "st_list", a1));
	CU_ASSERT_FATAL(plain("order", "st_list", a2));
	CU_ASSERT_FATAL(plain("order", "st_list", a3));
	CU_ASSERT_FATAL(plain("other", "st_list", o1));
	memset(&out, 0, sizeof(out));
	CU_ASSERT_FATAL(tk_task_store_cancel(db, a2, "st_list", "test", &st,
	    &out) == TK_OK);
	tk_task_state_free(&out);
	memset(&f, 0, sizeof(f));
	f.created_by = "st_list";
	list(&f, 0, 10, 4, 4, o1);
	/* A page: the total is still every match. */
	list(&f, 1, 2, 2, 4, a3);
	list(&f, 4, 2, 0, 4, NULL);
	f.namespace_name = "st_shop";
	list(&f, 0, 10, 3, 3, a3);
	f.name = "order";
	f.version = "1.0.0";
	f.status_mask = 1u << TK_ST_PENDING;
	list(&f, 0, 10, 2, 2, a3);
	f.status_mask = 1u << TK_ST_CANCELLED;
	list(&f, 0, 10, 1, 1, a2);
	f.status_mask = 1u << TK_ST_COMPLETE;
	list(&f, 0, 10, 0, 0, NULL);
	(void)a1;
}

/* Scope: a caller who may see only some namespaces sees only those
 * namespaces' tasks, in the page and in the total. */
static void
test_scope(void)
{
	struct tk_task_filter f;
	unsigned char o1[16], o2[16];
	struct tk_task_list r = { NULL, 0 };
	unsigned long long before = 0, total = 0, all = 0;
	struct tk_db *db;
	size_t i;

	ST_NEED(db, st_db);
	memset(&f, 0, sizeof(f));
	f.ns_set = "st_other";
	CU_ASSERT_FATAL(tk_task_store_count(db, &f, &before) == TK_OK);
	CU_ASSERT_FATAL(plain("other", "st_scope", o1));
	CU_ASSERT_FATAL(plain("order", "st_scope", o2));
	CU_ASSERT_FATAL(plain("other", "st_scope", o2));
	CU_ASSERT_FATAL(tk_task_store_list(db, &f, 0, 100, &r, &total) ==
	    TK_OK);
	CU_ASSERT_EQUAL(total, before + 2);
	CU_ASSERT_EQUAL(r.n, before + 2);
	for (i = 0; i < r.n; i++)
		CU_ASSERT_STRING_EQUAL(r.v[i].namespace_name,
		    "st_other");
	CU_ASSERT(r.n > 0 && memcmp(r.v[0].id, o2,
	    16) == 0);
	tk_task_list_free(&r);
	/* Scope and created_by together. */
	f.created_by = "st_scope";
	list(&f, 0, 10, 2, 2, o2);
	f.ns_set = "st_shop,st_other";
	list(&f, 0, 10, 3, 3, o2);
	f.ns_set = "nowhere";
	list(&f, 0, 10, 0, 0, NULL);
	/* Scope alone over both namespaces: every task. */
	memset(&f, 0, sizeof(f));
	CU_ASSERT_EQUAL(tk_task_store_count(db, &f, &all), TK_OK);
	f.ns_set = "st_shop,st_other";
	CU_ASSERT_EQUAL(tk_task_store_count(db, &f, &total), TK_OK);
	CU_ASSERT_EQUAL(total, all);
}

/* A task by st_filt with initiator and tags (JSON text, or NULL). */
static int
tagged(const char *initiator, const char *tags, unsigned char id[16])
{
	int ok;

	next_initiator = initiator;
	next_tags = tags;
	ok = plain("order", "st_filt", id);
	next_initiator = next_tags = NULL;
	return ok;
}

/* f's plan names the index: "table:key" is in it. */
static void
plan_reads(const struct tk_task_filter *f, const char *table_key)
{
	char plan[512];

	CU_ASSERT_FATAL(tk_task_store_list_plan(st_db(), f, plan,
	    sizeof(plan)) == TK_OK);
	if (strstr(plan, table_key) == NULL) {
		fprintf(stderr, "\n  plan %s lacks %s\n", plan, table_key);
		CU_FAIL("the filter's index is not in the plan");
	}
}

/* GET /tasks's filters on what a task holds, each read off its index. */
static void
test_filters(void)
{
	struct tk_task_filter f;
	struct tk_task_state out;
	unsigned char a1[16], a2[16], a3[16];
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(tagged("st_filt_alice", "[\"st_red\",\"st_blue\"]",
	    a1));
	CU_ASSERT_FATAL(tagged("st_filt_bob", "[\"st_red\"]", a2));
	CU_ASSERT_FATAL(tagged("st_filt_alice", NULL, a3));
	memset(&f, 0, sizeof(f));
	f.initiator = "st_filt_alice";
	list(&f, 0, 10, 2, 2, a3);
	plan_reads(&f, "tasks:ix_tasks_initiator");
	f.status_mask = 1u << TK_ST_CANCELLED;
	list(&f, 0, 10, 0, 0, NULL);
	memset(&f, 0, sizeof(f));
	f.tag = "st_red";
	f.tags_json = "[\"st_red\"]";
	list(&f, 0, 10, 2, 2, a2);
	plan_reads(&f, "g:PRIMARY");
	/* Every tag given: a task holding them all. */
	f.tags_json = "[\"st_blue\",\"st_red\"]";
	list(&f, 0, 10, 1, 1, a1);
	f.initiator = "st_filt_bob";
	list(&f, 0, 10, 0, 0, NULL);
	memset(&f, 0, sizeof(f));
	f.source_system = "store_tests";
	f.created_by = "st_filt";
	list(&f, 0, 10, 3, 3, a3);
	memset(&f, 0, sizeof(f));
	f.source_system = "store_tests";
	plan_reads(&f, "tasks:ix_tasks_source_system");
	f.initiator = "st_filt_bob";
	plan_reads(&f, "tasks:ix_tasks_initiator");
	memset(&f, 0, sizeof(f));
	f.created_after = "2000-01-01 00:00:00.000000";
	f.initiator = "st_filt_alice";
	list(&f, 0, 10, 2, 2, a3);
	f.initiator = NULL;
	plan_reads(&f, "tasks:ix_tasks_created_at");
	/* (An empty range: EXPLAIN says "Impossible WHERE", no plan.) */
	f.created_before = "2000-01-01 00:00:00.000000";
	list(&f, 0, 10, 0, 0, NULL);
	memset(&f, 0, sizeof(f));
	f.created_by = "st_filt";
	plan_reads(&f, "tasks:ix_tasks_created_by");
	/* PATCH's tags replace the task's rows of task_tags. */
	memset(&out, 0, sizeof(out));
	CU_ASSERT_FATAL(tk_task_store_update(db, a3, 0, NULL, 1,
	    "[\"st_red\"]", &out) == TK_OK);
	tk_task_state_free(&out);
	CU_ASSERT_FATAL(tk_task_store_update(db, a1, 0, NULL, 1, NULL,
	    &out) == TK_OK);
	tk_task_state_free(&out);
	memset(&f, 0, sizeof(f));
	f.tag = "st_red";
	f.tags_json = "[\"st_red\"]";
	list(&f, 0, 10, 2, 2, a3);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM task_tags WHERE "
	    "tag = 'st_blue'"), 0);
}

/* The row_version of task id (0: no such task). */
static unsigned long long
version_of(const unsigned char id[16])
{
	struct tk_task_head h;
	unsigned long long v = 0;

	if (tk_task_store_head(st_db(), id, &h) == TK_OK)
		v = h.row_version;
	tk_task_head_free(&h);
	return v;
}

static tk_err
bump_twice(struct tk_db *db, void *arg)
{
	const unsigned char *id = arg;
	tk_err e;

	if ((e = tk_task_version_bump(db, id, 0)) != TK_OK)
		return e;
	return tk_task_version_bump(db, id, 0);
}

/* A task's row_version moves once per transaction, however many changes
 * it holds (a chained step's record and claim: one bump), and once per
 * statement outside one. */
static void
test_version_once(void)
{
	unsigned char id[16];
	unsigned long long v;
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(plain("order", "st_bump", id));
	v = version_of(id);
	CU_ASSERT_FATAL(v > 0);
	CU_ASSERT_EQUAL(tk_db_txn(db, bump_twice, id), TK_OK);
	CU_ASSERT_EQUAL(version_of(id), v + 1);
	CU_ASSERT_EQUAL(tk_db_txn(db, bump_twice, id), TK_OK);
	CU_ASSERT_EQUAL(version_of(id), v + 2);
	CU_ASSERT_EQUAL(bump_twice(db, id), TK_OK);
	CU_ASSERT_EQUAL(version_of(id), v + 4);
}

/* A step's compare-and-set with what it also writes, and its history
 * row, as the engine's claim (TAKE) or record (DONE) runs them. */
struct cas_arg {
	const unsigned char     *task;
	unsigned long long       step;
	enum tk_status           from, to;
	struct tk_step_also      also;
	int                      changed;
};

static tk_err
cas_and_log(struct tk_db *db, void *p)
{
	struct cas_arg *a = p;
	tk_err e;

	if ((e = tk_transition_store_step_cas_also(db, a->step, a->task,
	    a->from, a->to, &a->also, &a->changed)) != TK_OK || !a->changed)
		return e;
	return tk_transition_store_step_log(db, a->step, a->task, a->from,
	    a->to, 1, "st_cas", NULL);
}

/* The claim's and the record's compare-and-set bump their task's
 * row_version in the same statement: one +1 for the transaction, the
 * step written as before; a compare-and-set that finds another status
 * changes neither row. */
static void
test_cas_bump(void)
{
	struct cas_arg a;
	unsigned char id[16];
	unsigned long long v;
	/* st_num caches statements by address: a buffer each. */
	static char q1[200], q2[300], q3[300], q4[200];
	char hex[33];
	struct tk_db *db;
	int i;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(plain("order", "st_cas", id));
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", id[i]);
	snprintf(q1, sizeof(q1), "SELECT id FROM workflow_steps WHERE task_id ="
	    " UNHEX('%s') AND position = 0", hex);
	memset(&a, 0, sizeof(a));
	a.task = id;
	a.step = (unsigned long long)st_num(db, q1);
	CU_ASSERT_FATAL(a.step > 0);
	a.from = TK_ST_PENDING;
	a.to = TK_ST_IN_PROGRESS;
	a.also.kind = TK_ALSO_TAKE;
	a.also.owner = "st_cas/1";
	a.also.lease_seconds = 30;
	v = version_of(id);
	CU_ASSERT_EQUAL(tk_db_txn(db, cas_and_log, &a), TK_OK);
	CU_ASSERT_EQUAL(a.changed, 1);
	CU_ASSERT_EQUAL(version_of(id), v + 1);
	snprintf(q2, sizeof(q2), "SELECT (status = 'in_progress') + 2 * "
	    "(attempts = 1) + 4 * (lease_owner = 'st_cas/1') + 8 * "
	    "(lease_expires_at > UTC_TIMESTAMP(6)) FROM workflow_steps "
	    "WHERE id = %llu", a.step);
	CU_ASSERT_EQUAL(st_num(db, q2), 15);
	/* Taken again from pending: it is in_progress, nothing moves. */
	CU_ASSERT_EQUAL(tk_db_txn(db, cas_and_log, &a), TK_OK);
	CU_ASSERT_EQUAL(a.changed, 0);
	CU_ASSERT_EQUAL(version_of(id), v + 1);
	a.from = TK_ST_IN_PROGRESS;
	a.to = TK_ST_COMPLETE;
	a.also.kind = TK_ALSO_DONE;
	a.also.results = "{\"ok\": true}";
	CU_ASSERT_EQUAL(tk_db_txn(db, cas_and_log, &a), TK_OK);
	CU_ASSERT_EQUAL(a.changed, 1);
	CU_ASSERT_EQUAL(version_of(id), v + 2);
	snprintf(q3, sizeof(q3), "SELECT (status = 'complete') + 2 * "
	    "(results = '{\"ok\": true}') + 4 * (lease_owner IS NULL) FROM "
	    "workflow_steps WHERE id = %llu", a.step);
	CU_ASSERT_EQUAL(st_num(db, q3), 7);
	snprintf(q4, sizeof(q4), "SELECT COUNT(*) FROM step_transitions WHERE "
	    "step_id = %llu", a.step);
	CU_ASSERT_EQUAL(st_num(db, q4), 2);
}

/* A held history row: with the next row (ok 1), alone by the flush
 * (ok 2), or gone with a rollback (ok 0). */
struct hold_arg {
	const unsigned char *task;
	unsigned long long   step, next;
	int                  ok;
};

static tk_err
hold_then(struct tk_db *db, void *p)
{
	struct hold_arg *a = p;
	tk_err e;

	if ((e = tk_transition_store_step_hold(db, a->step, a->task,
	    TK_ST_IN_PROGRESS, TK_ST_COMPLETE, 7, "st_hold", NULL)) != TK_OK)
		return e;
	if (a->ok == 1)
		return tk_transition_store_step_log(db, a->next, a->task,
		    TK_ST_PENDING, TK_ST_IN_PROGRESS, 7, "st_hold", "next");
	if (a->ok == 2)
		return tk_transition_store_flush(db);
	return TK_ERR_CONFLICT;   /* rolled back */
}

/* The history rows of a chained step's completion and its child's claim
 * are one INSERT, in that order; a held row is written by the flush,
 * and a rolled back one is not written by a later transaction. */
static void
test_hold(void)
{
	static char q1[300], q2[300], q3[200], q4[200];
	struct hold_arg a;
	unsigned char id[16];
	char hex[33];
	struct tk_db *db;
	int i;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(plain("order", "st_hold", id));
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", id[i]);
	memset(&a, 0, sizeof(a));
	a.task = id;
	snprintf(q3, sizeof(q3), "SELECT id FROM workflow_steps WHERE task_id ="
	    " UNHEX('%s') AND position = 0", hex);
	snprintf(q4, sizeof(q4), "SELECT id FROM workflow_steps WHERE task_id ="
	    " UNHEX('%s') AND position = 1", hex);
	a.step = (unsigned long long)st_num(db, q3);
	a.next = (unsigned long long)st_num(db, q4);
	CU_ASSERT_FATAL(a.step > 0 && a.next > 0);
	/* Which rows, in id order: "c" for the held row, "i" for the next. */
	snprintf(q1, sizeof(q1), "SELECT COALESCE(GROUP_CONCAT(LEFT(to_status, "
	    "1) ORDER BY id SEPARATOR ''), '') = '%s' FROM step_transitions "
	    "WHERE task_id = UNHEX('%s') AND actor = 'st_hold'", "ci", hex);
	snprintf(q2, sizeof(q2), "SELECT COALESCE(GROUP_CONCAT(LEFT(to_status, "
	    "1) ORDER BY id SEPARATOR ''), '') = '%s' FROM step_transitions "
	    "WHERE task_id = UNHEX('%s') AND actor = 'st_hold'", "cic", hex);
	a.ok = 0;
	CU_ASSERT_NOT_EQUAL(tk_db_txn(db, hold_then, &a), TK_OK);
	a.ok = 1;
	CU_ASSERT_EQUAL(tk_db_txn(db, hold_then, &a), TK_OK);
	CU_ASSERT_EQUAL(st_num(db, q1), 1);
	a.ok = 2;
	CU_ASSERT_EQUAL(tk_db_txn(db, hold_then, &a), TK_OK);
	CU_ASSERT_EQUAL(st_num(db, q2), 1);
}

/*
 * row_version moves with every change (PATCH, cancel); the stale filter
 * (pending for longer than its cut-off) reads ix_tasks_status_updated,
 * its complement the primary key, and the gauge's count agrees.
 */
static void
test_version_stale(void)
{
	struct tk_task_filter f;
	struct tk_task_state out;
	struct tk_task_head h;
	unsigned char a1[16], a2[16], a3[16], none[16];
	unsigned long long v, n[TK_STALE_CUTOFFS];
	enum tk_status st;
	char cut[32];
	time_t t = time(NULL) - 3600;
	struct tm tm;
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(plain("order", "st_stale", a1));
	CU_ASSERT_FATAL(plain("order", "st_stale", a2));
	CU_ASSERT_FATAL(plain("order", "st_stale", a3));
	CU_ASSERT_EQUAL(version_of(a1), 1);
	memset(none, 0x5a, sizeof(none));
	CU_ASSERT_EQUAL(tk_task_store_head(db, none, &h),
	    TK_ERR_TASK_NOT_FOUND);
	CU_ASSERT_FATAL(st_sql(db, "UPDATE tasks SET updated_at ="
	    " UTC_TIMESTAMP(6) - INTERVAL 2 HOUR"
	    " WHERE created_by = 'st_stale'") == 0);
	v = version_of(a2);
	memset(&out, 0, sizeof(out));
	CU_ASSERT_FATAL(tk_task_store_cancel(db, a2, "st_stale", "test", &st,
	    &out) == TK_OK);
	tk_task_state_free(&out);
	CU_ASSERT_TRUE(version_of(a2) > v);
	v = version_of(a3);
	CU_ASSERT_FATAL(tk_task_store_update(db, a3, 1, "touched", 0, NULL,
	    &out) == TK_OK);
	tk_task_state_free(&out);
	CU_ASSERT_TRUE(version_of(a3) > v);
	gmtime_r(&t, &tm);
	strftime(cut, sizeof(cut), "%Y-%m-%d %H:%M:%S", &tm);
	memset(&f, 0, sizeof(f));
	f.stale = TK_STALE_ONLY;
	f.stale_before[0] = cut;
	plan_reads(&f, "tasks:ix_tasks_status_updated");
	CU_ASSERT_EQUAL(tk_task_store_stale_count(db, f.stale_before, n),
	    TK_OK);
	CU_ASSERT_TRUE(n[0] >= 1);
	f.created_by = "st_stale";
	list(&f, 0, 10, 1, 1, a1);
	f.stale = TK_STALE_NOT;
	list(&f, 0, 10, 2, 2, a3);
	f.created_by = NULL;
	plan_reads(&f, "tasks:PRIMARY");
	/* No cut-off for pending: never stale. */
	f.created_by = "st_stale";
	f.stale = TK_STALE_ONLY;
	f.stale_before[0] = NULL;
	list(&f, 0, 10, 0, 0, NULL);
}

/* task_counts' total of handler version hv's tasks cancelled (which 0)
 * or pending (1). */
static long long
counter(unsigned hv, int which)
{
	/* st_num caches statements by address: a buffer each. */
	static char q[2][200];

	snprintf(q[which], sizeof(q[which]), "SELECT COALESCE(SUM(n), 0) FROM"
	    " task_counts WHERE handler_version_id = %u AND status = '%s'",
	    hv, which ? "pending" : "cancelled");
	return st_num(st_db(), q[which]);
}

static void
test_cancel(void)
{
	struct tk_task_state out;
	unsigned char id[16], none[16];
	enum tk_status st = TK_ST_PENDING;
	long long before[2];
	unsigned hv = 0;
	struct tk_db *db;
	size_t i;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(plain("order", "st_cancel", id));
	CU_ASSERT_FATAL(st_handler("order", &hv) != NULL);
	before[0] = counter(hv, 0);
	before[1] = counter(hv, 1);
	memset(&out, 0, sizeof(out));
	CU_ASSERT_FATAL(tk_task_store_cancel(db, id, "st_cancel", "no longer "
	    "needed", &st, &out) == TK_OK);
	CU_ASSERT_EQUAL(st, TK_ST_CANCELLED);
	CU_ASSERT_STRING_EQUAL(tk_status_name(out.task.status),
	    "cancelled");
	CU_ASSERT_EQUAL(out.steps.n, 3);
	for (i = 0; i < out.steps.n; i++) {
		CU_ASSERT_STRING_EQUAL(tk_status_name(
		    out.steps.v[i].status), "cancelled");
		CU_ASSERT_PTR_NULL(out.steps.v[i].ready_at);
	}
	tk_task_state_free(&out);
	/* A final task cannot be cancelled again; an unknown one is 404. */
	CU_ASSERT_EQUAL(tk_task_store_cancel(db, id, "st_cancel", NULL, &st,
	    &out), TK_ERR_CONFLICT);
	CU_ASSERT_EQUAL(st, TK_ST_CANCELLED);
	CU_ASSERT_EQUAL(tk_task_store_retry(db, id, "st_cancel", NULL, &st,
	    &out), TK_ERR_CONFLICT);
	memset(none, 0x7f, sizeof(none));
	CU_ASSERT_EQUAL(tk_task_store_cancel(db, none, "st_cancel", NULL,
	    &st, &out), TK_ERR_TASK_NOT_FOUND);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM task_transitions t "
	    "JOIN tasks k ON k.id = t.task_id WHERE k.created_by = "
	    "'st_cancel' AND t.to_status = 'cancelled'"), 1);
	/* The move's two counters (one statement, "pending" after
	 * "cancelled" by name): -1 and +1. */
	CU_ASSERT_EQUAL(counter(hv, 0) - before[0], 1);
	CU_ASSERT_EQUAL(counter(hv, 1) - before[1], -1);
}

/* Puts a task's first step in error as a worker's last failed attempt
 * does (the task follows, and so does task_counts). */
static int
fail_first_step(const unsigned char id[16], unsigned hv)
{
	char a[512], b[512], c[512];
	char hex[33];
	int i;

	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", id[i]);
	snprintf(a, sizeof(a), "UPDATE workflow_steps SET status = 'error', "
	    "attempts = 1, ready_at = NULL, last_error = 'boom' WHERE "
	    "task_id = UNHEX('%s') AND position = 0", hex);
	snprintf(b, sizeof(b), "UPDATE tasks SET status = 'error' WHERE id = "
	    "UNHEX('%s')", hex);
	snprintf(c, sizeof(c), "INSERT INTO task_counts (handler_version_id, "
	    "status, slot, n) VALUES (%u, 'pending', 0, -1), (%u, 'error', 0, "
	    "1) ON DUPLICATE KEY UPDATE n = n + VALUES(n)", hv, hv);
	if (st_sql(st_db(), a) != 0 || st_sql(st_db(), b) != 0)
		return -1;
	return st_sql(st_db(), c);
}

static void
test_retry(void)
{
	struct tk_task_state out;
	struct tk_task_filter f;
	unsigned long long n = 0;
	unsigned char id[16];
	enum tk_status st = TK_ST_PENDING;
	unsigned hv = 0;
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(st_handler("order", &hv) != NULL);
	CU_ASSERT_FATAL(plain("order", "st_retry", id));
	memset(&out, 0, sizeof(out));
	/* Not in error: refused. */
	CU_ASSERT_EQUAL(tk_task_store_retry(db, id, "st_retry", NULL, &st,
	    &out), TK_ERR_CONFLICT);
	CU_ASSERT_EQUAL(st, TK_ST_PENDING);
	CU_ASSERT_FATAL(fail_first_step(id, hv) == 0);
	CU_ASSERT_STRING_EQUAL(task_status(id), "error");
	CU_ASSERT_FATAL(tk_task_store_retry(db, id, "st_retry", "try again",
	    &st, &out) == TK_OK);
	CU_ASSERT_EQUAL(st, TK_ST_PENDING);
	CU_ASSERT_STRING_EQUAL(tk_status_name(out.task.status),
	    "pending");
	CU_ASSERT_STRING_EQUAL(tk_status_name(out.steps.v[0].status),
	    "pending");
	CU_ASSERT_EQUAL(out.steps.v[0].attempts, 0);
	CU_ASSERT_PTR_NOT_NULL(out.steps.v[0].ready_at);
	tk_task_state_free(&out);
	/* The totals follow: no task of that handler is in error. */
	memset(&f, 0, sizeof(f));
	f.namespace_name = "st_shop";
	f.status_mask = 1u << TK_ST_ERROR;
	CU_ASSERT_EQUAL(tk_task_store_count(db, &f, &n), TK_OK);
	CU_ASSERT_EQUAL(n, 0);
}

/* The task of the step the claim would take now (autocommit: its lock
 * goes with the statement); 0 when there is none. */
static int
claimed_task(unsigned char task[16])
{
	struct tk_step_ready s;
	int found = 0;

	CU_ASSERT_FATAL(tk_step_store_next_ready(st_db(), &s, &found) ==
	    TK_OK);
	memcpy(task, s.task, 16);
	return found;
}

/*
 * Priorities (0011): the task's priority is its steps', claim_at is
 * ready_at minus that many seconds, the claim takes the smallest
 * claim_at off ix_steps_claim without sorting, and waiting ages a step:
 * one point per second.  Other cases' ready steps (priority 0, ready
 * within the last minute) are in the table too; 100 points beat them.
 */
static void
test_priority(void)
{
	unsigned char hi[16], old[16], got[16];
	struct tk_task_filter f;
	char plan[256];
	struct tk_db *db;

	ST_NEED(db, st_db);
	next_priority = 100;
	CU_ASSERT_FATAL(plain("order", "st_prio", hi));
	next_priority = 0;
	CU_ASSERT_FATAL(plain("order", "st_prio", old));
	CU_ASSERT_EQUAL(st_num(db, "SELECT MIN(priority) FROM tasks WHERE "
	    "created_by = 'st_prio'"), 0);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM workflow_steps s "
	    "JOIN tasks t ON t.id = s.task_id WHERE t.created_by = 'st_prio'"
	    " AND t.priority = 100 AND s.priority = 100 AND s.ready_at IS NOT "
	    "NULL AND s.claim_at = s.ready_at - INTERVAL 100 SECOND"), 1);
	CU_ASSERT_FATAL(tk_step_store_claim_plan(db, plan, sizeof(plan)) ==
	    TK_OK);
	if (strncmp(plan, "range:ix_steps_claim:", 21) != 0 ||
	    strstr(plan, "filesort") != NULL) {
		fprintf(stderr, "\n  claim plan %s\n", plan);
		CU_FAIL("the claim is not an ordered read of ix_steps_claim");
	}
	CU_ASSERT_FATAL(claimed_task(got));
	CU_ASSERT(memcmp(got, hi, 16) == 0);
	/* 200 s of waiting outweigh 100 points of priority. */
	CU_ASSERT_FATAL(st_sql(db, "UPDATE workflow_steps s JOIN tasks t ON "
	    "t.id = s.task_id SET s.ready_at = s.ready_at - INTERVAL 200 "
	    "SECOND WHERE t.created_by = 'st_prio' AND t.priority = 0 AND "
	    "s.ready_at IS NOT NULL") == 0);
	CU_ASSERT_FATAL(claimed_task(got));
	CU_ASSERT(memcmp(got, old, 16) == 0);
	/* GET /tasks?priority=, priority_min=: off ix_tasks_priority; with
	 * another filter, a condition on its rows. */
	memset(&f, 0, sizeof(f));
	f.has_priority = 1;
	f.priority_min = f.priority_max = 100;
	list(&f, 0, 10, 1, 1, hi);
	plan_reads(&f, "tasks:ix_tasks_priority");
	f.priority_min = -100;
	f.priority_max = -1;
	list(&f, 0, 10, 0, 0, NULL);
	f.created_by = "st_prio";
	f.priority_min = 0;
	f.priority_max = 100;
	list(&f, 0, 10, 2, 2, old);
	f.priority_max = 99;
	list(&f, 0, 10, 1, 1, old);
	/* Nothing of this case stays claimable for the others. */
	CU_ASSERT(st_sql(db, "UPDATE workflow_steps s JOIN tasks t ON "
	    "t.id = s.task_id SET s.ready_at = NULL WHERE t.created_by = "
	    "'st_prio'") == 0);
}

TK_SUITE(store_tasks,
    { "create: a task and its steps; no key, no dedup", test_create },
    { "create with an Idempotency-Key: once per principal and key",
      test_idempotency },
    { "create whose connection is lost in its transaction: resolved, "
      "stored once", test_create_lost },
    { "list: filters, pages and totals", test_list },
    { "list and count: the scope filter", test_scope },
    { "list: initiator, source_system, tags, created_at, by index",
      test_filters },
    { "cancel: every step, once; unknown is not found", test_cancel },
    { "retry: only a task in error, which becomes pending", test_retry },
    { "priority: stored on the steps, claimed first, aged by waiting",
      test_priority },
    { "row_version moves; stale filter by index", test_version_stale },
    { "row_version: once per transaction", test_version_once },
    { "row_version: bumped by the claim's and the record's own UPDATE",
      test_cas_bump },
    { "history: a held row goes with the next, or alone by the flush",
      test_hold });
