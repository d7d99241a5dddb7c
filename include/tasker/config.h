/*
 * config.h - tasker.yaml, read by the one YAML reader (yamljson.h).
 *
 * tk_config_load() starts from the defaults below, applies the file, and
 * reports every unknown key, wrong type and out-of-range value through the
 * diag list as "FILE:LINE: section.key: message".  The struct owns all its
 * strings; tk_config_free() releases them.
 *
 * The file is found, in order: an explicit path (-c FILE on every program),
 * $TASKER_CONFIG, then SYSCONFDIR/tasker.yaml.
 */
#ifndef TASKER_CONFIG_H
#define TASKER_CONFIG_H

#include <stddef.h>

#include "tasker/diag.h"
#include "tasker/error.h"

struct tk_db_config {
	char     *host;            /* default "localhost"; ignored with socket */
	unsigned  port;            /* default 3306 */
	char     *socket;          /* unix socket path; NULL = TCP */
	char     *user;            /* default "tasker" */
	char     *password;        /* resolved: $TASKER_DB_PASSWORD, else the
	                              first line of password_file, else NULL */
	char     *password_file;
	char     *name;            /* database name, default "tasker" */
	unsigned  connect_timeout; /* seconds, default 3, 1..60 */
	unsigned  read_timeout;    /* seconds, default 10, 1..3600 */
	unsigned  write_timeout;   /* seconds, default 10, 1..3600 */
	/* database.read: where tasker-fcgi's read-only routes read (a
	   listener over every synced node of a cluster); the rest as above.
	   Both NULL (the default): one connection for everything. */
	char     *read_host;       /* NULL unless set */
	unsigned  read_port;       /* default 3306 */
	char     *read_socket;     /* unix socket path; NULL = TCP */
};

enum tk_auth_mode { TK_AUTH_JWT, TK_AUTH_REMOTE_USER, TK_AUTH_NONE };

/* One verification key.  Several keys with distinct kids let keys rotate. */
struct tk_auth_key {
	char *kid;              /* NULL: used for tokens without a kid */
	char *algorithm;        /* exactly one of HS256..ES384 */
	char *key_file;         /* HS: the shared secret; RS, ES: public PEM */
	char *signing_key_file; /* optional; HS: the secret, RS, ES: the
	                           private PEM; used by `tasker-admin token` */
};

/*
 * A user or group of the remote_user mode, the permissions it holds and
 * its scope: ns_limited 0 is every namespace, 1 only the nnamespaces in
 * namespaces; own_tasks 1 only the tasks the user created.
 */
struct tk_perm_grant {
	char   *name;
	char  **perms;
	size_t  nperms;
	int     ns_limited;
	char  **namespaces;
	size_t  nnamespaces;
	int     own_tasks;
};

struct tk_auth_config {
	enum tk_auth_mode     mode;            /* default jwt */
	char                **algorithms;      /* allow-list, default HS256 */
	size_t                nalgorithms;
	struct tk_auth_key   *keys;
	size_t                nkeys;
	char                 *issuer;          /* NULL: iss not checked */
	char                 *audience;        /* NULL: aud not checked */
	unsigned              leeway_seconds;  /* default 30, 0..600 */
	char                 *permissions_claim; /* default "permissions" */
	char                 *namespaces_claim;  /* default "namespaces" */
	char                 *own_tasks_claim;   /* default "own_tasks" */
	size_t                max_token_bytes; /* default 8192, 256..65536 */
	unsigned              token_lifetime_seconds; /* minting default 3600 */
	int                   open_health;     /* default 1: probes need no auth */
	int                   open_docs;       /* default 1: API docs need no auth */
	struct tk_perm_grant *users;           /* remote_user mode */
	size_t                nusers;
	struct tk_perm_grant *groups;
	size_t                ngroups;
	char                 *groups_variable; /* FastCGI param with the user's
	                                          groups, default "REMOTE_GROUPS" */
};

struct tk_api_config {
	char     *mount_prefix;        /* default "/tasker" */
	unsigned  default_per_page;    /* default 25 */
	unsigned  max_per_page;        /* default 100 */
	size_t    max_body_bytes;      /* default 1048576 */
	unsigned  idempotency_ttl_seconds; /* default 86400 */
	unsigned  registry_refresh_ms; /* default 1000: how stale a process's
	                                  handler cache may be */
	char    **cors_origins;        /* api.cors.allowed_origins: exact
	                                  origins ("https://a.example:8443");
	                                  none (the default): CORS off */
	size_t    ncors_origins;
	unsigned  stale_after[6];      /* api.stale_after.<status>_seconds by
	                                  enum tk_status (pending 3600,
	                                  in_progress 21600, error 0; 0:
	                                  never stale; the rest unused) */
};

