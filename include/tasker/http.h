/*
 * http.h - the HTTP layer: requests, responses, paths, query strings,
 * the router and small header helpers.  Pure: nothing here talks to
 * FastCGI, so every function is testable from a CGI-style environment.
 *
 * A request's life in tasker-fcgi:
 *
 *	struct tk_request req;
 *	struct tk_response res;
 *
 *	tk_request_init(&req);
 *	tk_response_init(&res);
 *	req.app = ctx;
 *	e = tk_request_from_env(&req, fcgx_envp, cfg->api.mount_prefix);
 *	    (request id, method, headers, path, query; req.error says why not)
 *	... read the body (tk_content_length_parse) into req.body ...
 *	e = tk_route_match(routes, nroutes, &req, allow, sizeof(allow));
 *	    (405: set "Allow" from allow)
 *	... authenticate; check req.route->permission ...
 *	e = req.route->handler(&req, &res);
 *	tk_response_conditional(&res, &req);      ETag, 304
 *	tk_response_head(&res, &head);            then the body when
 *	                                          tk_response_body_allowed()
 *	tk_response_free(&res);
 *	tk_request_free(&req);
 *
 * Ownership: strings a request borrows (method, headers, body, envp) must
 * outlive it; for FastCGI that means until the next FCGX_Accept_r.  What
 * the layer decodes (path, query, path params, request id) the request
 * owns and tk_request_free() releases.  A response owns its headers and
 * body.
 */
#ifndef TASKER_HTTP_H
#define TASKER_HTTP_H

#include <stddef.h>

#include "tasker/buf.h"
#include "tasker/diag.h"
#include "tasker/error.h"

/* ---------------------------------------------------------------- Limits */

#define TK_PATH_MAX          2048  /* bytes of raw path (before '?') */
#define TK_PATH_MAX_SEGS     16    /* segments after the mount prefix */
#define TK_PREFIX_MAX        256   /* bytes of mount prefix */
#define TK_PREFIX_MAX_SEGS   8
#define TK_QUERY_MAX         4096  /* bytes of raw QUERY_STRING */
#define TK_QUERY_MAX_PAIRS   64
#define TK_QUERY_MAX_NAME    64    /* bytes of a decoded name */
#define TK_QUERY_MAX_VALUE   1024  /* bytes of a decoded value */
#define TK_REQUEST_ID_MAX    128
#define TK_ERRMSG_SIZE       256   /* req->error, incl. NUL */
#define TK_RESPONSE_MAX_HEADERS 16
#define TK_HEADER_VALUE_MAX  4096
#define TK_ALLOW_SIZE        96    /* enough for every method we know */
#define TK_ETAG_SIZE         35    /* '"' + 32 hex + '"' + NUL */
#define TK_ORIGIN_MAX        256   /* bytes of a CORS origin */

#define TK_CONTENT_TYPE_JSON "application/json; charset=utf-8"
/* Retry-After of every 503 that does not set its own (seconds). */
#define TK_RETRY_AFTER_SECONDS "5"

/* ------------------------------------------------------------ Paths */

/*
 * The route path: the request path after the mount prefix, split on '/'
 * and percent-decoded one segment at a time, so "%2F" stays inside its
 * segment.  seg[] points into buf, which the path owns.
 */
struct tk_path {
	char       *buf;
	const char *seg[TK_PATH_MAX_SEGS];
	size_t      nseg;
};

