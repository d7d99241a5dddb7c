/*
 * migrate.h - schema migrations: db/migrations/NNNN_name.sql, in order.
 *
 * Each applied migration is a row of schema_migrations.  MariaDB commits
 * DDL implicitly, so a migration cannot be rolled back: the runner writes
 * the row (finished_at NULL) before the first statement and completes it
 * after the last.  A row left unfinished means a half-applied migration;
 * the runner then refuses to go on and says how to repair it by hand.
 */
#ifndef TASKER_MIGRATE_H
#define TASKER_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include "tasker/buf.h"
#include "tasker/db.h"
#include "tasker/diag.h"
#include "tasker/error.h"

struct tk_migration {
	unsigned  version;        /* NNNN */
	char     *name;           /* file name without .sql */
	char     *path;
	char      checksum[65];   /* hex SHA-256 of the file */
	/* Filled by tk_migrate_load_state(): */
	int       applied;        /* 1 applied, 0 pending, -1 half-applied */
	char     *applied_at;     /* when finished (or started, if half) */
	char     *db_checksum;    /* checksum recorded when applied */
	char     *failure;        /* recorded error of a half-applied one */
};

struct tk_migration_set {
	struct tk_migration *m;
	size_t               n;
	unsigned             unknown_applied; /* applied versions with no file */
};

/* Reads dir: NNNN_name.sql files sorted by version; duplicates refused. */
tk_err tk_migrations_scan(const char *dir, struct tk_migration_set *out,
    struct tk_diag *diag);
void   tk_migrations_free(struct tk_migration_set *set);

/* Creates schema_migrations if needed and marks each migration's state. */
tk_err tk_migrate_load_state(struct tk_db *db, struct tk_migration_set *set);

/*
 * Applies what is pending, in order, printing one line per migration to
 * out.  TK_ERR_MIGRATION with an explanation in diag when a half-applied
 * migration is found or a statement fails.
 */
tk_err tk_migrate_apply(struct tk_db *db, struct tk_migration_set *set,
    FILE *out, struct tk_diag *diag);

/* Marks a half-applied migration as applied (1) or forgets it (0). */
tk_err tk_migrate_repair(struct tk_db *db, unsigned version, int applied,
    struct tk_diag *diag);

/* The highest applied version and whether anything is pending or half. */
tk_err tk_migrate_current(struct tk_db *db, const struct tk_migration_set *set,
    unsigned *version, int *current);

/*
 * Splits SQL text into statements: *p advances past the next statement,
 * which is copied (without its ';') into out.  Understands quotes,
 * backquotes, -- and # comments and C comments.  Returns 0 at the end.
 */
int tk_sql_next(const char **p, const char *end, struct tk_buf *out);

#endif
