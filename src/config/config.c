/*
 * config.c - tasker.yaml: defaults, loading, the password file.
 *
 * The file is read whole (util/file.c, at most TK_YAML_MAX_BYTES) and
 * parsed by registry/yamljson.c, the one YAML reader, with its limits and
 * line numbers: aliases, anchors, odd tags, duplicate keys and deep
 * nesting are refused there.  TK_YAML_RAW leaves plain scalars as
 * written, so this module applies its own value rules (walk.c), and
 * TK_YAML_KEEP hands back the tree less the refused values, so one run
 * reports the reader's problems and the settings' together.  The walk
 * goes against one table of known keys per section (fields.c), then the
 * checks between fields (cross.c) and the password file.
 *
 * The password is $TASKER_DB_PASSWORD when set and non-empty, else the
 * first line of database.password_file (read here), else none; it never
 * appears in a message.  The operator's view is in etc/tasker.yaml.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tasker/file.h"
#include "tasker/state.h"
#include "tasker/log.h"
#include "tasker/yamljson.h"

#ifndef TK_SYSCONFDIR
#define TK_SYSCONFDIR "/usr/local/etc"
#endif
#ifndef TK_PKGDATADIR
#define TK_PKGDATADIR "/usr/local/share/tasker"
#endif
#ifndef TK_LOCALSTATEDIR
#define TK_LOCALSTATEDIR "/usr/local/var"
#endif

#define MAX_PASSWORD      1024   /* first line of password_file */
#define MAX_PASSWORD_FILE 65536  /* the whole password_file */

/* ------------------------------------------------------------------ */
/* Files: the password file and the folder of the config file.        */

static void
load_password(struct cfg_ctx *c, struct tk_db_config *db)
{
	const char *env, *key = "database.password_file";
	char *buf = NULL, *nl;
	unsigned long line;
	size_t len = 0, total;
	int e;

	/* Set but empty counts as unset: falls back to password_file. */
	env = getenv("TASKER_DB_PASSWORD");
	if (env != NULL && *env != '\0') {
		cfg_replace(c, &db->password, env);
		return;
	}
	if (db->password_file == NULL)
		return;
	line = cfg_line_of(c, key);
	/* Never print the file's contents, only its name. */
	if ((e = tk_file_read(db->password_file, MAX_PASSWORD_FILE, &buf,
	    &len)) != 0) {
		if (e == ENOMEM)
			cfg_nomem(c);
		else
			cfg_err(c, line, key, "cannot read %s: %s",
			    db->password_file, tk_file_strerror(e));
		return;
	}
	total = len;
	if ((nl = memchr(buf, '\n', len)) != NULL)
		len = (size_t)(nl - buf);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > MAX_PASSWORD)
		cfg_err(c, line, key, "%s: the first line is longer than %d "
		    "bytes", db->password_file, MAX_PASSWORD);
	else if (memchr(buf, '\0', len) != NULL)
		cfg_err(c, line, key, "%s: the password must not contain a NUL "
		    "byte", db->password_file);
	else if (len == 0)
		cfg_err(c, line, key, "%s: the first line is empty",
		    db->password_file);
	else {
		buf[len] = '\0';
		cfg_replace(c, &db->password, buf);
	}
	/* The whole file and its terminating NUL. */
	explicit_bzero(buf, total + 1);
	free(buf);
}

/* The absolute folder of path, for relative paths inside it. */
static char *
config_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *cwd, *out;
	size_t n;

	if (path[0] == '/')
		return slash == path ? strdup("/") :
		    strndup(path, (size_t)(slash - path));
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return slash == NULL ? strdup(".") :
		    strndup(path, (size_t)(slash - path));
	if (slash == NULL)
		return cwd;
	n = strlen(cwd) + 1 + (size_t)(slash - path) + 1;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "%s/%.*s", cwd, (int)(slash - path), path);
	free(cwd);
	return out;
}

/* ------------------------------------------------------------------ */
/* Public functions.                                                  */

