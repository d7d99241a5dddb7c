#!/usr/bin/env bash
# test_engine.sh - the execution engine (tasker-worker) against the real
# stack: tasks made with POST /tasks, run by real worker processes, their
# outcome read back through the API and, for what the API does not show
# (leases, ready_at, transitions), from the database.
#
# The handlers are t/fixtures/engine/handlers (namespace it_engine); their
# steps run t/fixtures/engine/bin/it_step.sh, which appends one line per
# run to runs.log in the folder the task's context names, so a case can
# check what ran, in which order and how often.  The stack's own workers
# are stopped for the duration (they would use the stack's configuration)
# and started again at the end; the workers here use a copy of it with a
# short lease and backoff, so every case ends within seconds.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
E=$T_TMP/engine
mkdir -p "$E"
CONF=$E/tasker.yaml
WORKER=$TASKER_BUILD/tasker-worker
NT=0
WPIDS=()

# The stack's configuration with a worker section for tests: 3 processes,
# lease 5 s renewed every second, backoff 1 s capped at 2 s, 4 KiB of
# output, 2 s of shutdown grace; default polling.
worker_conf "$CONF" "processes: 3" "lease_seconds: 5" "heartbeat_seconds: 1" \
    "backoff_base_seconds: 1" "backoff_cap_seconds: 2" \
    "max_output_bytes: 4096" "shutdown_grace_seconds: 2"
# The load case's workers: a lease long enough that no stall of a loaded
# (or valgrind's) machine takes a lease away; losing one is the lease
# cases' business, not this one's (it counts runs at attempt 1).
CONF_LOAD=$E/tasker-load.yaml
worker_conf "$CONF_LOAD" "processes: 3" "lease_seconds: 60" \
    "heartbeat_seconds: 1" "backoff_base_seconds: 1" \
    "backoff_cap_seconds: 2" "max_output_bytes: 4096" \
    "shutdown_grace_seconds: 2"

# ---------------------------------------------------------------- workers

# start_worker NAME [ARGS...]: a tasker-worker of ours; its pid in WPID.
start_worker() {
	"$WORKER" -c "$CONF" -l "$E/$1.log" "${@:2}" </dev/null \
	    >>"$E/$1.log" 2>&1 &
	WPID=$!
	WPIDS+=("$WPID")
}

# post_load DIR N: N tasks of it_engine/load whose steps log to DIR.
post_load() {
	local i
	for i in $(seq 1 "$2"); do
		req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
		    \"it_engine\", \"name\": \"load\", \"version\": \"1.0.0\",
		    \"context\": {\"dir\": \"$1\", \"n\": $i}}"
		[ "$STATUS" = 201 ] || { fail "POST /tasks: $STATUS $(head -c 200 "$BODY_FILE")"; return 1; }
	done
}

# load_done DIR: how many load tasks logging to DIR are complete.
load_done() {
	sql "SELECT COUNT(*) FROM tasks WHERE name = 'load' AND status = 'complete'
	    AND JSON_VALUE(context, '$.dir') = '$1'"
}

# kill9 PID: kill -9 a worker and its children (by their ids).
kill9() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill -9 "$c" 2>/dev/null || true; done
	kill -9 "$1" 2>/dev/null || true
}

# stop_worker PID: SIGTERM, and wait for it; its exit status in WRC.
stop_worker() {
	kill -TERM "$1" 2>/dev/null || true
	WRC=0
	wait "$1" 2>/dev/null || WRC=$?
}

