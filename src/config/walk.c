/*
 * walk.c - one tasker.yaml reader's messages and bookkeeping, the value
 * readers and the walk of a mapping against a table of fields.
 *
 * The tree comes from registry/yamljson.c with TK_YAML_RAW: every plain
 * scalar is a string as written (tk_yaml_is_plain() says it was not
 * quoted), so the rules below are this file's own:
 *  - Integers and booleans must be plain: "30" (quoted) is a string.
 *    Integers are decimal digits only; a leading zero is refused (YAML
 *    1.1 reads 010 as octal).  Booleans are true/false, yes/no, on/off
 *    in any case.
 *  - A null value (`key:` or `key: ~`) unsets an optional string, empties
 *    a list and leaves a section at its defaults.  An empty string ("")
 *    is refused unless the field allows it (CFG_EMPTY_OK).
 *  - Relative paths are resolved against the absolute folder of the file.
 * Anything echoed back in a message is cut short and stripped of control
 * characters (tk_diag_quote).
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tasker/alloc.h"
#include "tasker/yamljson.h"

/* ------------------------------------------------------------------ */
/* Messages and bookkeeping                                            */

/*
 * Adds "FILE:LINE: KEY: message"; line 0 and key NULL are left out.
 * After CFG_MAX_ERRORS messages one more says so and the rest are dropped.
 */
void
cfg_err(struct cfg_ctx *c, unsigned long line, const char *key,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (++c->nerr > CFG_MAX_ERRORS) {
		if (c->nerr == CFG_MAX_ERRORS + 1)
			tk_diag_add(c->diag, "%s: more than %d problems; "
			    "the rest are not shown", c->file, CFG_MAX_ERRORS);
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

void
cfg_nomem(struct cfg_ctx *c)
{
	c->fatal = TK_ERR_NOMEM;
}

/* Remembers the line of a key for the messages of cross-field checks. */
void
cfg_record(struct cfg_ctx *c, const char *path, unsigned long line)
{
	if (tk_grow((void **)&c->seen, &c->capseen, c->nseen + 1,
	    sizeof(*c->seen), 64) != TK_OK) {
		cfg_nomem(c);
		return;
	}
	if ((c->seen[c->nseen].path = strdup(path)) == NULL) {
		cfg_nomem(c);
		return;
	}
	c->seen[c->nseen++].line = line;
}

/* The line of a key seen in the file, 0 when it was not there. */
unsigned long
cfg_line_of(const struct cfg_ctx *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i].path, path) == 0)
			return c->seen[i].line;
	return 0;
}

/* *slot = copy of s (s may be NULL), freeing the old value. */
void
cfg_replace(struct cfg_ctx *c, char **slot, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL) {
		cfg_nomem(c);
		return;
	}
	free(*slot);
	*slot = copy;
}

void
cfg_free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* What v is, in an operator's words (every scalar is a string here). */
const char *
cfg_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_object:
		return "mapping";
	case json_type_array:
		return "list";
	default:
		return "string";
	}
}

/* ------------------------------------------------------------------ */
/* Values                                                              */

/* s[0..len) as a setting's text, or NULL after reporting why not. */
const char *
cfg_want_text(struct cfg_ctx *c, const char *s, size_t len,
    const char *path, unsigned long line, size_t maxlen, int flags)
{
	size_t i;

	if (len == 0 && !(flags & CFG_EMPTY_OK)) {
		cfg_err(c, line, path, "must not be empty%s",
		    (flags & CFG_NULLABLE) ?
		    " (leave the key out, or write ~, to unset it)" : "");
		return NULL;
	}
	if (len > maxlen) {
		cfg_err(c, line, path, "is longer than %zu bytes", maxlen);
		return NULL;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f) {
			cfg_err(c, line, path,
			    "must not contain control characters");
			return NULL;
		}
	return s;
}

/*
 * The string in v, or NULL after reporting why it is not one.  With
 * CFG_NULLABLE a null value gives NULL and *unset = 1, no error.
 */
const char *
cfg_want_str(struct cfg_ctx *c, json_object *v, const char *path,
    unsigned long line, size_t maxlen, int flags, int *unset)
{
	*unset = 0;
	if (v == NULL) {
		if (flags & CFG_NULLABLE) {
			*unset = 1;
			return NULL;
		}
		cfg_err(c, line, path, "needs a value");
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		cfg_err(c, line, path, "must be a string, not a %s",
		    cfg_kind(v));
		return NULL;
	}
	return cfg_want_text(c, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), path, line, maxlen, flags);
}

