/*
 * auth.c - authentication: key loading, bearer-token verification,
 * REMOTE_USER mapping and token minting.
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
 *
 * Key material lives only in struct auth_key and is wiped on free.  No
 * message, log line or diag entry ever contains a key or a token.
 */
#include "tasker/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "tasker/handler.h"
#include "tasker/log.h"
#include "tasker/utf8.h"

#define KEY_FILE_MAX      65536  /* bytes in a key file */
#define DEFAULT_MAX_TOKEN 8192
#define DEFAULT_LIFETIME  3600
#define DEFAULT_CLAIM     "permissions"
#define DEFAULT_NS_CLAIM  "namespaces"
#define DEFAULT_OWN_CLAIM "own_tasks"
#define MAX_LEEWAY        600
#define KID_MAX_LEN       256
#define HEADER_DEPTH      8      /* JSON nesting allowed in a JOSE header */
#define PAYLOAD_DEPTH     16     /* ... and in the claims */
#define AUD_MAX_COUNT     64     /* entries in an "aud" array */
#define GROUPS_MAX_COUNT  256    /* groups read from the groups variable */
#define REMOTE_USER_MAX   TK_SUBJECT_MAX_LEN
#define REALM             "tasker"

/* The algorithms tasker accepts; "none" and ES512 are not among them. */
struct alg {
	const char *name;
	jwt_alg_t   id;
	char        family;     /* 'H'MAC, 'R'SA, 'E'CDSA */
	size_t      min_secret; /* HS: bytes, the hash size (RFC 7518 3.2) */
	int         curve;      /* ES: the OpenSSL NID */
};

static const struct alg algs[] = {
	{ "HS256", JWT_ALG_HS256, 'H', 32, 0 },
	{ "HS384", JWT_ALG_HS384, 'H', 48, 0 },
	{ "HS512", JWT_ALG_HS512, 'H', 64, 0 },
	{ "RS256", JWT_ALG_RS256, 'R', 0, 0 },
	{ "RS384", JWT_ALG_RS384, 'R', 0, 0 },
	{ "RS512", JWT_ALG_RS512, 'R', 0, 0 },
	{ "ES256", JWT_ALG_ES256, 'E', 0, NID_X9_62_prime256v1 },
	{ "ES384", JWT_ALG_ES384, 'E', 0, NID_secp384r1 },
};

#define NALGS (sizeof(algs) / sizeof(algs[0]))

/* One loaded key.  key and skey are wiped before they are freed. */
struct auth_key {
	char             *kid;     /* NULL: for tokens without a kid */
	const struct alg *alg;
	unsigned char    *key;     /* HS secret or public PEM; NUL-ended */
	size_t            keylen;
	unsigned char    *skey;    /* signing secret or private PEM, or NULL */
	size_t            skeylen;
};

/*
 * Tokens this process verified, so a client that sends the same token
 * again costs a comparison instead of a signature check.  A hit needs the
 * exact bytes of a token that passed every check with this process's
 * (unchanging) keys and config; the time claims are checked again on
 * every hit.  Small and least-recently-used.
 */
#define TOKEN_CACHE_SIZE 16

struct cached_token {
	char                *text;   /* the token; NULL: empty slot */
	size_t               len;
	int64_t              exp;
	int64_t              nbf;    /* INT64_MIN when absent */
	int64_t              iat;    /* INT64_MIN when absent */
	struct tk_principal  p;
	unsigned long long   used;   /* LRU clock */
};

struct token_cache {
	struct cached_token  e[TOKEN_CACHE_SIZE];
	unsigned long long   clock;
};

struct tk_auth {
	enum tk_auth_mode     mode;
	struct token_cache   *cache;     /* mutable: see above */
	unsigned              allowed;   /* bit (1u << index in algs) */
	struct auth_key      *keys;
	size_t                nkeys;
	char                 *issuer;    /* NULL: not checked */
	char                 *audience;  /* NULL: not checked */
	int64_t               leeway;
	char                 *claim;     /* the permissions claim */
	char                 *ns_claim;  /* the namespaces claim */
	char                 *own_claim; /* the own-tasks claim */
	size_t                max_token;
	unsigned              lifetime;  /* minting default */
	struct tk_perm_grant *users;     /* remote_user mode */
	size_t                nusers;
	struct tk_perm_grant *groups;
	size_t                ngroups;
};

/* ---- small helpers ------------------------------------------------- */

