#!/usr/bin/env bash
# test_limits.sh - concurrency keys, handler-level limits and rate limits
# through the real stack with three worker processes (issue 19, items 3
# and 4; tasker-handler(5)): never more attempts per key value at once
# than the limit, different keys in parallel, the held reason in the
# dependency analysis, at most N tasks of a handler per key with a step
# in progress, and never more starts in any window of a rate limit's
# period than its limit, with the holds counted in /metrics.
#
# Handlers: t/fixtures/limits (namespace it_limits).  Overlaps and start
# times come from the recorded step transitions (in_progress and the one
# that ends it, the database's clock), not from the handlers.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
E=$T_TMP/limits
mkdir -p "$E/runs"
CONF=$E/tasker.yaml
worker_conf "$CONF" "processes: 2" "lease_seconds: 30"
WPIDS=""

# Three tasker-workers of two processes each.
workers_start() {
	local i
	for i in 1 2 3; do
		"$TASKER_BUILD/tasker-worker" -c "$CONF" -l "$E/worker.log" \
		    </dev/null >>"$E/worker.log" 2>&1 &
		WPIDS="$WPIDS $!"
	done
}
workers_stop() {
	local p
	for p in $WPIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $WPIDS; do wait "$p" 2>/dev/null || true; done
	WPIDS=""
}
cleanup() {
	workers_stop
	stack_workers_start
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# post NAME MEMBERS: POST /tasks of it_limits/NAME, its context
# {"dir": ...(the handler's log folder) MEMBERS}; sets TASK.
post() {
	req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
	    \"it_limits\", \"name\": \"$1\", \"version\": \"1.0.0\",
	    \"context\": {\"dir\": \"$E/runs\"$2}}"
	TASK=$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)
	if [ "$STATUS" != 201 ] || [ -z "$TASK" ]; then
		fail "POST /tasks $1: $STATUS $(head -c 300 "$BODY_FILE")"
		TASK=none
	fi
}

# wait_complete NAME N SECONDS: until N tasks of it_limits/NAME are complete.
wait_complete() {
	local end=$((SECONDS + $3)) n
	while :; do
		n=$(sql "SELECT COUNT(*) FROM tasks WHERE namespace = 'it_limits'
		    AND name = '$1' AND status = 'complete'")
		[ "$n" -ge "$2" ] && return 0
		if [ $SECONDS -ge "$end" ]; then
			fail "$n of $2 tasks of $1 complete after $3 s"
			return 1
		fi
		sleep 0.2
	done
}

# runs NAME: one line per attempt of it_limits/NAME's steps:
# <context's customer or -> <task> <start us> <end us>.
runs() {
	sql "SELECT COALESCE(JSON_VALUE(t.context, '$.customer'), '-'),
	    HEX(t.id),
	    TIMESTAMPDIFF(MICROSECOND, '1970-01-01', b.created_at),
	    TIMESTAMPDIFF(MICROSECOND, '1970-01-01', (SELECT MIN(e.created_at)
	        FROM step_transitions e WHERE e.step_id = b.step_id
	        AND e.id > b.id AND e.from_status = 'in_progress'))
	    FROM step_transitions b JOIN tasks t ON t.id = b.task_id
	    WHERE t.namespace = 'it_limits' AND t.name = '$1'
	    AND b.to_status = 'in_progress'"
}

# most_at_once [KEY]: the most attempts (KEY "tasks": distinct tasks)
# running at one start, per customer (or over all when KEY is "all").
most_at_once() {
	awk -v mode="$1" '{ c[NR] = $1; t[NR] = $2; s[NR] = $3; e[NR] = $4 }
	END {
		m = 0
		for (i = 1; i <= NR; i++) {
			split("", seen); n = 0
			for (j = 1; j <= NR; j++) {
				if (mode != "all" && c[j] != c[i]) continue
				if (!(s[j] <= s[i] && s[i] < e[j])) continue
				if (mode == "tasks") { if (!(t[j] in seen)) n++; seen[t[j]] = 1 }
				else n++
			}
			if (n > m) m = n
		}
		print m }'
}

# analysis_seen TASK TEXT SECONDS: 0 once the task's analysis holds TEXT.
analysis_seen() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt "$end" ]; do
		req GET "/tasks/$1?include_dependencies=true"
		jq -e --arg t "$2" '.dependencies.analysis | contains($t)' \
		    "$BODY_FILE" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------- setup

$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/limits" >/dev/null ||
    echo "# handlers load failed"
sleep 1.1   # api.registry_refresh_ms
for _ in $(seq 1 50); do
	req GET /handlers/it_limits
	[ "$STATUS" = 200 ] && break
	sleep 0.2
