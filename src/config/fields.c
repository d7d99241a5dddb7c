/*
 * fields.c - the keys of tasker.yaml: one table per section, the checks
 * of single values, and the setters particular to one field (auth.mode,
 * logging.level, api.mount_prefix, database.password, the remote_user
 * grants and the JWT keys; api.cors.allowed_origins is checked with the
 * http module's origin rule).
 *
 * database.password is refused: secrets stay out of config files (the
 * password is $TASKER_DB_PASSWORD, else database.password_file; see
 * config.c).  JWT key files are only named here; the auth module reads
 * them.  An empty string is refused everywhere except api.mount_prefix,
 * where "" mounts the API at the root.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tasker/handler.h"
#include "tasker/state.h"
#include "tasker/http.h"
#include "tasker/log.h"
#include "tasker/webhook.h"
#include "tasker/yamljson.h"

#define MIB             (1024ULL * 1024)
#define TK_STR_(x)      #x
#define TK_STR(x)       TK_STR_(x)

static const char *const mode_names[] = { "jwt", "remote_user", "none", NULL };
static const char *const level_names[] = { "debug", "info", "warn", "error",
    NULL };
static const char *const format_names[] = { "logfmt", "json", NULL };
static const char *const dest_names[] = { "stderr", "syslog", NULL };
static const char *const alg_names[] = { "HS256", "HS384", "HS512", "RS256",
    "RS384", "RS512", "ES256", "ES384", NULL };


/* --- checks of single values: NULL when fine, else why not --------- */

static const char *
check_env(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return "may hold only letters, digits, '_' and '-'";
	return NULL;
}

static const char *
check_param(const char *s)
{
	/* HTTP_* parameters carry request headers: the client would choose
	 * its own groups. */
	if (strncasecmp(s, "HTTP_", 5) == 0)
		return "must not be an HTTP_* parameter (the client sets those)";
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return "must be a FastCGI parameter name: letters, "
			    "digits and '_'";
	return NULL;
}

static const char *
check_perm(const char *s)
{
	if (strchr(s, ' ') != NULL)
		return "a permission must not contain spaces";
	return NULL;
}

/*
 * An origin as a browser sends it: http or https, a lowercase host name,
 * IPv4 or [IPv6] address, an optional port, nothing after.  "*" and
 * "null" are refused: the API answers with its callers' credentials, so
 * each origin allowed to read the answers is named (tk_cors_origin_valid).
 */
static const char *
check_origin(const char *s)
{
	if (strcmp(s, "*") == 0)
		return "must name one origin: \"*\" is not allowed, list "
		    "each origin";
	if (!tk_cors_origin_valid(s))
		return "must be an origin: http:// or https://, a lowercase "
		    "host, an optional :port, nothing after "
		    "(\"https://app.example.com\")";
	return NULL;
}

static const char *
check_ns(const char *s)
{
	if (!tk_name_valid(s))
		return "must be a namespace name: lowercase letters, digits "
		    "and '_', 1 to " TK_STR(TK_NAME_MAX) " characters";
	return NULL;
}

static const char *
check_claim(const char *s)
{
	static const char *const registered[] = { "iss", "sub", "aud", "exp",
	    "nbf", "iat", "jti" };
	size_t i;

	for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++)
		if (strcmp(s, registered[i]) == 0)
			return "must not be a registered JWT claim";
	return NULL;
}

static const char *
check_alg(const char *s)
{
	size_t i;

	for (i = 0; alg_names[i] != NULL; i++)
		if (strcmp(s, alg_names[i]) == 0)
			return NULL;
	return "must be one of HS256, HS384, HS512, RS256, RS384, RS512, "
	    "ES256, ES384";
}

/* A webhook's URL: http:// or https://, a host, no blank or control
 * byte (curl is told to refuse every other scheme too). */
