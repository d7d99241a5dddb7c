/*
 * compile.c - checks a JSON Schema and compiles it into a tree of
 * tk_snode (internal.h) that validate.c walks.
 *
 * Every keyword is declared in one table with the dialects it exists in;
 * a keyword not in the table, or not in the schema's dialect, is refused
 * with its location, so a handler never runs with part of its schema
 * silently ignored.  Compilation keeps going after a problem so the
 * author sees every problem at once.  Regexes are translated and compiled
 * here, once; messages that quote schema values are built here too, so
 * validation never formats or mutates anything in the compiled schema.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/jsonschema.h"
#include "internal.h"

#define MAX_PATTERN	4096	/* bytes of one ECMA-262 pattern */
#define MAX_SEGMENT	200	/* bytes of one location segment in diags */
#define MAX_QUOTED	200	/* bytes of a JSON value quoted in a message */

/* Dialects, from "$schema"; draft 7 when absent. */
#define D6	0x1u
#define D7	0x2u
#define D2019	0x4u
#define D2020	0x8u
#define DALL	(D6 | D7 | D2019 | D2020)

struct cctx {
	struct tk_diag	 *diag;
	struct tk_schema *s;
	struct tk_buf	  path;		/* location of the current value */
	unsigned	  dialect;
	int		  depth;
	int		  errors;
	int		  nomem;
};

/* ---- diagnostics and locations ---- */

static void problem(struct cctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct cctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->errors++;
	tk_diag_add(c->diag, "%s: %s",
	    c->path.len ? tk_buf_str(&c->path) : "(root)", msg);
}

static void *
xcalloc(struct cctx *c, size_t n, size_t sz)
{
	void *p;

	if (n == 0)
		n = 1;
	if ((p = calloc(n, sz)) == NULL)
		c->nomem = 1;
	return p;
}

static char *
xstrdup(struct cctx *c, const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		c->nomem = 1;
	return p;
}

/* Takes the text of b (which is then empty); NULL and nomem on failure. */
static char *
detach(struct cctx *c, struct tk_buf *b)
{
	char *p;

	if (b->failed) {
		tk_buf_free(b);
		c->nomem = 1;
		return NULL;
	}
	if ((p = tk_buf_detach(b)) == NULL)
		c->nomem = 1;
	return p;
}

/* Appends "/seg" (RFC 6901 escaped) to the location; returns the mark
 * to pop back to. */
static size_t
push_key(struct cctx *c, const char *key)
{
	size_t mark = c->path.len, i, n = strlen(key);
	struct tk_buf seg = TK_BUF_INIT;

	tk_buf_putc(&c->path, '/');
	for (i = 0; i < n; i++) {
		if (key[i] == '~')
			tk_buf_puts(&seg, "~0");
		else if (key[i] == '/')
			tk_buf_puts(&seg, "~1");
		else
			tk_buf_putc(&seg, key[i]);
	}
	tk_js_put_cut(&c->path, tk_buf_str(&seg), seg.len, MAX_SEGMENT);
	tk_buf_free(&seg);
	if (c->path.failed)
		c->nomem = 1;
	return mark;
}

static size_t
push_index(struct cctx *c, size_t i)
{
	size_t mark = c->path.len;

	tk_buf_printf(&c->path, "/%zu", i);
	if (c->path.failed)
		c->nomem = 1;
	return mark;
}

static void
pop(struct cctx *c, size_t mark)
{
	if (c->path.data != NULL && mark <= c->path.len) {
		c->path.len = mark;
		c->path.data[mark] = '\0';
	}
}

/* ---- value checks shared by keywords ---- */

static int
get_number(struct cctx *c, json_object *v, struct tk_num *n)
{
	if (!tk_js_num(v, n)) {
		problem(c, "must be a number");
		return -1;
	}
	if (!tk_js_num_is_finite(n)) {
		problem(c, "must be a finite number");
		return -1;
	}
	return 0;
}

