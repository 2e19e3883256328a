#!/bin/sh
# check --sarif over a tree: one SARIF 2.1.0 log whose results name each
# finding of each file (execstack, wx) at a URI that decodes to the file's
# exact bytes, whatever its name (a byte that is not UTF-8, '%', '#', '?',
# spaces, a newline, a backslash); relative operands give %SRCROOT%-relative
# URIs, absolute ones file:// URIs; a damaged ELF is a toolExecutionNotification
# with executionSuccessful false (and still an error on stderr, exit 2);
# --sarif with --json is a usage error. Last, the SARIF project's validator
# accepts every log (skipped, loudly, where it cannot be installed).
. "$TEST_LIB"
. "$SOURCE_DIR/tests/integration/lib/sarif.sh"
require_command gcc
require_command python3

cd "$WORK"
mkdir tree
printf 'int v = 1;\nint f(void) { return v; }\n' >lib.c
printf 'int main(void) { return 0; }\n' >main.c
printf 'void _start(void) { for (;;) ; }\n' >start.c
gcc -o tree/clean main.c -Wl,-z,noexecstack,-z,relro,-z,now
gcc -shared -fPIC -o tree/libexec.so lib.c -Wl,-z,execstack
# -N (--omagic) puts text and data in one RWX PT_LOAD.
gcc -nostdlib -static -o tree/wx start.c -Wl,-N 2>/dev/null
LC_ALL=C readelf -lW tree/wx | grep -q 'LOAD .* RWE ' || fail "could not make a W+X object"
echo "not an ELF file" >tree/notes.txt
head -c 200 tree/libexec.so >tree/broken.so
# Hostile names, each a copy of the execstack library.
mkdir "tree/d%ir #1"
cp tree/libexec.so "$(printf 'tree/tr\377ue.so')"
cp tree/libexec.so 'tree/sp ace%25#?.so'
cp tree/libexec.so "tree/new
line.so"
cp tree/libexec.so 'tree/back\slash.so'
cp tree/libexec.so 'tree/c:colon.so'
cp tree/libexec.so "tree/d%ir #1/caf$(printf '\303\251').so"

# (1) --sarif with --json: check's usage error.
expect_code 2 "$SEALEXEC" check --sarif --json tree/clean
expect_error_line "sealexec: check: " "--sarif and --json cannot be combined"
expect_code 0 "$SEALEXEC" check --help
expect_file_contains "$WORK/out" "--sarif"
expect_file_contains "$WORK/out" "docs/check-sarif.md"

# (2) -R over a relative operand: the damaged file makes it exit 2 (as
# without --sarif), the error is on stderr and in the log.
expect_code 2 "$SEALEXEC" check --sarif -R tree
cp "$WORK/out" "$WORK/tree.sarif"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: tree/broken.so: "
sarif_structure "$WORK/tree.sarif"
python3 - "$WORK/tree.sarif" "$SARIF_CHECK" "$WORK" "$("$SEALEXEC" --version)" <<'PY' || fail "the -R log"
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[2]))
from sarif_check import load, check, decode_uri
run = check(load(sys.argv[1]))
assert sys.argv[4].split()[-1] == run["tool"]["driver"]["version"], (sys.argv[4], run["tool"]["driver"])
rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
for rule in ["execstack", "wx", "textrel", "no-relro", "partial-relro", "no-pie", "no-ibt",
             "no-shstk", "no-bti", "duplicate-gnu-stack", "culprit-execstack", "culprit-wx",
             "culprit-unloadable"]:
    assert rule in rules, (rule, rules)
levels = {r["id"]: r["defaultConfiguration"]["level"] for r in run["tool"]["driver"]["rules"]}
assert levels["execstack"] == levels["wx"] == levels["culprit-execstack"] == "error", levels
assert levels["textrel"] == "warning" and levels["no-ibt"] == "note", levels
assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file://" + sys.argv[3] + "/", run["originalUriBaseIds"]

found = {}
for result in run["results"]:
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    found.setdefault(result["ruleId"], set()).add(decode_uri(uri))
copies = {b"tree/libexec.so", b"tree/tr\xffue.so", b"tree/sp ace%25#?.so", b"tree/new\nline.so",
          b"tree/back\\slash.so", b"tree/c:colon.so", b"tree/d%ir #1/caf\xc3\xa9.so"}