/*
 * Fills p from what the web server sent.  prefix is the mount prefix
 * ("/tasker", "/api/v1/tasker", or "" or "/" for the root; a trailing
 * '/' is ignored).
 *
 * Source: REQUEST_URI up to '?' when set (raw as the client sent it;
 * nginx and Apache both send it; an absolute-form "http://host/p" is cut
 * to "/p"), else SCRIPT_NAME + PATH_INFO, which the server has already
 * decoded and so are not decoded again.
 *
 * Rules: the prefix matches whole decoded segments ("/taskerx" is not
 * under "/tasker") and "/tasker" itself is the empty route path.  One
 * trailing '/' is ignored: "/tasker/handlers/" is "/tasker/handlers",
 * "/tasker/" is "/tasker" (clients and proxies add it freely; no route
 * needs the difference, and a redirect would cost a round trip).
 * Dot segments are refused, not resolved: nginx resolves them in
 * DOCUMENT_URI but REQUEST_URI keeps them, and no client of this API
 * needs them.
 *
 * Returns TK_ERR_ROUTE_NOT_FOUND for a path outside the prefix,
 * TK_ERR_BAD_REQUEST for a path longer than TK_PATH_MAX, more than
 * TK_PATH_MAX_SEGS segments, a bad '%' escape, NUL or a control byte,
 * invalid UTF-8, a "." or ".." segment (also when encoded), or an empty
 * segment ("//"); TK_ERR_CONFIG for an invalid prefix; TK_ERR_NOMEM.
 * msg (may be NULL) gets a message for the client ("" for 404: use the
 * error's default).  p is overwritten, not freed: free it before reuse.
 * On error p is empty.
 */
tk_err tk_path_extract(struct tk_path *p, const char *prefix,
    const char *request_uri, const char *script_name, const char *path_info,
    char *msg, size_t msgsz);
void   tk_path_free(struct tk_path *p);
/*
 * 1 when prefix is a usable mount prefix: "" or "/" or "/a/b" with at
 * most TK_PREFIX_MAX_SEGS plain segments (no '%', '?', '#', ".", "..",
 * "//", control bytes).  For config validation.
 */
int    tk_prefix_valid(const char *prefix);

/* ------------------------------------------------------ Query strings */

struct tk_param {
	const char *name;   /* decoded, NUL-terminated, valid UTF-8 */
	const char *value;  /* decoded; "" for "a=" and for a bare "a" */
};

/* Pairs in the order given, repeats kept.  Strings point into buf. */
struct tk_query {
	char           *buf;
	struct tk_param pair[TK_QUERY_MAX_PAIRS];
	size_t          n;
};

/*
 * Parses a QUERY_STRING (NULL or "" gives no pairs).  Pairs are split on
 * '&' (empty pieces skipped), name from value on the first '='; both are
 * percent-decoded with '+' as space.  TK_ERR_BAD_REQUEST, with a message
 * naming the parameter, for: more than TK_QUERY_MAX bytes or
 * TK_QUERY_MAX_PAIRS pairs, an empty name, a name or value over its
 * limit, a bad escape, NUL, or invalid UTF-8.  TK_ERR_NOMEM.  q is
 * overwritten, not freed; on error it is empty.
 */
tk_err tk_query_parse(struct tk_query *q, const char *qs, char *msg,
    size_t msgsz);
void   tk_query_free(struct tk_query *q);
/* The first value of name, or NULL. */
const char *tk_query_get(const struct tk_query *q, const char *name);
/* How many times name was given. */
size_t tk_query_count(const struct tk_query *q, const char *name);
/* The i-th (from 0) value of name, or NULL: to walk repeats. */
const char *tk_query_get_nth(const struct tk_query *q, const char *name,
    size_t i);

/*
 * Typed parameters.  When name is absent they return TK_OK and leave *out
 * alone, so the caller sets the default first.  Otherwise the parameter
 * must be given once and be exactly:
 *   tk_query_uint: decimal digits (no sign, space or "0x"; leading zeros
 *     allowed) with a value in [min, max];
 *   tk_query_bool: "true", "1" (1) or "false", "0" (0).
 * Else TK_ERR_BAD_REQUEST with a message naming the parameter and what is
 * accepted, e.g. "query parameter 'per_page' must be an integer between 1
 * and 100".
 */
tk_err tk_query_uint(const struct tk_query *q, const char *name,
    unsigned long long min, unsigned long long max, unsigned long long *out,
    char *msg, size_t msgsz);
tk_err tk_query_bool(const struct tk_query *q, const char *name, int *out,
    char *msg, size_t msgsz);

/*
 * Strict decimal: one or more digits and nothing else, value <= max.
 * TK_ERR_BAD_REQUEST for anything else, overflow included.
 */
tk_err tk_parse_uint(const char *s, unsigned long long max,
    unsigned long long *out);

/* ---------------------------------------------------------- Requests */

struct tk_route;

/* A path parameter: name points into the route's pattern (not
 * NUL-terminated, hence namelen), value into the request's path. */
