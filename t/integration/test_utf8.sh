#!/usr/bin/env bash
# test_utf8.sh - no bad byte in, no 500 out (README "No bad byte in, no 500
# out"): through nginx -> tasker-fcgi -> MariaDB, text that is not strict
# UTF-8 anywhere in any body (overlong C0 AF, surrogate ED A0 80, F4 90 80
# 80 above U+10FFFF, an F5 lead byte, a lone continuation byte, a "\ud800"
# escape) is a 400 naming the member, and nothing is written; valid text
# of every length round-trips byte for byte; a token subject or a
# REMOTE_USER with a C1 control or bad bytes is a 401 (REMOTE_USER through
# a private remote_user pool behind a private nginx on TASKER_AUTH_PORT +
# 50, started and stopped here); tasker-admin check utf8 finds rows
# planted behind the API's back and passes a clean database.
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/t/fixtures/tasks/it_lib.sh"
. "$TASKER_ROOT/t/fixtures/auth-it/jwt.sh"

JWT_TMP=$T_TMP/jwt
mkdir -m 700 "$JWT_TMP"
AUTH=$(token tasker.task:create tasker.task:index tasker.task:show \
    tasker.task:cancel tasker.task:update tasker.task:retry \
    tasker.workflow_step:show tasker.workflow_step:update \
    tasker.handler:index)
B=$T_TMP/req.json

# The bad forms, as printf formats of JSON string content.
FORMS=('\xc0\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80' '\xf5\x80\x80\x80'
    '\x80' '\\ud800')
NAMES=(overlong surrogate above-U+10FFFF F5 lone-continuation
    'lone \ud800 escape')

# send METHOD PATH FORMAT [FORM [curl args...]]: the body printf FORMAT
# makes with FORM's escapes decoded for its %s, sent byte for byte.
send() {
	local method=$1 path=$2 fmt=$3 form
	printf -v form '%b' "${4:-}"
	shift $(($# < 4 ? $# : 4))
	# shellcheck disable=SC2059  # the format is the test's own
	printf "$fmt" "$form" >"$B"
	req "$method" "$path" -H 'Content-Type: application/json' \
	    --data-binary "@$B" "$@"
}

# expect_bad_text FIELD: the 400 of a body with bad text in FIELD.
expect_bad_text() {
	expect_error 400 BadRequest BAD_REQUEST
	expect_true '.error.message | startswith("Invalid UTF-8 in the request body at line 1, column ")'
	expect_jq '.error.details | keys' "[\"$1\"]"
}

# strict_utf8 FILE: 0 when every line of FILE is strict UTF-8, checked by
# a regular expression of RFC 3629, not by tasker's own code.
UTF8_RE='(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2})*'
strict_utf8() {
	[ "$(LC_ALL=C grep -caxvP "$UTF8_RE" "$1")" = 0 ]
}

# What any refused request must leave alone: every row count and the
# text columns of the task under test.
snapshot() {
	sql "SELECT (SELECT COUNT(*) FROM tasks), (SELECT COUNT(*) FROM
	    workflow_steps), (SELECT COUNT(*) FROM task_transitions),
	    (SELECT COUNT(*) FROM step_transitions), (SELECT COUNT(*) FROM
	    idempotency_keys), (SELECT SUM(n) FROM task_counts),
	    (SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', HEX(id), status, reason,
	    tags, context) ORDER BY id)) FROM tasks),
	    (SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, status, results, attempts)
	    ORDER BY id)) FROM workflow_steps)"
}

case_begin "setup: the test handlers load"
tasks_setup || fail "setup"
# A task to PATCH (its first step fails at once when a worker runs).
TID=$(new_task inert) || fail "creating the task to patch"
# The stack's workers rest until the snapshot is compared: tasks of the
# tests before this one must not change the tables meanwhile.
stack_workers_stop
WORKERS_STOPPED=1
BEFORE=$(snapshot)

# ------------------------------------------------------------ POST /tasks

case_begin "POST /tasks: bad text in a nested context value is 400 naming context.customer.name"
for i in "${!FORMS[@]}"; do
	send POST /tasks '{"name":"inert","namespace":"it_tasks","context":{"customer":{"id":1,"name":"ab%scd"}}}' "${FORMS[$i]}"
	expect_bad_text context.customer.name
	[ "$STATUS" = 400 ] || fail "form ${NAMES[$i]}"
done

