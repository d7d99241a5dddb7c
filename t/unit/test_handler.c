/*
 * test_handler.c - YAML conversion, handler validation, canonical JSON,
 * diff, folder loading, hostile input and the shipped example handlers.
 *
 * Three suites: yamljson (the converter), handler (the validator, with
 * one fixture per kind of mistake under t/fixtures/handlers/bad) and
 * examples (etc/handlers as shipped).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "tasker/buf.h"
#include "tasker/handler.h"
#include "tasker/yamljson.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Prints the diag when a test is about to fail on it. */
static int
has(const struct tk_diag *d, const char *needle)
{
	if (tk_diag_has(d, needle))
		return 1;
	fprintf(stderr, "\n  missing message: %s\n  got:\n", needle);
	tk_diag_print(d, stderr, "    ");
	return 0;
}

/* Loads one file or folder; returns the result, diag filled. */
static tk_err
load(const char *rel, const char *env, struct tk_defset *set,
    struct tk_diag *d)
{
	const char *p = tk_fixture(rel);

	return tk_defset_load(&p, 1, env, set, d);
}

/* Loads a fixture that must fail; *d gets the messages. */
static void
load_bad(const char *rel, struct tk_diag *d)
{
	struct tk_defset set;

	CU_ASSERT_EQUAL(load(rel, NULL, &set, d), TK_ERR_DEFINITION);
	CU_ASSERT_EQUAL(set.nhandlers, 0);
	CU_ASSERT_PTR_NULL(set.handlers);
	tk_defset_free(&set);
}

static struct tk_handler_def *
load_one(const char *rel, const char *env)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;
	struct tk_handler_def *h;

	if (load(rel, env, &set, &d) != TK_OK || set.nhandlers != 1) {
		tk_diag_print(&d, stderr, "  ");
		tk_diag_free(&d);
		tk_defset_free(&set);
		return NULL;
	}
	h = set.handlers[0];
	set.handlers[0] = NULL;
	set.nhandlers = 0;
	tk_defset_free(&set);
	tk_diag_free(&d);
	return h;
}

static const struct tk_step_def *
step(const struct tk_handler_def *h, const char *name)
{
	long i = tk_handler_step_index(h, name);

	return i >= 0 ? &h->steps[i] : NULL;
}

static const char *
json_str(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* A private temporary folder for generated files (tests only). */
static char tmpdir[64];

/* Writes data to a fresh file in the temporary folder. */
static const char *
tmpfile_with(const char *name, const void *data, size_t len)
{
	static char path[128];
	char *dir = tmpdir;
	FILE *f;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(tmpdir), "/tmp/tk-handler-test.XXXXXX");
		if (mkdtemp(dir) == NULL)
			return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return NULL;
	if (len > 0 && fwrite(data, 1, len, f) != len) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	return path;
}

/* Loads a temporary file that must fail with a message containing want
 * (after the file name).  The file is removed afterwards. */
static void
hostile(const char *name, const void *data, size_t len, const char *want)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;
	const char *p = tmpfile_with(name, data, len);
	char needle[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(tk_defset_load(&p, 1, NULL, &set, &d),
	    TK_ERR_DEFINITION);
	CU_ASSERT_EQUAL(set.nhandlers, 0);
	snprintf(needle, sizeof(needle), "%s%s", name, want);
	CU_ASSERT_TRUE(has(&d, needle));
	tk_defset_free(&set);
	tk_diag_free(&d);
	unlink(p);
}

/* ------------------------------------------------------------------ */
/* yamljson                                                            */
/* ------------------------------------------------------------------ */

static json_object *
yaml(const char *text, struct tk_diag *d)
{
	json_object *o = NULL;

	if (tk_yaml_parse("t.yaml", text, strlen(text), &o, d) != TK_OK)
		return NULL;
	return o;
}

static void
test_yaml_scalars(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	json_object *o, *v;

	o = yaml("a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\nf: yes\ng: 0x10\n"
	    "h: -7\ni: !!str 12\nj: |\n  text\nk: null\nl: \"true\"\n"
	    "m: 0o17\nn: 1e3\no: 0\np: !!float 2\nq: 2024-01-15\nr:\n"
	    "s: on\nt: FALSE\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(d.n, 0);
#define GET(k) (json_object_object_get_ex(o, k, &v) ? v : (json_object *)1)
	CU_ASSERT_TRUE(json_object_is_type(GET("a"), json_type_int));
	CU_ASSERT_EQUAL(json_object_get_int64(GET("a")), 1);
	CU_ASSERT_TRUE(json_object_is_type(GET("b"), json_type_double));
	CU_ASSERT_DOUBLE_EQUAL(json_object_get_double(GET("b")), 1.5, 1e-9);
	CU_ASSERT_TRUE(json_object_is_type(GET("c"), json_type_boolean));
	CU_ASSERT_PTR_NULL(GET("d"));
	CU_ASSERT_TRUE(json_object_is_type(GET("e"), json_type_string));
	/* YAML 1.2: yes / on are text, not booleans. */
	CU_ASSERT_STRING_EQUAL(json_object_get_string(GET("f")), "yes");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(GET("s")), "on");
	CU_ASSERT_EQUAL(json_object_get_int64(GET("g")), 16);
	CU_ASSERT_EQUAL(json_object_get_int64(GET("h")), -7);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(GET("i")), "12");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(GET("j")), "text\n");
	CU_ASSERT_PTR_NULL(GET("k"));
	CU_ASSERT_TRUE(json_object_is_type(GET("l"), json_type_string));
	CU_ASSERT_EQUAL(json_object_get_int64(GET("m")), 15);
	CU_ASSERT_TRUE(json_object_is_type(GET("n"), json_type_double));
	CU_ASSERT_EQUAL(json_object_get_int64(GET("o")), 0);
	CU_ASSERT_TRUE(json_object_is_type(GET("p"), json_type_double));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(GET("q")),
	    "2024-01-15");
	CU_ASSERT_PTR_NULL(GET("r"));
	CU_ASSERT_FALSE(json_object_get_boolean(GET("t")));
	CU_ASSERT_TRUE(json_object_is_type(GET("t"), json_type_boolean));
#undef GET
	json_object_put(o);
	tk_diag_free(&d);
}

