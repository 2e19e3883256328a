#!/bin/sh
# Bytes that are neither an ELF file nor a #! script exit 126 with one line
# "FILE: is neither an ELF executable nor a #! script", random bytes and text
# alike.
. "$TEST_LIB"

head -c 4096 /dev/urandom >"$WORK/random"
# Keep the test deterministic: the first bytes must not happen to be a magic.
printf 'Xx' | dd of="$WORK/random" bs=1 conv=notrunc 2>/dev/null
chmod +x "$WORK/random"
expect_code 126 "$SEALEXEC" run "$WORK/random"
expect_error_line "sealexec: $WORK/random: " "neither an ELF"

printf 'echo this is a shell script without #!\n' >"$WORK/text"
chmod +x "$WORK/text"
expect_code 126 "$SEALEXEC" run "$WORK/text"
expect_error_line "sealexec: $WORK/text: " "neither an ELF"
