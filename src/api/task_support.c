/*
 * task_support.c - what the task API's controllers share: reading the body, the query and the {id} parameter, the principal's
 * scope, the actor, and answering with a task read by id.
 */
#include "tasker/task_api.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tasker/body_parser.h"
#include "tasker/deps.h"
#include "tasker/task_writer.h"
#include "tasker/uuid.h"

/* ---------------------------------------------------------------- request */

const struct tk_catalog_version *
tk_tasks_version(struct tk_request *req, unsigned hv_id)
{
	struct tk_catalog *cat;

	if (tk_api_catalog(req, &cat) != TK_OK)
		return NULL;
	return tk_catalog_by_id(cat, hv_id);
}

tk_err
tk_tasks_not_found(struct tk_request *req, const char *s)
{
	char q[72];

	tk_request_errorf(req, "Task '%s' not found", tk_quote(q, s));
	return TK_ERR_TASK_NOT_FOUND;
}

tk_err
tk_tasks_id_param(struct tk_request *req, unsigned char id[16])
{
	const char *s = tk_request_param(req, "id");

	if (tk_uuid_parse(s, id) != 0)
		return tk_tasks_not_found(req, s);
	return TK_OK;
}

int
tk_tasks_visible(struct tk_request *req, const struct tk_task_row *t)
{
	struct tk_app *app = req->app;

	return tk_principal_sees_task(&app->principal, t->namespace_name,
	    t->created_by);
}

tk_err
tk_tasks_scope_check(struct tk_request *req, const unsigned char id[16])
{
	struct tk_app *app = req->app;
	struct tk_task_row t;
	char idtext[TK_UUID_STR_SIZE];
	tk_err e;

	if (!tk_principal_scoped(&app->principal))
		return TK_OK;
	if ((e = tk_task_store_get(app->db, id, &t)) != TK_OK &&
	    e != TK_ERR_TASK_NOT_FOUND)
		return e;
	if (e == TK_OK && !tk_tasks_visible(req, &t))
		e = TK_ERR_TASK_NOT_FOUND;
	tk_task_row_free(&t);
	if (e == TK_ERR_TASK_NOT_FOUND) {
		tk_uuid_format(id, idtext);
		return tk_tasks_not_found(req, idtext);
	}
	return TK_OK;
}

int
tk_tasks_stale(struct tk_request *req, enum tk_status status,
    const char *updated_at)
{
	struct tk_app *app = req->app;

	return tk_task_stale(status, updated_at, app->cfg->api.stale_after,
	    time(NULL));
}

tk_err
tk_tasks_unchanged(struct tk_request *req, struct tk_response *res,
    const unsigned char id[16], int deps, int *unchanged)
{
	struct tk_app *app = req->app;
	struct tk_task_head h;
	char tag[TK_ETAG_SIZE];
	tk_err e;

	*unchanged = 0;
	if (req->if_none_match == NULL)
		return TK_OK;
	if ((e = tk_task_store_head(app->db, id, &h)) != TK_OK)
		return e == TK_ERR_TASK_NOT_FOUND ? TK_OK : e;
	if (tk_principal_sees_task(&app->principal, h.namespace_name,
	    h.created_by)) {
		tk_task_etag(tag, h.row_version, deps,
		    tk_tasks_stale(req, h.status, h.updated_at));
		if (tk_etag_match(req->if_none_match, tag)) {
			*unchanged = 1;
			tk_buf_reset(&res->body);
			res->status = 200;
			e = tk_response_set_header(res, "ETag", tag);
		}
	}
	tk_task_head_free(&h);
	return e;
}

