#!/usr/bin/env bash
# test_trust_cancel.sh - operators against running work, with real workers:
#   - a cancel (DELETE /tasks/{id}, or PATCH of one step to cancelled)
#     stops the running handlers (SIGTERM, the grace, SIGKILL) and leaves
#     no step of the task pending;
#   - a timeout sends SIGTERM first, SIGKILL after the grace;
#   - no step starts before its parents are complete or resolved_manually,
#     whatever an operator resolves (a resolve that would break it is 409).
#
# The handlers are t/fixtures/cancel/handlers (namespace it_cancel); their
# steps run t/fixtures/cancel/bin/cancel_step.sh, which notes its pid, a
# time stamp every 0.1 s while it runs and the SIGTERM it gets in the
# folder the task's context names.  The stack's workers are stopped for
# the duration and started again at the end; ours use a copy of the
# configuration: 3 processes, a grace of 2 s between SIGTERM and SIGKILL.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
E=$T_TMP/cancel
mkdir -p "$E"
CONF=$E/tasker.yaml
WORKER=$TASKER_BUILD/tasker-worker
NT=0
WPIDS=()

worker_conf "$CONF" "processes: 3" "lease_seconds: 10" "heartbeat_seconds: 1" \
    "backoff_base_seconds: 1" "backoff_cap_seconds: 2" \
    "shutdown_grace_seconds: 2" "kill_grace_seconds: 2"

# ---------------------------------------------------------------- workers

# Our workers stop on SIGTERM (grace 2 s + 2 s); what is left gets -9.
cleanup() {
	local pid c i
	for pid in "${WPIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${WPIDS[@]}"; do
		for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
			kill -9 "$c" 2>/dev/null || true
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# ---------------------------------------------------------------- helpers

# new_task NAME: POST /tasks of it_cancel/NAME; sets TASK and TDIR (the
# folder its steps write to).
new_task() {
	NT=$((NT + 1))
	TDIR=$E/t$NT
	mkdir -p "$TDIR"
	req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
	    \"it_cancel\", \"name\": \"$1\", \"version\": \"1.0.0\",
	    \"context\": {\"dir\": \"$TDIR\"}}"
	TASK=$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)
	if [ "$STATUS" != 201 ] || [ -z "$TASK" ]; then
		fail "POST /tasks $1: $STATUS $(head -c 300 "$BODY_FILE")"
		TASK=none
	fi
}

# wait_for FILE SECONDS: 0 once FILE exists.
wait_for() {
	local i
	for i in $(seq 1 $(($2 * 10))); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}

# step_pid STEP: the pid of the current task's handler of STEP (waits
# for it to start).
step_pid() {
	wait_for "$TDIR/$1.pid" 20 || { fail "$1 never started"; echo 0; return; }
	cat "$TDIR/$1.pid"
}

# gone PID: 0 when no such process is left (or only its zombie).
gone() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null | tr -d ' ')
	[ -z "$st" ] || [[ $st == Z* ]]
}

# wait_gone PID SECONDS WHAT: fails the case when PID still runs then.
wait_gone() {
	local i
	for i in $(seq 1 $(($2 * 10))); do gone "$1" && return 0; sleep 0.1; done
	fail "$3 (pid $1) still runs $2 s later"
	return 1
}

hex() { echo "${1//-/}"; }

# ssql TASK STEP COLUMNS: a step's columns, straight from the database.
ssql() {
	sql "SELECT $3 FROM workflow_steps WHERE task_id = UNHEX('$(hex "$1")')
	    AND name = '$2'"
}

# settled TASK: waits until no step of TASK holds a lease (the workers
# recorded what their stopped handlers said).
settled() {
	local i
	for i in $(seq 1 100); do
		[ "$(sql "SELECT COUNT(*) FROM workflow_steps WHERE task_id =
		    UNHEX('$(hex "$1")') AND lease_owner IS NOT NULL")" = 0 ] &&
		    return 0
		sleep 0.1
	done
	fail "a lease of task $1 is still held"
}

# step VIEW: the step named $1 of the task in BODY_FILE, jq filter $2.
step() {
	jq -c --arg s "$1" ".steps[] | select(.name == \$s) | $2" "$BODY_FILE"
}

# ---------------------------------------------------------------- setup

