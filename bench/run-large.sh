#!/usr/bin/env bash
# Large programs and the memory tier (section 4b of bench/run-benchmarks.sh,
# which calls this; it also runs alone):
#
#   bench/run-large.sh BUILD_DIR     (or BENCH_ONLY=large bench/run-benchmarks.sh BUILD_DIR)
#
# Programs: a generated C hello with 100 MiB of random bytes in .rodata
# (built here with cc -O2), and the largest installed real program over
# 30 MB among node, clangd and clang-19 (run with --version), if any.
#
# Two phases, each timed by interleaved-timer (run by run, so drift hits all
# commands alike) and cross-checked by hyperfine -N:
#   memory tier off  SEALEXEC_MEMORY_TIER=off in the environment of the timer
#                    itself, which every command inherits (the runner and the
#                    direct run ignore it), so no command pays for an extra
#                    env(1) exec: `sealexec run`, `sealexec cache exec`, the
#                    minimal runner (open, memfd_create, sendfile, execveat)
#                    and the program run directly. No server is running.
#   memory tier on   `sealexec serve --idle-timeout 600` started here, with
#                    XDG_RUNTIME_DIR a private directory (0700) of this run
#                    (the same in both phases), killed at the end; warm-up
#                    runs (3 here, then the timer's 50 rounds) make it hold
#                    the images. Where `sealexec serve --help` fails (a CLI
#                    without the server), this phase is skipped and its rows
#                    say "not measured". An old CLI ignores the variable.
# Into BUILD_DIR/bench: large-off.json, large-on.json (interleaved-timer),
# large-off-hf.json, large-on-hf.json (hyperfine), large-info.txt (the
# programs, the server's state), large-invocations.txt, and this section's
# report alone: results-large.md and chart-large.png (report_large.py).
#
# Environment knobs (defaults in brackets):
#   BENCH_LARGE_RUNS    interleaved-timer rounds and hyperfine runs per
#                       command, per phase [100]
#   BENCH_LARGE_WARMUP  hyperfine warm-up runs [5] (the timer always does 50)
#
# No timing is asserted: the report marks each target MET or MISSED.
set -eu

die() {
  echo "run-large.sh: $*" >&2
  exit 1
}

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
BUILD=$1
BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
RUNS=${BENCH_LARGE_RUNS:-100}
HF_WARMUP=${BENCH_LARGE_WARMUP:-5}

for tool in cmake hyperfine python3 cc head readlink stat; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' is not installed (make deps installs it)"
done
[ -f "$BUILD/CMakeCache.txt" ] || die "$BUILD is not a configured build directory (run make build first)"
grep -q '^SEALEXEC_BENCHMARKS:BOOL=ON' "$BUILD/CMakeCache.txt" ||
  die "$BUILD was configured with SEALEXEC_BENCHMARKS=OFF; reconfigure with -DSEALEXEC_BENCHMARKS=ON"
BUILD=$(cd "$BUILD" && pwd)
cmake --build "$BUILD" --target sealexec_cli minimal-runner interleaved-timer

SEALEXEC=$BUILD/src/sealexec
RUNNER=$BUILD/bench/minimal-runner
TIMER=$BUILD/bench/interleaved-timer
for file in "$SEALEXEC" "$RUNNER" "$TIMER"; do
  [ -x "$file" ] || die "$file was not built"
done

OUT=$BUILD/bench
mkdir -p "$OUT"
# No figure of an earlier run may pass for this one's if this one fails.
rm -f "$OUT/large-off.json" "$OUT/large-on.json" "$OUT/large-off-hf.json" "$OUT/large-on-hf.json" \
  "$OUT/large-info.txt" "$OUT/large-invocations.txt" "$OUT/results-large.md" "$OUT/chart-large.png"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealexec-bench-large.XXXXXX")
case "$BUILD$BENCH_SRC$WORK" in
  *[[:space:]]*) die "paths with white space are not supported (hyperfine -N splits commands)" ;;
