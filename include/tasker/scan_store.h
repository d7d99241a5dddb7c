/*
 * scan_store.h - reading, in small batches by primary key, every text and
 * JSON column a client or a step handler can have written, for checks of
 * the whole database (tasker-admin check utf8).
 *
 * Each batch is one plain SELECT in autocommit mode: a consistent read
 * that takes no row locks, over a primary-key range, so a scan of a large
 * database never holds up the service; rows written while it runs may or
 * may not be seen.
 */
#ifndef TASKER_SCAN_STORE_H
#define TASKER_SCAN_STORE_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"

#define TK_SCAN_BATCH 100   /* rows per query (contexts may be 1 MiB) */

/* How a table's primary key is shown and continued from. */
enum tk_scan_key {
	TK_SCAN_KEY_UUID,    /* one BINARY(16) column (tasks.id) */
	TK_SCAN_KEY_INT,     /* one integer column */
	TK_SCAN_KEY_TEXT2    /* two text columns (idempotency_keys) */
};

struct tk_scan_table {
	const char         *name;
	enum tk_scan_key    key;
	size_t              nkeys;     /* key columns, first in each row */
	const char *const  *keynames;  /* their names */
	const char *const  *columns;   /* the columns checked, after the
	                                  keys; NULL-terminated */
	const char         *sql;       /* the batch query */
};

/* Every table with such columns; tk_scan_ntables of them. */
extern const struct tk_scan_table tk_scan_tables[];
extern const size_t tk_scan_ntables;

/* Where a scan of one table is: the key of the last row read. */
struct tk_scan_cursor {
	const struct tk_scan_table *t;
	int      started;
	char    *key[2];      /* copies; the cursor owns them */
	size_t   keylen[2];
	long long last;       /* TK_SCAN_KEY_INT */
};

/*
 * A row read: its key (t->nkeys values) and the texts of the table's
 * columns (t->columns, in order); NULL for SQL NULL.  The row owns them.
 */
struct tk_scan_row {
	char   *key[2];
	size_t  keylen[2];
	char  **text;
	size_t *len;
	size_t  ntext;
};

/* A batch of rows (freed by tk_scan_batch_free). */
struct tk_scan_batch {
	struct tk_scan_row *v;
	size_t              n;
};

void   tk_scan_begin(struct tk_scan_cursor *c, const struct tk_scan_table *t);
/*
 * The next at most TK_SCAN_BATCH rows of the table after the cursor, in
 * primary-key order, into out; none at the end.  Moves the cursor on.
 * TK_ERR_DB, TK_ERR_DB_UNAVAILABLE, TK_ERR_NOMEM (out is empty then).
 */
tk_err tk_scan_next(struct tk_db *db, struct tk_scan_cursor *c,
    struct tk_scan_batch *out);
void   tk_scan_end(struct tk_scan_cursor *c);
/* Frees what the batch owns and leaves it empty. */
void   tk_scan_batch_free(struct tk_scan_batch *b);

#endif
