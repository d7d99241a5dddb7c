/*
 * worker.c - the supervisor and the children of tasker-worker (see
 * worker.h).
 *
 * Process-wide state: the two signal flags (a signal handler can only
 * reach a global) and nothing else.  The supervisor and its children
 * share one mapping (the count of idle children, and one lease slot per
 * child) and one pipe (wake-up bytes, one per step the supervisor saw
 * ready).
 *
 * The lease watchdog is a process of its own, forked by the supervisor
 * and restarted when it dies: it reads the lease slots (engine.h) every
 * WATCH_MS and kills a handler whose lease deadline passed.  It never
 * touches the database, so neither a stopped worker process nor a
 * database that does not answer can delay it; the supervisor's own loop
 * does block on the database (heartbeat, reaper, wake-ups), which is why
 * the watchdog is not the supervisor.
 *
 * The supervisor never holds a database connection across a fork: it
 * disconnects first, so no child ever shares its socket.
 */
#include "tasker/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "tasker/alloc.h"
#include "tasker/clock.h"
#include "tasker/engine.h"
#include "tasker/hooks.h"
#include "tasker/log.h"
#include "tasker/wake.h"
#include "tasker/sched.h"

#define SUP_TICK_MS      100     /* the supervisor's longest sleep */
#define REAP_MS          1000    /* expired leases are looked for */
#define KILL_MARGIN_MS   10000   /* after the grace, children are killed */
#define RESTART_MAX_MS   30000
#define HOST_MAX         64
#define ERR_LOG_MS       30000   /* a failing database is logged this often */
#define IDLE_ERRORS_MAX  5       /* until_idle gives up after these */
#define ERR_BACKOFF_MS   1000    /* the wake-up read after a failure */
#define WATCH_MS         50      /* the watchdog's look at the slots */

static volatile sig_atomic_t stop_flag;

struct shared {
	atomic_int           idle;      /* children waiting for work */
	struct tk_lease_slot lease[];   /* one per slot, same index */
};

struct slot {
	pid_t     pid;        /* 0: not running */
	long long started;
	long long restart_at;
	unsigned  fails;      /* quick deaths in a row */
	int       done;
	int       failed;     /* it ended with a non-zero status */
};

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
set_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---------------------------------------------------------------- child */

/*
 * Waits up to ms for a wake-up: a byte on the supervisor's pipe, or a
 * datagram on this child's own socket (wake.h).  Returns when one came,
 * the time is up, or a signal came.  A byte another child took first
 * sends this one back to waiting.
 */
static void
wait_for_work(int wake_r, struct tk_wake *wk, struct shared *sh,
    long long ms)
{
	long long until = tk_now_ms() + ms, left;
	struct pollfd p[2];
	char c;

	if (wake_r < 0) {
		/* Not waiting for work (backing off after an error). */
		if (ms > 0)
			(void)poll(NULL, 0, (int)ms);
		return;
	}
	atomic_fetch_add(&sh->idle, 1);
	tk_wake_mark(wk, 1);
	while (!stop_flag && (left = until - tk_now_ms()) > 0) {
		memset(p, 0, sizeof(p));
		p[0].fd = wake_r;
		p[0].events = POLLIN;
		p[1].fd = wk->fd;    /* -1: not bound, poll() skips it */
		p[1].events = POLLIN;
		if (poll(p, 2, (int)left) <= 0)
			break;   /* time is up, or a signal */
		if (p[1].revents != 0) {
			tk_wake_drain(wk);
			break;
		}
		if (read(wake_r, &c, 1) == 1)
			break;
	}
	/* Busy before it claims: a sender picks another idle one. */
	tk_wake_mark(wk, 0);
	atomic_fetch_sub(&sh->idle, 1);
}