/* Adds a problem to diag (which may be NULL) and counts it. */
static void __attribute__((format(printf, 3, 4)))
problem(struct tk_diag *diag, int *nbad, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	(*nbad)++;
	if (diag == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tk_diag_add(diag, "%s", msg);
}

static const struct alg *
find_alg(const char *name)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

static unsigned
alg_bit(const struct alg *al)
{
	return 1u << (unsigned)(al - algs);
}

/* Wipes and frees n bytes at p. */
static void
wipe_free(unsigned char *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

/* "kid \"k1\"" or "no kid", for messages about a key. */
static const char *
kid_label(char *out, size_t outsz, const char *kid)
{
	if (kid == NULL)
		snprintf(out, outsz, "no kid");
	else
		snprintf(out, outsz, "kid \"%.64s\"", kid);
	return out;
}

/*
 * The C string of a JSON string, or NULL when v is not a string or holds
 * a NUL ("a\u0000b" must not become "a").
 */
static const char *
json_str(struct json_object *v)
{
	const char *s;

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL ||
	    strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/* ---- key files ----------------------------------------------------- */

/*
 * Reads a whole regular file of at most KEY_FILE_MAX bytes into *out
 * (NUL-terminated; the caller wipes and frees it).  On failure returns
 * an errno value (EFBIG: too large, EINVAL: not a regular file).
 */
static int
read_key_file(const char *path, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	struct stat st;
	size_t len = 0, size;
	ssize_t r;
	int fd, e;

	*out = NULL;
	*outlen = 0;
	/* O_NONBLOCK: a FIFO named by mistake must not hang start-up. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return errno;
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return EINVAL;
	}
	if (st.st_size > KEY_FILE_MAX) {
		close(fd);
		return EFBIG;
	}
	size = (size_t)st.st_size;
	if ((buf = malloc(size + 1)) == NULL) {
		close(fd);
		return ENOMEM;
	}
	while (len < size) {
		r = read(fd, buf + len, size - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			e = errno;
			close(fd);
			wipe_free(buf, size + 1);
			return e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* An HS secret: the file less one trailing "\n" or "\r\n". */
static void
strip_newline(const unsigned char *buf, size_t *len)
{
	if (*len > 0 && buf[*len - 1] == '\n') {
		(*len)--;
		if (*len > 0 && buf[*len - 1] == '\r')
			(*len)--;
	}
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;  /* never prompt on a terminal: encrypted keys fail */
}

/*
 * Parses a PEM public (priv == 0) or unencrypted private key.  NULL when
 * the bytes hold no such key.
 */
static EVP_PKEY *
parse_pem(const unsigned char *buf, size_t len, int priv)
{
	EVP_PKEY *pk;
	BIO *bio;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return NULL;
	if (priv)
		pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	else
		pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return pk;
}

/* NULL when pk suits al, else why not (in msg). */
static const char *
pkey_mismatch(EVP_PKEY *pk, const struct alg *al, char *msg, size_t msgsz)
{
	char group[80];
	size_t glen = 0;
	int nid;

	if (al->family == 'R') {
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
			return "not an RSA key";
		if (EVP_PKEY_get_bits(pk) < 2048) {
			snprintf(msg, msgsz, "RSA key of %d bits; at least "
			    "2048 are needed", EVP_PKEY_get_bits(pk));
			return msg;
		}
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return "not an EC key";
	if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) != 1)
		return "EC key without a named curve";
	nid = OBJ_sn2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	if (nid != al->curve) {
		snprintf(msg, msgsz, "curve %s; %s needs %s", group, al->name,
		    OBJ_nid2sn(al->curve));
		return msg;
	}
	return NULL;
}

/*
 * Checks the verification key of k (already read) for k->alg.  Returns
 * NULL when fine, else the problem.
 */
static const char *
check_public(struct auth_key *k, char *msg, size_t msgsz)
{
	const char *why;
	EVP_PKEY *pk;

	if (k->alg->family == 'H') {
		if (strstr((const char *)k->key, "-----BEGIN") != NULL)
			return "holds a PEM key, not a shared secret";
		if (k->keylen < k->alg->min_secret) {
			snprintf(msg, msgsz, "secret of %zu bytes; %s needs at "
			    "least %zu", k->keylen, k->alg->name,
			    k->alg->min_secret);
			return msg;
		}
		return NULL;
	}
	if (strstr((const char *)k->key, "PRIVATE KEY-----") != NULL)
		return "holds a private key; give the public key here and "
		    "the private one as signing_key_file";
	if ((pk = parse_pem(k->key, k->keylen, 0)) == NULL)
		return "no PEM public key (\"BEGIN PUBLIC KEY\") found";
	why = pkey_mismatch(pk, k->alg, msg, msgsz);
	EVP_PKEY_free(pk);
	return why;
}

/* Checks the signing key of k against its verification key. */
static const char *
check_signing(struct auth_key *k, char *msg, size_t msgsz)
{
	EVP_PKEY *pub, *priv;
	const char *why;

	if (k->alg->family == 'H') {
		if (k->skeylen != k->keylen ||
		    CRYPTO_memcmp(k->skey, k->key, k->keylen) != 0)
			return "differs from key_file; for HS algorithms both "
			    "hold the same secret";
		return NULL;
	}
	if ((priv = parse_pem(k->skey, k->skeylen, 1)) == NULL)
		return "no unencrypted PEM private key found";
	why = pkey_mismatch(priv, k->alg, msg, msgsz);
	if (why == NULL) {
		if ((pub = parse_pem(k->key, k->keylen, 0)) == NULL)
			why = "no public key to compare with";
		else {
			if (EVP_PKEY_eq(pub, priv) != 1)
				why = "does not match the public key in "
				    "key_file";
			EVP_PKEY_free(pub);
		}
	}
	EVP_PKEY_free(priv);
	return why;
}

/*
 * Reads one key file into *buf.  TK_ERR_CONFIG (with a problem reported)
 * or TK_ERR_NOMEM.
 */
static tk_err
load_file(const char *path, const char *what, const char *prefix,
    unsigned char **buf, size_t *len, struct tk_diag *diag, int *nbad)
{
	int e;

	if ((e = read_key_file(path, buf, len)) == 0)
		return TK_OK;
	if (e == ENOMEM)
		return TK_ERR_NOMEM;
	if (e == EFBIG)
		problem(diag, nbad, "%s: %s %s: larger than %d bytes", prefix,
		    what, path, KEY_FILE_MAX);
	else if (e == EINVAL)
		problem(diag, nbad, "%s: %s %s: not a regular file", prefix,
		    what, path);
	else
		problem(diag, nbad, "%s: %s %s: %s", prefix, what, path,
		    strerror(e));
	return TK_ERR_CONFIG;
}

/*
 * Loads config key i into k.  TK_ERR_CONFIG after reporting; TK_ERR_NOMEM.
 */
static tk_err
load_key(const struct tk_auth *a, const struct tk_auth_key *ck, size_t i,
    struct auth_key *k, struct tk_diag *diag, int *nbad)
{
	char prefix[128], label[80], msg[160];
	const char *why;
	tk_err e;

	snprintf(prefix, sizeof(prefix), "auth.keys[%zu] (%s)", i,
	    kid_label(label, sizeof(label), ck->kid));
	if (ck->kid != NULL) {
		if (*ck->kid == '\0' || strlen(ck->kid) > KID_MAX_LEN) {
			problem(diag, nbad, "%s: kid: must be 1..%d bytes",
			    prefix, KID_MAX_LEN);
			return TK_ERR_CONFIG;
		}
		if ((k->kid = strdup(ck->kid)) == NULL)
			return TK_ERR_NOMEM;
	}
	if (ck->algorithm == NULL ||
	    (k->alg = find_alg(ck->algorithm)) == NULL) {
		problem(diag, nbad, "%s: algorithm: must be one of HS256, "
		    "HS384, HS512, RS256, RS384, RS512, ES256, ES384", prefix);
		return TK_ERR_CONFIG;
	}
	if ((a->allowed & alg_bit(k->alg)) == 0) {
		problem(diag, nbad, "%s: algorithm %s is not in "
		    "auth.algorithms", prefix, k->alg->name);
		return TK_ERR_CONFIG;
	}
	if (ck->key_file == NULL || *ck->key_file == '\0') {
		problem(diag, nbad, "%s: key_file: missing", prefix);
		return TK_ERR_CONFIG;
	}
	e = load_file(ck->key_file, "key_file", prefix, &k->key, &k->keylen,
	    diag, nbad);
	if (e != TK_OK)
		return e;
	if (k->alg->family == 'H')
		strip_newline(k->key, &k->keylen);
	if ((why = check_public(k, msg, sizeof(msg))) != NULL) {
		problem(diag, nbad, "%s: key_file %s: %s", prefix,
		    ck->key_file, why);
		return TK_ERR_CONFIG;
	}
	if (ck->signing_key_file == NULL)
		return TK_OK;
	e = load_file(ck->signing_key_file, "signing_key_file", prefix,
	    &k->skey, &k->skeylen, diag, nbad);
	if (e != TK_OK)
		return e;
	if (k->alg->family == 'H')
		strip_newline(k->skey, &k->skeylen);
	if ((why = check_signing(k, msg, sizeof(msg))) != NULL) {
		problem(diag, nbad, "%s: signing_key_file %s: %s", prefix,
		    ck->signing_key_file, why);
		return TK_ERR_CONFIG;
	}
	return TK_OK;
}

/* ---- init and free ------------------------------------------------- */

static void
free_grants(struct tk_perm_grant *g, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < g[i].nperms; j++)
			free(g[i].perms[j]);
		free(g[i].perms);
		for (j = 0; j < g[i].nnamespaces; j++)
			free(g[i].namespaces[j]);
		free(g[i].namespaces);
		free(g[i].name);
	}
	free(g);
}

/*
 * Copies and checks the scope of grant src (index i of list what) into g.
 * TK_ERR_NOMEM only; problems are reported.
 */
static tk_err
copy_scope(const char *what, size_t i, const struct tk_perm_grant *src,
    struct tk_perm_grant *g, struct tk_diag *diag, int *nbad)
{
	size_t j;

	g->ns_limited = src->ns_limited;
	g->own_tasks = src->own_tasks;
	if (src->nnamespaces == 0)
		return TK_OK;
	if (src->nnamespaces > TK_NS_MAX_COUNT) {
		problem(diag, nbad, "auth.%s[%zu] (%s): more than %d "
		    "namespaces", what, i, src->name, TK_NS_MAX_COUNT);
		return TK_OK;
	}
	if ((g->namespaces = calloc(src->nnamespaces, sizeof(char *))) == NULL)
		return TK_ERR_NOMEM;
	for (j = 0; j < src->nnamespaces; j++) {
		if (src->namespaces[j] == NULL ||
		    !tk_name_valid(src->namespaces[j])) {
			problem(diag, nbad, "auth.%s[%zu] (%s): namespace %zu: "
			    "not a namespace name", what, i, src->name, j);
			continue;
		}
		if ((g->namespaces[g->nnamespaces] =
		    strdup(src->namespaces[j])) == NULL)
			return TK_ERR_NOMEM;
		g->nnamespaces++;
	}
	return TK_OK;
}

/* Deep-copies and checks the grants of one list ("users", "groups"). */
static tk_err
copy_grants(const char *what, const struct tk_perm_grant *src, size_t n,
    struct tk_perm_grant **dst, size_t *ndst, struct tk_diag *diag,
    int *nbad)
{
	struct tk_perm_grant *g;
	size_t i, j;

	*dst = NULL;
	*ndst = 0;
	if (n == 0)
		return TK_OK;
	if ((g = calloc(n, sizeof(*g))) == NULL)
		return TK_ERR_NOMEM;
	*dst = g;
	*ndst = n;
	for (i = 0; i < n; i++) {
		if (!tk_subject_valid(src[i].name)) {
			problem(diag, nbad, "auth.%s[%zu]: name: must be 1..%d "
			    "bytes without control characters", what, i,
			    TK_SUBJECT_MAX_LEN);
			continue;
		}
		if (src[i].nperms > TK_PERM_MAX_COUNT) {
			problem(diag, nbad, "auth.%s[%zu] (%s): more than %d "
			    "permissions", what, i, src[i].name,
			    TK_PERM_MAX_COUNT);
			continue;
		}
		if ((g[i].name = strdup(src[i].name)) == NULL)
			return TK_ERR_NOMEM;
		if (copy_scope(what, i, &src[i], &g[i], diag, nbad) != TK_OK)
			return TK_ERR_NOMEM;
		if (src[i].nperms == 0)
			continue;
		g[i].perms = calloc(src[i].nperms, sizeof(char *));
		if (g[i].perms == NULL)
			return TK_ERR_NOMEM;
		for (j = 0; j < src[i].nperms; j++) {
			if (!tk_perm_valid(src[i].perms[j])) {
				problem(diag, nbad, "auth.%s[%zu] (%s): "
				    "permission %zu: must be 1..%d bytes "
				    "without control characters", what, i,
				    src[i].name, j, TK_PERM_MAX_LEN);
				continue;
			}
			if ((g[i].perms[g[i].nperms] =
			    strdup(src[i].perms[j])) == NULL)
				return TK_ERR_NOMEM;
			g[i].nperms++;
		}
	}
	return TK_OK;
}

/* A string copy of an optional config value; "" is refused. */
static tk_err
copy_optional(const char *key, const char *src, char **dst,
    struct tk_diag *diag, int *nbad)
{
	*dst = NULL;
	if (src == NULL)
		return TK_OK;
	if (*src == '\0') {
		problem(diag, nbad, "auth.%s: must not be empty (leave it out "
		    "to skip the check)", key);
		return TK_OK;
	}
	if ((*dst = strdup(src)) == NULL)
		return TK_ERR_NOMEM;
	return TK_OK;
}

/*
 * The names of the namespaces and own-tasks claims: valid, and neither
 * a registered claim nor the permissions claim nor each other.
 */
static tk_err
scope_claims(const struct tk_auth_config *cfg, struct tk_auth *a,
    struct tk_diag *diag, int *nbad)
{
	static const char *const registered[] = { "iss", "sub", "aud", "exp",
	    "nbf", "iat", "jti" };
	const char *names[2], *keys[2] = { "namespaces_claim",
	    "own_tasks_claim" };
	size_t i, k;

	names[0] = cfg->namespaces_claim != NULL ? cfg->namespaces_claim :
	    DEFAULT_NS_CLAIM;
	names[1] = cfg->own_tasks_claim != NULL ? cfg->own_tasks_claim :
	    DEFAULT_OWN_CLAIM;
	for (k = 0; k < 2; k++) {
		if (*names[k] == '\0' || strlen(names[k]) > 128)
			problem(diag, nbad, "auth.%s: must be 1..128 bytes",
			    keys[k]);
		for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++)
			if (strcmp(names[k], registered[i]) == 0)
				problem(diag, nbad, "auth.%s: \"%s\" is a "
				    "registered JWT claim", keys[k], names[k]);
		if (strcmp(names[k], a->claim) == 0)
			problem(diag, nbad, "auth.%s: \"%s\" is also "
			    "auth.permissions_claim", keys[k], names[k]);
	}
	if (strcmp(names[0], names[1]) == 0)
		problem(diag, nbad, "auth.own_tasks_claim: \"%s\" is also "
		    "auth.namespaces_claim", names[1]);
	if ((a->ns_claim = strdup(names[0])) == NULL ||
	    (a->own_claim = strdup(names[1])) == NULL)
		return TK_ERR_NOMEM;
	return TK_OK;
}

