#!/bin/sh
# The remote tier on a real redis-server (TCP and unix socket): an entry put
# on machine A is read on machine B, verified and stored in B's local cache,
# which then serves it with the server gone. Blobs the server already has
# are not sent again. The counts show in `cache stats`.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
start_redis
team_keys
head -c 4096 /dev/urandom >"$WORK/small"
head -c 1048576 /dev/urandom >"$WORK/large"

for url in "$REDIS_URL" "$REDIS_UNIX_URL"; do
  rm -rf "$WORK/A" "$WORK/B"
  expect_code 0 on A --remote "$url" put small-key "$WORK/small"
  expect_code 0 on A --remote "$url" put large-key "$WORK/large"
  expect_eq "$(remote_stat A puts)" 2 "A's remote puts ($url)"

  expect_code 0 on B --remote "$url" get small-key -o "$WORK/small.b"
  cmp -s "$WORK/small" "$WORK/small.b" || fail "B read different bytes ($url)"
  expect_code 0 on B --remote "$url" get large-key -o "$WORK/large.b"
  cmp -s "$WORK/large" "$WORK/large.b" || fail "B read different 1 MiB bytes ($url)"
  expect_eq "$(remote_stat B hits)" 2 "B's remote hits ($url)"
  expect_eq "$(local_blobs B)" 2 "blobs B stored locally ($url)"
  # A miss on both tiers is a miss, counted as one.
  expect_code 1 on B --remote "$url" get no-such-key
  expect_eq "$(remote_stat B misses)" 1 "B's remote misses ($url)"
done
# The keys are where docs/remote.md says.
redis-cli -p "$REDIS_PORT" --raw keys 'sealexec:*' >"$WORK/keys"
expect_eq "$(grep -c '^sealexec:ac:[0-9a-f]\{64\}$' "$WORK/keys")" 2 "ac keys in redis"
expect_eq "$(grep -c '^sealexec:cas:[0-9a-f]\{64\}$' "$WORK/keys")" 2 "cas keys in redis"

# The same content under a second key: the blob is not uploaded again.
redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
expect_code 0 on A --remote "$REDIS_URL" put other-key "$WORK/large"
redis-cli -p "$REDIS_PORT" info commandstats >"$WORK/commands"
grep -q '^cmdstat_set:calls=1,' "$WORK/commands" \
  || { cat "$WORK/commands" >&2; fail "expected one SET (the entry), not the blob again"; }

# A database other than 0, and a password (requirepass): the entry is found
# only in the database it was written to, and a wrong password is an error
# whose message never shows the password.
expect_code 0 on A --remote "$REDIS_URL/5" put db-key "$WORK/small"
expect_code 1 on E --remote "$REDIS_URL" get db-key
expect_code 0 on F --remote "$REDIS_URL/5" get db-key
redis-cli -p "$REDIS_PORT" config set requirepass 's3cret' >/dev/null
expect_code 0 on G --remote "redis://:s3cret@127.0.0.1:$REDIS_PORT" get small-key
expect_code 1 on H --remote "redis://:wrong-one@127.0.0.1:$REDIS_PORT" get small-key
expect_file_contains "$WORK/err" "authentication refused"
grep -q wrong-one "$WORK/err" && fail "the password reached a message: $(cat "$WORK/err")"
expect_eq "$(remote_stat H errors)" 1 "errors with a wrong password"
redis-cli -p "$REDIS_PORT" -a 's3cret' --no-auth-warning config set requirepass '' >/dev/null

# B's local copies serve it without the server (and without waiting for it).
stop_redis
expect_code 0 on B --remote "$REDIS_URL" get small-key -o "$WORK/small.c"
cmp -s "$WORK/small" "$WORK/small.c" || fail "B's local copy differs"
[ ! -s "$WORK/err" ] || fail "a local hit touched the dead remote: $(cat "$WORK/err")"
