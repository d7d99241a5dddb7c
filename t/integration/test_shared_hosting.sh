#!/usr/bin/env bash
# test_shared_hosting.sh - tasker the way a shared-hosting customer runs it:
# no root, a home folder, one MariaDB database with one restricted account,
# Apache with mod_fcgid and a .htaccess, and a crontab instead of a
# worker daemon.
#
#   1. An ordinary user ($TASKER_HOSTING_USER, default taskerhost; no sudo)
#      gets a copy of the source tree, builds it and runs `make install`
#      with --prefix=$HOME/tasker; nothing is written outside its home.
#   2. MariaDB root makes a database (tasker_host) and an account with
#      ALL on it and nothing else; the user's config (mode 600, password
#      in a mode-600 file) uses that account over the stack's socket.
#   3. As the user: tasker-admin migrate, handlers load, handlers list.
#   4. The hosting company's Apache (t/fixtures/shared-hosting/httpd.conf.in,
#      port $TASKER_HOSTING_PORT, default TASKER_APACHE_PORT + 1) serves
#      the user's public_html through mod_userdir; contrib/apache's
#      htaccess.example and tasker.fcgi.example mount the API at
#      /~taskerhost/tasker and start the tasker-fcgi of $HOME/tasker/bin.
#      Apache's children run as the hosting user: that is what suEXEC
#      gives on a real host (no suexec binary is needed here).
#   5. With a token from the user's tasker-admin: the guide's discovery
#      answer and POST /tasks; the steps are run only by the crontab line
#      of t/fixtures/shared-hosting/crontab, run by hand as cron would,
#      two runs at a time now and then: every task completes and no step
#      attempt runs twice.
#   6. On exit: Apache stopped, the database and its account dropped, the
#      user and its home removed (KEEP=1 keeps the user, its home and
#      Apache's folder for a look; the next run starts them afresh).
#
# Needs root (useradd, runuser, MariaDB root).  Two runs of this test on one
# machine take turns (a lock in /tmp): they share the user name.
. "$(dirname "$0")/lib.sh"

HU=${TASKER_HOSTING_USER:-taskerhost}
HPORT=${TASKER_HOSTING_PORT:-$((${TASKER_APACHE_PORT:-8090} + 1))}
HDB=tasker_host
FIX=$TASKER_ROOT/t/fixtures/shared-hosting
GUIDE=$TASKER_ROOT/t/fixtures/guide
MODS=/usr/lib/apache2/modules
NTASKS=6            # the guide's task and 5 more, for the workers to share
L=$T_TMP/logs       # logs of the build steps and the cron runs
mkdir -p "$L"

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: needs root (useradd, runuser)"
	finish
	exit 0
fi

# One run at a time: the user and the database have fixed names.  (What
# this test starts gets 9>&-, so nothing outlives it holding the lock.)
exec 9>"${TMPDIR:-/tmp}/tasker-shared-hosting.lock"
flock -w 600 9 || { echo "# another run holds the lock"; exit 1; }

# The hosting company's Apache lives here (root's, like /etc/apache2).
A=$(mktemp -d "${TMPDIR:-/tmp}/tasker-hosting.XXXXXX")
chmod 755 "$A"
H=""
P=""

# ------------------------------------------------------------ helpers

rootsql() {
	mariadb --no-defaults -S "$TASKER_DB_SOCKET" -u root -N -B "$@"
}

# as_user CMD...: CMD as the hosting user, in its home, with the plain
# environment of a login (nothing of ours, such as TASKER_*, leaks in).
as_user() {
	runuser -u "$HU" -- env -i HOME="$H" USER="$HU" LOGNAME="$HU" \
	    SHELL=/bin/sh PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
	    sh -c 'cd "$HOME" && exec "$@"' sh "$@" 9>&-
}

# step NAME CMD...: CMD as the user, its output in $L/NAME.log; fails the
# case (and returns 1) when it fails.
step() {
	local name=$1 rc=0
	shift
	as_user "$@" >"$L/$name.log" 2>&1 || rc=$?
	[ $rc -eq 0 ] && return 0
	fail "$name failed (exit $rc): $(tail -5 "$L/$name.log" | tr '\n' '|')"
	return 1
}