static void __attribute__((noreturn))
child_main(const struct tk_worker_opts *o, const char *wid, pid_t parent,
    int wake_r, struct shared *sh, struct tk_lease_slot *slot, long long t0)
{
	const struct tk_worker_config *w = &o->cfg->worker;
	struct tk_engine *eng = NULL;
	struct tk_wake wk;
	char owner[TK_ENGINE_OWNER_MAX];
	long long backoff = w->poll_min_ms, last_err_log = 0;
	long long budget_end = o->max_seconds ?
	    t0 + (long long)o->max_seconds * 1000 : 0;
	unsigned errors = 0;
	int ran, rc = 0;
	tk_err e;

	/* The supervisor's death is our SIGTERM. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(0);
	snprintf(owner, sizeof(owner), "%s/%d", wid, (int)getpid());
	if (tk_engine_new(o->cfg, owner, &stop_flag, &eng) != TK_OK)
		_exit(1);
	tk_engine_set_lease_slot(eng, slot);
	/* No socket (run_dir unusable): the supervisor's probe and our
	 * own polling still find every step. */
	if (o->until_idle || tk_wake_bind(&wk, o->cfg->run_dir) < 0)
		wk.fd = -1;
	if (budget_end)
		tk_engine_set_stop_at(eng, budget_end);
	tk_log(TK_LOG_DEBUG, "event=child_start owner=%s", owner);
	while (!stop_flag) {
		if (budget_end && tk_now_ms() >= budget_end)
			break;
		if ((e = tk_engine_run_one(eng, &ran)) != TK_OK) {
			errors++;
			if (tk_now_ms() - last_err_log >= ERR_LOG_MS) {
				last_err_log = tk_now_ms();
				tk_log(TK_LOG_ERROR, "event=claim_failed "
				    "error=%s failures=%u", tk_err_name(e),
				    errors);
			}
			if (o->until_idle && errors >= IDLE_ERRORS_MAX) {
				rc = 1;
				break;
			}
			wait_for_work(-1, &wk, sh, backoff);
			backoff = backoff * 2 > w->poll_max_ms ?
			    w->poll_max_ms : backoff * 2;
			continue;
		}
		errors = 0;
		if (ran) {
			backoff = w->poll_min_ms;
			continue;
		}
		if (o->until_idle)
			break;
		wait_for_work(wake_r, &wk, sh, backoff);
		backoff = backoff * 2 > w->poll_max_ms ?
		    w->poll_max_ms : backoff * 2;
	}
	tk_wake_close(&wk);
	tk_engine_free(eng);
	exit(rc);
}

/* ------------------------------------------------------------ watchdog */

/*
 * Fences every slot whose deadline passed.  Ignores SIGTERM and SIGINT
 * (a stopping worker still needs it) and outlives the supervisor until
 * no slot holds a live attempt.
 */
static void __attribute__((noreturn))
watch_main(struct shared *sh, unsigned procs, pid_t parent)
{
	struct tk_lease_slot *l;
	unsigned i, live;
	int pgid, st;

	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	for (;;) {
		live = 0;
		for (i = 0; i < procs; i++) {
			l = &sh->lease[i];
			if (tk_lease_check(l, tk_now_ms(), &pgid))
				tk_log(TK_LOG_WARN, "event=lease_fenced "
				    "step_id=%llu handler_pgid=%d",
				    (unsigned long long)atomic_load(&l->step),
				    pgid);
			st = atomic_load(&l->state);
			if (st == TK_LEASE_RUN || st == TK_LEASE_RECORD)
				live++;
		}
		if (live == 0 && getppid() != parent)
			_exit(0);
		(void)poll(NULL, 0, WATCH_MS);
	}
}

/* ------------------------------------------------------------ supervisor */

struct sup {
	const struct tk_worker_opts *o;
	struct tk_engine            *eng;
	struct shared               *sh;
	size_t                       shsz;
	pid_t                        watch_pid;   /* 0: not running */
	struct slot                 *slots;
	unsigned                     procs;
	int                          wake_fd[2];
	int                          registered;
	char                         host[HOST_MAX + 1];
	char                         wid[TK_ENGINE_OWNER_MAX - 16];
	long long                    t0;
	long long                    stop_t;      /* 0: not stopping */
	long long                    next_beat;
	long long                    next_reap;
	long long                    next_probe;
};