case_begin "POST /tasks: bad text in a nested context key is 400 naming that key"
for i in "${!FORMS[@]}"; do
	send POST /tasks '{"name":"inert","namespace":"it_tasks","context":{"customer":{"n%s":1}}}' "${FORMS[$i]}"
	expect_error 400 BadRequest BAD_REQUEST
	expect_true '.error.details | keys | length == 1 and (.[0] | startswith("context.customer.n"))'
	expect_true '.error.details[][0] | test("key must be valid UTF-8|half a surrogate pair")'
	[ "$STATUS" = 400 ] || fail "form ${NAMES[$i]}"
done

case_begin "POST /tasks: bad text in initiator, source_system, reason, tags[2], and the wrapped form"
for i in "${!FORMS[@]}"; do
	f=${FORMS[$i]}
	send POST /tasks '{"name":"inert","namespace":"it_tasks","initiator":"a%sb"}' "$f"
	expect_bad_text initiator
	send POST /tasks '{"name":"inert","namespace":"it_tasks","source_system":"%s"}' "$f"
	expect_bad_text source_system
	send POST /tasks '{"name":"inert","namespace":"it_tasks","reason":"why %s"}' "$f"
	expect_bad_text reason
	send POST /tasks '{"name":"inert","namespace":"it_tasks","tags":["a","b","%s"]}' "$f"
	expect_bad_text 'tags[2]'
	send POST /tasks '{"task":{"name":"inert","namespace":"it_tasks","reason":"%s"}}' "$f"
	expect_bad_text task.reason
	[ "$STATUS" = 400 ] || fail "form ${NAMES[$i]}"
done

case_begin "POST /tasks: an Idempotency-Key request with bad text is 400 and does not use the key up"
send POST /tasks '{"name":"inert","namespace":"it_tasks","reason":"%s"}' '\xed\xa0\x80' \
    -H 'Idempotency-Key: it-utf8-key'
expect_bad_text reason
expect_eq "$(sql "SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = 'it-utf8-key'")" 0 \
    "keys stored"

# ------------------------------------------------------------ the other bodies

case_begin "PATCH /tasks/{id}: bad text in reason or tags is 400, the task unchanged"
for i in "${!FORMS[@]}"; do
	f=${FORMS[$i]}
	send PATCH "/tasks/$TID" '{"reason":"%s"}' "$f"
	expect_bad_text reason
	send PATCH "/tasks/$TID" '{"tags":["ok","%s"]}' "$f"
	expect_bad_text 'tags[1]'
	send PATCH "/tasks/$TID" '{"task":{"reason":"ok","tags":["%s"]}}' "$f"
	expect_bad_text 'task.tags[0]'
	[ "$STATUS" = 400 ] || fail "form ${NAMES[$i]}"
done

case_begin "PATCH a step: bad text in reason or results (key or value) is 400, the step unchanged"
for i in "${!FORMS[@]}"; do
	f=${FORMS[$i]}
	send PATCH "/tasks/$TID/workflow_steps/b" '{"status":"resolved_manually","reason":"%s"}' "$f"
	expect_bad_text reason
	send PATCH "/tasks/$TID/workflow_steps/b" '{"status":"resolved_manually","results":{"paid":{"by":"%s"}}}' "$f"
	expect_bad_text results.paid.by
	send PATCH "/tasks/$TID/workflow_steps/b" '{"status":"cancelled","reason":"x","results":{"k%s":1}}' "$f"
	expect_error 400 BadRequest BAD_REQUEST
	expect_true '.error.details | keys | length == 1 and (.[0] | startswith("results.k"))'
	[ "$STATUS" = 400 ] || fail "form ${NAMES[$i]}"
done

case_begin "DELETE /tasks/{id} and POST /tasks/{id}/retry: bad text in reason is 400, nothing happens"
for i in "${!FORMS[@]}"; do
	send DELETE "/tasks/$TID" '{"reason":"%s"}' "${FORMS[$i]}"
	expect_bad_text reason
	send POST "/tasks/$TID/retry" '{"reason":"%s"}' "${FORMS[$i]}"
	expect_bad_text reason
done
send DELETE "/tasks/$TID" '[{"reason":"%s"}]' '\x80'
expect_bad_text 'body[0].reason'

case_begin "every refused request wrote nothing: row counts, tasks and steps as before"
expect_eq "$(snapshot)" "$BEFORE" "the database after the refused requests"
[ "$(task_status "$TID")" != cancelled ] || fail "the task was cancelled"
stack_workers_start
WORKERS_STOPPED=0

# ------------------------------------------------------------ valid text

