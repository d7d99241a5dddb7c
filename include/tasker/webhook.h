/*
 * webhook.h - the pure parts of signed webhooks (Standard Webhooks):
 * event names, the "whsec_" secret and the signature.  No I/O here; the
 * outbox is store/outbox_store.c, delivery src/hooks/deliver.c.
 *
 * A delivery is a POST of the event's payload with three headers:
 * webhook-id (the event's id, the same on every retry), webhook-timestamp
 * (unix seconds of this attempt) and webhook-signature, "v1," and the
 * base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed with the
 * secret's decoded bytes.
 */
#ifndef TASKER_WEBHOOK_H
#define TASKER_WEBHOOK_H

#include <stddef.h>

#include "tasker/error.h"

/* The events a subscription may name (tasker.yaml(5), WEBHOOKS). */
enum tk_event {
	TK_EV_NONE = -1,
	TK_EV_TASK_CREATED,     /* "task.created": the task was stored */
	TK_EV_TASK_COMPLETED,   /* "task.completed": status complete */
	TK_EV_TASK_FAILED,      /* "task.failed": status error */
	TK_EV_TASK_CANCELLED,   /* "task.cancelled" */
	TK_EV_STEP_FAILED,      /* "step.failed": an attempt ended in error */
	TK_EV__COUNT
};

#define TK_WEBHOOK_KEY_MAX  64   /* bytes of a decoded secret (spec: 24..64) */
#define TK_WEBHOOK_KEY_MIN  24
#define TK_WEBHOOK_SIG_SIZE 48   /* "v1," + 44 base64 characters + NUL */

const char *tk_event_name(enum tk_event ev);
/* The event named s, or TK_EV_NONE. */
enum tk_event tk_event_parse(const char *s);

/*
 * Decodes a secret "whsec_<base64>" (the text of a secret_file, one
 * trailing newline allowed) into key.  TK_ERR_CONFIG when it is not one
 * or decodes to fewer than TK_WEBHOOK_KEY_MIN or more than
 * TK_WEBHOOK_KEY_MAX bytes.
 */
tk_err tk_webhook_secret_decode(const char *text, size_t len,
    unsigned char key[TK_WEBHOOK_KEY_MAX], size_t *keylen);

/* out = "v1,<base64 HMAC-SHA256(key, id "." ts "." body)>". */
tk_err tk_webhook_sign(const unsigned char *key, size_t keylen,
    const char *id, long long ts, const char *body, size_t bodylen,
    char out[TK_WEBHOOK_SIG_SIZE]);

#endif
