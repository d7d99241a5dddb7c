/*
 * fake_step_store.c - the in-memory store of t/engine_flow_tests (see
 * fake_step_store.h for what it stands in for and why it links first).
 * Each call does what its statement in src/store/ does to the rows;
 * none decides anything the engine or state.c should decide.
 */
#include "fake_step_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/catalog.h"
#include "tasker/db.h"
#include "tasker/hooks.h"
#include "tasker/transition_store.h"

struct fake_world fake;

struct tk_db {
	int connected;
};

static struct tk_catalog_version version;
static struct tk_catalog catalog;
static const struct tk_handler_def *the_def;

/* ---------------------------------------------------------------- world */

void
fake_reset(unsigned hv, const struct tk_handler_def *def)
{
	memset(&fake, 0, sizeof(fake));
	fake.now_us = 1000000000000LL;
	memset(fake.task.id, 0x5a, sizeof(fake.task.id));
	fake.task.status = TK_ST_PENDING;
	fake.task.hv = hv;
	snprintf(fake.task.context, sizeof(fake.task.context),
	    "{\"n\": 1}");
	the_def = def;
	memset(&version, 0, sizeof(version));
	version.id = hv;
	version.def = (struct tk_handler_def *)def;
}

struct fake_step *
fake_add_step(const struct tk_handler_def *def, size_t position)
{
	const struct tk_step_def *sd = &def->steps[position];
	struct fake_step *s = &fake.steps[fake.nsteps];

	memset(s, 0, sizeof(*s));
	s->id = 100 + fake.nsteps++;
	memcpy(s->task, fake.task.id, sizeof(s->task));
	s->position = position;
	snprintf(s->name, sizeof(s->name), "%s", sd->name);
	s->status = TK_ST_PENDING;
	s->retry_limit = sd->retry_limit;
	s->retryable = sd->retryable;
	s->unmet_parents = (unsigned)sd->nparents;
	s->ready = sd->nparents == 0;
	s->ready_at_us = fake.now_us;
	return s;
}

struct fake_step *
fake_step(size_t position)
{
	size_t i;

	for (i = 0; i < fake.nsteps; i++)
		if (fake.steps[i].position == position)
			return &fake.steps[i];
	return NULL;
}

const struct fake_transition *
fake_last_transition(const struct fake_step *s)
{
	size_t i;

	for (i = fake.nhistory; i > 0; i--)
		if (fake.history[i - 1].step == s->id)
			return &fake.history[i - 1];
	return NULL;
}

/* The step row id (NULL: none), as a statement on db would find it. */
static struct fake_step *
row(struct tk_db *db, unsigned long long id)
{
	size_t i;

	(void)db;
	for (i = 0; i < fake.nsteps; i++)
		if (fake.steps[i].id == id)
			return &fake.steps[i];
	return NULL;
}

static int
our_task(const unsigned char task[16])
{
	return memcmp(task, fake.task.id, 16) == 0;
}

static void
put(char *dst, size_t sz, const char *src)
{
	snprintf(dst, sz, "%s", src != NULL ? src : "");
}

/* ---------------------------------------------------------------- db.h */

tk_err
tk_db_new(const struct tk_db_config *cfg, struct tk_db **out)
{
	(void)cfg;
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? TK_OK : TK_ERR_NOMEM;
}

void
tk_db_free(struct tk_db *db)
{
	free(db);
}

tk_err
tk_db_ensure(struct tk_db *db)
{
	db->connected = 1;
	return TK_OK;
}

void
tk_db_disconnect(struct tk_db *db)
{
	db->connected = 0;
}

int
tk_db_connected(const struct tk_db *db)
{
	return db->connected;
}

void
tk_db_set_retry(struct tk_db *db, int on)
{
	(void)db;
	(void)on;
}

