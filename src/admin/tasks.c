/*
 * tasks.c - `tasker-admin tasks list|show|events|cancel|retry`: the task API,
 * called in process, straight against the database.
 *
 * Each command is the API request it stands for (GET /tasks?..., GET
 * /tasks/{id}, GET /tasks/{id}/events, DELETE /tasks/{id}, POST
 * /tasks/{id}/retry), answered by
 * the API's own controller from the route table: the same filters, the
 * same validation and messages, the same store operations and state
 * rules, the same JSON.  A filter the API gains works here unchanged:
 * the command's NAME=VALUE and --NAME VALUE arguments become the query
 * string as they are ('-' in NAME read as '_').
 *
 * The caller is the operator: a principal with every permission and no
 * scope, whose subject is "admin:<unix user>" (the effective user), so a
 * cancel or retry records that actor in the step transitions the way
 * the API records a token's subject.
 *
 * --json prints the API's answer body as it is (one line); text prints a
 * table (list) or a summary with the steps (show, cancel, retry).
 * Exit status: 0 done; 1 refused or failed (404, 409: the API's message
 * on stderr; the database); 2 bad usage, including every 400 and 422
 * (the API's message and details on one line).
 */
#include "tasker/admin.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "tasker/api.h"
#include "tasker/buf.h"
#include "tasker/cli.h"
#include "tasker/diag.h"
#include "tasker/http.h"
#include "tasker/page.h"

#define SEE "tasker-admin help tasks"
#define SUBJECT_SIZE 96
#define URI_MAX      512    /* "/tasks/ID/retry", ID percent-encoded */
#define QUERY_MAX    4096

/* One in-process request to the API and its answer. */
struct call {
	struct tk_app       app;
	struct tk_request   req;
	struct tk_response  res;
	char                subject[SUBJECT_SIZE];
	char               *perms[1];
};

/*
 * Writes s to f padded to width bytes, then sep.  What clients stored is
 * hostile: a control byte (C0, DEL, or C1 as UTF-8) is written as '?' so
 * that it cannot drive the terminal.
 */
static void
put_cell(FILE *f, const char *s, int width, const char *sep)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	for (; *p != '\0'; p++, n++) {
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
			fputc('?', f);
			p++;
		} else
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
	}
	for (; n < width; n++)
		fputc(' ', f);
	fputs(sep, f);
}

/* "admin:<unix user>", else "admin:uid<N>". */
static void
admin_subject(char out[SUBJECT_SIZE])
{
	const struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0')
		snprintf(out, SUBJECT_SIZE, "admin:%s", pw->pw_name);
	else
		snprintf(out, SUBJECT_SIZE, "admin:uid%lu",
		    (unsigned long)geteuid());
}

/* One query parameter, NAME with '-' read as '_'. */
static void
put_param(struct tk_buf *b, const char *name, size_t n, const char *value)
{
	size_t i;

	if (b->len > 0)
		tk_buf_putc(b, '&');
	for (i = 0; i < n; i++)
		tk_buf_putc(b, name[i] == '-' ? '_' : name[i]);
	tk_buf_putc(b, '=');
	tk_url_encode(b, value, strlen(value));
}

/*
 * The query string of `tasks list ARGS`: NAME=VALUE, --NAME=VALUE or
 * --NAME VALUE, in order.  Which names and values are good is the API's
 * to say.  0, or the exit status of bad usage.
 */
