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
 * This file: messages, field readers (shared with the validation files
 * below through internal.h), the top level and the entry points.
 * handler_config's exec protocol is exec_config.c's; step templates,
 * environments and dependencies are steps.c's.
 */
#include "tasker/handler.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/jsonschema.h"
#include "tasker/strlist.h"
#include "tasker/yamljson.h"

#include "internal.h"

#define MAX_ERRORS   100     /* per handler, then one "too many" */

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* "FILE:LINE: PATH: message"; the line is left out when unknown (0). */
void
reg_verr(struct vctx *v, unsigned line, const char *path, const char *fmt, ...)
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

const char *
reg_tname(json_object *o)
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

struct unknown_arg {
	struct vctx *v;
	const char  *prefix;
};

static void
unknown_key(void *arg, const char *key, unsigned line, const char *near)
{
	struct unknown_arg *u = arg;
	char path[PATH_LEN], q[80];

	reg_path_key(path, sizeof(path), u->prefix, tk_diag_quote(q, key));
	if (near != NULL)
		reg_verr(u->v, line, path, "unknown key (did you mean '%s'?)",
		    near);
	else
		reg_verr(u->v, line, path, "unknown key");
}

/* Reports every key of obj not in known, suggesting the nearest. */
void
reg_check_keys(struct vctx *v, json_object *obj, const char *prefix,
    const char *const *known)
{
	struct unknown_arg u = { v, prefix };

	tk_yaml_check_keys(obj, known, unknown_key, &u);
}

/* ------------------------------------------------------------------ */
/* Field readers: each checks one value and reports what is wrong      */
/* ------------------------------------------------------------------ */

char *
reg_dup(struct vctx *v, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		v->nomem = 1;
	return d;
}

/* 1 when a JSON string holds a NUL: possible in JSON text (\u0000), never
 * from YAML, and it would cut every C string copy short. */
int
reg_has_nul(json_object *str)
{
	return strlen(json_object_get_string(str)) !=
	    (size_t)json_object_get_string_len(str);
}

/*
 * Text of at most max bytes into *out (a copy; the old value is freed).
 * null clears *out when allow_null.  Returns 0 when valid.
 */
int
reg_want_text(struct vctx *v, json_object *val, unsigned line, const char *path,
    size_t max, int allow_null, char **out)
{
	if (val == NULL && allow_null) {
		free(*out);
		*out = NULL;
		return 0;
	}
	if (!json_object_is_type(val, json_type_string)) {
		reg_verr(v, line, path, "must be text, not %s", reg_tname(val));
		return -1;
	}
	if ((size_t)json_object_get_string_len(val) > max) {
		reg_verr(v, line, path, "longer than %zu bytes", max);
		return -1;
	}
	if (reg_has_nul(val)) {
		reg_verr(v, line, path, "holds a NUL character");
		return -1;
	}
	free(*out);
	*out = reg_dup(v, json_object_get_string(val));
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
int
reg_want_name(struct vctx *v, json_object *val, unsigned line, const char *path,
    char **out)
{
	char q[80];

	if (!json_object_is_type(val, json_type_string)) {
		reg_verr(v, line, path, "must be text, not %s", reg_tname(val));
		return -1;
	}
	if (reg_has_nul(val) || !tk_name_valid(json_object_get_string(val))) {
		reg_verr(v, line, path, "'%s' is not a valid name (lowercase "
		    "letters, digits and '_', 1 to %d characters)",
		    tk_diag_quote(q, json_object_get_string(val)), TK_NAME_MAX);
		return -1;
	}
	if (out != NULL) {
		free(*out);
		*out = reg_dup(v, json_object_get_string(val));
	}
	return 0;
}

int
reg_want_bool(struct vctx *v, json_object *val, unsigned line, const char *path,
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
	    tk_name_listed(yaml11, json_object_get_string(val)))
		reg_verr(v, line, path, "must be true or false ('%s' is text in "
		    "YAML 1.2)", tk_diag_quote(q, json_object_get_string(val)));
	else
		reg_verr(v, line, path, "must be true or false, not %s",
		    reg_tname(val));
	return -1;
}

