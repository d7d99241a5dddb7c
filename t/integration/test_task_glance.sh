#!/usr/bin/env bash
# test_task_glance.sh - a task's state at a glance and its cheap
# conditional GET (issue 20 items 4 and 5), through nginx -> tasker-fcgi
# -> MariaDB with the stack's real worker:
#   - execution_status, recommended_action, completion_percentage and the
#     steps' dependencies_satisfied, retry_eligible, next_retry_at and
#     max_attempts as the task moves (worker, retry, resolve, cancel);
#   - the ETag derives from the task's row_version: 304 on an unchanged
#     task (GET and HEAD; strong, weak, list and * forms of
#     If-None-Match), 200 with a new tag after each kind of change, and
#     the 304 costs one primary-key read (MariaDB's Com_stmt_execute: one
#     statement per 304, none of them the steps');
#   - stale: a pending task older than api.stale_after.pending_seconds is
#     flagged, changes the tag, is said by the analysis, filtered by
#     GET /tasks?stale= and counted by tasker_tasks_stale.
#
# The stack's workers are stopped while a task must hold still and
# started again for the worker's part (and at the end, whatever happens).
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/t/fixtures/tasks/it_lib.sh"

AUTH=$(token)
trap 'stack_workers_start; rm -rf "$T_TMP"' EXIT

# etag_of ID [QUERY]: GET /tasks/ID, prints its ETag.
etag_of() {
	req GET "/tasks/$1${2:-}"
	header ETag
}

# cond ID TAG [QUERY]: GET /tasks/ID with If-None-Match: TAG.
cond() {
	req GET "/tasks/$1${3:-}" -H "If-None-Match: $2"
}

# A global MariaDB status counter.
status_var() {
	sql "SHOW GLOBAL STATUS LIKE '$1'" | awk '{ print $2 }'
}

case_begin "setup: the test handlers load; the stack's workers stop"
tasks_setup || fail "setup"
stack_workers_stop

# ---------------------------------------------------------------- at a glance

case_begin "a new task at a glance: ready steps, wait, 0 %, per step facts"
T=$(new_task inert) || fail "create"
req GET "/tasks/$T"
expect_status 200
expect_jq '[.stale, .execution_status, .recommended_action, .completion_percentage]' \
    '[false,"has_ready_steps",{"action":"wait","step":null},0]'
expect_jq '[.steps[] | .dependencies_satisfied]' '[true,false,false,false]'
expect_jq '[.steps[] | .max_attempts]' '[1,3,1,1]'
expect_jq '[.steps[] | .retry_eligible]' '[false,false,false,false]'
expect_jq '[.steps[] | .next_retry_at]' '[null,null,null,null]'
TAG=$(header ETag)
[ -n "$TAG" ] || fail "no ETag"

case_begin "list items carry stale, not the glance (no steps read)"
req GET "/tasks?namespace=it_tasks&per_page=1"
expect_status 200
expect_jq '.tasks[0] | [has("stale"), has("execution_status")]' '[true,false]'

# ---------------------------------------------------------------- 304

case_begin "If-None-Match with the task's tag: 304, no body, same tag"
cond "$T" "$TAG"
expect_status 304
expect_eq "$(wc -c <"$BODY_FILE")" 0 "304 body bytes"
expect_header ETag "$TAG"

case_begin "HEAD with the tag: 304; HEAD without: 200, no body, same tag"
req HEAD "/tasks/$T" -H "If-None-Match: $TAG"
expect_status 304
req HEAD "/tasks/$T"
expect_status 200
expect_header ETag "$TAG"
expect_eq "$(raw_head_body_bytes "/tasks/$T")" 0 "HEAD body bytes"

case_begin "If-None-Match: weak form, list form and * match; another tag does not"
cond "$T" "W/$TAG"
expect_status 304
cond "$T" "\"nope\", W/\"other\", $TAG"
expect_status 304
cond "$T" '*'
expect_status 304
cond "$T" '"nope"'
expect_status 200
expect_header ETag "$TAG"

case_begin "include_dependencies has its own tag"
cond "$T" "$TAG" "?include_dependencies=true"
expect_status 200
DTAG=$(header ETag)
[ "$DTAG" != "$TAG" ] || fail "the same tag with and without dependencies"
cond "$T" "$DTAG" "?include_dependencies=true"
expect_status 304

case_begin "a task outside the caller's scope is never 304 (404 as always)"
AUTH_ALL=$AUTH
AUTH=$($TASKER_ADMIN token --subject it-glance --permission 'tasker.task:*' \
    --namespace it_tasks2)
cond "$T" "$TAG"
expect_status 404
AUTH=$AUTH_ALL

