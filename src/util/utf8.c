/*
 * utf8.c - strict UTF-8 validation (see utf8.h).
 */
#include "tasker/utf8.h"

#include "tasker/hex.h"

size_t
tk_utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;   /* continuation byte, C0/C1 overlong lead, > F4 */
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* The second byte's range rules out the remaining overlong forms
	 * (E0, F0), the surrogates (ED) and code points above U+10FFFF
	 * (F4). */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

size_t
tk_utf8_bad(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = tk_utf8_seq(p + i, len - i)) == 0)
			return i;
		i += k;
	}
	return len;
}

int
tk_utf8_valid(const char *s, size_t len)
{
	return tk_utf8_bad(s, len) == len;
}

/* The value of the four hex digits at p, or -1. */
static long
hex4(const char *p)
{
	long v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if ((h = tk_hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

size_t
tk_utf8_json_escapes(const char *s, size_t len)
{
	size_t i = 0;
	long hi, lo;

	while (i < len) {
		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= len || s[i + 1] != 'u') {
			i += 2;		/* "\\", "\"", "\n"...: one character */
			continue;
		}
		if (i + 6 > len || (hi = hex4(s + i + 2)) < 0) {
			i += 2;		/* not an escape json-c would take */
			continue;
		}
		if (hi >= 0xdc00 && hi <= 0xdfff)
			return i;	/* a low half alone */
		if (hi < 0xd800 || hi > 0xdbff) {
			i += 6;
			continue;
		}
		if (i + 12 > len || s[i + 6] != '\\' || s[i + 7] != 'u' ||
		    (lo = hex4(s + i + 8)) < 0xdc00 || lo > 0xdfff)
			return i;	/* a high half without its low half */
		i += 12;
	}
	return len;
}

size_t
tk_utf8_floor(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

int
tk_has_ctl(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}
