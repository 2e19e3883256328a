#!/bin/sh
# An entry is bound to its key: an entry file copied or renamed over another
# key's is a miss plus quarantine, never the other key's bytes -- with
# `cache get` and with C scripts (a.c once printed "I am b.c").
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
require_command cc
C=$WORK/cache
printf 'content of A\n' >"$WORK/a"
printf 'content of B\n' >"$WORK/b"
expect_code 0 sx put A "$WORK/a"
expect_code 0 sx put B "$WORK/b"
chmod u+w "$(entry_of A)"
cp "$(entry_of B)" "$(entry_of A)"
expect_code 1 sx get A
[ ! -s "$WORK/out" ] || fail "get A printed: $(cat "$WORK/out")"
[ ! -e "$(entry_of A)" ] || fail "the swapped entry was not quarantined"
expect_eq "$(count_files "$C/quarantine")" 1 "files quarantined"
expect_code 0 sx get B
expect_eq "$(cat "$WORK/out")" "content of B" "B after the swap"
# verify finds one too (a rename this time), and says so.
expect_code 0 sx put A "$WORK/a"
mv "$(entry_of B)" "$(entry_of A)"
expect_code 1 sx verify
expect_file_contains "$WORK/out" "1 damaged entries"
expect_code 1 sx get A
expect_code 0 sx stats --json
json_load "$WORK/out"
expect_eq "$(json_get corrupt)" 2 "corrupt count"

# Two scripts: swap the entry a.c's key names (its manifest) for b.c's.
S=$WORK/scripts
mkdir "$S"
printf '#include <stdio.h>\nint main(void) { puts("I am a.c"); return 0; }\n' >"$S/a.c"
printf '#include <stdio.h>\nint main(void) { puts("I am b.c"); return 0; }\n' >"$S/b.c"
export SEALEXEC_CACHE_DIR="$WORK/scripts-cache"
C=$SEALEXEC_CACHE_DIR
expect_code 0 "$SEALEXEC" "$S/a.c"
expect_eq "$(cat "$WORK/out")" "I am a.c" "a.c, first run"
expect_code 0 "$SEALEXEC" "$S/b.c"
expect_code 0 sx ls --json
manifest_key() {
  python3 -c 'import json, sys
for e in json.load(open(sys.argv[1])):
    if e["description"] == "manifest: " + sys.argv[2]:
        print(e["key"])' "$WORK/out" "$1"
}
ka=$(manifest_key "$S/a.c")
kb=$(manifest_key "$S/b.c")
[ -n "$ka" ] && [ -n "$kb" ] || fail "no manifests listed: $(cat "$WORK/out")"
ea="$C/ac/$(printf %s "$ka" | cut -c1-2)/$ka"
eb="$C/ac/$(printf %s "$kb" | cut -c1-2)/$kb"
chmod u+w "$ea"
cp "$eb" "$ea"
expect_code 0 "$SEALEXEC" "$S/a.c"
expect_eq "$(cat "$WORK/out")" "I am a.c" "a.c after its entry was swapped for b.c's"
expect_code 0 "$SEALEXEC" "$S/b.c"
expect_eq "$(cat "$WORK/out")" "I am b.c" "b.c after the swap"
