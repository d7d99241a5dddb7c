#!/usr/bin/env bash
# test_tasks.sh - the guide's task management API through nginx ->
# tasker-fcgi -> MariaDB: every request of the guide's task section (the
# curl examples literally, the JavaScript client's calls as curl), every
# validation error, creation all-or-nothing, Idempotency-Key, the
# operations (cancel, update, retry, resolve or cancel a step) with their
# illegal transitions, and 401/403 on every route.
#
# Lists, pagination, EXPLAIN and the concurrency tests are in
# test_tasks_list.sh.
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/t/fixtures/tasks/it_lib.sh"

AUTH=$(token tasker.task:create tasker.task:index tasker.task:show \
    tasker.task:cancel tasker.task:update tasker.task:retry \
    tasker.workflow_step:index tasker.workflow_step:show \
    tasker.workflow_step:update tasker.handler:index)
PREFIX=/${TASKER_URL#http://*/}
UUID7='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
STAMP='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
GUIDE_TASK='["id","name","namespace","version","full_name","status","context","created_at","updated_at"]'
GUIDE_STEP='["name","status","results","attempts","started_at","completed_at"]'

case_begin "setup: the test handlers load"
tasks_setup || fail "setup"

# ---------------------------------------------------------------- the guide

case_begin "guide: Create Task, the example request literally"
curl -sS -o "$BODY_FILE" -D "$HEADERS_FILE" -w '%{http_code}' \
     -X POST -H "Authorization: Bearer $AUTH" \
     -H "Content-Type: application/json" \
     -d '{
       "name": "process_payment",
       "namespace": "payments",
       "version": "2.1.0",
       "context": {
         "payment_id": 12345,
         "amount": 99.99,
         "currency": "USD",
         "customer_id": 67890
       }
     }' \
     "$TASKER_URL/tasks" >"$T_TMP/status" || true
STATUS=$(cat "$T_TMP/status")
expect_status 201
expect_header 'Content-Type' 'application/json; charset=utf-8'
expect_jq "keys_unsorted[0:9]" "$GUIDE_TASK"
expect_jq '[.name, .namespace, .version, .full_name, .status]' \
    '["process_payment","payments","2.1.0","payments.process_payment@2.1.0","pending"]'
expect_jq '.context' '{"payment_id":12345,"amount":99.99,"currency":"USD","customer_id":67890}'
expect_true ".id | test(\"$UUID7\")"
expect_true ".created_at | test(\"$STAMP\")"
expect_true '.created_at == .updated_at'
expect_jq '[.initiator, .source_system, .reason, .tags, .completed_at]' '["it-tests",null,null,[],null]'
GUIDE_ID=$(jq -r .id <"$BODY_FILE")
expect_header 'Location' "$PREFIX/tasks/$GUIDE_ID"

case_begin "guide: cURL step 4, create a task using a discovered handler"
curl -sS -o "$BODY_FILE" -w '%{http_code}' -X POST -H "Authorization: Bearer $AUTH" \
     -H "Content-Type: application/json" \
     -d '{"name": "process_payment", "namespace": "payments", "version": "2.1.0", "context": {"payment_id": 123}}' \
     "$TASKER_URL/tasks" >"$T_TMP/status" || true
STATUS=$(cat "$T_TMP/status")
expect_status 201
expect_jq '.context' '{"payment_id":123}'
expect_jq '.full_name' '"payments.process_payment@2.1.0"'
STEP4_ID=$(jq -r .id <"$BODY_FILE")

case_begin "guide: Get Task Details with include_dependencies, the example request literally"
curl -sS -o "$BODY_FILE" -w '%{http_code}' -H "Authorization: Bearer $AUTH" \
     "$TASKER_URL/tasks/$GUIDE_ID?include_dependencies=true" >"$T_TMP/status" || true
STATUS=$(cat "$T_TMP/status")
expect_status 200
expect_jq 'keys_unsorted[0:11]' '["id","name","namespace","version","full_name","status","context","steps","dependencies","created_at","updated_at"]'
expect_jq '.id' "\"$GUIDE_ID\""
expect_jq '[.steps[].name]' '["validate_payment","charge_card","update_order","send_confirmation"]'
expect_jq "[.steps[] | keys_unsorted[0:6] == $GUIDE_STEP] | all" true
expect_jq '[.steps[] | .attempts | type] | unique' '["number"]'
expect_jq '.dependencies | keys_unsorted[0:4]' '["analysis","blocked_steps","ready_steps","completed_steps"]'
expect_jq '.dependencies.analysis | type' '"string"'
expect_true '(.dependencies.completed_steps + .dependencies.ready_steps + .dependencies.blocked_steps + .dependencies.failed_steps + .dependencies.cancelled_steps | sort) == ([.steps[].name] | sort)'

case_begin "guide: cURL step 5, monitor task progress"
curl -sS -o "$BODY_FILE" -w '%{http_code}' -H "Authorization: Bearer $AUTH" \
     "$TASKER_URL/tasks/$STEP4_ID?include_dependencies=true" >"$T_TMP/status" || true
STATUS=$(cat "$T_TMP/status")
expect_status 200
expect_jq '.context' '{"payment_id":123}'
expect_jq '.dependencies | has("analysis")' true

case_begin "guide: List Tasks, the example request literally"
curl -sS -o "$BODY_FILE" -w '%{http_code}' -H "Authorization: Bearer $AUTH" \
     "$TASKER_URL/tasks?namespace=payments&version=2.1.0&status=pending&page=1&per_page=10" >"$T_TMP/status" || true
