/*
 * migrate.c - the schema migration runner.
 *
 * Concurrency: the runner holds the named lock 'tasker_migrate' (GET_LOCK
 * needs no privilege beyond a database account) so two operators running
 * `tasker-admin migrate` at once do not interleave.
 */
#include "tasker/migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "tasker/alloc.h"
#include "rows.h"

#define MAX_MIGRATION_BYTES (4u << 20)

static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT UNSIGNED NOT NULL PRIMARY KEY,"
    " name VARCHAR(255) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " started_at DATETIME(6) NOT NULL,"
    " finished_at DATETIME(6) NULL,"
    " failure TEXT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
static const char SQL_STATE[] =
    "SELECT version, name, checksum,"
    " DATE_FORMAT(COALESCE(finished_at, started_at), '%Y-%m-%dT%H:%i:%sZ'),"
    " finished_at IS NOT NULL, failure FROM schema_migrations ORDER BY version";
static const char SQL_START[] =
    "INSERT INTO schema_migrations (version, name, checksum, started_at)"
    " VALUES (?, ?, ?, UTC_TIMESTAMP(6))";
static const char SQL_FINISH[] =
    "UPDATE schema_migrations SET finished_at = UTC_TIMESTAMP(6), failure = NULL"
    " WHERE version = ?";
static const char SQL_FAILED[] =
    "UPDATE schema_migrations SET failure = ? WHERE version = ?";
static const char SQL_FORGET[] =
    "DELETE FROM schema_migrations WHERE version = ? AND finished_at IS NULL";
static const char SQL_LOCK[] = "SELECT GET_LOCK('tasker_migrate', 30)";
static const char SQL_UNLOCK[] = "SELECT RELEASE_LOCK('tasker_migrate')";

/* ---------------------------------------------------------------- files */

static int
read_file(const char *path, struct tk_buf *out)
{
	char chunk[8192];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > MAX_MIGRATION_BYTES ||
		    tk_buf_append(out, chunk, n) != TK_OK) {
			fclose(f);
			return -1;
		}
	}
	n = (size_t)ferror(f);
	fclose(f);
	return n ? -1 : 0;
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* "0007_add_index.sql" -> 7; 0 when the name is not a migration. */
static unsigned
parse_name(const char *name)
{
	size_t len = strlen(name), i;
	unsigned v = 0;

	if (len < 10 || strcmp(name + len - 4, ".sql") != 0)
		return 0;
	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)name[i]))
			return 0;
		v = v * 10 + (unsigned)(name[i] - '0');
	}
	if (name[4] != '_')
		return 0;
	for (i = 5; i < len - 4; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '_')
			return 0;
	return v;
}

static int
by_version(const void *a, const void *b)
{
	const struct tk_migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

void
tk_migrations_free(struct tk_migration_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->m[i].name);
		free(set->m[i].path);
		free(set->m[i].applied_at);
		free(set->m[i].db_checksum);
		free(set->m[i].failure);
	}
	free(set->m);
	set->m = NULL;
	set->n = 0;
}

tk_err
tk_migrations_scan(const char *dir, struct tk_migration_set *out,
    struct tk_diag *diag)
{
	struct tk_buf content = TK_BUF_INIT;
	struct tk_migration *m;
	struct dirent *de;
	size_t cap = 0, i;
	unsigned v;
	tk_err e = TK_OK;
	DIR *d;

	memset(out, 0, sizeof(*out));
	if ((d = opendir(dir)) == NULL) {
		tk_diag_add(diag, "%s: cannot open migrations folder: %s", dir,
		    strerror(errno));
		return TK_ERR_MIGRATION;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((v = parse_name(de->d_name)) == 0) {
			if (strstr(de->d_name, ".sql") != NULL) {
				tk_diag_add(diag, "%s/%s: not a migration name "
				    "(NNNN_lowercase_name.sql, NNNN >= 0001)",
				    dir, de->d_name);
				e = TK_ERR_MIGRATION;
			}
			continue;
		}
		if (tk_grow((void **)&out->m, &cap, out->n + 1,
		    sizeof(*out->m), 16) != TK_OK) {
			e = TK_ERR_NOMEM;
			goto out;
		}
		m = &out->m[out->n];
		memset(m, 0, sizeof(*m));
		m->version = v;
		m->name = strndup(de->d_name, strlen(de->d_name) - 4);
		if (asprintf(&m->path, "%s/%s", dir, de->d_name) < 0)
			m->path = NULL;
		out->n++;
		if (m->name == NULL || m->path == NULL) {
			e = TK_ERR_NOMEM;
			goto out;
		}
		tk_buf_reset(&content);
		if (read_file(m->path, &content) != 0) {
			tk_diag_add(diag, "%s: cannot read (or larger than %u bytes)",
			    m->path, MAX_MIGRATION_BYTES);
			e = TK_ERR_MIGRATION;
			continue;
		}
		sha256_hex(content.data ? content.data : "", content.len,
		    m->checksum);
	}
	if (out->n > 1)
		qsort(out->m, out->n, sizeof(*out->m), by_version);
	for (i = 1; i < out->n; i++)
		if (out->m[i].version == out->m[i - 1].version) {
			tk_diag_add(diag, "%s and %s: two migrations numbered %04u",
			    out->m[i - 1].path, out->m[i].path, out->m[i].version);
			e = TK_ERR_MIGRATION;
		}
out:
	closedir(d);
	tk_buf_free(&content);
	return e;
}

