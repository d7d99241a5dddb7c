# t/integration/lib.sh - a small test harness for integration tests that talk
# to the real stack (nginx -> spawn-fcgi, multiwatch, tasker-fcgi -> MariaDB).
#
# A test file sources this, then groups assertions into cases:
#
#   case_begin "GET /handlers lists the namespaces"
#   req GET /handlers
#   expect_status 200
#   expect_jq '.namespaces | length' 3
#   ...
#   finish            # prints "N passed, N failed" and sets the exit code
#
# A case passes when every assertion in it held.  Output is TAP-like:
# "ok 3 - name" or "not ok 3 - name" followed by "#"-prefixed reasons.
# The environment comes from contrib/quickstart test: TASKER_URL,
# TASKER_ADMIN, TASKER_CONF, TASKER_ROOT, TASKER_BUILD, TASKER_RUN,
# TASKER_DB_SOCKET; TASKER_REQ_TIMEOUT (default 20) bounds each request in
# seconds (the valgrind pass raises it).  Tokens are kept in variables and
# never printed.

set -u

: "${TASKER_URL:?run through contrib/quickstart test}"

T_PASSED=0
T_FAILED=0
T_N=0
T_CASE=""
T_CASE_FAILED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tasker-it.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

# Last response: STATUS, and the files $T_TMP/body and $T_TMP/headers.
STATUS=0
BODY_FILE=$T_TMP/body
HEADERS_FILE=$T_TMP/headers

case_end() {
	[ -n "$T_CASE" ] || return 0
	T_N=$((T_N + 1))
	if [ "$T_CASE_FAILED" -eq 0 ]; then
		T_PASSED=$((T_PASSED + 1))
		echo "ok $T_N - $T_CASE"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $T_CASE"
	fi
	T_CASE=""
	T_CASE_FAILED=0
}

case_begin() {
	case_end
	T_CASE=$1
	T_CASE_FAILED=0
}

# Records a failed assertion of the current case.
fail() {
	T_CASE_FAILED=1
	echo "#   $*"
}

finish() {
	case_end
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
}

# A token with the given permissions (all of them when none are given).
token() {
	local args=() p
	[ $# -eq 0 ] && set -- '*'
	for p in "$@"; do args+=(--permission "$p"); done
	$TASKER_ADMIN token --subject it-tests "${args[@]}"
}

# req METHOD PATH [curl args...]: PATH is below the mount point (/handlers)
# unless it starts with "http".  Sends $AUTH (a token) when set.
req() {
	local method=$1 path=$2 url
	shift 2
	case "$path" in
	http*) url=$path ;;
	*)     url=$TASKER_URL$path ;;
	esac
	# The token goes through a private file, not the command line, where
	# ps would show it.
	local auth=()
	if [ -n "${AUTH:-}" ]; then
		(umask 077; printf 'Authorization: Bearer %s\n' "$AUTH" >"$T_TMP/auth.h")
		auth=(-H "@$T_TMP/auth.h")
	fi
	local head=()
	[ "$method" = HEAD ] && head=(-I)
	: >"$BODY_FILE"    # curl leaves the file alone when there is no body
	: >"$HEADERS_FILE"
	STATUS=$(curl -sS -g -o "$BODY_FILE" -D "$HEADERS_FILE" \
	    -w '%{http_code}' -X "$method" "${head[@]}" "${auth[@]}" "$@" \
	    --max-time "${TASKER_REQ_TIMEOUT:-20}" "$url" 2>"$T_TMP/curl.err") || STATUS=000
}

body() { cat "$BODY_FILE"; }

