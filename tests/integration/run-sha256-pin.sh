#!/bin/sh
# --sha256 pins the program's bytes: the right digest runs (upper or lower
# case), a wrong one is refused with 126 and "SHA-256 mismatch" before anything
# runs, and once the file on disk gains a byte the old pin refuses it (the demo
# case). Malformed digests: run-sha256-malformed.sh.
. "$TEST_LIB"
require_command sha256sum

cp "$SOURCE_DIR/examples/hello.sh" "$WORK/tool"
chmod +x "$WORK/tool"
pin=$(sha256sum "$WORK/tool" | cut -d' ' -f1)

expect_code 0 "$SEALEXEC" run --sha256 "$pin" "$WORK/tool" one
expect_eq "$(sed "$named_path" "$WORK/out")" \
  "hello from a sealed shell script, run by NAMED/tool with 1 argument(s)" "pinned script's output"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

upper=$(printf %s "$pin" | tr a-f A-F)
expect_code 0 "$SEALEXEC" run --sha256 "$upper" "$WORK/tool"
expect_file_contains "$WORK/out" "hello from a sealed shell script"

# An ELF, pinned, and from standard input.
elf_pin=$(sha256sum "$EXAMPLES/hello" | cut -d' ' -f1)
expect_code 0 sh -c 'exec "$1" run --sha256 "$2" - x <"$3"' sh "$SEALEXEC" "$elf_pin" "$EXAMPLES/hello"
printf 'hello from sealed memory\narg 1: x\n' >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "pinned hello from stdin printed: $(cat "$WORK/out")"

# A wrong digest (the ELF's pin for the script): refused, nothing runs.
expect_code 126 "$SEALEXEC" run --sha256 "$elf_pin" "$WORK/tool"
expect_error_line "sealexec: $WORK/tool: " "SHA-256 mismatch"
expect_file_contains "$WORK/err" "$elf_pin"
expect_file_contains "$WORK/err" "$pin"

# The file changes on disk: the old pin no longer matches.
printf '\n' >>"$WORK/tool"
new=$(sha256sum "$WORK/tool" | cut -d' ' -f1)
expect_code 126 "$SEALEXEC" run --sha256 "$pin" "$WORK/tool"
expect_error_line "sealexec: $WORK/tool: " "SHA-256 mismatch"
expect_file_contains "$WORK/err" "$new"
