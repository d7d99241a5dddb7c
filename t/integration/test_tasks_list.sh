#!/usr/bin/env bash
# test_tasks_list.sh - GET /tasks: filters, pagination arithmetic,
# total_count from task_counts, query plans (EXPLAIN of the statements the
# API really runs), and 8 concurrent clients creating 1,000 tasks.
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/t/fixtures/tasks/it_lib.sh"

AUTH=$(token tasker.task:create tasker.task:index tasker.task:show \
    tasker.task:cancel tasker.handler:index)

# pages: the list's tasks in page order, one id per line.
ids_of() {
	jq -r '.tasks[].id' <"$BODY_FILE"
}

# The real row count of a WHERE clause on tasks, to check total_count.
count_where() {
	sql "SELECT COUNT(*) FROM tasks WHERE $1"
}

case_begin "setup: the test handlers load"
tasks_setup || fail "setup"

case_begin "no tasks: an empty list, total_count 0, total_pages 0"
req GET '/tasks?namespace=it_tasks2'
expect_status 200
expect_jq '.' '{"tasks":[],"pagination":{"current_page":1,"per_page":25,"total_pages":0,"total_count":0}}'
req GET '/tasks?namespace=no_such_namespace&page=3'
expect_status 200
expect_jq '.pagination' '{"current_page":3,"per_page":25,"total_pages":0,"total_count":0}'