/* A non-negative integer (1.0 counts), clamped to TK_NONE - 1. */
static int
get_count(struct cctx *c, json_object *v, size_t *out)
{
	struct tk_num n;
	double d;

	if (!tk_js_num(v, &n) || !tk_js_num_is_integer(&n) ||
	    (n.k == TK_NUM_INT && n.i < 0) ||
	    (n.k == TK_NUM_DBL && n.d < 0)) {
		problem(c, "must be a non-negative integer");
		return -1;
	}
	if (n.k == TK_NUM_INT)
		d = (double)n.i;
	else if (n.k == TK_NUM_UINT)
		d = (double)n.u;
	else
		d = n.d;
	if (d >= (double)(TK_NONE / 2))
		*out = TK_NONE - 1;
	else if (n.k == TK_NUM_INT)
		*out = (size_t)n.i;
	else
		*out = (size_t)d;
	return 0;
}

/* An array of distinct strings, copied into *out. */
static int
get_strings(struct cctx *c, json_object *v, char ***out, size_t *nout)
{
	size_t i, j, n;
	json_object *e;
	char **a;

	if (!json_object_is_type(v, json_type_array)) {
		problem(c, "must be an array of strings");
		return -1;
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string)) {
			problem(c, "must be an array of strings");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(json_object_get_string(e), json_object_get_string(
			    json_object_array_get_idx(v, j))) == 0) {
				problem(c, "must not repeat \"%s\"",
				    json_object_get_string(e));
				return -1;
			}
	}
	if ((a = xcalloc(c, n, sizeof(*a))) == NULL)
		return -1;
	*out = a;
	for (i = 0; i < n; i++) {
		if ((a[i] = xstrdup(c, json_object_get_string(
		    json_object_array_get_idx(v, i)))) == NULL)
			return -1;
		*nout = i + 1;
	}
	return 0;
}

static struct tk_snode *compile_node(struct cctx *, json_object *);

/* Compiles the schema at key (or index) under the current location. */
static struct tk_snode *
sub_key(struct cctx *c, const char *key, json_object *v)
{
	size_t mark = push_key(c, key);
	struct tk_snode *n;

	n = compile_node(c, v);
	pop(c, mark);
	return n;
}

static struct tk_snode *
sub_index(struct cctx *c, size_t i, json_object *v)
{
	size_t mark = push_index(c, i);
	struct tk_snode *n;

	n = compile_node(c, v);
	pop(c, mark);
	return n;
}

/* A non-empty array of schemas (allOf, anyOf, oneOf, items). */
static void
schema_array(struct cctx *c, json_object *v, struct tk_snode ***out,
    size_t *nout, int may_be_empty)
{
	size_t i, n;

	if (!json_object_is_type(v, json_type_array) ||
	    (!may_be_empty && json_object_array_length(v) == 0)) {
		problem(c, may_be_empty ? "must be an array of schemas" :
		    "must be a non-empty array of schemas");
		return;
	}
	n = json_object_array_length(v);
	if ((*out = xcalloc(c, n, sizeof(**out))) == NULL)
		return;
	for (i = 0; i < n && !c->nomem; i++) {
		(*out)[i] = sub_index(c, i, json_object_array_get_idx(v, i));
		*nout = i + 1;
	}
}

/* ---- regexes ---- */

