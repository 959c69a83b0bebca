#!/usr/bin/env bash
# The side-by-side performance harness: builds the release binaries, installs kcat if
# missing, and runs benches' `pipeline` harness, which prints one line per figure and
# writes benches/results/latest.json and latest.md.
#
#   scripts/bench.sh                 # default size (scale 0.25 of the issue's sizes), 3 pairs
#   scripts/bench.sh --scale 1       # the issue's full sizes (2 M × 100 B, 500 k × 1 KB)
#   scripts/bench.sh --only B1,B9    # a subset; also --pairs N, --latency-secs S
#   scripts/bench.sh --broker mock   # on librdkafka's mock cluster, without Java Kafka Connect
#   BENCH_MICRO=1 scripts/bench.sh   # also run the criterion micro-benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh
# B5/B6 read and write PostgreSQL (started, or installed and started, when missing).
ensure_postgres
export BENCH_POSTGRES_URL="$CONNECT_TEST_POSTGRES_URL"
# Every side of every figure (kcat and the raw loops, ours, Java Kafka Connect) talks to one
# Apache Kafka broker, started here with kafka-server-start.sh's heap and GC settings; Java's
# worker cannot start on librdkafka's mock cluster. `--broker mock` runs on the mock cluster
# instead, without the Java column.
if [[ " $* " != *" --broker mock "* ]]; then
    ensure_java_connect
    export CONNECT_KAFKA_JVM_OPTS="${CONNECT_KAFKA_JVM_OPTS:--Xms1G -Xmx1G -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35}"
    trap stop_kafka EXIT
    start_kafka
    export BENCH_KAFKA_BOOTSTRAP="$CONNECT_TEST_BOOTSTRAP"
    export BENCH_KAFKA_VERSION="$KAFKA_VERSION"
    export BENCH_JAVA_CONNECT_CP="$CONNECT_TEST_JAVA_CONNECT_CP"
    export BENCH_JAVA_CONNECT_VERSION="$JAVA_CONNECT_VERSION"
    export BENCH_JAVA_LOG4J="$CONNECT_TEST_JAVA_LOG4J"
fi

if ! command -v kcat >/dev/null 2>&1; then
    echo "bench.sh: installing kcat (Debian package)" >&2
    if ! apt-get install -y kcat >/dev/null 2>&1; then
        apt-get update >/dev/null
        apt-get install -y kcat >/dev/null
    fi
fi

cargo build --release -p connect-cli -p benches --bins

target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
target_dir="${target_dir:-target}"

# Debian's kcat links librdkafka 2.0.2, which does not know every consumer setting the
# runtime uses (fetch.queue.backoff.ms came later), and the baselines get exactly those
# settings. kcat's consumers therefore run on the librdkafka.so.1 that the rdkafka-sys build
# produces, the same librdkafka as ours; kcat -P stays on 2.0.2 (see clients.rs in the
# pipeline harness for why). The harness prints the versions and fails early, naming the
# key, if a kcat cannot take a setting.
if [[ -z "${BENCH_KCAT_CONSUMER_LD_LIBRARY_PATH:-}" ]]; then
    lib="$(find "$target_dir/release/build" -path '*rdkafka-sys-*/out/*' -name 'librdkafka.so.1' 2>/dev/null | head -n1)"
    if [[ -n "$lib" ]]; then
        export BENCH_KCAT_CONSUMER_LD_LIBRARY_PATH="$(cd "$(dirname "$lib")" && pwd)"
    fi
fi

"$target_dir/release/pipeline" "$@"

if [[ "${BENCH_MICRO:-0}" == "1" ]]; then
    cargo bench -p benches
fi
