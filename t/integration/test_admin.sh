#!/usr/bin/env bash
# test_admin.sh - tasker-admin against a real MariaDB: migrations on an empty
# database, re-runs, half-applied detection, and handler loading.
. "$(dirname "$0")/lib.sh"

# A scratch database of its own, reached through a copy of the stack config.
DB=tasker_admin_it
sql "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB; GRANT ALL ON $DB.* TO 'tasker'@'localhost';"
CONF=$T_TMP/admin.yaml
sed "s/^  name: tasker$/  name: $DB/" "$TASKER_CONF" > "$CONF"
ADMIN="$TASKER_BUILD/tasker-admin -c $CONF"
dbq() { mariadb --no-defaults -S "$TASKER_DB_SOCKET" -u root -N -B "$DB" -e "$1"; }

case_begin "migrate status on an empty database lists every migration as pending"
out=$($ADMIN migrate status 2>&1) || fail "exit $?: $out"
echo "$out" | grep -q '^pending   0001_initial_schema' || fail "status: $out"

case_begin "migrate applies every migration on an empty database"
out=$($ADMIN migrate 2>&1) || fail "exit $?: $out"
echo "$out" | grep -q 'applied 0001_initial_schema' || fail "output: $out"
n=$(dbq "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$DB' AND table_name IN ('namespaces','handler_versions','tasks','workflow_steps','task_transitions','step_transitions')")
expect_eq "$n" 6 "core tables"
expect_eq "$(dbq 'SELECT COUNT(*) FROM schema_migrations WHERE finished_at IS NOT NULL')" \
    "$(ls "$TASKER_ROOT"/db/migrations/*.sql | wc -l)" "recorded migrations"

case_begin "migrate again changes nothing"
before=$(dbq "SELECT version, finished_at FROM schema_migrations ORDER BY version")
out=$($ADMIN migrate 2>&1) || fail "exit $?: $out"
expect_eq "$out" "schema is up to date" "second run output"
after=$(dbq "SELECT version, finished_at FROM schema_migrations ORDER BY version")
expect_eq "$after" "$before" "schema_migrations rows"

case_begin "migrate status lists applied migrations"
out=$($ADMIN migrate status 2>&1) || fail "exit $?"
echo "$out" | grep -q '^applied   0001_initial_schema' || fail "status: $out"