STATUS=$(cat "$T_TMP/status")
expect_status 200
expect_jq 'keys_unsorted' '["tasks","pagination"]'
expect_jq '.pagination | keys_unsorted' '["current_page","per_page","total_pages","total_count"]'
expect_jq '[.pagination.current_page, .pagination.per_page]' '[1,10]'
expect_jq '[.tasks[] | .status == "pending" and .namespace == "payments" and .version == "2.1.0"] | all' true
expect_jq "[.tasks[] | keys_unsorted[0:9] == $GUIDE_TASK] | all" true
expect_jq '[.tasks[] | has("steps")] | any' false

case_begin "guide: the monitoring dashboard's request (status=pending&per_page=100)"
req GET '/tasks?status=pending&per_page=100'
expect_status 200
expect_jq '.pagination.per_page' 100
expect_true '.pagination.total_count >= (.tasks | length)'
expect_jq '[.tasks[].status] | unique - ["pending"]' '[]'

case_begin "JavaScript client: createTask(name, namespace, version, context)"
post_task '{"name":"process_payment","namespace":"payments","version":"2.1.0","context":{"payment_id":123}}'
expect_status 201
expect_jq "keys_unsorted[0:9]" "$GUIDE_TASK"
JS_ID=$(jq -r .id <"$BODY_FILE")

case_begin "JavaScript client: createTask with version null uses (and says) the latest"
post_task '{"name":"process_payment","namespace":"payments","version":null,"context":{"payment_id":123}}'
expect_status 201
expect_jq '.version' '"2.1.0"'

case_begin "JavaScript client: getTask(id) and getTask(id, true)"
req GET "/tasks/$JS_ID"
expect_status 200
expect_jq 'has("dependencies")' false
expect_jq 'keys_unsorted[0:10]' '["id","name","namespace","version","full_name","status","context","steps","created_at","updated_at"]'
req GET "/tasks/$JS_ID?include_dependencies=true"
expect_status 200
expect_jq 'has("dependencies")' true
req GET "/tasks/$JS_ID?include_dependencies=false"
expect_jq 'has("dependencies")' false

# ---------------------------------------------------------------- creation

case_begin "create: Tasker's wrapped form {\"task\": {...}} and the optional fields"
post_task '{"task": {"name": "inert", "namespace": "it_tasks", "context": {"k": [1, {"n": null}]},
    "initiator": "billing-ui", "source_system": "crm", "reason": "nightly run", "tags": ["a", "b"]}}'
expect_status 201
expect_jq '[.initiator, .source_system, .reason, .tags]' '["billing-ui","crm","nightly run",["a","b"]]'
expect_jq '.context' '{"k":[1,{"n":null}]}'
expect_jq '.full_name' '"it_tasks.inert@1.0.0"'

case_begin "create: without a version the latest release is used and returned"
post_task '{"name": "versioned", "namespace": "it_tasks", "context": {}}'
expect_status 201
expect_jq '.version' '"1.1.0"'
expect_jq '.full_name' '"it_tasks.versioned@1.1.0"'
post_task '{"name": "versioned", "namespace": "it_tasks", "version": "2.0.0-rc.1"}'
expect_status 201
expect_jq '.version' '"2.0.0-rc.1"'
post_task '{"name": "versioned", "namespace": "it_tasks", "version": "1.0.0+build.7"}'
expect_status 201
expect_jq '.version' '"1.0.0"'

case_begin "create: a missing context is an empty object"
post_task '{"name": "inert", "namespace": "it_tasks"}'
expect_status 201
expect_jq '.context' '{}'

case_begin "create: the task, its steps, the first transition and the count, as the engine needs them"
before=$(sql "SELECT COALESCE(SUM(n), 0) FROM task_counts c JOIN handler_versions h ON h.id = c.handler_version_id JOIN namespaces s ON s.id = h.namespace_id WHERE s.name = 'it_tasks' AND h.name = 'inert'")
id=$(new_task inert) || fail "create"
after=$(sql "SELECT COALESCE(SUM(n), 0) FROM task_counts c JOIN handler_versions h ON h.id = c.handler_version_id JOIN namespaces s ON s.id = h.namespace_id WHERE s.name = 'it_tasks' AND h.name = 'inert'")
expect_eq "$((after - before))" 1 "task_counts grew by"
rows=$(sql "SELECT CONCAT_WS(':', position, name, retry_limit, retryable, skippable, unmet_parents, IF(ready_at IS NULL, 'wait', 'ready')) FROM workflow_steps WHERE task_id = $(sql_id "$id") AND position > 0 ORDER BY position" | tr '\n' ' ')
expect_eq "$rows" "1:b:2:1:0:1:wait 2:c:7:0:0:1:wait 3:d:0:1:1:2:wait " "steps b, c, d"
root=$(sql "SELECT CONCAT_WS(':', position, name, retry_limit, retryable, skippable, unmet_parents, status, IF(ready_at IS NULL, 'wait', 'ready')) FROM workflow_steps WHERE task_id = $(sql_id "$id") AND position = 0")
case "$root" in
0:a:3:0:0:0:pending:ready|0:a:3:0:0:0:in_progress:wait|0:a:3:0:0:0:error:wait) ;;
*) fail "root step: $root" ;;
esac
first=$(sql "SELECT CONCAT_WS(':', IFNULL(from_status, 'NULL'), to_status, actor) FROM task_transitions WHERE task_id = $(sql_id "$id") ORDER BY id LIMIT 1")
expect_eq "$first" "NULL:pending:it-tests" "first transition"
expect_eq "$(sql "SELECT COUNT(*) FROM workflow_steps WHERE task_id = $(sql_id "$id") AND created_at <> (SELECT created_at FROM tasks WHERE id = $(sql_id "$id"))")" 0 "steps created with the task"
req GET "/tasks/$id"
expect_jq '[.steps[].name]' '["a","b","c","d"]'