/* The limits and claim names shared by every mode. */
static tk_err
init_common(const struct tk_auth_config *cfg, struct tk_auth *a,
    struct tk_diag *diag, int *nbad)
{
	static const char *const registered[] = { "iss", "sub", "aud", "exp",
	    "nbf", "iat", "jti" };
	const char *claim;
	size_t i;
	tk_err e;

	if (cfg->leeway_seconds > MAX_LEEWAY)
		problem(diag, nbad, "auth.leeway_seconds: must be between 0 "
		    "and %d", MAX_LEEWAY);
	a->leeway = cfg->leeway_seconds;
	a->max_token = cfg->max_token_bytes == 0 ? DEFAULT_MAX_TOKEN :
	    cfg->max_token_bytes;
	if (a->max_token < 256 || a->max_token > 65536)
		problem(diag, nbad, "auth.max_token_bytes: must be between "
		    "256 and 65536");
	a->lifetime = cfg->token_lifetime_seconds == 0 ? DEFAULT_LIFETIME :
	    cfg->token_lifetime_seconds;
	claim = cfg->permissions_claim == NULL ? DEFAULT_CLAIM :
	    cfg->permissions_claim;
	if (*claim == '\0' || strlen(claim) > 128)
		problem(diag, nbad, "auth.permissions_claim: must be 1..128 "
		    "bytes");
	for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++)
		if (strcmp(claim, registered[i]) == 0)
			problem(diag, nbad, "auth.permissions_claim: \"%s\" is "
			    "a registered JWT claim", claim);
	if ((a->claim = strdup(claim)) == NULL)
		return TK_ERR_NOMEM;
	if ((e = scope_claims(cfg, a, diag, nbad)) != TK_OK)
		return e;
	if ((e = copy_optional("issuer", cfg->issuer, &a->issuer, diag,
	    nbad)) != TK_OK)
		return e;
	return copy_optional("audience", cfg->audience, &a->audience, diag,
	    nbad);
}

