#!/usr/bin/env bash
# test_trust_lease.sh - a handler never outlives its lease, and a finished
# attempt's outcome is not thrown away (README "Leases, stalls and
# fencing tokens", "Outcomes are recorded, not thrown away"):
#   a. a worker process stopped (kill -STOP) mid-step: its handler is
#      killed before the lease expires, a later attempt runs in another
#      process, the two never overlap; resumed, the stopped process
#      records nothing.
#   b. MariaDB stopped mid-step for longer than the lease: the same.
#   c. MariaDB stopped for less than the lease while the step finishes:
#      its result is recorded once, the step is not run again; and a
#      worker's reaper never takes back a lease its own live process
#      holds, even when the database says it has expired.
#   d. a handler printing invalid UTF-8 fails its attempt at once, with
#      the cause in last_error (not "lease expired").
#   e. the fencing token is on stdin and in the environment, and grows
#      with every attempt.
# The handlers are t/fixtures/lease/handlers (namespace it_lease), all
# running t/fixtures/lease/bin/lease_step.sh, which logs start/tick/end
# lines with its pid to lease.log in the task's folder and, at its start,
# an "overlap" line when an earlier run of the step is still alive.  The
# stack's own workers are stopped meanwhile; ours use a copy of the
# configuration with a 6 s lease renewed every second.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
E=$T_TMP/lease
mkdir -p "$E"
CONF=$E/tasker.yaml
WORKER=$TASKER_BUILD/tasker-worker
LEASE=6
NT=0
WPIDS=()
STOPPED=()

worker_conf "$CONF" "processes: 2" "lease_seconds: $LEASE" \
    "heartbeat_seconds: 1" "backoff_base_seconds: 1" \
    "backoff_cap_seconds: 1" "shutdown_grace_seconds: 2" \
    "max_output_bytes: 67108864"

start_worker() {
	"$WORKER" -c "$CONF" -l "$E/$1.log" </dev/null >>"$E/$1.log" 2>&1 &
	WPID=$!
	WPIDS+=("$WPID")
}

stop_worker() {
	kill -TERM "$1" 2>/dev/null || true
	WRC=0
	wait "$1" 2>/dev/null || WRC=$?
}

mariadb_pid() { head -1 "$TASKER_RUN/mariadb.pid"; }