# ---------------------------------------------------------------- validation

case_begin "422: the guide's example details, every field problem at once"
post_task '{"name": "process_payment", "version": "2.1.0.0", "context": {}}'
expect_error 422 ValidationError INVALID_TASK_CONFIG "Invalid task configuration"
expect_jq '.error.details' '{"namespace":["must be present"],"version":["must be a valid semantic version"]}'

case_begin "422: context schema violations, each with its JSON pointer, with the other problems"
post_task '{"name": "schema_check", "namespace": "it_tasks", "tags": ["x", "x"],
    "context": {"amount": -1, "currency": "GBP", "extra": 1, "items": [{"sku": 5}, {}]}}'
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details.context' '["/amount: must be >= 0","/currency: must be one of: \"USD\", \"EUR\"","/extra: additional property '"'"'extra'"'"' is not allowed","/items/0/sku: must be a string","/items/1/sku: is required"]'
expect_jq '.error.details.tags' '["'"'"'x'"'"' is listed twice"]'
post_task '{"name": "schema_check", "namespace": "it_tasks", "context": {"amount": 5}}'
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details' '{"context":["/currency: is required"]}'
post_task '{"name": "schema_check", "namespace": "it_tasks", "context": {"amount": 5, "currency": "EUR", "items": [{"sku": "A-1"}]}}'
expect_status 201

case_begin "422: wrong types and unknown fields"
post_task '{"name": "Process Payment", "namespace": 7, "context": [1], "initiator": "", "source_system": {}, "reason": 1, "tags": "t", "colour": 3}'
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details | keys' '["colour","context","initiator","name","namespace","reason","source_system","tags"]'
expect_jq '.error.details.namespace' '["must be a string"]'
expect_jq '.error.details.context' '["must be a JSON object"]'
expect_jq '.error.details.colour' '["is not a known field"]'
post_task '{"task": {"name": "inert", "namespace": "it_tasks"}, "name": "x"}'
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details' '{"name":["is not allowed next to '"'"'task'"'"'"]}'
post_task '[{"name": "inert"}]'
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details' '{"body":["must be a JSON object"]}'

case_begin "422: bounds: initiator, reason, tags, context depth"
long=$(head -c 300 /dev/zero | tr '\0' x)
post_task "{\"name\": \"inert\", \"namespace\": \"it_tasks\", \"initiator\": \"$long\", \"tags\": [$(seq -s, 1 33 | sed 's/[0-9]*/"&"/g')]}"
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details.initiator' '["must be 1 to 255 bytes long"]'
expect_jq '.error.details.tags' '["must have at most 32 items"]'
deep=$(printf '[%.0s' $(seq 1 31))$(printf ']%.0s' $(seq 1 31))
post_task "{\"name\": \"inert\", \"namespace\": \"it_tasks\", \"context\": {\"a\": $deep}}"
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details.context' '["must not be nested deeper than 31 levels"]'
deep=$(printf '[%.0s' $(seq 1 30))$(printf ']%.0s' $(seq 1 30))
post_task "{\"name\": \"inert\", \"namespace\": \"it_tasks\", \"context\": {\"a\": $deep}}"
expect_status 201

case_begin "404: HandlerNotFound and NamespaceNotFound in the guide's words"
post_task '{"name": "unknown_handler", "namespace": "payments", "version": "1.0.0", "context": {}}'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND "Handler 'unknown_handler' not found in namespace 'payments' version '1.0.0'"
post_task '{"name": "process_payment", "namespace": "payments", "version": "9.9.9"}'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND "Handler 'process_payment' not found in namespace 'payments' version '9.9.9'"
post_task '{"name": "unknown_handler", "namespace": "payments"}'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND "Handler 'unknown_handler' not found in namespace 'payments' version 'latest'"
post_task '{"name": "process_payment", "namespace": "unknown_namespace", "context": {}}'
expect_error 404 NamespaceNotFound NAMESPACE_NOT_FOUND "Namespace 'unknown_namespace' does not exist"

case_begin "400: malformed JSON says where"
post_task '{"name": "inert",
  "namespace": "it_tasks" "context": {}}'
expect_error 400 BadRequest BAD_REQUEST
expect_true '.error.message | startswith("Malformed JSON at line 2, column 27")'
post_task '{"name": "inert", "namespace": "it_tasks"} trailing'
expect_error 400 BadRequest BAD_REQUEST
expect_true '.error.message | startswith("Malformed JSON at line 1, column 44")'
post_task '{"name": "inert", "namespace": "it_tasks"'
expect_error 400 BadRequest BAD_REQUEST
expect_true '.error.message | endswith("unexpected end of input")'
post_task '{"name": "inert", "namespace": "it_tasks", "context": {"a": NaN}}'
expect_error 400 BadRequest BAD_REQUEST
post_task 'null'
expect_error 400 BadRequest BAD_REQUEST "Request body is null; send a JSON object"
post_task '{"name": "inert", "namespace": "it_tasks", "context": {"n": 18446744073709551616}}'
expect_error 400 BadRequest BAD_REQUEST
expect_true '.error.message | contains("integer out of range")'
post_task '{"name": "inert", "namespace": "it_tasks", "context": {"n": 1e999}}'
expect_error 400 BadRequest BAD_REQUEST
post_task "{\"name\": \"inert\", \"namespace\": \"it_tasks\", \"context\": {\"a\": $(printf '[%.0s' $(seq 1 45))$(printf ']%.0s' $(seq 1 45))}}"
expect_error 400 BadRequest BAD_REQUEST
expect_true '.error.message | contains("nested deeper than 40 levels")'
printf '{"name": "inert", "namespace": "it_tasks", "context": {"a": "\xff"}}' >"$T_TMP/bad.json"
req POST /tasks -H 'Content-Type: application/json' --data-binary "@$T_TMP/bad.json"
expect_error 400 BadRequest BAD_REQUEST
post_task '{"name": "inert", "namespace": "it_tasks", "context": {"a\u0000b": 1}}'
expect_error 400 BadRequest BAD_REQUEST
expect_true '.error.message | contains("\\u0000")'