# é (2 bytes), € (3), 😀 (4), U+10FFFF (4), NBSP; escapes of é and of a
# pair; the bytes the database must hold for them.
TEXT='caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xc2\xa0'
ESC='\\u00e9 \\ud83d\\ude00 \\uDBFF\\uDFFF'
TEXT_HEX=$(printf "$TEXT" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
ESC_HEX=$(printf '\xc3\xa9 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf' | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)

case_begin "valid multi-byte text (é, €, 😀, U+10FFFF, escaped pairs) round-trips byte for byte"
send POST /tasks "{\"name\":\"inert\",\"namespace\":\"it_tasks\",\"initiator\":\"$TEXT\",\"source_system\":\"$ESC\",\"reason\":\"$TEXT\",\"tags\":[\"$TEXT\",\"$ESC\"],\"context\":{\"$TEXT\":{\"k\":\"$ESC\"}}}"
expect_status 201
VID=$(jq -r .id <"$BODY_FILE")
expect_eq "$(sql "SELECT HEX(reason) FROM tasks WHERE id = $(sql_id "$VID")")" "$TEXT_HEX" "stored reason"
expect_eq "$(sql "SELECT HEX(initiator) FROM tasks WHERE id = $(sql_id "$VID")")" "$TEXT_HEX" "stored initiator"
expect_eq "$(sql "SELECT HEX(source_system) FROM tasks WHERE id = $(sql_id "$VID")")" "$ESC_HEX" "stored source_system"
req GET "/tasks/$VID"
expect_status 200
strict_utf8 "$BODY_FILE" || fail "GET /tasks/{id} is not strict UTF-8"
expect_eq "$(jq -j .reason <"$BODY_FILE" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)" "$TEXT_HEX" "reason served"
expect_eq "$(jq -j '.tags[1]' <"$BODY_FILE" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)" "$ESC_HEX" "tags[1] served"
expect_eq "$(jq -j '.context | keys[0]' <"$BODY_FILE" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)" "$TEXT_HEX" "context key served"
# PATCH keeps them too.
send PATCH "/tasks/$VID" "{\"reason\":\"$ESC\",\"tags\":[\"$TEXT\"]}"
expect_status 200
expect_eq "$(sql "SELECT HEX(reason) FROM tasks WHERE id = $(sql_id "$VID")")" "$ESC_HEX" "patched reason"
req GET "/tasks?per_page=100"
expect_status 200
strict_utf8 "$BODY_FILE" || fail "GET /tasks is not strict UTF-8"

# ------------------------------------------------------------ token subjects

SECRET=$TASKER_RUN/secrets/jwt.secret
HS='{"alg":"HS256","typ":"JWT","kid":"quickstart"}'
NOW=$(date +%s)

case_begin "a token whose sub has a C0 or C1 control, DEL, or bad bytes gets 401 with the usual challenge"
for sub in 'a\xc2\x85b' '\xc2\x80' 'a\xc2\x9f' 'a\\u0085' 'a\\u001b' 'a\x7f' \
    '\xc0\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80' 'a\x80' '\\ud800'; do
	# shellcheck disable=SC2059
	AUTH=$(jwt_hs256 "$HS" "$(printf "{\"sub\":\"$sub\",\"exp\":%d,\"permissions\":[\"*\"]}" $((NOW + 600)))" "$SECRET")
	req GET /tasks
	expect_error 401 AuthenticationError AUTHENTICATION_FAILED \
	    'Invalid or expired authentication token'
	expect_header WWW-Authenticate 'Bearer realm="tasker", error="invalid_token"'
	[ "$STATUS" = 401 ] || fail "sub $sub"
done

case_begin "a token whose sub is valid multi-byte text is accepted, and its subject stored byte for byte"
AUTH=$(jwt_hs256 "$HS" "$(printf '{"sub":"Jos\xc3\xa9 \xf0\x9f\x98\x80","exp":%d,"permissions":["*"]}' $((NOW + 600)))" "$SECRET")
send POST /tasks '{"name":"inert","namespace":"it_tasks"}'
expect_status 201
SID=$(jq -r .id <"$BODY_FILE")
expect_eq "$(sql "SELECT HEX(initiator) FROM tasks WHERE id = $(sql_id "$SID")")" \
    "$(printf 'Jos\xc3\xa9 \xf0\x9f\x98\x80' | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)" \
    "the subject as initiator"
AUTH=$(token '*')

# ------------------------------------------------------------ REMOTE_USER

# A private tasker-fcgi in remote_user mode behind a private nginx that
# passes the X-Remote-User header as REMOTE_USER (what a web server's
# password check would set), logging at debug level; stopped on exit.
STACK_PORT=${TASKER_URL#http://*:}
STACK_PORT=${STACK_PORT%%/*}
PRIV_PORT=$((${TASKER_AUTH_PORT:-$((STACK_PORT + 200))} + 50))
PRIV=$T_TMP/priv
priv_stop() {
	local f pid
	for f in "$PRIV/nginx.pid" "$PRIV/fcgi.pid"; do
		[ -f "$f" ] || continue
		for pid in $(cat "$f"); do
			kill "$pid" 2>/dev/null
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		done
	done
}
trap 'priv_stop; [ "${WORKERS_STOPPED:-0}" = 0 ] || stack_workers_start; rm -rf "$T_TMP"' EXIT

priv_start() {
	mkdir -p -m 700 "$PRIV/tmp"
	{
		awk '/^[A-Za-z_]+:/ { k = $0; sub(/:.*/, "", k);
		    skip = (k == "auth" || k == "api" || k == "logging") } !skip' \
		    "$TASKER_CONF"
		cat <<-YAML
		auth:
		  mode: remote_user
		  remote_user:
		    users:
		      "Jos\u00e9": ["tasker.task:index"]
		api:
		  mount_prefix: /ru
		logging:
		  level: debug
		YAML
	} >"$PRIV/ru.yaml"
	spawn-fcgi -s "$PRIV/fcgi.sock" -M 0600 -F 1 -P "$PRIV/fcgi.pid" -- \
	    "$TASKER_BUILD/tasker-fcgi" -c "$PRIV/ru.yaml" -l "$PRIV/fcgi.log" \
	    >>"$PRIV/spawn.log" 2>&1 || return 1
	private_nginx "$PRIV" "$PRIV_PORT" "" "
	location /ru/ {
		# Before fastcgi_params' own (empty) REMOTE_USER:
		# tasker takes a variable's first value.
		fastcgi_param REMOTE_USER \$http_x_remote_user;
		include /etc/nginx/fastcgi_params;
		fastcgi_pass unix:$PRIV/fcgi.sock;
	}"
}

