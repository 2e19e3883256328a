#!/usr/bin/env bash
# Runs every sealexec benchmark against its baseline, in the same run, and
# writes BUILD_DIR/bench/results.md (also printed at the end), with a chart
# per section beside it (chart-startup.png, chart-images.png, chart-cache.png,
# chart-scripts.png, chart-large.png, chart-check.png, chart-remote.png;
# drawn by gnuplot, Debian gnuplot-nox, from the very figures of results.md;
# skipped with a one-line note when gnuplot is not installed).
#
#   bench/run-benchmarks.sh BUILD_DIR
#
# Environment knobs (defaults in brackets):
#   BENCH_WARMUP     hyperfine warm-up runs per command [50]
#   BENCH_MIN_RUNS   hyperfine minimum runs per command [300]; hyperfine also
#                    keeps going for at least 3 s per command, so fast commands
#                    get a few thousand runs and python3 gets this many
#   BENCH_GB_REPS    Google Benchmark repetitions [5]
#   BENCH_ONLY       "remote": run only section 5, the remote tier (the same
#                    as bench/run-remote.sh BUILD_DIR, whose header lists its
#                    own knobs); "large": run only section 4b, large programs
#                    (a generated 100 MiB hello, and node or clangd) with the
#                    memory tier off and on (the same as bench/run-large.sh
#                    BUILD_DIR, whose header lists its own knobs:
#                    BENCH_LARGE_RUNS, BENCH_LARGE_WARMUP). Either writes its
#                    own results-remote.md / results-large.md and chart. []
#   BENCH_INTERLEAVED_RUNS  rounds of the interleaved start-up timer [3000]
#   BENCH_SCRIPT_RUNS       rounds of the warm-script timer [1000]
#   BENCH_COLD_RUNS         rounds of the cold-script timer [30]
#   BENCH_CHECK_TREE        the tree of the check rows [/usr/lib/x86_64-linux-gnu]
#
# No timing is asserted anywhere: the report marks each target MET or MISSED.
set -eu

die() {
  echo "run-benchmarks.sh: $*" >&2
  exit 1
}

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
BUILD=$1
BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
case ${BENCH_ONLY:-} in
  '') ;;
  remote) exec "$BENCH_SRC/run-remote.sh" "$BUILD" ;;
  large) exec "$BENCH_SRC/run-large.sh" "$BUILD" ;;
  *) die "BENCH_ONLY=$BENCH_ONLY: the sections that run alone are 'remote' and 'large'" ;;
esac
WARMUP=${BENCH_WARMUP:-50}
MIN_RUNS=${BENCH_MIN_RUNS:-300}
GB_REPS=${BENCH_GB_REPS:-5}

for tool in cmake hyperfine python3 uname nproc date scanelf checksec cc c++ tcc ccache \
  redis-server redis-cli redis-benchmark; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' is not installed (make deps installs it)"
done
# nginx is in /usr/sbin, which a user's PATH may lack; section 5 needs it.
[ -x "$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)" ] ||
  die "required tool 'nginx' is not installed (make deps installs it)"
[ -f "$BUILD/CMakeCache.txt" ] || die "$BUILD is not a configured build directory (run make build first)"
grep -q '^SEALEXEC_BENCHMARKS:BOOL=ON' "$BUILD/CMakeCache.txt" ||
  die "$BUILD was configured with SEALEXEC_BENCHMARKS=OFF; reconfigure with -DSEALEXEC_BENCHMARKS=ON"
BUILD=$(cd "$BUILD" && pwd)

cmake --build "$BUILD" --target sealexec_cli sealexec-dynamic minimal-runner \
  minimal-runner-static bench_spawn bench_image bench_cache hello hello-static interleaved-timer \
  sealexec_remote_http bench_remote

SEALEXEC=$BUILD/src/sealexec
SEALEXEC_DYNAMIC=$BUILD/bench/sealexec-dynamic
RUNNER=$BUILD/bench/minimal-runner
RUNNER_STATIC=$BUILD/bench/minimal-runner-static
HELLO=$BUILD/examples/hello
# The interpreter itself, not a wrapper such as a pyenv shim, which would
# add its own start-up to every run.
PYTHON3=$(python3 -c 'import sys; print(sys.executable)')
for file in "$SEALEXEC" "$SEALEXEC_DYNAMIC" "$RUNNER" "$RUNNER_STATIC" "$HELLO" \
  "$BUILD/bench/bench_spawn" "$BUILD/bench/bench_image" "$BUILD/bench/bench_cache"; do
  [ -x "$file" ] || die "$file was not built"
