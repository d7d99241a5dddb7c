/*
 * backoff.h - how long a failed attempt waits before the next.
 * (How many attempts a step gets is tk_step_max_attempts() in state.h.)
 *
 * Delay after failed attempt n (1-based): base * 2^(n-1) seconds, capped
 * at cap, so 1, 2, 4, 8, 16, 32 s ... with base 1.  Jitter takes up to a
 * quarter off (the delay is uniform in [3/4 d, d]), so workers that failed
 * together do not retry together, and the cap is never exceeded.
 *
 * A handler may ask for its own delay: a failed attempt (non-zero exit)
 * whose stdout is a JSON object with "retry_after_seconds": N (an integer
 * 0..TK_RETRY_AFTER_MAX) is retried after exactly N seconds, without
 * jitter and regardless of the cap (the handler knows its rate limit).
 */
#ifndef TASKER_BACKOFF_H
#define TASKER_BACKOFF_H

#include <json-c/json.h>

#define TK_RETRY_AFTER_MAX 86400   /* seconds */

/*
 * Milliseconds to wait after failed attempt `attempt` (1-based; 0 is
 * taken as 1).  rnd in [0, 1) picks the jitter (tests pass fixed values;
 * the engine passes tk_backoff_random()).  base_s and cap_s in seconds;
 * cap_s < base_s is treated as cap_s = base_s.
 */
unsigned long long tk_backoff_delay_ms(unsigned attempt, unsigned base_s,
    unsigned cap_s, double rnd);

/* A uniform random number in [0, 1) (from the kernel; never fails). */
double   tk_backoff_random(void);

/*
 * The delay a handler asked for: 1 with *seconds set when out (a failed
 * attempt's parsed stdout, may be NULL) is an object with an integer
 * "retry_after_seconds" in 0..TK_RETRY_AFTER_MAX; 0 otherwise.
 */
int      tk_backoff_requested(json_object *out, unsigned *seconds);

#endif
