#!/usr/bin/env bash
# test_flow.sh - flow control through the real stack (issue 19):
# task priorities (POST /tasks "priority", a handler's default_priority)
# and the claim's order, higher first with aging (0011_flow_control.sql: a
# step is never overtaken by a step that became ready more than
# (its priority difference) seconds after it); a step template's
# max_in_flight across workers, held steps pending, and a killed
# worker's slot back with its lease.
#
# Handlers: t/fixtures/flow (namespace it_flow); steps run
# t/fixtures/engine/bin/it_step.sh, which logs each run to runs.log in
# the folder the task's context names.  One worker process of the test's
# own runs them, so that the order of the runs is the claim's order.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
E=$T_TMP/flow
mkdir -p "$E"
CONF=$E/tasker.yaml
WORKER=$TASKER_BUILD/tasker-worker
WPID=""

worker_conf "$CONF" "processes: 1" "lease_seconds: 30"
# The limits' cases: two processes a worker, short leases.
CONF2=$E/tasker2.yaml
worker_conf "$CONF2" "processes: 2" "lease_seconds: 5" "heartbeat_seconds: 1"

worker_stop() {
	local c
	[ -n "$WPID" ] || return 0
	for c in $(ps -o pid= --ppid "$WPID" 2>/dev/null); do kill -9 "$c" 2>/dev/null || true; done
	kill -9 "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
	WPID=""
}
cleanup() {
	worker_stop
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# worker_start [CONF]: a tasker-worker of our own; WPID.
worker_start() {
	"$WORKER" -c "${1:-$CONF}" -l "$E/worker.log" </dev/null >>"$E/worker.log" 2>&1 &
	WPID=$!
}

# post NAME DIR [EXTRA]: POST /tasks of it_flow/NAME (EXTRA: more
# members, e.g. ', "priority": 5'); sets TASK.
post() {
	mkdir -p "$2"
	req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
	    \"it_flow\", \"name\": \"$1\", \"version\": \"1.0.0\",
	    \"context\": {\"dir\": \"$2\"}${3:-}}"
	TASK=$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)
	if [ "$STATUS" != 201 ] || [ -z "$TASK" ]; then
		fail "POST /tasks $1: $STATUS $(head -c 300 "$BODY_FILE")"
		TASK=none
	fi
}

# wait_done DIR N SECONDS: until DIR/runs.log has N lines.
wait_done() {
	local end=$((SECONDS + $3))
	while [ "$(cat "$1/runs.log" 2>/dev/null | wc -l)" -lt "$2" ]; do
		if [ $SECONDS -ge "$end" ]; then
			fail "$(cat "$1/runs.log" 2>/dev/null | wc -l) of $2 runs after $3 s"
			return 1
		fi
		sleep 0.2
	done
}

hex() { printf '%s' "$1" | tr -d -; }

# ---------------------------------------------------------------- setup

$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/flow" >/dev/null ||
    echo "# handlers load failed"
sleep 1.1   # api.registry_refresh_ms
for _ in $(seq 1 50); do
	req GET /handlers/it_flow
	[ "$STATUS" = 200 ] && break
	sleep 0.2
done
stack_workers_stop

# ---------------------------------------------------------------- cases

case_begin "priority outside -100..100 or not a whole number: 422, nothing created"
before=$(sql "SELECT COUNT(*) FROM tasks WHERE namespace = 'it_flow'")
for p in 101 -101 1.5 '"5"' true; do
	req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
	    \"it_flow\", \"name\": \"one\", \"version\": \"1.0.0\",
	    \"priority\": $p}"
	expect_status 422
	expect_jq '.error.details.priority[0]' '"must be a whole number from -100 to 100"'
done
expect_eq "$(sql "SELECT COUNT(*) FROM tasks WHERE namespace = 'it_flow'")" \
    "$before" "tasks of it_flow"

case_begin "priority in the answers: the request's, else the handler's default_priority, else 0"
post urgent "$E/d"
expect_jq '.priority' 20
post urgent "$E/d" ', "priority": -100'
expect_jq '.priority' -100
post one "$E/d"
expect_jq '.priority' 0
post one "$E/d" ', "priority": 100'
req GET "/tasks/$TASK"
expect_jq '.priority' 100
expect_eq "$(sql "SELECT DISTINCT s.priority FROM workflow_steps s
    WHERE s.task_id = UNHEX('$(hex "$TASK")')")" 100 "its step's priority"
P100=$TASK

case_begin "GET /tasks filters by priority, priority_min, priority_max; bad values are 400"
req GET "/tasks?namespace=it_flow&priority=100"
expect_status 200
expect_jq '[.tasks[].id]' "[\"$P100\"]"
expect_jq '.pagination.total_count' 1
req GET "/tasks?namespace=it_flow&priority_min=1&priority_max=20"
expect_jq '[.tasks[].priority]' '[20]'
req GET "/tasks?namespace=it_flow&priority_max=-1"
expect_jq '[.tasks[].priority]' '[-100]'
for q in priority=101 priority_min=x 'priority_max=%2B5' priority=; do
	req GET "/tasks?$q"
	expect_status 400
done
# Out of the way of the cases below.
sql "UPDATE workflow_steps s JOIN tasks t ON t.id = s.task_id
    SET s.ready_at = NULL WHERE t.namespace = 'it_flow'"