esac
SERVER_PID=''
stop_server() { # SIGTERM, then SIGKILL after 2 s; reaps; never fails
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    i=0
    while kill -0 "$SERVER_PID" 2>/dev/null && [ "$i" -lt 20 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=''
  fi
}
cleanup() {
  stop_server
  # Clients start a server on demand when none answers (docs/serve.md): one
  # started in this run's private runtime directory (ours died, say) holds
  # its socket and is ended here; nothing outside that directory is touched.
  if [ -S "$WORK/runtime/sealexec/tier.sock" ] && command -v fuser >/dev/null 2>&1; then
    for pid in $(fuser "$WORK/runtime/sealexec/tier.sock" 2>/dev/null); do
      kill -TERM "$pid" 2>/dev/null || true
    done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

INFO=$OUT/large-info.txt
INVOCATIONS=$OUT/large-invocations.txt
: >"$INFO"
: >"$INVOCATIONS"
info() { printf '%s\t%s\n' "$1" "$2" >>"$INFO"; }
note_invocation() { printf '%s\n' "$*" >>"$INVOCATIONS"; }

# The runtime directory of both phases, private to this run (the server's
# socket and sealexec's names/ live there).
export XDG_RUNTIME_DIR=$WORK/runtime
mkdir -m 0700 "$XDG_RUNTIME_DIR"
# Off until the tier-on phase: no client may start a server on demand.
export SEALEXEC_MEMORY_TIER=off

# --- the programs ---

# 100 MiB of random bytes in .rodata, by .incbin: zeros (`= {1}`) would
# compress to almost nothing in the cache (zstd) and flatter its rows;
# random bytes are what the copy of a real program's text looks like. The
# array is referenced nowhere, so it is never paged in: what the program
# costs to start is its size, not its work.
BIG=$WORK/big-hello
head -c $((100 << 20)) /dev/urandom >"$WORK/blob.bin"
cat >"$WORK/big-hello.c" <<EOF
/* A hello with 100 MiB of .rodata (bench/run-large.sh). */
#include <stdio.h>
__asm__(".section .rodata\n.balign 4096\n.globl big_blob\nbig_blob:\n"
        ".incbin \"$WORK/blob.bin\"\n.previous\n");
int main(void) {
  puts("hello");
  return 0;
}
EOF
CC_PATH=$(command -v cc)
"$CC_PATH" -O2 -o "$BIG" "$WORK/big-hello.c"
rm -f "$WORK/blob.bin"
"$BIG" >/dev/null || die "'$BIG' failed"
info big_bytes "$(stat -c %s "$BIG")"
note_invocation "$CC_PATH -O2 -o big-hello big-hello.c   # puts(\"hello\"), 100 MiB of /dev/urandom in .rodata by .incbin"

# The largest of these that exists, is over 30 MB and runs with --version.
REAL='' REAL_NAME=''
best=0
for candidate in "$(command -v node 2>/dev/null || true)" /usr/lib/llvm-19/bin/clangd \
  /usr/bin/clangd-19 /usr/bin/clangd-14 /usr/lib/llvm-19/bin/clang-19; do
  if [ -z "$candidate" ] || [ ! -e "$candidate" ]; then continue; fi
  path=$(readlink -f "$candidate")
  if [ ! -f "$path" ] || [ ! -x "$path" ]; then continue; fi
  size=$(stat -c %s "$path")
  if [ "$size" -le 30000000 ] || [ "$size" -le "$best" ]; then continue; fi
  case $path in *[[:space:]]*) continue ;; esac
  "$path" --version </dev/null >/dev/null 2>&1 || continue
  REAL=$path REAL_NAME=$(basename "$candidate") best=$size
done
if [ -n "$REAL" ]; then
  info real_name "$REAL_NAME"
  info real_path "$REAL"
  info real_bytes "$best"
  echo "== the large real program: $REAL ($best bytes)"
else
  info real_name ''
  echo "== no real program over 30 MB (node, clangd, clang-19): its rows are not measured"
fi

# The generated program in a cache of this run, for `cache exec`.
CACHE=$WORK/cache
"$SEALEXEC" cache --dir "$CACHE" put big-hello "$BIG" >/dev/null || die "cache put of $BIG failed"

# commands PHASE: "NAME<TAB>COMMAND" lines of that phase ("off" or "on").
commands() {
  printf 'sealexec run big-hello (tier %s)\t%s run %s\n' "$1" "$SEALEXEC" "$BIG"
  printf 'sealexec cache exec big-hello (tier %s)\t%s cache --dir %s exec big-hello\n' "$1" "$SEALEXEC" "$CACHE"
  [ "$1" = on ] || printf 'minimal-runner big-hello\t%s %s\n' "$RUNNER" "$BIG"
  printf 'big-hello (direct)\t%s\n' "$BIG"
  if [ -n "$REAL" ]; then
    printf 'sealexec run %s --version (tier %s)\t%s run %s --version\n' "$REAL_NAME" "$1" "$SEALEXEC" "$REAL"
    [ "$1" = on ] || printf 'minimal-runner %s --version\t%s %s --version\n' "$REAL_NAME" "$RUNNER" "$REAL"
    printf '%s --version (direct)\t%s --version\n' "$REAL_NAME" "$REAL"
  fi
}

# measure PHASE: every command once (it must work), then the timer, then
# hyperfine, into large-PHASE.json and large-PHASE-hf.json.
measure() {
  phase=$1
  commands "$phase" >"$WORK/commands-$phase.tsv"
  set --
  while IFS="$(printf '\t')" read -r name cmd; do
    $cmd </dev/null >/dev/null || die "'$cmd' failed"
    set -- "$@" "$name" "$cmd"
  done <"$WORK/commands-$phase.tsv"
  echo "== SEALEXEC_MEMORY_TIER=${SEALEXEC_MEMORY_TIER:-} $TIMER $RUNS $OUT/large-$phase.json NAME COMMAND ... (large programs, memory tier $phase)"
  "$TIMER" "$RUNS" "$OUT/large-$phase.json" "$@"
  set --
  while IFS="$(printf '\t')" read -r name cmd; do
    set -- "$@" --command-name "$name" "$cmd"
  done <"$WORK/commands-$phase.tsv"
  echo "== hyperfine: large programs, memory tier $phase"
  hyperfine -N --style basic --warmup "$HF_WARMUP" --runs "$RUNS" \
    --export-json "$OUT/large-$phase-hf.json" "$@"
  tier=''
  if [ "$phase" = off ]; then tier='SEALEXEC_MEMORY_TIER=off '; fi
  note_invocation "${tier}XDG_RUNTIME_DIR=<temporary directory>/runtime $TIMER $RUNS $OUT/large-$phase.json NAME COMMAND ..., and hyperfine -N --warmup $HF_WARMUP --runs $RUNS --export-json $OUT/large-$phase-hf.json ..., over:"
  while IFS="$(printf '\t')" read -r name cmd; do
    note_invocation "  ${cmd//"$WORK"/<temporary directory>}"
  done <"$WORK/commands-$phase.tsv"
}

# --- memory tier off (SEALEXEC_MEMORY_TIER=off, exported above) ---
measure off
unset SEALEXEC_MEMORY_TIER

# --- memory tier on ---
if ! "$SEALEXEC" serve --help >/dev/null 2>&1; then
  info serve "no sealexec serve"
  echo "== $SEALEXEC serve --help failed: the memory-tier rows are not measured"
else
  note_invocation "XDG_RUNTIME_DIR=<temporary directory>/runtime $SEALEXEC serve --idle-timeout 600 &   # killed at the end"
  echo "== XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR $SEALEXEC serve --idle-timeout 600 &"
  "$SEALEXEC" serve --idle-timeout 600 >"$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  # Ready once a socket shows up in the runtime directory (at most 5 s);
  # the warm-up runs would find it in any case.
  i=0
  while kill -0 "$SERVER_PID" 2>/dev/null && [ "$i" -lt 50 ] &&
    [ -z "$(find "$XDG_RUNTIME_DIR" -type s 2>/dev/null | head -n 1)" ]; do
    sleep 0.1
    i=$((i + 1))
  done
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    status=0
    wait "$SERVER_PID" || status=$?
    SERVER_PID=''
    info serve "sealexec serve exited at once (status $status): $(head -c 300 "$WORK/serve.log" | tr '\n\t' '  ')"
    echo "== sealexec serve exited at once (status $status); its output:" >&2
    cat "$WORK/serve.log" >&2
  else
    commands on >"$WORK/commands-on.tsv"
    while IFS="$(printf '\t')" read -r name cmd; do
      for _ in 1 2 3; do $cmd </dev/null >/dev/null || die "'$cmd' failed"; done
    done <"$WORK/commands-on.tsv"
    measure on
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      info serve ok
      # What it holds and how often it was asked: a timed run that was not
      # a hit shows here. Its images are memfds, not in its RSS.
      info server_status "$("$SEALEXEC" serve --status 2>&1 | head -n 1 | tr '\t' ' ' || true)"
      info server_rss "$(sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$SERVER_PID/status" 2>/dev/null || true)"
    else
      info serve "sealexec serve exited during the runs: $(head -c 300 "$WORK/serve.log" | tr '\n\t' '  ')"
    fi
    stop_server
  fi
fi

# This section's report alone; run-benchmarks.sh folds the same into results.md.
python3 "$BENCH_SRC/report_large.py" \
  --out "$OUT/results-large.md" \
  --dir "$OUT" \
  --machine "CPU: $(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)" \
  --machine "Cores (nproc): $(nproc)" \
  --machine "Kernel: $(uname -r)" \
  --machine "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
  --machine "Load average (1/5/15 min) at the end: $(cut -d' ' -f1-3 /proc/loadavg)" \
  --machine "Build: $BUILD; temporary directory on $(stat -f -c %T "$WORK")"
echo
cat "$OUT/results-large.md"