int
tk_admin_tasks_query(int argc, char **argv, struct tk_buf *qs)
{
	char q[TK_DIAG_QUOTE_SIZE];
	const char *a, *eq;
	int i;

	for (i = 0; i < argc; i++) {
		a = argv[i];
		if (strncmp(a, "--", 2) == 0)
			a += 2;
		eq = strchr(a, '=');
		if (eq == NULL && a != argv[i] && *a != '\0') {
			if (i + 1 >= argc)
				return tk_cli_usage_error("tasker-admin", SEE,
				    "option '--%s' needs a value",
				    tk_diag_quote(q, a));
			put_param(qs, a, strlen(a), argv[++i]);
			continue;
		}
		if (eq == NULL || eq == a)
			return tk_cli_usage_error("tasker-admin", SEE,
			    "expected NAME=VALUE or --NAME VALUE, not '%s'",
			    tk_diag_quote(q, argv[i]));
		put_param(qs, a, (size_t)(eq - a), eq + 1);
	}
	return qs->failed ? TK_EXIT_FAIL : 0;
}

/* Sets up c for a request as the operator; call_close() frees it. */
static void
call_init(struct call *c, const struct tk_config *cfg)
{
	static char all[] = "*";

	memset(c, 0, sizeof(*c));
	tk_request_init(&c->req);
	tk_response_init(&c->res);
	admin_subject(c->subject);
	c->perms[0] = all;
	c->app.cfg = cfg;
	c->app.principal.subject = c->subject;
	c->app.principal.perms = c->perms;
	c->app.principal.nperms = 1;
}

/* Connects c to the database.  TK_OK, or the error (said on stderr). */
static tk_err
call_open(struct call *c, const struct tk_config *cfg)
{
	tk_err e;

	if ((e = tk_db_new(&cfg->db, &c->app.db)) != TK_OK) {
		fprintf(stderr, "tasker-admin: cannot use the database: %s\n",
		    tk_err_name(e));
		return e;
	}
	if ((e = tk_db_ensure(c->app.db)) != TK_OK)
		fprintf(stderr, "tasker-admin: cannot connect to the database: "
		    "%s\n", tk_db_error(c->app.db));
	return e;
}

static void
call_close(struct call *c)
{
	tk_request_free(&c->req);
	tk_response_free(&c->res);
	json_object_put(c->app.details);
	tk_catalog_free(c->app.catalog);
	tk_db_free(c->app.db);
	/* The principal's strings are c's own: nothing to free. */
}

/* Appends details {"field": ["message", ...]} as "; field: message". */
static void
put_details(struct tk_buf *b, json_object *details)
{
	size_t i, n;

	if (details == NULL || !json_object_is_type(details, json_type_object))
		return;
	json_object_object_foreach(details, key, val) {
		n = json_object_is_type(val, json_type_array) ?
		    json_object_array_length(val) : 0;
		for (i = 0; i < n; i++)
			tk_buf_printf(b, "; %s: %s", key, json_object_get_string(
			    json_object_array_get_idx(val, i)));
	}
}

/* The API's error e as one line on stderr; the exit status. */
static int
call_error(struct call *c, tk_err e)
{
	const struct tk_err_info *info = tk_err_info(e);
	struct tk_buf b;
	int rc = TK_EXIT_FAIL;

	tk_buf_init(&b);
	tk_buf_puts(&b, c->req.error[0] != '\0' ? c->req.error :
	    info->message);
	put_details(&b, c->app.details);
	/* The message may quote what was asked (hostile): put_cell. */
	fputs("tasker-admin: ", stderr);
	put_cell(stderr, b.failed ? info->message : tk_buf_str(&b), 0, "");
	if (e == TK_ERR_BAD_REQUEST || e == TK_ERR_VALIDATION) {
		fputs("; see '" SEE "'", stderr);
		rc = TK_EXIT_USAGE;
	}
	fputc('\n', stderr);
	tk_buf_free(&b);
	return rc;
}

/*
 * Runs METHOD PATH?QUERY (body: JSON text or NULL) through the API's
 * route table and controller.  0 with the answer in c->res, or the exit
 * status (the reason printed).
 */
