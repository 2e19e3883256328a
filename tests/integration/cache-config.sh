#!/bin/sh
# The cache's settings: defaults < <dir>/cache.conf < SEALEXEC_CACHE_MAX_SIZE /
# SEALEXEC_CACHE_MAX_ENTRIES / SEALEXEC_CACHE_COMPRESSION < --max-size /
# --max-entries. A bad line in cache.conf (or a bad value anywhere) is exit 2
# naming where it is; cache.conf is never read through a symlink; with
# compression = zstd, blobs are stored as cas/xx/<sha256 of content>.zst and
# still come back byte-exact.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
unset SEALEXEC_CACHE_MAX_SIZE SEALEXEC_CACHE_MAX_ENTRIES SEALEXEC_CACHE_COMPRESSION
C=$WORK/cache
mkdir -m 700 "$C"

limits_are() { # MAX_ENTRIES MAX_SIZE WHAT, with $WORK/out from stats
  grep -q "^entries  *[0-9]* (limit $1)\$" "$WORK/out" \
    || fail "$3: max_entries is not $1: $(cat "$WORK/out")"
  grep -q "^content  *[0-9]* bytes (limit $2)\$" "$WORK/out" \
    || fail "$3: max_size is not $2: $(cat "$WORK/out")"
}

expect_code 0 sx stats
limits_are 100000 5368709120 "defaults"

# cache.conf: max_entries = 2; three puts and a gc keep the two most
# recently used.
cat >"$C/cache.conf" <<'EOF'
# limits for this cache
max_entries = 2   # entries
max_size = 1.5G
gc_every = 0
EOF
expect_code 0 sx stats
limits_are 2 1610612736 "cache.conf"
for k in a b c; do
  printf 'content %s\n' "$k" >"$WORK/$k"
  expect_code 0 sx put "$k" "$WORK/$k"
done
touch -d '@1000000000' "$(entry_of a)"
touch -d '@1000000100' "$(entry_of b)"
touch -d '@1000000200' "$(entry_of c)"
expect_code 0 sx gc
expect_eq "$(cat "$WORK/out")" \
  "evicted 1 entries, removed 1 blobs and 0 stale temporary files; 2 entries, 20 bytes left" "gc output"
expect_code 0 sx ls
expect_lines "$WORK/out" 2
expect_code 1 sx get a
expect_code 0 sx get c
cmp "$WORK/out" "$WORK/c" || fail "c is not intact after gc"

# The environment overrides the file.
expect_code 0 env SEALEXEC_CACHE_MAX_ENTRIES=5 SEALEXEC_CACHE_MAX_SIZE=1M "$SEALEXEC" cache --dir "$C" stats
limits_are 5 1048576 "environment over cache.conf"
# Flags override the environment.
expect_code 0 env SEALEXEC_CACHE_MAX_ENTRIES=5 SEALEXEC_CACHE_MAX_SIZE=1M \
  "$SEALEXEC" cache --dir "$C" --max-entries 7 --max-size 2K stats
limits_are 7 2048 "flags over the environment"
# And they act: the file says 2, the environment 3, so gc keeps 3 of 3.
expect_code 0 sx put a "$WORK/a"
touch -d '@1000000200' "$(entry_of c)" # the get above made c the newest
touch -d '@1000000300' "$(entry_of a)"
expect_code 0 env SEALEXEC_CACHE_MAX_ENTRIES=3 "$SEALEXEC" cache --dir "$C" gc
expect_eq "$(cat "$WORK/out")" \
  "evicted 0 entries, removed 0 blobs and 0 stale temporary files; 3 entries, 30 bytes left" \
  "gc with SEALEXEC_CACHE_MAX_ENTRIES=3"
# ... and the flag says 1, over the environment's 3: a (the newest) stays.
expect_code 0 env SEALEXEC_CACHE_MAX_ENTRIES=3 "$SEALEXEC" cache --dir "$C" --max-entries 1 gc
expect_eq "$(cat "$WORK/out")" \
  "evicted 2 entries, removed 2 blobs and 0 stale temporary files; 1 entries, 10 bytes left" \
  "gc with --max-entries 1 over SEALEXEC_CACHE_MAX_ENTRIES=3"
expect_code 0 sx get a
cmp "$WORK/out" "$WORK/a" || fail "the most recently used entry was evicted"

# A bad line: exit 2, one line naming cache.conf and the line number, for
# every command.
printf 'max_size = 1G\n\n# fine so far\nmax_sise = 1G\n' >"$C/cache.conf"
for command in stats "get a" "put z $WORK/a" ls gc verify; do
  # shellcheck disable=SC2086 # word splitting of $command is intended
  expect_code 2 sx $command
  expect_error_line "sealexec: $C/cache.conf:4: " "unknown setting 'max_sise'"