cleanup() {
	local pid c
	for pid in "${STOPPED[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
	sql "DROP TRIGGER IF EXISTS it_lease_refuse" 2>/dev/null || true
	for pid in "${WPIDS[@]}"; do
		for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill -9 "$c" 2>/dev/null || true; done
		kill -9 "$pid" 2>/dev/null || true
	done
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# new_task NAME [CONTEXT]: POST /tasks of it_lease/NAME (context: CONTEXT
# plus the folder); sets TASK, TDIR, LOG.
new_task() {
	local body ctx='{}'
	[ $# -ge 2 ] && ctx=$2
	NT=$((NT + 1))
	TDIR=$E/t$NT
	LOG=$TDIR/lease.log
	mkdir -p "$TDIR"
	body=$(jq -cn --arg n "$1" --arg d "$TDIR" --argjson c "$ctx" \
	    '{namespace: "it_lease", name: $n, version: "1.0.0",
	      context: ({dir: $d} + $c)}')
	req POST /tasks -H 'Content-Type: application/json' -d "$body"
	TASK=$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)
	if [ "$STATUS" != 201 ] || [ -z "$TASK" ]; then
		fail "POST /tasks $1: $STATUS $(head -c 300 "$BODY_FILE")"
		TASK=none
	fi
}

# wait_task ID STATUS SECONDS
wait_task() {
	local end=$((SECONDS + $3)) st=""
	while :; do
		req GET "/tasks/$1"
		st=$(jq -r '.status // empty' "$BODY_FILE" 2>/dev/null)
		[ "$st" = "$2" ] && return 0
		if [ $SECONDS -ge "$end" ]; then
			fail "task $1 is '$st', not '$2', after $3 s"
			return 1
		fi
		sleep 0.3
	done
}

# wait_starts N SECONDS: until lease.log has N start lines.
wait_starts() {
	local i n
	for i in $(seq 1 $(($2 * 10))); do
		n=$(grep -c '^start ' "$LOG" 2>/dev/null || true)
		[ "${n:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "no start line $1 within $2 s"
	return 1
}

# start_pid N: the pid of the Nth run; start_token N: its stdin token.
start_pid() { awk -v n="$1" '$1 == "start" && ++i == n { print $2 }' "$LOG"; }
start_token() { awk -v n="$1" '$1 == "start" && ++i == n { print $4 }' "$LOG"; }

# alive PID: exists and is not a zombie (a killed handler whose worker
# is stopped stays a zombie until the worker reaps it).
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
}

# group_alive PGID: a live (not zombie) process in that group.
group_alive() {
	ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# wait_dead PID SECONDS: until PID and its group are gone (or zombies).
wait_dead() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		alive "$1" || group_alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

# no_overlap: the runs in lease.log never overlapped.  A run's interval
# is its start line to its last tick/end line; the next run's start must
# come after it, and no run saw an earlier one alive when it started.
no_overlap() {
	local bad
	bad=$(grep '^overlap ' "$LOG" || true)
	[ -z "$bad" ] || fail "a run started while an earlier one was alive: $bad"
	bad=$(awk '
	$1 == "start" { order[++n] = $2; first[$2] = $6; last[$2] = $6 }
	$1 == "tick" || $1 == "end" { last[$2] = $3 }
	END { for (i = 2; i <= n; i++) if (first[order[i]] <= last[order[i-1]])
		printf "%s ran until %s, %s started at %s; ", order[i-1],
		    last[order[i-1]], order[i], first[order[i]] }' "$LOG")
	[ -z "$bad" ] || fail "overlap: $bad"
}

hex() { echo "${1//-/}"; }
ssql() {
	sql "SELECT $2 FROM workflow_steps WHERE task_id = UNHEX('$(hex "$1")')"
}

# ---------------------------------------------------------------- setup

$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/lease/handlers" >/dev/null ||
    echo "# handlers load failed"
sleep 1.1
for i in $(seq 1 50); do
	req GET /handlers/it_lease
	[ "$STATUS" = 200 ] && break
	sleep 0.2
done
stack_workers_stop
start_worker w1
W1=$WPID
sleep 0.5

# ---------------------------------------------------------------- a

case_begin "a stopped worker process: its handler dies before the lease expires, a later attempt never overlaps it"
new_task held
wait_starts 1 15
A=$(start_pid 1)
CHILD=$(ps -o ppid= -p "$A" | tr -d ' ')
kill -STOP "$CHILD"
STOPPED+=("$CHILD")
t0=$SECONDS
# The watchdog kills it at the last renewal + lease - 2 s: within 4 s of
# the stop, well before the lease (6 s after the last renewal) is over.
wait_dead "$A" "$LEASE" || fail "handler $A (or its group) still alive $((SECONDS - t0)) s after its worker stopped"
kill -0 "$CHILD" 2>/dev/null || fail "the stopped worker process is gone (the test did not test anything)"
wait_starts 2 20
B=$(start_pid 2)
[ -n "$B" ] && [ "$(ps -o ppid= -p "$B" | tr -d ' ')" != "$CHILD" ] ||
    fail "attempt 2 did not run in another process"
wait_task "$TASK" complete 20
no_overlap
expect_eq "$(awk '$1 == "start" { print $3 }' "$LOG" | paste -sd' ')" "1 2" "attempts run"
results=$(ssql "$TASK" "results")
# Resumed, the stopped process finds its attempt fenced: nothing recorded.
kill -CONT "$CHILD"
STOPPED=()
sleep 2
expect_eq "$(ssql "$TASK" "status, attempts")" "complete	2" "step status, attempts"
expect_eq "$(ssql "$TASK" "results")" "$results" "results after the resume"
n=$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id = UNHEX('$(hex "$TASK")')
    AND actor LIKE '%/$CHILD'")
expect_eq "$n" 1 "transitions by the stopped process (its claim only)"
expect_eq "$(ssql "$TASK" "last_error LIKE '%attempt 1 lost%'")" 1 "last_error names the lost attempt"
kill -0 "$CHILD" 2>/dev/null || fail "the resumed worker process died"

# ---------------------------------------------------------------- b

case_begin "MariaDB stopped mid-step for longer than the lease: the handler dies, no overlap"
new_task held
wait_starts 1 15
A=$(start_pid 1)
DB=$(mariadb_pid)
kill -STOP "$DB"
STOPPED+=("$DB")
t0=$SECONDS
wait_dead "$A" "$LEASE" || fail "handler $A still alive $((SECONDS - t0)) s into the outage"
left=$((LEASE + 2 - (SECONDS - t0)))
[ "$left" -gt 0 ] && sleep "$left"
kill -CONT "$DB"
STOPPED=()
wait_task "$TASK" complete 40
no_overlap
expect_eq "$(awk '$1 == "start" { print $3 }' "$LOG" | paste -sd' ')" "1 2" "attempts run"

# ---------------------------------------------------------------- c

case_begin "MariaDB stopped for less than the lease while the step finishes: recorded once, not run again"
# The handler ends just after MariaDB stops (it waits for the file go), so
# its outcome waits 3.5 s for the database: far less than the lease, and
# the handler's end is far from its kill deadline (at least 3 s after the
# stop) even on a loaded machine.
new_task gate
wait_starts 1 15
DB=$(mariadb_pid)
t_stop=$(date +%s%N)
kill -STOP "$DB"
STOPPED+=("$DB")
touch "$TDIR/go"
sleep 3.5
kill -CONT "$DB"
t_cont=$(date +%s%N)
STOPPED=()
wait_task "$TASK" complete 20
sleep 1
expect_eq "$(grep -c '^start ' "$LOG")" 1 "runs"
t_end=$(awk '$1 == "end" { print $3; exit }' "$LOG")
[ -n "$t_end" ] && [ "$t_end" -gt "$t_stop" ] && [ "$t_end" -lt "$t_cont" ] ||
    fail "the handler did not end during the outage (the test did not test anything)"
expect_eq "$(ssql "$TASK" "status, attempts, JSON_VALUE(results, '\$.attempt')")" \
    "complete	1	1" "step status, attempts, results"
expect_eq "$(ssql "$TASK" "last_error IS NULL")" 1 "no error recorded"
[ "$(grep -c '^start ' "$LOG")" = 1 ] ||
    echo "# last_error: $(ssql "$TASK" "last_error" | head -c 300); worker log: $(grep -E 'lease|lost|step_id' "$E/w1.log" | tail -5)"

# ---------------------------------------------------------------- c2

case_begin "a worker's reaper never takes back a lease its own live process holds"
# The database says the lease has expired (as after an outage its clock
# ran through, while the worker's own was stopped with it), but the
# process holding it is alive and renewing: only another worker may take
# the step, after the real expiry.  For 6 s the expiry is pushed into the
# past five times a second; w1's reaper looks every second.
new_task held
wait_starts 1 15
A=$(start_pid 1)
step_id=$(sql "SELECT id FROM workflow_steps WHERE task_id = UNHEX('$(hex "$TASK")')")
for i in $(seq 1 30); do
	sql "UPDATE workflow_steps SET lease_expires_at = UTC_TIMESTAMP(6)
	    - INTERVAL 1 SECOND WHERE id = $step_id AND status = 'in_progress'"
	sleep 0.2
done
expect_eq "$(grep -c '^start ' "$LOG")" 1 "runs"
expect_eq "$(ssql "$TASK" "status, attempts")" "in_progress	1" "step status, attempts"
expect_eq "$(sql "SELECT COUNT(*) FROM step_transitions WHERE step_id = $step_id
    AND reason LIKE '%lease expired%'")" 0 "steps taken back"
alive "$A" || fail "the handler was stopped"
req DELETE "/tasks/$TASK"
wait_task "$TASK" cancelled 10
wait_dead "$A" 10 || fail "handler $A still alive after the cancel"

# ---------------------------------------------------------------- d

case_begin "output with invalid UTF-8 fails the attempt at once, saying so"
new_task badutf8
wait_task "$TASK" error 5
err=$(ssql "$TASK" "last_error")
case $err in
*"not valid UTF-8"*) ;;
*) fail "last_error: $err" ;;
esac
case $err in *lease*) fail "last_error speaks of the lease: $err" ;; esac
expect_eq "$(ssql "$TASK" "attempts")" 1 "attempts"

