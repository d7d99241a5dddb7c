#!/usr/bin/env bash
# test_webhooks.sh - signed webhooks (tasker.yaml(5) WEBHOOKS) end to
# end: a private tasker-fcgi pool and a tasker-worker of this test, both
# with webhooks: subscriptions, deliver to a receiver on loopback
# (t/fixtures/webhooks/receiver.py) that checks each signature with its
# own code (Python's hmac), fails on purpose and is stopped for a while.
#
# Subscriptions (both for namespace it_hooks only):
#   main  every event, to /flaky (500 twice per webhook-id, then 204),
#         10 attempts, backoff from 100 ms
#   dead  task.completed of handler ok, to /dead (always 500), 3
#         attempts, backoff from 400 ms
#   lost  task.cancelled, its secret_file missing: 2 attempts
. "$(dirname "$0")/lib.sh"

STACK_PORT=${TASKER_URL#http://*:}
STACK_PORT=${STACK_PORT%%/*}
PRIV_PORT=${TASKER_HOOKS_PORT:-$((STACK_PORT + 1300))}
RECV_PORT=${TASKER_HOOKS_RECV_PORT:-$((STACK_PORT + 1400))}
H=$T_TMP/hooks
PRIV_URL=http://127.0.0.1:$PRIV_PORT/tasker
CONF=$H/tasker.yaml
RLOG=$H/received.jsonl
AUTH=$(token)
WPID=""
RPID=""
NT=0
mkdir -m 700 "$H"

# ---------------------------------------------------------------- processes

recv_start() {
	python3 "$TASKER_ROOT/t/fixtures/webhooks/receiver.py" "$RECV_PORT" \
	    "$H/hook.secret" "$RLOG" >>"$H/receiver.log" 2>&1 &
	RPID=$!
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "http://127.0.0.1:$RECV_PORT/" 2>/dev/null &&
		    return 0
		sleep 0.1
	done
	return 1
}

recv_stop() {
	[ -n "$RPID" ] || return 0
	kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	RPID=""
}

priv_stop() {
	local pid
	if [ -f "$H/nginx.pid" ]; then
		pid=$(cat "$H/nginx.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	if [ -f "$H/hooks.fcgi.pid" ]; then
		for pid in $(cat "$H/hooks.fcgi.pid"); do kill "$pid" 2>/dev/null; done
	fi
}

cleanup() {
	[ -n "$WPID" ] && { kill -TERM "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; }
	recv_stop
	priv_stop
	sql "DROP TRIGGER IF EXISTS it_hooks_rollback" 2>/dev/null
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# The stack's configuration, a worker section with short leases, and
# the subscriptions.
conf_write() {
	worker_conf "$CONF" "processes: 2" "lease_seconds: 5" \
	    "heartbeat_seconds: 1" "backoff_base_seconds: 1" \
	    "backoff_cap_seconds: 1"
	cat >>"$CONF" <<-YAML
	webhooks:
	  - name: main
	    url: http://127.0.0.1:$RECV_PORT/flaky
	    secret_file: $H/hook.secret
	    events: [task.created, task.completed, task.failed, task.cancelled, step.failed]
	    namespaces: [it_hooks]
	    timeout_seconds: 5
	    max_attempts: 10
	    backoff_base_ms: 100
	    backoff_cap_seconds: 1
	  - name: dead
	    url: http://127.0.0.1:$RECV_PORT/dead
	    secret_file: $H/hook.secret
	    events: [task.completed]
	    namespaces: [it_hooks]
	    handlers: [ok]
	    timeout_seconds: 5
	    max_attempts: 3
	    backoff_base_ms: 400
	    backoff_cap_seconds: 2
	  - name: lost
	    url: http://127.0.0.1:$RECV_PORT/ok
	    secret_file: $H/no-such.secret
	    events: [task.cancelled]
	    namespaces: [it_hooks]
	    max_attempts: 2
	    backoff_base_ms: 100
	    backoff_cap_seconds: 1
	YAML
}

priv_start() {
	"$TASKER_BUILD/tasker-admin" -c "$CONF" config check >/dev/null || return 1
	spawn-fcgi -s "$H/hooks.sock" -M 0600 -F 1 -P "$H/hooks.fcgi.pid" -- \
	    "$TASKER_BUILD/tasker-fcgi" -c "$CONF" -l "$H/fcgi.log" \
	    >>"$H/spawn.log" 2>&1 || return 1
	private_nginx "$H" "$PRIV_PORT" "" "
	location /tasker/ {
		include /etc/nginx/fastcgi_params;
		fastcgi_pass unix:$H/hooks.sock;
	}"
}

# ---------------------------------------------------------------- helpers

# new_task NAME [NAMESPACE]: POST /tasks to the private pool; TASK its id.
new_task() {
	NT=$((NT + 1))
	mkdir -p "$H/t$NT"
	req POST "$PRIV_URL/tasks" -H 'Content-Type: application/json' \
	    -d "$(jq -cn --arg n "$1" --arg ns "${2:-it_hooks}" --arg d "$H/t$NT" \
	    '{name: $n, namespace: $ns, version: "1.0.0", context: {dir: $d}}')"
	TASK=$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)
	if [ "$STATUS" != 201 ] || [ -z "$TASK" ]; then
		fail "POST /tasks $1: $STATUS $(head -c 300 "$BODY_FILE")"
		TASK=none
	fi
}

# wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds.
wait_for() {
	local end=$((SECONDS + $1)) what=$2
	shift 2
	until "$@"; do
		if [ $SECONDS -ge "$end" ]; then
			fail "$what: not after ${end}s"
			return 1
		fi
		sleep 0.2
	done
}

task_is() {
	req GET "$PRIV_URL/tasks/$1"
	[ "$(jq -r .status "$BODY_FILE" 2>/dev/null)" = "$2" ]
}

# events TASK: GET /tasks/TASK/events into BODY_FILE.
events() { req GET "$PRIV_URL/tasks/$1/events"; }

# deliveries_are TASK SUBSCRIPTION STATUS N: N deliveries of TASK's
# events to SUBSCRIPTION, each STATUS.
deliveries_are() {
	events "$1"
	[ "$(jq --arg s "$2" --arg st "$3" --argjson n "$4" '[.events[].deliveries[]
	    | select(.subscription == $s) | .status]
	    | length == $n and all(. == $st)' "$BODY_FILE" 2>/dev/null)" = true ]
}

# all_delivered TASK SUBSCRIPTION N: N deliveries, each delivered.
all_delivered() { deliveries_are "$1" "$2" delivered "$3"; }

# check WHAT COMMAND...: fails the case with WHAT unless COMMAND succeeds.
check() {
	local what=$1
	shift
	"$@" >/dev/null 2>&1 || fail "$what"
}

# recv JQ: the receiver's log as one array, through JQ.
recv() { jq -sc "$1" "$RLOG" 2>/dev/null; }

# ---------------------------------------------------------------- setup

case_begin "a private pool and a worker with webhooks, and a receiver, start"
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" >"$H/hook.secret"
chmod 600 "$H/hook.secret"
: >"$RLOG"
$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/webhooks/handlers" >/dev/null ||
    fail "handlers load failed"
conf_write
recv_start || fail "the receiver did not start: $(tail -3 "$H/receiver.log")"
if priv_start; then
	for _ in $(seq 1 50); do
		req GET "$PRIV_URL/handlers/it_hooks"
		[ "$STATUS" = 200 ] && break
		sleep 0.2
	done
	expect_status 200
else
	fail "the pool did not start: $(tail -5 "$H"/*.log 2>/dev/null)"
fi
stack_workers_stop
"$TASKER_BUILD/tasker-worker" -c "$CONF" -l "$H/worker.log" </dev/null \
    >>"$H/worker.log" 2>&1 &
WPID=$!

case_begin "a task's created and completed events reach the receiver, signed, after the 500s, with one webhook-id each"
new_task ok
OK1=$TASK
wait_for 30 "task $OK1 complete" task_is "$OK1" complete
wait_for 30 "both events delivered to main" all_delivered "$OK1" main 2
expect_jq '[.events[].type]' '["task.created","task.completed"]'
expect_jq '[.events[].deliveries[] | select(.subscription == "main") | .attempts]' '[3,3]'
expect_jq '[.events[].deliveries[] | select(.subscription == "main") | .last_status_code]' '[204,204]'
expect_jq '.events[1].payload | {type, data: (.data | {namespace, name, version, status})}' \
    '{"type":"task.completed","data":{"namespace":"it_hooks","name":"ok","version":"1.0.0","status":"complete"}}'
expect_jq '.events[0].payload.data.task_id' "\"$OK1\""
IDS=$(jq -c '[.events[].id]' "$BODY_FILE")
# the receiver: per id 500, 500, 204, all with the same webhook-id
got=$(recv "[.[] | select(.path == \"/flaky\" and .body.data.task_id == \"$OK1\")]
    | group_by(.id) | map({id: .[0].id, codes: map(.code)}) | sort_by(.id)")
expect_eq "$(jq -c '[.[].codes]' <<<"$got")" '[[500,500,204],[500,500,204]]' "codes per id"
expect_eq "$(jq -c '[.[].id] | sort' <<<"$got")" "$(jq -c 'sort' <<<"$IDS")" "webhook-ids"

case_begin "every request the receiver got verified with its own HMAC, with a fresh timestamp and a JSON body"
expect_eq "$(recv '[.[] | select(.sig_ok != true or .ts_ok != true)] | length')" 0 "unverified requests"
expect_eq "$(recv '[.[].content_type] | unique')" '["application/json"]' "content types"
check "at least 6 requests" [ "$(recv 'length')" -ge 6 ]

case_begin "a failing task sends step.failed (with the step and its error) and task.failed"
new_task fails
FAIL1=$TASK
wait_for 30 "task $FAIL1 in error" task_is "$FAIL1" error
wait_for 30 "its events delivered" all_delivered "$FAIL1" main 3
expect_jq '[.events[].type]' '["task.created","step.failed","task.failed"]'
expect_jq '.events[1].payload.data.step | {name, attempt}' '{"name":"once","attempt":1}'
expect_true '.events[1].payload.data.step.error | test("exit status")'
expect_jq '.events[2].payload.data.status' '"error"'

case_begin "a permanently failing URL ends failed after max_attempts, its retries backing off"
wait_for 30 "dead delivery failed" deliveries_are "$OK1" dead failed 1
expect_jq '[.events[].deliveries[] | select(.subscription == "dead") | {status, attempts, last_status_code}]' \
    '[{"status":"failed","attempts":3,"last_status_code":500}]'
expect_jq '[.events[].deliveries[] | select(.subscription == "dead") | .next_attempt_at]' '[null]'
# Lower bounds only (a slow machine can only make the gaps longer): the
# delays are 400 ms then 800 ms, each at least 3/4 of that with jitter.
gaps=$(recv "[.[] | select(.path == \"/dead\" and .body.data.task_id == \"$OK1\") | .at]
    | [.[1] - .[0], .[2] - .[1]]")
check "gaps $gaps: at least 0.3 s then 0.6 s" jq -e '.[0] >= 0.3 and .[1] >= 0.6' <<<"$gaps"

case_begin "the receiver goes away: deliveries retry, then arrive when it is back, with the same webhook-id"
recv_stop
new_task ok
GONE=$TASK
wait_for 30 "task $GONE complete" task_is "$GONE" complete
wait_for 30 "two failed attempts while away" eval \
    'events "$GONE"; jq -e "[.events[].deliveries[] | select(.subscription == \"main\") | select(.attempts >= 2 and .status == \"pending\")] | length == 2" "$BODY_FILE" >/dev/null'
expect_jq '[.events[].deliveries[] | select(.subscription == "main") | .last_status_code]' '[null,null]'
expect_true '.events[0].deliveries[] | select(.subscription == "main") | .last_error | test("onnect")'
IDS=$(jq -c '[.events[].id] | sort' "$BODY_FILE")
recv_start || fail "the receiver did not start again"
wait_for 60 "delivered once back" all_delivered "$GONE" main 2
expect_eq "$(recv "[.[] | select(.path == \"/flaky\" and .code == 204 and .body.data.task_id == \"$GONE\") | .id] | sort")" \
    "$IDS" "ids delivered"

case_begin "a cancel sends task.cancelled"
new_task gate
GATE=$TASK
wait_for 30 "gate step started" test -e "$H/t$NT/wait.started"
req DELETE "$PRIV_URL/tasks/$GATE"
expect_status 200
wait_for 30 "cancel events delivered" all_delivered "$GATE" main 2
expect_jq '[.events[].type]' '["task.created","task.cancelled"]'
touch "$H/t$NT/release"

case_begin "a subscription whose secret_file is missing: its attempts fail, named, then it ends failed; nothing is sent"
wait_for 30 "lost delivery failed" deliveries_are "$GATE" lost failed 1
expect_jq '[.events[].deliveries[] | select(.subscription == "lost") | {attempts, last_status_code}]' \
    '[{"attempts":2,"last_status_code":null}]'
expect_true '[.events[].deliveries[] | select(.subscription == "lost") | .last_error | test("secret_file")] == [true]'
check "the worker logs the file" grep -q "event=webhook_secret_unreadable subscription=lost file=$H/no-such.secret" "$H/worker.log"
expect_eq "$(recv '[.[] | select(.path == "/ok")] | length')" 0 "requests to lost's URL"

case_begin "a change that rolled back sends nothing: a cancel refused by the database after its event was written"
new_task gate
RB=$TASK
RBDIR=$H/t$NT
wait_for 30 "gate step started" test -e "$RBDIR/wait.started"
# The task transition is written after the outbox row, in one
# transaction; this trigger makes that write fail.
mariadb --no-defaults -S "$TASKER_DB_SOCKET" -u root tasker <<-'SQL' ||
	DELIMITER //
	CREATE TRIGGER it_hooks_rollback BEFORE INSERT ON task_transitions
	FOR EACH ROW BEGIN
	  IF NEW.reason = 'it-hooks-rollback' THEN
	    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'rolled back by the test';
	  END IF;
	END//
	DELIMITER ;
	SQL
    fail "the trigger was not created"
req DELETE "$PRIV_URL/tasks/$RB" -H 'Content-Type: application/json' \
    -d '{"reason": "it-hooks-rollback"}'
check "refused: $STATUS" [ "$STATUS" -ge 500 ]
sql "DROP TRIGGER it_hooks_rollback"
expect_eq "$(sql "SELECT COUNT(*) FROM webhook_events WHERE task_id = UNHEX(REPLACE('$RB', '-', '')) AND type = 'task.cancelled'")" 0 "task.cancelled events"
req GET "$PRIV_URL/tasks/$RB"
expect_jq .status '"in_progress"'
touch "$RBDIR/release"
wait_for 30 "task $RB complete" task_is "$RB" complete
wait_for 30 "its events delivered" all_delivered "$RB" main 2
expect_jq '[.events[].type]' '["task.created","task.completed"]'
expect_eq "$(recv "[.[] | select(.body.type == \"task.cancelled\" and .body.data.task_id == \"$RB\")] | length")" 0 "cancel requests received"

case_begin "a namespace no subscription wants writes and sends nothing"
new_task ok it_hooks_other
OTHER=$TASK
wait_for 30 "task $OTHER complete" task_is "$OTHER" complete
events "$OTHER"
expect_status 200
expect_jq '.events' '[]'
expect_eq "$(sql "SELECT COUNT(*) FROM webhook_events WHERE task_id = UNHEX(REPLACE('$OTHER', '-', ''))")" 0 "rows"
expect_eq "$(recv "[.[] | select(.body.data.task_id == \"$OTHER\")] | length")" 0 "requests"

case_begin "GET /tasks/{id}/events: 404 for an unknown task, 400 for a query parameter, 401 without a token"
req GET "$PRIV_URL/tasks/0190f1a2-7b3c-7def-8a12-3456789abcde/events"
expect_status 404
req GET "$PRIV_URL/tasks/$OK1/events?x=1"
expect_status 400
AUTH="" req GET "$PRIV_URL/tasks/$OK1/events"
expect_status 401
AUTH=$(token tasker.task:index) req GET "$PRIV_URL/tasks/$OK1/events"
expect_status 403

case_begin "tasker-admin tasks events: the API's answer (--json) and a table"
out=$("$TASKER_BUILD/tasker-admin" -c "$CONF" tasks events "$OK1" --json 2>&1) ||
    fail "exit $?: $out"
expect_eq "$(jq -c '[.events[] | {type, d: [.deliveries[] | [.subscription, .status]]}]' <<<"$out")" \
    '[{"type":"task.created","d":[["main","delivered"]]},{"type":"task.completed","d":[["dead","failed"],["main","delivered"]]}]' "--json"
out=$("$TASKER_BUILD/tasker-admin" -c "$CONF" tasks events "$OK1" 2>&1) || fail "exit $?: $out"
check "the table: $out" grep -q 'task.completed.*dead.*failed.*3.*500' <<<"$out"
"$TASKER_BUILD/tasker-admin" -c "$CONF" tasks events nope >/dev/null 2>&1
expect_eq "$?" 1 "exit status for an unknown task"

case_begin "metrics count deliveries by outcome"
req GET "$PRIV_URL/metrics"
expect_status 200
m() { sed -n "s/^tasker_webhook_deliveries_total{outcome=\"$1\"} //p" "$BODY_FILE"; }
check "delivered $(m delivered)" [ "$(m delivered)" -ge 11 ]
check "failed $(m failed)" [ "$(m failed)" -ge 1 ]
check "retried $(m retried)" [ "$(m retried)" -ge 12 ]

case_begin "the secret is in no log"
SECRET=$(sed 's/^whsec_//' "$H/hook.secret")
expect_eq "$(grep -rlF "$SECRET" "$H"/*.log 2>/dev/null | wc -l)" 0 "logs with the secret"

case_begin "no process of the test crashed or reported a sanitizer error"
bad=$(grep -lE 'AddressSanitizer|LeakSanitizer|runtime error|event=child_exit' \
    "$H"/*.log 2>/dev/null || true)
[ -z "$bad" ] || fail "in $(echo $bad): $(grep -hE 'Sanitizer|runtime error|child_exit' $bad | head -5)"

finish
