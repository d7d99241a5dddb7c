/*
 * hooks.h - delivering the webhook outbox (src/hooks/deliver.c): the
 * worker supervisor's one call per housekeeping round.
 *
 * A round (at most every TK_HOOKS_ROUND_MS) claims up to TK_HOOKS_BATCH
 * due deliveries (outbox_store.h), POSTs them at once with libcurl (one
 * multi handle: a round lasts at most the longest timeout), each signed
 * as webhook.h says, and records each outcome: a 2xx answer is
 * delivered; anything else (another status, a timeout, a refused
 * connection, a redirect, which is never followed) is retried after the
 * subscription's backoff with jitter, or failed once max_attempts were
 * made.  Only http and https are spoken; answers are read up to
 * TK_HOOKS_BODY_MAX bytes (the start is kept in last_error).
 *
 * The state (a database connection of its own, the decoded secrets,
 * the curl handle) is the process's, made on the first round that has
 * subscriptions; a secret file that is missing or not "whsec_<base64>"
 * is logged (its path, never its contents) and each attempt of that
 * subscription fails (retried with its backoff) until a round reads it.
 */
#ifndef TASKER_HOOKS_H
#define TASKER_HOOKS_H

#include "tasker/config.h"

#define TK_HOOKS_ROUND_MS  200
#define TK_HOOKS_BATCH     16
#define TK_HOOKS_BODY_MAX  4096
#define TK_HOOKS_LEASE_MARGIN 30   /* seconds past the longest timeout */

/* One round, when due at monotonic time now_ms; never blocks longer than
 * the longest subscription timeout plus the database's round trips. */
void tk_hooks_round(const struct tk_config *cfg, long long now_ms);

#endif
