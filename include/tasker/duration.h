/*
 * duration.h - "30d", "12h", "90m", "45s", "2w" (src/util/duration.c):
 * the one spelling of a length of time in tasker.yaml and tasker-admin.
 */
#ifndef TASKER_DURATION_H
#define TASKER_DURATION_H

#include "tasker/error.h"

#define TK_DURATION_MAX (100LL * 366 * 86400)   /* a century, in seconds */

/*
 * A whole number followed by one unit, s, m, h, d or w (nothing else,
 * no spaces), into seconds; or a bare whole number of seconds.  0 ("0",
 * "0d") is allowed.  TK_ERR_BAD_REQUEST for anything else or more than
 * TK_DURATION_MAX.
 */
tk_err tk_duration_parse(const char *s, long long *seconds);

#endif