$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/cancel/handlers" >/dev/null ||
    echo "# handlers load failed"
sleep 1.1   # the API's processes see a load within registry_refresh_ms
for i in $(seq 1 50); do
	req GET /handlers/it_cancel
	[ "$STATUS" = 200 ] && break
	sleep 0.2
done
stack_workers_stop
"$WORKER" -c "$CONF" -l "$E/w1.log" </dev/null >>"$E/w1.log" 2>&1 &
WPIDS+=("$!")
sleep 0.5

# ---------------------------------------------------------------- cancel

case_begin "DELETE a running task: SIGTERM to its handlers, SIGKILL after the grace, every step cancelled"
new_task running
pp=$(step_pid polite)
sp=$(step_pid stubborn)
t_cancel=$(date +%s%N)
req DELETE "/tasks/$TASK" -H 'Content-Type: application/json' -d '{"reason": "customer withdrew"}'
expect_status 200
expect_jq '[.status, [.steps[].status]]' '["cancelled",["cancelled","cancelled","cancelled"]]'
wait_gone "$pp" 10 "the SIGTERM-answering handler"
expect_eq "$(cut -d' ' -f1-2 "$TDIR/polite.term" 2>/dev/null)" "term $pp" "polite got SIGTERM"
wait_gone "$sp" 15 "the SIGTERM-ignoring handler"
[ -e "$TDIR/stubborn.term" ] && fail "stubborn noted a SIGTERM it ignores"
# It ignored SIGTERM and ran on through the grace (2 s) until SIGKILL.
last=$(tail -n 1 "$TDIR/stubborn.alive" 2>/dev/null)
[ -n "$last" ] && [ "$last" -gt $((t_cancel + 1500000000)) ] ||
    fail "stubborn did not run on through the grace (last sign of life ${last:-none}, cancel $t_cancel)"
settled "$TASK"
sleep 1.5   # time for anything to start that should not
req GET "/tasks/$TASK"
expect_jq '[.status, [.steps[].status]]' '["cancelled",["cancelled","cancelled","cancelled"]]'
# What polite printed after the cancel is kept; the status stays.
expect_eq "$(step polite .results)" '{"stopped_by":"SIGTERM"}' "polite's late results"
expect_eq "$(step stubborn .last_error)" '"stopped: the step was cancelled while it ran (signal 9)"' "stubborn's last_error"
[ -e "$TDIR/runs" ] && fail "a step ran after the cancel: $(cat "$TDIR/runs")"
expect_eq "$(ssql "$TASK" after 'CONCAT(status, ready_at IS NULL)')" "cancelled1" "after: cancelled, not ready"
expect_eq "$(sql "SELECT CONCAT_WS(':', from_status, to_status, actor, reason) FROM step_transitions
    WHERE task_id = UNHEX('$(hex "$TASK")') AND to_status = 'cancelled' ORDER BY step_id")" \
    "in_progress:cancelled:it-tests:customer withdrew
in_progress:cancelled:it-tests:customer withdrew
pending:cancelled:it-tests:customer withdrew" "step transitions"

case_begin "PATCH a running step to cancelled: its running sibling is stopped too, no step left pending"
new_task fan
ap=$(step_pid a)
bp=$(step_pid b)
req PATCH "/tasks/$TASK/workflow_steps/b" -H 'Content-Type: application/json' -d '{"status": "cancelled", "reason": "wrong order"}'
expect_status 200
expect_jq '[.name, .status]' '["b","cancelled"]'
wait_gone "$ap" 10 "the running sibling a"
wait_gone "$bp" 10 "the cancelled step b"
expect_eq "$(cut -d' ' -f1-2 "$TDIR/a.term" 2>/dev/null)" "term $ap" "a got SIGTERM"
expect_eq "$(cut -d' ' -f1-2 "$TDIR/b.term" 2>/dev/null)" "term $bp" "b got SIGTERM"
settled "$TASK"
sleep 1.5
req GET "/tasks/$TASK"
expect_jq '[.status, [.steps[] | [.name, .status]]]' \
    '["cancelled",[["a","cancelled"],["b","cancelled"],["c","cancelled"],["d","cancelled"]]]'
