#!/usr/bin/env bash
# test_discovery.sh - the guide's handler discovery API through nginx ->
# spawn-fcgi tasker-fcgi -> MariaDB, compared with the guide's examples.
# The integration tests share one stack and run in name order: this one
# runs while the registry holds only the guide's handlers (test_admin
# loads them), so tests that load namespaces of their own (it_*) are named
# to run after it (test_scope, test_trust_*, test_utf8).
. "$(dirname "$0")/lib.sh"

GUIDE=$TASKER_ROOT/t/fixtures/guide
AUTH=$(token tasker.handler:index tasker.handler:show)

case_begin "GET /handlers lists the guide's namespaces exactly"
req GET /handlers
expect_status 200
expect_header 'Content-Type' 'application/json; charset=utf-8'
expect_jq ". == $(jq -c . "$GUIDE/namespaces.json")" true
expect_jq '[.namespaces[] | .handler_count == (.handlers | length)] | all' true
expect_jq '.namespaces[0] | keys_unsorted' '["name","description","handler_count","handlers"]'

case_begin "GET /handlers/payments has the guide's entries, fields in order"
req GET /handlers/payments
expect_status 200
expect_jq '.namespace' '"payments"'
expect_jq 'keys_unsorted' '["namespace","handlers"]'
expect_jq '[.handlers[].id]' '["process_payment","refund_payment","validate_card","process_subscription","cancel_subscription"]'
for i in 0 1; do
	want=$(jq -c ".handlers[$i]" "$GUIDE/payments.json")
	expect_jq ".handlers[$i] | del(.versions)" "$want"
	expect_jq ".handlers[$i] | keys_unsorted" '["id","namespace","version","description","step_count","step_names","versions"]'
done
expect_jq '[.handlers[] | .step_count == (.step_names | length)] | all' true

case_begin "GET /handlers/payments/process_payment?version=2.1.0 matches the guide field by field"
req GET '/handlers/payments/process_payment?version=2.1.0'
expect_status 200
guide=$(jq -c . "$GUIDE/process_payment_2.1.0.json")
expect_jq 'del(.step_templates[].depends_on_steps) | del(.dependency_graph.execution_levels)' "$guide"
expect_jq 'keys_unsorted' "$(echo "$guide" | jq -c 'keys_unsorted')"
expect_jq '.step_templates[0] | keys_unsorted' '["name","description","handler_class","depends_on_step","default_retryable","default_retry_limit","skippable","custom_events","depends_on_steps"]'
expect_jq '.dependency_graph | keys_unsorted' '["nodes","edges","execution_order","execution_levels"]'
expect_jq '[.step_templates[].depends_on_steps]' '[[],["validate_payment"],["charge_card"],["update_order"]]'
expect_jq '.dependency_graph.execution_levels' '[["validate_payment"],["charge_card"],["update_order"],["send_confirmation"]]'

case_begin "without version the latest is returned"
req GET /handlers/payments/process_payment
expect_status 200
expect_jq '.version' '"2.1.0"'

case_begin "a handler with two versions: latest by default, the older on request"
req GET /handlers/notifications
multi=$(jq -r '[.handlers[] | select((.versions | length) > 1)][0].id' <"$BODY_FILE")
newest=$(jq -r "[.handlers[] | select(.id == \"$multi\")][0].versions[0]" <"$BODY_FILE")
oldest=$(jq -r "[.handlers[] | select(.id == \"$multi\")][0].versions[-1]" <"$BODY_FILE")
[ "$multi" != null ] || fail "no handler with two versions in notifications"
[ "$newest" != "$oldest" ] || fail "versions not distinct"
expect_jq "[.handlers[] | select(.id == \"$multi\")][0].version" "\"$newest\""
req GET "/handlers/notifications/$multi"
expect_jq '.version' "\"$newest\""
req GET "/handlers/notifications/$multi?version=$oldest"
expect_status 200
expect_jq '.version' "\"$oldest\""