case_begin "REMOTE_USER with a C1 control or bad bytes is 401; a valid multi-byte name is its user (remote_user mode)"
SAVED_AUTH=$AUTH
AUTH=
if priv_start; then
	for u in 'mallory\xc2\x85' 'a\xc2\x9f' '\xc0\xaf' '\xed\xa0\x80' \
	    '\xf4\x90\x80\x80' 'a\x80'; do
		printf -v hdr 'X-Remote-User: %b' "$u"
		req GET "http://127.0.0.1:$PRIV_PORT/ru/tasks" -H "$hdr"
		expect_error 401 AuthenticationError AUTHENTICATION_FAILED
		[ "$STATUS" = 401 ] || fail "REMOTE_USER $u"
	done
	printf -v hdr 'X-Remote-User: %b' 'Jos\xc3\xa9'
	req GET "http://127.0.0.1:$PRIV_PORT/ru/tasks" -H "$hdr"
	expect_status 200
	req POST "http://127.0.0.1:$PRIV_PORT/ru/tasks" -H "$hdr" \
	    -H 'Content-Type: application/json' -d '{}'
	expect_status 403
	n=$(grep -c 'event=auth_rejected reason=bad_remote_user' "$PRIV/fcgi.log")
	expect_eq "$n" 6 "rejections logged with their reason"
	# the log holds no byte of the refused names
	LC_ALL=C grep -q $'\xc2\x85\|\xc0\|\xed\xa0\|\xf4\x90' "$PRIV/fcgi.log" &&
	    fail "a refused name's bytes are in the log"
else
	fail "could not start: $(tail -5 "$PRIV/spawn.log" "$PRIV"/*.log 2>/dev/null)"
fi
priv_stop
AUTH=$SAVED_AUTH

# ------------------------------------------------------------ tasker-admin check utf8

ADMIN_OUT=$T_TMP/check.out

# check_utf8 [ARGS...]: runs the command; its status in RC.
check_utf8() {
	RC=0
	$TASKER_ADMIN check "$@" >"$ADMIN_OUT" 2>"$T_TMP/check.err" || RC=$?
}

case_begin "tasker-admin check utf8: a clean database exits 0 (nothing bad got in above)"
check_utf8 utf8
expect_eq "$RC" 0 "exit status (output: $(head -c 300 "$ADMIN_OUT"))"
grep -q '^utf8: [0-9]* rows of 5 tables checked: 0 rows hold 0 values' "$ADMIN_OUT" ||
    fail "summary: $(tail -1 "$ADMIN_OUT")"

