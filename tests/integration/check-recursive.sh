#!/bin/sh
# check -R walks directories depth first in sorted order, lists each ELF file
# once, skips everything else without a word (text, a fifo, symbolic links,
# so that link loops cannot make it hang), and follows a symbolic link only
# when it is an operand. A directory without -R is an error (2); an
# unreadable file is reported and the scan goes on (2).
. "$TEST_LIB"
require_command timeout
require_command python3

t=$WORK/tree
mkdir -p "$t/a/sub" "$t/b" "$t/empty"
cp "$EXAMPLES/execstack-app/libculprit.so" "$t/a/libculprit.so"
cp "$EXAMPLES/hello" "$t/a/sub/hello3"
cp "$EXAMPLES/hello" "$t/b/hello"
cp "$EXAMPLES/libanswer-plugin.so" "$t/z-plugin.so"
cp "$EXAMPLES/hello" "$t/a/Hello-upper"
printf 'not ELF\n' >"$t/a/notes.txt"
: >"$t/b/empty-file"
cp "$SOURCE_DIR/examples/hello.sh" "$t/b/script.sh"
ln -s . "$t/a/loop"
ln -s ../.. "$t/a/sub/up"
ln -s b/hello "$t/link-to-hello"
ln -s /usr/bin "$t/link-to-usr-bin"
mkfifo "$t/b/fifo" || fail "mkfifo failed"

expect_code 0 timeout 20 "$SEALEXEC" check -R "$t"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
# The FILE column of every row, in order (rows are the lines that end in a
# path under the tree and do not start with a blank).
grep -v '^ ' "$WORK/out" | grep -o " $t/.*\$" | sed 's/^ //' >"$WORK/listed"
printf '%s\n' "$t/a/Hello-upper" "$t/a/libculprit.so" "$t/a/sub/hello3" "$t/b/hello" \
  "$t/z-plugin.so" >"$WORK/expected"
cmp "$WORK/listed" "$WORK/expected" || {
  diff "$WORK/expected" "$WORK/listed" >&2 || true
  fail "check -R did not list exactly the ELF files, once each, in order"
}
expect_file_contains "$WORK/out" "5 ELF files checked"
! grep -q "could not be checked" "$WORK/out" || fail "a skipped file was counted as an error"

# The same set and order in JSON.
expect_code 0 timeout 20 "$SEALEXEC" check -R --json "$t"
python3 -c 'import json,sys; print("\n".join(f["path"] for f in json.load(open(sys.argv[1]))["files"]))' \
  "$WORK/out" >"$WORK/listed"
cmp "$WORK/listed" "$WORK/expected" || fail "check -R --json lists: $(cat "$WORK/listed")"

# A relative operand names the files relative to it.
expect_code 0 sh -c 'cd "$1" && exec timeout 20 "$2" check -R b' sh "$t" "$SEALEXEC"
expect_file_contains "$WORK/out" " b/hello"
expect_file_contains "$WORK/out" "1 ELF file checked"

# Operands that are links are followed: a file, and a directory (whose own
# loop link inside is then not followed).
expect_code 0 timeout 20 "$SEALEXEC" check "$t/link-to-hello"
expect_file_contains "$WORK/out" " $t/link-to-hello"
expect_code 0 timeout 20 "$SEALEXEC" check -R "$t/a/loop"
expect_file_contains "$WORK/out" " $t/a/loop/sub/hello3"
expect_file_contains "$WORK/out" "3 ELF files checked"
# Without -R an operand that is a fifo is an error, not a hang.
expect_code 2 timeout 20 "$SEALEXEC" check "$t/b/fifo"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: $t/b/fifo: "

# A directory without -R.
expect_code 2 "$SEALEXEC" check "$t"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: $t: is a directory (use -R to scan it)"
expect_code 2 "$SEALEXEC" check "$t/b/hello" "$t/empty"
expect_file_contains "$WORK/out" " $t/b/hello"
expect_code 0 "$SEALEXEC" check -R "$t/empty"
expect_file_contains "$WORK/out" "0 ELF files checked"

# An unreadable file: reported, and the scan goes on. Root reads anything,
# so run as nobody there.
chmod 000 "$t/a/libculprit.so"
as_user=
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null 2>&1 || skip "as root, the unreadable-file case needs setpriv (the rest passed)"
  chmod 755 "$WORK"
  as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
  $as_user "$SEALEXEC" --version >/dev/null 2>&1 \
    || skip "user 65534 cannot run $SEALEXEC (the rest passed)"
fi
# shellcheck disable=SC2086 # $as_user is empty or a command with options
expect_code 2 $as_user timeout 20 "$SEALEXEC" check -R "$t"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: $t/a/libculprit.so: "
expect_file_contains "$WORK/err" "Permission denied"
grep -v '^ ' "$WORK/out" | grep -o " $t/.*\$" | sed 's/^ //' >"$WORK/listed"
grep -v libculprit "$WORK/expected" >"$WORK/expected-readable"
cmp "$WORK/listed" "$WORK/expected-readable" || fail "after the unreadable file, check -R listed: $(cat "$WORK/listed")"
expect_file_contains "$WORK/out" "4 ELF files checked"
expect_file_contains "$WORK/out" "1 could not be checked"
