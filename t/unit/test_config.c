/*
 * test_config.c - the tasker.yaml reader: defaults, a full file, the
 * annotated example, and one fixture per kind of mistake, each checked for
 * the file, line, key and message an operator would see.
 *
 * Fixtures live in t/fixtures/config/.  Tests that need TASKER_DB_PASSWORD
 * or TASKER_CONFIG set or unset save the caller's value and restore it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "tasker/buf.h"
#include "tasker/config.h"
#include "tasker/diag.h"
#include "tasker/log.h"
#include "tasker/state.h"

#define FIX(rel) TK_TEST_FIXTURES "/config/" rel

/* --- environment save and restore ---------------------------------- */

struct saved_env {
	const char *name;
	char       *value; /* NULL: was unset */
};

static void
env_save(struct saved_env *s, const char *name)
{
	const char *v = getenv(name);

	s->name = name;
	s->value = v != NULL ? strdup(v) : NULL;
}

static void
env_restore(struct saved_env *s)
{
	if (s->value != NULL)
		setenv(s->name, s->value, 1);
	else
		unsetenv(s->name);
	free(s->value);
	s->value = NULL;
}

/* --- helpers ------------------------------------------------------- */

/* Asserts needle is in some message; prints them all when it is not. */
#define EXPECT_DIAG(d, needle) do {                                     \
	int found_ = tk_diag_has((d), (needle));                        \
	if (!found_) {                                                  \
		fprintf(stderr, "\n  missing: %s\n", (needle));         \
		tk_diag_print((d), stderr, "  have: ");                 \
	}                                                               \
	CU_ASSERT_TRUE(found_);                                         \
} while (0)

/* Loads a fixture that must fail with exactly n messages. */
static void
load_bad(const char *rel, struct tk_config *cfg, struct tk_diag *d, size_t n)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/config/%s", TK_TEST_FIXTURES, rel);
	CU_ASSERT_EQUAL(tk_config_load(path, cfg, d), TK_ERR_CONFIG);
	if (d->n != n) {
		fprintf(stderr, "\n  %s: want %zu messages, have %zu\n", rel,
		    n, d->n);
		tk_diag_print(d, stderr, "  have: ");
	}
	CU_ASSERT_EQUAL(d->n, n);
}

/* Loads a fixture that must be fine; TASKER_DB_PASSWORD is unset. */
static tk_err
load_ok(const char *rel, struct tk_config *cfg, struct tk_diag *d)
{
	char path[PATH_MAX];
	struct saved_env pw;
	tk_err rc;

	env_save(&pw, "TASKER_DB_PASSWORD");
	unsetenv("TASKER_DB_PASSWORD");
	snprintf(path, sizeof(path), "%s/config/%s", TK_TEST_FIXTURES, rel);
	rc = tk_config_load(path, cfg, d);
	if (rc != TK_OK)
		tk_diag_print(d, stderr, "\n  unexpected: ");
	CU_ASSERT_EQUAL(rc, TK_OK);
	CU_ASSERT_EQUAL(d->n, 0);
	env_restore(&pw);
	return rc;
}

/* Writes content to a fresh file in /tmp; path has room for 64. */
static void
write_tmp(char *path, const char *content, size_t len)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/tk-config-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd != -1);
	f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(fwrite(content, 1, len, f), len);
	fclose(f);
}

/* --- defaults, full file, example ---------------------------------- */

static void
test_defaults(void)
{
	struct tk_config cfg;

	CU_ASSERT_EQUAL_FATAL(tk_config_defaults(&cfg), TK_OK);
	CU_ASSERT_PTR_NULL(cfg.path);
	CU_ASSERT_STRING_EQUAL(cfg.environment, "production");
	CU_ASSERT_STRING_EQUAL(cfg.handlers_dir, TK_PKGDATADIR "/handlers");
	CU_ASSERT_STRING_EQUAL(cfg.migrations_dir,
	    TK_PKGDATADIR "/migrations");
	CU_ASSERT_STRING_EQUAL(cfg.run_dir, TK_LOCALSTATEDIR "/run/tasker");

	CU_ASSERT_STRING_EQUAL(cfg.db.host, "localhost");
	CU_ASSERT_EQUAL(cfg.db.port, 3306);
	CU_ASSERT_PTR_NULL(cfg.db.socket);
	CU_ASSERT_STRING_EQUAL(cfg.db.user, "tasker");
	CU_ASSERT_PTR_NULL(cfg.db.password);
	CU_ASSERT_PTR_NULL(cfg.db.password_file);
	CU_ASSERT_STRING_EQUAL(cfg.db.name, "tasker");
	CU_ASSERT_EQUAL(cfg.db.connect_timeout, 3);
	CU_ASSERT_EQUAL(cfg.db.read_timeout, 10);
	CU_ASSERT_EQUAL(cfg.db.write_timeout, 10);
	CU_ASSERT_PTR_NULL(cfg.db.read_host);
	CU_ASSERT_PTR_NULL(cfg.db.read_socket);

	CU_ASSERT_EQUAL(cfg.auth.mode, TK_AUTH_JWT);
	CU_ASSERT_EQUAL_FATAL(cfg.auth.nalgorithms, 1);
	CU_ASSERT_STRING_EQUAL(cfg.auth.algorithms[0], "HS256");
	CU_ASSERT_EQUAL(cfg.auth.nkeys, 0);
	CU_ASSERT_PTR_NULL(cfg.auth.issuer);
	CU_ASSERT_PTR_NULL(cfg.auth.audience);
	CU_ASSERT_EQUAL(cfg.auth.leeway_seconds, 30);
	CU_ASSERT_STRING_EQUAL(cfg.auth.permissions_claim, "permissions");
	CU_ASSERT_EQUAL(cfg.auth.max_token_bytes, 8192);
	CU_ASSERT_EQUAL(cfg.auth.token_lifetime_seconds, 3600);
	CU_ASSERT_EQUAL(cfg.auth.open_health, 1);
	CU_ASSERT_EQUAL(cfg.auth.open_docs, 1);
	CU_ASSERT_EQUAL(cfg.auth.nusers, 0);
	CU_ASSERT_EQUAL(cfg.auth.ngroups, 0);
	CU_ASSERT_STRING_EQUAL(cfg.auth.groups_variable, "REMOTE_GROUPS");

	CU_ASSERT_STRING_EQUAL(cfg.api.mount_prefix, "/tasker");
	CU_ASSERT_EQUAL(cfg.api.default_per_page, 25);
	CU_ASSERT_EQUAL(cfg.api.max_per_page, 100);
	CU_ASSERT_EQUAL(cfg.api.max_body_bytes, 1048576);
	CU_ASSERT_EQUAL(cfg.api.idempotency_ttl_seconds, 86400);
	CU_ASSERT_EQUAL(cfg.api.registry_refresh_ms, 1000);

	CU_ASSERT_EQUAL(cfg.worker.processes, 2);
	CU_ASSERT_EQUAL(cfg.worker.poll_min_ms, 20);
	CU_ASSERT_EQUAL(cfg.worker.poll_max_ms, 1000);
	CU_ASSERT_EQUAL(cfg.worker.lease_seconds, 30);
	CU_ASSERT_EQUAL(cfg.worker.backoff_base_seconds, 1);
	CU_ASSERT_EQUAL(cfg.worker.backoff_cap_seconds, 300);
	CU_ASSERT_EQUAL(cfg.worker.step_timeout_seconds, 300);
	CU_ASSERT_EQUAL(cfg.worker.max_output_bytes, 1048576);
	CU_ASSERT_EQUAL(cfg.worker.shutdown_grace_seconds, 30);
	CU_ASSERT_EQUAL(cfg.worker.kill_grace_seconds, 5);
	CU_ASSERT_EQUAL(cfg.worker.heartbeat_seconds, 5);
	CU_ASSERT_PTR_NULL(cfg.worker.user);
	CU_ASSERT_PTR_NULL(cfg.worker.work_dir);

	CU_ASSERT_EQUAL(cfg.log.level, TK_LOG_INFO);
	CU_ASSERT_EQUAL(cfg.log.format, TK_LOG_LOGFMT);
	CU_ASSERT_EQUAL(cfg.log.destination, TK_LOG_STDERR);
	tk_config_free(&cfg);
	CU_ASSERT_PTR_NULL(cfg.environment);
	tk_config_free(&cfg);	/* a freed config frees again safely */
}