# abort: the rest depends on what just failed.
abort() {
	finish
	exit 1
}

# Pids of running processes whose program is $1.
pids_of() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/exe" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
	done
}

apache_stop() {
	local pid
	[ -f "$A/run/httpd.pid" ] || return 0
	pid=$(cat "$A/run/httpd.pid")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	rm -f "$A/run/httpd.pid"
}

cleanup() {
	local p
	apache_stop
	# Whatever of ours still runs: the programs of the user's prefix,
	# which only this test starts.
	if [ -n "$P" ]; then
		for p in $(pids_of "$P/bin/tasker-fcgi") $(pids_of "$P/bin/tasker-worker"); do
			kill -KILL "$p" 2>/dev/null
		done
	fi
	rootsql -e "DROP DATABASE IF EXISTS $HDB; DROP USER IF EXISTS '$HDB'@'localhost'" \
	    2>/dev/null
	if [ -z "${KEEP:-}" ]; then
		if id -u "$HU" >/dev/null 2>&1; then
			sleep 0.2
			userdel -r "$HU" >/dev/null 2>&1 ||
			    echo "# warning: userdel -r $HU failed"
		fi
		rm -rf "$A"
	else
		echo "# KEEP: user $HU, its home $H and Apache's folder $A kept"
	fi
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# Copies the source tree into $1: the files git knows (tracked, and new
# ones not ignored), else the folder without VCS, run, build and
# autotools outputs.
copy_tree() {
	local list=$T_TMP/files
	if git -c safe.directory="$TASKER_ROOT" -C "$TASKER_ROOT" ls-files -z \
	    --cached --others --exclude-standard >"$list" 2>/dev/null && [ -s "$list" ]; then
		(cd "$TASKER_ROOT" && tar --null -T "$list" --ignore-failed-read \
		    -cf - 2>/dev/null) | tar -C "$1" -xf -
	else
		(cd "$TASKER_ROOT" && tar --anchored --exclude=./.git \
		    --exclude=./_run --exclude=./_build --exclude=./autom4te.cache \
		    --exclude=./build-aux --exclude=./configure --exclude=./configure~ \
		    --exclude=./Makefile --exclude=./Makefile.in --exclude=./aclocal.m4 \
		    --exclude=./config.h --exclude=./config.h.in --exclude=./config.h.in~ \
		    --exclude=./config.log --exclude=./config.status --exclude=./stamp-h1 \
		    --no-anchored --exclude='*.o' --exclude='*.a' --exclude=.deps \
		    --exclude=.dirstamp -cf - .) | tar -C "$1" -xf -
	fi
}

# What the user owns outside its home, and what /usr/local holds.
outside_listing() {
	find /tmp /var/tmp /dev/shm -xdev -user "$HU" 2>/dev/null | sort
	find /usr/local -printf '%p %s %T@\n' 2>/dev/null | sort
}

# ------------------------------------------------------------ 1. install

case_begin "an ordinary user ($HU, no sudo) builds tasker and installs it into \$HOME/tasker"
t0=$SECONDS
if ! id -u "$HU" >/dev/null 2>&1; then
	useradd -m -s /bin/sh -c "tasker shared-hosting test" "$HU" ||
	    { fail "useradd $HU failed"; abort; }
fi
H=$(getent passwd "$HU" | cut -d: -f6)
HG=$(id -gn "$HU")
if [ -z "$H" ] || [ "$H" = / ] || [ ! -d "$H" ] ||
    [ "$(stat -c %U "$H")" != "$HU" ]; then
	fail "home of $HU: '$H'"
	abort
fi
[ "$(id -u "$HU")" -ne 0 ] || fail "$HU is root"
for g in $(id -nG "$HU"); do
	case $g in sudo|wheel|root|adm|admin) fail "$HU is in group $g" ;; esac
