# t/integration/cli_lib.sh - helpers of the command-line tests
# (test_cli.sh, test_tasks_admin.sh), sourced after lib.sh: run a
# command and check its exit status, usage, one-line hint and --json.

OUT=$T_TMP/out
ERR=$T_TMP/err
# run CMD...: runs it with no input; RC, and its output in $OUT and $ERR.
run() {
	RC=0
	"$@" </dev/null >"$OUT" 2>"$ERR" || RC=$?
}

expect_rc() {
	[ "$RC" = "$1" ] ||
	    fail "$2: exit $RC, expected $1; stderr: $(head -c 300 "$ERR")"
}

# expect_help PROG WHAT...: RC 0, stdout starts with "usage: PROG" and
# documents the exit status, nothing on stderr.
expect_help() {
	local prog=$1
	shift
	expect_rc 0 "$*"
	head -1 "$OUT" | grep -q "^usage: $prog" ||
	    fail "$*: stdout does not start with 'usage: $prog': $(head -2 "$OUT")"
	grep -q 'Exit status' "$OUT" || fail "$*: no exit status in the usage"
	[ ! -s "$ERR" ] || fail "$*: stderr: $(head -c 300 "$ERR")"
}

# expect_hint PROG SEE WHAT...: RC 2, nothing on stdout, one line on
# stderr: "PROG: ...; see 'SEE'".
expect_hint() {
	local prog=$1 see=$2
	shift 2
	expect_rc 2 "$*"
	[ ! -s "$OUT" ] || fail "$*: stdout: $(head -c 300 "$OUT")"
	expect_eq "$(wc -l <"$ERR")" 1 "$*: lines on stderr"
	grep -q "^$prog: .*; see '$see'\$" "$ERR" ||
	    fail "$*: stderr: $(head -c 300 "$ERR")"
}

# jqo FILTER: jq -c FILTER over stdout (one JSON document), or a failure.
jqo() {
	jq -c "$1" <"$OUT" 2>&1 || echo "(jq '$1' failed on: $(head -c 200 "$OUT"))"
}

