/*
 * internal.h - what the handler files of src/registry share and nobody
 * else sees: the validator's context, messages and field readers
 * (handler.c), the exec protocol (exec_config.c), the steps
 * (steps.c), the key-sorted canonical copy of a JSON value and the
 * definition hash (canon.c).  The public surface is
 * include/tasker/handler.h.
 */
#ifndef TASKER_REGISTRY_INTERNAL_H
#define TASKER_REGISTRY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "tasker/diag.h"
#include "tasker/error.h"
#include "tasker/handler.h"
#include "tasker/json_canon.h"

#define PATH_LEN     160     /* a key path in a message */
#define CANON_DEPTH  64      /* nesting allowed in schema, handler_config */
#define DESC_MAX     4096    /* descriptions */
#define CLASS_MAX    256     /* class names, dependent systems */


/* ---- the validator: context, messages, field readers (handler.c) ---- */

/* One validation run: where messages go and what went wrong so far. */
struct vctx {
	const char     *file;
	struct tk_diag *diag;
	size_t          nerr;
	int             nomem;
	char            merged_env[PATH_LEN]; /* "environments.X" when its
	                                         overrides were merged */
};

/* "FILE:LINE: PATH: message"; the line is left out when unknown (0). */
void	reg_verr(struct vctx *v, unsigned line, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "a mapping", "text", ...: what o is, for messages. */
const char *reg_tname(json_object *o);
/* Reports every key of obj not in known (NULL-ended), suggesting the
 * nearest. */
void	reg_check_keys(struct vctx *v, json_object *obj, const char *prefix,
	    const char *const *known);
/* strdup(s), flagging v->nomem on failure. */
char   *reg_dup(struct vctx *v, const char *s);
/* 1 when a JSON string holds a NUL (possible in JSON text, never from
 * YAML). */
int	reg_has_nul(json_object *str);
/*
 * The readers below check val (found at line, path), report what is
 * wrong and return 0 when it is valid, -1 otherwise.
 * Text of at most max bytes into *out (a copy; the old value is freed);
 * null clears *out when allow_null.
 */
int	reg_want_text(struct vctx *v, json_object *val, unsigned line,
	    const char *path, size_t max, int allow_null, char **out);
/* A handler, namespace or step name (*out a copy; out may be NULL). */
int	reg_want_name(struct vctx *v, json_object *val, unsigned line,
	    const char *path, char **out);
int	reg_want_bool(struct vctx *v, json_object *val, unsigned line,
	    const char *path, int *out);
/* A whole number in lo..hi. */
int	reg_want_int(struct vctx *v, json_object *val, unsigned line,
	    const char *path, int64_t lo, int64_t hi, int64_t *out);
/* reg_canon() of val with its failures reported at path; NULL then. */
json_object *reg_canon_at(struct vctx *v, json_object *val, unsigned line,
	    const char *path);

/* ---- handler_config: the exec protocol (exec_config.c) ---- */

void	reg_exec_free(struct tk_exec_def *x);
/* Checks handler_config (an object) and fills x (see exec_config.c). */
void	reg_parse_exec(struct vctx *v, json_object *cfg, const char *path,
	    struct tk_exec_def *x);

/* ---- steps, environments, dependencies (steps.c) ---- */

/* Where a step's fields came from, for messages; points into the tree. */
struct stepsrc {
	json_object *obj;                /* the base template */
	char         path[PATH_LEN];     /* "step_templates[i]" */
	unsigned     line;
	const char  *name;               /* NULL when missing or invalid */
	const char  *dep1;               /* depends_on_step value */
	json_object *dep1_obj;           /* mapping it was read from */
	char         dep1_path[PATH_LEN];
	json_object *depn;               /* depends_on_steps array */
	json_object *depn_obj;
	char         depn_path[PATH_LEN];
};

void	reg_step_free(struct tk_step_def *s);
/* The step templates arr into h->steps (h->nsteps of them, allocated)
 * and src. */
void	reg_parse_steps(struct vctx *v, struct tk_handler_def *h,
	    struct stepsrc *src, json_object *arr);
/* root's named_steps against the step templates. */
void	reg_parse_named_steps(struct vctx *v, struct tk_handler_def *h,
	    struct stepsrc *src, json_object *root);
/* Checks every environment; merges the one called environment. */
void	reg_parse_environments(struct vctx *v, struct tk_handler_def *h,
	    struct stepsrc *src, json_object *envs, const char *environment);
/* Each step's depends_on_step(s) into parent indexes. */
void	reg_resolve_parents(struct vctx *v, struct tk_handler_def *h,
	    struct stepsrc *src);
/* Runs the DAG analysis (h->order, h->level); reports a cycle. */
void	reg_analyse(struct vctx *v, struct tk_handler_def *h,
	    struct stepsrc *src);

/* ---- schedules: recurring tasks (schedules.c) ---- */

/* root's schedules (after the schema: contexts are checked against it). */
void	reg_parse_schedules(struct vctx *v, struct tk_handler_def *h,
	    json_object *root);
void	reg_schedules_free(struct tk_handler_def *h);
/* The canonical array of h's schedules; NULL on allocation failure. */
json_object *reg_schedules_to_json(const struct tk_handler_def *h);

/* ---- flow limits: concurrency, max_in_flight, rate_limit (flow.c) ---- */

void	reg_flow_limit_free(struct tk_flow_limit *c);
/* concurrency: {key, limit} at path into *c (replaced; null clears). */
void	reg_parse_concurrency(struct vctx *v, json_object *val, unsigned line,
	    const char *path, struct tk_flow_limit *c);
/* rate_limit: {limit, period} at path into *r (replaced; null clears). */
void	reg_parse_rate(struct vctx *v, json_object *val, unsigned line,
	    const char *path, struct tk_flow_rate *r);
/* root's concurrency: or max_in_flight: into h->concurrency. */
void	reg_parse_flow_top(struct vctx *v, struct tk_handler_def *h,
	    json_object *root);
/* Reports a step with both max_in_flight and concurrency. */
void	reg_flow_check_step(struct vctx *v, const struct tk_step_def *st,
	    json_object *obj, const char *prefix);

/* ---- message paths (handler.c) ---- */

/* prefix.key, or key when prefix is empty, into buf (cut with "..."). */
const char *reg_path_key(char *buf, size_t sz, const char *prefix,
	    const char *key);
/* prefix[i] into buf (cut with "..."). */
const char *reg_path_index(char *buf, size_t sz, const char *prefix,
	    size_t i);

/* ---- canonical JSON and hash (canon.c) ---- */

/*
 * tk_json_canon of a whole value with scalars rebuilt (so a double prints
 * the same whether it came from YAML or from a JSON parse), at most
 * CANON_DEPTH levels; *out (the caller's) is NULL for JSON null or on
 * failure.  Printed with TK_JSON_FLAGS (hash, diff).
 */
enum tk_canon_rc reg_canon(json_object *v, json_object **out);
/* Sets h->hash: the SHA-256 of h's canonical JSON, in hex. */
tk_err	reg_hash(struct tk_handler_def *h);

#endif
