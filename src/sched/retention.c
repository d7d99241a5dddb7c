/*
 * retention.c - purging finished tasks by age (see sched.h and
 * purge_store.h).
 *
 * The rules of retention: for each of complete, cancelled and error: the
 * default age for every namespace that has no age of its own for that
 * status, and one rule per namespace that has (an age of 0 keeps them).
 * Each rule runs in batches until a batch comes back short or the round's
 * budget of batches is spent; the next round goes on.
 *
 * Export: each batch's tasks are appended to the export file, and the
 * file is flushed to disk (fdatasync), before the batch is deleted.  A
 * batch rolled back after its export (a deadlock, a lost connection) is
 * exported again by the batch that purges it: a task is in the file at
 * least once, never missing.
 */
#include "tasker/sched.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tasker/buf.h"
#include "tasker/log.h"
#include "tasker/purge_store.h"
#include "tasker/task_export.h"

static const enum tk_status statuses[3] = { TK_ST_COMPLETE,
    TK_ST_CANCELLED, TK_ST_ERROR };

static long long
age_of(const struct tk_retention_ages *a, size_t k)
{
	return k == 0 ? a->complete : k == 1 ? a->cancelled : a->error;
}

struct exporter {
	const char *path;
	int         fd;
};

/* tk_purge_export_fn: the batch's lines, on disk before the delete. */
static tk_err
export_batch(void *arg, struct tk_db *db, const unsigned char *ids, size_t n)
{
	struct exporter *x = arg;
	struct tk_buf b;
	ssize_t w;
	size_t off = 0;
	tk_err e;

	if (x->fd < 0 && (x->fd = open(x->path, O_WRONLY | O_APPEND |
	    O_CREAT | O_CLOEXEC, 0640)) < 0) {
		tk_log(TK_LOG_ERROR, "event=retention_export_failed errno=%d",
		    errno);
		return TK_ERR_IO;
	}
	tk_buf_init(&b);
	e = tk_task_export_lines(db, ids, n, &b);
	while (e == TK_OK && off < b.len) {
		if ((w = write(x->fd, b.data + off, b.len - off)) < 0) {
			if (errno == EINTR)
				continue;
			e = TK_ERR_IO;
		} else
			off += (size_t)w;
	}
	if (e == TK_OK && fdatasync(x->fd) < 0)
		e = TK_ERR_IO;
	tk_buf_free(&b);
	return e;
}

/* Batches of one rule, at most max; res adds up. */
static tk_err
run_rule(struct tk_db *db, const struct tk_purge_rule *r,
    struct exporter *x, unsigned max, struct tk_purge_result *res)
{
	unsigned long long before;
	unsigned i;
	tk_err e = TK_OK;

	for (i = 0; i < max; i++) {
		before = res->tasks;
		if ((e = tk_purge_store_batch(db, r, x->path != NULL ?
		    export_batch : NULL, x, res)) != TK_OK ||
		    res->tasks - before < TK_PURGE_BATCH)
			break;
	}
	return e;
}

/* The namespaces with an age of their own for status k, comma-joined. */
static char *
own_ages(const struct tk_retention_config *rc, size_t k)
{
	struct tk_buf b;
	size_t i;

	tk_buf_init(&b);
	for (i = 0; i < rc->nnamespaces; i++)
		if (age_of(&rc->namespaces[i].ages, k) >= 0)
			tk_buf_printf(&b, "%s%s", b.len ? "," : "",
			    rc->namespaces[i].name);
	if (b.failed || b.len == 0) {
		tk_buf_free(&b);
		return NULL;
	}
	return tk_buf_detach(&b);
}

tk_err
tk_retention_run(struct tk_db *db, const struct tk_retention_config *rc,
    unsigned max_batches, struct tk_purge_result *res)
{
	struct exporter x = { rc->export, -1 };
	struct tk_purge_rule r;
	size_t k, i;
	char *skip;
	tk_err e = TK_OK, e1;

	for (k = 0; k < 3; k++) {
		memset(&r, 0, sizeof(r));
		r.status = statuses[k];
		if ((r.older_than = age_of(&rc->ages, k)) > 0) {
			r.skip_ns = skip = own_ages(rc, k);
			if ((e1 = run_rule(db, &r, &x, max_batches, res)) != TK_OK)
				e = e1;
			free(skip);
			r.skip_ns = NULL;
		}
		for (i = 0; i < rc->nnamespaces; i++) {
			r.ns = rc->namespaces[i].name;
			if ((r.older_than = age_of(&rc->namespaces[i].ages,
			    k)) > 0 && (e1 = run_rule(db, &r, &x, max_batches,
			    res)) != TK_OK)
				e = e1;
		}
	}
	if (x.fd >= 0)
		close(x.fd);
	return e;
}

tk_err
tk_retention_purge(struct tk_db *db, const char *ns, long long older_than,
    const char *export, int dry_run, unsigned long long count[3])
{
	struct exporter x = { export, -1 };
	struct tk_purge_result res;
	struct tk_purge_rule r;
	size_t k;
	tk_err e = TK_OK;

	for (k = 0; k < 3 && e == TK_OK; k++) {
		memset(&r, 0, sizeof(r));
		memset(&res, 0, sizeof(res));
		r.ns = ns;
		r.status = statuses[k];
		r.older_than = older_than;
		if (dry_run)
			e = tk_purge_store_count(db, &r, &count[k]);
		else {
			e = run_rule(db, &r, &x, ~0u, &res);
			count[k] = res.tasks;
		}
	}
	if (x.fd >= 0)
		close(x.fd);
	return e;
}
