/*
 * jwt.c - bearer-token verification (jwt mode).
 *
 * A bearer token is checked in this order, each step bounding the next:
 *  1. the header: scheme "Bearer" (any case), spaces, the token;
 *  2. the token: at most max_token_bytes, three strict base64url segments;
 *  3. our own depth-limited parse of the JOSE header: alg in the
 *     allow-list, the kid picks the key, and alg must equal that key's
 *     algorithm - so an RSA public key's PEM never reaches an HMAC check;
 *  4. libjwt verifies the signature with that key only, and we compare
 *     jwt_get_alg() once more (libjwt 1.10 takes alg from the token);
 *  5. the claims, from our own parse of the same payload bytes the
 *     signature covers (libjwt 1.10 checks no claim at all).
 * A token that passed every check is remembered in cache.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tasker/json_str.h"
#include "tasker/utf8.h"

#include "internal.h"

#define HEADER_DEPTH      8      /* JSON nesting allowed in a JOSE header */
#define PAYLOAD_DEPTH     16     /* ... and in the claims */
#define AUD_MAX_COUNT     64     /* entries in an "aud" array */

/* ---- token syntax -------------------------------------------------- */

static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Strict, unpadded base64url (RFC 7515 section 2): only the 64 letters,
 * no '=', no length that leaves a lone character, no stray bits in the
 * last character - so every token has exactly one spelling.  With out
 * NULL the input is only checked.  Returns 0, or -1 when malformed.
 * *out gets n * 3 / 4 bytes plus a NUL.
 */
