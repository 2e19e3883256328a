#!/bin/sh
# The installed library works for programs outside the project, found both
# with CMake's find_package(sealexec) and with pkg-config, and the installed
# tree can be moved (the .pc file is relative to itself).
. "$TEST_LIB"
: "${BUILD_DIR:?}"
[ -z "${SANITIZE:-}" ] || skip "a sanitizer build ($SANITIZE) installs an instrumented library that plain consumers cannot link"
require_command cmake
require_command pkg-config

cmake --install "$BUILD_DIR" --prefix "$WORK/staged" >/dev/null
mv "$WORK/staged" "$WORK/prefix" # relocated after installation
[ -f "$WORK/prefix/lib/libsealexec.a" ] || fail "no libsealexec.a installed"
[ -f "$WORK/prefix/include/sealexec/image/sealed_image.h" ] || fail "headers not installed"
[ -x "$WORK/prefix/bin/sealexec" ] || fail "the CLI was not installed"

# find_package
CXX=${CXX:-g++-12} cmake -S "$SOURCE_DIR/tests/integration/consumer" -B "$WORK/cmake-build" \
  -G Ninja -DCMAKE_PREFIX_PATH="$WORK/prefix" >"$WORK/configure.log" 2>&1 ||
  { cat "$WORK/configure.log" >&2; fail "find_package(sealexec) failed"; }
cmake --build "$WORK/cmake-build" >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; fail "building against sealexec::sealexec failed"; }
expect_code 0 "$WORK/cmake-build/consumer" "$EXAMPLES/hello"
expect_file_contains "$WORK/out" "arg 1: from-consumer"

# pkg-config
flags=$(PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" pkg-config --cflags --libs --static sealexec)
# shellcheck disable=SC2086
${CXX:-g++-12} "$SOURCE_DIR/tests/integration/consumer/main.cpp" -o "$WORK/pc-consumer" $flags ||
  fail "building with pkg-config flags '$flags' failed"
expect_code 0 "$WORK/pc-consumer" "$EXAMPLES/hello"
expect_file_contains "$WORK/out" "hello from sealed memory"
