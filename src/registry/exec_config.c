/*
 * exec_config.c - validation of a step's handler_config: the exec
 * protocol (type, command, timeout_seconds, env) into struct
 * tk_exec_def, every problem reported (see handler.c).
 */
#include "tasker/handler.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/strlist.h"
#include "tasker/yamljson.h"

#include "internal.h"

#define ARG_MAX_LEN  4096    /* one argv entry */
#define CMD_MAX_LEN  65536   /* a shell command string */
#define ENV_NAME_MAX 128
#define ENV_VAL_MAX  4096

/* ------------------------------------------------------------------ */
/* handler_config: the exec protocol                                   */
/* ------------------------------------------------------------------ */

void
reg_exec_free(struct tk_exec_def *x)
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
		    reg_has_nul(cmd)) {
			reg_verr(v, line, path, "must be a command of 1 to %d "
			    "bytes, without NUL", CMD_MAX_LEN);
			return;
		}
		if ((x->argv = calloc(4, sizeof(char *))) == NULL) {
			v->nomem = 1;
			return;
		}
		x->argc = 3;
		x->argv[0] = reg_dup(v, "/bin/sh");
		x->argv[1] = reg_dup(v, "-c");
		x->argv[2] = reg_dup(v, json_object_get_string(cmd));
		return;
	}
	if (!json_object_is_type(cmd, json_type_array)) {
		reg_verr(v, line, path, "must be text (run by /bin/sh -c) or a "
		    "list of arguments, not %s", reg_tname(cmd));
		return;
	}
	n = json_object_array_length(cmd);
	if (n == 0 || n > TK_EXEC_MAX_ARGS) {
		reg_verr(v, line, path, "must list 1 to %d arguments",
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
			reg_verr(v, tk_yaml_item_line(cmd, i), p,
			    "must be text, not %s", reg_tname(a));
		else if (json_object_get_string_len(a) > ARG_MAX_LEN)
			reg_verr(v, tk_yaml_item_line(cmd, i), p,
			    "longer than %d bytes", ARG_MAX_LEN);
		else if (reg_has_nul(a))
			reg_verr(v, tk_yaml_item_line(cmd, i), p,
			    "holds a NUL character");
		else if (i == 0 && json_object_get_string_len(a) == 0)
			reg_verr(v, tk_yaml_item_line(cmd, i), p,
			    "the program must not be empty");
		else
			x->argv[i] = reg_dup(v, json_object_get_string(a));
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
		reg_verr(v, line, path, "must be a mapping of NAME: value, not %s",
		    reg_tname(env));
		return;
	}
	n = (size_t)json_object_object_length(env);
	if (n > TK_EXEC_MAX_ENV) {
		reg_verr(v, line, path, "more than %d variables", TK_EXEC_MAX_ENV);
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
			reg_verr(v, l, p, "not a valid variable name");
			continue;
		}
		if (!json_object_is_type(it.val, json_type_string)) {
			reg_verr(v, l, p, "must be text (quote it), not %s",
			    reg_tname(it.val));
			continue;
		}
		if (json_object_get_string_len(it.val) > ENV_VAL_MAX ||
		    reg_has_nul(it.val)) {
			reg_verr(v, l, p, "must be at most %d bytes, without NUL",
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
void
reg_parse_exec(struct vctx *v, json_object *cfg, const char *path,
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
	reg_check_keys(v, cfg, path, known);
	if (json_object_object_get_ex(cfg, "type", NULL)) {
		reg_path_key(p, sizeof(p), path, "type");
		if (!json_object_is_type(type, json_type_string))
			reg_verr(v, tk_yaml_key_line(cfg, "type"), p,
			    "must be text, not %s", reg_tname(type));
		else if (strcmp(json_object_get_string(type), "exec") != 0)
			reg_verr(v, tk_yaml_key_line(cfg, "type"), p,
			    "'%s' is not supported (the only type is 'exec')",
			    tk_diag_quote(q, json_object_get_string(type)));
	}
	reg_path_key(p, sizeof(p), path, "command");
	if (!json_object_object_get_ex(cfg, "command", NULL))
		reg_verr(v, tk_yaml_key_line(cfg, NULL), p,
		    "required for type exec");
	else
		exec_command(v, cmd, tk_yaml_key_line(cfg, "command"), p, x);
	if (json_object_object_get_ex(cfg, "timeout_seconds", &val)) {
		reg_path_key(p, sizeof(p), path, "timeout_seconds");
		if (reg_want_int(v, val, tk_yaml_key_line(cfg, "timeout_seconds"),
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
		reg_exec_free(x);
}
