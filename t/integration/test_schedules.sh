#!/usr/bin/env bash
# test_schedules.sh - recurring tasks (issue 19 item 2) against the real
# stack with three tasker-worker processes: exactly one task per tick,
# missed ticks skipped or caught up per policy, pause and resume, the
# next run times in GET /handlers/{ns}/{name}, GET /schedules and
# tasker-admin schedules.
#
# The clock that jumps is the schedule's own: a case moves a schedule's
# last handled tick (schedule_state.last_tick) minutes back, which is
# what the workers see after their host, or all of them, stood still
# that long.  The three workers then race for the same ticks; the counts
# are checked against the ticks the state says were handled, so a minute
# boundary passing during the test changes nothing.  Every schedule is
# paused at the end, so the stack's workers start none later.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
S=$T_TMP/sched
mkdir -p "$S/h"
CONF=$S/tasker.yaml
WPIDS=()
NS=it_sched

worker_conf "$CONF" "processes: 1" "heartbeat_seconds: 1"

cleanup() {
	local pid
	for pid in "${WPIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${WPIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for s in every catchup pausable berlin; do
		$TASKER_ADMIN schedules pause "$NS/ticker/$s" >/dev/null 2>&1
	done
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

cat >"$S/h/ticker.yaml" <<'YAML'
name: ticker
namespace_name: it_sched
version: "1.0.0"
schema:
  type: object
  properties:
    from: { type: string }
  additionalProperties: false
step_templates:
  - name: only
    handler_config:
      command: "echo {}"
schedules:
  - name: every
    cron: "* * * * *"
    context: { from: every }
  - name: catchup
    cron: "* * * * *"
    missed_ticks: catch_up
    catch_up_limit: 100
    context: { from: catchup }
  - name: pausable
    cron: "*/1 * * * *"
  - name: berlin
    description: half past two, Berlin time
    cron: "30 2 * * *"
    timezone: Europe/Berlin
YAML

# state SCHEDULE COLUMN: one column of its schedule_state row.
state() {
	sql "SELECT $2 FROM schedule_state WHERE namespace = '$NS'
	    AND handler = 'ticker' AND schedule = '$1'"
}

# ntasks SCHEDULE: how many tasks that schedule's ticks started.
ntasks() {
	sql "SELECT COUNT(*) FROM tasks WHERE namespace = '$NS'
	    AND initiator = 'schedule:$1'"
}

# ticks SCHEDULE: the ticks whose task was started (one per line).
ticks() {
	sql "SELECT SUBSTRING_INDEX(idem_key, '/', -1) FROM idempotency_keys
	    WHERE principal = 'tasker:schedule'
	    AND idem_key LIKE '$NS/ticker/$1/%' ORDER BY 1"
}

# wait_until SECONDS CONDITION...: polls the condition (a command).
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# rewind SCHEDULE MINUTES: its last handled tick goes MINUTES back from
# the latest minute; LAST gets that tick.
rewind() {
	LAST=$(sql "SELECT UNIX_TIMESTAMP() - UNIX_TIMESTAMP() % 60 - 60 * $2")
	sql "UPDATE schedule_state SET last_tick = $LAST WHERE namespace = '$NS'
	    AND handler = 'ticker' AND schedule = '$1'"
}

# handled SCHEDULE AFTER: the last handled tick moved past AFTER.
handled() { [ "$(state "$1" last_tick)" -gt "$2" ]; }

# ---------------------------------------------------------------- setup

case_begin "setup: a handler with schedules loads; the stack's workers stop"
sql "DELETE FROM schedule_state WHERE namespace = '$NS';
    DELETE FROM idempotency_keys WHERE principal = 'tasker:schedule'" ||
    fail "clean"
stack_workers_stop
out=$($TASKER_ADMIN handlers load "$S/h" 2>&1) || fail "load: $out"
wait_loaded "$NS" ticker || fail "the handler does not show"

case_begin "GET /handlers/{ns}/{name}: the schedules with their next runs"
req GET "/handlers/$NS/ticker"
expect_status 200
expect_jq '[.schedules[].name]' '["every","catchup","pausable","berlin"]'
expect_jq '.schedules[0].next_run_at | length' 3
expect_jq '.schedules[0].paused' false
expect_jq '.schedules[0].last_tick_at' null
expect_jq '.schedules[0].context' '{"from":"every"}'
expect_jq '.schedules[1] | [.missed_ticks, .catch_up_limit]' '["catch_up",100]'
expect_jq '.schedules[0] | [.missed_ticks, .catch_up_limit]' '["skip",null]'
# Every minute: the next three runs a minute apart, on the minute.
expect_jq '.schedules[0].next_run_at | map(fromdate) |
    (.[1] - .[0] == 60 and .[2] - .[1] == 60 and (.[0] % 60) == 0)' true
# 02:30 in Berlin is 00:30 or 01:30 UTC, by the season.
expect_jq '.schedules[3].next_run_at | map(.[11:16]) |
    all(. == "00:30" or . == "01:30")' true
expect_jq '.schedules[3].timezone' '"Europe/Berlin"'

case_begin "GET /schedules lists them; tasker-admin schedules list agrees"
req GET "/schedules?namespace=$NS"
expect_status 200
expect_jq '[.schedules[] | .handler + "/" + .name]' \
    '["ticker/every","ticker/catchup","ticker/pausable","ticker/berlin"]'
api=$(jq -c '[.schedules[] | [.name, .cron, .timezone, .paused]]' "$BODY_FILE")
cli=$($TASKER_ADMIN schedules list --namespace "$NS" --json |
    jq -c '[.schedules[] | [.name, .cron, .timezone, .paused]]')
expect_eq "$cli" "$api" "tasker-admin schedules list --json"
$TASKER_ADMIN schedules list --namespace "$NS" | grep -q "^$NS/ticker/berlin  '30 2 \* \* \*' Europe/Berlin  active  next " ||
    fail "text list: $($TASKER_ADMIN schedules list --namespace "$NS" 2>&1)"
req GET "/schedules?namespace=Bad-Name"
expect_status 400
req GET "/schedules?bogus=1"
expect_status 400

case_begin "three workers: a schedule first seen starts nothing from before"
T0=$(sql "SELECT UNIX_TIMESTAMP()")
for i in 1 2 3; do
	"$TASKER_BUILD/tasker-worker" -c "$CONF" -l "$S/w$i.log" </dev/null \
	    >>"$S/w$i.log" 2>&1 &
	WPIDS+=("$!")
done
nstates() { [ "$(sql "SELECT COUNT(*) FROM schedule_state WHERE namespace = '$NS'")" = "$1" ]; }
wait_until 20 nstates 4 ||
    fail "state rows: $(sql "SELECT * FROM schedule_state")"
for t in $(ticks every) $(ticks catchup); do
	[ "$t" -gt "$T0" ] || fail "tick $t before the workers started ($T0)"
done

case_begin "catch_up: after a 12-minute jump, one task per missed tick, raced by three workers"
rewind catchup 12
L=$LAST
wait_until 30 handled catchup $((L + 11 * 60)) || fail "last_tick: $(state catchup last_tick)"
sleep 2   # a tick another worker was still starting
H=$(state catchup last_tick)
want=$(( (H - L) / 60 ))
got=$(ticks catchup | awk -v l="$L" -v h="$H" '$1 > l && $1 <= h' | wc -l)
expect_eq "$got" "$want" "ticks started in (last, handled]"
[ "$want" -ge 12 ] || fail "only $want ticks handled"
expect_eq "$(ticks catchup | sort | uniq -d | wc -l)" 0 "a tick started twice"
expect_eq "$(ntasks catchup)" "$(ticks catchup | wc -l)" "one task per tick"
# On the minute, a minute apart.
ticks catchup | awk -v l="$L" -v h="$H" '$1 > l && $1 <= h { if ($1 % 60) bad = 1 } END { exit bad }' ||
    fail "ticks not on the minute: $(ticks catchup | tr '\n' ' ')"
id=$(state catchup 'HEX(last_task_id)')
[ -n "$id" ] && [ "$id" != NULL ] || fail "last_task_id not kept"

case_begin "the started task: the schedule's context, as POST /tasks makes it"
id=$(sql "SELECT LOWER(CONCAT_WS('-', SUBSTR(HEX(id),1,8), SUBSTR(HEX(id),9,4),
    SUBSTR(HEX(id),13,4), SUBSTR(HEX(id),17,4), SUBSTR(HEX(id),21)))
    FROM tasks WHERE namespace = '$NS' AND initiator = 'schedule:catchup'
    ORDER BY id DESC LIMIT 1")