done
case "$BUILD$BENCH_SRC$PYTHON3" in
  *[[:space:]]*) die "paths with white space are not supported (hyperfine -N splits commands)" ;;
esac
# Each command must work before it is timed.
for cmd in "$SEALEXEC run $HELLO" "$HELLO" "$RUNNER $HELLO" "$RUNNER_STATIC $HELLO" \
  "$SEALEXEC_DYNAMIC run $HELLO" "$PYTHON3 $BENCH_SRC/python_runner.py $HELLO"; do
  $cmd >/dev/null || die "'$cmd' failed"
done

OUT=$BUILD/bench
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealexec-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. Start-up of a whole program run, warm, no shell. hyperfine 1.15 sends
#    the commands' output to /dev/null unless --show-output is given.
COMMANDS=$OUT/commands.tsv
{
  printf 'sealexec run\t%s run %s\n' "$SEALEXEC" "$HELLO"
  printf 'sealexec run --policy=off\t%s run --policy=off %s\n' "$SEALEXEC" "$HELLO"
  printf 'hello (direct)\t%s\n' "$HELLO"
  printf 'minimal-runner\t%s %s\n' "$RUNNER" "$HELLO"
  printf 'minimal-runner-static\t%s %s\n' "$RUNNER_STATIC" "$HELLO"
  printf 'sealexec-dynamic run\t%s run %s\n' "$SEALEXEC_DYNAMIC" "$HELLO"
  printf 'python_runner.py\t%s %s/python_runner.py %s\n' "$PYTHON3" "$BENCH_SRC" "$HELLO"
} >"$COMMANDS"
set --
while IFS="$(printf '\t')" read -r name cmd; do
  set -- "$@" --command-name "$name" "$cmd"
done <"$COMMANDS"
echo "== hyperfine: start-up (warm-up $WARMUP, at least $MIN_RUNS runs and 3 s per command)"
hyperfine -N --style basic --warmup "$WARMUP" --min-runs "$MIN_RUNS" \
  --export-json "$OUT/hyperfine.json" --export-markdown "$OUT/hyperfine.md" "$@"

# 1b. The same commands interleaved run by run, so that drift in the
#     machine's speed hits all of them alike; the start-up targets use these.
INTERLEAVED_RUNS=${BENCH_INTERLEAVED_RUNS:-3000}
set --
while IFS="$(printf '\t')" read -r name cmd; do
  case $name in python_runner.py) continue ;; esac # 30 ms a run: hyperfine has it
  set -- "$@" "$name" "$cmd"
done <"$COMMANDS"
INTERLEAVED_CMD="$BUILD/bench/interleaved-timer $INTERLEAVED_RUNS $OUT/interleaved.json"
echo "== $INTERLEAVED_CMD NAME COMMAND ..."
$INTERLEAVED_CMD "$@"

# 2. Spawning from an existing image, and making images.
GB_FLAGS="--benchmark_repetitions=$GB_REPS --benchmark_report_aggregates_only=true --benchmark_out_format=json"
SPAWN_CMD="$BUILD/bench/bench_spawn $GB_FLAGS --benchmark_out=$OUT/bench_spawn.json"
IMAGE_CMD="$BUILD/bench/bench_image $GB_FLAGS --benchmark_out=$OUT/bench_image.json"
echo "== $SPAWN_CMD"
$SPAWN_CMD
echo "== TMPDIR=$WORK $IMAGE_CMD"
TMPDIR=$WORK $IMAGE_CMD

# 2b. The cache: hits against open + sendfile, puts against write + fsync +
#     rename, compression, gc over 100,000 entries, 8 processes at once. Its
#     scratch caches live in $WORK, on the same file system as a user's
#     ~/.cache would usually be.
CACHE_CMD="$BUILD/bench/bench_cache $GB_FLAGS --benchmark_out=$OUT/bench_cache.json"
echo "== TMPDIR=$WORK $CACHE_CMD"
TMPDIR=$WORK $CACHE_CMD

