#!/usr/bin/env bash
# test_tasks_admin.sh - `tasker-admin tasks list|show|cancel|retry` and
# `tasker-admin health` against the running stack (issue 17, item 1):
# the tasks commands answer as the API does (its filters, messages, JSON
# and state rules), cancel and retry record the actor "admin:<unix
# user>", health says what /health/status says and exits 1 once no
# worker is live.  (After test_discovery, which counts the handlers: the
# test handlers of t/fixtures/tasks are loaded here.)
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/t/fixtures/tasks/it_lib.sh"

. "$(dirname "$0")/cli_lib.sh"

AUTH=$(token)
ACTOR="admin:$(id -un)"
SEE="tasker-admin help tasks"

case_begin "setup: the test handlers load"
tasks_setup || fail "setup"

# ------------------------------------------------------------------ list

case_begin "tasks list: the API's filters, the same tasks and counts"
# (it_tasks only: test_tasks_list counts on an empty it_tasks2.)
for n in 1 2 3; do
	new_task pages "{\"n\": $n}" >/dev/null || fail "new task $n"
done
run $TASKER_ADMIN tasks list namespace=it_tasks --name pages --per-page 2 --json
expect_rc 0 "tasks list namespace=it_tasks"
req GET "/tasks?namespace=it_tasks&name=pages&per_page=2"
expect_eq "$(jqo '.pagination.total_count')" "$(jq -c .pagination.total_count <"$BODY_FILE")" "total_count as the API's"
expect_eq "$(jqo '[.tasks[] | [.namespace, .name]] | unique')" '[["it_tasks","pages"]]' "tasks listed"
expect_eq "$(jqo '.pagination.per_page')" 2 "per_page from --per-page"
expect_eq "$(jqo '[.tasks[].id]')" "$(jq -c '[.tasks[].id]' <"$BODY_FILE")" "the API's page"
run $TASKER_ADMIN tasks list --namespace it_tasks --name=pages
expect_rc 0 "tasks list (text)"
head -1 "$OUT" | grep -q '^ID  *STATUS  *CREATED_AT  *TASK$' ||
    fail "text header: $(head -1 "$OUT")"
grep -q ' it_tasks/pages ' "$OUT" || fail "text rows: $(head -3 "$OUT")"
tail -1 "$OUT" | grep -qE '^page 1 of [0-9]+, [0-9]+ tasks?$' ||
    fail "text summary: $(tail -1 "$OUT")"

case_begin "tasks list: a value or a name the API refuses is bad usage, exit 2"
run $TASKER_ADMIN tasks list status=bogus
expect_hint tasker-admin "$SEE" "status=bogus"
grep -q 'Invalid request parameters; status: ' "$ERR" ||
    fail "status=bogus: the API's message: $(cat "$ERR")"
run $TASKER_ADMIN tasks list --bogus 1
expect_hint tasker-admin "$SEE" "--bogus 1"
grep -q "bogus: is not a known parameter" "$ERR" ||
    fail "--bogus: the API's message: $(cat "$ERR")"
run $TASKER_ADMIN tasks list per_page=0
expect_hint tasker-admin "$SEE" "per_page=0"
run $TASKER_ADMIN tasks list --status
expect_hint tasker-admin "$SEE" "--status without a value"
run $TASKER_ADMIN tasks list status
expect_hint tasker-admin "$SEE" "a word that is no NAME=VALUE"
run $TASKER_ADMIN tasks bogus
expect_hint tasker-admin "$SEE" "tasks bogus"
run $TASKER_ADMIN tasks show
expect_hint tasker-admin "$SEE" "tasks show without ID"
run $TASKER_ADMIN tasks cancel 1 --reason
expect_hint tasker-admin "$SEE" "cancel --reason without TEXT"

# ------------------------------------------------------------------ show

case_begin "tasks show --json: the body of GET /tasks/{id}, byte for byte"
id=$(new_task inert) || fail "new task"
if workers_running; then wait_status "$id" error || fail "inert task did not fail"
else forge_error "$id"; fi
run $TASKER_ADMIN tasks show "$id" --json
expect_rc 0 "tasks show --json"
req GET "/tasks/$id"
expect_status 200
cmp -s "$OUT" <(cat "$BODY_FILE"; echo) ||
    fail "tasks show --json differs from GET /tasks/$id: $(head -c 300 "$OUT") / $(head -c 300 "$BODY_FILE")"
