/*
 * test_state.c - the transition tables and the derivation of a task's
 * status from its steps (the database half is exercised by the engine and
 * task integration tests).
 */
#include "testlib.h"
#include "tasker/handler.h"
#include "tasker/state.h"

static void
test_names(void)
{
	int i;

	for (i = 0; i < TK_ST__COUNT; i++)
		CU_ASSERT_EQUAL(tk_status_parse(tk_status_name((enum tk_status)i)), i);
	CU_ASSERT_EQUAL(tk_status_parse("done"), -1);
	CU_ASSERT_EQUAL(tk_status_parse(NULL), -1);
	CU_ASSERT_STRING_EQUAL(tk_status_name(TK_ST_RESOLVED_MANUALLY),
	    "resolved_manually");
	CU_ASSERT_STRING_EQUAL(tk_status_name((enum tk_status)42), "unknown");
}

static void
test_step_table(void)
{
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_PENDING, TK_ST_IN_PROGRESS));
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_IN_PROGRESS, TK_ST_COMPLETE));
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_IN_PROGRESS, TK_ST_ERROR));
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_ERROR, TK_ST_IN_PROGRESS));
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_ERROR, TK_ST_RESOLVED_MANUALLY));
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_ERROR, TK_ST_PENDING));
	/* Final states never move. */
	CU_ASSERT_FALSE(tk_step_transition_legal(TK_ST_COMPLETE, TK_ST_PENDING));
	CU_ASSERT_FALSE(tk_step_transition_legal(TK_ST_COMPLETE, TK_ST_RESOLVED_MANUALLY));
	CU_ASSERT_FALSE(tk_step_transition_legal(TK_ST_CANCELLED, TK_ST_IN_PROGRESS));
	CU_ASSERT_FALSE(tk_step_transition_legal(TK_ST_RESOLVED_MANUALLY, TK_ST_ERROR));
	/* A pending step is not completed without being claimed. */
	CU_ASSERT_FALSE(tk_step_transition_legal(TK_ST_PENDING, TK_ST_COMPLETE));
	CU_ASSERT_FALSE(tk_step_transition_legal(TK_ST_PENDING, TK_ST_PENDING));
	CU_ASSERT_FALSE(tk_step_transition_legal((enum tk_status)-1, TK_ST_PENDING));
	/* A cancel reaches every step that has not finished, running or
	 * not, and no finished one. */
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_PENDING, TK_ST_CANCELLED));
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_IN_PROGRESS, TK_ST_CANCELLED));
	CU_ASSERT_TRUE(tk_step_transition_legal(TK_ST_ERROR, TK_ST_CANCELLED));
	CU_ASSERT_FALSE(tk_step_transition_legal(TK_ST_COMPLETE, TK_ST_CANCELLED));
	CU_ASSERT_FALSE(tk_step_transition_legal(TK_ST_RESOLVED_MANUALLY, TK_ST_CANCELLED));
}

static void
test_task_table(void)
{
	CU_ASSERT_TRUE(tk_task_transition_legal(TK_ST_PENDING, TK_ST_IN_PROGRESS));
	CU_ASSERT_TRUE(tk_task_transition_legal(TK_ST_ERROR, TK_ST_PENDING));
	CU_ASSERT_TRUE(tk_task_transition_legal(TK_ST_IN_PROGRESS, TK_ST_CANCELLED));
	CU_ASSERT_FALSE(tk_task_transition_legal(TK_ST_COMPLETE, TK_ST_CANCELLED));
	CU_ASSERT_FALSE(tk_task_transition_legal(TK_ST_CANCELLED, TK_ST_PENDING));
	CU_ASSERT_TRUE(tk_status_final(TK_ST_COMPLETE));
	CU_ASSERT_TRUE(tk_status_final(TK_ST_CANCELLED));
	CU_ASSERT_FALSE(tk_status_final(TK_ST_ERROR));
}

static void
test_max_attempts(void)
{
	CU_ASSERT_EQUAL(tk_step_max_attempts(0, 0), 1);
	CU_ASSERT_EQUAL(tk_step_max_attempts(0, 5), 1);
	CU_ASSERT_EQUAL(tk_step_max_attempts(1, 0), 1);
	CU_ASSERT_EQUAL(tk_step_max_attempts(1, 3), 4);
}

