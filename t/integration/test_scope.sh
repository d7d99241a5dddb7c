#!/usr/bin/env bash
# test_scope.sh - a caller sees and changes only what it may: created_by
# on every task, tokens limited to namespaces (the "namespaces" claim) or
# to their own tasks ("own_tasks"), and the same limits from the
# remote_user maps.  Every route of discovery and of the task API is
# asked, allowed and forbidden, with tokens that tasker-admin mints.
#
# The remote_user cases run on a private tasker-fcgi pool (remote_user
# mode) behind a private nginx on TASKER_SCOPE_PORT (default: the stack's
# port + 1100) that takes REMOTE_USER from a test header - standing in for
# the web server's password check.  Tokens live in variables only.
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/t/fixtures/tasks/it_lib.sh"

FIX=$TASKER_ROOT/t/fixtures/auth-it
JWT_TMP=$T_TMP/jwt
mkdir -m 700 "$JWT_TMP"
. "$FIX/jwt.sh"
SECRET=$TASKER_RUN/secrets/jwt.secret
HS='{"alg":"HS256","typ":"JWT","kid":"quickstart"}'
NOW=$(date +%s)
STACK_PORT=${TASKER_URL#http://*:}
STACK_PORT=${STACK_PORT%%/*}
PRIV_PORT=${TASKER_SCOPE_PORT:-$((STACK_PORT + 1100))}
PRIV=$T_TMP/priv
PRIV_URL=http://127.0.0.1:$PRIV_PORT
ZERO=00000000-0000-7000-8000-000000000000

# mint SUBJECT [tasker-admin token options...]: a token holding every task,
# step and handler permission, limited as the options say.
mint() {
	local sub=$1
	shift
	$TASKER_ADMIN token --subject "$sub" --permission 'tasker.task:*' \
	    --permission 'tasker.workflow_step:*' \
	    --permission 'tasker.handler:*' \
	    --permission tasker.health_status:index "$@"
}

expect_task_404() {
	expect_error 404 TaskNotFound TASK_NOT_FOUND "Task '$1' not found"
}

expect_ns_404() {
	expect_error 404 NamespaceNotFound NAMESPACE_NOT_FOUND \
	    "Namespace '$1' does not exist"
}

# The test's own handlers (namespaces it_scope1, it_scope2: no other test
# counts their tasks); waits until the API sees them.
scope_setup() {
	$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/scope/handlers" >/dev/null ||
	    { echo "# loading the scope handlers failed"; return 1; }
	for _ in $(seq 1 50); do
		req GET /handlers/it_scope2
		[ "$STATUS" = 200 ] && return 0
		sleep 0.1
	done
	echo "# the API does not see the scope handlers"
	return 1
}

# error_task: an it_scope1.inert task in error (step a failed for good;
# b, c, d pending), created with $AUTH; prints its id.
error_task() {
	local id
	id=$(new_task inert '{}' it_scope1) || return 1
	if ! wait_status "$id" error 10; then
		workers_running && { echo "# task $id never failed" >&2; return 1; }
		forge_error "$id"
	fi
	echo "$id"
}

# settle: waits (up to 10 s) until a running worker has failed every new
# it_scope task, so that statuses hold still while a list is compared
# with the database.  Without workers they hold still anyway.
settle() {
	for _ in $(seq 1 100); do
		workers_running || return 0
		[ "$(sql "SELECT COUNT(*) FROM tasks WHERE namespace LIKE 'it\_scope%'
		    AND status IN ('pending','in_progress')")" = 0 ] && return 0
		sleep 0.1
	done
}

# row ID: what the database holds of a task (to see that nothing changed).
row() {
	sql "SELECT status, COALESCE(reason, '-'), COALESCE(tags, '-'),
	    updated_at FROM tasks WHERE id = $(sql_id "$1")"
}

FULL=$(token)
ADMIN=$FULL
NS1=$(mint scope-a --namespace it_scope1)
NS12=$(mint scope-b --namespace it_scope1 --namespace it_scope2)
NONE=$(mint scope-none --no-namespaces)
OWN=$(mint scope-own --own-tasks)
OWN_NS2=$(mint scope-own2 --own-tasks --namespace it_scope2)

case_begin "setup: the test handlers load; the tokens are minted"
AUTH=$ADMIN
scope_setup || fail "setup"
for t in "$NS1" "$NS12" "$NONE" "$OWN" "$OWN_NS2"; do
	[ -n "$t" ] || fail "tasker-admin token did not mint a scoped token"
done
h=${NS12#*.}
h=${h%%.*}
while [ $((${#h} % 4)) -ne 0 ]; do h="$h="; done
expect_eq "$(printf '%s' "$h" | basenc -d --base64url | jq -c '[.namespaces, .own_tasks]')" \
    '[["it_scope1","it_scope2"],null]' "claims of --namespace twice"
h=${NONE#*.}
h=${h%%.*}
while [ $((${#h} % 4)) -ne 0 ]; do h="$h="; done
expect_eq "$(printf '%s' "$h" | basenc -d --base64url | jq -c '[.namespaces, .own_tasks]')" \
    '[[],null]' "claims of --no-namespaces"
h=${OWN#*.}
h=${h%%.*}
while [ $((${#h} % 4)) -ne 0 ]; do h="$h="; done
expect_eq "$(printf '%s' "$h" | basenc -d --base64url | jq -c '[.namespaces, .own_tasks]')" \
    '[null,true]' "claims of --own-tasks"
$TASKER_ADMIN token --namespace Bad-NS >/dev/null 2>&1 &&
    fail "tasker-admin token minted a token for namespace 'Bad-NS'"

# ---------------------------------------------------------------- created_by

case_begin "created_by: the authenticated subject, after the guide's fields; initiator stays free text"
AUTH=$ADMIN
post_task '{"name":"inert","namespace":"it_scope1","context":{},"initiator":"someone-else"}'
expect_status 201
expect_jq '[.created_by, .initiator]' '["it-tests","someone-else"]'
expect_jq 'keys_unsorted[-8:]' '["initiator","source_system","reason","tags","completed_at","created_by","priority","stale"]'
A1=$(jq -r .id <"$BODY_FILE")
expect_eq "$(sql "SELECT created_by FROM tasks WHERE id = $(sql_id "$A1")")" it-tests "the stored created_by"
req GET "/tasks/$A1"
expect_status 200
expect_jq '[.created_by, .initiator]' '["it-tests","someone-else"]'
req GET "/tasks?created_by=it-tests&per_page=100"
expect_status 200
expect_true "[.tasks[] | select(.id == \"$A1\") | .created_by] == [\"it-tests\"]"

case_begin "created_by: a body member created_by is refused (422) and creates nothing"
n0=$(sql "SELECT COUNT(*) FROM tasks")
post_task '{"name":"inert","namespace":"it_scope1","context":{},"created_by":"mallory"}'
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details | keys' '["created_by"]'
post_task '{"task":{"name":"inert","namespace":"it_scope1","context":{},"created_by":"mallory"}}'
expect_status 422
expect_jq '.error.details | has("created_by") or has("task.created_by")' true
expect_eq "$(sql "SELECT COUNT(*) FROM tasks")" "$n0" "tasks after refused creates"
expect_eq "$(sql "SELECT COUNT(*) FROM tasks WHERE created_by = 'mallory'")" 0 "mallory's tasks"

case_begin "created_by: PATCH cannot change it"
req PATCH "/tasks/$A1" -H 'Content-Type: application/json' -d '{"created_by":"mallory"}'
expect_status 422
expect_eq "$(sql "SELECT created_by FROM tasks WHERE id = $(sql_id "$A1")")" it-tests "created_by after PATCH"

# Tasks of both namespaces, by several creators.
AUTH=$ADMIN
A2=$(new_task inert '{}' it_scope2)          # it-tests, it_scope2
AUTH=$NS1
B1=$(new_task inert '{}' it_scope1)                        # scope-a, it_scope1
AUTH=$OWN
O1=$(new_task inert '{}' it_scope1)                        # scope-own, it_scope1
O2=$(new_task inert '{}' it_scope2)          # scope-own, it_scope2

case_begin "created_by=: the filter lists one subject's tasks, totals right; bad values are 400"
AUTH=$ADMIN
req GET "/tasks?created_by=scope-own&per_page=1"
expect_status 200
expect_jq '[.tasks[].id]' "[\"$O2\"]"
expect_jq '.pagination' '{"current_page":1,"per_page":1,"total_pages":2,"total_count":2}'
req GET "/tasks?created_by=scope-own&per_page=1&page=2"
expect_jq '[.tasks[].id]' "[\"$O1\"]"
req GET "/tasks?created_by=scope-own&namespace=it_scope2"
expect_jq '[.tasks[].id]' "[\"$O2\"]"
expect_jq '.pagination.total_count' 1
req GET "/tasks?created_by=scope-own&status=complete"
expect_jq '[(.tasks | length), .pagination.total_count]' '[0,0]'
req GET "/tasks?created_by=nobody-at-all"
expect_jq '[(.tasks | length), .pagination.total_count]' '[0,0]'
req GET "/tasks?created_by=a%0Ab"
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details | keys' '["created_by"]'
req GET "/tasks?created_by="
expect_status 400

case_begin "created_by=: served by ix_tasks_created_by in id order, no sort (EXPLAIN of the statements run)"
sql "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 'ON'"
req GET "/tasks?created_by=scope-own&per_page=1"
expect_status 200
sql "SET GLOBAL general_log = 'OFF'"
# The statements as prepared, placeholders filled in (plans are pinned
# by FORCE INDEX; the values do not change them).
sql "SELECT DISTINCT REPLACE(argument, '\n', ' ') FROM mysql.general_log
    WHERE command_type = 'Execute' AND argument LIKE '%ix_tasks_created_by%'" |
    sed -e 's/LIMIT ?/LIMIT 1/g' -e 's/OFFSET ?/OFFSET 0/g' \
	-e 's/? IS NULL/NULL IS NULL/g' -e "s/created_by = ?/created_by = 'scope-own'/g" \
	-e 's/?/NULL/g' >"$T_TMP/own-statements"
expect_eq "$(wc -l <"$T_TMP/own-statements")" 2 "statements over ix_tasks_created_by (page, count)"
while IFS= read -r stmt; do
	plan=$(sql "EXPLAIN $stmt" 2>&1) || { fail "EXPLAIN failed: $plan"; continue; }
	# Columns: id select_type table type possible_keys key key_len ref rows Extra
	echo "$plan" | awk -F'\t' '$3 == "tasks" { print $6 }' | grep -qx ix_tasks_created_by ||
	    fail "the read of tasks is not off ix_tasks_created_by: $plan"
	# (Sorting the page's few ids, <derived2>, is fine: no tasks row.)
	echo "$plan" | awk -F'\t' '($3 == "tasks" || $3 == "t") && /filesort|temporary/' |
	    grep -q . && fail "the plan sorts tasks: $plan"
	echo "# EXPLAIN ${stmt:0:60}...: $(echo "$plan" | awk -F'\t' '$3 == "tasks" { print $4, $6, $10 }')"
done <"$T_TMP/own-statements"
expect_eq "$(sql "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index) FROM information_schema.statistics
    WHERE table_schema = 'tasker' AND table_name = 'tasks' AND index_name = 'ix_tasks_created_by'")" \
    "created_by,id" "ix_tasks_created_by columns"

# ---------------------------------------------------------------- discovery

case_begin "namespace-limited: GET /handlers lists only its namespaces"
AUTH=$NS1
req GET /handlers
expect_status 200
expect_jq '[.namespaces[].name]' '["it_scope1"]'
AUTH=$NS12
req GET /handlers
expect_jq '[.namespaces[].name]' '["it_scope1","it_scope2"]'
AUTH=$NONE
req GET /handlers
expect_status 200
expect_jq '.namespaces' '[]'
AUTH=$ADMIN
req GET /handlers
expect_true '[.namespaces[].name] | index("it_scope2") != null and length > 2'

case_begin "namespace-limited: GET /handlers/{ns} of another namespace is 404 NamespaceNotFound, like one that does not exist"
AUTH=$NS1
req GET /handlers/it_scope1
expect_status 200
expect_jq '.namespace' '"it_scope1"'
req GET /handlers/it_scope2
expect_ns_404 it_scope2
other=$(body | jq -c 'del(.error.message)')
req GET /handlers/no_such_ns
expect_ns_404 no_such_ns
expect_eq "$(body | jq -c 'del(.error.message)')" "$other" "the two 404 bodies"
AUTH=$NONE
req GET /handlers/it_scope1
expect_ns_404 it_scope1

case_begin "namespace-limited: GET /handlers/{ns}/{name} of another namespace is 404 NamespaceNotFound"
AUTH=$NS1
req GET /handlers/it_scope1/inert
expect_status 200
req GET /handlers/it_scope2/inert
expect_ns_404 it_scope2
req GET "/handlers/it_scope2/inert?version=1.0.0"
expect_ns_404 it_scope2
AUTH=$OWN     # own-tasks only: every namespace's handlers
req GET /handlers/it_scope2/inert
expect_status 200

# ---------------------------------------------------------------- create

case_begin "namespace-limited: POST /tasks into another namespace is 403 and creates nothing"
AUTH=$NS1
n0=$(sql "SELECT COUNT(*) FROM tasks")
post_task '{"name":"inert","namespace":"it_scope2","context":{}}'
expect_error 403 AuthorizationError AUTHORIZATION_FAILED \
    "Not allowed to create tasks in namespace 'it_scope2'"
# A namespace that does not exist: the same 403, nothing revealed.
post_task '{"name":"x","namespace":"no_such_ns","context":{}}'
expect_error 403 AuthorizationError AUTHORIZATION_FAILED \
    "Not allowed to create tasks in namespace 'no_such_ns'"
post_task '{"name":"inert","namespace":"it_scope2","context":{}}' -H 'Idempotency-Key: scope-k1'
expect_status 403
AUTH=$NONE
post_task '{"name":"inert","namespace":"it_scope1","context":{}}'
expect_status 403
expect_eq "$(sql "SELECT COUNT(*) FROM tasks")" "$n0" "tasks after 403s"

case_begin "namespace-limited: POST /tasks into its namespace is 201 with created_by"
AUTH=$NS1
post_task '{"name":"inert","namespace":"it_scope1","context":{},"initiator":"x"}'
expect_status 201
expect_jq '[.namespace, .created_by, .initiator]' '["it_scope1","scope-a","x"]'
B2=$(jq -r .id <"$BODY_FILE")

# ---------------------------------------------------------------- reads

case_begin "namespace-limited: GET /tasks/{id} of another namespace is 404, of its own 200"
AUTH=$NS1
req GET "/tasks/$A2"
expect_task_404 "$A2"
req GET "/tasks/$A2?include_dependencies=true"
expect_task_404 "$A2"
req GET "/tasks/$A1"
expect_status 200
expect_jq '.created_by' '"it-tests"'
AUTH=$NONE
req GET "/tasks/$A1"
expect_task_404 "$A1"

case_begin "namespace-limited: GET /tasks is filtered in SQL; counts and pages right"
AUTH=$NS1
want=$(sql "SELECT COUNT(*) FROM tasks WHERE namespace = 'it_scope1'")
req GET "/tasks?per_page=100"
expect_status 200
expect_jq '[.tasks[].namespace] | unique' '["it_scope1"]'
expect_jq '.pagination.total_count' "$want"
req GET "/tasks?per_page=1&page=2"
expect_jq '.pagination.total_pages' "$want"
req GET "/tasks?namespace=it_scope2"
expect_jq '[(.tasks | length), .pagination.total_count]' '[0,0]'
req GET "/tasks?namespace=it_scope1&name=inert&version=1.0.0&per_page=1"
expect_jq '.pagination.total_count' \
    "$(sql "SELECT COUNT(*) FROM tasks WHERE namespace = 'it_scope1' AND name = 'inert' AND version = '1.0.0'")"
AUTH=$NONE
req GET /tasks
expect_status 200
expect_jq '[(.tasks | length), .pagination.total_count, .pagination.total_pages]' '[0,0,0]'

case_begin "two namespaces: GET /tasks lists both (a namespace set), newest first, counts right"
settle
AUTH=$NS12
want=$(sql "SELECT COUNT(*) FROM tasks WHERE namespace IN ('it_scope1','it_scope2')")
ids=$(sql "SELECT LOWER(CONCAT_WS('-', HEX(SUBSTR(id,1,4)), HEX(SUBSTR(id,5,2)), HEX(SUBSTR(id,7,2)),
    HEX(SUBSTR(id,9,2)), HEX(SUBSTR(id,11,6)))) FROM tasks
    WHERE namespace IN ('it_scope1','it_scope2') ORDER BY id DESC LIMIT 3 OFFSET 3" | jq -R . | jq -sc .)
req GET "/tasks?per_page=3&page=2"
expect_status 200
expect_jq '[.tasks[].id]' "$ids"
expect_jq '.pagination.total_count' "$want"
want=$(sql "SELECT COUNT(*) FROM tasks WHERE namespace IN ('it_scope1','it_scope2') AND status IN ('pending','error')")
req GET "/tasks?status=pending,error&per_page=1"
expect_jq '.pagination.total_count' "$want"
req GET "/tasks?namespace=it_scope2&per_page=100"
expect_jq '[.tasks[].namespace] | unique' '["it_scope2"]'

# ids_where COND LIMIT OFFSET: the ids of tasks matching COND, newest first.
ids_where() {
	sql "SELECT LOWER(CONCAT_WS('-', HEX(SUBSTR(id,1,4)), HEX(SUBSTR(id,5,2)), HEX(SUBSTR(id,7,2)),
	    HEX(SUBSTR(id,9,2)), HEX(SUBSTR(id,11,6)))) FROM tasks
	    WHERE $1 ORDER BY id DESC LIMIT $2 OFFSET $3" | jq -R . | jq -sc .
}

case_begin "two namespaces: each is one ordered read of ix_tasks_ns, merged (EXPLAIN of the statement run)"
AUTH=$NS12
sql "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 'ON'"
req GET "/tasks?per_page=2&page=2&status=pending,error,cancelled"
expect_status 200
sql "SET GLOBAL general_log = 'OFF'"
expect_jq '[.tasks[].id]' "$(ids_where "namespace IN ('it_scope1','it_scope2') AND status IN ('pending','error','cancelled')" 2 2)"
sql "SELECT DISTINCT REPLACE(argument, '\n', ' ') FROM mysql.general_log
    WHERE command_type = 'Execute' AND argument LIKE '%FORCE INDEX (ix_tasks_ns)%'" |
    sed -e 's/LIMIT ?/LIMIT 4/g' -e 's/OFFSET ?/OFFSET 2/g' \
	-e "s/namespace = ?/namespace = 'it_scope1'/g" -e 's/?/NULL/g' >"$T_TMP/ns-statements"
expect_eq "$(wc -l <"$T_TMP/ns-statements")" 1 "statements over ix_tasks_ns"
while IFS= read -r stmt; do
	plan=$(sql "EXPLAIN $stmt" 2>&1) || { fail "EXPLAIN failed: $plan"; continue; }
	echo "$plan" | awk -F'\t' '$3 == "tasks" && $6 != "ix_tasks_ns"' | grep -q . &&
	    fail "a read of tasks is not off ix_tasks_ns: $plan"
	echo "$plan" | awk -F'\t' '($3 == "tasks" || $3 == "t") && /filesort|temporary/' |
	    grep -q . && fail "the plan sorts tasks: $plan"
done <"$T_TMP/ns-statements"

case_begin "nine namespaces (more than the merged reads): the filtered scan, same answers"
settle
NS9=$(mint scope-nine --namespace it_scope1 --namespace it_scope2 --namespace n3 \
    --namespace n4 --namespace n5 --namespace n6 --namespace n7 --namespace n8 --namespace n9)
AUTH=$NS9
req GET "/tasks?per_page=3&page=2"
expect_status 200
expect_jq '[.tasks[].id]' "$(ids_where "namespace IN ('it_scope1','it_scope2')" 3 3)"
expect_jq '.pagination.total_count' "$(sql "SELECT COUNT(*) FROM tasks WHERE namespace IN ('it_scope1','it_scope2')")"
req GET "/tasks?per_page=3&status=pending,error"
expect_jq '[.tasks[].id]' "$(ids_where "namespace IN ('it_scope1','it_scope2') AND status IN ('pending','error')" 3 0)"

# ---------------------------------------------------------------- operations

case_begin "namespace-limited: PATCH, DELETE, retry of another namespace's task: 404, nothing changed"
# A2 is cancelled first (final: no worker changes it), so an allowed
# DELETE, retry or step PATCH would be a 409 and a PATCH a 200.
AUTH=$ADMIN
req DELETE "/tasks/$A2"
expect_status 200
before=$(row "$A2")
AUTH=$NS1
req PATCH "/tasks/$A2" -H 'Content-Type: application/json' -d '{"reason":"mine now"}'
expect_task_404 "$A2"
req DELETE "/tasks/$A2"
expect_task_404 "$A2"
req POST "/tasks/$A2/retry"
expect_task_404 "$A2"
# The 404 comes before the body is read: a bad body gets the same answer.
req PATCH "/tasks/$A2" -H 'Content-Type: application/json' -d '{"nonsense":1}'
expect_task_404 "$A2"
expect_eq "$(row "$A2")" "$before" "the other namespace's task"

case_begin "namespace-limited: PATCH, DELETE, retry of its namespace's task are allowed"
AUTH=$NS1
req PATCH "/tasks/$A1" -H 'Content-Type: application/json' -d '{"reason":"seen by scope-a"}'
expect_status 200
expect_jq '[.reason, .created_by]' '["seen by scope-a","it-tests"]'
E1=$(error_task)
req POST "/tasks/$E1/retry"
expect_status 200
req DELETE "/tasks/$B2"
expect_status 200
expect_jq '.status' '"cancelled"'

case_begin "namespace-limited: workflow_steps index, show, patch of another namespace's task: 404"
AUTH=$NS1
steps_of() {
	sql "SELECT GROUP_CONCAT(status, updated_at ORDER BY position) FROM workflow_steps WHERE task_id = $(sql_id "$1")"
}
before=$(steps_of "$A2")
req GET "/tasks/$A2/workflow_steps"
expect_task_404 "$A2"
step=$(sql "SELECT name FROM workflow_steps WHERE task_id = $(sql_id "$A2") AND position = 0")
req GET "/tasks/$A2/workflow_steps/$step"
expect_task_404 "$A2"
req PATCH "/tasks/$A2/workflow_steps/$step" -H 'Content-Type: application/json' \
    -d '{"status":"resolved_manually"}'
expect_task_404 "$A2"
expect_eq "$(steps_of "$A2")" "$before" "the other namespace's steps"

case_begin "namespace-limited: workflow_steps index, show, patch of its namespace's task are allowed"
AUTH=$NS1
E3=$(error_task)
req GET "/tasks/$E3/workflow_steps"
expect_status 200
expect_jq '.workflow_steps | length' 4
req GET "/tasks/$E3/workflow_steps/b"
expect_status 200
req PATCH "/tasks/$E3/workflow_steps/a" -H 'Content-Type: application/json' \
    -d '{"status":"resolved_manually"}'
expect_status 200
expect_jq '.transitions[-1].actor' '"scope-a"'

# ---------------------------------------------------------------- own tasks

case_begin "own tasks only: its own tasks are shown; anyone else's are 404"
AUTH=$OWN
req GET "/tasks/$O1"
expect_status 200
expect_jq '.created_by' '"scope-own"'
req GET "/tasks/$O2"
expect_status 200
for id in "$A1" "$B1"; do
	req GET "/tasks/$id"
	expect_task_404 "$id"
done

case_begin "own tasks only: GET /tasks lists only its own; created_by= of another is empty"
AUTH=$OWN
req GET "/tasks?per_page=100"
expect_status 200
expect_jq '[.tasks[].created_by] | unique' '["scope-own"]'
expect_jq '.pagination.total_count' "$(sql "SELECT COUNT(*) FROM tasks WHERE created_by = 'scope-own'")"
req GET "/tasks?created_by=it-tests"
expect_jq '[(.tasks | length), .pagination.total_count]' '[0,0]'
req GET "/tasks?created_by=scope-own&namespace=it_scope1"
expect_jq '[.tasks[].id]' "[\"$O1\"]"

case_begin "own tasks only: PATCH, DELETE, retry, steps of anyone else's task: 404, nothing changed"
AUTH=$ADMIN
E4=$(error_task)
before=$(row "$E4")
AUTH=$OWN
req PATCH "/tasks/$E4" -H 'Content-Type: application/json' -d '{"reason":"x"}'
expect_task_404 "$E4"
req DELETE "/tasks/$E4"
expect_task_404 "$E4"
req POST "/tasks/$E4/retry"
expect_task_404 "$E4"
req GET "/tasks/$E4/workflow_steps"
expect_task_404 "$E4"
req GET "/tasks/$E4/workflow_steps/a"
expect_task_404 "$E4"
req PATCH "/tasks/$E4/workflow_steps/a" -H 'Content-Type: application/json' \
    -d '{"status":"resolved_manually"}'
expect_task_404 "$E4"
expect_eq "$(row "$E4")" "$before" "someone else's task"

case_begin "own tasks only: PATCH, DELETE, retry, steps of its own task are allowed"
AUTH=$OWN
E5=$(error_task)
req PATCH "/tasks/$E5" -H 'Content-Type: application/json' -d '{"tags":["own"]}'
expect_status 200
req GET "/tasks/$E5/workflow_steps"
expect_status 200
req GET "/tasks/$E5/workflow_steps/a"
expect_status 200
req POST "/tasks/$E5/retry"
expect_status 200
req PATCH "/tasks/$E5/workflow_steps/d" -H 'Content-Type: application/json' \
    -d '{"status":"cancelled"}'
[ "$STATUS" = 200 ] || [ "$STATUS" = 409 ] || fail "step patch: $STATUS $(body)"
req DELETE "/tasks/$E5"
[ "$STATUS" = 200 ] || [ "$STATUS" = 409 ] || fail "cancel: $STATUS $(body)"

case_begin "own tasks and a namespace: both limits hold"
AUTH=$OWN_NS2
post_task '{"name":"inert","namespace":"it_scope1","context":{}}'
expect_status 403
P1=$(new_task inert '{}' it_scope2)
req GET "/tasks?per_page=100"
expect_jq '[.tasks[].id]' "[\"$P1\"]"
expect_jq '.pagination.total_count' 1
req GET "/tasks/$O2"            # it_scope2, but scope-own's
expect_task_404 "$O2"
req GET "/tasks/$P1"
expect_status 200

case_begin "an Idempotency-Key replay answers only what the caller may see"
AUTH=$ADMIN
post_task '{"name":"inert","namespace":"it_scope1","context":{}}' -H 'Idempotency-Key: scope-replay'
expect_status 201
R1=$(jq -r .id <"$BODY_FILE")
post_task '{"name":"inert","namespace":"it_scope1","context":{}}' -H 'Idempotency-Key: scope-replay'
expect_status 200
expect_jq '.id' "\"$R1\""

case_begin "ids that are not tasks stay 404 for a limited caller"
AUTH=$NS1
req GET "/tasks/$ZERO"
expect_task_404 "$ZERO"
req DELETE "/tasks/$ZERO"
expect_task_404 "$ZERO"

# ---------------------------------------------------------------- bad claims

case_begin "malformed scope claims are a bad token (401)"
for extra in '"namespaces":"it_scope1"' '"namespaces":[1]' '"namespaces":["Bad-NS"]' \
    '"namespaces":[""]' '"namespaces":null' '"namespaces":{"it_scope1":true}' \
    "\"namespaces\":$(seq 0 64 | sed 's/^/"n/; s/$/"/' | paste -sd, | sed 's/^/[/; s/$/]/')" \
    '"own_tasks":"yes"' '"own_tasks":1' '"own_tasks":null' '"own_tasks":[true]'; do
	AUTH=$(jwt_hs256 "$HS" "{\"sub\":\"bad\",\"exp\":$((NOW + 600)),\"permissions\":[\"*\"],$extra}" "$SECRET")
	req GET /handlers
	expect_error 401 AuthenticationError AUTHENTICATION_FAILED
done
# The control: well-formed claims are accepted.
AUTH=$(jwt_hs256 "$HS" "{\"sub\":\"good\",\"exp\":$((NOW + 600)),\"permissions\":[\"*\"],\"namespaces\":[\"it_scope1\"],\"own_tasks\":false}" "$SECRET")
req GET /handlers
expect_status 200
expect_jq '[.namespaces[].name]' '["it_scope1"]'

case_begin "operations routes keep their own permissions: a limited token reads /health/status whole"
AUTH=$NONE
req GET /health/status
expect_status 200
req GET /health/live
expect_status 200

# ---------------------------------------------------------------- remote_user

priv_stop() {
	local f pid
	if [ -f "$PRIV/nginx.pid" ]; then
		pid=$(cat "$PRIV/nginx.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	if [ -f "$PRIV/ru.fcgi.pid" ]; then
		for pid in $(cat "$PRIV/ru.fcgi.pid"); do kill "$pid" 2>/dev/null; done
	fi
}
trap 'priv_stop; rm -rf "$T_TMP"' EXIT

priv_start() {
	mkdir -p "$PRIV/tmp"
	{
		awk '/^[A-Za-z_]+:/ { k = $0; sub(/:.*/, "", k);
		    skip = (k == "auth" || k == "api" || k == "logging") } !skip' \
		    "$TASKER_CONF"
		cat <<-YAML
		auth:
		  mode: remote_user
		  remote_user:
		    groups_variable: SCOPE_GROUPS
		    users:
		      alice: {permissions: ["*"], namespaces: [it_scope1]}
		      bob: {permissions: ["*"], own_tasks: true}
		      carol: {permissions: ["*"], namespaces: []}
		      dave: ["*"]
		    groups:
		      ns2: {namespaces: [it_scope2]}
		api:
		  mount_prefix: /ru
		logging:
		  level: debug
		YAML
	} >"$PRIV/ru.yaml"
	spawn-fcgi -s "$PRIV/ru.sock" -M 0600 -F 1 -P "$PRIV/ru.fcgi.pid" -- \
	    "$TASKER_BUILD/tasker-fcgi" -c "$PRIV/ru.yaml" -l "$PRIV/ru.log" \
	    >>"$PRIV/spawn.log" 2>&1 || return 1
	private_nginx "$PRIV" "$PRIV_PORT" "" "
	location /ru/ {
		# The test's stand-in for a password check; before
		# fastcgi_params, whose empty REMOTE_USER would come
		# first otherwise.
		fastcgi_param REMOTE_USER \$http_x_test_user;
		fastcgi_param SCOPE_GROUPS \$http_x_test_groups;
		include /etc/nginx/fastcgi_params;
		fastcgi_pass unix:$PRIV/ru.sock;
	}"
}

