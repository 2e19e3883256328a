#!/bin/sh
# The installed library works for programs outside the project, in C and in
# C++, found both with CMake's find_package(sealexec) and with pkg-config,
# shared by default and static on request, from an installed tree that was
# moved after installation (the .pc and CMake files are relative to
# themselves). The installed headers are exactly the public ones, and each
# compiles on its own.
. "$TEST_LIB"
: "${BUILD_DIR:?}"
[ -z "${SANITIZE:-}" ] || skip "a sanitizer build ($SANITIZE) installs an instrumented library that plain consumers cannot link"
require_command cmake
require_command pkg-config
CC=${CC:-gcc-12}
CXX=${CXX:-g++-12}

DESTDIR= cmake --install "$BUILD_DIR" --prefix "$WORK/staged" --strip >/dev/null
mv "$WORK/staged" "$WORK/prefix" # relocated after installation
prefix=$WORK/prefix
[ -f "$prefix/lib/libsealexec.a" ] || fail "no libsealexec.a installed"
[ -f "$prefix/lib/libsealexec.so.1" ] || fail "no libsealexec.so.1 installed"
[ -f "$prefix/include/sealexec.h" ] || fail "sealexec.h not installed"
[ -f "$prefix/include/sealexec/image/sealed_image.h" ] || fail "C++ headers not installed"
[ -x "$prefix/bin/sealexec" ] || fail "the CLI was not installed"
soname=$(readelf -d "$prefix/lib/libsealexec.so.1" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
expect_eq "$soname" "libsealexec.so.1" "the shared library's SONAME"
# Stripped: no debug sections in what make install installs.
for file in "$prefix/bin/sealexec" "$prefix/lib/libsealexec.so.1" "$prefix/lib/libsealexec.a"; do
  if readelf -S -W "$file" 2>/dev/null | grep -q '\.debug_info'; then
    fail "$file keeps its debug information after an install with --strip"
  fi
done

# Only the public headers: no CLI header, no internal layer's header.
find "$prefix/include" -name '*.h' | sed "s|^$prefix/include/||" | sort >"$WORK/installed-headers"
if grep -E '^sealexec/(cli|remote|serve|script|capi)/' "$WORK/installed-headers"; then
  fail "internal headers were installed"
fi
# Every include of an installed header is installed, and each one compiles
# on its own (the C++ ones as C++23, sealexec.h as C99 and as C++).
while read -r header; do
  grep -o '#include "sealexec/[^"]*"' "$prefix/include/$header" | sed 's/#include "\(.*\)"/\1/' |
    while read -r included; do
      [ -f "$prefix/include/$included" ] || fail "$header includes $included, which is not installed"
    done
  case "$header" in
    sealexec.h)
      printf '#include <sealexec.h>\n' >"$WORK/one.c"
      $CC -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$prefix/include" "$WORK/one.c" ||
        fail "sealexec.h does not compile as C99"
      printf '#include <sealexec.h>\n' >"$WORK/one.cpp"
      $CXX -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" "$WORK/one.cpp" ||
        fail "sealexec.h does not compile as C++11"
      ;;
    *)
      printf '#include <%s>\n' "$header" >"$WORK/one.cpp"
      $CXX -std=c++23 -fsyntax-only -I"$prefix/include" "$WORK/one.cpp" ||
        fail "$header does not compile on its own"
      ;;
  esac
done <"$WORK/installed-headers"

consumer=$SOURCE_DIR/tests/integration/consumer
run_consumer() { # run_consumer BINARY WHAT
  expect_code 0 "$1" "$EXAMPLES/hello"
  expect_file_contains "$WORK/out" "arg 1: from-consumer"
  case "$2" in
    shared) ldd "$1" | grep -q "libsealexec.so.1 => $prefix/lib/" ||
      fail "$1 does not use the installed libsealexec.so.1: $(ldd "$1")" ;;
    static) if ldd "$1" 2>/dev/null | grep -q libsealexec; then fail "$1 links libsealexec dynamically"; fi ;;
  esac
}

# find_package: C (shared), C (static) and C++ (static) consumers.
CC=$CC CXX=$CXX cmake -S "$consumer" -B "$WORK/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_RPATH="$prefix/lib" >"$WORK/configure.log" 2>&1 ||
  { cat "$WORK/configure.log" >&2; fail "find_package(sealexec) failed"; }
cmake --build "$WORK/cmake-build" >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; fail "building against sealexec::sealexec(_static) failed"; }
run_consumer "$WORK/cmake-build/consumer" static
run_consumer "$WORK/cmake-build/c-consumer" shared
run_consumer "$WORK/cmake-build/c-consumer-static" static

# pkg-config, as the README shows it.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pkg-config --cflags sealexec | grep -q -- '-std=' && fail "sealexec.pc gives C consumers a -std flag"
# A shared consumer needs no dependency's .pc file, and gets no one's flags.
flags=$(PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" pkg-config --cflags --libs sealexec) ||
  fail "pkg-config --cflags --libs sealexec wants the dependencies' .pc files"
flags=$(echo $flags) # pkg-config ends with a space
expect_eq "$flags" "-I$prefix/lib/pkgconfig/../../include -L$prefix/lib/pkgconfig/../../lib -lsealexec" \
  "pkg-config --cflags --libs sealexec"
# shellcheck disable=SC2046
$CC -std=c99 -Wall -Werror "$consumer/main.c" -o "$WORK/pc-c" $(pkg-config --cflags --libs sealexec) \
  -Wl,-rpath,"$prefix/lib" || fail "a C consumer does not link with pkg-config --cflags --libs sealexec"
run_consumer "$WORK/pc-c" shared
# shellcheck disable=SC2046
$CC -static "$consumer/main.c" -o "$WORK/pc-c-static" $(pkg-config --static --cflags --libs sealexec) \
  2>"$WORK/static.log" || { cat "$WORK/static.log" >&2; fail "a static C consumer does not link with pkg-config --static"; }
run_consumer "$WORK/pc-c-static" static
# shellcheck disable=SC2046
$CXX "$consumer/main.cpp" -o "$WORK/pc-cpp" $(pkg-config --cflags --libs sealexec-cpp) ||
  fail "a C++ consumer does not link with pkg-config --cflags --libs sealexec-cpp"
run_consumer "$WORK/pc-cpp" static

# The shared library, moved, still finds its companion (the environment
# restorer in ../libexec/sealexec): $ORIGIN libraries of a program run
# through the C API do not leak LD_LIBRARY_PATH to what it starts.
expect_code 0 "$WORK/pc-c" "$EXAMPLES/origin-app/bin/greet" env
expect_file_contains "$WORK/out" "hello from a library found through \$ORIGIN"
if grep -q '^LD_LIBRARY_PATH=' "$WORK/out"; then
  fail "LD_LIBRARY_PATH reached what the program started: the moved libsealexec.so.1 did not find ../libexec/sealexec/sealexec-restore-env.so"
fi
