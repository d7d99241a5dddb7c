#!/usr/bin/env bash
# test_ops.sh - the operations endpoints on the real stack: health probes
# (also with MariaDB stopped and with the schema behind), Prometheus
# metrics summed over the tasker-fcgi processes and checked by promtool,
# the OpenAPI document (validated with Redocly CLI, its operations answered
# by live routes) and the request log (one line per request, no secrets).
. "$(dirname "$0")/lib.sh"

CACHE=$(dirname "$TASKER_RUN")/cache
REDOCLY_VERSION=2.77.0
ADMIN_TOKEN=$(token)
STATUS_TOKEN=$(token tasker.health_status:index)
OTHER_TOKEN=$(token tasker.handler:index)

# The value of one series in the last scrape (0 when absent).
metric() {
	awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$BODY_FILE"
}
scrape() {
	AUTH= req GET /metrics
}
newest_migration() {
	ls "$TASKER_ROOT"/db/migrations/*.sql | sed 's|.*/||; s|_.*||' |
	    sort -n | tail -1 | sed 's/^0*//'
}

# Workers are paused while rows are planted behind the API's back, so none
# claims them; they are let go whatever happens.
WORKER_PIDS=$(cat "$TASKER_RUN/worker.pid" 2>/dev/null || true)
pause_workers() {
	local p
	for p in $WORKER_PIDS; do
		kill -STOP "$p" 2>/dev/null || true
		pkill -STOP -P "$p" 2>/dev/null || true
	done
}
resume_workers() {
	local p
	for p in $WORKER_PIDS; do
		pkill -CONT -P "$p" 2>/dev/null || true
		kill -CONT "$p" 2>/dev/null || true
	done
}
trap 'resume_workers; rm -rf "$T_TMP"' EXIT

# ---------------------------------------------------------------- health

case_begin "GET /health/live answers 200 {\"status\":\"ok\"} without a token"
AUTH= req GET /health/live
expect_status 200
expect_jq . '{"status":"ok"}'
expect_header Cache-Control no-store
expect_header 'Content-Type' 'application/json; charset=utf-8'

case_begin "GET /health/ready: database reachable, schema current"
AUTH= req GET /health/ready
expect_status 200
expect_jq .status '"ok"'
expect_jq .schema_version "$(newest_migration)"

case_begin "GET /health/status needs a token with tasker.health_status:index"
AUTH= req GET /health/status
expect_error 401 AuthenticationError AUTHENTICATION_FAILED
AUTH=$OTHER_TOKEN req GET /health/status
expect_error 403 AuthorizationError AUTHORIZATION_FAILED \
    "Insufficient permissions for tasker.health_status:index"

case_begin "GET /health/status: counts by status, schema, queue and workers agree with the database"
AUTH=$STATUS_TOKEN req GET /health/status
expect_status 200
expect_jq 'keys_unsorted' '["status","problems","database","schema","tasks","steps","ready_queue","workers","generated_at"]'
# resolved_manually is a step status: a task never has it, so it is not
# counted among the tasks.
expect_jq '.tasks | keys_unsorted' '["pending","in_progress","complete","error","cancelled"]'
expect_jq '.steps | keys_unsorted' '["pending","in_progress","complete","error","cancelled","resolved_manually"]'
expect_jq '.schema' "{\"version\":$(newest_migration),\"expected_version\":$(newest_migration),\"current\":true}"
want=$(sql "SELECT COALESCE(SUM(n),0) FROM task_counts")
expect_jq '[.tasks[]] | add' "$want"
expect_jq '.workers.heartbeat_timeout_seconds' 15
expect_jq '.database' '"ok"'