# raw_head PATH: sends "HEAD PATH" over a plain socket (no client that
# might hide a body) and prints how many bytes followed the header block.
raw_head_body_bytes() {
	local hostport=${TASKER_URL#http://}
	hostport=${hostport%%/*}
	local prefix=/${TASKER_URL#http://*/}
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
	printf 'HEAD %s%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' \
	    "$prefix" "$1" "$hostport" "${AUTH:-}" >&3
	timeout 5 cat <&3 >"$T_TMP/raw"
	exec 3<&-
	# Bytes after the first empty line.
	awk 'BEGIN { RS = "\r\n\r\n" } NR > 1 { n += length($0) } END { print n + 0 }' "$T_TMP/raw"
}

# header NAME: the value of the last response's header (case-insensitive).
header() {
	tr -d '\r' <"$HEADERS_FILE" | awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" '
	    { split($0, kv, ": "); if (tolower(kv[1]) == n) { sub(/^[^:]*: /, ""); v = $0 } }
	    END { print v }'
}

expect_status() {
	if [ "$STATUS" != "$1" ]; then
		fail "status: expected $1, got $STATUS; body: $(head -c 400 "$BODY_FILE")"
	fi
}

# expect_jq FILTER EXPECTED: jq -c output of FILTER on the body equals EXPECTED.
expect_jq() {
	local got
	got=$(jq -c "$1" <"$BODY_FILE" 2>&1) || got="(jq failed: $got)"
	if [ "$got" != "$2" ]; then
		fail "jq '$1': expected $2, got $(echo "$got" | head -c 400)"
	fi
}

# expect_true FILTER: jq FILTER on the body yields true.
expect_true() {
	expect_jq "$1" true
}

expect_header() {
	local got
	got=$(header "$1")
	if [ "$got" != "$2" ]; then
		fail "header $1: expected '$2', got '$got'"
	fi
}

expect_header_present() {
	[ -n "$(header "$1")" ] || fail "header $1 is missing"
}

# expect_error STATUS TYPE CODE [MESSAGE]: the guide's error body.
expect_error() {
	expect_status "$1"
	expect_jq '.error.type' "\"$2\""
	expect_jq '.error.code' "\"$3\""
	if [ $# -ge 4 ]; then
		expect_jq '.error.message' "$(jq -cn --arg m "$4" '$m')"
	fi
	expect_jq '.error | keys - ["type","message","details","code"]' '[]'
	expect_header 'Content-Type' 'application/json; charset=utf-8'
}

# expect_eq GOT EXPECTED DESCRIPTION
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# wait_loaded NS NAME: until every tasker-fcgi process answers for a
# handler just loaded (each sees a load within api.registry_refresh_ms,
# one second): 8 answers of 200 in a row, or 5 s.  BODY_FILE and AUTH
# are req's.
wait_loaded() {
	local seen=0 _
	for _ in $(seq 1 50); do
		req GET "/handlers/$1/$2"
		if [ "$STATUS" = 200 ]; then seen=$((seen + 1)); else seen=0; fi
		[ "$seen" -ge 8 ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_task ID STATUS SECONDS: polls GET /tasks/ID until it has STATUS;
# the last response stays in BODY_FILE.
wait_task() {
	local end=$((SECONDS + $3)) st=""
	while :; do
		req GET "/tasks/$1"
		st=$(jq -r '.status // empty' "$BODY_FILE" 2>/dev/null)
		[ "$st" = "$2" ] && return 0
		if [ $SECONDS -ge "$end" ]; then
			fail "task $1 is '$st', not '$2', after $3 s"
			return 1
		fi
		sleep 0.2
	done
}

# fcgi_pids: the stack's tasker-fcgi processes now, one a line, sorted (the
# children of its multiwatch, which replaces one that dies).
fcgi_pids() {
	"$TASKER_QUICKSTART" _fcgi_pids
}

# sql STATEMENT: run SQL against the stack's database as root (the tests'
# own look behind the API; the service itself never has root).
sql() {
	mariadb --no-defaults -S "$TASKER_DB_SOCKET" -u root -N -B tasker -e "$1"
}

# ------------------------------------------------- workers of a test's own
# Tests that run tasker-workers of their own (test_engine, test_trust_*)
# stop the stack's workers (pids in $TASKER_RUN/worker.pid) first and
# start them again at the end, and give theirs a copy of the stack's
# configuration with a worker: section of their own.

stack_workers_stop() {
	local pid i
	for pid in $(cat "$TASKER_RUN/worker.pid" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $(cat "$TASKER_RUN/worker.pid" 2>/dev/null); do
		for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
}

stack_workers_start() {
	local i
	: > "$TASKER_RUN/worker.pid"
	for i in $(seq 1 "${TASKER_WORKERS:-1}"); do
		"$TASKER_BUILD/tasker-worker" -c "$TASKER_CONF" \
		    -l "$TASKER_RUN/worker.log" </dev/null \
		    >>"$TASKER_RUN/worker.log" 2>&1 &
		echo $! >> "$TASKER_RUN/worker.pid"
	done
}

# worker_conf OUT SETTING...: the stack's configuration into OUT, its
# worker: section replaced by the SETTINGs ("key: value" each) and a
# work_dir of the source tree (where the test handlers' scripts live).
worker_conf() {
	local out=$1
	shift
	WORKER_SETTINGS=$(printf '  %s\n' "$@" "work_dir: $TASKER_ROOT") \
	awk '
	/^worker:/ { skip = 1; print "worker:"; print ENVIRON["WORKER_SETTINGS"]
		next }
	skip && /^[^ #]/ { skip = 0 }
	!skip { print }' "$TASKER_CONF" > "$out"
}

# private_nginx DIR PORT HTTP_EXTRA LOCATIONS: a private nginx on
# 127.0.0.1:PORT in front of a test's own tasker-fcgi pools (remote_user
# mode, other keys), everything under DIR (pid DIR/nginx.pid, its output in
# DIR/spawn.log).  HTTP_EXTRA goes into http {}, LOCATIONS into server {}.
private_nginx() {
	local dir=$1 port=$2 user_line=""
	mkdir -p "$dir/tmp"
	[ "$(id -u)" -eq 0 ] && user_line="user root root;"
	cat >"$dir/nginx.conf" <<-NGINX
	$user_line
	worker_processes 1;
	pid $dir/nginx.pid;
	error_log $dir/nginx-error.log info;
	events { worker_connections 64; }
	http {
		access_log $dir/nginx-access.log;
		client_body_temp_path $dir/tmp/body;
		fastcgi_temp_path $dir/tmp/fastcgi;
		proxy_temp_path $dir/tmp/proxy;
		uwsgi_temp_path $dir/tmp/uwsgi;
		scgi_temp_path $dir/tmp/scgi;
		$3
		server {
			listen 127.0.0.1:$port;
			$4
		}
	}
	NGINX
	nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx-error.log" \
	    >>"$dir/spawn.log" 2>&1
}

# ------------------------------------------------- the browser tests
# test_swagger, test_console and test_apache drive Debian's chromium with
# playwright-core from the npm registry, pinned here and cached beside the
# run folder (no browser is downloaded).

PW_VERSION=1.65.1
PW_MODS=$(dirname "$TASKER_RUN")/cache/playwright-core-$PW_VERSION/node_modules

# browser_setup: a case of its own; installs playwright-core once.
browser_setup() {
	local prefix=${PW_MODS%/node_modules}
	case_begin "playwright-core $PW_VERSION is installed from the npm registry (cached)"
	if [ ! -f "$PW_MODS/playwright-core/package.json" ]; then
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm install \
		    --prefix "$prefix" --cache "$(dirname "$prefix")/npm" \
		    --no-audit --no-fund --ignore-scripts --loglevel=error \
		    "playwright-core@$PW_VERSION" >"$T_TMP/npm.log" 2>&1 ||
		    fail "npm install: $(tail -5 "$T_TMP/npm.log")"
	fi
	expect_eq "$(jq -r .version "$PW_MODS/playwright-core/package.json" 2>/dev/null)" \
	    "$PW_VERSION" "installed version"
	[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium (Debian package chromium)"
}

# browser_cases PREFIX OUTPUT: a browser script's "ok"/"not ok" lines
# become cases here ("PREFIX: name"), numbered with the rest, its "#"
# lines their reasons; a script that ended without its result line fails.
browser_cases() {
	local l
	while IFS= read -r l; do
		case "$l" in
		"ok "*)     case_begin "$1: ${l#ok * - }" ;;
		"not ok "*) case_begin "$1: ${l#not ok * - }"; fail "failed in Chromium" ;;
		"#"*)       [ -n "$T_CASE" ] && echo "$l" ;;
		esac
	done <<<"$2"
	echo "$2" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$' || {
		case_begin "$1: the session ended with a result line"
		fail "$(echo "$2" | tail -3)"
	}
}

# shots_dir NAME: a folder for screenshots beside this test's log when
# stdout is that log file (test-logs/PASS/NAME), else in the run folder.
shots_dir() {
	local log dir
	log=$(readlink "/proc/$$/fd/1" 2>/dev/null || true)
	case $log in
	*/test-logs/*.log) dir=$(dirname "$log")/$1 ;;
	*)                 dir=$TASKER_RUN/$1-screenshots ;;
	esac
	mkdir -p "$dir"
	echo "$dir"
}
