#!/bin/sh
# Where sealexec deliberately disagrees with scanelf, each case proven:
# (a) a shared object with no PT_GNU_STACK (tcc -shared): scanelf shows ---
#     and does not flag it with -q -e; ld.so gives such an object an
#     executable stack, and sealexec flags it.
# (b) DF_1_NOW as the only BIND_NOW form: scanelf -b says LAZY; ld.so binds
#     it now (dlopen with RTLD_LAZY fails on an unresolved function), and
#     sealexec says bind_now, RELRO full.
. "$TEST_LIB"
require_command scanelf
require_command readelf
require_command python3
unset LD_LIBRARY_PATH

# (a)
if command -v tcc >/dev/null 2>&1; then
  printf 'int answer(void) { return 42; }\n' >"$WORK/answer.c"
  tcc -shared -o "$WORK/libnostack.so" "$WORK/answer.c" || fail "tcc -shared failed"
  ! LC_ALL=C readelf -lW "$WORK/libnostack.so" | grep -q GNU_STACK || fail "tcc wrote a GNU_STACK"
  expect_code 0 scanelf -B -F '%e' "$WORK/libnostack.so"
  expect_eq "$(cut -d' ' -f1 "$WORK/out")" "---" "scanelf's STK for the tcc library"
  expect_code 0 scanelf -q -e "$WORK/libnostack.so"
  [ ! -s "$WORK/out" ] || fail "scanelf -q -e now flags the tcc library: $(cat "$WORK/out")"
  expect_code 1 "$SEALEXEC" check --fail-on execstack "$WORK/libnostack.so"
  grep -q "^lib  *ld\.so  .* $WORK/libnostack.so\$" "$WORK/out" || { cat "$WORK/out" >&2; fail "sealexec does not flag the tcc library"; }
else
  echo "note: no tcc; case (a) is covered only by check-tcc-no-gnu-stack.sh" >&2
fi

# (b)
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
[ -n "$cc" ] || skip "needs a C compiler for the DF_1_NOW case"
cat >"$WORK/unresolved.c" <<'C'
void not_defined_anywhere(void);
int loaded(void) { return 1; }
void never_called(void) { not_defined_anywhere(); }
C
"$cc" -shared -fPIC -Wl,-z,now -Wl,-z,relro -o "$WORK/libnow.so" "$WORK/unresolved.c" || fail "link -z now"
"$cc" -shared -fPIC -Wl,-z,lazy -Wl,-z,relro -o "$WORK/liblazy.so" "$WORK/unresolved.c" || fail "link -z lazy"
cp "$WORK/libnow.so" "$WORK/libflags1.so"
# Drop DT_BIND_NOW and DF_BIND_NOW from the dynamic array, keeping DF_1_NOW.
python3 - "$WORK/libflags1.so" <<'PY' || fail "the DT_FLAGS patcher failed"
import struct, sys
DT_NULL, DT_BIND_NOW, DT_FLAGS, DF_BIND_NOW, PT_DYNAMIC = 0, 24, 30, 8, 2
with open(sys.argv[1], "r+b") as f:
    data = bytearray(f.read())
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "ELF64 LE only"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type != PT_DYNAMIC:
            continue
        entries = []
        for off in range(p_offset, p_offset + p_filesz, 16):
            tag, val = struct.unpack_from("<qQ", data, off)
            if tag == DT_NULL:
                break
            if tag == DT_BIND_NOW:
                continue
            if tag == DT_FLAGS:
                val &= ~DF_BIND_NOW
            entries.append((tag, val))
        count = p_filesz // 16
        entries += [(DT_NULL, 0)] * (count - len(entries))
        for n, (tag, val) in enumerate(entries):
            struct.pack_into("<qQ", data, p_offset + 16 * n, tag, val)
        break
    else:
        sys.exit("no PT_DYNAMIC")
    f.seek(0)
    f.write(data)
PY
# The precondition, as readelf sees it: FLAGS_1 NOW only.
LC_ALL=C readelf -dW "$WORK/libflags1.so" >"$WORK/dynamic"
grep -Eq '\(FLAGS_1\) +Flags:.* NOW( |$)' "$WORK/dynamic" || fail "no FLAGS_1 NOW: $(cat "$WORK/dynamic")"
! grep -q '(BIND_NOW)' "$WORK/dynamic" || fail "DT_BIND_NOW still there"
! grep -Eq '\(FLAGS\) .*BIND_NOW' "$WORK/dynamic" || fail "DF_BIND_NOW still there"
LC_ALL=C readelf -lW "$WORK/libflags1.so" | grep -q GNU_RELRO || fail "no GNU_RELRO"

# ld.so honours DF_1_NOW: RTLD_LAZY does not make it lazy. Control: the lazy
# build loads, since nothing calls the missing function.
python3 - "$WORK" <<'PY' || fail "ld.so's binding of the patched library"
import ctypes, os, sys
ctypes.CDLL(sys.argv[1] + "/liblazy.so", mode=os.RTLD_LAZY)
for name in ("libnow.so", "libflags1.so"):
    try:
        ctypes.CDLL(sys.argv[1] + "/" + name, mode=os.RTLD_LAZY)
    except OSError as e:
        assert "not_defined_anywhere" in str(e), e
    else:
        sys.exit(f"{name} loaded lazily: ld.so did not bind it now")
PY

# scanelf: LAZY (it knows DF_BIND_NOW, so the unpatched file is NOW).
expect_code 0 scanelf -B -F '%b' "$WORK/libflags1.so"
expect_eq "$(cut -d' ' -f1 "$WORK/out")" "LAZY" "scanelf -b on the DF_1_NOW-only library"
expect_code 0 scanelf -B -F '%b' "$WORK/libnow.so"
expect_eq "$(cut -d' ' -f1 "$WORK/out")" "NOW" "scanelf -b on the -z now library"

# sealexec: bind_now, full RELRO; the lazy build is partial.
expect_code 0 "$SEALEXEC" check --json "$WORK/libflags1.so" "$WORK/liblazy.so"
python3 - "$WORK/out" <<'PY' || fail "sealexec's view of DF_1_NOW: $(cat "$WORK/out")"
import json, sys
flags1, lazy = json.load(open(sys.argv[1]))["files"]
assert flags1["bind_now"] is True and flags1["relro"] == "full", flags1
assert lazy["bind_now"] is False and lazy["relro"] == "partial", lazy
PY
expect_code 0 "$SEALEXEC" check --fail-on partial-relro,no-relro "$WORK/libflags1.so"
grep -q "^lib  *no  *no  *no  *full  .* $WORK/libflags1.so\$" "$WORK/out" || { cat "$WORK/out" >&2; fail "the row does not say RELRO full"; }
expect_code 1 "$SEALEXEC" check --fail-on partial-relro "$WORK/liblazy.so"
