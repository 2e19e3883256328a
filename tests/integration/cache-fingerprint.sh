#!/bin/sh
# The fingerprint is part of the key (FACTS §3, the Wasmtime/Zellij crash):
# one KEY put under two fingerprints makes two entries with their own
# contents, at the keys SHA-256 over the length-prefixed fingerprint and KEY
# gives; another fingerprint, or none, misses; and an entry file planted
# under another fingerprint's key is a miss (quarantined), never a hit.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache

printf 'compiled by winch\n' >"$WORK/winch"
printf 'compiled by cranelift, and longer\n' >"$WORK/cranelift"

expect_code 0 sx put --fingerprint "engine=winch;v=1" module.wasm "$WORK/winch"
expect_code 0 sx put --fingerprint "engine=cranelift;v=1" module.wasm "$WORK/cranelift"

# Two entries, at the keys computed independently here.
winch=$(entry_of "engine=winch;v=1" module.wasm)
cranelift=$(entry_of "engine=cranelift;v=1" module.wasm)
[ -f "$winch" ] || fail "no entry at $winch: $(find "$C/ac" -type f)"
[ -f "$cranelift" ] || fail "no entry at $cranelift: $(find "$C/ac" -type f)"
expect_code 0 sx ls
expect_lines "$WORK/out" 2
expect_eq "$(count_files "$C/cas")" 2 "blobs for two contents"

# Each fingerprint gets its own content back.
expect_code 0 sx get --fingerprint "engine=winch;v=1" module.wasm
cmp "$WORK/out" "$WORK/winch" || fail "the winch entry returned: $(cat "$WORK/out")"
expect_code 0 sx get --fingerprint "engine=cranelift;v=1" module.wasm
cmp "$WORK/out" "$WORK/cranelift" || fail "the cranelift entry returned: $(cat "$WORK/out")"

# A wrong fingerprint, or none, misses silently.
for fp in "engine=winch;v=2" "engine=winch" ""; do
  expect_code 1 sx get --fingerprint "$fp" module.wasm
  [ ! -s "$WORK/out" ] && [ ! -s "$WORK/err" ] || fail "a miss printed something for '$fp'"
done
expect_code 1 sx get module.wasm
expect_code 127 sx exec --fingerprint "engine=other" module.wasm

# No fingerprint is the empty one; and the fields are length-prefixed, so
# shifting text between fingerprint and KEY makes another key.
printf 'plain\n' >"$WORK/plain"
expect_code 0 sx put ab "$WORK/plain"
[ -f "$(entry_of "" ab)" ] || fail "the entry without a fingerprint is not at its key"
expect_code 0 sx get --fingerprint "" ab
cmp "$WORK/out" "$WORK/plain" || fail "--fingerprint '' does not find the entry put without one"
expect_code 1 sx get --fingerprint a b
expect_code 1 sx get --fingerprint ab ""
[ "$(key_hex a b)" != "$(key_hex "" ab)" ] || fail "key_hex itself is ambiguous"

# rm takes the fingerprint too: only that entry goes.
expect_code 0 sx rm --fingerprint "engine=winch;v=1" module.wasm
[ ! -e "$winch" ] || fail "rm left the winch entry"
expect_code 0 sx get --fingerprint "engine=cranelift;v=1" module.wasm
cmp "$WORK/out" "$WORK/cranelift" || fail "rm of the winch entry touched the cranelift one"

# An entry planted at another fingerprint's key: its recorded fingerprint
# does not match, so it is a miss and goes to quarantine.
expect_code 0 sx put --fingerprint "engine=winch;v=1" module.wasm "$WORK/winch"
rm -f "$cranelift"
cp "$winch" "$cranelift"
expect_code 1 sx get --fingerprint "engine=cranelift;v=1" module.wasm
[ ! -s "$WORK/out" ] || fail "the planted entry was served: $(cat "$WORK/out")"
[ ! -e "$cranelift" ] || fail "the planted entry was left in place"
expect_eq "$(count_files "$C/quarantine")" 1 "quarantined files"
expect_code 0 sx get --fingerprint "engine=winch;v=1" module.wasm
cmp "$WORK/out" "$WORK/winch" || fail "the genuine winch entry stopped working"
