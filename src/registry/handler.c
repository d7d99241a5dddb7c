/*
 * handler.c - validation: a handler definition tree into struct
 * tk_handler_def.  Its canonical JSON and hash are canon.c's, the
 * difference between two definitions is diff.c's.
 *
 * The same validator serves YAML files (trees from yamljson.c, which
 * carry source lines) and definitions read back from the database (plain
 * json-c trees, messages without lines).  It never stops at the first
 * problem: every field is checked and every problem reported, each
 * message naming the file, the line and the key path.
 *
 * Sections: messages; field readers; handler_config (exec); step
 * templates; environments; dependencies; top level.
 */
#include "tasker/handler.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tasker/buf.h"
#include "tasker/dag.h"
#include "tasker/jsonschema.h"
#include "tasker/yamljson.h"

#include "internal.h"

#define DESC_MAX     4096    /* descriptions */
#define CLASS_MAX    256     /* class names, dependent systems */
#define EVENT_MAX    128     /* one custom event name */
#define EVENTS_MAX   64      /* custom events per step */
#define ARG_MAX_LEN  4096    /* one argv entry */
#define CMD_MAX_LEN  65536   /* a shell command string */
#define ENV_NAME_MAX 128
#define ENV_VAL_MAX  4096
#define MAX_ERRORS   100     /* per handler, then one "too many" */

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

struct vctx {
	const char     *file;
	struct tk_diag *diag;
	size_t          nerr;
	int             nomem;
	char            merged_env[PATH_LEN]; /* "environments.X" when its
	                                         overrides were merged */
};

static void verr(struct vctx *, unsigned, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* "FILE:LINE: PATH: message"; the line is left out when unknown (0). */
static void
verr(struct vctx *v, unsigned line, const char *path, const char *fmt, ...)
{
	char msg[512], where[64];
	va_list ap;

	if (v->nerr++ > MAX_ERRORS)
		return;
	if (v->nerr > MAX_ERRORS) {
		tk_diag_add(v->diag, "%s: too many problems; stopping", v->file);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%u", line);
	else
		where[0] = '\0';
	if (path != NULL && path[0] != '\0')
		tk_diag_add(v->diag, "%s%s: %s: %s", v->file, where, path, msg);
	else
		tk_diag_add(v->diag, "%s%s: %s", v->file, where, msg);
}

/* Marks a path cut short (paths only serve messages, so cutting is
 * fine, but it must show). */
static const char *
mark_cut(char *buf, size_t sz, int n)
{
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= sz && sz > 4)
		memcpy(buf + sz - 4, "...", 4);
	return buf;
}

/* prefix.key, or key when prefix is empty. */
const char *
reg_path_key(char *buf, size_t sz, const char *prefix, const char *key)
{
	int n;

	if (prefix[0] == '\0')
		n = snprintf(buf, sz, "%s", key);
	else
		n = snprintf(buf, sz, "%s.%s", prefix, key);
	return mark_cut(buf, sz, n);
}

/* prefix[i] */
const char *
reg_path_index(char *buf, size_t sz, const char *prefix, size_t i)
{
	return mark_cut(buf, sz, snprintf(buf, sz, "%s[%zu]", prefix, i));
}

static const char *
tname(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "true/false";
	case json_type_int:
		return "a number";
	case json_type_double:
		return "a decimal number";
	case json_type_string:
		return "text";
	case json_type_object:
		return "a mapping";
	case json_type_array:
		return "a list";
	}
	return "something else";
}

/* Edit distance, for "did you mean" on unknown keys; short strings only. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

static int
known_key(const char *key, const char *const *known)
{
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(key, known[i]) == 0)
			return 1;
	return 0;
}

/* Reports every key of obj not in known, suggesting the nearest. */
static void
check_keys(struct vctx *v, json_object *obj, const char *prefix,
    const char *const *known)
{
	struct json_object_iter it;
	char path[PATH_LEN], q[80];
	size_t i, d, best;
	const char *near;

	json_object_object_foreachC(obj, it) {
		if (known_key(it.key, known))
			continue;
		near = NULL;
		best = 4;
		for (i = 0; known[i] != NULL; i++)
			if ((d = distance(it.key, known[i])) < best) {
				best = d;
				near = known[i];
			}
		/* "timeout" for "timeout_seconds", "retry_limit" for
		 * "default_retry_limit": a shortened key. */
		for (i = 0; near == NULL && known[i] != NULL; i++)
			if (strlen(it.key) >= 5 && strstr(known[i], it.key))
				near = known[i];
		reg_path_key(path, sizeof(path), prefix,
		    tk_diag_quote(q, it.key));
		if (near != NULL)
			verr(v, tk_yaml_key_line(obj, it.key), path,
			    "unknown key (did you mean '%s'?)", near);
		else
			verr(v, tk_yaml_key_line(obj, it.key), path,
			    "unknown key");
	}
}

/* ------------------------------------------------------------------ */
/* Field readers: each checks one value and reports what is wrong      */
/* ------------------------------------------------------------------ */

static char *
dup_or_flag(struct vctx *v, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		v->nomem = 1;
	return d;
}

/* 1 when a JSON string holds a NUL: possible in JSON text (\u0000), never
 * from YAML, and it would cut every C string copy short. */
static int
has_nul(json_object *str)
{
	return strlen(json_object_get_string(str)) !=
	    (size_t)json_object_get_string_len(str);
}

/*
 * Text of at most max bytes into *out (a copy; the old value is freed).
 * null clears *out when allow_null.  Returns 0 when valid.
 */
