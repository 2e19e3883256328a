#!/bin/sh
# A cache that others could tamper with is refused, and nothing inside the
# cache is followed through a symlink: a group- or world-writable cache
# directory (or directory inside it) is exit 2; a symlink as the cache is
# exit 2; an entry or blob replaced by a symlink to a file outside is a miss
# (the link is quarantined, the outside file untouched); a store or shard
# directory replaced by a symlink to an outside directory makes put exit 2
# with nothing written outside. (Ownership by another uid needs root:
# cache-hostile-owner.sh.)
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache
printf 'genuine content\n' >"$WORK/f"
printf 'other content\n' >"$WORK/g"

# Group- or world-writable cache directories.
for mode in 770 707 775 702; do
  mkdir "$WORK/open-$mode"
  chmod "$mode" "$WORK/open-$mode"
  for command in "put k $WORK/f" "get k" stats; do
    # shellcheck disable=SC2086 # word splitting of $command is intended
    expect_code 2 "$SEALEXEC" cache --dir "$WORK/open-$mode" $command
    expect_error_line "sealexec: $WORK/open-$mode: " \
      "refused as a cache: it is writable by its group or others (mode 0$mode)"
  done
  [ -z "$(ls -A "$WORK/open-$mode")" ] || fail "sealexec wrote into the refused $WORK/open-$mode"
done
# The same through SEALEXEC_CACHE_DIR.
expect_code 2 env "SEALEXEC_CACHE_DIR=$WORK/open-770" "$SEALEXEC" cache put k "$WORK/f"
expect_error_line "sealexec: $WORK/open-770: " "writable by its group or others"

# The cache directory itself a symlink (to a private directory), or a file.
mkdir -m 700 "$WORK/real"
ln -s "$WORK/real" "$WORK/link"
expect_code 2 "$SEALEXEC" cache --dir "$WORK/link" put k "$WORK/f"
expect_error_line "sealexec: $WORK/link: " "refused as a cache: it is a symbolic link or not a directory"
[ -z "$(ls -A "$WORK/real")" ] || fail "sealexec wrote through the symlinked cache"
: >"$WORK/plainfile"
expect_code 2 "$SEALEXEC" cache --dir "$WORK/plainfile" put k "$WORK/f"
expect_error_line "sealexec: $WORK/plainfile: " "not a directory"

# A directory inside the cache that is group-writable: put is refused.
expect_code 0 sx put k "$WORK/f"
chmod 770 "$C/ac"
expect_code 2 sx put k2 "$WORK/g"
expect_error_line "sealexec: $C/ac: " "writable by its group or others (mode 0770)"
chmod 700 "$C/ac"
shard=$(dirname "$(entry_of k)")
chmod 770 "$shard"
expect_code 2 sx put k "$WORK/g"
expect_error_line "sealexec: $shard: " "writable by its group or others (mode 0770)"
chmod 700 "$shard"
expect_code 0 sx get k
cmp "$WORK/out" "$WORK/f" || fail "a refused put replaced the entry"

# An entry replaced by a symlink to a file outside: even a valid entry
# there is not followed. A miss; the link goes to quarantine; the outside
# file is untouched.
entry=$(entry_of k)
cp "$entry" "$WORK/outside-entry"
cp "$WORK/outside-entry" "$WORK/outside-entry.orig"
rm -f "$entry"
ln -s "$WORK/outside-entry" "$entry"
expect_code 1 sx get k
[ ! -s "$WORK/out" ] || fail "the entry was read through a symlink: $(cat "$WORK/out")"
[ ! -L "$entry" ] || fail "the symlinked entry was left in place"
cmp "$WORK/outside-entry" "$WORK/outside-entry.orig" || fail "the outside file changed"
expect_eq "$(find "$C/quarantine" -type l | wc -l | tr -d ' ')" 1 "symlinks in quarantine"
expect_code 127 sx exec k
expect_code 0 sx put k "$WORK/f"

# A blob replaced by a symlink to an outside copy of the same bytes.
blob=$(blob_of "$WORK/f")
cp "$blob" "$WORK/outside-blob"
rm -f "$blob"
ln -s "$WORK/outside-blob" "$blob"
expect_code 1 sx get k
[ ! -s "$WORK/out" ] || fail "the blob was read through a symlink"
[ ! -L "$blob" ] || fail "the symlinked blob was left in place"
cmp "$WORK/outside-blob" "$WORK/f" || fail "the outside blob changed"

# The cas directory, a cas shard, tmp or ac replaced by a symlink to an
# outside directory: put exits 2 and writes nothing there.
mkdir -m 700 "$WORK/outside-dir"
replace_with_link() { # RELATIVE
  rm -rf "${C:?}/$1"
  mkdir -p "$(dirname "$C/$1")"
  ln -s "$WORK/outside-dir" "$C/$1"
}
for relative in cas "cas/$(sha_of "$WORK/g" | cut -c1-2)" tmp ac "ac/$(key_hex k3 | cut -c1-2)"; do
  replace_with_link "$relative"
  expect_code 2 sx put k3 "$WORK/g"
  expect_error_line "sealexec: $C/$relative: " \
    "refused: a symbolic link or file where the cache expects a directory"
  expect_eq "$(ls -A "$WORK/outside-dir" | wc -l | tr -d ' ')" 0 \
    "files written through the symlinked $relative"
  rm "$C/$relative"
done
# A regular file where a shard directory belongs.
: >"$C/ac/$(key_hex k3 | cut -c1-2)"
expect_code 2 sx put k3 "$WORK/g"
expect_error_line "sealexec: $C/ac/$(key_hex k3 | cut -c1-2): " "a symbolic link or file where the cache expects a directory"
rm "$C/ac/$(key_hex k3 | cut -c1-2)"
expect_code 0 sx put k3 "$WORK/g"
expect_code 0 sx get k3
cmp "$WORK/out" "$WORK/g" || fail "put after removing the planted links differs"

# ... and so are reads through such a directory: someone of the group could
# have planted the entry and its blob there (get would serve them, exec would
# run them).
expect_code 0 sx put k "$WORK/f"
shard=$(dirname "$(entry_of k)")
chmod 770 "$shard"
expect_code 2 sx get k
expect_error_line "sealexec: $shard: " "writable by its group or others (mode 0770)"
expect_code 125 sx exec k
expect_error_line "sealexec: $shard: " "writable by its group or others (mode 0770)"
chmod 700 "$shard"
blob_shard=$(dirname "$(blob_of "$WORK/f")")
chmod 707 "$blob_shard"
expect_code 2 sx get k
expect_error_line "sealexec: $blob_shard: " "writable by its group or others (mode 0707)"
chmod 700 "$blob_shard"
expect_code 0 sx get k
cmp "$WORK/out" "$WORK/f" || fail "get after restoring the modes differs"

