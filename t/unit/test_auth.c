/*
 * test_auth.c - authentication: one case per attack and per mistake.
 *
 * Well-formed tokens come from libjwt itself.  Malformed ones are built by
 * hand (base64url of our own JSON), HMAC-signed with OpenSSL when the
 * signature must be right, so that only the defect under test can be what
 * rejects them.  Keys are in t/fixtures/auth (see its README).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "testlib.h"
#include "tasker/auth.h"
#include "tasker/diag.h"
#include "tasker/perm.h"

#define NOW   1700000000L
#define LATER (NOW + 3600)

/* ---- fixtures ------------------------------------------------------ */

struct fx {
	unsigned char *data;
	size_t         len;
};

/* A fixture's bytes; strip: less one trailing newline (an HS secret). */
static struct fx
fixture(const char *rel, int strip)
{
	struct fx f = { NULL, 0 };
	FILE *fp;

	fp = fopen(tk_fixture(rel), "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	f.data = calloc(1, 65536);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f.data);
	f.len = fread(f.data, 1, 65535, fp);
	fclose(fp);
	if (strip && f.len > 0 && f.data[f.len - 1] == '\n')
		f.len--;
	return f;
}

static void
fx_free(struct fx *f)
{
	free(f->data);
	f->data = NULL;
}

/* ---- configurations ------------------------------------------------ */

#define MAXK 4

/* One auth configuration under test and everything it owns. */
struct setup {
	struct tk_auth_config cfg;
	struct tk_auth_key    keys[MAXK];
	char                 *algs[8];
	char                 *owned[32];  /* strings to free */
	size_t                nowned;
	struct tk_auth       *auth;
	struct tk_diag        diag;
};

static char *
own(struct setup *s, const char *str)
{
	char *copy;

	if (str == NULL)
		return NULL;
	copy = strdup(str);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	CU_ASSERT_FATAL(s->nowned < sizeof(s->owned) / sizeof(s->owned[0]));
	s->owned[s->nowned++] = copy;
	return copy;
}

/* jwt mode, the defaults of config.h, no algorithms and no keys yet. */
static void
setup_begin(struct setup *s)
{
	memset(s, 0, sizeof(*s));
	tk_diag_init(&s->diag);
	s->cfg.mode = TK_AUTH_JWT;
	s->cfg.algorithms = s->algs;
	s->cfg.keys = s->keys;
	s->cfg.leeway_seconds = 30;
	s->cfg.permissions_claim = own(s, "permissions");
	s->cfg.max_token_bytes = 8192;
	s->cfg.token_lifetime_seconds = 3600;
	s->cfg.open_health = 1;
	s->cfg.open_docs = 1;
	s->cfg.groups_variable = own(s, "REMOTE_GROUPS");
}

static void
setup_alg(struct setup *s, const char *alg)
{
	s->algs[s->cfg.nalgorithms++] = own(s, alg);
}

/* Adds a key; files are fixture names, sign may be NULL. */
static void
setup_key(struct setup *s, const char *kid, const char *alg,
    const char *file, const char *sign)
{
	struct tk_auth_key *k = &s->keys[s->cfg.nkeys++];

	k->kid = own(s, kid);
	k->algorithm = own(s, alg);
	k->key_file = own(s, tk_fixture(file));
	k->signing_key_file = sign == NULL ? NULL : own(s, tk_fixture(sign));
}

static tk_err
setup_init(struct setup *s)
{
	return tk_auth_init(&s->cfg, &s->auth, &s->diag);
}

static void
setup_end(struct setup *s)
{
	size_t i;

	tk_auth_free(s->auth);
	tk_diag_free(&s->diag);
	for (i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	memset(s, 0, sizeof(*s));
}

/* The common case: HS256 with hs256.secret, no kid, signing allowed. */
static void
setup_hs256(struct setup *s)
{
	setup_begin(s);
	setup_alg(s, "HS256");
	setup_key(s, NULL, "HS256", "auth/hs256.secret", "auth/hs256.secret");
	CU_ASSERT_EQUAL_FATAL(setup_init(s), TK_OK);
}

/* ---- tokens -------------------------------------------------------- */

static char *
b64url(const void *p, size_t n)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *s = p;
	char *out, *o;
	size_t i;
	uint32_t v;

	out = o = malloc(n / 3 * 4 + 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = al[v >> 18];
		*o++ = al[(v >> 12) & 63];
		*o++ = al[(v >> 6) & 63];
		*o++ = al[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)s[i] << 16;
		*o++ = al[v >> 18];
		*o++ = al[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		*o++ = al[v >> 18];
		*o++ = al[(v >> 12) & 63];
		*o++ = al[(v >> 6) & 63];
	}
	*o = '\0';
	return out;
}

/* header.payload.sig from our own JSON; sig is taken as given. */
static char *
hand_token(const char *header, const char *payload, const char *sig)
{
	char *h, *p, *t;
	size_t n;

	h = b64url(header, strlen(header));
	p = b64url(payload, strlen(payload));
	n = strlen(h) + strlen(p) + strlen(sig) + 3;
	t = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	snprintf(t, n, "%s.%s.%s", h, p, sig);
	free(h);
	free(p);
	return t;
}

/* Like hand_token(), with a correct HMAC-SHA256 over our own JSON. */
static char *
hs256_token(const char *header, const char *payload, const struct fx *key)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *t, *sig, *signed_t;
	size_t n;

	t = hand_token(header, payload, "");
	t[strlen(t) - 1] = '\0';  /* drop the last '.' to sign */
	CU_ASSERT_PTR_NOT_NULL_FATAL(HMAC(EVP_sha256(), key->data,
	    (int)key->len, (unsigned char *)t, strlen(t), mac, &maclen));
	sig = b64url(mac, maclen);
	n = strlen(t) + strlen(sig) + 2;
	signed_t = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(signed_t);
	snprintf(signed_t, n, "%s.%s", t, sig);
	free(t);
	free(sig);
	return signed_t;
}

/* A token from libjwt with the given claims (a JSON object). */
static char *
lib_token(jwt_alg_t alg, const struct fx *key, const char *kid,
    const char *claims)
{
	jwt_t *j = NULL;
	char *t;

	CU_ASSERT_EQUAL_FATAL(jwt_new(&j), 0);
	if (kid != NULL)
		CU_ASSERT_EQUAL_FATAL(jwt_add_header(j, "kid", kid), 0);
	CU_ASSERT_EQUAL_FATAL(jwt_add_grants_json(j, claims), 0);
	CU_ASSERT_EQUAL_FATAL(jwt_set_alg(j, alg, key->data, (int)key->len),
	    0);
	t = jwt_encode_str(j);
	jwt_free(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

/* Good claims for NOW, with extra members appended (",..." or ""). */
static const char *
claims(char *buf, size_t n, const char *extra)
{
	snprintf(buf, n, "{\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld,"
	    "\"permissions\":[\"tasker.task:create\","
	    "\"tasker.handler:index\"]%s}", NOW, LATER, extra);
	return buf;
}

/* ---- running the check --------------------------------------------- */

static const char *last_werr;  /* www_auth_error of the last check */

/* Authenticates an Authorization value at time now; frees the result. */
static tk_err
check_header(const struct tk_auth *a, const char *authz, long now)
{
	struct tk_auth_input in;
	struct tk_principal p;
	tk_err e;

	memset(&in, 0, sizeof(in));
	in.authorization = authz;
	in.now = (time_t)now;
	last_werr = "unset";
	e = tk_auth_authenticate(a, &in, &p, &last_werr);
	if (e != TK_OK) {
		/* a failure leaves the principal empty */
		CU_ASSERT_PTR_NULL(p.subject);
		CU_ASSERT_EQUAL(p.nperms, 0);
	}
	tk_principal_free(&p);
	return e;
}

/* "Bearer <tok>" at time now; frees tok. */
static tk_err
check_at(const struct tk_auth *a, char *tok, long now)
{
	char *h;
	size_t n;
	tk_err e;

	n = strlen(tok) + 8;
	h = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	snprintf(h, n, "Bearer %s", tok);
	e = check_header(a, h, now);
	free(h);
	free(tok);
	return e;
}

static tk_err
check(const struct tk_auth *a, char *tok)
{
	return check_at(a, tok, NOW);
}

/* A bad token: 401 with error="invalid_token". */
#define REJECTED(e) do {                                                  \
	CU_ASSERT_EQUAL((e), TK_ERR_AUTHENTICATION);                      \
	CU_ASSERT_PTR_NOT_NULL(last_werr);                                \
	if (last_werr != NULL)                                            \
		CU_ASSERT_STRING_EQUAL(last_werr, "invalid_token");       \
} while (0)

/* ---- the header ---------------------------------------------------- */

static void
test_no_header(void)
{
	struct setup s;

	setup_hs256(&s);
	CU_ASSERT_EQUAL(check_header(s.auth, NULL, NOW),
	    TK_ERR_AUTHENTICATION);
	CU_ASSERT_PTR_NULL(last_werr);
	CU_ASSERT_STRING_EQUAL(tk_auth_challenge(last_werr),
	    "Bearer realm=\"tasker\"");
	CU_ASSERT_EQUAL(check_header(s.auth, "", NOW), TK_ERR_AUTHENTICATION);
	CU_ASSERT_PTR_NULL(last_werr);
	setup_end(&s);
}

static void
test_wrong_scheme(void)
{
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[512], *tok, h[2048];

	setup_hs256(&s);
	CU_ASSERT_EQUAL(check_header(s.auth, "Basic YWxpY2U6c2VjcmV0", NOW),
	    TK_ERR_AUTHENTICATION);
	CU_ASSERT_PTR_NULL(last_werr);
	/* a valid token behind another scheme is still no credentials */
	tok = lib_token(JWT_ALG_HS256, &key, NULL, claims(c, sizeof(c), ""));
	snprintf(h, sizeof(h), "Token %s", tok);
	CU_ASSERT_EQUAL(check_header(s.auth, h, NOW), TK_ERR_AUTHENTICATION);
	CU_ASSERT_PTR_NULL(last_werr);
	snprintf(h, sizeof(h), "Bearer%s", tok);
	CU_ASSERT_EQUAL(check_header(s.auth, h, NOW), TK_ERR_AUTHENTICATION);
	snprintf(h, sizeof(h), "Bearer\t%s", tok);
	CU_ASSERT_EQUAL(check_header(s.auth, h, NOW), TK_ERR_AUTHENTICATION);
	/* "Bearer" and nothing else */
	CU_ASSERT_EQUAL(check_header(s.auth, "Bearer", NOW),
	    TK_ERR_AUTHENTICATION);
	CU_ASSERT_STRING_EQUAL(last_werr, "invalid_request");
	CU_ASSERT_EQUAL(check_header(s.auth, "Bearer    ", NOW),
	    TK_ERR_AUTHENTICATION);
	CU_ASSERT_STRING_EQUAL(last_werr, "invalid_request");
	free(tok);
	fx_free(&key);
	setup_end(&s);
}

static void
test_scheme_case_and_spaces(void)
{
	static const char *const forms[][2] = { { "Bearer ", "" },
	    { "bearer ", "" }, { "BEARER ", "" }, { "Bearer    ", "" },
	    { "  Bearer ", "  " } };
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[512], *tok, h[2048];
	size_t i;

	setup_hs256(&s);
	tok = lib_token(JWT_ALG_HS256, &key, NULL, claims(c, sizeof(c), ""));
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(h, sizeof(h), "%s%s%s", forms[i][0], tok,
		    forms[i][1]);
		CU_ASSERT_EQUAL(check_header(s.auth, h, NOW), TK_OK);
		CU_ASSERT_PTR_NULL(last_werr);
	}
	free(tok);
	fx_free(&key);
	setup_end(&s);
}

/* ---- token syntax -------------------------------------------------- */

static void
test_garbage(void)
{
	static const char *const bad[] = {
		"Bearer garbage", "Bearer .", "Bearer ..", "Bearer ...",
		"Bearer a.b.c", "Bearer a..c", "Bearer .b.c", "Bearer a.b.",
		"Bearer \xff\xfe.\x01.x", "Bearer e30.e30.e30 extra",
		"Bearer e30.e30.e30", "Bearer ÄÖÜ.e30.e30",
	};
	struct setup s;
	size_t i;

	setup_hs256(&s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REJECTED(check_header(s.auth, bad[i], NOW));
	setup_end(&s);
}

static void
test_bad_base64(void)
{
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[512], *good, *tok;
	size_t dot;

	setup_hs256(&s);
	good = lib_token(JWT_ALG_HS256, &key, NULL, claims(c, sizeof(c), ""));
	CU_ASSERT_EQUAL(check(s.auth, strdup(good)), TK_OK);
	/* '+' and '/' are base64, not base64url */
	tok = strdup(good);
	tok[3] = '+';
	REJECTED(check(s.auth, tok));
	tok = strdup(good);
	tok[strlen(tok) - 2] = '/';
	REJECTED(check(s.auth, tok));
	/* padding is not allowed */
	tok = malloc(strlen(good) + 3);
	dot = strchr(good, '.') - good;
	memcpy(tok, good, dot);
	memcpy(tok + dot, "==", 2);
	strcpy(tok + dot + 2, good + dot);
	REJECTED(check(s.auth, tok));
	/* a length that leaves a lone character (length % 4 == 1) */
	tok = malloc(strlen(good) + 3);
	sprintf(tok, "%sAA", good);
	REJECTED(check(s.auth, tok));
	/* stray bits: the 43rd character of a 32-byte MAC carries 2 unused
	 * bits; a lenient decoder gives the same MAC with them set */
	tok = strdup(good);
	{
		static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_";
		char *last = tok + strlen(tok) - 1;
		int v = (int)(strchr(al, *last) - al);

		CU_ASSERT_EQUAL(strlen(strrchr(tok, '.') + 1), 43);
		CU_ASSERT_EQUAL(v & 3, 0);
		*last = al[v | 1];
	}
	REJECTED(check(s.auth, tok));
	free(good);
	fx_free(&key);
	setup_end(&s);
}

static void
test_segments(void)
{
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[512], *good, *tok;

	setup_hs256(&s);
	good = lib_token(JWT_ALG_HS256, &key, NULL, claims(c, sizeof(c), ""));
	/* two segments: the signature cut off */
	tok = strdup(good);
	*strrchr(tok, '.') = '\0';
	REJECTED(check(s.auth, tok));
	/* four segments */
	tok = malloc(strlen(good) + 6);
	sprintf(tok, "%s.e30", good);
	REJECTED(check(s.auth, tok));
	free(good);
	fx_free(&key);
	setup_end(&s);
}

static void
test_oversized(void)
{
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[16384], pad[12000];
	char *tok;

	/* over the default 8192 bytes, valid otherwise */
	setup_hs256(&s);
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(c, sizeof(c), "{\"sub\":\"alice\",\"exp\":%ld,\"pad\":\"%s\"}",
	    LATER, pad);
	tok = lib_token(JWT_ALG_HS256, &key, NULL, c);
	CU_ASSERT_TRUE(strlen(tok) > 8192);
	REJECTED(check(s.auth, tok));
	setup_end(&s);

	/* a configured limit: the same token passes under and fails over */
	setup_begin(&s);
	s.cfg.max_token_bytes = 256;
	setup_alg(&s, "HS256");
	setup_key(&s, NULL, "HS256", "auth/hs256.secret", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	snprintf(c, sizeof(c), "{\"exp\":%ld}", LATER);
	tok = lib_token(JWT_ALG_HS256, &key, NULL, c);
	CU_ASSERT_TRUE(strlen(tok) <= 256);
	CU_ASSERT_EQUAL(check(s.auth, tok), TK_OK);
	snprintf(c, sizeof(c), "{\"exp\":%ld,\"pad\":\"%.200s\"}", LATER,
	    pad);
	tok = lib_token(JWT_ALG_HS256, &key, NULL, c);
	CU_ASSERT_TRUE(strlen(tok) > 256);
	REJECTED(check(s.auth, tok));
	fx_free(&key);
	setup_end(&s);
}

/* Hostile headers and payloads, correctly signed: our checks reject. */
static void
test_hostile_json(void)
{
	static const char *const headers[] = {
		"[\"HS256\"]",                          /* not an object */
		"{\"alg\":\"HS256\"",                   /* truncated */
		"{\"alg\":\"HS256\"}x",                 /* trailing byte */
		"{\"alg\":\"HS256\"}{}",                /* two documents */
		"{\"alg\":256}",                        /* alg not a string */
		"{\"typ\":\"JWT\"}",                    /* no alg */
		"{\"alg\":\"hs256\"}",                  /* case matters */
		"{\"alg\":\"HS256\\u0000x\"}",          /* NUL in alg */
		"{\"alg\":\"HS256\",\"kid\":7}",        /* kid not a string */
		"{\"alg\":\"HS256\",\"kid\":\"\"}",     /* empty kid */
		"{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}",
		"{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
		"{\"alg\":\"HS256\",\"x\":"
		    "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",  /* too deep */
		"{'alg':'HS256'}",                      /* not strict JSON */
		"{\"alg\":\"HS256\",\"x\":\"\xc3\x28\"}", /* bad UTF-8 */
	};
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[512], deep[128];
	size_t i;
	tk_err e;

	setup_hs256(&s);
	claims(c, sizeof(c), "");
	/* the builder itself is right */
	CU_ASSERT_EQUAL(check(s.auth, hs256_token("{\"alg\":\"HS256\","
	    "\"typ\":\"JWT\"}", c, &key)), TK_OK);
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		e = check(s.auth, hs256_token(headers[i], c, &key));
		if (e != TK_ERR_AUTHENTICATION)
			fprintf(stderr, "\n  accepted header %s\n",
			    headers[i]);
		REJECTED(e);
	}
	/* payloads */
	REJECTED(check(s.auth, hs256_token("{\"alg\":\"HS256\"}", "[]",
	    &key)));
	REJECTED(check(s.auth, hs256_token("{\"alg\":\"HS256\"}",
	    "not json", &key)));
	/* nesting: 4 levels are fine, 40 are not */
	memset(deep, 0, sizeof(deep));
	memset(deep, '[', 4);
	deep[4] = '1';
	memset(deep + 5, ']', 4);
	snprintf(c, sizeof(c), "{\"exp\":%ld,\"x\":%s}", LATER, deep);
	CU_ASSERT_EQUAL(check(s.auth, hs256_token("{\"alg\":\"HS256\"}", c,
	    &key)), TK_OK);
	memset(deep, 0, sizeof(deep));
	memset(deep, '[', 40);
	deep[40] = '1';
	memset(deep + 41, ']', 40);
	snprintf(c, sizeof(c), "{\"exp\":%ld,\"x\":%s}", LATER, deep);
	REJECTED(check(s.auth, hs256_token("{\"alg\":\"HS256\"}", c, &key)));
	/* whitespace around the JSON is still JSON */
	snprintf(c, sizeof(c), " {\"exp\":%ld} \n", LATER);
	CU_ASSERT_EQUAL(check(s.auth, hs256_token("{\"alg\":\"HS256\"}", c,
	    &key)), TK_OK);
	/* a NUL inside sub must not shorten it to "admin" */
	snprintf(c, sizeof(c), "{\"exp\":%ld,\"sub\":\"admin\\u0000x\"}",
	    LATER);
	REJECTED(check(s.auth, hs256_token("{\"alg\":\"HS256\"}", c, &key)));
	fx_free(&key);
	setup_end(&s);
}

/* ---- signatures and algorithms ------------------------------------- */

static void
test_tampered_payload(void)
{
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[512], *good, *evil, *tok, *d1, *d2, *e1, *e2;

	setup_hs256(&s);
	good = lib_token(JWT_ALG_HS256, &key, NULL, claims(c, sizeof(c), ""));
	snprintf(c, sizeof(c), "{\"sub\":\"alice\",\"exp\":%ld,"
	    "\"permissions\":[\"*\"]}", LATER);
	evil = hand_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", c, "x");
	/* good's header and signature around evil's payload */
	d1 = strchr(good, '.');
	d2 = strrchr(good, '.');
	e1 = strchr(evil, '.');
	e2 = strrchr(evil, '.');
	tok = malloc(strlen(good) + strlen(evil));
	sprintf(tok, "%.*s.%.*s%s", (int)(d1 - good), good, (int)(e2 - e1 - 1),
	    e1 + 1, d2);
	REJECTED(check(s.auth, tok));
	/* a flipped bit in the signature */
	tok = strdup(good);
	tok[strlen(tok) - 3] = tok[strlen(tok) - 3] == 'A' ? 'B' : 'A';
	REJECTED(check(s.auth, tok));
	CU_ASSERT_EQUAL(check(s.auth, good), TK_OK);
	free(evil);
	fx_free(&key);
	setup_end(&s);
}

static void
test_wrong_key(void)
{
	struct setup s;
	struct fx other = fixture("auth/hs256-other.secret", 1);
	struct fx ec = fixture("auth/ec256.pem", 0);
	char c[512];

	setup_hs256(&s);
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &other, NULL,
	    claims(c, sizeof(c), ""))));
	setup_end(&s);
	/* ES256 configured, token signed by another EC key: generated now */
	setup_begin(&s);
	setup_alg(&s, "ES256");
	setup_key(&s, NULL, "ES256", "auth/ec256.pub", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_ES256, &ec, NULL,
	    claims(c, sizeof(c), ""))), TK_OK);
	{
		EVP_PKEY *pk = EVP_EC_gen("P-256");
		BIO *bio = BIO_new(BIO_s_mem());
		struct fx k2 = { NULL, 0 };
		char *mem;

		CU_ASSERT_PTR_NOT_NULL_FATAL(pk);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bio);
		CU_ASSERT_FATAL(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL,
		    0, NULL, NULL) == 1);
		k2.len = (size_t)BIO_get_mem_data(bio, &mem);
		k2.data = (unsigned char *)mem;
		REJECTED(check(s.auth, lib_token(JWT_ALG_ES256, &k2, NULL,
		    claims(c, sizeof(c), ""))));
		BIO_free(bio);
		EVP_PKEY_free(pk);
	}
	fx_free(&other);
	fx_free(&ec);
	setup_end(&s);
}