static void
test_yaml_lines(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	json_object *o, *list, *m;

	o = yaml("# comment\nfirst: 1\nlist:\n  - a\n\n  - b: 2\n    c: 3\n"
	    "last: {x: 1}\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(tk_yaml_line(o), 2);
	CU_ASSERT_EQUAL(tk_yaml_key_line(o, "first"), 2);
	CU_ASSERT_EQUAL(tk_yaml_key_line(o, "list"), 3);
	CU_ASSERT_EQUAL(tk_yaml_key_line(o, "last"), 8);
	/* A missing key points at the mapping itself. */
	CU_ASSERT_EQUAL(tk_yaml_key_line(o, "nope"), 2);
	list = json_object_object_get(o, "list");
	CU_ASSERT_EQUAL(tk_yaml_item_line(list, 0), 4);
	CU_ASSERT_EQUAL(tk_yaml_item_line(list, 1), 6);
	m = json_object_array_get_idx(list, 1);
	CU_ASSERT_EQUAL(tk_yaml_key_line(m, "c"), 7);
	/* Lines follow an object moved into a tree built by hand. */
	{
		json_object *h = json_object_new_object();
		json_object_object_add(h, "moved", json_object_get(m));
		CU_ASSERT_EQUAL(tk_yaml_key_line(m, "b"), 6);
		CU_ASSERT_EQUAL(tk_yaml_key_line(h, "moved"), 0);
		CU_ASSERT_EQUAL(tk_yaml_set_key_line(h, "moved", 42), TK_OK);
		CU_ASSERT_EQUAL(tk_yaml_key_line(h, "moved"), 42);
		json_object_put(h);
	}
	/* Plain json-c objects have no lines. */
	{
		json_object *plain = json_object_new_object();
		CU_ASSERT_EQUAL(tk_yaml_key_line(plain, "x"), 0);
		CU_ASSERT_EQUAL(tk_yaml_line(NULL), 0);
		json_object_put(plain);
	}
	json_object_put(o);
	tk_diag_free(&d);
}

static void
test_yaml_rejects(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "a: &x 1\nb: *x\n", "t.yaml:1: a: anchors (&x)" },
		{ "a: 1\nb: *x\n", "t.yaml:2: b: aliases" },
		{ "a: 1\n---\nb: 2\n", "t.yaml:2: more than one YAML document" },
		{ "a: 1\na: 2\n", "t.yaml:2: a: duplicate key 'a' (first at "
		    "line 1)" },
		{ "a: !foo x\n", "t.yaml:1: a: tag '!foo' is not allowed" },
		{ "a: !!int abc\n", "t.yaml:1: a: 'abc' is not a valid !!int" },
		{ "a: 012\n", "t.yaml:1: a: '012': integer with a leading zero" },
		{ "a: 9223372036854775808\n", "out of range" },
		{ "a: .nan\n", "t.yaml:1: a: '.nan': infinity and NaN" },
		{ "a: \"x\\0y\"\n", "t.yaml:1: a: NUL character" },
		{ "? [a]\n: b\n", "t.yaml:1: mapping keys must be plain text" },
		{ "%TAG !e! tag:e.com,2000:\n---\na: 1\n", "%TAG directives" },
		{ "a: [1, 2\n", "t.yaml:2: YAML syntax error" },
		{ "", "t.yaml:1: the file holds no YAML document" },
		{ "~\n", "the file holds no YAML document (or only null)" },
		{ "a: \x01\n", "control characters are not allowed" },
	};
	struct tk_diag d;
	json_object *o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tk_diag_init(&d);
		o = (json_object *)1;
		CU_ASSERT_EQUAL(tk_yaml_parse("t.yaml", cases[i].text,
		    strlen(cases[i].text), &o, &d), TK_ERR_DEFINITION);
		CU_ASSERT_PTR_NULL(o);
		CU_ASSERT_TRUE(has(&d, cases[i].want));
		tk_diag_free(&d);
	}
	/* A large -9223372036854775808 still fits. */
	tk_diag_init(&d);
	o = yaml("a: -9223372036854775808\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(o, "a")),
	    INT64_MIN);
	json_object_put(o);
	tk_diag_free(&d);
}

static void
test_yaml_limits(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	char buf[256];
	json_object *o;
	size_t i, n = 0;

	/* TK_YAML_MAX_DEPTH nested lists are fine, one more is not. */
	for (i = 0; i < TK_YAML_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (i = 0; i < TK_YAML_MAX_DEPTH; i++)
		buf[n++] = ']';
	CU_ASSERT_EQUAL(tk_yaml_parse("t.yaml", buf, n, &o, &d), TK_OK);
	json_object_put(o);
	n = 0;
	for (i = 0; i <= TK_YAML_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (i = 0; i <= TK_YAML_MAX_DEPTH; i++)
		buf[n++] = ']';
	CU_ASSERT_EQUAL(tk_yaml_parse("t.yaml", buf, n, &o, &d),
	    TK_ERR_DEFINITION);
	CU_ASSERT_TRUE(has(&d, "nested deeper than 31 levels"));
	tk_diag_free(&d);
	/* Errors stop at a bound: a file of aliases yields a short list. */
	{
		struct tk_buf b = TK_BUF_INIT;
		tk_buf_puts(&b, "a: [");
		for (i = 0; i < 10000; i++)
			tk_buf_puts(&b, "*x, ");
		tk_buf_puts(&b, "1]\n");
		CU_ASSERT_EQUAL(tk_yaml_parse("t.yaml", b.data, b.len, &o, &d),
		    TK_ERR_DEFINITION);
		CU_ASSERT_TRUE(d.n <= TK_YAML_MAX_ERRORS);
		CU_ASSERT_TRUE(has(&d, "too many problems"));
		tk_buf_free(&b);
		tk_diag_free(&d);
	}
}

/* ------------------------------------------------------------------ */
/* handler: a good file                                                */
/* ------------------------------------------------------------------ */

static void
test_good_file(void)
{
	struct tk_handler_def *h = load_one("handlers/good.yaml", NULL);
	const struct tk_step_def *s;
	json_object *v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(h->name, "order_fulfillment");
	CU_ASSERT_STRING_EQUAL(h->namespace_name, "shop");
	CU_ASSERT_STRING_EQUAL(h->version, "1.2.0-rc.1+build.7");
	CU_ASSERT_EQUAL(h->semver.major, 1);
	CU_ASSERT_EQUAL(h->semver.minor, 2);
	CU_ASSERT_TRUE(tk_semver_is_prerelease(&h->semver));
	CU_ASSERT_STRING_EQUAL(h->description, "Fulfil an order end to end");
	CU_ASSERT_STRING_EQUAL(h->task_handler_class, "OrderFulfillment");
	CU_ASSERT_STRING_EQUAL(h->module_namespace, "Shop");
	CU_ASSERT_STRING_EQUAL(h->default_dependent_system, "warehouse");
	CU_ASSERT_PTR_NOT_NULL(strstr(h->source, "handlers/good.yaml"));
	CU_ASSERT_EQUAL(strlen(h->hash), 64);
	/* schema kept as an object */
	CU_ASSERT_TRUE(json_object_is_type(h->schema, json_type_object));
	CU_ASSERT_TRUE(json_object_object_get_ex(h->schema, "required", &v));
	CU_ASSERT_STRING_EQUAL(json_str(v), "[\"order_id\"]");
	CU_ASSERT_EQUAL_FATAL(h->nsteps, 5);

	/* validate_order: every field given */
	s = &h->steps[0];
	CU_ASSERT_STRING_EQUAL(s->name, "validate_order");
	CU_ASSERT_STRING_EQUAL(s->description, "Check the order");
	CU_ASSERT_STRING_EQUAL(s->handler_class, "Shop::ValidateOrder");
	CU_ASSERT_EQUAL(s->nparents, 0);
	CU_ASSERT_EQUAL(s->retryable, 0);
	CU_ASSERT_EQUAL(s->retry_limit, 0);
	CU_ASSERT_EQUAL(s->skippable, 0);
	CU_ASSERT_TRUE(s->exec.runnable);
	CU_ASSERT_EQUAL_FATAL(s->exec.argc, 2);
	CU_ASSERT_STRING_EQUAL(s->exec.argv[0], "contrib/examples/ok.sh");
	CU_ASSERT_STRING_EQUAL(s->exec.argv[1], "--strict");
	CU_ASSERT_PTR_NULL(s->exec.argv[2]);
	CU_ASSERT_EQUAL(s->exec.timeout_seconds, 30);
	CU_ASSERT_EQUAL_FATAL(s->exec.nenv, 2);
	/* sorted by name */
	CU_ASSERT_STRING_EQUAL(s->exec.env[0], "LEVEL=3");
	CU_ASSERT_STRING_EQUAL(s->exec.env[1], "MODE=strict");
	CU_ASSERT_PTR_NULL(s->exec.env[2]);

	/* reserve_stock: defaults, a shell command string */
	s = step(h, "reserve_stock");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NULL(s->description);
	CU_ASSERT_PTR_NULL(s->handler_class);
	CU_ASSERT_EQUAL(s->retryable, 1);
	CU_ASSERT_EQUAL(s->retry_limit, 3);
	CU_ASSERT_EQUAL(s->skippable, 0);
	CU_ASSERT_STRING_EQUAL(s->dependent_system, "inventory");
	CU_ASSERT_STRING_EQUAL(json_str(s->custom_events),
	    "[\"stock.reserved\"]");
	CU_ASSERT_EQUAL_FATAL(s->nparents, 1);
	CU_ASSERT_EQUAL(s->parents[0], 0);
	CU_ASSERT_TRUE(s->exec.runnable);
	CU_ASSERT_EQUAL_FATAL(s->exec.argc, 3);
	CU_ASSERT_STRING_EQUAL(s->exec.argv[0], "/bin/sh");
	CU_ASSERT_STRING_EQUAL(s->exec.argv[1], "-c");
	CU_ASSERT_STRING_EQUAL(s->exec.argv[2], "echo '{}'");
	CU_ASSERT_EQUAL(s->exec.timeout_seconds, 0);

	/* charge: free-form handler_config is kept, not runnable */
	s = step(h, "charge");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->retry_limit, 5);
	CU_ASSERT_FALSE(s->exec.runnable);
	CU_ASSERT_STRING_EQUAL(json_str(s->handler_config),
	    "{\"params\":{\"currency\":\"EUR\"},"
	    "\"url\":\"https://pay.example.com/charge\"}");

	/* ship: depends_on_steps with a duplicate */
	s = step(h, "ship");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->skippable, 1);
	CU_ASSERT_PTR_NULL(s->handler_config);
	CU_ASSERT_STRING_EQUAL(json_str(s->custom_events), "[]");
	CU_ASSERT_EQUAL_FATAL(s->nparents, 2);
	CU_ASSERT_EQUAL(s->parents[0], 1);
	CU_ASSERT_EQUAL(s->parents[1], 2);

	/* notify: depends_on_step first, then depends_on_steps, deduped */
	s = step(h, "notify");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NULL(s->description);
	CU_ASSERT_EQUAL_FATAL(s->nparents, 2);
	CU_ASSERT_EQUAL(s->parents[0], 3);
	CU_ASSERT_EQUAL(s->parents[1], 2);

	/* order and levels */
	CU_ASSERT_EQUAL(h->order[0], 0);
	CU_ASSERT_EQUAL(h->order[4], 4);
	CU_ASSERT_EQUAL(h->nlevels, 4);
	CU_ASSERT_EQUAL(h->level[0], 0);
	CU_ASSERT_EQUAL(h->level[1], 1);
	CU_ASSERT_EQUAL(h->level[2], 1);
	CU_ASSERT_EQUAL(h->level[3], 2);
	CU_ASSERT_EQUAL(h->level[4], 3);
	tk_handler_free(h);
}

