/*
 * deps.c - the dependency analysis of GET /tasks/{id}?include_dependencies:
 * which steps are done, ready, blocked (and by which parents), failed or
 * cancelled, and one sentence that says where the task stands.
 *
 * The sentence is derived from the same classification the lists come
 * from, most important fact first: finished, cancelled, failed, stuck
 * behind a cancelled step, retrying, not started, progressing.
 *
 * The task's state at a glance (tk_deps_glance: execution_status,
 * recommended_action, completion_percentage, each step's
 * dependencies_satisfied and retry_eligible) and whether it is stale
 * (tk_task_stale) are decided here too, from the same classification, so
 * the API layer only shapes them.  Each depends on stored rows only (and
 * stale on the clock), so a task's ETag can derive from its row_version.
 */
#include "tasker/deps.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/handler.h"

#define LIST_NAMES 3   /* names spelled out before "and N more" */

static int
is_done(enum tk_status s)
{
	return s == TK_ST_COMPLETE || s == TK_ST_RESOLVED_MANUALLY;
}

/* "step 'a'", "steps 'a' and 'b'", "steps 'a', 'b', 'c' and 2 more". */
static void
name_list(char *out, size_t sz, const struct tk_dep_step *steps, size_t n,
    const enum tk_dep_class *cls, enum tk_dep_class want)
{
	size_t i, k = 0, total = 0, o;

	for (i = 0; i < n; i++)
		total += cls[i] == want;
	o = (size_t)snprintf(out, sz, "%s", total == 1 ? "step " : "steps ");
	for (i = 0; i < n && o < sz; i++) {
		if (cls[i] != want)
			continue;
		if (k == LIST_NAMES) {
			o += (size_t)snprintf(out + o, sz - o, " and %zu more",
			    total - k);
			break;
		}
		o += (size_t)snprintf(out + o, sz - o, "%s'%s'",
		    k == 0 ? "" : (k + 1 == total ? " and " : ", "),
		    steps[i].name);
		k++;
	}
}

/* Steps that depend, directly or not, on a step of class want and are
 * not done themselves. */
static size_t
dependents(const struct tk_handler_def *def, const struct tk_dep_step *steps,
    size_t n, const enum tk_dep_class *cls, enum tk_dep_class want)
{
	unsigned char *hit;
	size_t i, k, count = 0;
	int changed = 1;

	if ((hit = calloc(n ? n : 1, 1)) == NULL)
		return 0;
	/* def->order is topological, so one pass would do; loop to a fixed
	 * point anyway, it costs nothing at 256 steps. */
	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++) {
			if (hit[i])
				continue;
			for (k = 0; k < def->steps[i].nparents; k++) {
				size_t p = def->steps[i].parents[k];

				if (p < n && (cls[p] == want || hit[p])) {
					hit[i] = 1;
					changed = 1;
					break;
				}
			}
		}
	}
	for (i = 0; i < n; i++)
		count += hit[i] && !is_done(steps[i].status);
	free(hit);
	return count;
}

/* How many steps fell in each class, and the facts the sentence needs. */
struct tally {
	size_t n, completed, resolved, ready, running, blocked, failed,
	    cancelled, retrying, held, rated;
};

/* Step i's class; counts it in t. */
static enum tk_dep_class
classify(const struct tk_handler_def *def, const struct tk_dep_step *steps,
    size_t n, size_t i, struct tally *t)
{
	enum tk_status s = steps[i].status;
	size_t k, p;

	if (is_done(s)) {
		t->completed++;
		t->resolved += s == TK_ST_RESOLVED_MANUALLY;
		return TK_DEP_COMPLETED;
	}
	if (s == TK_ST_CANCELLED) {
		t->cancelled++;
		return TK_DEP_CANCELLED;
	}
	if (s == TK_ST_ERROR && !steps[i].attempts_left) {
		t->failed++;
		return TK_DEP_FAILED;
	}
	for (k = 0; k < def->steps[i].nparents; k++) {
		p = def->steps[i].parents[k];
		if (p >= n || !is_done(steps[p].status)) {
			t->blocked++;
			return TK_DEP_BLOCKED;
		}
	}
	t->ready++;
	t->held += steps[i].held == 1 && s == TK_ST_PENDING;
	t->rated += steps[i].held == 2 && s == TK_ST_PENDING;
	t->running += s == TK_ST_IN_PROGRESS;
	t->retrying += s == TK_ST_ERROR;
	return TK_DEP_READY;
}

