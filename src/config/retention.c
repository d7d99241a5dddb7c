/*
 * retention.c - the retention: section of tasker.yaml:
 *
 *   retention:
 *     complete: 30d        # finished tasks older than this are purged
 *     cancelled: 30d
 *     error: 90d           # 0 (the default of each): kept forever
 *     namespaces:
 *       payments: { complete: 400d }   # the others: as above
 *     export: /var/lib/tasker/purged.jsonl
 *
 * Ages are durations (duration.h); what they mean and who purges is
 * src/sched/retention.c's.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/diag.h"
#include "tasker/duration.h"
#include "tasker/handler.h"
#include "tasker/yamljson.h"

/* An age: "30d", "12h", ... or a whole number of seconds. */
static void
set_age(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	long long n;

	if ((!json_object_is_type(v, json_type_string) &&
	    !json_object_is_type(v, json_type_int)) ||
	    tk_duration_parse(json_object_get_string(v), &n) != TK_OK) {
		cfg_err(c, line, path, "must be a duration such as 30d, 12h, "
		    "90m or 3600s (0: keep forever)");
		return;
	}
	*CFG_SLOT(base, f, long long) = n;
}

#define F_AGE(k, t, m) \
	{ k, set_age, offsetof(t, m), 0, 0, 0, NULL, NULL, NULL }

static const struct cfg_field ns_age_fields[] = {
	F_AGE("complete", struct tk_retention_ages, complete),
	F_AGE("cancelled", struct tk_retention_ages, cancelled),
	F_AGE("error", struct tk_retention_ages, error),
	{ NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};

void
cfg_free_retention(struct tk_retention_config *r)
{
	size_t i;

	for (i = 0; r->namespaces != NULL && i < r->nnamespaces; i++)
		free(r->namespaces[i].name);
	free(r->namespaces);
	free(r->export);
	r->namespaces = NULL;
	r->nnamespaces = 0;
	r->export = NULL;
}

/* retention.namespaces: name -> ages; an age left out is -1. */
static void
set_namespaces(struct cfg_ctx *c, const struct cfg_field *f, json_object *v,
    const char *path, unsigned long line, void *base)
{
	struct tk_retention_config *r = base;
	struct tk_retention_ns *ns = NULL;
	struct json_object_iter it;
	char kpath[320], q[TK_DIAG_QUOTE_SIZE];
	size_t len, n = 0;

	(void)f;
	if (v != NULL && !json_object_is_type(v, json_type_object)) {
		cfg_err(c, line, path, "must be a mapping of namespaces to "
		    "ages, not a %s", cfg_kind(v));
		return;
	}
	len = v != NULL ? (size_t)json_object_object_length(v) : 0;
	if (len > 0 && (ns = calloc(len, sizeof(*ns))) == NULL) {
		cfg_nomem(c);
		return;
	}
	if (v != NULL)
		json_object_object_foreachC(v, it) {
			snprintf(kpath, sizeof(kpath), "%s.%s", path,
			    tk_diag_quote(q, it.key));
			if (!tk_name_valid(it.key)) {
				cfg_err(c, tk_yaml_key_line(v, it.key), kpath,
				    "is not a namespace name");
				continue;
			}
			if ((ns[n].name = strdup(it.key)) == NULL) {
				cfg_nomem(c);
				break;
			}
			ns[n].ages.complete = ns[n].ages.cancelled =
			    ns[n].ages.error = -1;
			cfg_walk(c, it.val, kpath, tk_yaml_key_line(v, it.key),
			    ns_age_fields, &ns[n].ages);
			n++;
		}
	for (len = 0; len < r->nnamespaces; len++)
		free(r->namespaces[len].name);
	free(r->namespaces);
	r->namespaces = ns;
	r->nnamespaces = n;
}

const struct cfg_field cfg_retention_fields[] = {
	F_AGE("complete", struct tk_retention_config, ages.complete),
	F_AGE("cancelled", struct tk_retention_config, ages.cancelled),
	F_AGE("error", struct tk_retention_config, ages.error),
	{ "namespaces", set_namespaces, 0, 0, 0, 0, NULL, NULL, NULL },
	{ "export", cfg_set_optpath, offsetof(struct tk_retention_config,
	    export), 0, 0, 0, NULL, NULL, NULL },
	{ NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};
