/*
 * config.c - tasker.yaml: defaults, loading with libyaml, validation.
 *
 * The file is read whole (at most MAX_FILE_BYTES), parsed as a libyaml
 * event stream into a small tree that remembers the line of every node,
 * then walked against one table of known keys per section.  Every problem
 * is added to the diag list and the walk goes on, so an operator sees all
 * of them at once.  The file is hostile input: aliases are refused (no
 * "billion laughs"), nesting, node count and every string are bounded, and
 * anything echoed back in a message is cut short and stripped of control
 * characters.
 *
 * Decisions (the operator's view is in etc/tasker.yaml):
 *  - database.password is refused: secrets stay out of config files.  The
 *    password is $TASKER_DB_PASSWORD when set and non-empty, else the first
 *    line of database.password_file (read here), else none.
 *  - JWT key files are only named here; the auth module reads them.
 *  - Integers and booleans must be plain scalars: "30" (quoted) is a string.
 *    Integers are decimal digits only; a leading zero is refused (YAML 1.1
 *    reads 010 as octal).
 *  - A null value (`key:` or `key: ~`) unsets an optional string, empties a
 *    list and leaves a section at its defaults.  An empty string ("") is
 *    refused everywhere except api.mount_prefix, where it mounts the API at
 *    the root.
 *  - Relative paths are resolved against the absolute folder of the file.
 */
#include "tasker/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "tasker/alloc.h"
#include "tasker/file.h"
#include "tasker/handler.h"
#include "tasker/http.h"
#include "tasker/log.h"

#ifndef TK_SYSCONFDIR
#define TK_SYSCONFDIR "/usr/local/etc"
#endif
#ifndef TK_PKGDATADIR
#define TK_PKGDATADIR "/usr/local/share/tasker"
#endif
#ifndef TK_LOCALSTATEDIR
#define TK_LOCALSTATEDIR "/usr/local/var"
#endif

#define MAX_FILE_BYTES  (1024 * 1024)  /* the whole config file */
#define MAX_DEPTH       32             /* nested mappings and sequences */
#define MAX_NODES       100000         /* scalars, mappings, sequences */
#define MAX_LIST        10000          /* entries of one list or map */
#define MAX_KEYS        64             /* auth.keys */
#define MAX_PATH        (PATH_MAX - 1) /* a path, resolved or not */
#define MAX_PASSWORD    1024           /* first line of password_file */
#define MAX_PASSWORD_FILE 65536        /* the whole password_file */
#define MAX_ERRORS      100            /* messages kept; the rest counted */
#define MIB             (1024ULL * 1024)

#define TK_STR_(x)      #x
#define TK_STR(x)       TK_STR_(x)

/* ------------------------------------------------------------------ */
/* The tree: what the walk needs from libyaml's events.               */

enum nkind { N_SCALAR, N_MAP, N_SEQ, N_BAD };

struct node {
	enum nkind      kind;  /* N_BAD: refused already (alias) */
	unsigned long   line;  /* 1-based */
	char           *text;  /* scalar: NUL-terminated copy */
	size_t          len;   /* scalar: bytes, may hold a NUL */
	int             plain; /* scalar: unquoted, untagged */
	struct node   **kid;   /* map: key, value, key, value ...; seq: items */
	size_t          nkid;
	size_t          cap;
	unsigned long   dup;   /* map key: line of the earlier key it repeats */
};

/* One key seen in the file, for messages of cross-field checks. */
struct seen {
	char          *path;
	unsigned long  line;
};

struct ctx {
	const char     *file;   /* as given, for messages */
	char           *dir;    /* absolute folder of the file; owned */
	struct tk_diag *diag;
	size_t          nerr;
	tk_err          fatal;  /* TK_ERR_NOMEM once an allocation failed */
	struct seen    *seen;   /* owned */
	size_t          nseen;
	size_t          capseen;
	size_t          nnodes;
};