case_begin "output larger than the database takes fails the attempt at once, saying so"
mp=$(sql "SELECT @@max_allowed_packet")
if [ "$mp" -gt 60000000 ]; then
	echo "# skipped: max_allowed_packet is $mp, more than worker.max_output_bytes allows"
else
	new_task big "{\"n\": $((mp + 100))}"
	wait_task "$TASK" error 15
	err=$(ssql "$TASK" "last_error")
	case $err in
	*"more than the database takes"*"max_allowed_packet $mp"*) ;;
	*) fail "last_error: $(printf '%s' "$err" | head -c 300)" ;;
	esac
	expect_eq "$(ssql "$TASK" "attempts, results IS NULL")" "1	1" "attempts, no results"
fi

case_begin "output the database refuses when recording fails the attempt with the database's reason"
# A trigger stands in for any refusal that is not transient.
mariadb --no-defaults -S "$TASKER_DB_SOCKET" -u root tasker <<'SQL'
DELIMITER //
CREATE TRIGGER it_lease_refuse BEFORE UPDATE ON workflow_steps FOR EACH ROW
IF NEW.results LIKE '%it-lease-refuse-me%' THEN
	SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'it_lease: refused';
END IF //
SQL
new_task say '{"say": "it-lease-refuse-me"}'
wait_task "$TASK" error 15
sql "DROP TRIGGER IF EXISTS it_lease_refuse"
err=$(ssql "$TASK" "last_error")
case $err in
*"the database refused the handler's output"*"it_lease: refused"*) ;;
*) fail "last_error: $err" ;;
esac
case $err in *lease\ *|*expired*) fail "last_error speaks of the lease: $err" ;; esac
expect_eq "$(ssql "$TASK" "attempts, results IS NULL")" "1	1" "attempts, no results"
expect_eq "$(grep -c '^start ' "$LOG")" 1 "runs"

