#!/bin/sh
# Where a direct exec works or fails, sealexec does the same:
# - under `ulimit -n 4` a program runs (sealexec's own descriptors do not
#   count against the program's limit, which it gets unchanged);
# - #! nested deeper than the kernel allows exits 126, as bash reports it
#   (ELOOP), not 125.
. "$TEST_LIB"

# tight N ARGV...: runs ARGV with only descriptors 0-2 open and a soft
# RLIMIT_NOFILE of N (ctest's own descriptors would otherwise count).
tight() {
  /usr/bin/python3 -c '
import os, resource, sys
os.closerange(3, 65536)
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), hard))
os.execv(sys.argv[2], sys.argv[2:])' "$@"
}
expect_code 0 tight 4 "$EXAMPLES/hello"
expect_code 0 tight 4 "$SEALEXEC" run "$EXAMPLES/hello"
expect_file_contains "$WORK/out" "hello from sealed memory"
# The program gets the caller's limit, not sealexec's headroom.
expect_code 0 tight 7 "$SEALEXEC" run /bin/sh -c "ulimit -n"
expect_eq "$(cat "$WORK/out")" "7" "the program's RLIMIT_NOFILE"

# Six levels of #!: the kernel allows four.
printf '#!/bin/sh\necho innermost\n' >"$WORK/s0"
i=1
while [ $i -le 6 ]; do
  printf '#!%s\n' "$WORK/s$((i - 1))" >"$WORK/s$i"
  i=$((i + 1))
done
chmod +x "$WORK"/s*
set +e
bash -c '"$1"' bash "$WORK/s6" >/dev/null 2>&1
direct=$?
set -e
expect_code "$direct" "$SEALEXEC" run "$WORK/s6"
expect_eq "$direct" 126 "a direct exec's status"
expect_error_line "sealexec: $WORK/s6: " "cannot execute"