case_begin "400 for an empty body, 415 for a body that is not JSON"
req POST /tasks -H 'Content-Type: application/json'
expect_error 400 BadRequest BAD_REQUEST "Request body is empty; send a JSON object"
req POST /tasks -H 'Content-Type: text/plain' -d '{"name": "inert", "namespace": "it_tasks"}'
expect_error 415 UnsupportedMediaType UNSUPPORTED_MEDIA_TYPE
req POST /tasks -H 'Content-Type: application/x-www-form-urlencoded' -d 'name=inert'
expect_error 415 UnsupportedMediaType UNSUPPORTED_MEDIA_TYPE
req POST /tasks -H 'Content-Type: application/json; charset=utf-8' -d '{"name": "inert", "namespace": "it_tasks"}'
expect_status 201

case_begin "413 for a body over api.max_body_bytes (tasker-fcgi) and over nginx's limit"
n0=$(sql "SELECT COUNT(*) FROM tasks")
{ printf '{"name": "inert", "namespace": "it_tasks", "context": {"pad": "'; head -c 1100000 /dev/zero | tr '\0' a; printf '"}}'; } >"$T_TMP/big.json"
req POST /tasks -H 'Content-Type: application/json' --data-binary "@$T_TMP/big.json"
expect_error 413 PayloadTooLarge PAYLOAD_TOO_LARGE
{ printf '{"name": "inert", "namespace": "it_tasks", "context": {"pad": "'; head -c 3000000 /dev/zero | tr '\0' a; printf '"}}'; } >"$T_TMP/huge.json"
req POST /tasks -H 'Content-Type: application/json' --data-binary "@$T_TMP/huge.json"
expect_error 413 PayloadTooLarge PAYLOAD_TOO_LARGE
expect_eq "$(sql "SELECT COUNT(*) FROM tasks")" "$n0" "tasks after refused bodies"
req GET "/tasks/$JS_ID"
expect_status 200

case_begin "400: query parameters are not part of POST /tasks"
req POST '/tasks?x=1' -H 'Content-Type: application/json' -d '{"name": "inert", "namespace": "it_tasks"}'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details' '{"x":["is not a known parameter"]}'

# ---------------------------------------------------------------- idempotency

BODY1='{"name": "inert", "namespace": "it_tasks", "context": {"order": 1, "lines": [1, 2]}}'
BODY1_SAME='{"task": {"context": {"lines": [1, 2], "order": 1},
    "namespace": "it_tasks", "name": "inert"}}'
BODY2='{"name": "inert", "namespace": "it_tasks", "context": {"order": 2}}'

case_begin "Idempotency-Key: a repeat returns the original task (200) and creates nothing"
key=it-key-$RANDOM$RANDOM
post_task "$BODY1" -H "Idempotency-Key: $key"
expect_status 201
first=$(jq -r .id <"$BODY_FILE")
n0=$(sql "SELECT COUNT(*) FROM tasks")
post_task "$BODY1" -H "Idempotency-Key: $key"
expect_status 200
expect_jq '.id' "\"$first\""
expect_header 'Idempotent-Replayed' 'true'
expect_header 'Location' "$PREFIX/tasks/$first"
expect_jq "keys_unsorted[0:7]" '["id","name","namespace","version","full_name","status","context"]'
post_task "$BODY1_SAME" -H "Idempotency-Key: $key"
expect_status 200
expect_jq '.id' "\"$first\""
expect_eq "$(sql "SELECT COUNT(*) FROM tasks")" "$n0" "tasks after replays"

case_begin "Idempotency-Key: the same key with another request is 422"
post_task "$BODY2" -H "Idempotency-Key: $key"
expect_error 422 ValidationError INVALID_TASK_CONFIG "Idempotency-Key '$key' was already used with a different request"
expect_jq '.error.details | keys' '["Idempotency-Key"]'
expect_eq "$(sql "SELECT COUNT(*) FROM tasks")" "$n0" "tasks after a reused key"

case_begin "Idempotency-Key: keys belong to a principal"
OTHER=$(AUTH= $TASKER_ADMIN token --subject it-tests-other --permission tasker.task:create)
AUTH=$OTHER post_task "$BODY1" -H "Idempotency-Key: $key"
expect_status 201
[ "$(jq -r .id <"$BODY_FILE")" != "$first" ] || fail "another principal got the first task"

case_begin "Idempotency-Key: an expired key is forgotten"
sql "UPDATE idempotency_keys SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE principal = 'it-tests' AND idem_key = '$key'"
post_task "$BODY2" -H "Idempotency-Key: $key"
expect_status 201
[ "$(jq -r .id <"$BODY_FILE")" != "$first" ] || fail "an expired key replayed"
expect_eq "$(sql "SELECT COUNT(*) FROM idempotency_keys WHERE principal = 'it-tests' AND idem_key = '$key' AND expires_at > UTC_TIMESTAMP(6) + INTERVAL 80000 SECOND")" 1 "fresh key kept for the ttl"

