#!/bin/sh
# run --policy: strict refuses a program whose closure needs an executable
# stack or has a W+X segment (126, one line naming the culprit and the
# remedy, nothing run); warn (the default) says the same as a warning and
# runs it; off says nothing. A clean program runs silently under all three.
# The check sees the LD_LIBRARY_PATH the program will get. --policy bogus:
# 125.
. "$TEST_LIB"
unset LD_LIBRARY_PATH
cp -r "$EXAMPLES/execstack-app" "$WORK/app"
app=$(cd "$WORK/app" && pwd -P)
prog=$app/uses-culprit
lib=$app/libculprit.so
executable="culprit_answer() = 7, stack executable"
reason="libculprit.so => $lib requires an executable stack (PT_GNU_STACK has PF_X); remedy: sealexec fix --clear-execstack $lib"

# strict: refused before anything runs.
expect_code 126 "$SEALEXEC" run --policy=strict "$prog"
expect_error_line "sealexec: $prog: refused by --policy=strict: " "$reason"
expect_code 126 "$SEALEXEC" run --policy strict -- "$prog" arg
expect_error_line "sealexec: $prog: refused by --policy=strict: " "$reason"

# warn, by default and by name: one warning line, and the program runs.
for policy in "" --policy=warn; do
  # shellcheck disable=SC2086 # $policy is zero or one word
  expect_code 0 "$SEALEXEC" run $policy "$prog"
  expect_eq "$(cat "$WORK/out")" "$executable" "output under warn ($policy)"
  expect_lines "$WORK/err" 1
  case $(cat "$WORK/err") in
    "sealexec: warning: $prog: $reason"*) ;;
    *) fail "the warning reads: $(cat "$WORK/err")" ;;
  esac
done

# off: not a word.
expect_code 0 "$SEALEXEC" run --policy=off "$prog"
expect_eq "$(cat "$WORK/out")" "$executable" "output under off"
[ ! -s "$WORK/err" ] || fail "stderr under off: $(cat "$WORK/err")"

# A clean program: silent under warn, and runs under strict.
printf 'hello from sealed memory\narg 1: x\n' >"$WORK/hello.expected"
for policy in --policy=strict --policy=warn --policy=off ""; do
  # shellcheck disable=SC2086
  expect_code 0 "$SEALEXEC" run $policy "$EXAMPLES/hello" x
  cmp "$WORK/out" "$WORK/hello.expected" || fail "hello under '$policy' printed: $(cat "$WORK/out")"
  [ ! -s "$WORK/err" ] || fail "stderr for hello under '$policy': $(cat "$WORK/err")"
done
# A script is not judged (its interpreter is a clean system program).
expect_code 0 "$SEALEXEC" run --policy=strict "$SOURCE_DIR/examples/hello.sh"
expect_file_contains "$WORK/out" "hello from a sealed shell script"
[ ! -s "$WORK/err" ] || fail "stderr for a script under strict: $(cat "$WORK/err")"

# The check resolves with the program's LD_LIBRARY_PATH, searched before
# RUNPATH: a clean copy of the library there makes the culprit irrelevant...
mkdir "$WORK/clean"
"$SEALEXEC" fix --clear-execstack -o "$WORK/clean/libculprit.so" "$lib" >/dev/null || fail "fix -o"
expect_code 0 env LD_LIBRARY_PATH="$WORK/clean" "$SEALEXEC" run --policy=strict "$prog"
expect_eq "$(cat "$WORK/out")" "culprit_answer() = 7, stack not executable" "strict with a clean library first in LD_LIBRARY_PATH"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
# ... and a culprit there is caught even when the program's own is clean.
mkdir "$WORK/app2"
cp "$prog" "$WORK/app2/uses-culprit"
cp "$WORK/clean/libculprit.so" "$WORK/app2/libculprit.so"
expect_code 0 "$SEALEXEC" run --policy=strict "$WORK/app2/uses-culprit"
expect_code 126 env LD_LIBRARY_PATH="$app" "$SEALEXEC" run --policy=strict "$WORK/app2/uses-culprit"
expect_error_line "sealexec: $WORK/app2/uses-culprit: refused by --policy=strict: " "libculprit.so => $lib requires"

# A W+X library, and a second culprit: strict names the first and counts the rest.
cc=
for candidate in "${CC:-}" gcc-12 gcc cc; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { cc=$candidate; break; }
done
if [ -n "$cc" ]; then
  printf 'int f(void) { return 3; }\n' >"$WORK/app/f.c"
  printf 'int f(void);\nint culprit_answer(void);\nint main(void) { return f() + culprit_answer() - 10; }\n' >"$WORK/app/two.c"
  "$cc" -shared -fPIC -nostdlib -Wl,-N -Wl,-z,noexecstack -o "$app/libwx.so" "$WORK/app/f.c" 2>/dev/null \
    || fail "cannot link a W+X library"
  "$cc" -o "$app/two" "$WORK/app/two.c" -L"$app" -lwx -lculprit -Wl,-rpath,'$ORIGIN' 2>/dev/null || fail "cannot link two"
  expect_code 0 "$app/two"
  expect_code 126 "$SEALEXEC" run --policy=strict "$app/two"
  expect_error_line "sealexec: $app/two: refused by --policy=strict: " \
    "libwx.so => $app/libwx.so has 1 writable and executable PT_LOAD segment; remedy: relink $app/libwx.so"
  expect_file_contains "$WORK/err" "(and 1 more; see sealexec check --deps)"
  expect_code 0 "$SEALEXEC" run "$app/two"
  expect_lines "$WORK/err" 2
  expect_file_contains "$WORK/err" "sealexec: warning: $app/two: libwx.so => $app/libwx.so has 1 writable"
  expect_file_contains "$WORK/err" "sealexec: warning: $app/two: $reason"
  expect_code 0 "$SEALEXEC" run --policy=off "$app/two"
  [ ! -s "$WORK/err" ] || fail "stderr under off: $(cat "$WORK/err")"
else
  echo "note: no C compiler; the W+X case is not tested" >&2
fi

# A bad policy name.
expect_code 125 "$SEALEXEC" run --policy bogus "$EXAMPLES/hello"
expect_error_line "sealexec: --policy: " "'bogus' is not strict, warn or off"
expect_code 125 "$SEALEXEC" run --policy= "$EXAMPLES/hello"
expect_error_line "sealexec: --policy: " "is not strict, warn or off"
expect_code 125 "$SEALEXEC" run --policy=STRICT "$prog"
expect_error_line "sealexec: --policy: " "is not strict, warn or off"
