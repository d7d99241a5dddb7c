/*
 * admin.h - the subcommands of tasker-admin that do more than a few lines
 * (so they live in the library and can be tested).  Each takes the
 * arguments after its name and returns the exit status (cli.h): 0 done,
 * 1 refused or failed (reason on stderr), 2 bad usage (a one-line hint on
 * stderr naming 'tasker-admin help COMMAND').  The usage texts live in
 * src/tasker-admin.c, which also answers -h and --help.
 */
#ifndef TASKER_ADMIN_H
#define TASKER_ADMIN_H

#include <stddef.h>

#include "tasker/config.h"

struct json_object;

/* migrate | migrate status [--json] | migrate repair N --applied|--reverted */
int tk_admin_migrate(const struct tk_config *cfg, int argc, char **argv);
/* handlers validate PATH... | handlers load [PATH...] |
 * handlers list [--json] */
int tk_admin_handlers(const struct tk_config *cfg, int argc, char **argv);
/* token [--subject S] [--permission P]... [--lifetime SECONDS] ... */
int tk_admin_token(const struct tk_config *cfg, int argc, char **argv);
/*
 * tasks list [NAME=VALUE | --NAME VALUE]... [--json] | tasks show ID |
 * tasks cancel ID [--reason TEXT] | tasks retry ID [--reason TEXT]:
 * the task API's requests, answered in process by its controllers
 * (src/admin/tasks.c says how).
 */
int tk_admin_tasks(const struct tk_config *cfg, int argc, char **argv);
/* tasks purge --older-than DURATION [--namespace NS] [--dry-run]: the
 * arguments after "purge" (src/admin/purge.c). */
int tk_admin_tasks_purge(const struct tk_config *cfg, int argc, char **argv,
    int json);
/*
 * The query string of `tasks list ARGS` (NAME=VALUE, --NAME=VALUE,
 * --NAME VALUE; '-' in NAME read as '_'), percent-encoded and appended
 * to qs.  0, or the exit status (2: bad usage, said on stderr).  Pure
 * but for that line.
 */
struct tk_buf;
int tk_admin_tasks_query(int argc, char **argv, struct tk_buf *qs);
/*
 * schedules list [--namespace NS] [--json] | schedules pause|resume
 * NS/HANDLER/SCHEDULE: recurring tasks (src/admin/schedules.c).
 */
int tk_admin_schedules(const struct tk_config *cfg, int argc, char **argv);
/*
 * health [--json]: the checks of GET /health/status.  Exit status 0
 * healthy, 1 not (database unreachable, schema not current, no live
 * worker), 2 bad usage.
 */
int tk_admin_health(const struct tk_config *cfg, int argc, char **argv);
/*
 * check utf8: prints every stored value a client or a step handler wrote
 * that is not strict UTF-8, and a summary.  Exit status 0 when there is
 * none, 1 when there are some, 3 when the scan could not run or finish
 * (the database is unreachable or failed).  json: the findings and the
 * summary as one JSON document instead (src/admin/check.c).
 */
int tk_admin_check_utf8(const struct tk_config *cfg, int json);

/*
 * --json (src/admin/json.c): prints doc on stdout as one document and
 * frees it; 0, or 1 when doc is NULL (out of memory, said on stderr) or
 * stdout failed.  tk_admin_json_str: a JSON string, or NULL (null) for
 * NULL.
 */
int tk_admin_json_print(struct json_object *doc);
struct json_object *tk_admin_json_str(const char *s);
/*
 * obj[key] = [item(arg, 0), ..., item(arg, n - 1)], each item a new
 * object (NULL: out of memory).  0, or -1 when out of memory (obj is left
 * without key).
 */
int tk_admin_json_array(struct json_object *obj, const char *key, size_t n,
    struct json_object *(*item)(const void *arg, size_t i), const void *arg);

#endif
