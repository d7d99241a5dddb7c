#!/bin/sh
# ok.sh - example step handler that always succeeds.
#
# Protocol (see etc/handlers/README.md): the worker writes a JSON document
# on stdin, e.g.
#   {"task":{...},"step":{"name":"charge_card","attempt":1},"parents":{...}}
# and reads a JSON object from stdout; exit status 0 completes the step.
#
# The result names the step and the attempt.  Arguments add fields:
#   name=value    a text field ("name":"value"; value must not hold " or \)
#   name:=json    a raw JSON value ("name":json), e.g. valid:=true
# Only /bin/sh, sed and tr are needed (no jq).
set -u

input=$(cat | tr -d '\r\n')
# The step object holds only scalars, so [^}]* spans it.
stepobj=$(printf '%s' "$input" |
    sed -n 's/.*"step"[[:space:]]*:[[:space:]]*{\([^}]*\)}.*/\1/p')
name=$(printf '%s' "$stepobj" |
    sed -n 's/.*"name"[[:space:]]*:[[:space:]]*"\([A-Za-z0-9_]*\)".*/\1/p')
attempt=$(printf '%s' "$stepobj" |
    sed -n 's/.*"attempt"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p')
[ -n "$name" ] || name=unknown
[ -n "$attempt" ] || attempt=1

fields=""
for arg in "$@"; do
	case $arg in
	*:=*)
		key=${arg%%:=*}
		fields="$fields,\"$key\":${arg#*:=}"
		;;
	*=*)
		key=${arg%%=*}
		val=${arg#*=}
		case $val in
		*\"* | *\\*)
			echo "ok.sh: value of $key holds \" or \\" >&2
			exit 2
			;;
		esac
		fields="$fields,\"$key\":\"$val\""
		;;
	*)
		echo "ok.sh: argument '$arg' is not name=value or name:=json" >&2
		exit 2
		;;
	esac
done

printf '{"step":"%s","attempt":%s,"ok":true%s}\n' "$name" "$attempt" "$fields"