/* "s" after a count other than one. */
static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* Every step finished. */
static void
say_complete(const struct tally *t, char *out)
{
	if (t->n == 1)
		snprintf(out, TK_ANALYSIS_SIZE, "Task is complete: its only "
		    "step finished%s.", t->resolved ? ", resolved manually" :
		    "");
	else if (t->resolved)
		snprintf(out, TK_ANALYSIS_SIZE, "Task is complete: all %zu "
		    "steps finished, %zu of them resolved manually.", t->n,
		    t->resolved);
	else
		snprintf(out, TK_ANALYSIS_SIZE, "Task is complete: all %zu "
		    "steps finished.", t->n);
}

/* A step failed for good, or a cancelled one holds the rest back. */
static void
say_stuck(const struct tk_handler_def *def, const struct tk_dep_step *steps,
    const enum tk_dep_class *cls, const struct tally *t, char *out)
{
	enum tk_dep_class want = t->failed > 0 ? TK_DEP_FAILED :
	    TK_DEP_CANCELLED;
	size_t dep, many = t->failed > 0 ? t->failed : t->cancelled;
	char names[200], deps[64];

	name_list(names, sizeof(names), steps, t->n, cls, want);
	dep = dependents(def, steps, t->n, cls, want);
	if (want == TK_DEP_FAILED) {
		deps[0] = '\0';
		if (dep > 0)
			snprintf(deps, sizeof(deps), " and %zu dependent "
			    "step%s cannot run", dep, plural(dep));
		snprintf(out, TK_ANALYSIS_SIZE, "Task has failed: %s %s "
		    "no attempts left%s; retry the task or resolve the "
		    "step%s manually.", names, many == 1 ? "has" : "have",
		    deps, plural(many));
	} else if (dep > 0)
		snprintf(out, TK_ANALYSIS_SIZE, "Task cannot finish: %s %s "
		    "cancelled and %zu step%s depend%s on %s.", names,
		    many == 1 ? "was" : "were", dep, plural(dep),
		    dep == 1 ? "s" : "", many == 1 ? "it" : "them");
	else
		snprintf(out, TK_ANALYSIS_SIZE, "Task cannot finish: %s %s "
		    "cancelled; every other step is done.", names,
		    many == 1 ? "was" : "were");
}

/*
 * "1 running, 2 ready to run, 1 waiting on its parents": the parts of a
 * moving task that have steps (none with 0), at out's end, the first
 * after sep, then the sentence's end.
 */
static void
say_parts(const struct tally *t, char *out, const char *sep)
{
	size_t len = strlen(out),
	    ready = t->ready - t->running - t->held - t->rated;

	if (t->running > 0) {
		len += (size_t)snprintf(out + len, TK_ANALYSIS_SIZE - len,
		    "%s%zu running", sep, t->running);
		sep = ", ";
	}
	if (ready > 0 && len < TK_ANALYSIS_SIZE) {
		len += (size_t)snprintf(out + len, TK_ANALYSIS_SIZE - len,
		    "%s%zu ready to run", sep, ready);
		sep = ", ";
	}
	if (t->held > 0 && len < TK_ANALYSIS_SIZE) {
		len += (size_t)snprintf(out + len, TK_ANALYSIS_SIZE - len,
		    "%s%zu waiting for a concurrency slot", sep, t->held);
		sep = ", ";
	}
	if (t->rated > 0 && len < TK_ANALYSIS_SIZE) {
		len += (size_t)snprintf(out + len, TK_ANALYSIS_SIZE - len,
		    "%s%zu waiting for %s rate limit", sep, t->rated,
		    t->rated == 1 ? "its" : "their");
		sep = ", ";
	}
	if (t->blocked > 0 && len < TK_ANALYSIS_SIZE)
		len += (size_t)snprintf(out + len, TK_ANALYSIS_SIZE - len,
		    "%s%zu waiting on %s parents", sep, t->blocked,
		    t->blocked == 1 ? "its" : "their");
	if (len < TK_ANALYSIS_SIZE)
		snprintf(out + len, TK_ANALYSIS_SIZE - len, ".");
}