static void
test_defaults(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h = NULL;
	json_object *o;

	o = yaml("name: minimal\nstep_templates:\n  - name: only\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL_FATAL(tk_handler_parse(o, "m.yaml", NULL, &h, &d),
	    TK_OK);
	CU_ASSERT_STRING_EQUAL(h->namespace_name, "default");
	CU_ASSERT_STRING_EQUAL(h->version, "0.1.0");
	CU_ASSERT_PTR_NULL(h->description);
	CU_ASSERT_PTR_NULL(h->schema);
	CU_ASSERT_PTR_NULL(h->source);
	CU_ASSERT_EQUAL(h->steps[0].retryable, 1);
	CU_ASSERT_EQUAL(h->steps[0].retry_limit, 3);
	CU_ASSERT_EQUAL(h->steps[0].skippable, 0);
	CU_ASSERT_PTR_NULL(h->steps[0].handler_config);
	CU_ASSERT_FALSE(h->steps[0].exec.runnable);
	CU_ASSERT_EQUAL(h->nlevels, 1);
	CU_ASSERT_TRUE(tk_name_valid("send_email_2"));
	CU_ASSERT_FALSE(tk_name_valid("Send"));
	CU_ASSERT_FALSE(tk_name_valid(""));
	CU_ASSERT_FALSE(tk_name_valid("../etc"));
	tk_handler_free(h);
	json_object_put(o);
	tk_diag_free(&d);
}

/* ------------------------------------------------------------------ */
/* handler: one fixture per kind of mistake                            */
/* ------------------------------------------------------------------ */

static void
test_missing_required(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("handlers/bad/missing_name.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "missing_name.yaml:2: name: required"));
	CU_ASSERT_TRUE(has(&d,
	    "missing_name.yaml:4: step_templates[0].name: required"));
	CU_ASSERT_EQUAL(d.n, 2);
	tk_diag_free(&d);

	load_bad("handlers/bad/no_steps.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "no_steps.yaml:2: step_templates: must list "
	    "1 to 256 steps"));
	tk_diag_free(&d);

	load_bad("handlers/bad/not_mapping.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "not_mapping.yaml:1: the top level must be a "
	    "mapping"));
	tk_diag_free(&d);
}

static void
test_wrong_types(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("handlers/bad/wrong_types.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:2: description: must be "
	    "text, not a list"));
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:5: step_templates[0]."
	    "default_retryable: must be true or false"));
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:6: step_templates[0]."
	    "default_retry_limit: must be a whole number, not text"));
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:7: step_templates[0]."
	    "skippable: must be true or false, not a number"));
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:8: step_templates[0]."
	    "custom_events: must be a list"));
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:9: step_templates[0]."
	    "handler_config: must be a mapping, not text"));
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:11: step_templates[1]."
	    "depends_on_steps: must be a list of step names"));
	/* YAML 1.1's yes is explained, not silently taken. */
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:12: step_templates[1]."
	    "default_retryable: must be true or false ('yes' is text in "
	    "YAML 1.2)"));
	CU_ASSERT_TRUE(has(&d, "wrong_types.yaml:13: step_templates[1]."
	    "description: must be text, not a number"));
	CU_ASSERT_EQUAL(d.n, 9);
	tk_diag_free(&d);

	load_bad("handlers/bad/ranges.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "ranges.yaml:4: step_templates[0]."
	    "default_retry_limit: must be between 0 and 1000"));
	CU_ASSERT_TRUE(has(&d, "ranges.yaml:6: step_templates[1]."
	    "default_retry_limit: must be between 0 and 1000"));
	CU_ASSERT_TRUE(has(&d, "ranges.yaml:8: step_templates[2]."
	    "default_retry_limit: must be a whole number, not a decimal"));
	tk_diag_free(&d);

	load_bad("handlers/bad/schema.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "schema.yaml:2: schema: must be a JSON Schema "
	    "object (a mapping), not a list"));
	tk_diag_free(&d);
}

static void
test_unknown_keys(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("handlers/bad/unknown_keys.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "unknown_keys.yaml:2: nmae: unknown key (did "
	    "you mean 'name'?)"));
	CU_ASSERT_TRUE(has(&d, "unknown_keys.yaml:5: step_templates[0]."
	    "depends_on: unknown key (did you mean 'depends_on_step'?)"));
	CU_ASSERT_TRUE(has(&d, "unknown_keys.yaml:9: step_templates[0]."
	    "handler_config.timeout: unknown key (did you mean "
	    "'timeout_seconds'?)"));
	CU_ASSERT_TRUE(has(&d, "unknown_keys.yaml:11: step_templates[1]."
	    "retry_limit: unknown key"));
	CU_ASSERT_EQUAL(d.n, 4);
	tk_diag_free(&d);
}

static void
test_bad_names_and_versions(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("handlers/bad/bad_names.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "bad_names.yaml:1: name: 'Process-Payment' is "
	    "not a valid name"));
	CU_ASSERT_TRUE(has(&d, "bad_names.yaml:2: namespace_name: 'pay ments' "
	    "is not a valid name"));
	CU_ASSERT_TRUE(has(&d, "bad_names.yaml:4: step_templates[0].name: "
	    "'Charge Card' is not a valid name"));
	CU_ASSERT_TRUE(has(&d, "bad_names.yaml:5: step_templates[1].name: "
	    "'a_very_long"));
	CU_ASSERT_TRUE(has(&d, "bad_names.yaml:6: step_templates[2].name: '' "
	    "is not a valid name"));
	tk_diag_free(&d);

	load_bad("handlers/bad/bad_version.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "bad_version.yaml:2: version: must be text "
	    "such as \"1.2.0\" (quote it), not a decimal number"));
	tk_diag_free(&d);
	load_bad("handlers/bad/bad_version2.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "bad_version2.yaml:2: version: '01.0.0' is not "
	    "a semantic version"));
	tk_diag_free(&d);
}