#define S(st, left) { st, left }

static void
test_derive(void)
{
	struct tk_step_state none[] = { S(TK_ST_PENDING, 0), S(TK_ST_PENDING, 0) };
	struct tk_step_state running[] = { S(TK_ST_COMPLETE, 0), S(TK_ST_PENDING, 0) };
	struct tk_step_state retrying[] = { S(TK_ST_ERROR, 1), S(TK_ST_PENDING, 0) };
	struct tk_step_state failed[] = { S(TK_ST_ERROR, 0), S(TK_ST_PENDING, 0) };
	struct tk_step_state done[] = { S(TK_ST_COMPLETE, 0),
	    S(TK_ST_RESOLVED_MANUALLY, 0) };
	struct tk_step_state claimed[] = { S(TK_ST_IN_PROGRESS, 0) };
	struct tk_step_state cut[] = { S(TK_ST_COMPLETE, 0), S(TK_ST_CANCELLED, 0),
	    S(TK_ST_PENDING, 0) };
	struct tk_step_state cut_running[] = { S(TK_ST_IN_PROGRESS, 0),
	    S(TK_ST_CANCELLED, 0) };

	CU_ASSERT_EQUAL(tk_state_task_derive(none, 2), TK_ST_PENDING);
	CU_ASSERT_EQUAL(tk_state_task_derive(running, 2), TK_ST_IN_PROGRESS);
	CU_ASSERT_EQUAL(tk_state_task_derive(retrying, 2), TK_ST_IN_PROGRESS);
	CU_ASSERT_EQUAL(tk_state_task_derive(failed, 2), TK_ST_ERROR);
	CU_ASSERT_EQUAL(tk_state_task_derive(done, 2), TK_ST_COMPLETE);
	CU_ASSERT_EQUAL(tk_state_task_derive(claimed, 1), TK_ST_IN_PROGRESS);
	CU_ASSERT_EQUAL(tk_state_task_derive(NULL, 0), TK_ST_PENDING);
	/* A cancelled step: the task ends cancelled once nothing runs. */
	CU_ASSERT_EQUAL(tk_state_task_derive(cut, 3), TK_ST_CANCELLED);
	CU_ASSERT_EQUAL(tk_state_task_derive(cut_running, 2), TK_ST_IN_PROGRESS);
}

/* a -> b -> c, and d after b and c: which parent blocks a resolve. */
static void
test_unfinished_parent(void)
{
	size_t pb[] = { 0 }, pc[] = { 1 }, pd[] = { 1, 2 };
	struct tk_step_def steps[4];
	struct tk_handler_def def;
	enum tk_status st[4] = { TK_ST_IN_PROGRESS, TK_ST_PENDING,
	    TK_ST_PENDING, TK_ST_PENDING };

	memset(steps, 0, sizeof(steps));
	memset(&def, 0, sizeof(def));
	steps[1].parents = pb;
	steps[1].nparents = 1;
	steps[2].parents = pc;
	steps[2].nparents = 1;
	steps[3].parents = pd;
	steps[3].nparents = 2;
	def.steps = steps;
	def.nsteps = 4;
	/* A root has no parent; b waits for a running a; c for b. */
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 0, st, 4), -1);
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 1, st, 4), 0);
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 2, st, 4), 1);
	/* Done by a worker or by hand, both count; error does not. */
	st[0] = TK_ST_COMPLETE;
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 1, st, 4), -1);
	st[1] = TK_ST_RESOLVED_MANUALLY;
	st[2] = TK_ST_ERROR;
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 2, st, 4), -1);
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 3, st, 4), 2);
	st[2] = TK_ST_CANCELLED;
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 3, st, 4), 2);
	st[2] = TK_ST_COMPLETE;
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 3, st, 4), -1);
	/* A parent the statuses do not reach is not finished. */
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 3, st, 2), 2);
	CU_ASSERT_EQUAL(tk_state_unfinished_parent(&def, 9, st, 4), -1);
}

TK_SUITE(state,
    { "status names", test_names },
    { "step transition table", test_step_table },
    { "task transition table", test_task_table },
    { "max attempts", test_max_attempts },
    { "task status derived from steps", test_derive },
    { "resolve waits for every parent", test_unfinished_parent });
