#!/bin/sh
# A program's name cannot steer the terminal: `sealexec run` of a name with
# ESC, CSI, a newline, C1 controls, bytes that are not UTF-8 and a bidi
# override reports it escaped, on exactly one line, when it is not found
# (127), not runnable (126) and in --verbose notes, and so do usage errors
# that echo an argument (an unknown command, an unknown option).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/terminal.sh"

expect_code 127 "$SEALEXEC" run "$WORK/$HOSTILE"
expect_error_line "sealexec: $WORK/$HOSTILE_SHOWN: " "not found"
expect_terminal_safe "$WORK/out" "$WORK/err"

printf 'plain text, not a program\n' >"$WORK/$HOSTILE"
chmod +x "$WORK/$HOSTILE"
expect_code 126 "$SEALEXEC" run "$WORK/$HOSTILE"
expect_error_line "sealexec: $WORK/$HOSTILE_SHOWN: " ""
expect_terminal_safe "$WORK/out" "$WORK/err"

# A real program under that name runs, and every --verbose note names it escaped.
cp "$EXAMPLES/hello" "$WORK/$HOSTILE"
expect_code 0 "$SEALEXEC" run -v "$WORK/$HOSTILE"
expect_file_contains "$WORK/err" "sealed $WORK/$HOSTILE_SHOWN ("
expect_terminal_safe "$WORK/out" "$WORK/err"

# Usage errors that echo the argument (cli.cpp, options.cpp).
expect_code 125 "$SEALEXEC" "$HOSTILE"
expect_error_line "sealexec: " "unknown command '$HOSTILE_SHOWN'"
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_code 125 "$SEALEXEC" "-$HOSTILE"
expect_error_line "sealexec: " "unknown option '-$HOSTILE_SHOWN'"
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_code 125 "$SEALEXEC" run "--$HOSTILE" "$EXAMPLES/hello"
expect_error_line "sealexec: " "unknown option --$HOSTILE_SHOWN"
expect_terminal_safe "$WORK/out" "$WORK/err"
