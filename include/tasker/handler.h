/*
 * handler.h - task handler definitions: loading, validation, canonical
 * JSON, comparison.
 *
 * A handler is a named, versioned DAG of step templates, written in the
 * YAML format of the Ruby gem tasker-engine (see etc/handlers/README.md
 * for the full reference).  Loading validates everything and keeps going
 * after a problem, so an operator sees every mistake at once; each message
 * reads "FILE:LINE: key.path: what is wrong", for example
 *   etc/handlers/x.yaml:12: step_templates[2].depends_on_step: unknown
 *   step 'chrage_card'
 * Unknown keys are errors, not warnings: a typo must not pass silently.
 *
 * The canonical JSON of a definition (tk_handler_to_json) is what the
 * database stores: environment overrides already merged, defaults filled
 * in, a fixed key order, free-form objects (schema, handler_config) with
 * their keys sorted.  Its SHA-256 is the definition's hash, so two files
 * that mean the same thing hash the same.
 *
 * Ownership: every struct owns its strings and json objects; free a
 * handler with tk_handler_free(), a set with tk_defset_free().
 */
#ifndef TASKER_HANDLER_H
#define TASKER_HANDLER_H

#include <stddef.h>

#include <json-c/json.h>

#include "tasker/cron.h"
#include "tasker/diag.h"
#include "tasker/error.h"
#include "tasker/semver.h"

/* Limits (documented in etc/handlers/README.md). */
#define TK_NAME_MAX            64     /* handler, namespace, step names */
#define TK_HANDLER_MAX_STEPS   256
#define TK_RETRY_LIMIT_MAX     1000
#define TK_EXEC_TIMEOUT_MAX    86400  /* seconds */
#define TK_EXEC_MAX_ARGS       256
#define TK_EXEC_MAX_ENV        64
/* A task's priority (POST /tasks, a handler's default_priority): higher
 * first, 0 when neither gives one. */
#define TK_PRIORITY_MIN        (-100)
#define TK_PRIORITY_MAX        100
/* A step template's max_in_flight: 1..this (0: no limit). */
#define TK_IN_FLIGHT_MAX       100000
/* rate_limit: at most limit (1..TK_RATE_MAX) starts per period
 * (1 s..TK_RATE_PERIOD_MAX). */
#define TK_RATE_MAX            100000
#define TK_RATE_PERIOD_MAX     86400
#define TK_HANDLER_MAX_SCHEDULES 32
#define TK_CATCH_UP_MAX        1000

/*
 * The runnable part of a step's handler_config, parsed.  runnable is 1
 * when handler_config is an exec config (it has `type: exec` or a
 * `command`); the engine fails a step that is not runnable with a clear
 * error.  A string command becomes {"/bin/sh", "-c", command}.
 */
struct tk_exec_def {
	int       runnable;
	char    **argv;            /* argc entries plus a NULL */
	size_t    argc;
	unsigned  timeout_seconds; /* 0: the worker's default */
	char    **env;             /* "NAME=value", nenv entries plus a NULL;
	                              NULL when nenv == 0 */
	size_t    nenv;
};

/*
 * A concurrency limit (src/registry/flow.c): at most limit at once per
 * value of key, a simple JSON path into the task's context
 * (tk_json_path_valid); key NULL: one limit for all.  limit 0: none.
 */
struct tk_flow_limit {
	char     *key;
	unsigned  limit;
};

/* rate_limit: at most limit starts per period_seconds, smooth (GCRA:
 * one start every period / limit).  limit 0: none. */
struct tk_flow_rate {
	unsigned  limit;
	unsigned  period_seconds;
};

struct tk_step_def {
	char         *name;
	char         *description;      /* NULL when absent */
	char         *handler_class;    /* NULL when absent */
	char         *dependent_system; /* NULL when absent */
	size_t       *parents;          /* indexes into the handler's steps:
	                                   depends_on_step, then
	                                   depends_on_steps, no duplicates */
	size_t        nparents;
	int           retryable;        /* default 1 */
	unsigned      retry_limit;      /* default 3, 0..TK_RETRY_LIMIT_MAX */
	int           skippable;        /* default 0 */
	unsigned      max_in_flight;    /* 0: no limit; else at most this
	                                   many attempts of the template
	                                   (its namespace, handler and
	                                   name, any version) leased at
	                                   once across the fleet */
	struct tk_flow_limit concurrency; /* per key value, the same
	                                   (never with max_in_flight) */
	struct tk_flow_rate rate;       /* rate_limit */
	json_object  *custom_events;    /* array of strings, never NULL */
	json_object  *handler_config;   /* object, or NULL when absent */
	struct tk_exec_def exec;
};

