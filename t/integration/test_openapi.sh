#!/usr/bin/env bash
# test_openapi.sh - contrib/openapi/openapi.json against the live API: a
# set of requests (every documented operation, its errors included) is
# replayed through Stoplight Prism (@stoplight/prism-cli, pinned, from the
# npm registry, cached beside the run folders) in proxy mode with
# violations fatal (--errors).  Prism validates each request and each
# answer (status, headers, body) against the document; any violation, or
# an answer Prism made itself, fails the case with what Prism said.
#
# Two proxies: STRICT validates the request too (what the API accepts,
# the document must accept: wrapped bodies, nulls, per_page over 100,
# include_dependencies=1); LOOSE does not (requests the API refuses, so
# that its refusals are checked).  What Prism cannot carry (HEAD, whose
# empty JSON body it tries to parse; methods the document does not list;
# a body that is not JSON) is checked directly against the document
# here.  A third proxy over a copy of the document with one field broken
# proves the check can fail.
#
# No npm registry, no Node.js: the test fails, it never skips.
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/t/fixtures/tasks/it_lib.sh"

PRISM_VERSION=5.14.2      # the last release for Node.js 18 and 20
CACHE=$(dirname "$TASKER_RUN")/cache
DOC=$TASKER_ROOT/contrib/openapi/openapi.json
PORT=${TASKER_URL#http://*:}
PORT=${PORT%%/*}
STRICT=http://127.0.0.1:$((PORT + 300))
LOOSE=http://127.0.0.1:$((PORT + 301))
BROKEN=http://127.0.0.1:$((PORT + 302))
PRISM_PIDS=()

ADMIN_TOKEN=$(token)
OTHER_TOKEN=$(token tasker.metrics:index)
AUTH=$ADMIN_TOKEN

prism_stop() {
	local pid
	for pid in "${PRISM_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PRISM_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	PRISM_PIDS=()
}
trap 'prism_stop; rm -rf "$T_TMP"' EXIT

# prism_start URL DOCUMENT LOG [FLAGS...]: a Prism proxy on URL's port in
# front of the stack; its log in LOG.
prism_start() {
	local url=$1 doc=$2 log=$3
	shift 3
	# --cors=false: Prism answers no preflight and adds no header itself.
	"$PRISM" proxy "$doc" "$TASKER_URL" --errors --cors=false \
	    --host 127.0.0.1 --port "${url##*:}" "$@" >"$log" 2>&1 &
	PRISM_PIDS+=($!)
}

# prism_wait LOG: 0 once the proxy of LOG listens (60 s at most).
prism_wait() {
	local i
	for i in $(seq 1 300); do
		grep -aq 'Prism is listening' "$1" && return 0
		grep -aq 'fatal' "$1" && break
		sleep 0.2
	done
	echo "# $(basename "$1"): $(grep -a -A3 'fatal' "$1" | head -5)"
	return 1
}

# ------------------------------------------------------------- replaying

# What each replay covered: "METHOD /documented/path" lines.
COVERED=$T_TMP/covered
: >"$COVERED"

# The documented paths (fewest parameters first, so that a literal
# segment wins) and their regular expressions.
TEMPLATES=()
REGEXES=()
while read -r t; do
	TEMPLATES+=("$t")
	REGEXES+=("^$(echo "$t" | sed -e 's/{[a-z_]*}/[^\/]+/g')\$")
done < <(jq -r '.paths | keys[]' "$DOC" | awk '{ print gsub(/{/, "{"), $0 }' |
    sort -n | cut -d' ' -f2-)

# The documented path (template) of a concrete one, or nothing.
template_of() {
	local path=${1%%\?*} i
	for i in "${!REGEXES[@]}"; do
		if [[ "$path" =~ ${REGEXES[$i]} ]]; then
			echo "${TEMPLATES[$i]}"
			return
		fi
	done
}

# check_answer WHAT: what is wrong with the last answer through Prism,
# one line each (nothing when it is right): Prism's violations (the
# sl-violations header: errors and warnings alike, e.g. an undocumented
# status), an answer Prism made itself (application/problem+json), an
# answer without X-Request-Id.
check_answer() {
	local what=$1 v ct
	v=$(header sl-violations)
	if [ -n "$v" ]; then
		echo "$v" | jq -r --arg w "$what" '.[] |
		    "\($w): \(.severity) at \(.location | join(".")): \(.message)"' 2>/dev/null ||
		    echo "$what: violations: $v"
	fi
	ct=$(header content-type)
	if [[ "$ct" == application/problem+json* ]]; then
		jq -r --arg w "$what" --arg v "$v" '"\($w): Prism answered \(.status) itself: \(.title)",
		    (select($v == "") | .validation[]? |
		    "\($w):   \(.location | join(".")): \(.message)")' \
		    <"$BODY_FILE" 2>/dev/null || echo "$what: Prism answered: $(head -c 300 "$BODY_FILE")"
	elif [ -z "$(header x-request-id)" ] && [ "$STATUS" != 000 ]; then
		echo "$what: no X-Request-Id"
	fi
}

# replay VIA EXPECTED METHOD PATH [curl args...]: sends the request through
# the proxy VIA ($STRICT or $LOOSE) with $AUTH; fails the case unless the
# status is EXPECTED and Prism found the exchange right.
replay() {
	local via=$1 expected=$2 method=$3 path=$4 t problems
	shift 4
	t=$(template_of "$path")
	[ -n "$t" ] && echo "${method,,} $t" >>"$COVERED"
	req "$method" "$via$path" "$@"
	problems=$(check_answer "$method $path")
	if [ -n "$problems" ]; then
		while IFS= read -r line; do fail "$line"; done <<<"$problems"
	elif [ "$STATUS" != "$expected" ]; then
		fail "$method $path: expected $expected, got $STATUS: $(head -c 300 "$BODY_FILE")"
	fi
}

# expect_order SCHEMA [FILTER]: the body's keys (or FILTER's) come in the
# order SCHEMA lists its properties (what Prism does not check).
expect_order() {
	local got want
	got=$(jq -c "${2:-.} | keys_unsorted" <"$BODY_FILE")
	want=$(jq -c --arg s "$1" --argjson got "$got" '.components.schemas[$s].properties |
	    keys_unsorted | map(select(. as $k | $got | index($k)))' "$DOC")
	[ "$got" = "$want" ] || fail "$1${2:+ ($2)}: the API sends $got, the document lists $want"
}

json() { printf '%s' "$1" >"$T_TMP/req.json"; echo "@$T_TMP/req.json"; }

# A body over api.max_body_bytes (1 MiB in the test stack), under nginx's
# 2 MiB: tasker-fcgi answers 413 itself.
head -c 1100000 /dev/zero | tr '\0' 'x' | sed -e 's/^/{"reason":"/' -e 's/$/"}/' >"$T_TMP/big.json"

# ------------------------------------------------------------- Prism

case_begin "Prism $PRISM_VERSION is installed (npm, cached) and proxies the document"
PRISM=$CACHE/prism-$PRISM_VERSION/node_modules/.bin/prism
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	fail "node and npm are needed (Node.js >= 18.20: NodeSource's nodejs, or Debian's nodejs and npm)"
elif [ ! -x "$PRISM" ]; then
	export NO_UPDATE_NOTIFIER=1
	timeout 300 npm install --prefix "$CACHE/prism-$PRISM_VERSION" \
	    --cache "$CACHE/npm" --no-audit --no-fund --ignore-scripts \
	    --loglevel=error "@stoplight/prism-cli@$PRISM_VERSION" >"$T_TMP/npm.log" 2>&1 ||
	    fail "npm install @stoplight/prism-cli@$PRISM_VERSION failed: $(grep -a 'error' \
	    "$T_TMP/npm.log" | head -3 | tr '\n' ' ')"
fi
if [ "$T_CASE_FAILED" -eq 0 ]; then
	# The broken copy: a task's status becomes a number.
	jq '.components.schemas.Task.properties.status = {"type": "integer"}' "$DOC" \
	    >"$T_TMP/broken.json"
	prism_start "$STRICT" "$DOC" "$T_TMP/strict.log"
	prism_start "$LOOSE" "$DOC" "$T_TMP/loose.log" --validate-request=false
	prism_start "$BROKEN" "$T_TMP/broken.json" "$T_TMP/broken.log"
	prism_wait "$T_TMP/strict.log" || fail "the strict proxy did not start"
	prism_wait "$T_TMP/loose.log" || fail "the loose proxy did not start"
	prism_wait "$T_TMP/broken.log" || fail "the proxy of the broken copy did not start"
fi
if [ "$T_CASE_FAILED" -ne 0 ]; then
	finish
	exit 1
fi

case_begin "setup: the test handlers load"
tasks_setup || fail "setup"

# ------------------------------------------------------------- discovery

case_begin "discovery: lists, one handler, 304 on a known ETag, 400/401/403/404"
replay "$STRICT" 200 GET /handlers
etag=$(header etag)
replay "$STRICT" 304 GET /handlers -H "If-None-Match: $etag"
replay "$STRICT" 200 GET /handlers -H 'X-Request-Id: it-openapi-1'
expect_header X-Request-Id it-openapi-1
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET /handlers
AUTH=not.a.token replay "$STRICT" 401 GET /handlers
replay "$STRICT" 200 GET /handlers/payments
replay "$STRICT" 404 GET /handlers/no_such_namespace
# invalid UTF-8 in the path: tasker-fcgi refuses it (nginx would refuse %00)
replay "$LOOSE" 400 GET /handlers/%C3%28
AUTH=not.a.token replay "$STRICT" 401 GET /handlers/payments
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET /handlers/payments
replay "$STRICT" 200 GET /handlers/payments/process_payment
expect_order HandlerDetail
expect_order StepTemplate '.step_templates[0]'
replay "$STRICT" 200 GET '/handlers/payments/process_payment?version=2.1.0'
replay "$STRICT" 404 GET '/handlers/payments/process_payment?version=9.9.9'
replay "$STRICT" 400 GET '/handlers/payments/process_payment?version=not-semver'
# Semver ranges (issue 20): the exact version chosen, or 404 naming the range.
replay "$STRICT" 200 GET '/handlers/payments/process_payment?version=%5E2.0'
expect_jq .version '"2.1.0"'
replay "$STRICT" 200 GET '/handlers/payments/process_payment?version=%3E%3D1.0.0%20%3C3.0.0'
replay "$STRICT" 404 GET '/handlers/payments/process_payment?version=~9.1'
replay "$STRICT" 400 GET '/handlers/payments/process_payment?version=1.x.5'
replay "$STRICT" 404 GET /handlers/payments/no_such_handler
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET /handlers/payments/process_payment
# Recurring tasks: a handler with a schedule (Feb 29 only: it never fires
# during the tests).
out=$($TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/schedules" 2>&1) ||
    fail "load the schedules fixture: $out"
wait_loaded it_sched_doc leap_day || fail "the schedules fixture does not show"
replay "$STRICT" 200 GET /handlers/it_sched_doc/leap_day
expect_order HandlerDetail
# Flow limits (tasker-handler(5)): a handler's concurrency, a step's
# concurrency, max_in_flight and rate_limit in the answer.
out=$($TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/limits" 2>&1) ||
    fail "load the limits fixture: $out"
wait_loaded it_limits rated || fail "the limits fixture does not show"
replay "$STRICT" 200 GET /handlers/it_limits/pertask
expect_order HandlerDetail
expect_jq '.concurrency' '{"key":"$.customer","limit":1}'
replay "$STRICT" 200 GET /handlers/it_limits/rated
expect_order StepTemplate '.step_templates[0]'
expect_jq '.step_templates[0].rate_limit' '{"limit":4,"period":"1s"}'
replay "$STRICT" 200 GET /schedules
replay "$STRICT" 200 GET '/schedules?namespace=it_sched_doc'
expect_order Schedule '.schedules[0]'
expect_jq '.schedules[0] | [.name, .timezone, .catch_up_limit, (.next_run_at | length)]' '["leap","Europe/Berlin",2,3]'
# (the document's pattern: Prism refuses it itself, so not through it)
replay "$LOOSE" 400 GET '/schedules?namespace=Not-A-Name'
AUTH=not.a.token replay "$STRICT" 401 GET /schedules
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET /schedules

# ------------------------------------------------------------- tasks

case_begin "POST /tasks: flat, wrapped, nulls, Idempotency-Key replay, and its refusals"
KEY=it-openapi-$(date +%s%N)
replay "$STRICT" 201 POST /tasks -H 'Content-Type: application/json' \
    -d "$(json '{"name":"inert","namespace":"it_tasks","context":{"a":1},"initiator":"it","source_system":"it","reason":"r","tags":["t"]}')"
TASK=$(jq -r .id <"$BODY_FILE")
expect_order Task
replay "$STRICT" 201 POST /tasks -H 'Content-Type: application/json' \
    -d "$(json '{"task":{"name":"inert","namespace":"it_tasks","version":null,"context":null,"initiator":null,"source_system":null,"reason":null,"tags":null}}')"
replay "$STRICT" 201 POST /tasks -H 'Content-Type: application/json' -H "Idempotency-Key: $KEY" \
    -d "$(json '{"name":"inert","namespace":"it_tasks"}')"
replay "$STRICT" 200 POST /tasks -H 'Content-Type: application/json' -H "Idempotency-Key: $KEY" \
    -d "$(json '{"name":"inert","namespace":"it_tasks"}')"
replay "$STRICT" 404 POST /tasks -H 'Content-Type: application/json' \
    -d "$(json '{"name":"no_such_handler","namespace":"it_tasks"}')"
replay "$STRICT" 201 POST /tasks -H 'Content-Type: application/json' \
    -d "$(json '{"name":"inert","namespace":"it_tasks","version":">=1.0.0 <2"}')"
replay "$STRICT" 404 POST /tasks -H 'Content-Type: application/json' \
    -d "$(json '{"name":"inert","namespace":"it_tasks","version":"^7"}')"
AUTH=not.a.token replay "$STRICT" 401 POST /tasks -H 'Content-Type: application/json' \
    -d "$(json '{"name":"inert","namespace":"it_tasks"}')"
AUTH=$OTHER_TOKEN replay "$STRICT" 403 POST /tasks -H 'Content-Type: application/json' \
    -d "$(json '{"name":"inert","namespace":"it_tasks"}')"
replay "$LOOSE" 422 POST /tasks -H 'Content-Type: application/json' -d "$(json '{}')"
replay "$LOOSE" 422 POST /tasks -H 'Content-Type: application/json' \
    -d "$(json '{"task":{"name":"inert","namespace":"it_tasks"},"extra":1}')"
replay "$LOOSE" 415 POST /tasks -H 'Content-Type: text/plain' -d 'name=inert'
replay "$LOOSE" 400 POST /tasks
replay "$LOOSE" 413 POST /tasks -H 'Content-Type: application/json' -d "@$T_TMP/big.json"

case_begin "GET /tasks: filters, pages, per_page over 100 clamped, and its refusals"
replay "$STRICT" 200 GET /tasks
replay "$STRICT" 200 GET '/tasks?namespace=it_tasks&name=inert&version=1.0.0&status=pending,error&page=1&per_page=2'
replay "$STRICT" 200 GET '/tasks?per_page=500'
expect_jq .pagination.per_page 100
replay "$STRICT" 200 GET "/tasks?created_by=it-tests"
expect_order TaskList
expect_order Task '.tasks[0]'
expect_order Pagination .pagination
etag=$(header etag)
replay "$STRICT" 304 GET "/tasks?created_by=it-tests" -H "If-None-Match: $etag"
replay "$LOOSE" 400 GET '/tasks?per_page=0'
# Cursor pagination (issue 20): the page form's Link next, then the cursor form.
replay "$STRICT" 200 GET '/tasks?created_by=it-tests&per_page=1'
cursor=$(header link | sed -n 's/.*cursor=\([0-9a-f]*\)>; rel="next".*/\1/p')
[ -n "$cursor" ] || fail "no Link rel=next on a first page: $(header link)"
replay "$STRICT" 200 GET "/tasks?created_by=it-tests&per_page=1&cursor=$cursor"
expect_order CursorPagination .pagination
replay "$LOOSE" 400 GET "/tasks?created_by=it-tests&page=2&cursor=$cursor"
replay "$LOOSE" 400 GET "/tasks?namespace=it_tasks&cursor=$cursor"
replay "$LOOSE" 400 GET '/tasks?status=no_such_status'
replay "$LOOSE" 400 GET '/tasks?no_such_parameter=1'
# The filters of issue 17 (tags, initiator, source_system, created_*),
# each alone and together, and their refusals.
replay "$STRICT" 200 GET '/tasks?tags=a,b'
replay "$STRICT" 200 GET '/tasks?initiator=it&source_system=ci'
replay "$STRICT" 200 GET '/tasks?created_after=2020-01-01T00:00:00Z&created_before=2100-01-01T00:00:00%2B02:00'
replay "$STRICT" 200 GET '/tasks?tags=x&initiator=it&source_system=ci&created_by=it-tests&created_after=2020-01-01T00:00:00Z'
replay "$STRICT" 200 GET '/tasks?priority=0&priority_min=-100&priority_max=100'
replay "$STRICT" 200 GET '/tasks?sort=priority&priority_min=-5'
replay "$LOOSE" 400 GET '/tasks?sort=-priority&cursor=0201000000000000000000000000000000000000000000000000'
replay "$LOOSE" 400 GET '/tasks?sort=newest'
replay "$LOOSE" 400 GET '/tasks?created_after=yesterday'
replay "$LOOSE" 400 GET '/tasks?initiator='
replay "$LOOSE" 400 GET '/tasks?tags=a&tags=b'
AUTH=not.a.token replay "$STRICT" 401 GET /tasks
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET /tasks

case_begin "GET /tasks/{id}: include_dependencies true/1/false/0, 304, and its refusals"
for v in true 1 false 0; do
	replay "$STRICT" 200 GET "/tasks/$TASK?include_dependencies=$v"
done
expect_order TaskDetail
replay "$STRICT" 200 GET "/tasks/$TASK?include_dependencies=1"
expect_order TaskDetail
expect_order TaskStep '.steps[0]'
expect_order Dependencies .dependencies
replay "$STRICT" 200 GET "/tasks/$TASK"
etag=$(header etag)
replay "$STRICT" 304 GET "/tasks/$TASK" -H "If-None-Match: $etag"
replay "$LOOSE" 400 GET "/tasks/$TASK?include_dependencies=maybe"
replay "$LOOSE" 400 GET "/tasks/$TASK?no_such_parameter=1"
replay "$STRICT" 404 GET /tasks/0190f1a2-7b3c-7def-8a12-3456789abcde
replay "$LOOSE" 404 GET /tasks/not-a-uuid
AUTH=not.a.token replay "$STRICT" 401 GET "/tasks/$TASK"
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET "/tasks/$TASK"

case_begin "PATCH /tasks/{id}: flat, wrapped, null, and its refusals"
replay "$STRICT" 200 PATCH "/tasks/$TASK" -H 'Content-Type: application/json' \
    -d "$(json '{"reason":"re-prioritised","tags":["vip"]}')"
replay "$STRICT" 200 PATCH "/tasks/$TASK" -H 'Content-Type: application/json' \
    -d "$(json '{"task":{"tags":null}}')"
replay "$STRICT" 200 PATCH "/tasks/$TASK" -H 'Content-Type: application/json' \
    -d "$(json '{"reason":null}')"
replay "$STRICT" 404 PATCH /tasks/0190f1a2-7b3c-7def-8a12-3456789abcde \
    -H 'Content-Type: application/json' -d "$(json '{"reason":"x"}')"
replay "$LOOSE" 422 PATCH "/tasks/$TASK" -H 'Content-Type: application/json' -d "$(json '{}')"
replay "$LOOSE" 422 PATCH "/tasks/$TASK" -H 'Content-Type: application/json' \
    -d "$(json '{"status":"complete"}')"
replay "$LOOSE" 415 PATCH "/tasks/$TASK" -H 'Content-Type: text/plain' -d 'reason=x'
replay "$LOOSE" 413 PATCH "/tasks/$TASK" -H 'Content-Type: application/json' -d "@$T_TMP/big.json"
AUTH=$OTHER_TOKEN replay "$STRICT" 403 PATCH "/tasks/$TASK" \
    -H 'Content-Type: application/json' -d "$(json '{"reason":"x"}')"

case_begin "workflow steps: list, one, resolve or cancel by hand, and the refusals"
ERR=$(error_task) || fail "no task in error"
replay "$STRICT" 200 GET "/tasks/$ERR/workflow_steps"
expect_order WorkflowStepList
expect_order WorkflowStep '.workflow_steps[0]'
replay "$STRICT" 200 GET "/tasks/$ERR/workflow_steps/a"
expect_order WorkflowStepDetail
etag=$(header etag)
replay "$STRICT" 304 GET "/tasks/$ERR/workflow_steps/a" -H "If-None-Match: $etag"
replay "$STRICT" 404 GET /tasks/0190f1a2-7b3c-7def-8a12-3456789abcde/workflow_steps
replay "$STRICT" 404 GET "/tasks/$ERR/workflow_steps/no_such_step"
replay "$LOOSE" 400 GET "/tasks/$ERR/workflow_steps?no_such_parameter=1"
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET "/tasks/$ERR/workflow_steps"
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET "/tasks/$ERR/workflow_steps/a"
replay "$LOOSE" 422 PATCH "/tasks/$ERR/workflow_steps/a" -H 'Content-Type: application/json' \
    -d "$(json '{"status":"complete"}')"
replay "$LOOSE" 415 PATCH "/tasks/$ERR/workflow_steps/a" -H 'Content-Type: text/plain' -d 'x'
replay "$LOOSE" 413 PATCH "/tasks/$ERR/workflow_steps/a" -H 'Content-Type: application/json' \
    -d "@$T_TMP/big.json"
replay "$STRICT" 200 PATCH "/tasks/$ERR/workflow_steps/a" -H 'Content-Type: application/json' \
    -d "$(json '{"status":"resolved_manually","results":null,"reason":null}')"
replay "$STRICT" 409 PATCH "/tasks/$ERR/workflow_steps/a" -H 'Content-Type: application/json' \
    -d "$(json '{"status":"resolved_manually","results":{"by":"hand"}}')"
replay "$STRICT" 404 PATCH "/tasks/$ERR/workflow_steps/no_such_step" \
    -H 'Content-Type: application/json' -d "$(json '{"status":"cancelled"}')"
AUTH=$OTHER_TOKEN replay "$STRICT" 403 PATCH "/tasks/$ERR/workflow_steps/b" \
    -H 'Content-Type: application/json' -d "$(json '{"status":"cancelled"}')"
ERR3=$(error_task) || fail "no task in error"
replay "$STRICT" 200 PATCH "/tasks/$ERR3/workflow_steps/a" -H 'Content-Type: application/json' \
    -d "$(json '{"status":"cancelled","reason":"not needed"}')"

case_begin "GET /tasks/{id}/events: a task's webhook events (none: the stack has no subscriptions), and the refusals"
replay "$STRICT" 200 GET "/tasks/$ERR/events"
replay "$STRICT" 404 GET /tasks/0190f1a2-7b3c-7def-8a12-3456789abcde/events
replay "$LOOSE" 400 GET "/tasks/$ERR/events?no_such_parameter=1"
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET "/tasks/$ERR/events"

case_begin "POST /tasks/{id}/retry: a task in error, and the refusals (409: below)"
ERR2=$(error_task) || fail "no task in error"
replay "$LOOSE" 422 POST "/tasks/$ERR2/retry" -H 'Content-Type: application/json' \
    -d "$(json '{"no_such_field":1}')"
replay "$LOOSE" 413 POST "/tasks/$ERR2/retry" -H 'Content-Type: application/json' \
    -d "@$T_TMP/big.json"
AUTH=$OTHER_TOKEN replay "$STRICT" 403 POST "/tasks/$ERR2/retry"
replay "$STRICT" 200 POST "/tasks/$ERR2/retry" -H 'Content-Type: application/json' \
    -d "$(json '{"reason":"the gateway is back"}')"
replay "$STRICT" 404 POST /tasks/0190f1a2-7b3c-7def-8a12-3456789abcde/retry

case_begin "DELETE /tasks/{id}: cancel with and without a reason, 409, 413 and the refusals"
replay "$LOOSE" 413 DELETE "/tasks/$TASK" -H 'Content-Type: application/json' -d "@$T_TMP/big.json"
replay "$LOOSE" 422 DELETE "/tasks/$TASK" -H 'Content-Type: application/json' \
    -d "$(json '{"no_such_field":1}')"
replay "$LOOSE" 415 DELETE "/tasks/$TASK" -H 'Content-Type: text/plain' -d 'x'
AUTH=$OTHER_TOKEN replay "$STRICT" 403 DELETE "/tasks/$TASK"
replay "$STRICT" 200 DELETE "/tasks/$TASK" -H 'Content-Type: application/json' \
    -d "$(json '{"reason":"not needed"}')"
replay "$STRICT" 409 DELETE "/tasks/$TASK"
replay "$STRICT" 409 POST "/tasks/$TASK/retry"
replay "$STRICT" 200 DELETE "/tasks/$ERR2"
replay "$STRICT" 404 DELETE /tasks/0190f1a2-7b3c-7def-8a12-3456789abcde

# ------------------------------------------------------------- operations

case_begin "operations: health, metrics and the document, open (no token)"
for p in /health/live /health/ready /metrics /api-docs.json; do
	AUTH= replay "$STRICT" 200 GET "$p"
	etag=$(header etag)
	# /metrics changes with every request: no 304 to see there.
	[ "$p" = /metrics ] ||
	    AUTH= replay "$STRICT" 304 GET "$p" -H "If-None-Match: $etag"
done
replay "$STRICT" 200 GET /health/status
# One rule for query parameters on every route: unknown ones are a 400.
replay "$LOOSE" 400 GET '/handlers?no_such_parameter=1'
AUTH= replay "$LOOSE" 400 GET '/health/live?no_such_parameter=1'
replay "$LOOSE" 400 GET '/health/status?no_such_parameter=1'
AUTH=not.a.token replay "$STRICT" 401 GET /health/status
AUTH=$OTHER_TOKEN replay "$STRICT" 403 GET /health/status

case_begin "OPTIONS on every path: 405 with Allow (CORS is off in the test stack)"
while read -r path; do
	url=$(echo "$path" | sed -e 's/{namespace}/payments/' -e 's/{name}/process_payment/' \
	    -e "s/{id}/$ERR/" -e 's/{step}/a/')
	AUTH= replay "$STRICT" 405 OPTIONS "$url"
	[ -n "$(header allow)" ] || fail "OPTIONS $url: no Allow"
done < <(jq -r '.paths | keys[]' "$DOC")

# ------------------------------------------------------------- direct

# error_shape: the last body is the document's Error (checked by hand:
# Prism cannot carry these requests).
error_shape() {
	jq -e '(keys == ["error"]) and (.error | type == "object")
	    and (.error | keys - ["type", "message", "details", "code"] == [])
	    and (.error.type | type == "string") and (.error.message | type == "string")
	    and (.error.code | type == "string")' <"$BODY_FILE" >/dev/null ||
	    fail "$1: not an Error body: $(head -c 300 "$BODY_FILE")"
}

case_begin "HEAD on every GET path (direct): the GET's status and headers, no body, documented"
while read -r path; do
	url=$(echo "$path" | sed -e 's/{namespace}/payments/' -e 's/{name}/process_payment/' \
	    -e "s/{id}/$ERR/" -e 's/{step}/a/')
	req GET "$url"
	get_status=$STATUS get_etag=$(header etag) get_type=$(header content-type)
	req HEAD "$url"
	expect_eq "$STATUS" "$get_status" "HEAD $url status"
	# Counters and clocks change between two requests there.
	case "$path" in
	/metrics|/health/status) get_etag= ;;
	esac
	[ -z "$get_etag" ] || expect_eq "$(header etag)" "$get_etag" "HEAD $url ETag"
	expect_eq "$(header content-type)" "$get_type" "HEAD $url Content-Type"
	[ -n "$(header x-request-id)" ] || fail "HEAD $url: no X-Request-Id"
	[ "$(raw_head_body_bytes "$url")" = 0 ] || fail "HEAD $url: a body"
	jq -e --arg p "$path" --arg s "$STATUS" '.paths[$p].head.responses[$s]' "$DOC" >/dev/null ||
	    fail "HEAD $path: $STATUS is not documented"
	# A list may change between two requests while the stack's worker
	# finishes an earlier test's tasks: a fresh tag, up to three times.
	for _ in 1 2 3; do
		[ -n "$get_etag" ] || break
		req HEAD "$url" -H "If-None-Match: $get_etag"
		[ "$STATUS" = 304 ] && break
		req GET "$url"
		get_etag=$(header etag)
	done
	[ -z "$get_etag" ] || expect_eq "$STATUS" 304 "HEAD $url with If-None-Match"
done < <(jq -r '.paths | to_entries[] | select(.value.get) | .key' "$DOC")

case_begin "405 (direct): a method a path does not have, with Allow, as documented"
jq -e '.components.responses.MethodNotAllowed.headers.Allow' "$DOC" >/dev/null ||
    fail "no MethodNotAllowed response with Allow in the document"
for pair in "PUT /tasks|GET, HEAD, POST" "POST /handlers|GET, HEAD" \
    "DELETE /health/live|GET, HEAD" "PUT /tasks/$TASK|GET, HEAD, PATCH, DELETE"; do
	req "${pair%% *}" "$(echo "${pair#* }" | cut -d'|' -f1)"
	expect_eq "$STATUS" 405 "$pair"
	expect_eq "$(header allow)" "${pair#*|}" "Allow of $pair"
	[ -n "$(header x-request-id)" ] || fail "$pair: no X-Request-Id"
	error_shape "${pair%%|*}"
done

case_begin "a body that is not JSON (direct): 400 with the Error body"
req POST /tasks -H 'Content-Type: application/json' -d '{"name":'
expect_status 400
error_shape "POST /tasks with a truncated body"

# ------------------------------------------------------------- proofs

case_begin "the check can fail: a document whose Task.status is a number is caught, named"
req POST "$BROKEN/tasks" -H 'Content-Type: application/json' \
    -d '{"name":"inert","namespace":"it_tasks"}'
problems=$(check_answer "POST /tasks (broken document)")
echo "$problems" | grep -q 'status' ||
    fail "the broken document passed: status $STATUS, problems: ${problems:-none}"

case_begin "every documented operation was replayed through Prism"
missing=$(jq -r '.paths | to_entries[] | .key as $p | .value | keys[] |
    select(. == "get" or . == "post" or . == "put" or . == "patch" or . == "delete" or . == "options") |
    "\(.) \($p)"' "$DOC" | sort -u | comm -23 - <(sort -u "$COVERED"))
[ -z "$missing" ] || fail "never replayed: $(echo "$missing" | tr '\n' ';')"

finish