static const char *
check_url(const char *s)
{
	const char *h;

	if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else
		return "must be an http:// or https:// URL";
	if (*h == '\0' || *h == '/' || *h == ':' || *h == '?' || *h == '#')
		return "must name a host after the scheme";
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return "must not contain blanks, control or non-ASCII "
			    "bytes (percent-encode them)";
	return NULL;
}

static const char *
check_event(const char *s)
{
	if (tk_event_parse(s) == TK_EV_NONE)
		return "must be one of task.created, task.completed, "
		    "task.failed, task.cancelled, step.failed";
	return NULL;
}

/* A subscription's name, the key of its deliveries in the database. */
static const char *
check_hook_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '-'))
			return "may hold only lowercase letters, digits, '_' "
			    "and '-'";
	return NULL;
}

static const char *
check_handler_name(const char *s)
{
	if (!tk_name_valid(s))
		return "must be a handler name: lowercase letters, digits "
		    "and '_', 1 to " TK_STR(TK_NAME_MAX) " characters";
	return NULL;
}

/* "" (the root) or "/a/b": no trailing '/', no "//", "." or "..". */
static const char *
check_prefix(const char *s)
{
	const char *p, *seg;

	if (*s == '\0')
		return NULL;
	if (strcmp(s, "/") == 0)
		return "must not be \"/\": write \"\" to mount at the root";
	if (*s != '/')
		return "must start with '/' (or be \"\" for the root)";
	if (s[strlen(s) - 1] == '/')
		return "must not end with '/'";
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p) != NULL))
			return "may hold only letters, digits and / - . _ ~";
	for (seg = s; seg != NULL; seg = strchr(seg + 1, '/')) {
		if (seg[1] == '/')
			return "must not contain \"//\"";
		if (strncmp(seg, "/./", 3) == 0 || strcmp(seg, "/.") == 0 ||
		    strncmp(seg, "/../", 4) == 0 || strcmp(seg, "/..") == 0)
			return "must not contain \".\" or \"..\" segments";
	}
	/* The http layer's own rule (segment count): never accept more. */
	if (!tk_prefix_valid(s))
		return "has more than " TK_STR(TK_PREFIX_MAX_SEGS) " segments "
		    "or " TK_STR(TK_PREFIX_MAX) " bytes";
	return NULL;
}


/* --- setters particular to one field -------------------------------- */

static void
set_mode(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	static const enum tk_auth_mode modes[] = { TK_AUTH_JWT,
	    TK_AUTH_REMOTE_USER, TK_AUTH_NONE };
	int i;

	if ((i = cfg_want_enum(c, v, path, line, mode_names)) >= 0)
		*CFG_SLOT(base, f, enum tk_auth_mode) = modes[i];
}

static void
set_level(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	int i;

	/* The names are log.h's; tk_log_level_parse() maps them. */
	if (cfg_want_enum(c, v, path, line, level_names) >= 0 &&
	    (i = tk_log_level_parse(json_object_get_string(v))) >= 0)
		*CFG_SLOT(base, f, int) = i;
}

static void
set_forbidden(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	(void)f;
	(void)v;
	(void)base;
	/* Never echo the value: it is a secret. */
	cfg_err(c, line, path, "not allowed: keep secrets out of the config "
	    "file; use database.password_file or $TASKER_DB_PASSWORD");
}

static void
set_prefix(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	const char *s, *why;
	int unset;

	if ((s = cfg_want_str(c, v, path, line, f->max, CFG_EMPTY_OK,
	    &unset)) == NULL)
		return;
	if ((why = check_prefix(s)) != NULL) {
		cfg_err(c, line, path, "%s", why);
		return;
	}
	cfg_replace(c, CFG_SLOT(base, f, char *), s);
}

void
cfg_free_grants(struct tk_perm_grant *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(g[i].name);
		cfg_free_strv(g[i].perms, g[i].nperms);
		cfg_free_strv(g[i].namespaces, g[i].nnamespaces);
	}
	free(g);
}

static const struct cfg_field grant_fields[];