struct tk_path_param {
	const char *name;
	size_t      namelen;
	const char *value;
};

struct tk_request {
	/* Borrowed: set by tk_request_from_env() or by hand.  NULL when the
	   server did not send the variable. */
	char *const *envp;            /* "NAME=value" strings, NULL-ended */
	const char  *method;          /* REQUEST_METHOD, e.g. "GET" */
	const char  *content_type;    /* CONTENT_TYPE */
	const char  *content_length;  /* CONTENT_LENGTH, unparsed */
	const char  *authorization;   /* HTTP_AUTHORIZATION */
	const char  *if_none_match;   /* HTTP_IF_NONE_MATCH */
	const char  *idempotency_key; /* HTTP_IDEMPOTENCY_KEY, unchecked */
	const char  *remote_user;     /* REMOTE_USER ("" is treated as NULL) */
	const char  *remote_addr;     /* REMOTE_ADDR */
	const char  *body;            /* the body read by the caller */
	size_t       body_len;
	void        *app;             /* the caller's context */

	/* Owned: filled by this layer. */
	struct tk_path        path;
	struct tk_query       query;
	struct tk_path_param  param[TK_PATH_MAX_SEGS]; /* by tk_route_match */
	size_t                nparam;
	const struct tk_route *route;                  /* by tk_route_match */
	char request_id[TK_REQUEST_ID_MAX + 1];        /* "" until set */
	char error[TK_ERRMSG_SIZE];   /* message for the client's error body;
	                                 "" means the error's default */
};

void   tk_request_init(struct tk_request *req);
/* Releases what the request owns and re-initialises it (app kept). */
void   tk_request_free(struct tk_request *req);
/*
 * Fills req from a CGI environment: the borrowed fields above, the
 * request id (tk_request_set_id with HTTP_X_REQUEST_ID), the path
 * (tk_path_extract with REQUEST_URI, SCRIPT_NAME, PATH_INFO) and the
 * query (QUERY_STRING, else what follows '?' in REQUEST_URI).  The
 * request id is set first, so it is there even on error.  A previous
 * path and query are released.  TK_ERR_BAD_REQUEST for a missing or
 * malformed REQUEST_METHOD (1..16 of A-Z), and the errors of
 * tk_path_extract and tk_query_parse; req->error says why.  The body
 * is the caller's: check CONTENT_LENGTH, read, set body and body_len.
 */
tk_err tk_request_from_env(struct tk_request *req, char *const *envp,
    const char *prefix);
