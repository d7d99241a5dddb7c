/*
 * exec.c - runs one step handler process (see exec.h).
 *
 * Shape: four pipes (stdin, stdout, stderr, and a close-on-exec pipe the
 * child reports a failed chdir/setuid/exec through), vfork, then one poll()
 * loop in the parent that feeds stdin, drains stdout and stderr, and
 * watches the clock (timeout, ticks) until the handler is reaped.
 *
 * The child is a vfork() child: it shares the worker's memory until it
 * execs, so it runs only async-signal-safe calls up to execvp() (plus the
 * environ assignment that makes execvp search the handler's own PATH,
 * which the parent undoes), never returns, and leaves with _exit().
 */
#include "tasker/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tasker/alloc.h"
#include "tasker/clock.h"
#include "tasker/utf8.h"

#define DEFAULT_MAX_OUTPUT (1024 * 1024)
#define DEFAULT_TICK_MS    1000
#define POLL_CAP_MS        100    /* notice a reaped child this soon even
                                     when a descendant holds the pipes */
#define DRAIN_MS           2000   /* reading stray output after the exit */
#define CHUNK              65536
/* Nesting accepted in a handler's JSON: results are stored in a column
 * checked with JSON_VALID, which MariaDB refuses beyond 32 levels. */
#define OUTPUT_DEPTH       31

/* ---------------------------------------------------------------- time */

/* ---------------------------------------------------------------- child */

/* What the child reports when it cannot exec: an index into ops[] and
 * errno. */
struct child_report {
	int op;
	int err;
};

static const char *const ops[] = {
	"setsid", "dup2", "chdir", "setgroups", "setgid", "setuid", "prctl",
	"fence", "exec"
};
enum { OP_SETSID, OP_DUP2, OP_CHDIR, OP_SETGROUPS, OP_SETGID, OP_SETUID,
    OP_PRCTL, OP_FENCE, OP_EXEC };

static void __attribute__((noreturn))
child_fail(int ex_w, int op)
{
	struct child_report r;

	r.op = op;
	r.err = errno;
	/* Best effort: the parent sees EOF and a 127 exit otherwise. */
	if (write(ex_w, &r, sizeof(r)) < 0)
		_exit(127);
	_exit(127);
}