done
stack_workers_stop

# ---------------------------------------------------------------- cases

case_begin "the YAML's limits are checked: a bad key path or limit is refused with its line"
mkdir -p "$E/bad"
printf 'name: bad\nnamespace_name: it_limits\nstep_templates:\n  - name: s\n    concurrency: {key: customer, limit: 1}\n    rate_limit: {limit: 0, period: 1s}\n' >"$E/bad/bad.yaml"
out=$($TASKER_ADMIN handlers load "$E/bad" 2>&1) && fail "a bad definition loaded"
case $out in
*"bad.yaml:5: step_templates[0].concurrency.key: 'customer' is not a JSON path"*) ;;
*) fail "no message for the key path: $out" ;;
esac
case $out in
*"bad.yaml:6: step_templates[0].rate_limit.limit: must be between 1 and 100000"*) ;;
*) fail "no message for the rate limit: $out" ;;
esac

case_begin "GET /handlers/{ns}/{name} shows the limits"
req GET /handlers/it_limits/keyed
expect_jq '.step_templates[0].concurrency' '{"key":"$.customer","limit":1}'
req GET /handlers/it_limits/pertask
expect_jq '[.concurrency, .step_templates[0].concurrency]' '[{"key":"$.customer","limit":1},null]'
req GET /handlers/it_limits/rated
expect_jq '.step_templates[0].rate_limit' '{"limit":4,"period":"1s"}'

case_begin "concurrency per key: one attempt per customer at once, different customers and tasks without one in parallel"
A_IDS=""
for c in '"a"' '"b"' 7 '"a"' '"b"' 7 '"a"' '"b"' 7 '"a"'; do
	post keyed ", \"customer\": $c"
	[ "$c" = '"a"' ] && A_IDS="$A_IDS $TASK"
done
post keyed ''
post keyed ', "customer": null'
workers_start
# A held step's reason: customer a's four tasks are all ready when the
# workers start, so while one runs the others wait (any of them shows it).
held=""
end=$((SECONDS + 20))
while [ -z "$held" ] && [ $SECONDS -lt $end ]; do
	for id in $A_IDS; do
		req GET "/tasks/$id?include_dependencies=true"
		if jq -e '.dependencies.analysis | contains("waiting for a concurrency slot")' \
		    "$BODY_FILE" >/dev/null 2>&1; then
			held=$id
			break
		fi
	done
done
[ -n "$held" ] ||
    fail "no held reason for a waiting task of customer a: $(jq -c .dependencies "$BODY_FILE")"
[ -z "$held" ] || expect_jq '.status' '"pending"'
wait_complete keyed 12 60
R=$(runs keyed)
expect_eq "$(printf '%s\n' "$R" | grep -v '^-' | most_at_once key)" 1 "most attempts of one customer at once"
all=$(printf '%s\n' "$R" | most_at_once all)
[ "$all" -ge 3 ] 2>/dev/null || fail "different customers did not run in parallel (most at once: $all)"
expect_eq "$(printf '%s\n' "$R" | grep '^-' | most_at_once key)" 2 "tasks without a customer: not limited"

case_begin "handler concurrency: at most one task per customer with a step in progress"
for c in x x x y; do post pertask ", \"customer\": \"$c\""; done
wait_complete pertask 4 60
R=$(runs pertask)
expect_eq "$(printf '%s\n' "$R" | grep '^x' | most_at_once tasks)" 1 "tasks of customer x in progress at once"
all=$(printf '%s\n' "$R" | awk '{ $1 = "z" } 1' | most_at_once tasks)
expect_eq "$all" 2 "tasks in progress at once over both customers"

case_begin "rate_limit 4 per 1s: never more than 4 starts in any 1 s, the hold visible and counted"
# All twelve ready before any worker looks (a slow machine posting them
# one by one could stay under 4 a second, and nothing would be held).
workers_stop
for _ in $(seq 1 12); do post rated ''; done
workers_start
analysis_seen "$TASK" "waiting for its rate limit" 20 ||
    fail "no rate-limit reason: $(jq -c .dependencies "$BODY_FILE")"
wait_complete rated 12 60
starts=$(runs rated | awk '{ print $3 }' | sort -n)
most=$(printf '%s\n' "$starts" | awk '{ s[NR] = $1 } END {
	m = 0
	for (i = 1; i <= NR; i++) {
		n = 0
		for (j = i; j <= NR && s[j] < s[i] + 1000000; j++) n++
		if (n > m) m = n
	}
	print m }')
expect_eq "$most" 4 "most starts in a window of 1 s"
req GET /metrics
n=$(grep '^tasker_rate_limited_total{step="it_limits/rated/s"} ' "$BODY_FILE" | awk '{ print $2 }')
[ "${n:-0}" -ge 1 ] 2>/dev/null || fail "tasker_rate_limited_total: '${n:-}'"
workers_stop