case_begin "a worker claims the steps of higher-priority tasks first"
D=$E/order
for _ in 1 2 3 4; do post one "$D" ', "priority": -10'; done
for _ in 1 2 3 4; do post one "$D" ', "priority": 50'; done
worker_start
wait_done "$D" 8 120
# Tasks by the order their step started: the four of priority 50 (created
# last) first.
order=$(sql "SELECT GROUP_CONCAT(t.priority ORDER BY s.started_at
    SEPARATOR ' ') FROM tasks t JOIN workflow_steps s ON s.task_id = t.id
    WHERE JSON_VALUE(t.context, '$.dir') = '$D'")
expect_eq "$order" "50 50 50 50 -10 -10 -10 -10" "priorities in start order"

case_begin "aging: a steady stream of urgent tasks overtakes a step only for its priority difference in seconds"
# One worker process, 0.3 s a step: a stream of tasks of priority 3, a
# few a second for some 5 s, builds up a backlog.  A task of priority 0
# created 1 s in must be overtaken only by urgent tasks created less
# than 3 s after it.
D=$E/aging
mkdir -p "$D"
(
	for _ in $(seq 1 25); do
		curl -s -o /dev/null -H "Authorization: Bearer $AUTH" \
		    -H 'Content-Type: application/json' -d "{\"namespace\":
		    \"it_flow\", \"name\": \"one\", \"version\": \"1.0.0\",
		    \"priority\": 3, \"context\": {\"dir\": \"$D\"}}" \
		    "$TASKER_URL/tasks"
		sleep 0.2
	done
) &
SPID=$!
sleep 1
post one "$D/low"
LOW=$TASK
wait "$SPID"
wait_done "$D/low" 1 300
wait_done "$D" 25 300
# Urgent tasks that started before the low one, though created more than
# 3 s after it: none (the bound).  Created after it and started before
# it: some (the stream did overtake).
late=$(sql "SELECT COUNT(*) FROM tasks u JOIN workflow_steps us
    ON us.task_id = u.id, tasks l JOIN workflow_steps ls ON ls.task_id = l.id
    WHERE l.id = UNHEX('$(hex "$LOW")') AND u.priority = 3
    AND JSON_VALUE(u.context, '$.dir') = '$D'
    AND us.started_at < ls.started_at
    AND u.created_at > l.created_at + INTERVAL 3 SECOND")
expect_eq "$late" 0 "urgent tasks created over 3 s after it, started before it"
ahead=$(sql "SELECT COUNT(*) FROM tasks u JOIN workflow_steps us
    ON us.task_id = u.id, tasks l JOIN workflow_steps ls ON ls.task_id = l.id
    WHERE l.id = UNHEX('$(hex "$LOW")') AND u.priority = 3
    AND JSON_VALUE(u.context, '$.dir') = '$D'
    AND us.started_at < ls.started_at AND u.created_at > l.created_at")
[ "$ahead" -ge 1 ] 2>/dev/null || fail "no urgent task overtook it ($ahead)"
behind=$(sql "SELECT COUNT(*) FROM tasks u JOIN workflow_steps us
    ON us.task_id = u.id, tasks l JOIN workflow_steps ls ON ls.task_id = l.id
    WHERE l.id = UNHEX('$(hex "$LOW")') AND u.priority = 3
    AND JSON_VALUE(u.context, '$.dir') = '$D' AND us.started_at > ls.started_at
    AND u.created_at < ls.started_at")
[ "$behind" -ge 1 ] 2>/dev/null ||
    fail "no urgent task was waiting when it started ($behind): no backlog, nothing shown"
worker_stop

case_begin "max_in_flight: 2: never more than 2 attempts at once across 2 workers of 2 processes"
D=$E/limited
for _ in $(seq 1 8); do post limited "$D"; done
worker_start "$CONF2"
W1=$WPID
worker_start "$CONF2"
W2=$WPID
wait_done "$D" 8 120
# The runs' [start, end] intervals (inside their leases): at most 2
# overlap at any start, and 2 did (the limit, not the fleet, held them).
most=$(awk '{ s[NR] = $4; e[NR] = $5 } END {
	m = 0
	for (i = 1; i <= NR; i++) {
		n = 0
		for (j = 1; j <= NR; j++) if (s[j] <= s[i] && s[i] < e[j]) n++
		if (n > m) m = n
	}
	print m }' "$D/runs.log")
expect_eq "$most" 2 "most runs at once"
WPID=$W1 worker_stop
WPID=$W2 worker_stop

case_begin "a step held back by max_in_flight stays pending, and a killed worker's slot comes back with its lease"
A=$E/single_a
B=$E/single_b
mkdir -p "$B"
touch "$B/release"
worker_start "$CONF2"
W1=$WPID
post single "$A"
end=$((SECONDS + 30))
while [ ! -e "$A/s.started" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
[ -e "$A/s.started" ] || fail "the first task's step did not start"
worker_start "$CONF2"
W2=$WPID
post single "$B"
TB=$TASK
sleep 2
[ ! -e "$B/runs.log" ] || fail "the second step ran while the first held the only slot"
req GET "/tasks/$TB?include_dependencies=true"
expect_jq '[.status, .steps[0].status, .steps[0].attempts]' '["pending","pending",0]'
expect_jq '.dependencies.analysis' '"Task has not started yet: 1 waiting for a concurrency slot."'
# The first worker dies with its step: nothing records it, its lease
# (lease_seconds: 5) expires, and the slot is free again.
kill -9 "$(cat "$A/s.started")" 2>/dev/null || true
WPID=$W1 worker_stop
touch "$A/release"
wait_done "$B" 1 60
# The first task's step, taken back, runs again and ends: no task of
# this test is left for a later test's workers to run (its folder is
# gone then, and its handler would wait a minute for it).
wait_done "$A" 1 60
WPID=$W2 worker_stop

finish
