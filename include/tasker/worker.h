/*
 * worker.h - the tasker-worker process tree.
 *
 * A supervisor forks worker.processes children (prefork); each child has
 * its own database connection and engine and runs one step at a time, so
 * the processes of one tasker-worker run independent steps side by side.
 * The supervisor restarts a child that died (with a growing delay when it
 * keeps dying), keeps the `workers` row's heartbeat, takes back steps
 * whose lease expired (never one a live child of its own still holds),
 * keeps a lease watchdog process running (it kills a handler before its
 * lease can expire, without the database: engine.h, struct
 * tk_lease_slot), and wakes idle children when steps are ready: it
 * runs one cheap indexed read every worker.poll_min_ms while a child is
 * idle, so a new step starts within about that time, while the idle
 * children themselves poll the database only every poll_min_ms ..
 * poll_max_ms (backing off while nothing is found).
 *
 * SIGTERM or SIGINT: stop claiming; a running step gets
 * worker.shutdown_grace_seconds to finish, then is killed and released
 * (ready again, the attempt not counted); then the processes exit and the
 * `workers` row gets stopped_at.  A child whose supervisor died stops the
 * same way.
 *
 * until_idle: each child claims until nothing is ready, then exits; the
 * supervisor exits when all have (for cron).  max_seconds bounds the
 * claiming; a step still running then is treated as on SIGTERM.
 */
#ifndef TASKER_WORKER_H
#define TASKER_WORKER_H

#include <stddef.h>
#include <sys/types.h>

#include "tasker/config.h"
#include "tasker/error.h"

struct tk_worker_opts {
	const struct tk_config *cfg;
	int                     until_idle;
	unsigned                max_seconds;   /* 0: no time budget */
};

/* Runs the supervisor and its children; returns the exit status of the
 * program (0, or 1 when the database could not be used at all). */
int tk_worker_run(const struct tk_worker_opts *o);

/*
 * Who handlers run as.  worker.user applies only to a worker running as
 * root: then drop is 1 and the handler's process takes that user's ids
 * and groups before it execs (exec.h); otherwise handlers run as the
 * worker, with its HOME.  The struct owns home and groups
 * (tk_run_as_free).
 */
struct tk_run_as {
	int     drop;
	uid_t   uid;
	gid_t   gid;
	gid_t  *groups;
	size_t  ngroups;
	char   *home;     /* NULL: not known */
};

/* Resolves user (worker.user, or NULL) into *as, which starts zeroed.
 * TK_ERR_CONFIG when there is no such user. */
tk_err tk_worker_run_as(const char *user, struct tk_run_as *as);
void   tk_run_as_free(struct tk_run_as *as);

#endif