/*
 * A recurring task (schedules: in the YAML; src/registry/schedules.c):
 * a task of this handler with context is started at every fire time of
 * cron in timezone.  max_ticks is how many due ticks one look starts
 * when several are due (the workers were stopped): 1 for missed_ticks:
 * skip (only the latest), catch_up_limit for missed_ticks: catch_up (the
 * latest that many, oldest first).
 */
struct tk_schedule_def {
	char           *name;
	char           *description;   /* NULL when absent */
	char           *cron;          /* as written */
	struct tk_cron  parsed;
	char           *timezone;      /* default "UTC" */
	json_object    *context;       /* object, never NULL */
	int             catch_up;      /* missed_ticks: catch_up */
	unsigned        max_ticks;
};

struct tk_handler_def {
	char               *namespace_name; /* default "default" */
	char               *name;
	char               *version;        /* == semver.str */
	struct tk_semver    semver;         /* default 0.1.0 */
	char               *description;    /* these four: NULL when absent */
	char               *task_handler_class;
	char               *module_namespace;
	char               *default_dependent_system;
	int                 default_priority; /* 0 when absent */
	struct tk_flow_limit concurrency;   /* concurrency: or max_in_flight:
	                                       at the top: tasks with a step
	                                       leased at once (per key) */
	json_object        *schema;         /* object, or NULL */
	struct tk_step_def *steps;          /* definition order */
	size_t              nsteps;
	size_t             *order;          /* topological, nsteps entries */
	unsigned           *level;          /* per step (by index) */
	unsigned            nlevels;
	struct tk_schedule_def *schedules;  /* YAML order; NULL when none */
	size_t              nschedules;
	char               *source;         /* file it came from, or NULL */
	char                hash[65];       /* hex SHA-256 of canonical JSON */
};

struct tk_namespace_def {
	char *name;
	char *description;   /* "" when used but never declared */
};

struct tk_defset {
	struct tk_namespace_def  *namespaces;  /* declared ones in declaration
	                                          order, then undeclared ones
	                                          in order of first use */
	size_t                    nnamespaces;
	struct tk_handler_def   **handlers;    /* in file order */
	size_t                    nhandlers;
};

/*
 * Loads files or folders (a folder: every *.yaml and *.yml below it,
 * hidden entries skipped, sorted by path).  A file whose top-level key is
 * `namespaces` declares namespaces; every other file is one handler.
 * Applies environments.<environment> overrides (environment may be NULL:
 * none).  Besides each file's own problems, reports the same namespace,
 * name and version in two files, conflicting namespace descriptions and
 * a folder without any YAML file.  On any problem returns
 * TK_ERR_DEFINITION with every problem in diag and *out empty; also
 * TK_ERR_NOMEM.
 */
tk_err tk_defset_load(const char *const *paths, size_t npaths,
    const char *environment, struct tk_defset *out, struct tk_diag *diag);
void   tk_defset_free(struct tk_defset *set);

/*
 * One handler from one parsed YAML (or JSON) tree; file names the input
 * in messages (lines come from tk_yaml_* records when present).
 */
tk_err tk_handler_parse(json_object *root, const char *file,
    const char *environment, struct tk_handler_def **out,
    struct tk_diag *diag);

/*
 * The canonical JSON (see above).  Caller owns the result (put it);
 * NULL on allocation failure.
 */
json_object *tk_handler_to_json(const struct tk_handler_def *h);
/* A concurrency limit as {"key": ..., "limit": N} (key only when set), a
 * rate limit as {"limit": N, "period": "Ns"}; NULL when there is none
 * (limit 0); *bad 1 on allocation failure (src/registry/flow.c). */
json_object *tk_flow_limit_json(const struct tk_flow_limit *c, int *bad);
json_object *tk_flow_rate_json(const struct tk_flow_rate *r, int *bad);

/*
 * The reverse, for a definition read back from the database: validated
 * again (messages start with "definition: "), so a corrupted row is an
 * error, not a crash.  The hash is recomputed from the canonical form.
 */
tk_err tk_handler_from_json(json_object *definition,
    struct tk_handler_def **out, struct tk_diag *diag);

void   tk_handler_free(struct tk_handler_def *h);

/* 1 when s is a valid handler, namespace or step name: [a-z0-9_], 1 to
 * TK_NAME_MAX bytes.  The API layer can use it on path parameters. */
int    tk_name_valid(const char *s);

/* Index of the step called name, or -1. */
long   tk_handler_step_index(const struct tk_handler_def *h,
    const char *name);

/*
 * Adds one message per difference between a (old) and b (new) to out,
 * e.g. "step_templates[1].default_retry_limit: 3 -> 5", "step_templates:
 * step 'audit' added".  Steps are matched by name; the index shown is
 * b's (a's for a removed step).  Nothing is added when they are equal.
 */
void   tk_handler_diff(const struct tk_handler_def *a,
    const struct tk_handler_def *b, struct tk_diag *out);

#endif