static int
call_run(struct call *c, const char *method, const char *path,
    const char *query, const char *body)
{
	static char ctype[] = "CONTENT_TYPE=application/json";
	char m[32], uri[16 + URI_MAX], qs[16 + QUERY_MAX];
	char *env[5] = { m, uri, qs, ctype, NULL };
	char allow[TK_ALLOW_SIZE];
	tk_err e;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(uri, sizeof(uri), "REQUEST_URI=%s", path);
	if (snprintf(qs, sizeof(qs), "QUERY_STRING=%s", query) >=
	    (int)sizeof(qs))
		return tk_cli_usage_error("tasker-admin", SEE,
		    "the filters are too long");
	c->req.app = &c->app;
	if ((e = tk_request_from_env(&c->req, env, "")) != TK_OK ||
	    (e = tk_route_match(tk_api_routes, tk_api_nroutes, &c->req, allow,
	    sizeof(allow))) != TK_OK)
		return call_error(c, e);
	c->req.body = body;
	c->req.body_len = body != NULL ? strlen(body) : 0;
	if ((e = c->req.route->handler(&c->req, &c->res)) != TK_OK)
		return call_error(c, e);
	return 0;
}

/* ---------------------------------------------------------------- text */

/* Member key of o as text: "-" for null or absent. */
static const char *
member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

/* The list answer {"tasks": [...], "pagination": {...}} as a table. */
static void
print_tasks(json_object *doc)
{
	json_object *tasks, *pg, *t;
	size_t i, n;

	if (!json_object_object_get_ex(doc, "tasks", &tasks) ||
	    !json_object_object_get_ex(doc, "pagination", &pg))
		return;
	n = json_object_array_length(tasks);
	if (n > 0)
		printf("%-36s  %-11s  %-20s  %s\n", "ID", "STATUS",
		    "CREATED_AT", "TASK");
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tasks, i);
		put_cell(stdout, member(t, "id"), 36, "  ");
		put_cell(stdout, member(t, "status"), 11, "  ");
		put_cell(stdout, member(t, "created_at"), 20, "  ");
		put_cell(stdout, member(t, "namespace"), 0, "/");
		put_cell(stdout, member(t, "name"), 0, " ");
		put_cell(stdout, member(t, "version"), 0, "\n");
	}
	if (json_object_object_get_ex(pg, "next_cursor", NULL)) {
		/* A cursor answer (--cursor): no page numbers; the way
		 * on is print_next_link's. */
		printf("%s task%s in all\n", member(pg, "total_count"),
		    strcmp(member(pg, "total_count"), "1") == 0 ? "" : "s");
		return;
	}
	printf("page %s of %s, %s task%s\n", member(pg, "current_page"),
	    member(pg, "total_pages"), member(pg, "total_count"),
	    strcmp(member(pg, "total_count"), "1") == 0 ? "" : "s");
}

/*
 * The way on by cursor, from the Link header (the page form's body has
 * page numbers only): "next page: --cursor C" when there is a next page.
 */
static void
print_next_link(const struct tk_response *res)
{
	const char *link = tk_response_header(res, "Link"), *c, *end;

	if (link == NULL || (end = strstr(link, ">; rel=\"next\"")) == NULL)
		return;
	for (c = end; c > link && c[-1] != '='; c--)
		;
	if (end - c == TK_CURSOR_LEN)
		printf("next page: --cursor %.*s\n", (int)(end - c), c);
}

/* A task answer (with its steps) as a summary and a table of steps. */
static void
print_one(json_object *t)
{
	static const char *const fields[] = { "id", "status", "created_at",
	    "created_by", "updated_at", "completed_at", "initiator",
	    "source_system", "reason", "tags", "priority", "context", NULL };
	json_object *steps, *s;
	size_t i, n;

	printf("%-14s ", "task");
	put_cell(stdout, member(t, "namespace"), 0, "/");
	put_cell(stdout, member(t, "name"), 0, " ");
	put_cell(stdout, member(t, "version"), 0, "\n");
	for (i = 0; fields[i] != NULL; i++) {
		printf("%-14s ", fields[i]);
		put_cell(stdout, member(t, fields[i]), 0, "\n");
	}
	if (!json_object_object_get_ex(t, "steps", &steps))
		return;
	n = json_object_array_length(steps);
	printf("\n%-24s  %-17s  %-8s  %s\n", "STEP", "STATUS", "ATTEMPTS",
	    "LAST_ERROR");
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(steps, i);
		put_cell(stdout, member(s, "name"), 24, "  ");
		put_cell(stdout, member(s, "status"), 17, "  ");
		put_cell(stdout, member(s, "attempts"), 8, "  ");
		put_cell(stdout, member(s, "last_error"), 0, "\n");
	}
}

