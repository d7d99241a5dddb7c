/*
 * defset.c - load a set of handler files and folders.
 *
 * Files are gathered first (a folder contributes every *.yaml / *.yml
 * below it, hidden entries skipped, sorted by path), then each is parsed
 * on its own: a namespaces file, or one handler.  Problems in one file do
 * not stop the others, so one run lists everything wrong.  Checks across
 * files come last: a namespace/name/version defined twice, a namespace
 * described two ways.  The set is handed out only when all is well.
 */
#include "tasker/handler.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tasker/alloc.h"
#include "tasker/yamljson.h"

#define MAX_FILES    10000   /* per load */
#define MAX_DEPTH    16      /* folder nesting (also stops symlink loops) */
#define NS_DESC_MAX  4096

struct nsdecl {
	char       *name;
	char       *desc;
	const char *file;   /* into the loader's file list */
	unsigned    line;
};

struct loader {
	struct tk_diag          *diag;
	const char              *env;
	char                   **files;
	size_t                   nfiles, fcap;
	struct nsdecl           *ns;
	size_t                   nns, nscap;
	struct tk_handler_def  **h;
	unsigned                *hline;  /* line of version (or name) key */
	size_t                   nh, hcap;
	int                      failed;
	int                      nomem;
};

static void lerr(struct loader *, const char *, unsigned, const char *,
    const char *, ...) __attribute__((format(printf, 5, 6)));

static void
lerr(struct loader *L, const char *file, unsigned line, const char *path,
    const char *fmt, ...)
{
	char msg[512], where[32] = "";
	va_list ap;

	L->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%u", line);
	if (path != NULL)
		tk_diag_add(L->diag, "%s%s: %s: %s", file, where, path, msg);
	else
		tk_diag_add(L->diag, "%s%s: %s", file, where, msg);
}

/* ------------------------------------------------------------------ */
/* Gathering files                                                     */
/* ------------------------------------------------------------------ */

static void
add_file(struct loader *L, const char *path)
{
	char *p;

	if (L->nfiles == MAX_FILES) {
		lerr(L, path, 0, NULL, "more than %d handler files",
		    MAX_FILES);
		return;
	}
	if (tk_grow((void **)&L->files, &L->fcap, L->nfiles + 1,
	    sizeof(char *), 16) != TK_OK || (p = strdup(path)) == NULL) {
		L->nomem = 1;
		return;
	}
	L->files[L->nfiles++] = p;
}