static void cerr(struct ctx *, unsigned long, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Adds "FILE:LINE: KEY: message"; line 0 and key NULL are left out.
 * After MAX_ERRORS messages one more says so and the rest are dropped.
 */
static void
cerr(struct ctx *c, unsigned long line, const char *key, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (++c->nerr > MAX_ERRORS) {
		if (c->nerr == MAX_ERRORS + 1)
			tk_diag_add(c->diag, "%s: more than %d problems; "
			    "the rest are not shown", c->file, MAX_ERRORS);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0 && key != NULL)
		tk_diag_add(c->diag, "%s:%lu: %s: %s", c->file, line, key, msg);
	else if (line > 0)
		tk_diag_add(c->diag, "%s:%lu: %s", c->file, line, msg);
	else if (key != NULL)
		tk_diag_add(c->diag, "%s: %s: %s", c->file, key, msg);
	else
		tk_diag_add(c->diag, "%s: %s", c->file, msg);
}

/*
 * A value from the file made safe to print: control bytes become '?' and
 * anything past about 60 bytes is cut.  Never used on secrets.
 */
static const char *
shown(char *out, size_t outsz, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 4 < outsz; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	free(n->text);
	free(n);
}

static struct node *
node_new(struct ctx *c, enum nkind kind, const yaml_mark_t *mark)
{
	struct node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->kind = kind;
	n->line = (unsigned long)mark->line + 1;
	c->nnodes++;
	return n;
}

static tk_err
node_add(struct node *parent, struct node *n)
{
	if (tk_grow((void **)&parent->kid, &parent->cap, parent->nkid + 1,
	    sizeof(*parent->kid), 8) != TK_OK)
		return TK_ERR_NOMEM;
	parent->kid[parent->nkid++] = n;
	return TK_OK;
}

static const char *
kind_name(const struct node *n)
{
	switch (n->kind) {
	case N_MAP:
		return "mapping";
	case N_SEQ:
		return "list";
	default:
		return "string";
	}
}

static int
is_null(const struct node *n)
{
	if (n->kind != N_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || strcmp(n->text, "~") == 0 ||
	    strcmp(n->text, "null") == 0 || strcmp(n->text, "Null") == 0 ||
	    strcmp(n->text, "NULL") == 0;
}

/* Tags other than the plain string and collection ones are refused. */
static void
check_tag(struct ctx *c, const yaml_char_t *tag, const char *ok,
    const yaml_mark_t *mark)
{
	char buf[80];
	const char *t = (const char *)tag;

	if (t == NULL || strcmp(t, ok) == 0 || strcmp(t, "!") == 0)
		return;
	if (strncmp(t, "tag:yaml.org,2002:", 18) == 0)
		cerr(c, (unsigned long)mark->line + 1, NULL,
		    "unsupported YAML tag !!%s",
		    shown(buf, sizeof(buf), t + 18, strlen(t + 18)));
	else
		cerr(c, (unsigned long)mark->line + 1, NULL,
		    "unsupported YAML tag %s",
		    shown(buf, sizeof(buf), t, strlen(t)));
}

static void
syntax_error(struct ctx *c, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	unsigned long line = (unsigned long)p->problem_mark.line + 1;
	size_t i;

	if (p->error == YAML_READER_ERROR) {
		/* The reader gives a byte offset, not a mark. */
		line = 1;
		for (i = 0; i < p->problem_offset && i < len; i++)
			if (buf[i] == '\n')
				line++;
	}
	if (p->context != NULL)
		cerr(c, line, NULL, "YAML syntax error: %s %s",
		    p->problem ? p->problem : "", p->context);
	else
		cerr(c, line, NULL, "YAML syntax error: %s",
		    p->problem ? p->problem : "invalid input");
}

/*
 * Turns one event into a node, attached to the open collection on top of
 * stack (or made the root).  Returns TK_ERR_CONFIG to stop the parse after
 * reporting why.
 */
static tk_err
take_event(struct ctx *c, const yaml_event_t *ev, struct node **stack,
    size_t *depth, struct node **root)
{
	struct node *n = NULL;
	const char *anchor;
	char buf[80];

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if ((n = node_new(c, N_SCALAR, &ev->start_mark)) == NULL)
			return TK_ERR_NOMEM;
		n->len = ev->data.scalar.length;
		if ((n->text = malloc(n->len + 1)) == NULL) {
			free(n);
			return TK_ERR_NOMEM;
		}
		memcpy(n->text, ev->data.scalar.value, n->len);
		n->text[n->len] = '\0';
		n->plain = ev->data.scalar.tag == NULL &&
		    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		check_tag(c, ev->data.scalar.tag, YAML_STR_TAG,
		    &ev->start_mark);
		break;
	case YAML_ALIAS_EVENT:
		anchor = (const char *)ev->data.alias.anchor;
		cerr(c, (unsigned long)ev->start_mark.line + 1, NULL,
		    "YAML aliases are not allowed (*%s)",
		    shown(buf, sizeof(buf), anchor, strlen(anchor)));
		if ((n = node_new(c, N_BAD, &ev->start_mark)) == NULL)
			return TK_ERR_NOMEM;
		break;
	case YAML_MAPPING_START_EVENT:
		if ((n = node_new(c, N_MAP, &ev->start_mark)) == NULL)
			return TK_ERR_NOMEM;
		check_tag(c, ev->data.mapping_start.tag, YAML_MAP_TAG,
		    &ev->start_mark);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if ((n = node_new(c, N_SEQ, &ev->start_mark)) == NULL)
			return TK_ERR_NOMEM;
		check_tag(c, ev->data.sequence_start.tag, YAML_SEQ_TAG,
		    &ev->start_mark);
		break;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (*depth > 0)
			(*depth)--;
		return TK_OK;
	default:
		return TK_OK;
	}

	if (*depth == 0) {
		node_free(*root);
		*root = n;
	} else if (node_add(stack[*depth - 1], n) != TK_OK) {
		node_free(n);
		return TK_ERR_NOMEM;
	}
	if (c->nnodes > MAX_NODES) {
		cerr(c, n->line, NULL, "too many entries (more than %d)",
		    MAX_NODES);
		return TK_ERR_CONFIG;
	}
	if (n->kind == N_MAP || n->kind == N_SEQ) {
		if (*depth == MAX_DEPTH) {
			cerr(c, n->line, NULL,
			    "nested deeper than %d levels", MAX_DEPTH);
			return TK_ERR_CONFIG;
		}
		stack[(*depth)++] = n;
	}
	return TK_OK;
}

/*
 * Parses buf into *rootp (NULL for an empty stream).  Syntax errors, a
 * second document, too deep or too big stop the parse: TK_ERR_CONFIG.
 * Aliases and odd tags are reported and the parse goes on.
 */
static tk_err
parse_tree(struct ctx *c, const char *buf, size_t len, struct node **rootp)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct node *stack[MAX_DEPTH];
	struct node *root = NULL;
	size_t depth = 0;
	int ndocs = 0, done = 0;
	tk_err rc = TK_OK;

	*rootp = NULL;
	if (!yaml_parser_initialize(&p))
		return TK_ERR_NOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && rc == TK_OK) {
		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR)
				rc = TK_ERR_NOMEM;
			else {
				syntax_error(c, &p, buf, len);
				rc = TK_ERR_CONFIG;
			}
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		else if (ev.type == YAML_DOCUMENT_START_EVENT && ++ndocs > 1) {
			cerr(c, (unsigned long)ev.start_mark.line + 1, NULL,
			    "only one YAML document is allowed");
			rc = TK_ERR_CONFIG;
		} else
			rc = take_event(c, &ev, stack, &depth, &root);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc != TK_OK) {
		node_free(root);
		return rc;
	}
	*rootp = root;
	return TK_OK;
}

/* ------------------------------------------------------------------ */
/* Helpers of the walk.                                               */

static void
nomem(struct ctx *c)
{
	c->fatal = TK_ERR_NOMEM;
}

/* Remembers the line of a key for the messages of cross-field checks. */
static void
record(struct ctx *c, const char *path, unsigned long line)
{
	if (tk_grow((void **)&c->seen, &c->capseen, c->nseen + 1,
	    sizeof(*c->seen), 64) != TK_OK) {
		nomem(c);
		return;
	}
	if ((c->seen[c->nseen].path = strdup(path)) == NULL) {
		nomem(c);
		return;
	}
	c->seen[c->nseen++].line = line;
}

/* The line of a key seen in the file, 0 when it was not there. */
static unsigned long
line_of(const struct ctx *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i].path, path) == 0)
			return c->seen[i].line;
	return 0;
}

/* *slot = copy of s (s may be NULL), freeing the old value. */
static void
replace(struct ctx *c, char **slot, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL) {
		nomem(c);
		return;
	}
	free(*slot);
	*slot = copy;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* path + "." + key, the key made printable. */
static void
child_path(char *out, size_t outsz, const char *parent, const struct node *k)
{
	char buf[80];

	shown(buf, sizeof(buf), k->text, k->len);
	if (*parent)
		snprintf(out, outsz, "%s.%s", parent, buf);
	else
		snprintf(out, outsz, "%s", buf);
}

struct keyidx {
	const struct node *key;
	size_t             idx;
};

