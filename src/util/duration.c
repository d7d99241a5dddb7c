/*
 * duration.c - lengths of time as text (see duration.h).
 */
#include "tasker/duration.h"

#include <string.h>

tk_err
tk_duration_parse(const char *s, long long *seconds)
{
	static const char units[] = "smhdw";
	static const long long mult[] = { 1, 60, 3600, 86400, 7 * 86400 };
	const char *u;
	long long n = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		n = n * 10 + (s[i] - '0');
		if (n > TK_DURATION_MAX)
			return TK_ERR_BAD_REQUEST;
	}
	if (i == 0)
		return TK_ERR_BAD_REQUEST;
	if (s[i] != '\0') {
		if (s[i + 1] != '\0' || (u = strchr(units, s[i])) == NULL)
			return TK_ERR_BAD_REQUEST;
		n *= mult[u - units];
	}
	if (n > TK_DURATION_MAX)
		return TK_ERR_BAD_REQUEST;
	*seconds = n;
	return TK_OK;
}