/* GET /tasks/{id}/events as a table: one line per event and delivery. */
static void
print_events(json_object *doc)
{
	json_object *events, *ev, *dl, *d;
	size_t i, j, nd;

	if (!json_object_object_get_ex(doc, "events", &events))
		return;
	printf("%-24s  %-15s  %-16s  %-9s  %-8s  %-4s  %s\n", "CREATED",
	    "EVENT", "SUBSCRIPTION", "STATUS", "ATTEMPTS", "HTTP",
	    "LAST ERROR");
	for (i = 0; i < json_object_array_length(events); i++) {
		ev = json_object_array_get_idx(events, i);
		json_object_object_get_ex(ev, "deliveries", &dl);
		nd = dl != NULL ? json_object_array_length(dl) : 0;
		for (j = 0; j < nd || (j == 0 && nd == 0); j++) {
			d = nd > 0 ? json_object_array_get_idx(dl, j) : NULL;
			put_cell(stdout, member(ev, "created_at"), 24, "  ");
			put_cell(stdout, member(ev, "type"), 15, "  ");
			put_cell(stdout, member(d, "subscription"), 16, "  ");
			put_cell(stdout, member(d, "status"), 9, "  ");
			put_cell(stdout, member(d, "attempts"), 8, "  ");
			put_cell(stdout, member(d, "last_status_code"), 4, "  ");
			put_cell(stdout, member(d, "last_error"), 0, "\n");
		}
	}
}

/* Prints the answer in c: as it is (--json), or as text by print. */
static int
answer(struct call *c, int json, void (*print)(json_object *))
{
	json_object *doc;

	if (json) {
		printf("%s\n", tk_buf_str(&c->res.body));
		return fflush(stdout) == 0 ? 0 : TK_EXIT_FAIL;
	}
	if ((doc = json_tokener_parse(tk_buf_str(&c->res.body))) == NULL) {
		fprintf(stderr, "tasker-admin: the API's answer does not "
		    "parse\n");
		return TK_EXIT_FAIL;
	}
	print(doc);
	json_object_put(doc);
	return fflush(stdout) == 0 ? 0 : TK_EXIT_FAIL;
}

/* ---------------------------------------------------------------- commands */

static int
tasks_list(const struct tk_config *cfg, int argc, char **argv, int json)
{
	struct call c;
	struct tk_buf qs;
	int rc;

	call_init(&c, cfg);
	tk_buf_init(&qs);
	tk_buf_puts(&qs, "");
	if ((rc = tk_admin_tasks_query(argc, argv, &qs)) != 0)
		;	/* said */
	else if (call_open(&c, cfg) != TK_OK)
		rc = TK_EXIT_FAIL;
	else if ((rc = call_run(&c, "GET", "/tasks", tk_buf_str(&qs),
	    NULL)) == 0) {
		rc = answer(&c, json, print_tasks);
		if (rc == 0 && !json)
			print_next_link(&c.res);
	}
	call_close(&c);
	tk_buf_free(&qs);
	return rc;
}

/*
 * show ID | cancel ID [--reason TEXT] | retry ID [--reason TEXT]: the
 * one-task requests.  reason NULL: no body (show).
 */