cleanup() {
	local pid
	for pid in "${WPIDS[@]}"; do kill9 "$pid"; done
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# ---------------------------------------------------------------- tasks

# new_task NAME [NAMESPACE VERSION CONTEXT]: POST /tasks; sets TASK (its
# id) and TDIR (the folder its steps log to).
new_task() {
	local body ctx='{}'
	[ $# -ge 4 ] && ctx=$4
	NT=$((NT + 1))
	TDIR=$E/t$NT
	mkdir -p "$TDIR"
	body=$(jq -cn --arg n "$1" --arg ns "${2:-it_engine}" \
	    --arg v "${3:-1.0.0}" --arg d "$TDIR" --argjson c "$ctx" \
	    '{name: $n, namespace: $ns, version: $v, context: ({dir: $d} + $c)}')
	req POST /tasks -H 'Content-Type: application/json' -d "$body"
	TASK=$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)
	if [ "$STATUS" != 201 ] || [ -z "$TASK" ]; then
		fail "POST /tasks $1: $STATUS $(head -c 300 "$BODY_FILE")"
		TASK=none
	fi
}

# step VIEW: the step named $1 of the task in BODY_FILE, jq filter $2.
step() {
	jq -c --arg s "$1" ".steps[] | select(.name == \$s) | $2" "$BODY_FILE"
}

hex() { echo "${1//-/}"; }

# ssql TASK STEP COLUMNS: a step's columns, straight from the database.
ssql() {
	sql "SELECT $3 FROM workflow_steps WHERE task_id = UNHEX('$(hex "$1")')
	    AND name = '$2'"
}

# The runs.log of the current task: "task step attempt start end outcome".
runs() { cat "$TDIR/runs.log" 2>/dev/null || true; }
nruns() { runs | awk -v s="$1" '$2 == s' | wc -l | tr -d ' '; }
run_field() {    # STEP ATTEMPT FIELD(4 start, 5 end)
	runs | awk -v s="$1" -v a="$2" -v f="$3" '$2 == s && $3 == a { print $f }'
}

# expect_before A B: step A ended before step B started.
expect_before() {
	local e s
	e=$(run_field "$1" 1 5)
	s=$(run_field "$2" 1 4)
	if [ -z "$e" ] || [ -z "$s" ] || [ "$e" -gt "$s" ]; then
		fail "$1 (ended ${e:-never}) did not end before $2 started (${s:-never})"
	fi
}

# expect_ge GOT MIN WHAT
expect_ge() {
	if [ -z "$1" ] || [ "$1" -lt "$2" ]; then fail "$3: $1 < $2"; fi
}

# ---------------------------------------------------------------- setup

$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/engine/handlers" >/dev/null ||
    echo "# handlers load failed"
# The API's processes see a load within api.registry_refresh_ms (1 s).
sleep 1.1
for i in $(seq 1 50); do
	req GET /handlers/it_engine
	[ "$STATUS" = 200 ] && break
	sleep 0.2
done
stack_workers_stop
start_worker w1
W1=$WPID
sleep 0.5

# ---------------------------------------------------------------- DAGs

case_begin "a linear DAG runs in order, each step seeing its parent's results"
new_task linear
wait_task "$TASK" complete 20
expect_jq '[.steps[] | .status] | unique' '["complete"]'
expect_jq '[.steps[] | .attempts] | unique' '[1]'
expect_eq "$(step b .results.saw)" '{"a":"a"}' "b saw"
expect_eq "$(step c .results.saw)" '{"b":"b"}' "c saw"
expect_eq "$(step a .results.saw)" '{}' "a (root) saw"
expect_before a b
expect_before b c
expect_eq "$(runs | wc -l | tr -d ' ')" 3 "runs"
expect_eq "$(sql "SELECT processes, heartbeat_at > UTC_TIMESTAMP(6) - INTERVAL 3 SECOND,
    stopped_at IS NULL FROM workers WHERE pid = $W1 ORDER BY started_at DESC LIMIT 1")" \
    "3	1	1" "the worker's heartbeat row"

case_begin "a diamond runs both branches after the root and the join after both"
new_task diamond
wait_task "$TASK" complete 20
expect_eq "$(step d .results.saw)" '{"b":"b","c":"c"}' "d saw"
expect_before a b
expect_before a c
expect_before b d
expect_before c d
expect_eq "$(runs | wc -l | tr -d ' ')" 4 "runs"

case_begin "fan-out runs independent steps side by side, fan-in waits for all"
new_task fanout
wait_task "$TASK" complete 30
for f in f1 f2 f3 f4; do expect_before root $f; expect_before $f join; done
# four 1 s steps on 3 processes: side by side, some runs overlap (one
# started before another ended); one after another, none do.  Overlap,
# not elapsed time, so a slow machine cannot fail it.
overlaps=0
for a in f1 f2 f3 f4; do
	for b in f1 f2 f3 f4; do
		[ "$a" \< "$b" ] || continue
		if [ "$(run_field $a 1 4)" -lt "$(run_field $b 1 5)" ] &&
		    [ "$(run_field $b 1 4)" -lt "$(run_field $a 1 5)" ]; then
			overlaps=$((overlaps + 1))
		fi
	done
done
[ "$overlaps" -ge 1 ] || fail "no two fan-out steps ran at the same time"
expect_eq "$(step join .results.saw)" \
    '{"f1":"f1","f2":"f2","f3":"f3","f4":"f4"}' "join saw"

case_begin "a DAG with several roots runs every root and each join after its parents"
new_task multiroot
wait_task "$TASK" complete 20
expect_before r1 j
expect_before r2 j
expect_before r3 k
expect_eq "$(step j .results.saw)" '{"r1":"r1","r2":"r2"}' "j saw"
expect_eq "$(step k .results.saw)" '{"r3":"r3"}' "k saw"

case_begin "an idle worker starts a new task's first step within 100 ms"
lat=()
for i in 1 2 3; do
	sleep 1.5    # idle long enough for every process to back off
	new_task linear
	wait_task "$TASK" complete 20
	lat+=("$(sql "SELECT TIMESTAMPDIFF(MICROSECOND, t.created_at,
	    MIN(s.created_at)) FROM tasks t JOIN step_transitions s
	    ON s.task_id = t.id AND s.to_status = 'in_progress'
	    WHERE t.id = UNHEX('$(hex "$TASK")')")")
done
median=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 2p)
echo "# from POST /tasks to the first claim (us): ${lat[*]}"
if [ -z "$median" ] || [ "$median" -lt 0 ] || [ "$median" -ge 100000 ]; then
	fail "median ${median:-?} us is not under 100 ms (${lat[*]})"
