#!/bin/sh
# An object file (ET_REL) has no PT_GNU_PROPERTY: its CET bits are in the
# .note.gnu.property section, which check reads as readelf -n does.
. "$TEST_LIB"
require_command readelf
require_command python3
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler"
[ "$(uname -m)" = x86_64 ] || skip "CET is x86"
printf 'int f(int x) { return x + 1; }\n' >"$WORK/f.c"
"$cc" -fcf-protection=full -c -o "$WORK/cet.o" "$WORK/f.c" || fail "could not compile with -fcf-protection=full"
"$cc" -fcf-protection=none -c -o "$WORK/plain.o" "$WORK/f.c" || fail "could not compile with -fcf-protection=none"
LC_ALL=C readelf -n "$WORK/cet.o" | grep -q 'x86 feature: IBT, SHSTK' || fail "readelf -n does not show IBT, SHSTK: $(readelf -n "$WORK/cet.o")"
! LC_ALL=C readelf -n "$WORK/plain.o" | grep -q 'IBT' || fail "readelf -n shows IBT for -fcf-protection=none"

expect_code 0 "$SEALEXEC" check --json "$WORK/cet.o" "$WORK/plain.o"
python3 - "$WORK/out" <<'PY' || fail "properties: $(cat "$WORK/out")"
import json, sys
cet, plain = json.load(open(sys.argv[1]))["files"]
assert cet["type"] == "obj" and cet["properties"]["ibt"] is True and cet["properties"]["shstk"] is True, cet
assert plain["properties"]["ibt"] is False and plain["properties"]["shstk"] is False, plain
assert cet["findings"] == [] and plain["findings"] == [], (cet["findings"], plain["findings"])
PY
expect_code 0 "$SEALEXEC" check "$WORK/cet.o"
grep -q "^obj .*IBT,SHSTK .*cet\.o\$" "$WORK/out" || fail "the text row lacks IBT,SHSTK: $(cat "$WORK/out")"
