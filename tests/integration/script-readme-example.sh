#!/bin/sh
# The README's example of an extensionless tool that uses a pkg-config
# library, taken from the README itself and run as it says: made executable
# in a bin directory on PATH and called by name. docs/scripts.md shows the
# same program; both must stay true.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
[ -x /usr/bin/env ] || skip "needs /usr/bin/env"
require_command cc
require_command pkg-config
pkg-config --exists zlib || skip "needs zlib's development files (zlib1g-dev)"

mkdir "$WORK/bin"
awk '/^cat > ~\/bin\/crc <</ { inside = 1; next } /^SRC$/ { inside = 0 } inside' \
  "$SOURCE_DIR/README.md" >"$WORK/bin/crc"
[ -s "$WORK/bin/crc" ] || fail "the README has no 'cat > ~/bin/crc' example any more"
head -n 1 "$WORK/bin/crc" | grep -qx '#!/usr/bin/env sealexec' || fail "the example's first line changed"
# docs/scripts.md shows the same program (from its #include lines on).
sed -n '/^#include <stdio.h>/,/^}/p' "$WORK/bin/crc" >"$WORK/readme-body"
sed -n '/^#include <stdio.h>/,/^}/p' "$SOURCE_DIR/docs/scripts.md" | head -n "$(wc -l <"$WORK/readme-body")" >"$WORK/docs-body"
cmp -s "$WORK/readme-body" "$WORK/docs-body" || { diff "$WORK/readme-body" "$WORK/docs-body" >&2 || true; fail "the README's and docs/scripts.md's examples differ"; }

chmod +x "$WORK/bin/crc"
PATH=$WORK/bin:$(dirname "$SEALEXEC"):$PATH
export PATH
cd "$WORK"
version=$(printf '#include <zlib.h>\nZLIB_VERSION\n' | cc -E -P - | tail -n 1 | tr -d '"')
expect_code 0 crc word
expect_out "zlib $version: crc32(word) = c3f17511" "crc word (the README's example)"
[ ! -s "$WORK/err" ] || fail "the example printed on stderr: $(cat "$WORK/err")"
expect_code 0 sealexec -v "$WORK/bin/crc" word
expect_not_compiled "sealexec -v ~/bin/crc word"
expect_code 0 sealexec --warnings "$WORK/bin/crc"
expect_code 0 sealexec script --compile-commands "$WORK/bin/crc"
[ -s "$WORK/bin/compile_commands.json" ] || fail "--compile-commands wrote no database"
echo "the README's example runs as it says"
