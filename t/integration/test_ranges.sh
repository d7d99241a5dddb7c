#!/usr/bin/env bash
# test_ranges.sh - semver ranges in GET /handlers/{ns}/{name}?version= and
# POST /tasks "version", through nginx -> tasker-fcgi -> MariaDB: the
# highest satisfying version is chosen and named in the answer, npm's
# pre-release rule holds, an unsatisfiable range is 404 HandlerNotFound
# naming the range, a malformed one is refused in the error format.
# The answers are node-semver's (maxSatisfying over the versions below);
# t/unit/test_semver_range.c has the package's own tables.
. "$(dirname "$0")/lib.sh"

AUTH=$(token tasker.handler:show tasker.handler:index tasker.task:create \
    tasker.task:show)
VERSIONS='0.3.1 1.0.0 1.2.3 1.2.4-rc.1 1.2.4 1.3.0 2.0.0-beta.1 2.0.0 2.1.0 2.1.7 3.0.0-rc.1'

case_begin "setup: one handler in eleven versions"
mkdir -p "$T_TMP/r"
files=()
for v in $VERSIONS; do
	cat > "$T_TMP/r/$v.yaml" <<-YAML
	name: ranged
	namespace_name: it_ranges
	version: $v
	description: Loaded by the ranges test
	step_templates:
	  - name: only_step
	    handler_class: It::Only
	YAML
	files+=("$T_TMP/r/$v.yaml")
done
out=$($TASKER_ADMIN handlers load "${files[@]}" 2>&1) || fail "load: $out"
sleep 1.3   # the catalog's refresh interval

# show RANGE: GET the handler with ?version=RANGE (URL-encoded).
show() {
	req GET /handlers/it_ranges/ranged -G --data-urlencode "version=$1"
}

case_begin "GET with a range answers the highest satisfying version"
while IFS=';' read -r range want; do
	show "$range"
	expect_status 200
	expect_jq '.version' "\"$want\""
done <<'TABLE'
^2.1;2.1.7
^2;2.1.7
~2.1.3;2.1.7
~2.1;2.1.7
~1.2.3;1.2.4
^1.2.3;1.3.0
^0.3;0.3.1
>=2.0.0 <3.0.0;2.1.7
>=1.0.0 <2.1.0;2.0.0
2.x;2.1.7
1.2.x;1.2.4
1;1.3.0
*;2.1.7
1.0.0 - 1.2.3;1.2.3
1.0 - 1.2;1.2.4
<1.2.4;1.2.3
<=1.2.4;1.2.4
>2.1.0;2.1.7
^0.3 || ^1.2;1.3.0
0.3.1 || 2.0.0;2.0.0
=1.2.3;1.2.3
v2.1.0;2.1.0
TABLE

case_begin "pre-releases: only when the range names one on the same major.minor.patch"
while IFS=';' read -r range want; do
	show "$range"
	expect_status 200
	expect_jq '.version' "\"$want\""
done <<'TABLE'
>=1.2.4-rc.0 <1.2.4;1.2.4-rc.1
^2.0.0-beta.0;2.1.7
>=2.0.0-beta.0 <2.0.0;2.0.0-beta.1
>=3.0.0-rc.0;3.0.0-rc.1
TABLE
show '>=2.2.0'    # 3.0.0-rc.1 is higher, but a pre-release of 3.0.0
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND \
    "Handler 'ranged' not found in namespace 'it_ranges' version '>=2.2.0'"

case_begin "exact versions keep their meaning, pre-releases included"
for v in 1.2.4-rc.1 2.0.0-beta.1 3.0.0-rc.1 2.1.0; do
	show "$v"
	expect_status 200
	expect_jq '.version' "\"$v\""
done
req GET /handlers/it_ranges/ranged
expect_jq '.version' '"2.1.7"'

case_begin "an unsatisfiable range is 404 HandlerNotFound naming the range"
show '^4.0'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND \
    "Handler 'ranged' not found in namespace 'it_ranges' version '^4.0'"
show '<0.1.0 || >=9'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND \
    "Handler 'ranged' not found in namespace 'it_ranges' version '<0.1.0 || >=9'"

case_begin "a malformed range is 400 with details.version, and changes nothing"
for r in '1.x.5' '^' '>=1.0.0 -' '1 | 2' '~>' 'x.1' '01.2' "$(printf '1.2.3\t|')" \
    "$(printf '^1 %.0s' $(seq 1 20))" "$(printf '1%.0s' $(seq 1 300))"; do
	show "$r"
	expect_error 400 BadRequest BAD_REQUEST 'Invalid request parameters'
	expect_jq '.error.details' '{"version":["must be a valid semantic version"]}'
done

case_begin "POST /tasks with a range runs the version chosen, and says which"
before=$(sql "SELECT COUNT(*) FROM tasks WHERE namespace = 'it_ranges'")
req POST /tasks -H 'Content-Type: application/json' \
    -d '{"name":"ranged","namespace":"it_ranges","version":"^1.2","context":{}}'
expect_status 201
expect_jq '.version' '"1.3.0"'
expect_eq "$(sql "SELECT version FROM tasks WHERE namespace = 'it_ranges' ORDER BY id DESC LIMIT 1")" 1.3.0 "stored version"
req POST /tasks -H 'Content-Type: application/json' \
    -d '{"name":"ranged","namespace":"it_ranges","version":">=1.2.4-rc.0 <1.2.4","context":{}}'
expect_status 201
expect_jq '.version' '"1.2.4-rc.1"'
req POST /tasks -H 'Content-Type: application/json' \
    -d '{"name":"ranged","namespace":"it_ranges","version":"~5","context":{}}'
expect_error 404 HandlerNotFound HANDLER_NOT_FOUND \
    "Handler 'ranged' not found in namespace 'it_ranges' version '~5'"
req POST /tasks -H 'Content-Type: application/json' \
    -d '{"name":"ranged","namespace":"it_ranges","version":"^1.x.2","context":{}}'
expect_status 422
expect_jq '.error.details' '{"version":["must be a valid semantic version"]}'
expect_eq "$(sql "SELECT COUNT(*) FROM tasks WHERE namespace = 'it_ranges'")" \
    $((before + 2)) "tasks created"

finish
