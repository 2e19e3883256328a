#!/usr/bin/env bash
# Times the hot paths of two sealexec CLIs in the same run, interleaved (run
# 1 of every command, then run 2, ...), so that drift on a shared machine
# hits both alike: `run` of a small program (default policy and
# --policy=off) and of a shell script, warm C and C++ scripts, and a 4 KiB
# cache hit (get and exec). Each CLI keeps its own cache, in the format it writes. Prints a
# Markdown table of medians and NEW/OLD ratios.
#
#   bench/compare-builds.sh OLD_SEALEXEC NEW_SEALEXEC BUILD_DIR [RUNS]
#
# BUILD_DIR supplies the interleaved timer and examples/hello (make build).
# No timing is asserted: this measures, it does not judge.
set -eu
[ $# -ge 3 ] || { echo "usage: $0 OLD_SEALEXEC NEW_SEALEXEC BUILD_DIR [RUNS]" >&2; exit 2; }
OLD=$(realpath "$1")
NEW=$(realpath "$2")
BUILD=$(cd "$3" && pwd)
RUNS=${4:-1000}
BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
TIMER=$BUILD/bench/interleaved-timer
HELLO=$BUILD/examples/hello
ENV=$(command -v env)
for file in "$OLD" "$NEW" "$TIMER" "$HELLO"; do
  [ -x "$file" ] || { echo "$0: $file is not an executable (make build first)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealexec-compare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$BENCH_SRC/scripts/hello.c" "$BENCH_SRC/scripts/hello.cpp" "$WORK/"
head -c 4096 /dev/urandom >"$WORK/blob"
cp "$HELLO" "$WORK/hello-program"
cp "$BENCH_SRC/../examples/hello.sh" "$WORK/hello.sh"

commands=()
for side in old new; do
  cli=$OLD
  [ "$side" = new ] && cli=$NEW
  cache=$WORK/cache-$side
  "$cli" cache --dir "$cache" put blob "$WORK/blob"
  "$cli" cache --dir "$cache" put hello "$WORK/hello-program"
  for script in hello.c hello.cpp; do
    "$ENV" SEALEXEC_CACHE_DIR="$cache" "$cli" "$WORK/$script" >/dev/null
  done
  commands+=("$side: run hello" "$cli run $HELLO"
             "$side: run --policy=off hello" "$cli run --policy=off $HELLO"
             "$side: run hello.sh" "$cli run $WORK/hello.sh"
             "$side: hello.c warm" "$ENV SEALEXEC_CACHE_DIR=$cache $cli $WORK/hello.c"
             "$side: hello.cpp warm" "$ENV SEALEXEC_CACHE_DIR=$cache $cli $WORK/hello.cpp"
             "$side: cache get 4 KiB" "$cli cache --dir $cache get blob"
             "$side: cache exec hello" "$cli cache --dir $cache exec hello")
done
"$TIMER" "$RUNS" "$WORK/times.json" "${commands[@]}" >&2
python3 - "$WORK/times.json" "$OLD" "$NEW" "$RUNS" <<'PY'
import json, statistics, sys
results = {r["name"]: r["times"] for r in json.load(open(sys.argv[1]))["results"]}
print(f"OLD = {sys.argv[2]}  \nNEW = {sys.argv[3]}  \n{sys.argv[4]} interleaved runs each\n")
print("| case | old median (ms) | new median (ms) | new / old |")
print("|---|---|---|---|")
for name in [n[len("old: "):] for n in results if n.startswith("old: ")]:
    old = statistics.median(results["old: " + name]) * 1e3
    new = statistics.median(results["new: " + name]) * 1e3
    print(f"| {name} | {old:.3f} | {new:.3f} | {new / old:.3f} |")
PY
