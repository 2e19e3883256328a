#!/bin/sh
# A program run by sealexec executes from a sealed memfd: /proc/self/exe reads
# /memfd:sealexec:<basename>:<first 12 hex of XXH3-128> (deleted), --name
# replaces the basename, the seals SHRINK|GROW|WRITE|SEAL (0xf) are set, the
# executable cannot be written, and an ELF inherits no extra descriptor.
. "$TEST_LIB"
require_command xxh128sum

probe=$FIXTURES/exe-probe
digest=$(xxh_prefix "$probe")
expect_eq "$(printf %s "$digest" | grep -c '^[0-9a-f]\{12\}$')" 1 "xxh128sum's digest prefix '$digest'"
# What exe-probe inherits here without sealexec.
direct_fds=$("$probe" | sed -n 's/^fds://p')

check_probe() { # NAME
  expect_eq "$(sed -n 's/^exe: //p' "$WORK/out")" "/memfd:sealexec:$1:$digest (deleted)" "exe link"
  seals=$(sed -n 's/^seals: //p' "$WORK/out")
  case $seals in 0x[0-9a-f]*) ;; *) fail "F_GET_SEALS on /proc/self/exe failed: '$seals'" ;; esac
  [ $((seals & 0xf)) -eq 15 ] || fail "seals $seals lack SHRINK|GROW|WRITE|SEAL (0xf)"
  write=$(sed -n 's/^write: //p' "$WORK/out")
  case $write in *failed*) ;; *) fail "writing to the running executable: '$write'" ;; esac
  expect_eq "$(sed -n 's/^fds://p' "$WORK/out")" "$direct_fds" "descriptors beyond those given to sealexec"
  [ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
}

expect_code 0 "$SEALEXEC" run "$probe"
check_probe exe-probe

expect_code 0 "$SEALEXEC" run --name foo "$probe"
check_probe foo

# The name follows the path's basename, not the file's content.
cp "$probe" "$WORK/renamed-probe"
expect_code 0 "$SEALEXEC" run "$WORK/renamed-probe"
check_probe renamed-probe

# Control: run directly, exe-probe sees its file on disk, no seals.
"$probe" >"$WORK/out"
expect_eq "$(sed -n 's/^exe: //p' "$WORK/out")" "$(readlink -f "$probe")" "exe link of a direct run"