static void
make_id(struct sup *s)
{
	unsigned r = 0;
	size_t i;

	if (gethostname(s->host, sizeof(s->host)) < 0)
		snprintf(s->host, sizeof(s->host), "localhost");
	s->host[sizeof(s->host) - 1] = '\0';
	for (i = 0; s->host[i] != '\0'; i++)
		if (s->host[i] <= ' ' || s->host[i] == '/' || s->host[i] > '~')
			s->host[i] = '_';
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)tk_now_ms() ^ (unsigned)getpid();
	snprintf(s->wid, sizeof(s->wid), "%s:%d:%08x", s->host, (int)getpid(),
	    r);
}

static void
spawn_watch(struct sup *s)
{
	pid_t parent = getpid(), pid;

	tk_engine_disconnect(s->eng);
	if ((pid = fork()) < 0) {
		tk_log(TK_LOG_ERROR, "event=fork_failed errno=%d", errno);
		return;   /* tried again at the next turn */
	}
	if (pid == 0)
		watch_main(s->sh, s->procs, parent);
	s->watch_pid = pid;
}

static void
spawn(struct sup *s, struct slot *sl)
{
	struct tk_lease_slot *lease = &s->sh->lease[sl - s->slots];
	pid_t parent = getpid(), pid;

	tk_lease_clear(lease);
	tk_engine_disconnect(s->eng);
	if ((pid = fork()) < 0) {
		tk_log(TK_LOG_ERROR, "event=fork_failed errno=%d", errno);
		sl->restart_at = tk_now_ms() + 1000;
		return;
	}
	if (pid == 0)
		child_main(s->o, s->wid, parent, s->wake_fd[0], s->sh, lease,
		    s->t0);
	sl->pid = pid;
	sl->started = tk_now_ms();
}

/* Notes a child's end; schedules its restart unless we are ending. */
static void
child_ended(struct slot *sl, int status, int ending)
{
	long long lived = tk_now_ms() - sl->started, delay;

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		tk_log(TK_LOG_WARN, "event=child_exit pid=%d %s=%d",
		    (int)sl->pid, WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	sl->pid = 0;
	if (ending) {
		sl->done = 1;
		sl->failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		return;
	}
	/* A child that keeps dying young is restarted ever more slowly. */
	sl->fails = lived < 10000 ? sl->fails + 1 : 0;
	delay = sl->fails == 0 ? 0 :
	    1000LL << (sl->fails < 6 ? sl->fails - 1 : 5);
	if (delay > RESTART_MAX_MS)
		delay = RESTART_MAX_MS;
	sl->restart_at = tk_now_ms() + delay;
}

/* The children restart on their own in daemon mode, never otherwise. */
static int
restarting(const struct sup *s)
{
	return s->stop_t == 0 && !s->o->until_idle;
}

/* Reaps ended children, restarts due ones; returns how many are (or
 * will be again) running. */
static unsigned
keep_children(struct sup *s, long long now)
{
	unsigned i, live = 0;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->watch_pid) {
			tk_log(TK_LOG_WARN, "event=watchdog_exit pid=%d",
			    (int)pid);
			s->watch_pid = 0;
		}
		for (i = 0; i < s->procs; i++)
			if (s->slots[i].pid == pid) {
				/* Its handler died with it (PDEATHSIG). */
				tk_lease_clear(&s->sh->lease[i]);
				child_ended(&s->slots[i], status,
				    !restarting(s));
			}
	}
	if (s->watch_pid == 0)
		spawn_watch(s);
	for (i = 0; i < s->procs; i++) {
		struct slot *sl = &s->slots[i];

		if (sl->pid == 0 && !sl->done && restarting(s) &&
		    now >= sl->restart_at)
			spawn(s, sl);
		if (sl->pid > 0 || (!sl->done && restarting(s)))
			live++;
	}
	return live;
}

static void
signal_children(struct sup *s, int sig)
{
	unsigned i;

	for (i = 0; i < s->procs; i++)
		if (s->slots[i].pid > 0)
			kill(s->slots[i].pid, sig);
}

/* Wakes as many idle children as steps are ready.  -1 when the
 * database could not be asked. */
static int
wake(struct sup *s)
{
	unsigned ready = 0, idle, i;
	char c = 1;

	idle = (unsigned)atomic_load(&s->sh->idle);
	if (idle == 0)
		return 0;
	if (tk_engine_ready_count(s->eng, s->procs, &ready) != TK_OK)
		return -1;
	for (i = 0; i < ready && i < idle; i++)
		if (write(s->wake_fd[1], &c, 1) != 1)
			break;
	return 0;
}