/* A grant's namespaces: present (even empty or null) limits the grant. */
static void
set_grant_ns(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_perm_grant *g = base;

	cfg_set_strlist(c, f, v, path, line, base);
	g->ns_limited = 1;
}

/* One user or group: a list of permissions, or a mapping with a scope. */
static void
set_grant(struct cfg_ctx *c, struct tk_perm_grant *g, const char *name,
    json_object *v, const char *path, unsigned long line)
{
	if (cfg_want_text(c, name, strlen(name), path, line, 256, 0) == NULL)
		return;
	if ((g->name = strdup(name)) == NULL) {
		cfg_nomem(c);
		return;
	}
	if (json_object_is_type(v, json_type_object))
		cfg_walk(c, v, path, line, grant_fields, g);
	else
		g->perms = cfg_want_strlist(c, v, path, line, 128, check_perm,
		    &g->nperms);
}

/* auth.remote_user.users and .groups: name -> list of permissions. */
static void
set_grants(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_perm_grant **slot = CFG_SLOT(base, f, struct tk_perm_grant *);
	size_t *count = CFG_COUNT(base, f);
	struct tk_perm_grant *g = NULL;
	struct json_object_iter it;
	char kpath[320], q[TK_DIAG_QUOTE_SIZE];
	size_t len, n = 0;

	if (v != NULL && !json_object_is_type(v, json_type_object)) {
		cfg_err(c, line, path, "must be a mapping of names to lists of "
		    "permissions, not a %s", cfg_kind(v));
		return;
	}
	len = v != NULL ? (size_t)json_object_object_length(v) : 0;
	if (len > CFG_MAX_LIST) {
		cfg_err(c, line, path, "has more than %d entries",
		    CFG_MAX_LIST);
		return;
	}
	if (len > 0 && (g = calloc(len, sizeof(*g))) == NULL) {
		cfg_nomem(c);
		return;
	}
	if (v != NULL)
		json_object_object_foreachC(v, it) {
			if (c->fatal)
				break;
			snprintf(kpath, sizeof(kpath), "%s.%s", path,
			    tk_diag_quote(q, it.key));
			set_grant(c, &g[n], it.key, it.val, kpath,
			    tk_yaml_key_line(v, it.key));
			if (g[n].name != NULL)
				n++;
		}
	cfg_free_grants(*slot, *count);
	*slot = g;
	*count = n;
}

static const struct cfg_field key_fields[];

void
cfg_free_keys(struct tk_auth_key *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(k[i].kid);
		free(k[i].algorithm);
		free(k[i].key_file);
		free(k[i].signing_key_file);
	}
	free(k);
}

/*
 * auth.keys: a list of mappings.  An item that is not one is reported and
 * left zeroed; the cross checks skip it (its path was never recorded).
 */
static void
set_keys(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_auth_key **slot = CFG_SLOT(base, f, struct tk_auth_key *);
	size_t *count = CFG_COUNT(base, f);
	struct tk_auth_key *keys = NULL;
	json_object *item;
	char ipath[320];
	unsigned long iline;
	size_t i, len;

	if (v != NULL && !json_object_is_type(v, json_type_array)) {
		cfg_err(c, line, path, "must be a list of keys, not a %s",
		    cfg_kind(v));
		return;
	}
	if ((len = v != NULL ? json_object_array_length(v) : 0) >
	    CFG_MAX_KEYS) {
		cfg_err(c, line, path, "has more than %d keys", CFG_MAX_KEYS);
		return;
	}
	if (len > 0 && (keys = calloc(len, sizeof(*keys))) == NULL) {
		cfg_nomem(c);
		return;
	}
	for (i = 0; i < len; i++) {
		item = json_object_array_get_idx(v, i);
		iline = tk_yaml_item_line(v, i);
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (!json_object_is_type(item, json_type_object)) {
			cfg_err(c, iline, ipath, "must be a mapping with "
			    "kid, algorithm, key_file and signing_key_file");
			continue;
		}
		cfg_record(c, ipath, iline);
		cfg_walk(c, item, ipath, iline, key_fields, &keys[i]);
	}
	cfg_free_keys(*slot, *count);
	*slot = keys;
	*count = len;
}