static int
keyidx_cmp(const void *a, const void *b)
{
	const struct keyidx *x = a, *y = b;
	size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
	int r;

	if ((r = memcmp(x->key->text, y->key->text, n)) != 0)
		return r;
	if (x->key->len != y->key->len)
		return x->key->len < y->key->len ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/*
 * Marks every key of map that repeats an earlier one with the line of the
 * first; the walk reports and skips them.  Sorting keeps this O(n log n)
 * for large user maps.
 */
static void
mark_dups(struct ctx *c, struct node *map)
{
	struct keyidx *v;
	size_t i, n = 0, first;

	if (map->nkid < 4)
		return;
	if ((v = calloc(map->nkid / 2, sizeof(*v))) == NULL) {
		nomem(c);
		return;
	}
	for (i = 0; i + 1 < map->nkid; i += 2)
		if (map->kid[i]->kind == N_SCALAR) {
			v[n].key = map->kid[i];
			v[n++].idx = i;
		}
	qsort(v, n, sizeof(*v), keyidx_cmp);
	for (first = 0, i = 1; i < n; i++) {
		if (v[i].key->len != v[first].key->len ||
		    memcmp(v[i].key->text, v[first].key->text,
		    v[i].key->len) != 0) {
			first = i;
			continue;
		}
		map->kid[v[i].idx]->dup = v[first].key->line;
	}
	free(v);
}

enum { W_NULLABLE = 1, W_EMPTY_OK = 2 };

/*
 * The string in v, or NULL after reporting why it is not one.  With
 * W_NULLABLE a null value gives NULL and *unset = 1, no error.
 */
static const char *
want_str(struct ctx *c, const struct node *v, const char *path,
    unsigned long line, size_t maxlen, int flags, int *unset)
{
	size_t i;

	*unset = 0;
	if (v->kind == N_BAD)
		return NULL;
	if (v->kind != N_SCALAR) {
		cerr(c, line, path, "must be a string, not a %s", kind_name(v));
		return NULL;
	}
	if (is_null(v)) {
		if (flags & W_NULLABLE) {
			*unset = 1;
			return NULL;
		}
		cerr(c, line, path, "needs a value");
		return NULL;
	}
	if (v->len == 0 && !(flags & W_EMPTY_OK)) {
		cerr(c, line, path, "must not be empty%s",
		    (flags & W_NULLABLE) ?
		    " (leave the key out, or write ~, to unset it)" : "");
		return NULL;
	}
	if (v->len > maxlen) {
		cerr(c, line, path, "is longer than %zu bytes", maxlen);
		return NULL;
	}
	for (i = 0; i < v->len; i++)
		if ((unsigned char)v->text[i] < 0x20 ||
		    (unsigned char)v->text[i] == 0x7f) {
			cerr(c, line, path,
			    "must not contain control characters");
			return NULL;
		}
	return v->text;
}

/*
 * The unsigned integer in v within [min, max]; -1 after reporting.
 */
static int
want_uint(struct ctx *c, const struct node *v, const char *path,
    unsigned long line, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	char buf[80];
	unsigned long long n = 0;
	size_t i;
	int ok;

	if (v->kind == N_BAD)
		return -1;
	if (v->kind != N_SCALAR) {
		cerr(c, line, path, "must be an integer between %llu and %llu, "
		    "not a %s", min, max, kind_name(v));
		return -1;
	}
	if (!v->plain) {
		cerr(c, line, path, "must be an integer between %llu and %llu, "
		    "not a quoted string", min, max);
		return -1;
	}
	ok = v->len > 0 && v->len <= 20;
	for (i = 0; ok && i < v->len; i++)
		if (v->text[i] < '0' || v->text[i] > '9')
			ok = 0;
	if (ok && v->len > 1 && v->text[0] == '0') {
		cerr(c, line, path, "must be an integer between %llu and %llu "
		    "without leading zeros (got %s)", min, max,
		    shown(buf, sizeof(buf), v->text, v->len));
		return -1;
	}
	if (ok) {
		errno = 0;
		n = strtoull(v->text, NULL, 10);
		ok = errno == 0 && n >= min && n <= max;
	}
	if (!ok) {
		cerr(c, line, path, "must be an integer between %llu and %llu "
		    "(got %s)", min, max,
		    shown(buf, sizeof(buf), v->text, v->len));
		return -1;
	}
	*out = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Field tables: one per section, walked by walk_map().               */

struct field;
typedef void (*setter)(struct ctx *, const struct field *, struct node *,
    const char *, unsigned long, void *);

struct field {
	const char         *key;
	setter              set;
	size_t              off;    /* in the section's struct */
	size_t              off2;   /* lists: the count */
	unsigned long long  min;    /* integers */
	unsigned long long  max;    /* integers; strings: bytes */
	const struct field *sub;    /* sections */
	const char *const  *names;  /* enums; NULL-terminated */
	const char       *(*check)(const char *); /* NULL or why not */
};

static void walk_map(struct ctx *, struct node *, const char *,
    const struct field *, void *);

#define SLOT(base, f, type) ((type *)(void *)((char *)(base) + (f)->off))

static void
set_str(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	const char *s, *why;
	int unset;

	if ((s = want_str(c, v, path, line, f->max, 0, &unset)) == NULL)
		return;
	if (f->check != NULL && (why = f->check(s)) != NULL) {
		cerr(c, line, path, "%s", why);
		return;
	}
	replace(c, SLOT(base, f, char *), s);
}

static void
set_optstr(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	const char *s, *why;
	int unset;

	s = want_str(c, v, path, line, f->max, W_NULLABLE, &unset);
	if (s == NULL && !unset)
		return;
	if (s != NULL && f->check != NULL && (why = f->check(s)) != NULL) {
		cerr(c, line, path, "%s", why);
		return;
	}
	replace(c, SLOT(base, f, char *), s);
}

/* dir + "/" + s unless s is absolute; NULL after reporting. */
static char *
resolve(struct ctx *c, const char *s, const char *path, unsigned long line)
{
	char *out;
	size_t dlen, slen;

	if (s[0] == '/') {
		if ((out = strdup(s)) == NULL)
			nomem(c);
		return out;
	}
	dlen = strlen(c->dir);
	slen = strlen(s);
	if (dlen + 1 + slen > MAX_PATH) {
		cerr(c, line, path, "is too long once taken relative to %s",
		    c->dir);
		return NULL;
	}
	if ((out = malloc(dlen + 1 + slen + 1)) == NULL) {
		nomem(c);
		return NULL;
	}
	memcpy(out, c->dir, dlen);
	out[dlen] = '/';
	memcpy(out + dlen + 1, s, slen + 1);
	return out;
}

static void
set_path_flags(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base, int flags)
{
	char **slot = SLOT(base, f, char *);
	const char *s;
	char *abs;
	int unset;

	s = want_str(c, v, path, line, MAX_PATH, flags, &unset);
	if (unset) {
		free(*slot);
		*slot = NULL;
	}
	if (s == NULL || (abs = resolve(c, s, path, line)) == NULL)
		return;
	free(*slot);
	*slot = abs;
}

static void
set_path(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	set_path_flags(c, f, v, path, line, base, 0);
}

static void
set_optpath(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	set_path_flags(c, f, v, path, line, base, W_NULLABLE);
}

static void
set_uint(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	unsigned long long n;

	if (want_uint(c, v, path, line, f->min, f->max, &n) == 0)
		*SLOT(base, f, unsigned) = (unsigned)n;
}

static void
set_size(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	unsigned long long n;

	if (want_uint(c, v, path, line, f->min, f->max, &n) == 0)
		*SLOT(base, f, size_t) = (size_t)n;
}

static void
set_bool(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	char buf[80];
	size_t i;

	if (v->kind == N_BAD)
		return;
	if (v->kind == N_SCALAR && v->plain)
		for (i = 0; i < 3; i++) {
			if (strcasecmp(v->text, yes[i]) == 0) {
				*SLOT(base, f, int) = 1;
				return;
			}
			if (strcasecmp(v->text, no[i]) == 0) {
				*SLOT(base, f, int) = 0;
				return;
			}
		}
	if (v->kind != N_SCALAR)
		cerr(c, line, path, "must be true or false, not a %s",
		    kind_name(v));
	else if (!v->plain)
		cerr(c, line, path, "must be true or false, not a quoted "
		    "string");
	else
		cerr(c, line, path, "must be true or false (got %s)",
		    shown(buf, sizeof(buf), v->text, v->len));
}

/* "a, b, c" of a NULL-terminated list of names. */
static const char *
join_names(char *out, size_t outsz, const char *const *names)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; names[i] != NULL; i++) {
		if (i > 0)
			strncat(out, ", ", outsz - strlen(out) - 1);
		strncat(out, names[i], outsz - strlen(out) - 1);
	}
	return out;
}

