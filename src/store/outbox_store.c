/*
 * outbox_store.c - the webhook outbox's statements (see outbox_store.h
 * and db/migrations/0009_webhooks.sql).
 *
 * The payload is shaped here, by the server, from the rows the change
 * just wrote, so it is the state the transaction committed:
 *   {"type": "task.completed", "timestamp": "...Z",
 *    "data": {"task_id", "namespace", "name", "version", "status",
 *             "step": {"id", "name", "attempt", "error"}}}   (step events)
 * msg_id ("msg_" and 32 hex digits of a UUID) is the webhook-id.
 */
#include "tasker/outbox_store.h"

#include <stdlib.h>
#include <string.h>

#include "tasker/alloc.h"
#include "rows.h"

/* The process's subscriptions (tk_outbox_configure); borrowed. */
static const struct tk_webhook_sub *subs;
static size_t nsubs;
static unsigned any_mask;   /* the union of their event masks */

#define PAYLOAD_HEAD                                                       \
	"INSERT INTO webhook_events (msg_id, type, task_id, step_id, payload," \
	" created_at) SELECT CONCAT('msg_', REPLACE(UUID(), '-', '')), ?,"  \
	" t.id, ?, JSON_OBJECT('type', ?, 'timestamp',"                      \
	" DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%fZ'), 'data',"   \
	" JSON_OBJECT('task_id', LOWER(INSERT(INSERT(INSERT(INSERT(HEX(t.id)," \
	" 9, 0, '-'), 14, 0, '-'), 19, 0, '-'), 24, 0, '-')),"              \
	" 'namespace', t.namespace, 'name', t.name, 'version', t.version,"  \
	" 'status', t.status"
static const char SQL_EVENT_TASK[] = PAYLOAD_HEAD
    ")), UTC_TIMESTAMP(6) FROM tasks t WHERE t.id = ?";
static const char SQL_EVENT_STEP[] = PAYLOAD_HEAD
    ", 'step', JSON_OBJECT('id', s.id, 'name', s.name, 'status', s.status,"
    " 'attempt', ?, 'error', LEFT(?, 1024)))), UTC_TIMESTAMP(6)"
    " FROM tasks t JOIN workflow_steps s ON s.id = ? AND s.task_id = t.id"
    " WHERE t.id = ?";
static const char SQL_TASK_NAMES[] =
    "SELECT namespace, name FROM tasks WHERE id = ?";
static const char SQL_DELIVERY_INSERT[] =
    "INSERT INTO webhook_deliveries (event_id, subscription, status,"
    " attempts, next_attempt_at, created_at, updated_at)"
    " VALUES (?, ?, 'pending', 0, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),"
    " UTC_TIMESTAMP(6))";

static const char SQL_DUE[] =
    "SELECT id, subscription, attempts, event_id FROM webhook_deliveries"
    " WHERE status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(6)"
    " ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED";
static const char SQL_TAKE[] =
    "UPDATE webhook_deliveries SET attempts = attempts + 1,"
    " next_attempt_at = DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? SECOND),"
    " last_attempt_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)"
    " WHERE id = ?";
static const char SQL_EVENT_BODY[] =
    "SELECT msg_id, payload FROM webhook_events WHERE id = ?";
static const char SQL_RECORD[] =
    "UPDATE webhook_deliveries SET status = ?, last_status = ?,"
    " last_error = LEFT(?, 1024), next_attempt_at = IF(? = 'pending',"
    " DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND), NULL),"
    " updated_at = UTC_TIMESTAMP(6)"
    " WHERE id = ? AND attempts = ? AND status = 'pending'";
static const char SQL_COUNT_ADD[] =
    "UPDATE webhook_delivery_counts SET n = n + 1 WHERE outcome = ?";
static const char SQL_COUNTS[] =
    "SELECT outcome + 0, n FROM webhook_delivery_counts";
static const char SQL_READ[] =
    "SELECT e.id, e.msg_id, e.type, e.payload, e.created_at,"
    " d.subscription, d.status, d.attempts, d.last_status, d.last_error,"
    " d.last_attempt_at, d.next_attempt_at FROM webhook_events e"
    " LEFT JOIN webhook_deliveries d ON d.event_id = e.id"
    " WHERE e.task_id = ? ORDER BY e.id, d.subscription LIMIT 1000";

