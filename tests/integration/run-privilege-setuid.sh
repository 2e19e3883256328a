#!/bin/sh
# A setuid or setgid program loses that privilege when run from memory, and
# sealexec says so: a "sealexec: warning:" line mentioning setuid (setgid),
# while the program still runs, with the caller's ids. Needs root (to make a
# file owned by another user setuid); the file system must honour set-id bits.
. "$TEST_LIB"
require_root "chown and setuid"
require_command setpriv

chmod 755 "$WORK"
cp "$FIXTURES/exe-probe" "$WORK/suid-probe"
chown 65534 "$WORK/suid-probe"
chmod 4755 "$WORK/suid-probe"
# Control: on disk the bit takes effect (not so on a nosuid mount).
euid=$("$WORK/suid-probe" | sed -n 's/^euid: //p')
[ "$euid" = 65534 ] || skip "setuid bits do not take effect under $WORK (nosuid?); euid $euid"

expect_code 0 "$SEALEXEC" run "$WORK/suid-probe"
expect_eq "$(sed -n 's/^euid: //p' "$WORK/out")" "0" "euid of the setuid copy run from memory"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: warning: "
expect_file_contains "$WORK/err" "setuid"
expect_file_contains "$WORK/err" "$WORK/suid-probe"

# Run by nobody (when nobody can reach sealexec and $WORK): a setuid-root file
# gives euid 0 on disk, but from memory nobody stays nobody.
chown 0 "$WORK/suid-probe"
chmod 4755 "$WORK/suid-probe"
if setpriv --reuid=65534 --regid=65534 --clear-groups "$SEALEXEC" --version >/dev/null 2>&1 &&
  setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$WORK/suid-probe"; then
  direct=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/suid-probe" | sed -n 's/^euid: //p')
  expect_eq "$direct" 0 "euid of a root-owned setuid file run directly by nobody"
  expect_code 0 setpriv --reuid=65534 --regid=65534 --clear-groups "$SEALEXEC" run "$WORK/suid-probe"
  expect_eq "$(sed -n 's/^euid: //p' "$WORK/out")" "65534" "euid of the root setuid file run from memory by nobody"
  expect_file_contains "$WORK/err" "sealexec: warning: "
  expect_file_contains "$WORK/err" "setuid"
fi

# setgid: id -g from a setgid copy of id(1).
idprog=$(command -v id) || skip "needs id(1)"
cp "$idprog" "$WORK/sgid-id"
chgrp 65534 "$WORK/sgid-id"
chmod 2755 "$WORK/sgid-id"
expect_eq "$("$WORK/sgid-id" -g)" 65534 "egid of the setgid copy of id run directly"
expect_code 0 "$SEALEXEC" run "$WORK/sgid-id" -g
expect_eq "$(cat "$WORK/out")" "0" "egid of the setgid copy of id run from memory"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: warning: "
expect_file_contains "$WORK/err" "setgid"

# Control: no warning for an ordinary program.
expect_code 0 "$SEALEXEC" run "$FIXTURES/exe-probe"
[ ! -s "$WORK/err" ] || fail "warning for an ordinary program: $(cat "$WORK/err")"
