/*
 * auth.h - who is calling: JWT bearer tokens, REMOTE_USER, or nobody.
 *
 * tk_auth_init() checks the auth section of the config and loads every key
 * file once, at start; a request then costs no file I/O.  The handle is
 * read-only afterwards, so one handle serves every request of a process.
 *
 * Modes (auth.mode):
 *  jwt          "Authorization: Bearer <token>".  The token's alg must be
 *               in auth.algorithms and equal to the algorithm of the key
 *               that verifies it ("none" never); "exp" is required; "nbf",
 *               "iat" are checked with auth.leeway_seconds; "iss" and
 *               "aud" when configured (a token carrying "aud" is refused
 *               when no audience is configured, as RFC 7519 asks); the
 *               permissions come from auth.permissions_claim, an array of
 *               strings; the scope from auth.namespaces_claim (absent:
 *               every namespace; an array of at most TK_NS_MAX_COUNT
 *               namespace names, [] for none) and auth.own_tasks_claim
 *               (absent or false: every task; true: only the tasks
 *               whose created_by is the subject); a malformed claim is
 *               a bad token.  Every time claim must be a JSON integer.
 *               Key choice: a token with a "kid" uses the key with that
 *               kid, or fails; a token without one uses the keys without a
 *               kid, or the only key when exactly one is configured.
 *  remote_user  the web server authenticated the user and passed
 *               REMOTE_USER (and optionally the groups variable, a comma-
 *               or space-separated list); permissions are the union of the
 *               user's grant and the grants of those groups.  A known user
 *               without grants is authenticated with no permissions.
 *               Scopes add up the same way: every namespace when one
 *               grant that applies has no namespaces list, else the
 *               union of their lists; own tasks only when every grant
 *               that applies says own_tasks.  REMOTE_USER must be
 *               UTF-8.
 *  none         every request is "anonymous" holding "*".  Development
 *               only; tk_auth_init() logs a warning every time.
 *
 * Subjects: "sub" (1..TK_SUBJECT_MAX_LEN bytes, no control characters);
 * a token without "sub" yields the subject "unknown".
 *
 * HS secrets are the key file's bytes less one trailing "\n" or "\r\n";
 * a secret shorter than the hash (32, 48, 64 bytes for HS256/384/512) is
 * refused.  RS and ES key files hold a PEM "PUBLIC KEY" (RSA of at least
 * 2048 bits; P-256 for ES256, P-384 for ES384); signing_key_file holds the
 * matching unencrypted private PEM (for HS, the same secret).
 *
 * A token is never logged.  Rejections are logged at debug level with a
 * fixed reason word (e.g. "reason=expired").
 */
#ifndef TASKER_AUTH_H
#define TASKER_AUTH_H

#include <stddef.h>
#include <time.h>

#include "tasker/config.h"
#include "tasker/diag.h"
#include "tasker/error.h"
#include "tasker/perm.h"

struct tk_auth;  /* opaque; see tk_auth_init() */

/* What a request offers; every string is hostile and may be NULL. */
struct tk_auth_input {
	const char *authorization; /* the Authorization header value */
	const char *remote_user;   /* REMOTE_USER (remote_user mode) */
	const char *remote_groups; /* value of auth.groups_variable */
	time_t      now;           /* the request's clock, for exp/nbf/iat */
};

/*
 * Checks cfg and loads its key files.  On TK_ERR_CONFIG, diag holds one
 * message per problem, naming the key (index and kid) and the file but
 * never key material.  The handle copies what it needs from cfg.
 * TK_ERR_NOMEM.
 */
tk_err tk_auth_init(const struct tk_auth_config *cfg, struct tk_auth **out,
    struct tk_diag *diag);
/* Wipes the keys and frees the handle; NULL is ok. */
void   tk_auth_free(struct tk_auth *a);

/*
 * Authenticates one request.  TK_OK fills out (free with
 * tk_principal_free()).  TK_ERR_AUTHENTICATION (answer 401) sets
 * *www_auth_error to NULL when no credentials were sent (no header,
 * another scheme), "invalid_request" for "Bearer" without a token, or
 * "invalid_token" for a token that is bad in any way.  TK_ERR_NOMEM.
 * Nothing in the input can cause another result.  On failure out is
 * left empty.  www_auth_error may be NULL.
 */
tk_err tk_auth_authenticate(const struct tk_auth *a,
    const struct tk_auth_input *in, struct tk_principal *out,
    const char **www_auth_error);

/*
 * The WWW-Authenticate value for a 401, from the *www_auth_error above:
 * `Bearer realm="tasker"` or `Bearer realm="tasker", error="invalid_token"`.
 * Static storage.
 */
const char *tk_auth_challenge(const char *www_auth_error);

/*
 * Mints a token with the first key that has a signing_key_file (its kid,
 * if any, goes into the header): claims sub, iat = now, exp = now +
 * lifetime_seconds (0: auth.token_lifetime_seconds), the permissions
 * under auth.permissions_claim, iss and aud when configured.  *token_out
 * is the caller's to free().  TK_ERR_CONFIG when not in jwt mode or no
 * key can sign; TK_ERR_BAD_REQUEST for an invalid subject or permission
 * or more than TK_PERM_MAX_COUNT permissions; TK_ERR_NOMEM.
 */
tk_err tk_auth_mint(const struct tk_auth *a, const char *subject,
    const char *const *perms, size_t nperms, unsigned lifetime_seconds,
    time_t now, char **token_out);

/* The scope claims of a token to mint (see tk_auth_mint_scope). */
struct tk_token_scope {
	const char *const *namespaces;       /* namespace names */
	size_t             nnamespaces;      /* at most TK_NS_MAX_COUNT */
	int                limit_namespaces; /* 1: put the namespaces claim
	                                        in, even empty (none) */
	int                own_tasks;        /* 1: own_tasks claim true */
};

/*
 * tk_auth_mint() with the scope claims of sc (NULL: none, every
 * namespace and every task).  TK_ERR_BAD_REQUEST also for an invalid
 * namespace name or too many of them.
 */
tk_err tk_auth_mint_scope(const struct tk_auth *a, const char *subject,
    const char *const *perms, size_t nperms, const struct tk_token_scope *sc,
    unsigned lifetime_seconds, time_t now, char **token_out);

#endif
