#!/usr/bin/env bash
# test_retention.sh - retention (issue 19 item 5) against the real stack:
# `tasker-admin tasks purge` (dry run, export, a namespace at a time),
# the workers' housekeeping purging by the ages of retention: (a
# namespace with an age of 0 keeps its tasks), task_counts exact after
# purges raced by task creation and three workers, and the purge
# metrics.  Only this test's namespaces are ever purged.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
R=$T_TMP/ret
mkdir -p "$R/h"
CONF=$R/tasker.yaml
ADMIN="$TASKER_BUILD/tasker-admin -c $CONF"
EXPORT=$R/purged.jsonl
WPIDS=()

worker_conf "$CONF" "processes: 1" "heartbeat_seconds: 1"
cat >>"$CONF" <<EOF
retention:
  namespaces:
    it_ret_auto: { complete: 2s }
    it_ret_keep: { complete: 0 }
  export: $EXPORT
EOF

cleanup() {
	local pid
	for pid in "${WPIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${WPIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

for ns in it_ret it_ret_auto it_ret_keep; do
	cat >"$R/h/$ns.yaml" <<YAML
name: short
namespace_name: $ns
version: "1.0.0"
step_templates:
  - name: one
    handler_config: { command: "echo {}" }
  - name: two
    depends_on_step: one
    handler_config: { command: "echo {}" }
YAML
done

# post NS N: N tasks of NS/short.
post() {
	local i
	for i in $(seq 1 "$2"); do
		req POST /tasks -H 'Content-Type: application/json' \
		    -d "{\"namespace\": \"$1\", \"name\": \"short\", \"context\": {\"i\": $i}}"
		[ "$STATUS" = 201 ] || { fail "POST /tasks $1: $STATUS"; return 1; }
	done
}

# count NS [STATUS]: tasks of NS (in STATUS).
count() {
	sql "SELECT COUNT(*) FROM tasks WHERE namespace = '$1'${2:+ AND status = '$2'}"
}

# counts_exact: task_counts says what COUNT(*) says, for every handler
# version and status (one statement: one snapshot).
counts_exact() {
	local bad
	bad=$(sql "SELECT COUNT(*) FROM (
	    SELECT hv, st, SUM(c) AS c, SUM(n) AS n FROM (
	      SELECT handler_version_id AS hv, status AS st, COUNT(*) AS c, 0 AS n
	        FROM tasks GROUP BY handler_version_id, status
	      UNION ALL
	      SELECT handler_version_id, status, 0, SUM(n) FROM task_counts
	        GROUP BY handler_version_id, status) u
	    GROUP BY hv, st HAVING SUM(c) <> SUM(n)) d")
	[ "$bad" = 0 ] || { fail "task_counts differs from COUNT(*): $(sql "SELECT handler_version_id, status, SUM(n) FROM task_counts GROUP BY 1, 2")"; return 1; }
}

wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.3
	done
}

start_workers() {
	local i
	for i in 1 2 3; do
		"$TASKER_BUILD/tasker-worker" -c "$CONF" -l "$R/w$i.log" </dev/null \
		    >>"$R/w$i.log" 2>&1 &
		WPIDS+=("$!")
	done
}

all_complete() { [ "$(count "$1")" = "$(count "$1" complete)" ]; }

case_begin "setup: three namespaces of short handlers; the stack's workers stop"
stack_workers_stop
out=$($ADMIN handlers load "$R/h" 2>&1) || fail "load: $out"
# (A run before this one may have left finished tasks.)
for ns in it_ret it_ret_auto it_ret_keep; do
	$ADMIN tasks purge --older-than 0s --namespace $ns >/dev/null || fail "purge $ns"
done
rm -f "$EXPORT"
sql "DELETE FROM purge_counts WHERE namespace LIKE 'it_ret%'" || fail "clean"

case_begin "tasks purge: usage errors"
$ADMIN tasks purge >/dev/null 2>&1
expect_eq "$?" 2 "purge without --older-than"
$ADMIN tasks purge --older-than 3x >/dev/null 2>&1
expect_eq "$?" 2 "--older-than 3x"
$ADMIN tasks purge --older-than 1d --namespace Bad >/dev/null 2>&1
expect_eq "$?" 2 "--namespace Bad"
$ADMIN tasks purge --older-than 1d extra >/dev/null 2>&1
expect_eq "$?" 2 "an extra word"