static void
test_alg_none(void)
{
	struct setup s;
	char c[512];

	setup_hs256(&s);
	claims(c, sizeof(c), "");
	REJECTED(check(s.auth, hand_token("{\"alg\":\"none\",\"typ\":"
	    "\"JWT\"}", c, "")));
	REJECTED(check(s.auth, hand_token("{\"alg\":\"none\"}", c, "c2ln")));
	REJECTED(check(s.auth, hand_token("{\"alg\":\"None\"}", c, "c2ln")));
	REJECTED(check(s.auth, hand_token("{\"alg\":\"NONE\"}", c, "c2ln")));
	setup_end(&s);
	/* and it cannot be configured */
	setup_begin(&s);
	setup_alg(&s, "none");
	setup_alg(&s, "HS256");
	setup_key(&s, NULL, "HS256", "auth/hs256.secret", NULL);
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_PTR_NULL(s.auth);
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "\"none\" is never accepted"));
	setup_end(&s);
}

/* The classic: RS256 configured, attacker HMACs with the public PEM. */
static void
test_rs_hs_confusion(void)
{
	struct setup s;
	struct fx pub = fixture("auth/rsa.pub", 0);
	struct fx priv = fixture("auth/rsa.pem", 0);
	char c[512];
	int i;

	for (i = 0; i < 2; i++) {
		setup_begin(&s);
		setup_alg(&s, "RS256");
		if (i == 1)  /* even with HS256 allowed for other keys */
			setup_alg(&s, "HS256");
		setup_key(&s, NULL, "RS256", "auth/rsa.pub", NULL);
		CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
		/* a real RS256 token is fine */
		CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_RS256, &priv,
		    NULL, claims(c, sizeof(c), ""))), TK_OK);
		/* the PEM bytes as an HMAC secret: with and without the
		 * trailing newline */
		REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &pub, NULL,
		    claims(c, sizeof(c), ""))));
		pub.len--;
		REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &pub, NULL,
		    claims(c, sizeof(c), ""))));
		pub.len++;
		setup_end(&s);
	}
	fx_free(&pub);
	fx_free(&priv);
}