/* 1 when m can be a request method as the router compares it: 1..16 of A-Z. */
int    tk_http_method_valid(const char *m);
/* A variable of req->envp ("" counts as set), or NULL. */
const char *tk_request_env(const struct tk_request *req, const char *name);
/* The path parameter captured for {name}, or NULL. */
const char *tk_request_param(const struct tk_request *req, const char *name);
/* Sets req->error (truncated to fit) for the error response. */
void   tk_request_errorf(struct tk_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Request ids.  A client's X-Request-Id is kept when it is 1..128 of
 * [A-Za-z0-9._:-]; else one is made: 32 lowercase hex digits from
 * getrandom(2), or /dev/urandom.  TK_ERR_IO if neither gives bytes
 * (req->request_id is then "-").
 */
int    tk_request_id_valid(const char *s);
tk_err tk_request_id_generate(char out[33]);
tk_err tk_request_set_id(struct tk_request *req, const char *given);

/*
 * 1 when a Content-Type is application/json (type case-insensitive,
 * optional parameters; a charset parameter must be utf-8).  0 for
 * NULL, anything else and "application/json-patch+json" alike.
 */
int    tk_content_type_is_json(const char *ct);

enum tk_clen {
	TK_CLEN_ABSENT,     /* NULL or "": no body announced (411 if needed) */
	TK_CLEN_OK,         /* *out set */
	TK_CLEN_INVALID,    /* not plain decimal digits: 400 */
	TK_CLEN_TOO_LARGE   /* over limit (or over any size_t): 413 */
};
/* CONTENT_LENGTH strictly: digits only, nothing around them. */
enum tk_clen tk_content_length_parse(const char *s, size_t limit,
    size_t *out);

/* --------------------------------------------------------- Responses */

struct tk_header {
	char *name;   /* one allocation: name, NUL, value; free(name) */
	char *value;
};

struct tk_response {
	int               status;       /* default 200 */
	char             *content_type; /* owned; NULL: TK_CONTENT_TYPE_JSON */
	struct tk_header  header[TK_RESPONSE_MAX_HEADERS]; /* in set order */
	size_t            nheader;
	struct tk_buf     body;
};

void   tk_response_init(struct tk_response *res);
/* Releases everything and re-initialises: also the way to start over. */
void   tk_response_free(struct tk_response *res);
/*
 * Sets (or replaces, by case-insensitive name) a header.  The name must
 * be an RFC 9110 token of 1..64 bytes; the value at most
 * TK_HEADER_VALUE_MAX bytes with no CR, LF, NUL or other control byte
 * but tab (header injection): TK_ERR_BAD_REQUEST.  "Content-Type" goes
 * to tk_response_set_content_type; "Status" and "Content-Length" are
 * written by tk_response_head and refused (TK_ERR_INTERNAL), as is a
 * 17th header.  TK_ERR_NOMEM.
 */
tk_err tk_response_set_header(struct tk_response *res, const char *name,
    const char *value);
/* s[0..n) percent-encoded onto b: every byte but RFC 3986's unreserved
 * ones (A-Z a-z 0-9 - . _ ~) as %XX. */
void   tk_url_encode(struct tk_buf *b, const char *s, size_t n);
/*
 * Adds a link (RFC 8288) to the Link header, after those added before:
 * <prefix path?query>; rel="rel", where query is q's pairs in their
 * order without those named in drop (NULL-ended), then name=value; every
 * name and value percent-encoded again (unreserved bytes as they are).
 * The target is a path reference: it keeps the mount prefix and the
 * scheme and host the client used.  A link that would make the header
 * longer than TK_HEADER_VALUE_MAX is left out (TK_OK).  TK_ERR_NOMEM.
 */
tk_err tk_response_add_link(struct tk_response *res, const char *prefix,
    const char *path, const struct tk_query *q, const char *const *drop,
    const char *name, const char *value, const char *rel);
/* The value of a header set before, or NULL. */
const char *tk_response_header(const struct tk_response *res,
    const char *name);
/* Checked as a header value; TK_ERR_BAD_REQUEST also for NULL or "". */
tk_err tk_response_set_content_type(struct tk_response *res,
    const char *ct);
/* The reason phrase of a status tasker uses, or NULL. */
const char *tk_http_reason(int status);
/*
 * Appends the CGI response head to out:
 *	Status: 200 OK\r\n
 *	Content-Type: application/json; charset=utf-8\r\n
 *	Content-Length: 17\r\n
 *	<headers in set order>\r\n
 *	\r\n
 * Content-Type and Content-Length are left out for 204 and 304.  For
 * HEAD the head is the same as for GET (Content-Length of the body that
 * is not sent).  TK_ERR_INTERNAL for a status tk_http_reason() does not
 * know; TK_ERR_NOMEM.
 */
tk_err tk_response_head(const struct tk_response *res, struct tk_buf *out);
/* 0 when the body must not be written: method HEAD, status 204 or 304. */
int    tk_response_body_allowed(const struct tk_response *res,
    const char *method);

/*
 * ETags.  tk_etag() writes a strong tag, '"' + the first 16 bytes of the
 * body's SHA-256 in hex + '"'.  tk_etag_match() is If-None-Match's weak
 * comparison: 1 when header is "*" or lists etag, with or without W/ on
 * either side; 0 otherwise, and for a malformed header (so the client
 * gets the full answer).
 */
tk_err tk_etag(const void *body, size_t len, char out[TK_ETAG_SIZE]);
int    tk_etag_match(const char *if_none_match, const char *etag);
/*
 * For a 200 answer to GET or HEAD: sets ETag from the body unless one is
 * set, and turns the answer into a bodiless 304 when req->if_none_match
 * matches.  Other answers are left alone.
 */
tk_err tk_response_conditional(struct tk_response *res,
    const struct tk_request *req);

/* ------------------------------------------------------------- Router */

typedef tk_err (*tk_route_fn)(struct tk_request *req, struct tk_response *res);

#define TK_ROUTE_OPEN 0x1u   /* needs no authentication (health, docs) */

/*
 * One entry of the caller's route table, declared as data:
 *	{ "GET", "/handlers/{namespace}/{name}", "tasker.handler:show", 0,
 *	  handler_show, "handler.show" }
 * pattern: "/" or "/lit/{param}/...": literal segments match exactly
 * (case-sensitive, against the decoded segment), {param} any one segment.
 */
struct tk_route {
	const char  *method;      /* "GET", "POST", ...; GET also serves HEAD */
	const char  *pattern;
	const char  *permission;  /* e.g. "tasker.handler:show"; NULL: none */
	unsigned     flags;       /* TK_ROUTE_* */
	tk_route_fn  handler;
	const char  *name;        /* for logs */
};

/*
 * Finds the route for req->method and req->path; on success sets
 * req->route and req->param.
 *
 * Precedence: a route whose method matches and whose pattern matches the
 * path; among several, the one with a literal at the first segment where
 * they differ ("/tasks/stats" beats "/tasks/{id}"), then the earlier in
 * the table.  HEAD uses HEAD routes, else GET routes.
 *
 * TK_ERR_ROUTE_NOT_FOUND when no pattern matches the path.
 * TK_ERR_METHOD_NOT_ALLOWED when some do, but not for this method; allow
 * (allowsz >= TK_ALLOW_SIZE is always enough) then holds the Allow value:
 * the methods of every route matching the path, HEAD added after GET,
 * without repeats, in the order GET, HEAD, POST, PUT, PATCH, DELETE,
 * OPTIONS, then others in table order: "GET, HEAD, POST".  A method
 * that does not fit in allowsz is left out whole.  (An OPTIONS request
 * with no OPTIONS route gets 405 and this list too; answer it with 204
 * if you prefer.)  TK_ERR_BAD_REQUEST when req->method is NULL.
 */
tk_err tk_route_match(const struct tk_route *routes, size_t nroutes,
    struct tk_request *req, char *allow, size_t allowsz);

/* ---------------------------------------------------------------- CORS */

/*
 * Cross-origin requests from browsers (src/http/cors.c), for the origins
 * the configuration lists (api.cors.allowed_origins; none: CORS off and
 * nothing here adds anything).  Origins compare byte for byte with the
 * request's Origin header, as browsers send it (lowercase, no path).
 */

/* 1 when s is an origin: "http://" or "https://", a lowercase host name,
 * IPv4 or [IPv6] address, an optional ":port" (1..65535), nothing after;
 * at most TK_ORIGIN_MAX bytes. */
int    tk_cors_origin_valid(const char *s);
/* The request's Origin when it is one of the n origins, else NULL. */
const char *tk_cors_allowed(const struct tk_request *req,
    char *const *origins, size_t n);
/* 1 for a preflight: OPTIONS with Access-Control-Request-Method. */
int    tk_cors_is_preflight(const struct tk_request *req);
/*
 * Answers a preflight from an allowed origin: 204 with
 * Access-Control-Allow-Methods (allow: the path's methods, as
 * tk_route_match gives them), -Allow-Headers (the request headers the
 * API reads) and -Max-Age; tk_cors_headers adds the rest.
 */
tk_err tk_cors_preflight(struct tk_response *res, const char *allow);
/* Access-Control-Allow-Origin: origin, Vary: Origin and
 * Access-Control-Expose-Headers (ETag, Location, X-Request-Id,
 * Retry-After) on any answer to an allowed origin. */
tk_err tk_cors_headers(struct tk_response *res, const char *origin);

/*
 * Checks a route table at start-up: methods of A-Z, patterns as above
 * with at most TK_PATH_MAX_SEGS segments and parameter names of
 * [a-z0-9_] (unique in a pattern), handlers set, and no two routes of
 * one method with the same shape (same literals, params in the same
 * places) since the second could never match.  One message per problem
 * into diag (may be NULL).  TK_ERR_INTERNAL when anything is wrong.
 */
tk_err tk_routes_check(const struct tk_route *routes, size_t nroutes,
    struct tk_diag *diag);

#endif
