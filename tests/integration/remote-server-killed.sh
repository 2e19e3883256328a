#!/bin/sh
# A Redis server that dies or hangs mid-run. Gets become misses within the
# bounded timeout, the local cache keeps working, puts still succeed
# locally, and a script whose write-through loses the server still runs.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
. "$(dirname "$TEST_LIB")/script.sh"
start_redis
team_keys
head -c 4096 /dev/urandom >"$WORK/one"
head -c 4096 /dev/urandom >"$WORK/two"
SEALEXEC_REMOTE=$REDIS_URL
export SEALEXEC_REMOTE
expect_code 0 on A put one "$WORK/one"
expect_code 0 on A put two "$WORK/two"
expect_code 0 on B get one -o "$WORK/one.b"

# Hung (SIGSTOP: the kernel still accepts connections, nobody answers):
# the get waits for the operation timeout, no longer.
mkdir -p "$WORK/C"
chmod 700 "$WORK/C"
printf 'remote_timeout = 300ms\nremote_connect_timeout = 200ms\n' >"$WORK/C/cache.conf"
kill -STOP "$REDIS_PID"
expect_fast 2 on C get two
expect_eq "$(remote_stat C timeouts)" 1 "timeouts against a hung server"
expect_file_contains "$WORK/err" "timed out"
kill -CONT "$REDIS_PID"

# Dead: connection refused, a miss at once; B's local hit still works and
# so does a put, which never fails because the remote did.
stop_redis
expect_fast 2 on B get two
expect_eq "$(remote_stat B errors)" 1 "errors against a dead server"
expect_file_contains "$WORK/err" "nor for 30 s by other runs on this cache"
# The next runs on B's cache know it is down: no connection, no warning,
# a miss (with a server that is back too, until the mark is 30 s old).
start_redis "$REDIS_PORT"
SEALEXEC_REMOTE=$REDIS_URL # the same port, unless it was taken meanwhile
expect_code 0 on A put four "$WORK/one"
: >"$WORK/monitor"
redis-cli -p "$REDIS_PORT" monitor >"$WORK/monitor" 2>/dev/null &
monitor=$!
sleep 0.3
expect_fast 2 on B get four
[ ! -s "$WORK/err" ] || fail "a run after the failure warned again: $(cat "$WORK/err")"
expect_eq "$(remote_stat B errors)" 1 "errors after the failure was remembered"
expect_eq "$(remote_stat B misses)" 2 "misses after the failure was remembered"
kill "$monitor" 2>/dev/null || true
wait "$monitor" 2>/dev/null || true
grep -q '"four"\|sealexec:ac' "$WORK/monitor" && fail "B asked the server: $(cat "$WORK/monitor")"
stop_redis
expect_code 0 on B get one -o "$WORK/one.c"
cmp -s "$WORK/one" "$WORK/one.c" || fail "the local hit differs"
expect_code 0 on B put three "$WORK/two"
expect_code 0 on B get three -o "$WORK/three"
cmp -s "$WORK/two" "$WORK/three" || fail "the local put with a dead remote differs"

# Killed while a script compiles (the compiler sleeps 1 s before compiling;
# the kill comes when it starts): the lookup before it was a plain miss on
# the live server, the write-through after it fails on the dead connection,
# and the script runs and is cached locally.
start_redis
SEALEXEC_REMOTE=$REDIS_URL
counting_compiler cxx-slow c++ 1
printf '#include <cstdio>\nint main() { std::puts("survived"); return 0; }\n' >"$WORK/mid.cpp"
backdate "$WORK/mid.cpp"
(
  for _ in $(seq 200); do
    [ "$(compiles cxx-slow)" -gt 0 ] && break
    sleep 0.05
  done
  kill -9 "$REDIS_PID"
) &
killer=$!
expect_code 0 env SEALEXEC_CACHE_DIR="$WORK/D" SEALEXEC_SIGNING_KEY="$WORK/team.key" \
  SEALEXEC_TRUSTED_KEYS="$WORK/team.pub" "$SEALEXEC" script --compiler "$WORK/cxx-slow" "$WORK/mid.cpp"
wait "$killer"
expect_out survived "the script whose server died"
[ "$(remote_stat D misses)" -ge 1 ] || fail "no miss counted for the lookups before the compile"
expect_eq "$(remote_stat D errors)" 1 "errors of the write-through"
expect_file_contains "$WORK/err" "is not used for the rest of this run"
if grep -q "cannot connect" "$WORK/err"; then
  fail "the server was dead before the lookup, not killed during the compile: $(cat "$WORK/err")"
fi
expect_code 0 env SEALEXEC_CACHE_DIR="$WORK/D" "$SEALEXEC" script --remote none \
  --compiler "$WORK/cxx-slow" "$WORK/mid.cpp"
expect_eq "$(compiles cxx-slow)" 1 "compiles (the second run is a local hit)"
