/*
 * deps.h - the dependency analysis of a task (src/tasks/deps.c).
 */
#ifndef TASKER_DEPS_H
#define TASKER_DEPS_H

#include <stddef.h>
#include <time.h>

#include "tasker/state.h"

struct tk_handler_def;

/* What the dependency analysis says of one step. */
enum tk_dep_class {
	TK_DEP_COMPLETED,   /* complete or resolved_manually */
	TK_DEP_READY,       /* parents done; pending, running or retrying */
	TK_DEP_BLOCKED,     /* waiting on a parent that is not done */
	TK_DEP_FAILED,      /* error with no attempt left */
	TK_DEP_CANCELLED
};

/* A step as the analysis needs it; index = position in the definition. */
struct tk_dep_step {
	const char     *name;
	enum tk_status  status;
	int             attempts_left;  /* error with a retry scheduled */
	int             held;           /* pending, held back by a
	                                   concurrency limit (1) or a rate
	                                   limit (2); else 0 */
	int             retryable;      /* a task retry may run it again */
	int             deps_ok;        /* out (tk_deps_glance): every
	                                   parent is done */
};

#define TK_ANALYSIS_SIZE 400

/*
 * Classifies each of the n steps of a task with status task_status
 * (cls[i]) and writes one sentence about the whole into analysis.  def
 * gives the parents; steps[i] must be def's step i (n == def->nsteps).
 */
void   tk_deps_analyse(const struct tk_handler_def *def,
    const struct tk_dep_step *steps, size_t n, enum tk_status task_status,
    enum tk_dep_class *cls, char analysis[TK_ANALYSIS_SIZE]);

/* A task's state at a glance (the names are the API's). */
enum tk_exec_status {
	TK_EXEC_COMPLETE,       /* all_complete: every step done */
	TK_EXEC_CANCELLED,      /* cancelled */
	TK_EXEC_BLOCKED,        /* blocked_by_failures: a step failed for
	                           good, or a cancelled one holds others */
	TK_EXEC_PROCESSING,     /* processing: a step runs */
	TK_EXEC_READY,          /* has_ready_steps: ready, none running */
	TK_EXEC_RETRY_WAIT,     /* waiting_for_retry: only failed steps
	                           with a retry scheduled can move */
	TK_EXEC_WAITING         /* waiting_for_dependencies: nothing ready
	                           (only while a parent is unknown) */
};

enum tk_action {
	TK_ACT_NONE,            /* none */
	TK_ACT_WAIT,            /* wait */
	TK_ACT_RETRY_TASK,      /* retry_task: POST /tasks/{id}/retry */
	TK_ACT_RESOLVE_STEP     /* resolve_step_manually: step names it */
};

struct tk_glance {
	enum tk_exec_status status;
	enum tk_action      action;
	size_t              step;     /* the step the action names, or
	                                 SIZE_MAX */
	unsigned            percent;  /* steps done, 0..100, rounded down */
};

/*
 * The task's state at a glance (same classification as
 * tk_deps_analyse, into cls), and each step's deps_ok.
 */
void   tk_deps_glance(const struct tk_handler_def *def,
    struct tk_dep_step *steps, size_t n, enum tk_status task_status,
    enum tk_dep_class *cls, struct tk_glance *g);
const char *tk_exec_status_name(enum tk_exec_status s);
const char *tk_action_name(enum tk_action a);

/*
 * Whether a task in status with updated_at ("2024-01-15T10:30:00Z": its
 * last status change or PATCH) is stale at now: in that status longer
 * than stale_after[status] seconds (0: never).  Final statuses are never
 * stale.
 */
#define TK_STALE_STATUSES 6
int    tk_task_stale(enum tk_status status, const char *updated_at,
    const unsigned stale_after[TK_STALE_STATUSES], time_t now);
/* Appends the stale sentence to an analysis. */
void   tk_deps_say_stale(char analysis[TK_ANALYSIS_SIZE],
    enum tk_status status);

#endif
