/*
 * test_scan_probe.c - scan_store.c and probe.c against a real server: a
 * scan of the tasks finds a value planted with bad UTF-8 (what
 * tasker-admin check utf8 reports), the health probe's counts follow
 * the tasks and steps created, and its worker list shows the live
 * workers' rows.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "tasker/probe.h"
#include "tasker/scan_store.h"
#include "tasker/task_store.h"
#include "tasker/tasks.h"
#include "tasker/utf8.h"

#include "storelib.h"
#include "../unit/testlib.h"

static tk_err
create(const char *who, unsigned char id[16])
{
	struct tk_task_new t;
	char created[TK_TIMESTAMP_SIZE];
	struct tk_idem_hit h;
	unsigned hv = 0;

	memset(&t, 0, sizeof(t));
	if ((t.def = st_handler("order", &hv)) == NULL ||
	    tk_uuid7_new(id) != TK_OK)
		return TK_ERR_INTERNAL;
	memcpy(t.id, id, 16);
	t.hv_id = hv;
	t.context = "{}";
	t.context_len = 2;
	t.source_system = "store_tests";
	t.reason = "fine";
	t.actor = who;
	t.created_by = who;
	return tk_task_store_create(st_db(), &t, created, &h);
}

/* The scan of `tasks`: how many of its values are bad UTF-8, and whether
 * one of them is the reason of the task id. */
static size_t
scan_tasks(const unsigned char id[16], int *found)
{
	struct tk_scan_cursor c;
	struct tk_scan_batch r = { NULL, 0 };
	struct tk_scan_row *w;
	size_t i, j, bad = 0;

	*found = 0;
	for (i = 0; i < tk_scan_ntables; i++)
		if (strcmp(tk_scan_tables[i].name, "tasks") == 0)
			break;
	CU_ASSERT_FATAL(i < tk_scan_ntables);
	tk_scan_begin(&c, &tk_scan_tables[i]);
	/* Key: id; texts: context, initiator, source_system, reason, tags. */
	while (tk_scan_next(st_db(), &c, &r) == TK_OK && r.n > 0) {
		for (i = 0; i < r.n; i++) {
			w = &r.v[i];
			CU_ASSERT_EQUAL(w->ntext, 5);
			CU_ASSERT_EQUAL(w->keylen[0], 16);
			for (j = 0; j < w->ntext; j++) {
				if (w->text[j] == NULL || tk_utf8_bad(
				    w->text[j], w->len[j]) == w->len[j])
					continue;
				bad++;
				if (j == 3 && memcmp(w->key[0], id, 16) == 0)
					*found = 1;
			}
		}
		tk_scan_batch_free(&r);
	}
	tk_scan_batch_free(&r);
	tk_scan_end(&c);
	return bad;
}

static void
test_scan_utf8(void)
{
	unsigned char id[16];
	char sql[256], hex[33];
	struct tk_db *db;
	size_t before;
	int found, i;

	ST_NEED(db, st_db);
	/* More tasks than one batch, so the scan continues past a key. */
	for (i = 0; i < TK_SCAN_BATCH + 5; i++)
		CU_ASSERT_FATAL(create("st_scan", id) == TK_OK);
	before = scan_tasks(id, &found);
	CU_ASSERT_EQUAL(before, 0);
	CU_ASSERT_EQUAL(found, 0);
	/* A UTF-16 surrogate (ED A0 80): MariaDB's utf8mb4 takes it, strict
	 * UTF-8 does not.  Planted in the first task's reason. */
	CU_ASSERT_FATAL(st_num(db, "SELECT COUNT(*) FROM tasks WHERE "
	    "created_by = 'st_scan'") == TK_SCAN_BATCH + 5);
	CU_ASSERT_FATAL(create("st_scan", id) == TK_OK);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", id[i]);
	snprintf(sql, sizeof(sql), "UPDATE tasks SET reason = CONCAT('a', "
	    "UNHEX('EDA080')) WHERE id = UNHEX('%s')", hex);
	CU_ASSERT_FATAL(st_sql(db, sql) == 0);
	CU_ASSERT_EQUAL(scan_tasks(id, &found), 1);
	CU_ASSERT_EQUAL(found, 1);
}

