#!/bin/sh
# ABI discipline: libsealexec.so.1 exports exactly the symbols listed in
# src/sealexec/capi/exported-symbols.txt, each in its version node, and
# nothing else (no C++ symbol, no dependency's); every function sealexec.h
# declares is among them; the header's SEALEXEC_API_VERSION is the
# library's. An accidental export, removal or version bump fails here.
# Usage: abi.sh LIBRARY CAPI_SOURCE_DIR
set -eu
library=$1
capi=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

nm -D --defined-only "$library" | awk '$2 != "A" { print $3 }' | sort >"$work/exported"
grep -v '^#' "$capi/exported-symbols.txt" | sed '/^$/d' | sort >"$work/expected"
if ! diff -u "$work/expected" "$work/exported" >"$work/diff"; then
  cat "$work/diff" >&2
  fail "the exports of $library differ from exported-symbols.txt (lines with + are new exports, - are missing ones). A new function: add it to the list in a new version node; never remove one within a major version."
fi
soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
major=$(sed -n 's/^#define SEALEXEC_API_VERSION_MAJOR \([0-9]*\)$/\1/p' "$capi/sealexec.h")
[ "$soname" = "libsealexec.so.$major" ] || fail "SONAME $soname does not carry the C API's major version $major"

# Every function the header declares is exported.
sed -n 's/^SEALEXEC_EXPORT .*[ *]\(sealexec_[a-z0-9_]*\)(.*/\1/p' "$capi/sealexec.h" | sort -u >"$work/declared"
[ -s "$work/declared" ] || fail "found no declarations in sealexec.h"
sed 's/@.*//' "$work/exported" | sort -u >"$work/exported-names"
missing=$(comm -23 "$work/declared" "$work/exported-names")
[ -z "$missing" ] || fail "declared in sealexec.h but not exported: $missing"
extra=$(comm -13 "$work/declared" "$work/exported-names")
[ -z "$extra" ] || fail "exported but not declared in sealexec.h: $extra"

# The library's version is the header's.
cat >"$work/version.c" <<'C'
#include <sealexec.h>
#include <stdio.h>
int main(void) {
  if (sealexec_api_version() != SEALEXEC_API_VERSION) {
    printf("header %d, library %d\n", SEALEXEC_API_VERSION, sealexec_api_version());
    return 1;
  }
  return 0;
}
C
# A sanitized library needs the sanitizers' runtime in the program, the C++
# part of UBSan's included: the C program is linked by the C++ driver then.
${CC:-cc} -std=c99 ${SANITIZE:+-fsanitize=$SANITIZE} -I"$capi" -c "$work/version.c" \
  -o "$work/version.o"
linker=${CC:-cc}
[ -z "${SANITIZE:-}" ] || linker=${CXX:-c++}
$linker ${SANITIZE:+-fsanitize=$SANITIZE} "$work/version.o" -o "$work/version" "$library" \
  -Wl,-rpath,"$(dirname "$library")"
"$work/version" || fail "the library's sealexec_api_version() is not the header's SEALEXEC_API_VERSION"
echo "libsealexec ABI: $(wc -l <"$work/exported") exports as listed"