/* Closes every descriptor from 3 up, except keep. */
static void
close_from3(int keep)
{
	long max, fd;

	if (keep > 3 && close_range(3, (unsigned)keep - 1, 0) == 0 &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	if (keep == 3 && close_range(4, ~0U, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		if (fd != keep)
			(void)close((int)fd);
}

static void __attribute__((noreturn))
child(const struct tk_exec_spec *sp, int in_r, int out_w, int err_w,
    int ex_w, pid_t parent)
{
	static const int sigs[] = { SIGPIPE, SIGHUP, SIGINT, SIGQUIT,
	    SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
	struct sigaction sa;
	sigset_t none;
	int fds[3], i;

	/* A new session: the handler and all it starts are one group. */
	if (setsid() < 0)
		child_fail(ex_w, OP_SETSID);
	/* Published before exec: no handler runs unwatched (exec.h). */
	if (sp->started != NULL && sp->started(sp->fence_arg, getpid()) != 0) {
		errno = ECANCELED;
		child_fail(ex_w, OP_FENCE);
	}
	/* Ignored signals stay ignored across exec: undo the worker's. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		(void)sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* Move every descriptor above 2 first, so no dup2 below clobbers
	 * one that is still needed (the worker may run with 0-2 closed). */
	fds[0] = in_r;
	fds[1] = out_w;
	fds[2] = err_w;
	for (i = 0; i < 3; i++)
		if (fds[i] <= 2 &&
		    (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
			child_fail(ex_w, OP_DUP2);
	if (ex_w <= 2) {
		int nfd = fcntl(ex_w, F_DUPFD_CLOEXEC, 3);

		if (nfd < 0)
			_exit(127);
		ex_w = nfd;
	}
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			child_fail(ex_w, OP_DUP2);
	/* Nothing of the worker's (its database socket) goes further. */
	close_from3(ex_w);

	if (sp->cwd != NULL && chdir(sp->cwd) < 0)
		child_fail(ex_w, OP_CHDIR);
	if (sp->drop) {
		if (setgroups(sp->ngroups, sp->groups) < 0)
			child_fail(ex_w, OP_SETGROUPS);
		if (setgid(sp->gid) < 0)
			child_fail(ex_w, OP_SETGID);
		if (setuid(sp->uid) < 0)
			child_fail(ex_w, OP_SETUID);
		if (sp->uid != 0 && setuid(0) == 0) {
			errno = EPERM;
			child_fail(ex_w, OP_SETUID);
		}
	}
	/* A worker killed with -9 takes its handler with it (after the
	 * drop: a change of credentials clears this setting). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(ex_w, OP_PRCTL);
	if (getppid() != parent)
		_exit(127);
	/* execvp() searches the PATH of environ: make it the handler's. */
	environ = (char **)(uintptr_t)sp->envp;
	execvp(sp->argv[0], (char **)(uintptr_t)sp->argv);
	child_fail(ex_w, OP_EXEC);
}

/* ---------------------------------------------------------------- parent */

/* One captured stream. */
struct stream {
	int     fd;        /* -1 once closed */
	char   *p;
	size_t  len;
	size_t  cap;
	int     overflow;
};

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* Reads what is there.  Returns 0, or -1 on allocation failure. */
static int
stream_read(struct stream *s, size_t max)
{
	char chunk[CHUNK];
	ssize_t n;

	for (;;) {
		n = read(s->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				close_fd(&s->fd);
			return 0;
		}
		if (n == 0) {
			close_fd(&s->fd);
			return 0;
		}
		if (s->overflow)
			continue;   /* killed already; just draining */
		if ((size_t)n > max - s->len) {
			s->overflow = 1;
			n = (ssize_t)(max - s->len);
		}
		if (s->len + (size_t)n + 1 > s->cap) {
			size_t ncap = s->cap ? s->cap : 4096;
			char *np;

			while (ncap < s->len + (size_t)n + 1)
				ncap *= 2;
			if (ncap > max + 1)
				ncap = max + 1;
			if ((np = realloc(s->p, ncap)) == NULL)
				return -1;
			s->p = np;
			s->cap = ncap;
		}
		memcpy(s->p + s->len, chunk, (size_t)n);
		s->len += (size_t)n;
		s->p[s->len] = '\0';
		if (s->overflow)
			return 0;
	}
}

/* Writes what stdin takes now; closes it when done or unwanted. */
static void
feed_stdin(int *fd, const char *p, size_t len, size_t *off)
{
	ssize_t n;

	while (*off < len) {
		n = write(*fd, p + *off, len - *off > CHUNK ? CHUNK :
		    len - *off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				close_fd(fd);   /* EPIPE: it does not read */
			return;
		}
		*off += (size_t)n;
	}
	close_fd(fd);
}

static void
signal_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) < 0 && errno == ESRCH)
		(void)kill(pid, sig);
}

static void
kill_group(pid_t pid)
{
	signal_group(pid, SIGKILL);
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* How far the stopping of one handler has gone. */
struct stopper {
	pid_t     pid;
	unsigned  grace_ms;
	int       killed;      /* the run's end is decided */
	int       sigkilled;   /* SIGKILL was sent */
	long long kill_at;     /* SIGTERM was sent: SIGKILL then; 0: none */
};

/*
 * 1 when pid has exited, and then reaps it (into *wstatus, may be NULL);
 * 0 while it runs (block 0 only).  The ended() hook runs in between,
 * while the exited pid (and so its group id) cannot be reused.
 */
static int
reap(const struct tk_exec_spec *sp, pid_t pid, int *wstatus, int block)
{
	siginfo_t si;
	int r;

	memset(&si, 0, sizeof(si));
	do
		r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT |
		    (block ? 0 : WNOHANG));
	while (r < 0 && errno == EINTR);
	if (r == 0 && si.si_pid != pid)
		return 0;
	if (sp->ended != NULL)
		sp->ended(sp->fence_arg);
	if (r < 0)
		return 1;   /* ECHILD: reaped already */
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
	return 1;
}

/*
 * Ends the run as `why` (first reason wins).  hard: SIGKILL to the group
 * now; else SIGTERM once, and SIGKILL grace_ms later (supervise() sends
 * it): the same sequence for a timeout as for a stop asked by tick().
 */
static void
stop(struct tk_exec_result *res, struct stopper *st, enum tk_exec_end why,
    int hard)
{
	if (!st->killed) {
		res->end = why;
		st->killed = 1;
	}
	if (hard || st->grace_ms == 0) {
		kill_group(st->pid);
		st->sigkilled = 1;
		st->kill_at = 0;
	} else if (!res->termed && !st->sigkilled) {
		signal_group(st->pid, SIGTERM);
		res->termed = 1;
		st->kill_at = tk_now_ms() + st->grace_ms;
	}
}

/* Takes the strings into res; both end up allocated and terminated. */
static tk_err
finish_streams(struct tk_exec_result *res, struct stream *o,
    struct stream *e)
{
	if (o->p == NULL && (o->p = calloc(1, 1)) == NULL)
		return TK_ERR_NOMEM;
	if (e->p == NULL && (e->p = calloc(1, 1)) == NULL)
		return TK_ERR_NOMEM;
	res->out = o->p;
	res->out_len = o->len;
	res->err = e->p;
	res->err_len = e->len;
	o->p = e->p = NULL;
	return TK_OK;
}

/* Sets how the handler ended; end only when no stop decided it. */
static void
ended(struct tk_exec_result *res, const struct stopper *st, int wstatus)
{
	res->exited = WIFEXITED(wstatus);
	res->status = res->exited ? WEXITSTATUS(wstatus) :
	    WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	if (!st->killed)
		res->end = res->exited ? TK_EXEC_EXITED : TK_EXEC_SIGNALED;
}

/* A descriptor poll() reports the handler's exit on (Linux 5.3), so the
 * loop sees it at once; -1 where the kernel has none. */
static int
exit_fd(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0 && fcntl((int)fd, F_SETFD, FD_CLOEXEC) == 0)
		return (int)fd;
	if (fd >= 0)
		close((int)fd);
#else
	(void)pid;
#endif
	return -1;
}

/* How long poll() may wait: up to the loop's next deadline. */
static long long
poll_wait(const struct stream *so, const struct stream *se, int exitfd,
    const struct stopper *st, long long deadline, long long next_tick)
{
	long long now = tk_now_ms(), wait = POLL_CAP_MS;

	if (so->fd < 0 && se->fd < 0 && exitfd < 0)
		wait = 2;   /* pipes closed: the exit is imminent */
	if (deadline && !st->killed && deadline - now < wait)
		wait = deadline - now;
	if (!st->sigkilled && next_tick - now < wait)
		wait = next_tick - now;
	if (st->kill_at && st->kill_at - now < wait)
		wait = st->kill_at - now;
	return wait < 0 ? 0 : wait;
}

/* The supervision loop's state (supervise()). */
struct loop {
	const struct tk_exec_spec *sp;
	struct tk_exec_result     *res;
	struct stream             *so, *se;
	struct stopper             st;
	int                        in_w;       /* stdin; -1 once closed */
	size_t                     off;        /* of the input written */
	size_t                     max;        /* output bytes per stream */
	unsigned                   tick_ms;
	long long                  deadline;   /* timeout; 0: none */
	long long                  next_tick;
	long long                  drain_until;
	int                        reaped, wstatus;
	int                        exitfd;     /* exit_fd(); -1: none */
};

static void
poll_add(struct pollfd *pfd, int *n, int fd, short events)
{
	if (fd < 0)
		return;
	pfd[*n].fd = fd;
	pfd[(*n)++].events = events;
}

/* One poll() and what it allows: stdin fed, stdout and stderr read.  A
 * failure (*e) or too much output stops the handler at once. */
static void
io_round(struct loop *l, tk_err *e)
{
	struct pollfd pfd[4];
	long long wait;
	int n = 0;

	poll_add(pfd, &n, l->in_w, POLLOUT);
	poll_add(pfd, &n, l->so->fd, POLLIN);
	poll_add(pfd, &n, l->se->fd, POLLIN);
	if (!l->reaped)
		poll_add(pfd, &n, l->exitfd, POLLIN);
	wait = poll_wait(l->so, l->se, l->reaped ? -1 : l->exitfd, &l->st,
	    l->deadline, l->next_tick);
	if (poll(pfd, (nfds_t)n, (int)wait) < 0 && errno != EINTR) {
		*e = TK_ERR_IO;
		stop(l->res, &l->st, TK_EXEC_ABORTED, 1);
	}
	if (l->in_w >= 0)
		feed_stdin(&l->in_w, l->sp->input, l->sp->input_len, &l->off);
	if (l->so->fd >= 0 && stream_read(l->so, l->max) < 0)
		*e = TK_ERR_NOMEM;
	if (l->se->fd >= 0 && stream_read(l->se, l->max) < 0)
		*e = TK_ERR_NOMEM;
	if (*e == TK_ERR_NOMEM)
		stop(l->res, &l->st, TK_EXEC_ABORTED, 1);
	if (l->so->overflow || l->se->overflow)
		stop(l->res, &l->st, TK_EXEC_TOO_LARGE, 1);
}

/* The clock of a running handler: the grace after SIGTERM, the timeout,
 * the caller's tick. */
static void
clock_round(struct loop *l, long long now)
{
	const struct tk_exec_spec *sp = l->sp;
	int t;

	if (l->st.kill_at && now >= l->st.kill_at)
		stop(l->res, &l->st, l->res->end, 1);   /* the grace is over */
	if (l->deadline && now >= l->deadline && !l->st.killed)
		stop(l->res, &l->st, TK_EXEC_TIMEOUT, 0);
	/* Ticks go on through the grace (the lease is renewed); a second
	 * stop changes nothing, TK_EXEC_TICK_KILL ends it. */
	if (!l->st.sigkilled && now >= l->next_tick) {
		l->next_tick = now + l->tick_ms;
		if (sp->tick != NULL &&
		    (t = sp->tick(sp->tick_arg)) != TK_EXEC_TICK_GO_ON)
			stop(l->res, &l->st, TK_EXEC_ABORTED,
			    t == TK_EXEC_TICK_KILL);
	}
}

/* 1 once the handler is reaped and its pipes are done (or the drain
 * time for a descendant that holds them is over). */
static int
over(struct loop *l, long long now)
{
	if (!l->reaped && reap(l->sp, l->st.pid, &l->wstatus, 0)) {
		l->reaped = 1;
		l->st.kill_at = 0;
		/* Stragglers of the handler's group go too. */
		kill_group(l->st.pid);
		l->drain_until = now + (l->st.sigkilled ? 0 : DRAIN_MS);
	}
	return l->reaped && ((l->so->fd < 0 && l->se->fd < 0) ||
	    now >= l->drain_until);
}

/* The loop: runs until the handler is reaped and its pipes are done;
 * closes in_w and the streams' descriptors. */
static tk_err
supervise(const struct tk_exec_spec *sp, pid_t pid, int in_w,
    struct stream *so, struct stream *se, long long t0,
    struct tk_exec_result *res)
{
	struct loop l;
	long long now;
	tk_err e = TK_OK;

	memset(&l, 0, sizeof(l));
	l.sp = sp;
	l.res = res;
	l.so = so;
	l.se = se;
	l.st.pid = pid;
	l.exitfd = exit_fd(pid);
	l.st.grace_ms = sp->term_grace_ms;
	l.in_w = in_w;
	l.max = sp->max_output ? sp->max_output : DEFAULT_MAX_OUTPUT;
	l.tick_ms = sp->tick_ms ? sp->tick_ms : DEFAULT_TICK_MS;
	l.deadline = sp->timeout_ms ? t0 + sp->timeout_ms : 0;
	l.next_tick = t0 + l.tick_ms;
	if (sp->input == NULL || sp->input_len == 0)
		close_fd(&l.in_w);
	for (;;) {
		io_round(&l, &e);
		now = tk_now_ms();
		if (over(&l, now))
			break;
		if (!l.reaped)
			clock_round(&l, now);
	}
	close_fd(&l.in_w);
	close_fd(&l.exitfd);
	close_fd(&so->fd);
	close_fd(&se->fd);
	ended(res, &l.st, l.wstatus);
	res->out_overflow = so->overflow;
	res->err_overflow = se->overflow;
	return e;
}

/* The four pipes of a run: stdin, stdout, stderr, and the child's
 * report of a failed start ([0] the read end, [1] the write end). */
struct pipes {
	int in[2], out[2], err[2], ex[2];
};

static void
pipes_close(struct pipes *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		close_fd(&p->in[i]);
		close_fd(&p->out[i]);
		close_fd(&p->err[i]);
		close_fd(&p->ex[i]);
	}
}

static int
pipes_open(struct pipes *p)
{
	memset(p, 0xff, sizeof(*p));   /* every descriptor -1 */
	return pipe2(p->in, O_CLOEXEC) < 0 || pipe2(p->out, O_CLOEXEC) < 0 ||
	    pipe2(p->err, O_CLOEXEC) < 0 || pipe2(p->ex, O_CLOEXEC) < 0 ?
	    -1 : 0;
}

/*
 * 1 when the child could not start (res says why; it is reaped): a
 * report on the exec pipe.  EOF instead means exec happened (the pipe
 * is close-on-exec).
 */
static int
not_started(const struct tk_exec_spec *sp, pid_t pid, int ex_r,
    struct tk_exec_result *res)
{
	struct child_report rep;
	ssize_t n;

	do
		n = read(ex_r, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rep))
		return 0;
	(void)reap(sp, pid, NULL, 1);
	res->end = TK_EXEC_NOT_STARTED;
	res->status = rep.err;
	res->failed_op = rep.op >= 0 && rep.op <= OP_EXEC ? ops[rep.op] :
	    "start";
	return 1;
}