# Planted: one live worker, one whose heartbeat is old, one stopped; and a
# task of an example handler with a step ready for 100 s, one waiting for
# its retry, and attempts in step_transitions (claim, failure, claim,
# completion) 10 s ago.
case_begin "GET /health/status sees live workers, the ready queue and its oldest step"
pause_workers
HV=$(sql "SELECT id FROM handler_versions ORDER BY id LIMIT 1")
HV_NS=$(sql "SELECT n.name FROM handler_versions h JOIN namespaces n ON n.id = h.namespace_id WHERE h.id = $HV")
HV_NAME=$(sql "SELECT name FROM handler_versions WHERE id = $HV")
TID=$(sql "SELECT REPLACE(UUID(), '-', '')")
live_before=$(sql "SELECT COUNT(*) FROM workers WHERE stopped_at IS NULL AND heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL 15 SECOND")
scrape
att_before=$(metric "tasker_step_attempts_total{namespace=\"$HV_NS\",handler=\"$HV_NAME\"}")
fail_before=$(metric "tasker_step_failures_total{namespace=\"$HV_NS\",handler=\"$HV_NAME\"}")
dur_before=$(metric "tasker_step_duration_seconds_count{namespace=\"$HV_NS\",handler=\"$HV_NAME\"}")
sql "INSERT INTO workers (id, host, pid, processes, started_at, heartbeat_at, stopped_at) VALUES
  ('it-ops-live', 'it-host', 1, 3, UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6), NULL),
  ('it-ops-stale', 'it-host', 2, 3, UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6) - INTERVAL 60 SECOND, NULL),
  ('it-ops-stopped', 'it-host', 3, 3, UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
INSERT INTO tasks (id, handler_version_id, namespace, name, version, status, context, created_at, updated_at)
  SELECT UNHEX('$TID'), h.id, n.name, h.name, h.version, 'in_progress', '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
  FROM handler_versions h JOIN namespaces n ON n.id = h.namespace_id WHERE h.id = $HV;
INSERT INTO task_counts (handler_version_id, status, slot, n) VALUES ($HV, 'in_progress', 0, 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
INSERT INTO workflow_steps (task_id, position, name, status, attempts, retry_limit, retryable, skippable, unmet_parents, ready_at, created_at, updated_at) VALUES
  (UNHEX('$TID'), 0, 'it_ready', 'pending', 0, 3, 1, 0, 0, UTC_TIMESTAMP(6) - INTERVAL 100 SECOND, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  (UNHEX('$TID'), 1, 'it_retry', 'error', 1, 3, 1, 0, 0, UTC_TIMESTAMP(6) + INTERVAL 1 HOUR, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
  (UNHEX('$TID'), 2, 'it_done', 'complete', 2, 3, 1, 0, 0, NULL, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
SET @s = (SELECT id FROM workflow_steps WHERE task_id = UNHEX('$TID') AND name = 'it_done');
INSERT INTO step_transitions (step_id, task_id, from_status, to_status, attempt, actor, created_at) VALUES
  (@s, UNHEX('$TID'), 'pending', 'in_progress', 1, 'worker:it', UTC_TIMESTAMP(6) - INTERVAL 10 SECOND),
  (@s, UNHEX('$TID'), 'in_progress', 'error', 1, 'worker:it', UTC_TIMESTAMP(6) - INTERVAL 9500000 MICROSECOND),
  (@s, UNHEX('$TID'), 'error', 'in_progress', 2, 'worker:it', UTC_TIMESTAMP(6) - INTERVAL 9 SECOND),
  (@s, UNHEX('$TID'), 'in_progress', 'complete', 2, 'worker:it', UTC_TIMESTAMP(6) - INTERVAL 7 SECOND);" ||
    fail "could not plant rows"
AUTH=$STATUS_TOKEN req GET /health/status
expect_status 200
expect_jq '.workers.live' "$((live_before + 1))"
expect_jq '[.workers.list[].id] | index("it-ops-live") != null' true
expect_jq '[.workers.list[].id] | index("it-ops-stale") == null and index("it-ops-stopped") == null' true
expect_jq '.ready_queue.ready >= 1' true
expect_jq '.ready_queue.oldest_ready_age_seconds >= 100 and .ready_queue.oldest_ready_age_seconds < 200' true
expect_jq '.ready_queue.waiting_retry >= 1' true
expect_jq '.steps.pending >= 1 and .steps.error >= 1 and .steps.complete >= 1' true
expect_jq '.tasks.in_progress >= 1' true

case_begin "/metrics: gauges from the database agree with /health/status"
AUTH=$STATUS_TOKEN req GET /health/status
cp "$BODY_FILE" "$T_TMP/status.json"
scrape
expect_status 200
expect_header Content-Type 'text/plain; version=0.0.4; charset=utf-8'
for s in pending in_progress complete error cancelled resolved_manually; do
	[ $s = resolved_manually ] ||
	expect_eq "$(metric "tasker_tasks{status=\"$s\"}")" "$(jq ".tasks.$s" "$T_TMP/status.json")" "tasker_tasks $s"
	expect_eq "$(metric "tasker_steps{status=\"$s\"}")" "$(jq ".steps.$s" "$T_TMP/status.json")" "tasker_steps $s"
done
grep -q '^tasker_tasks{status="resolved_manually"}' "$BODY_FILE" &&
    fail "tasker_tasks counts resolved_manually, a step status"
# The workers are paused, but a step in retry backoff turns ready when
# its ready_at passes, which may fall between the two reads: ready and
# waiting add up the same, and ready can only have grown.
m_ready=$(metric tasker_ready_steps)
m_wait=$(metric tasker_waiting_retry_steps)
s_ready=$(jq .ready_queue.ready "$T_TMP/status.json")
s_wait=$(jq .ready_queue.waiting_retry "$T_TMP/status.json")
expect_eq "$((m_ready + m_wait))" "$((s_ready + s_wait))" "tasker_ready_steps + tasker_waiting_retry_steps"
[ "$m_ready" -ge "$s_ready" ] && [ "$((m_ready - s_ready))" -le "$s_wait" ] ||
    fail "tasker_ready_steps $m_ready, /health/status ready $s_ready (waiting $s_wait)"
expect_eq "$(metric tasker_workers_live)" "$(jq .workers.live "$T_TMP/status.json")" tasker_workers_live
expect_eq "$(metric tasker_schema_current)" 1 tasker_schema_current
expect_eq "$(metric tasker_schema_version)" "$(newest_migration)" tasker_schema_version
expect_eq "$(metric tasker_database_up)" 1 tasker_database_up
age=$(metric tasker_ready_step_oldest_age_seconds)
awk -v a="$age" 'BEGIN { exit !(a >= 100 && a < 200) }' || fail "oldest age $age"

case_begin "/metrics: step attempts, failures and durations by handler, from step_transitions"
ok=0
for _ in $(seq 1 20); do   # transitions settle for 2 s; any process may answer
	scrape
	att=$(metric "tasker_step_attempts_total{namespace=\"$HV_NS\",handler=\"$HV_NAME\"}")
	[ "$att" -ge $((att_before + 2)) ] && { ok=1; break; }
	sleep 0.5
done
[ $ok -eq 1 ] || fail "attempts $att_before -> $att"
expect_eq "$(metric "tasker_step_attempts_total{namespace=\"$HV_NS\",handler=\"$HV_NAME\"}")" "$((att_before + 2))" attempts
expect_eq "$(metric "tasker_step_failures_total{namespace=\"$HV_NS\",handler=\"$HV_NAME\"}")" "$((fail_before + 1))" failures
expect_eq "$(metric "tasker_step_duration_seconds_count{namespace=\"$HV_NS\",handler=\"$HV_NAME\"}")" "$((dur_before + 2))" "finished attempts"
# The 0.5 s failure and the 2 s success: the 2.5 s bucket has both.
le1=$(metric "tasker_step_duration_seconds_bucket{namespace=\"$HV_NS\",handler=\"$HV_NAME\",le=\"0.5\"}")
le25=$(metric "tasker_step_duration_seconds_bucket{namespace=\"$HV_NS\",handler=\"$HV_NAME\",le=\"2.5\"}")
[ "$le25" -ge 2 ] && [ "$le1" -ge 1 ] || fail "buckets le=0.5: $le1, le=2.5: $le25"
# Counted once, by whichever process scraped first.
scrape
expect_eq "$(metric "tasker_step_attempts_total{namespace=\"$HV_NS\",handler=\"$HV_NAME\"}")" "$((att_before + 2))" "attempts on a later scrape"

# Planted rows out again (children first), workers back.
sql "DELETE FROM step_transitions WHERE task_id = UNHEX('$TID');
DELETE FROM workflow_steps WHERE task_id = UNHEX('$TID');
DELETE FROM task_transitions WHERE task_id = UNHEX('$TID');
DELETE FROM tasks WHERE id = UNHEX('$TID');
UPDATE task_counts SET n = n - 1 WHERE handler_version_id = $HV AND status = 'in_progress' AND slot = 0;
DELETE FROM workers WHERE id LIKE 'it-ops-%';" || fail "could not remove planted rows"
resume_workers

# ---------------------------------------------------------------- metrics

case_begin "request counters are summed over every tasker-fcgi process"
# Requests through nginx, and straight to the FastCGI socket (cgi-fcgi,
# several at once) so that every process of the pool answers some.
scrape
before=$(metric 'tasker_http_requests_total{route="health.live",status="200"}')
tag=ops-sum-$$
prefix=/${TASKER_URL#http://*/}
nprocs=$(fcgi_pids | wc -l)
N=0
for i in $(seq 1 20); do
	AUTH= req GET /health/live -H "X-Request-Id: $tag-n$i"
	N=$((N + 1))
done
for i in $(seq 1 60); do
	env -i REQUEST_METHOD=GET REQUEST_URI="$prefix/health/live" \
	    HTTP_X_REQUEST_ID="$tag-d$i" timeout 10 cgi-fcgi -bind \
	    -connect "$TASKER_RUN/fcgi.sock" >/dev/null &
	N=$((N + 1))
	[ $((i % 8)) -eq 0 ] && wait
done
wait
sleep 0.2
pids=$(grep -h "request_id=$tag-" "$TASKER_RUN"/fcgi*.log | sed -n 's/.* pid=\([0-9]*\) .*/\1/p' | sort -u | wc -l)
expect_eq "$pids" "$nprocs" "processes that answered"
expect_eq "$(grep -h "request_id=$tag-" "$TASKER_RUN"/fcgi*.log | wc -l)" "$N" "request log lines"
for _ in 1 2 3 4 5 6; do   # whichever process answers the scrape
	scrape
	now=$(metric 'tasker_http_requests_total{route="health.live",status="200"}')
	[ "$now" -ge $((before + N)) ] || fail "scrape saw $now, want >= $((before + N))"
	expect_eq "$(metric 'tasker_http_request_duration_seconds_count{route="health.live",status="200"}')" "$now" "histogram count"
	expect_eq "$(metric 'tasker_metrics_shared')" 1 tasker_metrics_shared
done

case_begin "concurrent requests through nginx are all answered promptly"
# 8 clients at once against a pool of 4 single-request processes: none
# may wait on an upstream connection another nginx worker keeps idle.
cfg=$T_TMP/curl.cfg
: > "$cfg"
for i in $(seq 1 40); do
	printf 'url = "%s/health/live"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$TASKER_URL" >> "$cfg"
done
codes=$(curl -s --parallel --parallel-max 8 --max-time 10 -K "$cfg" 2>/dev/null | sort | uniq -c | tr -s ' ' | tr '\n' ';')
expect_eq "$codes" " 40 200;" "answers of 40 requests, 8 at a time"

case_begin "an unknown path counts as route \"none\"; a 401 under its route"
scrape
n404=$(metric 'tasker_http_requests_total{route="none",status="404"}')
n401=$(metric 'tasker_http_requests_total{route="handlers.index",status="401"}')
AUTH= req GET /no/such/path
AUTH= req GET /handlers
scrape
expect_eq "$(metric 'tasker_http_requests_total{route="none",status="404"}')" "$((n404 + 1))" "none/404"
expect_eq "$(metric 'tasker_http_requests_total{route="handlers.index",status="401"}')" "$((n401 + 1))" "handlers.index/401"

case_begin "promtool check metrics accepts the scrape"
scrape
out=$(promtool check metrics <"$BODY_FILE" 2>&1) || fail "promtool: $(echo "$out" | head -20)"
grep -q '^# TYPE tasker_http_request_duration_seconds histogram$' "$BODY_FILE" || fail "no request histogram"
grep -q '^# TYPE tasker_step_duration_seconds histogram$' "$BODY_FILE" || fail "no step histogram"

# ---------------------------------------------------------------- database away

case_begin "MariaDB stopped: live 200, ready and status 503 with the reason, metrics say database down"
"$TASKER_QUICKSTART" _db stop
sleep 0.5
AUTH= req GET /health/live
expect_status 200
AUTH= req GET /health/ready
expect_error 503 ServiceUnavailable SERVICE_UNAVAILABLE "The database is unreachable"
expect_jq '.error.details' '{"database":["unreachable"]}'
expect_header Retry-After 5
AUTH=$STATUS_TOKEN req GET /health/status
expect_error 503 ServiceUnavailable SERVICE_UNAVAILABLE "The database is unreachable"
scrape
expect_status 200
expect_eq "$(metric tasker_database_up)" 0 tasker_database_up
grep -q '^tasker_http_requests_total{' "$BODY_FILE" || fail "request counters missing"
promtool check metrics <"$BODY_FILE" >/dev/null 2>&1 || fail "promtool refuses the scrape without database"
"$TASKER_QUICKSTART" _db start
ok=0
for _ in $(seq 1 30); do
	AUTH= req GET /health/ready
	[ "$STATUS" = 200 ] && { ok=1; break; }
	sleep 0.3
done
[ $ok -eq 1 ] || fail "not ready after restart (last $STATUS)"

case_begin "schema behind (a half-applied migration): ready is 503 and says so"
v=$(newest_migration)
sql "UPDATE schema_migrations SET finished_at = NULL WHERE version = $v"
AUTH= req GET /health/ready
expect_error 503 ServiceUnavailable SERVICE_UNAVAILABLE
expect_jq '.error.details' '{"schema":["not current"]}'
expect_jq '.error.message | test("not current.*tasker-admin migrate")' true
AUTH=$STATUS_TOKEN req GET /health/status
expect_jq '.schema.current' false
expect_jq '.status' '"degraded"'
expect_jq '.problems | index("schema is not current") != null' true
sql "UPDATE schema_migrations SET finished_at = UTC_TIMESTAMP(6) WHERE version = $v"
AUTH= req GET /health/ready
expect_status 200

# ---------------------------------------------------------------- OpenAPI

case_begin "GET /api-docs.json serves the document with this mount prefix, no token"
AUTH= req GET /api-docs.json
expect_status 200
expect_jq '.openapi | startswith("3.")' true
expect_jq '.servers' '[{"url":"/tasker","description":"This tasker"}]'
expect_jq '.components.securitySchemes.bearerAuth' '{"type":"http","scheme":"bearer","bearerFormat":"JWT","description":"A JWT with a permissions claim (e.g. `contrib/quickstart token` or `tasker-admin token`)."}'
cp "$BODY_FILE" "$T_TMP/openapi.json"

case_begin "the document passes Redocly CLI lint (recommended rules), no warnings"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
RED=$CACHE/redocly-$REDOCLY_VERSION/node_modules/.bin/redocly
if [ ! -x "$RED" ]; then
	timeout 300 npm install --prefix "$CACHE/redocly-$REDOCLY_VERSION" \
	    --cache "$CACHE/npm" --no-audit --no-fund --ignore-scripts \
	    --loglevel=error "@redocly/cli@$REDOCLY_VERSION" >"$T_TMP/npm.log" 2>&1 ||
	    fail "npm install @redocly/cli@$REDOCLY_VERSION: $(tail -5 "$T_TMP/npm.log")"
fi
cat > "$T_TMP/redocly.yaml" <<'EOF'
extends:
  - recommended
rules:
  info-license: off
  info-license-strict: off
EOF
out=$(cd "$T_TMP" && timeout 120 "$RED" lint --format=stylish --config redocly.yaml openapi.json 2>&1)
rc=$?
[ $rc -eq 0 ] || fail "redocly lint exit $rc: $(echo "$out" | grep -E 'error|warning' | head -20)"
if echo "$out" | grep -Eq '^ +[0-9]+:[0-9]+ +warning|You have [0-9]+ warning'; then
	fail "warnings: $(echo "$out" | grep -E '^ +[0-9]+:[0-9]+ +warning' | head -20)"
fi
# The same checker catches a broken document (it is not a no-op).
jq '.paths["/handlers/{namespace}"].get.parameters = []' "$T_TMP/openapi.json" > "$T_TMP/broken.json"
(cd "$T_TMP" && timeout 120 "$RED" lint --config redocly.yaml broken.json >/dev/null 2>&1) &&
    fail "lint accepted a document with an undeclared path parameter"

case_begin "every documented operation is answered by a live route (no 405, no unknown path)"
n=0
while IFS=$'\t' read -r method path; do
	url=$(echo "$path" | sed -e 's/{namespace}/payments/' -e 's/{name}/process_payment/' \
	    -e 's/{id}/0190f1a2-7b3c-7def-8a12-3456789abcde/' -e 's/{step}/it_step/')
	case "$method" in
	get|delete) AUTH=$ADMIN_TOKEN req "${method^^}" "$url" ;;
	*) AUTH=$ADMIN_TOKEN req "${method^^}" "$url" -H 'Content-Type: application/json' -d '{}' ;;
	esac
	code=$(jq -r '.error.code? // empty' <"$BODY_FILE" 2>/dev/null || true)
	if [ "$STATUS" = 405 ] || { [ "$STATUS" = 404 ] && [ "$code" = NOT_FOUND ]; } || [ "$STATUS" = 000 ]; then
		fail "${method^^} $path ($url): $STATUS $code"
	fi
	n=$((n + 1))
done < <(jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | select(. == "get" or . == "post" or . == "put" or . == "patch" or . == "delete") | "\(.)\t\($p)"' "$T_TMP/openapi.json")
[ "$n" -ge 8 ] || fail "only $n operations documented"

# ---------------------------------------------------------------- logs

case_begin "the request log has one line per request with id, method, route, status, duration, principal"
AUTH=$OTHER_TOKEN req GET /handlers -H 'X-Request-Id: it-ops-log-1'
line=$(grep -h 'request_id=it-ops-log-1 ' "$TASKER_RUN"/fcgi*.log)
expect_eq "$(echo "$line" | wc -l)" 1 "lines for the request"
echo "$line" | grep -Eq '^time=[0-9T:.-]+Z level=info prog=tasker-fcgi pid=[0-9]+ event=request request_id=it-ops-log-1 method=GET route=handlers.index status=200 duration_ms=[0-9]+\.[0-9]{3} principal=it-tests$' ||
    fail "line: $line"

case_begin "logging.format and logging.level of the config are honoured (json; warn drops request lines)"
# A tasker-fcgi of our own on a private socket, with its own config copy.
one_fcgi() {   # $1 format, $2 level; prints the log
	local dir=$T_TMP/fcgi-$1-$2
	mkdir -p "$dir"
	sed -e "s|^run_dir: .*|run_dir: $dir|" -e "s|^  format: .*|  format: $1|" \
	    -e "s|^  level: .*|  level: $2|" "$TASKER_CONF" > "$dir/tasker.yaml"
	TASKER_OPENAPI=$TASKER_ROOT/contrib/openapi/openapi.json spawn-fcgi \
	    -s "$dir/sock" -F 1 -P "$dir/pid" -- "$TASKER_BUILD/tasker-fcgi" \
	    -c "$dir/tasker.yaml" -l "$dir/log" >/dev/null 2>&1 || fail "spawn-fcgi"
	env -i REQUEST_METHOD=GET REQUEST_URI="/${TASKER_URL#http://*/}/health/live" \
	    HTTP_X_REQUEST_ID=it-ops-fmt timeout 10 cgi-fcgi -bind -connect "$dir/sock" >/dev/null
	kill "$(cat "$dir/pid")" 2>/dev/null
	sleep 0.2
	cat "$dir/log"
}
log=$(one_fcgi json info)
echo "$log" | jq -e . >/dev/null 2>&1 || fail "not JSON lines: $(echo "$log" | head -2)"
echo "$log" | jq -r 'select(.fields | test("event=request")) | .level + " " + .prog + " " + .fields' |
    grep -Eq '^info tasker-fcgi event=request request_id=it-ops-fmt method=GET route=health.live status=200 ' ||
    fail "no JSON request line: $(echo "$log" | head -3)"
log=$(one_fcgi logfmt warn)
echo "$log" | grep -q 'event=request' && fail "a request line at level warn"
echo "$log" | grep -q 'level=info' && fail "an info line at level warn"

case_begin "no token, password or task context in any log of the stack"
marker=it-ops-secret-$RANDOM$RANDOM
# A task whose context carries the marker, of the first example handler
# that accepts such a context; the worker then runs its steps.
created=
AUTH=$ADMIN_TOKEN req GET /handlers
for h in $(jq -r '.namespaces[] | .name as $n | .handlers[] | "\($n)/\(.)"' <"$BODY_FILE"); do
	AUTH=$ADMIN_TOKEN req POST /tasks -H 'Content-Type: application/json' \
	    -d "{\"name\":\"${h#*/}\",\"namespace\":\"${h%/*}\",\"context\":{\"card\":\"$marker\"}}"
	if [ "$STATUS" = 201 ]; then
		created=$(jq -r .id <"$BODY_FILE")
		break
	fi
done
[ -n "$created" ] || fail "no example handler took a task with the marked context"
sleep 2
[ -n "$created" ] && AUTH=$ADMIN_TOKEN req DELETE "/tasks/$created"
pw=$(cat "$(dirname "$TASKER_CONF")/secrets/db.password")
for secret in "$ADMIN_TOKEN" "$STATUS_TOKEN" "$OTHER_TOKEN" "$pw" "$marker"; do
	hits=$(grep -rlF -- "$secret" "$TASKER_RUN"/*.log 2>/dev/null || true)
	[ -z "$hits" ] || fail "a secret is in: $hits"
done
# And the signature part of a token alone (a log that cut the token).
sig=${ADMIN_TOKEN##*.}
[ -z "$(grep -rlF -- "$sig" "$TASKER_RUN"/*.log 2>/dev/null)" ] || fail "a token signature is logged"

case_begin "the step counts of /metrics and /health/status read the status index, not the table"
# The statement of src/ops/probe.c; at millions of steps a scan of the
# table took seconds per scrape.
plan=$(sql "EXPLAIN SELECT status, COUNT(*) FROM workflow_steps GROUP BY status")
echo "$plan" | awk -F'\t' '{ print $6 }' | grep -qx ix_steps_status ||
    fail "plan: $plan"

finish
