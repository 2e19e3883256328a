#!/bin/sh
# load_library dlopens /proc/self/fd/N (glibc has no fdlopen). A plugin host
# loads and calls its plugin from sealed memory; in a mount namespace without
# /proc the same load fails with one clear sentence that names /proc, and the
# host is not crashed.
. "$TEST_LIB"
plugin="$EXAMPLES/libanswer-plugin.so"

expect_code 0 "$FIXTURES/load-plugin" "$plugin"
expect_eq "$(cat "$WORK/out")" "42" "the plugin's answer"

require_root "a mount namespace without /proc"
require_command unshare
unshare --mount true 2>/dev/null || skip "cannot create a mount namespace"
[ -z "${SANITIZE:-}" ] || export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# The sanitizers' own runtime needs /proc too (LeakSanitizer's exit-time
# check fails without it, and symbolisation warns), so a sanitizer build
# turns leak checking off here and tolerates the runtime's extra lines.
expect_code 1 unshare --mount sh -c 'umount -l /proc && exec "$1" "$2"' sh \
  "$FIXTURES/load-plugin" "$plugin"
if [ -z "${SANITIZE:-}" ]; then
  expect_lines "$WORK/err" 1
fi
expect_file_contains "$WORK/err" "$plugin: cannot be loaded from memory without /proc"
expect_file_contains "$WORK/err" "mount /proc"
