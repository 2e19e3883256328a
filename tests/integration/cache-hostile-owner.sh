#!/bin/sh
# A cache directory, or a directory inside it, that belongs to another uid is
# refused with exit 2 (its owner could replace what it holds), even for root
# and even when its mode is 0700. Needs root to chown to uid 65534.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
require_root "chown to another uid"
C=$WORK/cache
me=$(id -u)
printf 'genuine content\n' >"$WORK/f"

# The cache directory itself.
mkdir -m 700 "$WORK/theirs"
chown 65534 "$WORK/theirs"
for command in "put k $WORK/f" "get k" stats ls verify gc clear; do
  # shellcheck disable=SC2086 # word splitting of $command is intended
  expect_code 2 "$SEALEXEC" cache --dir "$WORK/theirs" $command
  expect_error_line "sealexec: $WORK/theirs: " \
    "refused as a cache: it belongs to uid 65534, not to you (uid $me)"
done
expect_code 125 "$SEALEXEC" cache --dir "$WORK/theirs" exec k
expect_error_line "sealexec: $WORK/theirs: " "it belongs to uid 65534"
[ -z "$(ls -A "$WORK/theirs")" ] || fail "sealexec wrote into a cache owned by uid 65534"
expect_code 2 env "SEALEXEC_CACHE_DIR=$WORK/theirs" "$SEALEXEC" cache stats
expect_error_line "sealexec: $WORK/theirs: " "it belongs to uid 65534"

# A directory inside the cache: the store, a shard, tmp.
expect_code 0 sx put k "$WORK/f"
for relative in cas "cas/$(sha_of "$WORK/f" | cut -c1-2)" tmp ac \
  "ac/$(key_hex k | cut -c1-2)"; do
  chown 65534 "$C/$relative"
  expect_code 2 sx put k "$WORK/f"
  expect_error_line "sealexec: $C/$relative: " \
    "refused as a cache: it belongs to uid 65534, not to you (uid $me)"
  chown "$me" "$C/$relative"
done
expect_code 0 sx get k
cmp "$WORK/out" "$WORK/f" || fail "get after restoring the owners differs"

# Reads through a shard owned by someone else are refused too: its owner
# could have planted the entry.
shard=$(dirname "$(entry_of k)")
chown 65534 "$shard"
expect_code 2 sx get k
expect_error_line "sealexec: $shard: " "it belongs to uid 65534"
chown "$me" "$shard"