const char *
tk_tasks_actor(struct tk_request *req, char out[TK_ACTOR_MAX + 1])
{
	struct tk_app *app = req->app;
	const char *s = app->principal.subject;
	size_t n;

	if (s == NULL || *s == '\0')
		s = "unknown";
	n = strlen(s);
	if (n > TK_ACTOR_MAX) {
		n = TK_ACTOR_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

tk_err
tk_tasks_body(struct tk_request *req, int allow_empty, json_object **out)
{
	char msg[TK_ERRMSG_SIZE];
	json_object *d;
	size_t i;
	tk_err e;

	*out = NULL;
	for (i = 0; i < req->body_len; i++)
		if (strchr(" \t\r\n", req->body[i]) == NULL ||
		    req->body[i] == '\0')
			break;
	if (i == req->body_len) {
		if (allow_empty)
			return TK_OK;
		return tk_api_reject(req, TK_ERR_BAD_REQUEST, "Request body "
		    "is empty; send a JSON object", NULL);
	}
	if (!tk_content_type_is_json(req->content_type))
		return tk_api_reject(req, TK_ERR_UNSUPPORTED_MEDIA,
		    "Content-Type must be application/json", NULL);
	/* Every body of every route comes through here: text that is not
	 * UTF-8 stops at this point, with its member named in details. */
	if ((d = json_object_new_object()) == NULL)
		return TK_ERR_NOMEM;
	e = tk_json_parse_body(req->body, req->body_len, out, msg,
	    sizeof(msg), d);
	if (e == TK_ERR_BAD_REQUEST) {
		if (tk_details_count(d) == 0) {
			json_object_put(d);
			d = NULL;
		}
		return tk_api_reject(req, e, msg, d);   /* takes d */
	}
	json_object_put(d);
	return e;
}

tk_err
tk_tasks_answer(struct tk_request *req, struct tk_response *res,
    const unsigned char id[16], int code, int deps)
{
	struct tk_app *app = req->app;
	struct tk_task_row t;
	struct tk_step_list s;
	char idtext[TK_UUID_STR_SIZE];
	tk_err e;

	if ((e = tk_task_store_get_all(app->db, id, &t, &s)) != TK_OK) {
		if (e == TK_ERR_TASK_NOT_FOUND) {
			tk_uuid_format(id, idtext);
			return tk_tasks_not_found(req, idtext);
		}
		return e;
	}
	if (!tk_tasks_visible(req, &t)) {
		/* Outside the caller's scope: as if there were none. */
		tk_uuid_format(id, idtext);
		e = tk_tasks_not_found(req, idtext);
	} else
		e = tk_tasks_render(req, res, &t, &s, code, deps);
	tk_task_row_free(&t);
	tk_step_list_free(&s);
	return e;
}

/* ---------------------------------------------------------------- times */

/* The number of the n digits at s, or -1 when one is not a digit. */
static int
fixed_digits(const char *s, int n)
{
	int v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* The offset at s in seconds east of UTC into *off; past it, or NULL. */
static const char *
utc_offset(const char *s, long *off)
{
	int h, m;

	if (*s == 'Z' || *s == 'z') {
		*off = 0;
		return s + 1;
	}
	if ((*s != '+' && *s != '-') || (h = fixed_digits(s + 1, 2)) < 0 ||
	    s[3] != ':' || (m = fixed_digits(s + 4, 2)) < 0 || h > 23 || m > 59)
		return NULL;
	*off = (*s == '-' ? -1 : 1) * (h * 3600L + m * 60L);
	return s + 6;
}

int
tk_time_parse(const char *s, char out[TK_DB_TIME_SIZE])
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	struct tm tm;
	char buf[96];
	long frac = 0, off;
	int i, y, mo, d, h, mi, sec;
	time_t t;

	if (strnlen(s, 19) < 19)
		return -1;
	y = fixed_digits(s, 4);
	mo = fixed_digits(s + 5, 2);
	d = fixed_digits(s + 8, 2);
	h = fixed_digits(s + 11, 2);
	mi = fixed_digits(s + 14, 2);
	sec = fixed_digits(s + 17, 2);
	if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 ||
	    s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	s += 19;
	if (*s == '.') {
		for (i = 0, s++; *s >= '0' && *s <= '9'; s++, i++)
			if (i < 6)
				frac = frac * 10 + (*s - '0');
		if (i == 0)
			return -1;
		for (; i < 6; i++)
			frac *= 10;
	}
	if ((s = utc_offset(s, &off)) == NULL || *s != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* February 29th of a year without one becomes March 1st. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_mday != d)
		return -1;
	t -= off;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1000 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	/* (tm's fields are in range; the compiler cannot know it.) */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac);
	snprintf(out, TK_DB_TIME_SIZE, "%.26s", buf);
	return 0;
}

void
tk_tasks_stale_cutoffs(const struct tk_config *cfg, time_t now,
    char buf[TK_STALE_CUTOFFS][TK_DB_TIME_SIZE],
    const char *out[TK_STALE_CUTOFFS])
{
	static const enum tk_status order[TK_STALE_CUTOFFS] = {
	    TK_ST_PENDING, TK_ST_IN_PROGRESS, TK_ST_ERROR };
	struct tm tm;
	unsigned limit;
	time_t t;
	size_t i;

	for (i = 0; i < TK_STALE_CUTOFFS; i++) {
		out[i] = NULL;
		if ((limit = cfg->api.stale_after[order[i]]) == 0)
			continue;
		/* Stale: more than limit seconds, as tk_task_stale says
		 * (whole seconds: the answers' time stamps have no more). */
		t = now - (time_t)limit;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(buf[i], TK_DB_TIME_SIZE, "%Y-%m-%d %H:%M:%S",
		    &tm) == 0)
			continue;
		out[i] = buf[i];
	}
}