/* --- webhooks ------------------------------------------------------ */

void
cfg_free_webhooks(struct tk_webhook_sub *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(w[i].name);
		free(w[i].url);
		free(w[i].secret_file);
		cfg_free_strv(w[i].events, w[i].nevents);
		cfg_free_strv(w[i].namespaces, w[i].nnamespaces);
		cfg_free_strv(w[i].handlers, w[i].nhandlers);
	}
	free(w);
}

/* events: the list, and the mask the outbox matches with. */
static void
set_events(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_webhook_sub *w = base;
	size_t i;

	cfg_set_strlist(c, f, v, path, line, base);
	w->event_mask = 0;
	for (i = 0; i < w->nevents; i++)
		w->event_mask |= 1u << tk_event_parse(w->events[i]);
}

static const struct cfg_field hook_fields[];

/* One subscription: its defaults, its keys, then what it must have. */
static void
set_hook(struct cfg_ctx *c, struct tk_webhook_sub *w, json_object *item,
    const char *ipath, unsigned long iline)
{
	json_object *ev;

	w->timeout_seconds = 10;
	w->max_attempts = 8;
	w->backoff_base_ms = 1000;
	w->backoff_cap_seconds = 3600;
	cfg_record(c, ipath, iline);
	cfg_walk(c, item, ipath, iline, hook_fields, w);
	/* A key given but refused was reported already. */
	if (!json_object_object_get_ex(item, "name", NULL))
		cfg_err(c, iline, ipath, "needs a name (the key of its "
		    "deliveries)");
	if (!json_object_object_get_ex(item, "url", NULL))
		cfg_err(c, iline, ipath, "needs a url");
	if (!json_object_object_get_ex(item, "secret_file", NULL))
		cfg_err(c, iline, ipath, "needs a secret_file (a file holding "
		    "whsec_ and the base64 of the key)");
	if (!json_object_object_get_ex(item, "events", &ev) ||
	    (json_object_is_type(ev, json_type_array) &&
	    json_object_array_length(ev) == 0))
		cfg_err(c, iline, ipath, "needs events: at least one of "
		    "task.created, task.completed, task.failed, "
		    "task.cancelled, step.failed");
}

/* webhooks: a list of subscriptions with distinct names. */
static void
set_webhooks(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_webhook_sub **slot = CFG_SLOT(base, f,
	    struct tk_webhook_sub *);
	size_t *count = CFG_COUNT(base, f);
	struct tk_webhook_sub *w = NULL;
	json_object *item;
	char ipath[320];
	unsigned long iline;
	size_t i, j, len;

	if (v != NULL && !json_object_is_type(v, json_type_array)) {
		cfg_err(c, line, path, "must be a list of subscriptions, not "
		    "a %s", cfg_kind(v));
		return;
	}
	if ((len = v != NULL ? json_object_array_length(v) : 0) >
	    CFG_MAX_HOOKS) {
		cfg_err(c, line, path, "has more than %d subscriptions",
		    CFG_MAX_HOOKS);
		return;
	}
	if (len > 0 && (w = calloc(len, sizeof(*w))) == NULL) {
		cfg_nomem(c);
		return;
	}
	for (i = 0; i < len && !c->fatal; i++) {
		item = json_object_array_get_idx(v, i);
		iline = tk_yaml_item_line(v, i);
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (!json_object_is_type(item, json_type_object)) {
			cfg_err(c, iline, ipath, "must be a mapping with "
			    "name, url, secret_file and events");
			continue;
		}
		set_hook(c, &w[i], item, ipath, iline);
		for (j = 0; j < i && w[i].name != NULL; j++)
			if (w[j].name != NULL &&
			    strcmp(w[j].name, w[i].name) == 0)
				cfg_err(c, iline, ipath, "name '%s' is taken "
				    "by %s[%zu]", w[i].name, path, j);
	}
	cfg_free_webhooks(*slot, *count);
	*slot = w;
	*count = len;
}

