/*
 * deps.h - the dependency analysis of a task (src/tasks/deps.c).
 */
#ifndef TASKER_DEPS_H
#define TASKER_DEPS_H

#include <stddef.h>

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
	int             held;           /* pending, held back by a limit */
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

#endif
