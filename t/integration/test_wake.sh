#!/usr/bin/env bash
# test_wake.sh - the local wake-up of idle workers (include/tasker/wake.h)
# against the real stack: workers whose polling is as slow as the
# configuration allows (every 60 s, the supervisor's probe too) still
# start a task created through POST /tasks, the other branches of a
# fan-out, a second root step and a retried task at once, because
# tasker-fcgi and the workers send a datagram to idle workers' sockets in
# <run_dir>/wake/ - to as many as they made steps ready, and a worker
# whose claim found a step to one more - not to every one.  Without the
# wake-up nothing here would start for a minute, so each wait below
# (20 s) fails rather than passes slowly.
#
# Handlers: t/fixtures/wake (namespace it_wake), steps run
# t/fixtures/engine/bin/it_step.sh, which logs each run to runs.log in
# the folder the task's context names.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
E=$T_TMP/wake
mkdir -p "$E"
CONF=$E/tasker.yaml
WORKER=$TASKER_BUILD/tasker-worker
NT=0
WPID=""

worker_conf "$CONF" "processes: 5" "lease_seconds: 10" \
    "poll_min_ms: 60000" "poll_max_ms: 60000"

cleanup() {
	local c
	sql "SET GLOBAL general_log = 0; TRUNCATE TABLE mysql.general_log" \
	    2>/dev/null || true
	if [ -n "$WPID" ]; then
		for c in $(ps -o pid= --ppid "$WPID" 2>/dev/null); do kill -9 "$c" 2>/dev/null || true; done
		kill -9 "$WPID" 2>/dev/null || true
	fi
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# new_task NAME: POST /tasks of it_wake/NAME; sets TASK and TDIR.
new_task() {
	NT=$((NT + 1))
	TDIR=$E/t$NT
	mkdir -p "$TDIR"
	req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
	    \"it_wake\", \"name\": \"$1\", \"version\": \"1.0.0\",
	    \"context\": {\"dir\": \"$TDIR\"}}"
	TASK=$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)
	if [ "$STATUS" != 201 ] || [ -z "$TASK" ]; then
		fail "POST /tasks $1: $STATUS $(head -c 300 "$BODY_FILE")"
		TASK=none
	fi
}

runs() { cat "$TDIR/runs.log" 2>/dev/null || true; }
run_field() {    # STEP FIELD(4 start, 5 end): attempt 1's
	runs | awk -v s="$1" -v f="$2" '$2 == s && $3 == 1 { print $f }'
}

# ---------------------------------------------------------------- setup

$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/wake" >/dev/null ||
    echo "# handlers load failed"
sleep 1.1   # api.registry_refresh_ms
for _ in $(seq 1 50); do
	req GET /handlers/it_wake
	[ "$STATUS" = 200 ] && break
	sleep 0.2
done
stack_workers_stop
"$WORKER" -c "$CONF" -l "$E/worker.log" </dev/null >>"$E/worker.log" 2>&1 &
WPID=$!
# The sockets of this test's worker processes (another test's worker
# may still be on its way out), one a line.
own_socks() {
	local c
	for c in $(ps -o pid= --ppid "$WPID" 2>/dev/null); do
		[ -S "$TASKER_RUN/wake/$c.sock" ] && echo "$TASKER_RUN/wake/$c.sock"
	done
}
OWN=""
# Every process has bound its socket and made its first (empty) claim:
# from now on only a wake-up (or a poll a minute away) starts a step.
for _ in $(seq 1 100); do
	[ "$(own_socks | wc -l)" -ge 5 ] && break
	sleep 0.1
done
sleep 1
OWN=$(own_socks)

# ---------------------------------------------------------------- cases

case_begin "each worker process binds its own socket in the run folder"
expect_eq "$(echo "$OWN" | grep -c sock)" 5 "sockets in $TASKER_RUN/wake"
# Waiting: each marks its socket idle (the owner's execute bit).
# shellcheck disable=SC2086
expect_eq "$(stat -c %a $OWN | sort -u | tr '\n' ' ')" "766 " \
    "modes of the idle workers' sockets"