static tk_err
init_jwt(const struct tk_auth_config *cfg, struct tk_auth *a,
    struct tk_diag *diag, int *nbad)
{
	const struct alg *al;
	size_t i, j;
	tk_err e;

	if (cfg->nalgorithms == 0)
		problem(diag, nbad, "auth.algorithms: must list at least one "
		    "algorithm");
	for (i = 0; i < cfg->nalgorithms; i++) {
		if (cfg->algorithms[i] != NULL &&
		    strcasecmp(cfg->algorithms[i], "none") == 0)
			problem(diag, nbad, "auth.algorithms[%zu]: \"none\" is "
			    "never accepted", i);
		else if (cfg->algorithms[i] == NULL ||
		    (al = find_alg(cfg->algorithms[i])) == NULL)
			problem(diag, nbad, "auth.algorithms[%zu]: must be one "
			    "of HS256, HS384, HS512, RS256, RS384, RS512, "
			    "ES256, ES384", i);
		else
			a->allowed |= alg_bit(al);
	}
	if (cfg->nkeys == 0) {
		problem(diag, nbad, "auth.keys: jwt mode needs at least one "
		    "key");
		return TK_OK;
	}
	if ((a->keys = calloc(cfg->nkeys, sizeof(*a->keys))) == NULL ||
	    (a->cache = calloc(1, sizeof(*a->cache))) == NULL)
		return TK_ERR_NOMEM;
	a->nkeys = cfg->nkeys;
	for (i = 0; i < cfg->nkeys; i++) {
		e = load_key(a, &cfg->keys[i], i, &a->keys[i], diag, nbad);
		if (e == TK_ERR_NOMEM)
			return e;
		for (j = 0; j < i; j++)
			if (cfg->keys[i].kid != NULL && cfg->keys[j].kid !=
			    NULL && strcmp(cfg->keys[i].kid,
			    cfg->keys[j].kid) == 0)
				problem(diag, nbad, "auth.keys[%zu]: kid "
				    "\"%.64s\" is also the kid of "
				    "auth.keys[%zu]", i, cfg->keys[i].kid, j);
	}
	return TK_OK;
}

