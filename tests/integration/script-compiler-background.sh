#!/bin/sh
# sealexec script: the compiler's standard output is read for its
# dependency list until the compiler exits, not until every process that
# holds the pipe has gone. A compiler (wrapper) that leaves a process
# behind with its standard output, as a compile server started on first
# use would, must not make the run wait for that process.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
real=$(command -v cc) || skip "needs the compiler cc"
cat >"$WORK/cc-leave" <<EOF2
#!/bin/sh
"$real" "\$@" || exit \$?
case " \$* " in
  *" -o "*) sleep 300 & echo \$! >"$WORK/left.pid" ;;
esac
EOF2
chmod 755 "$WORK/cc-leave"
touch -d '-1 min' "$WORK/cc-leave"
cleanup() {
  [ ! -f "$WORK/left.pid" ] || kill "$(cat "$WORK/left.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

cat >"$WORK/bg.c" <<'SRC'
#include <stdio.h>
int main(void) { puts("bg ok"); return 0; }
SRC

# `timeout` only bounds a failure: without the fix, this waits 300 s.
expect_code 0 timeout 60 "$SEALEXEC" script -v --compiler "$WORK/cc-leave" "$WORK/bg.c"
[ -f "$WORK/left.pid" ] || fail "the wrapper left no process behind"
expect_out "bg ok" "run whose compiler left a process behind"
expect_compiled "run whose compiler left a process behind"
expect_file_contains "$WORK/err" "cached: "
expect_code 0 timeout 60 "$SEALEXEC" script -v --compiler "$WORK/cc-leave" "$WORK/bg.c"
expect_out "bg ok" "second run"
expect_not_compiled "second run"