static void
test_alg_not_allowed(void)
{
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[512];

	setup_hs256(&s);
	/* same secret, but HS384 is not in the allow-list */
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS384, &key, NULL,
	    claims(c, sizeof(c), ""))));
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS512, &key, NULL,
	    claims(c, sizeof(c), ""))));
	setup_end(&s);
	/* allowed, but the key is HS256: alg must equal the key's */
	setup_begin(&s);
	setup_alg(&s, "HS256");
	setup_alg(&s, "HS384");
	setup_key(&s, NULL, "HS256", "auth/hs256.secret", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS384, &key, NULL,
	    claims(c, sizeof(c), ""))));
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_HS256, &key, NULL,
	    claims(c, sizeof(c), ""))), TK_OK);
	fx_free(&key);
	setup_end(&s);
}

/* ---- kids ---------------------------------------------------------- */

static void
test_unknown_kid(void)
{
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	char c[512];

	setup_begin(&s);
	setup_alg(&s, "HS256");
	setup_key(&s, "k1", "HS256", "auth/hs256.secret", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	claims(c, sizeof(c), "");
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_HS256, &key, "k1",
	    c)), TK_OK);
	/* right secret, unknown kid */
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &key, "k2", c)));
	/* no kid: the only key is used */
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_HS256, &key, NULL,
	    c)), TK_OK);
	fx_free(&key);
	setup_end(&s);
}