static void
test_full_file(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	const struct tk_auth_key *k;

	if (load_ok("full.yaml", &cfg, &d) != TK_OK)
		goto out;
	CU_ASSERT_STRING_EQUAL(cfg.path, FIX("full.yaml"));
	CU_ASSERT_STRING_EQUAL(cfg.environment, "staging");
	/* Relative paths are taken from the file's folder. */
	CU_ASSERT_STRING_EQUAL(cfg.handlers_dir, FIX("handlers"));
	CU_ASSERT_STRING_EQUAL(cfg.migrations_dir, FIX("../migrations"));
	CU_ASSERT_STRING_EQUAL(cfg.run_dir, "/var/run/tk-test");

	CU_ASSERT_STRING_EQUAL(cfg.db.host, "db.example.org");
	CU_ASSERT_EQUAL(cfg.db.port, 3307);
	CU_ASSERT_STRING_EQUAL(cfg.db.socket, "/run/mysqld/mysqld.sock");
	CU_ASSERT_STRING_EQUAL(cfg.db.user, "svc_tasker");
	CU_ASSERT_STRING_EQUAL(cfg.db.password_file,
	    FIX("secrets/db.password"));
	/* First line only, without its CR LF. */
	CU_ASSERT_STRING_EQUAL(cfg.db.password, "first-line-pw");
	CU_ASSERT_STRING_EQUAL(cfg.db.name, "tasker_test");
	CU_ASSERT_EQUAL(cfg.db.connect_timeout, 5);
	CU_ASSERT_EQUAL(cfg.db.read_timeout, 20);
	CU_ASSERT_EQUAL(cfg.db.write_timeout, 30);

	CU_ASSERT_EQUAL(cfg.auth.mode, TK_AUTH_JWT);
	CU_ASSERT_EQUAL_FATAL(cfg.auth.nalgorithms, 3);
	CU_ASSERT_STRING_EQUAL(cfg.auth.algorithms[0], "HS512");
	CU_ASSERT_STRING_EQUAL(cfg.auth.algorithms[1], "RS256");
	CU_ASSERT_STRING_EQUAL(cfg.auth.algorithms[2], "ES384");
	CU_ASSERT_EQUAL_FATAL(cfg.auth.nkeys, 2);
	k = &cfg.auth.keys[0];
	CU_ASSERT_STRING_EQUAL(k->kid, "old");
	CU_ASSERT_STRING_EQUAL(k->algorithm, "RS256");
	CU_ASSERT_STRING_EQUAL(k->key_file, FIX("keys/old.pub.pem"));
	CU_ASSERT_PTR_NULL(k->signing_key_file);
	k = &cfg.auth.keys[1];
	CU_ASSERT_STRING_EQUAL(k->kid, "new");
	CU_ASSERT_STRING_EQUAL(k->algorithm, "HS512");
	CU_ASSERT_STRING_EQUAL(k->key_file, "/etc/tasker/new.secret");
	CU_ASSERT_STRING_EQUAL(k->signing_key_file, FIX("secrets/jwt.secret"));
	CU_ASSERT_STRING_EQUAL(cfg.auth.issuer, "https://issuer.example.org");
	CU_ASSERT_STRING_EQUAL(cfg.auth.audience, "tasker-api");
	CU_ASSERT_EQUAL(cfg.auth.leeway_seconds, 0);
	CU_ASSERT_STRING_EQUAL(cfg.auth.permissions_claim, "scope");
	CU_ASSERT_EQUAL(cfg.auth.max_token_bytes, 4096);
	CU_ASSERT_EQUAL(cfg.auth.token_lifetime_seconds, 600);
	CU_ASSERT_EQUAL(cfg.auth.open_health, 0);
	CU_ASSERT_EQUAL(cfg.auth.open_docs, 0);
	CU_ASSERT_STRING_EQUAL(cfg.auth.groups_variable, "AUTHZ_GROUPS");
	CU_ASSERT_EQUAL_FATAL(cfg.auth.nusers, 2);
	CU_ASSERT_STRING_EQUAL(cfg.auth.users[0].name, "alice");
	CU_ASSERT_EQUAL_FATAL(cfg.auth.users[0].nperms, 2);
	CU_ASSERT_STRING_EQUAL(cfg.auth.users[0].perms[0],
	    "tasker.handler:index");
	CU_ASSERT_STRING_EQUAL(cfg.auth.users[0].perms[1], "tasker.task:*");
	CU_ASSERT_STRING_EQUAL(cfg.auth.users[1].name, "bob");
	CU_ASSERT_EQUAL(cfg.auth.users[1].nperms, 0);
	CU_ASSERT_EQUAL_FATAL(cfg.auth.ngroups, 1);
	CU_ASSERT_STRING_EQUAL(cfg.auth.groups[0].name, "ops");
	CU_ASSERT_EQUAL_FATAL(cfg.auth.groups[0].nperms, 1);
	CU_ASSERT_STRING_EQUAL(cfg.auth.groups[0].perms[0], "*");

	CU_ASSERT_STRING_EQUAL(cfg.api.mount_prefix, "/api/v1");
	CU_ASSERT_EQUAL(cfg.api.default_per_page, 10);
	CU_ASSERT_EQUAL(cfg.api.max_per_page, 500);
	CU_ASSERT_EQUAL(cfg.api.max_body_bytes, 65536);
	CU_ASSERT_EQUAL(cfg.api.idempotency_ttl_seconds, 3600);
	CU_ASSERT_EQUAL(cfg.api.registry_refresh_ms, 0);

	CU_ASSERT_EQUAL(cfg.worker.processes, 8);
	CU_ASSERT_EQUAL(cfg.worker.poll_min_ms, 5);
	CU_ASSERT_EQUAL(cfg.worker.poll_max_ms, 2000);
	CU_ASSERT_EQUAL(cfg.worker.lease_seconds, 60);
	CU_ASSERT_EQUAL(cfg.worker.backoff_base_seconds, 2);
	CU_ASSERT_EQUAL(cfg.worker.backoff_cap_seconds, 600);
	CU_ASSERT_EQUAL(cfg.worker.step_timeout_seconds, 120);
	CU_ASSERT_EQUAL(cfg.worker.max_output_bytes, 2048);
	CU_ASSERT_EQUAL(cfg.worker.shutdown_grace_seconds, 0);
	CU_ASSERT_EQUAL(cfg.worker.heartbeat_seconds, 10);
	CU_ASSERT_STRING_EQUAL(cfg.worker.user, "nobody");
	CU_ASSERT_STRING_EQUAL(cfg.worker.work_dir, FIX("work"));

	CU_ASSERT_EQUAL(cfg.log.level, TK_LOG_DEBUG);
	CU_ASSERT_EQUAL(cfg.log.format, TK_LOG_JSON);
	CU_ASSERT_EQUAL(cfg.log.destination, TK_LOG_SYSLOG);
out:
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* The shipped, annotated example must load as it is. */
static void
test_example(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	struct saved_env pw;
	tk_err rc;

	env_save(&pw, "TASKER_DB_PASSWORD");
	setenv("TASKER_DB_PASSWORD", "example-pw", 1);
	rc = tk_config_load(TK_TEST_TOPSRC "/etc/tasker.yaml", &cfg, &d);
	if (rc != TK_OK)
		tk_diag_print(&d, stderr, "\n  etc/tasker.yaml: ");
	CU_ASSERT_EQUAL(rc, TK_OK);
	CU_ASSERT_EQUAL(d.n, 0);
	CU_ASSERT_EQUAL(cfg.auth.mode, TK_AUTH_JWT);
	CU_ASSERT_EQUAL_FATAL(cfg.auth.nkeys, 1);
	CU_ASSERT_STRING_EQUAL(cfg.auth.keys[0].algorithm, "HS256");
	CU_ASSERT_STRING_EQUAL(cfg.auth.keys[0].key_file,
	    TK_TEST_TOPSRC "/etc/secrets/jwt.secret");
	CU_ASSERT_STRING_EQUAL(cfg.db.password, "example-pw");
	CU_ASSERT_STRING_EQUAL(cfg.environment, "production");
	/* The folders are left to the prefix: the compiled-in defaults. */
	CU_ASSERT_STRING_EQUAL(cfg.handlers_dir, TK_PKGDATADIR "/handlers");
	CU_ASSERT_STRING_EQUAL(cfg.migrations_dir, TK_PKGDATADIR "/migrations");
	/* A user as a list, and one as a mapping with a scope. */
	CU_ASSERT_STRING_EQUAL(cfg.auth.namespaces_claim, "namespaces");
	CU_ASSERT_STRING_EQUAL(cfg.auth.own_tasks_claim, "own_tasks");
	CU_ASSERT_EQUAL_FATAL(cfg.auth.nusers, 2);
	CU_ASSERT_FALSE(cfg.auth.users[0].ns_limited);
	CU_ASSERT_FALSE(cfg.auth.users[0].own_tasks);
	CU_ASSERT_STRING_EQUAL(cfg.auth.users[1].name, "carol");
	CU_ASSERT_EQUAL(cfg.auth.users[1].nperms, 2);
	CU_ASSERT_TRUE(cfg.auth.users[1].ns_limited);
	CU_ASSERT_EQUAL_FATAL(cfg.auth.users[1].nnamespaces, 1);
	CU_ASSERT_STRING_EQUAL(cfg.auth.users[1].namespaces[0], "payments");
	CU_ASSERT_TRUE(cfg.auth.users[1].own_tasks);
	tk_config_free(&cfg);
	tk_diag_free(&d);
	env_restore(&pw);
}

/* A relative config path still gives absolute paths inside it. */
static void
test_relative_config_path(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	struct saved_env pw;
	char cwd[PATH_MAX];

	CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL);
	CU_ASSERT_FATAL(chdir(TK_TEST_FIXTURES) == 0);
	env_save(&pw, "TASKER_DB_PASSWORD");
	setenv("TASKER_DB_PASSWORD", "x", 1);
	CU_ASSERT_EQUAL(tk_config_load("config/full.yaml", &cfg, &d), TK_OK);
	env_restore(&pw);
	CU_ASSERT_FATAL(chdir(cwd) == 0);
	CU_ASSERT_STRING_EQUAL(cfg.path, "config/full.yaml");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg.handlers_dir);
	CU_ASSERT_EQUAL(cfg.handlers_dir[0], '/');
	CU_ASSERT_PTR_NOT_NULL(strstr(cfg.handlers_dir, "/config/handlers"));
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_find(void)
{
	struct saved_env conf;

	env_save(&conf, "TASKER_CONFIG");
	setenv("TASKER_CONFIG", "/from/env.yaml", 1);
	CU_ASSERT_STRING_EQUAL(tk_config_find("/explicit.yaml"),
	    "/explicit.yaml");
	CU_ASSERT_STRING_EQUAL(tk_config_find(NULL), "/from/env.yaml");
	CU_ASSERT_STRING_EQUAL(tk_config_find(""), "/from/env.yaml");
	unsetenv("TASKER_CONFIG");
	CU_ASSERT_STRING_EQUAL(tk_config_find(NULL),
	    TK_SYSCONFDIR "/tasker.yaml");
	setenv("TASKER_CONFIG", "", 1);
	CU_ASSERT_STRING_EQUAL(tk_config_find(NULL),
	    TK_SYSCONFDIR "/tasker.yaml");
	env_restore(&conf);
}