tk_err
tk_config_defaults(struct tk_config *cfg)
{
	int ok = 1;

	memset(cfg, 0, sizeof(*cfg));
#define DUP(slot, s) do { if (((slot) = strdup(s)) == NULL) ok = 0; } while (0)
	DUP(cfg->environment, "production");
	DUP(cfg->handlers_dir, TK_PKGDATADIR "/handlers");
	DUP(cfg->migrations_dir, TK_PKGDATADIR "/migrations");
	DUP(cfg->run_dir, TK_LOCALSTATEDIR "/run/tasker");

	DUP(cfg->db.host, "localhost");
	cfg->db.port = 3306;
	DUP(cfg->db.user, "tasker");
	DUP(cfg->db.name, "tasker");
	cfg->db.connect_timeout = 3;
	cfg->db.read_timeout = 10;
	cfg->db.write_timeout = 10;
	cfg->db.read_port = 3306;

	cfg->auth.mode = TK_AUTH_JWT;
	if ((cfg->auth.algorithms = calloc(1, sizeof(char *))) == NULL)
		ok = 0;
	else {
		DUP(cfg->auth.algorithms[0], "HS256");
		cfg->auth.nalgorithms = 1;
	}
	cfg->auth.leeway_seconds = 30;
	DUP(cfg->auth.permissions_claim, "permissions");
	DUP(cfg->auth.namespaces_claim, "namespaces");
	DUP(cfg->auth.own_tasks_claim, "own_tasks");
	cfg->auth.max_token_bytes = 8192;
	cfg->auth.token_lifetime_seconds = 3600;
	cfg->auth.open_health = 1;
	cfg->auth.open_docs = 1;
	DUP(cfg->auth.groups_variable, "REMOTE_GROUPS");

	DUP(cfg->api.mount_prefix, "/tasker");
	cfg->api.default_per_page = 25;
	cfg->api.max_per_page = 100;
	cfg->api.max_body_bytes = 1048576;
	cfg->api.idempotency_ttl_seconds = 86400;
	cfg->api.stale_after[TK_ST_PENDING] = 3600;
	cfg->api.stale_after[TK_ST_IN_PROGRESS] = 21600;
	cfg->api.registry_refresh_ms = 1000;

	cfg->worker.processes = 2;
	cfg->worker.poll_min_ms = 20;
	cfg->worker.poll_max_ms = 1000;
	cfg->worker.lease_seconds = 30;
	cfg->worker.backoff_base_seconds = 1;
	cfg->worker.backoff_cap_seconds = 300;
	cfg->worker.step_timeout_seconds = 300;
	cfg->worker.max_output_bytes = 1048576;
	cfg->worker.shutdown_grace_seconds = 30;
	cfg->worker.kill_grace_seconds = 5;
	cfg->worker.heartbeat_seconds = 5;

	cfg->log.level = TK_LOG_INFO;
	cfg->log.format = TK_LOG_LOGFMT;
	cfg->log.destination = TK_LOG_STDERR;
#undef DUP
	if (!ok) {
		tk_config_free(cfg);
		return TK_ERR_NOMEM;
	}
	return TK_OK;
}

/*
 * Parses buf and applies it to cfg.  The reader's problems count towards
 * the walk's cap on messages.
 */
static tk_err
apply(struct cfg_ctx *c, const char *buf, size_t len, struct tk_config *cfg)
{
	json_object *root = NULL;
	size_t n0 = c->diag->n;
	tk_err rc;

	rc = tk_yaml_parse_flags(c->file, buf, len, TK_YAML_RAW | TK_YAML_KEEP,
	    &root, c->diag);
	c->nerr = c->diag->n - n0;
	if (rc == TK_ERR_NOMEM)
		return rc;
	if (root == NULL)
		return TK_ERR_CONFIG;
	if (!json_object_is_type(root, json_type_object))
		cfg_err(c, tk_yaml_line(root) ? tk_yaml_line(root) : 1, NULL,
		    "the top level must be a mapping of settings, not a %s",
		    cfg_kind(root));
	else {
		cfg_walk(c, root, "", 1, cfg_top_fields, cfg);
		if (!c->fatal) {
			cfg_cross_check(c, cfg);
			load_password(c, &cfg->db);
		}
	}
	json_object_put(root);
	return c->fatal ? c->fatal : c->nerr > 0 ? TK_ERR_CONFIG : TK_OK;
}