case_begin "Idempotency-Key: malformed keys are 400"
post_task "$BODY1" -H "Idempotency-Key: has space"
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details | keys' '["Idempotency-Key"]'
post_task "$BODY1" -H "Idempotency-Key: $(head -c 256 /dev/zero | tr '\0' k)"
expect_error 400 BadRequest BAD_REQUEST

case_begin "Idempotency-Key: 8 identical requests at once create one task"
key=it-race-$RANDOM$RANDOM
n0=$(sql "SELECT COUNT(*) FROM tasks")
: >"$T_TMP/race-config"
for i in 1 2 3 4 5 6 7 8; do
	body=$(echo "$BODY1" | jq -c . | sed 's/\\/\\\\/g; s/"/\\"/g')
	printf 'url = "%s/tasks"\nrequest = "POST"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\nheader = "Idempotency-Key: %s"\ndata = "%s"\noutput = "%s/race.%d"\nwrite-out = "%%{http_code}\\n"\n' \
	    "$TASKER_URL" "$AUTH" "$key" "$body" "$T_TMP" "$i" >>"$T_TMP/race-config"
	[ $i -lt 8 ] && echo next >>"$T_TMP/race-config"
done
codes=$(curl -s --parallel --parallel-max 8 -K "$T_TMP/race-config" 2>/dev/null | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
expect_eq "$codes" "200x7 201x1 " "statuses"
ids=$(cat "$T_TMP"/race.[0-9] | jq -r .id | sort -u | wc -l)
expect_eq "$ids" 1 "distinct task ids"
expect_eq "$(sql "SELECT COUNT(*) FROM tasks")" "$((n0 + 1))" "tasks created"

# ---------------------------------------------------------------- all or nothing

case_begin "a create that fails half-way leaves nothing (trigger refuses the sixth step)"
# (One statement, so the client needs no DELIMITER: a NULL retry_limit
# is refused by the NOT NULL column in strict mode.)
sql "DROP TRIGGER IF EXISTS it_tasks_boom;
    CREATE TRIGGER it_tasks_boom BEFORE INSERT ON workflow_steps FOR EACH ROW
      SET NEW.retry_limit = IF(NEW.name = 'boom', NULL, NEW.retry_limit)"
counts() {
	sql "SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM tasks), (SELECT COUNT(*) FROM workflow_steps),
	    (SELECT COUNT(*) FROM task_transitions), (SELECT COALESCE(SUM(n), 0) FROM task_counts),
	    (SELECT COUNT(*) FROM idempotency_keys))"
}
c0=$(counts)
key=it-boom-$RANDOM
post_task '{"name": "boom", "namespace": "it_tasks"}' -H "Idempotency-Key: $key"
expect_error 500 InternalError INTERNAL_ERROR "Internal server error"
expect_eq "$(counts)" "$c0" "tasks steps transitions counts keys"
grep -q 'retry_limit' "$BODY_FILE" && fail "the database error leaked to the client"
sql "DROP TRIGGER it_tasks_boom"
post_task '{"name": "boom", "namespace": "it_tasks"}' -H "Idempotency-Key: $key"
expect_status 201
expect_eq "$(sql "SELECT COUNT(*) FROM workflow_steps WHERE task_id = $(sql_id "$(jq -r .id <"$BODY_FILE")")")" 6 "steps of the retried create"

# ---------------------------------------------------------------- show

case_begin "GET /tasks/{id}: unknown and malformed ids are TaskNotFound"
req GET /tasks/00000000-0000-7000-8000-000000000000
expect_error 404 TaskNotFound TASK_NOT_FOUND "Task '00000000-0000-7000-8000-000000000000' not found"
req GET /tasks/not-a-uuid
expect_error 404 TaskNotFound TASK_NOT_FOUND "Task 'not-a-uuid' not found"
req GET /tasks/550e8400-e29b-41d4-a716-44665544000
expect_error 404 TaskNotFound TASK_NOT_FOUND
req GET "/tasks/$(echo "$JS_ID" | tr a-f A-F)"
expect_status 200
expect_jq '.id' "\"$JS_ID\""

case_begin "GET /tasks/{id}: bad parameters are 400"
req GET "/tasks/$JS_ID?include_dependencies=yes"
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details | keys' '["include_dependencies"]'
req GET "/tasks/$JS_ID?include_dependencies=true&include_dependencies=false"
expect_error 400 BadRequest BAD_REQUEST
req GET "/tasks/$JS_ID?verbose=1"
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details' '{"verbose":["is not a known parameter"]}'

case_begin "GET /tasks/{id}?include_dependencies: a failed task says what blocks what"
EID=$(error_task) || fail "no task in error"
req GET "/tasks/$EID?include_dependencies=true"
expect_status 200
expect_jq '.status' '"error"'
expect_jq '.steps[0] | [.name, .status, .attempts]' '["a","error",1]'
expect_jq '.steps[0] | has("last_error")' true
expect_jq '.dependencies | [.blocked_steps, .ready_steps, .completed_steps, .failed_steps]' '[["b","c","d"],[],[],["a"]]'
expect_jq '.dependencies.blocked_by' '{"b":["a"],"c":["a"],"d":["b","c"]}'
expect_jq '.dependencies.analysis' '"Task has failed: step '"'"'a'"'"' has no attempts left and 3 dependent steps cannot run; retry the task or resolve the step manually."'

