/*
 * clock.h - the monotonic clock (CLOCK_MONOTONIC), for every timeout,
 * deadline and duration measured inside one process.  Never for lease
 * expiry across hosts: that is the database's clock (UTC_TIMESTAMP).
 */
#ifndef TASKER_CLOCK_H
#define TASKER_CLOCK_H

/* Milliseconds and microseconds since an arbitrary fixed point. */
long long tk_now_ms(void);
long long tk_now_us(void);

#endif
