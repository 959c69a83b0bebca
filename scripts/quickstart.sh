#!/usr/bin/env bash
# The main job, on a fresh machine: builds the worker, writes a sample input file, and
# runs a standalone worker (config/connect-standalone.properties, with no broker
# configured, so an embedded in-memory one starts) copying it file → Kafka → file with
# config/connect-file-source.properties and config/connect-file-sink.properties.
# It prints where the output is once every line arrived, then keeps following the input
# until Ctrl-C. `--once` stops the worker after the copy (CI uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

once=0
[ "${1:-}" = "--once" ] && once=1

ensure_rust
ensure_build_tools
cargo build --release --locked -p connect-cli --bin connect-standalone >&2

work="$PWD/target/quickstart"
mkdir -p "$work"
if [ ! -s "$work/test.txt" ]; then
  for i in $(seq 1 1000); do echo "line $i: hello from Kafka Connect for Rust"; done > "$work/test.txt"
fi
rm -f "$work/test.sink.txt" "$work/connect.offsets" "$work/connect.offsets.connectors.json"
# The sample configs use relative file names and /tmp offsets, as Kafka's do; run from
# the work directory and keep this run's offsets there.
sed -e "s#^offset.storage.file.filename=.*#offset.storage.file.filename=$work/connect.offsets#" \
    -e "s#^listeners=.*#listeners=http://127.0.0.1:${CONNECT_REST_PORT:-8083}#" \
    config/connect-standalone.properties > "$work/worker.properties"

( cd "$work" && exec "$OLDPWD/target/release/connect-standalone" worker.properties \
    "$OLDPWD/config/connect-file-source.properties" "$OLDPWD/config/connect-file-sink.properties" ) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM

want=$(wc -l < "$work/test.txt")
for _ in $(seq 1 600); do
  have=$( [ -f "$work/test.sink.txt" ] && wc -l < "$work/test.sink.txt" || echo 0)
  [ "$have" -ge "$want" ] && break
  kill -0 $pid 2>/dev/null || { echo "the worker exited early" >&2; exit 1; }
  sleep 0.2
done
if ! cmp -s "$work/test.txt" "$work/test.sink.txt"; then
  echo "copy incomplete: $have of $want lines in $work/test.sink.txt" >&2
  exit 1
fi
echo "Copied $want lines: $work/test.txt -> Kafka topic connect-test -> $work/test.sink.txt"
echo "REST API: http://127.0.0.1:${CONNECT_REST_PORT:-8083}/connectors"
if [ $once -eq 1 ]; then
  exit 0
fi
echo "Append lines to $work/test.txt to see them copied; Ctrl-C to stop."
wait $pid
