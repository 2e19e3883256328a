#!/usr/bin/env bash
# The remote tier's benchmarks (section 5 of bench/run-benchmarks.sh, which
# calls this; it also runs alone):
#
#   bench/run-remote.sh BUILD_DIR
#
# Starts a redis-server and an nginx (WebDAV, as a Bazel HTTP cache) of its
# own on 127.0.0.1, random ports, with every file in a temporary directory,
# and kills them on exit. Then, into BUILD_DIR/bench:
#   bench_remote.json           remote hits (4 KiB, 1 MiB; Redis and HTTP)
#                               against bare hiredis / libcurl GETs in the
#                               same process (bench_remote.cpp)
#   remote-redis-benchmark.json redis-benchmark GETs of the same sizes, one
#                               client (-c 1 -P 1) and 50 (its default)
#   remote-concurrency.json     RUNS `sealexec script` runs at once against
#                               the Redis-backed cache (remote_concurrency.py)
#   remote-invocations.txt      the exact commands
#   results-remote.md           this section's report alone
#   chart-remote.png            its Targets rows as a chart (gnuplot; skipped
#                               when gnuplot is not installed)
#
# Environment knobs (defaults in brackets):
#   BENCH_GB_REPS            Google Benchmark repetitions [5]
#   BENCH_REMOTE_GB_FLAGS    more bench_remote flags, e.g. for a quick try:
#                            --benchmark_min_time=0.05 []
#   BENCH_REDIS_N            redis-benchmark requests for small values [20000]
#   BENCH_REDIS_N_LARGE      ... for 1 MiB values [2000]
#   BENCH_REMOTE_RUNS        script runs at once [64]
#   BENCH_REMOTE_COMPILES    compiling script runs at once, no remote [64]
#   BENCH_REMOTE_ROUNDS      rounds of the remote scenarios [3]
#   BENCH_REMOTE_SEQUENTIAL  runs of each scenario one at a time [8]
#
# No timing is asserted: the report marks the Redis target MET or MISSED.
set -eu

die() {
  echo "run-remote.sh: $*" >&2
  exit 1
}

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
BUILD=$1
BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
GB_REPS=${BENCH_GB_REPS:-5}
REDIS_N=${BENCH_REDIS_N:-20000}
REDIS_N_LARGE=${BENCH_REDIS_N_LARGE:-2000}
RUNS=${BENCH_REMOTE_RUNS:-64}
COMPILES=${BENCH_REMOTE_COMPILES:-64}
ROUNDS=${BENCH_REMOTE_ROUNDS:-3}
SEQUENTIAL=${BENCH_REMOTE_SEQUENTIAL:-8}

for tool in cmake python3 redis-server redis-cli redis-benchmark c++; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "required tool '$tool' is not installed (make deps installs it: redis-server redis-tools nginx)"
done
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "required tool 'nginx' is not installed (make deps installs it)"
"$NGINX" -V 2>&1 | grep -q -e --with-http_dav_module || die "$NGINX lacks http_dav_module (WebDAV PUT)"
[ -f "$BUILD/CMakeCache.txt" ] || die "$BUILD is not a configured build directory (run make build first)"
grep -q '^SEALEXEC_BENCHMARKS:BOOL=ON' "$BUILD/CMakeCache.txt" ||
  die "$BUILD was configured with SEALEXEC_BENCHMARKS=OFF; reconfigure with -DSEALEXEC_BENCHMARKS=ON"
BUILD=$(cd "$BUILD" && pwd)
cmake --build "$BUILD" --target sealexec_cli sealexec_remote_http bench_remote

SEALEXEC=$BUILD/src/sealexec
HTTP_HELPER=$BUILD/src/sealexec-remote-http
BENCH_REMOTE=$BUILD/bench/bench_remote
for file in "$SEALEXEC" "$HTTP_HELPER" "$BENCH_REMOTE"; do
  [ -x "$file" ] || die "$file was not built"
done
case "$BUILD$BENCH_SRC" in
  *[[:space:]]*) die "paths with white space are not supported" ;;
esac

OUT=$BUILD/bench
mkdir -p "$OUT"
# No figure of an earlier run may pass for this one's if this one fails.
rm -f "$OUT/bench_remote.json" "$OUT/remote-redis-benchmark.json" "$OUT/remote-concurrency.json" \
  "$OUT/remote-invocations.txt" "$OUT/results-remote.md" "$OUT/chart-remote.png"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealexec-bench-remote.XXXXXX")
REDIS_PID='' NGINX_PID=''

kill_server() { # PID (or empty): SIGKILL and reap; never fails
  if [ -n "$1" ]; then
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  kill_server "$NGINX_PID"
  kill_server "$REDIS_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- servers: on a free port, retried if another process takes it first ---

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

alive() { # PID: running, not a zombie
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  case $st in Z* | X*) return 1 ;; esac
}