done
as_user sudo -n true >/dev/null 2>&1 && fail "$HU can sudo"
P=$H/tasker
# A kept home from an earlier run (KEEP=1) starts afresh.
rm -rf "$H/src" "$P" "$H/public_html"
outside_listing >"$T_TMP/outside.before"

mkdir -p "$H/src/tasker"
copy_tree "$H/src/tasker"
chown -R "$HU:$HG" "$H/src"
[ -f "$H/src/tasker/configure.ac" ] || { fail "the source tree was not copied"; abort; }

step autoreconf sh -c 'cd src/tasker && { [ -x configure ] || autoreconf -fi; }' || abort
step configure sh -c 'cd src/tasker && ./configure --prefix="$HOME/tasker"' || abort
step make make -C src/tasker -j2 || abort
step install make -C src/tasker install || abort
echo "# build and install as $HU: $((SECONDS - t0)) s"

for f in bin/tasker-fcgi bin/tasker-worker bin/tasker-admin; do
	[ -x "$P/$f" ] || fail "$P/$f missing"
done
[ -f "$P/etc/tasker.yaml" ] || fail "$P/etc/tasker.yaml missing"
want=$(cd "$TASKER_ROOT/db/migrations" && ls -- *.sql)
got=$(cd "$P/share/tasker/migrations" 2>/dev/null && ls -- *.sql)
expect_eq "$got" "$want" "migrations in \$HOME/tasker/share/tasker/migrations"
want=$(cd "$TASKER_ROOT/etc/handlers" && ls -- *.yaml)
got=$(cd "$P/share/tasker/handlers" 2>/dev/null && ls -- *.yaml)
expect_eq "$got" "$want" "handlers in \$HOME/tasker/share/tasker/handlers"
for f in ok.sh flaky.sh fail.sh; do
	[ -x "$P/share/tasker/contrib/examples/$f" ] ||
	    fail "$P/share/tasker/contrib/examples/$f missing or not executable"
done
[ -f "$P/share/tasker/openapi.json" ] || fail "$P/share/tasker/openapi.json missing"
notmine=$(find "$P" ! -user "$HU" | head -3)
[ -z "$notmine" ] || fail "files under \$HOME/tasker not owned by $HU: $notmine"
outside_listing >"$T_TMP/outside.after"
diff -q "$T_TMP/outside.before" "$T_TMP/outside.after" >/dev/null ||
    fail "written outside \$HOME: $(diff "$T_TMP/outside.before" "$T_TMP/outside.after" | head -5 | tr '\n' '|')"

# ------------------------------------------------------------ 2. database

case_begin "the database $HDB and an account with ALL on it and nothing global"
HPASS=$(openssl rand -hex 24)
rootsql <<-SQL || fail "creating the database and the account failed"
	DROP DATABASE IF EXISTS $HDB;
	DROP USER IF EXISTS '$HDB'@'localhost';
	CREATE DATABASE $HDB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
	CREATE USER '$HDB'@'localhost' IDENTIFIED BY '$HPASS';
	GRANT ALL ON $HDB.* TO '$HDB'@'localhost';
