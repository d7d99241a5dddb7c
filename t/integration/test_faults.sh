#!/usr/bin/env bash
# test_faults.sh - faults under load, as a user of the API would notice
# them:
#   1. MariaDB stops and starts again in the middle of a mixed load
#      (contrib/bench/load.sh): requests in the gap fail fast with 503 in
#      the error format (not a hang, not 502/504), nothing answered 201 is
#      lost or half-written, and the service recovers with the same
#      tasker-fcgi processes.
#   2. A worker process is killed with kill -9 in the middle of a step,
#      under load: every task still finishes, no step attempt is recorded
#      twice, and the supervisor replaces the process.
# Size: TASKER_LOAD_SCALE stretches the load (default 1: about 45 s).
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/contrib/bench/load.sh"

SCALE=${TASKER_LOAD_SCALE:-1}
AUTH=$(token)
FAST_S=${TASKER_FAULTS_FAST_S:-5}   # slowest acceptable answer in the gap

req POST /tasks -H 'Content-Type: application/json' -d '{}'
HAVE_TASKS=1
case $STATUS in 404|405) HAVE_TASKS=0 ;; esac

BODY=$T_TMP/task.json
printf '{"name":"process_payment","namespace":"payments","version":"2.1.0","context":{"payment_id":99,"amount":1.5},"source_system":"it-faults"}' > "$BODY"

# Cancels tasks (ids in file $1) through the API, so the workers do not
# spend the next tests on them.
cancel_tasks() {
	[ -s "$1" ] || return 0
	load_init "$T_TMP/cancel" "$TASKER_URL" "$AUTH"
	cp "$1" "$LOAD_DIR/ids"
	load_mix "DELETE /tasks/{id}"
	load_client 1 "$(wc -l < "$1")"
}

