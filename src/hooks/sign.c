/*
 * sign.c - event names, "whsec_" secrets and Standard Webhooks
 * signatures (see webhook.h).  HMAC and base64 are OpenSSL's.
 */
#include "tasker/webhook.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tasker/buf.h"

#define SECRET_PREFIX "whsec_"
/* base64 text of TK_WEBHOOK_KEY_MAX bytes, and some slack */
#define SECRET_B64_MAX 128

static const char *const event_names[TK_EV__COUNT] = {
	"task.created", "task.completed", "task.failed", "task.cancelled",
	"step.failed"
};

const char *
tk_event_name(enum tk_event ev)
{
	if (ev < 0 || ev >= TK_EV__COUNT)
		return "unknown";
	return event_names[ev];
}

enum tk_event
tk_event_parse(const char *s)
{
	int i;

	for (i = 0; i < TK_EV__COUNT; i++)
		if (strcmp(s, event_names[i]) == 0)
			return (enum tk_event)i;
	return TK_EV_NONE;
}

static int
b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

tk_err
tk_webhook_secret_decode(const char *text, size_t len,
    unsigned char key[TK_WEBHOOK_KEY_MAX], size_t *keylen)
{
	unsigned char out[SECRET_B64_MAX];
	const char *b;
	size_t n, i, pad = 0;
	int got;

	*keylen = 0;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len < sizeof(SECRET_PREFIX) - 1 ||
	    memcmp(text, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1) != 0)
		return TK_ERR_CONFIG;
	b = text + sizeof(SECRET_PREFIX) - 1;
	n = len - (sizeof(SECRET_PREFIX) - 1);
	/* EVP_DecodeBlock takes any length; insist on canonical base64. */
	if (n == 0 || n % 4 != 0 || n > SECRET_B64_MAX)
		return TK_ERR_CONFIG;
	while (pad < 2 && b[n - 1 - pad] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!b64_char((unsigned char)b[i]))
			return TK_ERR_CONFIG;
	if ((got = EVP_DecodeBlock(out, (const unsigned char *)b, (int)n)) < 0)
		return TK_ERR_CONFIG;
	got -= (int)pad;   /* DecodeBlock counts the padding as zero bytes */
	if (got < TK_WEBHOOK_KEY_MIN || got > TK_WEBHOOK_KEY_MAX)
		return TK_ERR_CONFIG;
	memcpy(key, out, (size_t)got);
	*keylen = (size_t)got;
	OPENSSL_cleanse(out, sizeof(out));
	return TK_OK;
}

tk_err
tk_webhook_sign(const unsigned char *key, size_t keylen, const char *id,
    long long ts, const char *body, size_t bodylen,
    char out[TK_WEBHOOK_SIG_SIZE])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	struct tk_buf msg;
	tk_err e = TK_ERR_NOMEM;

	out[0] = '\0';
	tk_buf_init(&msg);
	tk_buf_printf(&msg, "%s.%lld.", id, ts);
	tk_buf_append(&msg, body, bodylen);
	if (msg.failed)
		goto out;
	e = TK_ERR_INTERNAL;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)
	    msg.data, msg.len, mac, &maclen) == NULL || maclen != 32)
		goto out;
	memcpy(out, "v1,", 3);
	(void)EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen);
	e = TK_OK;
out:
	tk_buf_free(&msg);
	return e;
}