/* Index of the enum value in v, or -1 after reporting. */
static int
want_enum(struct ctx *c, const struct node *v, const char *path,
    unsigned long line, const char *const *names)
{
	char buf[80], list[256];
	const char *s;
	int i, unset;

	if ((s = want_str(c, v, path, line, 64, 0, &unset)) == NULL)
		return -1;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	cerr(c, line, path, "must be one of %s (got %s)",
	    join_names(list, sizeof(list), names),
	    shown(buf, sizeof(buf), v->text, v->len));
	return -1;
}

static void
set_enum(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	int i;

	if ((i = want_enum(c, v, path, line, f->names)) >= 0)
		*SLOT(base, f, int) = i;
}

static const char *const mode_names[] = { "jwt", "remote_user", "none", NULL };
static const char *const level_names[] = { "debug", "info", "warn", "error",
    NULL };
static const char *const format_names[] = { "logfmt", "json", NULL };
static const char *const dest_names[] = { "stderr", "syslog", NULL };
static const char *const alg_names[] = { "HS256", "HS384", "HS512", "RS256",
    "RS384", "RS512", "ES256", "ES384", NULL };

static void
set_mode(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	static const enum tk_auth_mode modes[] = { TK_AUTH_JWT,
	    TK_AUTH_REMOTE_USER, TK_AUTH_NONE };
	int i;

	if ((i = want_enum(c, v, path, line, mode_names)) >= 0)
		*SLOT(base, f, enum tk_auth_mode) = modes[i];
}

static void
set_level(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	int i;

	/* The names are log.h's; tk_log_level_parse() maps them. */
	if (want_enum(c, v, path, line, level_names) >= 0 &&
	    (i = tk_log_level_parse(v->text)) >= 0)
		*SLOT(base, f, int) = i;
}

static void
set_forbidden(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	(void)f;
	(void)v;
	(void)base;
	/* Never echo the value: it is a secret. */
	cerr(c, line, path, "not allowed: keep secrets out of the config "
	    "file; use database.password_file or $TASKER_DB_PASSWORD");
}

static void
set_section(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	(void)line;
	walk_map(c, v, path, f->sub, (char *)base + f->off);
}

/*
 * The strings of list v, each checked; NULL for an empty (or null) list.
 * Bad entries are reported and left out.
 */
static char **
want_strlist(struct ctx *c, const struct node *v, const char *path,
    unsigned long line, size_t maxlen, const char *(*check)(const char *),
    size_t *np)
{
	char **out = NULL;
	char ipath[320];
	const char *s, *why;
	size_t i, n = 0;
	int unset;

	*np = 0;
	if (v->kind == N_BAD || is_null(v))
		return NULL;
	if (v->kind != N_SEQ) {
		cerr(c, line, path, "must be a list, not a %s", kind_name(v));
		return NULL;
	}
	if (v->nkid > MAX_LIST) {
		cerr(c, line, path, "has more than %d entries", MAX_LIST);
		return NULL;
	}
	if (v->nkid > 0 && (out = calloc(v->nkid, sizeof(*out))) == NULL) {
		nomem(c);
		return NULL;
	}
	for (i = 0; i < v->nkid; i++) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		s = want_str(c, v->kid[i], ipath, v->kid[i]->line, maxlen, 0,
		    &unset);
		if (s == NULL)
			continue;
		if (check != NULL && (why = check(s)) != NULL) {
			cerr(c, v->kid[i]->line, ipath, "%s", why);
			continue;
		}
		if ((out[n] = strdup(s)) == NULL) {
			nomem(c);
			break;
		}
		n++;
	}
	*np = n;
	return out;
}

static void
set_strlist(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	char ***slot = SLOT(base, f, char **);
	size_t *count = (size_t *)(void *)((char *)base + f->off2);
	char **list;
	size_t n;

	list = want_strlist(c, v, path, line, f->max, f->check, &n);
	free_strv(*slot, *count);
	*slot = list;
	*count = n;
}

static void
free_grants(struct tk_perm_grant *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(g[i].name);
		free_strv(g[i].perms, g[i].nperms);
		free_strv(g[i].namespaces, g[i].nnamespaces);
	}
	free(g);
}

static const char *check_perm(const char *);
static const struct field grant_fields[];

/* A grant's namespaces: present (even empty or null) limits the grant. */
static void
set_grant_ns(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_perm_grant *g = base;

	set_strlist(c, f, v, path, line, base);
	g->ns_limited = 1;
}

/* auth.remote_user.users and .groups: name -> list of permissions. */
static void
set_grants(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_perm_grant **slot = SLOT(base, f, struct tk_perm_grant *);
	size_t *count = (size_t *)(void *)((char *)base + f->off2);
	struct tk_perm_grant *g = NULL;
	const struct node *k;
	char kpath[320];
	const char *name;
	size_t i, n = 0;
	int unset;

	if (v->kind == N_BAD)
		return;
	if (!is_null(v) && v->kind != N_MAP) {
		cerr(c, line, path, "must be a mapping of names to lists of "
		    "permissions, not a %s", kind_name(v));
		return;
	}
	if (v->nkid / 2 > MAX_LIST) {
		cerr(c, line, path, "has more than %d entries", MAX_LIST);
		return;
	}
	if (v->nkid > 0 && (g = calloc(v->nkid / 2, sizeof(*g))) == NULL) {
		nomem(c);
		return;
	}
	if (v->kind == N_MAP)
		mark_dups(c, v);
	for (i = 0; i + 1 < v->nkid && !c->fatal; i += 2) {
		k = v->kid[i];
		if (k->kind != N_SCALAR) {
			cerr(c, k->line, path, "names must be strings");
			continue;
		}
		child_path(kpath, sizeof(kpath), path, k);
		if (k->dup) {
			cerr(c, k->line, kpath, "duplicate key (first at line "
			    "%lu)", k->dup);
			continue;
		}
		if ((name = want_str(c, k, kpath, k->line, 256, 0,
		    &unset)) == NULL)
			continue;
		if ((g[n].name = strdup(name)) == NULL) {
			nomem(c);
			break;
		}
		/* A list is the permissions; a mapping may add a scope. */
		if (v->kid[i + 1]->kind == N_MAP)
			walk_map(c, v->kid[i + 1], kpath, grant_fields, &g[n]);
		else
			g[n].perms = want_strlist(c, v->kid[i + 1], kpath,
			    k->line, 128, check_perm, &g[n].nperms);
		n++;
	}
	free_grants(*slot, *count);
	*slot = g;
	*count = n;
}

static const struct field key_fields[];

static void
free_keys(struct tk_auth_key *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(k[i].kid);
		free(k[i].algorithm);
		free(k[i].key_file);
		free(k[i].signing_key_file);
	}
	free(k);
}