case_begin "GET /tasks/{id}: a failed step waiting for its retry shows last_error and next_attempt_at"
NID=$(error_task) || fail "no task in error"
# What the engine leaves after a failed attempt with retries left: the
# step in error, ready again at the time of its next attempt.
sql "UPDATE workflow_steps SET status = 'error', attempts = 1, last_error = 'exit status 1',
    ready_at = '2099-01-02 03:04:05.678' WHERE task_id = $(sql_id "$NID") AND name = 'b'"
req GET "/tasks/$NID?include_dependencies=true"
expect_status 200
expect_jq '.steps[1] | [.name, .status, .last_error, .next_attempt_at]' '["b","error","exit status 1","2099-01-02T03:04:05Z"]'
expect_jq '.steps[2] | has("next_attempt_at") or has("last_error")' false
expect_jq '.dependencies.failed_steps' '["a"]'
req GET "/tasks/$NID/workflow_steps/b"
expect_jq '[.next_attempt_at, .max_attempts]' '["2099-01-02T03:04:05Z",3]'
req GET "/tasks/$NID/workflow_steps/c"
expect_jq '[.last_error, .next_attempt_at]' '[null,null]'

# ---------------------------------------------------------------- operations

case_begin "GET /tasks/{id}/workflow_steps: every step in full"
req GET "/tasks/$EID/workflow_steps"
expect_status 200
expect_jq 'keys_unsorted' '["task_id","workflow_steps"]'
expect_jq '.task_id' "\"$EID\""
expect_jq '[.workflow_steps[].name]' '["a","b","c","d"]'
expect_jq '.workflow_steps[0] | keys_unsorted' '["name","status","results","attempts","started_at","completed_at","last_error","next_attempt_at","position","depends_on","max_attempts","retryable","retry_limit","skippable","created_at","updated_at"]'
expect_jq '[.workflow_steps[] | [.depends_on, .max_attempts, .retryable, .retry_limit, .skippable]]' \
    '[[[],1,false,3,false],[["a"],3,true,2,false],[["a"],1,false,7,false],[["b","c"],1,true,0,true]]'
req GET /tasks/00000000-0000-7000-8000-000000000000/workflow_steps
expect_error 404 TaskNotFound TASK_NOT_FOUND

case_begin "GET /tasks/{id}/workflow_steps/{step}: one step with its history"
req GET "/tasks/$EID/workflow_steps/a"
expect_status 200
expect_jq '[.name, .status, .task_id]' "[\"a\",\"error\",\"$EID\"]"
expect_jq '.transitions[-1].to' '"error"'
expect_jq '.transitions[0] | keys_unsorted' '["from","to","attempt","actor","reason","at"]'
req GET "/tasks/$EID/workflow_steps/zz"
expect_error 404 StepNotFound STEP_NOT_FOUND "Step 'zz' not found in task '$EID'"
req GET "/tasks/$EID/workflow_steps/Bad%20Name"
expect_error 404 StepNotFound STEP_NOT_FOUND

case_begin "POST /tasks/{id}/retry: failed steps get fresh attempts, the task is pending again"
# What a failed attempt leaves: when it started and why it failed.
sql "UPDATE workflow_steps SET started_at = UTC_TIMESTAMP(6), last_error = 'exit status 1'
    WHERE task_id = $(sql_id "$EID") AND name = 'a'"
ntr=$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id = $(sql_id "$EID")")
req POST "/tasks/$EID/retry" -H 'Content-Type: application/json' -d '{"reason": "gateway fixed"}'
expect_status 200
expect_jq '.status' '"pending"'
expect_jq '.steps[0] | [.status, .attempts]' '["pending",0]'
# A reset step shows nothing stale (the answer is read in the retry's
# transaction, before a worker can run it again); the history stays in
# its transitions.
expect_jq '.steps[0] | [.started_at, .completed_at, .last_error]' '[null,null,null]'
expect_eq "$(sql "SELECT COUNT(*) > $ntr FROM step_transitions WHERE task_id = $(sql_id "$EID")")" 1 "transitions kept and added"
expect_jq '[.steps[1:][].status] | unique' '["pending"]'
last=$(sql "SELECT CONCAT_WS(':', from_status, to_status, actor, reason) FROM step_transitions WHERE task_id = $(sql_id "$EID") AND actor = 'it-tests' ORDER BY id DESC LIMIT 1")
expect_eq "$last" "error:pending:it-tests:gateway fixed" "step transition"
last=$(sql "SELECT CONCAT_WS(':', from_status, to_status, actor) FROM task_transitions WHERE task_id = $(sql_id "$EID") AND actor = 'it-tests' ORDER BY id DESC LIMIT 1")
expect_eq "$last" "error:pending:it-tests" "task transition"
expect_eq "$(sql "SELECT COUNT(*) FROM step_transitions WHERE task_id = $(sql_id "$EID") AND actor = 'it-tests'")" 1 "steps retried"

case_begin "POST /tasks/{id}/retry: only a task in error (409 otherwise)"
PID=$(new_task inert) || fail "create"
req POST "/tasks/$PID/retry"
# The worker may already have failed it; then it may be retried.
if [ "$STATUS" = 409 ]; then
	expect_error 409 Conflict CONFLICT
	expect_true '.error.message | test("^Task .* is (pending|in_progress); only a task in error can be retried$")'
fi
req POST /tasks/00000000-0000-7000-8000-000000000000/retry
expect_error 404 TaskNotFound TASK_NOT_FOUND
req POST "/tasks/$PID/retry" -H 'Content-Type: application/json' -d '{"force": true}'
expect_error 422 ValidationError INVALID_TASK_CONFIG