/* fn on a copy of the world, kept when it succeeds: a rollback else. */
tk_err
tk_db_txn(struct tk_db *db, tk_txn_fn fn, void *arg)
{
	static struct fake_world saved;
	tk_err e;

	db->connected = 1;
	saved = fake;
	if ((e = fn(db, arg)) != TK_OK) {
		fake = saved;
		return e;
	}
	fake.txns++;
	return TK_OK;
}

int
tk_db_transient(const struct tk_db *db)
{
	(void)db;
	return fake.db_transient;
}

const char *
tk_db_error(const struct tk_db *db)
{
	(void)db;
	return fake.refuse_results ? "Data too long for column 'results'" :
	    "";
}

/* ---------------------------------------------------------------- catalog */

tk_err
tk_catalog_refresh(struct tk_catalog **cat, struct tk_db *db,
    unsigned refresh_ms)
{
	(void)db;
	(void)refresh_ms;
	*cat = &catalog;
	return TK_OK;
}

void
tk_catalog_free(struct tk_catalog *cat)
{
	(void)cat;   /* static */
}

const struct tk_catalog_version *
tk_catalog_by_id(const struct tk_catalog *cat, unsigned id)
{
	return cat != NULL && the_def != NULL && id == version.id ?
	    &version : NULL;
}

/* ---------------------------------------------------------------- claim */

/* The oldest ready step (of task, when not NULL). */
static tk_err
fake_next_ready(const unsigned char *task, struct tk_step_ready *out,
    int *found)
{
	struct fake_step *s, *best = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < fake.nsteps; i++) {
		s = &fake.steps[i];
		if (task != NULL && memcmp(s->task, task, 16) != 0)
			continue;
		if (s->ready && s->ready_at_us <= fake.now_us &&
		    (best == NULL || s->ready_at_us < best->ready_at_us))
			best = s;
	}
	if ((*found = best != NULL) == 0)
		return TK_OK;
	out->id = best->id;
	out->well_formed = 1;
	memcpy(out->task, best->task, sizeof(out->task));
	out->position = best->position;
	memcpy(out->name, best->name, sizeof(out->name));
	out->status = best->status;
	out->attempts = best->attempts;
	out->retry_limit = best->retry_limit;
	out->retryable = best->retryable;
	out->unmet_parents = best->unmet_parents > 0;
	out->lease_epoch = best->lease_epoch;
	return TK_OK;
}

tk_err
tk_step_store_next_ready(struct tk_db *db, struct tk_step_ready *out,
    int *found)
{
	(void)db;
	return fake_next_ready(NULL, out, found);
}

tk_err
tk_step_store_next_ready_of(struct tk_db *db, const unsigned char task[16],
    struct tk_step_ready *out, int *found)
{
	(void)db;
	return fake_next_ready(task, out, found);
}

static tk_err copy_out(const char *text, char **out, size_t *len);

tk_err
tk_step_store_claim_task(struct tk_db *db, const unsigned char task[16],
    struct tk_step_task *out, char **context, size_t *context_len)
{
	(void)db;
	*context = NULL;
	*context_len = 0;
	if (our_task(task) && copy_out(fake.task.context, context,
	    context_len) != TK_OK)
		return TK_ERR_NOMEM;
	memset(out, 0, sizeof(*out));
	out->status = our_task(task) ? fake.task.status : -1;
	out->hv = fake.task.hv;
	out->names_ok = the_def != NULL;
	if (the_def != NULL) {
		put(out->ns, sizeof(out->ns), the_def->namespace_name);
		put(out->handler, sizeof(out->handler), the_def->name);
		put(out->version, sizeof(out->version), the_def->version);
	}
	return TK_OK;
}

/* The flow tests' handlers set no max_in_flight: never called there. */
tk_err
tk_step_store_slot_take(struct tk_db *db, const char *key, unsigned limit,
    unsigned long long id, int *taken)
{
	(void)db;
	(void)key;
	(void)limit;
	(void)id;
	fake.limit_calls++;
	*taken = 1;
	return TK_OK;
}

