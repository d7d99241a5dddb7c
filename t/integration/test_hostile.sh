#!/usr/bin/env bash
# test_hostile.sh - hostile input through nginx to every route: the corpus
# of t/fixtures/hostile (malformed JSON, deep nesting, huge numbers,
# invalid UTF-8, NUL bytes, SQL injection, path traversal, oversized
# headers and bodies, bad query values, raw requests curl will not send).
#
# What a user must see: never a 5xx, never a hung or dropped connection;
# every error in the guide's format; the same tasker-fcgi processes
# afterwards; and a database changed only by the requests that were valid
# (tasks created with 201 here, and what was done to them).  The workers
# are paused (SIGSTOP, by pid) meanwhile so that only requests change it.
. "$(dirname "$0")/lib.sh"

HOSTILE=$TASKER_ROOT/t/fixtures/hostile
AUTH=$(token)
HOSTPORT=${TASKER_URL#http://}
HOSTPORT=${HOSTPORT%%/*}
PREFIX=/${TASKER_URL#http://*/}
OUT=$T_TMP/out
mkdir -p "$OUT"

# ------------------------------------------------------------ workers

FROZEN=()
freeze_workers() {
	local pid child
	[ -f "$TASKER_RUN/worker.pid" ] || return 0
	for pid in $(cat "$TASKER_RUN/worker.pid"); do
		kill -0 "$pid" 2>/dev/null || continue
		kill -STOP "$pid" 2>/dev/null && FROZEN+=("$pid")
		for child in $(pgrep -P "$pid" 2>/dev/null); do
			kill -STOP "$child" 2>/dev/null && FROZEN+=("$child")
		done
	done
}
thaw_workers() {
	local pid
	for pid in "${FROZEN[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
	FROZEN=()
}
trap 'thaw_workers; rm -rf "$T_TMP"' EXIT

# ------------------------------------------------------------ the database

CREATED=$T_TMP/created    # hex ids of the tasks created with 201 here
: > "$CREATED"

# IN-list of the created tasks (a dummy id when none).
created_sql() {
	if [ -s "$CREATED" ]; then
		sed 's/^/0x/' "$CREATED" | paste -sd,
	else
		echo "0x00"
	fi
}

# One line per table: what must not change except through the created
# tasks.  Rows of the created tasks are left out; task_counts is compared
# apart (see below).
db_state() {
	local ex
	ex=$(created_sql)
	sql "CHECKSUM TABLE namespaces, handler_versions, registry_generation, schema_migrations" | awk '{ print $1, $2 }'
	sql "SELECT 'tasks', COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', HEX(id), handler_version_id, status, context, COALESCE(initiator, ''), COALESCE(source_system, ''), COALESCE(reason, ''), COALESCE(tags, ''), updated_at, COALESCE(completed_at, '')))), 0) FROM tasks WHERE id NOT IN ($ex)"
	sql "SELECT 'workflow_steps', COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', id, HEX(task_id), status, attempts, COALESCE(results, ''), COALESCE(last_error, ''), COALESCE(ready_at, ''), unmet_parents, COALESCE(lease_owner, ''), updated_at))), 0) FROM workflow_steps WHERE task_id NOT IN ($ex)"
	sql "SELECT 'task_transitions', COUNT(*), COALESCE(MAX(id), 0) FROM task_transitions WHERE task_id NOT IN ($ex)"
	sql "SELECT 'step_transitions', COUNT(*), COALESCE(MAX(id), 0) FROM step_transitions WHERE task_id NOT IN ($ex)"
	sql "SELECT 'idempotency_keys', COUNT(*) FROM idempotency_keys WHERE task_id NOT IN ($ex)"
}

# task_counts per status less the created tasks in that status: equal
# before and after when nothing else moved a count.
counts_state() {
	local ex
	ex=$(created_sql)
	sql "SELECT s.status, COALESCE((SELECT SUM(n) FROM task_counts c WHERE c.status = s.status), 0) - (SELECT COUNT(*) FROM tasks t WHERE t.status = s.status AND t.id IN ($ex)) FROM (SELECT 'pending' status UNION ALL SELECT 'in_progress' UNION ALL SELECT 'complete' UNION ALL SELECT 'error' UNION ALL SELECT 'cancelled' UNION ALL SELECT 'resolved_manually') s"
}

# ------------------------------------------------------------ requests

# Requests are queued into one curl config and sent by one curl in
# parallel (4 at a time); each writes its answer to $OUT/N and a line
# "N status content-type" to the results.
CFG=$T_TMP/curl.cfg
DESC=$T_TMP/desc
N=0
: > "$CFG"
: > "$DESC"

cfg_quote() {   # a value for a curl config file, in double quotes
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# queue DESCRIPTION METHOD PATH [-H HEADER]... [-d FILE] [--noauth]
queue() {
	local desc=$1 method=$2 path=$3 auth=1 h
	shift 3
	local headers=() body=""
	[ "$N" -gt 0 ] || rm -f "$OUT"/*
	while [ $# -gt 0 ]; do
		case $1 in
		-H) headers+=("$2"); shift 2 ;;
		-d) body=$2; shift 2 ;;
		--noauth) auth=0; shift ;;
		*) shift ;;
		esac
	done
	N=$((N + 1))
	{
		# "next" separates requests; one after the last would start an
		# empty one, which makes curl give up on the rest.
		[ "$N" -gt 1 ] && echo "next"
		echo "url = $(cfg_quote "http://$HOSTPORT$PREFIX$path")"
		if [ "$method" = HEAD ]; then echo "head"; else echo "request = $(cfg_quote "$method")"; fi
		echo "path-as-is"
		echo "globoff"
		echo "max-time = 20"
		echo "output = $(cfg_quote "$OUT/$N")"
		echo "write-out = \"$N %{http_code} %{content_type}\\n\""
		for h in "${headers[@]}"; do
			case $h in [Aa]uthorization:*) auth=0 ;; esac
			echo "header = $(cfg_quote "$h")"
		done
		[ $auth = 1 ] && echo "header = $(cfg_quote "Authorization: Bearer $AUTH")"
		[ -n "$body" ] && echo "data-binary = $(cfg_quote "@$body")"
		echo "silent"
	} >> "$CFG"
	printf '%s\n' "$method $path :: $desc" >> "$DESC"
}

# Sends what is queued; checks every answer; clears the queue.
send_and_check() {
	local results=$T_TMP/results n code ct d seen
	curl -s -Z --parallel-max 4 -K "$CFG" > "$results" 2>"$T_TMP/curl.err" || true
	seen=$(wc -l < "$results")
	[ "$seen" -eq "$N" ] || fail "curl reported $seen of $N requests: $(head -c 300 "$T_TMP/curl.err")"
	: > "$T_TMP/errfiles"
	while read -r n code ct; do
		d=$(sed -n "${n}p" "$DESC")
		check_answer "$d" "$code" "$ct" "$OUT/$n"
	done < "$results"
	check_error_bodies
	: > "$CFG"
	: > "$DESC"
	N=0
}

# Answers nginx made itself (an HTML page: the request never reached
# tasker-fcgi) are collected here and judged in a case of their own.
NGINX_PAGES=$T_TMP/nginx-pages
: > "$NGINX_PAGES"

# check_answer DESCRIPTION STATUS CONTENT-TYPE BODYFILE
check_answer() {
	local d=$1 code=$2 ct=$3 f=$4
	if [ "$code" -ge 400 ] 2>/dev/null && [[ $ct == text/html* ]]; then
		echo "$d: $code $(grep -o '<title>[^<]*' "$f" 2>/dev/null | head -1 | sed 's/<title>//')" >> "$NGINX_PAGES"
		return
	fi
	case $code in
	000) fail "$d: no answer (connection failed or timed out)"; return ;;
	5*) fail "$d: $code $(head -c 200 "$f")"; return ;;
	esac
	case $d in HEAD*) return ;; esac
	if [ "$code" = 201 ] && [[ $d == "POST /tasks "* ]]; then
		jq -r '.id' < "$f" 2>/dev/null | tr -d - >> "$CREATED"
	fi
	if [ "$code" -ge 400 ]; then
		[ "$ct" = 'application/json; charset=utf-8' ] ||
		    fail "$d: $code with Content-Type '$ct': $(head -c 120 "$f")"
		[ -s "$f" ] || { fail "$d: $code without a body"; return; }
		printf '%s\t%s\n' "$f" "$d" >> "$T_TMP/errfiles"
	fi
}

# The error bodies of a batch: one awk over all of them for the shape
# tk_api_error writes (type, message, details?, code; nothing else), then
# jq on any that does not look so, for the message.
check_error_bodies() {
	local f d
	[ -s "$T_TMP/errfiles" ] || return 0
	cut -f1 "$T_TMP/errfiles" | xargs awk '
	    FNR == 1 && NR > 1 && !ok { print prev }
	    FNR == 1 { ok = ($0 ~ /^\{"error":\{"type":"[A-Za-z]+","message":"([^"\\]|\\.)*",("details":.*,)?"code":"[A-Z_]+"\}\}$/); prev = FILENAME; next }
	    { ok = 0 }
	    END { if (NR > 0 && !ok) print prev }' > "$T_TMP/badfiles" 2>/dev/null || true
	while read -r f; do
		d=$(awk -F'\t' -v f="$f" '$1 == f { print $2; exit }' "$T_TMP/errfiles")
		jq -e '(.error | (.type | type) == "string" and (.code | type) == "string"
		    and (.message | type) == "string") and
		    ((.error | keys) - ["type", "message", "details", "code"] == [])' \
		    < "$f" >/dev/null 2>&1 || fail "$d: not in the error format: $(head -c 200 "$f")"
	done < "$T_TMP/badfiles"
}

# ------------------------------------------------------------ setup

req POST /tasks -H 'Content-Type: application/json' -d '{}'
HAVE_TASKS=1
case $STATUS in 404|405) HAVE_TASKS=0 ;; esac
[ $HAVE_TASKS = 1 ] || echo "# the task API is not routed yet: task routes get only the paths"

pids_before=$(fcgi_pids | tr '\n' ' ')
freeze_workers

ID=00000000-0000-7000-8000-000000000000
STEP=validate_payment
if [ $HAVE_TASKS = 1 ]; then
	req POST /tasks -H 'Content-Type: application/json' \
	    -d '{"name":"process_payment","namespace":"payments","version":"2.1.0","context":{"payment_id":1}}'
	if [ "$STATUS" = 201 ]; then
		ID=$(jq -r .id < "$BODY_FILE")
		echo "$ID" | tr -d - >> "$CREATED"
	fi
fi
state_before=$(db_state)
counts_before=$(counts_state)

LONG300=$(printf 'a%.0s' $(seq 1 300))
LONG3000=$(printf 'a%.0s' $(seq 1 3000))
DEEP17=$(printf 'd/%.0s' $(seq 1 17))
DEEP17=${DEEP17%/}
MANYPAIRS=$(for i in $(seq 1 100); do printf 'p%d=%d&' "$i" "$i"; done)
MANYPAIRS=${MANYPAIRS%&}
LONGQUERY=namespace=$(printf 'q%.0s' $(seq 1 5000))
ID_SHORT=${ID%?}
ID_UPPER=$(echo "$ID" | tr a-f A-F)

# Placeholders of the corpus (see t/fixtures/hostile/README).
expand() {
	local s=$1
	s=${s//\{ID_SHORT\}/$ID_SHORT}
	s=${s//\{ID_UPPER\}/$ID_UPPER}
	s=${s//\{ID\}/$ID}
	s=${s//\{STEP\}/$STEP}
	s=${s//\{TOKEN\}/$AUTH}
	s=${s//\{LONG3000\}/$LONG3000}
	s=${s//\{LONG300\}/$LONG300}
	s=${s//\{DEEP17\}/$DEEP17}
	s=${s//\{MANYPAIRS\}/$MANYPAIRS}
	s=${s//\{LONGQUERY\}/$LONGQUERY}
	printf '%s' "$s"
}

GET_ROUTES=(/handlers /handlers/payments /handlers/payments/process_payment
	/health/live /health/ready /metrics /api-docs.json)
BODY_ROUTES=()
if [ $HAVE_TASKS = 1 ]; then
	GET_ROUTES+=(/tasks "/tasks/$ID" "/tasks/$ID/workflow_steps"
	    "/tasks/$ID/workflow_steps/$STEP")
	BODY_ROUTES=("POST /tasks" "PATCH /tasks/$ID" "POST /tasks/$ID/retry"
	    "PATCH /tasks/$ID/workflow_steps/$STEP"
	    "DELETE /tasks/00000000-0000-7000-8000-000000000001" "GET /tasks")
fi

# ------------------------------------------------------------ cases

case_begin "hostile bodies to every route that reads one: 4xx in the error format, no 5xx"
if [ $HAVE_TASKS = 1 ]; then
	for f in "$HOSTILE"/bodies/*; do
		for r in "${BODY_ROUTES[@]}"; do
			queue "body $(basename "$f")" ${r% *} ${r#* } \
			    -H 'Content-Type: application/json' -d "$f"
		done
	done
	# The same bodies without a JSON Content-Type, and one with none.
	for f in "$HOSTILE"/bodies/sqli_fields.json "$HOSTILE"/bodies/deep_array.json; do
		queue "body $(basename "$f") as text/plain" POST /tasks -H 'Content-Type: text/plain' -d "$f"
		queue "body $(basename "$f") without Content-Type" POST /tasks -H 'Content-Type:' -d "$f"
	done
	send_and_check
else
	echo "# skipped: no task API"
fi

case_begin "bodies at and over the limits: 413 in the error format, never 5xx"
if [ $HAVE_TASKS = 1 ]; then
	big=$T_TMP/big.json
	printf '{"name":"process_payment","namespace":"payments","context":{"payment_id":1,"blob":"%s"}}' \
	    "$(head -c 900000 /dev/zero | tr '\0' x)" > "$big"
	queue "900 KB string in the context" POST /tasks -H 'Content-Type: application/json' -d "$big"
	head -c 1500000 /dev/zero | tr '\0' ' ' > "$T_TMP/over1.json"
	queue "1.5 MB body (over api.max_body_bytes)" POST /tasks -H 'Content-Type: application/json' -d "$T_TMP/over1.json"
	head -c 3000000 /dev/zero | tr '\0' '[' > "$T_TMP/over2.json"
	queue "3 MB body (over nginx's client_max_body_size)" POST /tasks -H 'Content-Type: application/json' -d "$T_TMP/over2.json"
	queue "1.5 MB body to a GET route" GET /handlers -d "$T_TMP/over1.json"
	send_and_check
	[ "$(jq -r .error.code < "$OUT/2" 2>/dev/null)" = PAYLOAD_TOO_LARGE ] || fail "1.5 MB body: not PAYLOAD_TOO_LARGE: $(head -c 200 "$OUT/2")"
	[ "$(jq -r .error.code < "$OUT/3" 2>/dev/null)" = PAYLOAD_TOO_LARGE ] || fail "3 MB body: not PAYLOAD_TOO_LARGE: $(head -c 200 "$OUT/3")"
else
	echo "# skipped: no task API"
fi

case_begin "hostile paths with every method: 4xx in the error format, no 5xx"
while IFS= read -r p; do
	[ -n "$p" ] || continue
	p=$(expand "$p")
	for m in GET HEAD POST PUT PATCH DELETE OPTIONS; do
		queue "path" "$m" "$p"
	done
done < "$HOSTILE/paths.txt"
send_and_check

case_begin "hostile query strings to every GET route: no 5xx, errors in the error format"
while IFS= read -r q; do
	[ -n "$q" ] || continue
	q=$(expand "$q")
	for r in "${GET_ROUTES[@]}"; do
		queue "query $q" GET "$r?$q"
	done
done < "$HOSTILE/queries.txt"
send_and_check

case_begin "hostile headers: no 5xx, errors in the error format"
valid=$T_TMP/valid.json
printf '{"name":"process_payment","namespace":"payments","context":{"payment_id":7}}' > "$valid"
while IFS= read -r h; do
	[ -n "$h" ] || continue
	h=$(expand "$h")
	queue "header ${h:0:60}" GET /handlers/payments -H "$h"
	if [ $HAVE_TASKS = 1 ]; then
		queue "header ${h:0:60}" GET "/tasks/$ID" -H "$h"
		case $h in
		Content-Type:*) queue "header ${h:0:60}" POST /tasks -H "$h" -d "$valid" ;;
		*) queue "header ${h:0:60}" POST /tasks -H 'Content-Type: application/json' -H "$h" -d "$valid" ;;
		esac
	fi
done < "$HOSTILE/headers.txt"
send_and_check

# Raw requests: written to a socket as they are; nginx answers most of
# them itself.
raw_send() {   # raw_send FILE OUT: the whole answer into OUT
	local f=$1 o=$2
	perl -pe "s|\@HOST\@|$HOSTPORT|g; s|\@PREFIX\@|$PREFIX|g; s|\@TOKEN\@|$AUTH|g" "$f" > "$o.req"
	if exec 3<>"/dev/tcp/${HOSTPORT%:*}/${HOSTPORT#*:}"; then
		cat "$o.req" >&3 2>/dev/null || true
		timeout 10 cat <&3 > "$o" 2>/dev/null || true
		exec 3<&-
	else
		: > "$o"
	fi
}
raw_status() { head -1 "$1" | tr -d '\r' | awk '/^HTTP\// { print $2 }'; }
raw_header() { tr -d '\r' < "$1" | awk -v n="$(echo "$2" | tr A-Z a-z)" '
	/^$/ { exit } { split($0, kv, ": "); if (tolower(kv[1]) == n) { sub(/^[^:]*: /, ""); print; exit } }'; }
raw_body() { tr -d '\r' < "$1" | awk 'b { print } /^$/ { b = 1 }'; }

case_begin "raw requests curl will not send: no 5xx, no hang, the error format"
for f in "$HOSTILE"/raw/*.http; do
	name=$(basename "$f" .http)
	o=$T_TMP/raw-$name
	raw_send "$f" "$o"
	code=$(raw_status "$o")
	if [ -z "$code" ]; then
		# nginx may close without answering (HTTP/0.9, a preface it
		# does not speak): acceptable, as long as it did not hang.
		continue
	fi
	ct=$(raw_header "$o" Content-Type)
	if [ "$code" -ge 400 ] && [[ $ct == text/html* ]]; then
		echo "raw $name: $code $(grep -o '<title>[^<]*' "$o" | head -1 | sed 's/<title>//')" >> "$NGINX_PAGES"
		continue
	fi
	case $name:$code in
	# An unknown Transfer-Encoding: RFC 9112, 6.1 asks for 501.
	te_gzip:501) ;;
	*:5*) fail "raw $name: $code $(raw_body "$o" | head -c 150)"; continue ;;
	esac
	if [ "$code" -ge 400 ] && [ "$ct" != 'application/json; charset=utf-8' ]; then
		fail "raw $name: $code with Content-Type '$ct'"
	fi
done

# nginx answers some requests itself (a URI that normalises to outside
# the mount prefix, an unknown Transfer-Encoding, TRACE, a header or URI
# over its buffers).  A client must get those in the error format too
# (error_page in the nginx configuration), and never a 5xx.
case_begin "nginx's own answers are in the error format too"
if [ -s "$NGINX_PAGES" ]; then
	fail "$(wc -l < "$NGINX_PAGES") answer(s) were nginx's HTML pages, e.g.:"
	awk -F': ' '!seen[$NF]++' "$NGINX_PAGES" | head -12 | sed 's/^/#     /'
fi

case_begin "the tasker-fcgi processes survived: same pids, all alive"
pids_after=$(fcgi_pids | tr '\n' ' ')
expect_eq "$pids_after" "$pids_before" "tasker-fcgi pids"
[ -n "$pids_after" ] || fail "no tasker-fcgi process found under the pool's multiwatch"
for pid in $pids_after; do kill -0 "$pid" 2>/dev/null || fail "process $pid is gone"; done
req GET /handlers
expect_status 200

case_begin "the database changed only by the valid requests"
state_after=$(db_state)
counts_after=$(counts_state)
if [ "$state_after" != "$state_before" ]; then
	fail "tables changed outside the created tasks:"
	diff <(echo "$state_before") <(echo "$state_after") | sed 's/^/#     /'
fi
if [ "$counts_after" != "$counts_before" ]; then
	fail "task_counts moved by more than the created tasks:"
	diff <(echo "$counts_before") <(echo "$counts_after") | sed 's/^/#     /'
fi
if [ $HAVE_TASKS = 1 ] && [ -s "$CREATED" ]; then
	# Every task created here is whole: its four steps and a transition.
	bad=$(sql "SELECT COUNT(*) FROM tasks t WHERE t.id IN ($(created_sql)) AND ((SELECT COUNT(*) FROM workflow_steps s WHERE s.task_id = t.id) <> 4 OR NOT EXISTS (SELECT 1 FROM task_transitions r WHERE r.task_id = t.id))")
	expect_eq "$bad" 0 "created tasks without their steps or transition"
	n=$(sql "SELECT COUNT(*) FROM tasks WHERE id IN ($(created_sql))")
	expect_eq "$n" "$(sort -u "$CREATED" | wc -l)" "created tasks present"
fi
echo "# $(sort -u "$CREATED" | wc -l) task(s) created by valid requests"

thaw_workers
finish