/*
 * auth.keys: a list of mappings.  An item that is not one is reported and
 * left zeroed; check_keys() skips it (its path was never recorded).
 */
static void
set_keys(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_auth_key **slot = SLOT(base, f, struct tk_auth_key *);
	size_t *count = (size_t *)(void *)((char *)base + f->off2);
	struct tk_auth_key *keys = NULL;
	struct node *item;
	char ipath[320];
	size_t i;

	if (v->kind == N_BAD)
		return;
	if (!is_null(v) && v->kind != N_SEQ) {
		cerr(c, line, path, "must be a list of keys, not a %s",
		    kind_name(v));
		return;
	}
	if (v->nkid > MAX_KEYS) {
		cerr(c, line, path, "has more than %d keys", MAX_KEYS);
		return;
	}
	if (v->nkid > 0 && (keys = calloc(v->nkid, sizeof(*keys))) == NULL) {
		nomem(c);
		return;
	}
	for (i = 0; i < v->nkid; i++) {
		item = v->kid[i];
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (item->kind == N_BAD)
			continue;
		if (item->kind != N_MAP) {
			cerr(c, item->line, ipath, "must be a mapping with "
			    "kid, algorithm, key_file and signing_key_file");
			continue;
		}
		record(c, ipath, item->line);
		walk_map(c, item, ipath, key_fields, &keys[i]);
	}
	free_keys(*slot, *count);
	*slot = keys;
	*count = v->nkid;
}

/* --- checks of single values: NULL when fine, else why not --------- */

static const char *
check_env(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return "may hold only letters, digits, '_' and '-'";
	return NULL;
}

static const char *
check_param(const char *s)
{
	/* HTTP_* parameters carry request headers: the client would choose
	 * its own groups. */
	if (strncasecmp(s, "HTTP_", 5) == 0)
		return "must not be an HTTP_* parameter (the client sets those)";
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return "must be a FastCGI parameter name: letters, "
			    "digits and '_'";
	return NULL;
}

static const char *
check_perm(const char *s)
{
	if (strchr(s, ' ') != NULL)
		return "a permission must not contain spaces";
	return NULL;
}

static const char *
check_ns(const char *s)
{
	if (!tk_name_valid(s))
		return "must be a namespace name: lowercase letters, digits "
		    "and '_', 1 to " TK_STR(TK_NAME_MAX) " characters";
	return NULL;
}

static const char *
check_claim(const char *s)
{
	static const char *const registered[] = { "iss", "sub", "aud", "exp",
	    "nbf", "iat", "jti" };
	size_t i;

	for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++)
		if (strcmp(s, registered[i]) == 0)
			return "must not be a registered JWT claim";
	return NULL;
}

static const char *
check_alg(const char *s)
{
	size_t i;

	for (i = 0; alg_names[i] != NULL; i++)
		if (strcmp(s, alg_names[i]) == 0)
			return NULL;
	return "must be one of HS256, HS384, HS512, RS256, RS384, RS512, "
	    "ES256, ES384";
}

/* "" (the root) or "/a/b": no trailing '/', no "//", "." or "..". */
static const char *
check_prefix(const char *s)
{
	const char *p, *seg;

	if (*s == '\0')
		return NULL;
	if (strcmp(s, "/") == 0)
		return "must not be \"/\": write \"\" to mount at the root";
	if (*s != '/')
		return "must start with '/' (or be \"\" for the root)";
	if (s[strlen(s) - 1] == '/')
		return "must not end with '/'";
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p) != NULL))
			return "may hold only letters, digits and / - . _ ~";
	for (seg = s; seg != NULL; seg = strchr(seg + 1, '/')) {
		if (seg[1] == '/')
			return "must not contain \"//\"";
		if (strncmp(seg, "/./", 3) == 0 || strcmp(seg, "/.") == 0 ||
		    strncmp(seg, "/../", 4) == 0 || strcmp(seg, "/..") == 0)
			return "must not contain \".\" or \"..\" segments";
	}
	/* The http layer's own rule (segment count): never accept more. */
	if (!tk_prefix_valid(s))
		return "has more than " TK_STR(TK_PREFIX_MAX_SEGS) " segments "
		    "or " TK_STR(TK_PREFIX_MAX) " bytes";
	return NULL;
}

static void
set_prefix(struct ctx *c, const struct field *f, struct node *v,
    const char *path, unsigned long line, void *base)
{
	const char *s, *why;
	int unset;

	if ((s = want_str(c, v, path, line, f->max, W_EMPTY_OK,
	    &unset)) == NULL)
		return;
	if ((why = check_prefix(s)) != NULL) {
		cerr(c, line, path, "%s", why);
		return;
	}
	replace(c, SLOT(base, f, char *), s);
}

/* --- the tables ---------------------------------------------------- */

#define F_STR(k, t, m, mx, chk) \
	{ k, set_str, offsetof(t, m), 0, 0, mx, NULL, NULL, chk }
#define F_OPTSTR(k, t, m, mx) \
	{ k, set_optstr, offsetof(t, m), 0, 0, mx, NULL, NULL, NULL }
#define F_PATH(k, t, m) \
	{ k, set_path, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }
#define F_OPTPATH(k, t, m) \
	{ k, set_optpath, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }
#define F_UINT(k, t, m, lo, hi) \
	{ k, set_uint, offsetof(t, m), 0, lo, hi, NULL, NULL, NULL }
#define F_SIZE(k, t, m, lo, hi) \
	{ k, set_size, offsetof(t, m), 0, lo, hi, NULL, NULL, NULL }
#define F_BOOL(k, t, m) \
	{ k, set_bool, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }
#define F_ENUM(k, t, m, names) \
	{ k, set_enum, offsetof(t, m), 0, 0, 0, NULL, names, NULL }
#define F_CALL(k, fn, t, m) \
	{ k, fn, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }
#define F_LIST(k, fn, t, m, cnt, mx, chk) \
	{ k, fn, offsetof(t, m), offsetof(t, cnt), 0, mx, NULL, NULL, chk }
#define F_SECTION(k, t, m, sub) \
	{ k, set_section, offsetof(t, m), 0, 0, 0, sub, NULL, NULL }
#define F_END { NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL }

static const struct field db_fields[] = {
	F_STR("host", struct tk_db_config, host, 255, NULL),
	F_UINT("port", struct tk_db_config, port, 1, 65535),
	F_OPTPATH("socket", struct tk_db_config, socket),
	F_STR("user", struct tk_db_config, user, 80, NULL),
	F_CALL("password", set_forbidden, struct tk_db_config, password),
	F_OPTPATH("password_file", struct tk_db_config, password_file),
	F_STR("name", struct tk_db_config, name, 64, NULL),
	F_UINT("connect_timeout", struct tk_db_config, connect_timeout, 1, 60),
	F_UINT("read_timeout", struct tk_db_config, read_timeout, 1, 3600),
	F_UINT("write_timeout", struct tk_db_config, write_timeout, 1, 3600),
	F_END
};

static const struct field key_fields[] = {
	F_OPTSTR("kid", struct tk_auth_key, kid, 128),
	F_STR("algorithm", struct tk_auth_key, algorithm, 16, check_alg),
	F_OPTPATH("key_file", struct tk_auth_key, key_file),
	F_OPTPATH("signing_key_file", struct tk_auth_key, signing_key_file),
	F_END
};