/* Retrying, not started, or on its way. */
static void
say_moving(const struct tk_dep_step *steps, const enum tk_dep_class *cls,
    const struct tally *t, char *out)
{
	size_t i, others;

	if (t->retrying > 0) {
		others = t->retrying - 1;
		for (i = 0; i < t->n; i++)
			if (cls[i] == TK_DEP_READY &&
			    steps[i].status == TK_ST_ERROR)
				break;
		snprintf(out, TK_ANALYSIS_SIZE, "Step '%s'", steps[i].name);
		if (others > 0)
			snprintf(out + strlen(out), TK_ANALYSIS_SIZE -
			    strlen(out), " and %zu other%s", others,
			    plural(others));
		snprintf(out + strlen(out), TK_ANALYSIS_SIZE - strlen(out),
		    " failed and will be retried; %zu of %zu step%s "
		    "complete.", t->completed, t->n, plural(t->n));
	} else if (t->completed == 0 && t->running == 0) {
		snprintf(out, TK_ANALYSIS_SIZE, "Task has not started yet");
		say_parts(t, out, ": ");
	} else {
		snprintf(out, TK_ANALYSIS_SIZE, "Task is progressing normally "
		    "through dependency chain: %zu of %zu step%s complete",
		    t->completed, t->n, plural(t->n));
		say_parts(t, out, ", ");
	}
}

/* Classifies the steps into cls and counts them into t. */
static void
tally_of(const struct tk_handler_def *def, const struct tk_dep_step *steps,
    size_t n, enum tk_dep_class *cls, struct tally *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->n = n > def->nsteps ? def->nsteps : n;
	for (i = 0; i < t->n; i++)
		cls[i] = classify(def, steps, t->n, i, t);
}

/* The sentence picks the most important fact first (see the top). */
void
tk_deps_analyse(const struct tk_handler_def *def,
    const struct tk_dep_step *steps, size_t n, enum tk_status task_status,
    enum tk_dep_class *cls, char analysis[TK_ANALYSIS_SIZE])
{
	struct tally t;

	tally_of(def, steps, n, cls, &t);
	if (task_status == TK_ST_COMPLETE || (t.n > 0 && t.completed == t.n))
		say_complete(&t, analysis);
	else if (task_status == TK_ST_CANCELLED)
		snprintf(analysis, TK_ANALYSIS_SIZE, "Task was cancelled with "
		    "%zu of %zu step%s complete%s", t.completed, t.n,
		    plural(t.n), t.running == 0 ? "." : t.running == 1 ?
		    "; a running step may still finish but will not revive "
		    "the task." : "; running steps may still finish but will "
		    "not revive the task.");
	else if (t.failed > 0 || (t.cancelled > 0 && t.ready == 0))
		say_stuck(def, steps, cls, &t, analysis);
	else
		say_moving(steps, cls, &t, analysis);
}

/* ---------------------------------------------------------------- at a glance */

static const char *const exec_names[] = {
	[TK_EXEC_COMPLETE] = "all_complete",
	[TK_EXEC_CANCELLED] = "cancelled",
	[TK_EXEC_BLOCKED] = "blocked_by_failures",
	[TK_EXEC_PROCESSING] = "processing",
	[TK_EXEC_READY] = "has_ready_steps",
	[TK_EXEC_RETRY_WAIT] = "waiting_for_retry",
	[TK_EXEC_WAITING] = "waiting_for_dependencies",
};

static const char *const action_names[] = {
	[TK_ACT_NONE] = "none",
	[TK_ACT_WAIT] = "wait",
	[TK_ACT_RETRY_TASK] = "retry_task",
	[TK_ACT_RESOLVE_STEP] = "resolve_step_manually",
};

