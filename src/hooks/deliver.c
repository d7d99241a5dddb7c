/*
 * deliver.c - the worker's side of the webhook outbox (see hooks.h).
 *
 * Who owns what: the process-wide state `hk` owns its database
 * connection, the decoded keys (wiped when freed) and the curl multi
 * handle; one round owns its claimed deliveries and their easy handles
 * (struct send), and frees them before it returns.
 */
#include "tasker/hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "tasker/backoff.h"
#include "tasker/db.h"
#include "tasker/file.h"
#include "tasker/log.h"
#include "tasker/outbox_store.h"
#include "tasker/webhook.h"

#define SECRET_FILE_MAX 1024
#define NOTE_MAX        200     /* bytes of an answer kept in last_error */

struct key {
	int            ok;          /* the secret file was read */
	unsigned char  k[TK_WEBHOOK_KEY_MAX];
	size_t         len;
};

/* The process's delivery state; made by the first round. */
static struct {
	int                       ready;
	const struct tk_config   *cfg;
	struct tk_db             *db;
	struct key               *keys;     /* parallel to cfg->webhooks */
	unsigned                  lease;
	long long                 next_ms;
	CURLM                    *multi;
} hk;

/* One delivery of a round. */
struct send {
	struct tk_delivery         *d;
	const struct tk_webhook_sub *sub;
	CURL                       *easy;
	struct curl_slist          *headers;
	char                        note[NOTE_MAX + 1];   /* answer's start */
	size_t                      kept;      /* bytes in note */
	size_t                      got;       /* bytes of the answer read */
	int                         capped;    /* longer than the cap */
	CURLcode                    rc;
	int                         done;
};

static void
load_secret(size_t i)
{
	const struct tk_webhook_sub *w = &hk.cfg->webhooks[i];
	char *text = NULL;
	size_t len = 0;
	int err;

	if ((err = tk_file_read(w->secret_file, SECRET_FILE_MAX, &text,
	    &len)) != 0) {
		tk_log(TK_LOG_ERROR, "event=webhook_secret_unreadable "
		    "subscription=%s file=%s error=\"%s\"", w->name,
		    w->secret_file, tk_file_strerror(err));
		return;
	}
	if (tk_webhook_secret_decode(text, len, hk.keys[i].k,
	    &hk.keys[i].len) == TK_OK)
		hk.keys[i].ok = 1;
	else
		tk_log(TK_LOG_ERROR, "event=webhook_secret_invalid "
		    "subscription=%s file=%s error=\"not whsec_ and the base64 "
		    "of 24 to 64 bytes\"", w->name, w->secret_file);
	explicit_bzero(text, len);
	free(text);
}

/* Makes the state on the first round with subscriptions: 0 when ready. */
static int
hooks_setup(const struct tk_config *cfg)
{
	size_t i;

	if (hk.ready)
		return 0;
	hk.cfg = cfg;
	hk.lease = TK_HOOKS_LEASE_MARGIN;
	for (i = 0; i < cfg->nwebhooks; i++)
		if (cfg->webhooks[i].timeout_seconds + TK_HOOKS_LEASE_MARGIN >
		    hk.lease)
			hk.lease = cfg->webhooks[i].timeout_seconds +
			    TK_HOOKS_LEASE_MARGIN;
	/* What a failed setup made is kept and reused by the next try. */
	if ((hk.multi == NULL && (curl_global_init(CURL_GLOBAL_DEFAULT) !=
	    CURLE_OK || (hk.multi = curl_multi_init()) == NULL)) ||
	    (hk.keys == NULL && (hk.keys = calloc(cfg->nwebhooks,
	    sizeof(*hk.keys))) == NULL) ||
	    (hk.db == NULL && tk_db_new(&cfg->db, &hk.db) != TK_OK)) {
		tk_log(TK_LOG_ERROR, "event=webhooks_start_failed");
		return -1;
	}
	hk.ready = 1;
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct send *s = arg;
	size_t i, len = size * n;

	/* Keep the start as printable ASCII (it is the receiver's, and
	 * goes into last_error); stop reading past the cap. */
	for (i = 0; i < len && s->kept < NOTE_MAX; i++)
		s->note[s->kept++] = p[i] >= ' ' && p[i] <= '~' ? p[i] : '?';
	s->note[s->kept] = '\0';
	s->got += len;
	if (s->got > TK_HOOKS_BODY_MAX) {
		s->capped = 1;
		return 0;
	}
	return len;
}

/* Appends "name: value" to s's headers; -1 when it cannot. */
static int
add_header(struct send *s, const char *name, const char *v)
{
	char line[256];
	struct curl_slist *l;

	snprintf(line, sizeof(line), "%s: %s", name, v);
	if ((l = curl_slist_append(s->headers, line)) == NULL)
		return -1;
	s->headers = l;
	return 0;
}

