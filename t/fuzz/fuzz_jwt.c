/*
 * fuzz_jwt.c - libFuzzer driver for authentication: whatever a client can
 * put into the Authorization header, through tk_auth_authenticate with a
 * jwt configuration of three keys (HS256 without kid, RS256 "rsa", ES256
 * "ec"; the test keys of t/fixtures/auth), an issuer and an audience.
 *
 * The first input byte picks what the rest is:
 *   0  the header value as is
 *   1  a token: "Bearer " + rest
 *   2  the claims of a token the driver signs with the HS256 secret, so
 *      the claim checks (exp, nbf, iat, iss, aud, sub, permissions) are
 *      reached with a valid signature
 *   3  "HEADER\nCLAIMS": both JSON parts, signed with the HS256 secret
 *      (alg and kid confusion with a valid MAC)
 * The contract checked: the result is TK_OK, TK_ERR_AUTHENTICATION or
 * TK_ERR_NOMEM and nothing else; TK_OK gives a subject of 1..
 * TK_SUBJECT_MAX_LEN bytes of strict UTF-8 without C0, DEL or C1
 * controls; a failure leaves the principal empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tasker/auth.h"
#include "tasker/utf8.h"

#ifndef TK_FUZZ_FIXTURES
#define TK_FUZZ_FIXTURES "t/fixtures"
#endif

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct tk_auth *auth;
static unsigned char secret[256];
static size_t secretlen;

static char *
dup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

static void
setup(void)
{
	/* Static: the configuration stays reachable for the whole run. */
	static struct tk_auth_config cfg;
	static struct tk_auth_key keys[3];
	static char *algs[3];
	struct tk_diag d = TK_DIAG_INIT;
	FILE *f;

	algs[0] = dup("HS256");
	algs[1] = dup("RS256");
	algs[2] = dup("ES256");
	keys[0].algorithm = dup("HS256");
	keys[0].key_file = dup(TK_FUZZ_FIXTURES "/auth/hs256.secret");
	keys[1].kid = dup("rsa");
	keys[1].algorithm = dup("RS256");
	keys[1].key_file = dup(TK_FUZZ_FIXTURES "/auth/rsa.pub");
	keys[2].kid = dup("ec");
	keys[2].algorithm = dup("ES256");
	keys[2].key_file = dup(TK_FUZZ_FIXTURES "/auth/ec256.pub");
	cfg.mode = TK_AUTH_JWT;
	cfg.algorithms = algs;
	cfg.nalgorithms = 3;
	cfg.keys = keys;
	cfg.nkeys = 3;
	cfg.issuer = dup("fuzz-issuer");
	cfg.audience = dup("fuzz-audience");
	cfg.leeway_seconds = 30;
	cfg.permissions_claim = dup("permissions");
	cfg.max_token_bytes = 8192;
	cfg.token_lifetime_seconds = 3600;
	cfg.groups_variable = dup("REMOTE_GROUPS");
	if (tk_auth_init(&cfg, &auth, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "fuzz_jwt: ");
		abort();
	}
	tk_diag_free(&d);
	/* The same secret, to sign tokens: the file less one trailing "\n". */
	if ((f = fopen(TK_FUZZ_FIXTURES "/auth/hs256.secret", "rb")) == NULL)
		abort();
	secretlen = fread(secret, 1, sizeof(secret), f);
	fclose(f);
	while (secretlen > 0 && (secret[secretlen - 1] == '\n' ||
	    secret[secretlen - 1] == '\r'))
		secretlen--;
}

/* base64url without padding of src into dst (room for 4n/3 + 4). */
static size_t
b64url(char *dst, const unsigned char *src, size_t n)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)src[i] << 16 | (unsigned)src[i + 1] << 8 | src[i + 2];
		dst[o++] = a[v >> 18];
		dst[o++] = a[(v >> 12) & 63];
		dst[o++] = a[(v >> 6) & 63];
		dst[o++] = a[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)src[i] << 16;
		dst[o++] = a[v >> 18];
		dst[o++] = a[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (unsigned)src[i] << 16 | (unsigned)src[i + 1] << 8;
		dst[o++] = a[v >> 18];
		dst[o++] = a[(v >> 12) & 63];
		dst[o++] = a[(v >> 6) & 63];
	}
	dst[o] = '\0';
	return o;
}

/* "Bearer " + b64(header) "." b64(claims) "." b64(HMAC-SHA256). */
static char *
signed_token(const unsigned char *hdr, size_t hlen, const unsigned char *cl,
    size_t clen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	size_t cap = 7 + (hlen + clen + 64) * 4 / 3 + 16, o;
	char *t;

	if ((t = malloc(cap)) == NULL)
		return NULL;
	memcpy(t, "Bearer ", 7);
	o = 7;
	o += b64url(t + o, hdr, hlen);
	t[o++] = '.';
	o += b64url(t + o, cl, clen);
	if (HMAC(EVP_sha256(), secret, (int)secretlen,
	    (unsigned char *)t + 7, o - 7, mac, &maclen) == NULL) {
		free(t);
		return NULL;
	}
	t[o++] = '.';
	b64url(t + o, mac, maclen);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hs_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	struct tk_auth_input in;
	struct tk_principal p;
	const char *why = NULL, *nl;
	char *value = NULL;
	size_t i;
	tk_err e;

	if (auth == NULL)
		setup();
	if (size < 1 || size > 20000)
		return 0;
	switch (data[0] & 3) {
	case 0:
	case 1:
		if ((value = malloc(size + 8)) == NULL)
			return 0;
		i = 0;
		if ((data[0] & 3) == 1) {
			memcpy(value, "Bearer ", 7);
			i = 7;
		}
		memcpy(value + i, data + 1, size - 1);
		value[i + size - 1] = '\0';
		break;
	case 2:
		value = signed_token((const unsigned char *)hs_header,
		    sizeof(hs_header) - 1, data + 1, size - 1);
		break;
	default:
		nl = memchr(data + 1, '\n', size - 1);
		if (nl == NULL)
			return 0;
		value = signed_token(data + 1, (size_t)(nl - (const char *)data - 1),
		    (const unsigned char *)nl + 1,
		    size - (size_t)(nl - (const char *)data) - 1);
		break;
	}
	if (value == NULL)
		return 0;
	memset(&in, 0, sizeof(in));
	memset(&p, 0, sizeof(p));
	in.authorization = value;
	in.now = 1700000000;
	e = tk_auth_authenticate(auth, &in, &p, &why);
	CHECK(e == TK_OK || e == TK_ERR_AUTHENTICATION || e == TK_ERR_NOMEM);
	if (e == TK_OK) {
		CHECK(p.subject != NULL && p.subject[0] != '\0');
		CHECK(strlen(p.subject) <= TK_SUBJECT_MAX_LEN);
		for (i = 0; p.subject[i]; i++)
			CHECK((unsigned char)p.subject[i] >= 0x20 &&
			    p.subject[i] != 0x7f &&
			    !((unsigned char)p.subject[i] == 0xc2 &&
			    (unsigned char)p.subject[i + 1] < 0xa0));
		CHECK(tk_utf8_valid(p.subject, strlen(p.subject)));
		for (i = 0; i < p.nperms; i++)
			CHECK(p.perms[i] != NULL);
	} else {
		CHECK(p.subject == NULL && p.nperms == 0);
		(void)tk_auth_challenge(why);
	}
	tk_principal_free(&p);
	free(value);
	return 0;
}
