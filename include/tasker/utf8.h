/*
 * utf8.h - the one strict UTF-8 check (RFC 3629): no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no stray
 * continuation bytes.  Every boundary that takes text from outside
 * (request bodies, path segments, handler output, token claims, YAML)
 * uses these and nothing else.  tk_utf8_json_escapes() adds what JSON's
 * "\u" escapes can smuggle past a check of the bytes.
 */
#ifndef TASKER_UTF8_H
#define TASKER_UTF8_H

#include <stddef.h>

/* Length (1-4) of the well-formed sequence at p, n bytes left; 0 when
 * the bytes at p are not one. */
size_t tk_utf8_seq(const unsigned char *p, size_t n);

/* Offset of the first byte of s[0..len) that is not well-formed UTF-8,
 * or len when all of it is. */
size_t tk_utf8_bad(const char *s, size_t len);

/* 1 when s[0..len) is well-formed UTF-8. */
int    tk_utf8_valid(const char *s, size_t len);

/* 1 when s[0..len) holds an ASCII control byte (below 0x20, or DEL). */
int    tk_has_ctl(const char *s, size_t len);

/* n, moved back so that s[0..n) ends on a character boundary (s[n] is
 * read: s holds more than n bytes).  For cutting text short. */
size_t tk_utf8_floor(const char *s, size_t n);

/*
 * Offset of the first "\u" escape in the JSON text s[0..len) that stands
 * for half a surrogate pair ("\ud800" not followed by a low-half escape,
 * or "\udc00" alone), or len when there is none.  Such an escape names
 * no character: json-c turns it into U+FFFD, so two different inputs
 * would become the same text, and a check of the parsed strings cannot
 * see it.  Meant for text a JSON parser accepted (backslashes occur only
 * inside strings there).
 */
size_t tk_utf8_json_escapes(const char *s, size_t len);

#endif
