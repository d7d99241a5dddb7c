/*
 * check.c - `tasker-admin check utf8`: finds the rows that hold text that
 * is not strict UTF-8, written before the API refused it.
 *
 * Every column a client or a step handler writes (scan_store.h) is read
 * in batches by primary key and checked with the one UTF-8 check
 * (utf8.h).  MariaDB's utf8mb4 stores surrogates (ED A0 80) but refuses
 * or replaces with '?' the other forms, and JSON_VALID (the JSON columns'
 * CHECK) refuses "\ud800" escapes, so surrogate bytes are what a database
 * can hold.  One line per bad value goes to stdout:
 *
 *   tasks id=0190f1a2-7b3c-7def-8a12-3456789abcde column=reason offset=3
 *
 * (offset: the first bad byte in the column's text), then a summary;
 * with --json one document instead: {"tables", "rows", "bad_rows",
 * "bad_values", "findings": [{"table", "keys": {NAME: VALUE},
 * "column", "offset"}]}.
 */
#include "tasker/admin.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tasker/buf.h"
#include "tasker/db.h"
#include "tasker/scan_store.h"
#include "tasker/uuid.h"
#include "tasker/utf8.h"

struct tally {
	unsigned long long rows, bad_rows, bad_values;
	json_object       *findings;   /* --json: the array, else NULL */
};

/* Key i of row w as text into b: a UUID, a number, printable ASCII as
 * it is, anything else as a hex literal MariaDB takes (0xEDA080). */
static void
format_key(const struct tk_scan_table *t, const struct tk_scan_row *w,
    size_t i, struct tk_buf *b)
{
	const unsigned char *s = (const unsigned char *)w->key[i];
	char id[TK_UUID_STR_SIZE];
	size_t n = w->keylen[i], j;

	tk_buf_reset(b);
	if (s == NULL) {
		tk_buf_puts(b, "NULL");
		return;
	}
	if (t->key == TK_SCAN_KEY_UUID && n == 16) {
		tk_uuid_format(s, id);
		tk_buf_puts(b, id);
		return;
	}
	for (j = 0; j < n; j++)
		if (s[j] <= 0x20 || s[j] >= 0x7f || s[j] == '"')
			break;
	if (j == n && n > 0) {
		tk_buf_append(b, s, n);
		return;
	}
	tk_buf_puts(b, "0x");
	for (j = 0; j < n; j++)
		tk_buf_printf(b, "%02X", s[j]);
}

/* One bad value: a line on stdout, or a member of tl->findings. */
static void
report_bad(const struct tk_scan_table *t, const struct tk_scan_row *w,
    const char *column, size_t offset, struct tally *tl)
{
	json_object *f = NULL, *keys = NULL;
	struct tk_buf b;
	size_t k;

	tk_buf_init(&b);
	if (tl->findings != NULL) {
		f = json_object_new_object();
		keys = json_object_new_object();
		json_object_object_add(f, "table",
		    json_object_new_string(t->name));
		json_object_object_add(f, "keys", keys);
	} else
		printf("%s", t->name);
	for (k = 0; k < t->nkeys && k < 2; k++) {
		format_key(t, w, k, &b);
		if (keys != NULL)
			json_object_object_add(keys, t->keynames[k],
			    json_object_new_string(tk_buf_str(&b)));
		else
			printf(" %s=%s", t->keynames[k], tk_buf_str(&b));
	}
	if (f != NULL) {
		json_object_object_add(f, "column",
		    json_object_new_string(column));
		json_object_object_add(f, "offset",
		    json_object_new_int64((int64_t)offset));
		json_object_array_add(tl->findings, f);
	} else
		printf(" column=%s offset=%zu\n", column, offset);
	tk_buf_free(&b);
}

/* Checks one batch; reports each bad value. */
static void
check_rows(const struct tk_scan_table *t, const struct tk_scan_batch *b,
    struct tally *tl)
{
	const struct tk_scan_row *w;
	size_t r, c, bad;
	int row_bad;

	for (r = 0; r < b->n; r++) {
		w = &b->v[r];
		tl->rows++;
		row_bad = 0;
		for (c = 0; c < w->ntext && t->columns[c] != NULL; c++) {
			if (w->text[c] == NULL || (bad = tk_utf8_bad(
			    w->text[c], w->len[c])) == w->len[c])
				continue;
			report_bad(t, w, t->columns[c], bad, tl);
			tl->bad_values++;
			row_bad = 1;
		}
		tl->bad_rows += (unsigned long long)row_bad;
	}
}

/* Scans one table; TK_OK or the database's error. */
static tk_err
check_table(struct tk_db *db, const struct tk_scan_table *t,
    struct tally *tl)
{
	struct tk_scan_cursor cur;
	struct tk_scan_batch b;
	size_t n;
	tk_err e;

	tk_scan_begin(&cur, t);
	do {
		if ((e = tk_scan_next(db, &cur, &b)) != TK_OK)
			break;
		check_rows(t, &b, tl);
		fflush(stdout);
		n = b.n;
		tk_scan_batch_free(&b);
	} while (n == TK_SCAN_BATCH);
	tk_scan_end(&cur);
	return e;
}

/* The --json document: the summary and the findings (taken over). */
static int
print_summary(const struct tally *tl)
{
	json_object *doc = json_object_new_object();

	if (doc == NULL) {
		json_object_put(tl->findings);
		return tk_admin_json_print(NULL);
	}
	json_object_object_add(doc, "tables",
	    json_object_new_int64((int64_t)tk_scan_ntables));
	json_object_object_add(doc, "rows",
	    json_object_new_int64((int64_t)tl->rows));
	json_object_object_add(doc, "bad_rows",
	    json_object_new_int64((int64_t)tl->bad_rows));
	json_object_object_add(doc, "bad_values",
	    json_object_new_int64((int64_t)tl->bad_values));
	json_object_object_add(doc, "findings", tl->findings);
	return tk_admin_json_print(doc);
}

int
tk_admin_check_utf8(const struct tk_config *cfg, int json)
{
	struct tally tl = { 0, 0, 0, NULL };
	struct tk_db *db = NULL;
	size_t i;
	tk_err e;
	int rc = 3;

	if (json && (tl.findings = json_object_new_array()) == NULL)
		goto out;
	if (tk_db_new(&cfg->db, &db) != TK_OK)
		goto out;
	if (tk_db_ensure(db) != TK_OK) {
		fprintf(stderr, "tasker-admin: cannot connect to the database: "
		    "%s\n", tk_db_error(db));
		goto out;
	}
	for (i = 0; i < tk_scan_ntables; i++)
		if ((e = check_table(db, &tk_scan_tables[i], &tl)) != TK_OK) {
			fprintf(stderr, "tasker-admin: reading %s: %s\n",
			    tk_scan_tables[i].name, tk_db_error(db));
			goto out;
		}
	if (json) {
		rc = print_summary(&tl);
		tl.findings = NULL;
		if (rc != 0)
			goto out;
	} else
		printf("utf8: %llu rows of %zu tables checked: %llu rows hold "
		    "%llu values that are not strict UTF-8\n", tl.rows,
		    tk_scan_ntables, tl.bad_rows, tl.bad_values);
	rc = tl.bad_rows > 0 ? 1 : 0;
out:
	json_object_put(tl.findings);
	tk_db_free(db);
	return rc;
}