# 3. sealexec check against its peers. scanelf over the same tree, warm;
#    checksec (a shell script, ~10 files a second) over a small copy of
#    /usr/bin; and memory for a small and a large tree.
CHECK_TREE=${BENCH_CHECK_TREE:-/usr/lib/x86_64-linux-gnu}
CHECK_CMD="$SEALEXEC check -R $CHECK_TREE --json"
SCANELF_CMD="scanelf -qR -e -t -b $CHECK_TREE"
echo "== hyperfine: check vs scanelf over $CHECK_TREE"
hyperfine -N --style basic --warmup 3 --runs 20 --export-json "$OUT/check.json" \
  --command-name "sealexec check" "$CHECK_CMD" --command-name "scanelf" "$SCANELF_CMD"
# The closures of the same tree, every library judged once; scanelf's scan
# with nothing to print (-qR) is the baseline named by the target.
CHECK_DEPS_CMD="$SEALEXEC check -R --deps $CHECK_TREE --json"
echo "== hyperfine: check --deps vs scanelf over $CHECK_TREE"
hyperfine -N --style basic --warmup 3 --runs 20 --export-json "$OUT/check-deps.json" \
  --command-name "sealexec check --deps" "$CHECK_DEPS_CMD" --command-name "scanelf" "$SCANELF_CMD" \
  --command-name "scanelf -qR" "scanelf -qR $CHECK_TREE"
# A container image read from its archive against the same tree unpacked
# (bench/image-fixture.sh builds both from a Debian 13 minbase root; skipped
# when it cannot).
IMAGE_FIXTURE_STATUS=0
"$BENCH_SRC/image-fixture.sh" "$BUILD" "$WORK/image" || IMAGE_FIXTURE_STATUS=$?
if [ "$IMAGE_FIXTURE_STATUS" -eq 0 ]; then
  echo "== hyperfine: check --image vs check -R of the unpacked tree"
  hyperfine -N --style basic --warmup 2 --runs 10 --export-json "$OUT/check-image.json" \
    --command-name "check --image" "$SEALEXEC check --image $WORK/image/image.tar -R --json /" \
    --command-name "check -R unpacked" "$SEALEXEC check --root $WORK/image/rootfs -R --json /" \
    --command-name "check --image --deps" "$SEALEXEC check --image $WORK/image/image.tar -R --deps --json /" \
    --command-name "check -R --deps unpacked" "$SEALEXEC check --root $WORK/image/rootfs -R --deps --json /"
  /usr/bin/time -o "$WORK/time" -f "%M %e" "$SEALEXEC" check --image "$WORK/image/image.tar" -R --deps --json / >/dev/null 2>&1 || true
  echo "image $(cat "$WORK/time" | tail -n 1)" >"$OUT/check-image-memory.txt"
fi
mkdir -p "$WORK/checksec-set"
find /usr/bin -maxdepth 1 -type f | sort | head -n 40 | while read -r f; do
  cp "$f" "$WORK/checksec-set/" 2>/dev/null || true
done
echo "== hyperfine: check vs checksec over $(ls "$WORK/checksec-set" | wc -l) files"
hyperfine -N --style basic --warmup 1 --runs 3 --export-json "$OUT/checksec.json" \
  --command-name "sealexec check" "$SEALEXEC check -R $WORK/checksec-set --json" \
  --command-name "checksec" "checksec --dir=$WORK/checksec-set --output=json"
memory() { # TREE: "files max-RSS-KB seconds"
  files=$(find "$1" -type f 2>/dev/null | wc -l)
  /usr/bin/time -o "$WORK/time" -f "%M %e" "$SEALEXEC" check -R "$1" --json >/dev/null 2>&1 || true
  echo "$files $(cat "$WORK/time" | tail -n 1)"
}
echo "== memory"
{
  echo "$CHECK_TREE $(memory "$CHECK_TREE")"
  echo "/usr $(memory /usr)"
} >"$OUT/check-memory.txt"
/usr/bin/time -o "$WORK/time" -f "%M %e" "$SEALEXEC" check -R --deps /usr --json >/dev/null 2>&1 || true
echo "/usr $(find /usr -type f 2>/dev/null | wc -l) $(tail -n 1 "$WORK/time")" >"$OUT/check-deps-memory.txt"
cat "$OUT/check-memory.txt"

