#!/bin/sh
# examples/go as a user builds it against an installed sealexec: no build
# tag, no CGO_CFLAGS; the package's `#cgo pkg-config: sealexec` takes the
# flags from the installed, moved tree's sealexec.pc (the shared library).
. "$TEST_LIB"
. "$SOURCE_DIR/tests/bindings/go/go-env.sh"
: "${BUILD_DIR:?}"
require_command pkg-config
[ -x /usr/bin/python3 ] || skip "the embedded script needs /usr/bin/python3"

if ! cmake --install "$BUILD_DIR" --prefix "$WORK/p" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  skip "cmake --install failed (another part of the install is not ready); the pkg-config build is untested"
fi
mv "$WORK/p" "$WORK/moved"
pc=$(find "$WORK/moved" -name sealexec.pc | head -1)
[ -n "$pc" ] || fail "no sealexec.pc installed"
libdir=$(dirname "$(dirname "$pc")")

# Only what a user sets: where the .pc is, and a RUNPATH since the prefix is
# not one the loader searches.
unset CGO_CFLAGS
export PKG_CONFIG_PATH="$(dirname "$pc")" CGO_LDFLAGS="-Wl,-rpath,$libdir"
(cd "$SOURCE_DIR/examples/go" && /usr/bin/go build -o "$WORK/memfd-script" ./memfd-script) \
  >"$WORK/go.log" 2>&1 || { cat "$WORK/go.log" >&2; fail "go build with pkg-config"; }
readelf -d "$WORK/memfd-script" | grep -q 'NEEDED.*\[libsealexec\.so\.1\]' ||
  fail "memfd-script does not link libsealexec.so.1"
MEMFD_SCRIPT_EXIT=4 expect_code 4 "$WORK/memfd-script" installed
expect_file_contains "$WORK/out" 'args: ["installed"]'
expect_file_contains "$WORK/out" '/memfd:sealexec:memfd-script.py:'
echo "PASS: go build with pkg-config against the installed tree"
