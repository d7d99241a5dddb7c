#!/usr/bin/env bash
# test_cli.sh - the command-line conventions of tasker-admin, tasker-worker,
# tasker-fcgi and contrib/quickstart (issue 17, item 1): -h, --help and
# help print the usage on stdout and exit 0; bad usage is one line on
# stderr naming where the usage is, exit 2; every other exit status the
# usage documents; and each --json output is one JSON document (parsed
# with jq, as every test here does) that says what the text form says,
# read against the running stack.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/cli_lib.sh"

BIN=$TASKER_BUILD
QS() {
	TASKER_RUN_DIR=${QS_RUN:-$TASKER_RUN} TASKER_BUILD_DIR=$TASKER_BUILD \
	    "$TASKER_QUICKSTART" "$@"
}

# ------------------------------------------------------------ tasker-admin

case_begin "tasker-admin -h, --help and help: the usage on stdout, exit 0"
for a in -h --help help; do
	run $TASKER_ADMIN $a
	expect_help tasker-admin "tasker-admin $a"
	for c in 'config check' 'migrate status' 'migrate repair' \
	    'handlers validate' 'handlers load' 'handlers list' token \
	    'tasks list' 'tasks show|cancel|retry' health \
	    'check utf8' 'help \[COMMAND\]'; do
		grep -q "^  $c" "$OUT" || fail "$a: usage does not list '$c'"
	done
	grep -q '^  3  check utf8' "$OUT" || fail "$a: exit status 3 undocumented"
done
run $TASKER_ADMIN --help
cp "$OUT" "$T_TMP/top"
run $TASKER_ADMIN help
cmp -s "$OUT" "$T_TMP/top" || fail "help and --help differ"

case_begin "tasker-admin COMMAND --help, COMMAND -h and help COMMAND: that command's usage"
for c in config migrate handlers token tasks health check help; do
	run $TASKER_ADMIN help "$c"
	expect_help "tasker-admin.* $c" "help $c"
	cp "$OUT" "$T_TMP/one"
	for h in --help -h; do
		run $TASKER_ADMIN "$c" $h
		expect_help "tasker-admin.* $c" "$c $h"
		cmp -s "$OUT" "$T_TMP/one" || fail "'$c $h' and 'help $c' differ"
	done
done
run $TASKER_ADMIN migrate status --help
expect_help "tasker-admin.* migrate" "migrate status --help"
run $TASKER_ADMIN handlers list --json -h
expect_help "tasker-admin.* handlers" "handlers list --json -h"

case_begin "tasker-admin: bad usage is one line on stderr and exit 2"
while IFS='|' read -r args see; do
	# shellcheck disable=SC2086  # the words of each line are the arguments
	run $TASKER_ADMIN $args
	expect_hint tasker-admin "tasker-admin ${see:---help}" "tasker-admin $args"
done <<'EOF'
|
bogus|
-x|
--bogus|
-c|
help bogus|help help
help a b|help help
config|help config
config check a b|help config
migrate bogus|help migrate
migrate --json|help migrate
migrate repair 1|help migrate
migrate repair x --applied|help migrate
migrate repair 0 --applied|help migrate
migrate repair 1 --maybe|help migrate
handlers|help handlers
handlers bogus|help handlers
handlers list extra|help handlers
handlers validate|help handlers
token --bogus|help token
token --subject|help token
token operand|help token
token --lifetime 0|help token
check|help check
check ascii|help check
check utf8 extra|help check
tasks|help tasks
tasks bogus|help tasks
tasks list status|help tasks
tasks show|help tasks
tasks show a b|help tasks
tasks retry|help tasks
tasks cancel x --why y|help tasks
health extra|help health
EOF
run $TASKER_ADMIN bogus
grep -q "unknown command 'bogus'" "$ERR" || fail "the hint does not name the command: $(cat "$ERR")"
run $TASKER_ADMIN --bogus
grep -q "unknown option '--bogus'" "$ERR" || fail "the hint does not name the option: $(cat "$ERR")"

case_begin "tasker-admin: a failure is exit 1 with the reason on stderr"
run "$BIN/tasker-admin" -c "$T_TMP/none.yaml" migrate status
expect_rc 1 "migrate status, no configuration"
grep -q 'none.yaml' "$ERR" || fail "no reason: $(head -c 300 "$ERR")"
sed 's|^  socket: .*|  socket: /nonexistent/mysqld.sock|' "$TASKER_CONF" >"$T_TMP/nodb.yaml"
run "$BIN/tasker-admin" -c "$T_TMP/nodb.yaml" migrate status --json
expect_rc 1 "migrate status --json, no database"
[ ! -s "$OUT" ] || fail "stdout of a failure: $(head -c 200 "$OUT")"
grep -q 'database' "$ERR" || fail "no reason: $(head -c 300 "$ERR")"