for path in copies:
    assert os.path.exists(path), path
assert found["execstack"] == copies, found["execstack"]
assert found["wx"] == {b"tree/wx"}, found["wx"]
# The clean program and the non-ELF file have no error-level result.
for rule in ("execstack", "wx"):
    assert b"tree/clean" not in found[rule] and b"tree/notes.txt" not in found[rule]
assert not any(b"notes.txt" in p for paths in found.values() for p in paths), found
# The URI of the name with a ':' cannot pass for a scheme; '%' is encoded.
uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
assert "tree/c%3Acolon.so" in uris and "tree/sp%20ace%2525%23%3F.so" in uris, uris
assert "tree/tr%FFue.so" in uris and "tree/new%0Aline.so" in uris, uris

# Messages are UTF-8 (load() decoded strictly) with names escaped as in text.
messages = {decode_uri(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r["message"]["text"]
            for r in run["results"] if r["ruleId"] == "execstack"}
assert messages[b"tree/tr\xffue.so"].startswith("tree/tr\\xffue.so gets an executable stack"), messages
assert messages[b"tree/new\nline.so"].startswith("tree/new\\nline.so "), messages
assert messages[b"tree/d%ir #1/caf\xc3\xa9.so"].startswith("tree/d%ir #1/café.so "), messages
assert "sealexec fix --clear-execstack" in messages[b"tree/libexec.so"], messages

invocation = run["invocations"][0]
assert invocation["executionSuccessful"] is False, invocation
notes = invocation["toolExecutionNotifications"]
assert len(notes) == 1, notes
assert decode_uri(notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) == b"tree/broken.so", notes
assert "tree/broken.so" in notes[0]["message"]["text"], notes
PY

# (3) Without the damaged file: exit 0, or 1 with --fail-on; the log says
# the run succeeded. The same documents as without --sarif otherwise.
rm tree/broken.so
expect_code 0 "$SEALEXEC" check --sarif -R tree
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
cp "$WORK/out" "$WORK/clean-run.sarif"
sarif_structure "$WORK/clean-run.sarif"
python3 - "$WORK/clean-run.sarif" <<'PY' || fail "the successful log"
import json, sys
run = json.load(open(sys.argv[1], encoding="utf-8"))["runs"][0]
assert run["invocations"][0]["executionSuccessful"] is True
assert run["invocations"][0]["toolExecutionNotifications"] == []
PY
expect_code 1 "$SEALEXEC" check --sarif -R --fail-on wx tree
sarif_structure "$WORK/out"
expect_code 0 "$SEALEXEC" check --sarif --fail-on execstack,wx tree/clean
sarif_structure "$WORK/out"

# (4) Absolute operands: file:// URIs without a base; a non-ELF operand is
# an error (exit 2) and a notification.
expect_code 2 "$SEALEXEC" check --sarif "$WORK/tree/libexec.so" "$WORK/tree/notes.txt"
cp "$WORK/out" "$WORK/absolute.sarif"
sarif_structure "$WORK/absolute.sarif"
python3 - "$WORK/absolute.sarif" "$SARIF_CHECK" "$WORK" <<'PY' || fail "the absolute log"
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[2]))
from sarif_check import load, decode_uri
run = load(sys.argv[1])["runs"][0]
work = sys.argv[3].encode()
artifacts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
assert artifacts and all(a["uri"].startswith("file:///") and "uriBaseId" not in a for a in artifacts), artifacts
assert {decode_uri(a["uri"]) for a in artifacts} == {work + b"/tree/libexec.so"}, artifacts
notes = run["invocations"][0]["toolExecutionNotifications"]
assert [decode_uri(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for n in notes] == [work + b"/tree/notes.txt"], notes
assert run["invocations"][0]["executionSuccessful"] is False
PY

# (5) The SARIF project's validator (skips here, loudly, if unavailable).
sarif_validate "$WORK/tree.sarif" "$WORK/clean-run.sarif" "$WORK/absolute.sarif"
