#!/bin/sh
# Colour and the progress line are for people at a terminal: ANSI colour only
# when stdout is a terminal and NO_COLOR is unset (never in --json); the
# "checked N files..." line only when stderr is a terminal and the scan has
# taken more than a second, wiped again at the end. script(1) provides the
# terminal.
. "$TEST_LIB"
require_command script
require_command python3
unset NO_COLOR

esc=$(printf '\033')
culprit=$EXAMPLES/execstack-app/libculprit.so
user=$EXAMPLES/execstack-app/uses-culprit
# on_tty FILE COMMAND: runs the shell command on a pseudo-terminal; what the
# terminal showed goes to FILE, with CRs removed.
on_tty() {
  out=$1
  shift
  script -qec "$*" /dev/null >"$out.raw" </dev/null || true
  tr -d '\r' <"$out.raw" >"$out"
}

# A terminal: the culprit's EXECSTACK cell, padded after the colour reset.
on_tty "$WORK/tty" "'$SEALEXEC' check '$culprit'"
grep -q "^lib  *${esc}\[1;31mld\.so${esc}\[0m  " "$WORK/tty" \
  || { od -c "$WORK/tty" | head -20 >&2; fail "no colour on a terminal"; }
# The columns line up as without colour.
sed "s/${esc}\[[0-9;]*m//g" "$WORK/tty" >"$WORK/tty-plain"
"$SEALEXEC" check "$culprit" >"$WORK/pipe" 2>&1 || true
cmp "$WORK/tty-plain" "$WORK/pipe" || fail "colour changed the text: $(cat "$WORK/tty")"
on_tty "$WORK/tty-deps" "'$SEALEXEC' check --deps '$user'"
expect_file_contains "$WORK/tty-deps" "${esc}[1;31mculprit${esc}[0m: libculprit.so"

# A pipe: no escape at all.
"$SEALEXEC" check --deps "$culprit" "$user" "$EXAMPLES/hello" >"$WORK/pipe" 2>"$WORK/err" || true
! grep -q "$esc" "$WORK/pipe" "$WORK/err" || fail "escape codes in a pipe"
expect_file_contains "$WORK/pipe" "culprit: libculprit.so"

# NO_COLOR set: a terminal, but no colour.
on_tty "$WORK/tty-nocolor" "NO_COLOR=1 '$SEALEXEC' check --deps '$culprit' '$user'"
! grep -q "$esc" "$WORK/tty-nocolor" || fail "colour despite NO_COLOR=1: $(od -c "$WORK/tty-nocolor" | head)"
expect_file_contains "$WORK/tty-nocolor" "culprit: libculprit.so"
grep -q "^lib  *ld\.so  " "$WORK/tty-nocolor" || fail "no row with NO_COLOR: $(cat "$WORK/tty-nocolor")"

# --json on a terminal: plain, valid JSON.
on_tty "$WORK/tty-json" "'$SEALEXEC' check --json '$culprit'"
! grep -q "$esc" "$WORK/tty-json" || fail "escape codes in JSON on a terminal"
python3 -m json.tool "$WORK/tty-json" >/dev/null || fail "JSON on a terminal is not valid: $(cat "$WORK/tty-json")"

# Progress: a fast scan on a terminal shows none (stdout is discarded, so
# whatever the terminal shows came from stderr).
on_tty "$WORK/tty-fast" "'$SEALEXEC' check -R '$EXAMPLES' >/dev/null"
[ ! -s "$WORK/tty-fast" ] || fail "a fast scan printed on stderr: $(od -c "$WORK/tty-fast" | head)"

# A slow scan: thousands of files whose rows go to a reader that waits one
# and a half seconds, so that the scan blocks on a full pipe and takes over
# a second.
mkdir "$WORK/many"
python3 -c '
import os, sys
for i in range(5000):
    os.link(sys.argv[1], "%s/h%05d" % (sys.argv[2], i))
' "$EXAMPLES/hello" "$WORK/many" || fail "cannot make the links"
on_tty "$WORK/tty-slow" "'$SEALEXEC' check -R '$WORK/many' | (sleep 1.5; cat >/dev/null)"
grep -q "sealexec: checked [0-9][0-9]* files\.\.\." "$WORK/tty-slow" \
  || fail "no progress line for a slow scan on a terminal: $(od -c "$WORK/tty-slow" | head)"
# ... and the line is wiped at the end (CR, then erase to end of line).
tail -c 4 "$WORK/tty-slow.raw" | od -An -c | tr -d ' \n' | grep -qF '\r033[K' \
  || fail "the progress line is not wiped: $(od -c "$WORK/tty-slow.raw" | tail -3)"
# The same slow scan with stderr in a file: no progress line.
on_tty "$WORK/tty-slow2" "'$SEALEXEC' check -R '$WORK/many' 2>'$WORK/slow-err' | (sleep 1.5; cat >/dev/null)"
[ ! -s "$WORK/slow-err" ] || fail "progress on a stderr that is not a terminal: $(cat "$WORK/slow-err")"
[ ! -s "$WORK/tty-slow2" ] || fail "unexpected terminal output: $(cat "$WORK/tty-slow2")"