case_begin "tasker-admin check utf8: exit 3 when the check cannot run"
run "$BIN/tasker-admin" -c "$T_TMP/none.yaml" check utf8
expect_rc 3 "check utf8, no configuration"
run "$BIN/tasker-admin" -c "$T_TMP/nodb.yaml" check utf8
expect_rc 3 "check utf8, no database"
run "$BIN/tasker-admin" -c "$T_TMP/nodb.yaml" check utf8 --json
expect_rc 3 "check utf8 --json, no database"
[ ! -s "$OUT" ] || fail "stdout of a failure: $(head -c 200 "$OUT")"

case_begin "check utf8 --json: the findings and the summary the text form prints"
run $TASKER_ADMIN check utf8
[ "$RC" = 0 ] || [ "$RC" = 1 ] || fail "check utf8: exit $RC"
text_rc=$RC
summary=$(tail -1 "$OUT")
run $TASKER_ADMIN check utf8 --json
expect_rc "$text_rc" "check utf8 --json"
expect_eq "$(jqo '(.findings | length) == .bad_values')" true "one finding per bad value"
expect_eq "$(jqo '"utf8: \(.rows) rows of \(.tables) tables checked: \(.bad_rows) rows hold \(.bad_values) values that are not strict UTF-8"')" \
    "\"$summary\"" "the text form's summary"
expect_eq "$(jqo '[.findings[] | keys_unsorted] | unique')" \
    "$(jqo 'if .bad_values > 0 then [["table","keys","column","offset"]] else [] end')" "finding members"

case_begin "health and tasks without a database: exit 1, the reason said"
run "$BIN/tasker-admin" -c "$T_TMP/nodb.yaml" health --json
expect_rc 1 "health --json, no database"
expect_eq "$(jqo '[.status, .problems, .database]')" '["unavailable",["database unreachable"],"unreachable"]' "health --json, no database"
run "$BIN/tasker-admin" -c "$T_TMP/nodb.yaml" health
expect_rc 1 "health, no database"
expect_eq "$(head -1 "$OUT")" "health: unhealthy: database unreachable" "health, no database"
run "$BIN/tasker-admin" -c "$T_TMP/nodb.yaml" tasks list
expect_rc 1 "tasks list, no database"
grep -q 'database' "$ERR" || fail "no reason: $(head -c 300 "$ERR")"

