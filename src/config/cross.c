/*
 * cross.c - checks between fields of tasker.yaml, run once the whole file
 * was applied: limits that must agree (per-page sizes, poll and backoff
 * bounds, the lease against heartbeat, renewal and kill margin), the JWT
 * keys against auth.algorithms and each other, and what each auth mode
 * needs.  A problem is reported at the line of the first of the keys
 * involved that the file set.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Reports at the first of the keys that the file set (a cross-field
 * problem with only defaults involved cannot happen, but then no line).
 */
static void cross(struct cfg_ctx *, const char *, const char *,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static void
cross(struct cfg_ctx *c, const char *key, const char *other,
    const char *fmt, ...)
{
	char msg[512];
	unsigned long line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((line = cfg_line_of(c, key)) == 0 && other != NULL &&
	    (line = cfg_line_of(c, other)) != 0)
		key = other;
	cfg_err(c, line, key, "%s", msg);
}

static int
in_list(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void
check_auth_keys(struct cfg_ctx *c, const struct tk_auth_config *a)
{
	unsigned long line[CFG_MAX_KEYS];
	char p[64], q[96];
	size_t i, j;

	/* 0: the item was not a mapping and was reported already. */
	for (i = 0; i < a->nkeys && i < CFG_MAX_KEYS; i++) {
		snprintf(p, sizeof(p), "auth.keys[%zu]", i);
		line[i] = cfg_line_of(c, p);
	}
	for (i = 0; i < a->nkeys && i < CFG_MAX_KEYS; i++) {
		const struct tk_auth_key *k = &a->keys[i];

		if (line[i] == 0)
			continue;
		snprintf(p, sizeof(p), "auth.keys[%zu]", i);
		if (k->algorithm == NULL)
			cfg_err(c, line[i], p, "needs an algorithm");
		else if (!in_list(a->algorithms, a->nalgorithms,
		    k->algorithm)) {
			snprintf(q, sizeof(q), "%s.algorithm", p);
			cross(c, q, p, "%s is not in auth.algorithms",
			    k->algorithm);
		}
		if (k->key_file == NULL)
			cfg_err(c, line[i], p, "needs a key_file (%s)",
			    k->algorithm != NULL && k->algorithm[0] == 'H' ?
			    "the shared secret" : "the public key, PEM");
		for (j = 0; j < i; j++) {
			const struct tk_auth_key *o = &a->keys[j];

			if (line[j] == 0)
				continue;
			if (k->kid == NULL && o->kid == NULL) {
				cfg_err(c, line[i], p, "only one key may "
				    "have no kid; auth.keys[%zu] has none "
				    "too", j);
				break;
			}
			if (k->kid != NULL && o->kid != NULL &&
			    strcmp(k->kid, o->kid) == 0) {
				snprintf(q, sizeof(q), "%s.kid", p);
				cross(c, q, p, "kid is already used by "
				    "auth.keys[%zu]", j);
				break;
			}
		}
	}
}

void
cfg_cross_check(struct cfg_ctx *c, const struct tk_config *cfg)
{
	const struct tk_api_config *api = &cfg->api;
	const struct tk_worker_config *w = &cfg->worker;
	const struct tk_auth_config *a = &cfg->auth;

	if (api->default_per_page > api->max_per_page)
		cross(c, "api.default_per_page", "api.max_per_page",
		    "%u is more than api.max_per_page (%u)",
		    api->default_per_page, api->max_per_page);
	if (w->poll_min_ms > w->poll_max_ms)
		cross(c, "worker.poll_min_ms", "worker.poll_max_ms",
		    "%u is more than worker.poll_max_ms (%u)", w->poll_min_ms,
		    w->poll_max_ms);
	if (w->backoff_base_seconds > w->backoff_cap_seconds)
		cross(c, "worker.backoff_base_seconds",
		    "worker.backoff_cap_seconds",
		    "%u is more than worker.backoff_cap_seconds (%u)",
		    w->backoff_base_seconds, w->backoff_cap_seconds);
	if (w->heartbeat_seconds >= w->lease_seconds)
		cross(c, "worker.heartbeat_seconds", "worker.lease_seconds",
		    "%u must be less than worker.lease_seconds (%u), or "
		    "leases expire between heartbeats", w->heartbeat_seconds,
		    w->lease_seconds);
	else if ((unsigned long long)w->lease_seconds * 1000 <
	    (unsigned long long)w->heartbeat_seconds * 1000 +
	    TK_LEASE_RENEW_MS + TK_LEASE_MARGIN_MS)
		cross(c, "worker.lease_seconds", "worker.heartbeat_seconds",
		    "%u is too short: a lease must last worker."
		    "heartbeat_seconds (%u) plus %u ms for a renewal plus the "
		    "%u ms before expiry at which a handler is killed",
		    w->lease_seconds, w->heartbeat_seconds, TK_LEASE_RENEW_MS,
		    TK_LEASE_MARGIN_MS);

	if (cfg->db.read_host == NULL && cfg->db.read_socket == NULL &&
	    cfg_line_of(c, "database.read") != 0)
		cross(c, "database.read", NULL, "needs a host or a socket "
		    "(without database.read, reads use the one connection)");

	check_auth_keys(c, a);
	if (a->mode == TK_AUTH_JWT) {
		if (a->nalgorithms == 0)
			cross(c, "auth.algorithms", "auth.mode",
			    "jwt mode needs at least one algorithm");
		if (a->nkeys == 0)
			cross(c, "auth.keys", "auth.mode",
			    "jwt mode needs at least one key");
	}
	if (a->mode == TK_AUTH_REMOTE_USER && a->nusers == 0 &&
	    a->ngroups == 0)
		cross(c, "auth.remote_user", "auth.mode", "remote_user mode "
		    "needs at least one entry in auth.remote_user.users or "
		    "auth.remote_user.groups");
}