case_begin "a diamond DAG shows every parent, an order and parallel levels"
found=""
for ns in payments inventory notifications; do
	req GET "/handlers/$ns"
	for h in $(jq -r '.handlers[].id' <"$BODY_FILE"); do
		req GET "/handlers/$ns/$h"
		if jq -e '[.step_templates[] | (.depends_on_steps | length) > 1] | any' <"$BODY_FILE" >/dev/null; then
			found=$ns/$h
			break 2
		fi
	done
done
[ -n "$found" ] || fail "no example handler has a step with two parents"
if [ -n "$found" ]; then
	req GET "/handlers/$found"
	# The step with two parents has depends_on_step null.
	expect_jq '[.step_templates[] | select((.depends_on_steps | length) > 1) | .depends_on_step] | all(. == null)' true
	# Each edge's parent comes before its child in execution_order.
	expect_jq '.dependency_graph as $g | [$g.edges[] as $e | ($g.execution_order | index($e.from)) < ($g.execution_order | index($e.to))] | all' true
	# Levels partition the nodes, and some level holds two steps.
	expect_jq '(.dependency_graph.execution_levels | flatten | sort) == (.dependency_graph.nodes | sort)' true
	expect_jq '[.dependency_graph.execution_levels[] | length > 1] | any' true
fi

case_begin "unknown namespace is 404 NamespaceNotFound"
req GET /handlers/unknown_namespace
expect_error 404 NamespaceNotFound NAMESPACE_NOT_FOUND "Namespace 'unknown_namespace' does not exist"
req GET /handlers/unknown_namespace/process_payment
expect_error 404 NamespaceNotFound NAMESPACE_NOT_FOUND "Namespace 'unknown_namespace' does not exist"

case_begin "unknown handler or version is 404 HandlerNotFound"
req GET '/handlers/payments/unknown_handler?version=1.0.0'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND "Handler 'unknown_handler' not found in namespace 'payments' version '1.0.0'"
req GET '/handlers/payments/process_payment?version=9.9.9'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND "Handler 'process_payment' not found in namespace 'payments' version '9.9.9'"

case_begin "a malformed version is 400 with details.version"
for v in 'abc' '1.0.0.0' '01.0.0' '1.0.0-' '1.0.0%00' '%5E1.x.5' '1.0%20-' '%20'; do
	req GET "/handlers/payments/process_payment?version=$v"
	case "$v" in
	*%00*) expect_status 400 ;;
	*)     expect_status 400; expect_jq '.error.details.version | length' 1 ;;
	esac
	expect_jq '.error.code | type' '"string"'
done

case_begin "one rule for query parameters: unknown or repeated ones are 400, named"
for p in '/handlers?sort=name' '/handlers/payments?page=2' \
    '/handlers/payments/process_payment?verison=1.0.0'; do
	req GET "$p"
	expect_error 400 BadRequest BAD_REQUEST 'Invalid request parameters'
	expect_jq '[.error.details[]]' '[["is not a known parameter"]]'
done
req GET '/handlers?sort=name'
expect_jq '.error.details' '{"sort":["is not a known parameter"]}'
req GET '/handlers/payments/process_payment?version=1.0.0&version=2.1.0'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details' '{"version":["must be given at most once"]}'
for p in /health/live /health/ready /metrics /api-docs.json; do
	AUTH= req GET "$p?x=1"
	expect_error 400 BadRequest BAD_REQUEST
	expect_jq '.error.details' '{"x":["is not a known parameter"]}'
done
AUTH=$(token tasker.health_status:index) req GET '/health/status?verbose=1'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details' '{"verbose":["is not a known parameter"]}'

case_begin "path segments that cannot be names are 404 or 400, never 5xx"
for p in '/handlers/Payments' '/handlers/pay-ments' '/handlers/%C3%A9t%C3%A9' \
    "/handlers/$(printf 'a%.0s' $(seq 1 300))" '/handlers/payments/..%2F..%2Fetc' \
    '/handlers/payments/%27%20OR%201%3D1--' '/handlers/%2e%2e' '/handlers/a%00b' \
    '/handlers/%ff' '/handlers/payments/process_payment/extra'; do
	req GET "$p"
	case "$STATUS" in
	400|404) ;;
	*) fail "$p answered $STATUS" ;;
	esac
	expect_jq '.error.type | type' '"string"'
