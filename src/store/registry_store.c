/*
 * registry_store.c - namespaces and handler versions in MariaDB.
 *
 * A load runs in one transaction; the rows it checks for immutability are
 * read FOR UPDATE so two concurrent loads of the same version serialise
 * (the loser sees the winner's row and compares against it).
 */
#include "tasker/store.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/handler.h"
#include "registry.h"
#include "rows.h"

static const char SQL_GENERATION[] =
    "SELECT generation FROM registry_generation WHERE id = 1";
static const char SQL_BUMP[] =
    "UPDATE registry_generation SET generation = generation + 1,"
    " changed_at = UTC_TIMESTAMP(6) WHERE id = 1";
static const char SQL_NAMESPACES[] =
    "SELECT id, name, description FROM namespaces ORDER BY id";
static const char SQL_VERSIONS[] =
    "SELECT id, namespace_id, name, version, definition"
    " FROM handler_versions ORDER BY id";
static const char SQL_NS_GET[] =
    "SELECT id, description FROM namespaces WHERE name = ? FOR UPDATE";
static const char SQL_NS_INSERT[] =
    "INSERT INTO namespaces (name, description, created_at, updated_at)"
    " VALUES (?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))";
static const char SQL_NS_UPDATE[] =
    "UPDATE namespaces SET description = ?, updated_at = UTC_TIMESTAMP(6)"
    " WHERE id = ?";
static const char SQL_HV_GET[] =
    "SELECT content_hash, definition FROM handler_versions"
    " WHERE namespace_id = ? AND name = ? AND version = ? FOR UPDATE";
static const char SQL_HV_INSERT[] =
    "INSERT INTO handler_versions (namespace_id, name, version, v_major,"
    " v_minor, v_patch, v_prerelease, description, definition,"
    " content_hash, source, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";

tk_err
tk_store_registry_generation(struct tk_db *db, uint64_t *gen)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	if ((e = tk_db_query(db, SQL_GENERATION, NULL, 0, &r)) != TK_OK)
		return e;
	*gen = r.nrows == 1 ? (uint64_t)tk_row_int(&r, 0, 0) : 0;
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_store_namespaces(struct tk_db *db, struct tk_rows *out)
{
	return tk_db_query(db, SQL_NAMESPACES, NULL, 0, out);
}

tk_err
tk_store_handler_versions(struct tk_db *db, struct tk_rows *out)
{
	return tk_db_query(db, SQL_VERSIONS, NULL, 0, out);
}

/* Finds or creates the namespace; *id gets its row id. */
static tk_err
upsert_namespace(struct tk_db *db, const char *name, const char *description,
    unsigned long long *id, struct tk_load_report *rep)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[2];
	const char *old;
	tk_err e;

	/* NULL: the set does not declare this namespace; keep what is there. */
	a[0] = TK_PSTR(name);
	if ((e = tk_db_query(db, SQL_NS_GET, a, 1, &r)) != TK_OK)
		return e;
	if (r.nrows == 1) {
		*id = (unsigned long long)tk_row_int(&r, 0, 0);
		old = tk_row_str(&r, 0, 1);
		if (description != NULL &&
		    (old == NULL || strcmp(old, description) != 0)) {
			a[0] = TK_PSTR(description);
			a[1] = TK_PINT(*id);
			e = tk_db_exec(db, SQL_NS_UPDATE, a, 2, NULL, NULL);
			rep->namespaces_updated++;
		}
		tk_rows_free(&r);
		return e;
	}
	tk_rows_free(&r);
	a[0] = TK_PSTR(name);
	a[1] = TK_PSTR(description != NULL ? description : "");
	if ((e = tk_db_exec(db, SQL_NS_INSERT, a, 2, NULL, id)) == TK_OK)
		rep->namespaces_added++;
	return e;
}

/* The namespace description the set declares for name, or NULL. */
static const char *
declared_description(const struct tk_defset *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->nnamespaces; i++)
		if (strcmp(set->namespaces[i].name, name) == 0)
			return set->namespaces[i].description;
	return NULL;
}

/* Says how the stored definition differs from h. */
static void
explain_conflict(const struct tk_handler_def *h, const char *stored,
    struct tk_diag *diag)
{
	struct tk_diag inner = TK_DIAG_INIT;
	struct tk_handler_def *old = NULL;
	json_object *j;
	size_t i;