static void
test_probe_counts(void)
{
	struct tk_probe_counts a, b;
	unsigned char id[16];
	struct tk_task_state out;
	enum tk_status st;
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(tk_probe_counts(db, 30, &a) == TK_OK);
	CU_ASSERT_FATAL(create("st_probe", id) == TK_OK);
	CU_ASSERT_FATAL(create("st_probe", id) == TK_OK);
	memset(&out, 0, sizeof(out));
	CU_ASSERT_FATAL(tk_task_store_cancel(db, id, "st_probe", NULL, &st,
	    &out) == TK_OK);
	tk_task_state_free(&out);
	CU_ASSERT_FATAL(tk_probe_counts(db, 30, &b) == TK_OK);
	/* Two tasks of three steps: one pending (one step ready), one
	 * cancelled. */
	CU_ASSERT_EQUAL(b.tasks[TK_ST_PENDING] - a.tasks[TK_ST_PENDING], 1);
	CU_ASSERT_EQUAL(b.tasks[TK_ST_CANCELLED] - a.tasks[TK_ST_CANCELLED],
	    1);
	CU_ASSERT_EQUAL(b.steps[TK_ST_PENDING] - a.steps[TK_ST_PENDING], 3);
	CU_ASSERT_EQUAL(b.steps[TK_ST_CANCELLED] - a.steps[TK_ST_CANCELLED],
	    3);
	CU_ASSERT_EQUAL(b.ready_steps - a.ready_steps, 1);
	CU_ASSERT(b.oldest_ready_seconds >= 0);
	/* No worker has ever run against this database. */
	CU_ASSERT_EQUAL(b.workers_live, 0);
	CU_ASSERT_EQUAL(b.worker_processes_live, 0);
}

/* The one worker of l called id, or NULL. */
static const struct tk_worker_row *
worker_in(const struct tk_worker_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].id != NULL && strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

static void
test_probe_workers(void)
{
	struct tk_worker_list l;
	const struct tk_worker_row *w;
	struct tk_db *db;

	ST_NEED(db, st_db);
	CU_ASSERT_FATAL(st_sql(db, "INSERT INTO workers (id, host, pid,"
	    " processes, started_at, heartbeat_at, stopped_at) VALUES"
	    " ('st_probe_live', 'host-a', 42, 3, '2026-01-02 03:04:05.5',"
	    " UTC_TIMESTAMP(6), NULL), ('st_probe_gone', 'host-b', 7, 1,"
	    " UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))") == 0);
	CU_ASSERT_FATAL(tk_probe_workers(db, 30, 100, &l) == TK_OK);
	CU_ASSERT_PTR_NULL(worker_in(&l, "st_probe_gone"));
	w = worker_in(&l, "st_probe_live");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_STRING_EQUAL(w->host, "host-a");
	CU_ASSERT_EQUAL(w->pid, 42);
	CU_ASSERT_EQUAL(w->processes, 3);
	CU_ASSERT_STRING_EQUAL(w->started_at, "2026-01-02T03:04:05Z");
	CU_ASSERT_EQUAL(strlen(w->heartbeat_at), 20);
	tk_worker_list_free(&l);
	CU_ASSERT_EQUAL(l.n, 0);
	/* Gone again, so that no other test sees a live worker. */
	CU_ASSERT(st_sql(db, "UPDATE workers SET stopped_at ="
	    " UTC_TIMESTAMP(6) WHERE id = 'st_probe_live'") == 0);
}

TK_SUITE(store_scan_probe,
    { "scan_store: a planted bad UTF-8 value is found",
      test_scan_utf8 },
    { "probe: task and step counts follow the store", test_probe_counts },
    { "probe: the live workers, typed", test_probe_workers });