fi

# ---------------------------------------------------------------- retries

case_begin "a step that fails twice then succeeds: attempts and backoff recorded"
new_task flaky
wait_task "$TASK" complete 30
expect_eq "$(step wobbly .attempts)" 3 "attempts"
expect_eq "$(nruns wobbly)" 3 "runs"
expect_eq "$(ssql "$TASK" wobbly 'last_error')" \
    "exit status 75; stderr: it_step.sh: transient failure 2" "last_error"
# backoff 1 s then 2 s, each less up to a quarter of jitter
g1=$(( ($(run_field wobbly 2 4) - $(run_field wobbly 1 5)) / 1000000 ))
g2=$(( ($(run_field wobbly 3 4) - $(run_field wobbly 2 5)) / 1000000 ))
expect_ge "$g1" 700 "gap before attempt 2 (ms)"
expect_ge "$g2" 1450 "gap before attempt 3 (ms)"
[ "$g2" -lt 5000 ] || fail "gap before attempt 3 is $g2 ms"
expect_eq "$(sql "SELECT GROUP_CONCAT(CONCAT(from_status, '>', to_status, ':', attempt)
    ORDER BY id) FROM step_transitions WHERE step_id = (SELECT id FROM
    workflow_steps WHERE task_id = UNHEX('$(hex "$TASK")') AND name = 'wobbly')")" \
    "pending>in_progress:1,in_progress>error:1,error>in_progress:2,in_progress>error:2,error>in_progress:3,in_progress>complete:3" \
    "transitions"

case_begin "a failed attempt's {\"retry_after_seconds\": 2} sets the next delay"
new_task retryafter
wait_task "$TASK" complete 20
expect_eq "$(step polite .attempts)" 2 "attempts"
g=$(( ($(run_field polite 2 4) - $(run_field polite 1 5)) / 1000000 ))
expect_ge "$g" 1950 "gap before attempt 2 (ms)"

