#!/bin/sh
# argv[0] of the program: by default the PROGRAM string exactly as typed
# (absolute, relative, through a symlink), "stdin" for "-", and --argv0 NAME
# overrides all of these without changing the memfd's name.
. "$TEST_LIB"
require_command xxh128sum

probe=$FIXTURES/exe-probe
digest=$(xxh_prefix "$probe")
argv0() { sed -n 's/^argv0: //p' "$WORK/out"; }

expect_code 0 "$SEALEXEC" run "$probe"
expect_eq "$(argv0)" "$probe" "default argv0 (absolute path)"

cp "$probe" "$WORK/probe"
expect_code 0 sh -c 'cd "$1" && exec "$2" run ./probe' sh "$WORK" "$SEALEXEC"
expect_eq "$(argv0)" "./probe" "default argv0 (./probe)"
# A bare name is found through PATH; argv0 stays the name as typed.
expect_code 0 sh -c 'cd "$1" && PATH="$1" exec "$2" run probe' sh "$WORK" "$SEALEXEC"
expect_eq "$(argv0)" "probe" "default argv0 (probe, found in PATH)"
expect_code 0 sh -c 'cd "$1" && exec "$2" run .//probe' sh "$WORK" "$SEALEXEC"
expect_eq "$(argv0)" ".//probe" "default argv0 kept verbatim (.//probe)"

ln -s "$probe" "$WORK/link"
expect_code 0 "$SEALEXEC" run "$WORK/link"
expect_eq "$(argv0)" "$WORK/link" "default argv0 through a symlink"

expect_code 0 "$SEALEXEC" run --argv0 custom "$probe"
expect_eq "$(argv0)" "custom" "--argv0 custom"
expect_eq "$(sed -n 's/^exe: //p' "$WORK/out")" "/memfd:sealexec:exe-probe:$digest (deleted)" \
  "memfd name with --argv0"

expect_code 0 "$SEALEXEC" run --argv0 "with space" "$probe"
expect_eq "$(argv0)" "with space" "--argv0 with a space"

expect_code 0 sh -c 'exec "$1" run --argv0 custom --name named - <"$2"' sh "$SEALEXEC" "$probe"
expect_eq "$(argv0)" "custom" "--argv0 with a program from stdin"
expect_eq "$(sed -n 's/^exe: //p' "$WORK/out")" "/memfd:sealexec:named:$digest (deleted)" \
  "memfd name with --argv0 and --name"

# Later arguments stay the program's: --argv0 after PROGRAM is not ours.
expect_code 0 "$SEALEXEC" run "$EXAMPLES/hello" --argv0 x
printf 'hello from sealed memory\narg 1: --argv0\narg 2: x\n' >"$WORK/expected"
cmp "$WORK/out" "$WORK/expected" || fail "options after PROGRAM were not passed on: $(cat "$WORK/out")"