# 4. C and C++ scripts. Warm: `sealexec hello.cpp` from the cache against
#    the same binary prebuilt by the same compiler and run directly (and a
#    C `#!` script, hello-c.c, with `// sealexec: -O2`, against `cc -O2` of
#    the same code), with
#    the floors of any runner (minimal-runner, run --policy=off) and the
#    other runners (tcc -run of the C version, a ccache loop) in the same
#    interleaved rounds. Cold: a compile and run against a plain c++ -o.
SCRIPTS=$WORK/scripts
mkdir -p "$SCRIPTS"
cp "$BENCH_SRC/scripts/hello.cpp" "$BENCH_SRC/scripts/hello.c" "$BENCH_SRC/scripts/zlib-pkg.cpp" \
  "$BENCH_SRC/scripts/zlib-flags.cpp" "$SCRIPTS/"
# The same hello.cpp as an extensionless tool: the warm run must cost the same.
{ echo '#!/usr/bin/env sealexec'; cat "$BENCH_SRC/scripts/hello.cpp"; } >"$SCRIPTS/hello-tool"
chmod +x "$SCRIPTS/hello-tool"
# The C hello (the one tcc runs) as a `#!` script compiled at -O2, and the
# same code prebuilt by the same compiler with the same flag.
{
  echo '#!/usr/bin/env sealexec'
  echo '// sealexec: -O2'
  cat "$BENCH_SRC/scripts/hello.c"
} >"$SCRIPTS/hello-c.c"
chmod +x "$SCRIPTS/hello-c.c"
CC_PATH=$(command -v cc)
"$CC_PATH" -O2 -o "$SCRIPTS/hello-c-prebuilt" "$SCRIPTS/hello.c"
export SEALEXEC_CACHE_DIR=$WORK/script-cache CCACHE_DIR=$WORK/ccache
CXX_PATH=$(command -v c++) # the timer and hyperfine -N do no PATH lookup
TCC_PATH=$(command -v tcc)
"$CXX_PATH" -o "$SCRIPTS/hello-prebuilt" "$SCRIPTS/hello.cpp"
for cmd in "$SEALEXEC $SCRIPTS/hello.cpp" "$SEALEXEC $SCRIPTS/hello-tool" "$SEALEXEC $SCRIPTS/hello-c.c" \
  "$SEALEXEC $SCRIPTS/zlib-pkg.cpp" "$SEALEXEC $SCRIPTS/zlib-flags.cpp" "$TCC_PATH -run $SCRIPTS/hello.c" \
  "$BENCH_SRC/scripts/ccache-run.sh $SCRIPTS/hello.cpp $SCRIPTS/ccache-out"; do
  $cmd >/dev/null || die "'$cmd' failed"
done
SCRIPT_RUNS=${BENCH_SCRIPT_RUNS:-1000}
SCRIPTS_WARM_CMD="$BUILD/bench/interleaved-timer $SCRIPT_RUNS $OUT/scripts-warm.json"
echo "== $SCRIPTS_WARM_CMD (scripts, warm)"
$SCRIPTS_WARM_CMD \
  "prebuilt (direct)" "$SCRIPTS/hello-prebuilt" \
  "sealexec hello.cpp" "$SEALEXEC $SCRIPTS/hello.cpp" \
  "sealexec hello-tool (extensionless)" "$SEALEXEC $SCRIPTS/hello-tool" \
  "prebuilt C (direct)" "$SCRIPTS/hello-c-prebuilt" \
  "sealexec hello-c.c" "$SEALEXEC $SCRIPTS/hello-c.c" \
  "sealexec zlib-pkg.cpp (--pkg zlib)" "$SEALEXEC $SCRIPTS/zlib-pkg.cpp" \
  "sealexec zlib-flags.cpp (-lz)" "$SEALEXEC $SCRIPTS/zlib-flags.cpp" \
  "sealexec run --policy=off prebuilt" "$SEALEXEC run --policy=off $SCRIPTS/hello-prebuilt" \
  "minimal-runner prebuilt" "$RUNNER $SCRIPTS/hello-prebuilt" \
  "tcc -run hello.c" "$TCC_PATH -run $SCRIPTS/hello.c" \
  "ccache c++ -c, c++, ./a.out" "$BENCH_SRC/scripts/ccache-run.sh $SCRIPTS/hello.cpp $SCRIPTS/ccache-out"