# ---------------------------------------------------------------- e

case_begin "the fencing token is on stdin and in the environment and grows per attempt"
new_task flaky
wait_task "$TASK" complete 20
t1=$(start_token 1)
t2=$(start_token 2)
expect_eq "$(awk '$1 == "start" { print ($4 == $5) }' "$LOG" | paste -sd' ')" "1 1" "stdin token = TASKER_FENCING_TOKEN"
expect_eq "${t1%%.*} ${t2%%.*}" "1 2" "attempt numbers in the tokens"
[ -n "$t1" ] && [ -n "$t2" ] && [ "${t2#*.}" -gt "${t1#*.}" ] ||
    fail "lease epoch did not grow: $t1 then $t2"
expect_eq "$(ssql "$TASK" "JSON_VALUE(results, '\$.token'), JSON_VALUE(results, '\$.env_token'), lease_epoch")" \
    "$t2	$t2	${t2#*.}" "results token, env token, lease_epoch"

# ---------------------------------------------------------------- end

case_begin "the worker stops cleanly, no process crashed"
stop_worker "$W1"
expect_eq "$WRC" 0 "the worker's exit status"
bad=$(grep -hE 'AddressSanitizer|LeakSanitizer|runtime error|event=child_exit|event=watchdog_exit' \
    "$E"/*.log 2>/dev/null || true)
[ -z "$bad" ] || fail "$(echo "$bad" | head -5)"
grep -q 'event=lease_fenced' "$E/w1.log" || fail "no lease_fenced event in the worker's log"

finish
