/*
 * hex.h - hexadecimal digits, for every parser that reads them (percent
 * escapes, UUIDs, regex escapes).
 */
#ifndef TASKER_HEX_H
#define TASKER_HEX_H

/* The value of the hex digit c (0-9, a-f, A-F), or -1. */
int tk_hexval(int c);

#endif