tk_err
tk_auth_init(const struct tk_auth_config *cfg, struct tk_auth **out,
    struct tk_diag *diag)
{
	struct tk_auth *a;
	int nbad = 0;
	tk_err e;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return TK_ERR_NOMEM;
	a->mode = cfg->mode;
	if ((e = init_common(cfg, a, diag, &nbad)) != TK_OK)
		goto err;
	switch (cfg->mode) {
	case TK_AUTH_JWT:
		e = init_jwt(cfg, a, diag, &nbad);
		break;
	case TK_AUTH_REMOTE_USER:
		e = copy_grants("users", cfg->users, cfg->nusers, &a->users,
		    &a->nusers, diag, &nbad);
		if (e == TK_OK)
			e = copy_grants("groups", cfg->groups, cfg->ngroups,
			    &a->groups, &a->ngroups, diag, &nbad);
		break;
	case TK_AUTH_NONE:
		tk_log(TK_LOG_WARN, "event=auth_disabled msg=\"auth.mode is "
		    "none: every request is anonymous and allowed everything; "
		    "never use this outside development\"");
		break;
	default:
		problem(diag, &nbad, "auth.mode: must be jwt, remote_user or "
		    "none");
		break;
	}
	if (e != TK_OK)
		goto err;
	if (nbad > 0) {
		e = TK_ERR_CONFIG;
		goto err;
	}
	*out = a;
	return TK_OK;
err:
	tk_auth_free(a);
	return e;
}