/* --- the tables ---------------------------------------------------- */

#define F_STR(k, t, m, mx, chk) \
	{ k, cfg_set_str, offsetof(t, m), 0, 0, mx, NULL, NULL, chk }
#define F_OPTSTR(k, t, m, mx) \
	{ k, cfg_set_optstr, offsetof(t, m), 0, 0, mx, NULL, NULL, NULL }
#define F_PATH(k, t, m) \
	{ k, cfg_set_path, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }
#define F_OPTPATH(k, t, m) \
	{ k, cfg_set_optpath, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }
#define F_UINT(k, t, m, lo, hi) \
	{ k, cfg_set_uint, offsetof(t, m), 0, lo, hi, NULL, NULL, NULL }
#define F_SIZE(k, t, m, lo, hi) \
	{ k, cfg_set_size, offsetof(t, m), 0, lo, hi, NULL, NULL, NULL }
#define F_BOOL(k, t, m) \
	{ k, cfg_set_bool, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }
#define F_ENUM(k, t, m, names) \
	{ k, cfg_set_enum, offsetof(t, m), 0, 0, 0, NULL, names, NULL }
#define F_CALL(k, fn, t, m) \
	{ k, fn, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }
#define F_LIST(k, fn, t, m, cnt, mx, chk) \
	{ k, fn, offsetof(t, m), offsetof(t, cnt), 0, mx, NULL, NULL, chk }
#define F_SECTION(k, t, m, sub) \
	{ k, cfg_set_section, offsetof(t, m), 0, 0, 0, sub, NULL, NULL }
#define F_END { NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL }

/* database.read is a YAML sub-section; its fields live in tk_db_config. */
static const struct cfg_field db_read_fields[] = {
	F_OPTSTR("host", struct tk_db_config, read_host, 255),
	F_UINT("port", struct tk_db_config, read_port, 1, 65535),
	F_OPTPATH("socket", struct tk_db_config, read_socket),
	F_END
};

static const struct cfg_field db_fields[] = {
	F_STR("host", struct tk_db_config, host, 255, NULL),
	F_UINT("port", struct tk_db_config, port, 1, 65535),
	F_OPTPATH("socket", struct tk_db_config, socket),
	F_STR("user", struct tk_db_config, user, 80, NULL),
	F_CALL("password", set_forbidden, struct tk_db_config, password),
	F_OPTPATH("password_file", struct tk_db_config, password_file),
	F_STR("name", struct tk_db_config, name, 64, NULL),
	F_UINT("connect_timeout", struct tk_db_config, connect_timeout, 1, 60),
	F_UINT("read_timeout", struct tk_db_config, read_timeout, 1, 3600),
	F_UINT("write_timeout", struct tk_db_config, write_timeout, 1, 3600),
	{ "read", cfg_set_section, 0, 0, 0, 0, db_read_fields, NULL, NULL },
	F_END
};

static const struct cfg_field key_fields[] = {
	F_OPTSTR("kid", struct tk_auth_key, kid, 128),
	F_STR("algorithm", struct tk_auth_key, algorithm, 16, check_alg),
	F_OPTPATH("key_file", struct tk_auth_key, key_file),
	F_OPTPATH("signing_key_file", struct tk_auth_key, signing_key_file),
	F_END
};

/* One user or group given as a mapping instead of a permission list. */
static const struct cfg_field grant_fields[] = {
	F_LIST("permissions", cfg_set_strlist, struct tk_perm_grant, perms, nperms,
	    128, check_perm),
	F_LIST("namespaces", set_grant_ns, struct tk_perm_grant, namespaces,
	    nnamespaces, TK_NAME_MAX, check_ns),
	F_BOOL("own_tasks", struct tk_perm_grant, own_tasks),
	F_END
};