done

case_begin "a name echoed in a message is cut at 64 bytes and marked so"
long=$(printf 'a%.0s' $(seq 1 300))
req GET "/handlers/$long"
expect_error 404 NamespaceNotFound NAMESPACE_NOT_FOUND "Namespace '$(printf 'a%.0s' $(seq 1 64))...' does not exist"
req GET "/handlers/payments/$long?version=1.0.0"
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND "Handler '$(printf 'a%.0s' $(seq 1 64))...' not found in namespace 'payments' version '1.0.0'"
# Short names are echoed whole, unmarked.
req GET /handlers/nope
expect_error 404 NamespaceNotFound NAMESPACE_NOT_FOUND "Namespace 'nope' does not exist"

case_begin "an unknown path is 404 in the error format"
req GET /nothing/here
expect_status 404
expect_jq '.error.code' '"NOT_FOUND"'

case_begin "a known path with the wrong method is 405 with Allow"
req POST /handlers -H 'Content-Type: application/json' -d '{}'
expect_status 405
expect_header Allow 'GET, HEAD'
expect_jq '.error.code' '"METHOD_NOT_ALLOWED"'
req DELETE /handlers/payments/process_payment
expect_status 405
expect_header Allow 'GET, HEAD'

case_begin "HEAD answers like GET without a body"
req GET /handlers/payments
get_len=$(header Content-Length)
get_etag=$(header ETag)
req HEAD /handlers/payments
expect_status 200
expect_header Content-Length "$get_len"
expect_header ETag "$get_etag"
expect_eq "$(raw_head_body_bytes /handlers/payments)" 0 "bytes after the HEAD response head"

case_begin "ETag and If-None-Match give 304"
req GET /handlers/payments/process_payment
etag=$(header ETag)
[ -n "$etag" ] || fail "no ETag"
req GET /handlers/payments/process_payment -H "If-None-Match: $etag"
expect_status 304
[ ! -s "$BODY_FILE" ] || fail "304 with a body"
req GET /handlers/payments/process_payment -H 'If-None-Match: "other"'
expect_status 200

case_begin "X-Request-Id is echoed, or generated"
req GET /handlers -H 'X-Request-Id: it-abc.123'
expect_header X-Request-Id it-abc.123
req GET /handlers
id=$(header X-Request-Id)
[[ "$id" =~ ^[0-9a-f]{32}$ ]] || fail "generated id '$id'"
req GET /handlers -H 'X-Request-Id: bad id with spaces'
id=$(header X-Request-Id)
[[ "$id" =~ ^[0-9a-f]{32}$ ]] || fail "bad id not replaced: '$id'"
grep -q 'request_id=it-abc.123' "$TASKER_RUN"/fcgi*.log 2>/dev/null ||
    fail "request id not in the request log"

case_begin "a version loaded while the stack runs becomes the latest within a second"
mkdir -p "$T_TMP/h"
mk() {
	cat > "$T_TMP/h/$2.yaml" <<-YAML
	name: live_reload
	namespace_name: it_discovery
	version: $1
	description: Loaded by the discovery test
	step_templates:
	  - name: only_step
	    handler_class: It::Only
	YAML
}
mk 1.1.0 a
out=$($TASKER_ADMIN handlers load "$T_TMP/h/a.yaml" 2>&1) || fail "load: $out"
sleep 1.3
req GET /handlers/it_discovery/live_reload
expect_jq '.version' '"1.1.0"'
mk 1.2.0 b
mk 2.0.0-rc.1 c
out=$($TASKER_ADMIN handlers load "$T_TMP/h/b.yaml" "$T_TMP/h/c.yaml" 2>&1) || fail "load: $out"
sleep 1.3
for _ in 1 2 3 4 5 6 7 8; do   # every process, whichever answers
	req GET /handlers/it_discovery/live_reload
	expect_jq '.version' '"1.2.0"'
