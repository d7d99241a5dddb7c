#!/bin/sh
# flaky.sh - example step handler that fails transiently.
#
# Fails attempts 1..N (N is the first argument, default 1) with a message
# on stderr and exit status 75 (EX_TEMPFAIL), then succeeds like ok.sh
# (remaining arguments are passed on).  The attempt number comes from the
# stdin document: {"step":{"name":...,"attempt":N},...}.  Used by
# payments/process_payment's charge_card, so retries with backoff are
# visible in the task's history.
set -u

fail_until=1
case ${1:-} in
'' | *[!0-9]*) ;;
*) fail_until=$1; shift ;;
esac

input=$(cat | tr -d '\r\n')
attempt=$(printf '%s' "$input" |
    sed -n 's/.*"step"[[:space:]]*:[[:space:]]*{\([^}]*\)}.*/\1/p' |
    sed -n 's/.*"attempt"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p')
[ -n "$attempt" ] || attempt=1

if [ "$attempt" -le "$fail_until" ]; then
	echo "flaky.sh: transient failure on attempt $attempt" \
	    "(succeeds after attempt $fail_until)" >&2
	exit 75
fi
printf '%s' "$input" | exec "$(dirname "$0")/ok.sh" retried:=true "$@"