static int
want_text(struct vctx *v, json_object *val, unsigned line, const char *path,
    size_t max, int allow_null, char **out)
{
	if (val == NULL && allow_null) {
		free(*out);
		*out = NULL;
		return 0;
	}
	if (!json_object_is_type(val, json_type_string)) {
		verr(v, line, path, "must be text, not %s", tname(val));
		return -1;
	}
	if ((size_t)json_object_get_string_len(val) > max) {
		verr(v, line, path, "longer than %zu bytes", max);
		return -1;
	}
	if (has_nul(val)) {
		verr(v, line, path, "holds a NUL character");
		return -1;
	}
	free(*out);
	*out = dup_or_flag(v, json_object_get_string(val));
	return 0;
}

int
tk_name_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i >= 1 && i <= TK_NAME_MAX;
}

/* A handler, namespace or step name. */
static int
want_name(struct vctx *v, json_object *val, unsigned line, const char *path,
    char **out)
{
	char q[80];

	if (!json_object_is_type(val, json_type_string)) {
		verr(v, line, path, "must be text, not %s", tname(val));
		return -1;
	}
	if (has_nul(val) || !tk_name_valid(json_object_get_string(val))) {
		verr(v, line, path, "'%s' is not a valid name (lowercase "
		    "letters, digits and '_', 1 to %d characters)",
		    tk_diag_quote(q, json_object_get_string(val)), TK_NAME_MAX);
		return -1;
	}
	if (out != NULL) {
		free(*out);
		*out = dup_or_flag(v, json_object_get_string(val));
	}
	return 0;
}

static int
want_bool(struct vctx *v, json_object *val, unsigned line, const char *path,
    int *out)
{
	static const char *const yaml11[] = { "yes", "no", "on", "off", "y",
	    "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF", NULL };
	char q[80];

	if (json_object_is_type(val, json_type_boolean)) {
		*out = json_object_get_boolean(val) ? 1 : 0;
		return 0;
	}
	if (json_object_is_type(val, json_type_string) &&
	    known_key(json_object_get_string(val), yaml11))
		verr(v, line, path, "must be true or false ('%s' is text in "
		    "YAML 1.2)", tk_diag_quote(q, json_object_get_string(val)));
	else
		verr(v, line, path, "must be true or false, not %s",
		    tname(val));
	return -1;
}

