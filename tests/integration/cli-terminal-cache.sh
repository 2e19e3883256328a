#!/bin/sh
# Cache output cannot steer the terminal: an entry put from a file whose name
# carries ESC, CSI, a newline, C1 controls, bytes that are not UTF-8 and a
# bidi override is listed with its description escaped by `cache ls` and
# `cache ls --json`; `cache stats` (text and --json) escapes the directory and
# backend names read from the statistics file (which any process of the
# cache's owner, or a hostile remote URL, can fill); `cache keygen` escapes
# the NAME it echoes, and the one it refuses.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
. "$(dirname "$TEST_LIB")/terminal.sh"
real_work=$(cd "$WORK" && pwd -P)
C=$real_work/cache-$HOSTILE
C_SHOWN=$real_work/cache-$HOSTILE_SHOWN

cp "$EXAMPLES/hello" "$WORK/$HOSTILE"
expect_code 0 sx put k1 "$WORK/$HOSTILE"
expect_terminal_safe "$WORK/out" "$WORK/err"

expect_code 0 sx ls
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_lines "$WORK/out" 1
expect_file_contains "$WORK/out" "  $real_work/$HOSTILE_SHOWN"

expect_code 0 sx ls --json
expect_terminal_safe "$WORK/out" "$WORK/err"
python3 - "$WORK/out" "$real_work/$HOSTILE_SHOWN" <<'PY' || fail "ls --json: $(cat "$WORK/out")"
import json, sys
entries = json.load(open(sys.argv[1], encoding="utf-8"))
assert [e["description"] for e in entries] == [sys.argv[2]], entries
PY

# A backend name as the statistics file holds it (one word: no blank, no
# newline), with an OSC that would retitle the window.
backend=$(printf 'redis://h\033]0;pwned\007\233x\302\233\377\342\200\256')
backend_shown='redis://h\e]0;pwned\x07\x9bx\u009b\xff\u202e'
printf 'v1 %s hits=1 misses=2 errors=0 timeouts=0 rejected=0 puts=3\n' "$backend" >>"$C/stats/remote"
expect_code 0 sx stats
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_file_contains "$WORK/out" "cache directory  $C_SHOWN"
expect_file_contains "$WORK/out" "remote $backend_shown"

expect_code 0 sx stats --json
expect_terminal_safe "$WORK/out" "$WORK/err"
python3 - "$WORK/out" "$C_SHOWN" "$backend_shown" <<'PY' || fail "stats --json: $(cat "$WORK/out")"
import json, sys
stats = json.load(open(sys.argv[1], encoding="utf-8"))
assert stats["directory"] == sys.argv[2], stats["directory"]
assert [(r["backend"], r["hits"], r["puts"]) for r in stats["remote"]] == [(sys.argv[3], 1, 3)], stats
PY

# keygen: the key's own name is refused (letters, digits, '.', '_', '-'
# only), but the directory it goes into may be called anything.
expect_code 2 "$SEALEXEC" cache keygen "$WORK/$HOSTILE-key"
expect_error_line "sealexec: $HOSTILE_SHOWN-key: " "a key name must be"
expect_terminal_safe "$WORK/out" "$WORK/err"
mkdir "$WORK/keys-$HOSTILE"
expect_code 0 "$SEALEXEC" cache keygen "$WORK/keys-$HOSTILE/team"
expect_terminal_safe "$WORK/out" "$WORK/err"
expect_file_contains "$WORK/out" "wrote $WORK/keys-$HOSTILE_SHOWN/team.key (private"
[ -f "$WORK/keys-$HOSTILE/team.pub" ] || fail "keygen did not write NAME.pub under the raw name"
