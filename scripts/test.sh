#!/usr/bin/env bash
# The whole test suite, as a new user and CI run it: starts what the tests need on
# loopback, then runs every unit, integration and doc test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/services.sh

ensure_rust
ensure_build_tools
ensure_postgres
ensure_mariadb
start_kafka
trap 'stop_hdfs; stop_kafka' EXIT
start_hdfs

echo "== cargo test (workspace, all targets)"
cargo test --workspace --all-targets --locked
echo "== cargo test --doc"
cargo test --workspace --doc --locked
