/*
 * keys.c - key loading: the algorithms tasker accepts, and the key files
 * of auth.keys read once at start and checked against their algorithm
 * (HS secrets long enough, RS/ES PEMs of the right type and curve, a
 * signing key that matches its verification key).  Keys are wiped when
 * freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "internal.h"
#include "tasker/file.h"

#define KEY_FILE_MAX      65536  /* bytes in a key file */

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

const struct alg *
auth_find_alg(const char *name)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

unsigned
auth_alg_bit(const struct alg *al)
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

/* ---- key files ----------------------------------------------------- */

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
read_key_file(const char *path, const char *what, const char *prefix,
    unsigned char **buf, size_t *len, struct tk_diag *diag, int *nbad)
{
	char *p;
	int e;

	/* The buffer is the caller's: wiped and freed with the key. */
	if ((e = tk_file_read(path, KEY_FILE_MAX, &p, len)) == 0) {
		*buf = (unsigned char *)p;
		return TK_OK;
	}
	if (e == ENOMEM)
		return TK_ERR_NOMEM;
	if (e == EFBIG)
		auth_problem(diag, nbad, "%s: %s %s: larger than %d bytes",
		    prefix, what, path, KEY_FILE_MAX);
	else if (e == EINVAL)
		auth_problem(diag, nbad, "%s: %s %s: not a regular file",
		    prefix, what, path);
	else
		auth_problem(diag, nbad, "%s: %s %s: %s", prefix, what, path,
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
			auth_problem(diag, nbad, "%s: kid: must be 1..%d bytes",
			    prefix, KID_MAX_LEN);
			return TK_ERR_CONFIG;
		}
		if ((k->kid = strdup(ck->kid)) == NULL)
			return TK_ERR_NOMEM;
	}
	if (ck->algorithm == NULL ||
	    (k->alg = auth_find_alg(ck->algorithm)) == NULL) {
		auth_problem(diag, nbad, "%s: algorithm: must be one of HS256, "
		    "HS384, HS512, RS256, RS384, RS512, ES256, ES384", prefix);
		return TK_ERR_CONFIG;
	}
	if ((a->allowed & auth_alg_bit(k->alg)) == 0) {
		auth_problem(diag, nbad, "%s: algorithm %s is not in "
		    "auth.algorithms", prefix, k->alg->name);
		return TK_ERR_CONFIG;
	}
	if (ck->key_file == NULL || *ck->key_file == '\0') {
		auth_problem(diag, nbad, "%s: key_file: missing", prefix);
		return TK_ERR_CONFIG;
	}
	e = read_key_file(ck->key_file, "key_file", prefix, &k->key, &k->keylen,
	    diag, nbad);
	if (e != TK_OK)
		return e;
	if (k->alg->family == 'H')
		strip_newline(k->key, &k->keylen);
	if ((why = check_public(k, msg, sizeof(msg))) != NULL) {
		auth_problem(diag, nbad, "%s: key_file %s: %s", prefix,
		    ck->key_file, why);
		return TK_ERR_CONFIG;
	}
	if (ck->signing_key_file == NULL)
		return TK_OK;
	e = read_key_file(ck->signing_key_file, "signing_key_file", prefix,
	    &k->skey, &k->skeylen, diag, nbad);
	if (e != TK_OK)
		return e;
	if (k->alg->family == 'H')
		strip_newline(k->skey, &k->skeylen);
	if ((why = check_signing(k, msg, sizeof(msg))) != NULL) {
		auth_problem(diag, nbad, "%s: signing_key_file %s: %s", prefix,
		    ck->signing_key_file, why);
		return TK_ERR_CONFIG;
	}
	return TK_OK;
}

/* Reads auth.algorithms and loads auth.keys (see internal.h). */
tk_err
auth_keys_init(const struct tk_auth_config *cfg, struct tk_auth *a,
    struct tk_diag *diag, int *nbad)
{
	const struct alg *al;
	size_t i, j;
	tk_err e;

	if (cfg->nalgorithms == 0)
		auth_problem(diag, nbad, "auth.algorithms: must list at least "
		    "one algorithm");
	for (i = 0; i < cfg->nalgorithms; i++) {
		if (cfg->algorithms[i] != NULL &&
		    strcasecmp(cfg->algorithms[i], "none") == 0)
			auth_problem(diag, nbad, "auth.algorithms[%zu]: "
			    "\"none\" is never accepted", i);
		else if (cfg->algorithms[i] == NULL ||
		    (al = auth_find_alg(cfg->algorithms[i])) == NULL)
			auth_problem(diag, nbad, "auth.algorithms[%zu]: must "
			    "be one of HS256, HS384, HS512, RS256, RS384, "
			    "RS512, ES256, ES384", i);
		else
			a->allowed |= auth_alg_bit(al);
	}
	if (cfg->nkeys == 0) {
		auth_problem(diag, nbad, "auth.keys: jwt mode needs at least "
		    "one key");
		return TK_OK;
	}
	if ((a->keys = calloc(cfg->nkeys, sizeof(*a->keys))) == NULL)
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
				auth_problem(diag, nbad, "auth.keys[%zu]: kid "
				    "\"%.64s\" is also the kid of "
				    "auth.keys[%zu]", i, cfg->keys[i].kid, j);
	}
	return TK_OK;
}

void
auth_keys_free(struct tk_auth *a)
{
	size_t i;

	for (i = 0; i < a->nkeys; i++) {
		free(a->keys[i].kid);
		/* +1: the NUL read_key_file() added. */
		if (a->keys[i].key != NULL)
			wipe_free(a->keys[i].key, a->keys[i].keylen + 1);
		if (a->keys[i].skey != NULL)
			wipe_free(a->keys[i].skey, a->keys[i].skeylen + 1);
	}
	free(a->keys);
	a->keys = NULL;
	a->nkeys = 0;
}
