#!/bin/sh
# fail.sh - example step handler that always fails.
#
# Prints its arguments (or a default message) on stderr, which the worker
# keeps as the step's error, and exits 1.  Point a step at it to see a task
# end in `error` once the step's retries are used up.
cat >/dev/null
echo "fail.sh: ${*:-this step always fails}" >&2
exit 1
