#!/bin/sh
# A program with file capabilities loses them when run from memory, and
# sealexec warns with a "sealexec: warning:" line mentioning "file
# capabilities". Proved as nobody with a copy of cat given cap_dac_read_search:
# on disk it has that capability in CapEff, from memory it has none. Needs
# root, setcap, and a file system with xattrs.
. "$TEST_LIB"
require_root "setcap and setpriv"
require_command setcap
require_command setpriv

chmod 755 "$WORK"
cp "$(command -v cat)" "$WORK/cap-cat"
setcap cap_dac_read_search+ep "$WORK/cap-cat" 2>"$WORK/err" \
  || skip "cannot set file capabilities under $WORK: $(cat "$WORK/err")"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody "$SEALEXEC" --version >/dev/null 2>&1 || skip "the nobody user cannot run $SEALEXEC"
as_nobody test -x "$WORK/cap-cat" || skip "the nobody user cannot reach $WORK"

# Control: on disk the capability takes effect (CAP_DAC_READ_SEARCH is bit 2).
direct=$(as_nobody "$WORK/cap-cat" /proc/self/status | sed -n 's/^CapEff:[[:space:]]*//p')
[ $((0x$direct & 4)) -ne 0 ] || skip "file capabilities do not take effect here (CapEff $direct)"

expect_code 0 as_nobody "$SEALEXEC" run "$WORK/cap-cat" /proc/self/status
expect_eq "$(sed -n 's/^CapEff:[[:space:]]*//p' "$WORK/out")" "0000000000000000" \
  "CapEff of the capable cat run from memory as nobody"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: warning: "
expect_file_contains "$WORK/err" "has file capabilities"
expect_file_contains "$WORK/err" "$WORK/cap-cat"

# As root too: the warning does not depend on who runs it.
expect_code 0 "$SEALEXEC" run "$WORK/cap-cat" /dev/null
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "has file capabilities"
