/*
 * cache.c - the verified-token cache.
 *
 * Tokens this process verified, so a client that sends the same token
 * again costs a comparison instead of a signature check.  A hit needs the
 * exact bytes of a token that passed every check with this process's
 * (unchanging) keys and config; the time claims are checked again on
 * every hit.  Small and least-recently-used.  The cache is the only part
 * of a tk_auth handle that changes after tk_auth_init(); a handle serves
 * one thread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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

struct token_cache *
auth_cache_new(void)
{
	return calloc(1, sizeof(struct token_cache));
}

void
auth_cache_free(struct token_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < TOKEN_CACHE_SIZE; i++) {
		free(c->e[i].text);
		tk_principal_free(&c->e[i].p);
	}
	free(c);
}

static int
copy_principal(const struct tk_principal *src, struct tk_principal *dst)
{
	return tk_principal_copy(src, dst) == TK_OK ? 0 : -1;
}

/* 1 and *out filled when tok was verified before and its times still fit. */
int
auth_cache_hit(const struct tk_auth *a, const char *tok, size_t len, time_t now,
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
		/* The same rules as check_times() in jwt.c. */
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
void
auth_cache_store(const struct tk_auth *a, const char *tok, size_t len,
    struct json_object *claims, const struct tk_principal *p)
{
	struct token_cache *c = a->cache;
	struct cached_token *e;
	int64_t v;
	size_t i, victim = 0;

	if (c == NULL || auth_int_claim(claims, "exp", &v) != 1)
		return;
	for (i = 1; i < TOKEN_CACHE_SIZE; i++)
		if (c->e[i].used < c->e[victim].used)
			victim = i;
	e = &c->e[victim];
	free(e->text);
	tk_principal_free(&e->p);
	memset(e, 0, sizeof(*e));
	e->exp = v;
	e->nbf = auth_int_claim(claims, "nbf", &v) == 1 ? v : INT64_MIN;
	e->iat = auth_int_claim(claims, "iat", &v) == 1 ? v : INT64_MIN;
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