case_begin "a half-applied migration stops the runner with instructions"
mkdir -p "$T_TMP/mig"
cp "$TASKER_ROOT"/db/migrations/*.sql "$T_TMP/mig/"
printf 'CREATE TABLE it_half_a (x INT);\nCREATE TABLE it_half_b (x INT) ENGINE=NoSuchEngine;\n' > "$T_TMP/mig/0999_it_half.sql"
sed -i "s|^migrations_dir: .*|migrations_dir: $T_TMP/mig|" "$CONF"
out=$($ADMIN migrate 2>&1) && fail "migrate succeeded on a failing migration"
echo "$out" | grep -q 'did not finish' || fail "output: $out"
out=$($ADMIN migrate 2>&1) && fail "second migrate after a half-applied one succeeded"
echo "$out" | grep -q 'migrate repair 999 --applied' || fail "no repair hint: $out"
out=$($ADMIN migrate status 2>&1)
echo "$out" | grep -q '^HALF      0999_it_half' || fail "status: $out"

case_begin "repair --reverted lets the fixed migration run"
dbq "DROP TABLE it_half_a"
out=$($ADMIN migrate repair 999 --reverted 2>&1) || fail "repair: $out"
printf 'CREATE TABLE it_half_a (x INT);\nCREATE TABLE it_half_b (x INT);\n' > "$T_TMP/mig/0999_it_half.sql"
out=$($ADMIN migrate 2>&1) || fail "migrate after repair: $out"
echo "$out" | grep -q 'applied 0999_it_half' || fail "output: $out"
expect_eq "$(dbq "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$DB' AND table_name LIKE 'it_half_%'")" 2 "both tables"

case_begin "repair of a migration that is not half-applied is refused"
out=$($ADMIN migrate repair 999 --applied 2>&1) && fail "repair succeeded"
echo "$out" | grep -q 'not half-applied' || fail "output: $out"

case_begin "the service account has only ALL on its own database"
grants=$(mariadb --no-defaults -S "$TASKER_DB_SOCKET" -u root -N -B -e "SHOW GRANTS FOR 'tasker'@'localhost'")
echo "$grants" | grep -qi 'GRANT ALL PRIVILEGES ON \*\.\*' && fail "global grant: $grants"
echo "$grants" | grep -qiE 'SUPER|FILE' && fail "extra privilege: $grants"

# ---------------------------------------------------------------- handlers

hv_count() { dbq "SELECT COUNT(*) FROM handler_versions"; }
gen() { dbq "SELECT generation FROM registry_generation"; }

case_begin "handlers validate checks the examples without a database"
out=$($TASKER_BUILD/tasker-admin -c "$CONF" handlers validate "$TASKER_ROOT/etc/handlers" 2>&1) || fail "validate: $out"
echo "$out" | grep -q '^ok: 3 namespace(s), 13 handler version(s)' || fail "output: $out"

case_begin "handlers load loads the examples into an empty registry"
out=$($ADMIN handlers load "$TASKER_ROOT/etc/handlers" 2>&1) || fail "load: $out"
echo "$out" | grep -q 'loaded: 13 new handler version(s), 0 unchanged, 3 new namespace(s)' || fail "output: $out"
expect_eq "$(hv_count)" 13 "handler versions"
expect_eq "$(dbq 'SELECT name FROM namespaces ORDER BY id' | tr '\n' ' ')" "payments inventory notifications " "namespaces in declaration order"

case_begin "loading the same files again is a no-op"
g=$(gen)
out=$($ADMIN handlers load "$TASKER_ROOT/etc/handlers" 2>&1) || fail "load: $out"
echo "$out" | grep -q 'loaded: 0 new handler version(s), 13 unchanged, 0 new namespace(s), 0 namespace description(s) updated' || fail "output: $out"
expect_eq "$(hv_count)" 13 "handler versions"
expect_eq "$(gen)" "$g" "registry generation"

case_begin "handlers list shows the guide's namespaces and handlers"
out=$($ADMIN handlers list 2>&1) || fail "list: $out"
for w in 'payments  (Payment processing workflows)' 'process_payment          2.1.0' \
    'refund_payment           1.5.0' 'inventory  (Inventory management workflows)' \
    'notifications  (Notification and messaging workflows)' 'alert_admin'; do
	echo "$out" | grep -qF "$w" || fail "list lacks '$w'"
done

case_begin "a changed version is refused, showing what differs; nothing is written"
mkdir -p "$T_TMP/conflict"
sed 's/default_retry_limit: 3/default_retry_limit: 7/' \
    "$TASKER_ROOT/etc/handlers/payments-1-process_payment.yaml" > "$T_TMP/conflict/pp.yaml"
cmp -s "$T_TMP/conflict/pp.yaml" "$TASKER_ROOT/etc/handlers/payments-1-process_payment.yaml" &&
    fail "fixture did not change"
cat > "$T_TMP/conflict/new.yaml" <<'YAML'
name: brand_new
namespace_name: payments
version: 1.0.0
step_templates:
  - name: only
YAML
before=$(dbq "SELECT COUNT(*), MAX(id) FROM handler_versions")
out=$($ADMIN handlers load "$T_TMP/conflict" 2>&1) && fail "conflicting load succeeded"
echo "$out" | grep -q 'payments.process_payment@2.1.0 is already loaded with different content' || fail "output: $out"
echo "$out" | grep -q 'default_retry_limit: 3 -> 7' || fail "no difference shown: $out"
expect_eq "$(dbq "SELECT COUNT(*), MAX(id) FROM handler_versions")" "$before" "rows after a refused load"
expect_eq "$(dbq "SELECT COUNT(*) FROM handler_versions WHERE name='brand_new'")" 0 "the good file of a refused load"

case_begin "one bad file among good ones: nothing is written"
mkdir -p "$T_TMP/mixed"
cp "$T_TMP/conflict/new.yaml" "$T_TMP/mixed/a.yaml"
cat > "$T_TMP/mixed/b.yaml" <<'YAML'
name: broken
namespace_name: payments
version: 1.0.0
step_templates:
  - name: one
    depends_on_step: missing_step
YAML
out=$($ADMIN handlers load "$T_TMP/mixed" 2>&1) && fail "load with a bad file succeeded"
echo "$out" | grep -q "b.yaml:[0-9]*: .*depends_on_step" || fail "error does not name file and key: $out"
expect_eq "$(dbq "SELECT COUNT(*) FROM handler_versions WHERE name IN ('brand_new','broken')")" 0 "rows"

case_begin "config check accepts a good file and names file, line and key of a bad one"
out=$($TASKER_BUILD/tasker-admin config check "$CONF" 2>&1) || fail "good config: $out"
printf 'api:\n  max_per_page: 5000\n  bogus: 1\n' > "$T_TMP/bad.yaml"
out=$($TASKER_BUILD/tasker-admin config check "$T_TMP/bad.yaml" 2>&1) && fail "bad config accepted"
echo "$out" | grep -q "bad.yaml:2: api.max_per_page" || fail "no line/key: $out"
echo "$out" | grep -q "bad.yaml:3: api.bogus" || fail "unknown key not reported: $out"

sql "DROP DATABASE IF EXISTS $DB"
finish