/* Compiles an ECMA-262 pattern with PCRE2; NULL when refused. */
static struct tk_sregex *
compile_regex(struct cctx *c, const char *src, size_t len)
{
	struct tk_buf msg = TK_BUF_INIT, lim = TK_BUF_INIT;
	struct tk_sregex *r = NULL;
	char why[200];
	tk_err e;

	if (len > MAX_PATTERN) {
		problem(c, "pattern longer than %d bytes", MAX_PATTERN);
		goto out;
	}
	if ((r = xcalloc(c, 1, sizeof(*r))) == NULL)
		goto out;
	if ((e = tk_sregex_compile(src, len, r, why, sizeof(why))) != TK_OK) {
		if (e == TK_ERR_NOMEM)
			c->nomem = 1;
		else
			problem(c, "pattern not supported: %s", why);
		tk_sregex_clear(r);
		free(r);
		r = NULL;
		goto out;
	}
	tk_buf_puts(&msg, "must match pattern \"");
	tk_js_put_cut(&msg, src, len, MAX_QUOTED);
	tk_buf_putc(&msg, '"');
	tk_buf_puts(&lim, "could not be checked against pattern \"");
	tk_js_put_cut(&lim, src, len, MAX_QUOTED);
	tk_buf_puts(&lim, "\": the match limit was reached");
	r->msg = detach(c, &msg);
	r->limit_msg = detach(c, &lim);
out:
	tk_buf_free(&msg);
	tk_buf_free(&lim);
	return r;
}

static void
sregex_free(struct tk_sregex *r)
{
	if (r == NULL)
		return;
	tk_sregex_clear(r);
	free(r->msg);
	free(r->limit_msg);
	free(r);
}

/* ---- keywords ---- */

static const struct {
	const char	*name;
	unsigned	 bit;
	const char	*phrase;	/* for messages */
} types[] = {
	{ "object",  TK_T_OBJECT,  "an object" },
	{ "array",   TK_T_ARRAY,   "an array" },
	{ "string",  TK_T_STRING,  "a string" },
	{ "number",  TK_T_NUMBER,  "a number" },
	{ "integer", TK_T_INTEGER, "an integer" },
	{ "boolean", TK_T_BOOLEAN, "a boolean" },
	{ "null",    TK_T_NULL,    "null" },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static int
type_bit(struct cctx *c, json_object *v, unsigned *bit)
{
	size_t i;

	if (!json_object_is_type(v, json_type_string)) {
		problem(c, "must be a type name or an array of them");
		return -1;
	}
	for (i = 0; i < NTYPES; i++)
		if (strcmp(json_object_get_string(v), types[i].name) == 0) {
			*bit = types[i].bit;
			return 0;
		}
	problem(c, "unknown type \"%s\"", json_object_get_string(v));
	return -1;
}

/* "must be a string", "must be a string or null", "... a, b or c". */
static void
type_message(struct cctx *c, struct tk_snode *n)
{
	struct tk_buf b = TK_BUF_INIT;
	unsigned bits = n->types;
	size_t i, left = 0;

	if (bits & TK_T_NUMBER)
		bits &= ~TK_T_INTEGER;
	for (i = 0; i < NTYPES; i++)
		if (bits & types[i].bit)
			left++;
	tk_buf_puts(&b, "must be ");
	for (i = 0; i < NTYPES; i++) {
		if (!(bits & types[i].bit))
			continue;
		tk_buf_puts(&b, types[i].phrase);
		left--;
		if (left > 1)
			tk_buf_puts(&b, ", ");
		else if (left == 1)
			tk_buf_puts(&b, " or ");
	}
	n->type_msg = detach(c, &b);
}

static void
kw_type(struct cctx *c, struct tk_snode *n, json_object *v)
{
	unsigned bit;
	size_t i, len;

	if (json_object_is_type(v, json_type_array)) {
		len = json_object_array_length(v);
		if (len == 0) {
			problem(c, "must not be an empty array");
			return;
		}
		for (i = 0; i < len; i++) {
			if (type_bit(c, json_object_array_get_idx(v, i),
			    &bit) == -1)
				return;
			if (n->types & bit) {
				problem(c, "must not repeat a type");
				return;
			}
			n->types |= bit;
		}
	} else if (type_bit(c, v, &bit) == 0)
		n->types = bit;
	else
		return;
	type_message(c, n);
}

static json_object *
copy_value(struct cctx *c, json_object *v)
{
	json_object *copy = NULL;

	if (v == NULL)
		return NULL;
	if (tk_js_depth(v, TK_SCHEMA_MAX_VALUE_DEPTH) >
	    TK_SCHEMA_MAX_VALUE_DEPTH) {
		problem(c, "value nested deeper than %d levels",
		    TK_SCHEMA_MAX_VALUE_DEPTH);
		return NULL;
	}
	if (json_object_deep_copy(v, &copy, NULL) != 0) {
		c->nomem = 1;
		return NULL;
	}
	return copy;
}

static void
kw_enum(struct cctx *c, struct tk_snode *n, json_object *v)
{
	struct tk_buf b = TK_BUF_INIT;
	size_t i, len;

	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0) {
		problem(c, "must be a non-empty array");
		return;
	}
	if ((n->enumv = copy_value(c, v)) == NULL)
		return;
	len = json_object_array_length(n->enumv);
	tk_buf_puts(&b, len == 1 ? "must be equal to " : "must be one of: ");
	for (i = 0; i < len; i++) {
		if (b.len > MAX_QUOTED) {
			tk_buf_puts(&b, "...");
			break;
		}
		if (i > 0)
			tk_buf_puts(&b, ", ");
		tk_js_put_json(&b, json_object_array_get_idx(n->enumv, i),
		    MAX_QUOTED);
	}
	n->enum_msg = detach(c, &b);
}

