/*
 * page.c - pagination arithmetic and the status filter of GET /tasks.
 */
#include "tasker/page.h"

#include "tasker/body_parser.h"

#include <string.h>

/* Digits only; the value saturates at ULLONG_MAX.  -1 when not digits. */
static int
digits(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (~0ULL - 9) / 10)
			v = ~0ULL;
		else
			v = v * 10 + (unsigned long long)(*p - '0');
	}
	*out = v;
	return 0;
}

tk_err
tk_page_parse(const char *page, const char *per_page, unsigned def,
    unsigned max, struct tk_page *out, json_object *details)
{
	unsigned long long p = 1, pp = def;
	int bad = 0;

	memset(out, 0, sizeof(*out));
	if (page != NULL) {
		if (digits(page, &p) != 0 || p == 0 || p > TK_PAGE_MAX) {
			tk_details_add(details, "page", "must be an integer "
			    "between 1 and %llu", TK_PAGE_MAX);
			bad = 1;
		}
	}
	if (per_page != NULL) {
		if (digits(per_page, &pp) != 0 || pp == 0) {
			tk_details_add(details, "per_page", "must be an "
			    "integer of at least 1 (at most %u are returned)",
			    max);
			bad = 1;
		}
	}
	if (bad)
		return TK_ERR_BAD_REQUEST;
	if (max == 0)
		max = 1;
	if (pp > max) {
		pp = max;
		out->clamped = 1;
	}
	out->page = p;
	out->per_page = (unsigned)pp;
	out->offset = (p - 1) * pp;
	return TK_OK;
}

unsigned long long
tk_page_total_pages(unsigned long long total, unsigned per_page)
{
	if (per_page == 0)
		return 0;
	return total / per_page + (total % per_page != 0);
}

tk_err
tk_status_list_parse(const char *s, unsigned *mask, json_object *details)
{
	char item[64], q[72];
	const char *p, *end;
	size_t n;
	int st, bad = 0;

	*mask = 0;
	for (p = s;; p = end + 1) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0) {
			tk_details_add(details, "status", "has an empty item; "
			    "give statuses separated by commas");
			bad = 1;
		} else if (n >= sizeof(item) ||
		    (memcpy(item, p, n), item[n] = '\0',
		    (st = tk_status_parse(item)) < 0)) {
			if (n >= sizeof(item)) {
				memcpy(item, p, sizeof(item) - 1);
				item[sizeof(item) - 1] = '\0';
			}
			tk_details_add(details, "status", "unknown status '%s' "
			    "(known: pending, in_progress, complete, error, "
			    "cancelled, resolved_manually)", tk_quote(q, item));
			bad = 1;
		} else
			*mask |= 1u << st;
		if (*end == '\0')
			break;
	}
	return bad ? TK_ERR_BAD_REQUEST : TK_OK;
}