/* The signed request of s; -1 when it cannot be made. */
static int
prepare(struct send *s, const struct key *k)
{
	char sig[TK_WEBHOOK_SIG_SIZE], ts[24];
	const struct tk_webhook_sub *w = s->sub;
	struct curl_slist *l;
	long long now = (long long)time(NULL);

	snprintf(ts, sizeof(ts), "%lld", now);
	if (tk_webhook_sign(k->k, k->len, s->d->msg_id, now, s->d->payload,
	    s->d->payload_len, sig) != TK_OK ||
	    add_header(s, "Content-Type", "application/json") < 0 ||
	    add_header(s, "User-Agent", "tasker-webhooks/" PACKAGE_VERSION) <
	    0 || add_header(s, "webhook-id", s->d->msg_id) < 0 ||
	    add_header(s, "webhook-timestamp", ts) < 0 ||
	    add_header(s, "webhook-signature", sig) < 0 ||
	    (s->easy = curl_easy_init()) == NULL)
		return -1;
	/* "Expect:" with nothing: no 100-continue round trip. */
	if ((l = curl_slist_append(s->headers, "Expect:")) == NULL)
		return -1;
	s->headers = l;
	curl_easy_setopt(s->easy, CURLOPT_URL, w->url);
	curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, (long)w->timeout_seconds);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->d->payload);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)s->d->payload_len);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	if (curl_multi_add_handle(hk.multi, s->easy) != CURLM_OK)
		return -1;
	return 0;
}

/* Runs every added transfer to its end. */
static void
run_all(void)
{
	struct send *s;
	CURLMsg *m;
	int running = 1, left;

	while (running > 0) {
		if (curl_multi_perform(hk.multi, &running) != CURLM_OK)
			break;
		while ((m = curl_multi_info_read(hk.multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			s->rc = m->data.result;
			s->done = 1;
		}
		if (running > 0 &&
		    curl_multi_poll(hk.multi, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
}

/*
 * Records attempt s->d->attempts: delivered on a 2xx code, else retried
 * after the subscription's backoff or, with no attempt left, failed;
 * err says why (NULL when delivered).
 */
static void
settle(struct send *s, long code, const char *err)
{
	const struct tk_webhook_sub *w = s->sub;
	long long delay = 0;
	enum tk_delivery_outcome o = TK_DLV_DELIVERED;

	if (code < 200 || code > 299) {
		o = s->d->attempts >= w->max_attempts ? TK_DLV_FAILED :
		    TK_DLV_RETRIED;
		/* base_ms taken as seconds: the delay in thousandths of ms */
		delay = (long long)(tk_backoff_delay_ms(s->d->attempts,
		    w->backoff_base_ms, w->backoff_cap_seconds * 1000,
		    tk_backoff_random()) / 1000);
	}
	if (tk_outbox_record(hk.db, s->d, o, code > 0 && code < 1000 ?
	    (int)code : 0, o == TK_DLV_DELIVERED ? NULL : err, delay) != TK_OK)
		tk_log(TK_LOG_WARN, "event=webhook_record_failed delivery=%llu",
		    s->d->id);
	tk_log(o == TK_DLV_DELIVERED ? TK_LOG_DEBUG : TK_LOG_INFO,
	    "event=webhook_%s subscription=%s webhook_id=%s attempt=%u "
	    "status=%ld", o == TK_DLV_DELIVERED ? "delivered" :
	    o == TK_DLV_FAILED ? "failed" : "retry", w->name, s->d->msg_id,
	    s->d->attempts, code);
}

/* The outcome of a finished transfer, recorded.  A long body cut short
 * changes nothing: the status line came. */
static void
judge_delivery(struct send *s)
{
	char err[NOTE_MAX + 64];
	long code = 0;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code > 0)
		snprintf(err, sizeof(err), "HTTP %ld: %s", code, s->note);
	else
		snprintf(err, sizeof(err), "%s", curl_easy_strerror(s->rc));
	settle(s, code, err);
}

/* Sets up the request of each claimed delivery; a subscription no
 * longer configured fails its deliveries, one whose secret cannot be
 * read counts an attempt that failed (the log says why). */
static void
start_all(struct send *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if ((v[i].sub = tk_outbox_sub(v[i].d->subscription)) == NULL) {
			(void)tk_outbox_record(hk.db, v[i].d, TK_DLV_FAILED, 0,
			    "the subscription is no longer configured", 0);
			continue;
		}
		j = (size_t)(v[i].sub - hk.cfg->webhooks);
		if (!hk.keys[j].ok)
			load_secret(j);
		if (!hk.keys[j].ok)
			settle(&v[i], 0, "the subscription's secret_file "
			    "cannot be read (the worker's log says why)");
		else if (prepare(&v[i], &hk.keys[j]) < 0)
			settle(&v[i], 0, "the request could not be made");
	}
}

static void
finish_all(struct send *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].easy != NULL) {
			if (v[i].done)
				judge_delivery(&v[i]);
			curl_multi_remove_handle(hk.multi, v[i].easy);
			curl_easy_cleanup(v[i].easy);
		}
		curl_slist_free_all(v[i].headers);
	}
}

void
tk_hooks_round(const struct tk_config *cfg, long long now_ms)
{
	struct tk_delivery *d = NULL;
	struct send *v = NULL;
	size_t i, n = 0;

	if (cfg->nwebhooks == 0 || now_ms < hk.next_ms)
		return;
	hk.next_ms = now_ms + TK_HOOKS_ROUND_MS;
	if (hooks_setup(cfg) < 0)
		return;
	if (tk_outbox_claim(hk.db, TK_HOOKS_BATCH, hk.lease, &d, &n) !=
	    TK_OK || n == 0)
		goto out;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		v[i].d = &d[i];
	start_all(v, n);
	run_all();
	finish_all(v, n);
	/* A full batch: more may be due; the next round comes at once. */
	if (n == TK_HOOKS_BATCH)
		hk.next_ms = 0;
out:
	free(v);
	tk_deliveries_free(d, n);
}