/* ---------------------------------------------------------------- state */

static struct tk_migration *
find(struct tk_migration_set *set, unsigned v)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->m[i].version == v)
			return &set->m[i];
	return NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

tk_err
tk_migrate_load_state(struct tk_db *db, struct tk_migration_set *set)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_migration *m;
	size_t i;
	tk_err e;

	if ((e = tk_db_exec_text(db, SQL_CREATE, sizeof(SQL_CREATE) - 1)) != TK_OK)
		return e;
	if ((e = tk_db_query(db, SQL_STATE, NULL, 0, &r)) != TK_OK)
		return e;
	set->unknown_applied = 0;
	for (i = 0; i < set->n; i++)
		set->m[i].applied = 0;
	for (i = 0; i < r.nrows; i++) {
		if ((m = find(set, (unsigned)tk_row_int(&r, i, 0))) == NULL) {
			set->unknown_applied++;
			continue;
		}
		m->applied = tk_row_int(&r, i, 4) ? 1 : -1;
		free(m->applied_at);
		free(m->db_checksum);
		free(m->failure);
		m->applied_at = dup_or_null(tk_row_str(&r, i, 3));
		m->db_checksum = dup_or_null(tk_row_str(&r, i, 2));
		m->failure = dup_or_null(tk_row_str(&r, i, 5));
	}
	tk_rows_free(&r);
	return TK_OK;
}

tk_err
tk_migrate_current(struct tk_db *db, const struct tk_migration_set *set,
    unsigned *version, int *current)
{
	struct tk_rows r = TK_ROWS_INIT;
	size_t i, j;
	int found;
	tk_err e;

	*version = 0;
	*current = 1;
	if ((e = tk_db_query(db, SQL_STATE, NULL, 0, &r)) != TK_OK)
		return e;
	for (i = 0; i < r.nrows; i++) {
		if (!tk_row_int(&r, i, 4))
			*current = 0;
		else if ((unsigned)tk_row_int(&r, i, 0) > *version)
			*version = (unsigned)tk_row_int(&r, i, 0);
	}
	for (j = 0; j < set->n; j++) {
		found = 0;
		for (i = 0; i < r.nrows; i++)
			if ((unsigned)tk_row_int(&r, i, 0) == set->m[j].version &&
			    tk_row_int(&r, i, 4))
				found = 1;
		if (!found)
			*current = 0;
	}
	tk_rows_free(&r);
	return TK_OK;
}

/* ---------------------------------------------------------------- SQL split */

int
tk_sql_next(const char **pp, const char *end, struct tk_buf *out)
{
	const char *p = *pp;
	char quote = 0;

	tk_buf_reset(out);
	/* Skip blank space and comments between statements. */
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p + 1 < end && p[0] == '-' && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (p < end && *p == '#') {
			while (p < end && *p != '\n')
				p++;
		} else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			p += 2;
			while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
				p++;
			p = p + 1 < end ? p + 2 : end;
		} else
			break;
	}
	if (p >= end) {
		*pp = end;
		return 0;
	}
	for (; p < end; p++) {
		if (quote) {
			if (*p == '\\' && quote != '`' && p + 1 < end) {
				tk_buf_append(out, p, 2);
				p++;
				continue;
			}
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"' || *p == '`') {
			quote = *p;
		} else if (*p == ';') {
			p++;
			break;
		} else if (p + 1 < end && p[0] == '-' && p[1] == '-' &&
		    (p + 2 == end || isspace((unsigned char)p[2]))) {
			while (p < end && *p != '\n')
				p++;
			if (p == end)
				break;
		}
		tk_buf_putc(out, *p);
	}
	/* Trim trailing blanks. */
	while (out->len > 0 && isspace((unsigned char)out->data[out->len - 1]))
		out->data[--out->len] = '\0';
	*pp = p;
	return out->len > 0 ? 1 : tk_sql_next(pp, end, out);
}

/* ---------------------------------------------------------------- apply */

static void
explain_half(const struct tk_migration *m, struct tk_diag *diag)
{
	tk_diag_add(diag, "migration %s was started at %s and did not finish%s%s.",
	    m->name, m->applied_at ? m->applied_at : "?",
	    m->failure ? ": " : "", m->failure ? m->failure : "");
	tk_diag_add(diag, "MariaDB commits DDL as it goes, so the schema may be "
	    "half-changed and tasker will not guess.  Compare the database with "
	    "%s, then either:", m->path);
	tk_diag_add(diag, "  finish the remaining statements by hand and run "
	    "`tasker-admin migrate repair %u --applied`, or", m->version);
	tk_diag_add(diag, "  undo the statements that ran and run "
	    "`tasker-admin migrate repair %u --reverted`;", m->version);
	tk_diag_add(diag, "then run `tasker-admin migrate` again.");
}

