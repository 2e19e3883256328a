#!/bin/sh
# A #! script whose interpreter is missing (or not executable) exits 126 with
# one line "bad interpreter" naming the script and the interpreter.
. "$TEST_LIB"

printf '#!%s/no-such-interpreter -x\necho ran\n' "$WORK" >"$WORK/script"
chmod +x "$WORK/script"
expect_code 126 "$SEALEXEC" run "$WORK/script"
expect_error_line "sealexec: $WORK/script: " "bad interpreter"
expect_file_contains "$WORK/err" "$WORK/no-such-interpreter"

printf 'not a program\n' >"$WORK/not-executable"
chmod 644 "$WORK/not-executable"
printf '#!%s/not-executable\necho ran\n' "$WORK" >"$WORK/script2"
chmod +x "$WORK/script2"
expect_code 126 "$SEALEXEC" run "$WORK/script2"
expect_error_line "sealexec: $WORK/script2: " "bad interpreter"
expect_file_contains "$WORK/err" "$WORK/not-executable"
