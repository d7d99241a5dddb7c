/*
 * yamljson.c - libyaml events to a json-c tree, keeping source lines.
 *
 * The converter is a loop over parser events with an explicit stack of
 * open mappings and sequences (bounded by TK_YAML_MAX_DEPTH), so nesting
 * never recurses and an alias is never expanded: it is refused.  A
 * container is added to its parent when it closes; until then the stack
 * frame holds the only reference, which is what the error path releases.
 *
 * Lines live in a struct pos attached to each container as json-c
 * userdata; json-c frees it with the container.
 */
#include "tasker/yamljson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "tasker/alloc.h"
#include "tasker/file.h"
#include "tasker/utf8.h"

/* ------------------------------------------------------------------ */
/* Line records                                                        */
/* ------------------------------------------------------------------ */

#define POS_MAGIC 0x59414d4cu   /* "YAML": guards against foreign userdata */

struct keyline {
	char     *key;
	unsigned  line;
};

struct pos {
	uint32_t        magic;
	unsigned        line;     /* where the container starts */
	int             sorted;   /* keys sorted by strcmp (bsearch-able) */
	size_t          n, cap;
	struct keyline *keys;     /* mappings */
	unsigned       *items;    /* sequences */
};

static void
pos_free(json_object *jso, void *p)
{
	struct pos *ps = p;
	size_t i;

	(void)jso;
	if (ps == NULL)
		return;
	for (i = 0; ps->keys != NULL && i < ps->n; i++)
		free(ps->keys[i].key);
	free(ps->keys);
	free(ps->items);
	free(ps);
}

static struct pos *
pos_get(json_object *jso)
{
	struct pos *ps;
	json_type t;

	if (jso == NULL)
		return NULL;
	t = json_object_get_type(jso);
	if (t != json_type_object && t != json_type_array)
		return NULL;
	ps = json_object_get_userdata(jso);
	if (ps == NULL || ps->magic != POS_MAGIC)
		return NULL;
	return ps;
}

/* The record of jso, created when missing.  NULL on allocation failure. */
static struct pos *
pos_attach(json_object *jso, unsigned line)
{
	struct pos *ps;

	if ((ps = pos_get(jso)) != NULL)
		return ps;
	if (json_object_get_userdata(jso) != NULL)
		return NULL;            /* someone else's userdata: leave it */
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return NULL;
	ps->magic = POS_MAGIC;
	ps->line = line;
	ps->sorted = 1;
	json_object_set_userdata(jso, ps, pos_free);
	return ps;
}

static int
pos_add_item(struct pos *ps, unsigned line)
{
	if (tk_grow((void **)&ps->items, &ps->cap, ps->n + 1, sizeof(unsigned),
	    8) != TK_OK)
		return -1;
	ps->items[ps->n++] = line;
	return 0;
}

static int
keyline_cmp(const void *a, const void *b)
{
	return strcmp(((const struct keyline *)a)->key,
	    ((const struct keyline *)b)->key);
}

static struct keyline *
pos_find_key(struct pos *ps, const char *key)
{
	struct keyline k;
	size_t i;

	if (ps->keys == NULL)
		return NULL;
	if (ps->sorted) {
		memset(&k, 0, sizeof(k));
		k.key = (char *)key;
		return bsearch(&k, ps->keys, ps->n, sizeof(k), keyline_cmp);
	}
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->keys[i].key, key) == 0)
			return &ps->keys[i];
	return NULL;
}

/* Appends a key unsorted (the parser sorts once the mapping closes). */
static int
pos_add_key(struct pos *ps, const char *key, unsigned line)
{
	char *k;

	if (tk_grow((void **)&ps->keys, &ps->cap, ps->n + 1,
	    sizeof(struct keyline), 8) != TK_OK)
		return -1;
	if ((k = strdup(key)) == NULL)
		return -1;
	ps->keys[ps->n].key = k;
	ps->keys[ps->n].line = line;
	ps->n++;
	ps->sorted = ps->n <= 1;
	return 0;
}