/*
 * The numbers behind a lease (README "Leases, stalls and fencing
 * tokens").  The lease watchdog kills a handler TK_LEASE_MARGIN_MS before
 * its lease can expire, counted from when the last renewal that held was
 * sent.  A renewal runs on its own connection with TK_LEASE_IO_SECONDS
 * connect, read and write timeouts, is never retried within one call,
 * and a timeout drops that connection (reconnecting is a later tick's
 * call), so one renewal blocks for at most one timeout plus the quick
 * round trips before it: TK_LEASE_RENEW_MS, less than the margin.  A
 * lease must hold across one heartbeat, one renewal and the margin:
 * lease_seconds * 1000 >= heartbeat_seconds * 1000 + TK_LEASE_RENEW_MS +
 * TK_LEASE_MARGIN_MS, which config validation enforces.
 */
#define TK_LEASE_IO_SECONDS 1
#define TK_LEASE_RENEW_MS   1500
#define TK_LEASE_MARGIN_MS  2000

struct tk_worker_config {
	unsigned  processes;          /* default 2, 1..256 */
	unsigned  poll_min_ms;        /* default 20 */
	unsigned  poll_max_ms;        /* default 1000 */
	unsigned  lease_seconds;      /* default 30 */
	unsigned  backoff_base_seconds; /* default 1 */
	unsigned  backoff_cap_seconds;  /* default 300 */
	unsigned  step_timeout_seconds; /* default 300 */
	size_t    max_output_bytes;   /* default 1048576 */
	unsigned  shutdown_grace_seconds; /* default 30 */
	unsigned  kill_grace_seconds; /* default 5, 0..60: SIGTERM to SIGKILL
	                                 of a stopped handler */
	unsigned  heartbeat_seconds;  /* default 5 */
	char     *user;               /* NULL: keep the current user */
	char     *work_dir;           /* NULL: "/" ; cwd of step handlers */
};

/*
 * One webhook subscription (tasker.yaml(5), WEBHOOKS): the events it
 * wants, where they go, the secret they are signed with, and how its
 * deliveries are retried.  The secret file is only named here; the
 * worker reads it (src/hooks/deliver.c) and never logs it.
 */
struct tk_webhook_sub {
	char     *name;             /* unique; the deliveries' key */
	char     *url;              /* http:// or https:// */
	char     *secret_file;      /* "whsec_<base64>" */
	char    **events;           /* task.created ... step.failed */
	size_t    nevents;
	unsigned  event_mask;       /* 1 << enum tk_event, from events */
	char    **namespaces;       /* none: every namespace */
	size_t    nnamespaces;
	char    **handlers;         /* handler names; none: every handler */
	size_t    nhandlers;
	unsigned  timeout_seconds;  /* default 10, 1..300 */
	unsigned  max_attempts;     /* default 8, 1..100 */
	unsigned  backoff_base_ms;  /* default 1000, 10..3600000 */
	unsigned  backoff_cap_seconds; /* default 3600, 1..86400 */
};

struct tk_log_config {
	int   level;        /* enum tk_log_level, default info */
	int   format;       /* enum tk_log_format, default logfmt */
	int   destination;  /* enum tk_log_dest, default stderr */
};

/*
 * retention: (src/config/retention.c): finished tasks older than an age
 * are purged by the workers' housekeeping (src/sched/retention.c).  An
 * age is in seconds; 0 keeps those tasks forever (the default), -1 in a
 * namespace's ages means "as retention: says".
 */
struct tk_retention_ages {
	long long complete;
	long long cancelled;
	long long error;
};

struct tk_retention_ns {
	char                     *name;
	struct tk_retention_ages  ages;
};

struct tk_retention_config {
	struct tk_retention_ages  ages;        /* default: all 0, keep */
	struct tk_retention_ns   *namespaces;  /* overrides */
	size_t                    nnamespaces;
	char                     *export;      /* JSON lines file, or NULL */
};

struct tk_config {
	char                    *path;           /* the file read, or NULL */
	char                    *environment;    /* default "production";
	                                            selects environments.<env>
	                                            overrides in handler YAML */
	char                    *handlers_dir;   /* default DATADIR/tasker/handlers */
	char                    *migrations_dir; /* default DATADIR/tasker/migrations */
	char                    *run_dir;        /* default LOCALSTATEDIR/run/tasker */
	struct tk_db_config      db;
	struct tk_auth_config    auth;
	struct tk_api_config     api;
	struct tk_worker_config  worker;
	struct tk_log_config     log;
	struct tk_webhook_sub   *webhooks;       /* none: no events written */
	size_t                   nwebhooks;
	struct tk_retention_config retention;
};

/* 1 and *out filled when database.read is set: db with the read host,
 * port and socket; *out borrows db's strings (db must outlive it). */
int tk_db_config_read(const struct tk_db_config *db,
    struct tk_db_config *out);

/* Fills cfg with the defaults.  TK_ERR_NOMEM only. */
tk_err tk_config_defaults(struct tk_config *cfg);
/*
 * Loads path over the defaults.  On TK_ERR_CONFIG, diag lists every
 * problem; cfg is still valid to free.  Relative paths inside the file
 * are taken relative to the file's folder.
 */
tk_err tk_config_load(const char *path, struct tk_config *cfg,
    struct tk_diag *diag);
void   tk_config_free(struct tk_config *cfg);
/* explicit, else $TASKER_CONFIG, else the compiled-in default. */
const char *tk_config_find(const char *explicit_path);

#endif