run $TASKER_ADMIN tasks show "$id"
expect_rc 0 "tasks show (text)"
grep -q "^status  *error$" "$OUT" || fail "text status: $(cat "$OUT")"
grep -q "^priority  *0$" "$OUT" || fail "text priority: $(cat "$OUT")"
grep -q "^STEP  *STATUS  *ATTEMPTS  *LAST_ERROR$" "$OUT" ||
    fail "text steps: $(cat "$OUT")"
run $TASKER_ADMIN tasks show 01900000-0000-7000-8000-000000000000
expect_rc 1 "show of an unknown task"
grep -q "not found" "$ERR" || fail "unknown task: $(cat "$ERR")"
# An id the API cannot take in a path is its 400: bad usage.
run $TASKER_ADMIN tasks show $'\e[2J\x9b'
expect_rc 2 "show of a hostile id"
grep -q $'\e' "$ERR" && fail "a control byte reached the terminal: $(od -c "$ERR" | head -3)"
expect_eq "$(wc -l <"$ERR")" 1 "hostile id: lines on stderr"

# --------------------------------------------------- retry, then health

case_begin "tasks retry: a task in error goes again, the actor is the admin"
run $TASKER_ADMIN tasks retry "$id" --json
expect_rc 0 "tasks retry"
expect_eq "$(jqo .id)" "\"$id\"" "retried task id"
expect_eq "$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id = $(sql_id "$id") AND actor = '$ACTOR' AND reason = 'retried with tasker-admin'")" 1 "step transition by $ACTOR"
sleep 0.2
if workers_running; then wait_status "$id" error || fail "retried task did not fail again"; fi
run $TASKER_ADMIN tasks retry "$id" --reason "second go"
expect_rc 0 "tasks retry --reason"
expect_eq "$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id = $(sql_id "$id") AND actor = '$ACTOR' AND reason = 'second go'")" 1 "reason recorded"

case_begin "health: healthy with the stack's workers, as /health/status says"
for i in $(seq 1 50); do
	run $TASKER_ADMIN health --json
	[ "$RC" = 0 ] && break
	sleep 0.2
done
expect_rc 0 "health --json"
expect_eq "$(jqo '[.status, .problems, .database, .schema.current]')" '["ok",[],"ok",true]' "health --json"
req GET /health/status
expect_eq "$(jqo '.schema.version')" "$(jq .schema.version <"$BODY_FILE")" "schema version as the API's"
expect_eq "$(jqo '.workers.live')" "$(jq .workers.live <"$BODY_FILE")" "live workers as the API's"
run $TASKER_ADMIN health
expect_rc 0 "health"
expect_eq "$(head -1 "$OUT")" "health: ok" "text verdict"
run $TASKER_ADMIN health extra
expect_rc 2 "health extra"

case_begin "health: no live worker is unhealthy, exit 1"
stack_workers_stop
run $TASKER_ADMIN health --json
expect_rc 1 "health --json without workers"
expect_eq "$(jqo '[.status, .problems]')" '["degraded",["no live worker"]]' "health --json"
run $TASKER_ADMIN health
expect_rc 1 "health without workers"
expect_eq "$(head -1 "$OUT")" "health: unhealthy: no live worker" "text verdict"

# ---------------------------------------- cancel (no worker runs the task)

case_begin "tasks cancel: the API shows it cancelled, the actor is the admin"
cid=$(new_task inert) || fail "new task"
run $TASKER_ADMIN tasks cancel "$cid" --json
expect_rc 0 "tasks cancel"
expect_eq "$(jqo .status)" '"cancelled"' "answer's status"
req GET "/tasks/$cid"
expect_jq .status '"cancelled"'
expect_eq "$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id = $(sql_id "$cid") AND to_status = 'cancelled' AND actor = '$ACTOR' AND reason = 'cancelled with tasker-admin'")" \
    "$(sql "SELECT COUNT(*) FROM workflow_steps WHERE task_id = $(sql_id "$cid")")" "every step cancelled by $ACTOR"
run $TASKER_ADMIN tasks cancel "$cid"
expect_rc 1 "cancel of a cancelled task"
grep -q "is already cancelled; only a task that has not finished can be cancelled" "$ERR" ||
    fail "the API's 409 message: $(cat "$ERR")"
run $TASKER_ADMIN tasks retry "$cid"
expect_rc 1 "retry of a cancelled task"
grep -q "only a task in error can be retried" "$ERR" || fail "409: $(cat "$ERR")"

stack_workers_start
finish