static const char *const outcome_names[] = { "delivered", "retried",
    "failed" };

/* ---------------------------------------------------------------- writing */

void
tk_outbox_configure(const struct tk_webhook_sub *s, size_t n)
{
	size_t i;

	subs = s;
	nsubs = n;
	any_mask = 0;
	for (i = 0; i < n; i++)
		any_mask |= s[i].event_mask;
}

const struct tk_webhook_sub *
tk_outbox_sub(const char *name)
{
	size_t i;

	for (i = 0; i < nsubs; i++)
		if (strcmp(subs[i].name, name) == 0)
			return &subs[i];
	return NULL;
}

enum tk_event
tk_outbox_task_event(int from, enum tk_status to)
{
	if (from < 0)
		return TK_EV_TASK_CREATED;
	switch (to) {
	case TK_ST_COMPLETE:
		return TK_EV_TASK_COMPLETED;
	case TK_ST_ERROR:
		return TK_EV_TASK_FAILED;
	case TK_ST_CANCELLED:
		return TK_EV_TASK_CANCELLED;
	default:
		return TK_EV_NONE;
	}
}

static int
listed(char *const *v, size_t n, const char *s)
{
	size_t i;

	if (n == 0)
		return 1;   /* no filter */
	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int
wants(const struct tk_webhook_sub *w, enum tk_event ev, const char *ns,
    const char *name)
{
	return (w->event_mask & (1u << ev)) != 0 &&
	    listed(w->namespaces, w->nnamespaces, ns) &&
	    listed(w->handlers, w->nhandlers, name);
}

/* Which subscriptions want ev for the task: match[i], *nmatch of them. */
static tk_err
matching(struct tk_db *db, enum tk_event ev, const unsigned char task_id[16],
    unsigned char *match, size_t *nmatch)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(task_id, 16);
	size_t i;
	tk_err e;

	*nmatch = 0;
	if ((e = tk_db_query(db, SQL_TASK_NAMES, &a, 1, &r)) != TK_OK)
		return e;
	for (i = 0; i < nsubs && r.nrows == 1; i++) {
		match[i] = (unsigned char)wants(&subs[i], ev,
		    tk_row_str(&r, 0, 0), tk_row_str(&r, 0, 1));
		*nmatch += match[i];
	}
	tk_rows_free(&r);
	return TK_OK;
}

static tk_err
insert_event(struct tk_db *db, enum tk_event ev,
    const unsigned char task_id[16], const struct tk_outbox_step *step,
    unsigned long long *event_id)
{
	const char *type = tk_event_name(ev);
	struct tk_dbarg a[8];
	unsigned long long n = 0;
	tk_err e;

	a[0] = TK_PSTR(type);
	a[1] = step != NULL ? TK_PINT(step->id) : TK_PNULL;
	a[2] = TK_PSTR(type);
	if (step == NULL) {
		a[3] = TK_PBLOB(task_id, 16);
		e = tk_db_exec(db, SQL_EVENT_TASK, a, 4, &n, event_id);
	} else {
		a[3] = TK_PINT(step->attempt);
		a[4] = TK_POPT(step->error);
		a[5] = TK_PINT(step->id);
		a[6] = TK_PBLOB(task_id, 16);
		e = tk_db_exec(db, SQL_EVENT_STEP, a, 7, &n, event_id);
	}
	/* No row: the task (or step) is not there; nothing to tell. */
	if (e == TK_OK && n != 1)
		*event_id = 0;
	return e;
}

tk_err
tk_outbox_add(struct tk_db *db, enum tk_event ev,
    const unsigned char task_id[16], const struct tk_outbox_step *step)
{
	unsigned char match[64];   /* CFG_MAX_HOOKS */
	unsigned long long event_id = 0;
	struct tk_dbarg a[2];
	size_t i, nmatch;
	tk_err e;

	/* The common case, no subscription for this event: no statement. */
	if (ev == TK_EV_NONE || (any_mask & (1u << ev)) == 0 ||
	    nsubs > sizeof(match))
		return TK_OK;
	if ((e = matching(db, ev, task_id, match, &nmatch)) != TK_OK ||
	    nmatch == 0)
		return e;
	if ((e = insert_event(db, ev, task_id, step, &event_id)) != TK_OK ||
	    event_id == 0)
		return e;
	for (i = 0; i < nsubs && e == TK_OK; i++) {
		if (!match[i])
			continue;
		a[0] = TK_PINT(event_id);
		a[1] = TK_PSTR(subs[i].name);
		e = tk_db_exec(db, SQL_DELIVERY_INSERT, a, 2, NULL, NULL);
	}
	return e;
}

