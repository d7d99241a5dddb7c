/*
 * rows.h - query results as a table of string cells: store-internal.
 *
 * tk_db_query fetches every row of a result as strings (NULL for SQL
 * NULL), which keeps the binding code in one place (db.c).  Only the
 * store modules (src/store/, and the store tests) include this header:
 * each turns the cells into the typed rows its own header declares, so
 * struct tk_rows never leaves the store.
 */
#ifndef TASKER_STORE_ROWS_H
#define TASKER_STORE_ROWS_H

#include <stddef.h>

#include "tasker/db.h"
#include "tasker/error.h"

/* A fully fetched result: nrows x ncols cells; the result owns the cells. */
struct tk_rows {
	size_t   nrows;
	size_t   ncols;
	char   **cell;     /* cell[r * ncols + c], NULL for SQL NULL */
	size_t  *len;      /* byte lengths, parallel to cell */
};

#define TK_ROWS_INIT { 0, 0, NULL, NULL }

/* Runs a query and fetches every row into out (freed by tk_rows_free). */
tk_err tk_db_query(struct tk_db *db, const char *sql,
    const struct tk_dbarg *params, size_t nparams, struct tk_rows *out);

void        tk_rows_free(struct tk_rows *r);
/*
 * Rewrites column col of every row from MariaDB's DATETIME text
 * ("YYYY-MM-DD HH:MM:SS[.ffffff]") to the API's time stamps
 * ("YYYY-MM-DDTHH:MM:SSZ": whole seconds, cut as DATE_FORMAT's %s cuts
 * them).  Cheaper here than DATE_FORMAT in the server, where it was a
 * sixth of a task read's cost.  NULL cells stay NULL; TK_ERR_DB for a
 * cell of any other shape (r is then left as it was up to that cell).
 */
tk_err      tk_rows_iso_time(struct tk_rows *r, size_t col);
const char *tk_row_str(const struct tk_rows *r, size_t row, size_t col);
long long   tk_row_int(const struct tk_rows *r, size_t row, size_t col);
/* The byte length of a cell (0 for SQL NULL or out of range). */
size_t      tk_row_len(const struct tk_rows *r, size_t row, size_t col);
/*
 * Takes a cell over: returns it (NULL for SQL NULL or out of range),
 * its length in *len when len is not NULL, and leaves NULL in r, so
 * the caller owns (and frees) the string and tk_rows_free skips it.
 */
char       *tk_row_take(struct tk_rows *r, size_t row, size_t col,
    size_t *len);

#endif
