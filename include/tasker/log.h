/*
 * log.h - one-line structured logs to stderr or syslog.
 *
 * Each line is logfmt ("time=... level=info prog=tasker-fcgi pid=12 msg=...")
 * or a JSON object, chosen by configuration.  Callers pass key=value pairs
 * as a printf format; values that may hold spaces or quotes go through
 * tk_log_quote().  Never pass a token, a password or a task context here.
 */
#ifndef TASKER_LOG_H
#define TASKER_LOG_H

#include <stddef.h>

enum tk_log_level { TK_LOG_DEBUG, TK_LOG_INFO, TK_LOG_WARN, TK_LOG_ERROR };

enum tk_log_format { TK_LOG_LOGFMT, TK_LOG_JSON };

enum tk_log_dest { TK_LOG_STDERR, TK_LOG_SYSLOG };

void tk_log_setup(const char *prog, enum tk_log_level min,
    enum tk_log_format fmt, enum tk_log_dest dest);
/* fields: logfmt pairs, e.g. "event=request status=200". */
void tk_log(enum tk_log_level lvl, const char *fields, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Holding (on): lines below warn are kept in a small per-process buffer
 * (4 KiB) and written together by tk_log_flush() (or when it is full, or
 * with the next warn/error line, or at exit(3), or by tk_log_hold(0)),
 * each flush one write(2) of whole lines.  For a single-threaded server
 * that flushes when it would otherwise wait (tasker-fcgi: before accept,
 * when no connection is waiting).  Only for the stderr destination;
 * never call either from a signal handler.  A process killed by a signal
 * it does not catch (SIGKILL, a crash) loses what is held.
 */
void tk_log_hold(int on);
void tk_log_flush(void);
/* Quotes s for a logfmt value into out (always NUL-terminated). */
const char *tk_log_quote(char *out, size_t outsz, const char *s);
/* Parses "debug", "info", "warn", "error"; -1 when unknown. */
int tk_log_level_parse(const char *s);

#endif