tk_err
tk_step_store_hold(struct tk_db *db, const char *key, unsigned long long id)
{
	(void)db;
	(void)key;
	(void)id;
	return TK_OK;
}

/* Concurrency and rate limits (0012): counted; a slot is always free, a
 * rate limit waits fake.rate_wait_us. */
tk_err
tk_step_store_hold_for(struct tk_db *db, const char *key,
    unsigned long long id, long long wait_us)
{
	struct fake_step *s = row(db, id);

	(void)key;
	fake.limit_calls++;
	if (s != NULL) {
		s->ready = 1;
		s->ready_at_us = fake.now_us + wait_us;
	}
	return TK_OK;
}

tk_err
tk_step_store_task_slot_take(struct tk_db *db, const char *key,
    unsigned limit, unsigned long long id, const unsigned char task[16],
    int *taken)
{
	(void)task;
	return tk_step_store_slot_take(db, key, limit, id, taken);
}

tk_err
tk_step_store_rate_take(struct tk_db *db, const char *key,
    long long interval_us, long long *wait_us)
{
	(void)db;
	(void)key;
	(void)interval_us;
	fake.limit_calls++;
	*wait_us = fake.rate_wait_us;
	return TK_OK;
}

tk_err
tk_step_store_unready(struct tk_db *db, unsigned long long id)
{
	struct fake_step *s = row(db, id);

	if (s != NULL)
		s->ready = 0;
	return TK_OK;
}

/* The lease part of the claim's compare-and-set (TK_ALSO_TAKE). */
static tk_err
fake_take(struct tk_db *db, unsigned long long id, const char *owner,
    unsigned lease_seconds)
{
	struct fake_step *s = row(db, id);

	if (s == NULL)
		return TK_OK;
	s->attempts++;
	put(s->owner, sizeof(s->owner), owner);
	s->lease_epoch++;
	s->leased = 1;
	s->lease_expires_us = fake.now_us + lease_seconds * 1000000LL;
	s->ready = 0;
	return TK_OK;
}

/* ---------------------------------------------------------------- running */

/* Another worker reaped the step and claimed it again (fake.steal_step). */
static void
steal(struct fake_step *s)
{
	put(s->owner, sizeof(s->owner), "worker-b");
	if (!fake.steal_same_attempt)
		s->attempts++;
	s->lease_epoch++;
	fake.steal_step = 0;
}

tk_err
tk_step_store_renew(struct tk_db *db, unsigned long long id,
    const char *owner, unsigned attempt, unsigned lease_seconds, int *held)
{
	struct fake_step *s = row(db, id);

	if (s != NULL && fake.steal_on_renew && fake.steal_step == id)
		steal(s);
	*held = s != NULL && strcmp(s->owner, owner) == 0 &&
	    s->attempts == attempt;
	if (*held)
		s->lease_expires_us = fake.now_us + lease_seconds * 1000000LL;
	return TK_OK;
}

tk_err
tk_step_store_status(struct tk_db *db, unsigned long long id, int *status,
    unsigned *attempts)
{
	struct fake_step *s = row(db, id);

	*status = s != NULL ? s->status : -1;
	*attempts = s != NULL ? s->attempts : 0;
	return TK_OK;
}

static tk_err
copy_out(const char *text, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (text == NULL)
		return TK_OK;
	if ((*out = strdup(text)) == NULL)
		return TK_ERR_NOMEM;
	*len = strlen(text);
	return TK_OK;
}

tk_err
tk_step_store_context(struct tk_db *db, const unsigned char task[16],
    char **out, size_t *len)
{
	(void)db;
	fake.input_reads++;
	return copy_out(our_task(task) ? fake.task.context : NULL, out, len);
}

tk_err
tk_step_store_parent_results(struct tk_db *db, const unsigned char task[16],
    const char *name, char **out, size_t *len)
{
	size_t i;

	(void)db;
	fake.input_reads++;
	for (i = 0; our_task(task) && i < fake.nsteps; i++)
		if (strcmp(fake.steps[i].name, name) == 0 &&
		    fake.steps[i].has_results)
			return copy_out(fake.steps[i].results, out, len);
	return copy_out(NULL, out, len);
}

