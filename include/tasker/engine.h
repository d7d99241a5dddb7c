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
 *            worker.heartbeat_seconds while the handler runs (on a
 *            connection of its own with short timeouts), and a lease
 *            slot (below) lets a watchdog kill the handler before the
 *            lease can expire, whatever this process is doing.  Each
 *            claim bumps the step's lease_epoch: the attempt's fencing
 *            token is "<attempt>.<lease_epoch>".
 *   record   one short transaction, compare-and-set on lease_owner and
 *            attempts: a worker that lost its lease records nothing.  A
 *            database that is away is retried until the lease's real
 *            expiry; an outcome the database refuses (a non-transient
 *            error) is recorded as a failure of the attempt with the
 *            database's message.
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
#include <stdatomic.h>
#include <stddef.h>

#include "tasker/buf.h"
#include "tasker/config.h"
#include "tasker/error.h"
#include "tasker/exec.h"
#include "tasker/handler.h"
#include "tasker/step_store.h"

/* Bounds of what the engine writes. */
#define TK_ENGINE_ERROR_MAX   4096  /* bytes of workflow_steps.last_error */
#define TK_ENGINE_STDERR_TAIL 2048  /* bytes of stderr kept in it */
#define TK_ENGINE_OUTPUT_HEAD 64    /* bytes of a refused stdout shown */
#define TK_ENGINE_OWNER_MAX   128   /* lease_owner, workers.id */
/* A handler's PATH when the worker has none. */
#define TK_ENGINE_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

struct tk_engine;

/*
 * A lease slot: what one worker process publishes, in memory shared with
 * the watchdog (worker.c), about the step it holds.  The watchdog never
 * touches the database; it reads deadline on the CLOCK_MONOTONIC clock
 * (the same in every process of the host) and, when it passes, kills
 * pgid's group and marks the slot fenced.  States:
 *
 *   IDLE     no step held.
 *   RUN      step held, a handler may run; deadline = when the last
 *            renewal that held was sent + lease - TK_LEASE_MARGIN_MS.
 *   RECORD   the handler is over, the outcome being recorded; deadline =
 *            the lease's real expiry (sent + lease).
 *   KILLING  the watchdog is killing pgid (a moment).
 *   FENCED   the deadline passed: the attempt is lost; the process that
 *            held it records nothing, and its supervisor may reap it.
 *
 * The handler's process publishes pgid itself before it execs (and does
 * not exec unless the slot is RUN with its deadline ahead: past it, it
 * fences the slot itself); the worker withdraws pgid before it reaps the
 * handler and waits out KILLING, so a pid that was reused is never
 * killed.  All fields are seq_cst atomics (lock-free, so usable between
 * fork and exec).
 */
enum tk_lease_state {
	TK_LEASE_IDLE, TK_LEASE_RUN, TK_LEASE_RECORD, TK_LEASE_KILLING,
	TK_LEASE_FENCED
};

struct tk_lease_slot {
	atomic_int          state;     /* enum tk_lease_state */
	atomic_int          pgid;      /* the handler's group; 0: none */
	atomic_llong        deadline;  /* CLOCK_MONOTONIC, ms */
	atomic_ullong       step;      /* workflow_steps.id held */
};

/* The watchdog's look at one slot at monotonic time now: fences it when
 * its deadline passed.  Returns 1 when it did; *pgid the group killed
 * (0: no handler was running). */
int    tk_lease_check(struct tk_lease_slot *s, long long now, int *pgid);
/* 1 while a live attempt (RUN or RECORD) holds step in s. */
int    tk_lease_holds(struct tk_lease_slot *s, unsigned long long step);
/* Empties the slot of a process that ended (its supervisor's call). */
void   tk_lease_clear(struct tk_lease_slot *s);
/* The exec runner's fence callbacks (exec.h: started, ended), arg the
 * slot: the handler's process publishes its group and does not exec
 * when the slot is fenced or past its deadline (-1); ended waits while
 * the watchdog is killing, so the group is not reaped under it. */
int    tk_lease_fence_started(void *arg, pid_t pgid);
void   tk_lease_fence_ended(void *arg);

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

/* The lease slot this engine publishes its steps in (NULL: none; the
 * engine then checks its lease only in its own loop).  It must outlive
 * the engine. */
void   tk_engine_set_lease_slot(struct tk_engine *eng,
    struct tk_lease_slot *slot);

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

/*
 * Takes back steps whose lease expired; *n (may be NULL) gets how many.
 * A step for which live(arg, owner, step id) returns 1 is left alone:
 * its owner is a live process of the caller's still holding it (live may
 * be NULL).
 */
typedef int (*tk_engine_live_fn)(void *arg, const char *owner,
    unsigned long long step);
tk_err tk_engine_reap(struct tk_engine *eng, tk_engine_live_fn live,
    void *arg, unsigned *n);

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

/* The attempt being run: its number, and its lease epoch (grows with
 * every claim of the step, never goes back). */
struct tk_engine_attempt {
	unsigned            number;
	unsigned long long  epoch;
};

/*
 * The claim's decision on the oldest ready step s of task t (both
 * locked): 1 when its ready mark is wrong and is to be cleared, so it is
 * not found again (the last parent to finish sets it again): a
 * cancelled or finished task, a step not waiting to run, a failed step
 * without attempts left, a step with a parent not complete or
 * resolved_manually, a task whose names do not fit.  A pending step runs
 * whatever its attempts: an operator's retry made it pending.
 */
int    tk_engine_claim_stale(const struct tk_step_ready *s,
    const struct tk_step_task *t);

/* The fencing token "<attempt>.<lease_epoch>"; out holds
 * TK_ENGINE_TOKEN_MAX bytes. */
#define TK_ENGINE_TOKEN_MAX 40
void   tk_engine_token(char *out, const struct tk_engine_attempt *a);

/*
 * The handler's stdin: {"task": {"id", "namespace", "name", "version",
 * "context"}, "step": {"name", "attempt", "lease_epoch",
 * "fencing_token"}, "parents": {"<name>": results, ...}} followed by a
 * newline.
 */
tk_err tk_engine_input(struct tk_buf *out, const struct tk_engine_task *t,
    const char *step, const struct tk_engine_attempt *at,
    const struct tk_engine_parent *p, size_t np);

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
	struct tk_engine_attempt  attempt;
};

/*
 * The handler's whole environment, and nothing of the worker's: PATH,
 * HOME, LANG=C.UTF-8, then the step's env entries (which may replace
 * those), then TASKER_TASK_ID, TASKER_NAMESPACE, TASKER_HANDLER,
 * TASKER_HANDLER_VERSION, TASKER_STEP_NAME, TASKER_STEP_ATTEMPT,
 * TASKER_LEASE_EPOCH, TASKER_FENCING_TOKEN (which nothing replaces).
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
 * Describes a failed run in what: r is the result, why the reason its
 * output was refused (or NULL), argv0 the command, timeout_s and
 * max_output the limits that applied.  A refused output (exit 0, why
 * given) adds its first TK_ENGINE_OUTPUT_HEAD bytes, escaped:
 *   output is not a JSON object; stdout began: "all done\x0a"
 * with "..." after the quote when it was cut (whatsz of 600
 * holds the longest).  Returns what.
 */
const char *tk_engine_failure(char *what, size_t whatsz,
    const struct tk_exec_result *r, const char *why, const char *argv0,
    unsigned timeout_s, size_t max_output);

/* "0190d5c8-..." from 16 bytes; out holds 37 bytes. */
void   tk_engine_uuid_str(const unsigned char id[16], char out[37]);

#endif
