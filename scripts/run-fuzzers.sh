#!/bin/sh
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from the
# committed seed corpus (tests/fuzz/corpus/<name>) plus what earlier runs
# found (kept in BUILD_DIR/fuzz-corpus, never committed automatically).
set -eu
build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)

status=0
for fuzzer in "$build"/tests/fuzz/*_fuzzer; do
  name=$(basename "$fuzzer" _fuzzer)
  work="$build/fuzz-corpus/$name"
  mkdir -p "$work" "$build/fuzz-artifacts"
  echo "== fuzzing $name for ${seconds}s"
  if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$build/fuzz-artifacts/$name-" -print_final_stats=1 \
      "$work" "$root/tests/fuzz/corpus/$name" >"$build/fuzz-$name.log" 2>&1; then
    echo "FAILED: $name found a crash; see $build/fuzz-$name.log and $build/fuzz-artifacts/" >&2
    tail -40 "$build/fuzz-$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-$name.log" || true
  fi
done
exit $status