static void
pos_sort(struct pos *ps)
{
	if (!ps->sorted && ps->keys != NULL)
		qsort(ps->keys, ps->n, sizeof(struct keyline), keyline_cmp);
	ps->sorted = 1;
}

unsigned
tk_yaml_line(json_object *container)
{
	struct pos *ps = pos_get(container);

	return ps != NULL ? ps->line : 0;
}

unsigned
tk_yaml_key_line(json_object *obj, const char *key)
{
	struct pos *ps = pos_get(obj);
	struct keyline *k;

	if (ps == NULL || json_object_get_type(obj) != json_type_object)
		return 0;
	if (key != NULL && (k = pos_find_key(ps, key)) != NULL)
		return k->line;
	return ps->line;
}

unsigned
tk_yaml_item_line(json_object *arr, size_t i)
{
	struct pos *ps = pos_get(arr);

	if (ps == NULL || json_object_get_type(arr) != json_type_array)
		return 0;
	if (ps->items != NULL && i < ps->n)
		return ps->items[i];
	return ps->line;
}

tk_err
tk_yaml_set_line(json_object *container, unsigned line)
{
	struct pos *ps;

	if (container == NULL)
		return TK_ERR_INTERNAL;
	if ((ps = pos_attach(container, line)) == NULL)
		return TK_ERR_NOMEM;
	ps->line = line;
	return TK_OK;
}

tk_err
tk_yaml_set_key_line(json_object *obj, const char *key, unsigned line)
{
	struct pos *ps;
	struct keyline *k;

	if (obj == NULL || json_object_get_type(obj) != json_type_object)
		return TK_ERR_INTERNAL;
	if ((ps = pos_attach(obj, line)) == NULL)
		return TK_ERR_NOMEM;
	if ((k = pos_find_key(ps, key)) != NULL) {
		k->line = line;
		return TK_OK;
	}
	if (pos_add_key(ps, key, line))
		return TK_ERR_NOMEM;
	pos_sort(ps);
	return TK_OK;
}

/* ------------------------------------------------------------------ */
/* Converter state and messages                                        */
/* ------------------------------------------------------------------ */

struct frame {
	json_object *c;          /* the open container; this frame's ref */
	struct pos  *pos;
	int          is_map;
	unsigned     line;
	char        *key;        /* mapping: key waiting for its value */
	unsigned     key_line;
	int          drop_value; /* the key was a duplicate */
};

struct conv {
	const char     *file;
	struct tk_diag *diag;
	size_t          nerr;
	int             stop;    /* fatal: leave the event loop */
	int             nomem;
	struct frame    stack[TK_YAML_MAX_DEPTH];
	size_t          depth;
	json_object    *root;
	int             have_root;
	int             ndocs;
	int             bare;    /* leave the path out of the next message */
	int             flags;   /* TK_YAML_RAW, TK_YAML_KEEP */
	int             drop;    /* the value being added was refused */
};

