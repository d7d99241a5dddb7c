/*
 * backoff.c - retry delays of failed steps (see backoff.h).
 */
#include "tasker/backoff.h"

#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

unsigned long long
tk_backoff_delay_ms(unsigned attempt, unsigned base_s, unsigned cap_s,
    double rnd)
{
	unsigned long long d, cap;
	unsigned n;

	if (attempt == 0)
		attempt = 1;
	if (base_s == 0)
		base_s = 1;
	if (cap_s < base_s)
		cap_s = base_s;
	cap = (unsigned long long)cap_s * 1000;
	d = (unsigned long long)base_s * 1000;
	/* Doubling stops at the cap, so no shift can overflow. */
	for (n = 1; n < attempt && d < cap; n++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (!(rnd >= 0.0 && rnd < 1.0))   /* also catches NaN */
		rnd = 0.0;
	return d - (unsigned long long)((double)(d / 4) * rnd);
}

double
tk_backoff_random(void)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;

		/* No entropy yet: any spread will do for jitter. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)getpid();
	}
	return (double)(r >> 11) / 9007199254740992.0;   /* 2^53 */
}

int
tk_backoff_requested(json_object *out, unsigned *seconds)
{
	json_object *v;
	int64_t n;

	if (out == NULL || !json_object_is_type(out, json_type_object) ||
	    !json_object_object_get_ex(out, "retry_after_seconds", &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	if (n < 0 || n > TK_RETRY_AFTER_MAX)
		return 0;
	*seconds = (unsigned)n;
	return 1;
}
