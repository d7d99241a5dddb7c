/*
 * json_str.c - THE JSON string escaper (see json_str.h).  Every writer of
 * JSON text by hand uses it: the task API's answers (through
 * tasks/json_writer.c's tk_json_put_str), the step's stdin document
 * (engine/protocol.c) and the Idempotency-Key fingerprint.  And the one check that a parsed JSON
 * string is a C string (JWT claims, task request names and versions).
 */
#include "tasker/json_str.h"

#include <string.h>

tk_err
tk_json_put_strn(struct tk_buf *b, const char *s, size_t n, int flags)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p, *run, *end;
	char esc[7];

	tk_buf_putc(b, '"');
	end = (const unsigned char *)s + n;
	for (p = run = (const unsigned char *)s; p < end; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		tk_buf_append(b, run, (size_t)(p - run));
		run = p + 1;
		esc[0] = '\\';
		switch (*p) {
		case '"':  esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 0;
			break;
		}
		if (esc[1] == 0 || (esc[1] != '"' && esc[1] != '\\' &&
		    !(flags & TK_JSON_ESC_SHORT))) {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			tk_buf_append(b, esc, 6);
		} else
			tk_buf_append(b, esc, 2);
	}
	tk_buf_append(b, run, (size_t)(p - run));
	return tk_buf_putc(b, '"');
}

const char *
tk_json_cstr(json_object *v)
{
	const char *s;

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL ||
	    strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}