/* remote_user is a YAML sub-section; its fields live in tk_auth_config. */
static const struct cfg_field remote_fields[] = {
	F_STR("groups_variable", struct tk_auth_config, groups_variable, 64,
	    check_param),
	F_LIST("users", set_grants, struct tk_auth_config, users, nusers, 0,
	    NULL),
	F_LIST("groups", set_grants, struct tk_auth_config, groups, ngroups, 0,
	    NULL),
	F_END
};

static const struct cfg_field auth_fields[] = {
	F_CALL("mode", set_mode, struct tk_auth_config, mode),
	F_LIST("algorithms", cfg_set_strlist, struct tk_auth_config, algorithms,
	    nalgorithms, 16, check_alg),
	F_LIST("keys", set_keys, struct tk_auth_config, keys, nkeys, 0, NULL),
	F_OPTSTR("issuer", struct tk_auth_config, issuer, 1024),
	F_OPTSTR("audience", struct tk_auth_config, audience, 1024),
	F_UINT("leeway_seconds", struct tk_auth_config, leeway_seconds, 0,
	    600),
	F_STR("permissions_claim", struct tk_auth_config, permissions_claim,
	    128, NULL),
	F_STR("namespaces_claim", struct tk_auth_config, namespaces_claim,
	    128, check_claim),
	F_STR("own_tasks_claim", struct tk_auth_config, own_tasks_claim,
	    128, check_claim),
	F_SIZE("max_token_bytes", struct tk_auth_config, max_token_bytes, 256,
	    65536),
	F_UINT("token_lifetime_seconds", struct tk_auth_config,
	    token_lifetime_seconds, 60, 2592000),
	F_BOOL("open_health", struct tk_auth_config, open_health),
	F_BOOL("open_docs", struct tk_auth_config, open_docs),
	{ "remote_user", cfg_set_section, 0, 0, 0, 0, remote_fields, NULL, NULL },
	F_END
};

/* api.cors is a YAML sub-section; its field lives in tk_api_config. */
static const struct cfg_field cors_fields[] = {
	F_LIST("allowed_origins", cfg_set_strlist, struct tk_api_config,
	    cors_origins, ncors_origins, TK_ORIGIN_MAX, check_origin),
	F_END
};

/* api.stale_after: seconds without a change after which a task in that
 * status is flagged stale (0: never); they live in tk_api_config. */
static const struct cfg_field stale_fields[] = {
	F_UINT("pending_seconds", struct tk_api_config,
	    stale_after[TK_ST_PENDING], 0, 31536000),
	F_UINT("in_progress_seconds", struct tk_api_config,
	    stale_after[TK_ST_IN_PROGRESS], 0, 31536000),
	F_UINT("error_seconds", struct tk_api_config,
	    stale_after[TK_ST_ERROR], 0, 31536000),
	F_END
};

static const struct cfg_field api_fields[] = {
	{ "mount_prefix", set_prefix, offsetof(struct tk_api_config,
	    mount_prefix), 0, 0, TK_PREFIX_MAX, NULL, NULL, NULL },
	F_UINT("default_per_page", struct tk_api_config, default_per_page, 1,
	    1000),
	F_UINT("max_per_page", struct tk_api_config, max_per_page, 1, 1000),
	F_SIZE("max_body_bytes", struct tk_api_config, max_body_bytes, 1024,
	    64 * MIB),
	F_UINT("idempotency_ttl_seconds", struct tk_api_config,
	    idempotency_ttl_seconds, 60, 2592000),
	F_UINT("registry_refresh_ms", struct tk_api_config,
	    registry_refresh_ms, 0, 60000),
	{ "cors", cfg_set_section, 0, 0, 0, 0, cors_fields, NULL, NULL },
	{ "stale_after", cfg_set_section, 0, 0, 0, 0, stale_fields, NULL,
	    NULL },
	F_END
};

