#!/bin/sh
# A PROGRAM sealexec may not read exits 126 with one line naming it: run as
# nobody, a root-owned 0600 file in a traversable directory, and a file in a
# directory nobody can enter. Needs root (to switch to nobody via setpriv).
. "$TEST_LIB"
require_root "switches to the nobody user"
require_command setpriv

as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
# nobody must be able to reach sealexec itself (the build tree may be private).
as_nobody "$SEALEXEC" --version >/dev/null 2>&1 || skip "the nobody user cannot run $SEALEXEC"

mkdir "$WORK/open" "$WORK/closed"
chmod 755 "$WORK" "$WORK/open"
chmod 700 "$WORK/closed"
cp "$EXAMPLES/hello" "$WORK/open/secret"
cp "$EXAMPLES/hello" "$WORK/closed/secret"
chmod 600 "$WORK/open/secret"
chmod 755 "$WORK/closed/secret"

# Control: a readable copy runs as nobody.
cp "$EXAMPLES/hello" "$WORK/open/public"
chmod 755 "$WORK/open/public"
as_nobody test -r "$WORK/open/public" || skip "the nobody user cannot reach $WORK (private TMPDIR?)"
expect_code 0 as_nobody "$SEALEXEC" run "$WORK/open/public"
expect_file_contains "$WORK/out" "hello from sealed memory"

# Not executable for nobody either: refused as a direct exec would be.
expect_code 126 as_nobody "$SEALEXEC" run "$WORK/open/secret"
expect_error_line "sealexec: $WORK/open/secret: " "is not executable by you (mode 0600)"
# With the override, the open fails.
expect_code 126 as_nobody "$SEALEXEC" run --allow-non-executable "$WORK/open/secret"
expect_error_line "sealexec: $WORK/open/secret: " "cannot open"

expect_code 126 as_nobody "$SEALEXEC" run "$WORK/closed/secret"
expect_error_line "sealexec: $WORK/closed/secret: " "cannot open"
