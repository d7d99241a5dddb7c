/*
 * test_webhook.c - Standard Webhooks signatures against the
 * specification's published example, "whsec_" secrets, event names,
 * and the webhooks: section of tasker.yaml.
 */
#include "testlib.h"

#include <string.h>

#include "tasker/config.h"
#include "tasker/diag.h"
#include "tasker/outbox_store.h"
#include "tasker/webhook.h"

#define VECTOR_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* The example of the Standard Webhooks libraries' shared test (facts:
 * id, timestamp, body and the signature every implementation makes). */
static void
test_spec_vector(void)
{
	unsigned char key[TK_WEBHOOK_KEY_MAX];
	char sig[TK_WEBHOOK_SIG_SIZE];
	const char *body = "{\"test\": 2432232314}";
	size_t len;

	CU_ASSERT_EQUAL_FATAL(tk_webhook_secret_decode(VECTOR_SECRET,
	    strlen(VECTOR_SECRET), key, &len), TK_OK);
	CU_ASSERT_EQUAL(len, 24);
	CU_ASSERT_EQUAL(tk_webhook_sign(key, len, "msg_p5jXN8AQM9LWM0D4loKWxJek",
	    1614265330, body, strlen(body), sig), TK_OK);
	CU_ASSERT_STRING_EQUAL(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* Another timestamp, another signature. */
	CU_ASSERT_EQUAL(tk_webhook_sign(key, len, "msg_p5jXN8AQM9LWM0D4loKWxJek",
	    1614265331, body, strlen(body), sig), TK_OK);
	CU_ASSERT_STRING_NOT_EQUAL(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void
test_secrets(void)
{
	static const char *const bad[] = {
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",         /* no prefix */
		"whsec_",                                   /* empty */
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",    /* not 4n */
		"whsec_MfKQ9r8GKYqr*wjUPD8ILPZIo2LaLaSw",   /* not base64 */
		"whsec_c2hvcnQ=",                           /* 5 bytes */
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n\n",
	};
	unsigned char key[TK_WEBHOOK_KEY_MAX];
	size_t i, len;
	const char *nl = VECTOR_SECRET "\n";

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(tk_webhook_secret_decode(bad[i],
		    strlen(bad[i]), key, &len), TK_ERR_CONFIG);
	/* A file's one trailing newline is not part of the secret. */
	CU_ASSERT_EQUAL(tk_webhook_secret_decode(nl, strlen(nl), key, &len),
	    TK_OK);
	CU_ASSERT_EQUAL(len, 24);
}

static void
test_events(void)
{
	int i;

	for (i = 0; i < TK_EV__COUNT; i++)
		CU_ASSERT_EQUAL(tk_event_parse(tk_event_name((enum tk_event)i)),
		    i);
	CU_ASSERT_EQUAL(tk_event_parse("task.done"), TK_EV_NONE);
	CU_ASSERT_EQUAL(tk_outbox_task_event(-1, TK_ST_PENDING),
	    TK_EV_TASK_CREATED);
	CU_ASSERT_EQUAL(tk_outbox_task_event(TK_ST_IN_PROGRESS, TK_ST_ERROR),
	    TK_EV_TASK_FAILED);
	CU_ASSERT_EQUAL(tk_outbox_task_event(TK_ST_PENDING,
	    TK_ST_IN_PROGRESS), TK_EV_NONE);
}

static void
test_config_good(void)
{
	struct tk_config cfg;
	struct tk_diag d;
	const struct tk_webhook_sub *w;

	tk_diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(tk_config_load(TK_TEST_FIXTURES
	    "/webhooks/good.yaml", &cfg, &d), TK_OK);
	CU_ASSERT_EQUAL_FATAL(cfg.nwebhooks, 2);
	w = &cfg.webhooks[0];
	CU_ASSERT_STRING_EQUAL(w->name, "billing");
	/* relative to the file's folder */
	CU_ASSERT_STRING_EQUAL(w->secret_file, TK_TEST_FIXTURES
	    "/webhooks/billing.secret");
	CU_ASSERT_EQUAL(w->event_mask, (1u << TK_EV_TASK_COMPLETED) |
	    (1u << TK_EV_TASK_FAILED));
	CU_ASSERT_EQUAL(w->max_attempts, 3);
	CU_ASSERT_EQUAL(w->backoff_base_ms, 50);
	w = &cfg.webhooks[1];
	CU_ASSERT_EQUAL(w->nnamespaces, 0);
	CU_ASSERT_EQUAL(w->timeout_seconds, 10);   /* the defaults */
	CU_ASSERT_EQUAL(w->max_attempts, 8);
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_config_bad(void)
{
	static const char *const want[] = {
		"webhooks[0].url: must be an http:// or https:// URL",
		"webhooks[0].events[0]: must be one of task.created",
		"webhooks[1].url: must not contain blanks",
		"webhooks[1]: needs a secret_file",
		"webhooks[1]: name 'one' is taken by webhooks[0]",
		"webhooks[2].url: must name a host",
		"webhooks[2]: needs a name",
		"webhooks[2]: needs events",
		"webhooks[2].namespaces[0]: must be a namespace name",
		"webhooks[2].max_attempts:",
		"webhooks[3]: must be a mapping",
	};
	struct tk_config cfg;
	struct tk_diag d;
	size_t i;

	tk_diag_init(&d);
	CU_ASSERT_EQUAL(tk_config_load(TK_TEST_FIXTURES "/webhooks/bad.yaml",
	    &cfg, &d), TK_ERR_CONFIG);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!tk_diag_has(&d, want[i])) {
			fprintf(stderr, "\n  missing: %s\n", want[i]);
			tk_diag_print(&d, stderr, "  have: ");
			CU_FAIL("a message is missing");
		}
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

TK_SUITE(webhook,
    { "signature of the specification's example", test_spec_vector },
    { "whsec_ secrets", test_secrets },
    { "event names", test_events },
    { "webhooks: in tasker.yaml", test_config_good },
    { "webhooks: mistakes are each reported", test_config_bad });