# start_server WHAT LOG: runs "launch_WHAT PORT" (which starts the server in
# the background and sets server_pid) and waits up to 5 s for "ready_WHAT
# PORT"; up to 5 tries. Sets server_port.
start_server() {
  for _ in 1 2 3 4 5; do
    server_port=$(free_port)
    "launch_$1" "$server_port"
    i=0
    while alive "$server_pid" && [ "$i" -lt 50 ]; do
      if "ready_$1" "$server_port"; then return 0; fi
      sleep 0.1
      i=$((i + 1))
    done
    kill_server "$server_pid"
  done
  echo "--- $2:" >&2
  cat "$2" >&2 || true
  die "$1 did not start"
}

launch_redis() {
  redis-server --bind 127.0.0.1 --port "$1" --save '' --appendonly no \
    --dir "$WORK/redis" --daemonize no --logfile "$WORK/redis/redis.log" </dev/null >/dev/null 2>&1 &
  server_pid=$!
}

# Ours answers (not another process that took the port); "timeout": a
# listener that never answers must not hang us.
ready_redis() {
  got=$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')
  [ "$got" = "$server_pid" ]
}

# One process (master_process off), so that SIGKILL leaves no worker behind.
launch_nginx() {
  d=$WORK/nginx
  cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
pid "$d/nginx.pid";
error_log "$d/error.log";
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path "$d/tmp/body";
  proxy_temp_path "$d/tmp/proxy";
  fastcgi_temp_path "$d/tmp/fastcgi";
  uwsgi_temp_path "$d/tmp/uwsgi";
  scgi_temp_path "$d/tmp/scgi";
  default_type application/octet-stream;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$1;
    location /cache/ {
      alias "$d/store/";
      dav_methods PUT DELETE;
      create_full_put_path on;
      client_max_body_size 1g;
    }
    location = /.bench-id {
      return 200 "$(basename "$WORK")";
    }
  }
}
EOF
  "$NGINX" -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" </dev/null >/dev/null 2>&1 &
  server_pid=$!
}

ready_nginx() {
  got=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode(), end="")' \
    "http://127.0.0.1:$1/.bench-id" 2>/dev/null) || return 1
  [ "$got" = "$(basename "$WORK")" ]
}

mkdir -p "$WORK/redis" "$WORK/nginx/store" "$WORK/nginx/tmp"
start_server redis "$WORK/redis/redis.log"
REDIS_PORT=$server_port REDIS_PID=$server_pid
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
start_server nginx "$WORK/nginx/error.log"
NGINX_PID=$server_pid
HTTP_URL=http://127.0.0.1:$server_port/cache
echo "== redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on $REDIS_URL (pid $REDIS_PID);" \
  "nginx on $HTTP_URL (pid $NGINX_PID)"

INVOCATIONS=$OUT/remote-invocations.txt
: >"$INVOCATIONS"
note_invocation() {
  printf '%s\n' "$*" >>"$INVOCATIONS"
}

# 5a. Remote hits against bare GETs, in one process.
REMOTE_CMD="$BENCH_REMOTE --benchmark_repetitions=$GB_REPS --benchmark_report_aggregates_only=true \
--benchmark_out_format=json --benchmark_out=$OUT/bench_remote.json ${BENCH_REMOTE_GB_FLAGS:-}"
echo "== BENCH_REDIS_URL=$REDIS_URL BENCH_HTTP_URL=$HTTP_URL BENCH_HTTP_HELPER=$HTTP_HELPER TMPDIR=$WORK $REMOTE_CMD"
BENCH_REDIS_URL=$REDIS_URL BENCH_HTTP_URL=$HTTP_URL BENCH_HTTP_HELPER=$HTTP_HELPER TMPDIR=$WORK $REMOTE_CMD
note_invocation "BENCH_REDIS_URL=redis://127.0.0.1:PORT BENCH_HTTP_URL=http://127.0.0.1:PORT/cache BENCH_HTTP_HELPER=$HTTP_HELPER TMPDIR=<temporary directory> $REMOTE_CMD"