/* The unsigned integer in v within [min, max]; -1 after reporting. */
static int
want_uint(struct cfg_ctx *c, json_object *v, const char *path,
    unsigned long line, const struct cfg_field *f, unsigned long long *out)
{
	char q[TK_DIAG_QUOTE_SIZE];
	const char *s;
	unsigned long long n = 0;
	size_t i, len;
	int ok;

	if (!tk_yaml_is_plain(v)) {
		cfg_err(c, line, path, "must be an integer between %llu and "
		    "%llu, not a %s", f->min, f->max, v == NULL ? "null" :
		    json_object_is_type(v, json_type_string) ?
		    "quoted string" : cfg_kind(v));
		return -1;
	}
	s = json_object_get_string(v);
	len = strlen(s);
	ok = len > 0 && len <= 20;
	for (i = 0; ok && i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			ok = 0;
	if (ok && len > 1 && s[0] == '0') {
		cfg_err(c, line, path, "must be an integer between %llu and "
		    "%llu without leading zeros (got %s)", f->min, f->max,
		    tk_diag_quote(q, s));
		return -1;
	}
	if (ok) {
		errno = 0;
		n = strtoull(s, NULL, 10);
		ok = errno == 0 && n >= f->min && n <= f->max;
	}
	if (!ok) {
		cfg_err(c, line, path, "must be an integer between %llu and "
		    "%llu (got %s)", f->min, f->max, tk_diag_quote(q, s));
		return -1;
	}
	*out = n;
	return 0;
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
int
cfg_want_enum(struct cfg_ctx *c, json_object *v, const char *path,
    unsigned long line, const char *const *names)
{
	char q[TK_DIAG_QUOTE_SIZE], list[256];
	const char *s;
	int i, unset;

	if ((s = cfg_want_str(c, v, path, line, 64, 0, &unset)) == NULL)
		return -1;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	cfg_err(c, line, path, "must be one of %s (got %s)",
	    join_names(list, sizeof(list), names), tk_diag_quote(q, s));
	return -1;
}

/*
 * The strings of list v, each checked; NULL for an empty (or null) list.
 * Bad entries are reported and left out.
 */
char **
cfg_want_strlist(struct cfg_ctx *c, json_object *v, const char *path,
    unsigned long line, size_t maxlen, const char *(*check)(const char *),
    size_t *np)
{
	char **out = NULL, ipath[320];
	const char *s, *why;
	size_t i, n = 0, len;
	unsigned long iline;
	int unset;

	*np = 0;
	if (v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_array)) {
		cfg_err(c, line, path, "must be a list, not a %s", cfg_kind(v));
		return NULL;
	}
	if ((len = json_object_array_length(v)) > CFG_MAX_LIST) {
		cfg_err(c, line, path, "has more than %d entries",
		    CFG_MAX_LIST);
		return NULL;
	}
	if (len > 0 && (out = calloc(len, sizeof(*out))) == NULL) {
		cfg_nomem(c);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		iline = tk_yaml_item_line(v, i);
		s = cfg_want_str(c, json_object_array_get_idx(v, i), ipath,
		    iline, maxlen, 0, &unset);
		if (s == NULL)
			continue;
		if (check != NULL && (why = check(s)) != NULL) {
			cfg_err(c, iline, ipath, "%s", why);
			continue;
		}
		if ((out[n] = strdup(s)) == NULL) {
			cfg_nomem(c);
			break;
		}
		n++;
	}
	*np = n;
	return out;
}

/* ------------------------------------------------------------------ */
/* Setters: one per kind of field                                      */

void
cfg_set_str(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	const char *s, *why;
	int unset;

	if ((s = cfg_want_str(c, v, path, line, f->max, 0, &unset)) == NULL)
		return;
	if (f->check != NULL && (why = f->check(s)) != NULL) {
		cfg_err(c, line, path, "%s", why);
		return;
	}
	cfg_replace(c, CFG_SLOT(base, f, char *), s);
}

void
cfg_set_optstr(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	const char *s, *why;
	int unset;

	s = cfg_want_str(c, v, path, line, f->max, CFG_NULLABLE, &unset);
	if (s == NULL && !unset)
		return;
	if (s != NULL && f->check != NULL && (why = f->check(s)) != NULL) {
		cfg_err(c, line, path, "%s", why);
		return;
	}
	cfg_replace(c, CFG_SLOT(base, f, char *), s);
}

/* dir + "/" + s unless s is absolute; NULL after reporting. */
static char *
resolve_path(struct cfg_ctx *c, const char *s, const char *path,
    unsigned long line)
{
	char *out;
	size_t dlen, slen;

	if (s[0] == '/') {
		if ((out = strdup(s)) == NULL)
			cfg_nomem(c);
		return out;
	}
	dlen = strlen(c->dir);
	slen = strlen(s);
	if (dlen + 1 + slen > CFG_MAX_PATH) {
		cfg_err(c, line, path, "is too long once taken relative to %s",
		    c->dir);
		return NULL;
	}
	if ((out = malloc(dlen + 1 + slen + 1)) == NULL) {
		cfg_nomem(c);
		return NULL;
	}
	memcpy(out, c->dir, dlen);
	out[dlen] = '/';
	memcpy(out + dlen + 1, s, slen + 1);
	return out;
}

static void
set_path_flags(struct cfg_ctx *c, const struct cfg_field *f,
    json_object *v, const char *path, unsigned long line, void *base,
    int flags)
{
	char **slot = CFG_SLOT(base, f, char *);
	const char *s;
	char *abs;
	int unset;

	s = cfg_want_str(c, v, path, line, CFG_MAX_PATH, flags, &unset);
	if (unset) {
		free(*slot);
		*slot = NULL;
	}
	if (s == NULL || (abs = resolve_path(c, s, path, line)) == NULL)
		return;
	free(*slot);
	*slot = abs;
}

void
cfg_set_path(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	set_path_flags(c, f, v, path, line, base, 0);
}

void
cfg_set_optpath(struct cfg_ctx *c, const struct cfg_field *f,
    json_object *v, const char *path, unsigned long line, void *base)
{
	set_path_flags(c, f, v, path, line, base, CFG_NULLABLE);
}

void
cfg_set_uint(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	unsigned long long n;

	if (want_uint(c, v, path, line, f, &n) == 0)
		*CFG_SLOT(base, f, unsigned) = (unsigned)n;
}

void
cfg_set_size(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	unsigned long long n;

	if (want_uint(c, v, path, line, f, &n) == 0)
		*CFG_SLOT(base, f, size_t) = (size_t)n;
}

void
cfg_set_bool(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	char q[TK_DIAG_QUOTE_SIZE];
	const char *s = json_object_get_string(v);
	size_t i;

	for (i = 0; tk_yaml_is_plain(v) && i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*CFG_SLOT(base, f, int) = 1;
			return;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*CFG_SLOT(base, f, int) = 0;
			return;
		}
	}
	if (v == NULL)
		cfg_err(c, line, path, "must be true or false, not null");
	else if (!json_object_is_type(v, json_type_string))
		cfg_err(c, line, path, "must be true or false, not a %s",
		    cfg_kind(v));
	else if (!tk_yaml_is_plain(v))
		cfg_err(c, line, path, "must be true or false, not a quoted "
		    "string");
	else
		cfg_err(c, line, path, "must be true or false (got %s)",
		    tk_diag_quote(q, s));
}

