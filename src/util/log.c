/*
 * log.c - logfmt / JSON log lines.
 *
 * The JSON form wraps the logfmt pairs: {"time":..,"level":..,"prog":..,
 * "pid":..,"fields":"<logfmt>"} - enough for a collector to index, without a
 * second formatter to keep in step.
 */
#include "tasker/log.h"

#include <stdarg.h>
#include <stdio.h>
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

void
tk_log(enum tk_log_level lvl, const char *fields, ...)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	char msg[2048], stamp[96], q[2100];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (lvl < log_min)
		return;
	va_start(ap, fields);
	vsnprintf(msg, sizeof(msg), fields, ap);
	va_end(ap);
	if (log_dest == TK_LOG_SYSLOG) {
		syslog(prio[lvl], "level=%s %s", level_names[lvl], msg);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	if (log_fmt == TK_LOG_JSON) {
		tk_log_quote(q, sizeof(q), msg);
		fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"prog\":\"%s\","
		    "\"pid\":%ld,\"fields\":%s%s%s}\n", stamp, level_names[lvl],
		    log_prog, (long)getpid(), q[0] == '"' ? "" : "\"", q,
		    q[0] == '"' ? "" : "\"");
	} else
		fprintf(stderr, "time=%s level=%s prog=%s pid=%ld %s\n", stamp,
		    level_names[lvl], log_prog, (long)getpid(), msg);
}
