#!/usr/bin/env bash
# The reliability suite (connect-cli/tests/reliability): the real connect-standalone
# binary under injected faults (worker SIGKILL loops, the broker killed and restarted
# from its data, databases stopped for 30 s, a full disk, SIGTERM while the broker goes
# away), each scenario counting records sent, received, lost and duplicated. Prints the
# table and keeps it in target/reliability/<mode>.md.
#   scripts/reliability.sh [--quick|--full] [--seed N] [--only NAME[,NAME...]]
# --quick (the default) makes 4 kills per loop and is what scripts/test.sh runs inside
# `cargo test`; --full makes 20 (about 20 minutes). --seed replays a run's kill points;
# --only runs the scenarios whose names contain one of NAME (e.g. jdbc, outage, hdfs).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=quick
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --seed) export CONNECT_RELIABILITY_SEED="$2"; shift ;;
    --only) export CONNECT_RELIABILITY_ONLY="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

. scripts/lib/services.sh
ensure_rust
ensure_build_tools
ensure_postgres
ensure_mariadb
# One EXIT trap for every service started here (see scripts/test.sh).
trap 'stop_hdfs; stop_kafka' EXIT
start_kafka
start_hdfs

mkdir -p target/reliability
export CONNECT_RELIABILITY="$mode"
export CONNECT_RELIABILITY_TABLE="$PWD/target/reliability/$mode.md"
echo "== reliability suite, $mode mode"
cargo test -p connect-cli --test reliability --locked
echo "table kept in $CONNECT_RELIABILITY_TABLE"