# ru USER METHOD PATH [curl args...]: a request as USER.
ru() {
	local user=$1
	shift
	local method=$1 path=$2
	shift 2
	AUTH="" req "$method" "$PRIV_URL/ru$path" -H "X-Test-User: $user" "$@"
}

case_begin "remote_user: a private pool with scoped users starts on port $PRIV_PORT"
mkdir -m 700 "$PRIV"
if priv_start; then
	for _ in $(seq 1 50); do
		ru alice GET /handlers
		[ "$STATUS" = 200 ] && break
		sleep 0.1
	done
	expect_status 200
else
	fail "could not start: $(tail -5 "$PRIV/spawn.log" "$PRIV"/*.log 2>/dev/null)"
fi

case_begin "remote_user: a user limited to a namespace sees and creates only there"
ru alice GET /handlers
expect_jq '[.namespaces[].name]' '["it_scope1"]'
ru alice GET /handlers/it_scope2
expect_ns_404 it_scope2
ru alice POST /tasks -H 'Content-Type: application/json' \
    -d '{"name":"inert","namespace":"it_scope2","context":{}}'
expect_error 403 AuthorizationError AUTHORIZATION_FAILED \
    "Not allowed to create tasks in namespace 'it_scope2'"
ru alice POST /tasks -H 'Content-Type: application/json' \
    -d '{"name":"inert","namespace":"it_scope1","context":{}}'
