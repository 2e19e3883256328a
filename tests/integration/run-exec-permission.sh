#!/bin/sh
# sealexec applies the kernel's own execute checks to the source file: a
# file without execute permission, and a file on a noexec mount, exit 126
# with one line saying why, as a direct exec does (126 from sh);
# --allow-non-executable runs a copy anyway. A program on standard input has
# no file and runs. An execute-only (0711) file cannot be read, so it cannot
# be sealed, and the message says exactly that.
. "$TEST_LIB"

cp "$EXAMPLES/hello" "$WORK/plain"
chmod 644 "$WORK/plain"
# The shell's own verdict on a direct exec.
expect_code 126 sh -c '"$1"' sh "$WORK/plain"

expect_code 126 "$SEALEXEC" run "$WORK/plain"
expect_error_line "sealexec: $WORK/plain: " "is not executable by you (mode 0644)"
expect_file_contains "$WORK/err" "--allow-non-executable"

expect_code 0 "$SEALEXEC" run --allow-non-executable "$WORK/plain"
expect_file_contains "$WORK/out" "hello from sealed memory"

# The same for a #! script.
printf '#!/bin/sh\necho script ran\n' >"$WORK/script"
chmod 600 "$WORK/script"
expect_code 126 "$SEALEXEC" run "$WORK/script"
expect_error_line "sealexec: $WORK/script: " "(mode 0600)"
expect_code 0 "$SEALEXEC" run --allow-non-executable "$WORK/script"
expect_eq "$(cat "$WORK/out")" "script ran" "the script's output with the override"

# Standard input is allowed, also when it is a non-executable file.
expect_code 0 sh -c '"$1" run - <"$2"' sh "$SEALEXEC" "$WORK/plain"
expect_file_contains "$WORK/out" "hello from sealed memory"

# A noexec mount, and an execute-only file as another user: both need root.
require_root "mounts a noexec tmpfs and switches to the nobody user"
require_command unshare
unshare --mount true 2>/dev/null || skip "cannot create a mount namespace"
cp "$EXAMPLES/hello" "$WORK/hello"
cat >"$WORK/noexec.sh" <<'SCRIPT'
set -e
mkdir "$1/mnt"
mount -t tmpfs -o noexec tmpfs "$1/mnt"
cp "$1/hello" "$1/mnt/hello"
chmod 755 "$1/mnt/hello"
set +e
"$1/mnt/hello" >/dev/null 2>&1; echo "direct $?"
"$2" run "$1/mnt/hello" 2>"$1/noexec.err"; echo "sealexec $?"
"$2" run --allow-non-executable "$1/mnt/hello"; echo "allowed $?"
SCRIPT
expect_code 0 unshare --mount sh "$WORK/noexec.sh" "$WORK" "$SEALEXEC"
expect_file_contains "$WORK/out" "direct 126"
expect_file_contains "$WORK/out" "sealexec 126"
expect_file_contains "$WORK/out" "hello from sealed memory"
expect_file_contains "$WORK/out" "allowed 0"
expect_lines "$WORK/noexec.err" 1
expect_file_contains "$WORK/noexec.err" "sealexec: $WORK/mnt/hello: is on a file system mounted noexec"

require_command setpriv
as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
as_nobody "$SEALEXEC" --version >/dev/null 2>&1 || skip "the nobody user cannot run $SEALEXEC"
chmod 755 "$WORK"
cp "$EXAMPLES/hello" "$WORK/execute-only"
chmod 711 "$WORK/execute-only"
as_nobody test -x "$WORK/execute-only" || skip "the nobody user cannot reach $WORK (private TMPDIR?)"
expect_code 0 as_nobody "$WORK/execute-only"
expect_code 126 as_nobody "$SEALEXEC" run "$WORK/execute-only"
expect_error_line "sealexec: $WORK/execute-only: " \
  "may be executed but not read by you (mode 0711), and sealexec must read a program to seal it"
