#!/bin/sh
# A #! line longer than the 256 bytes Linux reads, with no space to end the
# interpreter path, exits 126 with one line saying the line is "too long".
. "$TEST_LIB"

{
  printf '#!/'
  i=0
  while [ $i -lt 300 ]; do printf a; i=$((i + 1)); done
  printf '\necho ran\n'
} >"$WORK/long"
chmod +x "$WORK/long"
expect_code 126 "$SEALEXEC" run "$WORK/long"
expect_error_line "sealexec: $WORK/long: " "too long"
