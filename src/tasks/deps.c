/*
 * deps.c - the dependency analysis of GET /tasks/{id}?include_dependencies:
 * which steps are done, ready, blocked (and by which parents), failed or
 * cancelled, and one sentence that says where the task stands.
 *
 * The sentence is derived from the same classification the lists come
 * from, most important fact first: finished, cancelled, failed, stuck
 * behind a cancelled step, retrying, not started, progressing.
 */
#include "tasker/deps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/handler.h"

#define LIST_NAMES 3   /* names spelled out before "and N more" */

static int
done(enum tk_status s)
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
		count += hit[i] && !done(steps[i].status);
	free(hit);
	return count;
}

void
tk_deps_analyse(const struct tk_handler_def *def,
    const struct tk_dep_step *steps, size_t n, enum tk_status task_status,
    enum tk_dep_class *cls, char analysis[TK_ANALYSIS_SIZE])
{
	size_t i, k, completed = 0, resolved = 0, ready = 0, running = 0,
	    blocked = 0, failed = 0, cancelled = 0, retrying = 0, dep;
	char names[200];
	int ok;

	if (n > def->nsteps)
		n = def->nsteps;
	for (i = 0; i < n; i++) {
		enum tk_status s = steps[i].status;

		if (done(s)) {
			cls[i] = TK_DEP_COMPLETED;
			completed++;
			resolved += s == TK_ST_RESOLVED_MANUALLY;
			continue;
		}
		if (s == TK_ST_CANCELLED) {
			cls[i] = TK_DEP_CANCELLED;
			cancelled++;
			continue;
		}
		if (s == TK_ST_ERROR && !steps[i].attempts_left) {
			cls[i] = TK_DEP_FAILED;
			failed++;
			continue;
		}
		ok = 1;
		for (k = 0; k < def->steps[i].nparents; k++) {
			size_t p = def->steps[i].parents[k];

			if (p >= n || !done(steps[p].status))
				ok = 0;
		}
		cls[i] = ok ? TK_DEP_READY : TK_DEP_BLOCKED;
		if (!ok)
			blocked++;
		else {
			ready++;
			running += s == TK_ST_IN_PROGRESS;
			retrying += s == TK_ST_ERROR;
		}
	}

	if (task_status == TK_ST_COMPLETE || (n > 0 && completed == n)) {
		snprintf(analysis, TK_ANALYSIS_SIZE, "Task is complete: all %zu "
		    "steps finished%s", n, resolved ? "" : ".");
		if (resolved)
			snprintf(analysis + strlen(analysis),
			    TK_ANALYSIS_SIZE - strlen(analysis),
			    ", %zu of them resolved manually.", resolved);
		return;
	}
	if (task_status == TK_ST_CANCELLED) {
		snprintf(analysis, TK_ANALYSIS_SIZE, "Task was cancelled with "
		    "%zu of %zu steps complete%s", completed, n,
		    running ? "; a running step may still finish but will not "
		    "revive the task." : ".");
		return;
	}
	if (failed > 0) {
		name_list(names, sizeof(names), steps, n, cls, TK_DEP_FAILED);
		dep = dependents(def, steps, n, cls, TK_DEP_FAILED);
		snprintf(analysis, TK_ANALYSIS_SIZE, "Task has failed: %s %s "
		    "no attempts left and %zu dependent step%s cannot run; "
		    "retry the task or resolve the step manually.", names,
		    failed == 1 ? "has" : "have", dep, dep == 1 ? "" : "s");
		return;
	}
	if (cancelled > 0 && ready == 0) {
		name_list(names, sizeof(names), steps, n, cls,
		    TK_DEP_CANCELLED);
		dep = dependents(def, steps, n, cls, TK_DEP_CANCELLED);
		if (dep > 0)
			snprintf(analysis, TK_ANALYSIS_SIZE, "Task cannot "
			    "finish: %s %s cancelled and %zu step%s depend%s "
			    "on it.", names, cancelled == 1 ? "was" : "were",
			    dep, dep == 1 ? "" : "s", dep == 1 ? "s" : "");
		else
			snprintf(analysis, TK_ANALYSIS_SIZE, "Task cannot "
			    "finish: %s %s cancelled; every other step is "
			    "done.", names, cancelled == 1 ? "was" : "were");
		return;
	}
	if (retrying > 0) {
		for (i = 0; i < n; i++)
			if (cls[i] == TK_DEP_READY &&
			    steps[i].status == TK_ST_ERROR)
				break;
		snprintf(analysis, TK_ANALYSIS_SIZE, "Step '%s'%s failed and "
		    "will be retried; %zu of %zu steps complete.",
		    steps[i].name, retrying > 1 ? " and others" : "",
		    completed, n);
		return;
	}
	if (completed == 0 && running == 0) {
		snprintf(analysis, TK_ANALYSIS_SIZE, "Task has not started "
		    "yet: %zu step%s ready to run, %zu waiting on %s parents.",
		    ready, ready == 1 ? "" : "s", blocked,
		    blocked == 1 ? "its" : "their");
		return;
	}
	snprintf(analysis, TK_ANALYSIS_SIZE, "Task is progressing normally "
	    "through dependency chain: %zu of %zu steps complete, %zu in "
	    "progress, %zu ready, %zu waiting on their parents.", completed, n,
	    running, ready - running, blocked);
}