static void
kw_const(struct cctx *c, struct tk_snode *n, json_object *v)
{
	struct tk_buf b = TK_BUF_INIT;

	if (v != NULL && (n->constv = copy_value(c, v)) == NULL)
		return;
	n->has_const = 1;
	tk_buf_puts(&b, "must be equal to ");
	tk_js_put_json(&b, n->constv, MAX_QUOTED);
	n->const_msg = detach(c, &b);
}

static void
bound(struct cctx *c, struct tk_sbound *b, json_object *v, const char *op)
{
	char num[64], msg[96];

	if (get_number(c, v, &b->v) == -1)
		return;
	tk_js_num_format(&b->v, num, sizeof(num));
	snprintf(msg, sizeof(msg), "must be %s %s", op, num);
	if ((b->msg = xstrdup(c, msg)) != NULL)
		b->set = 1;
}

static void
kw_minimum(struct cctx *c, struct tk_snode *n, json_object *v)
{
	bound(c, &n->min, v, ">=");
}

static void
kw_maximum(struct cctx *c, struct tk_snode *n, json_object *v)
{
	bound(c, &n->max, v, "<=");
}

static void
kw_xminimum(struct cctx *c, struct tk_snode *n, json_object *v)
{
	if (json_object_is_type(v, json_type_boolean)) {
		problem(c, "must be a number (the draft-04 boolean form is "
		    "not supported)");
		return;
	}
	bound(c, &n->xmin, v, ">");
}

static void
kw_xmaximum(struct cctx *c, struct tk_snode *n, json_object *v)
{
	if (json_object_is_type(v, json_type_boolean)) {
		problem(c, "must be a number (the draft-04 boolean form is "
		    "not supported)");
		return;
	}
	bound(c, &n->xmax, v, "<");
}

static void
kw_multipleof(struct cctx *c, struct tk_snode *n, json_object *v)
{
	struct tk_num zero = { TK_NUM_INT, 0, 0, 0 };
	char num[64], msg[96];

	if (get_number(c, v, &n->mult.v) == -1)
		return;
	if (tk_js_num_cmp(&n->mult.v, &zero) != 1) {
		problem(c, "must be greater than 0");
		return;
	}
	tk_js_num_format(&n->mult.v, num, sizeof(num));
	snprintf(msg, sizeof(msg), "must be a multiple of %s", num);
	if ((n->mult.msg = xstrdup(c, msg)) != NULL)
		n->mult.set = 1;
}