static void
test_kid_rotation(void)
{
	struct setup s;
	struct fx old = fixture("auth/hs256.secret", 1);
	struct fx cur = fixture("auth/hs256-other.secret", 1);
	struct fx ec = fixture("auth/ec256.pem", 0);
	char c[512];

	setup_begin(&s);
	setup_alg(&s, "HS256");
	setup_alg(&s, "ES256");
	setup_key(&s, "2024", "HS256", "auth/hs256.secret", NULL);
	setup_key(&s, "2025", "HS256", "auth/hs256-other.secret", NULL);
	setup_key(&s, "ec", "ES256", "auth/ec256.pub", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	claims(c, sizeof(c), "");
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_HS256, &old, "2024",
	    c)), TK_OK);
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_HS256, &cur, "2025",
	    c)), TK_OK);
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_ES256, &ec, "ec",
	    c)), TK_OK);
	/* the kid picks the key: a swapped kid fails */
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &old, "2025", c)));
	REJECTED(check(s.auth, lib_token(JWT_ALG_ES256, &ec, "2024", c)));
	/* every key has a kid and there are several: no kid, no key */
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &cur, NULL, c)));
	setup_end(&s);

	/* keys without kid: each is tried */
	setup_begin(&s);
	setup_alg(&s, "HS256");
	setup_key(&s, NULL, "HS256", "auth/hs256.secret", NULL);
	setup_key(&s, NULL, "HS256", "auth/hs256-other.secret", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_HS256, &old, NULL,
	    c)), TK_OK);
	CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_HS256, &cur, NULL,
	    c)), TK_OK);
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &old, "2024", c)));
	fx_free(&old);
	fx_free(&cur);
	fx_free(&ec);
	setup_end(&s);
}

/* ---- claims -------------------------------------------------------- */

/* An HS256 token from libjwt with the claims printf builds. */
static char * __attribute__((format(printf, 2, 3)))
with_claims(const struct fx *key, const char *fmt, ...)
{
	char c[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c, sizeof(c), fmt, ap);
	va_end(ap);
	return lib_token(JWT_ALG_HS256, key, NULL, c);
}

static void
test_exp(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);

	setup_hs256(&s);   /* leeway 30 */
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld}",
	    NOW + 1)), TK_OK);
	/* expired, beyond the leeway */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld}", NOW - 31)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld}", NOW - 30)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld}", 0L)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld}", -5L)));
	/* expired, within the leeway */
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld}",
	    NOW - 29)), TK_OK);
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld}", NOW)),
	    TK_OK);
	/* the same token, later */
	CU_ASSERT_EQUAL(check_at(s.auth, with_claims(&k, "{\"exp\":%ld}",
	    LATER), LATER + 29), TK_OK);
	REJECTED(check_at(s.auth, with_claims(&k, "{\"exp\":%ld}", LATER),
	    LATER + 30));
	setup_end(&s);

	/* leeway 0 */
	setup_begin(&s);
	s.cfg.leeway_seconds = 0;
	setup_alg(&s, "HS256");
	setup_key(&s, NULL, "HS256", "auth/hs256.secret", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld}", NOW)));
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld}",
	    NOW + 1)), TK_OK);
	fx_free(&k);
	setup_end(&s);
}

static void
test_exp_types(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);

	setup_hs256(&s);
	/* missing */
	REJECTED(check(s.auth, with_claims(&k, "{\"sub\":\"a\",\"x\":%ld}",
	    LATER)));
	/* a string, a float, a bool, null, an object */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":\"%ld\"}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld.0}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld.5}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":1e%ld}", 10L)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":true,\"x\":%ld}",
	    0L)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":null,\"x\":%ld}",
	    0L)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":{\"v\":%ld}}",
	    LATER)));
	/* other time claims must be integers too */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,"
	    "\"nbf\":\"0\"}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,"
	    "\"iat\":1.5}", LATER)));
	fx_free(&k);
	setup_end(&s);
}

static void
test_nbf_iat(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);

	setup_hs256(&s);
	/* leeway 30 */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"nbf\":%ld}",
	    LATER, NOW + 31)));
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld,"
	    "\"nbf\":%ld}", LATER, NOW + 30)), TK_OK);
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld,"
	    "\"nbf\":%ld}", LATER, NOW - 1000)), TK_OK);
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iat\":%ld}",
	    LATER, NOW + 31)));
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld,"
	    "\"iat\":%ld}", LATER, NOW + 30)), TK_OK);
	fx_free(&k);
	setup_end(&s);
}

static void
test_iss_aud(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);

	setup_begin(&s);
	s.cfg.issuer = own(&s, "https://id.example.com");
	s.cfg.audience = own(&s, "tasker");
	setup_alg(&s, "HS256");
	setup_key(&s, NULL, "HS256", "auth/hs256.secret", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":"
	    "\"https://id.example.com\",\"aud\":\"tasker\"}", LATER)), TK_OK);
	/* wrong iss, missing iss, iss not a string */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":"
	    "\"https://evil.example.com\",\"aud\":\"tasker\"}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,"
	    "\"aud\":\"tasker\"}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":[\""
	    "https://id.example.com\"],\"aud\":\"tasker\"}", LATER)));
	/* wrong aud, missing aud */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":"
	    "\"https://id.example.com\",\"aud\":\"billing\"}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":"
	    "\"https://id.example.com\"}", LATER)));
	/* aud arrays */
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":"
	    "\"https://id.example.com\",\"aud\":[\"billing\",\"tasker\"]}",
	    LATER)), TK_OK);
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":"
	    "\"https://id.example.com\",\"aud\":[\"billing\",\"taskerx\"]}",
	    LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":"
	    "\"https://id.example.com\",\"aud\":[]}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"iss\":"
	    "\"https://id.example.com\",\"aud\":[1,\"tasker\"]}", LATER)));
	setup_end(&s);

	/* no audience configured: a token for some audience is refused,
	 * one without aud is fine, iss is not checked */
	setup_hs256(&s);
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,"
	    "\"aud\":\"billing\"}", LATER)));
	CU_ASSERT_EQUAL(check(s.auth, with_claims(&k, "{\"exp\":%ld,"
	    "\"iss\":\"anyone\"}", LATER)), TK_OK);
	fx_free(&k);
	setup_end(&s);
}

static void
test_permissions_claim(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);
	struct tk_auth_input in;
	struct tk_principal p;
	char c[16384], h[20000], *tok, *o;
	int i;

	setup_hs256(&s);
	/* not an array */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"permissions\":"
	    "\"tasker.task:create\"}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"permissions\":"
	    "{\"tasker.task:create\":true}}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"permissions\":"
	    "null}", LATER)));
	/* an array with something else than strings */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"permissions\":"
	    "[\"tasker.task:create\",7]}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"permissions\":"
	    "[\"\"]}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"permissions\":"
	    "[\"a\\nb\"]}", LATER)));
	/* too many */
	o = c + snprintf(c, sizeof(c), "{\"exp\":%ld,\"permissions\":[", LATER);
	for (i = 0; i <= TK_PERM_MAX_COUNT; i++)
		o += sprintf(o, "%s\"p%d\"", i ? "," : "", i);
	strcpy(o, "]}");
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &k, NULL, c)));
	/* absent: authenticated, no permissions */
	tok = with_claims(&k, "{\"exp\":%ld,\"sub\":\"bob\"}", LATER);
	snprintf(h, sizeof(h), "Bearer %s", tok);
	memset(&in, 0, sizeof(in));
	in.authorization = h;
	in.now = NOW;
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, NULL), TK_OK);
	CU_ASSERT_STRING_EQUAL(p.subject, "bob");
	CU_ASSERT_EQUAL(p.nperms, 0);
	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.handler:index"));
	tk_principal_free(&p);
	free(tok);
	fx_free(&k);
	setup_end(&s);
}

static void
test_valid_token(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);
	struct tk_auth_input in;
	struct tk_principal p;
	const char *werr = "unset";
	char c[512], h[2048], *tok;

	setup_hs256(&s);
	tok = lib_token(JWT_ALG_HS256, &k, NULL, claims(c, sizeof(c), ""));
	snprintf(h, sizeof(h), "Bearer %s", tok);
	memset(&in, 0, sizeof(in));
	in.authorization = h;
	in.now = NOW;
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_OK);
	CU_ASSERT_PTR_NULL(werr);
	CU_ASSERT_STRING_EQUAL(p.subject, "alice");
	CU_ASSERT_EQUAL_FATAL(p.nperms, 2);
	CU_ASSERT_STRING_EQUAL(p.perms[0], "tasker.task:create");
	CU_ASSERT_STRING_EQUAL(p.perms[1], "tasker.handler:index");
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.task:create"));
	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.task:cancel"));
	tk_principal_free(&p);
	free(tok);

	/* no sub: "unknown"; sub not a string: rejected */
	tok = with_claims(&k, "{\"exp\":%ld}", LATER);
	snprintf(h, sizeof(h), "Bearer %s", tok);
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, &werr), TK_OK);
	CU_ASSERT_STRING_EQUAL(p.subject, "unknown");
	tk_principal_free(&p);
	free(tok);
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"sub\":42}",
	    LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"sub\":\"\"}",
	    LATER)));
	fx_free(&k);
	setup_end(&s);
}

