/*
 * steps.c - validation of a definition's steps: step templates and
 * named_steps, environments (overrides merged into the steps), and
 * dependencies (parents resolved, the DAG analysed), every problem
 * reported (see handler.c).
 */
#include "tasker/handler.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/dag.h"
#include "tasker/strlist.h"
#include "tasker/yamljson.h"

#include "internal.h"

#define EVENT_MAX    128     /* one custom event name */
#define EVENTS_MAX   64      /* custom events per step */

/* ------------------------------------------------------------------ */
/* Step templates                                                      */
/* ------------------------------------------------------------------ */

static const char *const step_keys[] = { "name", "description",
    "handler_class", "depends_on_step", "depends_on_steps",
    "default_retryable", "default_retry_limit", "skippable",
    "handler_config", "custom_events", "dependent_system", "max_in_flight",
    "concurrency", "rate_limit", NULL };

void
reg_step_free(struct tk_step_def *s)
{
	free(s->name);
	free(s->description);
	free(s->handler_class);
	free(s->dependent_system);
	free(s->parents);
	reg_flow_limit_free(&s->concurrency);
	json_object_put(s->custom_events);
	json_object_put(s->handler_config);
	reg_exec_free(&s->exec);
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
		reg_verr(v, line, path, "must be a list of event names, not %s",
		    reg_tname(val));
		return;
	}
	n = json_object_array_length(val);
	if (n > EVENTS_MAX) {
		reg_verr(v, line, path, "more than %d events", EVENTS_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(val, i);
		reg_path_index(p, sizeof(p), path, i);
		if (!json_object_is_type(e, json_type_string))
			reg_verr(v, tk_yaml_item_line(val, i), p,
			    "must be text, not %s", reg_tname(e));
		else if (json_object_get_string_len(e) == 0 ||
		    json_object_get_string_len(e) > EVENT_MAX || reg_has_nul(e))
			reg_verr(v, tk_yaml_item_line(val, i), p,
			    "must be 1 to %d bytes, without NUL", EVENT_MAX);
	}
	if (v->nerr != before)
		return;
	if ((c = reg_canon_at(v, val, line, path)) != NULL) {
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
		reg_exec_free(&st->exec);
		return;
	}
	if (!json_object_is_type(val, json_type_object)) {
		reg_verr(v, line, path, "must be a mapping, not %s", reg_tname(val));
		return;
	}
	reg_parse_exec(v, val, path, &x);
	if ((c = reg_canon_at(v, val, line, path)) == NULL) {
		reg_exec_free(&x);
		return;
	}
	json_object_put(st->handler_config);
	reg_exec_free(&st->exec);
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
			reg_verr(v, line, path, "must be a step name, not %s",
			    reg_tname(val));
			return;
		}
		if (val != NULL && reg_has_nul(val)) {
			reg_verr(v, line, path, "holds a NUL character");
			return;
		}
		src->dep1 = val != NULL ? json_object_get_string(val) : NULL;
		src->dep1_obj = obj;
		snprintf(src->dep1_path, sizeof(src->dep1_path), "%s", prefix);
		return;
	}
	if (val != NULL && !json_object_is_type(val, json_type_array)) {
		reg_verr(v, line, path, "must be a list of step names, not %s",
		    reg_tname(val));
		return;
	}
	n = val != NULL ? json_object_array_length(val) : 0;
	if (n > TK_HANDLER_MAX_STEPS) {
		reg_verr(v, line, path, "more than %d entries",
		    TK_HANDLER_MAX_STEPS);
		return;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(val, i);
		if (!json_object_is_type(e, json_type_string))
			reg_verr(v, tk_yaml_item_line(val, i),
			    reg_path_index(p, sizeof(p), path, i),
			    "must be a step name, not %s", reg_tname(e));
		else if (reg_has_nul(e))
			reg_verr(v, tk_yaml_item_line(val, i),
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
		reg_want_text(v, val, line, path, DESC_MAX, 1, &st->description);
	else if (strcmp(key, "handler_class") == 0)
		reg_want_text(v, val, line, path, CLASS_MAX, 1,
		    &st->handler_class);
	else if (strcmp(key, "dependent_system") == 0)
		reg_want_text(v, val, line, path, CLASS_MAX, 1,
		    &st->dependent_system);
	else if (strcmp(key, "depends_on_step") == 0 ||
	    strcmp(key, "depends_on_steps") == 0)
		parse_depends(v, src, obj, key, val, line, path, prefix);
	else if (strcmp(key, "default_retryable") == 0) {
		if (reg_want_bool(v, val, line, path, &b) == 0)
			st->retryable = b;
	} else if (strcmp(key, "skippable") == 0) {
		if (reg_want_bool(v, val, line, path, &b) == 0)
			st->skippable = b;
	} else if (strcmp(key, "default_retry_limit") == 0) {
		if (reg_want_int(v, val, line, path, 0, TK_RETRY_LIMIT_MAX,
		    &n) == 0)
			st->retry_limit = (unsigned)n;
	} else if (strcmp(key, "max_in_flight") == 0) {
		if (reg_want_int(v, val, line, path, 1, TK_IN_FLIGHT_MAX,
		    &n) == 0)
			st->max_in_flight = (unsigned)n;
	} else if (strcmp(key, "concurrency") == 0)
		reg_parse_concurrency(v, val, line, path, &st->concurrency);
	else if (strcmp(key, "rate_limit") == 0)
		reg_parse_rate(v, val, line, path, &st->rate);
	else if (strcmp(key, "handler_config") == 0)
		parse_handler_config(v, st, val, line, path);
	else if (strcmp(key, "custom_events") == 0)
		parse_custom_events(v, st, val, line, path);
	/* Unknown keys were reported by reg_check_keys(). */
}

static void
parse_step_fields(struct vctx *v, struct tk_step_def *st, struct stepsrc *src,
    json_object *obj, const char *prefix)
{
	struct json_object_iter it;

	reg_check_keys(v, obj, prefix, step_keys);
	json_object_object_foreachC(obj, it)
		if (tk_name_listed(step_keys, it.key))
			parse_step_key(v, st, src, obj, it.key, it.val, prefix);
	reg_flow_check_step(v, st, obj, prefix);
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

void
reg_parse_steps(struct vctx *v, struct tk_handler_def *h, struct stepsrc *src,
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
			reg_verr(v, src[i].line, src[i].path,
			    "must be a mapping, not %s", reg_tname(obj));
			continue;
		}
		reg_path_key(path, sizeof(path), src[i].path, "name");
		if (!json_object_object_get_ex(obj, "name", &name))
			reg_verr(v, src[i].line, path, "required");
		else if (reg_want_name(v, name, tk_yaml_key_line(obj, "name"),
		    path, &st->name) == 0) {
			dup = find_step(src, i, st->name);
			if (dup >= 0)
				reg_verr(v, tk_yaml_key_line(obj, "name"), path,
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
		reg_verr(v, 0, prefix, "must be a mapping, not %s", reg_tname(env));
		return;
	}
	reg_check_keys(v, env, prefix, env_keys);
	reg_path_key(path, sizeof(path), prefix, "step_templates");
	if (!json_object_object_get_ex(env, "step_templates", &arr) ||
	    arr == NULL)
		return;
	if (!json_object_is_type(arr, json_type_array)) {
		reg_verr(v, tk_yaml_key_line(env, "step_templates"), path,
		    "must be a list, not %s", reg_tname(arr));
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
			reg_verr(v, tk_yaml_item_line(arr, i), ipath,
			    "must be a mapping, not %s", reg_tname(o));
			continue;
		}
		reg_path_key(npath, sizeof(npath), ipath, "name");
		idx = -1;
		if (!json_object_object_get_ex(o, "name", &name))
			reg_verr(v, tk_yaml_item_line(arr, i), npath,
			    "required (it names the step to override)");
		else if (!json_object_is_type(name, json_type_string))
			reg_verr(v, tk_yaml_key_line(o, "name"), npath,
			    "must be text, not %s", reg_tname(name));
		else if ((idx = find_step(src, h->nsteps,
		    json_object_get_string(name))) < 0)
			reg_verr(v, tk_yaml_key_line(o, "name"), npath,
			    "unknown step '%s'",
			    tk_diag_quote(q, json_object_get_string(name)));
		else if (seen[idx]++)
			reg_verr(v, tk_yaml_key_line(o, "name"), npath,
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
		reg_step_free(&scratch);
	}
	free(seen);
}

void
reg_parse_environments(struct vctx *v, struct tk_handler_def *h,
    struct stepsrc *src, json_object *envs, const char *environment)
{
	struct json_object_iter it;
	char path[PATH_LEN], q[80];

	if (envs == NULL)
		return;
	if (!json_object_is_type(envs, json_type_object)) {
		reg_verr(v, tk_yaml_line(envs), "environments",
		    "must be a mapping of environment names, not %s",
		    reg_tname(envs));
		return;
	}
	json_object_object_foreachC(envs, it) {
		reg_path_key(path, sizeof(path), "environments",
		    tk_diag_quote(q, it.key));
		if (it.val != NULL &&
		    !json_object_is_type(it.val, json_type_object)) {
			reg_verr(v, tk_yaml_key_line(envs, it.key), path,
			    "must be a mapping, not %s", reg_tname(it.val));
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
		reg_verr(v, line, path, "unknown step '%s'", tk_diag_quote(q, name));
		return -1;
	}
	if (p == self) {
		reg_verr(v, line, path, "step '%s' depends on itself", tk_diag_quote(q, name));
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

void
reg_resolve_parents(struct vctx *v, struct tk_handler_def *h,
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
void
reg_analyse(struct vctx *v, struct tk_handler_def *h, struct stepsrc *src)
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
			reg_verr(v, src[d.cycle[0]].line, src[d.cycle[0]].path,
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
		reg_verr(v, 0, "step_templates", "cannot analyse dependencies");
	tk_dag_free(&d);
out:
	tk_buf_free(&b);
	free(par);
	free(np);
}

void
reg_parse_named_steps(struct vctx *v, struct tk_handler_def *h,
    struct stepsrc *src, json_object *root)
{
	json_object *arr, *e;
	char p[PATH_LEN], q[80];
	size_t i, j, n;

	if (!json_object_object_get_ex(root, "named_steps", &arr) ||
	    arr == NULL)
		return;
	if (!json_object_is_type(arr, json_type_array)) {
		reg_verr(v, tk_yaml_key_line(root, "named_steps"), "named_steps",
		    "must be a list of step names, not %s", reg_tname(arr));
		return;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		reg_path_index(p, sizeof(p), "named_steps", i);
		if (reg_want_name(v, e, tk_yaml_item_line(arr, i), p, NULL))
			continue;
		for (j = 0; j < i; j++)
			if (json_object_equal(e, json_object_array_get_idx(arr,
			    j)))
				break;
		if (j < i)
			reg_verr(v, tk_yaml_item_line(arr, i), p,
			    "'%s' is listed twice",
			    tk_diag_quote(q, json_object_get_string(e)));
		else if (find_step(src, h->nsteps,
		    json_object_get_string(e)) < 0)
			reg_verr(v, tk_yaml_item_line(arr, i), p,
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
			reg_verr(v, tk_yaml_key_line(src[i].obj, "name"),
			    reg_path_key(p, sizeof(p), src[i].path, "name"),
			    "step '%s' is not listed in named_steps",
			    tk_diag_quote(q, src[i].name));
	}
}
