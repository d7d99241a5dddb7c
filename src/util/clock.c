/*
 * clock.c - the monotonic clock (see clock.h).  clock_gettime() is
 * async-signal-safe, so these may be called between fork and exec.
 */
#include "tasker/clock.h"

#include <time.h>

long long
tk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
tk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