/* The reaper's question: is owner a live child of ours that still holds
 * step (it may be recording after an outage)? */
static int
held_by_child(void *arg, const char *owner, unsigned long long step)
{
	struct sup *s = arg;
	char mine[TK_ENGINE_OWNER_MAX];
	unsigned i;

	for (i = 0; i < s->procs; i++) {
		if (s->slots[i].pid <= 0)
			continue;
		snprintf(mine, sizeof(mine), "%s/%d", s->wid,
		    (int)s->slots[i].pid);
		if (strcmp(owner, mine) == 0 &&
		    tk_lease_holds(&s->sh->lease[i], step))
			return 1;
	}
	return 0;
}

/* Heartbeat, lease reaping and wake-ups, each when it is due. */
static void
duties(struct sup *s, long long now)
{
	const struct tk_worker_config *w = &s->o->cfg->worker;

	if (now >= s->next_beat) {
		s->next_beat = now + (long long)w->heartbeat_seconds * 1000;
		if (!s->registered)
			s->registered = tk_engine_worker_start(s->eng, s->wid,
			    s->host, (unsigned)getpid(), s->procs) == TK_OK;
		else
			(void)tk_engine_worker_beat(s->eng, s->wid);
	}
	if (now >= s->next_reap) {
		s->next_reap = now + REAP_MS;
		(void)tk_engine_reap(s->eng, held_by_child, s, NULL);
	}
	tk_hooks_round(s->o->cfg, now);
	tk_housekeep(s->o->cfg, now);   /* schedules, retention: sched.h */
	if (!s->o->until_idle && now >= s->next_probe) {
		s->next_probe = now + w->poll_min_ms;
		/* A failing database is not asked again at once; the
		 * children poll on their own meanwhile. */
		if (wake(s) < 0)
			s->next_probe = tk_now_ms() + ERR_BACKOFF_MS;
	}
}

/* Sleeps until the next wake-up read, at most SUP_TICK_MS; a signal
 * ends the sleep early. */
static void
nap(const struct sup *s)
{
	long long t = SUP_TICK_MS, left = s->next_probe - tk_now_ms();

	if (restarting(s) && left < t)
		t = left;
	if (t > 0)
		(void)poll(NULL, 0, (int)t);
}

/* Connects, registers and takes back expired leases before any child
 * looks for work.  -1 when the worker cannot start at all. */
