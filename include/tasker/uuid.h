/*
 * uuid.h - task ids: UUIDv7 (src/tasks/uuid.c).
 */
#ifndef TASKER_UUID_H
#define TASKER_UUID_H

#include <stdint.h>

#include "tasker/error.h"

#define TK_UUID_STR_SIZE 37   /* 36 characters and a NUL */

/*
 * A UUIDv7 (RFC 9562) from a Unix time in milliseconds and 10 random
 * bytes: 48 bits of time, version 7, 12 bits of rand_a, variant 10, 62
 * bits of rand_b.  Pure, for tests.
 */
void   tk_uuid7_build(uint64_t unix_ms, const unsigned char rnd[10],
    unsigned char out[16]);
/*
 * A new UUIDv7 for now.  Ids made by one process increase strictly even
 * within a millisecond or when the clock steps back (rand_a and rand_b
 * then count up from the previous id), so "newest first" is "id
 * descending".  TK_ERR_IO when no random bytes can be had.
 */
tk_err tk_uuid7_new(unsigned char out[16]);
/* The canonical lowercase form, "0190f1a2-7b3c-7def-8a12-3456789abcde". */
void   tk_uuid_format(const unsigned char id[16], char out[TK_UUID_STR_SIZE]);
/*
 * Parses the canonical 8-4-4-4-12 form (hex digits of either case, no
 * braces, no "urn:uuid:").  0 on success, -1 for anything else, NULL too.
 */
int    tk_uuid_parse(const char *s, unsigned char out[16]);
/* The Unix time in milliseconds a UUIDv7 carries. */
uint64_t tk_uuid7_time(const unsigned char id[16]);

#endif