static void
kw_minlength(struct cctx *c, struct tk_snode *n, json_object *v)
{
	get_count(c, v, &n->minlen);
}

static void
kw_maxlength(struct cctx *c, struct tk_snode *n, json_object *v)
{
	get_count(c, v, &n->maxlen);
}

static void
kw_pattern(struct cctx *c, struct tk_snode *n, json_object *v)
{
	if (!json_object_is_type(v, json_type_string)) {
		problem(c, "must be a string");
		return;
	}
	n->pattern = compile_regex(c, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
}

static void
kw_items(struct cctx *c, struct tk_snode *n, json_object *v)
{
	if (!json_object_is_type(v, json_type_array)) {
		n->items = compile_node(c, v);
		return;
	}
	if (c->dialect == D2020) {
		problem(c, "the array form is not supported under 2020-12 "
		    "(that is prefixItems)");
		return;
	}
	n->has_tuple = 1;
	schema_array(c, v, &n->tuple, &n->ntuple, 1);
}

static void
kw_additionalitems(struct cctx *c, struct tk_snode *n, json_object *v)
{
	n->additems = compile_node(c, v);
}

static void
kw_minitems(struct cctx *c, struct tk_snode *n, json_object *v)
{
	get_count(c, v, &n->minitems);
}

static void
kw_maxitems(struct cctx *c, struct tk_snode *n, json_object *v)
{
	get_count(c, v, &n->maxitems);
}

static void
kw_uniqueitems(struct cctx *c, struct tk_snode *n, json_object *v)
{
	if (!json_object_is_type(v, json_type_boolean)) {
		problem(c, "must be a boolean");
		return;
	}
	n->unique = json_object_get_boolean(v);
}

static void
kw_contains(struct cctx *c, struct tk_snode *n, json_object *v)
{
	n->contains = compile_node(c, v);
}

static void
kw_required(struct cctx *c, struct tk_snode *n, json_object *v)
{
	get_strings(c, v, &n->required, &n->nrequired);
}

static int
prop_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tk_sprop *)a)->name,
	    ((const struct tk_sprop *)b)->name);
}

static void
kw_properties(struct cctx *c, struct tk_snode *n, json_object *v)
{
	size_t i = 0;

	if (!json_object_is_type(v, json_type_object)) {
		problem(c, "must be an object");
		return;
	}
	n->props = xcalloc(c, (size_t)json_object_object_length(v),
	    sizeof(*n->props));
	if (n->props == NULL)
		return;
	json_object_object_foreach(v, key, sv) {
		if ((n->props[i].name = xstrdup(c, key)) == NULL)
			return;
		n->props[i].len = strlen(key);
		n->nprops = ++i;
		n->props[i - 1].schema = sub_key(c, key, sv);
		if (c->nomem)
			return;
	}
	/* validate.c looks members up with bsearch. */
	qsort(n->props, n->nprops, sizeof(*n->props), prop_cmp);
}

static void
kw_patternproperties(struct cctx *c, struct tk_snode *n, json_object *v)
{
	size_t i = 0, mark;

	if (!json_object_is_type(v, json_type_object)) {
		problem(c, "must be an object");
		return;
	}
	n->pprops = xcalloc(c, (size_t)json_object_object_length(v),
	    sizeof(*n->pprops));
	if (n->pprops == NULL)
		return;
	json_object_object_foreach(v, key, sv) {
		n->npprops = ++i;
		mark = push_key(c, key);
		n->pprops[i - 1].re = compile_regex(c, key, strlen(key));
		n->pprops[i - 1].schema = compile_node(c, sv);
		pop(c, mark);
		if (c->nomem)
			return;
	}
}

static void
kw_additionalproperties(struct cctx *c, struct tk_snode *n, json_object *v)
{
	n->additional = compile_node(c, v);
}

static void
kw_propertynames(struct cctx *c, struct tk_snode *n, json_object *v)
{
	n->propnames = compile_node(c, v);
}