static const struct cfg_field worker_fields[] = {
	F_UINT("processes", struct tk_worker_config, processes, 1, 256),
	F_UINT("poll_min_ms", struct tk_worker_config, poll_min_ms, 1, 60000),
	F_UINT("poll_max_ms", struct tk_worker_config, poll_max_ms, 1, 60000),
	F_UINT("lease_seconds", struct tk_worker_config, lease_seconds, 5,
	    3600),
	F_UINT("backoff_base_seconds", struct tk_worker_config,
	    backoff_base_seconds, 1, 3600),
	F_UINT("backoff_cap_seconds", struct tk_worker_config,
	    backoff_cap_seconds, 1, 86400),
	F_UINT("step_timeout_seconds", struct tk_worker_config,
	    step_timeout_seconds, 1, 86400),
	F_SIZE("max_output_bytes", struct tk_worker_config, max_output_bytes,
	    1024, 64 * MIB),
	F_UINT("shutdown_grace_seconds", struct tk_worker_config,
	    shutdown_grace_seconds, 0, 3600),
	F_UINT("kill_grace_seconds", struct tk_worker_config,
	    kill_grace_seconds, 0, 60),
	F_UINT("heartbeat_seconds", struct tk_worker_config, heartbeat_seconds,
	    1, 3600),
	F_OPTSTR("user", struct tk_worker_config, user, 64),
	F_OPTPATH("work_dir", struct tk_worker_config, work_dir),
	F_END
};

static const struct cfg_field log_fields[] = {
	F_CALL("level", set_level, struct tk_log_config, level),
	F_ENUM("format", struct tk_log_config, format, format_names),
	F_ENUM("destination", struct tk_log_config, destination, dest_names),
	F_END
};

static const struct cfg_field hook_fields[] = {
	F_STR("name", struct tk_webhook_sub, name, 64, check_hook_name),
	F_STR("url", struct tk_webhook_sub, url, 2048, check_url),
	F_OPTPATH("secret_file", struct tk_webhook_sub, secret_file),
	F_LIST("events", set_events, struct tk_webhook_sub, events, nevents,
	    32, check_event),
	F_LIST("namespaces", cfg_set_strlist, struct tk_webhook_sub,
	    namespaces, nnamespaces, TK_NAME_MAX, check_ns),
	F_LIST("handlers", cfg_set_strlist, struct tk_webhook_sub, handlers,
	    nhandlers, TK_NAME_MAX, check_handler_name),
	F_UINT("timeout_seconds", struct tk_webhook_sub, timeout_seconds, 1,
	    300),
	F_UINT("max_attempts", struct tk_webhook_sub, max_attempts, 1, 100),
	F_UINT("backoff_base_ms", struct tk_webhook_sub, backoff_base_ms, 10,
	    3600000),
	F_UINT("backoff_cap_seconds", struct tk_webhook_sub,
	    backoff_cap_seconds, 1, 86400),
	F_END
};

const struct cfg_field cfg_top_fields[] = {
	F_STR("environment", struct tk_config, environment, 64, check_env),
	F_PATH("handlers_dir", struct tk_config, handlers_dir),
	F_PATH("migrations_dir", struct tk_config, migrations_dir),
	F_PATH("run_dir", struct tk_config, run_dir),
	F_SECTION("database", struct tk_config, db, db_fields),
	F_SECTION("auth", struct tk_config, auth, auth_fields),
	F_SECTION("api", struct tk_config, api, api_fields),
	F_SECTION("worker", struct tk_config, worker, worker_fields),
	F_SECTION("logging", struct tk_config, log, log_fields),
	F_LIST("webhooks", set_webhooks, struct tk_config, webhooks, nwebhooks,
	    0, NULL),
	F_SECTION("retention", struct tk_config, retention,
	    cfg_retention_fields),
	F_END
};

