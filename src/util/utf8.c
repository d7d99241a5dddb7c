/*
 * utf8.c - strict UTF-8 validation (see utf8.h).
 */
#include "tasker/utf8.h"

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