static void
kw_minproperties(struct cctx *c, struct tk_snode *n, json_object *v)
{
	get_count(c, v, &n->minprops);
}

static void
kw_maxproperties(struct cctx *c, struct tk_snode *n, json_object *v)
{
	get_count(c, v, &n->maxprops);
}

/*
 * dependencies (array or schema per member), dependentRequired (arrays)
 * and dependentSchemas (schemas) all become tk_sdep entries.
 */
static void
deps(struct cctx *c, struct tk_snode *n, json_object *v, int arrays,
    int schemas)
{
	struct tk_sdep *d;
	size_t mark;

	if (!json_object_is_type(v, json_type_object)) {
		problem(c, "must be an object");
		return;
	}
	d = realloc(n->deps, (n->ndeps + (size_t)json_object_object_length(v)
	    + 1) * sizeof(*d));
	if (d == NULL) {
		c->nomem = 1;
		return;
	}
	n->deps = d;
	json_object_object_foreach(v, key, dv) {
		d = &n->deps[n->ndeps++];
		memset(d, 0, sizeof(*d));
		if ((d->name = xstrdup(c, key)) == NULL)
			return;
		mark = push_key(c, key);
		if (arrays && json_object_is_type(dv, json_type_array))
			get_strings(c, dv, &d->req, &d->nreq);
		else if (schemas)
			d->schema = compile_node(c, dv);
		else
			problem(c, "must be an array of strings");
		pop(c, mark);
		if (c->nomem)
			return;
	}
}

static void
kw_dependencies(struct cctx *c, struct tk_snode *n, json_object *v)
{
	deps(c, n, v, 1, 1);
}

static void
kw_dependentrequired(struct cctx *c, struct tk_snode *n, json_object *v)
{
	deps(c, n, v, 1, 0);
}

static void
kw_dependentschemas(struct cctx *c, struct tk_snode *n, json_object *v)
{
	deps(c, n, v, 0, 1);
}

static void
kw_allof(struct cctx *c, struct tk_snode *n, json_object *v)
{
	schema_array(c, v, &n->allof, &n->nallof, 0);
}

static void
kw_anyof(struct cctx *c, struct tk_snode *n, json_object *v)
{
	schema_array(c, v, &n->anyof, &n->nanyof, 0);
}

static void
kw_oneof(struct cctx *c, struct tk_snode *n, json_object *v)
{
	schema_array(c, v, &n->oneof, &n->noneof, 0);
}

static void
kw_not(struct cctx *c, struct tk_snode *n, json_object *v)
{
	n->not = compile_node(c, v);
}

static void
kw_if(struct cctx *c, struct tk_snode *n, json_object *v)
{
	n->if_ = compile_node(c, v);
}

static void
kw_then(struct cctx *c, struct tk_snode *n, json_object *v)
{
	n->then_ = compile_node(c, v);
}

static void
kw_else(struct cctx *c, struct tk_snode *n, json_object *v)
{
	n->else_ = compile_node(c, v);
}

/* Annotations: checked for shape, then ignored. */
static void
kw_string_annotation(struct cctx *c, struct tk_snode *n, json_object *v)
{
	(void)n;
	if (!json_object_is_type(v, json_type_string))
		problem(c, "must be a string");
}

static void
kw_any_annotation(struct cctx *c, struct tk_snode *n, json_object *v)
{
	(void)c;
	(void)n;
	(void)v;
}