# ids QUERY: the ids of GET /tasks?QUERY as upper-case hex, one a line.
ids() {
	req GET "/tasks?$1"
	jq -r '.tasks[].id' "$BODY_FILE" | tr -d - | tr a-f A-F
}

# next_cursor: the last answer's next cursor (pagination.next_cursor, or
# the page form's Link rel="next").
next_cursor() {
	local c
	c=$(jq -r '.pagination.next_cursor // empty' "$BODY_FILE")
	[ -n "$c" ] || c=$(header Link | tr ',' '\n' |
	    sed -n 's/^ *<[^>]*[?&]cursor=\([0-9a-f]*\)>; rel="next"$/\1/p')
	echo "$c"
}

# walk QUERY: every id of a cursor walk of GET /tasks?QUERY (2 a page),
# after each page a task of priority 10 and one of -100 created meanwhile.
walk() {
	local cur="" n=0
	while :; do
		req GET "/tasks?$1&per_page=2${cur:+&cursor=$cur}"
		[ "$STATUS" = 200 ] || { fail "walk: $STATUS $(head -c 300 "$BODY_FILE")"; return; }
		jq -r '.tasks[].id' "$BODY_FILE" | tr -d - | tr a-f A-F
		cur=$(next_cursor)
		[ -n "$cur" ] && [ $n -lt 40 ] || return 0
		n=$((n + 1))
		req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
		    \"it_limits\", \"name\": \"keyed\", \"version\": \"1.0.0\",
		    \"priority\": 10, \"context\": {\"late\": true}}"
		req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
		    \"it_limits\", \"name\": \"keyed\", \"version\": \"1.0.0\",
		    \"priority\": -100, \"context\": {\"late\": true}}"
	done
}

case_begin "GET /tasks?sort=priority: highest first, newest first within; -priority the reverse; cursors stable"
for p in 3 -2 3 10 0 -2 7 3; do
	req POST /tasks -H 'Content-Type: application/json' -d "{\"namespace\":
	    \"it_limits\", \"name\": \"keyed\", \"version\": \"1.0.0\",
	    \"priority\": $p, \"context\": {}}"
	expect_status 201
done
Q="namespace=it_limits&name=keyed&status=pending"
want=$(sql "SELECT HEX(id) FROM tasks WHERE namespace = 'it_limits'
    AND name = 'keyed' AND status = 'pending' ORDER BY priority DESC, id DESC")
expect_eq "$(ids "$Q&sort=priority&per_page=100")" "$want" "sort=priority order"
expect_eq "$(ids "$Q&sort=-priority&per_page=100")" "$(printf '%s\n' "$want" | tac)" "sort=-priority order"
expect_eq "$(ids "$Q&per_page=100&sort=created_at")" "$(ids "$Q&per_page=100")" "sort=created_at is the default"
expect_eq "$(ids "$Q&sort=priority&page=2&per_page=3")" "$(printf '%s\n' "$want" | sed -n 4,6p)" "sort=priority page 2"
req GET "/tasks?$Q&sort=priority&per_page=3"
next=$(next_cursor)
req GET "/tasks?$Q&sort=priority&per_page=3&cursor=$next"
expect_eq "$(jq -r '.tasks[].id' "$BODY_FILE" | tr -d - | tr a-f A-F)" "$(printf '%s\n' "$want" | sed -n 4,6p)" "the next cursor's page"
prev=$(jq -r '.pagination.prev_cursor' "$BODY_FILE")
req GET "/tasks?$Q&sort=priority&per_page=3&cursor=$prev"
expect_eq "$(jq -r '.tasks[].id' "$BODY_FILE" | tr -d - | tr a-f A-F)" "$(printf '%s\n' "$want" | sed -n 1,3p)" "the prev cursor's page"
# A cursor of one order is refused by another (and by the plain list).
req GET "/tasks?$Q&sort=-priority&per_page=3&cursor=$next"
expect_status 400
req GET "/tasks?$Q&per_page=3&cursor=$next"
expect_status 400
req GET "/tasks?$Q&sort=newest"
expect_status 400
expect_jq '.error.details.sort | length' 1
# Tasks created during a walk, before and after its place, neither
# repeat nor hide the ones it walks.
for o in priority -priority; do
	got=$(walk "$Q&sort=$o" | grep -xF "$want")
	[ "$o" = -priority ] && w=$(printf '%s\n' "$want" | tac) || w=$want
	expect_eq "$got" "$w" "the walk of sort=$o over the tasks there at its start"
done

finish