req GET "/tasks/$id"
expect_status 200
expect_jq '.context' '{"from":"catchup"}'
expect_jq '.source_system' '"tasker-scheduler"'
expect_jq '.reason | startswith("schedule catchup, tick ")' true
unfinished() { sql "SELECT COUNT(*) FROM tasks WHERE namespace = '$NS' AND status <> 'complete'"; }
none_unfinished() { [ "$(unfinished)" = 0 ]; }
wait_until 20 none_unfinished || fail "tasks did not run to complete: $(unfinished) left"

case_begin "skip: after a 10-minute jump, only the latest missed tick starts"
# A tick may have started before the jump (the workers run all along and
# a minute may have turned): only ticks started since count as the
# jump's, and the schedule is paused before counting, so no minute
# turning between two reads changes a count.
old=" $(ticks every | tr '\n' ' ') "
before=$(ntasks every)
rewind every 10
L=$LAST
wait_until 30 handled every $((L + 9 * 60)) || fail "last_tick: $(state every last_tick)"
$TASKER_ADMIN schedules pause "$NS/ticker/every" >/dev/null 2>&1
sleep 2
H=$(state every last_tick)
fresh=$(ticks every | awk -v old="$old" 'index(old, " " $1 " ") == 0')
expect_eq "$(echo "$fresh" | awk -v l="$L" 'NF && $1 > l && $1 <= l + 540' | wc -l)" 0 \
    "tasks of the 9 older missed ticks"
