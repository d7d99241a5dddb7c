#!/usr/bin/env bash
# test_install.sh - what `make install` puts down works as installed: the
# annotated tasker.yaml passes `config check` once its secrets exist (the
# only step it asks of the operator), the example handlers validate, and
# an example step runs from worker.work_dir as the worker would start it
# (before, work_dir: ~ made every example's relative command fail).
# Installs the stack's build into a scratch prefix (make install
# prefix=...: nothing is rebuilt); the stack itself is not used.
. "$(dirname "$0")/lib.sh"

P=$T_TMP/inst

case_begin "make install prefix=... puts down tasker.yaml with work_dir set to pkgdatadir"
make -s -C "$TASKER_BUILD" install prefix="$P" >"$T_TMP/install.log" 2>&1 ||
    fail "make install: $(tail -5 "$T_TMP/install.log")"
CONF=$P/etc/tasker.yaml
[ -f "$CONF" ] || fail "$CONF missing"
expect_eq "$(sed -n 's/^  work_dir: //p' "$CONF")" "$P/share/tasker" "worker.work_dir"
# The rest of the file is the annotated example, as shipped.
expect_eq "$(diff "$TASKER_ROOT/etc/tasker.yaml" "$CONF" | grep -c '^[<>]')" 2 \
    "lines that differ from etc/tasker.yaml"

case_begin "config check passes on the installed tasker.yaml once its secrets exist"
mkdir -p "$P/etc/secrets"
printf 'db-secret' >"$P/etc/secrets/db.password"
openssl rand -base64 48 | tr -d '\n' >"$P/etc/secrets/jwt.secret"
out=$("$P/bin/tasker-admin" -c "$CONF" config check 2>&1) ||
    fail "config check: $out"
expect_eq "$out" "$CONF: ok" "config check"

case_begin "the installed example handlers validate"
out=$("$P/bin/tasker-admin" -c "$CONF" handlers validate "$P/share/tasker/handlers" 2>&1) ||
    fail "handlers validate: $out"
case "$out" in
ok:*) ;;
*) fail "handlers validate: $out" ;;
esac

case_begin "an example step's command runs from the installed work_dir"
# payments.validate_card's first step, as the worker starts it: cwd
# work_dir, the stdin document, exit 0 and one JSON object on stdout.
cmd=$(sed -n 's/^ *command: \[\(contrib\/examples\/[a-z]*\.sh\).*/\1/p' \
    "$P/share/tasker/handlers/payments-3-validate_card.yaml" | head -1)
[ -n "$cmd" ] || fail "no contrib/examples command in payments-3-validate_card.yaml"
out=$(cd "$P/share/tasker" && echo '{"task":{},"step":{},"parents":{}}' |
    env -i PATH=/usr/bin:/bin "$cmd" 2>&1) || fail "$cmd: exit $?: $out"
expect_eq "$(printf '%s' "$out" | jq -c 'type' 2>&1)" '"object"' "$cmd output"

case_begin "make install puts every file of the operator console into pkgdatadir/console"
for f in "$TASKER_ROOT"/contrib/console/*.html "$TASKER_ROOT"/contrib/console/*.css \
    "$TASKER_ROOT"/contrib/console/*.svg "$TASKER_ROOT"/contrib/console/*.js; do
	cmp -s "$f" "$P/share/tasker/console/${f##*/}" ||
	    fail "console/${f##*/} is not installed as in contrib/console"
done

case_begin "make uninstall removes tasker.yaml again"
make -s -C "$TASKER_BUILD" uninstall prefix="$P" >>"$T_TMP/install.log" 2>&1 ||
    fail "make uninstall: $(tail -5 "$T_TMP/install.log")"
[ -e "$CONF" ] && fail "$CONF still there"

finish
