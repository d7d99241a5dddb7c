/*
 * perm.h - permissions and the authenticated principal.
 *
 * A permission is an opaque string such as "tasker.task:create"; each
 * route names the one it requires.  A principal (who made the request)
 * holds a list of granted permissions, some of which may be wildcards:
 *
 *   "*"               matches every permission;
 *   "P.*" or "P:*"    matches every permission that starts with "P." or
 *                     "P:" and has at least one more character after it:
 *                     "tasker.*" matches "tasker.handler:index" and
 *                     "tasker.task:create"; "tasker.task:*" matches
 *                     "tasker.task:create" but not "tasker.taskx:create",
 *                     "tasker.handler:index" or "tasker.task:";
 *   anything else     matches only itself, byte for byte (case matters).
 *                     A '*' that is not a whole last segment after '.' or
 *                     ':' is a literal: "tasker.task*" matches only the
 *                     string "tasker.task*", and "tasker.task" does not
 *                     match "tasker.task:create".
 */
#ifndef TASKER_PERM_H
#define TASKER_PERM_H

#include <stddef.h>

#include "tasker/error.h"

/* Bounds on what a principal may carry (a token is hostile input). */
#define TK_PERM_MAX_LEN     128  /* bytes in one permission */
#define TK_PERM_MAX_COUNT   256  /* permissions held by one principal */
#define TK_SUBJECT_MAX_LEN  256  /* bytes in a subject */
#define TK_NS_MAX_COUNT     64   /* namespaces a principal is limited to */

/*
 * Who made the request.  Owns its strings; tk_principal_free() them.
 *
 * The scope says which handlers and tasks the principal may see and
 * change at all (the permissions then say what it may do with them):
 * ns_limited 0 is every namespace; 1 is only the nns names in ns (none
 * when nns is 0).  own_tasks 1 limits the tasks further to those whose
 * created_by is the subject.
 */
struct tk_principal {
	char   *subject;    /* token "sub", REMOTE_USER, "anonymous"... */
	char  **perms;      /* granted permissions, duplicates removed */
	size_t  nperms;
	int     ns_limited;
	char  **ns;         /* namespace names, duplicates removed */
	size_t  nns;
	int     own_tasks;
};

#define TK_PRINCIPAL_INIT { NULL, NULL, 0, 0, NULL, 0, 0 }

/* 1 when the granted permission (maybe a wildcard) covers required. */
int    tk_perm_match(const char *granted, const char *required);
/* 1 when some permission of p covers required; 0 for a NULL p. */
int    tk_principal_allows(const struct tk_principal *p,
    const char *required);
/*
 * 1 when s may be a permission: 1..TK_PERM_MAX_LEN bytes of strict UTF-8
 * (utf8.h) without control characters (C0, DEL, C1).  Used on token
 * claims and config grants.
 */
int    tk_perm_valid(const char *s);
/* 1 when s may be a subject (token "sub", REMOTE_USER, a configured user
 * or group name): 1..TK_SUBJECT_MAX_LEN bytes, the same rule. */
int    tk_subject_valid(const char *s);
/* Replaces the subject with a copy of s.  TK_ERR_NOMEM only. */
tk_err tk_principal_set_subject(struct tk_principal *p, const char *s);
/*
 * Adds a copy of perm unless already held.  TK_ERR_BAD_REQUEST when the
 * principal already holds TK_PERM_MAX_COUNT permissions; TK_ERR_NOMEM.
 */
tk_err tk_principal_add_perm(struct tk_principal *p, const char *perm);
/*
 * Limits p to namespace ns as well (sets ns_limited).  TK_ERR_BAD_REQUEST
 * when ns is not a namespace name or p already holds TK_NS_MAX_COUNT;
 * TK_ERR_NOMEM.
 */
tk_err tk_principal_add_ns(struct tk_principal *p, const char *ns);
/* 1 when p is limited in any way (namespaces or own tasks). */
int    tk_principal_scoped(const struct tk_principal *p);
/* 1 when p may see namespace ns (its handlers and tasks). */
int    tk_principal_sees_ns(const struct tk_principal *p, const char *ns);
/*
 * 1 when p may see a task of namespace ns created by created_by (NULL for
 * tasks from before created_by was recorded: only unlimited-owner
 * principals see them).
 */
int    tk_principal_sees_task(const struct tk_principal *p, const char *ns,
    const char *created_by);
/* Copies src into the empty dst.  TK_ERR_NOMEM (dst is left empty). */
tk_err tk_principal_copy(const struct tk_principal *src,
    struct tk_principal *dst);
/* Frees everything and leaves p empty (TK_PRINCIPAL_INIT); NULL is ok. */
void   tk_principal_free(struct tk_principal *p);

#endif