tk_err
tk_step_store_context_parent(struct tk_db *db, const unsigned char task[16],
    const char *name, char **ctx, size_t *ctx_len, char **res,
    size_t *res_len)
{
	tk_err e;

	*res = NULL;
	if ((e = tk_step_store_context(db, task, ctx, ctx_len)) != TK_OK)
		return e;
	if ((e = tk_step_store_parent_results(db, task, name, res,
	    res_len)) != TK_OK) {
		free(*ctx);
		*ctx = NULL;
	}
	return e;
}

tk_err
tk_step_store_max_packet(struct tk_db *db, unsigned long long *bytes)
{
	(void)db;
	*bytes = 16u << 20;
	return TK_OK;
}

/* ---------------------------------------------------------------- record */

tk_err
tk_step_store_lock_held(struct tk_db *db, unsigned long long id,
    struct tk_step_held *out)
{
	struct fake_step *s = row(db, id);

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return TK_OK;
	if (!fake.steal_on_renew && fake.steal_step == id)
		steal(s);
	out->found = 1;
	out->status = s->status;
	out->attempts = s->attempts;
	out->has_owner = s->owner[0] != '\0';
	put(out->owner, sizeof(out->owner), s->owner);
	out->retryable = s->retryable;
	out->retry_limit = s->retry_limit;
	out->task_status = our_task(s->task) ? fake.task.status : -1;
	return TK_OK;
}

tk_err
tk_step_store_lock_task(struct tk_db *db, const unsigned char task[16],
    int *status)
{
	(void)db;
	*status = our_task(task) ? fake.task.status : -1;
	return TK_OK;
}

static void
drop_lease(struct fake_step *s)
{
	s->owner[0] = '\0';
	s->leased = 0;
}

/* An attempt ended without results: error (NULL: last_error kept),
 * lease dropped, ready after delay_us when ready. */
static tk_err
end_attempt(struct fake_step *s, const char *error, int ready,
    long long delay_us)
{
	if (s == NULL)
		return TK_OK;
	if (error != NULL)
		put(s->last_error, sizeof(s->last_error), error);
	drop_lease(s);
	s->ready = ready;
	s->ready_at_us = fake.now_us + delay_us;
	return TK_OK;
}

/* The results part of a success's compare-and-set (TK_ALSO_DONE). */
static tk_err
fake_done(struct tk_db *db, unsigned long long id, const char *results)
{
	struct fake_step *s = row(db, id);

	if (fake.refuse_results)
		return TK_ERR_DB;
	if (s == NULL)
		return TK_OK;
	put(s->results, sizeof(s->results), results);
	s->has_results = 1;
	drop_lease(s);
	s->ready = 0;
	return TK_OK;
}

tk_err
tk_step_store_failed(struct tk_db *db, unsigned long long id,
    const char *error, int again, unsigned long long delay_us)
{
	return end_attempt(row(db, id), error, again, (long long)delay_us);
}

tk_err
tk_step_store_released(struct tk_db *db, unsigned long long id, int ready)
{
	struct fake_step *s = row(db, id);

	if (s != NULL)
		s->attempts = s->attempts > 0 ? s->attempts - 1 : 0;
	return end_attempt(s, NULL, ready, 0);
}

tk_err
tk_step_store_late_results(struct tk_db *db, unsigned long long id,
    const char *results)
{
	struct fake_step *s = row(db, id);

	if (s != NULL) {
		put(s->results, sizeof(s->results), results);
		s->has_results = 1;
		drop_lease(s);
	}
	return TK_OK;
}

tk_err
tk_step_store_late_error(struct tk_db *db, unsigned long long id,
    const char *error)
{
	struct fake_step *s = row(db, id);

	if (s != NULL) {
		put(s->last_error, sizeof(s->last_error), error);
		drop_lease(s);
	}
	return TK_OK;
}

