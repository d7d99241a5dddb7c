/*
 * mint.c - token minting, used only by the admin CLI (tasker-admin
 * token): a JWT signed with the first configured key that has a
 * signing key, carrying the subject, permissions and scope claims this
 * process's config names.
 */
#include <stdlib.h>
#include <string.h>

#include "tasker/handler.h"  /* tk_name_valid */

#include "internal.h"

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
