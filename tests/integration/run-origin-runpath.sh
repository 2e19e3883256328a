#!/bin/sh
# A program whose RUNPATH is $ORIGIN/../lib finds its library when run from
# sealed memory, as it does on disk: run by path, by relative path, and
# through symlinks placed elsewhere (absolute and relative), because $ORIGIN is
# the directory of the file itself, symlinks resolved, as ld.so does.
. "$TEST_LIB"
unset LD_LIBRARY_PATH

greet=$EXAMPLES/origin-app/bin/greet
expected='hello from a library found through $ORIGIN'

# Control: run directly, ld.so finds the library.
expect_eq "$("$greet")" "$expected" "greet run directly"

expect_code 0 "$SEALEXEC" run "$greet"
expect_eq "$(cat "$WORK/out")" "$expected" "greet run by sealexec"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

expect_code 0 sh -c 'cd "$1" && exec "$2" run ./greet' sh "$EXAMPLES/origin-app/bin" "$SEALEXEC"
expect_eq "$(cat "$WORK/out")" "$expected" "greet run by a relative path"

mkdir -p "$WORK/elsewhere/bin"
ln -s "$greet" "$WORK/elsewhere/bin/absolute-link"
expect_code 0 "$SEALEXEC" run "$WORK/elsewhere/bin/absolute-link"
expect_eq "$(cat "$WORK/out")" "$expected" "greet through an absolute symlink"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

# A chain: relative symlink to a symlink to the directory.
ln -s "$EXAMPLES/origin-app" "$WORK/app-link"
ln -s ../../app-link/bin/greet "$WORK/elsewhere/bin/relative-link"
expect_code 0 "$SEALEXEC" run "$WORK/elsewhere/bin/relative-link"
expect_eq "$(cat "$WORK/out")" "$expected" "greet through a relative symlink chain"

# The program's own LD_LIBRARY_PATH still counts (searched before RUNPATH),
# and does not stop $ORIGIN from working.
expect_code 0 env LD_LIBRARY_PATH="$WORK/nothing-here" "$SEALEXEC" run "$greet"
expect_eq "$(cat "$WORK/out")" "$expected" "greet with an unrelated LD_LIBRARY_PATH"
