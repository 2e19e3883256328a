#!/bin/sh
# "sealexec run -" refuses a terminal on standard input (exit 126, one line
# saying so) instead of waiting for a program to be typed in.
. "$TEST_LIB"
require_command script

# script(1) gives the command a pseudo-terminal as standard input; -e returns
# the command's exit status. A hang would mean sealexec read the terminal.
code=0
timeout 10 script -qec "\"$SEALEXEC\" run -" /dev/null </dev/null >"$WORK/out" 2>"$WORK/err" || code=$?
[ "$code" -ne 124 ] || fail "sealexec run - waited for input on a terminal"
# Without a pseudo-terminal (some sandboxes), script fails before running us.
if ! grep -q 'sealexec' "$WORK/out"; then
  grep -qi 'pty\|terminal\|openpty' "$WORK/err" "$WORK/out" && skip "script(1) cannot allocate a pseudo-terminal"
fi
expect_eq "$code" 126 "exit code with a terminal on stdin"
tr -d '\r' <"$WORK/out" >"$WORK/err"
: >"$WORK/out"
expect_error_line "sealexec: <stdin>: " "is a terminal"
