/*
 * hex.h - hexadecimal digits, for every parser that reads them (percent
 * escapes, UUIDs, regex escapes) and every writer of digests and ids.
 */
#ifndef TASKER_HEX_H
#define TASKER_HEX_H

#include <stddef.h>

#include "tasker/error.h"

/* The value of the hex digit c (0-9, a-f, A-F), or -1. */
int tk_hexval(int c);

/* p[0..n) as 2n lower-case hex digits and a NUL in out. */
void tk_hex_encode(char *out, const void *p, size_t n);

/* The SHA-256 of p[0..n) in hex (definition hashes, request
 * fingerprints).  TK_ERR_INTERNAL when OpenSSL fails. */
tk_err tk_sha256_hex(const void *p, size_t n, char out[65]);

#endif