void
tk_auth_free(struct tk_auth *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nkeys; i++) {
		free(a->keys[i].kid);
		/* +1: the NUL read_key_file() added. */
		if (a->keys[i].key != NULL)
			wipe_free(a->keys[i].key, a->keys[i].keylen + 1);
		if (a->keys[i].skey != NULL)
			wipe_free(a->keys[i].skey, a->keys[i].skeylen + 1);
	}
	free(a->keys);
	if (a->cache != NULL) {
		for (i = 0; i < TOKEN_CACHE_SIZE; i++) {
			free(a->cache->e[i].text);
			tk_principal_free(&a->cache->e[i].p);
		}
		free(a->cache);
	}
	free(a->issuer);
	free(a->audience);
	free(a->claim);
	free(a->ns_claim);
	free(a->own_claim);
	free_grants(a->users, a->nusers);
	free_grants(a->groups, a->ngroups);
	free(a);
}

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
	    (name = json_str(v)) == NULL) {
		*reason = "bad_alg";
		return TK_OK;
	}
	if (strcasecmp(name, "none") == 0) {
		*reason = "alg_none";
		return TK_OK;
	}
	if ((t->alg = find_alg(name)) == NULL ||
	    (a->allowed & alg_bit(t->alg)) == 0) {
		*reason = "alg_not_allowed";
		return TK_OK;
	}
	if (json_object_object_get_ex(t->header, "kid", &v) &&
	    ((t->kid = json_str(v)) == NULL || *t->kid == '\0' ||
	    strlen(t->kid) > KID_MAX_LEN)) {
		*reason = "bad_kid";
		return TK_OK;
	}
	if (json_object_object_get_ex(t->header, "typ", &v) &&
	    ((name = json_str(v)) == NULL || strcasecmp(name, "JWT") != 0)) {
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
static int
int_claim(struct json_object *claims, const char *name, int64_t *v)
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

	if ((r = int_claim(claims, "exp", &v)) == 0)
		return "exp_missing";
	if (r < 0)
		return "exp_not_integer";
	if (t - a->leeway >= v)
		return "expired";
	if ((r = int_claim(claims, "nbf", &v)) < 0)
		return "nbf_not_integer";
	if (r > 0 && v > t + a->leeway)
		return "not_yet_valid";
	if ((r = int_claim(claims, "iat", &v)) < 0)
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
		    (s = json_str(v)) == NULL || strcmp(s, a->issuer) != 0)
			return "wrong_issuer";
	}
	if (!json_object_object_get_ex(claims, "aud", &v))
		return a->audience == NULL ? NULL : "wrong_audience";
	/* RFC 7519 4.1.3: a token for some audience is not for us unless
	 * we are that audience. */
	if (a->audience == NULL)
		return "unexpected_audience";
	if ((s = json_str(v)) != NULL)
		return strcmp(s, a->audience) == 0 ? NULL : "wrong_audience";
	if (v == NULL || !json_object_is_type(v, json_type_array))
		return "wrong_audience";
	n = json_object_array_length(v);
	if (n > AUD_MAX_COUNT)
		return "wrong_audience";
	for (i = 0; i < n; i++) {
		if ((s = json_str(json_object_array_get_idx(v, i))) == NULL)
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
		s = json_str(json_object_array_get_idx(v, i));
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
 * Fills p from sub, the scope claims and the permissions claim.  Sets *reason when they are
 * malformed.  TK_ERR_NOMEM only.
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
	    ((s = json_str(v)) == NULL || !tk_subject_valid(s))) {
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
		s = json_str(json_object_array_get_idx(v, i));
		if (s == NULL || !tk_perm_valid(s)) {
			*reason = "bad_permissions";
			return TK_OK;
		}
		if ((e = tk_principal_add_perm(p, s)) == TK_ERR_NOMEM)
			return e;
	}
	return TK_OK;
}

/* ---- the verified-token cache --------------------------------------- */

static int
copy_principal(const struct tk_principal *src, struct tk_principal *dst)
{
	return tk_principal_copy(src, dst) == TK_OK ? 0 : -1;
}

/* 1 and *out filled when tok was verified before and its times still fit. */
static int
cache_hit(const struct tk_auth *a, const char *tok, size_t len, time_t now,
    struct tk_principal *out)
{
	struct token_cache *c = a->cache;
	struct cached_token *e;
	int64_t t = (int64_t)now;
	size_t i;

	if (c == NULL)
		return 0;
	for (i = 0; i < TOKEN_CACHE_SIZE; i++) {
		e = &c->e[i];
		if (e->text == NULL || e->len != len ||
		    memcmp(e->text, tok, len) != 0)
			continue;
		/* The same rules as check_times(). */
		if (t - a->leeway >= e->exp || e->nbf > t + a->leeway ||
		    e->iat > t + a->leeway)
			return 0;
		if (copy_principal(&e->p, out) != 0)
			return 0;
		e->used = ++c->clock;
		return 1;
	}
	return 0;
}

/* Remembers a token that passed every check (best effort). */
static void
cache_store(const struct tk_auth *a, const char *tok, size_t len,
    struct json_object *claims, const struct tk_principal *p)
{
	struct token_cache *c = a->cache;
	struct cached_token *e;
	int64_t v;
	size_t i, victim = 0;

	if (c == NULL || int_claim(claims, "exp", &v) != 1)
		return;
	for (i = 1; i < TOKEN_CACHE_SIZE; i++)
		if (c->e[i].used < c->e[victim].used)
			victim = i;
	e = &c->e[victim];
	free(e->text);
	tk_principal_free(&e->p);
	memset(e, 0, sizeof(*e));
	e->exp = v;
	e->nbf = int_claim(claims, "nbf", &v) == 1 ? v : INT64_MIN;
	e->iat = int_claim(claims, "iat", &v) == 1 ? v : INT64_MIN;
	if ((e->text = malloc(len)) == NULL)
		return;
	if (copy_principal(p, &e->p) != 0) {
		free(e->text);
		e->text = NULL;
		return;
	}
	memcpy(e->text, tok, len);
	e->len = len;
	e->used = ++c->clock;
}

static tk_err
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
	if (cache_hit(a, tok, len, in->now, out)) {
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
	cache_store(a, tok, len, t.claims, &p);
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	tk_principal_free(&p);
	token_free(&t);
	if (e == TK_OK && *reason != NULL)
		e = TK_ERR_AUTHENTICATION;
	return e;
}