/* The handler started: its output pipes become so and se, and it is
 * supervised to its end. */
static tk_err
watch(const struct tk_exec_spec *sp, pid_t pid, struct pipes *p,
    struct stream *so, struct stream *se, long long t0,
    struct tk_exec_result *res)
{
	int in_w = p->in[1];

	so->fd = p->out[0];
	se->fd = p->err[0];
	p->out[0] = p->err[0] = p->in[1] = -1;
	if (set_nonblock(in_w) < 0 || set_nonblock(so->fd) < 0 ||
	    set_nonblock(se->fd) < 0) {
		close_fd(&in_w);
		kill_group(pid);
		(void)reap(sp, pid, NULL, 1);
		return TK_ERR_IO;
	}
	return supervise(sp, pid, in_w, so, se, t0, res);
}

tk_err
tk_exec_run(const struct tk_exec_spec *sp, struct tk_exec_result *res)
{
	struct pipes p;
	struct stream so, se;
	struct sigaction ign, old;
	sigset_t all, mask;
	char **env;
	long long t0 = tk_now_ms();
	pid_t pid, parent = getpid();
	tk_err e = TK_OK;

	memset(res, 0, sizeof(*res));
	memset(&so, 0, sizeof(so));
	memset(&se, 0, sizeof(se));
	so.fd = se.fd = -1;
	if (sp->argv == NULL || sp->argv[0] == NULL || sp->envp == NULL)
		return TK_ERR_INTERNAL;
	if (pipes_open(&p) < 0) {
		e = TK_ERR_IO;
		goto out;
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	(void)sigaction(SIGPIPE, &ign, &old);
	/*
	 * vfork: the child borrows this process's memory until it execs, so
	 * starting a handler copies no page tables (a fork of the worker
	 * cost more CPU than the handler itself).  What the child writes
	 * that we read afterwards: environ (restored below) and errno (not
	 * read).  Every signal stays blocked until the child has reset the
	 * handlers it inherits, so none of ours runs in it on our memory.
	 */
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &mask);
	env = environ;
	if ((pid = vfork()) == 0)
		child(sp, p.in[0], p.out[1], p.err[1], p.ex[1], parent);
	environ = env;
	(void)sigprocmask(SIG_SETMASK, &mask, NULL);
	if (pid < 0) {
		e = TK_ERR_IO;
		goto restore;
	}
	/* The child's ends: EOF on ex[0] once it has exec'd. */
	close_fd(&p.in[0]);
	close_fd(&p.out[1]);
	close_fd(&p.err[1]);
	close_fd(&p.ex[1]);
	if (!not_started(sp, pid, p.ex[0], res))
		e = watch(sp, pid, &p, &so, &se, t0, res);
restore:
	(void)sigaction(SIGPIPE, &old, NULL);
out:
	pipes_close(&p);
	close_fd(&so.fd);
	close_fd(&se.fd);
	if (finish_streams(res, &so, &se) != TK_OK && e == TK_OK)
		e = TK_ERR_NOMEM;
	free(so.p);
	free(se.p);
	res->duration_ms = tk_now_ms() - t0;
	return e;
}

