#!/bin/sh
# fix --clear-execstack keeps what the file carried besides its bytes, owner
# and mode: its extended attributes, file capabilities among them (chown
# clears those, so they are set last). When one cannot be kept (setting a
# capability needs CAP_SETFCAP), nothing is replaced and fix says which.
. "$TEST_LIB"
require_command gcc
require_command setcap
require_command getcap
require_command setfattr
require_command getfattr
[ "$(id -u)" -eq 0 ] || skip "setting file capabilities needs root"
cd "$WORK"
printf 'int main(void) { return 0; }\n' >m.c
gcc m.c -o prog -Wl,-z,execstack 2>/dev/null
setcap cap_net_raw+ep prog
setfattr -n user.sealexec-test -v kept prog || skip "this file system has no user xattrs"
expect_code 0 "$SEALEXEC" fix --clear-execstack prog
LC_ALL=C readelf -lW prog | grep -q 'GNU_STACK.* RW ' || fail "PF_X was not cleared"
getcap prog | grep -q 'cap_net_raw=ep' || fail "the capability was lost: $(getcap prog)"
[ "$(getfattr --only-values -n user.sealexec-test prog)" = kept ] || fail "the user xattr was lost"

# Without CAP_SETFCAP the capability cannot be kept: refused, file unchanged.
command -v setpriv >/dev/null 2>&1 || skip "no setpriv to drop privileges"
gcc m.c -o prog2 -Wl,-z,execstack 2>/dev/null
chmod 777 "$WORK"
chown nobody:nogroup prog2 # before setcap: chown clears capabilities
setcap cap_net_raw+ep prog2
cp prog2 before
set +e
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
  "$SEALEXEC" fix --clear-execstack "$WORK/prog2" >"$WORK/out" 2>"$WORK/err"
code=$?
set -e
[ $code -ne 0 ] || fail "fix dropped a capability it could not keep, and succeeded"
expect_file_contains "$WORK/err" "security.capability"
cmp -s prog2 before || fail "prog2 changed although fix failed"
getcap prog2 | grep -q 'cap_net_raw=ep' || fail "prog2 lost its capability"
