#!/bin/sh
# sealexec script: its own failures, each one "sealexec:" line naming what
# went wrong, with the exit codes `sealexec script --help` documents:
# 127 not found (the FILE, or the compiler), 126 cannot run (not a C or C++
# file), 125 bad usage; and --help itself exits 0 and documents the
# '// sealexec:' flag lines. Every check runs even when an earlier one fails.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
require_command cc

printf '#include <stdio.h>\nint main(void) { puts("ran"); return 0; }\n' >"$WORK/ok.c"
printf 'just text\n' >"$WORK/notes.txt"
backdate "$WORK/ok.c" "$WORK/notes.txt"
cd "$WORK"

failures=""
check() { # NAME FUNCTION: runs FUNCTION in a subshell, so a failure is noted and the rest still runs
  if ! ( "$2" ); then failures="$failures
  - $1"; fi
}

missing_file() {
  expect_code 127 "$SEALEXEC" script "$WORK/missing.c"
  expect_error_line "sealexec: $WORK/missing.c: " ""
}
missing_file_implicit() {
  expect_code 127 "$SEALEXEC" missing.c
  expect_error_line "sealexec: missing.c: " ""
}
not_c() {
  expect_code 126 "$SEALEXEC" script notes.txt
  expect_error_line "sealexec: notes.txt: " "C or C++"
}
directory() {
  mkdir -p "$WORK/dir.c"
  expect_code 126 "$SEALEXEC" script dir.c
  expect_error_line "sealexec: dir.c: " "not a regular file"
}
fifo() {
  # Opening a FIFO for reading waits for a writer: without one it must be
  # refused at once, not hang.
  mkfifo "$WORK/pipe.c"
  expect_code 126 timeout 10 "$SEALEXEC" script pipe.c
  expect_error_line "sealexec: pipe.c: " "not a regular file"
}
socket() {
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$WORK/sock.c" ||
    { echo "cannot create a socket file" >&2; return 1; }
  expect_code 126 timeout 10 "$SEALEXEC" script sock.c
  expect_error_line "sealexec: sock.c: " "not a regular file"
}
missing_compiler_path() {
  expect_code 127 "$SEALEXEC" script --compiler /nonexistent/cc ok.c
  expect_error_line "sealexec: " "/nonexistent/cc"
}
missing_compiler_path_cc() {
  expect_code 127 env CC=/nonexistent/cc "$SEALEXEC" script ok.c
  expect_error_line "sealexec: " "/nonexistent/cc"
}
missing_compiler_name() {
  expect_code 127 env CC=no-such-compiler-here "$SEALEXEC" script ok.c
  expect_error_line "sealexec: " "no-such-compiler-here"
}
no_file() {
  expect_code 125 "$SEALEXEC" script
  expect_error_line "sealexec: " "FILE"
}
bad_option() {
  expect_code 125 "$SEALEXEC" script --no-such-option ok.c
  expect_error_line "sealexec: " "--no-such-option"
}
bad_flags() {
  expect_code 125 "$SEALEXEC" script --flags "-DX='unterminated" ok.c
  expect_error_line "sealexec: " "--flags"
}
help() {
  expect_code 0 "$SEALEXEC" script --help
  expect_file_contains "$WORK/out" "// sealexec:"
  expect_file_contains "$WORK/out" "124"
  [ ! -s "$WORK/err" ] || fail "script --help wrote to stderr: $(cat "$WORK/err")"
}
still_works() {
  # None of the failures above broke the cache: a good script still runs.
  expect_code 0 "$SEALEXEC" script ok.c
  expect_out "ran" "ok.c after the failures"
}

check "sealexec script <missing absolute path>: 127, one line naming it" missing_file
check "sealexec missing.c: 127, one line naming it" missing_file_implicit
check "sealexec script notes.txt: 126, not a C or C++ file" not_c
check "sealexec script dir.c (a directory): 126" directory
check "sealexec script pipe.c (a FIFO without a writer): 126 at once" fifo
check "sealexec script sock.c (a socket): 126" socket
check "sealexec script --compiler /nonexistent/cc: 127 naming it" missing_compiler_path
check "CC=/nonexistent/cc sealexec script ok.c: 127 naming it" missing_compiler_path_cc
check "CC=no-such-compiler-here sealexec script ok.c: 127 naming it" missing_compiler_name
check "sealexec script (no FILE): 125" no_file
check "sealexec script --no-such-option: 125" bad_option
check "sealexec script --flags with an unterminated quote: 125" bad_flags
check "sealexec script --help: 0, documents '// sealexec:'" help
check "a good script still runs" still_works

[ -z "$failures" ] || fail "these checks failed:$failures"