	tk_diag_add(diag, "%s%s%s.%s@%s is already loaded with different "
	    "content; a handler version is immutable: give the change a new "
	    "version", h->source ? h->source : "", h->source ? ": " : "",
	    h->namespace_name, h->name, h->version);
	if ((j = json_tokener_parse(stored)) == NULL)
		return;
	if (tk_handler_from_json(j, &old, &inner) == TK_OK) {
		tk_diag_free(&inner);
		tk_handler_diff(old, h, &inner);
		for (i = 0; i < inner.n; i++)
			tk_diag_add(diag, "  %s", inner.msg[i]);
		tk_handler_free(old);
	}
	tk_diag_free(&inner);
	json_object_put(j);
}

static tk_err
load_handler(struct tk_db *db, const struct tk_handler_def *h,
    unsigned long long ns_id, struct tk_load_report *rep, struct tk_diag *diag)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg a[11];
	json_object *j = NULL;
	const char *def, *pre = "";
	char prebuf[TK_SEMVER_MAX + 1];
	tk_err e;

	a[0] = TK_PINT(ns_id);
	a[1] = TK_PSTR(h->name);
	a[2] = TK_PSTR(h->version);
	if ((e = tk_db_query(db, SQL_HV_GET, a, 3, &r)) != TK_OK)
		return e;
	if (r.nrows == 1) {
		if (strcmp(tk_row_str(&r, 0, 0), h->hash) == 0)
			rep->unchanged++;
		else {
			explain_conflict(h, tk_row_str(&r, 0, 1), diag);
			e = TK_ERR_CONFLICT;
		}
		tk_rows_free(&r);
		return e;
	}
	tk_rows_free(&r);
	if ((j = tk_handler_to_json(h)) == NULL)
		return TK_ERR_NOMEM;
	def = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (h->semver.pre_len > 0) {
		memcpy(prebuf, h->semver.str + h->semver.pre_off,
		    h->semver.pre_len);
		prebuf[h->semver.pre_len] = '\0';
		pre = prebuf;
	}
	a[3] = TK_PINT(h->semver.major);
	a[4] = TK_PINT(h->semver.minor);
	a[5] = TK_PINT(h->semver.patch);
	a[6] = TK_PSTR(pre);
	a[7] = TK_POPT(h->description);
	a[8] = TK_PSTR(def);
	a[9] = TK_PSTR(h->hash);
	a[10] = TK_POPT(h->source);
	e = tk_db_exec(db, SQL_HV_INSERT, a, 11, NULL, NULL);
	if (e == TK_OK)
		rep->added++;
	json_object_put(j);
	return e;
}

struct load_ctx {
	const struct tk_defset  *set;
	struct tk_load_report   *rep;
	struct tk_diag          *diag;
	size_t                   ndiag;   /* messages the caller had */
};

/* The load, in one transaction (tk_db_txn may run it again: it starts
 * with an empty report and drops the messages of a run before). */
static tk_err
load_txn(struct tk_db *db, void *arg)
{
	struct load_ctx *c = arg;
	const struct tk_defset *set = c->set;
	struct tk_load_report *rep = c->rep;
	unsigned long long ns_id;
	const struct tk_handler_def *h;
	size_t i;
	tk_err e, first = TK_OK;

	memset(rep, 0, sizeof(*rep));
	while (c->diag->n > c->ndiag)
		free(c->diag->msg[--c->diag->n]);
	for (i = 0; i < set->nnamespaces; i++) {
		e = upsert_namespace(db, set->namespaces[i].name,
		    set->namespaces[i].description, &ns_id, rep);
		if (e != TK_OK)
			return e;
	}
	for (i = 0; i < set->nhandlers; i++) {
		h = set->handlers[i];
		e = upsert_namespace(db, h->namespace_name,
		    declared_description(set, h->namespace_name), &ns_id, rep);
		if (e != TK_OK)
			return e;
		/* Report every conflicting version, not just the first. */
		e = load_handler(db, h, ns_id, rep, c->diag);
		if (e == TK_ERR_CONFLICT) {
			first = e;
			continue;
		}
		if (e != TK_OK)
			return e;
	}
	if (first != TK_OK)
		return first;
	if (rep->added + rep->namespaces_added + rep->namespaces_updated > 0)
		return tk_db_exec(db, SQL_BUMP, NULL, 0, NULL, NULL);
	return TK_OK;
}

tk_err
tk_store_load_defset(struct tk_db *db, const struct tk_defset *set,
    struct tk_load_report *rep, struct tk_diag *diag)
{
	struct load_ctx c = { set, rep, diag, diag->n };
	tk_err e;

	if ((e = tk_db_txn(db, load_txn, &c)) != TK_OK)
		memset(rep, 0, sizeof(*rep));
	return e;
}