int
reg_want_int(struct vctx *v, json_object *val, unsigned line, const char *path,
    int64_t lo, int64_t hi, int64_t *out)
{
	int64_t n;

	if (!json_object_is_type(val, json_type_int)) {
		reg_verr(v, line, path, "must be a whole number, not %s",
		    reg_tname(val));
		return -1;
	}
	n = json_object_get_int64(val);
	if (n < lo || n > hi) {
		reg_verr(v, line, path, "must be between %lld and %lld",
		    (long long)lo, (long long)hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* canon() with its failures reported at path. */
json_object *
reg_canon_at(struct vctx *v, json_object *val, unsigned line, const char *path)
{
	json_object *c;
	enum tk_canon_rc rc = reg_canon(val, &c);

	if (rc == TK_CANON_NOMEM)
		v->nomem = 1;
	else if (rc == TK_CANON_DEEP)
		reg_verr(v, line, path, "nested deeper than %d levels",
		    CANON_DEPTH);
	else if (rc == TK_CANON_NUMBER)
		reg_verr(v, line, path, "holds a number JSON cannot represent");
	return rc == TK_CANON_OK ? c : NULL;
}

/* ------------------------------------------------------------------ */
/* Top level                                                           */
/* ------------------------------------------------------------------ */

static const char *const top_keys[] = { "name", "namespace_name", "version",
    "description", "task_handler_class", "module_namespace",
    "default_dependent_system", "named_steps", "schema", "step_templates",
    "environments", "default_priority",
    "schedules", "concurrency", "max_in_flight", NULL };

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
		reg_verr(v, line, "schema", "not a valid JSON Schema");
	for (i = 0; e != TK_ERR_NOMEM && i < d.n; i++) {
		m = d.msg[i];
		ptr[0] = '\0';
		if (m[0] == '/' && (colon = strstr(m, ": ")) != NULL &&
		    (n = (size_t)(colon - m)) < sizeof(ptr)) {
			memcpy(ptr, m, n);
			ptr[n] = '\0';
		}
		reg_verr(v, ptr[0] ? pointer_line(src, ptr, line) : line,
		    "schema", "%s", m);
	}
	tk_diag_free(&d);
}

static void
parse_top(struct vctx *v, struct tk_handler_def *h, json_object *root)
{
	json_object *val;
	int64_t n;
	char q[80];

	reg_check_keys(v, root, "", top_keys);
	if (!json_object_object_get_ex(root, "name", &val))
		reg_verr(v, tk_yaml_line(root), "name", "required");
	else
		reg_want_name(v, val, tk_yaml_key_line(root, "name"), "name",
		    &h->name);
	if (json_object_object_get_ex(root, "namespace_name", &val) &&
	    val != NULL)
		reg_want_name(v, val, tk_yaml_key_line(root, "namespace_name"),
		    "namespace_name", &h->namespace_name);
	if (h->namespace_name == NULL)
		h->namespace_name = reg_dup(v, "default");
	tk_semver_parse("0.1.0", &h->semver);
	if (json_object_object_get_ex(root, "version", &val) && val != NULL) {
		unsigned l = tk_yaml_key_line(root, "version");
		if (!json_object_is_type(val, json_type_string))
			reg_verr(v, l, "version", "must be text such as "
			    "\"1.2.0\" (quote it), not %s", reg_tname(val));
		else if (tk_semver_parse(json_object_get_string(val),
		    &h->semver) != TK_OK)
			reg_verr(v, l, "version", "'%s' is not a semantic version "
			    "(MAJOR.MINOR.PATCH, see semver.org)",
			    tk_diag_quote(q, json_object_get_string(val)));
	}
	h->version = reg_dup(v, h->semver.str);
#define OPT_TEXT(key, max, field)                                          \
	if (json_object_object_get_ex(root, key, &val))                    \
		reg_want_text(v, val, tk_yaml_key_line(root, key), key, max, 1, \
		    &h->field)
	OPT_TEXT("description", DESC_MAX, description);
	OPT_TEXT("task_handler_class", CLASS_MAX, task_handler_class);
	OPT_TEXT("module_namespace", CLASS_MAX, module_namespace);
	OPT_TEXT("default_dependent_system", CLASS_MAX,
	    default_dependent_system);
#undef OPT_TEXT
	if (json_object_object_get_ex(root, "default_priority", &val) &&
	    val != NULL && reg_want_int(v, val, tk_yaml_key_line(root,
	    "default_priority"), "default_priority", TK_PRIORITY_MIN,
	    TK_PRIORITY_MAX, &n) == 0)
		h->default_priority = (int)n;
	if (json_object_object_get_ex(root, "schema", &val) && val != NULL) {
		unsigned l = tk_yaml_key_line(root, "schema");
		if (!json_object_is_type(val, json_type_object))
			reg_verr(v, l, "schema", "must be a JSON Schema object "
			    "(a mapping), not %s", reg_tname(val));
		else if ((h->schema = reg_canon_at(v, val, l, "schema")) != NULL)
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
		reg_verr(&v, root != NULL ? tk_yaml_line(root) : 0, "",
		    "the top level must be a mapping, not %s", reg_tname(root));
		return TK_ERR_DEFINITION;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return TK_ERR_NOMEM;
	parse_top(&v, h, root);
	reg_parse_flow_top(&v, h, root);
	reg_parse_schedules(&v, h, root);

	if (!json_object_object_get_ex(root, "step_templates", &arr))
		reg_verr(&v, tk_yaml_line(root), "step_templates", "required");
	else if (!json_object_is_type(arr, json_type_array))
		reg_verr(&v, tk_yaml_key_line(root, "step_templates"),
		    "step_templates", "must be a list, not %s", reg_tname(arr));
	else if (json_object_array_length(arr) == 0 ||
	    json_object_array_length(arr) > TK_HANDLER_MAX_STEPS)
		reg_verr(&v, tk_yaml_key_line(root, "step_templates"),
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
		reg_parse_steps(&v, h, src, arr);
		reg_parse_named_steps(&v, h, src, root);
		if (json_object_object_get_ex(root, "environments", &envs))
			reg_parse_environments(&v, h, src, envs, environment);
		reg_resolve_parents(&v, h, src);
		if (!v.nomem)
			reg_analyse(&v, h, src);
	}
out:
	free(src);
	if (v.nomem) {
		tk_handler_free(h);
		return TK_ERR_NOMEM;
	}
	if (v.nerr > 0 || h->order == NULL) {
		if (v.nerr == 0)
			reg_verr(&v, 0, "", "invalid definition");
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
	reg_flow_limit_free(&h->concurrency);
	free(h->name);
	free(h->version);
	free(h->description);
	free(h->task_handler_class);
	free(h->module_namespace);
	free(h->default_dependent_system);
	json_object_put(h->schema);
	reg_schedules_free(h);
	for (i = 0; h->steps != NULL && i < h->nsteps; i++)
		reg_step_free(&h->steps[i]);
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