/* ---------------------------------------------------------------- delivery */

void
tk_deliveries_free(struct tk_delivery *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(d[i].subscription);
		free(d[i].msg_id);
		free(d[i].payload);
	}
	free(d);
}

struct claim_arg {
	unsigned             max;
	unsigned             lease;
	struct tk_delivery  *d;
	unsigned long long  *event;   /* d[i]'s event */
	size_t               n;
};

static tk_err
outbox_claim_txn(struct tk_db *db, void *p)
{
	struct claim_arg *c = p;
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	size_t i;
	tk_err e;

	tk_deliveries_free(c->d, c->n);
	free(c->event);
	c->d = NULL;
	c->event = NULL;
	c->n = 0;
	a[0] = TK_PINT(c->max);
	if ((e = tk_db_query(db, SQL_DUE, a, 1, &r)) != TK_OK || r.nrows == 0)
		goto out;
	c->d = tk_reallocarray(NULL, r.nrows, sizeof(*c->d));
	c->event = tk_reallocarray(NULL, r.nrows, sizeof(*c->event));
	if (c->d == NULL || c->event == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	memset(c->d, 0, r.nrows * sizeof(*c->d));
	for (i = 0; i < r.nrows && e == TK_OK; i++, c->n++) {
		c->d[i].id = (unsigned long long)tk_row_int(&r, i, 0);
		c->d[i].subscription = tk_row_take(&r, i, 1, NULL);
		c->d[i].attempts = (unsigned)tk_row_int(&r, i, 2) + 1;
		c->event[i] = (unsigned long long)tk_row_int(&r, i, 3);
		a[0] = TK_PINT(c->lease);
		a[1] = TK_PINT(c->d[i].id);
		e = tk_db_exec(db, SQL_TAKE, a, 2, NULL, NULL);
	}
out:
	tk_rows_free(&r);
	return e;
}

/* The webhook-id and body of d's event (read after the claim committed:
 * events never change). */
static tk_err
event_body(struct tk_db *db, unsigned long long event_id,
    struct tk_delivery *d)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PINT(event_id);
	tk_err e;

	if ((e = tk_db_query(db, SQL_EVENT_BODY, &a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows == 1 && tk_row_str(&r, 0, 0) != NULL &&
	    tk_row_str(&r, 0, 1) != NULL) {
		d->msg_id = tk_row_take(&r, 0, 0, NULL);
		d->payload = tk_row_take(&r, 0, 1, &d->payload_len);
	} else
		e = TK_ERR_INTERNAL;
	tk_rows_free(&r);
	return e;
}

tk_err
tk_outbox_claim(struct tk_db *db, unsigned max, unsigned lease_seconds,
    struct tk_delivery **out, size_t *n)
{
	struct claim_arg c;
	size_t i;
	tk_err e;

	memset(&c, 0, sizeof(c));
	c.max = max;
	c.lease = lease_seconds;
	*out = NULL;
	*n = 0;
	e = tk_db_txn(db, outbox_claim_txn, &c);
	for (i = 0; i < c.n && e == TK_OK; i++)
		e = event_body(db, c.event[i], &c.d[i]);
	free(c.event);
	if (e != TK_OK) {
		/* Claimed but not sent: due again when the lease passes. */
		tk_deliveries_free(c.d, c.n);
		return e;
	}
	*out = c.d;
	*n = c.n;
	return TK_OK;
}

struct record_arg {
	const struct tk_delivery  *d;
	enum tk_delivery_outcome   o;
	int                        http_status;
	const char                *error;
	long long                  retry_ms;
};

static tk_err
outbox_record_txn(struct tk_db *db, void *p)
{
	static const char *const status[] = { "delivered", "pending",
	    "failed" };
	struct record_arg *ra = p;
	struct tk_dbarg a[7];
	unsigned long long n = 0;
	tk_err e;

	a[0] = TK_PSTR(status[ra->o]);
	a[1] = ra->http_status > 0 ? TK_PINT(ra->http_status) : TK_PNULL;
	a[2] = TK_POPT(ra->error);
	a[3] = TK_PSTR(status[ra->o]);
	a[4] = TK_PINT(ra->retry_ms * 1000);
	a[5] = TK_PINT(ra->d->id);
	a[6] = TK_PINT(ra->d->attempts);
	if ((e = tk_db_exec(db, SQL_RECORD, a, 7, &n, NULL)) != TK_OK ||
	    n != 1)
		return e;
	a[0] = TK_PSTR(outcome_names[ra->o]);
	return tk_db_exec(db, SQL_COUNT_ADD, a, 1, NULL, NULL);
}

tk_err
tk_outbox_record(struct tk_db *db, const struct tk_delivery *d,
    enum tk_delivery_outcome o, int http_status, const char *error,
    long long retry_ms)
{
	struct record_arg ra = { d, o, http_status, error, retry_ms };

	return tk_db_txn(db, outbox_record_txn, &ra);
}

/* ---------------------------------------------------------------- reading */

void
tk_outbox_list_free(struct tk_outbox_list *l)
{
	struct tk_outbox_row *w;
	size_t i;

	for (i = 0; i < l->n; i++) {
		w = &l->v[i];
		free(w->msg_id);
		free(w->type);
		free(w->payload);
		free(w->created_at);
		free(w->subscription);
		free(w->status);
		free(w->last_error);
		free(w->last_attempt_at);
		free(w->next_attempt_at);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
outbox_row_take(struct tk_rows *r, size_t i, struct tk_outbox_row *w)
{
	w->event_id = (unsigned long long)tk_row_int(r, i, 0);
	w->msg_id = tk_row_take(r, i, 1, NULL);
	w->type = tk_row_take(r, i, 2, NULL);
	w->payload = tk_row_take(r, i, 3, NULL);
	w->created_at = tk_row_take(r, i, 4, NULL);
	w->subscription = tk_row_take(r, i, 5, NULL);
	w->status = tk_row_take(r, i, 6, NULL);
	w->attempts = (unsigned)tk_row_int(r, i, 7);
	w->last_status = tk_row_str(r, i, 8) != NULL ?
	    (int)tk_row_int(r, i, 8) : -1;
	w->last_error = tk_row_take(r, i, 9, NULL);
	w->last_attempt_at = tk_row_take(r, i, 10, NULL);
	w->next_attempt_at = tk_row_take(r, i, 11, NULL);
}

tk_err
tk_outbox_read(struct tk_db *db, const unsigned char task_id[16],
    struct tk_outbox_list *out)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a = TK_PBLOB(task_id, 16);
	size_t i;
	tk_err e;

	out->v = NULL;
	out->n = 0;
	if ((e = tk_db_query(db, SQL_READ, &a, 1, &r)) != TK_OK)
		return e;
	if ((e = tk_rows_iso_time(&r, 4)) != TK_OK ||
	    (e = tk_rows_iso_time(&r, 10)) != TK_OK ||
	    (e = tk_rows_iso_time(&r, 11)) != TK_OK)
		goto out;
	if (r.nrows > 0 && (out->v = tk_reallocarray(NULL, r.nrows,
	    sizeof(*out->v))) == NULL) {
		e = TK_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < r.nrows; i++, out->n++) {
		memset(&out->v[i], 0, sizeof(out->v[i]));
		outbox_row_take(&r, i, &out->v[i]);
	}
out:
	tk_rows_free(&r);
	return e;
}

tk_err
tk_outbox_counts(struct tk_db *db, unsigned long long out[3])
{
	struct tk_rows r = TK_ROWS_INIT;
	long long o;
	size_t i;
	tk_err e;

	memset(out, 0, 3 * sizeof(out[0]));
	if ((e = tk_db_query(db, SQL_COUNTS, NULL, 0, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows; i++)
		/* outcome + 0: the ENUM's index, 1-based */
		if ((o = tk_row_int(&r, i, 0)) >= 1 && o <= 3)
			out[o - 1] = (unsigned long long)tk_row_int(&r, i, 1);
	tk_rows_free(&r);
	return TK_OK;
}