case_begin "retries used up: the step and the task end in error; retry completes them"
new_task exhaust
EXHAUST=$TASK
EXHAUST_DIR=$TDIR
wait_task "$TASK" error 20
expect_eq "$(step gated .status)" '"error"' "gated"
expect_eq "$(step gated .attempts)" 2 "attempts (1 + retry limit 1)"
expect_eq "$(step after .status)" '"pending"' "after"
expect_eq "$(ssql "$TASK" gated 'ready_at IS NULL')" 1 "no longer ready"
expect_eq "$(nruns gated)" 2 "runs"
sleep 1.5
expect_eq "$(nruns gated)" 2 "runs after a while"
touch "$TDIR/go"
req POST "/tasks/$TASK/retry" -H 'Content-Type: application/json' -d '{}'
case "$STATUS" in 200|202) ;; *) fail "retry: $STATUS $(head -c 300 "$BODY_FILE")" ;; esac
wait_task "$TASK" complete 20
expect_eq "$(step after .status)" '"complete"' "after"
expect_eq "$(nruns gated)" 3 "runs"

case_begin "default_retryable: false means exactly one attempt"
new_task noretry
wait_task "$TASK" error 20
expect_eq "$(step once .attempts)" 1 "attempts"
sleep 1.5
expect_eq "$(nruns once)" 1 "runs"
expect_eq "$(ssql "$TASK" once 'last_error')" \
    "exit status 1; stderr: it_step.sh: once failed on purpose (attempt 1)" \
    "last_error"

# ---------------------------------------------------------------- bad handlers

case_begin "a handler past its timeout is killed and the attempt fails"
t0=$SECONDS
new_task timeout
wait_task "$TASK" error 20
[ $((SECONDS - t0)) -lt 10 ] || fail "took $((SECONDS - t0)) s"
expect_eq "$(ssql "$TASK" sleepy 'last_error')" \
    "timed out after 1 s (the handler and its child processes were killed)" \
    "last_error"
expect_eq "$(nruns sleepy)" 0 "runs (it never got to log)"

case_begin "output that is not a JSON object fails the attempt"
new_task badjson
wait_task "$TASK" error 20
expect_eq "$(step chatty .last_error)" \
    '"output is not a JSON object; stdout began: \"all done, no JSON here\\x0a\""' \
    "last_error (with the first bytes of the output, escaped)"
expect_eq "$(step chatty .results)" null "results"

case_begin "output over worker.max_output_bytes fails the attempt"
new_task bigout
wait_task "$TASK" error 20
expect_eq "$(ssql "$TASK" loud 'last_error')" \
    "stdout passed the limit of 4096 bytes (worker.max_output_bytes); the handler was killed" \
    "last_error"

case_begin "a step without a runnable handler_config fails at once with a clear error"
new_task norun
wait_task "$TASK" error 20
expect_eq "$(ssql "$TASK" legacy 'last_error')" \
    "step 'legacy' has no runnable handler_config (type: exec)" "last_error"
expect_eq "$(step legacy .attempts)" 1 "attempts"

case_begin "the handler gets a clean environment and runs in work_dir"
new_task envcheck
wait_task "$TASK" complete 20
r=$(step look .results)
expect_eq "$(echo "$r" | jq -r .task_id)" "$TASK" "TASKER_TASK_ID"
expect_eq "$(echo "$r" | jq -r .step)" look "TASKER_STEP_NAME"
expect_eq "$(echo "$r" | jq -r .attempt)" 1 "TASKER_STEP_ATTEMPT"
expect_eq "$(echo "$r" | jq -r .region)" eu "the step's env"
expect_eq "$(echo "$r" | jq -r .lang)" C.UTF-8 "LANG"
expect_eq "$(echo "$r" | jq -r .pwd)" "$TASKER_ROOT" "working folder"
# Nothing but what the worker sets (and what sh adds: PWD).
extra=$(echo "$r" | jq -c '.names - ["HOME","LANG","PATH","PWD","REGION",
    "TASKER_HANDLER","TASKER_HANDLER_VERSION","TASKER_NAMESPACE",
    "TASKER_STEP_ATTEMPT","TASKER_STEP_NAME","TASKER_TASK_ID",
    "TASKER_LEASE_EPOCH","TASKER_FENCING_TOKEN"]')
