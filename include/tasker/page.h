/*
 * page.h - pagination arithmetic and the status filter of GET /tasks
 * (src/tasks/page.c).
 */
#ifndef TASKER_PAGE_H
#define TASKER_PAGE_H

#include <json-c/json.h>

#include "tasker/error.h"
#include "tasker/state.h"

#define TK_PAGE_MAX 10000000ULL   /* deepest page a client may ask for */

struct tk_page {
	unsigned long long page;      /* 1-based */
	unsigned           per_page;  /* after clamping */
	unsigned long long offset;    /* (page - 1) * per_page */
	int                clamped;   /* per_page was lowered to the maximum */
};

/*
 * Reads the text of page and per_page (NULL: absent) into out.  page:
 * digits, 1..TK_PAGE_MAX, default 1.  per_page: digits, >= 1, default
 * def; larger than max is lowered to max (clamped = 1), however large.
 * Problems go into details under the parameter's name; TK_ERR_BAD_REQUEST
 * then.
 */
tk_err tk_page_parse(const char *page, const char *per_page, unsigned def,
    unsigned max, struct tk_page *out, json_object *details);
/* ceil(total / per_page); 0 for no rows. */
unsigned long long tk_page_total_pages(unsigned long long total,
    unsigned per_page);

/* Bit (1u << status) set for each status. */
#ifndef TK_STATUS_ALL
#define TK_STATUS_ALL ((1u << TK_ST__COUNT) - 1)
#endif
/*
 * "pending,error" into a mask of statuses.  Empty items and unknown names
 * are refused with one message each into details["status"];
 * TK_ERR_BAD_REQUEST then.
 */
tk_err tk_status_list_parse(const char *s, unsigned *mask,
    json_object *details);

/*
 * Cursors of GET /tasks (keyset pagination).  A cursor names a task id
 * and a direction: NEXT, the tasks older than it; PREV, the tasks newer
 * than it (both shown newest first).  Its text is opaque to clients:
 * TK_CURSOR_LEN lower-case hex digits of a version byte, the direction,
 * 8 bytes of the SHA-256 of the list's filters (tk_cursor_filter_hash)
 * and the 16 id bytes.  A cursor of another filter, or one that does not
 * decode, is refused; one is never trusted beyond the id it seeks from
 * (the filters and the caller's scope are applied as always).
 * A cursor of a list sorted by priority (sort=priority, -priority) is of
 * version 2: the seek is by (priority, id), so the task's priority takes
 * the filter hash's last byte (priority + 128; 7 bytes of hash remain),
 * and NEXT and PREV are the tasks after and before it in the list's
 * order.
 */
#define TK_CURSOR_LEN 52

struct tk_task_filter;

enum tk_cursor_dir { TK_CURSOR_NEXT = 1, TK_CURSOR_PREV = 2 };

struct tk_cursor {
	enum tk_cursor_dir dir;
	unsigned char      id[16];
	unsigned char      filter[8];  /* tk_cursor_filter_hash */
	int                sorted;     /* version 2: priority is the key's */
	int                priority;
};

/* The hash of f's filters (every field but hv_id, which follows from
 * them) into out.  TK_ERR_INTERNAL when OpenSSL fails. */
tk_err tk_cursor_filter_hash(const struct tk_task_filter *f,
    unsigned char out[8]);
void   tk_cursor_encode(const struct tk_cursor *c,
    char out[TK_CURSOR_LEN + 1]);
/*
 * Decodes s into out; its filter hash must be filter.  Problems go into
 * details["cursor"]; TK_ERR_BAD_REQUEST then.
 */
tk_err tk_cursor_decode(const char *s, const unsigned char filter[8],
    struct tk_cursor *out, json_object *details);

#endif
