#!/bin/sh
# check --sarif --deps: a program (in a directory with a hostile name) links
# a library built with -z execstack. The log has a culprit-execstack result
# at the library's path whose message gives the problem, the predictions and
# the remedy, with the chain program -> library as a codeFlow and the program
# as a related location; --fail-on execstack trips on it (exit 1) and the
# exit codes are those of check without --sarif. The validator accepts it.
. "$TEST_LIB"
. "$SOURCE_DIR/tests/integration/lib/sarif.sh"
unset LD_LIBRARY_PATH
require_command gcc
require_command python3

dir=$WORK/$(printf 'app %%#?\377')
mkdir "$dir"
printf 'int f(void) { return 7; }\n' >"$WORK/lib.c"
printf 'int f(void);\nint main(void) { return f() == 7 ? 0 : 1; }\n' >"$WORK/main.c"
gcc -shared -fPIC -o "$dir/libexecstack.so" "$WORK/lib.c" -Wl,-z,execstack
gcc -o "$dir/prog" "$WORK/main.c" -L"$dir" -lexecstack -Wl,-rpath,'$ORIGIN' -Wl,-z,noexecstack
LC_ALL=C readelf -lW "$dir/libexecstack.so" | grep -q 'GNU_STACK.* RWE ' || fail "the library's stack is not RWE"

# Exit codes as without --sarif: 0, and 1 with --fail-on execstack.
expect_code 0 "$SEALEXEC" check --deps "$dir/prog"
expect_code 0 "$SEALEXEC" check --sarif --deps "$dir/prog"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
cp "$WORK/out" "$WORK/deps.sarif"
expect_code 1 "$SEALEXEC" check --deps --fail-on execstack "$dir/prog"
expect_code 1 "$SEALEXEC" check --sarif --deps --fail-on execstack "$dir/prog"
cmp -s "$WORK/out" "$WORK/deps.sarif" || fail "--fail-on changed the log"
expect_code 0 "$SEALEXEC" check --sarif --fail-on execstack "$dir/prog"

sarif_structure "$WORK/deps.sarif"
python3 - "$WORK/deps.sarif" "$SARIF_CHECK" "$dir" <<'PY' || fail "the --deps log"
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[2]))
from sarif_check import load, decode_uri
run = load(sys.argv[1])["runs"][0]
d = os.fsencode(sys.argv[3])
prog, lib = d + b"/prog", d + b"/libexecstack.so"
def where(location):
    return decode_uri(location["physicalLocation"]["artifactLocation"]["uri"])
culprits = [r for r in run["results"] if r["ruleId"].startswith("culprit-")]
assert len(culprits) == 1, culprits
c = culprits[0]
assert c["ruleId"] == "culprit-execstack" and c["level"] == "error", c
assert where(c["locations"][0]) == lib, c["locations"]
text = c["message"]["text"]
# The directory's name is escaped in the text the way check shows it.
shown = sys.argv[3].encode("utf-8", "surrogateescape").replace(b"\xff", b"\\xff").decode()
assert text.startswith(f"libexecstack.so => {shown}/libexecstack.so requires an executable stack"), text
assert f"in the closure of {shown}/prog (" in text, text
assert "SELinux" in text and "glibc" in text, text   # the predictions
assert "Remedy: " in text and "sealexec fix --clear-execstack" in text, text
# The chain: program -> library, as ld.so loaded them.
flow = c["codeFlows"][0]["threadFlows"][0]["locations"]
assert [where(step["location"]) for step in flow] == [prog, lib], flow
assert [step["nestingLevel"] for step in flow] == [0, 1], flow
assert flow[1]["location"]["message"]["text"].startswith("loads libexecstack.so => "), flow
assert [where(r) for r in c["relatedLocations"]] == [prog], c["relatedLocations"]
assert c["properties"]["chain"] == [sys.argv[3].encode("utf-8", "surrogateescape").replace(b"\xff", b"\\xff").decode() + "/prog", "libexecstack.so"], c["properties"]
assert c["properties"]["execstack"] is True and c["properties"]["wx"] is False, c["properties"]
# The program itself is clean of execstack.
assert not [r for r in run["results"] if r["ruleId"] == "execstack" and where(r["locations"][0]) == prog]
PY

sarif_validate "$WORK/deps.sarif"