const char *
tk_exec_status_name(enum tk_exec_status s)
{
	return exec_names[s];
}

const char *
tk_action_name(enum tk_action a)
{
	return action_names[a];
}

/* The first step of class want (SIZE_MAX: none). */
static size_t
first_of(const enum tk_dep_class *cls, size_t n, enum tk_dep_class want)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cls[i] == want)
			return i;
	return SIZE_MAX;
}

/*
 * Stuck: a step failed for good (retry the task, which gives failed
 * steps their attempts again, unless the first of them may not be
 * retried at all: then resolve it), or a cancelled step holds the rest
 * back (only resolving it lets them run).
 */
static void
glance_stuck(const struct tk_dep_step *steps, const enum tk_dep_class *cls,
    const struct tally *t, struct tk_glance *g)
{
	g->status = TK_EXEC_BLOCKED;
	if (t->failed > 0) {
		g->step = first_of(cls, t->n, TK_DEP_FAILED);
		g->action = steps[g->step].retryable ? TK_ACT_RETRY_TASK :
		    TK_ACT_RESOLVE_STEP;
	} else {
		g->step = first_of(cls, t->n, TK_DEP_CANCELLED);
		g->action = TK_ACT_RESOLVE_STEP;
	}
	if (g->action == TK_ACT_RETRY_TASK)
		g->step = SIZE_MAX;
}

void
tk_deps_glance(const struct tk_handler_def *def, struct tk_dep_step *steps,
    size_t n, enum tk_status task_status, enum tk_dep_class *cls,
    struct tk_glance *g)
{
	struct tally t;
	size_t i, k, p;

	tally_of(def, steps, n, cls, &t);
	memset(g, 0, sizeof(*g));
	g->step = SIZE_MAX;
	g->action = TK_ACT_WAIT;
	g->percent = t.n > 0 ? (unsigned)(t.completed * 100 / t.n) : 100;
	for (i = 0; i < t.n; i++) {
		steps[i].deps_ok = 1;
		for (k = 0; k < def->steps[i].nparents; k++) {
			p = def->steps[i].parents[k];
			if (p >= t.n || !is_done(steps[p].status))
				steps[i].deps_ok = 0;
		}
	}
	if (task_status == TK_ST_COMPLETE || (t.n > 0 && t.completed == t.n)) {
		g->status = TK_EXEC_COMPLETE;
		g->action = TK_ACT_NONE;
		g->percent = 100;
	} else if (task_status == TK_ST_CANCELLED) {
		g->status = TK_EXEC_CANCELLED;
		g->action = TK_ACT_NONE;
	} else if (t.failed > 0 || (t.cancelled > 0 && t.ready == 0))
		glance_stuck(steps, cls, &t, g);
	else if (t.running > 0)
		g->status = TK_EXEC_PROCESSING;
	else if (t.ready > t.retrying)
		g->status = TK_EXEC_READY;
	else if (t.retrying > 0)
		g->status = TK_EXEC_RETRY_WAIT;
	else
		g->status = TK_EXEC_WAITING;
}

int
tk_task_stale(enum tk_status status, const char *updated_at,
    const unsigned stale_after[TK_STALE_STATUSES], time_t now)
{
	struct tm tm;
	unsigned limit;

	if ((unsigned)status >= TK_STALE_STATUSES || updated_at == NULL ||
	    (limit = stale_after[status]) == 0 || tk_status_final(status))
		return 0;
	memset(&tm, 0, sizeof(tm));
	/* "2024-01-15T10:30:00Z", as the store gives it. */
	if (sscanf(updated_at, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return now - timegm(&tm) > (time_t)limit;
}

void
tk_deps_say_stale(char analysis[TK_ANALYSIS_SIZE], enum tk_status status)
{
	size_t len = strlen(analysis);

	if (len < TK_ANALYSIS_SIZE)
		snprintf(analysis + len, TK_ANALYSIS_SIZE - len, " The task is "
		    "stale: it has been %s for longer than api.stale_after "
		    "allows.", tk_status_name(status));
}
