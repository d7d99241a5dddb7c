/*
 * page.c - pagination arithmetic and the status filter of GET /tasks.
 */
#include "tasker/page.h"

#include "tasker/body_parser.h"
#include "tasker/handler.h"
#include "tasker/hex.h"
#include "tasker/task_store.h"

#include <stdio.h>
#include <string.h>

#define CURSOR_VERSION 1
#define CURSOR_SORTED  2       /* sort=priority or -priority: (priority, id) */

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

/* ---------------------------------------------------------------- cursors */

/* One filter field into the hashed text: absent and "" differ. */
static void
hash_field(char *buf, size_t bufsz, size_t *len, const char *v)
{
	int n;

	n = snprintf(buf + *len, bufsz - *len, "%s%s\x1f",
	    v != NULL ? "=" : "-", v != NULL ? v : "");
	*len += n > 0 ? (size_t)n : 0;
	if (*len >= bufsz)
		*len = bufsz - 1;
}

tk_err
tk_cursor_filter_hash(const struct tk_task_filter *f, unsigned char out[8])
{
	const char *fields[] = { f->namespace_name, f->name, f->version,
	    f->created_by, f->ns_set, f->initiator, f->source_system,
	    f->tags_json, f->created_after, f->created_before };
	char buf[8192], hex[65];
	size_t i, len = 0;
	int n;
	tk_err e;

	len = (size_t)snprintf(buf, sizeof(buf), "v%d\x1f%u\x1f",
	    CURSOR_VERSION, f->status_mask);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		hash_field(buf, sizeof(buf), &len, fields[i]);
	/* Only when given: cursors of lists without it stay valid. */
	if (f->has_priority && len < sizeof(buf)) {
		n = snprintf(buf + len, sizeof(buf) - len, "p%d..%d\x1f",
		    f->priority_min, f->priority_max);
		len += n > 0 ? (size_t)n : 0;
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
	}
	/* sort= likewise (a cursor is of its order). */
	if (f->sort != TK_SORT_NEWEST && len < sizeof(buf)) {
		n = snprintf(buf + len, sizeof(buf) - len, "o%d\x1f", f->sort);
		len += n > 0 ? (size_t)n : 0;
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
	}
	/* stale= likewise (its cut-offs move with the clock: the set a
	 * cursor walks is "stale when each page is read"). */
	if (f->stale != TK_STALE_ANY && len < sizeof(buf)) {
		n = snprintf(buf + len, sizeof(buf) - len, "s%d\x1f",
		    f->stale);
		len += n > 0 ? (size_t)n : 0;
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
	}
	if ((e = tk_sha256_hex(buf, len, hex)) != TK_OK)
		return e;
	for (i = 0; i < 8; i++)
		out[i] = (unsigned char)(tk_hexval(hex[2 * i]) << 4 |
		    tk_hexval(hex[2 * i + 1]));
	return TK_OK;
}

void
tk_cursor_encode(const struct tk_cursor *c, char out[TK_CURSOR_LEN + 1])
{
	unsigned char raw[TK_CURSOR_LEN / 2];

	raw[0] = c->sorted ? CURSOR_SORTED : CURSOR_VERSION;
	raw[1] = (unsigned char)c->dir;
	memcpy(raw + 2, c->filter, 8);
	if (c->sorted)
		raw[9] = (unsigned char)(c->priority + 128);
	memcpy(raw + 10, c->id, 16);
	tk_hex_encode(out, raw, sizeof(raw));
}

tk_err
tk_cursor_decode(const char *s, const unsigned char filter[8],
    struct tk_cursor *out, json_object *details)
{
	unsigned char raw[TK_CURSOR_LEN / 2];
	size_t i;
	int hi, lo;

	memset(out, 0, sizeof(*out));
	if (strlen(s) != TK_CURSOR_LEN)
		goto bad;
	for (i = 0; i < sizeof(raw); i++) {
		if ((hi = tk_hexval(s[2 * i])) < 0 ||
		    (lo = tk_hexval(s[2 * i + 1])) < 0)
			goto bad;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	if ((raw[0] != CURSOR_VERSION && raw[0] != CURSOR_SORTED) ||
	    (raw[1] != TK_CURSOR_NEXT && raw[1] != TK_CURSOR_PREV))
		goto bad;
	out->sorted = raw[0] == CURSOR_SORTED;
	out->priority = (int)raw[9] - 128;
	if (out->sorted && (out->priority < TK_PRIORITY_MIN ||
	    out->priority > TK_PRIORITY_MAX))
		goto bad;
	if (memcmp(raw + 2, filter, out->sorted ? 7 : 8) != 0) {
		tk_details_add(details, "cursor", "belongs to a list with "
		    "other filters; start again without a cursor");
		return TK_ERR_BAD_REQUEST;
	}
	out->dir = (enum tk_cursor_dir)raw[1];
	memcpy(out->filter, filter, 8);
	memcpy(out->id, raw + 10, 16);
	return TK_OK;
bad:
	tk_details_add(details, "cursor", "must be a cursor from a previous "
	    "answer's pagination or Link header");
	return TK_ERR_BAD_REQUEST;
}