static void
test_custom_claim_name(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);
	struct tk_auth_input in;
	struct tk_principal p;
	char h[2048], *tok;

	setup_begin(&s);
	s.cfg.permissions_claim = own(&s, "https://tasker/perms");
	setup_alg(&s, "HS256");
	setup_key(&s, NULL, "HS256", "auth/hs256.secret", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	tok = with_claims(&k, "{\"exp\":%ld,\"permissions\":[\"*\"],"
	    "\"https://tasker/perms\":[\"tasker.task:index\"]}", LATER);
	snprintf(h, sizeof(h), "Bearer %s", tok);
	memset(&in, 0, sizeof(in));
	in.authorization = h;
	in.now = NOW;
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.task:index"));
	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.task:create"));
	tk_principal_free(&p);
	free(tok);
	fx_free(&k);
	setup_end(&s);
}

/* ---- scope claims ---------------------------------------------------- */

/* Authenticates tok at NOW into *p (the caller frees p); frees tok. */
static tk_err
principal_of(const struct tk_auth *a, char *tok, struct tk_principal *p)
{
	struct tk_auth_input in;
	char h[4096];
	tk_err e;

	snprintf(h, sizeof(h), "Bearer %s", tok);
	memset(&in, 0, sizeof(in));
	in.authorization = h;
	in.now = NOW;
	e = tk_auth_authenticate(a, &in, p, NULL);
	free(tok);
	return e;
}

static void
test_scope_claims(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);
	struct tk_principal p;
	char c[4096], *o;
	int i;

	setup_hs256(&s);
	/* absent: every namespace, every task */
	CU_ASSERT_EQUAL_FATAL(principal_of(s.auth, with_claims(&k,
	    "{\"sub\":\"a\",\"exp\":%ld}", LATER), &p), TK_OK);
	CU_ASSERT_FALSE(p.ns_limited);
	CU_ASSERT_FALSE(p.own_tasks);
	CU_ASSERT_FALSE(tk_principal_scoped(&p));
	CU_ASSERT_TRUE(tk_principal_sees_ns(&p, "anything"));
	CU_ASSERT_TRUE(tk_principal_sees_task(&p, "x", NULL));
	tk_principal_free(&p);
	/* a list: those namespaces, duplicates once */
	CU_ASSERT_EQUAL_FATAL(principal_of(s.auth, with_claims(&k,
	    "{\"sub\":\"a\",\"exp\":%ld,\"namespaces\":[\"payments\","
	    "\"it_2\",\"payments\"],\"own_tasks\":false}", LATER), &p), TK_OK);
	CU_ASSERT_TRUE(p.ns_limited);
	CU_ASSERT_EQUAL_FATAL(p.nns, 2);
	CU_ASSERT_STRING_EQUAL(p.ns[0], "payments");
	CU_ASSERT_STRING_EQUAL(p.ns[1], "it_2");
	CU_ASSERT_FALSE(p.own_tasks);
	CU_ASSERT_TRUE(tk_principal_sees_ns(&p, "it_2"));
	CU_ASSERT_FALSE(tk_principal_sees_ns(&p, "it_"));
	CU_ASSERT_FALSE(tk_principal_sees_ns(&p, "payments2"));
	CU_ASSERT_FALSE(tk_principal_sees_ns(&p, NULL));
	CU_ASSERT_TRUE(tk_principal_sees_task(&p, "payments", "b"));
	CU_ASSERT_FALSE(tk_principal_sees_task(&p, "billing", "a"));
	tk_principal_free(&p);
	/* empty: no namespace at all */
	CU_ASSERT_EQUAL_FATAL(principal_of(s.auth, with_claims(&k,
	    "{\"sub\":\"a\",\"exp\":%ld,\"namespaces\":[]}", LATER), &p),
	    TK_OK);
	CU_ASSERT_TRUE(p.ns_limited);
	CU_ASSERT_EQUAL(p.nns, 0);
	CU_ASSERT_FALSE(tk_principal_sees_ns(&p, "payments"));
	tk_principal_free(&p);
	/* own tasks: only created_by == subject; NULL (old rows) never */
	CU_ASSERT_EQUAL_FATAL(principal_of(s.auth, with_claims(&k,
	    "{\"sub\":\"bob\",\"exp\":%ld,\"own_tasks\":true}", LATER), &p),
	    TK_OK);
	CU_ASSERT_TRUE(p.own_tasks);
	CU_ASSERT_FALSE(p.ns_limited);
	CU_ASSERT_TRUE(tk_principal_scoped(&p));
	CU_ASSERT_TRUE(tk_principal_sees_ns(&p, "payments"));
	CU_ASSERT_TRUE(tk_principal_sees_task(&p, "payments", "bob"));
	CU_ASSERT_FALSE(tk_principal_sees_task(&p, "payments", "bobby"));
	CU_ASSERT_FALSE(tk_principal_sees_task(&p, "payments", "Bob"));
	CU_ASSERT_FALSE(tk_principal_sees_task(&p, "payments", NULL));
	tk_principal_free(&p);

	/* malformed: a bad token */
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "\"payments\"}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "null}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "{\"payments\":1}}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "[\"payments\",1]}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "[\"\"]}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "[\"Payments\"]}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "[\"pay-ments\"]}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "[\"%065d\"]}", LATER, 0)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"namespaces\":"
	    "[[\"payments\"]]}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"own_tasks\":"
	    "\"true\"}", LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"own_tasks\":1}",
	    LATER)));
	REJECTED(check(s.auth, with_claims(&k, "{\"exp\":%ld,\"own_tasks\":"
	    "null}", LATER)));
	/* 64 names are fine, 65 too many */
	o = c + snprintf(c, sizeof(c), "{\"exp\":%ld,\"namespaces\":[", LATER);
	for (i = 0; i < TK_NS_MAX_COUNT; i++)
		o += sprintf(o, "%s\"n%d\"", i ? "," : "", i);
	strcpy(o, "]}");
	CU_ASSERT_EQUAL_FATAL(principal_of(s.auth, lib_token(JWT_ALG_HS256,
	    &k, NULL, c), &p), TK_OK);
	CU_ASSERT_EQUAL(p.nns, TK_NS_MAX_COUNT);
	tk_principal_free(&p);
	strcpy(o, ",\"n64\"]}");
	REJECTED(check(s.auth, lib_token(JWT_ALG_HS256, &k, NULL, c)));
	fx_free(&k);
	setup_end(&s);
}

/* Configured claim names; a cache hit keeps the scope. */
static void
test_scope_claim_names(void)
{
	struct setup s;
	struct fx k = fixture("auth/hs256.secret", 1);
	struct tk_principal p;
	char *tok;
	int round;

	setup_hs256(&s);
	tk_auth_free(s.auth);
	s.auth = NULL;
	s.cfg.namespaces_claim = own(&s, "https://tasker/ns");
	s.cfg.own_tasks_claim = own(&s, "https://tasker/own");
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	tok = with_claims(&k, "{\"sub\":\"a\",\"exp\":%ld,\"namespaces\":[],"
	    "\"own_tasks\":\"ignored\",\"https://tasker/ns\":[\"x\"],"
	    "\"https://tasker/own\":true}", LATER);
	for (round = 0; round < 2; round++) {   /* verified, then cached */
		CU_ASSERT_EQUAL_FATAL(principal_of(s.auth, strdup(tok), &p),
		    TK_OK);
		CU_ASSERT_TRUE(p.ns_limited);
		CU_ASSERT_EQUAL_FATAL(p.nns, 1);
		CU_ASSERT_STRING_EQUAL(p.ns[0], "x");
		CU_ASSERT_TRUE(p.own_tasks);
		tk_principal_free(&p);
	}
	free(tok);
	setup_end(&s);

	/* names that collide with a registered claim, the permissions
	 * claim or each other */
	setup_hs256(&s);
	tk_auth_free(s.auth);
	s.auth = NULL;
	s.cfg.namespaces_claim = own(&s, "permissions");
	s.cfg.own_tasks_claim = own(&s, "sub");
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "auth.namespaces_claim: "
	    "\"permissions\" is also auth.permissions_claim"));
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "auth.own_tasks_claim: \"sub\" "
	    "is a registered JWT claim"));
	setup_end(&s);
	setup_hs256(&s);
	tk_auth_free(s.auth);
	s.auth = NULL;
	s.cfg.namespaces_claim = own(&s, "scope");
	s.cfg.own_tasks_claim = own(&s, "scope");
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "is also auth.namespaces_claim"));
	setup_end(&s);
	fx_free(&k);
}

