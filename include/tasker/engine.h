/*
 * engine.h - the step executor: claims a ready step, runs its handler with
 * the exec protocol, records the outcome and moves the task on; takes
 * back the steps of workers that died.
 *
 * One struct tk_engine per worker process (it owns that process's
 * database connection and handler catalog).  Any number of them, on any
 * number of hosts, share one database:
 *
 *   claim    one short transaction: the oldest step with ready_at <= now
 *            (ix_steps_ready, FOR UPDATE SKIP LOCKED), its task locked and
 *            checked (a cancelled or finished task's step is not run),
 *            status -> in_progress, attempts + 1, a lease (owner, expiry),
 *            ready_at NULL.
 *   run      outside any transaction; the lease is renewed every
 *            worker.heartbeat_seconds while the handler runs.
 *   record   one short transaction, compare-and-set on lease_owner and
 *            attempts: a worker that lost its lease records nothing.
 *            success: results, complete, children released; failure:
 *            last_error, error, and ready_at = now + backoff while
 *            attempts are left (tk_step_max_attempts); the task's status
 *            is derived again (tk_state_task_refresh).
 *   reap     a step whose lease expired (its worker died or lost the
 *            database) counts the lost attempt and becomes ready again
 *            (pending, ready_at now), or error when no attempt is left.
 *   stop     when *stop is set (SIGTERM) or the stop time passed, a running
 *            handler gets worker.shutdown_grace_seconds to finish, then is
 *            killed and its step released: pending and ready again, the
 *            attempt not counted.
 *
 * Every step attempt logs one line: task, step, attempt, outcome,
 * duration; never the context or the results.
 */
#ifndef TASKER_ENGINE_H
#define TASKER_ENGINE_H

#include <signal.h>
#include <stddef.h>

#include "tasker/buf.h"
#include "tasker/config.h"
#include "tasker/error.h"
#include "tasker/exec.h"
#include "tasker/handler.h"

/* Bounds of what the engine writes. */
#define TK_ENGINE_ERROR_MAX   4096  /* bytes of workflow_steps.last_error */
#define TK_ENGINE_STDERR_TAIL 2048  /* bytes of stderr kept in it */
#define TK_ENGINE_OWNER_MAX   128   /* lease_owner, workers.id */

struct tk_engine;

/*
 * A new engine for this process.  owner names it in leases and
 * transitions ("worker:<owner>"), at most TK_ENGINE_OWNER_MAX - 1 bytes.
 * stop may be NULL.  Resolves worker.user (only when running as root) and
 * worker.work_dir; TK_ERR_CONFIG when the user does not exist.  Does not
 * connect.  cfg must outlive the engine.
 */
tk_err tk_engine_new(const struct tk_config *cfg, const char *owner,
    volatile sig_atomic_t *stop, struct tk_engine **out);
void   tk_engine_free(struct tk_engine *eng);

/* Drops the database connection (before a fork, and at the end). */
void   tk_engine_disconnect(struct tk_engine *eng);

/* A monotonic time (ms, CLOCK_MONOTONIC) from which a running step is
 * treated as if *stop were set; 0: none.  For --max-seconds. */
void   tk_engine_set_stop_at(struct tk_engine *eng, long long mono_ms);

/*
 * Claims one ready step and runs it to a recorded outcome.  *ran is 1
 * when a step was claimed (or a stale ready mark was cleared: the caller
 * should look again at once), 0 when nothing is ready.  Errors are the
 * database's (TK_ERR_DB_UNAVAILABLE, TK_ERR_DB) or TK_ERR_NOMEM; a
 * handler's failure is an outcome, not an error.
 */
tk_err tk_engine_run_one(struct tk_engine *eng, int *ran);

/* Takes back steps whose lease expired; *n (may be NULL) gets how many. */
tk_err tk_engine_reap(struct tk_engine *eng, unsigned *n);

/* How many steps are ready now, up to limit: one cheap indexed read
 * without locks, for the wake-up of idle processes. */
tk_err tk_engine_ready_count(struct tk_engine *eng, unsigned limit,
    unsigned *n);

/* The `workers` row of a tasker-worker: registered at start (rows not
 * heard from for 7 days are removed then), heartbeat, stopped_at. */
tk_err tk_engine_worker_start(struct tk_engine *eng, const char *id,
    const char *host, unsigned pid, unsigned processes);
tk_err tk_engine_worker_beat(struct tk_engine *eng, const char *id);
tk_err tk_engine_worker_stop(struct tk_engine *eng, const char *id);

/* ---------------------------------------------------------------- pieces
 * The parts of a step run that need no database, exposed for the tests. */

/* What the handler is told about its task. */
struct tk_engine_task {
	const char *id;           /* UUID text */
	const char *namespace_name;
	const char *name;
	const char *version;
	const char *context;      /* JSON text (valid: the database checks) */
	size_t      context_len;
};

/* One parent's results: JSON text, or NULL (e.g. resolved manually). */
struct tk_engine_parent {
	const char *name;
	const char *results;
	size_t      results_len;
};

/*
 * The handler's stdin: {"task": {"id", "namespace", "name", "version",
 * "context"}, "step": {"name", "attempt"}, "parents": {"<name>": results,
 * ...}} followed by a newline.
 */
tk_err tk_engine_input(struct tk_buf *out, const struct tk_engine_task *t,
    const char *step, unsigned attempt, const struct tk_engine_parent *p,
    size_t np);

/* What the handler's environment is made of. */
struct tk_engine_env_src {
	const char               *path;    /* NULL: a standard PATH */
	const char               *home;    /* NULL: not set */
	const struct tk_exec_def *exec;    /* the step's env entries */
	const char               *task_id;
	const char               *namespace_name;
	const char               *handler;
	const char               *version;
	const char               *step;
	unsigned                  attempt;
};

/*
 * The handler's whole environment, and nothing of the worker's: PATH,
 * HOME, LANG=C.UTF-8, then the step's env entries (which may replace
 * those), then TASKER_TASK_ID, TASKER_NAMESPACE, TASKER_HANDLER,
 * TASKER_HANDLER_VERSION, TASKER_STEP_NAME, TASKER_STEP_ATTEMPT (which
 * nothing replaces).
 */
tk_err tk_engine_env(struct tk_env *env, const struct tk_engine_env_src *s);

/*
 * The step's last_error for a failed attempt: what happened (e.g. "exit
 * status 3", "timed out after 30 s", "killed by signal 9 (SIGKILL)"),
 * then "; stderr: " and the last TK_ENGINE_STDERR_TAIL bytes of stderr.
 * At most TK_ENGINE_ERROR_MAX bytes of valid UTF-8 without control
 * characters other than newline and tab (invalid bytes become '?').
 */
tk_err tk_engine_error_text(struct tk_buf *out, const char *what,
    const char *err, size_t err_len);

/*
 * Describes a failed run in what (never the output itself): r is the
 * result, why the reason its output was refused (or NULL), argv0 the
 * command, timeout_s and max_output the limits that applied.  Returns
 * what.
 */
const char *tk_engine_failure(char *what, size_t whatsz,
    const struct tk_exec_result *r, const char *why, const char *argv0,
    unsigned timeout_s, size_t max_output);

/* "0190d5c8-..." from 16 bytes; out holds 37 bytes. */
void   tk_engine_uuid_str(const unsigned char id[16], char out[37]);

#endif