case_begin "the 304 runs one statement (the primary-key read); a 200 reads the steps too"
B=$(new_task boom) || fail "create"
BTAG=$(etag_of "$B")
n0=$(status_var Com_stmt_execute)
for i in $(seq 1 20); do cond "$B" "$BTAG"; done
n1=$(status_var Com_stmt_execute)
expect_status 304
for i in $(seq 1 20); do cond "$B" '"other"'; done
n2=$(status_var Com_stmt_execute)
expect_status 200
# A 304 is one statement, the primary-key read (a little room for the
# server's own: the registry's generation); a full answer two (that read,
# then the task with its steps).
echo "# Com_stmt_execute: 20 304s $((n1 - n0)), 20 full answers $((n2 - n1))"
[ $((n1 - n0)) -lt 30 ] || fail "20 304s ran $((n1 - n0)) statements"
[ $((n2 - n1)) -ge 40 ] || fail "20 full answers ran only $((n2 - n1)) statements"

# ---------------------------------------------------------------- changes

case_begin "a worker's step progress changes the tag: blocked, resolve step a"
stack_workers_start
wait_status "$T" error 15 || fail "the worker did not fail step a"
cond "$T" "$TAG"
expect_status 200
T2=$(header ETag)
[ "$T2" != "$TAG" ] || fail "tag unchanged after the worker's change"
expect_jq '[.execution_status, .recommended_action]' \
    '["blocked_by_failures",{"action":"resolve_step_manually","step":"a"}]'
expect_jq '.steps[0].retry_eligible' 'false'

case_begin "retry changes the tag"
req POST "/tasks/$T/retry" -H 'Content-Type: application/json' -d '{}'
expect_status 200
cond "$T" "$T2"
expect_status 200
T3=$(header ETag)
[ "$T3" != "$T2" ] || fail "tag unchanged after retry"

case_begin "resolving a step changes the tag; its children's dependencies are satisfied"
wait_status "$T" error 15 || fail "the worker did not fail step a again"
T3=$(etag_of "$T")
req PATCH "/tasks/$T/workflow_steps/a" -H 'Content-Type: application/json' \
    -d '{"status": "resolved_manually"}'
expect_status 200
cond "$T" "$T3"
expect_status 200
T4=$(header ETag)
[ "$T4" != "$T3" ] || fail "tag unchanged after resolve"
expect_jq '[.steps[0:3][] | .dependencies_satisfied]' '[true,true,true]'
expect_jq '.completion_percentage >= 25' 'true'

case_begin "a step change alone (resolve b; the task stays in_progress) changes the tag"
stack_workers_stop
P=$(new_task inert) || fail "create"
req PATCH "/tasks/$P/workflow_steps/a" -H 'Content-Type: application/json' \
    -d '{"status": "resolved_manually"}'
expect_status 200
P1=$(etag_of "$P")
expect_jq '.status' '"in_progress"'
req PATCH "/tasks/$P/workflow_steps/b" -H 'Content-Type: application/json' \
    -d '{"status": "resolved_manually"}'
expect_status 200
cond "$P" "$P1"
expect_status 200
[ "$(header ETag)" != "$P1" ] || fail "tag unchanged after a step resolve"
expect_jq '[.status, .steps[1].status, .completion_percentage]' \
    '["in_progress","resolved_manually",50]'
req DELETE "/tasks/$P"

case_begin "cancel changes the tag: cancelled, nothing to do"
T5=$(etag_of "$T")
req DELETE "/tasks/$T"
expect_status 200
cond "$T" "$T5"
expect_status 200
[ "$(header ETag)" != "$T5" ] || fail "tag unchanged after cancel"
expect_jq '[.execution_status, .recommended_action.action]' '["cancelled","none"]'

# ---------------------------------------------------------------- stale

case_begin "a pending task untouched for 2 h is stale: new tag, analysis, filter"
S=$(new_task inert) || fail "create"
STAG=$(etag_of "$S")
expect_jq '.stale' 'false'
sql "UPDATE tasks SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR
    WHERE id = $(sql_id "$S")"
cond "$S" "$STAG"
expect_status 200
expect_jq '.stale' 'true'
[ "$(header ETag)" != "$STAG" ] || fail "the stale flag did not change the tag"
req GET "/tasks/$S?include_dependencies=true"
expect_true '.dependencies.analysis | test("The task is stale: it has been pending")'

case_begin "GET /tasks?stale=true|false filters; anything else is 400"
req GET "/tasks?namespace=it_tasks&stale=true&per_page=100"
expect_status 200
expect_true "[.tasks[] | .id] | index(\"$S\") != null"
expect_true "[.tasks[] | .stale] | all"
req GET "/tasks?namespace=it_tasks&stale=false&per_page=100"
expect_status 200
expect_true "[.tasks[] | .id] | index(\"$S\") == null"
expect_true "[.tasks[] | .stale] | any | not"
req GET "/tasks?stale=maybe"
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details | has("stale")' 'true'

case_begin "tasker_tasks_stale counts it"
req GET /metrics
expect_status 200
n=$(grep '^tasker_tasks_stale{status="pending"}' "$BODY_FILE" | awk '{ print $2 }')
[ "${n:-0}" -ge 1 ] || fail "tasker_tasks_stale pending: '${n:-}'"
req DELETE "/tasks/$S"

finish
