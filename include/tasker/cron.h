/*
 * cron.h - five-field cron expressions and their fire times in a time
 * zone (src/sched/cron.c).  No C cron library is packaged in Debian, so
 * this is a small parser of its own.
 *
 * Syntax (Vixie cron's): "minute hour day-of-month month day-of-week",
 * each field a comma list of "*", "N", "N-M", each optionally "/STEP"
 * ("N/STEP" is "N-max/STEP"); months may be named jan..dec, weekdays
 * sun..sat (0 and 7 are Sunday); names are case-insensitive.  The
 * shorthands @yearly (@annually), @monthly, @weekly, @daily (@midnight)
 * and @hourly stand for their usual five fields.  Day of month and day of
 * week: when both are restricted (neither starts with "*"), a day matches
 * when either does (Vixie's OR rule); otherwise both must.
 *
 * Time zones are IANA names (Europe/Berlin) looked up in the system's tz
 * database (/usr/share/zoneinfo); "UTC" always exists.  Daylight saving:
 * a wall-clock time that a spring-forward transition skips fires once, at
 * the first instant after the gap (02:30 on a day New York jumps from
 * 02:00 to 03:00 fires at 03:00 EDT); a wall-clock time that a fall-back
 * transition repeats fires once, at its first occurrence (01:30 EDT, not
 * 01:30 EST).  Several skipped times collapse into that one instant.
 *
 * The zone is switched through the TZ environment variable, which is why
 * these calls are not thread-safe: tasker's processes run one thread.
 */
#ifndef TASKER_CRON_H
#define TASKER_CRON_H

#include <stdint.h>
#include <time.h>

#include "tasker/error.h"

#define TK_CRON_MAX     128   /* bytes of an expression */
#define TK_TZ_NAME_MAX  64    /* bytes of a zone name */

struct tk_cron {
	uint64_t minute;   /* bit n: minute n matches (0..59) */
	uint32_t hour;     /* 0..23 */
	uint32_t dom;      /* 1..31 */
	uint16_t month;    /* 1..12 */
	uint8_t  dow;      /* 0..6, Sunday 0 */
	int      dom_star; /* the field started with '*' */
	int      dow_star;
};

/*
 * Parses expr into *out.  TK_ERR_BAD_REQUEST with a short reason in why
 * (at least 96 bytes; may be NULL) when it is not a valid expression.
 */
tk_err tk_cron_parse(const char *expr, struct tk_cron *out, char *why,
    size_t whysz);

/* 1 when name is a zone of the system's tz database (or "UTC"). */
int    tk_tz_valid(const char *name);

/*
 * The first fire time strictly after `after` (seconds since the epoch)
 * in zone tz, into *out.  TK_ERR_NOT_FOUND-like failure when none comes
 * within eight years (e.g. "0 0 30 2 *"): TK_ERR_BAD_REQUEST.
 * TK_ERR_CONFIG when tz is not a valid zone.
 */
tk_err tk_cron_next(const struct tk_cron *c, const char *tz, time_t after,
    time_t *out);

/*
 * The latest max fire times in (after, until], oldest first, into out
 * (*n of them: fewer when fewer fell).  Ticks further back than needed
 * are not looked at, so a long gap costs no more than a short one.
 * TK_ERR_CONFIG for an invalid zone, TK_ERR_NOMEM.
 */
tk_err tk_cron_ticks(const struct tk_cron *c, const char *tz, time_t after,
    time_t until, time_t *out, size_t max, size_t *n);

#endif