[ -e "$TDIR/runs" ] && fail "a step ran after the cancel: $(cat "$TDIR/runs")"
expect_eq "$(sql "SELECT COUNT(*) FROM workflow_steps WHERE task_id = UNHEX('$(hex "$TASK")')
    AND (ready_at IS NOT NULL OR status = 'pending')")" 0 "steps pending or claimable"
expect_eq "$(sql "SELECT CONCAT_WS(':', to_status, actor, reason) FROM task_transitions
    WHERE task_id = UNHEX('$(hex "$TASK")') ORDER BY id DESC LIMIT 1")" \
    "cancelled:it-tests:wrong order" "task transition"

case_begin "a timeout: SIGTERM first, SIGKILL after the grace"
new_task timeout
tp=$(step_pid sleepy)
wait_gone "$tp" 15 "the timed out handler"
req GET "/tasks/$TASK"
for i in $(seq 1 50); do
	[ "$(jq -r .status "$BODY_FILE")" = error ] && break
	sleep 0.2
	req GET "/tasks/$TASK"
done
expect_jq '.status' '"error"'
expect_true '.steps[0].last_error | startswith("timed out after 1 s")'
term=$(cut -d' ' -f1-2 "$TDIR/sleepy.term" 2>/dev/null)
expect_eq "$term" "term $tp" "sleepy got SIGTERM"
# It went on after SIGTERM (it only notes it) until SIGKILL, 2 s later.
t_term=$(cut -d' ' -f3 "$TDIR/sleepy.term" 2>/dev/null)
last=$(tail -n 1 "$TDIR/sleepy.alive" 2>/dev/null)
[ -n "$t_term" ] && [ -n "$last" ] && [ "$last" -gt $((t_term + 1500000000)) ] ||
    fail "sleepy was not left the grace after SIGTERM (term ${t_term:-none}, last sign of life ${last:-none})"

# ---------------------------------------------------------------- order

case_begin "resolving a step whose parent runs is 409 and changes nothing"
new_task chain
ap=$(step_pid a)
before=$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id = UNHEX('$(hex "$TASK")')")
req PATCH "/tasks/$TASK/workflow_steps/b" -H 'Content-Type: application/json' -d '{"status": "resolved_manually", "results": {"by": "hand"}}'
expect_error 409 Conflict CONFLICT "Step 'b' cannot be resolved while its parent 'a' is in_progress (only a step whose parents are all complete or resolved_manually can be)"
req PATCH "/tasks/$TASK/workflow_steps/c" -H 'Content-Type: application/json' -d '{"status": "resolved_manually"}'
expect_error 409 Conflict CONFLICT "Step 'c' cannot be resolved while its parent 'b' is pending (only a step whose parents are all complete or resolved_manually can be)"
sleep 1.5
req GET "/tasks/$TASK"
expect_jq '[.status, [.steps[] | [.name, .status, .started_at]]]' \
    "[\"in_progress\",[[\"a\",\"in_progress\",$(step a .started_at)],[\"b\",\"pending\",null],[\"c\",\"pending\",null]]]"
expect_eq "$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id = UNHEX('$(hex "$TASK")')")" "$before" "transitions"
expect_eq "$(ssql "$TASK" b 'CONCAT(unmet_parents, ready_at IS NULL)')" "11" "b still waits for a"
[ -e "$TDIR/runs" ] && fail "a step ran: $(cat "$TDIR/runs")"

case_begin "resolving the running parent is allowed: its handler stops, the children run after it, in order"
req PATCH "/tasks/$TASK/workflow_steps/a" -H 'Content-Type: application/json' -d '{"status": "resolved_manually", "results": {"by": "hand"}}'
expect_status 200
expect_jq '.status' '"resolved_manually"'
wait_gone "$ap" 10 "a's handler"
for i in $(seq 1 100); do
	req GET "/tasks/$TASK"
	[ "$(jq -r .status "$BODY_FILE")" = complete ] && break
	sleep 0.2
done
expect_jq '[.status, [.steps[].status]]' '["complete",["resolved_manually","complete","complete"]]'
expect_true '(.steps[1].started_at >= .steps[0].completed_at) and (.steps[2].started_at >= .steps[1].completed_at)'
expect_eq "$(cat "$TDIR/runs" 2>/dev/null | tr '\n' ' ')" "b c " "steps run"

finish