static int
b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int v, bits = 0;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64url_value((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (out != NULL)
				out[o] = (unsigned char)(acc >> bits);
			o++;
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;  /* leftover bits must be zero */
	if (out != NULL)
		out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

/*
 * Decodes one segment and parses it as a JSON object with json-c: strict,
 * depth-limited, the whole input consumed.  raw holds a NUL after the
 * bytes, so a NUL inside them ends the strspn() early and fails.  The
 * text must be strict UTF-8 (json-c's own check lets overlong forms and
 * surrogates through) without a "\u" escape of half a surrogate pair
 * (json-c would make it U+FFFD, so "\ud800" and "\udbff" would be the
 * same subject).  *obj is NULL when the segment is not such an object.
 * TK_ERR_NOMEM only.
 */
static tk_err
parse_segment(const char *s, size_t n, int depth, struct json_object **obj)
{
	struct json_tokener *tok;
	struct json_object *o;
	unsigned char *raw;
	size_t len, end;

	*obj = NULL;
	if ((raw = malloc(n / 4 * 3 + 3)) == NULL)
		return TK_ERR_NOMEM;
	if (b64url_decode(s, n, raw, &len) != 0 || len > INT_MAX) {
		free(raw);
		return TK_OK;
	}
	if ((tok = json_tokener_new_ex(depth)) == NULL) {
		free(raw);
		return TK_ERR_NOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)raw, (int)len);
	/* After the object only JSON whitespace may follow (RFC 8259). */
	end = json_tokener_get_parse_end(tok);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    end > len || strspn((const char *)raw + end, " \t\r\n") !=
	    len - end || !json_object_is_type(o, json_type_object) ||
	    !tk_utf8_valid((const char *)raw, len) ||
	    tk_utf8_json_escapes((const char *)raw, len) != len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	free(raw);
	*obj = o;
	return TK_OK;
}

/*
 * Finds the token in an Authorization value.  Returns 1 with *tok and *len
 * set, 0 when the value offers no bearer credentials (missing, empty,
 * another scheme), -1 for "Bearer" without a token.
 */
static int
bearer_token(const char *h, const char **tok, size_t *len)
{
	const char *p;
	size_t n;

	if (h == NULL)
		return 0;
	h += strspn(h, " \t");
	if (*h == '\0')
		return 0;
	if (strncasecmp(h, "Bearer", 6) != 0)
		return 0;
	p = h + 6;
	if (*p != '\0' && *p != ' ')
		return 0;  /* "Bearerx": some other scheme */
	p += strspn(p, " ");
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;  /* HTTP drops trailing whitespace; so do we */
	if (n == 0)
		return -1;
	*tok = p;
	*len = n;
	return 1;
}

/* ---- verification -------------------------------------------------- */

/* One token being checked; owns its copies. */
struct token {
	char               *text;    /* the token, NUL-terminated */
	struct json_object *header;
	struct json_object *claims;
	const struct alg   *alg;     /* from the header, allowed */
	const char         *kid;     /* from the header, or NULL */
};

static void
token_free(struct token *t)
{
	free(t->text);
	json_object_put(t->header);
	json_object_put(t->claims);
}

/*
 * Splits, decodes and parses the token, and checks its header.  Sets
 * *reason when the token is bad.  TK_ERR_NOMEM only.
 */
static tk_err
token_parse(const struct tk_auth *a, struct token *t, size_t len,
    const char **reason)
{
	struct json_object *v;
	const char *d1, *d2, *name;
	tk_err e;

	d1 = memchr(t->text, '.', len);
	d2 = d1 == NULL ? NULL : memchr(d1 + 1, '.', len -
	    (size_t)(d1 + 1 - t->text));
	if (d2 == NULL || memchr(d2 + 1, '.', len -
	    (size_t)(d2 + 1 - t->text)) != NULL || d1 == t->text ||
	    d2 == d1 + 1 || d2 + 1 == t->text + len) {
		*reason = "not_three_segments";
		return TK_OK;
	}
	if (b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - t->text), NULL,
	    NULL) != 0) {
		*reason = "bad_signature_encoding";
		return TK_OK;
	}
	if ((e = parse_segment(t->text, (size_t)(d1 - t->text), HEADER_DEPTH,
	    &t->header)) != TK_OK)
		return e;
	if (t->header == NULL) {
		*reason = "bad_header";
		return TK_OK;
	}
	if ((e = parse_segment(d1 + 1, (size_t)(d2 - d1 - 1), PAYLOAD_DEPTH,
	    &t->claims)) != TK_OK)
		return e;
	if (t->claims == NULL) {
		*reason = "bad_payload";
		return TK_OK;
	}

	if (!json_object_object_get_ex(t->header, "alg", &v) ||
	    (name = tk_json_cstr(v)) == NULL) {
		*reason = "bad_alg";
		return TK_OK;
	}
	if (strcasecmp(name, "none") == 0) {
		*reason = "alg_none";
		return TK_OK;
	}
	if ((t->alg = auth_find_alg(name)) == NULL ||
	    (a->allowed & auth_alg_bit(t->alg)) == 0) {
		*reason = "alg_not_allowed";
		return TK_OK;
	}
	if (json_object_object_get_ex(t->header, "kid", &v) &&
	    ((t->kid = tk_json_cstr(v)) == NULL || *t->kid == '\0' ||
	    strlen(t->kid) > KID_MAX_LEN)) {
		*reason = "bad_kid";
		return TK_OK;
	}
	if (json_object_object_get_ex(t->header, "typ", &v) &&
	    ((name = tk_json_cstr(v)) == NULL || strcasecmp(name, "JWT") != 0)) {
		*reason = "bad_typ";
		return TK_OK;
	}
	/* RFC 7515 4.1.11: extensions we do not know must fail. */
	if (json_object_object_get_ex(t->header, "crit", NULL)) {
		*reason = "crit_unsupported";
		return TK_OK;
	}
	return TK_OK;
}

/*
 * Verifies the signature with the key the header names.  Only a key whose
 * algorithm is the token's alg is ever handed to libjwt.  Sets *reason
 * when no key verifies it.  TK_ERR_NOMEM only.
 */
