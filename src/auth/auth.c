/*
 * auth.c - the auth handle: checks the auth section of the config at
 * start (limits, claim names, then the mode's own part: keys.c for jwt,
 * remote_user.c for remote_user) and dispatches each request on the
 * mode (jwt.c, remote_user.c, or none).  Token minting is in mint.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/log.h"

#include "internal.h"

#define DEFAULT_MAX_TOKEN 8192
#define DEFAULT_LIFETIME  3600
#define DEFAULT_CLAIM     "permissions"
#define DEFAULT_NS_CLAIM  "namespaces"
#define DEFAULT_OWN_CLAIM "own_tasks"
#define MAX_LEEWAY        600
#define REALM             "tasker"

/* Adds a problem to diag (which may be NULL) and counts it. */
void
auth_problem(struct tk_diag *diag, int *nbad, const char *fmt, ...)
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

/* A string copy of an optional config value; "" is refused. */
static tk_err
copy_optional(const char *key, const char *src, char **dst,
    struct tk_diag *diag, int *nbad)
{
	*dst = NULL;
	if (src == NULL)
		return TK_OK;
	if (*src == '\0') {
		auth_problem(diag, nbad, "auth.%s: must not be empty (leave it "
		    "out to skip the check)", key);
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
			auth_problem(diag, nbad, "auth.%s: must be 1..128 "
			    "bytes", keys[k]);
		for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++)
			if (strcmp(names[k], registered[i]) == 0)
				auth_problem(diag, nbad, "auth.%s: \"%s\" is a "
				    "registered JWT claim", keys[k], names[k]);
		if (strcmp(names[k], a->claim) == 0)
			auth_problem(diag, nbad, "auth.%s: \"%s\" is also "
			    "auth.permissions_claim", keys[k], names[k]);
	}
	if (strcmp(names[0], names[1]) == 0)
		auth_problem(diag, nbad, "auth.own_tasks_claim: \"%s\" is also "
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
		auth_problem(diag, nbad, "auth.leeway_seconds: must be between "
		    "0 and %d", MAX_LEEWAY);
	a->leeway = cfg->leeway_seconds;
	a->max_token = cfg->max_token_bytes == 0 ? DEFAULT_MAX_TOKEN :
	    cfg->max_token_bytes;
	if (a->max_token < 256 || a->max_token > 65536)
		auth_problem(diag, nbad, "auth.max_token_bytes: must be "
		    "between 256 and 65536");
	a->lifetime = cfg->token_lifetime_seconds == 0 ? DEFAULT_LIFETIME :
	    cfg->token_lifetime_seconds;
	claim = cfg->permissions_claim == NULL ? DEFAULT_CLAIM :
	    cfg->permissions_claim;
	if (*claim == '\0' || strlen(claim) > 128)
		auth_problem(diag, nbad, "auth.permissions_claim: must be "
		    "1..128 bytes");
	for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++)
		if (strcmp(claim, registered[i]) == 0)
			auth_problem(diag, nbad, "auth.permissions_claim: "
			    "\"%s\" is a registered JWT claim", claim);
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
		e = auth_keys_init(cfg, a, diag, &nbad);
		if (e == TK_OK && (a->cache = auth_cache_new()) == NULL)
			e = TK_ERR_NOMEM;
		break;
	case TK_AUTH_REMOTE_USER:
		e = auth_grants_copy("users", cfg->users, cfg->nusers,
		    &a->users, &a->nusers, diag, &nbad);
		if (e == TK_OK)
			e = auth_grants_copy("groups", cfg->groups,
			    cfg->ngroups, &a->groups, &a->ngroups, diag, &nbad);
		break;
	case TK_AUTH_NONE:
		tk_log(TK_LOG_WARN, "event=auth_disabled msg=\"auth.mode is "
		    "none: every request is anonymous and allowed everything; "
		    "never use this outside development\"");
		break;
	default:
		auth_problem(diag, &nbad, "auth.mode: must be jwt, remote_user "
		    "or none");
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
	if (a == NULL)
		return;
	auth_keys_free(a);
	auth_cache_free(a->cache);
	free(a->issuer);
	free(a->audience);
	free(a->claim);
	free(a->ns_claim);
	free(a->own_claim);
	auth_grants_free(a->users, a->nusers);
	auth_grants_free(a->groups, a->ngroups);
	free(a);
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