static int
want_int(struct vctx *v, json_object *val, unsigned line, const char *path,
    int64_t lo, int64_t hi, int64_t *out)
{
	int64_t n;

	if (!json_object_is_type(val, json_type_int)) {
		verr(v, line, path, "must be a whole number, not %s",
		    tname(val));
		return -1;
	}
	n = json_object_get_int64(val);
	if (n < lo || n > hi) {
		verr(v, line, path, "must be between %lld and %lld",
		    (long long)lo, (long long)hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* canon() with its failures reported at path. */
static json_object *
canon_at(struct vctx *v, json_object *val, unsigned line, const char *path)
{
	json_object *c;
	enum tk_canon_rc rc = reg_canon(val, &c);

	if (rc == TK_CANON_NOMEM)
		v->nomem = 1;
	else if (rc == TK_CANON_DEEP)
		verr(v, line, path, "nested deeper than %d levels",
		    CANON_DEPTH);
	else if (rc == TK_CANON_NUMBER)
		verr(v, line, path, "holds a number JSON cannot represent");
	return rc == TK_CANON_OK ? c : NULL;
}

/* ------------------------------------------------------------------ */
/* handler_config: the exec protocol                                   */
/* ------------------------------------------------------------------ */

static void
exec_free(struct tk_exec_def *x)
{
	size_t i;

	for (i = 0; x->argv != NULL && i < x->argc; i++)
		free(x->argv[i]);
	free(x->argv);
	for (i = 0; x->env != NULL && i < x->nenv; i++)
		free(x->env[i]);
	free(x->env);
	memset(x, 0, sizeof(*x));
}

static int
valid_env_name(const char *s)
{
	size_t i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i <= ENV_NAME_MAX;
}

static void
exec_command(struct vctx *v, json_object *cmd, unsigned line,
    const char *path, struct tk_exec_def *x)
{
	char p[PATH_LEN];
	size_t i, n;
	json_object *a;

	if (json_object_is_type(cmd, json_type_string)) {
		if (json_object_get_string_len(cmd) == 0 ||
		    json_object_get_string_len(cmd) > CMD_MAX_LEN ||
		    has_nul(cmd)) {
			verr(v, line, path, "must be a command of 1 to %d "
			    "bytes, without NUL", CMD_MAX_LEN);
			return;
		}
		if ((x->argv = calloc(4, sizeof(char *))) == NULL) {
			v->nomem = 1;
			return;
		}
		x->argc = 3;
		x->argv[0] = dup_or_flag(v, "/bin/sh");
		x->argv[1] = dup_or_flag(v, "-c");
		x->argv[2] = dup_or_flag(v, json_object_get_string(cmd));
		return;
	}
	if (!json_object_is_type(cmd, json_type_array)) {
		verr(v, line, path, "must be text (run by /bin/sh -c) or a "
		    "list of arguments, not %s", tname(cmd));
		return;
	}
	n = json_object_array_length(cmd);
	if (n == 0 || n > TK_EXEC_MAX_ARGS) {
		verr(v, line, path, "must list 1 to %d arguments",
		    TK_EXEC_MAX_ARGS);
		return;
	}
	if ((x->argv = calloc(n + 1, sizeof(char *))) == NULL) {
		v->nomem = 1;
		return;
	}
	x->argc = n;
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(cmd, i);
		reg_path_index(p, sizeof(p), path, i);
		if (!json_object_is_type(a, json_type_string))
			verr(v, tk_yaml_item_line(cmd, i), p,
			    "must be text, not %s", tname(a));
		else if (json_object_get_string_len(a) > ARG_MAX_LEN)
			verr(v, tk_yaml_item_line(cmd, i), p,
			    "longer than %d bytes", ARG_MAX_LEN);
		else if (has_nul(a))
			verr(v, tk_yaml_item_line(cmd, i), p,
			    "holds a NUL character");
		else if (i == 0 && json_object_get_string_len(a) == 0)
			verr(v, tk_yaml_item_line(cmd, i), p,
			    "the program must not be empty");
		else
			x->argv[i] = dup_or_flag(v, json_object_get_string(a));
	}
}

static void
exec_env(struct vctx *v, json_object *env, unsigned line, const char *path,
    struct tk_exec_def *x)
{
	struct json_object_iter it;
	char p[PATH_LEN], q[80];
	size_t n;
	struct tk_buf b = TK_BUF_INIT;

	if (!json_object_is_type(env, json_type_object)) {
		verr(v, line, path, "must be a mapping of NAME: value, not %s",
		    tname(env));
		return;
	}
	n = (size_t)json_object_object_length(env);
	if (n > TK_EXEC_MAX_ENV) {
		verr(v, line, path, "more than %d variables", TK_EXEC_MAX_ENV);
		return;
	}
	if (n == 0)
		return;
	if ((x->env = calloc(n + 1, sizeof(char *))) == NULL) {
		v->nomem = 1;
		return;
	}
	json_object_object_foreachC(env, it) {
		unsigned l = tk_yaml_key_line(env, it.key);
		reg_path_key(p, sizeof(p), path, tk_diag_quote(q, it.key));
		if (!valid_env_name(it.key)) {
			verr(v, l, p, "not a valid variable name");
			continue;
		}
		if (!json_object_is_type(it.val, json_type_string)) {
			verr(v, l, p, "must be text (quote it), not %s",
			    tname(it.val));
			continue;
		}
		if (json_object_get_string_len(it.val) > ENV_VAL_MAX ||
		    has_nul(it.val)) {
			verr(v, l, p, "must be at most %d bytes, without NUL",
			    ENV_VAL_MAX);
			continue;
		}
		tk_buf_reset(&b);
		tk_buf_printf(&b, "%s=%s", it.key,
		    json_object_get_string(it.val));
		if (b.failed || x->nenv >= n) {
			v->nomem = 1;
			break;
		}
		x->env[x->nenv++] = tk_buf_detach(&b);
	}
	tk_buf_free(&b);
	/* Sorted, like the stored (canonical) mapping it comes back from. */
	qsort(x->env, x->nenv, sizeof(char *), tk_strp_cmp);
}

/*
 * Checks handler_config (an object) and fills x.  An exec config is one
 * with `type` or `command`; its keys are checked strictly.  Any other
 * object is free-form configuration for a handler_class and is kept
 * as-is, not runnable.
 */
static void
parse_exec(struct vctx *v, json_object *cfg, const char *path,
    struct tk_exec_def *x)
{
	static const char *const known[] = { "type", "command",
	    "timeout_seconds", "env", NULL };
	json_object *type = NULL, *cmd = NULL, *val;
	char p[PATH_LEN], q[80];
	size_t before = v->nerr;
	int64_t n;

	memset(x, 0, sizeof(*x));
	json_object_object_get_ex(cfg, "type", &type);
	json_object_object_get_ex(cfg, "command", &cmd);
	if (!json_object_object_get_ex(cfg, "type", NULL) &&
	    !json_object_object_get_ex(cfg, "command", NULL))
		return;
	check_keys(v, cfg, path, known);
	if (json_object_object_get_ex(cfg, "type", NULL)) {
		reg_path_key(p, sizeof(p), path, "type");
		if (!json_object_is_type(type, json_type_string))
			verr(v, tk_yaml_key_line(cfg, "type"), p,
			    "must be text, not %s", tname(type));
		else if (strcmp(json_object_get_string(type), "exec") != 0)
			verr(v, tk_yaml_key_line(cfg, "type"), p,
			    "'%s' is not supported (the only type is 'exec')",
			    tk_diag_quote(q, json_object_get_string(type)));
	}
	reg_path_key(p, sizeof(p), path, "command");
	if (!json_object_object_get_ex(cfg, "command", NULL))
		verr(v, tk_yaml_key_line(cfg, NULL), p,
		    "required for type exec");
	else
		exec_command(v, cmd, tk_yaml_key_line(cfg, "command"), p, x);
	if (json_object_object_get_ex(cfg, "timeout_seconds", &val)) {
		reg_path_key(p, sizeof(p), path, "timeout_seconds");
		if (want_int(v, val, tk_yaml_key_line(cfg, "timeout_seconds"),
		    p, 1, TK_EXEC_TIMEOUT_MAX, &n) == 0)
			x->timeout_seconds = (unsigned)n;
	}
	if (json_object_object_get_ex(cfg, "env", &val) && val != NULL) {
		reg_path_key(p, sizeof(p), path, "env");
		exec_env(v, val, tk_yaml_key_line(cfg, "env"), p, x);
	}
	if (v->nerr == before && !v->nomem)
		x->runnable = 1;
	else
		exec_free(x);
}

/* ------------------------------------------------------------------ */
/* Step templates                                                      */
/* ------------------------------------------------------------------ */

static const char *const step_keys[] = { "name", "description",
    "handler_class", "depends_on_step", "depends_on_steps",
    "default_retryable", "default_retry_limit", "skippable",
    "handler_config", "custom_events", "dependent_system", NULL };

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

static void
step_free(struct tk_step_def *s)
{
	free(s->name);
	free(s->description);
	free(s->handler_class);
	free(s->dependent_system);
	free(s->parents);
	json_object_put(s->custom_events);
	json_object_put(s->handler_config);
	exec_free(&s->exec);
	memset(s, 0, sizeof(*s));
}

static void
parse_custom_events(struct vctx *v, struct tk_step_def *st, json_object *val,
    unsigned line, const char *path)
{
	char p[PATH_LEN];
	size_t i, n, before = v->nerr;
	json_object *e, *c;

	if (val == NULL) {
		json_object_put(st->custom_events);
		st->custom_events = json_object_new_array();
		if (st->custom_events == NULL)
			v->nomem = 1;
		return;
	}
	if (!json_object_is_type(val, json_type_array)) {
		verr(v, line, path, "must be a list of event names, not %s",
		    tname(val));
		return;
	}
	n = json_object_array_length(val);
	if (n > EVENTS_MAX) {
		verr(v, line, path, "more than %d events", EVENTS_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(val, i);
		reg_path_index(p, sizeof(p), path, i);
		if (!json_object_is_type(e, json_type_string))
			verr(v, tk_yaml_item_line(val, i), p,
			    "must be text, not %s", tname(e));
		else if (json_object_get_string_len(e) == 0 ||
		    json_object_get_string_len(e) > EVENT_MAX || has_nul(e))
			verr(v, tk_yaml_item_line(val, i), p,
			    "must be 1 to %d bytes, without NUL", EVENT_MAX);
	}
	if (v->nerr != before)
		return;
	if ((c = canon_at(v, val, line, path)) != NULL) {
		json_object_put(st->custom_events);
		st->custom_events = c;
	}
}

static void
parse_handler_config(struct vctx *v, struct tk_step_def *st,
    json_object *val, unsigned line, const char *path)
{
	struct tk_exec_def x;
	json_object *c;

	if (val == NULL) {
		json_object_put(st->handler_config);
		st->handler_config = NULL;
		exec_free(&st->exec);
		return;
	}
	if (!json_object_is_type(val, json_type_object)) {
		verr(v, line, path, "must be a mapping, not %s", tname(val));
		return;
	}
	parse_exec(v, val, path, &x);
	if ((c = canon_at(v, val, line, path)) == NULL) {
		exec_free(&x);
		return;
	}
	json_object_put(st->handler_config);
	exec_free(&st->exec);
	st->handler_config = c;
	st->exec = x;
}

static void
parse_depends(struct vctx *v, struct stepsrc *src, json_object *obj,
    const char *key, json_object *val, unsigned line, const char *path,
    const char *prefix)
{
	char p[PATH_LEN];
	size_t i, n, before = v->nerr;
	json_object *e;

	if (strcmp(key, "depends_on_step") == 0) {
		if (val != NULL && !json_object_is_type(val, json_type_string)) {
			verr(v, line, path, "must be a step name, not %s",
			    tname(val));
			return;
		}
		if (val != NULL && has_nul(val)) {
			verr(v, line, path, "holds a NUL character");
			return;
		}
		src->dep1 = val != NULL ? json_object_get_string(val) : NULL;
		src->dep1_obj = obj;
		snprintf(src->dep1_path, sizeof(src->dep1_path), "%s", prefix);
		return;
	}
	if (val != NULL && !json_object_is_type(val, json_type_array)) {
		verr(v, line, path, "must be a list of step names, not %s",
		    tname(val));
		return;
	}
	n = val != NULL ? json_object_array_length(val) : 0;
	if (n > TK_HANDLER_MAX_STEPS) {
		verr(v, line, path, "more than %d entries",
		    TK_HANDLER_MAX_STEPS);
		return;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(val, i);
		if (!json_object_is_type(e, json_type_string))
			verr(v, tk_yaml_item_line(val, i),
			    reg_path_index(p, sizeof(p), path, i),
			    "must be a step name, not %s", tname(e));
		else if (has_nul(e))
			verr(v, tk_yaml_item_line(val, i),
			    reg_path_index(p, sizeof(p), path, i),
			    "holds a NUL character");
	}
	if (v->nerr != before)
		return;
	src->depn = n > 0 ? val : NULL;
	src->depn_obj = obj;
	snprintf(src->depn_path, sizeof(src->depn_path), "%s", prefix);
}

/*
 * Reads one key of a step template (base or override) into st, replacing
 * what was there: an override key replaces the base key.  "name" is the
 * caller's business.
 */
static void
parse_step_key(struct vctx *v, struct tk_step_def *st, struct stepsrc *src,
    json_object *obj, const char *key, json_object *val, const char *prefix)
{
	char path[PATH_LEN];
	unsigned line = tk_yaml_key_line(obj, key);
	int64_t n;
	int b;

	reg_path_key(path, sizeof(path), prefix, key);
	if (strcmp(key, "name") == 0)
		return;
	if (strcmp(key, "description") == 0)
		want_text(v, val, line, path, DESC_MAX, 1, &st->description);
	else if (strcmp(key, "handler_class") == 0)
		want_text(v, val, line, path, CLASS_MAX, 1,
		    &st->handler_class);
	else if (strcmp(key, "dependent_system") == 0)
		want_text(v, val, line, path, CLASS_MAX, 1,
		    &st->dependent_system);
	else if (strcmp(key, "depends_on_step") == 0 ||
	    strcmp(key, "depends_on_steps") == 0)
		parse_depends(v, src, obj, key, val, line, path, prefix);
	else if (strcmp(key, "default_retryable") == 0) {
		if (want_bool(v, val, line, path, &b) == 0)
			st->retryable = b;
	} else if (strcmp(key, "skippable") == 0) {
		if (want_bool(v, val, line, path, &b) == 0)
			st->skippable = b;
	} else if (strcmp(key, "default_retry_limit") == 0) {
		if (want_int(v, val, line, path, 0, TK_RETRY_LIMIT_MAX,
		    &n) == 0)
			st->retry_limit = (unsigned)n;
	} else if (strcmp(key, "handler_config") == 0)
		parse_handler_config(v, st, val, line, path);
	else if (strcmp(key, "custom_events") == 0)
		parse_custom_events(v, st, val, line, path);
	/* Unknown keys were reported by check_keys(). */
}

static void
parse_step_fields(struct vctx *v, struct tk_step_def *st, struct stepsrc *src,
    json_object *obj, const char *prefix)
{
	struct json_object_iter it;

	check_keys(v, obj, prefix, step_keys);
	json_object_object_foreachC(obj, it)
		if (known_key(it.key, step_keys))
			parse_step_key(v, st, src, obj, it.key, it.val, prefix);
}

/* Index of the first step named name, or -1. */
static long
find_step(const struct stepsrc *src, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (src[i].name != NULL && strcmp(src[i].name, name) == 0)
			return (long)i;
	return -1;
}

static void
parse_steps(struct vctx *v, struct tk_handler_def *h, struct stepsrc *src,
    json_object *arr)
{
	char path[PATH_LEN], q[80];
	json_object *obj, *name;
	struct tk_step_def *st;
	long dup;
	size_t i;

	for (i = 0; i < h->nsteps; i++) {
		st = &h->steps[i];
		st->retryable = 1;
		st->retry_limit = 3;
		st->custom_events = json_object_new_array();
		if (st->custom_events == NULL)
			v->nomem = 1;
		obj = json_object_array_get_idx(arr, i);
		reg_path_index(src[i].path, sizeof(src[i].path),
		    "step_templates", i);
		src[i].line = tk_yaml_item_line(arr, i);
		src[i].obj = obj;
		if (!json_object_is_type(obj, json_type_object)) {
			verr(v, src[i].line, src[i].path,
			    "must be a mapping, not %s", tname(obj));
			continue;
		}
		reg_path_key(path, sizeof(path), src[i].path, "name");
		if (!json_object_object_get_ex(obj, "name", &name))
			verr(v, src[i].line, path, "required");
		else if (want_name(v, name, tk_yaml_key_line(obj, "name"),
		    path, &st->name) == 0) {
			dup = find_step(src, i, st->name);
			if (dup >= 0)
				verr(v, tk_yaml_key_line(obj, "name"), path,
				    "duplicate step name '%s' (first at "
				    "step_templates[%ld], line %u)",
				    tk_diag_quote(q, st->name), dup, src[dup].line);
			else
				src[i].name = st->name;
		}
		parse_step_fields(v, st, &src[i], obj, src[i].path);
	}
}

/* ------------------------------------------------------------------ */
/* Environments                                                        */
/* ------------------------------------------------------------------ */

static void check_override_deps(struct vctx *, const struct tk_handler_def *,
    const struct stepsrc *, const struct stepsrc *, long);

/*
 * One environment's overrides.  Every environment is checked; only the
 * selected one (apply) is merged into the steps.
 */
static void
parse_env(struct vctx *v, struct tk_handler_def *h, struct stepsrc *src,
    json_object *env, const char *prefix, int apply)
{
	static const char *const env_keys[] = { "step_templates", NULL };
	char path[PATH_LEN], ipath[PATH_LEN], npath[PATH_LEN], q[80];
	json_object *arr = NULL, *o, *name;
	unsigned char *seen = NULL;
	struct tk_step_def scratch;
	struct stepsrc ssrc;
	size_t i, n;
	long idx;

	if (env == NULL)
		return;
	if (!json_object_is_type(env, json_type_object)) {
		verr(v, 0, prefix, "must be a mapping, not %s", tname(env));
		return;
	}
	check_keys(v, env, prefix, env_keys);
	reg_path_key(path, sizeof(path), prefix, "step_templates");
	if (!json_object_object_get_ex(env, "step_templates", &arr) ||
	    arr == NULL)
		return;
	if (!json_object_is_type(arr, json_type_array)) {
		verr(v, tk_yaml_key_line(env, "step_templates"), path,
		    "must be a list, not %s", tname(arr));
		return;
	}
	n = json_object_array_length(arr);
	if ((seen = calloc(h->nsteps + 1, 1)) == NULL) {
		v->nomem = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		reg_path_index(ipath, sizeof(ipath), path, i);
		if (!json_object_is_type(o, json_type_object)) {
			verr(v, tk_yaml_item_line(arr, i), ipath,
			    "must be a mapping, not %s", tname(o));
			continue;
		}
		reg_path_key(npath, sizeof(npath), ipath, "name");
		idx = -1;
		if (!json_object_object_get_ex(o, "name", &name))
			verr(v, tk_yaml_item_line(arr, i), npath,
			    "required (it names the step to override)");
		else if (!json_object_is_type(name, json_type_string))
			verr(v, tk_yaml_key_line(o, "name"), npath,
			    "must be text, not %s", tname(name));
		else if ((idx = find_step(src, h->nsteps,
		    json_object_get_string(name))) < 0)
			verr(v, tk_yaml_key_line(o, "name"), npath,
			    "unknown step '%s'",
			    tk_diag_quote(q, json_object_get_string(name)));
		else if (seen[idx]++)
			verr(v, tk_yaml_key_line(o, "name"), npath,
			    "step '%s' is overridden twice",
			    tk_diag_quote(q, json_object_get_string(name)));
		if (apply && idx >= 0) {
			parse_step_fields(v, &h->steps[idx], &src[idx], o,
			    ipath);
			snprintf(v->merged_env, sizeof(v->merged_env), "%s",
			    prefix);
			continue;
		}
		/* Check it all the same, into a scratch step. */
		memset(&scratch, 0, sizeof(scratch));
		memset(&ssrc, 0, sizeof(ssrc));
		parse_step_fields(v, &scratch, &ssrc, o, ipath);
		if (idx >= 0)
			check_override_deps(v, h, src, &ssrc, idx);
		step_free(&scratch);
	}
	free(seen);
}

static void
parse_environments(struct vctx *v, struct tk_handler_def *h,
    struct stepsrc *src, json_object *envs, const char *environment)
{
	struct json_object_iter it;
	char path[PATH_LEN], q[80];

	if (envs == NULL)
		return;
	if (!json_object_is_type(envs, json_type_object)) {
		verr(v, tk_yaml_line(envs), "environments",
		    "must be a mapping of environment names, not %s",
		    tname(envs));
		return;
	}
	json_object_object_foreachC(envs, it) {
		reg_path_key(path, sizeof(path), "environments",
		    tk_diag_quote(q, it.key));
		if (it.val != NULL &&
		    !json_object_is_type(it.val, json_type_object)) {
			verr(v, tk_yaml_key_line(envs, it.key), path,
			    "must be a mapping, not %s", tname(it.val));
			continue;
		}
		parse_env(v, h, src, it.val, path, environment != NULL &&
		    strcmp(environment, it.key) == 0);
	}
}

/* ------------------------------------------------------------------ */
/* Dependencies                                                        */
/* ------------------------------------------------------------------ */

/* Index of the step called name as a parent of step self; reports an
 * unknown step or a step depending on itself (then -1). */
static long
check_parent(struct vctx *v, const struct tk_handler_def *h,
    const struct stepsrc *src, long self, const char *name, unsigned line,
    const char *path)
{
	char q[80];
	long p;

	if ((p = find_step(src, h->nsteps, name)) < 0) {
		verr(v, line, path, "unknown step '%s'", tk_diag_quote(q, name));
		return -1;
	}
	if (p == self) {
		verr(v, line, path, "step '%s' depends on itself", tk_diag_quote(q, name));
		return -1;
	}
	return p;
}

/* Adds the parent called name to step i, once. */
static void
add_parent(struct vctx *v, struct tk_handler_def *h, struct stepsrc *src,
    size_t i, const char *name, unsigned line, const char *path)
{
	struct tk_step_def *st = &h->steps[i];
	long p;
	size_t j;

	if ((p = check_parent(v, h, src, (long)i, name, line, path)) < 0)
		return;
	for (j = 0; j < st->nparents; j++)
		if (st->parents[j] == (size_t)p)
			return;
	st->parents[st->nparents++] = (size_t)p;
}

/* The dependencies named by an override of a non-selected environment
 * (s) must exist too, even though they are not merged. */
static void
check_override_deps(struct vctx *v, const struct tk_handler_def *h,
    const struct stepsrc *src, const struct stepsrc *s, long self)
{
	char path[PATH_LEN], ip[PATH_LEN];
	size_t j;

	if (s->dep1 != NULL)
		check_parent(v, h, src, self, s->dep1,
		    tk_yaml_key_line(s->dep1_obj, "depends_on_step"),
		    reg_path_key(path, sizeof(path), s->dep1_path,
		    "depends_on_step"));
	if (s->depn == NULL)
		return;
	reg_path_key(path, sizeof(path), s->depn_path, "depends_on_steps");
	for (j = 0; j < json_object_array_length(s->depn); j++)
		check_parent(v, h, src, self, json_object_get_string(
		    json_object_array_get_idx(s->depn, j)),
		    tk_yaml_item_line(s->depn, j),
		    reg_path_index(ip, sizeof(ip), path, j));
}

static void
resolve_parents(struct vctx *v, struct tk_handler_def *h,
    struct stepsrc *src)
{
	char path[PATH_LEN], ip[PATH_LEN];
	size_t i, j, n;

	for (i = 0; i < h->nsteps; i++) {
		n = (src[i].dep1 != NULL) + (src[i].depn != NULL ?
		    json_object_array_length(src[i].depn) : 0);
		if (n == 0)
			continue;
		if ((h->steps[i].parents = calloc(n, sizeof(size_t))) == NULL) {
			v->nomem = 1;
			return;
		}
		if (src[i].dep1 != NULL)
			add_parent(v, h, src, i, src[i].dep1,
			    tk_yaml_key_line(src[i].dep1_obj, "depends_on_step"),
			    reg_path_key(path, sizeof(path), src[i].dep1_path,
			    "depends_on_step"));
		if (src[i].depn == NULL)
			continue;
		reg_path_key(path, sizeof(path), src[i].depn_path,
		    "depends_on_steps");
		for (j = 0; j < json_object_array_length(src[i].depn); j++)
			add_parent(v, h, src, i, json_object_get_string(
			    json_object_array_get_idx(src[i].depn, j)),
			    tk_yaml_item_line(src[i].depn, j),
			    reg_path_index(ip, sizeof(ip), path, j));
	}
}

/* Runs the DAG analysis; reports a cycle as "a -> b -> a". */
static void
analyse(struct vctx *v, struct tk_handler_def *h, struct stepsrc *src)
{
	const size_t **par = NULL;
	size_t *np = NULL, i;
	struct tk_buf b = TK_BUF_INIT;
	struct tk_dag d;
	char q[80];
	tk_err e;

	par = calloc(h->nsteps + 1, sizeof(*par));
	np = calloc(h->nsteps + 1, sizeof(*np));
	if (par == NULL || np == NULL) {
		v->nomem = 1;
		goto out;
	}
	for (i = 0; i < h->nsteps; i++) {
		par[i] = h->steps[i].parents;
		np[i] = h->steps[i].nparents;
	}
	e = tk_dag_analyse(h->nsteps, par, np, &d);
	if (e == TK_ERR_DEFINITION) {
		for (i = 0; i <= d.ncycle; i++) {
			const char *nm = h->steps[d.cycle[i % d.ncycle]].name;
			tk_buf_printf(&b, "%s%s", i ? " -> " : "",
			    tk_diag_quote(q, nm != NULL ? nm : "?"));
		}
		if (b.failed)
			v->nomem = 1;
		else
			verr(v, src[d.cycle[0]].line, src[d.cycle[0]].path,
			    "dependency cycle: %s%s%s%s", tk_buf_str(&b),
			    v->merged_env[0] ? " (with the overrides of " : "",
			    v->merged_env,
			    v->merged_env[0] ? ")" : "");
	} else if (e == TK_OK) {
		h->order = d.order;
		h->level = d.level;
		h->nlevels = d.nlevels;
		d.order = NULL;
		d.level = NULL;
	} else if (e == TK_ERR_NOMEM)
		v->nomem = 1;
	else
		verr(v, 0, "step_templates", "cannot analyse dependencies");
	tk_dag_free(&d);
out:
	tk_buf_free(&b);
	free(par);
	free(np);
}

/* ------------------------------------------------------------------ */
/* Top level                                                           */
/* ------------------------------------------------------------------ */

static const char *const top_keys[] = { "name", "namespace_name", "version",
    "description", "task_handler_class", "module_namespace",
    "default_dependent_system", "named_steps", "schema", "step_templates",
    "environments", NULL };

static void
parse_named_steps(struct vctx *v, struct tk_handler_def *h,
    struct stepsrc *src, json_object *root)
{
	json_object *arr, *e;
	char p[PATH_LEN], q[80];
	size_t i, j, n;

	if (!json_object_object_get_ex(root, "named_steps", &arr) ||
	    arr == NULL)
		return;
	if (!json_object_is_type(arr, json_type_array)) {
		verr(v, tk_yaml_key_line(root, "named_steps"), "named_steps",
		    "must be a list of step names, not %s", tname(arr));
		return;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		reg_path_index(p, sizeof(p), "named_steps", i);
		if (want_name(v, e, tk_yaml_item_line(arr, i), p, NULL))
			continue;
		for (j = 0; j < i; j++)
			if (json_object_equal(e, json_object_array_get_idx(arr,
			    j)))
				break;
		if (j < i)
			verr(v, tk_yaml_item_line(arr, i), p,
			    "'%s' is listed twice",
			    tk_diag_quote(q, json_object_get_string(e)));
		else if (find_step(src, h->nsteps,
		    json_object_get_string(e)) < 0)
			verr(v, tk_yaml_item_line(arr, i), p,
			    "no step template is named '%s'",
			    tk_diag_quote(q, json_object_get_string(e)));
	}
	for (i = 0; i < h->nsteps; i++) {
		if (src[i].name == NULL)
			continue;
		for (j = 0; j < n; j++) {
			e = json_object_array_get_idx(arr, j);
			if (json_object_is_type(e, json_type_string) &&
			    strcmp(json_object_get_string(e),
			    src[i].name) == 0)
				break;
		}
		if (j == n)
			verr(v, tk_yaml_key_line(src[i].obj, "name"),
			    reg_path_key(p, sizeof(p), src[i].path, "name"),
			    "step '%s' is not listed in named_steps",
			    tk_diag_quote(q, src[i].name));
	}
}

/*
 * The source line of the RFC 6901 pointer ptr (ptr[0] == '/') inside a
 * YAML tree: the line of the deepest member or item it reaches; line
 * when it reaches none (or the tree has no lines).
 */
static unsigned
pointer_line(json_object *tree, const char *ptr, unsigned line)
{
	char tok[256];
	const char *p = ptr;
	json_object *next;
	unsigned l;
	size_t n;
	char *end;
	unsigned long idx;

	while (*p == '/' && tree != NULL) {
		p++;
		for (n = 0; *p != '\0' && *p != '/' && n + 1 < sizeof(tok); p++) {
			if (p[0] == '~' && (p[1] == '0' || p[1] == '1')) {
				tok[n++] = p[1] == '0' ? '~' : '/';
				p++;
			} else
				tok[n++] = *p;
		}
		tok[n] = '\0';
		if (json_object_is_type(tree, json_type_object)) {
			if (!json_object_object_get_ex(tree, tok, &next))
				break;
			l = tk_yaml_key_line(tree, tok);
		} else if (json_object_is_type(tree, json_type_array)) {
			idx = strtoul(tok, &end, 10);
			if (*tok == '\0' || *end != '\0' ||
			    idx >= json_object_array_length(tree))
				break;
			l = tk_yaml_item_line(tree, idx);
			next = json_object_array_get_idx(tree, idx);
		} else
			break;
		if (l > 0)
			line = l;
		tree = next;
	}
	return line;
}

/*
 * Compiles the context schema as POST /tasks will, so a keyword the
 * validator does not implement, or a malformed schema, is refused when
 * the handler is loaded rather than ignored when a task is created.
 * Each problem reads "FILE:LINE: schema: /properties/x/minimum: ...".
 * schema is the canonical copy (the validator deep-copies values, which
 * json-c refuses for the YAML tree's line records); src, the YAML tree,
 * gives the lines.
 */
static void
check_schema(struct vctx *v, json_object *schema, json_object *src,
    unsigned line)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_schema *s = NULL;
	const char *m, *colon;
	char ptr[512];
	size_t i, n;
	tk_err e;

	e = tk_schema_compile(schema, &s, &d);
	tk_schema_free(s);
	if (e == TK_ERR_NOMEM)
		v->nomem = 1;
	else if (e != TK_OK && d.n == 0)
		verr(v, line, "schema", "not a valid JSON Schema");
	for (i = 0; e != TK_ERR_NOMEM && i < d.n; i++) {
		m = d.msg[i];
		ptr[0] = '\0';
		if (m[0] == '/' && (colon = strstr(m, ": ")) != NULL &&
		    (n = (size_t)(colon - m)) < sizeof(ptr)) {
			memcpy(ptr, m, n);
			ptr[n] = '\0';
		}
		verr(v, ptr[0] ? pointer_line(src, ptr, line) : line,
		    "schema", "%s", m);
	}
	tk_diag_free(&d);
}

static void
parse_top(struct vctx *v, struct tk_handler_def *h, json_object *root)
{
	json_object *val;
	char q[80];

	check_keys(v, root, "", top_keys);
	if (!json_object_object_get_ex(root, "name", &val))
		verr(v, tk_yaml_line(root), "name", "required");
	else
		want_name(v, val, tk_yaml_key_line(root, "name"), "name",
		    &h->name);
	if (json_object_object_get_ex(root, "namespace_name", &val) &&
	    val != NULL)
		want_name(v, val, tk_yaml_key_line(root, "namespace_name"),
		    "namespace_name", &h->namespace_name);
	if (h->namespace_name == NULL)
		h->namespace_name = dup_or_flag(v, "default");
	tk_semver_parse("0.1.0", &h->semver);
	if (json_object_object_get_ex(root, "version", &val) && val != NULL) {
		unsigned l = tk_yaml_key_line(root, "version");
		if (!json_object_is_type(val, json_type_string))
			verr(v, l, "version", "must be text such as "
			    "\"1.2.0\" (quote it), not %s", tname(val));
		else if (tk_semver_parse(json_object_get_string(val),
		    &h->semver) != TK_OK)
			verr(v, l, "version", "'%s' is not a semantic version "
			    "(MAJOR.MINOR.PATCH, see semver.org)",
			    tk_diag_quote(q, json_object_get_string(val)));
	}
	h->version = dup_or_flag(v, h->semver.str);
#define OPT_TEXT(key, max, field)                                          \
	if (json_object_object_get_ex(root, key, &val))                    \
		want_text(v, val, tk_yaml_key_line(root, key), key, max, 1, \
		    &h->field)
	OPT_TEXT("description", DESC_MAX, description);
	OPT_TEXT("task_handler_class", CLASS_MAX, task_handler_class);
	OPT_TEXT("module_namespace", CLASS_MAX, module_namespace);
	OPT_TEXT("default_dependent_system", CLASS_MAX,
	    default_dependent_system);
#undef OPT_TEXT
	if (json_object_object_get_ex(root, "schema", &val) && val != NULL) {
		unsigned l = tk_yaml_key_line(root, "schema");
		if (!json_object_is_type(val, json_type_object))
			verr(v, l, "schema", "must be a JSON Schema object "
			    "(a mapping), not %s", tname(val));
		else if ((h->schema = canon_at(v, val, l, "schema")) != NULL)
			check_schema(v, h->schema, val, l);
	}
}

tk_err
tk_handler_parse(json_object *root, const char *file, const char *environment,
    struct tk_handler_def **out, struct tk_diag *diag)
{
	struct vctx v;
	struct tk_handler_def *h = NULL;
	struct stepsrc *src = NULL;
	json_object *arr = NULL, *envs = NULL;
	tk_err e;

	*out = NULL;
	memset(&v, 0, sizeof(v));
	v.file = file != NULL ? file : "(definition)";
	v.diag = diag;
	if (!json_object_is_type(root, json_type_object)) {
		verr(&v, root != NULL ? tk_yaml_line(root) : 0, "",
		    "the top level must be a mapping, not %s", tname(root));
		return TK_ERR_DEFINITION;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return TK_ERR_NOMEM;
	parse_top(&v, h, root);

	if (!json_object_object_get_ex(root, "step_templates", &arr))
		verr(&v, tk_yaml_line(root), "step_templates", "required");
	else if (!json_object_is_type(arr, json_type_array))
		verr(&v, tk_yaml_key_line(root, "step_templates"),
		    "step_templates", "must be a list, not %s", tname(arr));
	else if (json_object_array_length(arr) == 0 ||
	    json_object_array_length(arr) > TK_HANDLER_MAX_STEPS)
		verr(&v, tk_yaml_key_line(root, "step_templates"),
		    "step_templates", "must list 1 to %d steps",
		    TK_HANDLER_MAX_STEPS);
	else {
		h->nsteps = json_object_array_length(arr);
		h->steps = calloc(h->nsteps, sizeof(*h->steps));
		src = calloc(h->nsteps, sizeof(*src));
		if (h->steps == NULL || src == NULL) {
			h->nsteps = 0;
			v.nomem = 1;
			goto out;
		}
		parse_steps(&v, h, src, arr);
		parse_named_steps(&v, h, src, root);
		if (json_object_object_get_ex(root, "environments", &envs))
			parse_environments(&v, h, src, envs, environment);
		resolve_parents(&v, h, src);
		if (!v.nomem)
			analyse(&v, h, src);
	}
out:
	free(src);
	if (v.nomem) {
		tk_handler_free(h);
		return TK_ERR_NOMEM;
	}
	if (v.nerr > 0 || h->order == NULL) {
		if (v.nerr == 0)
			verr(&v, 0, "", "invalid definition");
		tk_handler_free(h);
		return TK_ERR_DEFINITION;
	}
	if ((e = reg_hash(h)) != TK_OK) {
		tk_handler_free(h);
		return e;
	}
	*out = h;
	return TK_OK;
}

tk_err
tk_handler_from_json(json_object *definition, struct tk_handler_def **out,
    struct tk_diag *diag)
{
	return tk_handler_parse(definition, "definition", NULL, out, diag);
}

void
tk_handler_free(struct tk_handler_def *h)
{
	size_t i;

	if (h == NULL)
		return;
	free(h->namespace_name);
	free(h->name);
	free(h->version);
	free(h->description);
	free(h->task_handler_class);
	free(h->module_namespace);
	free(h->default_dependent_system);
	json_object_put(h->schema);
	for (i = 0; h->steps != NULL && i < h->nsteps; i++)
		step_free(&h->steps[i]);
	free(h->steps);
	free(h->order);
	free(h->level);
	free(h->source);
	free(h);
}

long
tk_handler_step_index(const struct tk_handler_def *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nsteps; i++)
		if (strcmp(h->steps[i].name, name) == 0)
			return (long)i;
	return -1;
}
