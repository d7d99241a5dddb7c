/*
 * test_cursor.c - GET /tasks cursors (src/tasks/page.c) and the Link
 * header (src/http/response.c): a cursor decodes to what was encoded,
 * only for the filters it was made with; tampered, truncated or foreign
 * text is refused; links keep the query, encoded again, and stay within
 * a header's size.
 */
#include <string.h>

#include "testlib.h"
#include "tasker/http.h"
#include "tasker/page.h"
#include "tasker/task_store.h"

static void
test_round_trip(void)
{
	struct tk_task_filter f, g;
	struct tk_cursor c, out;
	char text[TK_CURSOR_LEN + 1];
	json_object *d = json_object_new_object();
	size_t i;

	memset(&f, 0, sizeof(f));
	f.namespace_name = "payments";
	f.status_mask = 3;
	memset(&c, 0, sizeof(c));
	c.dir = TK_CURSOR_PREV;
	for (i = 0; i < 16; i++)
		c.id[i] = (unsigned char)(i * 17);
	CU_ASSERT_EQUAL_FATAL(tk_cursor_filter_hash(&f, c.filter), TK_OK);
	tk_cursor_encode(&c, text);
	CU_ASSERT_EQUAL(strlen(text), TK_CURSOR_LEN);
	CU_ASSERT_EQUAL(tk_cursor_decode(text, c.filter, &out, d), TK_OK);
	CU_ASSERT_EQUAL(out.dir, TK_CURSOR_PREV);
	CU_ASSERT_EQUAL(memcmp(out.id, c.id, 16), 0);
	CU_ASSERT_EQUAL(json_object_object_length(d), 0);
	/* Another filter: another hash, and the cursor is refused. */
	g = f;
	g.status_mask = 1;
	CU_ASSERT_EQUAL_FATAL(tk_cursor_filter_hash(&g, out.filter), TK_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(out.filter, c.filter, 8), 0);
	CU_ASSERT_EQUAL(tk_cursor_decode(text, out.filter, &out, d),
	    TK_ERR_BAD_REQUEST);
	CU_ASSERT_TRUE(json_object_object_get_ex(d, "cursor", NULL));
	/* An absent filter and an empty one differ. */
	g = f;
	g.name = "";
	CU_ASSERT_EQUAL_FATAL(tk_cursor_filter_hash(&g, out.filter), TK_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(out.filter, c.filter, 8), 0);
	json_object_put(d);
}

static void
test_refused(void)
{
	static const char *const bad[] = { "", "01", "zz",
	    "0103000000000000000000000000000000000000000000000000",  /* dir 3 */
	    "0201000000000000000000000000000000000000000000000000",  /* v2 */
	    "01010000000000000000000000000000000000000000000000000", /* 53 */
	    "010100000000000000000000000000000000000000000000000g" };
	unsigned char zero[8] = { 0 };
	struct tk_cursor out;
	json_object *d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = json_object_new_object();
		CU_ASSERT_EQUAL(tk_cursor_decode(bad[i], zero, &out, d),
		    TK_ERR_BAD_REQUEST);
		CU_ASSERT_TRUE(json_object_object_get_ex(d, "cursor", NULL));
		json_object_put(d);
	}
	d = json_object_new_object();
	CU_ASSERT_EQUAL(tk_cursor_decode("0101000000000000000000000000000000"
	    "000000000000000000", zero, &out, d), TK_OK);
	json_object_put(d);
}

static void
test_link(void)
{
	static const char *const drop[] = { "page", "cursor", NULL };
	struct tk_response res;
	struct tk_query q;
	char msg[128], big[3000];

	tk_response_init(&res);
	CU_ASSERT_EQUAL_FATAL(tk_query_parse(&q, "status=pending,error&page=2"
	    "&name=a%20b&cursor=x&per_page=5", msg, sizeof(msg)), TK_OK);
	CU_ASSERT_EQUAL(tk_response_add_link(&res, "/tasker/", "/tasks", &q,
	    drop, "cursor", "c1", "next"), TK_OK);
	CU_ASSERT_EQUAL(tk_response_add_link(&res, "/tasker/", "/tasks", &q,
	    drop, "cursor", "c0", "prev"), TK_OK);
	CU_ASSERT_STRING_EQUAL(tk_response_header(&res, "Link"),
	    "</tasker/tasks?status=pending%2Cerror&name=a%20b&per_page=5"
	    "&cursor=c1>; rel=\"next\", </tasker/tasks?status=pending%2Cerror"
	    "&name=a%20b&per_page=5&cursor=c0>; rel=\"prev\"");
	tk_query_free(&q);
	/* A header that would grow past its limit: the link is left out. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tk_response_free(&res);
	CU_ASSERT_EQUAL(tk_response_add_link(&res, "", "/tasks", NULL, drop,
	    "cursor", big, "next"), TK_OK);
	CU_ASSERT_EQUAL(tk_response_add_link(&res, "", "/tasks", NULL, drop,
	    "cursor", big, "prev"), TK_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(tk_response_header(&res, "Link"),
	    "rel=\"next\""));
	CU_ASSERT_PTR_NULL(strstr(tk_response_header(&res, "Link"),
	    "rel=\"prev\""));
	tk_response_free(&res);
}

/* sort=priority: version 2 carries the task's priority; a cursor of the
 * unsorted list (or of the other order) is refused. */
static void
test_sorted(void)
{
	struct tk_task_filter f, g;
	struct tk_cursor c, out;
	char text[TK_CURSOR_LEN + 1];
	json_object *d = json_object_new_object();
	unsigned char h[8];

	memset(&f, 0, sizeof(f));
	f.sort = TK_SORT_PRIORITY;
	memset(&c, 0, sizeof(c));
	c.dir = TK_CURSOR_NEXT;
	c.sorted = 1;
	c.priority = -37;
	c.id[15] = 9;
	CU_ASSERT_EQUAL_FATAL(tk_cursor_filter_hash(&f, c.filter), TK_OK);
	tk_cursor_encode(&c, text);
	CU_ASSERT_EQUAL(strlen(text), TK_CURSOR_LEN);
	CU_ASSERT_EQUAL(strncmp(text, "02", 2), 0);
	CU_ASSERT_EQUAL(tk_cursor_decode(text, c.filter, &out, d), TK_OK);
	CU_ASSERT_TRUE(out.sorted);
	CU_ASSERT_EQUAL(out.priority, -37);
	CU_ASSERT_EQUAL(out.id[15], 9);
	g = f;
	g.sort = TK_SORT_NEWEST;
	CU_ASSERT_EQUAL_FATAL(tk_cursor_filter_hash(&g, h), TK_OK);
	CU_ASSERT_EQUAL(tk_cursor_decode(text, h, &out, d),
	    TK_ERR_BAD_REQUEST);
	g.sort = TK_SORT_PRIORITY_ASC;
	CU_ASSERT_EQUAL_FATAL(tk_cursor_filter_hash(&g, h), TK_OK);
	CU_ASSERT_EQUAL(tk_cursor_decode(text, h, &out, d),
	    TK_ERR_BAD_REQUEST);
	/* A priority out of range: not one of ours. */
	c.priority = 101;
	tk_cursor_encode(&c, text);
	CU_ASSERT_EQUAL(tk_cursor_decode(text, c.filter, &out, d),
	    TK_ERR_BAD_REQUEST);
	json_object_put(d);
}

TK_SUITE(cursor,
    { "a cursor decodes for its own filters only", test_round_trip },
    { "malformed cursors are refused", test_refused },
    { "sort=priority: the cursor's priority", test_sorted },
    { "Link: query kept and encoded, header size kept", test_link });