/* tk_auth_mint_scope() writes claims that read back as the same scope. */
static void
test_mint_scope(void)
{
	static const char *const nss[] = { "payments", "billing" };
	static const char *const bad[] = { "payments", "Bad" };
	struct tk_token_scope sc = { nss, 2, 1, 1 };
	struct tk_principal p;
	struct setup s;
	char *tok = NULL;

	setup_hs256(&s);
	CU_ASSERT_EQUAL_FATAL(tk_auth_mint_scope(s.auth, "ci", NULL, 0, &sc,
	    0, NOW, &tok), TK_OK);
	CU_ASSERT_EQUAL_FATAL(principal_of(s.auth, tok, &p), TK_OK);
	CU_ASSERT_TRUE(p.ns_limited);
	CU_ASSERT_EQUAL_FATAL(p.nns, 2);
	CU_ASSERT_STRING_EQUAL(p.ns[1], "billing");
	CU_ASSERT_TRUE(p.own_tasks);
	tk_principal_free(&p);
	/* limit_namespaces with none: the empty claim */
	sc.nnamespaces = 0;
	sc.own_tasks = 0;
	CU_ASSERT_EQUAL_FATAL(tk_auth_mint_scope(s.auth, "ci", NULL, 0, &sc,
	    0, NOW, &tok), TK_OK);
	CU_ASSERT_EQUAL_FATAL(principal_of(s.auth, tok, &p), TK_OK);
	CU_ASSERT_TRUE(p.ns_limited);
	CU_ASSERT_EQUAL(p.nns, 0);
	CU_ASSERT_FALSE(p.own_tasks);
	tk_principal_free(&p);
	/* bad names, too many */
	sc.namespaces = bad;
	sc.nnamespaces = 2;
	tok = NULL;
	CU_ASSERT_EQUAL(tk_auth_mint_scope(s.auth, "ci", NULL, 0, &sc, 0, NOW,
	    &tok), TK_ERR_BAD_REQUEST);
	CU_ASSERT_PTR_NULL(tok);
	sc.namespaces = nss;
	sc.nnamespaces = TK_NS_MAX_COUNT + 1;
	CU_ASSERT_EQUAL(tk_auth_mint_scope(s.auth, "ci", NULL, 0, &sc, 0, NOW,
	    &tok), TK_ERR_BAD_REQUEST);
	setup_end(&s);
}

/* ---- minting ------------------------------------------------------- */

/* Mints with s and checks the token at NOW and after it expired. */
static void
mint_roundtrip(struct setup *s, jwt_alg_t alg, const char *kid)
{
	static const char *const perms[] = { "tasker.task:*",
	    "tasker.handler:index" };
	struct tk_auth_input in;
	struct tk_principal p;
	char h[4096], *tok = NULL;
	jwt_t *j = NULL;

	CU_ASSERT_EQUAL_FATAL(tk_auth_mint(s->auth, "ops-bot", perms, 2, 600,
	    NOW, &tok), TK_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	/* the header says what we expect (no key: libjwt only parses, and
	 * reports alg as none, so read the header itself) */
	CU_ASSERT_EQUAL_FATAL(jwt_decode(&j, tok, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(jwt_get_header(j, "alg"), jwt_alg_str(alg));
	if (kid != NULL) {
		CU_ASSERT_STRING_EQUAL(jwt_get_header(j, "kid"), kid);
	} else {
		CU_ASSERT_PTR_NULL(jwt_get_header(j, "kid"));
	}
	CU_ASSERT_EQUAL(jwt_get_grant_int(j, "exp"), NOW + 600);
	CU_ASSERT_EQUAL(jwt_get_grant_int(j, "iat"), NOW);
	jwt_free(j);

	snprintf(h, sizeof(h), "Bearer %s", tok);
	memset(&in, 0, sizeof(in));
	in.authorization = h;
	in.now = NOW + 10;
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s->auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(p.subject, "ops-bot");
	CU_ASSERT_EQUAL(p.nperms, 2);
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.task:create"));
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.handler:index"));
	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.handler:show"));
	tk_principal_free(&p);
	in.now = NOW + 600 + 30;
	CU_ASSERT_EQUAL(tk_auth_authenticate(s->auth, &in, &p, NULL),
	    TK_ERR_AUTHENTICATION);
	free(tok);
}

static void
test_mint(void)
{
	struct setup s;
	char *tok = (char *)"x";
	static const char *const bad_perm[] = { "ok", "new\nline" };

	setup_hs256(&s);
	mint_roundtrip(&s, JWT_ALG_HS256, NULL);
	/* bad arguments */
	CU_ASSERT_EQUAL(tk_auth_mint(s.auth, "", NULL, 0, 0, NOW, &tok),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_PTR_NULL(tok);
	CU_ASSERT_EQUAL(tk_auth_mint(s.auth, "a", bad_perm, 2, 0, NOW, &tok),
	    TK_ERR_BAD_REQUEST);
	/* the default lifetime */
	CU_ASSERT_EQUAL(tk_auth_mint(s.auth, "a", NULL, 0, 0, NOW, &tok),
	    TK_OK);
	CU_ASSERT_EQUAL(check_at(s.auth, tok, NOW + 3599), TK_OK);
	setup_end(&s);

	setup_begin(&s);
	s.cfg.issuer = own(&s, "https://id.example.com");
	s.cfg.audience = own(&s, "tasker");
	setup_alg(&s, "RS256");
	setup_key(&s, "rsa-1", "RS256", "auth/rsa.pub", "auth/rsa.pem");
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	mint_roundtrip(&s, JWT_ALG_RS256, "rsa-1");
	setup_end(&s);

	/* the first key that can sign is used */
	setup_begin(&s);
	setup_alg(&s, "HS256");
	setup_alg(&s, "ES256");
	setup_key(&s, "old", "HS256", "auth/hs256.secret", NULL);
	setup_key(&s, "ec", "ES256", "auth/ec256.pub", "auth/ec256.pem");
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	mint_roundtrip(&s, JWT_ALG_ES256, "ec");
	setup_end(&s);

	/* no signing key */
	setup_begin(&s);
	setup_alg(&s, "RS256");
	setup_key(&s, NULL, "RS256", "auth/rsa.pub", NULL);
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	CU_ASSERT_EQUAL(tk_auth_mint(s.auth, "a", NULL, 0, 0, NOW, &tok),
	    TK_ERR_CONFIG);
	CU_ASSERT_PTR_NULL(tok);
	setup_end(&s);
}

/*
 * The subject is logged and stored (actor, initiator): sub must be strict
 * UTF-8 without C0, DEL or C1 controls, and no claim may hold text that
 * is not UTF-8 or "\u" escapes of half a surrogate pair.
 */
static void
test_sub_text(void)
{
	static const char *const bad[] = {
		"\"a\xc2\x85" "b\"",    /* C1: NEL */
		"\"\xc2\x80\"",         /* C1: U+0080 */
		"\"a\xc2\x9f\"",        /* C1: U+009F */
		"\"a\\u0085\"",         /* C1 as an escape */
		"\"a\\u001b[31m\"",     /* C0 as an escape */
		"\"a\x7f\"",            /* DEL */
		"\"\xc0\xaf\"",         /* overlong */
		"\"\xed\xa0\x80\"",     /* surrogate */
		"\"\xf4\x90\x80\x80\"", /* above U+10FFFF */
		"\"a\x80\"",            /* stray byte */
		"\"\\ud800\"",          /* half a pair: json-c's U+FFFD */
		"\"\\udc00x\"",
	};
	struct setup s;
	struct fx key = fixture("auth/hs256.secret", 1);
	struct tk_auth_input in;
	struct tk_principal p;
	const char *werr;
	char c[512], h[2048], *tok;
	size_t i;

	setup_hs256(&s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(c, sizeof(c), "{\"exp\":%ld,\"sub\":%s}", LATER,
		    bad[i]);
		REJECTED(check(s.auth, hs256_token("{\"alg\":\"HS256\"}", c,
		    &key)));
		/* in a claim tasker does not read, too: the payload is not
		 * the UTF-8 JSON RFC 7519 asks for */
		snprintf(c, sizeof(c), "{\"exp\":%ld,\"sub\":\"a\","
		    "\"name\":%s}", LATER, bad[i]);
		tok = hs256_token("{\"alg\":\"HS256\"}", c, &key);
		if (i >= 6)
			REJECTED(check(s.auth, tok));
		else	/* controls are only refused where they are used */
			CU_ASSERT_EQUAL(check(s.auth, tok), TK_OK);
	}
	/* well-formed text of every length, escapes and a pair */
	snprintf(c, sizeof(c), "{\"exp\":%ld,\"sub\":\"Jos\xc3\xa9 \xe2\x82\xac"
	    "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xc2\xa0\\ud83d\\ude00\"}", LATER);
	tok = hs256_token("{\"alg\":\"HS256\"}", c, &key);
	snprintf(h, sizeof(h), "Bearer %s", tok);
	memset(&in, 0, sizeof(in));
	in.authorization = h;
	in.now = NOW;
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(p.subject, "Jos\xc3\xa9 \xe2\x82\xac"
	    "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xc2\xa0\xf0\x9f\x98\x80");
	tk_principal_free(&p);
	free(tok);
	/* minting refuses what verifying would */
	tok = NULL;
	CU_ASSERT_EQUAL(tk_auth_mint(s.auth, "a\xc2\x85", NULL, 0, 0, NOW,
	    &tok), TK_ERR_BAD_REQUEST);
	CU_ASSERT_EQUAL(tk_auth_mint(s.auth, "\xed\xa0\x80", NULL, 0, 0, NOW,
	    &tok), TK_ERR_BAD_REQUEST);
	CU_ASSERT_PTR_NULL(tok);
	fx_free(&key);
	setup_end(&s);
}

/* ---- remote_user and none ------------------------------------------ */

static void
test_remote_user(void)
{
	struct setup s;
	struct tk_perm_grant users[2], groups[3];
	char *alice_p[] = { (char *)"tasker.handler:index" };
	char *ops_p[] = { (char *)"tasker.task:*",
	    (char *)"tasker.handler:index" };
	char *view_p[] = { (char *)"tasker.task:index" };
	char *adm_p[] = { (char *)"*" };
	struct tk_auth_input in;
	struct tk_principal p;
	const char *werr = "unset";

	setup_begin(&s);
	s.cfg.mode = TK_AUTH_REMOTE_USER;
	/* name, permissions, no scope (every namespace, every task) */
	users[0] = (struct tk_perm_grant){ (char *)"alice", alice_p, 1, 0,
	    NULL, 0, 0 };
	users[1] = (struct tk_perm_grant){ (char *)"carol", NULL, 0, 0, NULL,
	    0, 0 };
	groups[0] = (struct tk_perm_grant){ (char *)"ops", ops_p, 2, 0, NULL,
	    0, 0 };
	groups[1] = (struct tk_perm_grant){ (char *)"viewers", view_p, 1, 0,
	    NULL, 0, 0 };
	groups[2] = (struct tk_perm_grant){ (char *)"admins", adm_p, 1, 0,
	    NULL, 0, 0 };
	s.cfg.users = users;
	s.cfg.nusers = 2;
	s.cfg.groups = groups;
	s.cfg.ngroups = 3;
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	memset(&in, 0, sizeof(in));
	in.now = NOW;

	/* the user's grant alone */
	in.remote_user = "alice";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(p.subject, "alice");
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.handler:index"));
	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.task:create"));
	tk_principal_free(&p);

	/* plus groups: union, duplicates once, unknown groups ignored */
	in.remote_groups = "ops, viewers,nobody  ";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_OK);
	CU_ASSERT_EQUAL(p.nperms, 3);
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.task:create"));
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.task:index"));
	CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.step:update"));
	tk_principal_free(&p);

	/* a user in no grant: authenticated (so 403, not 401), nothing */
	in.remote_user = "bob";
	in.remote_groups = NULL;
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(p.subject, "bob");
	CU_ASSERT_EQUAL(p.nperms, 0);
	tk_principal_free(&p);
	in.remote_groups = "admins";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_OK);
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.step:update"));
	tk_principal_free(&p);
	/* group names match whole, not by prefix */
	in.remote_groups = "admin ops2";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_OK);
	CU_ASSERT_EQUAL(p.nperms, 0);
	tk_principal_free(&p);

	/* no REMOTE_USER: 401; a bearer token changes nothing */
	in.remote_user = NULL;
	in.authorization = "Bearer e30.e30.e30";
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_ERR_AUTHENTICATION);
	CU_ASSERT_PTR_NULL(werr);
	in.remote_user = "";
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_ERR_AUTHENTICATION);
	in.remote_user = "mallory\nadmin";
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_ERR_AUTHENTICATION);
	/* C1 controls and text that is not UTF-8: 401 as well */
	in.remote_user = "mallory\xc2\x85" "admin";
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_ERR_AUTHENTICATION);
	in.remote_user = "mallory\xed\xa0\x80";
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_ERR_AUTHENTICATION);
	in.remote_user = "\xc0\xaf";
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_ERR_AUTHENTICATION);
	in.remote_user = "Jos\xc3\xa9";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, &werr),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(p.subject, "Jos\xc3\xa9");
	tk_principal_free(&p);
	setup_end(&s);

	/* configured names follow the same rule */
	setup_begin(&s);
	s.cfg.mode = TK_AUTH_REMOTE_USER;
	users[0] = (struct tk_perm_grant){ .name = (char *)"al\xc2\x85" "ce",
	    .perms = alice_p, .nperms = 1 };
	users[1] = (struct tk_perm_grant){ .name = (char *)"\xed\xa0\x80" };
	groups[0] = (struct tk_perm_grant){ .name = (char *)"ops",
	    .perms = view_p, .nperms = 1 };
	groups[0].perms = (char *[]){ (char *)"tasker.task:\xc0\xaf" };
	s.cfg.users = users;
	s.cfg.nusers = 2;
	s.cfg.groups = groups;
	s.cfg.ngroups = 1;
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_EQUAL(s.diag.n, 3);
	setup_end(&s);
}