expect_eq "$extra" '[]' "other variables"

# ---------------------------------------------------------------- operators

case_begin "cancel while a step runs: its handler is stopped, nothing new runs"
new_task slow
for i in $(seq 1 100); do [ -s "$TDIR/held.started" ] && break; sleep 0.1; done
[ -s "$TDIR/held.started" ] || fail "held never started"
hpid=$(cat "$TDIR/held.started" 2>/dev/null)
req DELETE "/tasks/$TASK"
case "$STATUS" in 200|202|204) ;; *) fail "cancel: $STATUS $(head -c 300 "$BODY_FILE")" ;; esac
# The gate waits 60 s for a release that never comes: SIGTERM ends it.
for i in $(seq 1 100); do kill -0 "$hpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$hpid" 2>/dev/null && fail "held's handler still runs 10 s after the cancel"
for i in $(seq 1 50); do [ "$(ssql "$TASK" held 'lease_owner IS NULL')" = 1 ] && break; sleep 0.1; done
sleep 1.5
req GET "/tasks/$TASK"
expect_jq .status '"cancelled"'
expect_eq "$(step held .status)" '"cancelled"' "held"
expect_eq "$(nruns held)" 0 "held ran to its end"
expect_eq "$(nruns next)" 0 "next ran"
expect_eq "$(ssql "$TASK" next 'ready_at IS NULL')" 1 "next not ready"
expect_eq "$(ssql "$TASK" held 'lease_owner IS NULL')" 1 "lease released"

case_begin "resolving a failed step manually runs its children"
new_task resolve
wait_task "$TASK" error 20
req PATCH "/tasks/$TASK/workflow_steps/broken" -H 'Content-Type: application/json' \
    -d '{"status": "resolved_manually", "results": {"step": "broken", "by": "hand"}}'
case "$STATUS" in 200|202) ;; *) fail "resolve: $STATUS $(head -c 300 "$BODY_FILE")" ;; esac
wait_task "$TASK" complete 20
expect_eq "$(step broken .status)" '"resolved_manually"' "broken"
expect_eq "$(step child .results.saw)" '{"broken":"broken"}' "child saw"
expect_eq "$(nruns broken)" 1 "broken ran"

case_begin "GET /tasks/{id}?include_dependencies=true agrees with the engine"
req GET "/tasks/$EXHAUST?include_dependencies=true"
expect_status 200
expect_jq '.dependencies.completed_steps | sort' '["after","gated"]'
expect_jq '.dependencies.blocked_steps' '[]'
expect_jq '.dependencies.ready_steps' '[]'
api=$(jq -c '[.steps[] | [.name, .status, .attempts]]' "$BODY_FILE")
db=$(sql "SELECT name, status, attempts FROM workflow_steps
    WHERE task_id = UNHEX('$(hex "$EXHAUST")') ORDER BY position" |
    jq -Rc 'split("\t") | [.[0], .[1], (.[2] | tonumber)]' | jq -sc .)
expect_eq "$api" "$db" "steps in the API and in the database"

case_begin "payments/process_payment completes, the flaky charge_card retried once"
new_task process_payment payments 2.1.0 '{"payment_id": 42, "amount": 9.5}'
wait_task "$TASK" complete 20
expect_jq '[.steps[] | .status] | unique' '["complete"]'
expect_eq "$(step validate_payment .results.valid)" true "validate_payment"
expect_eq "$(step charge_card .results.charged)" true "charge_card"
expect_eq "$(step charge_card .attempts)" 2 "charge_card attempts"
expect_eq "$(step update_order .results.order_status)" '"paid"' "update_order"
expect_eq "$(step send_confirmation .results.sent)" true "send_confirmation"

