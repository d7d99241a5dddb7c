/*
 * wake.h - the local wake-up of idle workers.
 *
 * Each tasker-worker process that waits for work binds a datagram socket
 * of its own in <run_dir>/wake/ (named by its pid), and marks it idle
 * while it waits (tk_wake_mark).  Whoever makes steps ready on this host
 * -- tasker-fcgi after the commit of POST /tasks or of a task retry, a
 * worker whose finished step released more than one child -- sends a
 * one-byte datagram to as many idle sockets as steps it made ready
 * (tk_wake_send): never blocking, every error ignored (a full queue
 * already means "wake up").  Waking every idle worker for one step cost
 * each of the others a claim that found nothing.  A worker whose claim
 * found a step wakes one more idle worker (tk_wake_more), which claims
 * in turn: a burst of steps - or two senders that picked the same
 * worker - wakes as many workers as it needs, and one more.
 *
 * It is a hint, never a guarantee: a lost datagram, a worker on another
 * host, a run_dir the sender cannot read, or an idle worker that stalls
 * (stopped, swapped out) after its socket took the datagram only mean
 * that polling finds the step instead: the supervisor's read every
 * worker.poll_min_ms wakes another idle process through its pipe.
 * A datagram carries nothing: anyone who can write the socket can make
 * a worker look for work, nothing more.
 */
#ifndef TASKER_WAKE_H
#define TASKER_WAKE_H

#include <stddef.h>

/* The folder under run_dir, and the bytes of a socket's path. */
#define TK_WAKE_DIR       "wake"
#define TK_WAKE_PATH_MAX  108   /* sizeof(sockaddr_un.sun_path) */

struct tk_wake {
	int  fd;                      /* -1: not bound */
	char path[TK_WAKE_PATH_MAX];
};

/*
 * Binds w (non-blocking, close-on-exec) at <run_dir>/wake/<pid>.sock,
 * creating the folder, and removes the sockets of processes that no
 * longer exist.  -1 (w->fd -1) when it cannot: the caller then polls
 * only.
 */
int  tk_wake_bind(struct tk_wake *w, const char *run_dir);
/* Empties w's queue (after poll() said it is readable). */
void tk_wake_drain(struct tk_wake *w);
/* Closes and removes w's socket (a no-op when it is not bound). */
void tk_wake_close(struct tk_wake *w);

/* Marks w's socket idle (1: its worker waits) or busy (0). */
void tk_wake_mark(struct tk_wake *w, int idle);

/* One datagram to each of up to n idle sockets in <run_dir>/wake/ (n 0:
 * to every socket); when none is idle, to every socket (a worker that
 * could not mark its socket still waits on it).  run_dir NULL: nothing. */
void tk_wake_send(const char *run_dir, unsigned n);
/* One datagram to one idle socket; nothing when none is idle. */
void tk_wake_more(const char *run_dir);

#endif