done
req GET /handlers/it_discovery
expect_jq '.handlers[0].versions' '["2.0.0-rc.1","1.2.0","1.1.0"]'

case_begin "MariaDB stopped: 503 in the error format; restarted: 200, same processes"
pids_before=$(fcgi_pids | tr '\n' ' ')
"$TASKER_QUICKSTART" _db stop
sleep 1.3
req GET /handlers
expect_error 503 ServiceUnavailable SERVICE_UNAVAILABLE
"$TASKER_QUICKSTART" _db start
ok=0
for _ in $(seq 1 20); do
	req GET /handlers
	[ "$STATUS" = 200 ] && { ok=1; break; }
	sleep 0.3
done
[ $ok -eq 1 ] || fail "no 200 after restart (last $STATUS)"
for _ in 1 2 3 4 5 6 7 8; do
	req GET /handlers/payments
	expect_status 200
done
pids_after=$(fcgi_pids | tr '\n' ' ')
expect_eq "$pids_after" "$pids_before" "tasker-fcgi pids"
[ -n "$pids_after" ] || fail "no tasker-fcgi process found under the pool's multiwatch"
for pid in $pids_after; do kill -0 "$pid" 2>/dev/null || fail "process $pid is gone"; done

case_begin "SIGTERM ends an idle tasker-fcgi process at once, through its own cleanup"
# A pool of its own, started as the stack's is (spawn-fcgi -> multiwatch ->
# tasker-fcgi), so the stack's processes are left alone.
sock=$T_TMP/term.sock
TASKER_CONFIG=$TASKER_CONF setsid spawn-fcgi -n -s "$sock" -- \
    "$(command -v multiwatch)" -f 1 -- "$TASKER_BUILD/tasker-fcgi" \
    -l "$T_TMP/term.log" </dev/null >"$T_TMP/term-mw.log" 2>&1 &
mw=$!
# pool_answer: the pid of the pool's one process once it has answered.
pool_answer() {
	local pid out
	for _ in $(seq 1 100); do
		pid=$(pgrep -P "$mw" || true)
		if [ -n "$pid" ]; then
			out=$(REQUEST_METHOD=GET REQUEST_URI=/tasker/health/live \
			    SCRIPT_NAME=/tasker cgi-fcgi -bind -connect "$sock" 2>&1)
			echo "$out" | grep -q '^Status: 200' && { echo "$pid"; return 0; }
		fi
		sleep 0.1
	done
	return 1
}
victim=$(pool_answer) || fail "the pool did not answer"
# exited: no process any more, or a zombie its parent has yet to reap.
exited() {
	local st
	for _ in $(seq 1 "$2"); do
		st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)
		[ -z "$st" ] || [ "$st" = Z ] && return 0
		sleep 0.1
	done
	return 1
}
if [ -n "$victim" ]; then
	kill -TERM "$victim"
	exited "$victim" 20 || { fail "process $victim still alive 2 s after SIGTERM"; kill -9 "$victim"; }
	grep -q "prog=tasker-fcgi pid=$victim event=stop" "$T_TMP/term.log" ||
	    fail "process $victim did not leave through main (no event=stop in its log)"
fi

case_begin "multiwatch replaces it; SIGTERM to multiwatch ends the new one through its cleanup too"
next=$(pool_answer) || fail "no new process answered"
[ -n "$next" ] && [ "$next" != "$victim" ] || fail "no new process: '$next' (was $victim)"
kill -TERM "$mw"
exited "$mw" 100 || { fail "multiwatch $mw still running 10 s after SIGTERM"; kill -9 "$mw" "$next"; }
if [ -n "$next" ]; then
	exited "$next" 20 || { fail "process $next outlived multiwatch"; kill -9 "$next"; }
	grep -q "prog=tasker-fcgi pid=$next event=stop" "$T_TMP/term.log" ||
	    fail "process $next did not leave through main (no event=stop in its log)"
fi

finish