expect_status 201
expect_jq '.created_by' '"alice"'
RU1=$(jq -r .id <"$BODY_FILE")
ru alice GET "/tasks/$A2"
expect_task_404 "$A2"
ru alice DELETE "/tasks/$A2"
expect_task_404 "$A2"
ru alice GET "/tasks?per_page=100"
expect_jq '[.tasks[].namespace] | unique' '["it_scope1"]'

case_begin "remote_user: a group's namespaces add to the user's"
ru alice GET /handlers -H 'X-Test-Groups: ns2'
expect_jq '[.namespaces[].name]' '["it_scope1","it_scope2"]'
ru alice GET "/tasks/$A2" -H 'X-Test-Groups: ns2'
expect_status 200
expect_jq '.id' "\"$A2\""

case_begin "remote_user: own_tasks in the map; an empty namespaces list sees nothing; a plain list is unlimited"
ru bob GET "/tasks/$RU1"
expect_task_404 "$RU1"
ru bob POST /tasks -H 'Content-Type: application/json' \
    -d '{"name":"inert","namespace":"it_scope2","context":{}}'
expect_status 201
RU2=$(jq -r .id <"$BODY_FILE")
ru bob GET "/tasks?per_page=100"
expect_jq '[.tasks[].id]' "[\"$RU2\"]"
ru carol GET /handlers
expect_jq '.namespaces' '[]'
ru carol GET "/tasks/$RU1"
expect_task_404 "$RU1"
ru dave GET "/tasks/$RU1"
expect_status 200
expect_jq '.created_by' '"alice"'

case_begin "remote_user: a name that is not UTF-8 is a 401, not a stored created_by"
ru "$(printf 'caf\xe9')" GET /handlers
expect_status 401

finish
