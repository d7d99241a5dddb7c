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

sql "DROP DATABASE IF EXISTS $DB"
finish
