#!/bin/sh
# What check's stack.fix says is what fix does: for files neither the kernel
# nor ld.so loads (an object file, an EM_NONE file such as Guile's .go),
# check says "none" and fix changes nothing, exit 0, the file untouched.
. "$TEST_LIB"
require_command gcc
require_command python3
cd "$WORK"
printf 'int f(void) { return 1; }\n' >o.c
gcc -c o.c -o o.o
# An execstack library with e_machine set to 0, as Guile's .go files have.
gcc -shared -fPIC -Wl,-z,execstack o.c -o go.so 2>/dev/null
python3 - go.so <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[18:20] = b"\0\0"  # e_machine = EM_NONE
open(sys.argv[1], "wb").write(data)
PY
for file in o.o go.so; do
  cp "$file" "$file.before"
  expect_code 0 "$SEALEXEC" check --json "$file"
  grep -q '"fix":"none"' "$WORK/out" || fail "$file: check's stack.fix is not none: $(cat "$WORK/out")"
  expect_code 0 "$SEALEXEC" fix --clear-execstack "$file"
  expect_file_contains "$WORK/out" "nothing to change"
  cmp -s "$file" "$file.before" || fail "fix changed $file"
done
