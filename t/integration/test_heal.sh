#!/usr/bin/env bash
# test_heal.sh - the FastCGI pool heals, and contrib/quickstart touches only
# what is its own (README: Deploying, The two commands).
#
# The stack's pool is spawn-fcgi -> multiwatch -> N x tasker-fcgi.  A
# process killed (SIGKILL) with a request in hand costs that request (502
# from nginx, in the API's error format) and no other.  Under a steady
# stream of requests a killed process is replaced (a new pid, N again) and
# the only request that may fail is the one it had in hand; three kills in
# a row, each after multiwatch's -t window, leave the pool whole; SIGTERM
# to every process at once (how a new config is read) renews the pool and
# no request fails.  Each kill is given 5 s to heal (multiwatch takes about
# one).  A pool of its own shows the limit the README documents: a slot
# whose process dies within -t of its start r+1 times in a row stays
# empty.  Then a second quickstart stack (its own
# run folder under the test stack's, ports PORT+10 and PORT+11): `up` fails
# before starting anything when its port is taken, and stops what it
# started when a later stage (nginx) fails; `down` and `up` leave alone the
# processes that stale pid files point at (a sleep, and the test stack's
# own multiwatch and mariadbd); `up` is idempotent, replaces a pool whose
# multiwatch was killed (stopping the processes it left), and `down` ends
# every process, the pool's through their own cleanup.
. "$(dirname "$0")/lib.sh"