# ---------------------------------------------------------------- lifecycle

case_begin "kill -9 of a worker mid-step: the step is recovered after its lease"
new_task slow
for i in $(seq 1 100); do [ -e "$TDIR/held.started" ] && break; sleep 0.1; done
hp=$(cat "$TDIR/held.started" 2>/dev/null)
rm -f "$TDIR/held.started"
kill9 "$W1"
wait "$W1" 2>/dev/null || true
sleep 0.3
# the handler died with its worker (a zombie until init reaps it)
if [ -n "$hp" ] && grep -qs '^State:.*[RS]' "/proc/$hp/status"; then
	fail "the handler $hp outlived its worker"
fi
expect_eq "$(ssql "$TASK" held status)" in_progress "held, still leased"
start_worker w2
W1=$WPID
t0=$SECONDS
for i in $(seq 1 150); do [ -e "$TDIR/held.started" ] && break; sleep 0.1; done
[ -e "$TDIR/held.started" ] || fail "held was not run again"
echo "# recovered after $((SECONDS - t0)) s (lease 5 s)"
touch "$TDIR/release"
wait_task "$TASK" complete 20
expect_eq "$(step held .attempts)" 2 "attempts (the lost one counts)"
expect_eq "$(ssql "$TASK" held 'last_error LIKE "attempt 1 lost: the lease of worker % expired%"')" \
    1 "last_error"
expect_eq "$(nruns held)" 1 "held completed once"
expect_eq "$(nruns next)" 1 "next ran once"

case_begin "SIGTERM: a running step gets its grace, then is released uncounted"
new_task slow
for i in $(seq 1 100); do [ -e "$TDIR/held.started" ] && break; sleep 0.1; done
t0=$(date +%s%N)
stop_worker "$W1"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "$WRC" 0 "exit status"
[ "$ms" -ge 1900 ] && [ "$ms" -lt 6000 ] || fail "stopped after $ms ms (grace 2 s)"
expect_eq "$(ssql "$TASK" held 'status, attempts, ready_at IS NOT NULL, lease_owner IS NULL')" \
    "pending	0	1	1" "held released"
expect_eq "$(sql "SELECT stopped_at IS NOT NULL FROM workers ORDER BY started_at DESC LIMIT 1")" \
    1 "workers.stopped_at"
touch "$TDIR/release"
start_worker w3
W1=$WPID
wait_task "$TASK" complete 20
expect_eq "$(step held .attempts)" 1 "attempts"

case_begin "--until-idle runs what is ready and exits; two at once never run an attempt twice"
stop_worker "$W1"
LDIR=$E/until
mkdir -p "$LDIR"
post_load "$LDIR" 30
"$WORKER" -c "$CONF" -l "$E/until1.log" --until-idle & u1=$!
"$WORKER" -c "$CONF" -l "$E/until2.log" --until-idle & u2=$!
rc1=0; rc2=0
wait $u1 || rc1=$?
wait $u2 || rc2=$?
expect_eq "$rc1.$rc2" "0.0" "exit statuses"
expect_eq "$(load_done "$LDIR")" 30 "complete tasks"
expect_eq "$(wc -l < "$LDIR/count.log" | tr -d ' ')" 120 "step runs"
expect_eq "$(sort -u "$LDIR/count.log" | wc -l | tr -d ' ')" 120 "distinct step runs"
t0=$(date +%s%N)
"$WORKER" -c "$CONF" -l "$E/until3.log" --until-idle
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 3000 ] || fail "an idle --until-idle run took $ms ms"

case_begin "--max-seconds ends an --until-idle run: a running step gets its grace"
new_task slow
t0=$(date +%s%N)
"$WORKER" -c "$CONF" -l "$E/until4.log" --until-idle --max-seconds 1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "$rc" 0 "exit status"
# 1 s of budget, then 2 s of grace for the step that holds
[ "$ms" -ge 2900 ] && [ "$ms" -lt 7000 ] || fail "took $ms ms"
expect_eq "$(ssql "$TASK" held 'status, attempts, ready_at IS NOT NULL')" \
    "pending	0	1" "held released"
