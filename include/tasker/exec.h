/*
 * exec.h - runs one step handler process: the mechanics of the exec
 * protocol.
 *
 * tk_exec_run() starts argv in a new session (so the handler and every
 * process it starts form one process group that a timeout kills whole),
 * with exactly the environment given, in cwd, with the input on stdin and
 * stdout and stderr captured through pipes.  All three pipes are served by
 * one poll() loop, so a handler that writes a lot before reading its input
 * cannot deadlock it.  Each stream is bounded: past max_output bytes the
 * handler is killed and the result says which stream overflowed, so a
 * runaway handler never exhausts the worker's memory.  No descriptor of the
 * caller (the database connection above all) reaches the handler.
 *
 * When the handler exits, whatever is left of its process group is killed:
 * a step is over when its handler exits.
 *
 * Stopping a handler (a timeout, or tick() asking for it) sends SIGTERM
 * to its process group, waits term_grace_ms for it to end, then sends
 * SIGKILL; what it prints meanwhile is kept.  Output past max_output, a
 * worker error, and tick() asking for TK_EXEC_TICK_KILL send SIGKILL at
 * once.
 *
 * The caller must not run a SIGCHLD handler that reaps children; SIGPIPE
 * is ignored for the duration of the call (and restored).
 */
#ifndef TASKER_EXEC_H
#define TASKER_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "tasker/error.h"

enum tk_exec_end {
	TK_EXEC_EXITED,       /* exited by itself; status: its exit code */
	TK_EXEC_SIGNALED,     /* killed by a signal it did not get from us;
	                         status: the signal */
	TK_EXEC_TIMEOUT,      /* ran past timeout_ms; its group was killed */
	TK_EXEC_TOO_LARGE,    /* stdout or stderr passed max_output; killed */
	TK_EXEC_ABORTED,      /* tick() asked to stop; killed */
	TK_EXEC_NOT_STARTED   /* could not be started; status: errno, and
	                         failed_op names the step that failed */
};

struct tk_exec_spec {
	const char *const *argv;    /* argv[0]: a path, or a name looked up
	                               in the PATH of envp */
	const char *const *envp;    /* the handler's whole environment */
	const char   *cwd;          /* NULL: the caller's */
	const char   *input;        /* written to stdin, which is then
	                               closed; may be NULL */
	size_t        input_len;
	unsigned      timeout_ms;   /* 0: no timeout */
	size_t        max_output;   /* per stream; 0: 1 MiB */
	/* Privilege drop, done in the handler's process only. */
	int           drop;         /* 1: switch to uid/gid/groups */
	uid_t         uid;
	gid_t         gid;
	const gid_t  *groups;
	size_t        ngroups;
	/* Called about every tick_ms while the handler runs (lease renewal,
	 * shutdown, cancel); a non-zero return (TK_EXEC_TICK_*) stops the
	 * handler (TK_EXEC_ABORTED) and tick is not called again. */
	unsigned      tick_ms;      /* 0: 1000 */
	int         (*tick)(void *arg);
	void         *tick_arg;
	unsigned      term_grace_ms; /* SIGTERM to SIGKILL; 0: SIGKILL at
	                                once */
	/* Fencing (the lease watchdog, engine.h), both may be NULL.
	 * started() runs in the handler's process after setsid(), before
	 * exec, with its process group id; it must be async-signal-safe;
	 * non-zero: the handler is not run (TK_EXEC_NOT_STARTED, failed_op
	 * "fence").  ended() runs in the caller once the handler has exited
	 * but before it is reaped, so that group id cannot be in use by
	 * another process yet. */
	int         (*started)(void *arg, pid_t pgid);
	void        (*ended)(void *arg);
	void         *fence_arg;
};

/* What tick() returns. */
#define TK_EXEC_TICK_GO_ON 0
#define TK_EXEC_TICK_STOP  1    /* SIGTERM, term_grace_ms, SIGKILL */
#define TK_EXEC_TICK_KILL  2    /* SIGKILL now */

struct tk_exec_result {
	enum tk_exec_end  end;
	int               status;       /* also after a stop: the exit code
	                                   when exited is set, else the
	                                   signal */
	int               exited;       /* the handler exited by itself */
	int               termed;       /* a stop sent it SIGTERM */
	const char       *failed_op;    /* TK_EXEC_NOT_STARTED: "chdir",
	                                   "exec", "setuid", ...; static */
	int               out_overflow; /* TK_EXEC_TOO_LARGE: which stream */
	int               err_overflow;
	char             *out;          /* stdout, NUL-terminated (owned) */
	size_t            out_len;
	char             *err;          /* stderr, NUL-terminated (owned) */
	size_t            err_len;
	long long         duration_ms;
};

/*
 * Runs spec to its end and fills res (free it with tk_exec_result_free,
 * also after an error).  The handler's own failures are outcomes in res,
 * not errors: the return is TK_ERR_NOMEM, or TK_ERR_IO when no process
 * could be made (pipe or fork failed).
 */
tk_err tk_exec_run(const struct tk_exec_spec *spec,
    struct tk_exec_result *res);
void   tk_exec_result_free(struct tk_exec_result *res);

/*
 * A NULL-terminated environment list where setting NAME replaces an
 * earlier NAME, so later sources win (the step's env over the base, the
 * TASKER_* metadata over both).
 */
struct tk_env {
	char   **v;     /* "NAME=value" entries plus a NULL; owned */
	size_t   n;
	size_t   cap;
};

#define TK_ENV_INIT { NULL, 0, 0 }

/* Sets "NAME=value" (copied); TK_ERR_BAD_REQUEST when it has no '=' or
 * an empty name; TK_ERR_NOMEM. */
tk_err tk_env_put(struct tk_env *env, const char *entry);
/* Sets name to value (copied). */
tk_err tk_env_set(struct tk_env *env, const char *name, const char *value);
/* The value of name, or NULL. */
const char *tk_env_get(const struct tk_env *env, const char *name);
void   tk_env_free(struct tk_env *env);

/*
 * Parses a handler's stdout: a JSON object (strict, well-formed UTF-8 by
 * tk_utf8_bad, depth limited, only whitespace around it).  TK_OK with
 * *obj (caller puts it); TK_ERR_VALIDATION with a reason in why (e.g.
 * "output is not a JSON object (it is an array)", "output is not valid
 * UTF-8 (at byte 7)"); TK_ERR_NOMEM.
 */
tk_err tk_exec_parse_output(const char *s, size_t len, json_object **obj,
    char *why, size_t whysz);

#endif