/* One user or group given as a mapping instead of a permission list. */
static const struct field grant_fields[] = {
	F_LIST("permissions", set_strlist, struct tk_perm_grant, perms, nperms,
	    128, check_perm),
	F_LIST("namespaces", set_grant_ns, struct tk_perm_grant, namespaces,
	    nnamespaces, TK_NAME_MAX, check_ns),
	F_BOOL("own_tasks", struct tk_perm_grant, own_tasks),
	F_END
};

/* remote_user is a YAML sub-section; its fields live in tk_auth_config. */
static const struct field remote_fields[] = {
	F_STR("groups_variable", struct tk_auth_config, groups_variable, 64,
	    check_param),
	F_LIST("users", set_grants, struct tk_auth_config, users, nusers, 0,
	    NULL),
	F_LIST("groups", set_grants, struct tk_auth_config, groups, ngroups, 0,
	    NULL),
	F_END
};

static const struct field auth_fields[] = {
	F_CALL("mode", set_mode, struct tk_auth_config, mode),
	F_LIST("algorithms", set_strlist, struct tk_auth_config, algorithms,
	    nalgorithms, 16, check_alg),
	F_LIST("keys", set_keys, struct tk_auth_config, keys, nkeys, 0, NULL),
	F_OPTSTR("issuer", struct tk_auth_config, issuer, 1024),
	F_OPTSTR("audience", struct tk_auth_config, audience, 1024),
	F_UINT("leeway_seconds", struct tk_auth_config, leeway_seconds, 0,
	    600),
	F_STR("permissions_claim", struct tk_auth_config, permissions_claim,
	    128, NULL),
	F_STR("namespaces_claim", struct tk_auth_config, namespaces_claim,
	    128, check_claim),
	F_STR("own_tasks_claim", struct tk_auth_config, own_tasks_claim,
	    128, check_claim),
	F_SIZE("max_token_bytes", struct tk_auth_config, max_token_bytes, 256,
	    65536),
	F_UINT("token_lifetime_seconds", struct tk_auth_config,
	    token_lifetime_seconds, 60, 2592000),
	F_BOOL("open_health", struct tk_auth_config, open_health),
	F_BOOL("open_docs", struct tk_auth_config, open_docs),
	{ "remote_user", set_section, 0, 0, 0, 0, remote_fields, NULL, NULL },
	F_END
};

static const struct field api_fields[] = {
	{ "mount_prefix", set_prefix, offsetof(struct tk_api_config,
	    mount_prefix), 0, 0, TK_PREFIX_MAX, NULL, NULL, NULL },
	F_UINT("default_per_page", struct tk_api_config, default_per_page, 1,
	    1000),
	F_UINT("max_per_page", struct tk_api_config, max_per_page, 1, 1000),
	F_SIZE("max_body_bytes", struct tk_api_config, max_body_bytes, 1024,
	    64 * MIB),
	F_UINT("idempotency_ttl_seconds", struct tk_api_config,
	    idempotency_ttl_seconds, 60, 2592000),
	F_UINT("registry_refresh_ms", struct tk_api_config,
	    registry_refresh_ms, 0, 60000),
	F_END
};

static const struct field worker_fields[] = {
	F_UINT("processes", struct tk_worker_config, processes, 1, 256),
	F_UINT("poll_min_ms", struct tk_worker_config, poll_min_ms, 1, 60000),
	F_UINT("poll_max_ms", struct tk_worker_config, poll_max_ms, 1, 60000),
	F_UINT("lease_seconds", struct tk_worker_config, lease_seconds, 5,
	    3600),
	F_UINT("backoff_base_seconds", struct tk_worker_config,
	    backoff_base_seconds, 1, 3600),
	F_UINT("backoff_cap_seconds", struct tk_worker_config,
	    backoff_cap_seconds, 1, 86400),
	F_UINT("step_timeout_seconds", struct tk_worker_config,
	    step_timeout_seconds, 1, 86400),
	F_SIZE("max_output_bytes", struct tk_worker_config, max_output_bytes,
	    1024, 64 * MIB),
	F_UINT("shutdown_grace_seconds", struct tk_worker_config,
	    shutdown_grace_seconds, 0, 3600),
	F_UINT("kill_grace_seconds", struct tk_worker_config,
	    kill_grace_seconds, 0, 60),
	F_UINT("heartbeat_seconds", struct tk_worker_config, heartbeat_seconds,
	    1, 3600),
	F_OPTSTR("user", struct tk_worker_config, user, 64),
	F_OPTPATH("work_dir", struct tk_worker_config, work_dir),
	F_END
};

static const struct field log_fields[] = {
	F_CALL("level", set_level, struct tk_log_config, level),
	F_ENUM("format", struct tk_log_config, format, format_names),
	F_ENUM("destination", struct tk_log_config, destination, dest_names),
	F_END
};

static const struct field top_fields[] = {
	F_STR("environment", struct tk_config, environment, 64, check_env),
	F_PATH("handlers_dir", struct tk_config, handlers_dir),
	F_PATH("migrations_dir", struct tk_config, migrations_dir),
	F_PATH("run_dir", struct tk_config, run_dir),
	F_SECTION("database", struct tk_config, db, db_fields),
	F_SECTION("auth", struct tk_config, auth, auth_fields),
	F_SECTION("api", struct tk_config, api, api_fields),
	F_SECTION("worker", struct tk_config, worker, worker_fields),
	F_SECTION("logging", struct tk_config, log, log_fields),
	F_END
};

/*
 * Applies the mapping v to the struct at base through fields.  A null v
 * leaves everything at its defaults.
 */
static void
walk_map(struct ctx *c, struct node *v, const char *path,
    const struct field *fields, void *base)
{
	const struct field *f;
	const struct node *k;
	char kpath[320], known[512];
	size_t i;

	if (v->kind == N_BAD || is_null(v))
		return;
	if (v->kind != N_MAP) {
		cerr(c, v->line, path, "must be a mapping, not a %s",
		    kind_name(v));
		return;
	}
	mark_dups(c, v);
	for (i = 0; i + 1 < v->nkid && !c->fatal; i += 2) {
		k = v->kid[i];
		if (k->kind == N_BAD)
			continue;
		if (k->kind != N_SCALAR) {
			cerr(c, k->line, *path ? path : NULL,
			    "keys must be strings, not a %s", kind_name(k));
			continue;
		}
		child_path(kpath, sizeof(kpath), path, k);
		if (k->dup) {
			cerr(c, k->line, kpath, "duplicate key (first at line "
			    "%lu)", k->dup);
			continue;
		}
		for (f = fields; f->key != NULL; f++)
			if (strlen(f->key) == k->len &&
			    strcmp(f->key, k->text) == 0)
				break;
		if (f->key == NULL) {
			known[0] = '\0';
			for (f = fields; f->key != NULL; f++) {
				if (f != fields)
					strncat(known, ", ",
					    sizeof(known) - strlen(known) - 1);
				strncat(known, f->key,
				    sizeof(known) - strlen(known) - 1);
			}
			cerr(c, k->line, kpath, "unknown key (known: %s)",
			    known);
			continue;
		}
		record(c, kpath, k->line);
		f->set(c, f, v->kid[i + 1], kpath, k->line, base);
	}
}