case_begin "PATCH /tasks/{id}/workflow_steps/{step}: resolved_manually releases the children"
EID=$(error_task) || fail "no task in error"
req PATCH "/tasks/$EID/workflow_steps/a" -H 'Content-Type: application/json' \
    -d '{"status": "resolved_manually", "results": {"paid_by": "hand"}, "reason": "paid at the desk"}'
expect_status 200
expect_jq '[.name, .status, .results]' '["a","resolved_manually",{"paid_by":"hand"}]'
expect_true ".completed_at | test(\"$STAMP\")"
expect_jq '.transitions[-1] | [.from, .to, .actor, .reason]' '["error","resolved_manually","it-tests","paid at the desk"]'
rel=$(sql "SELECT GROUP_CONCAT(CONCAT(name, ':', unmet_parents) ORDER BY position) FROM workflow_steps WHERE task_id = $(sql_id "$EID") AND position > 0")
expect_eq "$rel" "b:0,c:0,d:2" "unmet parents after the release"
st=$(task_status "$EID")
case "$st" in in_progress|error) ;; *) fail "task status after resolving: $st" ;; esac

case_begin "PATCH .../workflow_steps/{step}: illegal transitions are 409 naming both statuses"
req PATCH "/tasks/$EID/workflow_steps/a" -H 'Content-Type: application/json' -d '{"status": "cancelled"}'
expect_error 409 Conflict CONFLICT "Cannot change step 'a' from resolved_manually to cancelled"
req PATCH "/tasks/$EID/workflow_steps/a" -H 'Content-Type: application/json' -d '{"status": "resolved_manually"}'
expect_error 409 Conflict CONFLICT "Cannot change step 'a' from resolved_manually to resolved_manually"
if wait_status "$GUIDE_ID" complete 20; then
	req PATCH "/tasks/$GUIDE_ID/workflow_steps/charge_card" -H 'Content-Type: application/json' -d '{"status": "resolved_manually"}'
	expect_error 409 Conflict CONFLICT "Cannot change step 'charge_card' from complete to resolved_manually"
fi

case_begin "PATCH .../workflow_steps/{step}: only resolved_manually or cancelled (422)"
# The message says what the details say.
req PATCH "/tasks/$EID/workflow_steps/d" -H 'Content-Type: application/json' -d '{"status": "complete"}'
expect_error 422 ValidationError INVALID_TASK_CONFIG "A step can be set to resolved_manually or cancelled"
expect_jq '.error.details.status' '["must be \"resolved_manually\" or \"cancelled\""]'
req PATCH "/tasks/$EID/workflow_steps/d" -H 'Content-Type: application/json' -d '{"status": "cancelled", "results": {}}'
expect_error 422 ValidationError INVALID_TASK_CONFIG "Results are an object, given only with resolved_manually"
expect_jq '.error.details | keys' '["results"]'
req PATCH "/tasks/$EID/workflow_steps/d" -H 'Content-Type: application/json' -d '{"status": "resolved_manually", "reason": ""}'
expect_error 422 ValidationError INVALID_TASK_CONFIG "Invalid reason"
expect_jq '.error.details | keys' '["reason"]'
req PATCH "/tasks/$EID/workflow_steps/d" -H 'Content-Type: application/json' -d '{"status": "cancelled", "colour": 1}'
expect_error 422 ValidationError INVALID_TASK_CONFIG "Invalid step change"
req PATCH "/tasks/$EID/workflow_steps/d" -H 'Content-Type: application/json' -d '{}'
expect_error 422 ValidationError INVALID_TASK_CONFIG "A step can be set to resolved_manually or cancelled"
req PATCH "/tasks/$EID/workflow_steps/nope" -H 'Content-Type: application/json' -d '{"status": "cancelled"}'
expect_error 404 StepNotFound STEP_NOT_FOUND

case_begin "PATCH .../workflow_steps/{step}: cancelled stops a step, and with it the task"
req PATCH "/tasks/$EID/workflow_steps/d" -H 'Content-Type: application/json' -d '{"status": "cancelled"}'
expect_status 200
expect_jq '.status' '"cancelled"'
expect_eq "$(sql "SELECT ready_at IS NULL FROM workflow_steps WHERE task_id = $(sql_id "$EID") AND name = 'd'")" 1 "d not ready"
req GET "/tasks/$EID?include_dependencies=true"
# b and c had not finished either: cancelled with d, none left pending.
expect_jq '[.status, (.dependencies.cancelled_steps | sort)]' '["cancelled",["b","c","d"]]'

case_begin "PATCH /tasks/{id}: reason and tags only"
req PATCH "/tasks/$EID" -H 'Content-Type: application/json' -d '{"reason": "checked by ops", "tags": ["ops", "urgent"]}'
expect_status 200
expect_jq '[.reason, .tags]' '["checked by ops",["ops","urgent"]]'
req PATCH "/tasks/$EID" -H 'Content-Type: application/json' -d '{"tags": null}'
expect_status 200
expect_jq '[.reason, .tags]' '["checked by ops",[]]'
req PATCH "/tasks/$EID" -H 'Content-Type: application/json' -d '{"status": "complete", "context": {}, "reason": "x"}'
expect_error 422 ValidationError INVALID_TASK_CONFIG
expect_jq '.error.details | keys' '["context","status"]'
expect_jq '.error.details.status' '["cannot be changed (only reason and tags can)"]'
req PATCH "/tasks/$EID" -H 'Content-Type: application/json' -d '{}'
expect_error 422 ValidationError INVALID_TASK_CONFIG
req PATCH "/tasks/$EID" -H 'Content-Type: application/json' -d '{"tags": ["a", "a"]}'
expect_error 422 ValidationError INVALID_TASK_CONFIG
req PATCH "/tasks/$EID" -H 'Content-Type: text/plain' -d '{"reason": "x"}'
expect_error 415 UnsupportedMediaType UNSUPPORTED_MEDIA_TYPE
req PATCH /tasks/00000000-0000-7000-8000-000000000000 -H 'Content-Type: application/json' -d '{"reason": "x"}'
expect_error 404 TaskNotFound TASK_NOT_FOUND

