/*
 * flow.h - the pure parts of the flow limits (src/util/flow.c): the
 * simple JSON path of a concurrency key and the rate limit's GCRA
 * decision.  The engine and the store own when they are used.
 */
#ifndef TASKER_FLOW_H
#define TASKER_FLOW_H

#include <stddef.h>

#include <json-c/json.h>

#define TK_JSON_PATH_MAX   200   /* a concurrency key's path, bytes */
#define TK_FLOW_VALUE_MAX  1024  /* a key's value, bytes (longer: no key) */

/*
 * A concurrency key's path: "$" then one or more ".name" segments, each
 * name 1..64 of [A-Za-z0-9_-] ("$.customer_id", "$.order.region"), at
 * most TK_JSON_PATH_MAX bytes.  1 when path is one.
 */
int tk_json_path_valid(const char *path);

/*
 * The value of (valid) path in ctx as text into out: a string as it is,
 * an integer in decimal.  1 when found; 0 when ctx lacks it, it is of
 * another type (null, boolean, number with a fraction, object, array),
 * or longer than outsz - 1 bytes: such a task is not limited by the key.
 */
int tk_json_path_get(json_object *ctx, const char *path, char *out,
    size_t outsz);

/*
 * GCRA without burst (smooth: one start every interval_us): a start at
 * now_us is allowed when *tat_us <= now_us; *tat_us then becomes
 * max(*tat_us, now_us) + interval_us and 0 is returned.  Else nothing
 * changes and the microseconds until the next allowed start are
 * returned (> 0).  Any window of interval_us * N holds at most N starts.
 */
long long tk_gcra(long long now_us, long long *tat_us, long long interval_us);

#endif
