#!/bin/sh
# The sealexec Python package (bindings/python), from the source tree, over
# this build's libsealexec: an embedded program run with its output piped
# back, scripts with argv, env, stdin and exit status, no leaked descriptor,
# exec, a plugin, the cache read and written both ways with the CLI, check,
# and errors as SealexecError with the C API's code (test_binding.py).
. "$TEST_LIB"
. "$SOURCE_DIR/tests/bindings/python/python-env.sh"

export PYTHONPATH="$SOURCE_DIR/bindings/python"
cd "$WORK"
set +e
/usr/bin/python3 -X dev -W error::ResourceWarning \
  "$SOURCE_DIR/tests/bindings/python/test_binding.py" >"$WORK/test.log" 2>&1
rc=$?
set -e
cat "$WORK/test.log"
[ $rc -eq 0 ] || fail "test_binding.py failed ($rc)"
grep -q '^OK$' "$WORK/test.log" || fail "unittest did not report OK"
! grep -q 'skipped' "$WORK/test.log" || fail "a Python test was skipped"
# Handles left to the garbage collector are freed without a warning or an
# exception ignored in __del__.
! grep -q 'Exception ignored\|ResourceWarning' "$WORK/test.log" ||
  fail "the package leaked a resource or raised in a finalizer"
echo "PASS: python binding"