static tk_err
apply_one(struct tk_db *db, struct tk_migration *m, struct tk_diag *diag)
{
	struct tk_buf text = TK_BUF_INIT, stmt = TK_BUF_INIT;
	struct tk_dbarg p[3];
	const char *cur, *end;
	char failure[700];
	unsigned n = 0;
	tk_err e;

	if (read_file(m->path, &text) != 0) {
		tk_diag_add(diag, "%s: cannot read", m->path);
		e = TK_ERR_MIGRATION;
		goto out;
	}
	p[0] = TK_PINT(m->version);
	p[1] = TK_PSTR(m->name);
	p[2] = TK_PSTR(m->checksum);
	if ((e = tk_db_exec(db, SQL_START, p, 3, NULL, NULL)) != TK_OK) {
		tk_diag_add(diag, "%s: cannot record the start: %s", m->name,
		    tk_db_error(db));
		goto out;
	}
	cur = tk_buf_str(&text);
	end = cur + text.len;
	while (tk_sql_next(&cur, end, &stmt)) {
		n++;
		if ((e = tk_db_exec_text(db, stmt.data, stmt.len)) != TK_OK) {
			snprintf(failure, sizeof(failure), "statement %u failed: %s",
			    n, tk_db_error(db));
			p[0] = TK_PSTR(failure);
			p[1] = TK_PINT(m->version);
			(void)tk_db_exec(db, SQL_FAILED, p, 2, NULL, NULL);
			m->applied = -1;
			free(m->failure);
			m->failure = strdup(failure);
			free(m->applied_at);
			m->applied_at = strdup("now");
			explain_half(m, diag);
			e = TK_ERR_MIGRATION;
			goto out;
		}
	}
	p[0] = TK_PINT(m->version);
	if ((e = tk_db_exec(db, SQL_FINISH, p, 1, NULL, NULL)) != TK_OK) {
		tk_diag_add(diag, "%s: ran, but cannot record it: %s", m->name,
		    tk_db_error(db));
		goto out;
	}
	m->applied = 1;
out:
	tk_buf_free(&text);
	tk_buf_free(&stmt);
	return e;
}

static tk_err
lock(struct tk_db *db, int take, struct tk_diag *diag)
{
	struct tk_rows r = TK_ROWS_INIT;
	tk_err e;

	e = tk_db_query(db, take ? SQL_LOCK : SQL_UNLOCK, NULL, 0, &r);
	if (e == TK_OK && take && tk_row_int(&r, 0, 0) != 1) {
		tk_diag_add(diag, "another `tasker-admin migrate` holds the "
		    "migration lock; try again when it has finished");
		e = TK_ERR_MIGRATION;
	}
	tk_rows_free(&r);
	return e;
}

tk_err
tk_migrate_apply(struct tk_db *db, struct tk_migration_set *set, FILE *out,
    struct tk_diag *diag)
{
	size_t i;
	int ran = 0;
	tk_err e;

	if ((e = lock(db, 1, diag)) != TK_OK)
		return e;
	if ((e = tk_migrate_load_state(db, set)) != TK_OK)
		goto out;
	for (i = 0; i < set->n; i++)
		if (set->m[i].applied == -1) {
			explain_half(&set->m[i], diag);
			e = TK_ERR_MIGRATION;
			goto out;
		}
	for (i = 0; i < set->n; i++) {
		if (set->m[i].applied == 1)
			continue;
		if ((e = apply_one(db, &set->m[i], diag)) != TK_OK)
			goto out;
		if (out != NULL)
			fprintf(out, "applied %s\n", set->m[i].name);
		ran++;
	}
	if (out != NULL && ran == 0)
		fprintf(out, "schema is up to date\n");
out:
	(void)lock(db, 0, diag);
	return e;
}

tk_err
tk_migrate_repair(struct tk_db *db, unsigned version, int applied,
    struct tk_diag *diag)
{
	unsigned long long n = 0;
	struct tk_dbarg p = TK_PINT(version);
	static const char SQL_MARK[] =
	    "UPDATE schema_migrations SET finished_at = UTC_TIMESTAMP(6),"
	    " failure = CONCAT('repaired by hand after: ', COALESCE(failure, ''))"
	    " WHERE version = ? AND finished_at IS NULL";
	tk_err e;

	if ((e = tk_db_exec_text(db, SQL_CREATE, sizeof(SQL_CREATE) - 1)) != TK_OK)
		return e;
	e = tk_db_exec(db, applied ? SQL_MARK : SQL_FORGET, &p, 1, &n, NULL);
	if (e != TK_OK)
		return e;
	if (n == 0) {
		tk_diag_add(diag, "migration %04u is not half-applied; nothing "
		    "to repair", version);
		return TK_ERR_MIGRATION;
	}
	return TK_OK;
}