static int
yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static void
walk(struct loader *L, const char *dir, int depth)
{
	struct dirent *de;
	struct stat st;
	char path[4096];
	DIR *d;
	int n;

	if (depth > MAX_DEPTH) {
		lerr(L, dir, 0, NULL, "folders nested deeper than %d levels",
		    MAX_DEPTH);
		return;
	}
	if ((d = opendir(dir)) == NULL) {
		lerr(L, dir, 0, NULL, "cannot open folder: %s",
		    strerror(errno));
		return;
	}
	while (!L->nomem && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;       /* hidden, editor droppings, . and .. */
		n = snprintf(path, sizeof(path), "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			lerr(L, dir, 0, NULL, "path too long");
			continue;
		}
		if (stat(path, &st) == -1) {
			lerr(L, path, 0, NULL, "cannot read: %s",
			    strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode))
			walk(L, path, depth + 1);
		else if (S_ISREG(st.st_mode) && yaml_name(de->d_name))
			add_file(L, path);
	}
	closedir(d);
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
gather(struct loader *L, const char *path)
{
	struct stat st;
	size_t first = L->nfiles;
	int was;

	if (path == NULL || path[0] == '\0') {
		lerr(L, "(empty path)", 0, NULL, "no file or folder given");
		return;
	}
	if (stat(path, &st) == -1) {
		lerr(L, path, 0, NULL, "cannot open: %s", strerror(errno));
		return;
	}
	if (S_ISREG(st.st_mode)) {
		add_file(L, path);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		lerr(L, path, 0, NULL, "not a regular file or a folder");
		return;
	}
	was = L->failed;
	L->failed = 0;
	walk(L, path, 0);
	if (L->nfiles == first && !L->failed)
		lerr(L, path, 0, NULL, "no *.yaml or *.yml file in this folder");
	L->failed |= was;
	if (L->nfiles > first)
		qsort(L->files + first, L->nfiles - first, sizeof(char *),
		    path_cmp);
}

/* ------------------------------------------------------------------ */
/* Namespaces files                                                    */
/* ------------------------------------------------------------------ */

static struct nsdecl *
find_ns(struct loader *L, const char *name)
{
	size_t i;

	for (i = 0; i < L->nns; i++)
		if (strcmp(L->ns[i].name, name) == 0)
			return &L->ns[i];
	return NULL;
}

static void
add_ns(struct loader *L, const char *name, const char *desc,
    const char *file, unsigned line)
{
	struct nsdecl *n;

	if (tk_grow((void **)&L->ns, &L->nscap, L->nns + 1, sizeof(*L->ns),
	    16) != TK_OK) {
		L->nomem = 1;
		return;
	}
	n = &L->ns[L->nns];
	n->name = strdup(name);
	n->desc = strdup(desc);
	n->file = file;
	n->line = line;
	if (n->name == NULL || n->desc == NULL) {
		free(n->name);
		free(n->desc);
		L->nomem = 1;
		return;
	}
	L->nns++;
}

/* One entry of `namespaces:`. */
static void
ns_entry(struct loader *L, const char *file, json_object *arr, size_t i)
{
	json_object *o = json_object_array_get_idx(arr, i), *name, *desc;
	struct json_object_iter it;
	const char *d = "";
	char path[64], q[80], q2[80];
	struct nsdecl *prev;
	unsigned line = tk_yaml_item_line(arr, i);

	snprintf(path, sizeof(path), "namespaces[%zu]", i);
	if (!json_object_is_type(o, json_type_object)) {
		lerr(L, file, line, path, "must be a mapping with name and "
		    "description");
		return;
	}
	json_object_object_foreachC(o, it)
		if (strcmp(it.key, "name") != 0 &&
		    strcmp(it.key, "description") != 0) {
			char p2[160];
			snprintf(p2, sizeof(p2), "%s.%s", path, tk_diag_quote(q, it.key));
			lerr(L, file, tk_yaml_key_line(o, it.key), p2,
			    "unknown key (allowed: name, description)");
		}
	snprintf(path, sizeof(path), "namespaces[%zu].description", i);
	if (json_object_object_get_ex(o, "description", &desc) &&
	    desc != NULL) {
		if (!json_object_is_type(desc, json_type_string))
			lerr(L, file, tk_yaml_key_line(o, "description"), path,
			    "must be text");
		else if ((size_t)json_object_get_string_len(desc) > NS_DESC_MAX)
			lerr(L, file, tk_yaml_key_line(o, "description"), path,
			    "longer than %d bytes", NS_DESC_MAX);
		else
			d = json_object_get_string(desc);
	}
	snprintf(path, sizeof(path), "namespaces[%zu].name", i);
	if (!json_object_object_get_ex(o, "name", &name)) {
		lerr(L, file, line, path, "required");
		return;
	}
	line = tk_yaml_key_line(o, "name");
	if (!json_object_is_type(name, json_type_string) ||
	    !tk_name_valid(json_object_get_string(name))) {
		lerr(L, file, line, path, "must be a valid name (lowercase "
		    "letters, digits and '_', 1 to %d characters)",
		    TK_NAME_MAX);
		return;
	}
	prev = find_ns(L, json_object_get_string(name));
	if (prev != NULL && strcmp(prev->file, file) == 0)
		lerr(L, file, line, path, "namespace '%s' is declared twice "
		    "(first at line %u)", json_object_get_string(name),
		    prev->line);
	else if (prev != NULL && strcmp(prev->desc, d) != 0)
		lerr(L, file, line, path, "namespace '%s' is described as "
		    "'%s' here but as '%s' in %s:%u",
		    json_object_get_string(name), tk_diag_quote(q, d),
		    tk_diag_quote(q2, prev->desc),
		    prev->file, prev->line);
	else if (prev == NULL)
		add_ns(L, json_object_get_string(name), d, file, line);
}

static void
parse_ns_file(struct loader *L, const char *file, json_object *root)
{
	struct json_object_iter it;
	json_object *arr;
	char q[80];
	size_t i, n;

	json_object_object_foreachC(root, it)
		if (strcmp(it.key, "namespaces") != 0)
			lerr(L, file, tk_yaml_key_line(root, it.key),
			    tk_diag_quote(q, it.key), "unknown key (a file with "
			    "'namespaces' declares namespaces only)");
	json_object_object_get_ex(root, "namespaces", &arr);
	if (!json_object_is_type(arr, json_type_array)) {
		lerr(L, file, tk_yaml_key_line(root, "namespaces"),
		    "namespaces", "must be a list of {name, description}");
		return;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n && !L->nomem; i++)
		ns_entry(L, file, arr, i);
}

/* ------------------------------------------------------------------ */
/* Handler files                                                       */
/* ------------------------------------------------------------------ */

static void
add_handler(struct loader *L, const char *file, json_object *root)
{
	struct tk_handler_def *h = NULL;
	unsigned line, *hl;
	size_t i;
	tk_err e;

	e = tk_handler_parse(root, file, L->env, &h, L->diag);
	if (e == TK_ERR_NOMEM) {
		L->nomem = 1;
		return;
	}
	if (e != TK_OK) {
		L->failed = 1;
		return;
	}
	line = tk_yaml_key_line(root, "version");
	if (!json_object_object_get_ex(root, "version", NULL))
		line = tk_yaml_key_line(root, "name");
	for (i = 0; i < L->nh; i++) {
		const struct tk_handler_def *o = L->h[i];
		if (strcmp(o->namespace_name, h->namespace_name) == 0 &&
		    strcmp(o->name, h->name) == 0 &&
		    tk_semver_cmp(&o->semver, &h->semver) == 0)
			lerr(L, file, line, "version", "%s/%s %s is already "
			    "defined in %s:%u%s", h->namespace_name, h->name,
			    h->version, o->source, L->hline[i],
			    strcmp(o->version, h->version) != 0 ?
			    " (versions differing only in build metadata "
			    "are the same version)" : "");
	}
	if (tk_grow((void **)&L->h, &L->hcap, L->nh + 1, sizeof(*L->h), 16) !=
	    TK_OK || (hl = tk_reallocarray(L->hline, L->hcap,
	    sizeof(unsigned))) == NULL) {
		tk_handler_free(h);
		L->nomem = 1;
		return;
	}
	L->hline = hl;
	if ((h->source = strdup(file)) == NULL) {
		tk_handler_free(h);
		L->nomem = 1;
		return;
	}
	L->hline[L->nh] = line;
	L->h[L->nh++] = h;
}

static void
load_yaml_file(struct loader *L, const char *file)
{
	json_object *root = NULL;
	tk_err e;

	e = tk_yaml_load_file(file, &root, L->diag);
	if (e == TK_ERR_NOMEM) {
		L->nomem = 1;
		return;
	}
	if (e != TK_OK) {
		L->failed = 1;
		return;
	}
	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "namespaces", NULL))
		parse_ns_file(L, file, root);
	else
		add_handler(L, file, root);
	json_object_put(root);
}