static void
test_step_graph_errors(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("handlers/bad/dup_step.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "dup_step.yaml:5: step_templates[2].name: "
	    "duplicate step name 'charge_card' (first at step_templates[0], "
	    "line 3)"));
	tk_diag_free(&d);

	load_bad("handlers/bad/unknown_dep.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "unknown_dep.yaml:9: step_templates[2]."
	    "depends_on_step: unknown step 'chrage_card'"));
	CU_ASSERT_TRUE(has(&d, "unknown_dep.yaml:13: step_templates[3]."
	    "depends_on_steps[1]: unknown step 'notify_customer'"));
	CU_ASSERT_EQUAL(d.n, 2);
	tk_diag_free(&d);

	load_bad("handlers/bad/self_dep.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "self_dep.yaml:5: step_templates[1]."
	    "depends_on_steps[1]: step 'two' depends on itself"));
	CU_ASSERT_EQUAL(d.n, 1);        /* not reported as a cycle too */
	tk_diag_free(&d);

	load_bad("handlers/bad/cycle.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "cycle.yaml:4: step_templates[1]: dependency "
	    "cycle: a -> b -> c -> a"));
	CU_ASSERT_EQUAL(d.n, 1);
	tk_diag_free(&d);

	load_bad("handlers/bad/named_steps.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "named_steps.yaml:4: named_steps[1]: no step "
	    "template is named 'three'"));
	CU_ASSERT_TRUE(has(&d, "named_steps.yaml:5: named_steps[2]: 'one' is "
	    "listed twice"));
	CU_ASSERT_TRUE(has(&d, "named_steps.yaml:8: step_templates[1].name: "
	    "step 'two' is not listed in named_steps"));
	tk_diag_free(&d);
}

static void
test_exec_config_errors(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("handlers/bad/exec.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "exec.yaml:5: step_templates[0].handler_config."
	    "type: 'api' is not supported (the only type is 'exec')"));
	CU_ASSERT_TRUE(has(&d, "exec.yaml:9: step_templates[1].handler_config."
	    "command: must list 1 to 256 arguments"));
	CU_ASSERT_TRUE(has(&d, "exec.yaml:13: step_templates[2]."
	    "handler_config.command: must be a command of 1 to"));
	CU_ASSERT_TRUE(has(&d, "exec.yaml:16: step_templates[3]."
	    "handler_config.command: required for type exec"));
	CU_ASSERT_TRUE(has(&d, "exec.yaml:21: step_templates[4]."
	    "handler_config.timeout_seconds: must be between 1 and 86400"));
	CU_ASSERT_TRUE(has(&d, "exec.yaml:26: step_templates[5]."
	    "handler_config.env.1BAD: not a valid variable name"));
	CU_ASSERT_TRUE(has(&d, "exec.yaml:27: step_templates[5]."
	    "handler_config.env.COUNT: must be text (quote it)"));
	CU_ASSERT_TRUE(has(&d, "exec.yaml:30: step_templates[6]."
	    "handler_config.command[0]: the program must not be empty"));
	CU_ASSERT_TRUE(has(&d, "exec.yaml:30: step_templates[6]."
	    "handler_config.command[1]: must be text, not a number"));
	CU_ASSERT_EQUAL(d.n, 9);
	tk_diag_free(&d);
}

static void
test_environment_errors(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;

	/* Every environment is checked, whichever is selected. */
	load_bad("handlers/bad/envs.yaml", &d);
	CU_ASSERT_TRUE(has(&d, "envs.yaml:9: environments.development."
	    "step_templates[0].name: unknown step 'three'"));
	CU_ASSERT_TRUE(has(&d, "envs.yaml:11: environments.development."
	    "step_templates[1].retries: unknown key"));
	CU_ASSERT_TRUE(has(&d, "envs.yaml:15: environments.test."
	    "step_templates[0].default_retry_limit: must be a whole number"));
	CU_ASSERT_TRUE(has(&d, "envs.yaml:16: environments.test."
	    "step_templates[0].depends_on_step: unknown step 'nowhere'"));
	CU_ASSERT_TRUE(has(&d, "envs.yaml:21: environments.staging: must be "
	    "a mapping, not a list"));
	/* The production override makes a cycle, merged only there. */
	CU_ASSERT_FALSE(tk_diag_has(&d, "dependency cycle"));
	tk_diag_free(&d);
	CU_ASSERT_EQUAL(load("handlers/bad/envs.yaml", "production", &set, &d),
	    TK_ERR_DEFINITION);
	CU_ASSERT_TRUE(has(&d, "envs.yaml:3: step_templates[0]: dependency "
	    "cycle: one -> two -> one (with the overrides of "
	    "environments.production)"));
	tk_defset_free(&set);
	tk_diag_free(&d);
}

/* ------------------------------------------------------------------ */
/* handler: environments, JSON, diff                                   */
/* ------------------------------------------------------------------ */

static void
test_env_merge(void)
{
	struct tk_handler_def *base, *dev, *test, *other;
	const struct tk_step_def *s;

	base = load_one("handlers/env.yaml", NULL);
	dev = load_one("handlers/env.yaml", "development");
	test = load_one("handlers/env.yaml", "test");
	other = load_one("handlers/env.yaml", "staging");
	CU_ASSERT_FATAL(base && dev && test && other);

	s = step(base, "fetch");
	CU_ASSERT_EQUAL(s->retry_limit, 3);
	CU_ASSERT_STRING_EQUAL(s->exec.argv[0], "./fetch.sh");
	CU_ASSERT_EQUAL(s->exec.timeout_seconds, 30);

	/* development: keys replaced whole (handler_config loses its
	 * timeout), other keys and steps untouched */
	s = step(dev, "fetch");
	CU_ASSERT_EQUAL(s->retry_limit, 0);
	CU_ASSERT_STRING_EQUAL(s->exec.argv[0], "./fetch-dev.sh");
	CU_ASSERT_EQUAL(s->exec.timeout_seconds, 0);
	CU_ASSERT_STRING_EQUAL(step(dev, "store")->description, "Store it");
	CU_ASSERT_EQUAL(step(dev, "store")->nparents, 1);

	/* test: null removes the dependency; the DAG follows */
	s = step(test, "store");
	CU_ASSERT_STRING_EQUAL(s->description, "Test store");
	CU_ASSERT_EQUAL(s->nparents, 0);
	CU_ASSERT_EQUAL(test->nlevels, 1);
	CU_ASSERT_EQUAL(step(test, "fetch")->retry_limit, 3);

	/* An environment without overrides is the base. */
	CU_ASSERT_STRING_EQUAL(other->hash, base->hash);
	CU_ASSERT_STRING_NOT_EQUAL(dev->hash, base->hash);
	CU_ASSERT_STRING_NOT_EQUAL(test->hash, base->hash);
	tk_handler_free(base);
	tk_handler_free(dev);
	tk_handler_free(test);
	tk_handler_free(other);
}

/* A parse of s as the database layer would do it. */
static json_object *
parse_json(const char *s)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s));
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != strlen(s)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * Definition hashes pinned before the key-sorted canonical JSON moved to
 * src/util/json_canon.c: YAML files, and a JSON definition whose
 * handler_config holds doubles, unsorted keys and control bytes.
 */