/* ---- remote_user and none ------------------------------------------ */

static const struct tk_perm_grant *
find_grant(const struct tk_perm_grant *g, size_t n, const char *name,
    size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].name != NULL && strlen(g[i].name) == len &&
		    memcmp(g[i].name, name, len) == 0)
			return &g[i];
	return NULL;
}

/* Adds the grant's permissions; stops quietly at TK_PERM_MAX_COUNT. */
static tk_err
add_grant(struct tk_principal *p, const struct tk_perm_grant *g)
{
	size_t i;
	tk_err e;

	for (i = 0; g != NULL && i < g->nperms; i++) {
		e = tk_principal_add_perm(p, g->perms[i]);
		if (e == TK_ERR_BAD_REQUEST) {
			tk_log(TK_LOG_WARN, "event=auth_too_many_permissions "
			    "limit=%d", TK_PERM_MAX_COUNT);
			return TK_OK;
		}
		if (e != TK_OK)
			return e;
	}
	return TK_OK;
}

/*
 * The scope the grants that apply add up to (they add up like their
 * permissions): every namespace when one of them is not limited, else
 * the union of their namespaces; own tasks only when all of them say so.
 * No grant at all: nothing.
 */
struct grant_scope {
	size_t napplied;
	int    unlimited;
	int    all_own;
};

/* Adds g (NULL: none applies) to p's permissions and to sc. */
static tk_err
apply_grant(struct tk_principal *p, const struct tk_perm_grant *g,
    struct grant_scope *sc)
{
	size_t i;
	tk_err e;

	if (g == NULL)
		return TK_OK;
	sc->napplied++;
	if (!g->ns_limited)
		sc->unlimited = 1;
	if (!g->own_tasks)
		sc->all_own = 0;
	for (i = 0; i < g->nnamespaces; i++) {
		e = tk_principal_add_ns(p, g->namespaces[i]);
		if (e == TK_ERR_BAD_REQUEST) {
			/* Names were checked at start: the grants together
			 * hold more than the cap.  Fewer is the safe side. */
			tk_log(TK_LOG_WARN, "event=auth_too_many_namespaces "
			    "limit=%d", TK_NS_MAX_COUNT);
			break;
		}
		if (e != TK_OK)
			return e;
	}
	return add_grant(p, g);
}

/* Sets p's scope from sc once every grant was applied. */
static void
finish_scope(struct tk_principal *p, const struct grant_scope *sc)
{
	size_t i;

	p->own_tasks = sc->napplied > 0 && sc->all_own;
	p->ns_limited = sc->napplied == 0 || !sc->unlimited;
	if (p->ns_limited)
		return;
	for (i = 0; i < p->nns; i++)
		free(p->ns[i]);
	free(p->ns);
	p->ns = NULL;
	p->nns = 0;
}

static tk_err
auth_remote_user(const struct tk_auth *a, const struct tk_auth_input *in,
    struct tk_principal *out, const char **werr, const char **reason)
{
	struct tk_principal p = TK_PRINCIPAL_INIT;
	struct grant_scope sc = { 0, 0, 1 };
	const char *u = in->remote_user, *s;
	size_t n, count = 0;
	tk_err e;

	*werr = NULL;
	if (u == NULL || *u == '\0') {
		*reason = "no_remote_user";
		return TK_ERR_AUTHENTICATION;
	}
	/* UTF-8 too: the name is stored as created_by and shown in JSON. */
	if (!tk_subject_valid(u) || !tk_utf8_valid(u, strlen(u))) {
		*reason = "bad_remote_user";
		return TK_ERR_AUTHENTICATION;
	}
	if ((e = tk_principal_set_subject(&p, u)) != TK_OK)
		goto out;
	if ((e = apply_grant(&p, find_grant(a->users, a->nusers, u,
	    strlen(u)), &sc)) != TK_OK)
		goto out;
	for (s = in->remote_groups; s != NULL && *s != '\0'; s += n) {
		s += strspn(s, ", \t");
		if ((n = strcspn(s, ", \t")) == 0 ||
		    ++count > GROUPS_MAX_COUNT)
			break;
		if ((e = apply_grant(&p, find_grant(a->groups, a->ngroups, s,
		    n), &sc)) != TK_OK)
			goto out;
	}
	finish_scope(&p, &sc);
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	tk_principal_free(&p);
	return e;
}

static tk_err
auth_none(struct tk_principal *out)
{
	struct tk_principal p = TK_PRINCIPAL_INIT;
	tk_err e;

	if ((e = tk_principal_set_subject(&p, "anonymous")) != TK_OK ||
	    (e = tk_principal_add_perm(&p, "*")) != TK_OK) {
		tk_principal_free(&p);
		return e;
	}
	*out = p;
	return TK_OK;
}

tk_err
tk_auth_authenticate(const struct tk_auth *a, const struct tk_auth_input *in,
    struct tk_principal *out, const char **www_auth_error)
{
	const char *werr = NULL, *reason = NULL;
	tk_err e;