/* ------------------------------------------------------------------ */
/* The set                                                             */
/* ------------------------------------------------------------------ */

static void
loader_free(struct loader *L)
{
	size_t i;

	for (i = 0; i < L->nfiles; i++)
		free(L->files[i]);
	free(L->files);
	for (i = 0; i < L->nns; i++) {
		free(L->ns[i].name);
		free(L->ns[i].desc);
	}
	free(L->ns);
	for (i = 0; i < L->nh; i++)
		tk_handler_free(L->h[i]);
	free(L->h);
	free(L->hline);
}

/* Moves namespaces and handlers from the loader into out. */
static tk_err
build(struct loader *L, struct tk_defset *out)
{
	size_t i, j, n = L->nns;

	/* Undeclared namespaces, in order of first use. */
	for (i = 0; i < L->nh && !L->nomem; i++)
		if (find_ns(L, L->h[i]->namespace_name) == NULL)
			add_ns(L, L->h[i]->namespace_name, "",
			    L->h[i]->source, 0);
	if (L->nomem)
		return TK_ERR_NOMEM;
	n = L->nns;
	if ((out->namespaces = calloc(n + 1, sizeof(*out->namespaces))) ==
	    NULL)
		return TK_ERR_NOMEM;
	for (j = 0; j < n; j++) {
		out->namespaces[j].name = L->ns[j].name;
		out->namespaces[j].description = L->ns[j].desc;
	}
	out->nnamespaces = n;
	L->nns = 0;
	out->handlers = L->h;
	out->nhandlers = L->nh;
	L->h = NULL;
	L->nh = 0;
	return TK_OK;
}

tk_err
tk_defset_load(const char *const *paths, size_t npaths,
    const char *environment, struct tk_defset *out, struct tk_diag *diag)
{
	struct loader L;
	size_t i;
	tk_err e;

	memset(out, 0, sizeof(*out));
	memset(&L, 0, sizeof(L));
	L.diag = diag;
	L.env = environment;
	if (npaths == 0)
		lerr(&L, "(no path)", 0, NULL, "no handler file or folder "
		    "given");
	for (i = 0; i < npaths && !L.nomem; i++)
		gather(&L, paths[i]);
	for (i = 0; i < L.nfiles && !L.nomem; i++)
		load_yaml_file(&L, L.files[i]);
	if (L.nomem)
		e = TK_ERR_NOMEM;
	else if (L.failed)
		e = TK_ERR_DEFINITION;
	else
		e = build(&L, out);
	if (e != TK_OK)
		tk_defset_free(out);
	loader_free(&L);
	return e;
}

void
tk_defset_free(struct tk_defset *set)
{
	size_t i;

	for (i = 0; i < set->nnamespaces; i++) {
		free(set->namespaces[i].name);
		free(set->namespaces[i].description);
	}
	free(set->namespaces);
	for (i = 0; i < set->nhandlers; i++)
		tk_handler_free(set->handlers[i]);
	free(set->handlers);
	memset(set, 0, sizeof(*set));
}
