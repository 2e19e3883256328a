#!/bin/sh
# sealexec script: a damaged binary in the cache is never run. After a byte
# of the cached binary's blob is flipped, the next run notices, recompiles
# transparently (a -v run says so) and prints the right output with exit
# code 0; the run after that uses the fresh binary; `sealexec cache verify`
# finds no damage left behind.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-count cc

cat >"$WORK/broken.c" <<'SRC'
#include <stdio.h>
int main(int argc, char **argv) {
  printf("intact with %d args\n", argc - 1);
  return 0;
}
SRC
backdate "$WORK/broken.c"

expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/broken.c" a
expect_out "intact with 1 args" "first run"
expect_compiled "first run"
expect_eq "$(script_entries)" 1 "script: entries after the first run"

# The blob of the "script: ..." entry, from cache ls --json.
sx ls --json >"$WORK/ls.json" || fail "cache ls --json failed"
blob=$(python3 -c 'import json, sys
for e in json.load(open(sys.argv[1])):
    if e["description"].startswith("script: "):
        print(e["blob"])' "$WORK/ls.json")
[ -n "$blob" ] || fail "no script: entry in cache ls --json: $(cat "$WORK/ls.json")"
f=$C/cas/$(printf %s "$blob" | cut -c1-2)/$blob
[ -f "$f" ] || { find "$C" -type f >&2; fail "the script's blob $f is not in the cache"; }
size=$(wc -c <"$f" | tr -d ' ')
[ "$size" -gt 1000 ] || fail "the script's blob is only $size bytes"
flip_byte "$f" $((size / 2))
chmod a-w "$f"

n=$(compiles cc-count)
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/broken.c" a b
expect_out "intact with 2 args" "run with the damaged blob"
expect_file_contains "$WORK/err" "the binary is missing or damaged in the cache: recompiling"
expect_compiled "run with the damaged blob"
# The damaged blob was moved aside (quarantine/, docs/cache.md) and counted.
found=""
for q in "$C/quarantine/$blob"*; do [ -e "$q" ] && found=$q; done
[ -n "$found" ] || { ls -la "$C" "$C/quarantine" >&2 || true; fail "the damaged blob $blob is not in $C/quarantine"; }
sx stats --json >"$WORK/stats.json" || fail "cache stats --json failed"
json_load "$WORK/stats.json"
[ "$(json_get corrupt)" -ge 1 ] || fail "cache stats counts no corrupt file after the damaged blob: $(cat "$WORK/stats.json")"
expect_eq "$(compiles cc-count)" $((n + 1)) "compiles for the run with the damaged blob"

c=$(calls cc-count)
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/broken.c"
expect_out "intact with 0 args" "run after the recompile"
expect_not_compiled "run after the recompile"
expect_eq "$(calls cc-count)" "$c" "compiler runs after the recompile"

# Nothing damaged is left where readers look.
set +e
sx verify >"$WORK/verify.out" 2>"$WORK/verify.err"
rc=$?
set -e
[ "$rc" -eq 0 ] || { cat "$WORK/verify.out" "$WORK/verify.err" >&2; fail "cache verify exited $rc after the recompile"; }
sx ls --json >"$WORK/ls.json" || fail "cache ls --json failed"
python3 -c 'import json, sys
bad = [e for e in json.load(open(sys.argv[1])) if e["damaged"]]
sys.exit("damaged entries: %r" % bad if bad else 0)' "$WORK/ls.json" || fail "cache ls lists damaged entries"

# A missing blob: the same story.
sx ls --json >"$WORK/ls.json"
blob=$(python3 -c 'import json, sys
for e in json.load(open(sys.argv[1])):
    if e["description"].startswith("script: "):
        print(e["blob"])' "$WORK/ls.json")
rm -f "$C/cas/$(printf %s "$blob" | cut -c1-2)/$blob"
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/broken.c" x
expect_out "intact with 1 args" "run with the blob missing"
expect_compiled "run with the blob missing"
expect_file_contains "$WORK/err" "recompiling"
