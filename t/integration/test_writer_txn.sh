#!/usr/bin/env bash
# test_writer_txn.sh - tasker-fcgi's writer connection is chained
# (include/tasker/db.h): autocommit off, so creating a task costs no START
# TRANSACTION round trip.  Seen from the server: the sessions that insert
# tasks send no START TRANSACTION and do COMMIT; after requests of every
# kind no idle tasker-fcgi holds a transaction (a migration's table locks
# are granted at once); and writer sessions the server killed while idle
# cost no request an error.
. "$(dirname "$0")/lib.sh"

AUTH=$(token)
TASK='{"namespace": "payments", "name": "validate_card", "version": "1.0.0",
    "context": {"card_number": "4111111111111111"}}'

restore_log() {
	sql "SET GLOBAL general_log = 0; TRUNCATE TABLE mysql.general_log" \
	    2>/dev/null || true
	rm -rf "$T_TMP"
}
trap restore_log EXIT

post_task() {
	req POST /tasks -H 'Content-Type: application/json' "$@" -d "$TASK"
}

# ---------------------------------------------------------------- round trips

case_begin "creating a task: no START TRANSACTION on the writer, one COMMIT"
sql "SET GLOBAL log_output = 'TABLE'; TRUNCATE TABLE mysql.general_log;
    SET GLOBAL general_log = 1"
N=0
for i in 1 2 3 4 5 6 7 8; do
	post_task -H "Idempotency-Key: writer-txn-$i-$$"
	[ "$STATUS" = 201 ] && N=$((N + 1))
done
post_task
[ "$STATUS" = 201 ] && N=$((N + 1))
sql "SET GLOBAL general_log = 0"
[ "$N" = 9 ] || fail "9 POST /tasks: $N answered 201"
# The sessions that inserted a task, and what else they sent meanwhile.
WRITERS="SELECT DISTINCT thread_id FROM mysql.general_log
    WHERE command_type = 'Execute' AND argument LIKE 'INSERT INTO tasks %'"
got=$(sql "SELECT COUNT(*) FROM ($WRITERS) w")
[ "${got:-0}" -ge 1 ] || fail "no session of the log inserted a task"
got=$(sql "SELECT COUNT(*) FROM mysql.general_log WHERE command_type = 'Execute'
    AND argument LIKE 'INSERT INTO tasks %'")
[ "$got" = 9 ] || fail "task inserts in the log: $got, not 9"
got=$(sql "SELECT COUNT(*) FROM mysql.general_log WHERE thread_id IN ($WRITERS)
    AND UPPER(CAST(argument AS CHAR)) LIKE '%START TRANSACTION%'")
[ "$got" = 0 ] || fail "the writers sent START TRANSACTION $got times"
got=$(sql "SELECT COUNT(*) FROM mysql.general_log WHERE thread_id IN ($WRITERS)
    AND command_type = 'Query' AND UPPER(CAST(argument AS CHAR)) = 'COMMIT'")
[ "${got:-0}" -ge 9 ] || fail "the writers committed $got times for 9 tasks"
sql "TRUNCATE TABLE mysql.general_log"

# ---------------------------------------------------------------- no idle locks

case_begin "after requests of every kind no idle tasker-fcgi holds a table"
post_task
ID=$(jq -r '.id // empty' "$BODY_FILE")
[ -n "$ID" ] || fail "POST /tasks: $STATUS"
for i in 1 2 3 4 5 6 7 8; do
	# Each process of the pool gets some: reads on the writer (the
	# probes, a write route's lookups), failures, writes.
	req GET /health/status
	req GET /metrics
	req GET /tasks
	req GET "/tasks/$ID"
	req POST /tasks -H 'Content-Type: application/json' \
	    -d '{"namespace": "payments", "name": "no_such", "version": "1.0.0"}'
	[ "$STATUS" = 404 ] || fail "POST of an unknown handler: $STATUS"
	req PATCH "/tasks/$ID" -H 'Content-Type: application/json' \
	    -d '{"reason": "writer-txn"}'
	req DELETE "/tasks/$ID"
done
TABLES=$(sql "SELECT GROUP_CONCAT(CONCAT('\`', table_name, '\` WRITE'))
    FROM information_schema.tables WHERE table_schema = DATABASE()
    AND table_type = 'BASE TABLE'")
# What a migration's ALTER needs: every table, exclusively.  Workers'
# own short transactions finish well within the 5 s.
if ! out=$(sql "SET SESSION lock_wait_timeout = 5; LOCK TABLES $TABLES;
    UNLOCK TABLES" 2>&1); then
	fail "LOCK TABLES of every table: $out"
fi

# ---------------------------------------------------------------- killed

case_begin "writer sessions killed while idle cost no request an error"
for id in $(sql "SELECT id FROM information_schema.processlist
    WHERE user <> 'root' AND db = DATABASE() AND command = 'Sleep'"); do
	sql "KILL CONNECTION $id" 2>/dev/null || true
done
for i in 1 2 3 4 5 6 7 8; do
	post_task
	[ "$STATUS" = 201 ] || fail "POST /tasks after the kill: $STATUS $(head -c 200 "$BODY_FILE")"
	ID=$(jq -r '.id // empty' "$BODY_FILE")
	req DELETE "/tasks/$ID"
	case $STATUS in 2*|409) ;; *) fail "DELETE after the kill: $STATUS" ;; esac
done

finish