/*
 * cfg need not be initialised: it is filled with the defaults first (so
 * do not pass a cfg that holds a config: it would leak).  On any error
 * cfg is still valid to free.
 */
tk_err
tk_config_load(const char *path, struct tk_config *cfg, struct tk_diag *diag)
{
	struct cfg_ctx c;
	char *buf = NULL;
	size_t i, len = 0;
	tk_err rc;
	int e;

	if ((rc = tk_config_defaults(cfg)) != TK_OK)
		return rc;
	memset(&c, 0, sizeof(c));
	c.file = path != NULL ? path : "(none)";
	c.diag = diag;
	if (path == NULL || *path == '\0') {
		cfg_err(&c, 0, NULL, "no configuration file given");
		return TK_ERR_CONFIG;
	}
	if ((cfg->path = strdup(path)) == NULL)
		return TK_ERR_NOMEM;
	if ((e = tk_file_read(path, TK_YAML_MAX_BYTES, &buf, &len)) != 0) {
		if (e == ENOMEM)
			return TK_ERR_NOMEM;
		if (e == EFBIG)
			cfg_err(&c, 0, NULL, "larger than %d bytes",
			    TK_YAML_MAX_BYTES);
		else
			cfg_err(&c, 0, NULL, "cannot read: %s",
			    tk_file_strerror(e));
		return TK_ERR_CONFIG;
	}
	if ((c.dir = config_dir(path)) == NULL)
		rc = TK_ERR_NOMEM;
	else
		rc = apply(&c, buf, len, cfg);
	free(buf);
	free(c.dir);
	for (i = 0; i < c.nseen; i++)
		free(c.seen[i].path);
	free(c.seen);
	return rc;
}

void
tk_config_free(struct tk_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->environment);
	free(cfg->handlers_dir);
	free(cfg->migrations_dir);
	free(cfg->run_dir);

	free(cfg->db.host);
	free(cfg->db.socket);
	free(cfg->db.user);
	if (cfg->db.password != NULL) {
		explicit_bzero(cfg->db.password, strlen(cfg->db.password));
		free(cfg->db.password);
	}
	free(cfg->db.password_file);
	free(cfg->db.name);
	free(cfg->db.read_host);
	free(cfg->db.read_socket);

	cfg_free_strv(cfg->auth.algorithms, cfg->auth.nalgorithms);
	cfg_free_keys(cfg->auth.keys, cfg->auth.nkeys);
	free(cfg->auth.issuer);
	free(cfg->auth.audience);
	free(cfg->auth.permissions_claim);
	free(cfg->auth.namespaces_claim);
	free(cfg->auth.own_tasks_claim);
	cfg_free_grants(cfg->auth.users, cfg->auth.nusers);
	cfg_free_grants(cfg->auth.groups, cfg->auth.ngroups);
	free(cfg->auth.groups_variable);

	free(cfg->api.mount_prefix);
	cfg_free_strv(cfg->api.cors_origins, cfg->api.ncors_origins);
	free(cfg->worker.user);
	free(cfg->worker.work_dir);
	cfg_free_webhooks(cfg->webhooks, cfg->nwebhooks);
	cfg_free_retention(&cfg->retention);
	memset(cfg, 0, sizeof(*cfg));
}

int
tk_db_config_read(const struct tk_db_config *db, struct tk_db_config *out)
{
	if (db->read_host == NULL && db->read_socket == NULL)
		return 0;
	*out = *db;
	out->host = db->read_host != NULL ? db->read_host : db->host;
	out->port = db->read_port;
	out->socket = db->read_socket;
	out->read_host = out->read_socket = NULL;
	return 1;
}

const char *
tk_config_find(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL && *explicit_path != '\0')
		return explicit_path;
	if ((env = getenv("TASKER_CONFIG")) != NULL && *env != '\0')
		return env;
	return TK_SYSCONFDIR "/tasker.yaml";
}