void
tk_exec_result_free(struct tk_exec_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}

/* ---------------------------------------------------------------- env */

tk_err
tk_env_put(struct tk_env *env, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t nlen, i;
	char *copy;

	if (eq == NULL || eq == entry)
		return TK_ERR_BAD_REQUEST;
	nlen = (size_t)(eq - entry) + 1;   /* with the '=' */
	if ((copy = strdup(entry)) == NULL)
		return TK_ERR_NOMEM;
	for (i = 0; i < env->n; i++)
		if (strncmp(env->v[i], entry, nlen) == 0) {
			free(env->v[i]);
			env->v[i] = copy;
			return TK_OK;
		}
	/* Room for it and the NULL that ends the list. */
	if (tk_grow((void **)&env->v, &env->cap, env->n + 2, sizeof(*env->v),
	    16) != TK_OK) {
		free(copy);
		return TK_ERR_NOMEM;
	}
	env->v[env->n++] = copy;
	env->v[env->n] = NULL;
	return TK_OK;
}

tk_err
tk_env_set(struct tk_env *env, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *s;
	tk_err e;

	if ((s = malloc(nl + vl + 2)) == NULL)
		return TK_ERR_NOMEM;
	memcpy(s, name, nl);
	s[nl] = '=';
	memcpy(s + nl + 1, value, vl + 1);
	e = strchr(name, '=') != NULL ? TK_ERR_BAD_REQUEST : tk_env_put(env, s);
	free(s);
	return e;
}

