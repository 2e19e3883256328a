#!/bin/sh
# Under --insecure-remote no signature is checked against a trusted key, but
# an entry is still bound to its key (docs/remote.md): in a real Redis, an
# unsigned envelope copied over another key's is a miss counted as
# rejected, never the other key's bytes; so is a signed one (its signature
# names its key, whoever signed it). Each key's own entry still reads.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
C=$WORK/unused
. "$(dirname "$TEST_LIB")/cache.sh"
start_redis
team_keys
SEALEXEC_REMOTE=$REDIS_URL
export SEALEXEC_REMOTE
cd "$WORK"
printf 'bytes of a\n' >a
printf 'bytes of b\n' >b
ac() { echo "sealexec:ac:$(key_hex "$1")"; }
insecure() {
  machine=$1
  shift
  "$SEALEXEC" cache --dir "$WORK/$machine" --insecure-remote "$@"
}

# expect_swap_refused MACHINE KEY WHAT: MACHINE misses KEY, one rejection.
expect_swap_refused() {
  rm -f "$WORK/got"
  expect_code 1 insecure "$1" get "$2" -o "$WORK/got"
  [ ! -e "$WORK/got" ] || fail "$3: read $(cat "$WORK/got") for $2"
  expect_eq "$(remote_stat "$1" rejected)" 1 "rejected count: $3"
  expect_eq "$(remote_stat "$1" hits)" 0 "hits: $3"
  expect_eq "$(local_blobs "$1")" 0 "blobs stored: $3"
}
# expect_reads MACHINE KEY FILE
expect_reads() {
  expect_code 0 insecure "$1" get "$2" -o "$WORK/got"
  cmp -s "$3" "$WORK/got" || fail "$1 read $(cat "$WORK/got") for $2, not $(cat "$3")"
}

# Unsigned entries, written by a machine without a key.
expect_code 0 insecure U put key-a a
expect_code 0 insecure U put key-b b
expect_reads I1 key-a a
redis-cli -p "$REDIS_PORT" COPY "$(ac key-b)" "$(ac key-a)" REPLACE >/dev/null
expect_swap_refused I2 key-a "an unsigned entry copied over another key's"
expect_reads I2 key-b b

# Signed entries, read by a reader that checks no trust.
expect_code 0 on S put key-c a
expect_code 0 on S put key-d b
redis-cli -p "$REDIS_PORT" COPY "$(ac key-d)" "$(ac key-c)" REPLACE >/dev/null
expect_swap_refused I3 key-c "a signed entry copied over another key's"
expect_reads I3 key-d b
