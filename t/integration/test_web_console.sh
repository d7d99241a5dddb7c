#!/usr/bin/env bash
# test_web_console.sh - the operator console at /tasker/console: its static
# files and headers as nginx serves them, then t/browser/console.cjs in
# headless Chromium (playwright-core from the npm registry, pinned and
# cached like test_swagger.sh's; Debian's chromium) signs in, walks every
# view and takes every action on tasks set up here (t/fixtures/console:
# one running until cancelled, one failing), comparing the page with the
# API.  Screenshots go next to this test's log (test-logs/PASS/console/).
# Tokens go through the environment and are never printed.  Named to run
# after test_discovery.sh, whose lists are the guide's examples alone (the
# fixtures here add a namespace).
. "$(dirname "$0")/lib.sh"

CONSOLE_FILES="index.html console.css favicon.svg app.js api.js session.js ui.js
	graph.js handlers.js tasks.js task.js timeline.js health.js"

SHOTS=$(shots_dir console)

case_begin "/tasker/console redirects to the page, served with a strict CSP"
AUTH="" req GET "${TASKER_URL}/console"
expect_status 301
loc=$(header Location)
[ "$loc" = "/${TASKER_URL#http://*/}/console/" ] || fail "Location: $loc"
AUTH="" req GET /console/
expect_status 200
expect_header Content-Type 'text/html'
csp=$(header Content-Security-Policy)
case $csp in
*"default-src 'self'"*) ;;
*) fail "Content-Security-Policy: $csp" ;;
esac
case $csp in
*unsafe*) fail "the CSP allows unsafe-*: $csp" ;;
esac
expect_header X-Content-Type-Options nosniff

case_begin "every console file is served from here, no CDN, no inline script or style"
for f in $CONSOLE_FILES; do
	AUTH="" req GET "/console/$f"
	[ "$STATUS" = 200 ] || fail "$f: status $STATUS"
	case $f in
	*.js) expect_header Content-Type 'application/javascript' ;;
	esac
	grep -Eq '(src|href)="?https?:|url\(["'"'"']?https?:|@import|//cdn|fonts\.' "$BODY_FILE" &&
	    fail "$f loads from another host"
done
AUTH="" req GET /console/index.html
grep -Eq '<script>|<script [^>]*>[^<]|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' "$BODY_FILE" &&
    fail "index.html holds inline script, style or handlers"

case_begin "the console never keeps the token outside sessionStorage, never builds HTML from text"
for f in $CONSOLE_FILES; do
	case $f in *.js) ;; *) continue ;; esac
	# (comment lines aside: they may name what is never done)
	grep -n -E 'localStorage|document\.cookie|innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function' \
	    "$TASKER_ROOT/contrib/console/$f" | grep -v -E '^[0-9]+:[[:space:]]*//' |
	    sed "s|^|#   $f:|" | grep . && fail "$f"
done
grep -q sessionStorage "$TASKER_ROOT/contrib/console/api.js" || fail "api.js does not use sessionStorage"

browser_setup

# Tasks for the browser to look at and act on.
case_begin "the tasks the browser acts on are set up (running, failed, done)"
$TASKER_ADMIN handlers load "$TASKER_ROOT/t/fixtures/console/handlers" >/dev/null ||
    fail "handlers load failed"
AUTH=$(token)
wait_loaded console_it hold || fail "the fixtures' handlers do not show"
create() {
	req POST /tasks -H 'Content-Type: application/json' -d "$1"
	[ "$STATUS" = 201 ] || { fail "POST /tasks $1: $STATUS $(head -c 300 "$BODY_FILE")"; return; }
	jq -r .id "$BODY_FILE"
}
# wait_status ID STATUS STEP STEPSTATUS: polls until the task (and one of
# its steps) got there; the bound is on waiting, not on speed.
wait_status() {
	local _
	for _ in $(seq 1 150); do
		req GET "/tasks/$1?include_dependencies=true"
		if [ "$(jq -r .status "$BODY_FILE")" = "$2" ] &&
		    [ "$(jq -r --arg s "$3" '.steps[] | select(.name == $s) | .status' "$BODY_FILE")" = "$4" ]; then
			return 0
		fi
		sleep 0.2
	done
	fail "task $1 is not $2 with $3 $4: $(jq -c '[.status, [.steps[] | [.name, .status]]]' "$BODY_FILE")"
}
# The finishing tasks first: the running ones then hold two of the
# worker's processes.
TASK_DONE=$(create '{"name":"process_payment","namespace":"payments","context":{"payment_id":4242}}')
TASK_BROKEN1=$(create '{"name":"broken","namespace":"console_it","version":"1.0.0","context":{}}')
TASK_BROKEN2=$(create '{"name":"broken","namespace":"console_it","version":"1.0.0","context":{}}')
wait_status "$TASK_DONE" complete send_confirmation complete
wait_status "$TASK_BROKEN1" error boom error
wait_status "$TASK_BROKEN2" error boom error
TASK_HOLD1=$(create '{"name":"hold","namespace":"console_it","context":{}}')
TASK_HOLD2=$(create '{"name":"hold","namespace":"console_it","context":{}}')
wait_status "$TASK_HOLD1" in_progress wait in_progress
wait_status "$TASK_HOLD2" in_progress wait in_progress

# The browser's own results become cases here, numbered with the rest.
out=$(TASKER_TOKEN=$AUTH TASKER_NODE_MODULES=$PW_MODS TASKER_SHOTS=$SHOTS \
    TASKER_TOKEN_RO=$(token tasker.task:index tasker.task:show tasker.workflow_step:index \
	tasker.workflow_step:show tasker.handler:index tasker.handler:show) \
    TASK_DONE=$TASK_DONE TASK_HOLD1=$TASK_HOLD1 TASK_HOLD2=$TASK_HOLD2 \
    TASK_BROKEN1=$TASK_BROKEN1 TASK_BROKEN2=$TASK_BROKEN2 \
    timeout 240 node "$TASKER_ROOT/t/browser/console.cjs" 2>&1)
browser_cases browser "$out"

case_begin "a screenshot of each view is saved"
for v in sign-in handlers handler-diff tasks task task-cancelled task-resolved health phone-tasks phone-task; do
	[ -s "$SHOTS/console-$v.png" ] || fail "no $SHOTS/console-$v.png"
done
finish
