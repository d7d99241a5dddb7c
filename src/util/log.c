/*
 * log.c - logfmt / JSON log lines.
 *
 * The JSON form wraps the logfmt pairs: {"time":..,"level":..,"prog":..,
 * "pid":..,"fields":"<logfmt>"} - enough for a collector to index, without a
 * second formatter to keep in step.
 */
#include "tasker/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char        *log_prog = "tasker";
static enum tk_log_level  log_min = TK_LOG_INFO;
static enum tk_log_format log_fmt = TK_LOG_LOGFMT;
static enum tk_log_dest   log_dest = TK_LOG_STDERR;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
tk_log_setup(const char *prog, enum tk_log_level min, enum tk_log_format fmt,
    enum tk_log_dest dest)
{
	log_prog = prog;
	log_min = min;
	log_fmt = fmt;
	log_dest = dest;
	if (dest == TK_LOG_SYSLOG)
		openlog(prog, LOG_PID, LOG_DAEMON);
}

int
tk_log_level_parse(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
tk_log_quote(char *out, size_t outsz, const char *s)
{
	size_t o = 0;
	int plain = *s != '\0';
	const char *p;

	if (outsz == 0)
		return out;
	for (p = s; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			plain = 0;
	if (plain) {
		snprintf(out, outsz, "%s", s);
		return out;
	}
	if (o + 1 < outsz)
		out[o++] = '"';
	for (p = s; *p != '\0' && o + 3 < outsz; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			out[o++] = '?';
		} else
			out[o++] = (char)c;
	}
	if (o + 1 < outsz)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}

/*
 * The pid of the calling process.  getpid(2) is a system call on every
 * glibc since 2.25, and a request log line is written per request, so it
 * is cached; the worker forks, so a child forgets the parent's.
 */
static pid_t log_pid;

static void
forget_pid(void)
{
	log_pid = 0;
}

static pid_t
pid_now(void)
{
	static int registered;

	if (!registered) {
		registered = 1;
		(void)pthread_atfork(NULL, NULL, forget_pid);
	}
	if (log_pid == 0)
		log_pid = getpid();
	return log_pid;
}

/*
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" for tv; the part up to the seconds is kept
 * from the previous call while the second is the same.
 */
static void
stamp_of(const struct timeval *tv, char out[32])
{
	static time_t last = (time_t)-1;
	static char secs[24];
	struct tm tm;

	if (tv->tv_sec != last) {
		gmtime_r(&tv->tv_sec, &tm);
		if (strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
			secs[0] = '\0';
		last = tv->tv_sec;
	}
	snprintf(out, 32, "%s.%03dZ", secs, (int)(tv->tv_usec / 1000));
}

/* One write(2) per line (or per batch of whole lines), so lines of
 * concurrent processes never mix. */
static void
write_all(const char *line, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* nowhere to report it */
		line += n;
		len -= (size_t)n;
	}
}

/*
 * Held lines (tk_log_hold): whole lines below warn, written together by
 * tk_log_flush.  HOLD_BYTES is PIPE_BUF's minimum, so one flush into a
 * pipe is still one atomic write.  Owned by the process (tasker-fcgi is
 * single-threaded); never touched from a signal handler.
 */
#define HOLD_BYTES 4096
static char   hold_buf[HOLD_BYTES];
static size_t hold_len;
static int    holding;

void
tk_log_flush(void)
{
	if (hold_len > 0)
		write_all(hold_buf, hold_len);
	hold_len = 0;
}

void
tk_log_hold(int on)
{
	static int registered;

	if (on && !registered) {
		registered = 1;
		(void)atexit(tk_log_flush);   /* exit(3) paths lose nothing */
	}
	if (!on)
		tk_log_flush();
	holding = on && log_dest == TK_LOG_STDERR;
}

/* A line of level lvl: held while holding (below warn), else written
 * after what is held, so the order of lines stays the order of events. */
static void
write_line(enum tk_log_level lvl, const char *line, size_t len)
{
	if (!holding || lvl >= TK_LOG_WARN || len > HOLD_BYTES) {
		tk_log_flush();
		write_all(line, len);
		return;
	}
	if (hold_len + len > HOLD_BYTES)
		tk_log_flush();
	memcpy(hold_buf + hold_len, line, len);
	hold_len += len;
}

void
tk_log(enum tk_log_level lvl, const char *fields, ...)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	char msg[2048], stamp[32], q[2100], line[4400];
	struct timeval tv;
	va_list ap;
	int n, m;

	if (lvl < log_min)
		return;
	if (log_dest == TK_LOG_SYSLOG) {
		va_start(ap, fields);
		vsnprintf(msg, sizeof(msg), fields, ap);
		va_end(ap);
		syslog(prio[lvl], "level=%s %s", level_names[lvl], msg);
		return;
	}
	gettimeofday(&tv, NULL);
	stamp_of(&tv, stamp);
	if (log_fmt == TK_LOG_JSON) {
		va_start(ap, fields);
		vsnprintf(msg, sizeof(msg), fields, ap);
		va_end(ap);
		tk_log_quote(q, sizeof(q), msg);
		n = snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":"
		    "\"%s\",\"prog\":\"%s\",\"pid\":%ld,\"fields\":%s%s%s}\n",
		    stamp, level_names[lvl], log_prog, (long)pid_now(),
		    q[0] == '"' ? "" : "\"", q, q[0] == '"' ? "" : "\"");
	} else {
		/* logfmt: the fields go straight after the prefix, cut at
		 * msg's size as in the JSON form. */
		n = snprintf(line, sizeof(line), "time=%s level=%s prog=%s "
		    "pid=%ld ", stamp, level_names[lvl], log_prog,
		    (long)pid_now());
		if (n < 0 || (size_t)n >= sizeof(line) - sizeof(msg) - 1)
			return;
		va_start(ap, fields);
		m = vsnprintf(line + n, sizeof(msg), fields, ap);
		va_end(ap);
		if (m < 0)
			return;
		n += (size_t)m < sizeof(msg) ? m : (int)sizeof(msg) - 1;
		line[n++] = '\n';
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {	/* cut, but still one line */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	write_line(lvl, line, (size_t)n);
}