ticks every | grep -qx "$H" || fail "the latest handled tick $H has no task"
expect_eq "$(( $(ntasks every) - before ))" "$(echo "$fresh" | grep -c .)" \
    "one task per started tick"

case_begin "pause: no tick starts; GET /schedules says paused, no next runs"
out=$($TASKER_ADMIN schedules pause "$NS/ticker/pausable" 2>&1) || fail "pause: $out"
expect_eq "$out" "$NS/ticker/pausable: paused" "pause output"
sleep 1
old=" $(ticks pausable | tr '\n' ' ') "
before=$(ntasks pausable)
rewind pausable 5
PL=$LAST
sleep 3
expect_eq "$(ntasks pausable)" "$before" "tasks started while paused"
expect_eq "$(state pausable last_tick)" "$LAST" "last_tick moved while paused"
req GET "/schedules?namespace=$NS"
expect_jq '.schedules[] | select(.name == "pausable") | [.paused, .next_run_at]' '[true,[]]'

case_begin "resume: ticks start again from the resume on"
R=$(sql "SELECT UNIX_TIMESTAMP()")
out=$($TASKER_ADMIN schedules resume "$NS/ticker/pausable" 2>&1) || fail "resume: $out"
[ "$(state pausable last_tick)" -ge "$R" ] ||
    fail "resume kept the paused ticks: last_tick $(state pausable last_tick) < $R"
expect_eq "$(ticks pausable | awk -v old="$old" -v l="$PL" -v r="$R" \
    'index(old, " " $1 " ") == 0 && $1 > l && $1 <= r' | wc -l)" 0 \
    "ticks of the pause started"
rewind pausable 2
wait_until 20 handled pausable "$LAST" || fail "no tick after resume"
sleep 1
H=$(state pausable last_tick)
ticks pausable | grep -qx "$H" || fail "no task for the tick $H after resume"

case_begin "tasker-admin schedules: bad names are usage errors, unknown ones refused"
$TASKER_ADMIN schedules pause "$NS/ticker" >/dev/null 2>&1
expect_eq "$?" 2 "pause NS/HANDLER"
$TASKER_ADMIN schedules pause "$NS/ticker/Bad" >/dev/null 2>&1
expect_eq "$?" 2 "pause with a bad name"
$TASKER_ADMIN schedules pause "$NS/ticker/nosuch" >/dev/null 2>&1
expect_eq "$?" 1 "pause an unknown schedule"
$TASKER_ADMIN schedules bogus >/dev/null 2>&1
expect_eq "$?" 2 "schedules bogus"

finish