COLD_RUNS=${BENCH_COLD_RUNS:-30}
SCRIPTS_COLD_CMD="$BUILD/bench/interleaved-timer $COLD_RUNS $OUT/scripts-cold.json"
echo "== $SCRIPTS_COLD_CMD (scripts, cold)"
$SCRIPTS_COLD_CMD \
  "c++ -o" "$CXX_PATH -o $SCRIPTS/cold-out $SCRIPTS/hello.cpp" \
  "sealexec script --rebuild hello.cpp" "$SEALEXEC script --rebuild $SCRIPTS/hello.cpp"
echo "== hyperfine: a first run with an empty cache (the compiler is probed too)"
hyperfine -N --style basic --warmup 1 --runs 10 --export-json "$OUT/scripts-fresh.json" \
  --prepare "$(command -v rm) -rf $WORK/fresh-cache" \
  --command-name "c++ -o" "$CXX_PATH -o $SCRIPTS/cold-out $SCRIPTS/hello.cpp" \
  --command-name "sealexec hello.cpp, empty cache" \
  "$(command -v env) SEALEXEC_CACHE_DIR=$WORK/fresh-cache $SEALEXEC $SCRIPTS/hello.cpp"
unset SEALEXEC_CACHE_DIR CCACHE_DIR

# 4b. Large programs: a generated 100 MiB hello and the largest installed
#     real program over 30 MB (node, clangd), `sealexec run` and `cache exec`
#     with the memory tier off (against the minimal runner) and on, with a
#     `sealexec serve` of the run (against the program run directly).
#     bench/run-large.sh writes its JSON into $OUT and also runs alone
#     (BENCH_ONLY=large, or bench/run-large.sh BUILD_DIR). Like section 5,
#     its failure does not cost the other sections' report.
echo "== $BENCH_SRC/run-large.sh $BUILD"
LARGE_STATUS=0
"$BENCH_SRC/run-large.sh" "$BUILD" || LARGE_STATUS=$?

# 5. The remote tier: remote hits on Redis and HTTP (nginx) against bare
#    clients of the same servers and redis-benchmark, and 64 script runs at
#    once against one Redis. bench/run-remote.sh starts and kills its own
#    servers, writes its JSON into $OUT, and also runs alone
#    (BENCH_ONLY=remote, or bench/run-remote.sh BUILD_DIR).
#    Its failure does not cost the other sections' report: that says what
#    is missing, and this script fails at the end.
echo "== $BENCH_SRC/run-remote.sh $BUILD"
REMOTE_STATUS=0
BENCH_GB_REPS=$GB_REPS "$BENCH_SRC/run-remote.sh" "$BUILD" || REMOTE_STATUS=$?