/* ------------------------------------------------------------------ */
/* Cross-field checks, run after the whole file was applied.          */

/*
 * Reports at the first of the keys that the file set (a cross-field
 * problem with only defaults involved cannot happen, but then no line).
 */
static void cross(struct ctx *, const char *, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
cross(struct ctx *c, const char *key, const char *other, const char *fmt, ...)
{
	char msg[512];
	unsigned long line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((line = line_of(c, key)) == 0 && other != NULL &&
	    (line = line_of(c, other)) != 0)
		key = other;
	cerr(c, line, key, "%s", msg);
}

static int
in_list(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void
check_keys(struct ctx *c, const struct tk_auth_config *a)
{
	unsigned long line[MAX_KEYS];
	char p[64], q[96];
	size_t i, j;

	/* 0: the item was not a mapping and was reported already. */
	for (i = 0; i < a->nkeys && i < MAX_KEYS; i++) {
		snprintf(p, sizeof(p), "auth.keys[%zu]", i);
		line[i] = line_of(c, p);
	}
	for (i = 0; i < a->nkeys && i < MAX_KEYS; i++) {
		const struct tk_auth_key *k = &a->keys[i];

		if (line[i] == 0)
			continue;
		snprintf(p, sizeof(p), "auth.keys[%zu]", i);
		if (k->algorithm == NULL)
			cerr(c, line[i], p, "needs an algorithm");
		else if (!in_list(a->algorithms, a->nalgorithms,
		    k->algorithm)) {
			snprintf(q, sizeof(q), "%s.algorithm", p);
			cross(c, q, p, "%s is not in auth.algorithms",
			    k->algorithm);
		}
		if (k->key_file == NULL)
			cerr(c, line[i], p, "needs a key_file (%s)",
			    k->algorithm != NULL && k->algorithm[0] == 'H' ?
			    "the shared secret" : "the public key, PEM");
		for (j = 0; j < i; j++) {
			const struct tk_auth_key *o = &a->keys[j];

			if (line[j] == 0)
				continue;
			if (k->kid == NULL && o->kid == NULL) {
				cerr(c, line[i], p, "only one key may "
				    "have no kid; auth.keys[%zu] has none "
				    "too", j);
				break;
			}
			if (k->kid != NULL && o->kid != NULL &&
			    strcmp(k->kid, o->kid) == 0) {
				snprintf(q, sizeof(q), "%s.kid", p);
				cross(c, q, p, "kid is already used by "
				    "auth.keys[%zu]", j);
				break;
			}
		}
	}
}

static void
cross_check(struct ctx *c, const struct tk_config *cfg)
{
	const struct tk_api_config *api = &cfg->api;
	const struct tk_worker_config *w = &cfg->worker;
	const struct tk_auth_config *a = &cfg->auth;

	if (api->default_per_page > api->max_per_page)
		cross(c, "api.default_per_page", "api.max_per_page",
		    "%u is more than api.max_per_page (%u)",
		    api->default_per_page, api->max_per_page);
	if (w->poll_min_ms > w->poll_max_ms)
		cross(c, "worker.poll_min_ms", "worker.poll_max_ms",
		    "%u is more than worker.poll_max_ms (%u)", w->poll_min_ms,
		    w->poll_max_ms);
	if (w->backoff_base_seconds > w->backoff_cap_seconds)
		cross(c, "worker.backoff_base_seconds",
		    "worker.backoff_cap_seconds",
		    "%u is more than worker.backoff_cap_seconds (%u)",
		    w->backoff_base_seconds, w->backoff_cap_seconds);
	if (w->heartbeat_seconds >= w->lease_seconds)
		cross(c, "worker.heartbeat_seconds", "worker.lease_seconds",
		    "%u must be less than worker.lease_seconds (%u), or "
		    "leases expire between heartbeats", w->heartbeat_seconds,
		    w->lease_seconds);
	else if ((unsigned long long)w->lease_seconds * 1000 <
	    (unsigned long long)w->heartbeat_seconds * 1000 +
	    TK_LEASE_RENEW_MS + TK_LEASE_MARGIN_MS)
		cross(c, "worker.lease_seconds", "worker.heartbeat_seconds",
		    "%u is too short: a lease must last worker."
		    "heartbeat_seconds (%u) plus %u ms for a renewal plus the "
		    "%u ms before expiry at which a handler is killed",
		    w->lease_seconds, w->heartbeat_seconds, TK_LEASE_RENEW_MS,
		    TK_LEASE_MARGIN_MS);

	check_keys(c, a);
	if (a->mode == TK_AUTH_JWT) {
		if (a->nalgorithms == 0)
			cross(c, "auth.algorithms", "auth.mode",
			    "jwt mode needs at least one algorithm");
		if (a->nkeys == 0)
			cross(c, "auth.keys", "auth.mode",
			    "jwt mode needs at least one key");
	}
	if (a->mode == TK_AUTH_REMOTE_USER && a->nusers == 0 &&
	    a->ngroups == 0)
		cross(c, "auth.remote_user", "auth.mode", "remote_user mode "
		    "needs at least one entry in auth.remote_user.users or "
		    "auth.remote_user.groups");
}

/* ------------------------------------------------------------------ */
/* Files: the config file itself and the password file.               */

static void
load_password(struct ctx *c, struct tk_db_config *db)
{
	const char *env, *key = "database.password_file";
	char *buf = NULL, *nl;
	unsigned long line;
	size_t len = 0, total;
	int e;

	/* Set but empty counts as unset: falls back to password_file. */
	env = getenv("TASKER_DB_PASSWORD");
	if (env != NULL && *env != '\0') {
		replace(c, &db->password, env);
		return;
	}
	if (db->password_file == NULL)
		return;
	line = line_of(c, key);
	/* Never print the file's contents, only its name. */
	if ((e = tk_file_read(db->password_file, MAX_PASSWORD_FILE, &buf,
	    &len)) != 0) {
		if (e == ENOMEM)
			nomem(c);
		else
			cerr(c, line, key, "cannot read %s: %s",
			    db->password_file, tk_file_strerror(e));
		return;
	}
	total = len;
	if ((nl = memchr(buf, '\n', len)) != NULL)
		len = (size_t)(nl - buf);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > MAX_PASSWORD)
		cerr(c, line, key, "%s: the first line is longer than %d "
		    "bytes", db->password_file, MAX_PASSWORD);
	else if (memchr(buf, '\0', len) != NULL)
		cerr(c, line, key, "%s: the password must not contain a NUL "
		    "byte", db->password_file);
	else if (len == 0)
		cerr(c, line, key, "%s: the first line is empty",
		    db->password_file);
	else {
		buf[len] = '\0';
		replace(c, &db->password, buf);
	}
	/* The whole file and its terminating NUL. */
	explicit_bzero(buf, total + 1);
	free(buf);
}

/* The absolute folder of path, for relative paths inside it. */
static char *
config_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *cwd, *out;
	size_t n;

	if (path[0] == '/')
		return slash == path ? strdup("/") :
		    strndup(path, (size_t)(slash - path));
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return slash == NULL ? strdup(".") :
		    strndup(path, (size_t)(slash - path));
	if (slash == NULL)
		return cwd;
	n = strlen(cwd) + 1 + (size_t)(slash - path) + 1;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "%s/%.*s", cwd, (int)(slash - path), path);
	free(cwd);
	return out;
}

