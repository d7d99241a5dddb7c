#!/usr/bin/env bash
# test_cors.sh - CORS, off by default: the stack (no
# api.cors.allowed_origins) adds nothing for any Origin; a private
# tasker-fcgi pool with two origins listed answers their preflight
# OPTIONS with 204 and the Access-Control-* headers, puts
# Access-Control-Allow-Origin, Vary: Origin and -Expose-Headers on every
# answer to them (errors too), and adds nothing for other origins.
. "$(dirname "$0")/lib.sh"

STACK_PORT=${TASKER_URL#http://*:}
STACK_PORT=${STACK_PORT%%/*}
PRIV_PORT=${TASKER_CORS_PORT:-$((STACK_PORT + 1200))}
PRIV=$T_TMP/priv
PRIV_URL=http://127.0.0.1:$PRIV_PORT/tasker
APP=https://app.example.com
DEV=http://localhost:3000
AUTH=$(token)

no_cors_headers() {
	grep -qi '^access-control-\|^vary:' "$HEADERS_FILE" &&
	    fail "CORS headers where none belong: $(grep -i '^access-control-\|^vary:' "$HEADERS_FILE" | tr -d '\r' | tr '\n' ' ')"
	return 0
}

allowed_headers() {
	expect_header Access-Control-Allow-Origin "$1"
	expect_header Vary Origin
	expect_header Access-Control-Expose-Headers 'ETag, Location, X-Request-Id, Retry-After, Link'
}

case_begin "CORS is off by default: the stack adds nothing for an Origin"
req GET /handlers -H "Origin: $APP"
expect_status 200
no_cors_headers
req OPTIONS /tasks -H "Origin: $APP" -H 'Access-Control-Request-Method: POST'
expect_status 405
no_cors_headers

priv_stop() {
	local pid
	if [ -f "$PRIV/nginx.pid" ]; then
		pid=$(cat "$PRIV/nginx.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	if [ -f "$PRIV/cors.fcgi.pid" ]; then
		for pid in $(cat "$PRIV/cors.fcgi.pid"); do kill "$pid" 2>/dev/null; done
	fi
}
trap 'priv_stop; rm -rf "$T_TMP"' EXIT

# The stack's configuration with an api: section of this test's own.
priv_start() {
	mkdir -p "$PRIV/tmp"
	{
		awk '/^[A-Za-z_]+:/ { k = $0; sub(/:.*/, "", k); skip = (k == "api") } !skip' \
		    "$TASKER_CONF"
		cat <<-YAML
		api:
		  mount_prefix: /tasker
		  cors:
		    allowed_origins: ["$APP", "$DEV"]
		YAML
	} >"$PRIV/cors.yaml"
	"$TASKER_BUILD/tasker-admin" -c "$PRIV/cors.yaml" config check >/dev/null || return 1
	spawn-fcgi -s "$PRIV/cors.sock" -M 0600 -F 1 -P "$PRIV/cors.fcgi.pid" -- \
	    "$TASKER_BUILD/tasker-fcgi" -c "$PRIV/cors.yaml" -l "$PRIV/cors.log" \
	    >>"$PRIV/spawn.log" 2>&1 || return 1
	private_nginx "$PRIV" "$PRIV_PORT" "" "
	location /tasker/ {
		include /etc/nginx/fastcgi_params;
		fastcgi_pass unix:$PRIV/cors.sock;
	}"
}

case_begin "a private pool with api.cors.allowed_origins starts on port $PRIV_PORT"
mkdir -m 700 "$PRIV"
if priv_start; then
	for _ in $(seq 1 50); do
		req GET "$PRIV_URL/handlers"
		[ "$STATUS" = 200 ] && break
		sleep 0.1
	done
	expect_status 200
else
	fail "could not start: $(tail -5 "$PRIV/spawn.log" "$PRIV"/*.log 2>/dev/null)"
fi

case_begin "a listed origin's preflight: 204 with Allow-Methods/-Headers/Max-Age, no token needed"
AUTH= req OPTIONS "$PRIV_URL/tasks" -H "Origin: $APP" \
    -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization, content-type'
expect_status 204
allowed_headers "$APP"
expect_header Access-Control-Allow-Methods 'GET, HEAD, POST'
expect_header Access-Control-Allow-Headers 'Authorization, Content-Type, Idempotency-Key, If-None-Match, X-Request-Id'
expect_header Access-Control-Max-Age 600
[ -s "$BODY_FILE" ] && fail "a 204 with a body"
AUTH= req OPTIONS "$PRIV_URL/tasks/00000000-0000-7000-8000-000000000000" -H "Origin: $DEV" \
    -H 'Access-Control-Request-Method: PATCH'
expect_status 204
expect_header Access-Control-Allow-Origin "$DEV"
expect_header Access-Control-Allow-Methods 'GET, HEAD, PATCH, DELETE'

case_begin "a preflight for a path that does not exist is 404; an OPTIONS that is no preflight is 405"
AUTH= req OPTIONS "$PRIV_URL/nothing/here" -H "Origin: $APP" -H 'Access-Control-Request-Method: GET'
expect_status 404
AUTH= req OPTIONS "$PRIV_URL/tasks" -H "Origin: $APP"
expect_status 405
expect_header Allow 'GET, HEAD, POST'

case_begin "answers to a listed origin carry Allow-Origin, Vary and Expose-Headers (errors too)"
req GET "$PRIV_URL/handlers" -H "Origin: $APP"
expect_status 200
allowed_headers "$APP"
expect_header_present ETag
AUTH= req GET "$PRIV_URL/handlers" -H "Origin: $DEV"
expect_status 401
allowed_headers "$DEV"
req GET "$PRIV_URL/tasks?sort=1" -H "Origin: $APP"
expect_status 400
allowed_headers "$APP"

case_begin "other origins, and requests without one, get nothing added"
for o in https://evil.example https://app.example.com.evil.example HTTPS://APP.EXAMPLE.COM \
    "$APP/" null; do
	req GET "$PRIV_URL/handlers" -H "Origin: $o"
	expect_status 200
	no_cors_headers
	AUTH= req OPTIONS "$PRIV_URL/tasks" -H "Origin: $o" -H 'Access-Control-Request-Method: POST'
	expect_status 405
	no_cors_headers
done
req GET "$PRIV_URL/handlers"
expect_status 200
no_cors_headers

finish
