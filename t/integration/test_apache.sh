#!/usr/bin/env bash
# test_apache.sh - tasker served by a private Apache through mod_fcgid,
# with contrib/apache/tasker.conf and htaccess.example as shipped (only
# their paths changed), against the stack's MariaDB.
#
# Four IP-based virtual hosts on TASKER_APACHE_PORT (default 8090):
#   127.0.0.1  auth.mode jwt (tasker.conf as is), and a user's web space
#              /~alice with htaccess.example
#   127.0.0.2  auth.mode remote_user (tasker.conf's Basic auth example),
#              and the console on it in Chromium (console_remote_user.cjs)
#   127.0.0.3  auth.mode none, with short mod_fcgid limits to watch the
#              process life cycle
#   127.0.0.4  jwt without CGIPassAuth (what happens when it is missing)
# Run as root, Apache's children and so tasker-fcgi run as www-data; they
# get copies of the program, configs and secrets in a folder of their own.
# Apache is stopped on exit, whatever happens (KEEP=1 keeps its folder,
# with the logs, for a look).
. "$(dirname "$0")/lib.sh"

GUIDE=$TASKER_ROOT/t/fixtures/guide
APACHE_CONF=$TASKER_ROOT/contrib/apache
APORT=${TASKER_APACHE_PORT:-8090}
MODS=/usr/lib/apache2/modules
A=$(mktemp -d "${TMPDIR:-/tmp}/tasker-apache.XXXXXX")
chmod 755 "$A"

if [ "$(id -u)" -eq 0 ]; then
	AUSER=www-data
	as_auser() { runuser -u "$AUSER" -- "$@"; }
else
	AUSER=$(id -un)
	as_auser() { "$@"; }
fi

apache_stop() {
	local pid p
	[ -f "$A/run/httpd.pid" ] || return 0
	pid=$(cat "$A/run/httpd.pid")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	rm -f "$A/run/httpd.pid"
	# mod_fcgid stops its processes with Apache; make sure no copy of
	# tasker-fcgi from this test outlives it.
	for p in $(fcgi_pids); do kill -KILL "$p" 2>/dev/null; done
}
trap 'apache_stop; [ -n "${KEEP:-}" ] || rm -rf "$T_TMP" "$A"' EXIT

# The pids of running tasker-fcgi copies under $A.
fcgi_pids() {
	local d exe
	for d in /proc/[0-9]*; do
		exe=$(readlink "$d/exe" 2>/dev/null) || continue
		case "$exe" in "$A"/*/tasker-fcgi|"$A"/*/bin/tasker-fcgi) echo "${d#/proc/}" ;; esac
	done
}

# ------------------------------------------------------------ the setup

# cfg SOURCE_YAML AUTH_YAML PREFIX: a config from the stack's, with the
# auth section (unless AUTH_YAML is "-"), the api section and the secrets
# replaced by the copies under $A.
cfg() {
	local drop_auth=1
	[ "$2" = - ] && drop_auth=0
	awk -v da=$drop_auth '/^[A-Za-z_]+:/ { k = $0; sub(/:.*/, "", k);
	    skip = ((k == "auth" && da) || k == "api") } !skip' "$1" |
	    sed -e "s|$TASKER_RUN/secrets/|$A/secrets/|g" \
	        -e "s|^  socket: .*|  socket: $DB_SOCK|"
	[ "$2" = - ] || printf '%s\n' "$2"
	printf 'api:\n  mount_prefix: %s\n' "$3"
}

# site NAME: contrib/apache/tasker.conf with the paths of instance NAME
# (and the OpenAPI document's, which an installed tasker finds by itself).
site() {
	sed -e "s|/usr/local/bin/tasker-fcgi|$A/$1/tasker-fcgi|g" \
	    -e "s|/usr/local/etc/tasker.yaml|$A/$1/tasker.yaml|g" \
	    -e "s|/usr/local/etc/tasker/htpasswd|$A/htpasswd|g" \
	    -e "s|/usr/local/share/tasker/console|$A/console|g" \
	    "$APACHE_CONF/tasker.conf" |
	    awk -v doc="$OPENAPI" '{ print }
	        /^FcgidCmdOptions / && doc != "" { printf "\tInitialEnv TASKER_OPENAPI=%s \\\n", doc }'
}

