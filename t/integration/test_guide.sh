#!/usr/bin/env bash
# test_guide.sh - the API guide's task examples and error bodies
# (t/fixtures/guide/, see its README.md) replayed against the real stack:
# create, list, detail, and every error scenario the guide prints.  The
# guide's fields come first and in the guide's order; values the server
# chooses are checked by form.  Discovery is test_discovery.sh's.
. "$(dirname "$0")/lib.sh"

GUIDE=$TASKER_ROOT/t/fixtures/guide
AUTH=$(token '*')
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

# keys_first JQPATH FIXTURE FIXPATH: the object at JQPATH in the body
# starts with the fixture's keys (at FIXPATH), in the fixture's order.
keys_first() {
	local want
	want=$(jq -c "$3 | keys_unsorted" "$2")
	expect_jq "$1 | keys_unsorted | .[0:$(jq "$3 | length" "$2")]" "$want"
}

# same_fields JQPATH FIXTURE FIXPATH FIELD...: these fields are equal.
same_fields() {
	local f
	for f in "${@:4}"; do
		expect_jq "$1 | .$f" "$(jq -c "$3 | .$f" "$2")"
	done
}

# The workers stop so the task stays pending while it is listed and
# shown, as in the guide's list example.
stack_workers_stop
trap 'stack_workers_start; rm -rf "$T_TMP"' EXIT

case_begin "the guide's POST /tasks: 201, the guide's fields first, in order"
req POST /tasks -H 'Content-Type: application/json' \
    --data-binary "@$GUIDE/create_request.json"
expect_status 201
keys_first . "$GUIDE/create_response.json" .
same_fields . "$GUIDE/create_response.json" . \
    name namespace version full_name status context
expect_jq ".id | test(\"$UUID_RE\")" true
expect_jq ".created_at | test(\"$TIME_RE\")" true
expect_jq '.updated_at == .created_at' true
ID=$(jq -r .id <"$BODY_FILE")

case_begin "the guide's GET /tasks query: the new task, the guide's item and pagination fields"
req GET "/tasks?namespace=payments&version=2.1.0&status=pending&page=1&per_page=10"
expect_status 200
expect_jq 'keys_unsorted' "$(jq -c 'keys_unsorted' "$GUIDE/list_response.json")"
expect_jq "[.tasks[] | select(.id == \"$ID\")] | length" 1
expect_jq '[.tasks[] | .status == "pending" and .namespace == "payments" and .version == "2.1.0"] | all' true
keys_first ".tasks[0]" "$GUIDE/list_response.json" ".tasks[0]"
expect_jq '.pagination | keys_unsorted' \
    "$(jq -c '.pagination | keys_unsorted' "$GUIDE/list_response.json")"
same_fields .pagination "$GUIDE/list_response.json" .pagination \
    current_page per_page
expect_jq '.pagination.total_pages == ((.pagination.total_count + 9) / 10 | floor)' true

case_begin "the guide's GET /tasks/{id}?include_dependencies=true: fields, steps and dependencies in order"
req GET "/tasks/$ID?include_dependencies=true"
expect_status 200
keys_first . "$GUIDE/task_detail.json" .
same_fields . "$GUIDE/task_detail.json" . name namespace version full_name context
expect_jq '.status' '"pending"'
# Each step: the guide's fields first, in order, then the glance
# (issue 20: dependencies_satisfied, retry_eligible, next_retry_at,
# max_attempts; last_error / next_attempt_at only when they apply).
n=$(jq '.steps[0] | length' "$GUIDE/task_detail.json")
expect_jq "[.steps[] | keys_unsorted[0:$n]] | unique" \
    "[$(jq -c '.steps[0] | keys_unsorted' "$GUIDE/task_detail.json")]"
expect_jq "[.steps[] | keys_unsorted[$n:]] | unique" \
    '[["dependencies_satisfied","retry_eligible","next_retry_at","max_attempts"]]'
expect_jq '[.steps[].name]' \
    '["validate_payment","charge_card","update_order","send_confirmation"]'
keys_first .dependencies "$GUIDE/task_detail.json" .dependencies
expect_jq '.dependencies.ready_steps' '["validate_payment"]'
expect_jq '.dependencies.completed_steps' '[]'

case_begin "the guide's validation error, byte for byte"
req POST /tasks -H 'Content-Type: application/json' \
    --data-binary '{"name":"process_payment","version":"2.x.0"}'
expect_status 422
expect_jq . "$(jq -c . "$GUIDE/error_validation.json")"

case_begin "the guide's HandlerNotFound, byte for byte"
req POST /tasks -H 'Content-Type: application/json' \
    --data-binary '{"name":"unknown_handler","namespace":"payments","version":"1.0.0"}'
expect_status 404
expect_jq . "$(jq -c . "$GUIDE/error_handler_not_found.json")"

case_begin "the guide's NamespaceNotFound, byte for byte"
req GET /handlers/unknown_namespace
expect_status 404
expect_jq . "$(jq -c . "$GUIDE/error_namespace_not_found.json")"

case_begin "the guide's AuthenticationError, byte for byte"
AUTH=not.a.token req GET /handlers
expect_status 401
expect_jq . "$(jq -c . "$GUIDE/error_authentication.json")"

case_begin "the guide's AuthorizationError, byte for byte"
AUTH=$(token tasker.task:index) req GET /handlers
expect_status 403
expect_jq . "$(jq -c . "$GUIDE/error_authorization.json")"

stack_workers_start
trap 'rm -rf "$T_TMP"' EXIT

case_begin "the guide's task, with workers back, runs to complete"
for i in $(seq 1 120); do
	req GET "/tasks/$ID"
	[ "$(jq -r .status <"$BODY_FILE")" = complete ] && break
	sleep 0.5
done
expect_jq .status '"complete"'
expect_jq '[.steps[] | .status == "complete" and .attempts >= 1 and
    (.started_at | test("'"$TIME_RE"'")) and (.completed_at | test("'"$TIME_RE"'"))] | all' true

finish
