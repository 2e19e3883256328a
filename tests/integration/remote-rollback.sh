#!/bin/sh
# Rollback of validly signed entries on a real redis-server (docs/remote.md,
# "Rollback"): writer A puts KEY=v1, then KEY=v2; reader B reads v2. B's
# local entry goes (cache rm, then cache clear), and someone without the
# key writes v1's old envelope back into Redis: B refuses it (a miss,
# counted as rejected) and still accepts v2. A refuses v1 too (it wrote
# v2). A fresh reader that never held KEY accepts v1, as the docs say.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
C=$WORK/unused
. "$(dirname "$TEST_LIB")/cache.sh"
start_redis
team_keys
SEALEXEC_REMOTE=$REDIS_URL
export SEALEXEC_REMOTE
cd "$WORK"
printf 'content one\n' >v1
printf 'content two\n' >v2
ac=sealexec:ac:$(key_hex rolled-key)
rcli() { redis-cli -p "$REDIS_PORT" "$@" >/dev/null; }

# expect_get MACHINE FILE WHAT: MACHINE reads rolled-key, and gets FILE's bytes.
expect_get() {
  expect_code 0 on "$1" get rolled-key -o "$WORK/got"
  cmp -s "$2" "$WORK/got" || fail "$3: $1 read $(cat "$WORK/got"), not $(cat "$2")"
}
# expect_refused MACHINE WHAT: MACHINE misses rolled-key; the remote counted
# one more rejection and no hit.
expect_refused() {
  before_rejected=$(remote_stat "$1" rejected)
  before_hits=$(remote_stat "$1" hits)
  rm -f "$WORK/got"
  expect_code 1 on "$1" get rolled-key -o "$WORK/got"
  [ ! -e "$WORK/got" ] || fail "$2: $1 wrote $(cat "$WORK/got")"
  expect_eq "$(remote_stat "$1" rejected)" $((before_rejected + 1)) "$1's rejected count: $2"
  expect_eq "$(remote_stat "$1" hits)" "$before_hits" "$1's hits: $2"
}

expect_code 0 on A put rolled-key v1
rcli COPY "$ac" saved:v1 REPLACE
expect_code 0 on A put rolled-key v2
rcli COPY "$ac" saved:v2 REPLACE
expect_get B v2 "the current entry"

# B's copy removed; the old envelope written back.
expect_code 0 on B rm rolled-key
rcli COPY saved:v1 "$ac" REPLACE
expect_refused B "v1 written back after B read v2"
expect_eq "$(local_blobs B)" 1 "blobs B holds (v2's only)"

# The current entry again: the same signing time as B's mark, accepted.
rcli COPY saved:v2 "$ac" REPLACE
expect_get B v2 "v2 restored"
# Cleared instead of removed: the mark outlives the local store.
expect_code 0 on B clear
rcli COPY saved:v1 "$ac" REPLACE
expect_refused B "v1 written back after B's cache was cleared"

# The writer remembers what it wrote.
expect_code 0 on A rm rolled-key
expect_refused A "v1 written back after A wrote v2"

# What the docs say cannot be prevented: a reader that never held KEY has
# nothing to compare with, and takes the old entry a trusted key signed.
expect_get F v1 "a fresh reader"
expect_eq "$(remote_stat F rejected)" 0 "the fresh reader's rejected count"