case_begin "tasks purge --dry-run counts and deletes nothing"
post it_ret 12
start_workers
wait_until 60 all_complete it_ret || fail "tasks did not complete"
sleep 2.2   # older than 1 s by the database's clock (whole seconds)
n=$(count it_ret)
out=$($ADMIN tasks purge --older-than 1s --namespace it_ret --dry-run --json) || fail "dry run: $out"
expect_eq "$(jq -c '[.dry_run, .tasks.complete, .total]' <<<"$out")" "[true,$n,$n]" "dry run answer"
expect_eq "$(count it_ret)" "$n" "tasks after a dry run"
[ ! -s "$EXPORT" ] || fail "a dry run exported"
out=$($ADMIN tasks purge --older-than 1d --namespace it_ret --dry-run)
expect_eq "$out" "would purge 0 tasks (complete 0, cancelled 0, error 0)" "nothing a day old"

case_begin "tasks purge under concurrent creates: counts stay exact, export lines parse"
# Creates race the purges (another namespace too), while three workers
# run the new tasks.
( for i in $(seq 1 30); do
	curl -sS -o /dev/null -H "Authorization: Bearer $AUTH" \
	    -H 'Content-Type: application/json' -X POST "$TASKER_URL/tasks" \
	    -d "{\"namespace\": \"it_ret\", \"name\": \"short\", \"context\": {\"c\": $i}}"
	curl -sS -o /dev/null -H "Authorization: Bearer $AUTH" \
	    -H 'Content-Type: application/json' -X POST "$TASKER_URL/tasks" \
	    -d "{\"namespace\": \"it_ret_keep\", \"name\": \"short\", \"context\": {\"c\": $i}}"
  done ) &
cpid=$!
purged=0
for i in 1 2 3 4 5; do
	out=$($ADMIN tasks purge --older-than 0s --namespace it_ret --json) || fail "purge: $out"
	purged=$((purged + $(jq .total <<<"$out")))
	sleep 0.3
done
wait "$cpid"
wait_until 60 all_complete it_ret || fail "tasks did not complete"
wait_until 60 all_complete it_ret_keep || fail "it_ret_keep tasks did not complete"
sleep 1.1   # the database's clock is read in whole seconds
out=$($ADMIN tasks purge --older-than 0s --namespace it_ret --json) || fail "purge: $out"
purged=$((purged + $(jq .total <<<"$out")))
expect_eq "$(count it_ret)" 0 "it_ret tasks left"
expect_eq "$((purged))" "$((n + 30))" "tasks purged"
expect_eq "$(count it_ret_keep)" 30 "another namespace's tasks"
counts_exact
expect_eq "$(sql "SELECT COUNT(*) FROM workflow_steps s LEFT JOIN tasks t ON t.id = s.task_id WHERE t.id IS NULL")" 0 "orphan steps"
expect_eq "$(wc -l <"$EXPORT")" "$purged" "export lines"
jq -e -s 'all(.[]; .namespace == "it_ret" and .status == "complete" and (.steps | length) == 2 and (.id | length) == 36)' \
    "$EXPORT" >/dev/null || fail "export lines: $(head -c 300 "$EXPORT")"
expect_eq "$(jq -r .id "$EXPORT" | sort | uniq -d | wc -l)" 0 "a task exported twice"

case_begin "the workers' retention: it_ret_auto purged after 2 s, it_ret_keep (age 0) kept"
post it_ret_auto 5
none_left() { [ "$(count "$1")" = 0 ]; }
wait_until 60 none_left it_ret_auto || fail "it_ret_auto not purged: $(count it_ret_auto) left"
expect_eq "$(count it_ret_keep)" 30 "it_ret_keep tasks"
counts_exact
grep -q 'event=retention_purged' "$R"/w*.log || fail "no retention_purged log line"
expect_eq "$(jq -r 'select(.namespace == "it_ret_auto") | .id' "$EXPORT" | sort -u | wc -l)" 5 "exported by the workers"

case_begin "GET /metrics: tasks and rows purged"
req GET /metrics
expect_status 200
grep -q "^tasker_tasks_purged_total{namespace=\"it_ret\",status=\"complete\"} $purged\$" "$BODY_FILE" ||
    fail "purged metric: $(grep purged "$BODY_FILE")"
grep -q '^tasker_tasks_purged_total{namespace="it_ret_auto",status="complete"} 5$' "$BODY_FILE" ||
    fail "workers' purged metric: $(grep purged "$BODY_FILE")"
grep -qE '^tasker_purged_rows_total\{table="workflow_steps"\} [1-9]' "$BODY_FILE" ||
    fail "rows metric: $(grep purged_rows "$BODY_FILE")"

case_begin "cleanup: it_ret_keep purged by hand"
sleep 1.1
$ADMIN tasks purge --older-than 0s --namespace it_ret_keep >/dev/null || fail "purge it_ret_keep"
expect_eq "$(count it_ret_keep)" 0 "it_ret_keep tasks left"
counts_exact

finish