tk_err
tk_step_store_lease_clear(struct tk_db *db, unsigned long long id)
{
	struct fake_step *s = row(db, id);

	if (s != NULL)
		drop_lease(s);
	return TK_OK;
}

/* ---------------------------------------------------------------- reap */

tk_err
tk_step_store_expired(struct tk_db *db, struct tk_step_expired *out,
    size_t *n)
{
	struct fake_step *s;
	size_t i;

	(void)db;
	*n = 0;
	for (i = 0; i < fake.nsteps && *n < TK_STEP_REAP_BATCH; i++) {
		s = &fake.steps[i];
		if (!s->leased || s->lease_expires_us >= fake.now_us)
			continue;
		memset(&out[*n], 0, sizeof(out[*n]));
		out[*n].id = s->id;
		out[*n].task_ok = 1;
		memcpy(out[*n].task, s->task, sizeof(s->task));
		out[*n].status = s->status;
		out[*n].attempts = s->attempts;
		out[*n].retry_limit = s->retry_limit;
		out[*n].retryable = s->retryable;
		out[*n].has_owner = s->owner[0] != '\0';
		put(out[*n].owner, sizeof(out[*n].owner), s->owner);
		(*n)++;
	}
	return TK_OK;
}

tk_err
tk_step_store_reaped(struct tk_db *db, unsigned long long id,
    const char *error, int again)
{
	return end_attempt(row(db, id), error, again, 0);
}

tk_err
tk_step_store_ready_count(struct tk_db *db, unsigned limit, unsigned *n)
{
	size_t i;

	(void)db;
	*n = 0;
	for (i = 0; i < fake.nsteps && *n < limit; i++)
		if (fake.steps[i].ready &&
		    fake.steps[i].ready_at_us <= fake.now_us)
			(*n)++;
	return TK_OK;
}

/* ---------------------------------------------------------------- workers */

tk_err
tk_step_store_worker_start(struct tk_db *db, const char *id,
    const char *host, unsigned pid, unsigned processes)
{
	(void)db;
	(void)id;
	(void)host;
	(void)pid;
	(void)processes;
	return TK_OK;
}

tk_err
tk_step_store_worker_beat(struct tk_db *db, const char *id)
{
	(void)db;
	(void)id;
	return TK_OK;
}

tk_err
tk_step_store_worker_stop(struct tk_db *db, const char *id)
{
	(void)db;
	(void)id;
	return TK_OK;
}

/* ---------------------------------------------------------- transitions */

tk_err
tk_transition_store_step_cas(struct tk_db *db, unsigned long long step_id,
    enum tk_status from, enum tk_status to, int *changed)
{
	struct fake_step *s = row(db, step_id);

	*changed = s != NULL && s->status == (int)from;
	if (*changed)
		s->status = (int)to;
	return TK_OK;
}

tk_err
tk_transition_store_step_cas_also(struct tk_db *db,
    unsigned long long step_id, const unsigned char task_id[16],
    enum tk_status from, enum tk_status to,
    const struct tk_step_also *also, int *changed)
{
	(void)task_id;
	/* One statement: a refused value changes nothing. */
	if (also->kind == TK_ALSO_DONE && fake.refuse_results) {
		*changed = 0;
		return TK_ERR_DB;
	}
	(void)tk_transition_store_step_cas(db, step_id, from, to, changed);
	if (!*changed)
		return TK_OK;
	if (also->kind == TK_ALSO_TAKE)
		return fake_take(db, step_id, also->owner, also->lease_seconds);
	return fake_done(db, step_id, also->results);
}

tk_err
tk_transition_store_task_cas(struct tk_db *db,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    int completed, int *changed)
{
	(void)db;
	(void)completed;
	*changed = our_task(task_id) && fake.task.status == (int)from;
	if (*changed)
		fake.task.status = (int)to;
	return TK_OK;
}