/* --- values --------------------------------------------------------- */

static void
test_bools(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	if (load_ok("bools.yaml", &cfg, &d) == TK_OK) {
		CU_ASSERT_EQUAL(cfg.auth.open_health, 0);
		CU_ASSERT_EQUAL(cfg.auth.open_docs, 1);
	}
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("bad_bool.yaml", &cfg, &d, 2);
	EXPECT_DIAG(&d, "bad_bool.yaml:3: auth.open_health: must be true or "
	    "false (got maybe)");
	EXPECT_DIAG(&d, "bad_bool.yaml:4: auth.open_docs: must be true or "
	    "false, not a quoted string");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_nulls(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	if (load_ok("nulls.yaml", &cfg, &d) == TK_OK) {
		CU_ASSERT_PTR_NULL(cfg.auth.issuer);
		CU_ASSERT_PTR_NULL(cfg.auth.audience);
		CU_ASSERT_PTR_NULL(cfg.db.socket);
		CU_ASSERT_PTR_NULL(cfg.db.password_file);
		CU_ASSERT_PTR_NULL(cfg.db.password);
		CU_ASSERT_EQUAL(cfg.worker.processes, 2);
		CU_ASSERT_EQUAL(cfg.api.max_per_page, 100);
	}
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("empty_string.yaml", &cfg, &d, 3);
	EXPECT_DIAG(&d, "empty_string.yaml:3: auth.issuer: must not be empty");
	EXPECT_DIAG(&d, "empty_string.yaml:4: environment: must not be empty");
	EXPECT_DIAG(&d, "empty_string.yaml:6: database.host: needs a value");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_remote_user(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	if (load_ok("remote_user.yaml", &cfg, &d) == TK_OK) {
		CU_ASSERT_EQUAL(cfg.auth.mode, TK_AUTH_REMOTE_USER);
		CU_ASSERT_EQUAL_FATAL(cfg.auth.nusers, 2);
		CU_ASSERT_STRING_EQUAL(cfg.auth.users[0].name, "alice");
		CU_ASSERT_EQUAL_FATAL(cfg.auth.users[0].nperms, 2);
		CU_ASSERT_STRING_EQUAL(cfg.auth.users[0].perms[1],
		    "tasker.task:show");
		CU_ASSERT_STRING_EQUAL(cfg.auth.users[1].name, "bob");
		CU_ASSERT_EQUAL(cfg.auth.users[1].nperms, 0);
		CU_ASSERT_EQUAL_FATAL(cfg.auth.ngroups, 1);
		CU_ASSERT_STRING_EQUAL(cfg.auth.groups[0].perms[0], "*");
		/* jwt needs keys; remote_user does not. */
		CU_ASSERT_EQUAL(cfg.auth.nkeys, 0);
	}
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("remote_user_empty.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "remote_user_empty.yaml:5: auth.remote_user: "
	    "remote_user mode needs at least one entry");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* A grant's scope: namespace names, known keys, a boolean. */
	load_bad("remote_user_scope_bad.yaml", &cfg, &d, 4);
	EXPECT_DIAG(&d, "auth.remote_user.users.alice.namespaces[0]: must be "
	    "a namespace name");
	EXPECT_DIAG(&d, "auth.remote_user.users.bob.region: unknown key");
	EXPECT_DIAG(&d, "auth.remote_user.users.carol.namespaces: must be a "
	    "list");
	EXPECT_DIAG(&d, "auth.remote_user.users.carol.own_tasks: must be "
	    "true or false");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* A request header is not a place the server vouches for groups. */
	load_bad("remote_user_http_groups.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "remote_user_http_groups.yaml:4: "
	    "auth.remote_user.groups_variable: must not be an HTTP_* parameter");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* Runs one mount_prefix through a temporary file. */
static tk_err
try_prefix(const char *yaml_value, struct tk_config *cfg, struct tk_diag *d)
{
	char path[64], text[256];
	int n;
	tk_err rc;

	n = snprintf(text, sizeof(text), "auth: {mode: none}\n"
	    "api:\n  mount_prefix: %s\n", yaml_value);
	write_tmp(path, text, (size_t)n);
	rc = tk_config_load(path, cfg, d);
	unlink(path);
	return rc;
}

/* api.cors.allowed_origins: off by default, exact origins, no "*". */
static void
test_cors_origins(void)
{
	static const char good[] = "auth: {mode: none}\napi:\n  cors:\n"
	    "    allowed_origins: [\"https://app.example.com\", "
	    "\"http://localhost:8080\"]\n";
	static const char bad[] = "auth: {mode: none}\napi:\n  cors:\n"
	    "    allowed_origins:\n      - \"*\"\n"
	    "      - https://app.example.com/\n      - https://ok.example\n";
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	char path[64];

	CU_ASSERT_EQUAL(tk_config_defaults(&cfg), TK_OK);
	CU_ASSERT_EQUAL(cfg.api.ncors_origins, 0);
	tk_config_free(&cfg);

	write_tmp(path, good, sizeof(good) - 1);
	CU_ASSERT_EQUAL(tk_config_load(path, &cfg, &d), TK_OK);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(cfg.api.ncors_origins, 2);
	CU_ASSERT_STRING_EQUAL(cfg.api.cors_origins[0],
	    "https://app.example.com");
	CU_ASSERT_STRING_EQUAL(cfg.api.cors_origins[1],
	    "http://localhost:8080");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	write_tmp(path, bad, sizeof(bad) - 1);
	CU_ASSERT_EQUAL(tk_config_load(path, &cfg, &d), TK_ERR_CONFIG);
	unlink(path);
	CU_ASSERT_EQUAL(d.n, 2);
	EXPECT_DIAG(&d, ":5: api.cors.allowed_origins[0]: must name one "
	    "origin: \"*\" is not allowed");
	EXPECT_DIAG(&d, ":6: api.cors.allowed_origins[1]: must be an origin");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* api.stale_after: per status, 0 is never, out of range is refused. */
static void
test_stale_after(void)
{
	static const char good[] = "auth: {mode: none}\napi:\n  stale_after:\n"
	    "    pending_seconds: 0\n    in_progress_seconds: 60\n"
	    "    error_seconds: 86400\n";
	static const char bad[] = "auth: {mode: none}\napi:\n  stale_after:\n"
	    "    pending_seconds: -1\n    complete_seconds: 5\n";
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	char path[64];

	CU_ASSERT_EQUAL(tk_config_defaults(&cfg), TK_OK);
	CU_ASSERT_EQUAL(cfg.api.stale_after[TK_ST_PENDING], 3600);
	CU_ASSERT_EQUAL(cfg.api.stale_after[TK_ST_IN_PROGRESS], 21600);
	CU_ASSERT_EQUAL(cfg.api.stale_after[TK_ST_ERROR], 0);
	tk_config_free(&cfg);

	write_tmp(path, good, sizeof(good) - 1);
	CU_ASSERT_EQUAL(tk_config_load(path, &cfg, &d), TK_OK);
	unlink(path);
	CU_ASSERT_EQUAL(cfg.api.stale_after[TK_ST_PENDING], 0);
	CU_ASSERT_EQUAL(cfg.api.stale_after[TK_ST_IN_PROGRESS], 60);
	CU_ASSERT_EQUAL(cfg.api.stale_after[TK_ST_ERROR], 86400);
	tk_config_free(&cfg);
	tk_diag_free(&d);

	write_tmp(path, bad, sizeof(bad) - 1);
	CU_ASSERT_EQUAL(tk_config_load(path, &cfg, &d), TK_ERR_CONFIG);
	unlink(path);
	CU_ASSERT_EQUAL(d.n, 2);
	EXPECT_DIAG(&d, ":4: api.stale_after.pending_seconds: must be an "
	    "integer between 0 and 31536000");
	EXPECT_DIAG(&d, ":5: api.stale_after.complete_seconds: unknown key");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_mount_prefix(void)
{
	static const struct {
		const char *yaml;
		const char *want;   /* value, or NULL: refused */
		const char *why;
	} cases[] = {
		{ "/tasker", "/tasker", NULL },
		{ "/a/b-c_d.e~f", "/a/b-c_d.e~f", NULL },
		{ "\"\"", "", NULL },
		{ "/", NULL, "write \"\" to mount at the root" },
		{ "tasker", NULL, "must start with '/'" },
		{ "/tasker/", NULL, "must not end with '/'" },
		{ "/a//b", NULL, "must not contain \"//\"" },
		{ "/a/../b", NULL, "\"..\" segments" },
		{ "/a/.", NULL, "\"..\" segments" },
		{ "/a b", NULL, "may hold only" },
		{ "/a?x=1", NULL, "may hold only" },
		{ "/1/2/3/4/5/6/7/8", "/1/2/3/4/5/6/7/8", NULL },
		{ "/1/2/3/4/5/6/7/8/9", NULL, "has more than 8 segments" },
	};
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tk_err rc = try_prefix(cases[i].yaml, &cfg, &d);

		if (cases[i].want != NULL) {
			CU_ASSERT_EQUAL(rc, TK_OK);
			CU_ASSERT_STRING_EQUAL(cfg.api.mount_prefix,
			    cases[i].want);
		} else {
			CU_ASSERT_EQUAL(rc, TK_ERR_CONFIG);
			CU_ASSERT_EQUAL(d.n, 1);
			EXPECT_DIAG(&d, ":3: api.mount_prefix: ");
			EXPECT_DIAG(&d, cases[i].why);
		}
		tk_config_free(&cfg);
		tk_diag_free(&d);
	}
}

/* --- bad files ------------------------------------------------------ */

static void
test_unknown_keys(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("unknown_top.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "unknown_top.yaml:3: colour: unknown key (known: "
	    "environment, handlers_dir,");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("unknown_nested.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "unknown_nested.yaml:5: worker.proceses: unknown key "
	    "(known: processes,");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_wrong_type(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("wrong_type.yaml", &cfg, &d, 4);
	EXPECT_DIAG(&d, "wrong_type.yaml:4: database.port: must be an integer "
	    "between 1 and 65535 (got localhost)");
	EXPECT_DIAG(&d, "wrong_type.yaml:5: database.host: must be a string, "
	    "not a list");
	EXPECT_DIAG(&d, "wrong_type.yaml:6: api: must be a mapping, not a "
	    "string");
	EXPECT_DIAG(&d, "wrong_type.yaml:8: logging.level: must be a string, "
	    "not a mapping");
	/* A refused value leaves the default in place. */
	CU_ASSERT_EQUAL(cfg.db.port, 3306);
	CU_ASSERT_STRING_EQUAL(cfg.db.host, "localhost");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_out_of_range(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("out_of_range.yaml", &cfg, &d, 3);
	EXPECT_DIAG(&d, "out_of_range.yaml:4: api.max_per_page: must be an "
	    "integer between 1 and 1000 (got 5000)");
	EXPECT_DIAG(&d, "out_of_range.yaml:6: worker.processes: must be an "
	    "integer between 1 and 256 (got 0)");
	EXPECT_DIAG(&d, "out_of_range.yaml:7: worker.lease_seconds: must be "
	    "an integer between 5 and 3600 (got 3601)");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_bad_enum(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("bad_enum.yaml", &cfg, &d, 4);
	EXPECT_DIAG(&d, "bad_enum.yaml:2: auth.mode: must be one of jwt, "
	    "remote_user, none (got ldap)");
	EXPECT_DIAG(&d, "bad_enum.yaml:3: auth.algorithms[1]: must be one of "
	    "HS256,");
	EXPECT_DIAG(&d, "bad_enum.yaml:7: logging.format: must be one of "
	    "logfmt, json (got xml)");
	EXPECT_DIAG(&d, "bad_enum.yaml:8: logging.destination: must be one of "
	    "stderr, syslog (got file)");
	/* "none" is never kept as an algorithm. */
	CU_ASSERT_EQUAL(cfg.auth.nalgorithms, 1);
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_bad_numbers(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("negative.yaml", &cfg, &d, 2);
	EXPECT_DIAG(&d, "negative.yaml:4: database.port: must be an integer "
	    "between 1 and 65535 (got -3306)");
	EXPECT_DIAG(&d, "negative.yaml:5: database.connect_timeout: must be "
	    "an integer between 1 and 60 (got -0)");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* 4294967297 would wrap to 1 in an unsigned: it must not. */
	load_bad("overflow.yaml", &cfg, &d, 3);
	EXPECT_DIAG(&d, "overflow.yaml:4: database.port: must be an integer "
	    "between 1 and 65535 (got 4294967297)");
	EXPECT_DIAG(&d, "overflow.yaml:6: api.max_body_bytes: must be an "
	    "integer between 1024 and 67108864 (got 18446744073709551616)");
	EXPECT_DIAG(&d, "overflow.yaml:8: worker.max_output_bytes: must be an "
	    "integer between 1024 and 67108864 (got 9999999999");
	CU_ASSERT_EQUAL(cfg.db.port, 3306);
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("not_integer.yaml", &cfg, &d, 5);
	EXPECT_DIAG(&d, "not_integer.yaml:4: database.port: must be an integer "
	    "between 1 and 65535 (got 0x10)");
	EXPECT_DIAG(&d, "not_integer.yaml:5: database.read_timeout: must be an "
	    "integer between 1 and 3600 without leading zeros (got 010)");
	EXPECT_DIAG(&d, "not_integer.yaml:6: database.write_timeout: must be "
	    "an integer between 1 and 3600, not a quoted string");
	EXPECT_DIAG(&d, "not_integer.yaml:8: worker.lease_seconds: must be an "
	    "integer between 5 and 3600 (got 1.5)");
	EXPECT_DIAG(&d, "not_integer.yaml:9: worker.poll_min_ms: must be an "
	    "integer between 1 and 60000 (got 1e3)");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_duplicate_keys(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("duplicate.yaml", &cfg, &d, 2);
	EXPECT_DIAG(&d, "duplicate.yaml:6: database.port: duplicate key "
	    "'port' (first at line 4)");
	EXPECT_DIAG(&d, "duplicate.yaml:7: auth: duplicate key 'auth' (first "
	    "at line 1)");
	/* The first occurrence is the one applied. */
	CU_ASSERT_EQUAL(cfg.db.port, 3306);
	CU_ASSERT_EQUAL(cfg.auth.mode, TK_AUTH_NONE);
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_yaml_problems(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("syntax.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "syntax.yaml:5: YAML syntax error: mapping values are "
	    "not allowed");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("not_mapping.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "not_mapping.yaml:1: the top level must be a mapping "
	    "of settings, not a list");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("empty.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "empty.yaml:1: the file holds no YAML document");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* The anchor is refused too; the aliased value is left out. */
	load_bad("alias.yaml", &cfg, &d, 2);
	EXPECT_DIAG(&d, "alias.yaml:4: worker.lease_seconds: anchors (&l) "
	    "and aliases are not allowed");
	EXPECT_DIAG(&d, "alias.yaml:5: worker.heartbeat_seconds: aliases");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("two_docs.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "two_docs.yaml:2: more than one YAML document");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("deep.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "deep.yaml:2: environment[0][0]");
	EXPECT_DIAG(&d, ": nested deeper than 31 levels");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("tags.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "tags.yaml:4: run_dir: tag '!custom' is not allowed");
	/* !!str is fine and makes a string. */
	CU_ASSERT_STRING_EQUAL(cfg.environment, "12345");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("control.yaml", &cfg, &d, 2);
	EXPECT_DIAG(&d, "control.yaml:3: environment: must not contain "
	    "control characters");
	EXPECT_DIAG(&d, "control.yaml:5: database.name: NUL character in a "
	    "scalar");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* Loads text through a temporary file. */
static tk_err
load_text(const char *text, size_t len, struct tk_config *cfg,
    struct tk_diag *d)
{
	char path[64];
	tk_err rc;

	write_tmp(path, text, len);
	rc = tk_config_load(path, cfg, d);
	unlink(path);
	return rc;
}

/* Bytes the YAML reader refuses are reported at their own line. */
static void
test_reader_line(void)
{
	static const char text[] = "auth: {mode: none}\n"
	    "environment: dev\n"
	    "run_dir: /x\001y\n";
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	CU_ASSERT_EQUAL(load_text(text, sizeof(text) - 1, &cfg, &d),
	    TK_ERR_CONFIG);
	CU_ASSERT_EQUAL(d.n, 1);
	EXPECT_DIAG(&d, ":3: YAML syntax error: control characters are not "
	    "allowed");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/*
 * An empty users: or groups: of remote_user ("groups:" with nothing under
 * it) means no grants, not a crash (a fuzz finding: json-c asserted on the
 * null mapping).
 */
static void
test_empty_grants(void)
{
	static const char text[] = "auth:\n"
	    "  mode: remote_user\n"
	    "  remote_user:\n"
	    "    users:\n"
	    "      alice: [tasker.handler:index]\n"
	    "    groups:\n";
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	tk_err rc;

	rc = load_text(text, sizeof(text) - 1, &cfg, &d);
	CU_ASSERT(rc == TK_OK || rc == TK_ERR_CONFIG);
	if (rc == TK_OK)
		CU_ASSERT_EQUAL(cfg.auth.ngroups, 0);
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* A standard tag checks the value; the field's own rules still apply. */
static void
test_standard_tags(void)
{
	static const char text[] = "auth: {mode: none}\n"
	    "database: {port: !!int 3307, host: !!str 10}\n"
	    "api: {max_per_page: !!int 0x10}\n"
	    "worker: {processes: !!bool yes}\n";
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	CU_ASSERT_EQUAL(load_text(text, sizeof(text) - 1, &cfg, &d),
	    TK_ERR_CONFIG);
	CU_ASSERT_EQUAL(d.n, 2);
	CU_ASSERT_EQUAL(cfg.db.port, 3307);
	CU_ASSERT_STRING_EQUAL(cfg.db.host, "10");
	EXPECT_DIAG(&d, ":3: api.max_per_page: must be an integer between 1 "
	    "and 1000 (got 0x10)");
	EXPECT_DIAG(&d, ":4: worker.processes: 'yes' is not a valid !!bool");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_file_problems(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	char path[64], *big;
	size_t n = 1024 * 1024 + 1;

	CU_ASSERT_EQUAL(tk_config_load(FIX("no-such-file.yaml"), &cfg, &d),
	    TK_ERR_CONFIG);
	CU_ASSERT_EQUAL(d.n, 1);
	EXPECT_DIAG(&d, "no-such-file.yaml: cannot read: No such file or "
	    "directory");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	CU_ASSERT_EQUAL(tk_config_load(TK_TEST_FIXTURES "/config", &cfg, &d),
	    TK_ERR_CONFIG);
	EXPECT_DIAG(&d, "/config: cannot read: not a regular file");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* Larger than 1 MiB: refused before parsing. */
	big = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, '#', n);
	write_tmp(path, big, n);
	free(big);
	CU_ASSERT_EQUAL(tk_config_load(path, &cfg, &d), TK_ERR_CONFIG);
	unlink(path);
	EXPECT_DIAG(&d, ": larger than 1048576 bytes");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	CU_ASSERT_EQUAL(tk_config_load(NULL, &cfg, &d), TK_ERR_CONFIG);
	EXPECT_DIAG(&d, "no configuration file given");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_cross_fields(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("cross.yaml", &cfg, &d, 4);
	EXPECT_DIAG(&d, "cross.yaml:4: api.default_per_page: 50 is more than "
	    "api.max_per_page (20)");
	EXPECT_DIAG(&d, "cross.yaml:8: worker.poll_min_ms: 500 is more than "
	    "worker.poll_max_ms (100)");
	EXPECT_DIAG(&d, "cross.yaml:9: worker.backoff_base_seconds: 60 is "
	    "more than worker.backoff_cap_seconds (30)");
	EXPECT_DIAG(&d, "cross.yaml:12: worker.heartbeat_seconds: 30 must be "
	    "less than worker.lease_seconds (30)");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* database.read: a second connection's address, the rest shared; absent
 * (every other fixture), there is none. */
static void
test_db_read(void)
{
	struct tk_config cfg;
	struct tk_db_config r;
	struct tk_diag d = TK_DIAG_INIT;

	if (load_ok("db_read.yaml", &cfg, &d) == TK_OK) {
		CU_ASSERT_EQUAL_FATAL(tk_db_config_read(&cfg.db, &r), 1);
		CU_ASSERT_STRING_EQUAL(r.host, "127.0.0.1");
		CU_ASSERT_EQUAL(r.port, 3307);
		CU_ASSERT_PTR_NULL(r.socket);
		CU_ASSERT_STRING_EQUAL(r.user, "svc");
		CU_ASSERT_EQUAL(r.read_timeout, cfg.db.read_timeout);
		CU_ASSERT_EQUAL(cfg.db.port, 3306);
	}
	tk_config_free(&cfg);
	tk_diag_free(&d);
	CU_ASSERT_EQUAL_FATAL(tk_config_defaults(&cfg), TK_OK);
	CU_ASSERT_EQUAL(tk_db_config_read(&cfg.db, &r), 0);
	tk_config_free(&cfg);
	load_bad("db_read_bad.yaml", &cfg, &d, 2);
	EXPECT_DIAG(&d, "db_read_bad.yaml:6: database.read.sockett: unknown");
	EXPECT_DIAG(&d, "db_read_bad.yaml:4: database.read: needs a host or "
	    "a socket");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* A lease must hold across a heartbeat, a renewal and the kill margin. */
static void
test_lease_too_short(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("lease_short.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "lease_short.yaml:4: worker.lease_seconds: 6 is too "
	    "short: a lease must last worker.heartbeat_seconds (3) plus 1500 "
	    "ms for a renewal plus the 2000 ms before expiry at which a "
	    "handler is killed");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

static void
test_jwt_keys(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("jwt_keys.yaml", &cfg, &d, 5);
	EXPECT_DIAG(&d, "jwt_keys.yaml:6: auth.keys[0].algorithm: HS512 is not "
	    "in auth.algorithms");
	EXPECT_DIAG(&d, "jwt_keys.yaml:8: auth.keys[1].kid: kid is already "
	    "used by auth.keys[0]");
	EXPECT_DIAG(&d, "jwt_keys.yaml:11: auth.keys[2]: needs a key_file");
	EXPECT_DIAG(&d, "jwt_keys.yaml:15: auth.keys[4]: only one key may have "
	    "no kid");
	EXPECT_DIAG(&d, "jwt_keys.yaml:17: auth.keys[5]: needs an algorithm");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("jwt_empty.yaml", &cfg, &d, 2);
	EXPECT_DIAG(&d, "jwt_empty.yaml:1: auth.algorithms: jwt mode needs at "
	    "least one algorithm");
	EXPECT_DIAG(&d, "jwt_empty.yaml:1: auth.keys: jwt mode needs at least "
	    "one key");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* --- the database password ------------------------------------------ */

static void
test_password(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	struct saved_env pw;
	size_t i;

	env_save(&pw, "TASKER_DB_PASSWORD");

	/* From the file: first line only. */
	unsetenv("TASKER_DB_PASSWORD");
	CU_ASSERT_EQUAL(tk_config_load(FIX("password_file.yaml"), &cfg, &d),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(cfg.db.password, "first-line-pw");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* The environment wins over the file. */
	setenv("TASKER_DB_PASSWORD", "from-env", 1);
	CU_ASSERT_EQUAL(tk_config_load(FIX("password_file.yaml"), &cfg, &d),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(cfg.db.password, "from-env");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* ... and then a missing file does not matter. */
	CU_ASSERT_EQUAL(tk_config_load(FIX("password_missing.yaml"), &cfg,
	    &d), TK_OK);
	CU_ASSERT_STRING_EQUAL(cfg.db.password, "from-env");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* Set but empty counts as unset. */
	setenv("TASKER_DB_PASSWORD", "", 1);
	CU_ASSERT_EQUAL(tk_config_load(FIX("password_file.yaml"), &cfg, &d),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(cfg.db.password, "first-line-pw");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	unsetenv("TASKER_DB_PASSWORD");
	load_bad("password_missing.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "password_missing.yaml:4: database.password_file: "
	    "cannot read " TK_TEST_FIXTURES "/config/secrets/nope: No such "
	    "file or directory");
	CU_ASSERT_PTR_NULL(cfg.db.password);
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("password_empty.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "password_empty.yaml:4: database.password_file: ");
	EXPECT_DIAG(&d, "the first line is empty");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	load_bad("password_dir.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "password_dir.yaml:4: database.password_file: cannot "
	    "read");
	EXPECT_DIAG(&d, "not a regular file");
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* A password in the file is refused and never echoed. */
	load_bad("password_in_file.yaml", &cfg, &d, 2);
	EXPECT_DIAG(&d, "password_in_file.yaml:4: database.password: not "
	    "allowed");
	EXPECT_DIAG(&d, "use database.password_file or $TASKER_DB_PASSWORD");
	EXPECT_DIAG(&d, "password_in_file.yaml:5: database.port:");
	CU_ASSERT_FALSE(tk_diag_has(&d, "s3cr3t"));
	CU_ASSERT_PTR_NULL(cfg.db.password);
	tk_config_free(&cfg);
	tk_diag_free(&d);

	/* The password read from a file is never in a message either. */
	load_bad("password_and_error.yaml", &cfg, &d, 1);
	EXPECT_DIAG(&d, "password_and_error.yaml:5: database.port:");
	CU_ASSERT_STRING_EQUAL(cfg.db.password, "first-line-pw");
	for (i = 0; i < d.n; i++)
		CU_ASSERT_PTR_NULL(strstr(d.msg[i], "first-line-pw"));
	tk_config_free(&cfg);
	tk_diag_free(&d);

	env_restore(&pw);
}

/* Several problems in one file: each reported once, with its line. */
static void
test_many_problems(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	struct saved_env pw;

	env_save(&pw, "TASKER_DB_PASSWORD");
	unsetenv("TASKER_DB_PASSWORD");
	load_bad("multi.yaml", &cfg, &d, 9);
	EXPECT_DIAG(&d, "multi.yaml:2: databse: unknown key");
	EXPECT_DIAG(&d, "multi.yaml:5: database.port: must be an integer "
	    "between 1 and 65535 (got seventy)");
	EXPECT_DIAG(&d, "multi.yaml:6: database.port: duplicate key 'port' "
	    "(first at line 5)");
	EXPECT_DIAG(&d, "multi.yaml:9: auth.leeway_seconds: must be an "
	    "integer between 0 and 600 (got 601)");
	EXPECT_DIAG(&d, "multi.yaml:11: api.mount_prefix: must start with "
	    "'/'");
	EXPECT_DIAG(&d, "multi.yaml:12: api.default_per_page: 200 is more "
	    "than api.max_per_page (100)");
	EXPECT_DIAG(&d, "multi.yaml:14: worker.processes: must be an integer "
	    "between 1 and 256 (got 2.0)");
	EXPECT_DIAG(&d, "multi.yaml:15: worker.user: must be a string, not a "
	    "list");
	EXPECT_DIAG(&d, "multi.yaml:17: logging.level: must be one of debug, "
	    "info, warn, error (got verbose)");
	tk_config_free(&cfg);
	tk_diag_free(&d);
	env_restore(&pw);
}

/* Hostile keys and values are cut short and never echo control bytes. */
static void
test_hostile_echo(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	char path[64], text[1024];
	size_t i;
	int n;

	n = snprintf(text, sizeof(text), "auth: {mode: none}\n"
	    "\"evil\\e[31mkey\": 1\n"
	    "api: {max_per_page: %0200d}\n", 7);
	write_tmp(path, text, (size_t)n);
	CU_ASSERT_EQUAL(tk_config_load(path, &cfg, &d), TK_ERR_CONFIG);
	unlink(path);
	CU_ASSERT_EQUAL(d.n, 2);
	EXPECT_DIAG(&d, ":2: evil?[31mkey: unknown key");
	EXPECT_DIAG(&d, ":3: api.max_per_page: must be an integer between 1 "
	    "and 1000");
	for (i = 0; i < d.n; i++) {
		CU_ASSERT_PTR_NULL(strchr(d.msg[i], '\033'));
		CU_ASSERT_TRUE(strlen(d.msg[i]) < 300);
	}
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

/* A file with thousands of mistakes gives a bounded list. */
static void
test_many_messages_capped(void)
{
	struct tk_config cfg;
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_buf b = TK_BUF_INIT;
	char path[64];
	int i;

	tk_buf_puts(&b, "auth: {mode: none}\n");
	for (i = 0; i < 500; i++)
		tk_buf_printf(&b, "bogus%d: 1\n", i);
	CU_ASSERT_FALSE_FATAL(b.failed);
	write_tmp(path, b.data, b.len);
	tk_buf_free(&b);
	CU_ASSERT_EQUAL(tk_config_load(path, &cfg, &d), TK_ERR_CONFIG);
	unlink(path);
	CU_ASSERT_EQUAL(d.n, 101);
	EXPECT_DIAG(&d, ":101: bogus99: unknown key");
	CU_ASSERT_FALSE(tk_diag_has(&d, "bogus100:"));
	EXPECT_DIAG(&d, "more than 100 problems; the rest are not shown");
	tk_config_free(&cfg);
	tk_diag_free(&d);
}

TK_SUITE(config,
    { "defaults", test_defaults },
    { "database.read", test_db_read },
    { "full file sets every field", test_full_file },
    { "etc/tasker.yaml loads", test_example },
    { "relative config path", test_relative_config_path },
    { "find", test_find },
    { "booleans", test_bools },
    { "nulls and empty strings", test_nulls },
    { "remote_user", test_remote_user },
    { "mount_prefix", test_mount_prefix },
    { "api.cors.allowed_origins", test_cors_origins },
    { "api.stale_after", test_stale_after },
    { "unknown keys", test_unknown_keys },
    { "wrong types", test_wrong_type },
    { "out of range", test_out_of_range },
    { "bad enums", test_bad_enum },
    { "negative, overflow, not integers", test_bad_numbers },
    { "duplicate keys", test_duplicate_keys },
    { "YAML problems", test_yaml_problems },
    { "reader errors at their line", test_reader_line },
    { "standard tags", test_standard_tags },
    { "file problems", test_file_problems },
    { "cross-field checks", test_cross_fields },
    { "a lease too short for heartbeat and margin", test_lease_too_short },
    { "jwt keys", test_jwt_keys },
    { "password", test_password },
    { "many problems at once", test_many_problems },
    { "hostile echo", test_hostile_echo },
    { "messages capped", test_many_messages_capped },
    { "empty remote_user grants", test_empty_grants });
