#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for SECONDS each (default 60), with the nightly
# toolchain and AddressSanitizer, installing cargo-fuzz first when it is missing. Each
# target starts from its committed seeds (fuzz/seeds/<target>) and keeps what it finds in
# fuzz/corpus/<target>; a crash leaves its input in fuzz/artifacts/<target>/ and makes
# the script fail once every target has run. Prints runs and execs/s per target.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

seconds="${1:-60}"
case "$seconds" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

ensure_rust
ensure_build_tools
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
# fuzz/ is its own workspace with its own target directory (fuzz/target).
unset CARGO_TARGET_DIR

cargo +nightly fuzz build >&2
summary=()
failed=()
for target in $(cargo +nightly fuzz list); do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  dirs=("$corpus")
  [ -d "fuzz/seeds/$target" ] && dirs+=("fuzz/seeds/$target")
  log="fuzz/artifacts/$target.log"
  echo "== $target: ${seconds}s" >&2
  # No leak detection: the converters' schema caches keep what they learn by design, and
  # LeakSanitizer scanning the heap after each input that grew them costs 90 % of the time.
  if cargo +nightly fuzz run "$target" "${dirs[@]}" -- \
      -max_total_time="$seconds" -timeout=10 -detect_leaks=0 -print_final_stats=1 >"$log" 2>&1; then
    outcome="ok"
  else
    outcome="FAILED (see $log and fuzz/artifacts/$target/)"
    failed+=("$target")
    tail -n 40 "$log" >&2
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  summary+=("$(printf '%-22s %12s runs %8s execs/s  %s' "$target" "${runs:-?}" "${rate:-?}" "$outcome")")
done

printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]}" >&2
  exit 1
fi
