#!/bin/sh
# The long versions of the stress tests: each cache concurrency scenario for
# SECONDS, the cache's crash and corruption scenarios and the in-place rewrite
# of a program that `sealexec run` copies for proportionally many rounds.
# make test runs the short versions.
set -eu
build=${1:?usage: run-stress.sh BUILD_DIR SECONDS}
seconds=${2:-60}
stress="$build/tests/stress/cache-stress"
work=$(mktemp -d "${TMPDIR:-/tmp}/sealexec-stress.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

echo "== Wasmtime reproduction, ${seconds}s"
"$stress" wasmtime "$work/wasmtime" "$seconds"
echo "== 8 processes, mixed put/get/gc, ${seconds}s"
"$stress" mixed "$work/mixed" "$seconds"
echo "== verify and gc beside writers, ${seconds}s"
"$stress" maintenance "$work/maintenance" "$seconds"
rounds=$((seconds * 20))
echo "== kill -9, $rounds rounds"
"$stress" kill9 "$work/kill9" "$rounds"
echo "== byte flips, $rounds rounds"
"$stress" flip "$work/flip" "$rounds"
echo "== statistics: writers, killed folders and a reader, ${seconds}s"
SEALEXEC_STATS_STRESS_SECONDS=$seconds "$build/tests/unit_tests" \
  --gtest_filter=StatsFileTest.FoldsAtOnceWithKilledFoldersLoseAndDoubleNothing
source_dir=$(cd "$(dirname "$0")/.." && pwd)
runs=$((seconds * 5))
echo "== a program rewritten in place while sealexec copies it, $runs runs per mode"
SEALEXEC="$build/src/sealexec" EXAMPLES="$build/examples" FIXTURES="$build/tests/fixtures" \
  SOURCE_DIR="$source_dir" TEST_LIB="$source_dir/tests/integration/lib/common.sh" \
  SEALEXEC_REWRITE_RUNS=$runs sh "$source_dir/tests/integration/run-rewritten-while-copied.sh"
echo "stress: all scenarios held"