static void
test_hash_pinned(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h, *env, *h2 = NULL;
	json_object *j, *back, *steps, *cfg;

	h = load_one("handlers/good.yaml", NULL);
	env = load_one("handlers/env.yaml", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	j = tk_handler_to_json(h);
	back = parse_json(json_str(j));
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	cfg = parse_json("{\"url\":\"u\",\"params\":{\"z\":1.50,\"a\":"
	    "{\"y\":[1e3,-0,0.1,\"\\u0001\\b/\"],\"b\":null},\"B\":2}}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	steps = json_object_object_get(back, "step_templates");
	json_object_object_add(json_object_array_get_idx(steps, 2),
	    "handler_config", cfg);
	CU_ASSERT_EQUAL_FATAL(tk_handler_from_json(back, &h2, &d), TK_OK);
	CU_ASSERT_STRING_EQUAL(h->hash, "be3580d2d2e5de3d9f1924d4aecfa1f0"
	    "b3232fe79eca1ec6e5cc73d3b71e97f0");
	CU_ASSERT_STRING_EQUAL(env->hash, "0332a5e29c062104d517985e317cd6fb"
	    "118f752e92e7846154a56aeedb725f8e");
	CU_ASSERT_STRING_EQUAL(h2->hash, "b03ab613de90359560db607562c4a40c"
	    "58a87b0fdfff65bd88a2f607e0e6f8d3");
	tk_diag_free(&d);
	json_object_put(back);
	json_object_put(j);
	tk_handler_free(h);
	tk_handler_free(env);
	tk_handler_free(h2);
}

static void
test_json_round_trip(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h, *h2 = NULL, *h3 = NULL;
	json_object *j, *j2, *back, *rev;
	struct json_object_iter it;
	const char *keys[32];
	size_t n = 0;
	char *s1;

	h = load_one("handlers/good.yaml", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	j = tk_handler_to_json(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	s1 = strdup(json_str(j));
	/* Fixed key order: name first, step_templates last. */
	CU_ASSERT_EQUAL(strncmp(s1, "{\"name\":\"order_fulfillment\","
	    "\"namespace_name\":\"shop\",\"version\":", 49), 0);
	/* Through text, as the database stores it, and back. */
	back = parse_json(s1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL_FATAL(tk_handler_from_json(back, &h2, &d), TK_OK);
	CU_ASSERT_STRING_EQUAL(h2->hash, h->hash);
	j2 = tk_handler_to_json(h2);
	CU_ASSERT_STRING_EQUAL(json_str(j2), s1);
	CU_ASSERT_EQUAL(h2->steps[4].nparents, 2);
	CU_ASSERT_STRING_EQUAL(h2->steps[0].exec.argv[0],
	    "contrib/examples/ok.sh");
	CU_ASSERT_PTR_NULL(h2->source);
	json_object_put(j2);

	/* Key order of the stored row does not change the hash. */
	rev = json_object_new_object();
	json_object_object_foreachC(back, it)
		keys[n++] = it.key;
	while (n-- > 0)
		json_object_object_add(rev, keys[n],
		    json_object_get(json_object_object_get(back, keys[n])));
	CU_ASSERT_EQUAL_FATAL(tk_handler_from_json(rev, &h3, &d), TK_OK);
	CU_ASSERT_STRING_EQUAL(h3->hash, h->hash);
	json_object_put(rev);

	/* The hash is the SHA-256 of the canonical text. */
	CU_ASSERT_STRING_NOT_EQUAL(h->hash, "");
	CU_ASSERT_EQUAL(strspn(h->hash, "0123456789abcdef"), 64);

	json_object_put(back);
	json_object_put(j);
	free(s1);
	tk_handler_free(h);
	tk_handler_free(h2);
	tk_handler_free(h3);
	tk_diag_free(&d);
}

/* The deepest handler YAML accepts still parses with json-c's default
 * depth (32), as the store may read definitions back that way. */
static void
test_deepest_round_trip(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h = NULL, *h2 = NULL;
	struct tk_buf b = TK_BUF_INIT;
	json_object *o, *j, *back;
	int i;

	tk_buf_puts(&b, "name: deep\nstep_templates: [{name: a}]\nschema: ");
	for (i = 0; i < TK_YAML_MAX_DEPTH - 1; i++)     /* root + schema.. */
		tk_buf_puts(&b, "{not: ");
	tk_buf_puts(&b, "true");
	for (i = 0; i < TK_YAML_MAX_DEPTH - 1; i++)
		tk_buf_puts(&b, "}");
	CU_ASSERT_EQUAL_FATAL(tk_yaml_parse("deep.yaml", b.data, b.len, &o,
	    &d), TK_OK);
	CU_ASSERT_EQUAL_FATAL(tk_handler_parse(o, "deep.yaml", NULL, &h, &d),
	    TK_OK);
	j = tk_handler_to_json(h);
	back = json_tokener_parse(json_str(j));
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(tk_handler_from_json(back, &h2, &d), TK_OK);
	CU_ASSERT_STRING_EQUAL(h2->hash, h->hash);
	json_object_put(back);
	json_object_put(j);
	json_object_put(o);
	tk_handler_free(h);
	tk_handler_free(h2);
	tk_buf_free(&b);
	tk_diag_free(&d);
}

static void
test_from_json_corrupt(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h, *out = (struct tk_handler_def *)1;
	json_object *j, *steps, *st;

	CU_ASSERT_EQUAL(tk_handler_from_json(NULL, &out, &d),
	    TK_ERR_DEFINITION);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_TRUE(has(&d, "definition: the top level must be a mapping"));
	tk_diag_free(&d);

	h = load_one("handlers/good.yaml", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	j = tk_handler_to_json(h);
	steps = json_object_object_get(j, "step_templates");
	st = json_object_array_get_idx(steps, 1);
	json_object_object_add(st, "depends_on_step",
	    json_object_new_string("ghost"));
	json_object_object_add(st, "default_retry_limit",
	    json_object_new_string("3"));
	json_object_object_add(j, "version", json_object_new_int(2));
	/* "\u0000" in a stored string must not cut a name short. */
	json_object_object_add(json_object_array_get_idx(steps, 3), "name",
	    json_object_new_string_len("ship\0evil", 9));
	CU_ASSERT_EQUAL(tk_handler_from_json(j, &out, &d), TK_ERR_DEFINITION);
	CU_ASSERT_TRUE(has(&d, "definition: step_templates[3].name: 'ship' is "
	    "not a valid name"));
	CU_ASSERT_PTR_NULL(out);
	/* No line numbers for a database row, but the key path. */
	CU_ASSERT_TRUE(has(&d, "definition: step_templates[1].depends_on_step: "
	    "unknown step 'ghost'"));
	CU_ASSERT_TRUE(has(&d, "definition: step_templates[1]."
	    "default_retry_limit: must be a whole number"));
	CU_ASSERT_TRUE(has(&d, "definition: version: must be text"));
	json_object_put(j);
	tk_handler_free(h);
	tk_diag_free(&d);
}

static void
test_diff(void)
{
	struct tk_diag d = TK_DIAG_INIT, out = TK_DIAG_INIT;
	struct tk_handler_def *a, *b = NULL;
	json_object *j, *steps, *st, *s2;

	a = load_one("handlers/good.yaml", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	tk_handler_diff(a, a, &out);
	CU_ASSERT_EQUAL(out.n, 0);

	j = tk_handler_to_json(a);
	steps = json_object_object_get(j, "step_templates");
	st = json_object_array_get_idx(steps, 2);       /* charge */
	json_object_object_add(st, "default_retry_limit",
	    json_object_new_int(6));
	json_object_object_add(j, "description",
	    json_object_new_string("Changed"));
	/* Drop notify, add audit. */
	json_object_array_del_idx(steps, 4, 1);
	s2 = json_object_new_object();
	json_object_object_add(s2, "name", json_object_new_string("audit"));
	json_object_array_add(steps, s2);
	CU_ASSERT_EQUAL_FATAL(tk_handler_from_json(j, &b, &d), TK_OK);
	CU_ASSERT_STRING_NOT_EQUAL(a->hash, b->hash);
	tk_handler_diff(a, b, &out);
	CU_ASSERT_TRUE(has(&out, "step_templates[2].default_retry_limit: "
	    "5 -> 6"));
	CU_ASSERT_TRUE(has(&out, "description: \"Fulfil an order end to end\""
	    " -> \"Changed\""));
	CU_ASSERT_TRUE(has(&out, "step_templates[4]: step 'audit' added"));
	CU_ASSERT_TRUE(has(&out, "step_templates[4]: step 'notify' removed"));
	CU_ASSERT_EQUAL(out.n, 4);
	json_object_put(j);
	tk_handler_free(a);
	tk_handler_free(b);
	tk_diag_free(&d);
	tk_diag_free(&out);
}

/* ------------------------------------------------------------------ */
/* handler: sets of files                                              */
/* ------------------------------------------------------------------ */

static void
test_folder(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;

	CU_ASSERT_EQUAL_FATAL(load("handlers/folder", NULL, &set, &d), TK_OK);
	CU_ASSERT_EQUAL(d.n, 0);
	/* Sorted by path; .hidden.yaml and README.txt skipped. */
	CU_ASSERT_EQUAL_FATAL(set.nhandlers, 4);
	CU_ASSERT_STRING_EQUAL(set.handlers[0]->name, "first");
	CU_ASSERT_STRING_EQUAL(set.handlers[1]->name, "second");
	CU_ASSERT_STRING_EQUAL(set.handlers[2]->name, "misc_handler");
	CU_ASSERT_STRING_EQUAL(set.handlers[3]->name, "only");
	CU_ASSERT_PTR_NOT_NULL(strstr(set.handlers[1]->source,
	    "folder/alpha/b_handler.yml"));
	/* Declared namespaces in declaration order, then undeclared ones. */
	CU_ASSERT_EQUAL_FATAL(set.nnamespaces, 3);
	CU_ASSERT_STRING_EQUAL(set.namespaces[0].name, "zeta");
	CU_ASSERT_STRING_EQUAL(set.namespaces[0].description,
	    "Declared first");
	CU_ASSERT_STRING_EQUAL(set.namespaces[1].name, "alpha");
	CU_ASSERT_STRING_EQUAL(set.namespaces[2].name, "misc");
	CU_ASSERT_STRING_EQUAL(set.namespaces[2].description, "");
	tk_defset_free(&set);
	CU_ASSERT_EQUAL(set.nhandlers, 0);

	/* Two paths: a file and a folder; a missing path is an error. */
	{
		const char *paths[2];
		char a[4096], b[4096];
		snprintf(a, sizeof(a), "%s", tk_fixture("handlers/good.yaml"));
		snprintf(b, sizeof(b), "%s", tk_fixture("handlers/nope"));
		paths[0] = a;
		paths[1] = b;
		CU_ASSERT_EQUAL(tk_defset_load(paths, 2, NULL, &set, &d),
		    TK_ERR_DEFINITION);
		CU_ASSERT_TRUE(has(&d, "handlers/nope: cannot open"));
		tk_defset_free(&set);
		tk_diag_free(&d);
	}
}

static void
test_empty_folder(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;
	char dir[] = "/tmp/tk-empty.XXXXXX", txt[64];
	const char *p = dir;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(txt, sizeof(txt), "%s/notes.txt", dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(txt, "w"));
	fclose(f);
	CU_ASSERT_EQUAL(tk_defset_load(&p, 1, NULL, &set, &d),
	    TK_ERR_DEFINITION);
	CU_ASSERT_TRUE(has(&d, "no *.yaml or *.yml file in this folder"));
	tk_defset_free(&set);
	tk_diag_free(&d);
	unlink(txt);
	rmdir(dir);
}

static void
test_duplicate_version(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("handlers/dupver", &d);
	CU_ASSERT_TRUE(has(&d, "dupver/two.yaml:4: version: "
	    "payments/process_payment 2.1.0 is already defined in "));
	CU_ASSERT_TRUE(has(&d, "dupver/one.yaml:3"));
	CU_ASSERT_EQUAL(d.n, 1);        /* 2.2.0 is a different version */
	tk_diag_free(&d);
}

static void
test_namespace_files(void)
{
	struct tk_diag d = TK_DIAG_INIT;

	load_bad("handlers/nsconflict", &d);
	CU_ASSERT_TRUE(has(&d, "nsconflict/a.yaml:5: namespaces[2].name: "
	    "namespace 'billing' is declared twice (first at line 4)"));
	CU_ASSERT_TRUE(has(&d, "nsconflict/b.yaml:2: namespaces[0].name: "
	    "namespace 'payments' is described as 'Payments, described "
	    "differently' here but as 'Payment processing workflows' in "));
	CU_ASSERT_TRUE(has(&d, "nsconflict/b.yaml:5: namespaces[1].extra: "
	    "unknown key"));
	CU_ASSERT_TRUE(has(&d, "nsconflict/b.yaml:6: namespaces[2].name: "
	    "must be a valid name"));
	tk_diag_free(&d);
}

static void
test_hostile_files(void)
{
	static const char bomb[] =
	    "name: bomb\n"
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "step_templates: [{name: x, custom_events: *c}]\n";
	static const char multi[] = "name: one\nstep_templates: [{name: a}]\n"
	    "---\nname: two\nstep_templates: [{name: a}]\n";
	static const char latin1[] = "name: x\ndescription: caf\xe9\n"
	    "step_templates: [{name: a}]\n";
	static const char overlong[] = "name: x\ndescription: \xc0\xaf\n"
	    "step_templates: [{name: a}]\n";
	static const char surrogate[] = "name: x\ndescription: \xed\xa0\x80\n"
	    "step_templates: [{name: a}]\n";
	static const char nul[] = "name: x\nstep_templates: [{name: a}]\n"
	    "description: a\0b\n";
	static const char utf16[] = "\xff\xfen\0a\0m\0e\0";
	struct tk_buf b = TK_BUF_INIT;
	size_t i;

	hostile("bomb.yaml", bomb, sizeof(bomb) - 1,
	    ":2: a: anchors (&a) and aliases are not allowed");
	hostile("multi.yaml", multi, sizeof(multi) - 1,
	    ":3: more than one YAML document in the file");
	hostile("latin1.yaml", latin1, sizeof(latin1) - 1,
	    ":2: not valid UTF-8");
	hostile("overlong.yaml", overlong, sizeof(overlong) - 1,
	    ":2: not valid UTF-8");
	hostile("surrogate.yaml", surrogate, sizeof(surrogate) - 1,
	    ":2: not valid UTF-8");
	hostile("nul.yaml", nul, sizeof(nul) - 1, ":3: NUL byte in the file");
	hostile("utf16.yaml", utf16, sizeof(utf16) - 1, ":1: NUL byte");
	hostile("empty.yaml", "", 0, ":1: the file holds no YAML document");

	/* Deep nesting inside an otherwise valid handler. */
	tk_buf_puts(&b, "name: deep\nstep_templates: [{name: a}]\nschema: ");
	for (i = 0; i < 1000; i++)
		tk_buf_puts(&b, "{a: ");
	tk_buf_puts(&b, "1");
	for (i = 0; i < 1000; i++)
		tk_buf_puts(&b, "}");
	tk_buf_puts(&b, "\n");
	{
		/* root, schema and 29 levels of a: the 32nd is refused */
		char want[256] = ":3: schema";
		for (i = 0; i < TK_YAML_MAX_DEPTH - 1; i++)
			strcat(want, ".a");
		strcat(want, ": nested deeper than 31 levels");
		hostile("deep.yaml", b.data, b.len, want);
	}
	tk_buf_reset(&b);

	/* Just over the size bound: refused before parsing. */
	tk_buf_puts(&b, "name: big\nstep_templates: [{name: a}]\n#");
	while (b.len <= TK_YAML_MAX_BYTES)
		tk_buf_puts(&b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	tk_buf_puts(&b, "\n");
	hostile("huge.yaml", b.data, b.len, ": larger than 1048576 bytes");
	tk_buf_free(&b);
	rmdir(tmpdir);
	tmpdir[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* examples: etc/handlers as shipped                                   */
/* ------------------------------------------------------------------ */

static const struct tk_handler_def *
find(const struct tk_defset *set, const char *ns, const char *name,
    const char *version)
{
	size_t i;

	for (i = 0; i < set->nhandlers; i++)
		if (strcmp(set->handlers[i]->namespace_name, ns) == 0 &&
		    strcmp(set->handlers[i]->name, name) == 0 &&
		    (version == NULL ||
		    strcmp(set->handlers[i]->version, version) == 0))
			return set->handlers[i];
	return NULL;
}

/* The handler names of namespace ns, in set order, comma-separated. */
static const char *
names_in(const struct tk_defset *set, const char *ns, char *buf, size_t sz)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < set->nhandlers; i++) {
		const struct tk_handler_def *h = set->handlers[i];
		if (strcmp(h->namespace_name, ns) != 0)
			continue;
		/* a second version of the same handler is listed once */
		if (i > 0 && strcmp(set->handlers[i - 1]->name, h->name) == 0 &&
		    strcmp(set->handlers[i - 1]->namespace_name, ns) == 0)
			continue;
		o += (size_t)snprintf(buf + o, sz - o, "%s%s", o ? "," : "",
		    h->name);
		if (o >= sz)
			break;
	}
	return buf;
}

static void
assert_step(const struct tk_handler_def *h, size_t i, const char *name,
    const char *desc, const char *cls, const char *dep, int retryable,
    unsigned limit, int skippable, const char *events)
{
	const struct tk_step_def *s;

	CU_ASSERT_FATAL(i < h->nsteps);
	s = &h->steps[i];
	CU_ASSERT_STRING_EQUAL(s->name, name);
	CU_ASSERT_STRING_EQUAL(s->description, desc);
	CU_ASSERT_STRING_EQUAL(s->handler_class, cls);
	if (dep == NULL) {
		CU_ASSERT_EQUAL(s->nparents, 0);
	} else {
		CU_ASSERT_EQUAL_FATAL(s->nparents, 1);
		CU_ASSERT_STRING_EQUAL(h->steps[s->parents[0]].name, dep);
	}
	CU_ASSERT_EQUAL(s->retryable, retryable);
	CU_ASSERT_EQUAL(s->retry_limit, limit);
	CU_ASSERT_EQUAL(s->skippable, skippable);
	CU_ASSERT_STRING_EQUAL(json_str(s->custom_events), events);
	CU_ASSERT_TRUE(s->exec.runnable);
}

static void
test_examples_guide(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;
	const struct tk_handler_def *h;
	const char *p = TK_TEST_TOPSRC "/etc/handlers";
	char buf[256];

	CU_ASSERT_EQUAL_FATAL(tk_defset_load(&p, 1, NULL, &set, &d), TK_OK);
	CU_ASSERT_EQUAL(d.n, 0);
	CU_ASSERT_EQUAL_FATAL(set.nnamespaces, 3);
	CU_ASSERT_STRING_EQUAL(set.namespaces[0].name, "payments");
	CU_ASSERT_STRING_EQUAL(set.namespaces[0].description,
	    "Payment processing workflows");
	CU_ASSERT_STRING_EQUAL(set.namespaces[1].name, "inventory");
	CU_ASSERT_STRING_EQUAL(set.namespaces[1].description,
	    "Inventory management workflows");
	CU_ASSERT_STRING_EQUAL(set.namespaces[2].name, "notifications");
	CU_ASSERT_STRING_EQUAL(set.namespaces[2].description,
	    "Notification and messaging workflows");
	/* The guide's listing, in the guide's order. */
	CU_ASSERT_STRING_EQUAL(names_in(&set, "payments", buf, sizeof(buf)),
	    "process_payment,refund_payment,validate_card,"
	    "process_subscription,cancel_subscription");
	CU_ASSERT_STRING_EQUAL(names_in(&set, "inventory", buf, sizeof(buf)),
	    "update_stock,process_order,check_availability");
	CU_ASSERT_STRING_EQUAL(names_in(&set, "notifications", buf,
	    sizeof(buf)), "send_email,send_sms,push_notification,alert_admin");

	/* process_payment 2.1.0, exactly as the guide's handler details. */
	h = find(&set, "payments", "process_payment", "2.1.0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(h->description,
	    "Process customer payment with validation and confirmation");
	CU_ASSERT_EQUAL_FATAL(h->nsteps, 4);
	assert_step(h, 0, "validate_payment",
	    "Validate payment details and customer information",
	    "Payments::StepHandler::ValidatePaymentHandler", NULL, 0, 0, 0,
	    "[]");
	assert_step(h, 1, "charge_card",
	    "Process payment through payment gateway",
	    "Payments::StepHandler::ChargeCardHandler", "validate_payment",
	    1, 3, 0, "[\"payment.gateway.charged\"]");
	assert_step(h, 2, "update_order",
	    "Update order status after successful payment",
	    "Payments::StepHandler::UpdateOrderHandler", "charge_card", 1, 2,
	    0, "[]");
	assert_step(h, 3, "send_confirmation",
	    "Send payment confirmation email to customer",
	    "Payments::StepHandler::SendConfirmationHandler", "update_order",
	    1, 5, 1, "[\"notification.email.sent\"]");
	/* execution_order of the guide */
	CU_ASSERT_EQUAL(h->order[0], 0);
	CU_ASSERT_EQUAL(h->order[1], 1);
	CU_ASSERT_EQUAL(h->order[2], 2);
	CU_ASSERT_EQUAL(h->order[3], 3);

	h = find(&set, "payments", "refund_payment", "1.5.0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(h->description,
	    "Process customer refund with validation");
	CU_ASSERT_EQUAL_FATAL(h->nsteps, 3);
	CU_ASSERT_STRING_EQUAL(h->steps[0].name, "validate_refund");
	CU_ASSERT_STRING_EQUAL(h->steps[1].name, "process_refund");
	CU_ASSERT_STRING_EQUAL(h->steps[2].name, "notify_customer");
	CU_ASSERT_EQUAL(h->nlevels, 3);

	/* A diamond and two versions of one handler. */
	h = find(&set, "inventory", "process_order", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(h->nlevels, 3);
	CU_ASSERT_EQUAL(h->steps[h->nsteps - 1].nparents, 2);
	CU_ASSERT_PTR_NOT_NULL(find(&set, "notifications", "send_email",
	    "1.0.0"));
	CU_ASSERT_PTR_NOT_NULL(find(&set, "notifications", "send_email",
	    "1.1.0"));
	tk_defset_free(&set);
	tk_diag_free(&d);
}

static void
test_examples_runnable(void)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_defset set;
	const char *p = TK_TEST_TOPSRC "/etc/handlers";
	const char *envs[] = { "production", "development", "test" };
	char path[4096];
	size_t e, i, j;
	int retries = 0;

	for (e = 0; e < 3; e++) {
		CU_ASSERT_EQUAL_FATAL(tk_defset_load(&p, 1, envs[e], &set, &d),
		    TK_OK);
		for (i = 0; i < set.nhandlers; i++)
			for (j = 0; j < set.handlers[i]->nsteps; j++) {
				const struct tk_step_def *s =
				    &set.handlers[i]->steps[j];
				CU_ASSERT_TRUE(s->exec.runnable);
				if (!s->exec.runnable || s->exec.argc == 0)
					continue;
				/* Paths are relative to the work_dir: the
				 * source tree works as one. */
				snprintf(path, sizeof(path), "%s/%s",
				    TK_TEST_TOPSRC, s->exec.argv[0]);
				CU_ASSERT_EQUAL(access(path, X_OK), 0);
				if (strstr(s->exec.argv[0], "flaky") != NULL)
					retries++;
			}
		tk_defset_free(&set);
	}
	/* The transient-failure script is used somewhere. */
	CU_ASSERT_TRUE(retries > 0);
	tk_diag_free(&d);
}

TK_SUITE(yamljson,
    { "plain scalars resolve by YAML 1.2 core", test_yaml_scalars },
    { "lines of keys and items", test_yaml_lines },
    { "refused constructs", test_yaml_rejects },
    { "depth and error bounds", test_yaml_limits });

/* default_priority: -100..100; in the canonical form only when not 0
 * (a handler without one keeps its hash); read back from it. */
static void
test_default_priority(void)
{
	static const char yaml[] = "name: prio\ndefault_priority: -7\n"
	    "step_templates:\n  - name: a\n    handler_config: {command: "
	    "\"true\"}\n";
	static const char plain[] = "name: prio\n"
	    "step_templates:\n  - name: a\n    handler_config: {command: "
	    "\"true\"}\n";
	static const char big[] = "name: prio\ndefault_priority: 101\n"
	    "step_templates:\n  - name: a\n";
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *h, *back = NULL;
	struct tk_defset set;
	const char *p;
	json_object *j;

	p = tmpfile_with("prio.yaml", yaml, sizeof(yaml) - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(tk_defset_load(&p, 1, NULL, &set, &d), TK_OK);
	h = set.handlers[0];
	CU_ASSERT_EQUAL(h->default_priority, -7);
	j = tk_handler_to_json(h);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_str(j), "\"default_priority\":-7"));
	CU_ASSERT_EQUAL(tk_handler_from_json(j, &back, &d), TK_OK);
	CU_ASSERT_EQUAL_FATAL(back != NULL, 1);
	CU_ASSERT_EQUAL(back->default_priority, -7);
	CU_ASSERT_STRING_EQUAL(back->hash, h->hash);
	tk_handler_free(back);
	json_object_put(j);
	tk_defset_free(&set);
	unlink(p);
	p = tmpfile_with("plain.yaml", plain, sizeof(plain) - 1);
	CU_ASSERT_EQUAL_FATAL(tk_defset_load(&p, 1, NULL, &set, &d), TK_OK);
	CU_ASSERT_EQUAL(set.handlers[0]->default_priority, 0);
	j = tk_handler_to_json(set.handlers[0]);
	CU_ASSERT_PTR_NULL(strstr(json_str(j), "default_priority"));
	json_object_put(j);
	tk_defset_free(&set);
	tk_diag_free(&d);
	unlink(p);
	hostile("big.yaml", big, sizeof(big) - 1,
	    ":2: default_priority: must be between -100 and 100");
}

/* max_in_flight: 1..TK_IN_FLIGHT_MAX; in the canonical form only when
 * set; read back from it. */
static void
test_max_in_flight(void)
{
	static const char yaml[] = "name: lim\nstep_templates:\n"
	    "  - name: a\n    max_in_flight: 3\n  - name: b\n";
	static const char zero[] = "name: lim\nstep_templates:\n"
	    "  - name: a\n    max_in_flight: 0\n";
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *back = NULL;
	struct tk_defset set;
	const char *p;
	json_object *j;

	p = tmpfile_with("lim.yaml", yaml, sizeof(yaml) - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(tk_defset_load(&p, 1, NULL, &set, &d), TK_OK);
	CU_ASSERT_EQUAL(set.handlers[0]->steps[0].max_in_flight, 3);
	CU_ASSERT_EQUAL(set.handlers[0]->steps[1].max_in_flight, 0);
	j = tk_handler_to_json(set.handlers[0]);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_str(j), "\"max_in_flight\":3"));
	CU_ASSERT_EQUAL(tk_handler_from_json(j, &back, &d), TK_OK);
	CU_ASSERT_EQUAL_FATAL(back != NULL, 1);
	CU_ASSERT_EQUAL(back->steps[0].max_in_flight, 3);
	CU_ASSERT_STRING_EQUAL(back->hash, set.handlers[0]->hash);
	tk_handler_free(back);
	json_object_put(j);
	tk_defset_free(&set);
	tk_diag_free(&d);
	unlink(p);
	hostile("zero.yaml", zero, sizeof(zero) - 1,
	    ":4: step_templates[0].max_in_flight: must be between 1 and "
	    "100000");
}

/* concurrency (step and handler), the handler's max_in_flight and
 * rate_limit: parsed, in the canonical form only when set, read back. */
static void
test_flow_limits(void)
{
	static const char yaml[] = "name: fl\nconcurrency:\n"
	    "  key: $.customer.id\n  limit: 2\nstep_templates:\n"
	    "  - name: a\n    concurrency: {key: $.customer_id, limit: 1}\n"
	    "    rate_limit: {limit: 5, period: 1m}\n  - name: b\n"
	    "    concurrency: {limit: 4}\n    rate_limit: {limit: 3, "
	    "period: 2}\n";
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_handler_def *back = NULL, *h;
	struct tk_defset set;
	const char *p;
	json_object *j;

	p = tmpfile_with("fl.yaml", yaml, sizeof(yaml) - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(tk_defset_load(&p, 1, NULL, &set, &d), TK_OK);
	h = set.handlers[0];
	CU_ASSERT_STRING_EQUAL(h->concurrency.key, "$.customer.id");
	CU_ASSERT_EQUAL(h->concurrency.limit, 2);
	CU_ASSERT_STRING_EQUAL(h->steps[0].concurrency.key, "$.customer_id");
	CU_ASSERT_EQUAL(h->steps[0].concurrency.limit, 1);
	CU_ASSERT_EQUAL(h->steps[0].rate.limit, 5);
	CU_ASSERT_EQUAL(h->steps[0].rate.period_seconds, 60);
	CU_ASSERT_PTR_NULL(h->steps[1].concurrency.key);
	CU_ASSERT_EQUAL(h->steps[1].concurrency.limit, 4);
	CU_ASSERT_EQUAL(h->steps[1].rate.period_seconds, 2);
	j = tk_handler_to_json(h);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_str(j), "\"rate_limit\":"
	    "{\"limit\":5,\"period\":\"60s\"}"));
	CU_ASSERT_EQUAL(tk_handler_from_json(j, &back, &d), TK_OK);
	CU_ASSERT_EQUAL_FATAL(back != NULL, 1);
	CU_ASSERT_STRING_EQUAL(back->steps[0].concurrency.key,
	    "$.customer_id");
	CU_ASSERT_EQUAL(back->concurrency.limit, 2);
	CU_ASSERT_STRING_EQUAL(back->hash, h->hash);
	tk_handler_free(back);
	json_object_put(j);
	tk_defset_free(&set);
	tk_diag_free(&d);
	unlink(p);
}

/* The YAML's mistakes, each with its line and a clear message. */
static void
test_flow_limits_bad(void)
{
	static const char path[] = "name: fl\nstep_templates:\n  - name: a\n"
	    "    concurrency: {key: customer_id, limit: 1}\n";
	static const char zero[] = "name: fl\nstep_templates:\n  - name: a\n"
	    "    concurrency:\n      key: $.c\n      limit: 0\n";
	static const char nolimit[] = "name: fl\nstep_templates:\n"
	    "  - name: a\n    concurrency: {key: $.c}\n";
	static const char both[] = "name: fl\nmax_in_flight: 2\n"
	    "concurrency: {limit: 1}\nstep_templates:\n  - name: a\n";
	static const char stepboth[] = "name: fl\nstep_templates:\n"
	    "  - name: a\n    max_in_flight: 2\n    concurrency: {limit: 1}\n";
	static const char period[] = "name: fl\nstep_templates:\n"
	    "  - name: a\n    rate_limit: {limit: 3, period: 2x}\n";
	static const char rate[] = "name: fl\nstep_templates:\n"
	    "  - name: a\n    rate_limit: {limit: 100001, period: 1s}\n";
	static const char extra[] = "name: fl\nstep_templates:\n"
	    "  - name: a\n    rate_limit: {limit: 3, period: 1s, burst: 2}\n";

	hostile("path.yaml", path, sizeof(path) - 1, ":4: step_templates[0]."
	    "concurrency.key: 'customer_id' is not a JSON path");
	hostile("zero.yaml", zero, sizeof(zero) - 1, ":6: step_templates[0]."
	    "concurrency.limit: must be between 1 and 100000");
	hostile("nolimit.yaml", nolimit, sizeof(nolimit) - 1,
	    ":4: step_templates[0].concurrency.limit: required");
	hostile("both.yaml", both, sizeof(both) - 1, ":2: max_in_flight: give "
	    "concurrency or max_in_flight, not both");
	hostile("stepboth.yaml", stepboth, sizeof(stepboth) - 1,
	    ":3: step_templates[0].concurrency: give concurrency or "
	    "max_in_flight, not both");
	hostile("period.yaml", period, sizeof(period) - 1, ":4: step_templates"
	    "[0].rate_limit.period: must be a length of time from 1s to 1d");
	hostile("rate.yaml", rate, sizeof(rate) - 1, ":4: step_templates[0]."
	    "rate_limit.limit: must be between 1 and 100000");
	hostile("extra.yaml", extra, sizeof(extra) - 1,
	    ":4: step_templates[0].rate_limit.burst: unknown key");
}

TK_SUITE(handler_flow, { "flow limits", test_flow_limits },
    { "flow limits: bad YAML", test_flow_limits_bad });

TK_SUITE(handler,
    { "good file, every field", test_good_file },
    { "defaults", test_defaults },
    { "missing required keys", test_missing_required },
    { "wrong types and ranges", test_wrong_types },
    { "unknown keys", test_unknown_keys },
    { "bad names and versions", test_bad_names_and_versions },
    { "duplicates, unknown deps, self deps, cycles, named_steps",
      test_step_graph_errors },
    { "exec handler_config", test_exec_config_errors },
    { "environment override errors", test_environment_errors },
    { "environment overrides merge", test_env_merge },
    { "to_json / from_json round trip", test_json_round_trip },
    { "hash: pinned", test_hash_pinned },
    { "deepest definition round trip", test_deepest_round_trip },
    { "from_json on a corrupted row", test_from_json_corrupt },
    { "diff", test_diff },
    { "folder loading", test_folder },
    { "a folder without YAML", test_empty_folder },
    { "duplicate version across files", test_duplicate_version },
    { "namespace files", test_namespace_files },
    { "hostile files", test_hostile_files },
    { "default_priority", test_default_priority },
    { "max_in_flight", test_max_in_flight });

TK_SUITE(examples,
    { "etc/handlers matches the guide", test_examples_guide },
    { "every example step runs a shipped script", test_examples_runnable });
