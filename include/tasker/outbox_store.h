/*
 * outbox_store.h - the webhook outbox: events written in the
 * transaction of the status change they describe, and their deliveries
 * (migration 0009; tasker.yaml(5) WEBHOOKS).
 *
 * Writers: the transition store calls tk_outbox_add() inside the
 * caller's transaction for every task transition and every failed step
 * attempt; it writes nothing (and costs nothing) unless a subscription of
 * this process's configuration (tk_outbox_configure) wants the event for
 * the task's namespace and handler.  A change that rolls back takes its
 * event with it.
 *
 * The worker (src/hooks/deliver.c) claims due deliveries, sends them
 * outside any transaction and records each outcome; the API and
 * tasker-admin read a task's events with their deliveries.
 */
#ifndef TASKER_OUTBOX_STORE_H
#define TASKER_OUTBOX_STORE_H

#include <stddef.h>

#include "tasker/config.h"
#include "tasker/db.h"
#include "tasker/error.h"
#include "tasker/state.h"
#include "tasker/webhook.h"

#define TK_OUTBOX_ERROR_MAX 1024  /* bytes of last_error and a step error */
#define TK_OUTBOX_MSGID_MAX 64

/*
 * The subscriptions this process matches events against; borrowed (the
 * process's configuration, which outlives every call).  Each program
 * calls it once after loading its configuration; until then (and with
 * n 0) nothing is written.
 */
void   tk_outbox_configure(const struct tk_webhook_sub *subs, size_t n);
/* The subscription named name, or NULL. */
const struct tk_webhook_sub *tk_outbox_sub(const char *name);

/* The event a task transition stands for (from -1: the task was
 * created), or TK_EV_NONE. */
enum tk_event tk_outbox_task_event(int from, enum tk_status to);

/* A failed step attempt, for step.failed. */
struct tk_outbox_step {
	unsigned long long  id;
	unsigned            attempt;
	const char         *error;     /* may be NULL */
};

/*
 * THE insert: event ev of task task_id (step: NULL for task events),
 * with one pending delivery per subscription that wants it, inside the
 * caller's transaction.  TK_OK without a statement when none does.
 */
tk_err tk_outbox_add(struct tk_db *db, enum tk_event ev,
    const unsigned char task_id[16], const struct tk_outbox_step *step);

/* ---------------------------------------------------------------- delivery */

/* A claimed delivery; payload and the strings are owned. */
struct tk_delivery {
	unsigned long long  id;
	unsigned            attempts;      /* this attempt's number */
	char               *subscription;
	char               *msg_id;
	char               *payload;
	size_t              payload_len;
};

/*
 * Claims up to max due deliveries (pending, next_attempt_at <= now),
 * SKIP LOCKED: counts the attempt and moves next_attempt_at lease_seconds
 * ahead, so a worker that dies mid-request leaves them due again.
 * *out (freed by tk_deliveries_free) holds *n of them.
 */
tk_err tk_outbox_claim(struct tk_db *db, unsigned max, unsigned lease_seconds,
    struct tk_delivery **out, size_t *n);
void   tk_deliveries_free(struct tk_delivery *d, size_t n);

enum tk_delivery_outcome { TK_DLV_DELIVERED, TK_DLV_RETRIED, TK_DLV_FAILED };

/*
 * Records attempt d->attempts of d: delivered, retried (due again in
 * retry_ms) or failed for good; http_status 0 when no answer came,
 * error NULL or what went wrong.  Compare-and-set on the attempt: a
 * delivery claimed again meanwhile records nothing.  Counts the outcome
 * for tasker_webhook_deliveries_total.
 */
tk_err tk_outbox_record(struct tk_db *db, const struct tk_delivery *d,
    enum tk_delivery_outcome o, int http_status, const char *error,
    long long retry_ms);

/* ---------------------------------------------------------------- reading */

/* One event of a task with one of its deliveries (subscription NULL: the
 * event has none); the strings are owned, times ISO 8601. */
struct tk_outbox_row {
	unsigned long long  event_id;
	char               *msg_id;
	char               *type;
	char               *payload;
	char               *created_at;
	char               *subscription;
	char               *status;
	unsigned            attempts;
	int                 last_status;   /* -1: no answer yet */
	char               *last_error;
	char               *last_attempt_at;
	char               *next_attempt_at;
};

struct tk_outbox_list {
	struct tk_outbox_row *v;
	size_t                n;
};

#define TK_OUTBOX_READ_MAX 1000   /* rows of one task's event log */

/* A task's events, oldest first, each with its deliveries by name. */
tk_err tk_outbox_read(struct tk_db *db, const unsigned char task_id[16],
    struct tk_outbox_list *out);
void   tk_outbox_list_free(struct tk_outbox_list *l);

/* tasker_webhook_deliveries_total by enum tk_delivery_outcome. */
tk_err tk_outbox_counts(struct tk_db *db, unsigned long long out[3]);

#endif
