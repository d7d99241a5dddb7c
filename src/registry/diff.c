/*
 * diff.c - definition diff: what changed between two handler definitions,
 * one line per changed value of their canonical JSON (canon.c), steps
 * matched by name, for the message that refuses a changed definition
 * under a version already loaded.
 */
#include "tasker/handler.h"

#include <string.h>

#include "internal.h"

/* Compact JSON of v, cut at 60 bytes, into out. */
static const char *
shown_json(char out[80], json_object *v)
{
	const char *s = v != NULL ?
	    json_object_to_json_string_ext(v, TK_JSON_FLAGS) : "null";
	size_t n = strlen(s);

	if (n > 60) {
		memcpy(out, s, 57);
		memcpy(out + 57, "...", 4);
	} else
		memcpy(out, s, n + 1);
	return out;
}

/* Objects recurse key by key (both canonical: keys sorted); other values
 * are compared whole. */
static void
diff_value(struct tk_diag *out, const char *path, json_object *a,
    json_object *b)
{
	struct json_object_iter it;
	char p[PATH_LEN], q[80], sa[80], sb[80];
	json_object *other;

	if (json_object_equal(a, b))
		return;
	if (json_object_is_type(a, json_type_object) &&
	    json_object_is_type(b, json_type_object)) {
		json_object_object_foreachC(a, it) {
			reg_path_key(p, sizeof(p), path,
			    tk_diag_quote(q, it.key));
			if (!json_object_object_get_ex(b, it.key, &other))
				tk_diag_add(out, "%s: removed (was %s)", p,
				    shown_json(sa, it.val));
			else
				diff_value(out, p, it.val, other);
		}
		json_object_object_foreachC(b, it)
			if (!json_object_object_get_ex(a, it.key, NULL))
				tk_diag_add(out, "%s: added (%s)",
				    reg_path_key(p, sizeof(p), path,
				    tk_diag_quote(q, it.key)),
				    shown_json(sb, it.val));
		return;
	}
	tk_diag_add(out, "%s: %s -> %s", path, shown_json(sa, a),
	    shown_json(sb, b));
}

static json_object *
step_named(json_object *steps, const char *name, size_t *idx)
{
	size_t i, n = json_object_array_length(steps);
	json_object *s, *nm;

	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(steps, i);
		if (json_object_object_get_ex(s, "name", &nm) &&
		    strcmp(json_object_get_string(nm), name) == 0) {
			*idx = i;
			return s;
		}
	}
	return NULL;
}

void
tk_handler_diff(const struct tk_handler_def *a, const struct tk_handler_def *b,
    struct tk_diag *out)
{
	struct json_object_iter it;
	json_object *ja, *jb, *sa, *sb, *s, *t, *nm;
	char p[PATH_LEN], q[80];
	size_t i, j, n, prev = 0;
	int first = 1, reordered = 0;

	ja = tk_handler_to_json(a);
	jb = tk_handler_to_json(b);
	if (ja == NULL || jb == NULL) {
		tk_diag_add(out, "(cannot compare: out of memory)");
		goto out;
	}
	json_object_object_foreachC(ja, it) {
		if (strcmp(it.key, "step_templates") == 0)
			continue;
		diff_value(out, it.key, it.val,
		    json_object_object_get(jb, it.key));
	}
	json_object_object_get_ex(ja, "step_templates", &sa);
	json_object_object_get_ex(jb, "step_templates", &sb);
	n = json_object_array_length(sb);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(sb, i);
		json_object_object_get_ex(s, "name", &nm);
		reg_path_index(p, sizeof(p), "step_templates", i);
		if ((t = step_named(sa, json_object_get_string(nm), &j)) ==
		    NULL) {
			tk_diag_add(out, "%s: step '%s' added", p,
			    tk_diag_quote(q, json_object_get_string(nm)));
			continue;
		}
		if (!first && j < prev)
			reordered = 1;
		first = 0;
		prev = j;
		diff_value(out, p, t, s);
	}
	n = json_object_array_length(sa);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(sa, i);
		json_object_object_get_ex(s, "name", &nm);
		if (step_named(sb, json_object_get_string(nm), &j) == NULL)
			tk_diag_add(out, "step_templates[%zu]: step '%s' "
			    "removed", i, tk_diag_quote(q, json_object_get_string(nm)));
	}
	if (reordered)
		tk_diag_add(out, "step_templates: steps reordered");
out:
	json_object_put(ja);
	json_object_put(jb);
}