# 5b. redis-benchmark, the external baseline: GETs of the entry's size (the
#     signed envelope, as bench_remote measured it) and of the blobs' sizes.
#     "-t set,get": a GET-only run would read a key nobody wrote (nil
#     replies); the SETs write key:__rand_int__ with -d bytes first.
ENVELOPE=$(python3 - "$OUT/bench_remote.json" <<'EOF'
import json, sys
for entry in json.load(open(sys.argv[1]))["benchmarks"]:
    if entry.get("envelope_bytes") and "/redis/" in entry["name"]:
        print(int(entry["envelope_bytes"]))
        break
else:
    print(300)
EOF
)
REDIS_BENCH_DIR=$WORK/redis-benchmark
mkdir -p "$REDIS_BENCH_DIR"
for size in "$ENVELOPE" 4096 1048576; do
  n=$REDIS_N
  [ "$size" -le 65536 ] || n=$REDIS_N_LARGE
  for clients in 1 50; do
    cmd="redis-benchmark -h 127.0.0.1 -p $REDIS_PORT -t set,get -d $size -n $n -c $clients -P 1 --csv"
    echo "== $cmd"
    $cmd >"$REDIS_BENCH_DIR/$size-$clients.csv" || die "'$cmd' failed"
    grep '^"GET"' "$REDIS_BENCH_DIR/$size-$clients.csv" || die "no GET result from '$cmd'"
    stored=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" strlen 'key:__rand_int__')
    [ "$stored" = "$size" ] || die "redis-benchmark's key holds $stored bytes, not $size"
    note_invocation "redis-benchmark -h 127.0.0.1 -p PORT -t set,get -d $size -n $n -c $clients -P 1 --csv"
  done
done
python3 - "$REDIS_BENCH_DIR" "$OUT/remote-redis-benchmark.json" "$ENVELOPE" <<'EOF'
import csv, json, os, sys
results = []
for name in sorted(os.listdir(sys.argv[1])):
    size, clients = name[:-len(".csv")].split("-")
    with open(os.path.join(sys.argv[1], name), newline="") as f:
        for row in csv.DictReader(f):
            if row["test"] == "GET":
                results.append({"size": int(size), "clients": int(clients),
                                "envelope": int(size) == int(sys.argv[3]),
                                **{k: float(v) for k, v in row.items() if k != "test"}})
json.dump({"results": results}, open(sys.argv[2], "w"), indent=1)
EOF

# 5c. Many script runs at once against one Redis.
"$SEALEXEC" cache keygen "$WORK/bench" >/dev/null || die "sealexec cache keygen failed"
mkdir -p "$WORK/scripts" "$WORK/concurrency"
cp "$BENCH_SRC/scripts/hello.cpp" "$WORK/scripts/"
CONCURRENCY_CMD="python3 $BENCH_SRC/remote_concurrency.py --sealexec $SEALEXEC --script $WORK/scripts/hello.cpp \
--expect 'hello from a C++ script' --redis-url $REDIS_URL --signing-key $WORK/bench.key \
--trusted-keys $WORK/bench.pub --work $WORK/concurrency --runs $RUNS --compiles $COMPILES \
--rounds $ROUNDS --sequential $SEQUENTIAL --out $OUT/remote-concurrency.json"
echo "== $CONCURRENCY_CMD"
# A run that printed the wrong thing or was not the hit it should be fails
# this script, once the report (which lists the failures) is written.
CONCURRENCY_STATUS=0
python3 "$BENCH_SRC/remote_concurrency.py" --sealexec "$SEALEXEC" --script "$WORK/scripts/hello.cpp" \
  --expect 'hello from a C++ script' --redis-url "$REDIS_URL" --signing-key "$WORK/bench.key" \
  --trusted-keys "$WORK/bench.pub" --work "$WORK/concurrency" --runs "$RUNS" --compiles "$COMPILES" \
  --rounds "$ROUNDS" --sequential "$SEQUENTIAL" --out "$OUT/remote-concurrency.json" ||
  CONCURRENCY_STATUS=$?
[ -f "$OUT/remote-concurrency.json" ] || die "remote_concurrency.py failed before measuring anything"
note_invocation "$(echo "$CONCURRENCY_CMD" | sed "s|$WORK|<temporary directory>|g; s|$REDIS_URL|redis://127.0.0.1:PORT|")"
note_invocation "  (per run: env SEALEXEC_CACHE_DIR=<new or warm cache> $SEALEXEC script --remote redis://127.0.0.1:PORT --trusted-keys bench.pub hello.cpp)"

# This section's report alone; run-benchmarks.sh folds the same into results.md.
python3 "$BENCH_SRC/report_remote.py" \
  --out "$OUT/results-remote.md" \
  --bench "$OUT/bench_remote.json" \
  --redis-benchmark "$OUT/remote-redis-benchmark.json" \
  --concurrency "$OUT/remote-concurrency.json" \
  --invocations "$INVOCATIONS" \
  --machine "CPU: $(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)" \
  --machine "Cores (nproc): $(nproc)" \
  --machine "Kernel: $(uname -r)" \
  --machine "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
  --machine "Load average (1/5/15 min) at the end: $(cut -d' ' -f1-3 /proc/loadavg)" \
  --machine "$(redis-server --version | cut -d' ' -f1-3), $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), temporary directory on $(stat -f -c %T "$WORK")"
echo
cat "$OUT/results-remote.md"
[ "$CONCURRENCY_STATUS" -eq 0 ] || die "some script runs failed (listed under 'Failed runs' above)"
