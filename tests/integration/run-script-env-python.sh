#!/bin/sh
# A "#!/usr/bin/env python3" script runs from sealed memory: env finds the
# interpreter named by the #! argument, python3 reads the script through
# a name link to the sealed memfd (sys.argv[0], .../names/N/hello.py) and receives the arguments.
. "$TEST_LIB"
[ -x /usr/bin/env ] || skip "needs /usr/bin/env"
require_command python3

cat >"$WORK/hello.py" <<'SCRIPT'
#!/usr/bin/env python3
import sys
print("python sees", len(sys.argv) - 1, "argument(s):", "|".join(sys.argv[1:]))
print("script:", sys.argv[0])
sys.exit(7)
SCRIPT
chmod +x "$WORK/hello.py"
expect_code 7 timeout 10 "$SEALEXEC" run "$WORK/hello.py" "a b" c
expect_eq "$(sed -n 1p "$WORK/out")" "python sees 2 argument(s): a b|c" "python's arguments"
sed -n 2p "$WORK/out" | sed "$named_path" | grep -qx 'script: NAMED/hello.py' \
  || fail "python's sys.argv[0] is not .../names/N/hello.py: $(sed -n 2p "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
