/*
 * wake.c - the local wake-up of idle workers (see wake.h): datagram
 * sockets in <run_dir>/wake/, one per waiting worker process.
 *
 * Ownership: a struct tk_wake is its process's (bound by the worker
 * child, closed and removed by it); the sender owns nothing beyond one
 * call.  The sockets are mode 0666 (0766 while their worker waits): a
 * datagram only makes a worker look for work, and tasker-fcgi may run as
 * another user than the workers.
 */
#include "tasker/wake.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* "<dir>/wake/<name>" into a; 0 when it does not fit. */
static int
wake_addr(struct sockaddr_un *a, const char *dir, const char *name)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	n = snprintf(a->sun_path, sizeof(a->sun_path), "%s/" TK_WAKE_DIR
	    "%s%s", dir, name != NULL ? "/" : "", name != NULL ? name : "");
	return n > 0 && (size_t)n < sizeof(a->sun_path);
}

/* The pid a socket's name stands for; 0 when it is not "<pid>.sock". */
static long
sock_pid(const char *name)
{
	char *end;
	long pid;

	if (name[0] < '1' || name[0] > '9')
		return 0;
	pid = strtol(name, &end, 10);
	return strcmp(end, ".sock") == 0 && pid > 0 ? pid : 0;
}

/* Removes the sockets of processes that are gone (a worker killed with
 * SIGKILL leaves its socket behind). */
static void
remove_stale(const char *dir)
{
	struct sockaddr_un a;
	struct dirent *d;
	DIR *dh;
	long pid;

	if (!wake_addr(&a, dir, NULL) || (dh = opendir(a.sun_path)) == NULL)
		return;
	while ((d = readdir(dh)) != NULL) {
		if ((pid = sock_pid(d->d_name)) == 0 ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (wake_addr(&a, dir, d->d_name))
			(void)unlink(a.sun_path);
	}
	closedir(dh);
}

int
tk_wake_bind(struct tk_wake *w, const char *run_dir)
{
	struct sockaddr_un a;
	char name[32];

	w->fd = -1;
	w->path[0] = '\0';
	snprintf(name, sizeof(name), "%ld.sock", (long)getpid());
	if (run_dir == NULL || !wake_addr(&a, run_dir, NULL))
		return -1;
	if (mkdir(a.sun_path, 0755) < 0 && errno != EEXIST)
		return -1;
	remove_stale(run_dir);
	if (!wake_addr(&a, run_dir, name))
		return -1;
	if ((w->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)unlink(a.sun_path);   /* a reused pid's leftover */
	if (bind(w->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	memcpy(w->path, a.sun_path, sizeof(w->path));
	tk_wake_mark(w, 0);
	return 0;
}

void
tk_wake_drain(struct tk_wake *w)
{
	char b[16];

	if (w->fd < 0)
		return;
	while (recv(w->fd, b, sizeof(b), MSG_DONTWAIT) >= 0)
		;
}

void
tk_wake_close(struct tk_wake *w)
{
	if (w->fd < 0)
		return;
	close(w->fd);
	(void)unlink(w->path);
	w->fd = -1;
	w->path[0] = '\0';
}

/* Marks, on the socket's own file, whether its worker waits: the owner's
 * execute bit, which means nothing else on a socket. */
#define MODE_BUSY 0666
#define MODE_IDLE 0766

void
tk_wake_mark(struct tk_wake *w, int idle)
{
	if (w->fd >= 0)
		(void)chmod(w->path, idle ? MODE_IDLE : MODE_BUSY);
}

/* One datagram to socket name of run_dir's wake folder, through *fd
 * (opened on first use); 1 when it was sent. */
static int
send_one(int *fd, const char *run_dir, const char *name)
{
	struct sockaddr_un a;

	if (*fd < 0 && (*fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		return 0;
	return wake_addr(&a, run_dir, name) && sendto(*fd, "w", 1,
	    MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a,
	    sizeof(a)) == 1;
}

/* 1 when socket name in dh's folder is marked idle. */
static int
is_idle(DIR *dh, const char *name)
{
	struct stat st;

	return fstatat(dirfd(dh), name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & S_IXUSR) != 0;
}

/*
 * Up to n datagrams to sockets marked idle (0: to every socket); when
 * none is marked and all is set, to every socket (a worker may wait
 * unmarked: one that could not chmod, or of an older tasker).
 */
static void
wake_some(const char *run_dir, unsigned n, int all)
{
	struct sockaddr_un a;
	struct dirent *d;
	unsigned sent = 0;
	DIR *dh;
	int fd = -1;

	if (run_dir == NULL || !wake_addr(&a, run_dir, NULL) ||
	    (dh = opendir(a.sun_path)) == NULL)
		return;
	while ((n == 0 || sent < n) && (d = readdir(dh)) != NULL)
		if (sock_pid(d->d_name) != 0 &&
		    (n == 0 || is_idle(dh, d->d_name)))
			sent += (unsigned)send_one(&fd, run_dir, d->d_name);
	if (fd >= 0)
		close(fd);
	closedir(dh);
	if (n > 0 && sent == 0 && all)
		wake_some(run_dir, 0, 0);
}

void
tk_wake_send(const char *run_dir, unsigned n)
{
	wake_some(run_dir, n, 1);
}

void
tk_wake_more(const char *run_dir)
{
	wake_some(run_dir, 1, 0);
}