/* remote_user grants with scopes add up like their permissions. */
static void
test_remote_user_scope(void)
{
	struct setup s;
	struct tk_perm_grant users[3], groups[3];
	char *all[] = { (char *)"*" };
	char *ns_a[] = { (char *)"payments" }, *ns_b[] = { (char *)"billing" };
	struct tk_auth_input in;
	struct tk_principal p;

	setup_begin(&s);
	s.cfg.mode = TK_AUTH_REMOTE_USER;
	/* alice: payments; bob: own tasks; carol: no namespace */
	users[0] = (struct tk_perm_grant){ (char *)"alice", all, 1, 1, ns_a,
	    1, 0 };
	users[1] = (struct tk_perm_grant){ (char *)"bob", all, 1, 0, NULL, 0,
	    1 };
	users[2] = (struct tk_perm_grant){ (char *)"carol", all, 1, 1, NULL,
	    0, 0 };
	groups[0] = (struct tk_perm_grant){ (char *)"billing", NULL, 0, 1,
	    ns_b, 1, 1 };
	groups[1] = (struct tk_perm_grant){ (char *)"all", NULL, 0, 0, NULL,
	    0, 0 };
	groups[2] = (struct tk_perm_grant){ (char *)"own", NULL, 0, 0, NULL,
	    0, 1 };
	s.cfg.users = users;
	s.cfg.nusers = 3;
	s.cfg.groups = groups;
	s.cfg.ngroups = 3;
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	memset(&in, 0, sizeof(in));
	in.now = NOW;

	in.remote_user = "alice";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_TRUE(p.ns_limited);
	CU_ASSERT_TRUE(tk_principal_sees_ns(&p, "payments"));
	CU_ASSERT_FALSE(tk_principal_sees_ns(&p, "billing"));
	CU_ASSERT_FALSE(p.own_tasks);
	tk_principal_free(&p);
	/* a limited group adds its namespaces; own_tasks needs every grant */
	in.remote_groups = "billing";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_EQUAL(p.nns, 2);
	CU_ASSERT_TRUE(tk_principal_sees_ns(&p, "billing"));
	CU_ASSERT_FALSE(p.own_tasks);
	tk_principal_free(&p);
	/* an unlimited group lifts the namespace limit */
	in.remote_groups = "billing,all";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_FALSE(p.ns_limited);
	CU_ASSERT_EQUAL(p.nns, 0);
	CU_ASSERT_TRUE(tk_principal_sees_ns(&p, "anything"));
	tk_principal_free(&p);
	/* own tasks: only when every grant that applies says so */
	in.remote_user = "bob";
	in.remote_groups = "own";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_TRUE(p.own_tasks);
	CU_ASSERT_FALSE(p.ns_limited);
	tk_principal_free(&p);
	in.remote_groups = "own all";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_FALSE(p.own_tasks);
	tk_principal_free(&p);
	/* an empty list: nothing */
	in.remote_user = "carol";
	in.remote_groups = NULL;
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_TRUE(p.ns_limited);
	CU_ASSERT_EQUAL(p.nns, 0);
	tk_principal_free(&p);
	/* no grant applies: no permission and no namespace */
	in.remote_user = "zed";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_TRUE(p.ns_limited);
	CU_ASSERT_EQUAL(p.nperms, 0);
	tk_principal_free(&p);
	/* a name that is not UTF-8 */
	in.remote_user = "caf\xe9";
	CU_ASSERT_EQUAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_ERR_AUTHENTICATION);
	setup_end(&s);

	/* a bad namespace in a grant is a config error */
	setup_begin(&s);
	s.cfg.mode = TK_AUTH_REMOTE_USER;
	ns_a[0] = (char *)"Pay-ments";
	users[0] = (struct tk_perm_grant){ (char *)"alice", all, 1, 1, ns_a,
	    1, 0 };
	s.cfg.users = users;
	s.cfg.nusers = 1;
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "not a namespace name"));
	setup_end(&s);
}

