#!/usr/bin/env bash
# test_swagger.sh - Swagger UI at /tasker/api-docs in headless Chromium:
# the static files nginx serves, then t/browser/swagger.cjs (playwright-core
# from the npm registry, pinned and cached in the run folder; Debian's
# chromium) lists the operations, authorises with a token and runs
# GET /handlers with "Try it out".  The token goes through the
# environment and is never printed.
. "$(dirname "$0")/lib.sh"

case_begin "/tasker/api-docs redirects to the page; its files are served here, not from a CDN"
AUTH= req GET "${TASKER_URL}/api-docs"
expect_status 301
loc=$(header Location)
[ "$loc" = "/${TASKER_URL#http://*/}/api-docs/" ] || fail "Location: $loc"
AUTH= req GET /api-docs/
expect_status 200
expect_header Content-Type 'text/html'
grep -q 'swagger-ui-bundle.js' "$BODY_FILE" || fail "index.html does not load the bundle"
grep -Eq 'src="https?:|href="https?:' "$BODY_FILE" && fail "index.html loads from another host"
expect_header_present Content-Security-Policy
AUTH= req GET /api-docs/swagger-ui-bundle.js
expect_status 200
expect_header Content-Type 'application/javascript'
AUTH= req GET /api-docs/tasker-initializer.js
expect_status 200
grep -q '"../api-docs.json"' "$BODY_FILE" || fail "the initializer does not load ../api-docs.json"

browser_setup

# The browser's own results become cases here, numbered with the rest.
out=$(TASKER_TOKEN=$(token tasker.handler:index) TASKER_NODE_MODULES=$PW_MODS \
    TASKER_SCREENSHOT=$TASKER_RUN/swagger-ui.png \
    timeout 180 node "$TASKER_ROOT/t/browser/swagger.cjs" 2>&1)
browser_cases browser "$out"
finish