	memset(out, 0, sizeof(*out));
	switch (a->mode) {
	case TK_AUTH_JWT:
		e = auth_jwt(a, in, out, &werr, &reason);
		break;
	case TK_AUTH_REMOTE_USER:
		e = auth_remote_user(a, in, out, &werr, &reason);
		break;
	case TK_AUTH_NONE:
		e = auth_none(out);
		break;
	default:
		e = TK_ERR_AUTHENTICATION;
		reason = "bad_mode";
		break;
	}
	if (e != TK_ERR_AUTHENTICATION)
		werr = NULL;
	else
		tk_log(TK_LOG_DEBUG, "event=auth_rejected reason=%s",
		    reason != NULL ? reason : "unknown");
	if (www_auth_error != NULL)
		*www_auth_error = werr;
	return e;
}

const char *
tk_auth_challenge(const char *www_auth_error)
{
	if (www_auth_error == NULL)
		return "Bearer realm=\"" REALM "\"";
	if (strcmp(www_auth_error, "invalid_request") == 0)
		return "Bearer realm=\"" REALM "\", error=\"invalid_request\"";
	return "Bearer realm=\"" REALM "\", error=\"invalid_token\"";
}

/* ---- minting ------------------------------------------------------- */

/* Adds "claim": [strings...] to o.  -1 when out of memory. */
static int
add_str_array(struct json_object *o, const char *claim,
    const char *const *v, size_t n)
{
	struct json_object *arr, *s;
	size_t i;

	if ((arr = json_object_new_array_ext((int)n)) == NULL)
		return -1;
	if (json_object_object_add(o, claim, arr) != 0) {
		json_object_put(arr);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((s = json_object_new_string(v[i])) == NULL)
			return -1;
		if (json_object_array_add(arr, s) != 0) {
			json_object_put(s);
			return -1;
		}
	}
	return 0;
}

/*
 * {"<claim>": [perms...], and the scope claims sc asks for} as JSON text
 * in *out (caller frees).
 */
static tk_err
perms_json(const struct tk_auth *a, const char *const *perms, size_t nperms,
    const struct tk_token_scope *sc, char **out)
{
	struct json_object *o, *b;
	const char *text;
	tk_err e = TK_ERR_NOMEM;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	if (add_str_array(o, a->claim, perms, nperms) != 0)
		goto out;
	if (sc != NULL && sc->limit_namespaces && add_str_array(o,
	    a->ns_claim, sc->namespaces, sc->nnamespaces) != 0)
		goto out;
	if (sc != NULL && sc->own_tasks) {
		if ((b = json_object_new_boolean(1)) == NULL)
			goto out;
		if (json_object_object_add(o, a->own_claim, b) != 0) {
			json_object_put(b);
			goto out;
		}
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (text != NULL && (*out = strdup(text)) != NULL)
		e = TK_OK;
out:
	json_object_put(o);
	return e;
}

tk_err
tk_auth_mint(const struct tk_auth *a, const char *subject,
    const char *const *perms, size_t nperms, unsigned lifetime_seconds,
    time_t now, char **token_out)
{
	return tk_auth_mint_scope(a, subject, perms, nperms, NULL,
	    lifetime_seconds, now, token_out);
}

tk_err
tk_auth_mint_scope(const struct tk_auth *a, const char *subject,
    const char *const *perms, size_t nperms, const struct tk_token_scope *sc,
    unsigned lifetime_seconds, time_t now, char **token_out)
{
	const struct auth_key *k = NULL;
	char *json = NULL, *tok;
	jwt_t *jwt = NULL;
	size_t i;
	long lifetime;
	tk_err e;

	*token_out = NULL;
	if (a->mode != TK_AUTH_JWT)
		return TK_ERR_CONFIG;
	for (i = 0; i < a->nkeys && k == NULL; i++)
		if (a->keys[i].skey != NULL)
			k = &a->keys[i];
	if (k == NULL)
		return TK_ERR_CONFIG;
	if (!tk_subject_valid(subject) || nperms > TK_PERM_MAX_COUNT)
		return TK_ERR_BAD_REQUEST;
	for (i = 0; i < nperms; i++)
		if (!tk_perm_valid(perms[i]))
			return TK_ERR_BAD_REQUEST;
	if (sc != NULL && sc->nnamespaces > TK_NS_MAX_COUNT)
		return TK_ERR_BAD_REQUEST;
	for (i = 0; sc != NULL && i < sc->nnamespaces; i++)
		if (sc->namespaces[i] == NULL ||
		    !tk_name_valid(sc->namespaces[i]))
			return TK_ERR_BAD_REQUEST;
	lifetime = lifetime_seconds == 0 ? (long)a->lifetime :
	    (long)lifetime_seconds;
	if ((e = perms_json(a, perms, nperms, sc, &json)) != TK_OK)
		return e;
	e = TK_ERR_NOMEM;
	if (jwt_new(&jwt) != 0)
		goto out;
	if ((k->kid != NULL && jwt_add_header(jwt, "kid", k->kid) != 0) ||
	    jwt_add_grant(jwt, "sub", subject) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + lifetime) != 0 ||
	    (a->issuer != NULL && jwt_add_grant(jwt, "iss", a->issuer) != 0) ||
	    (a->audience != NULL &&
	    jwt_add_grant(jwt, "aud", a->audience) != 0) ||
	    jwt_add_grants_json(jwt, json) != 0 ||
	    jwt_set_alg(jwt, k->alg->id, k->skey, (int)k->skeylen) != 0)
		goto out;
	if ((tok = jwt_encode_str(jwt)) == NULL)
		goto out;
	*token_out = tok;
	e = TK_OK;
out:
	jwt_free(jwt);
	free(json);
	return e;
}