case_begin "tasker-admin check utf8: finds surrogates planted in every kind of column (exit 1)"
# MariaDB's utf8mb4 stores surrogates (and refuses the other bad forms);
# the rows go in behind the API's back.  The step transition is planted
# after 150 others, so the scan must page past its first batch.
PID=$(new_task inert) || fail "creating the task to plant"
PX=$(sql_id "$PID")
FIRSTTR=$(sql "SELECT COALESCE(MAX(id), 0) FROM step_transitions")
STEP=$(sql "SELECT id FROM workflow_steps WHERE task_id = $PX AND name = 'b'")
sql "UPDATE tasks SET reason = CONCAT('ab', UNHEX('EDA080')),
    context = CONCAT('{\"k\":\"', UNHEX('EDBFBF'), '\"}') WHERE id = $PX;
    UPDATE workflow_steps SET last_error = CONCAT('e', UNHEX('EDA080'))
      WHERE id = $STEP;
    INSERT INTO step_transitions (step_id, task_id, to_status, actor, reason,
      created_at) SELECT $STEP, $PX, 'pending', 'it-utf8', 'fine',
      UTC_TIMESTAMP(6) FROM seq_1_to_150;
    INSERT INTO step_transitions (step_id, task_id, to_status, actor,
      created_at) VALUES ($STEP, $PX, 'pending', CONCAT('w', UNHEX('EDA080')),
      UTC_TIMESTAMP(6));
    INSERT INTO idempotency_keys VALUES (CONCAT('p', UNHEX('EDA080')),
      'it-utf8-planted', REPEAT('0', 64), $PX, UTC_TIMESTAMP(6),
      UTC_TIMESTAMP(6) + INTERVAL 1 DAY)"
LASTTR=$(sql "SELECT MAX(id) FROM step_transitions")
check_utf8 utf8
expect_eq "$RC" 1 "exit status"
for line in "tasks id=$PID column=context offset=6" \
    "tasks id=$PID column=reason offset=2" \
    "workflow_steps id=$STEP column=last_error offset=1" \
    "step_transitions id=$LASTTR column=actor offset=1" \
    "idempotency_keys principal=0x70EDA080 idem_key=it-utf8-planted column=principal offset=1"; do
	grep -qxF "$line" "$ADMIN_OUT" || fail "missing line: $line"
done
expect_eq "$(grep -c ' column=' "$ADMIN_OUT")" 5 "reported values"
grep -q ': 4 rows hold 5 values that are not strict UTF-8$' "$ADMIN_OUT" ||
    fail "summary: $(tail -1 "$ADMIN_OUT")"
# --json: the same findings and summary as one document.
check_utf8 utf8 --json
expect_eq "$RC" 1 "--json exit status"
expect_eq "$(jq -c '[.tables, .bad_rows, .bad_values, (.findings | length)]' <"$ADMIN_OUT")" \
    '[5,4,5,5]' "--json summary"
expect_eq "$(jq -c --arg id "$PID" '[.findings[] | select(.table == "tasks" and .keys.id == $id) | [.column, .offset]] | sort' <"$ADMIN_OUT")" \
    '[["context",6],["reason",2]]' "--json findings of the task"
expect_eq "$(jq -c '.findings[] | select(.table == "idempotency_keys") | .keys' <"$ADMIN_OUT")" \
    '{"principal":"0x70EDA080","idem_key":"it-utf8-planted"}' "--json keys"

case_begin "tasker-admin check utf8: repaired rows exit 0 again"
sql "UPDATE tasks SET reason = 'ab', context = '{}' WHERE id = $PX;
    UPDATE workflow_steps SET last_error = NULL WHERE id = $STEP;
    DELETE FROM step_transitions WHERE id > $FIRSTTR AND task_id = $PX
      AND (actor = 'it-utf8' OR actor = CONCAT('w', UNHEX('EDA080')));
    DELETE FROM idempotency_keys WHERE idem_key = 'it-utf8-planted'"
check_utf8 utf8
expect_eq "$RC" 0 "exit status (output: $(head -c 300 "$ADMIN_OUT"))"

case_begin "tasker-admin check: usage is 2, an unreachable database 3"
check_utf8
expect_eq "$RC" 2 "no operand"
check_utf8 utf9
expect_eq "$RC" 2 "unknown operand"
check_utf8 utf8 extra
expect_eq "$RC" 2 "extra operand"
sed "s|^\(  socket:\).*|\1 $T_TMP/no-such.sock|" "$TASKER_CONF" >"$T_TMP/bad.yaml"
RC=0
$TASKER_ADMIN -c "$T_TMP/bad.yaml" check utf8 >"$ADMIN_OUT" 2>&1 || RC=$?
expect_eq "$RC" 3 "exit status without a database"

finish
