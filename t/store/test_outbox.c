/*
 * test_outbox.c - outbox_store.c against a real server: an event is
 * written with the change it describes (and not when that rolls back),
 * only for the subscriptions that want it; deliveries are claimed once
 * (SKIP LOCKED and a lease), recorded compare-and-set on the attempt,
 * and counted.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "tasker/outbox_store.h"
#include "tasker/state.h"
#include "tasker/task_store.h"
#include "tasker/tasks.h"

#include "storelib.h"
#include "../unit/testlib.h"

static char s_created[] = "task.created", s_nowhere[] = "no_such_namespace";
static char s_wanted[] = "wanted", s_elsewhere[] = "elsewhere";
static char s_url[] = "http://127.0.0.1:9/", s_file[] = "x";
static char *ev_created[] = { s_created };
static char *ns_none[] = { s_nowhere };

/* "wanted" gets task.created of every namespace; "elsewhere" only of a
 * namespace no task has. */
static struct tk_webhook_sub subs[2] = {
	{ s_wanted, s_url, s_file, ev_created, 1, 1u << TK_EV_TASK_CREATED,
	    NULL, 0, NULL, 0, 5, 3, 100, 1 },
	{ s_elsewhere, s_url, s_file, ev_created, 1, 1u << TK_EV_TASK_CREATED,
	    ns_none, 1, NULL, 0, 5, 3, 100, 1 },
};

static tk_err
create(unsigned char id[16])
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
	t.actor = t.created_by = t.idem_principal = "outbox_tests";
	return tk_task_store_create(st_db(), &t, created, &h);
}

/* Events (deliveries 0) or deliveries (1) of task id.  The id goes
 * through a session variable: st_num's statements are cached by the
 * address of their text, so each text is a literal. */
static long long
count(int deliveries, const unsigned char id[16])
{
	char hex[33], sql[64];
	int i;

	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(sql, sizeof(sql), "SET @t = UNHEX('%s')", hex);
	if (st_sql(st_db(), sql) != 0)
		return -1;
	return st_num(st_db(), deliveries ?
	    "SELECT COUNT(*) FROM webhook_deliveries d JOIN webhook_events e"
	    " ON e.id = d.event_id WHERE e.task_id = @t" :
	    "SELECT COUNT(*) FROM webhook_events WHERE task_id = @t");
}

#define EVENTS     0
#define DELIVERIES 1

static void
test_written_with_the_change(void)
{
	unsigned char id[16];
	struct tk_db *db;

	ST_NEED(db, st_db);
	tk_outbox_configure(subs, 2);
	CU_ASSERT_EQUAL_FATAL(create(id), TK_OK);
	CU_ASSERT_EQUAL(count(EVENTS, id), 1);
	CU_ASSERT_EQUAL(count(DELIVERIES, id), 1);   /* "wanted" only */
	/* Written in a transaction that rolls back: nothing stays. */
	CU_ASSERT_EQUAL_FATAL(tk_db_begin(db), TK_OK);
	CU_ASSERT_EQUAL(tk_outbox_add(db, TK_EV_TASK_CREATED, id, NULL), TK_OK);
	CU_ASSERT_EQUAL(count(EVENTS, id), 2);
	tk_db_rollback(db);
	CU_ASSERT_EQUAL(count(EVENTS, id), 1);
	/* An event nobody wants: no statement, no row. */
	CU_ASSERT_EQUAL(tk_outbox_add(db, TK_EV_TASK_FAILED, id, NULL), TK_OK);
	CU_ASSERT_EQUAL(count(EVENTS, id), 1);
	tk_outbox_configure(NULL, 0);
	CU_ASSERT_EQUAL_FATAL(create(id), TK_OK);
	CU_ASSERT_EQUAL(count(EVENTS, id), 0);
}

static void
test_claim_and_record(void)
{
	struct tk_delivery *d = NULL, *d2 = NULL;
	struct tk_delivery stale;
	unsigned long long before[3], after[3];
	struct tk_db *db, *db2;
	size_t n = 0, n2 = 0;

	ST_NEED(db, st_db);
	ST_NEED(db2, st_db2);
	st_sql(db, "UPDATE webhook_deliveries SET status = 'failed'");
	tk_outbox_configure(subs, 2);
	{
		unsigned char id[16];

		CU_ASSERT_EQUAL_FATAL(create(id), TK_OK);
	}
	CU_ASSERT_EQUAL(tk_outbox_counts(db, before), TK_OK);
	CU_ASSERT_EQUAL_FATAL(tk_outbox_claim(db, 10, 60, &d, &n), TK_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(d[0].attempts, 1);
	CU_ASSERT_STRING_EQUAL(d[0].subscription, "wanted");
	CU_ASSERT(strncmp(d[0].msg_id, "msg_", 4) == 0);
	CU_ASSERT(strstr(d[0].payload, "\"type\": \"task.created\"") != NULL ||
	    strstr(d[0].payload, "\"type\":\"task.created\"") != NULL);
	/* Leased: another worker finds nothing due. */
	CU_ASSERT_EQUAL(tk_outbox_claim(db2, 10, 60, &d2, &n2), TK_OK);
	CU_ASSERT_EQUAL(n2, 0);
	tk_deliveries_free(d2, n2);
	/* Retried at once: due again, the next claim is attempt 2. */
	CU_ASSERT_EQUAL(tk_outbox_record(db, &d[0], TK_DLV_RETRIED, 500,
	    "HTTP 500: no", 0), TK_OK);
	stale = d[0];
	stale.subscription = stale.msg_id = stale.payload = NULL;
	tk_deliveries_free(d, n);
	CU_ASSERT_EQUAL_FATAL(tk_outbox_claim(db2, 10, 60, &d, &n), TK_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(d[0].attempts, 2);
	/* The first attempt's late outcome changes nothing. */
	CU_ASSERT_EQUAL(tk_outbox_record(db, &stale, TK_DLV_DELIVERED, 204,
	    NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM webhook_deliveries"
	    " WHERE status = 'pending'"), 1);
	CU_ASSERT_EQUAL(tk_outbox_record(db2, &d[0], TK_DLV_DELIVERED, 204,
	    NULL, 0), TK_OK);
	CU_ASSERT_EQUAL(st_num(db, "SELECT COUNT(*) FROM webhook_deliveries"
	    " WHERE status = 'delivered' AND attempts = 2 AND last_status = 204"
	    " AND next_attempt_at IS NULL"), 1);
	CU_ASSERT_EQUAL(tk_outbox_counts(db, after), TK_OK);
	CU_ASSERT_EQUAL(after[TK_DLV_DELIVERED], before[TK_DLV_DELIVERED] + 1);
	CU_ASSERT_EQUAL(after[TK_DLV_RETRIED], before[TK_DLV_RETRIED] + 1);
	CU_ASSERT_EQUAL(after[TK_DLV_FAILED], before[TK_DLV_FAILED]);
	tk_deliveries_free(d, n);
	tk_outbox_configure(NULL, 0);
}

TK_SUITE(store_outbox,
    { "an event is written with its change, for who wants it",
      test_written_with_the_change },
    { "deliveries: claimed once, recorded on their attempt, counted",
      test_claim_and_record });
