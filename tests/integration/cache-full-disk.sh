#!/bin/sh
# A put that runs out of space fails cleanly: exit 2 naming ENOSPC, no new
# entry, no leftover in tmp/, and what was there before still comes back
# byte-exact. The cache lives on a 1 MiB tmpfs mounted in a private mount
# namespace (needs root, unshare and mount).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
require_root "mount a tmpfs in a private mount namespace"
require_command unshare
require_command mount
require_command mountpoint
mkdir "$WORK/mnt"
unshare -m --propagation private sh -c 'mount -t tmpfs -o size=1m tmpfs "$1"' sh "$WORK/mnt" 2>"$WORK/err" \
  || skip "cannot mount a tmpfs in a private mount namespace: $(cat "$WORK/err")"
# The probe's mount went away with its namespace.
! mountpoint -q "$WORK/mnt" || fail "the probe's tmpfs leaked out of its namespace"

head -c 4000 /dev/urandom >"$WORK/small"
head -c 2097152 /dev/urandom >"$WORK/large"
head -c 3000 /dev/urandom >"$WORK/small2"

# The checks run inside the namespace, with the cache on the tmpfs; they
# have a $WORK of their own for expect_code (not on the tmpfs).
cat >"$WORK/inside.sh" <<'EOF'
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$MNT" || fail "cannot mount the tmpfs on $MNT"
mountpoint -q "$MNT" || fail "$MNT is not a mount point inside the namespace"
C=$MNT/cache

expect_code 0 sx put small "$INPUTS/small"
[ ! -s "$WORK/err" ] || fail "put of the small file: $(cat "$WORK/err")"
expect_code 0 sx ls
expect_lines "$WORK/out" 1

# 2 MiB does not fit in 1 MiB.
expect_code 2 sx put large "$INPUTS/large"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: "
expect_file_contains "$WORK/err" "No space left"
[ ! -s "$WORK/out" ] || fail "the failed put printed: $(cat "$WORK/out")"
[ -z "$(ls -A "$C/tmp")" ] || fail "the failed put left temporary files: $(ls -la "$C/tmp")"
expect_code 0 sx ls
expect_lines "$WORK/out" 1
grep -q "^$(key_hex small | cut -c1-16)  *4000  " "$WORK/out" || fail "ls after the failed put: $(cat "$WORK/out")"
[ ! -e "$(entry_of large)" ] || fail "the failed put published an entry"
expect_eq "$(count_files "$C/cas")" 1 "blobs after the failed put"
expect_code 1 sx get large

# What was there still comes back intact.
expect_code 0 sx get small
cmp "$WORK/out" "$INPUTS/small" || fail "the small entry changed after the failed put"
expect_code 0 sx verify

# The space of the failed put was given back: another small put fits, and
# the tmpfs holds little more than the two small entries.
expect_code 0 sx put small2 "$INPUTS/small2"
expect_code 0 sx get small2
cmp "$WORK/out" "$INPUTS/small2" || fail "the put after the failed one differs"
used=$(df -k --output=used "$MNT" | tail -n 1 | tr -d ' ')
[ "$used" -lt 200 ] || fail "$used KiB still used on the tmpfs after the failed put"

# The disk fills up between the blob and its entry: the blob fits exactly,
# the entry does not. Such a put leaves nothing visible either: not its
# blob, which no entry names (gc used to keep those for an hour).
blobs_before=$(count_files "$C/cas")
for round in 1 2 3 4 5; do
  avail=$(df -k --output=avail "$MNT" | tail -n 1 | tr -d ' ')
  [ "$avail" -gt 16 ] || fail "no room left to set up round $round"
  head -c $(( (avail - 8) * 1024 )) /dev/zero >"$MNT/filler"
  avail=$(df -k --output=avail "$MNT" | tail -n 1 | tr -d ' ')
  head -c $(( avail * 1024 )) /dev/urandom >"$INPUTS/exact.$round"
  expect_code 2 sx put "exact$round" "$INPUTS/exact.$round"
  expect_file_contains "$WORK/err" "No space left"
  expect_eq "$(count_files "$C/cas")" "$blobs_before" "blobs after a put that failed at its entry (round $round)"
  [ -z "$(ls -A "$C/tmp")" ] || fail "round $round left temporary files: $(ls -la "$C/tmp")"
  [ ! -e "$(entry_of "exact$round")" ] || fail "round $round published an entry"
  rm -f "$MNT/filler"
done
expect_code 0 sx verify
expect_code 0 sx get small2
cmp "$WORK/out" "$INPUTS/small2" || fail "an earlier entry changed after the failed puts"
EOF
set +e
MNT=$WORK/mnt INPUTS=$WORK unshare -m --propagation private sh "$WORK/inside.sh"
code=$?
set -e
[ "$code" -eq 0 ] || fail "the checks inside the mount namespace failed (exit $code)"
! mountpoint -q "$WORK/mnt" || fail "the tmpfs leaked out of its namespace"
[ -z "$(ls -A "$WORK/mnt")" ] || fail "the cache was written beside the tmpfs, not on it"