tk_err
tk_transition_store_step_log(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason)
{
	struct fake_transition *t;

	(void)db;
	(void)task_id;
	(void)actor;
	if (fake.nhistory == FAKE_HISTORY)
		return TK_ERR_NOMEM;
	t = &fake.history[fake.nhistory++];
	t->step = step_id;
	t->from = (int)from;
	t->to = (int)to;
	t->attempt = attempt;
	put(t->reason, sizeof(t->reason), reason);
	return TK_OK;
}

/* Held or not, a row of the transaction: the same row in the end. */
tk_err
tk_transition_store_step_hold(struct tk_db *db, unsigned long long step_id,
    const unsigned char task_id[16], enum tk_status from, enum tk_status to,
    unsigned attempt, const char *actor, const char *reason)
{
	return tk_transition_store_step_log(db, step_id, task_id, from, to,
	    attempt, actor, reason);
}

tk_err
tk_transition_store_flush(struct tk_db *db)
{
	(void)db;
	return TK_OK;
}

tk_err
tk_transition_store_task_log(struct tk_db *db,
    const unsigned char task_id[16], int from, enum tk_status to,
    const char *actor, const char *reason)
{
	(void)db;
	(void)task_id;
	(void)from;
	(void)to;
	(void)actor;
	(void)reason;
	fake.task_changes++;
	return TK_OK;
}

tk_err
tk_transition_store_count(struct tk_db *db, unsigned hv_id,
    enum tk_status s, unsigned slot, int delta)
{
	(void)db;
	(void)hv_id;
	(void)s;
	(void)slot;
	(void)delta;
	return TK_OK;
}

tk_err
tk_transition_store_count_move(struct tk_db *db, unsigned hv_id,
    enum tk_status from, enum tk_status to, unsigned slot)
{
	(void)db;
	(void)hv_id;
	(void)from;
	(void)to;
	(void)slot;
	return TK_OK;
}

tk_err
tk_transition_store_steps(struct tk_db *db, const unsigned char task_id[16],
    struct tk_transition_step **out, size_t *n)
{
	size_t i;

	(void)db;
	*out = NULL;
	*n = 0;
	if (!our_task(task_id) || fake.nsteps == 0)
		return TK_OK;
	if ((*out = calloc(fake.nsteps, sizeof(**out))) == NULL)
		return TK_ERR_NOMEM;
	for (i = 0; i < fake.nsteps; i++) {
		(*out)[i].status = fake.steps[i].status;
		(*out)[i].ready = fake.steps[i].ready;
	}
	*n = fake.nsteps;
	return TK_OK;
}

tk_err
tk_transition_store_task_hv(struct tk_db *db, const unsigned char task_id[16],
    unsigned *hv)
{
	(void)db;
	*hv = our_task(task_id) ? fake.task.hv : 0;
	return TK_OK;
}

/* ready_at first, as the statement assigns it (SET left to right). */
tk_err
tk_transition_store_release(struct tk_db *db, const unsigned char task_id[16],
    size_t position)
{
	struct fake_step *s = fake_step(position);

	(void)db;
	if (!our_task(task_id) || s == NULL || s->unmet_parents == 0)
		return TK_OK;
	if (s->unmet_parents == 1 && s->status == TK_ST_PENDING) {
		s->ready = 1;
		s->ready_at_us = fake.now_us;
	}
	s->unmet_parents--;
	return TK_OK;
}

/* The worker's webhook round (src/hooks/deliver.c) has a database of
 * its own; the flows here configure no webhooks. */
void
tk_hooks_round(const struct tk_config *cfg, long long now_ms)
{
	(void)cfg;
	(void)now_ms;
}

/* The supervisor's housekeeping (sched.h) is linked in with worker.c;
 * its store objects would clash with this file's, and the engine flow
 * never runs a supervisor. */
void tk_housekeep(const struct tk_config *cfg, long long now_ms);

void
tk_housekeep(const struct tk_config *cfg, long long now_ms)
{
	(void)cfg;
	(void)now_ms;
}
