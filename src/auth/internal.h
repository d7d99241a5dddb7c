/*
 * internal.h - what the files of src/auth share and nobody else sees:
 * the handle (struct tk_auth), the accepted algorithms and the loaded
 * keys (keys.c), the verified-token cache (cache.c), and the entry
 * points auth.c dispatches to (jwt.c, remote_user.c).  The public
 * surface is include/tasker/auth.h.
 *
 * Key material lives only in struct auth_key and is wiped on free.  No
 * message, log line or diag entry ever contains a key or a token.
 */
#ifndef TASKER_AUTH_INTERNAL_H
#define TASKER_AUTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>
#include <jwt.h>

#include "tasker/auth.h"
#include "tasker/error.h"

#define KID_MAX_LEN       256    /* bytes in a kid, config and token */

/* The algorithms tasker accepts; "none" and ES512 are not among them. */
struct alg {
	const char *name;
	jwt_alg_t   id;
	char        family;     /* 'H'MAC, 'R'SA, 'E'CDSA */
	size_t      min_secret; /* HS: bytes, the hash size (RFC 7518 3.2) */
	int         curve;      /* ES: the OpenSSL NID */
};

/* One loaded key.  key and skey are wiped before they are freed. */
struct auth_key {
	char             *kid;     /* NULL: for tokens without a kid */
	const struct alg *alg;
	unsigned char    *key;     /* HS secret or public PEM; NUL-ended */
	size_t            keylen;
	unsigned char    *skey;    /* signing secret or private PEM, or NULL */
	size_t            skeylen;
};

struct token_cache;  /* cache.c */

/* The handle: read-only after tk_auth_init(), except the cache. */
struct tk_auth {
	enum tk_auth_mode     mode;
	struct token_cache   *cache;     /* mutable: see cache.c */
	unsigned              allowed;   /* auth_alg_bit() of each allowed */
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

/* ---- config checking (auth.c) ---- */

/* Adds a problem to diag (which may be NULL) and counts it in *nbad. */
void	auth_problem(struct tk_diag *diag, int *nbad, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* ---- algorithms and keys (keys.c) ---- */

/* The accepted algorithm called name, or NULL. */
const struct alg *auth_find_alg(const char *name);
/* The bit of al in tk_auth.allowed. */
unsigned auth_alg_bit(const struct alg *al);
/* Reads auth.algorithms and loads auth.keys into a.  Problems are
 * reported and counted; TK_ERR_NOMEM only. */
tk_err	auth_keys_init(const struct tk_auth_config *cfg,
	    struct tk_auth *a, struct tk_diag *diag, int *nbad);
/* Wipes and frees a's keys. */
void	auth_keys_free(struct tk_auth *a);

/* ---- bearer tokens (jwt.c) ---- */

/* 1: *v is the integer claim, 0: absent, -1: present but not an integer. */
int	auth_int_claim(struct json_object *claims, const char *name,
	    int64_t *v);
/* jwt mode: fills *out from the bearer token of in, or returns
 * TK_ERR_AUTHENTICATION with *werr (WWW-Authenticate error) and *reason
 * (for the log) set.  TK_ERR_NOMEM otherwise. */
tk_err	auth_jwt(const struct tk_auth *a, const struct tk_auth_input *in,
	    struct tk_principal *out, const char **werr, const char **reason);

/* ---- the verified-token cache (cache.c) ---- */

/* An empty cache (caller frees with auth_cache_free), or NULL. */
struct token_cache *auth_cache_new(void);
void	auth_cache_free(struct token_cache *c);
/* 1 and *out filled when tok was verified before and its times still
 * fit. */
int	auth_cache_hit(const struct tk_auth *a, const char *tok,
	    size_t len, time_t now, struct tk_principal *out);
/* Remembers a token that passed every check (best effort). */
void	auth_cache_store(const struct tk_auth *a, const char *tok,
	    size_t len, struct json_object *claims,
	    const struct tk_principal *p);

/* ---- REMOTE_USER (remote_user.c) ---- */

/* Deep-copies and checks the grants of one list ("users", "groups").
 * Problems are reported and counted; TK_ERR_NOMEM only. */
tk_err	auth_grants_copy(const char *what,
	    const struct tk_perm_grant *src, size_t n,
	    struct tk_perm_grant **dst, size_t *ndst, struct tk_diag *diag,
	    int *nbad);
void	auth_grants_free(struct tk_perm_grant *g, size_t n);
/* remote_user mode: as auth_jwt(), from in->remote_user and
 * in->remote_groups. */
tk_err	auth_remote_user(const struct tk_auth *a,
	    const struct tk_auth_input *in, struct tk_principal *out,
	    const char **werr, const char **reason);

#endif
