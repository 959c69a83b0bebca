#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft) on loopback for development, the same one the
# tests use: resolves its jars the first time (scripts/lib/kafka/pom.xml), formats a fresh
# data directory, prints the bootstrap address and runs until Ctrl-C.
#   scripts/kafka.sh [PORT]      (a free port when none is given)
# Environment: CONNECT_KAFKA_VERSION (default in scripts/lib/services.sh), CONNECT_CACHE,
# CONNECT_KAFKA_JVM_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/services.sh

export CONNECT_KAFKA_KEEP="${CONNECT_KAFKA_KEEP:-1}"
trap stop_kafka EXIT
trap 'exit 130' INT TERM
start_kafka "${1:-}"

cat <<MSG
Apache Kafka $KAFKA_VERSION is running (pid $KAFKA_PID).
  bootstrap.servers=$CONNECT_TEST_BOOTSTRAP
  data:  $CONNECT_TEST_KAFKA_DIR/data
  log:   $CONNECT_TEST_KAFKA_DIR/logs/server.log
Ctrl-C stops it (the data directory is kept).
MSG
if wait "$KAFKA_PID"; then rc=0; else rc=$?; fi
echo "Kafka exited on its own (status $rc); see $CONNECT_TEST_KAFKA_DIR/logs" >&2
exit 1
