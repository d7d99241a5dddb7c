#!/usr/bin/env bash
# test_read_conn.sh - database.read: a private tasker-fcgi pool whose
# writer and read connection each go through a socat relay of its own to
# the stack's MariaDB, so that either can be cut.  The read-only routes
# (GET of tasks, steps, handlers) answer through the read connection
# while the writer is cut (and writes get 503); with the read relay
# killed (-9) every read still answers 200 through the writer and writes
# go on; when the relay is back, reads use it again.  The same stack
# without database.read (every other test) reads on a second connection
# to the same server (test_writer_txn.sh).
. "$(dirname "$0")/lib.sh"
. "$TASKER_ROOT/t/fixtures/tasks/it_lib.sh"

STACK_PORT=${TASKER_URL#http://*:}
STACK_PORT=${STACK_PORT%%/*}
PRIV_PORT=${TASKER_READ_PORT:-$((STACK_PORT + 1300))}
PRIV=$T_TMP/priv
PRIV_URL=http://127.0.0.1:$PRIV_PORT/tasker
AUTH=$(token tasker.task:create tasker.task:index tasker.task:show \
    tasker.workflow_step:index tasker.workflow_step:show \
    tasker.handler:index tasker.handler:show)

# relay_start NAME: socat from $PRIV/NAME.sock to the stack's socket, in
# a process group of its own (its pid) so that one kill takes the relay
# and the connections it carries; its log in $PRIV/NAME.log.
relay_start() {
	rm -f "$PRIV/$1.sock"
	setsid socat -d -d "UNIX-LISTEN:$PRIV/$1.sock,fork,mode=600" \
	    "UNIX-CONNECT:$TASKER_DB_SOCKET" 2>>"$PRIV/$1.log" &
	echo $! >"$PRIV/$1.pid"
	disown	# its kill -9 is no job's news
	for _ in $(seq 1 50); do [ -S "$PRIV/$1.sock" ] && return 0; sleep 0.1; done
	return 1
}

relay_kill() {
	[ -f "$PRIV/$1.pid" ] && kill -9 -- "-$(cat "$PRIV/$1.pid")" 2>/dev/null
	rm -f "$PRIV/$1.pid"
}

# Connections the relay NAME accepted so far.
relay_conns() {
	grep -c 'accepting connection' "$PRIV/$1.log" 2>/dev/null || true
}

priv_stop() {
	local pid
	if [ -f "$PRIV/nginx.pid" ]; then
		pid=$(cat "$PRIV/nginx.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	if [ -f "$PRIV/read.fcgi.pid" ]; then
		for pid in $(cat "$PRIV/read.fcgi.pid"); do kill "$pid" 2>/dev/null; done
	fi
	relay_kill writer
	relay_kill reader
}
trap 'priv_stop; rm -rf "$T_TMP"' EXIT

# The stack's configuration, its database through the writer relay and
# database.read through the reader relay.
priv_start() {
	mkdir -p "$PRIV/tmp"
	relay_start writer && relay_start reader || return 1
	awk -v w="$PRIV/writer.sock" -v r="$PRIV/reader.sock" '
	/^database:/ { db = 1; print; print "  read:"; print "    socket: " r; next }
	db && /^[^ #]/ { db = 0 }
	db && /^  socket:/ { print "  socket: " w; next }
	{ print }' "$TASKER_CONF" >"$PRIV/read.yaml"
	"$TASKER_BUILD/tasker-admin" -c "$PRIV/read.yaml" config check >/dev/null || return 1
	spawn-fcgi -s "$PRIV/read.sock" -M 0600 -F 1 -P "$PRIV/read.fcgi.pid" -- \
	    "$TASKER_BUILD/tasker-fcgi" -c "$PRIV/read.yaml" -l "$PRIV/fcgi.log" \
	    >>"$PRIV/spawn.log" 2>&1 || return 1
	private_nginx "$PRIV" "$PRIV_PORT" "" "
	location /tasker/ {
		include /etc/nginx/fastcgi_params;
		fastcgi_pass unix:$PRIV/read.sock;
	}"
}

# Every read-only route of a task and of discovery answers 200.
reads_answer() {
	req GET "$PRIV_URL/tasks/$ID"
	expect_status 200
	expect_jq .id "\"$ID\""
	req GET "$PRIV_URL/tasks?namespace=it_tasks&per_page=100"
	expect_status 200
	[ "$(jq --arg id "$ID" '[.tasks[] | select(.id == $id)] | length' "$BODY_FILE")" = 1 ] ||
	    fail "GET /tasks does not list $ID"
	req GET "$PRIV_URL/tasks/$ID/workflow_steps"
	expect_status 200
	req GET "$PRIV_URL/handlers/it_tasks"
	expect_status 200
	req HEAD "$PRIV_URL/handlers"
	expect_status 200
}

post() {
	req POST "$PRIV_URL/tasks" -H 'Content-Type: application/json' \
	    -d '{"name":"inert","namespace":"it_tasks","context":{}}'
}

case_begin "setup: the test handlers load"
tasks_setup || fail "setup"

case_begin "a private pool with database.read starts on port $PRIV_PORT"
mkdir -m 700 "$PRIV"
if priv_start; then
	for _ in $(seq 1 50); do
		req GET "$PRIV_URL/handlers"
		[ "$STATUS" = 200 ] && break
		sleep 0.1
	done
	expect_status 200
else
	fail "could not start: $(tail -5 "$PRIV/spawn.log" "$PRIV"/*.log 2>/dev/null)"
fi

case_begin "a task created through the writer reads at once through the read connection"
post
expect_status 201
ID=$(jq -r .id "$BODY_FILE")
reads_answer
[ "$(relay_conns reader)" -ge 1 ] || fail "the read relay carried no connection"

case_begin "writer cut: reads still answer (the read connection), a write is 503"
relay_kill writer
reads_answer
post
expect_status 503
expect_header_present Retry-After
relay_start writer || fail "the writer relay did not start again"
for _ in $(seq 1 50); do post; [ "$STATUS" = 201 ] && break; sleep 0.1; done
expect_status 201

case_begin "read relay killed (-9): every read answers 200 through the writer, writes go on"
relay_kill reader
reads_answer
post
expect_status 201
ID=$(jq -r .id "$BODY_FILE")
reads_answer
grep -q 'event=read_db_unavailable' "$PRIV/fcgi.log" ||
    fail "no event=read_db_unavailable in the pool's log"

case_begin "read relay back: reads use it again (within its 5 s rest)"
before=$(relay_conns reader)
relay_start reader || fail "the read relay did not start again"
for _ in $(seq 1 150); do
	req GET "$PRIV_URL/tasks/$ID"
	[ "$(relay_conns reader)" -gt "$before" ] && break
	sleep 0.1
done
[ "$(relay_conns reader)" -gt "$before" ] || fail "no read went through the relay again"
relay_kill writer
reads_answer
relay_start writer || fail "the writer relay did not start again"

finish
