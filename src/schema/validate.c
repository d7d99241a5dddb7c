/*
 * validate.c - checks a JSON instance against a compiled schema and
 * reports every violation, each with the JSON pointer of the offending
 * instance location and a message.
 *
 * Recursion follows the schema tree, whose depth compile.c bounds, so a
 * hostile instance cannot deepen it; value comparisons (enum, const,
 * uniqueItems) bound their own depth.  Branches whose failures are not
 * reported one by one (anyOf, oneOf, not, if, contains) run in "quiet"
 * mode (out == NULL), which stops at the first failure.  Nothing in the
 * compiled schema is written, so one schema may serve many threads.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/alloc.h"

#include "tasker/jsonschema.h"
#include "tasker/utf8.h"
#include "internal.h"

#define MAX_NAME	64	/* bytes of a property name in a message */
#define PAIRWISE_MAX	16	/* uniqueItems: compare all pairs below this */

/* One step of the instance location: a member name or an array index. */
struct seg {
	const char	*key;	/* NULL for an index */
	size_t		 idx;
};

struct vctx {
	const struct tk_schema	 *s;
	struct tk_schema_result	 *out;	/* NULL: quiet, stop at first */
	const char		 *prefix;	/* before each message, or NULL */
	struct seg		  path[TK_SCHEMA_MAX_DEPTH + 4];
	size_t			  depth;
	int			  nomem;
};

static int validate(struct vctx *, const struct tk_snode *, json_object *);

/* ---- reporting ---- */

/* No point going on: quiet mode, result full, or out of memory. */
static int
stop(const struct vctx *v)
{
	return v->out == NULL || v->out->truncated || v->nomem;
}

static void
put_pointer(struct tk_buf *b, const struct vctx *v)
{
	const char *k;
	size_t i;

	for (i = 0; i < v->depth; i++) {
		if (b->len > TK_SCHEMA_MAX_POINTER)
			break;
		if (v->path[i].key == NULL) {
			tk_buf_printf(b, "/%zu", v->path[i].idx);
			continue;
		}
		tk_buf_putc(b, '/');
		for (k = v->path[i].key; *k != '\0'; k++) {
			if (*k == '~')
				tk_buf_puts(b, "~0");
			else if (*k == '/')
				tk_buf_puts(b, "~1");
			else
				tk_buf_putc(b, *k);
		}
	}
	if (b->len > TK_SCHEMA_MAX_POINTER) {
		/* Cut on a character boundary, then mark the cut. */
		i = tk_utf8_floor(b->data, TK_SCHEMA_MAX_POINTER);
		b->len = i;
		b->data[i] = '\0';
		tk_buf_puts(b, "...");
	}
}

static int
push_violation(struct vctx *v, char *ptr, char *msg)
{
	struct tk_schema_result *r = v->out;

	if (ptr == NULL || msg == NULL)
		goto nomem;
	if (tk_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v), 8) !=
	    TK_OK)
		goto nomem;
	r->v[r->n].pointer = ptr;
	r->v[r->n].message = msg;
	r->n++;
	return 0;
nomem:
	free(ptr);
	free(msg);
	v->nomem = 1;
	return -1;
}