case_begin "DELETE /tasks/{id}: cancels the task and its waiting steps, deletes nothing"
CID=$(new_task inert) || fail "create"
req DELETE "/tasks/$CID"
expect_status 200
expect_jq '.status' '"cancelled"'
expect_jq '[.steps[1:][].status]' '["cancelled","cancelled","cancelled"]'
expect_true '.steps[0].status != "pending"'
expect_true ".completed_at | test(\"$STAMP\")"
expect_eq "$(sql "SELECT COUNT(*) FROM workflow_steps WHERE task_id = $(sql_id "$CID") AND ready_at IS NOT NULL")" 0 "steps still claimable"
expect_eq "$(sql "SELECT CONCAT_WS(':', to_status, actor) FROM task_transitions WHERE task_id = $(sql_id "$CID") ORDER BY id DESC LIMIT 1")" "cancelled:it-tests" "transition"
req GET "/tasks/$CID?include_dependencies=true"
expect_status 200
expect_jq '.status' '"cancelled"'
expect_true '.dependencies.analysis | startswith("Task was cancelled")'

case_begin "DELETE /tasks/{id}: a final task is 409 naming its status"
req DELETE "/tasks/$CID"
expect_error 409 Conflict CONFLICT "Task '$CID' is already cancelled; only a task that has not finished can be cancelled"
if wait_status "$GUIDE_ID" complete 20; then
	req DELETE "/tasks/$GUIDE_ID"
	expect_error 409 Conflict CONFLICT "Task '$GUIDE_ID' is already complete; only a task that has not finished can be cancelled"
fi
req POST "/tasks/$CID/retry"
expect_error 409 Conflict CONFLICT "Task '$CID' is cancelled; only a task in error can be retried"
req PATCH "/tasks/$CID/workflow_steps/b" -H 'Content-Type: application/json' -d '{"status": "resolved_manually"}'
expect_error 409 Conflict CONFLICT
req DELETE /tasks/00000000-0000-7000-8000-000000000000
expect_error 404 TaskNotFound TASK_NOT_FOUND

case_begin "DELETE /tasks/{id}: a task in error can be cancelled, with a reason"
XID=$(error_task) || fail "no task in error"
req DELETE "/tasks/$XID" -H 'Content-Type: application/json' -d '{"reason": "customer withdrew"}'
expect_status 200
expect_jq '[.steps[].status]' '["cancelled","cancelled","cancelled","cancelled"]'
expect_eq "$(sql "SELECT reason FROM task_transitions WHERE task_id = $(sql_id "$XID") ORDER BY id DESC LIMIT 1")" "customer withdrew" "reason"

case_begin "405 with Allow for a method a task path does not have"
req PUT "/tasks/$CID" -H 'Content-Type: application/json' -d '{}'
expect_error 405 MethodNotAllowed METHOD_NOT_ALLOWED
expect_header 'Allow' 'GET, HEAD, PATCH, DELETE'

# ---------------------------------------------------------------- auth

# route: METHOD PATH PERMISSION [body]
check_route() {
	local method=$1 path=$2 perm=$3 data=${4:-}
	local args=()
	[ -n "$data" ] && args=(-H 'Content-Type: application/json' -d "$data")
	AUTH= req "$method" "$path" "${args[@]}"
	expect_error 401 AuthenticationError AUTHENTICATION_FAILED
	expect_header_present 'WWW-Authenticate'
	AUTH=$WRONG req "$method" "$path" "${args[@]}"
	expect_error 403 AuthorizationError AUTHORIZATION_FAILED "Insufficient permissions for $perm"
	ONLY=$(AUTH= $TASKER_ADMIN token --subject it-tests --permission "$perm")
	AUTH=$ONLY req "$method" "$path" "${args[@]}"
	case "$STATUS" in 401|403) fail "$method $path with $perm: $STATUS" ;; esac
}

case_begin "401 without a token and 403 without the route's permission, on every task route"
WRONG=$(token tasker.handler:index tasker.task:nothing)
AID=$(new_task inert) || fail "create"
check_route POST /tasks tasker.task:create '{"name": "inert", "namespace": "it_tasks"}'
check_route GET /tasks tasker.task:index
check_route GET "/tasks/$AID" tasker.task:show
check_route PATCH "/tasks/$AID" tasker.task:update '{"reason": "r"}'
check_route POST "/tasks/$AID/retry" tasker.task:retry
check_route GET "/tasks/$AID/workflow_steps" tasker.workflow_step:index
check_route GET "/tasks/$AID/workflow_steps/a" tasker.workflow_step:show
check_route PATCH "/tasks/$AID/workflow_steps/d" tasker.workflow_step:update '{"status": "cancelled"}'
check_route DELETE "/tasks/$AID" tasker.task:cancel

case_begin "wildcards: tasker.task:* creates, lists and cancels"
AUTH=$(token 'tasker.task:*') req GET '/tasks?per_page=1'
expect_status 200

finish