done
expect_code 125 sx exec a
expect_error_line "sealexec: $C/cache.conf:4: " "unknown setting 'max_sise'"
printf 'max_entries = 10\nmax_entries = lots\n' >"$C/cache.conf"
expect_code 2 sx stats
expect_error_line "sealexec: $C/cache.conf:2: " "not a whole number for max_entries: 'lots'"
printf '# a comment\nmax_entries\n' >"$C/cache.conf"
expect_code 2 sx stats
expect_error_line "sealexec: $C/cache.conf:2: " "expected 'key = value'"
printf 'compression = gzip\n' >"$C/cache.conf"
expect_code 2 sx stats
expect_error_line "sealexec: $C/cache.conf:1: " "not none or zstd"
# Something that is not a config file at all (70,000 bytes of comments).
head -c 70000 /dev/zero | tr '\0' '#' >"$C/cache.conf"
expect_code 2 sx stats
expect_error_line "sealexec: $C/cache.conf: " "is larger than 64 KiB"
rm "$C/cache.conf"

# Bad values in the environment and in flags name their source.
expect_code 2 env SEALEXEC_CACHE_MAX_SIZE=huge "$SEALEXEC" cache --dir "$C" stats
expect_error_line "sealexec: SEALEXEC_CACHE_MAX_SIZE: " "not a size"
expect_code 2 env SEALEXEC_CACHE_COMPRESSION=gzip "$SEALEXEC" cache --dir "$C" stats
expect_error_line "sealexec: SEALEXEC_CACHE_COMPRESSION: " "not none or zstd"
expect_code 2 sx --max-entries many stats
expect_error_line "sealexec: --max-entries: " "not a whole number"
expect_code 2 sx --max-size 5Q stats
expect_error_line "sealexec: --max-size: " "not a size"

# cache.conf is not read through a symlink.
printf 'max_entries = 1\n' >"$WORK/outside.conf"
ln -s "$WORK/outside.conf" "$C/cache.conf"
expect_code 0 sx stats
limits_are 100000 5368709120 "a symlinked cache.conf"
rm "$C/cache.conf"

# compression = zstd: cas/xx/<sha256 of the content>.zst, smaller than the
# content, and get returns the exact bytes.
Z=$WORK/zcache
mkdir -m 700 "$Z"
printf 'compression = zstd\n' >"$Z/cache.conf"
yes 'compressible line of text' | head -c 300000 >"$WORK/big"
head -c 5000 /dev/urandom >>"$WORK/big"
C=$Z
expect_code 0 sx put big "$WORK/big"
blob=$(blob_of "$WORK/big")
[ -f "$blob.zst" ] || fail "no compressed blob $blob.zst: $(find "$Z/cas" -type f)"
[ ! -e "$blob" ] || fail "an uncompressed blob was stored as well"
expect_eq "$(count_files "$Z/cas")" 1 "blobs in the compressed cache"
[ "$(stat -c %s "$blob.zst")" -lt 100000 ] || fail "the .zst blob is not compressed: $(stat -c %s "$blob.zst") bytes"
if command -v zstd >/dev/null 2>&1; then
  zstd -q -d -c "$blob.zst" | cmp - "$WORK/big" || fail "the .zst blob is not a zstd frame of the content"
fi
expect_code 0 sx get big
cmp "$WORK/out" "$WORK/big" || fail "get from the compressed cache differs"
expect_code 0 sx get big -o "$WORK/big.out"
cmp "$WORK/big.out" "$WORK/big" || fail "get -o from the compressed cache differs"
expect_code 0 sx verify
expect_code 0 sx put hello "$EXAMPLES/hello"
[ -f "$(blob_of "$EXAMPLES/hello").zst" ] || fail "hello's blob is not compressed"
expect_code 0 sx exec hello -- z
printf 'hello from sealed memory\narg 1: z\n' >"$WORK/want"
cmp "$WORK/out" "$WORK/want" || fail "exec of a compressed entry printed: $(cat "$WORK/out")"
# The environment overrides compression = zstd.
printf 'stored plain\n' >"$WORK/plain"
expect_code 0 env SEALEXEC_CACHE_COMPRESSION=none "$SEALEXEC" cache --dir "$Z" put plain "$WORK/plain"
[ -f "$(blob_of "$WORK/plain")" ] || fail "SEALEXEC_CACHE_COMPRESSION=none did not override the file"
[ ! -e "$(blob_of "$WORK/plain").zst" ] || fail "SEALEXEC_CACHE_COMPRESSION=none still compressed"
expect_code 0 sx get plain
cmp "$WORK/out" "$WORK/plain" || fail "get of the plain entry in a zstd cache differs"