static int report(struct vctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Records a violation at the current location; returns 0 (invalid). */
static int
report(struct vctx *v, const char *fmt, ...)
{
	struct tk_buf ptr = TK_BUF_INIT, msg = TK_BUF_INIT;
	char text[512];
	va_list ap;

	if (v->out == NULL || v->nomem)
		return 0;
	if (v->out->n >= TK_SCHEMA_MAX_VIOLATIONS) {
		v->out->truncated = 1;
		return 0;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	put_pointer(&ptr, v);
	if (v->prefix != NULL)
		tk_buf_puts(&msg, v->prefix);
	tk_buf_puts(&msg, text);
	if (ptr.failed || msg.failed) {
		tk_buf_free(&ptr);
		tk_buf_free(&msg);
		v->nomem = 1;
		return 0;
	}
	push_violation(v, tk_buf_detach(&ptr), tk_buf_detach(&msg));
	return 0;
}

/* A property name as quoted in a message: at most MAX_NAME bytes. */
static void
quote_name(char *dst, size_t sz, const char *name)
{
	struct tk_buf b = TK_BUF_INIT;

	tk_js_put_cut(&b, name, strlen(name), MAX_NAME);
	snprintf(dst, sz, "%s", b.failed ? "?" : tk_buf_str(&b));
	tk_buf_free(&b);
}

/* Descends into a member or an element; -1 when too deep (reported). */
static int
push(struct vctx *v, const char *key, size_t idx)
{
	if (v->depth == sizeof(v->path) / sizeof(v->path[0])) {
		report(v, "is nested too deeply");
		return -1;
	}
	v->path[v->depth].key = key;
	v->path[v->depth].idx = idx;
	v->depth++;
	return 0;
}

static void
pop(struct vctx *v)
{
	v->depth--;
}

/* Validates inst against n at a child location. */
static int
child(struct vctx *v, const char *key, size_t idx, const struct tk_snode *n,
    json_object *inst)
{
	int ok;

	if (push(v, key, idx) == -1)
		return 0;
	ok = validate(v, n, inst);
	pop(v);
	return ok;
}

/* Does inst match n?  Reports nothing. */
static int
matches(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	struct vctx q;
	int ok;

	memset(&q, 0, sizeof(q));
	q.s = v->s;
	ok = validate(&q, n, inst);
	if (q.nomem)
		v->nomem = 1;
	return ok;
}

/* Collects failures: remember the first, go on unless told to stop. */
#define CHECK(v, ok, expr) do {						\
	if (!(expr)) {							\
		(ok) = 0;						\
		if (stop(v))						\
			return 0;					\
	}								\
} while (0)

/* ---- any type ---- */

static unsigned
type_bits(json_object *inst)
{
	struct tk_num n;

	switch (json_object_get_type(inst)) {
	case json_type_null:
		return TK_T_NULL;
	case json_type_boolean:
		return TK_T_BOOLEAN;
	case json_type_object:
		return TK_T_OBJECT;
	case json_type_array:
		return TK_T_ARRAY;
	case json_type_string:
		return TK_T_STRING;
	case json_type_int:
	case json_type_double:
		tk_js_num(inst, &n);
		return tk_js_num_is_integer(&n) ?
		    TK_T_NUMBER | TK_T_INTEGER : TK_T_NUMBER;
	default:
		return 0;
	}
}

static int
check_enum(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	size_t i, len;
	int r, deep = 0;

	len = json_object_array_length(n->enumv);
	for (i = 0; i < len; i++) {
		r = tk_js_equal(inst, json_object_array_get_idx(n->enumv, i),
		    1);
		if (r == 1)
			return 1;
		if (r == -1)
			deep = 1;
	}
	if (deep)
		return report(v, "is nested too deeply to compare");
	return report(v, "%s", n->enum_msg);
}

static int
check_const(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	int r;

	if ((r = tk_js_equal(inst, n->constv, 1)) == 1)
		return 1;
	if (r == -1)
		return report(v, "is nested too deeply to compare");
	return report(v, "%s", n->const_msg);
}

static int
check_anyof(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	size_t i;

	for (i = 0; i < n->nanyof; i++)
		if (matches(v, n->anyof[i], inst))
			return 1;
	return report(v, "must match at least one of the %zu schemas in "
	    "anyOf", n->nanyof);
}

static int
check_oneof(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	size_t i, first = 0, hits = 0;

	for (i = 0; i < n->noneof; i++) {
		if (!matches(v, n->oneof[i], inst))
			continue;
		if (++hits == 2)
			return report(v, "must match exactly one schema in "
			    "oneOf, but matches both oneOf/%zu and oneOf/%zu",
			    first, i);
		first = i;
	}
	if (hits == 1)
		return 1;
	return report(v, "must match exactly one of the %zu schemas in "
	    "oneOf, but matches none", n->noneof);
}

static int
check_combinators(struct vctx *v, const struct tk_snode *n,
    json_object *inst)
{
	size_t i;
	int ok = 1;

	for (i = 0; i < n->nallof; i++)
		CHECK(v, ok, validate(v, n->allof[i], inst));
	if (n->nanyof > 0)
		CHECK(v, ok, check_anyof(v, n, inst));
	if (n->noneof > 0)
		CHECK(v, ok, check_oneof(v, n, inst));
	if (n->not != NULL && matches(v, n->not, inst))
		CHECK(v, ok, report(v, "must not match the schema in not"));
	if (n->if_ != NULL) {
		if (matches(v, n->if_, inst)) {
			if (n->then_ != NULL)
				CHECK(v, ok, validate(v, n->then_, inst));
		} else if (n->else_ != NULL)
			CHECK(v, ok, validate(v, n->else_, inst));
	}
	return ok;
}

/* ---- numbers ---- */

static int
check_number(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	struct tk_num x;
	int ok = 1;

	tk_js_num(inst, &x);
	if (n->min.set && tk_js_num_cmp(&x, &n->min.v) < 0)
		CHECK(v, ok, report(v, "%s", n->min.msg));
	if (n->max.set && tk_js_num_cmp(&x, &n->max.v) > 0)
		CHECK(v, ok, report(v, "%s", n->max.msg));
	if (n->xmin.set && tk_js_num_cmp(&x, &n->xmin.v) != 1)
		CHECK(v, ok, report(v, "%s", n->xmin.msg));
	if (n->xmax.set && tk_js_num_cmp(&x, &n->xmax.v) != -1)
		CHECK(v, ok, report(v, "%s", n->xmax.msg));
	if (n->mult.set && !tk_js_num_multiple(&x, &n->mult.v))
		CHECK(v, ok, report(v, "%s", n->mult.msg));
	return ok;
}

/* ---- strings ---- */

static const char *
noun(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static int
check_string(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	const char *str = json_object_get_string(inst);
	size_t len = (size_t)json_object_get_string_len(inst), cps;
	int ok = 1, m;

	if (n->minlen > 0 || n->maxlen != TK_NONE) {
		cps = tk_js_utf8_count(str, len);
		if (cps < n->minlen)
			CHECK(v, ok, report(v, "must be at least %zu %s long",
			    n->minlen, noun(n->minlen, "character",
			    "characters")));
		if (n->maxlen != TK_NONE && cps > n->maxlen)
			CHECK(v, ok, report(v, "must be at most %zu %s long",
			    n->maxlen, noun(n->maxlen, "character",
			    "characters")));
	}
	if (n->pattern != NULL &&
	    (m = tk_sregex_match(n->pattern, str, len)) != 1)
		CHECK(v, ok, report(v, "%s", m == 0 ? n->pattern->msg :
		    n->pattern->limit_msg));
	return ok;
}

/* ---- arrays ---- */

struct hashed {
	uint64_t	h;
	size_t		i;
};

static int
hashed_cmp(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Finds the duplicate pair (i, j), i < j, with the smallest j: all pairs
 * for short arrays, else sorted by hash so only equal hashes are
 * compared.
 */
enum dup { DUP_NONE, DUP_FOUND, DUP_TOO_DEEP, DUP_NOMEM };

static enum dup
find_duplicate(json_object *a, size_t *di, size_t *dj)
{
	struct hashed *hs;
	size_t n = json_object_array_length(a), i, j, k, end;
	enum dup found = DUP_NONE;
	int r;

	if (n <= PAIRWISE_MAX) {
		for (j = 1; j < n; j++)
			for (i = 0; i < j; i++) {
				r = tk_js_equal(json_object_array_get_idx(a, i),
				    json_object_array_get_idx(a, j), 1);
				if (r != 0) {
					*di = i;
					*dj = j;
					return r == 1 ? DUP_FOUND : DUP_TOO_DEEP;
				}
			}
		return DUP_NONE;
	}
	if ((hs = calloc(n, sizeof(*hs))) == NULL)
		return DUP_NOMEM;
	for (i = 0; i < n; i++) {
		hs[i].i = i;
		if (tk_js_hash(json_object_array_get_idx(a, i), 1,
		    &hs[i].h) == -1) {
			free(hs);
			return DUP_TOO_DEEP;
		}
	}
	qsort(hs, n, sizeof(*hs), hashed_cmp);
	for (k = 0; k < n; k = end) {
		for (end = k + 1; end < n && hs[end].h == hs[k].h; end++)
			;
		for (j = k + 1; j < end; j++)
			for (i = k; i < j; i++) {
				if (found == DUP_FOUND && hs[j].i >= *dj)
					break;
				r = tk_js_equal(json_object_array_get_idx(a,
				    hs[i].i), json_object_array_get_idx(a,
				    hs[j].i), 1);
				if (r == -1) {
					free(hs);
					return DUP_TOO_DEEP;
				}
				if (r == 1) {
					found = DUP_FOUND;
					*di = hs[i].i;
					*dj = hs[j].i;
					break;
				}
			}
	}
	free(hs);
	return found;
}

static int
check_unique(struct vctx *v, json_object *inst)
{
	size_t i = 0, j = 0;

	switch (find_duplicate(inst, &i, &j)) {
	case DUP_NONE:
		return 1;
	case DUP_FOUND:
		return report(v, "must not contain duplicate items (items "
		    "%zu and %zu are equal)", i, j);
	case DUP_TOO_DEEP:
		return report(v, "is nested too deeply to compare");
	case DUP_NOMEM:
		break;
	}
	v->nomem = 1;
	return 0;
}

static int
check_items(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	size_t i, len = json_object_array_length(inst);
	json_object *e;
	int ok = 1;

	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(inst, i);
		if (!n->has_tuple) {
			if (n->items != NULL)
				CHECK(v, ok, child(v, NULL, i, n->items, e));
		} else if (i < n->ntuple)
			CHECK(v, ok, child(v, NULL, i, n->tuple[i], e));
		else if (n->additems == NULL)
			break;
		else if (n->additems->is_bool && !n->additems->bool_value) {
			if (push(v, NULL, i) == -1)
				return 0;
			report(v, "additional item is not allowed (at most "
			    "%zu %s)", n->ntuple, noun(n->ntuple, "item",
			    "items"));
			pop(v);
			ok = 0;
			if (stop(v))
				return 0;
		} else
			CHECK(v, ok, child(v, NULL, i, n->additems, e));
	}
	return ok;
}

static int
check_contains(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	size_t i, len = json_object_array_length(inst);

	for (i = 0; i < len; i++)
		if (matches(v, n->contains, json_object_array_get_idx(inst, i)))
			return 1;
	return report(v, "must contain at least one item that matches the "
	    "contains schema");
}

static int
check_array(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	size_t len = json_object_array_length(inst);
	int ok = 1;

	if (len < n->minitems)
		CHECK(v, ok, report(v, "must have at least %zu %s",
		    n->minitems, noun(n->minitems, "item", "items")));
	if (n->maxitems != TK_NONE && len > n->maxitems)
		CHECK(v, ok, report(v, "must have at most %zu %s",
		    n->maxitems, noun(n->maxitems, "item", "items")));
	if (n->unique)
		CHECK(v, ok, check_unique(v, inst));
	CHECK(v, ok, check_items(v, n, inst));
	if (n->contains != NULL)
		CHECK(v, ok, check_contains(v, n, inst));
	return ok;
}

/* ---- objects ---- */

static const struct tk_sprop *
find_prop(const struct tk_snode *n, const char *key)
{
	size_t lo = 0, hi = n->nprops, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, n->props[mid].name);
		if (c == 0)
			return &n->props[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
check_required(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	size_t i;
	int ok = 1;

	for (i = 0; i < n->nrequired; i++) {
		if (json_object_object_get_ex(inst, n->required[i], NULL))
			continue;
		if (push(v, n->required[i], 0) == -1)
			return 0;
		report(v, "is required");
		pop(v);
		ok = 0;
		if (stop(v))
			return 0;
	}
	return ok;
}

static int
check_deps(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	const struct tk_sdep *d;
	char name[MAX_NAME + 8];
	size_t i, j;
	int ok = 1;

	for (i = 0; i < n->ndeps; i++) {
		d = &n->deps[i];
		if (!json_object_object_get_ex(inst, d->name, NULL))
			continue;
		if (d->schema != NULL) {
			CHECK(v, ok, validate(v, d->schema, inst));
			continue;
		}
		for (j = 0; j < d->nreq; j++) {
			if (json_object_object_get_ex(inst, d->req[j], NULL))
				continue;
			if (push(v, d->req[j], 0) == -1)
				return 0;
			quote_name(name, sizeof(name), d->name);
			report(v, "is required when '%s' is present", name);
			pop(v);
			ok = 0;
			if (stop(v))
				return 0;
		}
	}
	return ok;
}

/* propertyNames: the name, as a JSON string, at the member's location. */
static int
check_name(struct vctx *v, const struct tk_snode *n, const char *key)
{
	char name[MAX_NAME + 8], prefix[MAX_NAME + 32];
	const char *saved = v->prefix;
	json_object *s;
	int ok;

	if ((s = json_object_new_string(key)) == NULL) {
		v->nomem = 1;
		return 0;
	}
	quote_name(name, sizeof(name), key);
	snprintf(prefix, sizeof(prefix), "property name '%s' ", name);
	v->prefix = prefix;
	ok = child(v, key, 0, n->propnames, s);
	v->prefix = saved;
	json_object_put(s);
	return ok;
}

/* A member whose name hit a patternProperties match limit: a violation
 * at the member, since its schema cannot be chosen. */
static int
name_unchecked(struct vctx *v, const char *key, const struct tk_sregex *re)
{
	if (push(v, key, 0) == -1)
		return 0;
	report(v, "the property name %s", re->limit_msg);
	pop(v);
	return 0;
}

/* properties, patternProperties and additionalProperties of one member. */
static int
check_member(struct vctx *v, const struct tk_snode *n, const char *key,
    json_object *val)
{
	const struct tk_sprop *p;
	char name[MAX_NAME + 8];
	size_t i;
	int ok = 1, matched = 0, m;

	if ((p = find_prop(n, key)) != NULL) {
		matched = 1;
		CHECK(v, ok, child(v, key, 0, p->schema, val));
	}
	for (i = 0; i < n->npprops; i++) {
		if ((m = tk_sregex_match(n->pprops[i].re, key, strlen(key)))
		    == 0)
			continue;
		matched = 1;
		if (m < 0)
			CHECK(v, ok, name_unchecked(v, key, n->pprops[i].re));
		else
			CHECK(v, ok, child(v, key, 0, n->pprops[i].schema,
			    val));
	}
	if (matched || n->additional == NULL)
		return ok;
	if (n->additional->is_bool && !n->additional->bool_value) {
		if (push(v, key, 0) == -1)
			return 0;
		quote_name(name, sizeof(name), key);
		report(v, "additional property '%s' is not allowed", name);
		pop(v);
		return 0;
	}
	CHECK(v, ok, child(v, key, 0, n->additional, val));
	return ok;
}

static int
check_object(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	size_t len = (size_t)json_object_object_length(inst);
	int ok = 1;

	if (len < n->minprops)
		CHECK(v, ok, report(v, "must have at least %zu %s",
		    n->minprops, noun(n->minprops, "property",
		    "properties")));
	if (n->maxprops != TK_NONE && len > n->maxprops)
		CHECK(v, ok, report(v, "must have at most %zu %s",
		    n->maxprops, noun(n->maxprops, "property",
		    "properties")));
	CHECK(v, ok, check_required(v, n, inst));
	CHECK(v, ok, check_deps(v, n, inst));
	json_object_object_foreach(inst, key, val) {
		if (n->propnames != NULL)
			CHECK(v, ok, check_name(v, n, key));
		if (n->nprops > 0 || n->npprops > 0 || n->additional != NULL)
			CHECK(v, ok, check_member(v, n, key, val));
	}
	return ok;
}

/* ---- the walk ---- */

static int
validate(struct vctx *v, const struct tk_snode *n, json_object *inst)
{
	int ok = 1;

	if (n->is_bool)
		return n->bool_value ? 1 : report(v, "is not allowed");
	if (n->types != 0 && !(type_bits(inst) & n->types))
		CHECK(v, ok, report(v, "%s", n->type_msg));
	if (n->enumv != NULL)
		CHECK(v, ok, check_enum(v, n, inst));
	if (n->has_const)
		CHECK(v, ok, check_const(v, n, inst));
	switch (json_object_get_type(inst)) {
	case json_type_int:
	case json_type_double:
		CHECK(v, ok, check_number(v, n, inst));
		break;
	case json_type_string:
		CHECK(v, ok, check_string(v, n, inst));
		break;
	case json_type_array:
		CHECK(v, ok, check_array(v, n, inst));
		break;
	case json_type_object:
		CHECK(v, ok, check_object(v, n, inst));
		break;
	default:
		break;
	}
	CHECK(v, ok, check_combinators(v, n, inst));
	return ok;
}

tk_err
tk_schema_validate(const struct tk_schema *s, json_object *instance,
    struct tk_schema_result *out)
{
	struct vctx v;
	int ok;

	memset(&v, 0, sizeof(v));
	v.s = s;
	v.out = out;
	ok = validate(&v, s->root, instance);
	if (v.nomem)
		return TK_ERR_NOMEM;
	return ok ? TK_OK : TK_ERR_VALIDATION;
}

void
tk_schema_result_free(struct tk_schema_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].pointer);
		free(r->v[i].message);
	}
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
	r->truncated = 0;
}