static tk_err
token_verify(const struct tk_auth *a, const struct token *t,
    const char **reason)
{
	const struct auth_key *k;
	jwt_t *jwt;
	size_t i;
	int candidates = 0, same_alg = 0, r, ok;

	for (i = 0; i < a->nkeys; i++) {
		k = &a->keys[i];
		if (t->kid != NULL) {
			if (k->kid == NULL || strcmp(k->kid, t->kid) != 0)
				continue;
		} else if (a->nkeys != 1 && k->kid != NULL)
			continue;
		candidates++;
		if (k->alg != t->alg)
			continue;  /* never an RS key's PEM as an HS secret */
		same_alg++;
		jwt = NULL;
		r = jwt_decode(&jwt, t->text, k->key, (int)k->keylen);
		if (r == ENOMEM)
			return TK_ERR_NOMEM;
		if (r != 0 || jwt == NULL)
			continue;
		/* libjwt used the token's alg: it must be the key's. */
		ok = jwt_get_alg(jwt) == k->alg->id;
		jwt_free(jwt);
		if (ok)
			return TK_OK;
	}
	if (candidates == 0)
		*reason = t->kid != NULL ? "unknown_kid" : "no_key";
	else if (same_alg == 0)
		*reason = "alg_not_the_keys";
	else
		*reason = "bad_signature";
	return TK_OK;
}

/* 1: *v is the integer claim, 0: absent, -1: present but not an integer. */
int
auth_int_claim(struct json_object *claims, const char *name, int64_t *v)
{
	struct json_object *o;

	if (!json_object_object_get_ex(claims, name, &o))
		return 0;
	if (o == NULL || !json_object_is_type(o, json_type_int))
		return -1;
	*v = json_object_get_int64(o);
	return 1;
}

/* NULL when exp, nbf and iat fit now, else the reason. */
static const char *
check_times(const struct tk_auth *a, struct json_object *claims, time_t now)
{
	int64_t t = (int64_t)now, v;
	int r;

	if ((r = auth_int_claim(claims, "exp", &v)) == 0)
		return "exp_missing";
	if (r < 0)
		return "exp_not_integer";
	if (t - a->leeway >= v)
		return "expired";
	if ((r = auth_int_claim(claims, "nbf", &v)) < 0)
		return "nbf_not_integer";
	if (r > 0 && v > t + a->leeway)
		return "not_yet_valid";
	if ((r = auth_int_claim(claims, "iat", &v)) < 0)
		return "iat_not_integer";
	if (r > 0 && v > t + a->leeway)
		return "issued_in_future";
	return NULL;
}

/* NULL when iss and aud are what the config asks, else the reason. */
static const char *
check_parties(const struct tk_auth *a, struct json_object *claims)
{
	struct json_object *v;
	const char *s;
	size_t i, n;

	if (a->issuer != NULL) {
		if (!json_object_object_get_ex(claims, "iss", &v) ||
		    (s = tk_json_cstr(v)) == NULL || strcmp(s, a->issuer) != 0)
			return "wrong_issuer";
	}
	if (!json_object_object_get_ex(claims, "aud", &v))
		return a->audience == NULL ? NULL : "wrong_audience";
	/* RFC 7519 4.1.3: a token for some audience is not for us unless
	 * we are that audience. */
	if (a->audience == NULL)
		return "unexpected_audience";
	if ((s = tk_json_cstr(v)) != NULL)
		return strcmp(s, a->audience) == 0 ? NULL : "wrong_audience";
	if (v == NULL || !json_object_is_type(v, json_type_array))
		return "wrong_audience";
	n = json_object_array_length(v);
	if (n > AUD_MAX_COUNT)
		return "wrong_audience";
	for (i = 0; i < n; i++) {
		if ((s = tk_json_cstr(json_object_array_get_idx(v, i))) == NULL)
			return "wrong_audience";
		if (strcmp(s, a->audience) == 0)
			return NULL;
	}
	return "wrong_audience";
}

/*
 * The scope claims: the namespaces claim, when present, an array of at
 * most TK_NS_MAX_COUNT namespace names (empty: none); the own-tasks
 * claim, when present, a JSON boolean.  Sets *reason when either is
 * malformed.  TK_ERR_NOMEM only.
 */
static tk_err
claims_scope(const struct tk_auth *a, struct json_object *claims,
    struct tk_principal *p, const char **reason)
{
	struct json_object *v;
	const char *s;
	size_t i, n;
	tk_err e;