static const struct keyword {
	const char	*name;
	unsigned	 dialects;
	void		(*fn)(struct cctx *, struct tk_snode *, json_object *);
} keywords[] = {
	{ "type",		  DALL, kw_type },
	{ "enum",		  DALL, kw_enum },
	{ "const",		  DALL, kw_const },
	{ "minimum",		  DALL, kw_minimum },
	{ "maximum",		  DALL, kw_maximum },
	{ "exclusiveMinimum",	  DALL, kw_xminimum },
	{ "exclusiveMaximum",	  DALL, kw_xmaximum },
	{ "multipleOf",		  DALL, kw_multipleof },
	{ "minLength",		  DALL, kw_minlength },
	{ "maxLength",		  DALL, kw_maxlength },
	{ "pattern",		  DALL, kw_pattern },
	{ "items",		  DALL, kw_items },
	{ "additionalItems",	  D6 | D7 | D2019, kw_additionalitems },
	{ "minItems",		  DALL, kw_minitems },
	{ "maxItems",		  DALL, kw_maxitems },
	{ "uniqueItems",	  DALL, kw_uniqueitems },
	{ "contains",		  DALL, kw_contains },
	{ "required",		  DALL, kw_required },
	{ "properties",		  DALL, kw_properties },
	{ "patternProperties",	  DALL, kw_patternproperties },
	{ "additionalProperties", DALL, kw_additionalproperties },
	{ "propertyNames",	  DALL, kw_propertynames },
	{ "minProperties",	  DALL, kw_minproperties },
	{ "maxProperties",	  DALL, kw_maxproperties },
	{ "dependencies",	  D6 | D7, kw_dependencies },
	{ "dependentRequired",	  D2019 | D2020, kw_dependentrequired },
	{ "dependentSchemas",	  D2019 | D2020, kw_dependentschemas },
	{ "allOf",		  DALL, kw_allof },
	{ "anyOf",		  DALL, kw_anyof },
	{ "oneOf",		  DALL, kw_oneof },
	{ "not",		  DALL, kw_not },
	{ "if",			  D7 | D2019 | D2020, kw_if },
	{ "then",		  D7 | D2019 | D2020, kw_then },
	{ "else",		  D7 | D2019 | D2020, kw_else },
	{ "$schema",		  DALL, kw_string_annotation },
	{ "$id",		  DALL, kw_string_annotation },
	{ "$comment",		  D7 | D2019 | D2020, kw_string_annotation },
	{ "title",		  DALL, kw_string_annotation },
	{ "description",	  DALL, kw_string_annotation },
	{ "format",		  DALL, kw_string_annotation },
	{ "default",		  DALL, kw_any_annotation },
	{ "examples",		  DALL, kw_any_annotation },
};

static const struct keyword *
find_keyword(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(keywords[i].name, name) == 0)
			return &keywords[i];
	return NULL;
}

static const char *
dialect_name(unsigned d)
{
	switch (d) {
	case D6:
		return "draft-06";
	case D2019:
		return "2019-09";
	case D2020:
		return "2020-12";
	default:
		return "draft-07";
	}
}

static struct tk_snode *
compile_node(struct cctx *c, json_object *v)
{
	const struct keyword *kw;
	struct tk_snode *n;
	size_t mark;

	if ((n = xcalloc(c, 1, sizeof(*n))) == NULL)
		return NULL;
	n->maxlen = n->maxitems = n->maxprops = TK_NONE;
	if (json_object_is_type(v, json_type_boolean)) {
		n->is_bool = 1;
		n->bool_value = json_object_get_boolean(v);
		return n;
	}
	if (!json_object_is_type(v, json_type_object)) {
		problem(c, "a schema must be an object or a boolean");
		return n;
	}
	if (c->depth >= TK_SCHEMA_MAX_DEPTH) {
		problem(c, "schema nested deeper than %d levels",
		    TK_SCHEMA_MAX_DEPTH);
		return n;
	}
	c->depth++;
	json_object_object_foreach(v, key, kv) {
		mark = push_key(c, key);
		if ((kw = find_keyword(key)) == NULL)
			problem(c, "keyword not supported");
		else if (!(kw->dialects & c->dialect))
			problem(c, "keyword not supported in %s",
			    dialect_name(c->dialect));
		else
			kw->fn(c, n, kv);
		pop(c, mark);
		if (c->nomem)
			break;
	}
	c->depth--;
	return n;
}