case_begin "five tasks: exactly one page, newest first"
CREATED=()
for i in 1 2 3 4 5; do
	CREATED+=("$(new_task pages "{\"n\": $i}" it_tasks2)") || fail "create $i"
done
NEWEST_FIRST=$(printf '%s\n' "${CREATED[@]}" | tac)
req GET '/tasks?namespace=it_tasks2&per_page=5'
expect_status 200
expect_jq '.pagination' '{"current_page":1,"per_page":5,"total_pages":1,"total_count":5}'
expect_eq "$(ids_of)" "$NEWEST_FIRST" "ids, newest first"
expect_jq '[.tasks[].context.n]' '[5,4,3,2,1]'
expect_jq '[.tasks[] | keys_unsorted[0:9]] | unique' '[["id","name","namespace","version","full_name","status","context","created_at","updated_at"]]'

case_begin "pages of two: 2, 2, then a last partial page of 1, then nothing"
got=""
for p in 1 2 3; do
	req GET "/tasks?namespace=it_tasks2&per_page=2&page=$p"
	expect_status 200
	expect_jq '[.pagination.current_page, .pagination.per_page, .pagination.total_pages, .pagination.total_count]' "[$p,2,3,5]"
	expect_jq '.tasks | length' "$([ $p -lt 3 ] && echo 2 || echo 1)"
	got="$got$(ids_of)"$'\n'
done
expect_eq "$got" "$NEWEST_FIRST"$'\n' "the pages together"
req GET '/tasks?namespace=it_tasks2&per_page=2&page=4'
expect_status 200
expect_jq '.tasks' '[]'
expect_jq '.pagination' '{"current_page":4,"per_page":2,"total_pages":3,"total_count":5}'

case_begin "the order is stable: the same request twice gives the same page"
req GET '/tasks?namespace=it_tasks2&per_page=3&page=2'
a=$(ids_of)
req GET '/tasks?namespace=it_tasks2&per_page=3&page=2'
expect_eq "$(ids_of)" "$a" "page 2 twice"

case_begin "per_page above the maximum is lowered to it, and the answer says so"
req GET '/tasks?per_page=1000'
expect_status 200
expect_jq '.pagination.per_page' 100
req GET '/tasks?per_page=99999999999999999999999'
expect_status 200
expect_jq '.pagination.per_page' 100
req GET '/tasks?namespace=it_tasks2&per_page=100'
expect_jq '.pagination.total_pages' 1

case_begin "400 naming the parameter: per_page, page not positive integers"
for v in 0 -1 abc 1.5 '' ' 5'; do
	req GET "/tasks?per_page=$(jq -rn --arg v "$v" '$v|@uri')"
	expect_error 400 BadRequest BAD_REQUEST "Invalid request parameters"
	expect_jq '.error.details | keys' '["per_page"]'
done
for v in 0 -2 x 10000001; do
	req GET "/tasks?page=$v"
	expect_error 400 BadRequest BAD_REQUEST
	expect_jq '.error.details | keys' '["page"]'
done
req GET '/tasks?page=0&per_page=0'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details | keys' '["page","per_page"]'

case_begin "400 for unknown, repeated and malformed filters"
req GET '/tasks?status=pending,bogus'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details.status' '["unknown status '"'"'bogus'"'"' (known: pending, in_progress, complete, error, cancelled, resolved_manually)"]'
req GET '/tasks?status=pending,,error'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details | keys' '["status"]'
req GET '/tasks?namespace=Bad%20Name&version=1.0&name=x!'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details | keys' '["name","namespace","version"]'
req GET '/tasks?namespace=a&namespace=b'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details' '{"namespace":["must be given at most once"]}'
req GET '/tasks?order=id'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details' '{"order":["is not a known parameter"]}'
req GET '/tasks?sort=id'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details' '{"sort":["must be priority (highest first), -priority (lowest first) or created_at (newest first, the default)"]}'

case_begin "status filters, one and several, combine with the counts"
req DELETE "/tasks/${CREATED[0]}"
expect_status 200
req DELETE "/tasks/${CREATED[2]}"
expect_status 200
req GET '/tasks?namespace=it_tasks2&status=cancelled'
expect_status 200
expect_jq '.pagination.total_count' 2
expect_eq "$(ids_of)" "$(printf '%s\n' "${CREATED[2]}" "${CREATED[0]}")" "cancelled ids"
req GET '/tasks?namespace=it_tasks2&status=pending,in_progress,error'
expect_jq '.pagination.total_count' 3
expect_jq '[.tasks[].status] - ["pending","in_progress","error"]' '[]'
expect_eq "$(ids_of)" "$(printf '%s\n' "${CREATED[4]}" "${CREATED[3]}" "${CREATED[1]}")" "the others, newest first"
req GET '/tasks?namespace=it_tasks2&status=cancelled,pending,in_progress,error&per_page=2&page=2'
expect_jq '.pagination' '{"current_page":2,"per_page":2,"total_pages":3,"total_count":5}'
expect_eq "$(ids_of)" "$(printf '%s\n' "${CREATED[2]}" "${CREATED[1]}")" "page 2 of a status set"
req GET '/tasks?namespace=it_tasks2&status=complete'
expect_jq '.' '{"tasks":[],"pagination":{"current_page":1,"per_page":25,"total_pages":0,"total_count":0}}'
req GET '/tasks?status=cancelled'
expect_jq '.pagination.total_count' "$(count_where "status = 'cancelled'")"

case_begin "name, version and namespace filters in every combination"
new_task pages '{}' it_tasks >/dev/null || fail "create"
new_task pages '{}' it_tasks >/dev/null || fail "create"
check_filter() {   # QUERY WHERE
	req GET "/tasks?$1&per_page=100"
	expect_status 200
	expect_jq '.pagination.total_count' "$(count_where "$2")"
	expect_jq '.tasks | length' "$(count_where "$2")"
}
check_filter 'name=pages' "name = 'pages'"
check_filter 'name=pages&namespace=it_tasks' "name = 'pages' AND namespace = 'it_tasks'"
check_filter 'version=3.0.0' "version = '3.0.0'"
check_filter 'name=pages&version=3.0.0' "name = 'pages' AND version = '3.0.0'"
check_filter 'namespace=it_tasks2&version=3.0.0' "namespace = 'it_tasks2' AND version = '3.0.0'"
check_filter 'namespace=it_tasks2&name=pages&version=3.0.0' "namespace = 'it_tasks2' AND name = 'pages' AND version = '3.0.0'"
check_filter 'namespace=it_tasks&name=pages&version=3.0.0' "namespace = 'it_tasks' AND name = 'pages' AND version = '3.0.0'"
check_filter 'namespace=it_tasks' "namespace = 'it_tasks'"
check_filter 'namespace=it_tasks2&status=cancelled' "namespace = 'it_tasks2' AND status = 'cancelled'"
check_filter 'name=pages&status=cancelled' "name = 'pages' AND status = 'cancelled'"
check_filter 'version=3.0.0&status=cancelled' "version = '3.0.0' AND status = 'cancelled'"
req GET '/tasks?name=pages&version=3.0.0'
expect_jq '[.tasks[] | .namespace == "it_tasks2" and .version == "3.0.0"] | all' true

case_begin "total_count agrees with the rows (task_counts kept in step with every change)"
req GET '/tasks?per_page=1'
expect_jq '.pagination.total_count' "$(count_where 1)"
req GET '/tasks?status=cancelled&per_page=1'
expect_jq '.pagination.total_count' "$(count_where "status = 'cancelled'")"
req GET '/tasks?status=complete,cancelled&per_page=1'
expect_jq '.pagination.total_count' "$(count_where "status IN ('complete', 'cancelled')")"

# ---------------------------------------------------------------- concurrency

case_begin "8 concurrent clients create 1,000 tasks: exactly 1,000, each with its 3 steps"
hv=$(sql "SELECT h.id FROM handler_versions h JOIN namespaces n ON n.id = h.namespace_id WHERE n.name = 'it_tasks' AND h.name = 'bulk'")
n0=$(sql "SELECT COUNT(*) FROM tasks WHERE handler_version_id = $hv")
: >"$T_TMP/bulk-config"
for i in $(seq 1 1000); do
	[ $i -gt 1 ] && echo next >>"$T_TMP/bulk-config"
	printf 'url = "%s/tasks"\nrequest = "POST"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata = "{\\"name\\": \\"bulk\\", \\"namespace\\": \\"it_tasks\\", \\"context\\": {\\"i\\": %d}}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
	    "$TASKER_URL" "$AUTH" "$i" >>"$T_TMP/bulk-config"
done
t0=$(date +%s%N)
codes=$(curl -s --parallel --parallel-max 8 --max-time 60 -K "$T_TMP/bulk-config" 2>/dev/null | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
t1=$(date +%s%N)
echo "# 1000 creates by 8 clients: $(( (t1 - t0) / 1000000 )) ms"
expect_eq "$codes" "201x1000 " "statuses"
expect_eq "$(sql "SELECT COUNT(*) FROM tasks WHERE handler_version_id = $hv")" "$((n0 + 1000))" "tasks"
expect_eq "$(sql "SELECT COUNT(*) FROM (SELECT s.task_id FROM workflow_steps s JOIN tasks t ON t.id = s.task_id WHERE t.handler_version_id = $hv GROUP BY s.task_id HAVING COUNT(*) = 3 AND GROUP_CONCAT(s.name ORDER BY s.position) = 'x,y,z') ok")" "$((n0 + 1000))" "tasks with steps x, y, z"
expect_eq "$(sql "SELECT COUNT(*) FROM task_transitions r JOIN tasks t ON t.id = r.task_id WHERE t.handler_version_id = $hv AND r.from_status IS NULL")" "$((n0 + 1000))" "first transitions"
expect_eq "$(sql "SELECT SUM(n) FROM task_counts WHERE handler_version_id = $hv")" "$((n0 + 1000))" "task_counts"
expect_eq "$(sql "SELECT COUNT(DISTINCT JSON_VALUE(context, '$.i')) FROM tasks WHERE handler_version_id = $hv")" 1000 "distinct contexts"
req GET '/tasks?namespace=it_tasks&name=bulk&version=1.0.0&per_page=1'
expect_jq '.pagination.total_count' "$((n0 + 1000))"

# ---------------------------------------------------------------- query plans

case_begin "EXPLAIN: every list shape reads an index, never the table, never a sort of it"
sql "ANALYZE TABLE tasks" >/dev/null
sql "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 'ON'"
for q in '' 'namespace=it_tasks2' 'namespace=it_tasks2&name=pages' \
    'namespace=it_tasks2&name=pages&version=3.0.0' 'version=3.0.0' \
    'namespace=it_tasks2&version=3.0.0' 'name=pages' 'name=pages&version=3.0.0'; do
	for s in '' 'status=cancelled' 'status=cancelled,error,pending'; do
		req GET "/tasks?$q&$s&per_page=1&page=2"
		[ "$STATUS" = 200 ] || fail "GET /tasks?$q&$s: $STATUS"
	done
done
sql "SET GLOBAL general_log = 'OFF'"
# The log holds the statements with their values, or as prepared (with
# placeholders); fill those in with values like the requests' (plans are
# pinned by FORCE INDEX, so the values do not change them).
hv=$(sql "SELECT h.id FROM handler_versions h JOIN namespaces n ON n.id = h.namespace_id WHERE n.name = 'it_tasks2' AND h.name = 'pages'")
sql "SELECT DISTINCT REPLACE(argument, '\n', ' ') FROM mysql.general_log WHERE command_type = 'Execute' AND (argument LIKE 'SELECT t.id, t.handler_version_id%' OR argument LIKE 'SELECT tc.status, SUM(tc.n)%')" |
    sed -e 's/LIMIT ?/LIMIT 2/g' -e 's/OFFSET ?/OFFSET 1/g' \
	-e 's/? IS NULL/NULL IS NULL/g' -e 's/? = 0/0 = 0/g' \
	-e "s/namespace = ?/namespace = 'it_tasks2'/g" \
	-e "s/\([ .]\)name = ?/\1name = 'pages'/g" \
	-e "s/version = ?/version = '3.0.0'/g" \
	-e "s/status = ?/status = 'cancelled'/g" \
	-e "s/id = ?/id = $hv/g" |
    # One statement per shape: its index, and whether it is a status set.
    awk '{ k = "count"; if (match($0, /FORCE INDEX \([a-zA-Z_]*\)/))
	k = substr($0, RSTART, RLENGTH) (index($0, "UNION ALL") ? " multi" : "");
	if (!(k in seen)) { seen[k] = 1; print } }' >"$T_TMP/statements"
expect_eq "$(grep -c '^SELECT t.id' "$T_TMP/statements")" 16 "distinct list statements (8 filter shapes, with and without status)"
# The total rides in every list statement (a scalar subquery on
# task_counts); a count of its own runs only for an empty page.
grep -q '?' "$T_TMP/statements" && fail "placeholders left: $(grep '?' "$T_TMP/statements" | head -1 | cut -c1-200)"
n=0
while IFS= read -r stmt; do
	n=$((n + 1))
	plan=$(sql "EXPLAIN $stmt" 2>&1) || { fail "EXPLAIN failed: $plan"; continue; }
	# Columns: id select_type table type possible_keys key key_len ref rows Extra
	bad=$(echo "$plan" | awk -F'\t' '($3 == "tasks" || $3 == "t") &&
	    ($4 == "ALL" || $6 == "NULL" || $10 ~ /filesort/ || $10 ~ /temporary/) { print }')
	[ -z "$bad" ] || fail "statement $n: $(echo "$stmt" | cut -c1-300)... plan: $bad"
	echo "$plan" | awk -F'\t' '$2 == "SUBQUERY" && ($3 == "tasks" || $3 == "t")' | grep -q . &&
	    fail "statement $n: the count reads tasks"
	idx=$(echo "$stmt" | grep -o 'FORCE INDEX ([a-z_A-Z]*)' | sort -u | sed 's/.*(\(.*\))/\1/')
	echo "$plan" | awk -F'\t' '$3 == "tasks" { print $6 }' | sort -u |
	    grep -qx "$idx" || fail "statement $n does not read $idx: $plan"
done <"$T_TMP/statements"
expect_eq "$n" 16 "statements explained"
sql "TRUNCATE mysql.general_log"

# Last: these tasks would change the counts of the cases above.
case_begin "tags (all of them), initiator, source_system, created_after/before filter the list"
t0=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
post_task '{"name":"pages","namespace":"it_tasks2","context":{},"initiator":"it-filt-ann","source_system":"it-filt-src","tags":["it-red","it-blue"]}'
F1=$(jq -r .id <"$BODY_FILE")
post_task '{"name":"pages","namespace":"it_tasks2","context":{},"initiator":"it-filt-bo","source_system":"it-filt-src","tags":["it-red"]}'
F2=$(jq -r .id <"$BODY_FILE")
post_task '{"name":"pages","namespace":"it_tasks2","context":{},"initiator":"it-filt-ann","tags":["it, comma"]}'
F3=$(jq -r .id <"$BODY_FILE")
t1=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
req GET '/tasks?tags=it-red'
expect_status 200
expect_jq '[.tasks[].id]' "[\"$F2\",\"$F1\"]"
expect_jq '.pagination.total_count' 2
req GET '/tasks?tags=it-blue,it-red'
expect_jq '[.tasks[].id]' "[\"$F1\"]"
req GET '/tasks?tags=it-red,it-none'
expect_jq '[.tasks[].id, .pagination.total_count]' '[0]'
req GET '/tasks?initiator=it-filt-ann'
expect_jq '[.tasks[].id]' "[\"$F3\",\"$F1\"]"
req GET '/tasks?initiator=it-filt-ann&source_system=it-filt-src&tags=it-blue'
expect_jq '[.tasks[].id]' "[\"$F1\"]"
req GET '/tasks?source_system=it-filt-src&per_page=1&page=2'
expect_jq '[.tasks[].id, .pagination.total_count]' "[\"$F1\",2]"
req GET "/tasks?created_after=$t0&created_before=$t1&namespace=it_tasks2"
expect_jq '[.tasks[].id]' "[\"$F3\",\"$F2\",\"$F1\"]"
req GET "/tasks?created_after=$t1&initiator=it-filt-ann"
expect_jq '.pagination.total_count' 0
# The same instant with an offset ('+' sent as %2B).
req GET "/tasks?created_before=2000-01-01T01:00:00%2B01:00&initiator=it-filt-ann"
expect_status 200
expect_jq '.pagination.total_count' 0
# PATCH's tags are what the filter sees.
AUTH=$(token tasker.task:update) req PATCH "/tasks/$F2" -H 'Content-Type: application/json' -d '{"tags":["it-green"]}'
expect_status 200
req GET '/tasks?tags=it-red'
expect_jq '[.tasks[].id]' "[\"$F1\"]"
req GET '/tasks?tags=it-green'
expect_jq '[.tasks[].id]' "[\"$F2\"]"

case_begin "the new filters: bad values are 400 naming each"
for q in 'tags=' 'tags=a,,b' "tags=$(printf 'x%.0s' $(seq 1 65))" 'initiator=' \
    'source_system=a%01b' 'created_after=yesterday' 'created_after=2026-02-30T00:00:00Z' \
    'created_before=2026-12-07T04:05:06' 'created_before=2026-12-07T04:05:06+01:00' \
    'created_after=0999-12-31T23:59:59Z' 'created_after=2026-12-07T24:00:00Z'; do
	req GET "/tasks?$q"
	expect_error 400 BadRequest BAD_REQUEST "Invalid request parameters"
	expect_jq '.error.details | keys' "[\"${q%%=*}\"]"
done
req GET '/tasks?tags=a&initiator=&created_after=x'
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details | keys' '["created_after","initiator"]'

finish