case_begin "POST /tasks wakes an idle worker; each step hands over to the next"
new_task linear
wait_task "$TASK" complete 20
expect_jq '[.steps[] | .status] | unique' '["complete"]'
expect_eq "$(runs | awk '{ print $2 }' | tr '\n' ' ')" "a b c " "runs, in order"

case_begin "a step with several children wakes other workers for them"
new_task fanout
wait_task "$TASK" complete 20
# Side by side (some run started before another ended) only when other
# processes were woken: one process alone runs them one after another.
overlaps=0
for a in f1 f2 f3; do
	for b in f1 f2 f3; do
		[ "$a" \< "$b" ] || continue
		if [ "$(run_field $a 4)" -lt "$(run_field $b 5)" ] &&
		    [ "$(run_field $b 4)" -lt "$(run_field $a 5)" ]; then
			overlaps=$((overlaps + 1))
		fi
	done
done
[ "$overlaps" -ge 1 ] || fail "no two fan-out steps ran at the same time"

case_begin "one POST /tasks wakes one idle worker, not all five"
# Claims in the database while a three-step task runs: the woken worker's
# (and its look for more after the chain), and the one more it woke;
# waking all five cost six.
sql "SET GLOBAL log_output = 'TABLE'; TRUNCATE TABLE mysql.general_log;
    SET GLOBAL general_log = 1"
new_task linear
wait_task "$TASK" complete 20
sleep 0.5
sql "SET GLOBAL general_log = 0"
claims=$(sql "SELECT COUNT(*) FROM mysql.general_log WHERE command_type =
    'Execute' AND argument LIKE '%ix_steps_claim%'")
# The same run: no step read its task's context or its parent's results
# before its handler started (the runs above need the context's dir):
# the claim read the context with the task's row, and b and c took it
# and their parent's results from the chain.  Reading per step made
# three.
reads=$(sql "SELECT COUNT(*) FROM mysql.general_log WHERE command_type =
    'Execute' AND (argument LIKE 'SELECT context FROM tasks%' OR
    argument LIKE 'SELECT t.context%')")
# And its six history rows (a claimed; a done, b claimed; ...) took four
# INSERTs: a step's completion goes with its chained child's claim.
inserts=$(sql "SELECT COUNT(*) FROM mysql.general_log WHERE command_type =
    'Execute' AND argument LIKE 'INSERT INTO step_transitions%'")
rows=$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id =
    UNHEX(REPLACE('$TASK', '-', ''))")
sql "TRUNCATE TABLE mysql.general_log"
[ "${claims:-0}" -ge 1 ] && [ "$claims" -le 3 ] ||
    fail "claims for one task with five idle workers: ${claims:-none}, not 1 to 3"
# shellcheck disable=SC2086
expect_eq "$(stat -c %a $OWN | sort -u | tr '\n' ' ')" "766 " \
    "modes once all wait again"
expect_eq "$(runs | awk '{ print $2 }' | tr '\n' ' ')" "a b c " "runs, in order"
expect_eq "${reads:-none}" 0 "reads for the stdin of a chain of three steps"
expect_eq "${rows:-none} ${inserts:-none}" "6 4" "history rows and their INSERTs"

case_begin "a worker whose claim found a step wakes one more: two roots side by side"
new_task roots
wait_task "$TASK" complete 20
if [ "$(run_field r1 4)" -lt "$(run_field r2 5)" ] &&
    [ "$(run_field r2 4)" -lt "$(run_field r1 5)" ]; then :; else
	fail "r1 and r2 ran one after the other: $(runs | awk '{ print $2, $4, $5 }' | tr '\n' ' ')"
fi

case_begin "POST /tasks/{id}/retry wakes an idle worker"
new_task gate
wait_task "$TASK" error 20
touch "$TDIR/go"
req POST "/tasks/$TASK/retry" -H 'Content-Type: application/json' -d '{}'
expect_eq "$STATUS" 200 "retry"
wait_task "$TASK" complete 20
expect_eq "$(runs | awk '{ print $6 }' | tr '\n' ' ')" "fail ok " "runs"

case_begin "a stopped worker removes its sockets"
kill -TERM "$WPID" 2>/dev/null || true
wait "$WPID" 2>/dev/null || true
WPID=""
n=0
for f in $OWN; do [ -e "$f" ] && n=$((n + 1)); done
expect_eq "$n" 0 "sockets left"

finish