static void
test_none_mode(void)
{
	struct setup s;
	struct tk_auth_input in;
	struct tk_principal p;

	setup_begin(&s);
	s.cfg.mode = TK_AUTH_NONE;
	CU_ASSERT_EQUAL_FATAL(setup_init(&s), TK_OK);
	memset(&in, 0, sizeof(in));
	in.authorization = "Bearer nonsense";
	CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p, NULL),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(p.subject, "anonymous");
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.task:create"));
	CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.step:update"));
	tk_principal_free(&p);
	/* minting needs jwt mode */
	{
		char *tok = NULL;

		CU_ASSERT_EQUAL(tk_auth_mint(s.auth, "a", NULL, 0, 0, NOW,
		    &tok), TK_ERR_CONFIG);
	}
	setup_end(&s);
}

/* ---- configuration mistakes ---------------------------------------- */

/* Inits one key config and expects TK_ERR_CONFIG with needle in diag. */
static void
bad_key(const char *alg, const char *kid, const char *file,
    const char *sign, const char *needle)
{
	struct setup s;

	setup_begin(&s);
	setup_alg(&s, alg);
	setup_key(&s, kid, alg, file, sign);
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_PTR_NULL(s.auth);
	if (!tk_diag_has(&s.diag, needle)) {
		fprintf(stderr, "\n  wanted \"%s\" in:\n", needle);
		tk_diag_print(&s.diag, stderr, "    ");
	}
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, needle));
	/* the message names the key and the file */
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "auth.keys[0]"));
	if (kid != NULL)
		CU_ASSERT_TRUE(tk_diag_has(&s.diag, kid));
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "t/fixtures/auth"));
	/* and never key material */
	CU_ASSERT_FALSE(tk_diag_has(&s.diag, "only-sixteen"));
	CU_ASSERT_FALSE(tk_diag_has(&s.diag, "MII"));
	setup_end(&s);
}

static void
test_config_mistakes(void)
{
	struct setup s;

	bad_key("HS256", "k1", "auth/missing.secret", NULL,
	    "No such file");
	bad_key("HS256", "k1", "auth/short.secret", NULL,
	    "secret of 16 bytes; HS256 needs at least 32");
	bad_key("HS384", NULL, "auth/short.secret", NULL, "HS384 needs at "
	    "least 48");
	bad_key("HS256", "k1", "auth/rsa.pub", NULL, "not a shared secret");
	bad_key("HS256", "k1", "auth/hs256.secret", "auth/hs256-other.secret",
	    "differs from key_file");
	bad_key("RS256", "r", "auth/rsa1024.pub", NULL, "1024 bits");
	bad_key("RS256", "r", "auth/ec256.pub", NULL, "not an RSA key");
	bad_key("RS256", "r", "auth/rsa.pem", NULL, "holds a private key");
	bad_key("RS256", "r", "auth/hs256.secret", NULL, "no PEM public key");
	bad_key("RS256", "r", "auth/rsa.pub", "auth/ec256.pem",
	    "not an RSA key");
	bad_key("ES256", "e", "auth/rsa.pub", NULL, "not an EC key");
	bad_key("ES384", "e", "auth/ec256.pub", NULL, "ES384 needs secp384r1");
	bad_key("ES256", "e", "auth/ec256.pub", "auth/rsa.pem",
	    "not an EC key");
	bad_key("HS256", "k1", "auth", NULL, "not a regular file");

	/* a key whose algorithm is not allowed; duplicate kids; no keys */
	setup_begin(&s);
	setup_alg(&s, "HS256");
	setup_key(&s, "a", "RS256", "auth/rsa.pub", NULL);
	setup_key(&s, "b", "HS256", "auth/hs256.secret", NULL);
	setup_key(&s, "b", "HS256", "auth/hs256-other.secret", NULL);
	s.cfg.leeway_seconds = 601;
	s.cfg.permissions_claim = own(&s, "sub");
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "RS256 is not in auth.algorithms"));
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "kid \"b\" is also"));
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "auth.leeway_seconds"));
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "registered JWT claim"));
	setup_end(&s);
	setup_begin(&s);
	setup_alg(&s, "HS256");
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "at least one key"));
	setup_end(&s);
	/* ES512 and unknown names are refused */
	setup_begin(&s);
	setup_alg(&s, "ES512");
	setup_key(&s, "e", "ES512", "auth/ec256.pub", NULL);
	CU_ASSERT_EQUAL(setup_init(&s), TK_ERR_CONFIG);
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "auth.algorithms[0]: must be"));
	CU_ASSERT_TRUE(tk_diag_has(&s.diag, "auth.keys[0] (kid \"e\"): "
	    "algorithm: must be"));
	setup_end(&s);
}

static void
test_challenge(void)
{
	CU_ASSERT_STRING_EQUAL(tk_auth_challenge(NULL),
	    "Bearer realm=\"tasker\"");
	CU_ASSERT_STRING_EQUAL(tk_auth_challenge("invalid_token"),
	    "Bearer realm=\"tasker\", error=\"invalid_token\"");
	CU_ASSERT_STRING_EQUAL(tk_auth_challenge("invalid_request"),
	    "Bearer realm=\"tasker\", error=\"invalid_request\"");
}

/* Verified tokens are cached per process; a hit must change nothing. */
static void
test_cache(void)
{
	struct fx k = fixture("auth/hs256.secret", 1);
	struct tk_auth_input in;
	struct tk_principal p = TK_PRINCIPAL_INIT;
	struct setup s;
	char buf[512], h[2048], *tok;
	size_t n;
	int i;

	setup_hs256(&s);
	tok = lib_token(JWT_ALG_HS256, &k, NULL, claims(buf, sizeof(buf), ""));
	snprintf(h, sizeof(h), "Bearer %s", tok);
	memset(&in, 0, sizeof(in));
	in.authorization = h;
	in.now = (time_t)NOW;
	for (i = 0; i < 3; i++) {     /* verified, then twice from the cache */
		CU_ASSERT_EQUAL_FATAL(tk_auth_authenticate(s.auth, &in, &p,
		    NULL), TK_OK);
		CU_ASSERT_STRING_EQUAL(p.subject, "alice");
		CU_ASSERT_EQUAL(p.nperms, 2);
		CU_ASSERT_TRUE(tk_principal_allows(&p, "tasker.task:create"));
		CU_ASSERT_FALSE(tk_principal_allows(&p, "tasker.task:cancel"));
		tk_principal_free(&p);
	}
	/* Expiry is checked on a hit too. */
	REJECTED(check_header(s.auth, h, LATER + 31));
	CU_ASSERT_EQUAL(check_header(s.auth, h, NOW), TK_OK);
	/* A cached token with one byte changed is a different token. */
	n = strlen(h);
	h[n - 2] = h[n - 2] == 'A' ? 'B' : 'A';
	REJECTED(check_header(s.auth, h, NOW));
	/* More tokens than the cache holds: each still verifies. */
	for (i = 0; i < 40; i++) {
		char c[300];

		snprintf(c, sizeof(c), "{\"sub\":\"user%d\",\"exp\":%ld}", i,
		    LATER);
		CU_ASSERT_EQUAL(check(s.auth, lib_token(JWT_ALG_HS256, &k, NULL,
		    c)), TK_OK);
	}
	free(tok);
	fx_free(&k);
	setup_end(&s);
}

TK_SUITE(auth,
    { "verified-token cache", test_cache },
    { "no header", test_no_header },
    { "wrong scheme, Bearer without token", test_wrong_scheme },
    { "scheme any case, several spaces", test_scheme_case_and_spaces },
    { "garbage tokens", test_garbage },
    { "bad base64url", test_bad_base64 },
    { "two and four segments", test_segments },
    { "oversized token", test_oversized },
    { "hostile header and payload JSON", test_hostile_json },
    { "tampered payload and signature", test_tampered_payload },
    { "wrong key", test_wrong_key },
    { "alg none", test_alg_none },
    { "RS256 public key as HS256 secret", test_rs_hs_confusion },
    { "alg not allowed or not the key's", test_alg_not_allowed },
    { "unknown kid", test_unknown_kid },
    { "kid rotation", test_kid_rotation },
    { "exp and leeway", test_exp },
    { "exp missing or not an integer", test_exp_types },
    { "nbf and iat", test_nbf_iat },
    { "iss and aud", test_iss_aud },
    { "permissions claim shape", test_permissions_claim },
    { "valid token: subject and permissions", test_valid_token },
    { "configured permissions claim name", test_custom_claim_name },
    { "minted tokens verify (HS256, RS256, ES256)", test_mint },
    { "sub: strict UTF-8, no C0 or C1 controls", test_sub_text },
    { "remote_user mode", test_remote_user },
    { "remote_user grants with scopes", test_remote_user_scope },
    { "scope claims: namespaces, own_tasks", test_scope_claims },
    { "scope claim names; cached scope", test_scope_claim_names },
    { "minted scope claims", test_mint_scope },
    { "none mode", test_none_mode },
    { "configuration mistakes", test_config_mistakes },
    { "WWW-Authenticate values", test_challenge });
