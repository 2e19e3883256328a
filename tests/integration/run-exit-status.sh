#!/bin/sh
# The program's exit status passes through sealexec unchanged (sealexec
# replaces itself with the program): 0, 3 and 255, for #! scripts and for ELF
# programs run from sealed memory.
. "$TEST_LIB"

for code in 0 3 255; do
  printf '#!/bin/sh\necho "exiting with %s"\nexit %s\n' "$code" "$code" >"$WORK/exit-$code"
  chmod +x "$WORK/exit-$code"
  expect_code "$code" "$SEALEXEC" run "$WORK/exit-$code"
  expect_eq "$(cat "$WORK/out")" "exiting with $code" "stdout of the script exiting $code"
  [ ! -s "$WORK/err" ] || fail "unexpected stderr for exit $code: $(cat "$WORK/err")"
done

# ELF programs: the static hello, and /bin/sh (an ELF) run from memory with
# -c, exiting with a chosen status.
expect_code 0 "$SEALEXEC" run "$EXAMPLES/hello-static" one
printf 'hello from sealed memory\narg 1: one\n' >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "hello-static output differs: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr from hello-static: $(cat "$WORK/err")"

for code in 0 3 255; do
  expect_code "$code" "$SEALEXEC" run /bin/sh -c "echo elf-$code; exit $code"
  expect_eq "$(cat "$WORK/out")" "elf-$code" "stdout of /bin/sh -c exiting $code"
  [ ! -s "$WORK/err" ] || fail "unexpected stderr for ELF exit $code: $(cat "$WORK/err")"
done
