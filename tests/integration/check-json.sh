#!/bin/sh
# check --json prints one valid JSON document: a file entry carries every
# documented key (and a closure with --deps, none without), a file that
# cannot be checked becomes {path, error} (and one stderr line, exit 2), and
# the summary counts agree with the entries.
. "$TEST_LIB"
require_command python3
unset LD_LIBRARY_PATH

cp -r "$EXAMPLES/execstack-app" "$WORK/app"
printf 'plain text\n' >"$WORK/notes.txt"
head -c 100 "$EXAMPLES/hello" >"$WORK/truncated"
mkdir "$WORK/dir"
set -- "$EXAMPLES/hello" "$WORK/app/libculprit.so" "$WORK/app/uses-culprit" \
  "$EXAMPLES/libanswer-plugin.so" "$WORK/missing" "$WORK/notes.txt" "$WORK/truncated" "$WORK/dir"
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
if [ -n "$cc" ]; then
  printf 'int f(void) { return 1; }\n' >"$WORK/f.c"
  "$cc" -c -o "$WORK/f.o" "$WORK/f.c" || fail "cannot compile f.o"
  set -- "$@" "$WORK/f.o"
fi

for deps in --deps ""; do
  # shellcheck disable=SC2086 # $deps is zero or one word
  expect_code 2 "$SEALEXEC" check --json $deps "$@"
  python3 -m json.tool "$WORK/out" >/dev/null || fail "not valid JSON: $(cat "$WORK/out")"
  # One error line per unreadable file, naming it.
  expect_lines "$WORK/err" 4
  for bad in missing notes.txt truncated dir; do
    grep -q "^sealexec: $WORK/$bad: " "$WORK/err" || fail "no error line for $bad: $(cat "$WORK/err")"
  done
  python3 - "$WORK/out" "$deps" "$@" <<'PY' || fail "JSON document ($deps): $(cat "$WORK/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
deps = sys.argv[2] == "--deps"
operands = sys.argv[3:]
assert set(doc) == {"sealexec_check", "files", "summary"}, set(doc)
assert doc["sealexec_check"] == 1
files = doc["files"]
assert [f["path"] for f in files] == operands, [f["path"] for f in files]

FILE_KEYS = {"path", "type", "machine", "class", "byte_order", "stack", "wx_segments", "textrel",
             "relro", "bind_now", "pie", "properties", "soname", "needed", "findings", "warnings"}
STACK_KEYS = {"gnu_stack_headers", "gnu_stack_flags", "kernel_executable", "ldso_executable", "reason",
              "intent", "trampoline_offset", "fix"}
FINDINGS = {"execstack", "wx", "textrel", "no-relro", "partial-relro", "no-pie", "no-ibt",
            "no-shstk", "no-bti", "duplicate-gnu-stack"}
OBJECT_KEYS = {"name", "path", "found_via", "depth", "loader", "needs"}
CULPRIT_KEYS = {"object", "path", "execstack", "wx", "unloadable", "problem", "predictions",
                "remedy"}

by_name = {f["path"].rsplit("/", 1)[-1]: f for f in files}
errors = [f for f in files if "error" in f]
assert sorted(f["path"].rsplit("/", 1)[-1] for f in errors) == ["dir", "missing", "notes.txt", "truncated"], errors
for f in errors:
    assert set(f) == {"path", "error"}, f
    assert isinstance(f["error"], str) and f["error"], f
assert "is not an ELF file" in by_name["notes.txt"]["error"]
assert "-R" in by_name["dir"]["error"]