AUTH=$(token 'tasker.handler:index')
hostport=${TASKER_URL#http://}
hostport=${hostport%%/*}
PORT=${hostport##*:}
QS=$TASKER_RUN/heal
QS_PORT=$((PORT + 10))
QS_PORT2=$((PORT + 11))
HELPERS=()   # pids of the processes this test starts, ended at exit
DB_STOPPED=""   # the test stack's mariadbd while this test holds it stopped

cleanup() {
	local p
	[ -z "$DB_STOPPED" ] || kill -CONT "$DB_STOPPED" 2>/dev/null
	touch "$T_TMP/stop"
	for p in ${HELPERS[@]+"${HELPERS[@]}"}; do kill -9 "$p" 2>/dev/null; done
	[ -d "$QS" ] && qs "$QS_PORT" down >/dev/null 2>&1
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# qs PORT ARGS: contrib/quickstart for the second stack, from the build
# under test (same flags: make has nothing to do).
qs() {
	local port=$1
	shift
	TASKER_RUN_DIR=$QS TASKER_PORT=$port TASKER_BUILD_DIR=$TASKER_BUILD \
	    TASKER_CONFIGURE_FLAGS="$(cat "$TASKER_BUILD/.flags" 2>/dev/null)" \
	    TASKER_FCGI_PROCS=2 TASKER_WORKERS=1 TASKER_RUN=$QS \
	    "$TASKER_QUICKSTART" "$@"
}

# The test stack's multiwatch, its -f (N) and -t (ms).
MW=$(cat "$TASKER_RUN/multiwatch.pid" 2>/dev/null || true)
mw_arg() {
	tr '\0' '\n' <"/proc/$MW/cmdline" 2>/dev/null |
	    awk -v o="$1" 'p { print; exit } $0 == o { p = 1 }'
}
N=$(mw_arg -f)
WINDOW_MS=$(mw_arg -t)

# wait_healed OLD: waits up to 5 s for the pool to have N processes, OLD
# not among them; prints the pid that is new.
wait_healed() {
	local pids
	for _ in $(seq 1 50); do
		pids=$(fcgi_pids)
		if [ "$(echo "$pids" | grep -c .)" = "$N" ] &&
		    ! echo "$pids" | grep -qx "$1"; then
			comm -13 <(echo "$PIDS_BEFORE" | sort) <(echo "$pids" | sort) | tail -1
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# stream FILE: GET /handlers, one at a time, until $T_TMP/stop exists (at
# most 5000); the status of each a line of FILE (000: no answer; a status
# followed by "!": the answer was cut short).
stream() {
	local code rc
	for _ in $(seq 1 5000); do
		[ -e "$T_TMP/stop" ] && break
		rc=0
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "@$T_TMP/auth-stream.h" \
		    --max-time "${TASKER_REQ_TIMEOUT:-20}" "$TASKER_URL/handlers") || rc=$?
		code=${code:-000}
		[ $rc -eq 0 ] || [ "$code" = 000 ] || code="$code!"
		echo "$code" >>"$1"
	done
}

# lines: how many answers the streams have so far.
lines() { cat "$T_TMP/stream.1" "$T_TMP/stream.2" 2>/dev/null | wc -l; }

case_begin "the pool: multiwatch (from spawn-fcgi) with N tasker-fcgi processes"
ok=0
[ -n "$MW" ] && [ "$(readlink "/proc/$MW/exe")" = "$(command -v multiwatch)" ] && ok=1
[ $ok -eq 1 ] || fail "multiwatch.pid ($MW) is not a running multiwatch"
[ "${N:-0}" -ge 2 ] || fail "multiwatch -f: '$N' (want 2 or more)"
[ -n "$WINDOW_MS" ] || fail "multiwatch has no -t"
PIDS_BEFORE=$(fcgi_pids)
expect_eq "$(echo "$PIDS_BEFORE" | grep -c .)" "$N" "tasker-fcgi processes"
for p in $PIDS_BEFORE; do
	grep -qx "$TASKER_BUILD/tasker-fcgi" <(tr '\0' '\n' <"/proc/$p/cmdline") ||
	    fail "child $p of multiwatch is not $TASKER_BUILD/tasker-fcgi"
done

case_begin "kill -9 of a process with a request in hand: that request gets nginx's 502 in the error format, the $((N - 1)) others 200"
# The test stack's MariaDB is paused (SIGSTOP) for a second or two, so
# that N requests to GET /tasks (a query each) wait in the processes that
# took them; a process with a request in hand has one more descriptor
# (the connection) than when idle.  One of those is killed, MariaDB goes
# on, and exactly one request may fail.
(umask 077; printf 'Authorization: Bearer %s\n' "$(token)" >"$T_TMP/auth-all.h")
db=$(cat "$TASKER_RUN/mariadb.pid")
declare -A idle_fds
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
for p in $PIDS_BEFORE; do idle_fds[$p]=$(nfds "$p"); done
kill -STOP "$db" && DB_STOPPED=$db
inhand=()
for i in $(seq 1 "$N"); do
	curl -s -o "$T_TMP/inhand.$i" -w '%{http_code}\n' -H "@$T_TMP/auth-all.h" \
	    --max-time "${TASKER_REQ_TIMEOUT:-20}" "$TASKER_URL/tasks?per_page=1" \
	    >"$T_TMP/inhand.$i.code" 2>/dev/null &
	inhand+=($!)
done
victim=""
for _ in $(seq 1 30); do
	for p in $PIDS_BEFORE; do
		[ "$(nfds "$p")" -gt "${idle_fds[$p]}" ] && { victim=$p; break 2; }
	done
	sleep 0.1
done
[ -n "$victim" ] || fail "no process took a request in 3 s"
[ -z "$victim" ] || kill -9 "$victim"
sleep 0.3
kill -CONT "$db"
DB_STOPPED=""
wait "${inhand[@]}"
codes=$(cat "$T_TMP"/inhand.*.code | sort | tr '\n' ' ')
expect_eq "$codes" "$(printf '200 %.0s' $(seq 2 "$N"))502 " "statuses of the $N requests"
for i in $(seq 1 "$N"); do
	[ "$(cat "$T_TMP/inhand.$i.code")" = 502 ] || continue
	BODY_FILE=$T_TMP/inhand.$i expect_jq '.error.code' '"SERVICE_UNAVAILABLE"'
done
new=$(wait_healed "$victim") || fail "pool not back to $N processes without $victim in 5 s"
PIDS_BEFORE=$(fcgi_pids)

# Kills happen under two streams of requests, so that the pool is busy and
# the killed process may have a request in hand.  MARKS[k] is how many
# answers each stream had once the pool was whole again after kill k
# (MARKS[0]: before the first).  The window of kill k, answers after
# MARKS[k-1] up to MARKS[k], may hold one failure: the request the killed
# process had in hand, which nginx answers 502.  A second one, a request
# without an answer (000), or any failure outside those windows means a
# request went to a dead process or the pool did not answer.
(umask 077; printf 'Authorization: Bearer %s\n' "$AUTH" >"$T_TMP/auth-stream.h")
rm -f "$T_TMP/stop"
for s in 1 2; do
	stream "$T_TMP/stream.$s" &
	HELPERS+=($!)
done
# mark: answers so far, per stream.
mark() { for s in 1 2; do wc -l <"$T_TMP/stream.$s" 2>/dev/null || echo 0; done | tr '\n' ' '; }
wait_answers() {   # at least $1 answers more than now
	local want=$(($(lines) + $1))
	for _ in $(seq 1 200); do
		[ "$(lines)" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_answers 40 || true
MARKS=("$(mark)")

case_begin "kill -9 of a tasker-fcgi under load: a new process within 5 s, N again, it answers; at most the one request in hand fails"
victim=$(echo "$PIDS_BEFORE" | head -1)
kill -9 "$victim"
new=$(wait_healed "$victim") || fail "pool not back to $N processes without $victim in 5 s: $(fcgi_pids | tr '\n' ' ')"
new1=$new
KILLS=1
wait_answers 40 || fail "the streams stalled after the kill"
MARKS+=("$(mark)")
grep -q "prog=tasker-fcgi pid=$new event=start" "$TASKER_RUN/fcgi.log" ||
    fail "the new process $new did not start (no event=start in fcgi.log)"

case_begin "two more kills of the newest process, each after multiwatch's -t window (${WINDOW_MS} ms): the pool stays whole"
for k in 2 3; do
	# Older than the window: multiwatch counts it a crash of a process
	# that was running, not a failed start (which it retries only -r times).
	sleep "$(awk -v ms="$WINDOW_MS" 'BEGIN { print ms / 1000 + 0.5 }')"
	PIDS_BEFORE=$(fcgi_pids)
	kill -9 "$new"
	victim=$new
	KILLS=$k
	new=$(wait_healed "$victim") ||
	    { fail "kill $k: pool not back to $N processes without $victim in 5 s: $(fcgi_pids | tr '\n' ' ')"; break; }
	wait_answers 20 || fail "kill $k: the streams stalled"
	MARKS+=("$(mark)")
done

case_begin "SIGTERM to every tasker-fcgi at once (to read a new config): N new processes, no request fails"
sleep "$(awk -v ms="$WINDOW_MS" 'BEGIN { print ms / 1000 + 0.5 }')"
old=$(fcgi_pids)
# shellcheck disable=SC2086
kill -TERM $old
renewed=0
for _ in $(seq 1 100); do
	now=$(fcgi_pids)
	if [ "$(echo "$now" | grep -c .)" = "$N" ] &&
	    [ -z "$(comm -12 <(echo "$old" | sort) <(echo "$now" | sort))" ]; then
		renewed=1
		break
	fi
	sleep 0.1
done
[ $renewed -eq 1 ] || fail "not $N new processes 10 s after SIGTERM: $(fcgi_pids | tr '\n' ' ') (old: $(echo "$old" | tr '\n' ' '))"
wait_answers 20 || fail "the streams stalled"
MARKS+=("$(mark)")
TERM_WINDOW=$((${#MARKS[@]} - 1))
for p in $old; do
	grep -q "prog=tasker-fcgi pid=$p event=stop" "$TASKER_RUN/fcgi.log" ||
	    fail "process $p did not leave through main (no event=stop)"
done

case_begin "no request failed but the one each killed process had in hand (nginx: 502), none lost (000) or cut short"
touch "$T_TMP/stop"
wait "${HELPERS[@]}" 2>/dev/null
HELPERS=()
MARKS+=("$(mark)")
# not200 FROM TO: the answers other than 200 after mark FROM up to mark TO.
not200() {
	local from to
	read -r -a from <<<"$1"
	read -r -a to <<<"$2"
	for s in 1 2; do
		sed -n "$((from[s-1] + 1)),${to[s-1]}p" "$T_TMP/stream.$s"
	done | grep -vx 200 | tr '\n' ' '
}
b=$(not200 "0 0" "${MARKS[0]}")
[ -z "$b" ] || fail "before any kill: $b"
for ((w = 1; w < ${#MARKS[@]}; w++)); do
	b=$(not200 "${MARKS[w-1]}" "${MARKS[w]}")
	n=$(echo "$b" | wc -w)
	if [ "$w" -gt "$KILLS" ]; then
		# The SIGTERM to every process, and the end: nothing may fail.
		if [ "$w" -eq "$TERM_WINDOW" ]; then
			[ "$n" -eq 0 ] || fail "SIGTERM to every process: $b"
		else
			[ "$n" -eq 0 ] || fail "at the end: $b"
		fi
		continue
	fi
	[ "$n" -le 1 ] || fail "kill $w: $n failed requests: $b"
	[ "$n" -eq 0 ] || [ "$b" = "502 " ] || fail "kill $w: $b (want at most one 502)"
done
total=$(lines)
[ "$total" -ge 100 ] || fail "only $total answers in all"
echo "#   $total answers; not 200: $(not200 "0 0" "${MARKS[-1]}")"
grep -q "prog=tasker-fcgi pid=$new1 event=request" "$TASKER_RUN/fcgi.log" ||
    fail "the first replacement ($new1) answered no request"

case_begin "the documented limit: a slot whose process dies within -t of its start r+1 times in a row stays empty; the other goes on"
# A pool of its own with the stack's -r and -t and two slots.  The first
# process of one slot is killed after living longer than -t (replaced,
# its count starts again), then each replacement as soon as it appears.
R=$(mw_arg -r)
lsock=$T_TMP/limit.sock
TASKER_CONFIG=$TASKER_CONF setsid spawn-fcgi -n -s "$lsock" -- \
    "$(command -v multiwatch)" -f 2 -r "$R" -t "$WINDOW_MS" -- \
    "$TASKER_BUILD/tasker-fcgi" -l "$T_TMP/limit.log" </dev/null >"$T_TMP/limit-mw.log" 2>&1 &
lmw=$!
HELPERS+=("$lmw")
kids=""
for _ in $(seq 1 50); do
	kids=$(pgrep -P "$lmw" || true)
	[ "$(echo "$kids" | grep -c .)" = 2 ] && break
	sleep 0.1
done
keep=$(echo "$kids" | head -1)
target=$(echo "$kids" | sed -n 2p)
sleep "$(awk -v ms="$WINDOW_MS" 'BEGIN { print ms / 1000 + 0.5 }')"
quick=-1   # the first death is not a quick one
while [ -n "$target" ]; do
	kill -9 "$target"
	quick=$((quick + 1))
	next=""
	for _ in $(seq 1 40); do
		next=$(pgrep -P "$lmw" | grep -vx -e "$keep" -e "$target" || true)
		[ -n "$next" ] && break
		sleep 0.05
	done
	target=$next
	[ "$quick" -le $((R + 2)) ] || break
done
expect_eq "$quick" "$((R + 1))" "quick deaths before the slot was left empty"
grep -q 'died to often, not forking again' "$T_TMP/limit-mw.log" ||
    fail "multiwatch did not say it gave up: $(tail -2 "$T_TMP/limit-mw.log")"
expect_eq "$(pgrep -P "$lmw" | tr '\n' ' ')" "$keep " "processes left in the pool"
out=$(REQUEST_METHOD=GET REQUEST_URI=/tasker/health/live SCRIPT_NAME=/tasker \
    cgi-fcgi -bind -connect "$lsock" 2>&1)
echo "$out" | grep -q '^Status: 200' || fail "the other slot did not answer: $(echo "$out" | head -2)"
kill -TERM "$lmw"
for _ in $(seq 1 100); do kill -0 "$keep" 2>/dev/null || break; sleep 0.1; done

# ---------------------------------------------------------------- quickstart

# A process of the second stack: one whose command line names its folder.
qs_procs() {
	local d
	for d in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -qF "$QS/" &&
		    echo "${d#/proc/} $(tr '\0' ' ' 2>/dev/null <"$d/cmdline" | head -c 80)"
	done
	return 0
}

# The second stack reuses the base run folder's Swagger UI download.
rm -rf "$QS"
mkdir -p "$QS"
[ -d "$(dirname "$TASKER_RUN")/cache" ] && ln -s "$(dirname "$TASKER_RUN")/cache" "$QS/cache"

case_begin "up on a taken port fails at once, names the port and who holds it, starts nothing"
if [ ! -f "$TASKER_BUILD/Makefile" ]; then
	fail "TASKER_BUILD ($TASKER_BUILD) is not a build folder; the quickstart cases need one"
	finish
	exit
fi
spawn-fcgi -a 127.0.0.1 -p "$QS_PORT" -P "$T_TMP/hold.pid" -- "$(command -v sleep)" 300 \
    >/dev/null 2>&1 || fail "could not take port $QS_PORT"
holder=$(cat "$T_TMP/hold.pid" 2>/dev/null)
HELPERS+=("$holder")
rc=0
qs "$QS_PORT" up >"$T_TMP/up1.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "up succeeded on a taken port"
grep -q "port $QS_PORT on 127.0.0.1 is in use by sleep (pid $holder)" "$T_TMP/up1.out" ||
    fail "no message naming the port and its holder: $(tail -2 "$T_TMP/up1.out")"
[ ! -e "$QS/mariadb" ] || fail "MariaDB was initialised"
left=$(qs_procs)
[ -z "$left" ] || fail "running from $QS: $left"
kill -0 "$holder" 2>/dev/null || fail "the holder of the port was killed"
kill "$holder"

case_begin "up whose nginx cannot bind (port bound, not listening) stops the MariaDB and pool it started"
# Bound but not listening: the port check (a connect) finds it free, nginx
# cannot bind it: a stage after MariaDB and the pool fails.
perl -e 'use Socket; socket(my $s, PF_INET, SOCK_STREAM, 0) or die;
    bind($s, sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or die "bind: $!";
    open(my $f, ">", $ARGV[1]); close $f; sleep 300' "$QS_PORT2" "$T_TMP/bound" &
binder=$!
HELPERS+=("$binder")
for _ in $(seq 1 50); do [ -e "$T_TMP/bound" ] && break; sleep 0.1; done
rc=0
qs "$QS_PORT2" up >"$T_TMP/up2.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "up succeeded with nginx unable to bind"
grep -q 'nginx failed to start' "$T_TMP/up2.out" || fail "no nginx failure: $(tail -2 "$T_TMP/up2.out")"
grep -q 'up failed: stopping what it started (mariadb pool)' "$T_TMP/up2.out" ||
    fail "no undo of mariadb and the pool: $(tail -3 "$T_TMP/up2.out")"
[ -d "$QS/mariadb/mysql" ] || fail "MariaDB was never started: not a later-stage failure"
left=$(qs_procs)
[ -z "$left" ] || fail "running from $QS: $left"
for f in mariadb multiwatch nginx worker; do
	[ ! -e "$QS/$f.pid" ] || fail "$f.pid left behind"
done

case_begin "down ignores and removes pid files of other processes: a sleep, the test stack's multiwatch and mariadbd"
sleep 300 &
sleeper=$!
HELPERS+=("$sleeper")
db_pid=$(cat "$TASKER_RUN/mariadb.pid")
kids_before=$(fcgi_pids | tr '\n' ' ')
echo "$sleeper" >"$QS/nginx.pid"
echo "$sleeper" >"$QS/worker.pid"
echo "$MW" >"$QS/multiwatch.pid"
echo "$db_pid" >"$QS/mariadb.pid"
rc=0
qs "$QS_PORT" down >"$T_TMP/down1.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "down failed: $(tail -2 "$T_TMP/down1.out")"
sleep 0.5
kill -0 "$sleeper" 2>/dev/null || fail "the sleep was killed"
kill -0 "$MW" 2>/dev/null || fail "the test stack's multiwatch was killed"
kill -0 "$db_pid" 2>/dev/null || fail "the test stack's mariadbd was killed"
expect_eq "$(fcgi_pids | tr '\n' ' ')" "$kids_before" "the test stack's tasker-fcgi pids"
for f in nginx worker multiwatch mariadb; do
	grep -q "$QS/$f.pid: pid [0-9]* is .*, not this run folder's .*: not signalled" "$T_TMP/down1.out" ||
	    fail "no message for $f.pid"
	[ ! -e "$QS/$f.pid" ] || fail "$f.pid not removed"
done
req GET /handlers
expect_status 200

case_begin "up over stale pid files starts the stack; up again changes nothing"
for f in nginx worker multiwatch mariadb; do echo "$sleeper" >"$QS/$f.pid"; done
kill "$binder" 2>/dev/null
rc=0
qs "$QS_PORT" up >"$T_TMP/up3.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "up failed: $(tail -3 "$T_TMP/up3.out")"
kill -0 "$sleeper" 2>/dev/null || fail "the sleep was killed"
AUTH=$(qs "$QS_PORT" token tasker.handler:index 2>/dev/null)
req GET "http://127.0.0.1:$QS_PORT/tasker/handlers"
expect_status 200
snap() {
	local f
	for f in mariadb multiwatch nginx worker; do printf '%s=%s ' "$f" "$(cat "$QS/$f.pid" 2>/dev/null | tr '\n' ',')"; done
	printf 'fcgi=%s' "$(TASKER_RUN=$QS "$TASKER_QUICKSTART" _fcgi_pids | tr '\n' ',')"
}
first=$(snap)
case $first in *"=,"*|*"= "*|*=) fail "a part is not running: $first" ;; esac
qs "$QS_PORT" status >"$T_TMP/status.out" 2>&1
grep -q '^fcgi     2 of 2 running under multiwatch' "$T_TMP/status.out" ||
    fail "status: $(tr '\n' ';' <"$T_TMP/status.out")"
rc=0
qs "$QS_PORT" up >"$T_TMP/up4.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "the second up failed: $(tail -3 "$T_TMP/up4.out")"
expect_eq "$(snap)" "$first" "processes after a second up"

case_begin "multiwatch killed: its processes go on answering; up stops them and starts a new pool"
mw2=$(cat "$QS/multiwatch.pid" 2>/dev/null)
orphans=$(TASKER_RUN=$QS "$TASKER_QUICKSTART" _fcgi_pids)
[ -n "$mw2" ] && [ -n "$orphans" ] || fail "no pool: multiwatch '$mw2', processes '$orphans'"
[ -z "$mw2" ] || kill -9 "$mw2"
sleep 0.5
for p in $orphans; do kill -0 "$p" 2>/dev/null || fail "process $p ended with its multiwatch"; done
rc=0
qs "$QS_PORT" up >"$T_TMP/up5.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "up failed: $(tail -3 "$T_TMP/up5.out")"
grep -q "tasker-fcgi of this run folder outside the stack" "$T_TMP/up5.out" ||
    fail "up did not say it stopped the old processes"
for p in $orphans; do
	st=$(awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
	[ -z "$st" ] || [ "$st" = Z ] || fail "old process $p still running"
	grep -q "prog=tasker-fcgi pid=$p event=stop" "$QS/fcgi.log" ||
	    fail "old process $p did not leave through main (no event=stop)"
done
now=$(TASKER_RUN=$QS "$TASKER_QUICKSTART" _fcgi_pids | tr '\n' ' ')
expect_eq "$(echo "$now" | wc -w)" 2 "processes of the new pool ($now)"
[ "$(cat "$QS/multiwatch.pid" 2>/dev/null)" != "$mw2" ] || fail "multiwatch.pid not renewed"
req GET "http://127.0.0.1:$QS_PORT/tasker/handlers"
expect_status 200

case_begin "down ends every process of the stack, the pool's children through their own cleanup"
kids=$(TASKER_RUN=$QS "$TASKER_QUICKSTART" _fcgi_pids)
all="$(cat "$QS"/{mariadb,multiwatch,nginx,worker}.pid 2>/dev/null) $kids"
rc=0
qs "$QS_PORT" down >"$T_TMP/down2.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "down failed: $(tail -2 "$T_TMP/down2.out")"
for p in $all; do
	st=$(awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
	[ -z "$st" ] || [ "$st" = Z ] || fail "process $p still running"
done
for p in $kids; do
	grep -q "prog=tasker-fcgi pid=$p event=stop" "$QS/fcgi.log" ||
	    fail "tasker-fcgi $p did not leave through main (no event=stop)"
done
left=$(qs_procs)
[ -z "$left" ] || fail "running from $QS: $left"
kill -0 "$sleeper" 2>/dev/null || fail "the sleep was killed"

finish