case_begin "migrate status --json lists every migration the text form lists"
run $TASKER_ADMIN migrate status
expect_rc 0 "migrate status"
cp "$OUT" "$T_TMP/status.txt"
run $TASKER_ADMIN migrate status --json
expect_rc 0 "migrate status --json"
nfiles=$(ls "$TASKER_ROOT"/db/migrations/*.sql | wc -l)
expect_eq "$(jqo '.migrations | length')" "$nfiles" "migrations listed"
expect_eq "$(jqo '[.migrations[] | select(.state == "applied")] | length')" \
    "$(grep -c '^applied ' "$T_TMP/status.txt")" "applied, as the text says"
expect_eq "$(jqo '[.migrations[] | select(.state == "applied")] | length')" \
    "$nfiles" "applied on the stack"
expect_eq "$(jqo '.migrations[0] | [.version, .name, .state]')" \
    '[1,"0001_initial_schema","applied"]' "the first migration"
expect_eq "$(jqo '[.migrations[] | .applied_at | type] | unique')" \
    '["string"]' "applied_at of applied migrations"
expect_eq "$(jqo '[.migrations[] | .changed_since_applied] | unique')" \
    '[false]' "changed_since_applied"
expect_eq "$(jqo '.migrations_dir')" "\"$TASKER_ROOT/db/migrations\"" \
    "migrations_dir"
expect_eq "$(jqo '.unknown_applied')" 0 "unknown_applied"
# each name and time of the text form, in the document
while read -r line; do
	name=$(echo "$line" | awk '{ print $2 }')
	expect_eq "$(jqo ".migrations[] | select(.name == \"$name\") | .applied_at")" \
	    "\"${line#*"$name  "}\"" "$name applied_at"
done < <(grep '^applied ' "$T_TMP/status.txt")

case_begin "handlers list --json names the example handlers, as the text form and the API do"
run $TASKER_ADMIN handlers list
expect_rc 0 "handlers list"
cp "$OUT" "$T_TMP/list.txt"
run $TASKER_ADMIN handlers list --json
expect_rc 0 "handlers list --json"
expect_eq "$(jqo '[.namespaces[].name] | sort | join(" ")')" \
    "\"$(grep -v '^ ' "$T_TMP/list.txt" | awk '{ print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')\"" \
    "namespaces, as the text lists them"
expect_eq "$(jqo '[.namespaces[].handlers[]] | length')" \
    "$(grep -c '^  ' "$T_TMP/list.txt")" "handlers, as the text lists them"
expect_eq "$(jqo '.namespaces[] | select(.name == "payments") | .handlers[] | select(.name == "process_payment") | (.steps > 0) and (.latest as $l | .versions | index($l) != null)')" \
    true "payments/process_payment: steps, latest among the versions"
expect_eq "$(jqo '[.namespaces[] | .description | type] | unique')" \
    '["string"]' "descriptions"
AUTH=$(token tasker.handler:index)
req GET /handlers
expect_status 200
api=$(jq -c '[.namespaces[].name] | sort' <"$BODY_FILE")
expect_eq "$(jqo '[.namespaces[].name] | sort')" "$api" "namespaces, as GET /handlers lists them"

case_begin "config check --json: the verdict and every problem, valid or not"
run $TASKER_ADMIN config check
expect_rc 0 "config check"
expect_eq "$(cat "$OUT")" "$TASKER_CONF: ok" "text form"
run $TASKER_ADMIN config check --json
expect_rc 0 "config check --json"
expect_eq "$(jqo '[.path, .valid, .problems]')" "[\"$TASKER_CONF\",true,[]]" "valid"
sed 's/^  max_per_page: .*/  max_per_page: 0/' "$TASKER_CONF" >"$T_TMP/bad.yaml"
run "$BIN/tasker-admin" config check --json "$T_TMP/bad.yaml"
expect_rc 1 "config check --json, not valid"
expect_eq "$(jqo '.valid')" false "not valid"
expect_eq "$(jqo '[.problems[] | select(contains("max_per_page"))] | length > 0')" \
    true "the problem names the key"
[ ! -s "$ERR" ] || fail "--json wrote to stderr: $(head -c 300 "$ERR")"
run "$BIN/tasker-admin" config check "$T_TMP/bad.yaml"
expect_rc 1 "config check, not valid"
grep -q 'max_per_page' "$ERR" || fail "text form: $(head -c 300 "$ERR")"
run "$BIN/tasker-admin" config check --json "$T_TMP/none.yaml"
expect_rc 1 "config check --json, no file"
expect_eq "$(jqo '[.valid, (.problems | length)]')" '[false,1]' "no file"

# ------------------------------------------------- tasker-worker, tasker-fcgi

for prog in tasker-worker tasker-fcgi; do
	case_begin "$prog -h and --help: the usage on stdout, exit 0"
	for a in -h --help; do
		run "$BIN/$prog" $a
		expect_help "$prog" "$prog $a"
	done
	grep -q '^  -c FILE' "$OUT" || fail "-c undocumented"

	case_begin "$prog: bad usage is one line on stderr and exit 2"
	bad=(-x --bogus -c operand)
	[ $prog = tasker-worker ] && bad+=("--max-seconds 5" "--until-idle --max-seconds 0")
	for a in "${bad[@]}"; do
		# shellcheck disable=SC2086
		run "$BIN/$prog" $a
		expect_hint "$prog" "$prog --help" "$prog $a"
	done

	case_begin "$prog: a configuration that cannot be read is exit 1"
	run "$BIN/$prog" -c "$T_TMP/none.yaml"
	expect_rc 1 "$prog -c none.yaml"
	grep -q "^$prog: .*none.yaml" "$ERR" || fail "no reason: $(head -c 300 "$ERR")"
done

# ---------------------------------------------------------------- quickstart

case_begin "contrib/quickstart -h, --help and help: the commands on stdout, exit 0"
for a in -h --help help; do
	run QS $a
	expect_rc 0 "quickstart $a"
	for c in up down status token admin test help; do
		grep -q "^  contrib/quickstart $c" "$OUT" || fail "$a: '$c' not listed"
	done
	grep -q '^Exit status' "$OUT" || fail "$a: no exit status"
	[ ! -s "$ERR" ] || fail "$a: stderr: $(head -c 300 "$ERR")"
done

case_begin "contrib/quickstart: bad usage is one line on stderr and exit 2"
for a in bogus '' '_db bogus'; do
	# shellcheck disable=SC2086
	run QS $a
	expect_hint quickstart 'contrib/quickstart --help' "quickstart '$a'"
done

case_begin "contrib/quickstart status: 0 when everything runs, 3 when not all of it does"
run QS status
expect_rc 0 "status of the running stack: $(tr '\n' ';' <"$OUT")"
grep -q '^api ' "$OUT" || fail "no api line: $(cat "$OUT")"
stack_workers_stop
run QS status
expect_rc 3 "status, the workers stopped"
grep -q '^worker   not running' "$OUT" || fail "worker line: $(tr '\n' ';' <"$OUT")"
stack_workers_start
QS_RUN=$T_TMP/nothing run QS status
expect_rc 3 "status of a stack never started"
expect_eq "$(grep -c 'not started' "$OUT")" 4 "parts not started"

case_begin "contrib/quickstart token: a token from a running stack, a hint without one"
run QS token tasker.handler:index
expect_rc 0 "token"
grep -Eq '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$OUT" ||
    fail "not a JWT: $(head -c 80 "$OUT")"
QS_RUN=$T_TMP/nothing run QS token
[ "$RC" -ne 0 ] || fail "token without a stack: exit 0"
[ ! -s "$OUT" ] || fail "token without a stack printed: $(head -c 80 "$OUT")"
grep -q 'run `contrib/quickstart up` first' "$ERR" ||
    fail "stderr: $(head -c 300 "$ERR")"

finish
