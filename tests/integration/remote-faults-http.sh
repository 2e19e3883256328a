#!/bin/sh
# Faults of an HTTP backend, from a small fault-injecting server: wrong
# bytes, truncated bodies, 500s, a non-HTTP answer, an absurd length and an
# answer too slow for the timeout. Each is a miss (exit 1) within the
# bounded time, is counted, and leaves nothing in the local cache. After a
# failure the backend is not asked again in the same process.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
start_fault_server
team_keys
head -c 65536 /dev/urandom >"$WORK/content"
SEALEXEC_REMOTE=$FAULT_URL
export SEALEXEC_REMOTE
expect_code 0 on A put the-key "$WORK/content"

# try MODE WHICH FIELD: a fresh machine B reads the-key under the fault;
# a miss, FIELD counted once, nothing stored.
try() {
  set_fault "$1" "$2" ${4:-}
  rm -rf "$WORK/B"
  mkdir -m 700 "$WORK/B"
  printf 'remote_timeout = 500ms\n' >"$WORK/B/cache.conf"
  expect_fast 3 on B get the-key -o "$WORK/got"
  [ ! -e "$WORK/got" ] || fail "$1 $2: wrote an output file"
  expect_eq "$(remote_stat B "$3")" 1 "$3 counted for $1 $2"
  expect_eq "$(remote_stat B hits)" 0 "hits for $1 $2"
  expect_eq "$(local_blobs B)" 0 "blobs stored locally for $1 $2"
  [ -z "$(find "$WORK/B/ac" -type f 2>/dev/null)" ] || fail "$1 $2: an entry was stored locally"
}

try wrong-bytes cas rejected
try wrong-bytes ac rejected
try truncated cas errors
try truncated ac errors
try status500 all errors
try garbage-status all errors
try huge-length ac errors
try huge-length cas rejected
try slow all timeouts 5
expect_file_contains "$WORK/err" "timed out"

# The failed backend is skipped for the rest of the process: one request,
# then nothing, however many lookups a script run makes.
set_fault status500 all
: >"$FAULT_LOG"
rm -rf "$WORK/B"
expect_code 1 on B get the-key
expect_eq "$(grep -c . "$FAULT_LOG")" 1 "requests after the first failure"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "is not used for the rest of this run"

# And a healthy server again: the same entry is a verified hit.
set_fault none
rm -rf "$WORK/B"
expect_code 0 on B get the-key -o "$WORK/got"
cmp -s "$WORK/content" "$WORK/got" || fail "the healthy read differs"