for f in files:
    if "error" in f:
        continue
    want = FILE_KEYS | ({"closure"} if deps and f["type"] != "obj" else set())
    assert set(f) == want, (f["path"], set(f) ^ want)
    assert set(f["stack"]) == STACK_KEYS, f["stack"]
    assert set(f["properties"]) == {"ibt", "shstk", "bti", "pac"}, f["properties"]
    assert f["machine"] == "x86_64" and f["class"] == 64 and f["byte_order"] == "little", f
    assert f["type"] in ("exec", "pie", "lib", "obj"), f["type"]
    assert set(f["findings"]) <= FINDINGS, f["findings"]
    assert all(isinstance(v, bool) for v in (f["textrel"], f["bind_now"], f["pie"])), f
    assert f["relro"] in ("none", "partial", "full"), f["relro"]
    if "closure" in f:
        c = f["closure"]
        assert set(c) == {"objects", "culprits"}, set(c)
        for o in c["objects"]:
            assert OBJECT_KEYS <= set(o), o
            assert set(o) - OBJECT_KEYS in ({"findings", "ldso_executable_stack"}, {"error"}, set()), o
        for k in c["culprits"]:
            extra = {"glibc_2_41", "intent", "warning"} if k["execstack"] else set()
            assert set(k) == CULPRIT_KEYS | extra, k
            assert all(set(p) == {"system", "outcome"} for p in k["predictions"]), k
        assert c["objects"][0]["found_via"] == "program" and c["objects"][0]["depth"] == 0, c["objects"][0]

hello, culprit, user = by_name["hello"], by_name["libculprit.so"], by_name["uses-culprit"]
assert hello["type"] == "pie" and hello["pie"] is True and hello["stack"]["kernel_executable"] is False
assert hello["needed"] == ["libc.so.6"] and hello["soname"] is None, hello
assert culprit["type"] == "lib" and culprit["soname"] == "libculprit.so" and culprit["pie"] is False
assert culprit["stack"]["ldso_executable"] is True and culprit["stack"]["kernel_executable"] is None
assert culprit["stack"]["gnu_stack_headers"] == 1 and culprit["stack"]["gnu_stack_flags"] == 7, culprit["stack"]
assert "execstack" in culprit["findings"]
assert culprit["stack"]["intent"] == "pf_x" and culprit["stack"]["fix"] == "fix", culprit["stack"]
assert culprit["stack"]["trampoline_offset"] is None and hello["stack"]["intent"] == "none"
assert any("PF_X" in w for w in culprit["warnings"]), culprit["warnings"]
assert "libculprit.so" in user["needed"] and "execstack" not in user["findings"]
if deps:
    names = [o["name"] for o in user["closure"]["objects"]]
    assert "libculprit.so" in names and "libc.so.6" in names, names
    assert [k["path"].rsplit("/", 1)[-1] for k in user["closure"]["culprits"]] == ["libculprit.so"]
    assert hello["closure"]["culprits"] == []
if "f.o" in by_name:
    o = by_name["f.o"]
    assert o["type"] == "obj" and o["findings"] == [] and o["stack"]["ldso_executable"] is False, o

# The summary agrees with the entries.
s = doc["summary"]
assert set(s) - {"glibc"} == {"checked", "errors", "findings", "closure_culprits"}, s
# With --deps (and only then), the checked system's glibc: this machine's.
import os
assert ("glibc" in s) == any("closure" in f for f in files), s
assert "glibc" not in s or s["glibc"] == os.confstr("CS_GNU_LIBC_VERSION").split()[1], s
assert s["closure_culprits"] == sum(len(f["closure"]["culprits"]) for f in files if "closure" in f), s
assert s["checked"] == len(files) - len(errors), s
assert s["errors"] == len(errors), s
assert set(s["findings"]) == FINDINGS, s["findings"]
for name in FINDINGS:
    n = sum(name in f.get("findings", []) for f in files)
    assert s["findings"][name] == n, (name, s["findings"][name], n)
assert s["findings"]["execstack"] == 1, s
PY
done

# Only readable files: exit 0, no stderr, errors 0.
expect_code 0 "$SEALEXEC" check --json "$EXAMPLES/hello"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["errors"]==0 and d["summary"]["checked"]==1, d' "$WORK/out" \
  || fail "summary for one readable file: $(cat "$WORK/out")"
