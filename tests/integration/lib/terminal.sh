# Helpers for the cli-terminal-*.sh scenarios; source after "$TEST_LIB".
#   HOSTILE              a file name with ESC, CSI, a newline, a tab, a raw C1
#                        byte, UTF-8 C1, bytes that are not UTF-8, a
#                        right-to-left override, a backslash and "café"
#   HOSTILE_SHOWN        how sealexec shows it (the form in README.md)
#   expect_terminal_safe FILE...  each FILE is safe for a terminal: well-formed
#                        UTF-8 whose only control character is the newline
#                        ending each line; no DEL, no C1 (raw or as UTF-8), no
#                        bidirectional or line-separator control

require_command python3

HOSTILE=$(printf 'x\033[2J\nnl\ttab\233csi\302\233c1\377\300\257bad\342\200\256rlo\\bs caf\303\251')
HOSTILE_SHOWN='x\e[2J\nnl\ttab\x9bcsi\u009bc1\xff\xc0\xafbad\u202erlo\\bs café'

expect_terminal_safe() {
  python3 - "$@" <<'PY' || fail "output not safe for a terminal (see above)"
import sys
bad = False
for name in sys.argv[1:]:
    data = open(name, "rb").read()
    try:
        text = data.decode("utf-8")  # strict: no overlong forms, surrogates or stray bytes
    except UnicodeDecodeError as error:
        print(f"{name}: not UTF-8: {error}: {data!r}", file=sys.stderr)
        bad = True
        continue
    if text and not text.endswith("\n"):
        print(f"{name}: does not end with a newline: {data!r}", file=sys.stderr)
        bad = True
    for line in text.split("\n"):
        for ch in line:
            c = ord(ch)
            if (c < 0x20 or 0x7F <= c <= 0x9F or c in (0x061C, 0x200E, 0x200F)
                    or 0x2028 <= c <= 0x202E or 0x2066 <= c <= 0x2069):
                print(f"{name}: control U+{c:04X} in line {line!r}", file=sys.stderr)
                bad = True
                break
sys.exit(1 if bad else 0)
PY
}
