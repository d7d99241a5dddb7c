#!/usr/bin/env bash
# test_swagger.sh - Swagger UI at /tasker/api-docs in headless Chromium:
# the static files nginx serves, then t/browser/swagger.cjs (playwright-core
# from the npm registry, pinned and cached in the run folder; Debian's
# chromium) lists the operations, authorises with a token and runs
# GET /handlers with "Try it out".  The token goes through the
# environment and is never printed.
. "$(dirname "$0")/lib.sh"

CACHE=$(dirname "$TASKER_RUN")/cache
PW_VERSION=1.65.1
MODS=$CACHE/playwright-core-$PW_VERSION/node_modules

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

case_begin "playwright-core $PW_VERSION is installed from the npm registry (cached)"
if [ ! -f "$MODS/playwright-core/package.json" ]; then
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm install \
	    --prefix "$CACHE/playwright-core-$PW_VERSION" --cache "$CACHE/npm" \
	    --no-audit --no-fund --ignore-scripts --loglevel=error \
	    "playwright-core@$PW_VERSION" >"$T_TMP/npm.log" 2>&1 ||
	    fail "npm install: $(tail -5 "$T_TMP/npm.log")"
fi
expect_eq "$(jq -r .version "$MODS/playwright-core/package.json" 2>/dev/null)" "$PW_VERSION" "installed version"
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium (Debian package chromium)"

# The browser's own results become cases here, numbered with the rest.
out=$(TASKER_TOKEN=$(token tasker.handler:index) TASKER_NODE_MODULES=$MODS \
    TASKER_SCREENSHOT=$TASKER_RUN/swagger-ui.png \
    timeout 180 node "$TASKER_ROOT/t/browser/swagger.cjs" 2>&1)
while IFS= read -r l; do
	case "$l" in
	"ok "*)     case_begin "browser: ${l#ok * - }" ;;
	"not ok "*) case_begin "browser: ${l#not ok * - }"; fail "failed in Chromium" ;;
	"#"*)       [ -n "$T_CASE" ] && echo "$l" ;;
	esac
done <<<"$out"
echo "$out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$' || {
	case_begin "browser: the session ended with a result line"
	fail "$(echo "$out" | tail -3)"
}
finish
