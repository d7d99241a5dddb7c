/*
 * scan_store.c - batches of every client- or handler-written text column
 * by primary key (see scan_store.h).
 *
 * Keyset pagination ("after the last key, ORDER BY the key, LIMIT n")
 * reads each batch straight off the primary index, however far the scan
 * has got; OFFSET would read every earlier row again.
 */
#include "tasker/scan_store.h"

#include <stdlib.h>
#include <string.h>

#include "rows.h"

#define LIMIT " LIMIT 100"   /* TK_SCAN_BATCH */

static const char SQL_TASKS[] =
    "SELECT id, context, initiator, source_system, reason, tags"
    " FROM tasks WHERE id > ? ORDER BY id" LIMIT;
static const char SQL_STEPS[] =
    "SELECT id, results, last_error"
    " FROM workflow_steps WHERE id > ? ORDER BY id" LIMIT;
static const char SQL_TASK_TRANS[] =
    "SELECT id, actor, reason"
    " FROM task_transitions WHERE id > ? ORDER BY id" LIMIT;
static const char SQL_STEP_TRANS[] =
    "SELECT id, actor, reason"
    " FROM step_transitions WHERE id > ? ORDER BY id" LIMIT;
/* Both ranges are on the primary key (principal, idem_key). */
static const char SQL_IDEM[] =
    "SELECT principal, idem_key, principal, idem_key"
    " FROM idempotency_keys WHERE principal > ?"
    " OR (principal = ? AND idem_key > ?)"
    " ORDER BY principal, idem_key" LIMIT;

static const char *const k_id[] = { "id", NULL };
static const char *const k_idem[] = { "principal", "idem_key", NULL };
static const char *const c_tasks[] = { "context", "initiator",
    "source_system", "reason", "tags", NULL };
static const char *const c_steps[] = { "results", "last_error", NULL };
static const char *const c_trans[] = { "actor", "reason", NULL };

const struct tk_scan_table tk_scan_tables[] = {
	{ "tasks", TK_SCAN_KEY_UUID, 1, k_id, c_tasks, SQL_TASKS },
	{ "workflow_steps", TK_SCAN_KEY_INT, 1, k_id, c_steps, SQL_STEPS },
	{ "task_transitions", TK_SCAN_KEY_INT, 1, k_id, c_trans,
	    SQL_TASK_TRANS },
	{ "step_transitions", TK_SCAN_KEY_INT, 1, k_id, c_trans,
	    SQL_STEP_TRANS },
	{ "idempotency_keys", TK_SCAN_KEY_TEXT2, 2, k_idem, k_idem, SQL_IDEM },
};
const size_t tk_scan_ntables = sizeof(tk_scan_tables) /
    sizeof(tk_scan_tables[0]);

void
tk_scan_begin(struct tk_scan_cursor *c, const struct tk_scan_table *t)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
}

void
tk_scan_end(struct tk_scan_cursor *c)
{
	free(c->key[0]);
	free(c->key[1]);
	memset(c, 0, sizeof(*c));
}

/* Remembers the key of row r of rows (the last one read). */
static tk_err
remember(struct tk_scan_cursor *c, const struct tk_rows *rows, size_t r)
{
	size_t i, n;
	char *copy;

	if (c->t->key == TK_SCAN_KEY_INT) {
		c->last = tk_row_int(rows, r, 0);
		return TK_OK;
	}
	for (i = 0; i < c->t->nkeys; i++) {
		n = rows->len[r * rows->ncols + i];
		if ((copy = malloc(n + 1)) == NULL)
			return TK_ERR_NOMEM;
		if (n > 0)
			memcpy(copy, tk_row_str(rows, r, i), n);
		copy[n] = '\0';
		free(c->key[i]);
		c->key[i] = copy;
		c->keylen[i] = n;
	}
	return TK_OK;
}

void
tk_scan_batch_free(struct tk_scan_batch *b)
{
	size_t i, k;

	for (i = 0; b->v != NULL && i < b->n; i++) {
		free(b->v[i].key[0]);
		free(b->v[i].key[1]);
		for (k = 0; b->v[i].text != NULL && k < b->v[i].ntext; k++)
			free(b->v[i].text[k]);
		free(b->v[i].text);
		free(b->v[i].len);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/* Row i of r (nkeys key columns, then the texts) into w, taking its
 * cells over. */
static tk_err
row_take(struct tk_rows *r, size_t i, size_t nkeys, struct tk_scan_row *w)
{
	size_t k;

	for (k = 0; k < nkeys && k < 2; k++)
		w->key[k] = tk_row_take(r, i, k, &w->keylen[k]);
	if (r->ncols <= nkeys)
		return TK_OK;
	w->ntext = r->ncols - nkeys;
	w->text = calloc(w->ntext, sizeof(*w->text));
	w->len = calloc(w->ntext, sizeof(*w->len));
	if (w->text == NULL || w->len == NULL)
		return TK_ERR_NOMEM;
	for (k = 0; k < w->ntext; k++)
		w->text[k] = tk_row_take(r, i, nkeys + k, &w->len[k]);
	return TK_OK;
}

/* Every row of r into out; on failure out is empty. */
static tk_err
batch_take(struct tk_rows *r, size_t nkeys, struct tk_scan_batch *out)
{
	size_t i;
	tk_err e = TK_OK;

	if (r->nrows == 0)
		return TK_OK;
	if ((out->v = calloc(r->nrows, sizeof(*out->v))) == NULL)
		return TK_ERR_NOMEM;
	out->n = r->nrows;
	for (i = 0; i < r->nrows && e == TK_OK; i++)
		e = row_take(r, i, nkeys, &out->v[i]);
	if (e != TK_OK)
		tk_scan_batch_free(out);
	return e;
}

/* The parameters of the cursor's next batch into p; returns how many. */
static size_t
next_params(const struct tk_scan_cursor *c, struct tk_dbarg *p)
{
	switch (c->t->key) {
	case TK_SCAN_KEY_UUID:
		/* "" sorts before every id. */
		p[0] = TK_PBLOB(c->started ? c->key[0] : "",
		    c->started ? c->keylen[0] : 0);
		return 1;
	case TK_SCAN_KEY_INT:
		p[0] = TK_PINT(c->started ? c->last : 0);
		return 1;
	case TK_SCAN_KEY_TEXT2:
		p[0] = TK_PSTRN(c->started ? c->key[0] : "",
		    c->started ? c->keylen[0] : 0);
		p[1] = p[0];
		p[2] = TK_PSTRN(c->started ? c->key[1] : "",
		    c->started ? c->keylen[1] : 0);
		return 3;
	}
	return 0;
}

tk_err
tk_scan_next(struct tk_db *db, struct tk_scan_cursor *c,
    struct tk_scan_batch *out)
{
	struct tk_rows r = TK_ROWS_INIT;
	struct tk_dbarg p[3];
	tk_err e;

	memset(out, 0, sizeof(*out));
	if ((e = tk_db_query(db, c->t->sql, p, next_params(c, p), &r))
	    != TK_OK)
		return e;
	if (r.nrows > 0) {
		c->started = 1;
		if ((e = remember(c, &r, r.nrows - 1)) == TK_OK)
			e = batch_take(&r, c->t->nkeys, out);
	}
	tk_rows_free(&r);
	return e;
}
