#!/bin/sh
# Damage is a miss, never an error: a blob or entry with one byte flipped (or
# truncated) makes get exit 1 with no output, the damaged file moves to
# quarantine/ unchanged, and stats counts it under corrupt. exec of a damaged
# entry is "no such entry" (127), never a run of the damaged bytes. verify
# recomputes every blob's SHA-256: exit 1 and quarantine when something is
# damaged, exit 0 on the next run.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache

miss_silently() { # WHAT
  [ ! -s "$WORK/out" ] || fail "$1: damaged content was served: $(head -c 100 "$WORK/out")"
  [ ! -s "$WORK/err" ] || fail "$1: damage became an error: $(cat "$WORK/err")"
}

seq 1 20000 >"$WORK/content"
seq 5 30000 >"$WORK/other"

# A flipped byte in the blob.
expect_code 0 sx put k "$WORK/content"
blob=$(blob_of "$WORK/content")
flip_byte "$blob" 1000
cp "$blob" "$WORK/damaged-blob"
expect_code 1 sx get k
miss_silently "get of a damaged blob"
[ ! -e "$blob" ] || fail "the damaged blob was left in the store"
expect_eq "$(count_files "$C/quarantine")" 1 "files in quarantine"
quarantined=$(find "$C/quarantine" -type f)
case $(basename "$quarantined") in
  "$(sha_of "$WORK/content")".*) ;;
  *) fail "the quarantined file is not named after the blob: $quarantined" ;;
esac
cmp "$quarantined" "$WORK/damaged-blob" || fail "the quarantined blob is not the damaged file"
expect_code 0 sx stats --json
json_load "$WORK/out"
expect_eq "$(json_get corrupt)" 1 "corrupt after a damaged blob"
expect_eq "$(json_get hits)" 0 "hits after a damaged blob"
expect_eq "$(json_get misses)" 1 "misses after a damaged blob"
# Another get is a plain miss (the blob is gone); a put repairs it.
expect_code 1 sx get k
expect_code 0 sx put k "$WORK/content"
expect_code 0 sx get k
cmp "$WORK/out" "$WORK/content" || fail "get after re-put differs"

# get -o OUT of a damaged blob creates no OUT.
flip_byte "$blob" 7
expect_code 1 sx get k -o "$WORK/never"
miss_silently "get -o of a damaged blob"
[ ! -e "$WORK/never" ] && [ ! -e "$WORK/never.sealexec-part" ] || fail "get -o of a damaged blob wrote OUT"
expect_code 0 sx put k "$WORK/content"

# A truncated blob.
chmod u+w "$blob"
truncate -s 100 "$blob"
expect_code 1 sx get k
miss_silently "get of a truncated blob"
expect_code 0 sx put k "$WORK/content"

# A flipped byte in the entry (in its description, and in its checksum).
entry=$(entry_of k)
for offset in 40 $(($(stat -c %s "$entry") - 1)); do
  expect_code 0 sx put k "$WORK/content"
  flip_byte "$entry" "$offset"
  cp "$entry" "$WORK/damaged-entry"
  expect_code 1 sx get k
  miss_silently "get of an entry damaged at $offset"
  [ ! -e "$entry" ] || fail "the damaged entry was left in place"
  find "$C/quarantine" -name "$(key_hex k).*" -type f | while read -r file; do
    cmp -s "$file" "$WORK/damaged-entry" && echo found
  done | grep -q found || fail "the damaged entry is not in quarantine"
done
expect_code 0 sx stats --json
json_load "$WORK/out"
expect_eq "$(json_get corrupt)" 5 "corrupt after five damaged files"

# An entry that is not a regular file, or is empty.
expect_code 0 sx put k "$WORK/content"
rm -f "$entry"
: >"$entry"
expect_code 1 sx get k
miss_silently "get of an empty entry"
rm -f "$entry"
mkdir "$entry"
expect_code 1 sx get k
miss_silently "get of a directory as entry"
rm -rf "$entry"

# exec of a damaged program is no such entry: never runs the bytes.
expect_code 0 sx put hello "$EXAMPLES/hello"
flip_byte "$(blob_of "$EXAMPLES/hello")" 2000
expect_code 127 sx exec hello
expect_error_line "sealexec: hello: " "no such entry in the cache"
[ ! -e "$(blob_of "$EXAMPLES/hello")" ] || fail "exec left the damaged blob in the store"

# A damaged compressed blob.
expect_code 0 env SEALEXEC_CACHE_COMPRESSION=zstd "$SEALEXEC" cache --dir "$C" put z "$WORK/other"
zblob="$(blob_of "$WORK/other").zst"
[ -f "$zblob" ] || fail "no compressed blob"
flip_byte "$zblob" 20
expect_code 1 sx get z
miss_silently "get of a damaged compressed blob"
[ ! -e "$zblob" ] || fail "the damaged compressed blob was left in the store"

# verify: a fresh cache, two entries, one blob damaged.
C=$WORK/verify-cache
expect_code 0 sx put a "$WORK/content"
expect_code 0 sx put b "$WORK/other"
expect_code 0 sx verify
expect_eq "$(cat "$WORK/out")" \
  "2 entries, 2 blobs checked: 0 damaged entries, 0 damaged blobs (quarantined), 0 entries missing their blob" \
  "verify of an intact cache"
flip_byte "$(blob_of "$WORK/content")" 12345
expect_code 1 sx verify
expect_eq "$(cat "$WORK/out")" \
  "2 entries, 2 blobs checked: 0 damaged entries, 1 damaged blobs (quarantined), 1 entries missing their blob" \
  "verify of a damaged blob"
[ ! -e "$(blob_of "$WORK/content")" ] || fail "verify left the damaged blob in place"
expect_eq "$(count_files "$C/quarantine")" 1 "files quarantined by verify"
expect_code 0 sx verify
expect_eq "$(cat "$WORK/out")" \
  "2 entries, 1 blobs checked: 0 damaged entries, 0 damaged blobs (quarantined), 1 entries missing their blob" \
  "the second verify"
expect_code 1 sx get a
expect_code 0 sx get b
cmp "$WORK/out" "$WORK/other" || fail "the intact entry changed"
# A damaged entry: verify 1, then 0.
flip_byte "$(entry_of b)" 30
expect_code 1 sx verify
expect_eq "$(cat "$WORK/out")" \
  "2 entries, 1 blobs checked: 1 damaged entries, 0 damaged blobs (quarantined), 1 entries missing their blob" \
  "verify of a damaged entry"
expect_code 0 sx verify
expect_eq "$(cat "$WORK/out")" \
  "1 entries, 1 blobs checked: 0 damaged entries, 0 damaged blobs (quarantined), 1 entries missing their blob" \
  "verify after quarantining the entry"
expect_code 0 sx stats --json
json_load "$WORK/out"
expect_eq "$(json_get corrupt)" 2 "corrupt counted by verify"