static int
sup_start(struct sup *s)
{
	unsigned i;
	tk_err e;

	set_signals();
	make_id(s);
	s->shsz = sizeof(*s->sh) + s->procs * sizeof(s->sh->lease[0]);
	s->sh = mmap(NULL, s->shsz, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->sh == MAP_FAILED ||
	    pipe2(s->wake_fd, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    (s->slots = calloc(s->procs, sizeof(*s->slots))) == NULL) {
		tk_log(TK_LOG_ERROR, "event=start_failed errno=%d", errno);
		return -1;
	}
	atomic_init(&s->sh->idle, 0);
	for (i = 0; i < s->procs; i++) {
		atomic_init(&s->sh->lease[i].state, TK_LEASE_IDLE);
		atomic_init(&s->sh->lease[i].pgid, 0);
		atomic_init(&s->sh->lease[i].deadline, 0);
		atomic_init(&s->sh->lease[i].step, 0);
	}
	if (tk_engine_new(s->o->cfg, s->wid, NULL, &s->eng) != TK_OK)
		return -1;
	if ((e = tk_engine_worker_start(s->eng, s->wid, s->host,
	    (unsigned)getpid(), s->procs)) == TK_OK) {
		s->registered = 1;
		e = tk_engine_reap(s->eng, NULL, NULL, NULL);
	}
	if (e != TK_OK) {
		tk_log(TK_LOG_ERROR, "event=db_error error=%s", tk_err_name(e));
		if (s->o->until_idle)
			return -1;
	}
	return 0;
}

int
tk_worker_run(const struct tk_worker_opts *o)
{
	struct sup s;
	unsigned i;
	long long now;
	int rc = 1;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.procs = o->cfg->worker.processes;
	s.wake_fd[0] = s.wake_fd[1] = -1;
	s.sh = MAP_FAILED;
	s.t0 = tk_now_ms();
	if (sup_start(&s) < 0)
		goto out;
	tk_log(TK_LOG_INFO, "event=start worker=%s processes=%u mode=%s",
	    s.wid, s.procs, o->until_idle ? "until_idle" : "daemon");
	spawn_watch(&s);
	for (i = 0; i < s.procs; i++)
		spawn(&s, &s.slots[i]);
	s.next_beat = tk_now_ms() +
	    (long long)o->cfg->worker.heartbeat_seconds * 1000;
	s.next_reap = tk_now_ms() + REAP_MS;
	for (;;) {
		now = tk_now_ms();
		if (stop_flag && s.stop_t == 0) {
			s.stop_t = now;
			tk_log(TK_LOG_INFO, "event=stopping worker=%s", s.wid);
			signal_children(&s, SIGTERM);
		}
		if (keep_children(&s, now) == 0)
			break;
		if (s.stop_t != 0 && now - s.stop_t > KILL_MARGIN_MS +
		    (long long)(o->cfg->worker.shutdown_grace_seconds +
		    o->cfg->worker.kill_grace_seconds) * 1000)
			signal_children(&s, SIGKILL);
		if (s.stop_t == 0)
			duties(&s, now);
		nap(&s);
	}
	rc = 0;
	for (i = 0; i < s.procs; i++)
		if (s.slots[i].failed)
			rc = 1;
out:
	if (s.watch_pid > 0) {
		/* Every child has ended: nothing is left to guard. */
		(void)kill(s.watch_pid, SIGKILL);
		while (waitpid(s.watch_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (s.eng != NULL) {
		if (s.registered)
			(void)tk_engine_worker_stop(s.eng, s.wid);
		tk_log(TK_LOG_INFO, "event=stop worker=%s", s.wid);
	}
	tk_engine_free(s.eng);
	free(s.slots);
	if (s.wake_fd[0] >= 0)
		close(s.wake_fd[0]);
	if (s.wake_fd[1] >= 0)
		close(s.wake_fd[1]);
	if (s.sh != MAP_FAILED)
		munmap(s.sh, s.shsz);
	return rc;
}

/* ---------------------------------------------------------------- run as */

tk_err
tk_worker_run_as(const char *user, struct tk_run_as *as)
{
	struct passwd *pw;
	int ng = 32;

	if (user == NULL || geteuid() != 0) {
		if (user != NULL)
			tk_log(TK_LOG_WARN, "event=config_note msg=\"worker."
			    "user applies only when the worker runs as root\"");
		pw = getpwuid(geteuid());
		if (pw != NULL && pw->pw_dir != NULL &&
		    (as->home = strdup(pw->pw_dir)) == NULL)
			return TK_ERR_NOMEM;
		return TK_OK;
	}
	if ((pw = getpwnam(user)) == NULL) {
		char q[TK_DIAG_QUOTE_SIZE];

		tk_log(TK_LOG_ERROR, "event=config_error msg=\"worker.user: no "
		    "such user\" user=%s", tk_log_quote(q, sizeof(q), user));
		return TK_ERR_CONFIG;
	}
	as->uid = pw->pw_uid;
	as->gid = pw->pw_gid;
	if ((as->home = strdup(pw->pw_dir ? pw->pw_dir : "/")) == NULL)
		return TK_ERR_NOMEM;
	for (;;) {
		gid_t *g = tk_reallocarray(as->groups, (size_t)ng,
		    sizeof(*g));
		int want = ng;

		if (g == NULL)
			return TK_ERR_NOMEM;
		as->groups = g;
		if (getgrouplist(user, as->gid, g, &want) >= 0) {
			as->ngroups = (size_t)want;
			break;
		}
		if (want <= ng || want > 65536)
			return TK_ERR_CONFIG;
		ng = want;
	}
	as->drop = 1;
	return TK_OK;
}

void
tk_run_as_free(struct tk_run_as *as)
{
	free(as->home);
	free(as->groups);
	memset(as, 0, sizeof(*as));
}