static int
tasks_one(const struct tk_config *cfg, const char *method, const char *tail,
    const char *id, const char *reason, int json,
    void (*print)(json_object *))
{
	struct call c;
	struct tk_buf path;
	json_object *body = NULL;
	int rc;

	call_init(&c, cfg);
	tk_buf_init(&path);
	tk_buf_puts(&path, "/tasks/");
	tk_url_encode(&path, id, strlen(id));
	tk_buf_puts(&path, tail);
	if (reason != NULL && (body = json_object_new_object()) != NULL)
		json_object_object_add(body, "reason",
		    json_object_new_string(reason));
	if (path.failed || path.len > URI_MAX || (reason != NULL &&
	    body == NULL)) {
		fprintf(stderr, "tasker-admin: Task '%.40s...' not found\n",
		    id);
		rc = TK_EXIT_FAIL;
	} else if (call_open(&c, cfg) != TK_OK)
		rc = TK_EXIT_FAIL;
	else if ((rc = call_run(&c, method, tk_buf_str(&path), "",
	    body != NULL ? json_object_to_json_string(body) : NULL)) == 0)
		rc = answer(&c, json, print);
	call_close(&c);
	json_object_put(body);
	tk_buf_free(&path);
	return rc;
}

/* cancel|retry ID [--reason TEXT]: the reason the transitions record. */
static int
tasks_op(const struct tk_config *cfg, int argc, char **argv, int json)
{
	int cancel = strcmp(argv[0], "cancel") == 0;
	const char *reason = cancel ? "cancelled with tasker-admin" :
	    "retried with tasker-admin";
	char q[TK_DIAG_QUOTE_SIZE];

	if (argc < 2)
		return tk_cli_usage_error("tasker-admin", SEE,
		    "tasks %s needs a task ID", argv[0]);
	if (argc == 4 && strcmp(argv[2], "--reason") == 0)
		reason = argv[3];
	else if (argc == 3 && strncmp(argv[2], "--reason=", 9) == 0)
		reason = argv[2] + 9;
	else if (argc != 2)
		return tk_cli_usage_error("tasker-admin", SEE,
		    "tasks %s takes ID [--reason TEXT], not '%s'", argv[0],
		    tk_diag_quote(q, argv[2]));
	return tasks_one(cfg, cancel ? "DELETE" : "POST", cancel ? "" :
	    "/retry", argv[1], reason, json, print_one);
}

int
tk_admin_tasks(const struct tk_config *cfg, int argc, char **argv)
{
	int json = tk_cli_take_flag(&argc, argv, "--json");
	char q[TK_DIAG_QUOTE_SIZE];

	if (argc < 1)
		return tk_cli_usage_error("tasker-admin", SEE,
		    "expected 'tasks list|show|events|cancel|retry'");
	if (strcmp(argv[0], "list") == 0)
		return tasks_list(cfg, argc - 1, argv + 1, json);
	if (strcmp(argv[0], "show") == 0) {
		if (argc != 2)
			return tk_cli_usage_error("tasker-admin", SEE,
			    "tasks show takes one task ID");
		return tasks_one(cfg, "GET", "", argv[1], NULL, json,
		    print_one);
	}
	if (strcmp(argv[0], "events") == 0) {
		if (argc != 2)
			return tk_cli_usage_error("tasker-admin", SEE,
			    "tasks events takes one task ID");
		return tasks_one(cfg, "GET", "/events", argv[1], NULL, json,
		    print_events);
	}
	if (strcmp(argv[0], "cancel") == 0 || strcmp(argv[0], "retry") == 0)
		return tasks_op(cfg, argc, argv, json);
	if (strcmp(argv[0], "purge") == 0)   /* src/admin/purge.c */
		return tk_admin_tasks_purge(cfg, argc - 1, argv + 1, json);
	return tk_cli_usage_error("tasker-admin", SEE,
	    "no such tasks command '%s'", tk_diag_quote(q, argv[0]));
}
