#!/usr/bin/env bash
# test_tasks_cursor.sh - GET /tasks?cursor= through nginx -> tasker-fcgi ->
# MariaDB: keyset pages that follow their Link headers (RFC 8288), stay
# stable while other clients create tasks, go back with rel="prev", and
# refuse a cursor of another list, a cursor with page, and garbage.  The
# page form keeps its body and gains Link headers to go on by cursor.
. "$(dirname "$0")/lib.sh"

AUTH=$(token tasker.task:create tasker.task:index tasker.handler:show)
HOSTPORT=${TASKER_URL#http://}
HOSTPORT=${HOSTPORT%%/*}
PREFIX=/${TASKER_URL#http://*/}
PREFIX=${PREFIX%/}

# link REL: the target of the last answer's Link with rel="REL", or "".
link() {
	header Link | tr ',' '\n' | sed -n "s/^ *<\([^>]*\)>; rel=\"$1\"\$/\1/p"
}
# follow REL: GET the last answer's REL link.
follow() {
	local to
	to=$(link "$1")
	[ -n "$to" ] || { fail "no rel=\"$1\" link in: $(header Link)"; return 1; }
	req GET "http://$HOSTPORT$to"
}
post() {
	req POST /tasks -H 'Content-Type: application/json' \
	    -d "{\"name\":\"paged\",\"namespace\":\"it_cursor\",\"context\":{\"n\":$1}}"
}
count() {
	sql "SELECT COUNT(*) FROM tasks WHERE namespace = 'it_cursor'"
}

case_begin "setup: a handler and 40 tasks"
mkdir -p "$T_TMP/c"
cat > "$T_TMP/c/paged.yaml" <<'YAML'
name: paged
namespace_name: it_cursor
version: 1.0.0
description: Loaded by the cursor test
step_templates:
  - name: only_step
    handler_class: It::Only
YAML
out=$($TASKER_ADMIN handlers load "$T_TMP/c/paged.yaml" 2>&1) || fail "load: $out"
sleep 1.3
for i in $(seq 1 40); do
	post "$i"
	[ "$STATUS" = 201 ] || { fail "create $i: $STATUS $(body)"; break; }
done
START=$(sql "SELECT LOWER(HEX(id)) FROM tasks WHERE namespace = 'it_cursor' ORDER BY id DESC" | sort)

case_begin "the page form: body unchanged, Link rel=next carries a cursor"
req GET '/tasks?namespace=it_cursor&per_page=7'
expect_status 200
expect_jq '.pagination' '{"current_page":1,"per_page":7,"total_pages":6,"total_count":40}'
[[ "$(link next)" =~ ^$PREFIX/tasks\?namespace=it_cursor\&per_page=7\&cursor=[0-9a-f]{52}$ ]] ||
    fail "next link: $(header Link)"
[ -z "$(link prev)" ] || fail "a prev link on page 1: $(header Link)"
req GET '/tasks?namespace=it_cursor&per_page=7&page=2'
[ -n "$(link prev)" ] && [ -n "$(link next)" ] || fail "page 2 links: $(header Link)"

case_begin "a walk by cursor while another client creates tasks: each task once, none missed"
# The first page before the writer starts: the walk is of the 40.
req GET '/tasks?namespace=it_cursor&per_page=7'
(
	i=1000
	while [ ! -e "$T_TMP/c/stop" ]; do
		curl -sS -o /dev/null -X POST -H "Authorization: Bearer $AUTH" \
		    -H 'Content-Type: application/json' \
		    -d "{\"name\":\"paged\",\"namespace\":\"it_cursor\",\"context\":{\"n\":$i}}" \
		    "$TASKER_URL/tasks" || true
		i=$((i + 1))
	done
) &
writer=$!
seen=""
pages=0
while :; do
	expect_status 200
	seen="$seen$(jq -r '.tasks[].id' <"$BODY_FILE")"$'\n'
	pages=$((pages + 1))
	[ -n "$(link next)" ] || break
	[ $pages -lt 40 ] || { fail "no end after 40 pages"; break; }
	# Tasks are created between every two pages, not by luck.
	n=$(count)
	for _ in $(seq 1 100); do [ "$(count)" -gt "$n" ] && break; sleep 0.05; done
	[ "$(count)" -gt "$n" ] || fail "the writer created nothing"
	follow next || break
	expect_jq '.pagination | keys_unsorted' '["per_page","total_count","next_cursor","prev_cursor"]'
done
touch "$T_TMP/c/stop"
wait "$writer"
seen=$(printf '%s' "$seen" | sed '/^$/d' | tr -d '-')
expect_eq "$(printf '%s\n' "$seen" | sort | uniq -d)" "" "tasks seen twice"
expect_eq "$(comm -23 <(printf '%s\n' "$START") <(printf '%s\n' "$seen" | sort))" "" "tasks missed"
expect_eq "$(printf '%s\n' "$seen" | sort -r)" "$seen" "newest first throughout"
expect_eq "$pages" 6 "pages"
[ "$(count)" -gt 45 ] || fail "the writer did not run during the walk"

case_begin "rel=prev goes back to the page before, exactly"
req GET '/tasks?namespace=it_cursor&per_page=5'
follow next
follow next
page3=$(jq -c '[.tasks[].id]' <"$BODY_FILE")
expect_jq '.pagination.prev_cursor | test("^[0-9a-f]{52}$")' true
follow next
follow prev
expect_jq '[.tasks[].id]' "$page3"
expect_jq '.pagination.next_cursor | type' '"string"'
# The cursor of the JSON and of the Link header are the same.
c=$(jq -r .pagination.next_cursor <"$BODY_FILE")
[[ "$(link next)" == *"cursor=$c" ]] || fail "Link and next_cursor differ"

case_begin "the Link keeps every other parameter, encoded again"
req GET '/tasks?namespace=it_cursor&status=pending,error,in_progress,complete&per_page=3'
c=$(link next)
[[ "$c" == *"status=pending%2Cerror%2Cin_progress%2Ccomplete&per_page=3&cursor="* ]] ||
    fail "query not kept: $(header Link)"

case_begin "refused: cursor with page, another list's cursor, garbage (400, details.cursor)"
req GET '/tasks?namespace=it_cursor&per_page=5'
c=$(link next); c=${c##*cursor=}
req GET "/tasks?namespace=it_cursor&per_page=5&page=2&cursor=$c"
expect_error 400 BadRequest BAD_REQUEST 'Invalid request parameters'
expect_jq '.error.details | keys' '["cursor"]'
req GET "/tasks?namespace=it_tasks&per_page=5&cursor=$c"
expect_error 400 BadRequest BAD_REQUEST
expect_jq '.error.details.cursor[0]' '"belongs to a list with other filters; start again without a cursor"'
req GET "/tasks?namespace=it_cursor&cursor=$c&per_page=9"
expect_status 200   # per_page may change along the way
expect_jq '.tasks | length' 9
flip=$(printf '%s' "$c" | cut -c1-3)9$(printf '%s' "$c" | cut -c5-)
for bad in '' 'abc' "${c}00" "${c:0:51}g" "$flip" '%00' \
    "$(printf 'f%.0s' $(seq 1 52))" "$(printf 'ab%.0s' $(seq 1 300))"; do
	req GET "/tasks?namespace=it_cursor&cursor=$bad"
	expect_status 400
	expect_jq '.error.code' '"BAD_REQUEST"'
done

case_begin "tasker-admin tasks list: the next page's --cursor, and --cursor itself"
out=$($TASKER_ADMIN tasks list namespace=it_cursor --per-page 4 2>&1) || fail "list: $out"
c=$(printf '%s\n' "$out" | sed -n 's/^next page: --cursor \([0-9a-f]\{52\}\)$/\1/p')
[ -n "$c" ] || fail "no next page line: $out"
first=$(printf '%s\n' "$out" | awk 'NR > 1 && NR <= 5 { print $1 }')
out=$($TASKER_ADMIN tasks list namespace=it_cursor --per-page 4 --cursor "$c" 2>&1) || fail "list --cursor: $out"
printf '%s\n' "$out" | grep -q '^[0-9]* tasks in all$' || fail "no total line: $out"
printf '%s\n' "$out" | grep -q '^next page: --cursor [0-9a-f]\{52\}$' || fail "no next line: $out"
second=$(printf '%s\n' "$out" | awk 'NR > 1 && NR <= 5 { print $1 }')
expect_eq "$(printf '%s\n%s\n' "$first" "$second" | sort | uniq -d)" "" "tasks on both pages"
expect_eq "$(printf '%s\n' "$second" | wc -l)" 4 "tasks on the second page"
rc=0
out=$($TASKER_ADMIN tasks list namespace=it_tasks --cursor "$c" 2>&1) || rc=$?
expect_eq "$rc" 2 "exit status of another list's cursor ($out)"

finish