/* The dialect named by the root's "$schema"; draft 7 when absent. */
static void
root_dialect(struct cctx *c, json_object *root)
{
	static const struct {
		const char	*uri;	/* without scheme and "#" */
		unsigned	 d;
	} known[] = {
		{ "json-schema.org/draft-06/schema", D6 },
		{ "json-schema.org/draft-07/schema", D7 },
		{ "json-schema.org/draft/2019-09/schema", D2019 },
		{ "json-schema.org/draft/2020-12/schema", D2020 },
	};
	json_object *v;
	const char *s;
	size_t i, n;
	size_t mark;

	c->dialect = D7;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "$schema", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	s = json_object_get_string(v);
	if (strncmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncmp(s, "http://", 7) == 0)
		s += 7;
	n = strlen(s);
	if (n > 0 && s[n - 1] == '#')
		n--;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].uri) == n &&
		    strncmp(known[i].uri, s, n) == 0) {
			c->dialect = known[i].d;
			return;
		}
	mark = push_key(c, "$schema");
	problem(c, "dialect not supported (draft-06, draft-07, 2019-09 or "
	    "2020-12)");
	pop(c, mark);
}

/* ---- public ---- */

static void
nodes_free(struct tk_snode **a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		tk_snode_free(a[i]);
	free(a);
}

static void
strings_free(char **a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

void
tk_snode_free(struct tk_snode *n)
{
	size_t i;

	if (n == NULL)
		return;
	free(n->type_msg);
	json_object_put(n->enumv);
	free(n->enum_msg);
	json_object_put(n->constv);
	free(n->const_msg);
	free(n->min.msg);
	free(n->max.msg);
	free(n->xmin.msg);
	free(n->xmax.msg);
	free(n->mult.msg);
	sregex_free(n->pattern);
	tk_snode_free(n->items);
	nodes_free(n->tuple, n->ntuple);
	tk_snode_free(n->additems);
	tk_snode_free(n->contains);
	strings_free(n->required, n->nrequired);
	for (i = 0; i < n->nprops; i++) {
		free(n->props[i].name);
		tk_snode_free(n->props[i].schema);
	}
	free(n->props);
	for (i = 0; i < n->npprops; i++) {
		sregex_free(n->pprops[i].re);
		tk_snode_free(n->pprops[i].schema);
	}
	free(n->pprops);
	tk_snode_free(n->additional);
	tk_snode_free(n->propnames);
	for (i = 0; i < n->ndeps; i++) {
		free(n->deps[i].name);
		strings_free(n->deps[i].req, n->deps[i].nreq);
		tk_snode_free(n->deps[i].schema);
	}
	free(n->deps);
	nodes_free(n->allof, n->nallof);
	nodes_free(n->anyof, n->nanyof);
	nodes_free(n->oneof, n->noneof);
	tk_snode_free(n->not);
	tk_snode_free(n->if_);
	tk_snode_free(n->then_);
	tk_snode_free(n->else_);
	free(n);
}

void
tk_schema_free(struct tk_schema *s)
{
	if (s == NULL)
		return;
	tk_snode_free(s->root);
	free(s);
}

tk_err
tk_schema_compile(json_object *schema, struct tk_schema **out,
    struct tk_diag *diag)
{
	struct cctx c;
	struct tk_schema *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TK_ERR_NOMEM;
	memset(&c, 0, sizeof(c));
	c.diag = diag;
	c.s = s;
	tk_buf_init(&c.path);
	root_dialect(&c, schema);
	s->root = compile_node(&c, schema);
	tk_buf_free(&c.path);
	if (c.nomem || s->root == NULL) {
		tk_schema_free(s);
		return TK_ERR_NOMEM;
	}
	if (c.errors > 0) {
		tk_schema_free(s);
		return TK_ERR_DEFINITION;
	}
	*out = s;
	return TK_OK;
}