uuid_of() { sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/'; }

# ------------------------------------------------------------ 1. the database

load_init "$T_TMP/load" "$TASKER_URL" "$AUTH"
load_mix "GET /handlers" "GET /handlers/payments/process_payment" \
    "GET /handlers/payments"
if [ $HAVE_TASKS = 1 ]; then
	for i in 1 2 3 4; do
		req POST /tasks -H 'Content-Type: application/json' --data-binary "@$BODY"
		[ "$STATUS" = 201 ] && jq -r .id < "$BODY_FILE" >> "$LOAD_DIR/ids"
	done
	load_mix "POST /tasks @$BODY" "GET /tasks/{id}" \
	    "GET /tasks?namespace=payments&status=pending&per_page=5"
fi

pids_before=$(fcgi_pids | tr '\n' ' ')
LOAD_BATCH=20    # small batches: a batch never waits long on the gap
until=$(( $(date +%s) + 12 + 4 * (SCALE - 1) ))
for c in 1 2 3; do
	load_client "$c" 0 "$until" &
done
sleep 3
t_stop=$(date +%s.%N)
"$TASKER_QUICKSTART" _db stop
sleep 3
t_start=$(date +%s.%N)
"$TASKER_QUICKSTART" _db start >/dev/null 2>&1
wait
echo "# MariaDB down from +0 to +$(awk -v a="$t_stop" -v b="$t_start" 'BEGIN { printf "%.1f", b - a }') s; by status: $(load_codes | tr '\n' ' '); slowest $(load_max_time) s"

case_begin "MariaDB restarted under load: every answer 2xx or 503, none a hang or 502/504"
bad=$(load_codes | awk '$2 != 200 && $2 != 201 && $2 != 503 { printf "%s x %s, ", $1, $2 }')
[ -z "$bad" ] || fail "answers other than 200/201/503: $bad"
n503=$(load_codes | awk '$2 == 503 { print $1 }')
[ "${n503:-0}" -gt 0 ] || fail "no request fell into the gap (the test did not test anything)"
slow=$(load_max_time)
awk -v s="$slow" -v m="$FAST_S" 'BEGIN { exit !(s < m) }' ||
    fail "slowest answer took $slow s (bound $FAST_S s): requests in the gap must fail fast"

case_begin "requests in the gap get 503 in the error format, with Retry-After"
"$TASKER_QUICKSTART" _db stop
sleep 1.3
for p in /handlers /handlers/payments; do
	req GET "$p"
	expect_error 503 ServiceUnavailable SERVICE_UNAVAILABLE
	expect_header Retry-After 5
done
if [ $HAVE_TASKS = 1 ]; then
	req POST /tasks -H 'Content-Type: application/json' --data-binary "@$BODY"
	expect_error 503 ServiceUnavailable SERVICE_UNAVAILABLE
	expect_header Retry-After 5
	req GET "/tasks/$(head -1 "$LOAD_DIR/ids")"
	expect_error 503 ServiceUnavailable SERVICE_UNAVAILABLE
	expect_header Retry-After 5
	req GET /tasks
	expect_error 503 ServiceUnavailable SERVICE_UNAVAILABLE
	expect_header Retry-After 5
fi
"$TASKER_QUICKSTART" _db start >/dev/null 2>&1

case_begin "the service recovers without a restart of its processes"
ok=0
for _ in $(seq 1 30); do
	req GET /handlers
	[ "$STATUS" = 200 ] && { ok=1; break; }
	sleep 0.3
done
[ $ok = 1 ] || fail "no 200 within 9 s of the restart (last $STATUS)"
for _ in 1 2 3 4 5 6 7 8; do   # every process, whichever answers
	req GET /handlers/payments
	expect_status 200
	if [ $HAVE_TASKS = 1 ]; then
		req POST /tasks -H 'Content-Type: application/json' --data-binary "@$BODY"
		expect_status 201
		[ "$STATUS" = 201 ] && jq -r .id < "$BODY_FILE" | tr -d - >> "$T_TMP/after"
	fi
done
pids_after=$(fcgi_pids | tr '\n' ' ')
expect_eq "$pids_after" "$pids_before" "tasker-fcgi pids"
[ -n "$pids_after" ] || fail "no tasker-fcgi process found under the pool's multiwatch"
for pid in $pids_after; do kill -0 "$pid" 2>/dev/null || fail "process $pid is gone"; done

case_begin "nothing answered 201 is lost, nothing is half-written"
if [ $HAVE_TASKS = 1 ]; then
	load_created | tr -d - > "$T_TMP/created"
	n=$(wc -l < "$T_TMP/created")
	[ "$n" -gt 0 ] || fail "no task was created under load"
	if [ "$n" -gt 0 ]; then
		in=$(sed 's/^/0x/' "$T_TMP/created" | paste -sd,)
		expect_eq "$(sql "SELECT COUNT(*) FROM tasks WHERE id IN ($in)")" "$n" "tasks answered 201 that are in the database"
	fi
	# Every task of this test, acknowledged or not, is whole.
	half=$(sql "SELECT COUNT(*) FROM tasks t WHERE t.source_system = 'it-faults' AND ((SELECT COUNT(*) FROM workflow_steps s WHERE s.task_id = t.id) <> 4 OR NOT EXISTS (SELECT 1 FROM task_transitions r WHERE r.task_id = t.id))")
	expect_eq "$half" 0 "tasks without their four steps or their transition"
	all=$(sql "SELECT COUNT(*) FROM tasks WHERE source_system = 'it-faults'")
	echo "# $n acknowledged with 201 under load; $all tasks of this test in the database"
	# The workers need not run them all: cancel what is still open.
	sql "SELECT LOWER(HEX(id)) FROM tasks WHERE source_system = 'it-faults' AND status IN ('pending','in_progress','error')" |
	    uuid_of > "$T_TMP/open"
	cancel_tasks "$T_TMP/open"
else
	echo "# skipped: no task API"
fi

# ------------------------------------------------------------ 2. a worker

SUPERVISOR=""
if [ -f "$TASKER_RUN/worker.pid" ]; then
	for pid in $(cat "$TASKER_RUN/worker.pid"); do
		kill -0 "$pid" 2>/dev/null && SUPERVISOR=$pid && break
	done
fi

case_begin "a worker killed with kill -9 mid-step: every task finishes, no attempt recorded twice"
if [ $HAVE_TASKS = 0 ] || [ -z "$SUPERVISOR" ]; then
	echo "# skipped: no task API or no running tasker-worker"
else
	mkdir -p "$T_TMP/h"
	cat > "$T_TMP/h/slow.yaml" <<-'YAML'
	name: slow4
	namespace_name: it_faults
	version: 1.0.0
	description: Four linear steps of 0.4 s each (test_faults)
	step_templates:
	  - name: one
	    handler_config: {type: exec, command: "cat >/dev/null; sleep 0.4; echo '{\"n\":1}'"}
	  - name: two
	    depends_on_step: one
	    handler_config: {type: exec, command: "cat >/dev/null; sleep 0.4; echo '{\"n\":2}'"}
	  - name: three
	    depends_on_step: two
	    handler_config: {type: exec, command: "cat >/dev/null; sleep 0.4; echo '{\"n\":3}'"}
	  - name: four
	    depends_on_step: three
	    handler_config: {type: exec, command: "cat >/dev/null; sleep 0.4; echo '{\"n\":4}'"}
	YAML
	out=$($TASKER_ADMIN handlers load "$T_TMP/h/slow.yaml" 2>&1) || fail "load: $out"
	sleep 1.3
	: > "$T_TMP/slow"
	for i in 1 2 3 4 5 6; do
		req POST /tasks -H 'Content-Type: application/json' \
		    -d "{\"name\":\"slow4\",\"namespace\":\"it_faults\",\"context\":{\"i\":$i},\"source_system\":\"it-faults-worker\"}"
		expect_status 201
		[ "$STATUS" = 201 ] && jq -r .id < "$BODY_FILE" | tr -d - >> "$T_TMP/slow"
	done
	# Reads as background load while the worker dies.
	load_init "$T_TMP/load2" "$TASKER_URL" "$AUTH"
	load_mix "GET /handlers" "GET /tasks?namespace=it_faults" "GET /handlers/it_faults/slow4"
	LOAD_BATCH=20
	until=$(( $(date +%s) + 8 ))
	load_client 1 0 "$until" &
	loadpid=$!
	# A worker process with a step handler running under it.
	victim=""
	for _ in $(seq 1 100); do
		for child in $(pgrep -P "$SUPERVISOR"); do
			if [ -n "$(pgrep -P "$child")" ]; then victim=$child; break 2; fi
		done
		sleep 0.05
	done
	[ -n "$victim" ] || fail "no worker process was running a step"
	children_before=$(pgrep -P "$SUPERVISOR" | wc -l)
	[ -n "$victim" ] && kill -9 "$victim"
	echo "# killed worker process $victim mid-step ($children_before worker processes)"
	wait "$loadpid"
	in=$(sed 's/^/0x/' "$T_TMP/slow" | paste -sd,)
	# The lost lease expires (worker.lease_seconds) and the step runs again.
	done_n=0
	for _ in $(seq 1 90); do
		done_n=$(sql "SELECT COUNT(*) FROM tasks WHERE id IN ($in) AND status = 'complete'")
		[ "$done_n" = "$(wc -l < "$T_TMP/slow")" ] && break
		sleep 0.5
	done
	expect_eq "$done_n" "$(wc -l < "$T_TMP/slow")" "tasks complete"
	dup=$(sql "SELECT COUNT(*) FROM (SELECT step_id, attempt, to_status FROM step_transitions WHERE task_id IN ($in) GROUP BY step_id, attempt, to_status HAVING COUNT(*) > 1) d")
	expect_eq "$dup" 0 "step attempts recorded twice (same step, attempt and status)"
	twice=$(sql "SELECT COUNT(*) FROM (SELECT step_id FROM step_transitions WHERE task_id IN ($in) AND to_status = 'complete' GROUP BY step_id HAVING COUNT(*) <> 1) d")
	expect_eq "$twice" 0 "steps completed other than exactly once"
	expect_eq "$(sql "SELECT COUNT(*) FROM workflow_steps WHERE task_id IN ($in) AND status <> 'complete'")" 0 "steps not complete"
	retried=$(sql "SELECT COUNT(*) FROM workflow_steps WHERE task_id IN ($in) AND attempts > 1")
	echo "# $retried step(s) needed a second attempt"
	kill -0 "$SUPERVISOR" 2>/dev/null || fail "the supervisor is gone"
	expect_eq "$(pgrep -P "$SUPERVISOR" | wc -l)" "$children_before" "worker processes after the kill"
	bad=$(load_codes | awk '$2 != 200 { printf "%s x %s, ", $1, $2 }')
	[ -z "$bad" ] || fail "the load meanwhile got: $bad"
fi

finish