	if (json_object_object_get_ex(claims, a->own_claim, &v)) {
		if (v == NULL || !json_object_is_type(v, json_type_boolean)) {
			*reason = "bad_own_tasks";
			return TK_OK;
		}
		p->own_tasks = json_object_get_boolean(v) ? 1 : 0;
	}
	if (!json_object_object_get_ex(claims, a->ns_claim, &v))
		return TK_OK;  /* every namespace */
	if (v == NULL || !json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > TK_NS_MAX_COUNT) {
		*reason = "bad_namespaces";
		return TK_OK;
	}
	p->ns_limited = 1;
	for (i = 0; i < n; i++) {
		s = tk_json_cstr(json_object_array_get_idx(v, i));
		if (s == NULL || (e = tk_principal_add_ns(p, s)) ==
		    TK_ERR_BAD_REQUEST) {
			*reason = "bad_namespaces";
			return TK_OK;
		}
		if (e != TK_OK)
			return e;
	}
	return TK_OK;
}

/*
 * Fills p from sub, the scope claims and the permissions claim.  Sets
 * *reason when they are malformed.  TK_ERR_NOMEM only.
 */
static tk_err
claims_principal(const struct tk_auth *a, struct json_object *claims,
    struct tk_principal *p, const char **reason)
{
	struct json_object *v;
	const char *s = "unknown";
	size_t i, n;
	tk_err e;

	if (json_object_object_get_ex(claims, "sub", &v) &&
	    ((s = tk_json_cstr(v)) == NULL || !tk_subject_valid(s))) {
		*reason = "bad_sub";
		return TK_OK;
	}
	if ((e = tk_principal_set_subject(p, s)) != TK_OK)
		return e;
	if ((e = claims_scope(a, claims, p, reason)) != TK_OK ||
	    *reason != NULL)
		return e;
	if (!json_object_object_get_ex(claims, a->claim, &v))
		return TK_OK;  /* no permissions: 403 on every route */
	if (v == NULL || !json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > TK_PERM_MAX_COUNT) {
		*reason = "bad_permissions";
		return TK_OK;
	}
	for (i = 0; i < n; i++) {
		s = tk_json_cstr(json_object_array_get_idx(v, i));
		if (s == NULL || !tk_perm_valid(s)) {
			*reason = "bad_permissions";
			return TK_OK;
		}
		if ((e = tk_principal_add_perm(p, s)) == TK_ERR_NOMEM)
			return e;
	}
	return TK_OK;
}

/* jwt mode (see internal.h). */
tk_err
auth_jwt(const struct tk_auth *a, const struct tk_auth_input *in,
    struct tk_principal *out, const char **werr, const char **reason)
{
	struct tk_principal p = TK_PRINCIPAL_INIT;
	struct token t;
	const char *tok = NULL;
	size_t len = 0;
	tk_err e;
	int r;

	if ((r = bearer_token(in->authorization, &tok, &len)) <= 0) {
		*werr = r == 0 ? NULL : "invalid_request";
		*reason = r == 0 ? "no_credentials" : "no_token";
		return TK_ERR_AUTHENTICATION;
	}
	*werr = "invalid_token";
	if (len > a->max_token) {
		*reason = "token_too_large";
		return TK_ERR_AUTHENTICATION;
	}
	if (auth_cache_hit(a, tok, len, in->now, out)) {
		*werr = NULL;
		return TK_OK;
	}
	memset(&t, 0, sizeof(t));
	if ((t.text = strndup(tok, len)) == NULL)
		return TK_ERR_NOMEM;
	if ((e = token_parse(a, &t, len, reason)) != TK_OK || *reason != NULL)
		goto out;
	if ((e = token_verify(a, &t, reason)) != TK_OK || *reason != NULL)
		goto out;
	/* From here on the claims are the signed ones. */
	if ((*reason = check_times(a, t.claims, in->now)) != NULL ||
	    (*reason = check_parties(a, t.claims)) != NULL)
		goto out;
	if ((e = claims_principal(a, t.claims, &p, reason)) != TK_OK ||
	    *reason != NULL)
		goto out;
	auth_cache_store(a, tok, len, t.claims, &p);
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	tk_principal_free(&p);
	token_free(&t);
	if (e == TK_OK && *reason != NULL)
		e = TK_ERR_AUTHENTICATION;
	return e;
}