const char *
tk_env_get(const struct tk_env *env, const char *name)
{
	size_t nl = strlen(name), i;

	for (i = 0; i < env->n; i++)
		if (strncmp(env->v[i], name, nl) == 0 && env->v[i][nl] == '=')
			return env->v[i] + nl + 1;
	return NULL;
}

void
tk_env_free(struct tk_env *env)
{
	size_t i;

	for (i = 0; i < env->n; i++)
		free(env->v[i]);
	free(env->v);
	env->v = NULL;
	env->n = env->cap = 0;
}

/* ---------------------------------------------------------------- output */

/* 1 when every number in v is finite: json-c accepts NaN, Infinity and
 * 1e999 even in strict mode, and none of them is JSON. */
static int
finite_numbers(json_object *v)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_double:
		return isfinite(json_object_get_double(v));
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (!finite_numbers(json_object_array_get_idx(v, i)))
				return 0;
		return 1;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if (!finite_numbers(val))
				return 0;
		}
		return 1;
	}
	default:
		return 1;
	}
}

tk_err
tk_exec_parse_output(const char *s, size_t len, json_object **obj,
    char *why, size_t whysz)
{
	struct json_tokener *tok;
	enum json_tokener_error je;
	json_object *o;
	size_t lead, end;

	*obj = NULL;
	lead = 0;
	while (lead < len && (s[lead] == ' ' || s[lead] == '\t' ||
	    s[lead] == '\r' || s[lead] == '\n'))
		lead++;
	if (lead == len) {
		snprintf(why, whysz, "output is empty (expected a JSON "
		    "object)");
		return TK_ERR_VALIDATION;
	}
	if (s[lead] != '{') {
		snprintf(why, whysz, "output is not a JSON object");
		return TK_ERR_VALIDATION;
	}
	if (len > INT_MAX) {
		snprintf(why, whysz, "output is too large");
		return TK_ERR_VALIDATION;
	}

	if ((tok = json_tokener_new_ex(OUTPUT_DEPTH)) == NULL)
		return TK_ERR_NOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL) {
		if (je == json_tokener_continue)
			snprintf(why, whysz, "output is not valid JSON (it "
			    "ends before the object is closed)");
		else
			snprintf(why, whysz, "output is not valid JSON: %s",
			    json_tokener_error_desc(je));
		return TK_ERR_VALIDATION;
	}
	while (end < len && (s[end] == ' ' || s[end] == '\t' ||
	    s[end] == '\r' || s[end] == '\n'))
		end++;
	if (je != json_tokener_success || end != len) {
		json_object_put(o);
		snprintf(why, whysz, "output holds more than one JSON value");
		return TK_ERR_VALIDATION;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(why, whysz, "output is not a JSON object");
		return TK_ERR_VALIDATION;
	}
	if (!finite_numbers(o)) {
		json_object_put(o);
		snprintf(why, whysz, "output is not valid JSON: a number is "
		    "NaN, Infinity or out of range");
		return TK_ERR_VALIDATION;
	}
	/* json-c lets encoded surrogates through; the database does not. */
	if ((end = tk_utf8_bad(s, len)) != len) {
		json_object_put(o);
		snprintf(why, whysz, "output is not valid UTF-8 (at byte %zu)",
		    end);
		return TK_ERR_VALIDATION;
	}
	*obj = o;
	return TK_OK;
}