void
cfg_set_enum(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	int i;

	if ((i = cfg_want_enum(c, v, path, line, f->names)) >= 0)
		*CFG_SLOT(base, f, int) = i;
}

void
cfg_set_section(struct cfg_ctx *c, const struct cfg_field *f,
    json_object *v, const char *path, unsigned long line, void *base)
{
	cfg_walk(c, v, path, line, f->sub, (char *)base + f->off);
}

void
cfg_set_strlist(struct cfg_ctx *c, const struct cfg_field *f,
    json_object *v, const char *path, unsigned long line, void *base)
{
	char ***slot = CFG_SLOT(base, f, char **);
	size_t *count = CFG_COUNT(base, f);
	char **list;
	size_t n;

	list = cfg_want_strlist(c, v, path, line, f->max, f->check, &n);
	cfg_free_strv(*slot, *count);
	*slot = list;
	*count = n;
}

/* ------------------------------------------------------------------ */
/* The walk                                                            */

/* path + "." + key, the key made printable. */
static void
child_path(char *out, size_t outsz, const char *parent, const char *key)
{
	char q[TK_DIAG_QUOTE_SIZE];

	tk_diag_quote(q, key);
	if (*parent)
		snprintf(out, outsz, "%s.%s", parent, q);
	else
		snprintf(out, outsz, "%s", q);
}

struct unknown_say {
	struct cfg_ctx *c;
	const char     *path;
	const char     *known;
};

static void
say_unknown(void *arg, const char *key, unsigned line, const char *near)
{
	struct unknown_say *u = arg;
	char kpath[320];

	(void)near;
	child_path(kpath, sizeof(kpath), u->path, key);
	cfg_err(u->c, line, kpath, "unknown key (known: %s)", u->known);
}

/* Reports the keys of v that fields does not name. */
static void
check_unknown(struct cfg_ctx *c, json_object *v, const char *path,
    const struct cfg_field *fields)
{
	const char *names[CFG_MAX_FIELDS + 1];
	char known[512];
	struct unknown_say u = { c, path, known };
	size_t n;

	for (n = 0; n < CFG_MAX_FIELDS && fields[n].key != NULL; n++)
		names[n] = fields[n].key;
	names[n] = NULL;
	join_names(known, sizeof(known), names);
	tk_yaml_check_keys(v, names, say_unknown, &u);
}

void
cfg_walk(struct cfg_ctx *c, json_object *v, const char *path,
    unsigned long line, const struct cfg_field *fields, void *base)
{
	const struct cfg_field *f;
	struct json_object_iter it;
	char kpath[320];
	unsigned long kline;

	if (v == NULL)
		return;
	if (!json_object_is_type(v, json_type_object)) {
		cfg_err(c, line, path, "must be a mapping, not a %s",
		    cfg_kind(v));
		return;
	}
	check_unknown(c, v, path, fields);
	json_object_object_foreachC(v, it) {
		if (c->fatal)
			break;
		for (f = fields; f->key != NULL; f++)
			if (strcmp(f->key, it.key) == 0)
				break;
		if (f->key == NULL)
			continue;
		child_path(kpath, sizeof(kpath), path, it.key);
		kline = tk_yaml_key_line(v, it.key);
		cfg_record(c, kpath, kline);
		f->set(c, f, it.val, kpath, kline, base);
	}
}
