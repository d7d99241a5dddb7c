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

#endif
