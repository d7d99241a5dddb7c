/*
 * internal.h - what the files of src/config share; not a public surface.
 *
 * config.c  the public functions: defaults, loading a file (read with
 *           util/file.c, parsed by registry/yamljson.c, the one YAML
 *           reader), the password file, freeing.
 * walk.c    one reader's state and its messages, the value readers and
 *           the walk of a mapping against a table of fields.
 * fields.c  the tables of known keys, one per section, and the checks
 *           and setters particular to some of them.
 * cross.c   checks between fields, run once the whole file was applied.
 *
 * Every problem goes to the diag list as "FILE:LINE: KEY: message" and
 * the walk goes on, so an operator sees them all at once.
 */
#ifndef TASKER_CONFIG_INTERNAL_H
#define TASKER_CONFIG_INTERNAL_H

#include <limits.h>
#include <stddef.h>

#include <json-c/json.h>

#include "tasker/config.h"

#define CFG_MAX_PATH   (PATH_MAX - 1) /* a path, resolved or not */
#define CFG_MAX_LIST   10000          /* entries of one list or map */
#define CFG_MAX_KEYS   64             /* auth.keys */
#define CFG_MAX_HOOKS  64             /* webhooks */
#define CFG_MAX_ERRORS 100            /* messages kept; the rest counted */
#define CFG_MAX_FIELDS 32             /* keys of one section's table */

/* One key seen in the file, for the messages of cross-field checks. */
struct cfg_seen {
	char          *path;
	unsigned long  line;
};

/* The state of reading one file. */
struct cfg_ctx {
	const char      *file;   /* as given, for messages */
	char            *dir;    /* absolute folder of the file; owned */
	struct tk_diag  *diag;
	size_t           nerr;   /* messages so far, the reader's included */
	tk_err           fatal;  /* TK_ERR_NOMEM once an allocation failed */
	struct cfg_seen *seen;   /* owned */
	size_t           nseen;
	size_t           capseen;
};

/* --- walk.c: messages and bookkeeping ------------------------------- */

void cfg_err(struct cfg_ctx *, unsigned long, const char *, const char *,
    ...) __attribute__((format(printf, 4, 5)));
void cfg_nomem(struct cfg_ctx *);
void cfg_record(struct cfg_ctx *, const char *, unsigned long);
unsigned long cfg_line_of(const struct cfg_ctx *, const char *);
void cfg_replace(struct cfg_ctx *, char **, const char *);
void cfg_free_strv(char **, size_t);
const char *cfg_kind(json_object *);

/* --- walk.c: values --------------------------------------------------- */

enum { CFG_NULLABLE = 1, CFG_EMPTY_OK = 2 };

const char *cfg_want_text(struct cfg_ctx *, const char *, size_t,
    const char *, unsigned long, size_t, int);
const char *cfg_want_str(struct cfg_ctx *, json_object *, const char *,
    unsigned long, size_t, int, int *);
int cfg_want_enum(struct cfg_ctx *, json_object *, const char *,
    unsigned long, const char *const *);
char **cfg_want_strlist(struct cfg_ctx *, json_object *, const char *,
    unsigned long, size_t, const char *(*)(const char *), size_t *);

/* --- walk.c: field tables --------------------------------------------- */

struct cfg_field;
typedef void cfg_setter(struct cfg_ctx *, const struct cfg_field *,
    json_object *, const char *, unsigned long, void *);

struct cfg_field {
	const char              *key;
	cfg_setter              *set;
	size_t                   off;   /* in the section's struct */
	size_t                   off2;  /* lists: the count */
	unsigned long long       min;   /* integers */
	unsigned long long       max;   /* integers; strings: bytes */
	const struct cfg_field  *sub;   /* sections */
	const char *const       *names; /* enums; NULL-terminated */
	const char            *(*check)(const char *); /* NULL or why not */
};

#define CFG_SLOT(base, f, type) \
	((type *)(void *)((char *)(base) + (f)->off))
#define CFG_COUNT(base, f) \
	((size_t *)(void *)((char *)(base) + (f)->off2))

cfg_setter cfg_set_str, cfg_set_optstr, cfg_set_path, cfg_set_optpath,
    cfg_set_uint, cfg_set_size, cfg_set_bool, cfg_set_enum,
    cfg_set_section, cfg_set_strlist;

/* Applies mapping v (null: leave the defaults) to base through fields. */
void cfg_walk(struct cfg_ctx *, json_object *, const char *, unsigned long,
    const struct cfg_field *, void *);

/* --- fields.c ----------------------------------------------------------- */

extern const struct cfg_field cfg_top_fields[];
void cfg_free_keys(struct tk_auth_key *, size_t);
void cfg_free_grants(struct tk_perm_grant *, size_t);
void cfg_free_webhooks(struct tk_webhook_sub *, size_t);

/* --- retention.c -------------------------------------------------------- */

extern const struct cfg_field cfg_retention_fields[];
void cfg_free_retention(struct tk_retention_config *);

/* --- cross.c ------------------------------------------------------------ */

void cfg_cross_check(struct cfg_ctx *, const struct tk_config *);

#endif
