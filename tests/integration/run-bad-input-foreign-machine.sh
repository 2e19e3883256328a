#!/bin/sh
# An ELF executable for another machine exits 126 with one line naming that
# machine: hello with e_machine patched to 183 (aarch64), or to 62 (x86_64)
# when this machine is an aarch64 one.
. "$TEST_LIB"

cp "$EXAMPLES/hello" "$WORK/foreign"
case $(uname -m) in
  aarch64 | arm64) machine=x86_64 code='\076\000' ;;
  *) machine=aarch64 code='\267\000' ;;
esac
printf "$code" | dd of="$WORK/foreign" bs=1 seek=18 conv=notrunc 2>/dev/null
expect_code 126 "$SEALEXEC" run "$WORK/foreign"
expect_error_line "sealexec: $WORK/foreign: " "$machine"
