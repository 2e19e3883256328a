#!/bin/sh
# `sealexec check` of a tree whose names carry ESC, CSI, a newline, C1
# controls, bytes that are not UTF-8 and a bidi override: every row, note
# (executable stack, remedy) and error names the file escaped, in text and in
# --json (valid UTF-8 JSON whose strings hold the same escaped form), and
# nothing written to stdout or stderr could steer a terminal.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/terminal.sh"

t=$WORK/tree
mkdir -p "$t/$HOSTILE"
cp "$EXAMPLES/hello" "$t/$HOSTILE/hello"
cp "$EXAMPLES/execstack-app/libculprit.so" "$t/lib$HOSTILE.so"
printf 'not ELF\n' >"$WORK/$HOSTILE.txt"

# Text: rows for both ELF files, the culprit's notes, an error for the
# non-ELF operand (exit 2).
expect_code 2 "$SEALEXEC" check -R "$t" "$WORK/$HOSTILE.txt"
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_file_contains "$WORK/out" " $t/$HOSTILE_SHOWN/hello"
expect_file_contains "$WORK/out" " $t/lib$HOSTILE_SHOWN.so"
expect_file_contains "$WORK/out" "remedy: run sealexec fix --clear-execstack '$t/lib$HOSTILE_SHOWN.so',"
expect_file_contains "$WORK/out" "2 ELF files checked"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: $WORK/$HOSTILE_SHOWN.txt: "

# JSON: the same escaped names, as JSON strings.
expect_code 2 "$SEALEXEC" check --json -R "$t" "$WORK/$HOSTILE.txt"
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_lines "$WORK/err" 1
python3 - "$WORK/out" "$t" "$WORK" "$HOSTILE_SHOWN" <<'PY' || fail "check --json: $(cat "$WORK/out")"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
tree, work, shown = sys.argv[2:]
paths = [f["path"] for f in doc["files"]]
assert paths == [f"{tree}/lib{shown}.so", f"{tree}/{shown}/hello", f"{work}/{shown}.txt"], paths
lib = doc["files"][0]
assert "execstack" in lib["findings"], lib
error = doc["files"][2]
assert error["error"].startswith(f"{work}/{shown}.txt: "), error
assert doc["summary"]["checked"] == 2 and doc["summary"]["errors"] == 1, doc["summary"]
PY

# `fix` names the file it fixed the same way.
expect_code 0 "$SEALEXEC" fix --clear-execstack --dry-run "$t/lib$HOSTILE.so"
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_file_contains "$WORK/out" "$t/lib$HOSTILE_SHOWN.so: would "