setup() {
	local m
	mkdir -p "$A"/{conf,logs,run,ipc,secrets,jwt,ru,none,alice,nopass} \
	    "$A/home/alice/public_html/tasker"
	cp "$TASKER_RUN/secrets/db.password" "$TASKER_RUN/secrets/jwt.secret" "$A/secrets/"
	mkdir -p "$A/console"
	cp "$TASKER_ROOT"/contrib/console/*.{html,css,svg,js} "$A/console/"
	chmod -R a+rX "$A/console"
	OPENAPI=""
	for m in "${TASKER_OPENAPI:-}" "$TASKER_ROOT/contrib/openapi/openapi.json"; do
		if [ -n "$m" ] && [ -f "$m" ]; then
			cp "$m" "$A/openapi.json"
			OPENAPI=$A/openapi.json
			break
		fi
	done

	# The database socket must be reachable by $AUSER; a run folder under
	# a private home is not: then a hard link in $A (same inode) is.
	DB_SOCK=$TASKER_DB_SOCKET
	if ! as_auser test -w "$DB_SOCK"; then
		ln "$TASKER_DB_SOCKET" "$A/mysqld.sock" 2>/dev/null &&
		    DB_SOCK=$A/mysqld.sock
		as_auser test -w "$DB_SOCK" || {
			echo "# $AUSER cannot reach $TASKER_DB_SOCKET; put TASKER_RUN_DIR in a world-searchable folder"
			return 1
		}
	fi

	for m in jwt ru none alice nopass; do
		cp "$TASKER_BUILD/tasker-fcgi" "$A/$m/tasker-fcgi"
	done
	cfg "$TASKER_CONF" - /tasker >"$A/jwt/tasker.yaml"
	cfg "$TASKER_CONF" "auth:
  mode: remote_user
  remote_user:
    users:
      alice: [tasker.handler:index, tasker.handler:show]
      bob: [tasker.task:index]
      erin: [\"*\"]" /tasker >"$A/ru/tasker.yaml"
	cfg "$TASKER_CONF" "auth:
  mode: none" /tasker >"$A/none/tasker.yaml"
	cfg "$TASKER_CONF" - /~alice/tasker >"$A/alice/tasker.yaml"
	cfg "$TASKER_CONF" - /tasker >"$A/nopass/tasker.yaml"

	printf 'alice-secret\n' | htpasswd -i -B -c "$A/htpasswd" alice 2>/dev/null
	printf 'bob-secret\n' | htpasswd -i -B "$A/htpasswd" bob 2>/dev/null
	printf 'dave-secret\n' | htpasswd -i -B "$A/htpasswd" dave 2>/dev/null
	printf 'erin-secret\n' | htpasswd -i -B "$A/htpasswd" erin 2>/dev/null

	# The shared-hosting layout of htaccess.example, with its paths.
	sed -e "s|/home/alice/tasker|$A/alice|g" "$APACHE_CONF/htaccess.example" \
	    >"$A/home/alice/public_html/tasker/.htaccess"
	sed -e "s|/home/alice/tasker|$A/alice|g" "$APACHE_CONF/tasker.fcgi.example" |
	    awk -v doc="$OPENAPI" '/^exec / && doc != "" {
	        printf "TASKER_OPENAPI=%s\nexport TASKER_OPENAPI\n", doc } { print }' \
	    >"$A/home/alice/public_html/tasker/tasker.fcgi"
	chmod 755 "$A/home/alice/public_html/tasker/tasker.fcgi"
	# alice's files where `make install --prefix=~/tasker` puts them.
	mkdir -p "$A/alice/bin" "$A/alice/etc"
	mv "$A/alice/tasker-fcgi" "$A/alice/bin/tasker-fcgi"
	mv "$A/alice/tasker.yaml" "$A/alice/etc/tasker.yaml"

	site jwt >"$A/conf/jwt.conf"
	# remote_user: tasker.conf's Basic example enabled instead of the
	# two jwt lines.
	site ru | sed -e '/^\s*CGIPassAuth On/d' -e '/^\s*Require all granted/d' \
	    -e 's/^\(\s*\)#\(Auth[A-Za-z]* \|Require valid-user\)/\1\2/' >"$A/conf/ru.conf"
	# nopass: jwt without CGIPassAuth, to show what it is for.
	site nopass | sed -e '/^\s*CGIPassAuth On/d' >"$A/conf/nopass.conf"
	# none: short limits, to see processes replaced and stopped.
	site none | sed -e 's/MaxRequestsPerProcess 10000/MaxRequestsPerProcess 4/' \
	    -e 's/MinProcesses 1/MinProcesses 0/' -e 's/IdleTimeout 300/IdleTimeout 3/' \
	    >"$A/conf/none.conf"

	local user=""
	[ "$(id -u)" -eq 0 ] && user="User $AUSER
Group $AUSER"
	cat >"$A/conf/httpd.conf" <<-CONF
	ServerRoot "$A"
	ServerName 127.0.0.1
	Listen 127.0.0.1:$APORT
	Listen 127.0.0.2:$APORT
	Listen 127.0.0.3:$APORT
	Listen 127.0.0.4:$APORT
	PidFile "$A/run/httpd.pid"
	DefaultRuntimeDir "$A/run"
	Mutex file:$A/run default
	ErrorLog "$A/logs/error.log"
	LogLevel warn fcgid:info
	LogFormat "%h %l %u %t \"%r\" %>s %O" common
	CustomLog "$A/logs/access.log" common
	$user
	LoadModule mpm_event_module $MODS/mod_mpm_event.so
	LoadModule authz_core_module $MODS/mod_authz_core.so
	LoadModule authn_core_module $MODS/mod_authn_core.so
	LoadModule authn_file_module $MODS/mod_authn_file.so
	LoadModule auth_basic_module $MODS/mod_auth_basic.so
	LoadModule authz_user_module $MODS/mod_authz_user.so
	LoadModule alias_module $MODS/mod_alias.so
	LoadModule mime_module $MODS/mod_mime.so
	LoadModule headers_module $MODS/mod_headers.so
	LoadModule rewrite_module $MODS/mod_rewrite.so
	LoadModule fcgid_module $MODS/mod_fcgid.so
	TypesConfig /etc/mime.types
	StartServers 1
	ServerLimit 2
	ThreadsPerChild 16
	MaxRequestWorkers 32
	MinSpareThreads 2
	MaxSpareThreads 32
	FcgidIPCDir "$A/ipc"
	FcgidProcessTableFile "$A/run/fcgid_shm"
	FcgidIdleScanInterval 1
	FcgidErrorScanInterval 1
	FcgidZombieScanInterval 1
	FcgidSpawnScoreUpLimit 100
	<Directory />
		AllowOverride None
		Require all denied
	</Directory>
	<VirtualHost 127.0.0.1:$APORT>
		ServerName jwt.tasker.test
		Include "$A/conf/jwt.conf"
		# A user's web space, as on a shared host.
		Alias /~alice "$A/home/alice/public_html"
		<Directory "$A/home/alice/public_html">
			Options SymLinksIfOwnerMatch
			AllowOverride FileInfo AuthConfig Options=ExecCGI
			Require all granted
		</Directory>
	</VirtualHost>
	<VirtualHost 127.0.0.2:$APORT>
		ServerName ru.tasker.test
		Include "$A/conf/ru.conf"
	</VirtualHost>
	<VirtualHost 127.0.0.3:$APORT>
		ServerName none.tasker.test
		Include "$A/conf/none.conf"
	</VirtualHost>
	<VirtualHost 127.0.0.4:$APORT>
		ServerName nopass.tasker.test
		Include "$A/conf/nopass.conf"
	</VirtualHost>
	CONF

	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$AUSER:$AUSER" "$A/secrets" "$A/ipc" "$A/jwt" "$A/ru" \
		    "$A/none" "$A/alice" "$A/nopass" "$A/home" "$A/htpasswd"
	fi
	chmod 700 "$A/secrets"
	chmod 600 "$A/secrets/"* "$A"/{jwt,ru,none,nopass}/tasker.yaml \
	    "$A/alice/etc/tasker.yaml"
	return 0
}

apache_start() {
	apache2 -f "$A/conf/httpd.conf" -t >"$A/logs/configtest.log" 2>&1 ||
	    { sed 's/^/# /' "$A/logs/configtest.log"; return 1; }
	apache2 -f "$A/conf/httpd.conf" -k start >>"$A/logs/start.log" 2>&1 ||
	    { sed 's/^/# /' "$A/logs/start.log"; return 1; }
	# Ready when the port takes a connection (no request: nothing to log).
	for _ in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$APORT") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

ELOG=$A/logs/error.log

# The tasker log line of request id $1 in Apache's error log (mod_fcgid
# copies the programs' stderr there); waits a little.
log_line() {
	for _ in $(seq 1 30); do
		grep -h "event=request request_id=$1 " "$ELOG" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

case_begin "a private Apache with mod_fcgid and contrib/apache/tasker.conf starts on port $APORT"
if setup && apache_start; then
	:
else
	fail "Apache did not start: $(tail -5 "$ELOG" 2>/dev/null)"
	finish
	exit 1
fi

# ------------------------------------------------ jwt: the guide's requests

# lib.sh's req and raw_head_body_bytes now talk to Apache.
# shellcheck disable=SC2034
TASKER_URL=http://127.0.0.1:$APORT/tasker
AUTH=$(token tasker.handler:index tasker.handler:show)

case_begin "Apache: GET /handlers lists the guide's namespaces exactly"
req GET /handlers
expect_status 200
expect_header 'Content-Type' 'application/json; charset=utf-8'
expect_jq ". == $(jq -c . "$GUIDE/namespaces.json")" true

case_begin "Apache: process_payment 2.1.0 matches the guide"
req GET '/handlers/payments/process_payment?version=2.1.0'
expect_status 200
expect_jq 'del(.step_templates[].depends_on_steps) | del(.dependency_graph.execution_levels)' \
    "$(jq -c . "$GUIDE/process_payment_2.1.0.json")"

case_begin "Apache: the console's files are served at /tasker/console/ with the CSP, the API beside them"
AUTH= req GET /console/
expect_status 200
expect_header Content-Type 'text/html'
grep -q 'src="app.js"' "$BODY_FILE" || fail "not the console's index.html"
case $(header Content-Security-Policy) in
"default-src 'self';"*) ;;
*) fail "Content-Security-Policy: $(header Content-Security-Policy)" ;;
esac
AUTH= req GET /console/app.js
expect_status 200
AUTH= req GET /console/nothing.js
expect_status 404
req GET /handlers
expect_status 200

case_begin "Apache: 404s in the API's format"
req GET /handlers/unknown_namespace
expect_error 404 NamespaceNotFound NAMESPACE_NOT_FOUND "Namespace 'unknown_namespace' does not exist"
req GET '/handlers/payments/process_payment?version=9.9.9'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND "Handler 'process_payment' not found in namespace 'payments' version '9.9.9'"
req GET /nothing/here
expect_status 404
expect_jq '.error.code' '"NOT_FOUND"'

case_begin "Apache: a wrong method is 405 with Allow"
req POST /handlers -H 'Content-Type: application/json' -d '{}'
expect_status 405
expect_header Allow 'GET, HEAD'
expect_jq '.error.code' '"METHOD_NOT_ALLOWED"'
req DELETE /handlers/payments/process_payment
expect_status 405
expect_header Allow 'GET, HEAD'

case_begin "Apache: HEAD answers like GET without a body"
req GET /handlers/payments
get_etag=$(header ETag)
get_len=$(header Content-Length)
req HEAD /handlers/payments
expect_status 200
expect_header ETag "$get_etag"
expect_header Content-Length "$get_len"
expect_eq "$(raw_head_body_bytes /handlers/payments)" 0 "bytes after the HEAD response head"

case_begin "Apache: ETag and If-None-Match give 304"
req GET /handlers/payments/process_payment
etag=$(header ETag)
[ -n "$etag" ] || fail "no ETag"
req GET /handlers/payments/process_payment -H "If-None-Match: $etag"
expect_status 304
[ ! -s "$BODY_FILE" ] || fail "304 with a body"
req GET /handlers/payments/process_payment -H 'If-None-Match: "other"'
expect_status 200

case_begin "Apache passes Authorization through: 200 with a token, 401 without or with a bad one"
req GET /handlers -H "X-Request-Id: it-apache-jwt-$$"
expect_status 200
line=$(log_line "it-apache-jwt-$$") || fail "no request line in Apache's error log"
[[ "$line" == *" principal=it-tests"* ]] || fail "request line: $line"
saved=$AUTH
AUTH=
req GET /handlers
expect_error 401 AuthenticationError AUTHENTICATION_FAILED "Invalid or expired authentication token"
expect_header WWW-Authenticate 'Bearer realm="tasker"'
AUTH=${saved%?}A
[ "$AUTH" != "$saved" ] || AUTH=${saved%?}B
req GET /handlers
expect_status 401
expect_header WWW-Authenticate 'Bearer realm="tasker", error="invalid_token"'
AUTH=$(token tasker.handler:show)
req GET /handlers
expect_error 403 AuthorizationError AUTHORIZATION_FAILED "Insufficient permissions for tasker.handler:index"
AUTH=$saved

case_begin "without CGIPassAuth Apache keeps Authorization from tasker: 401 even with a good token"
req GET "http://127.0.0.4:$APORT/tasker/handlers"
expect_error 401 AuthenticationError AUTHENTICATION_FAILED
expect_header WWW-Authenticate 'Bearer realm="tasker"'

# ------------------------------------------------ the user's web space

case_begin "htaccess.example: tasker in a user's web space (/~alice/tasker)"
req GET "http://127.0.0.1:$APORT/~alice/tasker/handlers"
expect_status 200
expect_jq ". == $(jq -c . "$GUIDE/namespaces.json")" true
req GET "http://127.0.0.1:$APORT/~alice/tasker/handlers/payments/process_payment?version=2.1.0"
expect_status 200
expect_jq '.version' '"2.1.0"'
saved=$AUTH
AUTH=
req GET "http://127.0.0.1:$APORT/~alice/tasker/handlers"
expect_error 401 AuthenticationError AUTHENTICATION_FAILED
AUTH=$saved
req GET "http://127.0.0.1:$APORT/~alice/tasker/nothing"
expect_error 404 NotFound NOT_FOUND
# The wrapper and the .htaccess are never served as files: every path
# goes to tasker, which knows no such route.
for f in .htaccess tasker.fcgi; do
	req GET "http://127.0.0.1:$APORT/~alice/tasker/$f"
	case "$STATUS" in 400|404) ;; *) fail "$f answered $STATUS" ;; esac
	expect_jq '.error.type | type' '"string"'
done

# ------------------------------------------------ remote_user

RU=http://127.0.0.2:$APORT/tasker

case_begin "remote_user: a user with the grant gets 200, and is the principal"
AUTH=
req GET "$RU/handlers" -u alice:alice-secret -H "X-Request-Id: it-apache-ru-$$"
expect_status 200
expect_jq ". == $(jq -c . "$GUIDE/namespaces.json")" true
req GET "$RU/handlers/payments/process_payment" -u alice:alice-secret
expect_status 200
line=$(log_line "it-apache-ru-$$") || fail "no request line"
[[ "$line" == *" status=200 "* && "$line" == *" principal=alice" ]] || fail "request line: $line"

case_begin "remote_user: a user without the permission, or not in the map, gets 403"
req GET "$RU/handlers" -u bob:bob-secret
expect_error 403 AuthorizationError AUTHORIZATION_FAILED "Insufficient permissions for tasker.handler:index"
req GET "$RU/handlers/payments/process_payment" -u dave:dave-secret
expect_error 403 AuthorizationError AUTHORIZATION_FAILED "Insufficient permissions for tasker.handler:show"

case_begin "remote_user: a bad password, or none, or a bearer token gets Apache's 401"
for a in "-u alice:wrong" "-u carol:alice-secret" ""; do
	# shellcheck disable=SC2086
	req GET "$RU/handlers" $a
	expect_status 401
	expect_header WWW-Authenticate 'Basic realm="tasker"'
	jq -e . "$BODY_FILE" >/dev/null 2>&1 && fail "a JSON body: Apache's 401 expected"
done
AUTH=$(token)
req GET "$RU/handlers"
expect_status 401
expect_header WWW-Authenticate 'Basic realm="tasker"'
AUTH=

# ------------------------------------------------ remote_user: the console

# t/browser/console_remote_user.cjs in Chromium on this site, with the
# users' passwords as the browser's saved credentials: erin ("*"), alice
# (handlers only), bob (tasker.task:index only; taken out of the password
# file for a while), and no credentials at all.
case_begin "remote_user: a task for the console to show (created as erin, finished)"
req POST "$RU/tasks" -u erin:erin-secret -H 'Content-Type: application/json' \
    -d '{"name":"process_payment","namespace":"payments","context":{"payment_id":4243}}'
expect_status 201
RU_TASK=$(jq -r '.id // empty' "$BODY_FILE")
for _ in $(seq 1 150); do
	req GET "$RU/tasks/$RU_TASK" -u erin:erin-secret
	[ "$(jq -r .status "$BODY_FILE")" = complete ] && break
	sleep 0.2
done
expect_jq .status '"complete"'
browser_setup
out=$(TASKER_URL=$RU TASKER_RU_FULL=erin:erin-secret TASKER_RU_HANDLERS=alice:alice-secret \
    TASKER_RU_TASKS=bob:bob-secret TASKER_HTPASSWD=$A/htpasswd TASK_ID=$RU_TASK \
    TASKER_CONSOLE_DIR=$TASKER_ROOT/contrib/console TASKER_NODE_MODULES=$PW_MODS \
    TASKER_SHOTS=$(shots_dir console) \
    timeout 180 node "$TASKER_ROOT/t/browser/console_remote_user.cjs" 2>&1)
browser_cases browser "$out"
case_begin "remote_user: a screenshot of each console view is saved"
for v in handler tasks task 403 401 401-start; do
	[ -s "$(shots_dir console)/console-ru-$v.png" ] || fail "no console-ru-$v.png"
done

# ------------------------------------------------ none, and the life cycle

NONE=http://127.0.0.3:$APORT/tasker

case_begin "auth.mode none answers without a token and warns in the log at start"
req GET "$NONE/handlers" -H "X-Request-Id: it-apache-none-$$"
expect_status 200
expect_jq ". == $(jq -c . "$GUIDE/namespaces.json")" true
line=$(log_line "it-apache-none-$$") || fail "no request line"
[[ "$line" == *" principal=anonymous" ]] || fail "request line: $line"
pid=$(sed -n 's/.* pid=\([0-9]*\) .*/\1/p' <<<"$line")
grep -q "level=warn prog=tasker-fcgi pid=$pid event=auth_disabled " "$ELOG" ||
    fail "no auth_disabled warning from process $pid"

# none.conf: MaxRequestsPerProcess 4, MinProcesses 0, IdleTimeout 3.
case_begin "mod_fcgid replaces a process after MaxRequestsPerProcess; every request is answered"
: >"$T_TMP/ids"
for i in $(seq 1 14); do
	req GET "$NONE/handlers/payments" -H "X-Request-Id: it-apache-cycle-$$-$i"
	expect_status 200
	echo "it-apache-cycle-$$-$i" >>"$T_TMP/ids"
done
pids=""
while read -r id; do
	line=$(log_line "$id") || { fail "no request line for $id"; continue; }
	pids="$pids $(sed -n 's/.* pid=\([0-9]*\) .*/\1/p' <<<"$line")"
done <"$T_TMP/ids"
n=$(tr ' ' '\n' <<<"$pids" | sed '/^$/d' | sort -u | wc -l)
most=$(tr ' ' '\n' <<<"$pids" | sed '/^$/d' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
[ "$n" -ge 4 ] || fail "14 requests served by $n processes (limit 4 each)"
[ "${most:-99}" -le 4 ] || fail "a process served $most requests (limit 4)"
# Retired processes exit by themselves on mod_fcgid's SIGTERM (mod_fcgid
# calls a retirement for the request count "lifetime expired").
for p in $(tr ' ' '\n' <<<"$pids" | sed '/^$/d' | sort | uniq -c | awk '$1 == 4 { print $2 }'); do
	ok=0
	for _ in $(seq 1 50); do
		grep -qF "/none/tasker-fcgi($p) exit(lifetime expired), terminated by calling exit(), return code: 0" "$ELOG" &&
		    { ok=1; break; }
		sleep 0.1
	done
	[ $ok -eq 1 ] || fail "process $p: $(grep -F "tasker-fcgi($p) exit" "$ELOG" || echo 'no clean exit logged')"
done

case_begin "an idle tasker-fcgi exits on mod_fcgid's SIGTERM (IdleTimeout 3 s) by itself, code 0"
# A process that will not be retired for its request count meanwhile.
pid=""
for i in 1 2 3; do
	req GET "$NONE/handlers" -H "X-Request-Id: it-apache-idle-$$-$i"
	line=$(log_line "it-apache-idle-$$-$i") || { fail "no request line"; break; }
	p=$(sed -n 's/.* pid=\([0-9]*\) .*/\1/p' <<<"$line")
	if [ "$(grep -c "prog=tasker-fcgi pid=$p event=request " "$ELOG")" -lt 4 ]; then
		pid=$p
		break
	fi
done
[ -n "$pid" ] || fail "no process with fewer than 4 requests"
exited=""
for _ in $(seq 1 150); do
	exited=$(grep -F "/none/tasker-fcgi($pid) exit(" "$ELOG") && break
	sleep 0.1
done
[[ "$exited" == *"exit(idle timeout), terminated by calling exit(), return code: 0"* ]] ||
    fail "process $pid: ${exited:-still running 15 s after its last request}"
kill -0 "$pid" 2>/dev/null && fail "process $pid still runs"
grep -q 'SIGKILL' "$ELOG" && fail "mod_fcgid had to SIGKILL: $(grep SIGKILL "$ELOG" | head -2)"
# ... and the next request starts a new one.
req GET "$NONE/handlers"
expect_status 200

# ------------------------------------------------ the end

case_begin "no token in Apache's logs; no 5xx; Apache stops and takes every tasker-fcgi with it"
AUTH=$(token tasker.handler:index)
req GET /handlers
expect_status 200
for t in "$AUTH" "$saved"; do
	grep -qF -- "${t##*.}" "$A/logs/error.log" "$A/logs/access.log" &&
	    fail "a token signature appears in Apache's logs"
done
grep -q '" 5[0-9][0-9] ' "$A/logs/access.log" &&
    fail "5xx answers: $(grep '" 5[0-9][0-9] ' "$A/logs/access.log" | head -3)"
grep -q 'level=error' "$ELOG" && fail "tasker errors: $(grep 'level=error' "$ELOG" | head -3)"
grep -q -E 'Sanitizer|runtime error:' "$ELOG" &&
    fail "sanitizer reports: $(grep -m3 -E 'Sanitizer|runtime error:' "$ELOG")"
before=$(fcgi_pids | wc -l)
[ "$before" -ge 1 ] || fail "no tasker-fcgi running before the stop"
pid=$(cat "$A/run/httpd.pid")
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "Apache still runs 10 s after SIGTERM"
sleep 0.5
left=$(fcgi_pids | tr '\n' ' ')
[ -z "$left" ] || fail "tasker-fcgi processes left after Apache stopped: $left"
# What a process reports as it exits (LeakSanitizer in an --enable-asan
# build) lands in Apache's error log too.
grep -q -E 'Sanitizer|runtime error:' "$ELOG" &&
    fail "sanitizer reports at exit: $(grep -m3 -E 'Sanitizer|runtime error:' "$ELOG")"
rm -f "$A/run/httpd.pid"

finish