/* Copies s into out for a message: printable ASCII, bounded, quoted. */
static const char *
shown(char *out, size_t outsz, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 5 < outsz; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (i < n && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/*
 * The key path of the node being read, as the handler validator writes
 * it ("step_templates[2].handler_config"), into out; "" at the top.
 */
static const char *
cur_path(const struct conv *c, char *out, size_t outsz)
{
	size_t i, o = 0;
	int n;
	char sh[48];

	out[0] = '\0';
	for (i = 0; i < c->depth && o < outsz; i++) {
		const struct frame *f = &c->stack[i];
		if (f->is_map && f->key != NULL)
			n = snprintf(out + o, outsz - o, "%s%s", o ? "." : "",
			    shown(sh, sizeof(sh), f->key, strlen(f->key)));
		else if (!f->is_map)
			n = snprintf(out + o, outsz - o, "[%zu]",
			    json_object_array_length(f->c));
		else
			break;
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (o >= outsz)
		out[outsz - 1] = '\0';
	return out;
}

static void cerr(struct conv *, unsigned, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* "FILE:LINE: PATH: message", the path left out at the top level. */
static void
cerr(struct conv *c, unsigned line, const char *fmt, ...)
{
	char msg[512], path[256];
	va_list ap;

	if (c->nerr >= TK_YAML_MAX_ERRORS) {
		c->stop = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (++c->nerr == TK_YAML_MAX_ERRORS) {
		tk_diag_add(c->diag, "%s:%u: too many problems; stopping",
		    c->file, line);
		c->stop = 1;
		return;
	}
	if (c->bare)
		path[0] = '\0';
	else
		cur_path(c, path, sizeof(path));
	if (path[0] != '\0')
		tk_diag_add(c->diag, "%s:%u: %s: %s", c->file, line, path, msg);
	else
		tk_diag_add(c->diag, "%s:%u: %s", c->file, line, msg);
}

/* ------------------------------------------------------------------ */
/* Scalars                                                             */
/* ------------------------------------------------------------------ */

enum kind { K_STR, K_NULL, K_BOOL, K_INT, K_FLOAT, K_BAD, K_PLAIN };

/* The userdata of a TK_YAML_RAW plain scalar: an address, never freed. */
static const char plain_mark = 'p';

#define TAG_PREFIX "tag:yaml.org,2002:"

static int
eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int
isdig(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Integer forms of the core schema: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+.
 * Returns K_INT (value in *v), K_BAD (*why set) or K_STR (not an int).
 */
static enum kind
plain_int(const char *s, size_t n, int64_t *v, const char **why)
{
	unsigned base = 10;
	uint64_t acc = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n >= 3 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		base = s[1] == 'x' ? 16 : 8;
		i = 2;
	} else if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return K_STR;
	for (size_t j = i; j < n; j++) {
		char ch = s[j];
		int ok = base == 16 ? (isdig(ch) || (ch >= 'a' && ch <= 'f') ||
		    (ch >= 'A' && ch <= 'F')) : base == 8 ?
		    (ch >= '0' && ch <= '7') : isdig(ch);
		if (!ok)
			return K_STR;
	}
	if (base == 10 && s[i] == '0' && n - i > 1) {
		*why = "integer with a leading zero is ambiguous (octal in "
		    "YAML 1.1); quote it or drop the zero";
		return K_BAD;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d = isdig(s[i]) ? (unsigned)(s[i] - '0') :
		    (unsigned)((s[i] | 0x20) - 'a' + 10);
		if (acc > (lim - d) / base) {
			*why = "integer out of range (64-bit signed)";
			return K_BAD;
		}
		acc = acc * base + d;
	}
	if (neg)
		*v = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)acc;
	else
		*v = (int64_t)acc;
	return K_INT;
}

/*
 * Float forms: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and
 * the infinities and NaNs, which JSON cannot hold.
 */
static enum kind
plain_float(const char *s, size_t n, double *v, const char **why)
{
	char tmp[128];
	size_t i = 0, d0;
	char *end;

	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (eq(s + i, n - i, ".inf") || eq(s + i, n - i, ".Inf") ||
	    eq(s + i, n - i, ".INF") || eq(s, n, ".nan") ||
	    eq(s, n, ".NaN") || eq(s, n, ".NAN")) {
		*why = "infinity and NaN cannot be represented in JSON";
		return K_BAD;
	}
	d0 = i;
	while (i < n && isdig(s[i]))
		i++;
	if (i < n && s[i] == '.') {
		size_t f0 = ++i;
		while (i < n && isdig(s[i]))
			i++;
		if (f0 - 1 == d0 && i == f0)
			return K_STR;   /* "." alone */
	} else if (i == d0)
		return K_STR;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t e0;
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		e0 = i;
		while (i < n && isdig(s[i]))
			i++;
		if (i == e0)
			return K_STR;
	}
	if (i != n)
		return K_STR;
	if (n >= sizeof(tmp)) {
		*why = "number too long";
		return K_BAD;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*v = strtod(tmp, &end);
	if (*end != '\0' || !isfinite(*v)) {
		*why = "number out of range";
		return K_BAD;
	}
	return K_FLOAT;
}

static int
plain_is_null(const char *s, size_t n)
{
	return n == 0 || eq(s, n, "~") || eq(s, n, "null") ||
	    eq(s, n, "Null") || eq(s, n, "NULL");
}

static enum kind
plain_kind(const char *s, size_t n, int *b, int64_t *iv, double *dv,
    const char **why)
{
	enum kind k;

	if (plain_is_null(s, n))
		return K_NULL;
	if (eq(s, n, "true") || eq(s, n, "True") || eq(s, n, "TRUE")) {
		*b = 1;
		return K_BOOL;
	}
	if (eq(s, n, "false") || eq(s, n, "False") || eq(s, n, "FALSE")) {
		*b = 0;
		return K_BOOL;
	}
	if ((k = plain_int(s, n, iv, why)) != K_STR)
		return k;
	return plain_float(s, n, dv, why);
}

/*
 * The JSON value of a scalar event.  Sets *err on a problem (the value is
 * then NULL and the caller reports).  *nomem on allocation failure.
 */
static json_object *
scalar_value(struct conv *c, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t n = ev->data.scalar.length;
	unsigned line = (unsigned)ev->start_mark.line + 1;
	const char *why = NULL, *want = NULL;
	json_object *v = NULL;
	enum kind k;
	int b = 0;
	int64_t iv = 0;
	double dv = 0;
	char sh[80];

	if (memchr(s, '\0', n) != NULL) {
		cerr(c, line, "NUL character in a scalar");
		return NULL;
	}
	if (tag == NULL && ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		k = K_STR;
	else if (tag == NULL && (c->flags & TK_YAML_RAW))
		k = plain_is_null(s, n) ? K_NULL : K_PLAIN;
	else if (tag == NULL)
		k = plain_kind(s, n, &b, &iv, &dv, &why);
	else if (strcmp(tag, "!") == 0 || strcmp(tag, TAG_PREFIX "str") == 0)
		k = K_STR;
	else if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0 &&
	    (strcmp(want = tag + strlen(TAG_PREFIX), "null") == 0 ||
	    strcmp(want, "bool") == 0 || strcmp(want, "int") == 0 ||
	    strcmp(want, "float") == 0)) {
		k = plain_kind(s, n, &b, &iv, &dv, &why);
		if (k == K_INT && strcmp(want, "float") == 0) {
			k = K_FLOAT;
			dv = (double)iv;
		}
		if (k != K_BAD && !((k == K_NULL && want[0] == 'n') ||
		    (k == K_BOOL && want[0] == 'b') ||
		    (k == K_INT && want[0] == 'i') ||
		    (k == K_FLOAT && want[0] == 'f'))) {
			cerr(c, line, "'%s' is not a valid !!%s",
			    shown(sh, sizeof(sh), s, n), want);
			return NULL;
		}
		/* Valid for its tag; the caller reads the text itself. */
		if ((c->flags & TK_YAML_RAW) && k != K_BAD && k != K_NULL)
			k = K_PLAIN;
	} else {
		cerr(c, line, "tag '%s' is not allowed (only the standard "
		    "!!str !!int !!float !!bool !!null)",
		    shown(sh, sizeof(sh), tag, strlen(tag)));
		return NULL;
	}
	switch (k) {
	case K_BAD:
		cerr(c, line, "'%s': %s", shown(sh, sizeof(sh), s, n), why);
		return NULL;
	case K_NULL:
		return NULL;
	case K_BOOL:
		v = json_object_new_boolean(b);
		break;
	case K_INT:
		v = json_object_new_int64(iv);
		break;
	case K_FLOAT:
		v = json_object_new_double(dv);
		break;
	case K_STR:
		v = json_object_new_string_len(s, (int)n);
		break;
	case K_PLAIN:
		if ((v = json_object_new_string_len(s, (int)n)) != NULL)
			json_object_set_userdata(v, (void *)&plain_mark, NULL);
		break;
	}
	if (v == NULL)
		c->nomem = 1;
	return v;
}

/* ------------------------------------------------------------------ */
/* Tree building                                                       */
/* ------------------------------------------------------------------ */

/* Hands val (owned) to the innermost open container, or makes it root. */
static void
add_value(struct conv *c, json_object *val, unsigned line)
{
	struct frame *f;
	int drop = c->drop && (c->flags & TK_YAML_KEEP);

	c->drop = 0;
	if (drop && c->depth > 0 && !c->stack[c->depth - 1].is_map) {
		/* Left out of the list; later items move up one. */
		json_object_put(val);
		return;
	}
	if (drop && c->depth > 0)
		c->stack[c->depth - 1].drop_value = 1;
	if (c->depth == 0) {
		json_object_put(c->root);
		c->root = val;
		c->have_root = 1;
		return;
	}
	f = &c->stack[c->depth - 1];
	if (!f->is_map) {
		if (json_object_array_add(f->c, val) != 0) {
			json_object_put(val);
			c->nomem = 1;
		} else if (pos_add_item(f->pos, line))
			c->nomem = 1;
		return;
	}
	if (f->key == NULL) {           /* cannot happen: keys are scalars */
		json_object_put(val);
		c->stop = 1;
		return;
	}
	if (f->drop_value)
		json_object_put(val);
	else if (json_object_object_add(f->c, f->key, val) != 0) {
		json_object_put(val);
		c->nomem = 1;
	} else if (pos_add_key(f->pos, f->key, f->key_line))
		c->nomem = 1;
	free(f->key);
	f->key = NULL;
	f->drop_value = 0;
}

static int
awaiting_key(const struct conv *c)
{
	const struct frame *f;

	if (c->depth == 0)
		return 0;
	f = &c->stack[c->depth - 1];
	return f->is_map && f->key == NULL;
}

static void
check_anchor(struct conv *c, const yaml_char_t *anchor, unsigned line)
{
	char sh[80];

	if (anchor != NULL)
		cerr(c, line, "anchors (&%s) and aliases are not allowed",
		    shown(sh, sizeof(sh), (const char *)anchor,
		    strlen((const char *)anchor)));
}

static void
on_scalar(struct conv *c, const yaml_event_t *ev)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t n = ev->data.scalar.length;
	struct frame *f;
	json_object *dup;
	char sh[80];

	check_anchor(c, ev->data.scalar.anchor, line);
	if (!awaiting_key(c)) {
		size_t nerr = c->nerr;
		json_object *v = scalar_value(c, ev);

		c->drop = c->nerr != nerr;
		add_value(c, v, line);
		return;
	}
	/* A mapping key: always text, whatever it looks like. */
	f = &c->stack[c->depth - 1];
	if (tag != NULL && strcmp(tag, "!") != 0 &&
	    strcmp(tag, TAG_PREFIX "str") != 0)
		cerr(c, line, "tag '%s' is not allowed on a key",
		    shown(sh, sizeof(sh), tag, strlen(tag)));
	if (memchr(s, '\0', n) != NULL) {
		cerr(c, line, "NUL character in a key");
		n = strlen(s);
	}
	if ((f->key = strndup(s, n)) == NULL) {
		c->nomem = 1;
		return;
	}
	f->key_line = line;
	f->drop_value = 0;
	if (json_object_object_get_ex(f->c, f->key, &dup)) {
		struct keyline *k = pos_find_key(f->pos, f->key);
		cerr(c, line, "duplicate key '%s' (first at line %u)",
		    shown(sh, sizeof(sh), s, n), k ? k->line : 0);
		f->drop_value = 1;
	}
}

static void
on_start(struct conv *c, const yaml_event_t *ev, int is_map)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	const yaml_char_t *anchor, *tag;
	struct frame *f;
	json_object *o;
	char sh[80];

	anchor = is_map ? ev->data.mapping_start.anchor :
	    ev->data.sequence_start.anchor;
	tag = is_map ? ev->data.mapping_start.tag :
	    ev->data.sequence_start.tag;
	check_anchor(c, anchor, line);
	if (tag != NULL && strcmp((const char *)tag, "!") != 0 &&
	    strcmp((const char *)tag, is_map ? TAG_PREFIX "map" :
	    TAG_PREFIX "seq") != 0)
		cerr(c, line, "tag '%s' is not allowed here",
		    shown(sh, sizeof(sh), (const char *)tag,
		    strlen((const char *)tag)));
	if (awaiting_key(c)) {
		cerr(c, line, "mapping keys must be plain text, not a %s",
		    is_map ? "mapping" : "sequence");
		c->stop = 1;
		return;
	}
	if (c->depth == TK_YAML_MAX_DEPTH) {
		cerr(c, line, "nested deeper than %d levels",
		    TK_YAML_MAX_DEPTH);
		c->stop = 1;
		return;
	}
	o = is_map ? json_object_new_object() : json_object_new_array();
	if (o == NULL) {
		c->nomem = 1;
		return;
	}
	f = &c->stack[c->depth];
	memset(f, 0, sizeof(*f));
	if ((f->pos = pos_attach(o, line)) == NULL) {
		json_object_put(o);
		c->nomem = 1;
		return;
	}
	f->c = o;
	f->is_map = is_map;
	f->line = line;
	c->depth++;
}

static void
on_end(struct conv *c)
{
	struct frame *f;

	if (c->depth == 0) {
		c->stop = 1;
		return;
	}
	f = &c->stack[--c->depth];
	free(f->key);
	f->key = NULL;
	pos_sort(f->pos);
	add_value(c, f->c, f->line);
	f->c = NULL;
}

static void
conv_free(struct conv *c)
{
	while (c->depth > 0) {
		struct frame *f = &c->stack[--c->depth];
		free(f->key);
		json_object_put(f->c);
	}
	json_object_put(c->root);
	c->root = NULL;
}

/* ------------------------------------------------------------------ */
/* Byte-level checks                                                   */
/* ------------------------------------------------------------------ */

/* Line (1-based) of offset off in buf. */
static unsigned
line_of(const char *buf, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

static void
syntax_error(struct conv *c, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	char a[160], b[160];
	const char *prob = p->problem ? p->problem : "cannot parse";
	const char *ctx = p->context;
	unsigned line = (unsigned)p->problem_mark.line + 1;

	/* The reader (bytes it refuses, e.g. control characters) gives a
	 * byte offset, not a mark. */
	if (p->error == YAML_READER_ERROR)
		line = line_of(buf, p->problem_offset < len ?
		    p->problem_offset : len);

	shown(a, sizeof(a), prob, strlen(prob));
	c->stop = 1;    /* no whole tree to keep */
	c->bare = 1;    /* the parser's position is not a key path */
	if (ctx != NULL)
		cerr(c, line, "YAML syntax error: %s %s",
		    shown(b, sizeof(b), ctx, strlen(ctx)), a);
	else
		cerr(c, line, "YAML syntax error: %s", a);
}

static void
run_parser(struct conv *c, const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int done = 0;

	if (!yaml_parser_initialize(&p)) {
		c->nomem = 1;
		return;
	}
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !c->stop && !c->nomem) {
		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR)
				c->nomem = 1;
			else
				syntax_error(c, &p, buf, len);
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++c->ndocs > 1) {
				cerr(c, (unsigned)ev.start_mark.line + 1,
				    "more than one YAML document in the file");
				c->stop = 1;
			}
			if (ev.data.document_start.tag_directives.start !=
			    ev.data.document_start.tag_directives.end)
				cerr(c, (unsigned)ev.start_mark.line + 1,
				    "%%TAG directives are not allowed");
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_ALIAS_EVENT:
			cerr(c, (unsigned)ev.start_mark.line + 1,
			    "aliases (*name) are not allowed");
			if (awaiting_key(c))
				c->stop = 1;
			else {
				c->drop = 1;
				add_value(c, NULL, 0);
			}
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(c, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			on_start(c, &ev, 0);
			break;
		case YAML_MAPPING_START_EVENT:
			on_start(c, &ev, 1);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(c);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

tk_err
tk_yaml_parse(const char *file, const char *buf, size_t len,
    json_object **out, struct tk_diag *diag)
{
	return tk_yaml_parse_flags(file, buf, len, 0, out, diag);
}

tk_err
tk_yaml_parse_flags(const char *file, const char *buf, size_t len,
    int flags, json_object **out, struct tk_diag *diag)
{
	struct conv c;
	const char *nul;
	size_t bad;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.file = file != NULL ? file : "(input)";
	c.diag = diag;
	c.flags = flags;
	if (len > TK_YAML_MAX_BYTES) {
		tk_diag_add(diag, "%s: larger than %d bytes", c.file,
		    TK_YAML_MAX_BYTES);
		return TK_ERR_DEFINITION;
	}
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		tk_diag_add(diag, "%s:%u: NUL byte in the file", c.file,
		    line_of(buf, (size_t)(nul - buf)));
		return TK_ERR_DEFINITION;
	}
	if ((bad = tk_utf8_bad(buf, len)) != len) {
		tk_diag_add(diag, "%s:%u: not valid UTF-8 (byte offset %zu)",
		    c.file, line_of(buf, bad), bad);
		return TK_ERR_DEFINITION;
	}
	/* A UTF-8 byte order mark is allowed and skipped. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	run_parser(&c, buf, len);
	if (c.nomem) {
		conv_free(&c);
		return TK_ERR_NOMEM;
	}
	if (c.nerr == 0 && (!c.have_root || c.root == NULL))
		cerr(&c, 1, "the file holds no YAML document (or only null)");
	if (c.nerr > 0 || c.depth != 0) {
		if (c.nerr == 0)
			cerr(&c, 1, "YAML stream ended early");
		/* A whole tree less the refused values: the caller's to walk. */
		if ((flags & TK_YAML_KEEP) && !c.stop && c.depth == 0 &&
		    c.root != NULL) {
			*out = c.root;
			return TK_ERR_DEFINITION;
		}
		conv_free(&c);
		return TK_ERR_DEFINITION;
	}
	*out = c.root;
	return TK_OK;
}

tk_err
tk_yaml_load_file(const char *path, json_object **out, struct tk_diag *diag)
{
	char *buf;
	size_t len;
	tk_err e;
	int rc;

	*out = NULL;
	rc = tk_file_read(path, TK_YAML_MAX_BYTES, &buf, &len);
	if (rc == ENOMEM)
		return TK_ERR_NOMEM;
	if (rc == EFBIG)
		tk_diag_add(diag, "%s: larger than %d bytes", path,
		    TK_YAML_MAX_BYTES);
	else if (rc == EINVAL)
		tk_diag_add(diag, "%s: not a regular file", path);
	else if (rc != 0)
		tk_diag_add(diag, "%s: cannot open: %s", path, strerror(rc));
	if (rc != 0)
		return TK_ERR_DEFINITION;
	e = tk_yaml_parse(path, buf, len, out, diag);
	free(buf);
	return e;
}

int
tk_yaml_is_plain(json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	    json_object_get_userdata(v) == (void *)&plain_mark;
}

/* ------------------------------------------------------------------ */
/* Unknown keys                                                        */
/* ------------------------------------------------------------------ */

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

/* The known key nearest to key, or NULL when none is near. */
static const char *
nearest(const char *key, const char *const *known)
{
	const char *near = NULL;
	size_t i, d, best = 4;

	for (i = 0; known[i] != NULL; i++)
		if ((d = distance(key, known[i])) < best) {
			best = d;
			near = known[i];
		}
	/* "timeout" for "timeout_seconds", "retry_limit" for
	 * "default_retry_limit": a shortened key. */
	for (i = 0; near == NULL && known[i] != NULL; i++)
		if (strlen(key) >= 5 && strstr(known[i], key))
			near = known[i];
	return near;
}

size_t
tk_yaml_check_keys(json_object *obj, const char *const *known,
    tk_yaml_unknown_fn *fn, void *arg)
{
	struct json_object_iter it;
	size_t i, n = 0;

	if (!json_object_is_type(obj, json_type_object))
		return 0;
	json_object_object_foreachC(obj, it) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(it.key, known[i]) == 0)
				break;
		if (known[i] != NULL)
			continue;
		n++;
		fn(arg, it.key, tk_yaml_key_line(obj, it.key),
		    nearest(it.key, known));
	}
	return n;
}