LOADAVG_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# 6. The report.
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
THP=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)
STATIC_CLI=$(sed -n 's/^SEALEXEC_STATIC_CLI:BOOL=//p' "$BUILD/CMakeCache.txt")
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt")
python3 "$BENCH_SRC/report.py" \
  --out "$OUT/results.md" \
  --commands "$COMMANDS" \
  --hyperfine "$OUT/hyperfine.json" \
  --interleaved "$OUT/interleaved.json" \
  --check "$OUT/check.json" \
  --checksec "$OUT/checksec.json" \
  --check-memory "$OUT/check-memory.txt" \
  --check-deps "$OUT/check-deps.json" \
  --check-deps-memory "$OUT/check-deps-memory.txt" \
  --check-image "$OUT/check-image.json" \
  --check-image-memory "$OUT/check-image-memory.txt" \
  --spawn "$OUT/bench_spawn.json" \
  --image "$OUT/bench_image.json" \
  --cache "$OUT/bench_cache.json" \
  --scripts-warm "$OUT/scripts-warm.json" \
  --scripts-cold "$OUT/scripts-cold.json" \
  --scripts-fresh "$OUT/scripts-fresh.json" \
  --remote-bench "$OUT/bench_remote.json" \
  --remote-redis-benchmark "$OUT/remote-redis-benchmark.json" \
  --remote-concurrency "$OUT/remote-concurrency.json" \
  --remote-invocations "$OUT/remote-invocations.txt" \
  --large-dir "$OUT" \
  --machine "CPU: ${CPU_MODEL:-unknown}" \
  --machine "Cores (nproc): $(nproc)" \
  --machine "Kernel: $(uname -r)" \
  --machine "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
  --machine "Load average (1/5/15 min) before: $LOADAVG_BEFORE, after: $LOADAVG_AFTER" \
  --machine "Transparent huge pages: $THP" \
  --machine "Remote tier: $(redis-server --version | cut -d' ' -f1-3), $("$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)" -v 2>&1 | sed 's/^nginx version: //'), on 127.0.0.1 (TCP loopback)" \
  --machine "Build: $BUILD (CMAKE_BUILD_TYPE=${BUILD_TYPE:-?}, SEALEXEC_STATIC_CLI=${STATIC_CLI:-?})" \
  --invocation "hyperfine -N --style basic --warmup $WARMUP --min-runs $MIN_RUNS --export-json $OUT/hyperfine.json --command-name NAME COMMAND ... (one pair per command above)" \
  --invocation "$INTERLEAVED_CMD NAME COMMAND ... (every command above but python_runner.py)" \
  --invocation "$SPAWN_CMD" \
  --invocation "hyperfine -N --warmup 3 --runs 20 '$CHECK_CMD' '$SCANELF_CMD'" \
  --invocation "hyperfine -N --warmup 3 --runs 20 '$CHECK_DEPS_CMD' '$SCANELF_CMD' 'scanelf -qR $CHECK_TREE'" \
  --invocation "hyperfine -N --warmup 2 --runs 10 '$SEALEXEC check --image IMAGE.tar -R [--deps] --json /' '$SEALEXEC check --root ROOTFS -R [--deps] --json /' (bench/image-fixture.sh: a Debian 13 minbase root imported with podman, saved as docker-archive; ROOTFS the same files unpacked)" \
  --invocation "hyperfine -N --warmup 1 --runs 3 '$SEALEXEC check -R SET --json' 'checksec --dir=SET --output=json' (SET: 40 files of /usr/bin)" \
  --invocation "/usr/bin/time -f '%M %e' $SEALEXEC check -R TREE --json (TREE: $CHECK_TREE, /usr)" \
  --invocation "TMPDIR=<temporary directory> $IMAGE_CMD" \
  --invocation "TMPDIR=<temporary directory> $CACHE_CMD" \
  --invocation "$SCRIPTS_WARM_CMD NAME COMMAND ... (prebuilt: c++ -o hello-prebuilt hello.cpp; prebuilt C: $CC_PATH -O2 -o hello-c-prebuilt hello.c; SEALEXEC_CACHE_DIR and CCACHE_DIR warm, in a temporary directory)" \
  --invocation "$SCRIPTS_COLD_CMD 'c++ -o' 'c++ -o OUT hello.cpp' 'sealexec script --rebuild hello.cpp' '$SEALEXEC script --rebuild hello.cpp'" \
  --invocation "hyperfine -N --warmup 1 --runs 10 --prepare 'rm -rf CACHE' 'c++ -o OUT hello.cpp' 'env SEALEXEC_CACHE_DIR=CACHE $SEALEXEC hello.cpp'" \
  --machine "hyperfine: $(hyperfine --version), warm-up $WARMUP, min runs $MIN_RUNS; Google Benchmark: $GB_REPS repetitions"
echo
cat "$OUT/results.md"
[ "$LARGE_STATUS" -eq 0 ] ||
  echo "run-benchmarks.sh: section 4b, large programs, failed (status $LARGE_STATUS; its output above says why)" >&2
[ "$REMOTE_STATUS" -eq 0 ] ||
  echo "run-benchmarks.sh: section 5, the remote tier, failed (status $REMOTE_STATUS; its output above says why)" >&2
[ "$LARGE_STATUS" -eq 0 ] && [ "$REMOTE_STATUS" -eq 0 ] || exit 1