SQL
grants=$(rootsql -e "SHOW GRANTS FOR '$HDB'@'localhost'" | sed 's/ IDENTIFIED BY PASSWORD .*//' | sort)
expect_eq "$grants" "GRANT ALL PRIVILEGES ON \`$HDB\`.* TO \`$HDB\`@\`localhost\`
GRANT USAGE ON *.* TO \`$HDB\`@\`localhost\`" "SHOW GRANTS"
# What the account itself sees and may do.
dbs=$(MYSQL_PWD=$HPASS mariadb --no-defaults -S "$TASKER_DB_SOCKET" -u "$HDB" -N -B \
    -e 'SHOW DATABASES' 2>&1 | sort | tr '\n' ' ')
expect_eq "$dbs" "information_schema $HDB " "databases the account sees"
MYSQL_PWD=$HPASS mariadb --no-defaults -S "$TASKER_DB_SOCKET" -u "$HDB" \
    -e 'CREATE DATABASE tasker_host_other' >/dev/null 2>&1 &&
    fail "the account could create another database"

# The user reaches the socket; else a hard link in a folder it can reach
# (the run folder may be private).
SOCK=$TASKER_DB_SOCKET
if ! as_user test -w "$SOCK"; then
	ln "$TASKER_DB_SOCKET" "$A/mysqld.sock" 2>/dev/null && SOCK=$A/mysqld.sock
	as_user test -w "$SOCK" || fail "$HU cannot reach $TASKER_DB_SOCKET"
fi

# The user's files: secrets and config mode 600 (the config replaces the
# annotated example make install put there).
printf '%s\n' "$HPASS" | as_user sh -c 'umask 077 &&
    mkdir -p tasker/etc/secrets tasker/var/run/tasker tasker/var/log &&
    cat >tasker/etc/secrets/db.password &&
    openssl rand -base64 48 | tr -d "\n" >tasker/etc/secrets/jwt.secret'
sed -e "s|@HOME@|$H|g" -e "s|@USER@|$HU|g" -e "s|@DB@|$HDB|g" -e "s|@SOCKET@|$SOCK|g" \
    "$FIX/tasker.yaml.in" | as_user sh -c 'cat >tasker/etc/tasker.yaml &&
    chmod 600 tasker/etc/tasker.yaml'
for f in etc/tasker.yaml etc/secrets/db.password etc/secrets/jwt.secret; do
	expect_eq "$(stat -c '%a %U' "$P/$f")" "600 $HU" "mode and owner of \$HOME/tasker/$f"
done
expect_eq "$(stat -c '%a' "$P/etc/secrets")" 700 "mode of \$HOME/tasker/etc/secrets"

# ------------------------------------------------------------ 3. admin

case_begin "as $HU: config check, migrate, handlers load, handlers list (config found by the prefix)"
# No -c and no TASKER_CONFIG: the programs find \$HOME/tasker/etc/tasker.yaml.
if step config_check tasker/bin/tasker-admin config check; then
	expect_eq "$(cat "$L/config_check.log")" "$P/etc/tasker.yaml: ok" "config check"
fi
step migrate tasker/bin/tasker-admin migrate
step migrate_status tasker/bin/tasker-admin migrate status
step load tasker/bin/tasker-admin handlers load "$P/share/tasker/handlers"
if step list tasker/bin/tasker-admin handlers list; then
	grep -q '^payments ' "$L/list.log" || fail "no payments namespace in: $(head -3 "$L/list.log")"
	grep -Eq '^ +process_payment +2\.1\.0 ' "$L/list.log" ||
	    fail "no process_payment 2.1.0 in the list"
fi
# As many versions as etc/handlers holds (other tests add their own
# handlers to the stack's database, so count the files' versions).
want=$("$TASKER_BUILD/tasker-admin" -c "$TASKER_CONF" handlers validate \
    "$TASKER_ROOT/etc/handlers" | sed -n 's/^ok: [0-9]* namespace(s), \([0-9]*\) handler version(s)$/\1/p')
expect_eq "$(rootsql -e "SELECT COUNT(*) FROM $HDB.handler_versions")" "$want" \
    "handler versions loaded (as many as etc/handlers holds)"
expect_eq "$(rootsql -e "SELECT COUNT(*) FROM information_schema.tables
    WHERE table_schema = '$HDB' AND table_name = 'workflow_steps'")" 1 "schema migrated"

# ------------------------------------------------------------ 4. Apache

case_begin "the host's Apache serves ~$HU/public_html; htaccess.example and the wrapper mount tasker at /~$HU/tasker"
mkdir -p "$A/run" "$A/logs" "$A/ipc"
chown "$HU:$HG" "$A/ipc"
sed -e "s|@A@|$A|g" -e "s|@PORT@|$HPORT|g" -e "s|@USER@|$HU|g" -e "s|@GROUP@|$HG|g" \
    -e "s|@HOME@|$H|g" -e "s|@MODS@|$MODS|g" "$FIX/httpd.conf.in" >"$A/httpd.conf"
# The user's web space: the two files of contrib/apache with its paths.
# The modes a suEXEC host wants: home 711, web space 755, ~/tasker 700.
as_user sh -c 'umask 022 && mkdir -p public_html/tasker &&
    chmod 711 . && chmod 755 public_html public_html/tasker && chmod 700 tasker'
sed -e "s|/~alice/|/~$HU/|g" "$TASKER_ROOT/contrib/apache/htaccess.example" |
    as_user sh -c 'cat >public_html/tasker/.htaccess'
# (The example names ~/tasker/tasker-fcgi or, after make install,
# ~/tasker/bin/tasker-fcgi; either becomes the installed one.)
sed -e "s|/home/alice/tasker/etc/tasker.yaml|$P/etc/tasker.yaml|g" \
    -e "s|/home/alice/tasker/tasker.yaml|$P/etc/tasker.yaml|g" \
    -e "s|/home/alice/tasker/bin/tasker-fcgi|$P/bin/tasker-fcgi|g" \
    -e "s|/home/alice/tasker/tasker-fcgi|$P/bin/tasker-fcgi|g" \
    "$TASKER_ROOT/contrib/apache/tasker.fcgi.example" |
    as_user sh -c 'cat >public_html/tasker/tasker.fcgi && chmod 755 public_html/tasker/tasker.fcgi'
grep -q "^RewriteBase /~$HU/tasker/\$" "$H/public_html/tasker/.htaccess" ||
    fail "htaccess.example has no 'RewriteBase /~alice/tasker/' line to adapt"
{ grep -q "^TASKER_CONFIG=$P/etc/tasker.yaml\$" "$H/public_html/tasker/tasker.fcgi" &&
    grep -q "^exec $P/bin/tasker-fcgi\$" "$H/public_html/tasker/tasker.fcgi"; } ||
    fail "tasker.fcgi.example: its TASKER_CONFIG= and exec lines were not adapted"
grep -v '^#' "$H/public_html/tasker/.htaccess" "$H/public_html/tasker/tasker.fcgi" |
    grep -q alice && fail "a path of alice is left in the user's files"

apache_ok=0
if (exec 3<>"/dev/tcp/127.0.0.1/$HPORT") 2>/dev/null; then
	fail "port $HPORT is taken (set TASKER_HOSTING_PORT)"
elif ! apache2 -f "$A/httpd.conf" -t >"$A/logs/configtest.log" 2>&1; then
	fail "apache2 -t: $(tail -3 "$A/logs/configtest.log" | tr '\n' '|')"
elif ! apache2 -f "$A/httpd.conf" -k start >"$A/logs/start.log" 2>&1 9>&-; then
	fail "apache2 -k start: $(tail -3 "$A/logs/start.log" | tr '\n' '|')"
else
	for _ in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$HPORT") 2>/dev/null && { apache_ok=1; break; }
		sleep 0.1
	done
	[ $apache_ok -eq 1 ] || fail "Apache does not listen on $HPORT: $(tail -3 "$A/logs/error.log")"
fi
[ $apache_ok -eq 1 ] || abort

# ------------------------------------------------------------ 5. the API

U=http://127.0.0.1:$HPORT/~$HU/tasker
ELOG=$A/logs/error.log

case_begin "GET /~$HU/tasker/handlers with the user's token is the guide's list"
AUTH=$(as_user tasker/bin/tasker-admin token --subject "$HU-cli" 2>"$L/token.log") ||
    fail "tasker-admin token: $(cat "$L/token.log")"
req GET "$U/handlers" -H "X-Request-Id: it-hosting-$$"
expect_status 200
expect_jq ". == $(jq -c . "$GUIDE/namespaces.json")" true
# The principal in tasker's log line shows the token got through Apache.
line=""
for _ in $(seq 1 30); do
	line=$(grep -h "event=request request_id=it-hosting-$$ " "$ELOG") && break
	sleep 0.1
done
[[ "$line" == *" principal=$HU-cli"* ]] || fail "request line: ${line:-none in the error log}"
saved=$AUTH
AUTH=
req GET "$U/handlers"
expect_error 401 AuthenticationError AUTHENTICATION_FAILED
AUTH=$saved

case_begin "mod_fcgid runs \$HOME/tasker/bin/tasker-fcgi (through the wrapper) as $HU"
fpids=$(pids_of "$P/bin/tasker-fcgi")
[ -n "$fpids" ] || fail "no running $P/bin/tasker-fcgi"
for p in $fpids; do
	expect_eq "$(stat -c %U "/proc/$p")" "$HU" "owner of tasker-fcgi $p"
	tr '\0' '\n' <"/proc/$p/environ" | grep -qx "TASKER_CONFIG=$P/etc/tasker.yaml" ||
	    fail "tasker-fcgi $p has no TASKER_CONFIG from the wrapper"
done

case_begin "POST /~$HU/tasker/tasks: the guide's process_payment 2.1.0 -> 201 (and $((NTASKS - 1)) more)"
req POST "$U/tasks" -H 'Content-Type: application/json' --data-binary "@$FIX/create_task.json"
expect_status 201
expect_jq '[.namespace, .name, .version, .status, .context.payment_id]' \
    '["payments","process_payment","2.1.0","pending",12345]'
TASK=$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)
expect_header Location "/~$HU/tasker/tasks/$TASK"
TASKS=("$TASK")
for i in $(seq 2 "$NTASKS"); do
	req POST "$U/tasks" -H 'Content-Type: application/json' \
	    --data-binary "$(jq -c ".context.payment_id += $i" "$FIX/create_task.json")"
	expect_status 201
	TASKS+=("$(jq -r '.id // empty' "$BODY_FILE" 2>/dev/null)")
done
[ -n "$TASK" ] || abort

# The crontab line, run as cron runs it: /bin/sh in the home folder with
# cron's environment; --max-seconds lowered to keep the test short.
CRON_CMD=$(sed -n 's/^\* \* \* \* \* //p' "$FIX/crontab")
CRON_CMD=${CRON_CMD/--max-seconds 55/--max-seconds 20}
NRUNS=0
GATE=$A/gate
# cron_start: one run in the background; its pid in CPID.  It starts
# when the file $GATE exists, so runs can start at the same moment.
cron_start() {
	NRUNS=$((NRUNS + 1))
	runuser -u "$HU" -- env -i HOME="$H" LOGNAME="$HU" USER="$HU" \
	    SHELL=/bin/sh PATH=/usr/bin:/bin sh -c "while [ ! -e $GATE ]; do
	    sleep 0.01; done; cd && $CRON_CMD" >"$L/cron-$NRUNS.log" 2>&1 9>&- &
	CPID=$!
}
# cron_wait PID: fails the case unless the run exited 0 within its time.
cron_wait() {
	local rc=0
	wait "$1" || rc=$?
	[ $rc -eq 0 ] || fail "a cron run exited $rc: $(tail -3 "$L/cron-"*.log | tr '\n' '|')"
}
all_complete() {
	[ "$(rootsql -e "SELECT COUNT(*) FROM $HDB.tasks WHERE status = 'complete'")" = "$NTASKS" ]
}

case_begin "cron-style workers only (two at once now and then) run every task to complete"
cron_t0=$SECONDS
# The first two start at the same moment, as two crontab lines (or a run
# that overlaps the next minute's) would.
rm -f "$GATE"
cron_start; c1=$CPID
cron_start; c2=$CPID
sleep 0.3
touch "$GATE"
cron_wait "$c1"
cron_wait "$c2"
for round in $(seq 1 20); do
	all_complete && break
	sleep 1
	cron_start; c1=$CPID
	if [ $((round % 2)) -eq 0 ]; then
		cron_start
		cron_wait "$CPID"
	fi
	cron_wait "$c1"
done
all_complete || fail "not every task is complete after $NRUNS runs: $(rootsql -e \
    "SELECT status, COUNT(*) FROM $HDB.tasks GROUP BY status" | tr '\n\t' '| ')"
echo "# $NRUNS cron runs in $((SECONDS - cron_t0)) s"
expect_eq "$(rootsql -e "SELECT COUNT(*) FROM $HDB.workers")" "$NRUNS" "workers rows (one per run)"
expect_eq "$(rootsql -e "SELECT COUNT(*) FROM $HDB.workers WHERE stopped_at IS NULL")" 0 \
    "runs that did not stop cleanly"
# The first two runs overlapped in time.
expect_eq "$(rootsql -e "SELECT MAX(started_at) < MIN(stopped_at) FROM
    (SELECT started_at, stopped_at FROM $HDB.workers ORDER BY started_at LIMIT 2) w")" 1 \
    "the first two runs overlapped"

case_begin "GET /~$HU/tasker/tasks/{id}: complete, every step's results, charge_card took 2 attempts"
req GET "$U/tasks/$TASK"
expect_status 200
expect_jq '.status' '"complete"'
expect_jq '[.steps[] | [.name, .status, .attempts]]' \
    '[["validate_payment","complete",1],["charge_card","complete",2],["update_order","complete",1],["send_confirmation","complete",1]]'
expect_jq '[.steps[] | .results | type] | unique' '["object"]'
expect_jq '.steps[0].results.valid' true
expect_jq '.steps[1].results.charged' true
expect_jq '.steps[1].results.retried' true
expect_jq '.steps[2].results.order_status' '"paid"'
expect_jq '.steps[3].results.sent' true
for t in "${TASKS[@]:1}"; do
	req GET "$U/tasks/$t"
	expect_jq '[.status, [.steps[] | .attempts]]' '["complete",[1,2,1,1]]'
done

case_begin "no step attempt ran twice (transitions and worker log)"
# Per step: one start (-> in_progress) per attempt, attempts 1..N once each.
bad=$(rootsql -e "SELECT ws.name, ws.attempts, COUNT(st.id), COUNT(DISTINCT st.attempt)
    FROM $HDB.workflow_steps ws LEFT JOIN $HDB.step_transitions st
      ON st.step_id = ws.id AND st.to_status = 'in_progress'
    GROUP BY ws.id
    HAVING COUNT(st.id) <> ws.attempts OR COUNT(DISTINCT st.attempt) <> ws.attempts
        OR MAX(st.attempt) <> ws.attempts")
[ -z "$bad" ] || fail "steps with repeated or missing starts: $(head -3 <<<"$bad" | tr '\n\t' '| ')"
expect_eq "$(rootsql -e "SELECT COUNT(*) FROM $HDB.step_transitions WHERE to_status = 'in_progress'")" \
    "$((NTASKS * 5))" "attempts started (4 steps, charge_card twice, per task)"
# One log line per (task, step, attempt) in the cron runs' shared log.
runs=$(grep -o 'event=step task=[^ ]* .*step=[a-z_]* attempt=[0-9]*' "$P/var/log/worker.log" 2>/dev/null |
    sed 's/ handler=[^ ]*//' | sort)
expect_eq "$(wc -l <<<"$runs" | tr -d ' ')" "$((NTASKS * 5))" "step attempts in the worker log"
dup=$(uniq -d <<<"$runs" | head -3)
[ -z "$dup" ] || fail "attempts logged twice: $dup"
grep -E 'outcome=lost|level=error' "$P/var/log/worker.log" && fail "lost attempts or errors in the worker log"

case_begin "Apache's logs: no 5xx, no tasker error, no token; Apache stops with its tasker-fcgi"
grep -q '" 5[0-9][0-9] ' "$A/logs/access.log" &&
    fail "5xx answers: $(grep '" 5[0-9][0-9] ' "$A/logs/access.log" | head -3)"
grep -q 'level=error' "$ELOG" && fail "tasker errors: $(grep 'level=error' "$ELOG" | head -3)"
grep -qF -- "${AUTH##*.}" "$ELOG" "$A/logs/access.log" "$P/var/log/worker.log" &&
    fail "the token's signature appears in a log"
apache_stop
sleep 0.5
left=$(pids_of "$P/bin/tasker-fcgi" | tr '\n' ' ')
[ -z "$left" ] || fail "tasker-fcgi left after Apache stopped: $left"

finish