/* ------------------------------------------------------------------ */
/* Public functions.                                                  */

tk_err
tk_config_defaults(struct tk_config *cfg)
{
	int ok = 1;

	memset(cfg, 0, sizeof(*cfg));
#define DUP(slot, s) do { if (((slot) = strdup(s)) == NULL) ok = 0; } while (0)
	DUP(cfg->environment, "production");
	DUP(cfg->handlers_dir, TK_PKGDATADIR "/handlers");
	DUP(cfg->migrations_dir, TK_PKGDATADIR "/migrations");
	DUP(cfg->run_dir, TK_LOCALSTATEDIR "/run/tasker");

	DUP(cfg->db.host, "localhost");
	cfg->db.port = 3306;
	DUP(cfg->db.user, "tasker");
	DUP(cfg->db.name, "tasker");
	cfg->db.connect_timeout = 3;
	cfg->db.read_timeout = 10;
	cfg->db.write_timeout = 10;

	cfg->auth.mode = TK_AUTH_JWT;
	if ((cfg->auth.algorithms = calloc(1, sizeof(char *))) == NULL)
		ok = 0;
	else {
		DUP(cfg->auth.algorithms[0], "HS256");
		cfg->auth.nalgorithms = 1;
	}
	cfg->auth.leeway_seconds = 30;
	DUP(cfg->auth.permissions_claim, "permissions");
	DUP(cfg->auth.namespaces_claim, "namespaces");
	DUP(cfg->auth.own_tasks_claim, "own_tasks");
	cfg->auth.max_token_bytes = 8192;
	cfg->auth.token_lifetime_seconds = 3600;
	cfg->auth.open_health = 1;
	cfg->auth.open_docs = 1;
	DUP(cfg->auth.groups_variable, "REMOTE_GROUPS");

	DUP(cfg->api.mount_prefix, "/tasker");
	cfg->api.default_per_page = 25;
	cfg->api.max_per_page = 100;
	cfg->api.max_body_bytes = 1048576;
	cfg->api.idempotency_ttl_seconds = 86400;
	cfg->api.registry_refresh_ms = 1000;

	cfg->worker.processes = 2;
	cfg->worker.poll_min_ms = 20;
	cfg->worker.poll_max_ms = 1000;
	cfg->worker.lease_seconds = 30;
	cfg->worker.backoff_base_seconds = 1;
	cfg->worker.backoff_cap_seconds = 300;
	cfg->worker.step_timeout_seconds = 300;
	cfg->worker.max_output_bytes = 1048576;
	cfg->worker.shutdown_grace_seconds = 30;
	cfg->worker.kill_grace_seconds = 5;
	cfg->worker.heartbeat_seconds = 5;

	cfg->log.level = TK_LOG_INFO;
	cfg->log.format = TK_LOG_LOGFMT;
	cfg->log.destination = TK_LOG_STDERR;
#undef DUP
	if (!ok) {
		tk_config_free(cfg);
		return TK_ERR_NOMEM;
	}
	return TK_OK;
}

/*
 * cfg need not be initialised: it is filled with the defaults first (so
 * do not pass a cfg that holds a config: it would leak).  On any error
 * cfg is still valid to free.
 */
tk_err
tk_config_load(const char *path, struct tk_config *cfg, struct tk_diag *diag)
{
	struct ctx c;
	struct node *root = NULL;
	char *buf = NULL;
	size_t i, len = 0;
	tk_err rc;
	int e;

	if ((rc = tk_config_defaults(cfg)) != TK_OK)
		return rc;
	memset(&c, 0, sizeof(c));
	c.file = path != NULL ? path : "(none)";
	c.diag = diag;
	if (path == NULL || *path == '\0') {
		cerr(&c, 0, NULL, "no configuration file given");
		return TK_ERR_CONFIG;
	}
	if ((cfg->path = strdup(path)) == NULL)
		return TK_ERR_NOMEM;
	if ((e = tk_file_read(path, MAX_FILE_BYTES, &buf, &len)) != 0) {
		if (e == ENOMEM)
			return TK_ERR_NOMEM;
		if (e == EFBIG)
			cerr(&c, 0, NULL, "larger than %d bytes",
			    MAX_FILE_BYTES);
		else
			cerr(&c, 0, NULL, "cannot read: %s",
			    tk_file_strerror(e));
		return TK_ERR_CONFIG;
	}
	if ((c.dir = config_dir(path)) == NULL) {
		rc = TK_ERR_NOMEM;
		goto out;
	}
	if ((rc = parse_tree(&c, buf, len, &root)) != TK_OK)
		goto out;
	if (root == NULL || is_null(root))
		cerr(&c, 0, NULL, "is empty: expected a mapping of settings");
	else if (root->kind != N_MAP && root->kind != N_BAD)
		cerr(&c, root->line, NULL, "the top level must be a mapping "
		    "of settings, not a %s", kind_name(root));
	else {
		walk_map(&c, root, "", top_fields, cfg);
		if (!c.fatal) {
			cross_check(&c, cfg);
			load_password(&c, &cfg->db);
		}
	}
	rc = c.fatal ? c.fatal : c.nerr > 0 ? TK_ERR_CONFIG : TK_OK;
out:
	node_free(root);
	free(buf);
	free(c.dir);
	for (i = 0; i < c.nseen; i++)
		free(c.seen[i].path);
	free(c.seen);
	return rc;
}

void
tk_config_free(struct tk_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->environment);
	free(cfg->handlers_dir);
	free(cfg->migrations_dir);
	free(cfg->run_dir);

	free(cfg->db.host);
	free(cfg->db.socket);
	free(cfg->db.user);
	if (cfg->db.password != NULL) {
		explicit_bzero(cfg->db.password, strlen(cfg->db.password));
		free(cfg->db.password);
	}
	free(cfg->db.password_file);
	free(cfg->db.name);

	free_strv(cfg->auth.algorithms, cfg->auth.nalgorithms);
	free_keys(cfg->auth.keys, cfg->auth.nkeys);
	free(cfg->auth.issuer);
	free(cfg->auth.audience);
	free(cfg->auth.permissions_claim);
	free(cfg->auth.namespaces_claim);
	free(cfg->auth.own_tasks_claim);
	free_grants(cfg->auth.users, cfg->auth.nusers);
	free_grants(cfg->auth.groups, cfg->auth.ngroups);
	free(cfg->auth.groups_variable);

	free(cfg->api.mount_prefix);
	free(cfg->worker.user);
	free(cfg->worker.work_dir);
	memset(cfg, 0, sizeof(*cfg));
}

const char *
tk_config_find(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL && *explicit_path != '\0')
		return explicit_path;
	if ((env = getenv("TASKER_CONFIG")) != NULL && *env != '\0')
		return env;
	return TK_SYSCONFDIR "/tasker.yaml";
}
