#!/usr/bin/env bash
# The whole test suite, as a new user and CI run it: starts what the tests need on
# loopback (PostgreSQL, MariaDB, Apache Kafka, a Hive metastore), then runs every unit,
# integration and doc test of the workspace. The reliability suite's quick mode
# (connect-cli/tests/reliability) is one of those test targets: it kills and restarts
# this broker and stops the databases, alone, while no other test binary runs
# (cargo runs test binaries one after another); scripts/reliability.sh --full is its long run.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/services.sh

ensure_rust
ensure_build_tools
ensure_postgres
ensure_mariadb
ensure_java_connect
# One EXIT trap stops every service started here (a second `trap … EXIT` would
# replace the first); it is set before the first start so a failed start of the next
# service still stops the ones already running.
trap 'stop_hdfs; stop_hive; stop_kafka' EXIT
start_kafka
start_hive
start_hdfs

echo "== cargo test (workspace, all targets)"
cargo test --workspace --all-targets --locked --no-fail-fast
echo "== connect-jdbc built with one driver each (cargo features postgres, mysql, sqlite)"
for driver in postgres mysql sqlite; do
  cargo test -p connect-jdbc --no-default-features --features "$driver" --lib --locked
done
echo "== cargo test --doc"
cargo test --workspace --doc --locked
echo "== scripts/seed-demo.sh (the JDBC -> Kafka -> HDFS walk-through, MariaDB and PostgreSQL)"
scripts/seed-demo.sh --db mariadb
scripts/seed-demo.sh --db postgres
