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
expect_code 1 unshare --mount sh -c 'umount -l /proc && exec "$1" "$2"' sh \
  "$FIXTURES/load-plugin" "$plugin"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "$plugin: cannot be loaded from memory without /proc"
expect_file_contains "$WORK/err" "mount /proc"