touch "$TDIR/release"
"$WORKER" -c "$CONF" -l "$E/until5.log" --until-idle
req GET "/tasks/$TASK"
expect_jq .status '"complete"'

case_begin "worker.user: a worker started as root runs its handlers as that user"
if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: not running as root"
elif ! runuser -u nobody -- test -x "$TASKER_ROOT/t/fixtures/engine/bin/it_step.sh"; then
	echo "# skipped: nobody cannot reach $TASKER_ROOT"
else
	sed 's|^worker:|worker:\n  user: nobody|' "$CONF" > "$E/user.yaml"
	new_task envcheck
	chmod 755 "$T_TMP" "$E"
	chmod 777 "$TDIR"
	"$WORKER" -c "$E/user.yaml" -l "$E/user.log" --until-idle
	req GET "/tasks/$TASK"
	expect_jq .status '"complete"'
	expect_eq "$(step look .results.uid)" '"65534"' "the handler's uid"
	expect_eq "$(step look .results.home)" "\"$(getent passwd nobody | cut -d: -f6)\"" \
	    "the handler's HOME"
	expect_eq "$(stat -c %U "$TDIR/runs.log")" nobody "owner of what it wrote"
fi

case_begin "two workers of 3 processes, 200 tasks: every step runs exactly once"
LDIR=$E/load
mkdir -p "$LDIR"
CONF=$CONF_LOAD start_worker w4; W4=$WPID
CONF=$CONF_LOAD start_worker w5; W5=$WPID
t0=$SECONDS
post_load "$LDIR" 200
end=$((SECONDS + 120))
while [ $SECONDS -lt $end ]; do
	n=$(load_done "$LDIR")
	[ "$n" = 200 ] && break
	sleep 0.5
done
echo "# 200 tasks, 800 steps in $((SECONDS - t0)) s"
expect_eq "$n" 200 "complete tasks"
expect_eq "$(wc -l < "$LDIR/count.log" | tr -d ' ')" 800 "step runs"
expect_eq "$(sort -u "$LDIR/count.log" | wc -l | tr -d ' ')" 800 "distinct step runs"
expect_eq "$(awk '$3 != 1' "$LDIR/count.log" | wc -l | tr -d ' ')" 0 "runs past attempt 1"
# both workers took part
for w in w4 w5; do
	c=$(grep -c 'event=step' "$E/$w.log" || true)
	[ "$c" -gt 0 ] || fail "$w ran no step"
done
expect_eq "$(sql "SELECT COUNT(*) FROM workflow_steps WHERE lease_owner IS NOT NULL")" \
    0 "leases left"
stop_worker "$W4"
stop_worker "$W5"

case_begin "the database goes away while a step runs: the task completes once it is back"
start_worker w6
W6=$WPID
new_task slow
for i in $(seq 1 100); do [ -e "$TDIR/held.started" ] && break; sleep 0.1; done
"$TASKER_QUICKSTART" _db stop >/dev/null 2>&1
touch "$TDIR/release"
sleep 2
"$TASKER_QUICKSTART" _db start >/dev/null 2>&1 || fail "MariaDB did not start again"
wait_task "$TASK" complete 40
# recorded after the reconnect, or (lease gone) run again: either way once
expect_eq "$(nruns next)" 1 "next ran"
expect_eq "$(ssql "$TASK" held 'status')" complete "held"
stop_worker "$W6"
expect_eq "$WRC" 0 "the worker's exit status"

case_begin "no worker process crashed or reported a sanitizer error"
bad=$(grep -lE 'AddressSanitizer|LeakSanitizer|runtime error|event=child_exit' \
    "$E"/*.log 2>/dev/null || true)
[ -z "$bad" ] || fail "in $(echo $bad): $(grep -hE 'Sanitizer|runtime error|child_exit' $bad | head -5)"

finish
