#!/bin/sh
# A #! shell script runs from sealed memory: its interpreter gets the script
# as /dev/fd/N ($0) and the arguments unchanged (spaces, empty strings,
# option-like ones); the example hello.sh runs too.
. "$TEST_LIB"

expect_code 0 "$SEALEXEC" run "$SOURCE_DIR/examples/hello.sh" "a b" ""
expect_eq "$(sed "$named_path" "$WORK/out")" \
  "hello from a sealed shell script, run by NAMED/hello.sh with 2 argument(s)" "hello.sh output"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

cat >"$WORK/args.sh" <<'SCRIPT'
#!/bin/sh
echo "0=$0"
echo "#=$#"
for a in "$@"; do echo "[$a]"; done
SCRIPT
chmod +x "$WORK/args.sh"
expect_code 0 "$SEALEXEC" run "$WORK/args.sh" "a b" "  two  spaces " "" "--x" "-" '$HOME' '*'
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
sed "$named_path" "$WORK/out" | grep -qx '0=NAMED/args.sh' \
  || fail "\$0 is not .../names/N/args.sh: $(head -1 "$WORK/out")"
sed 1d "$WORK/out" >"$WORK/rest"
cat >"$WORK/expected" <<'OUT'
#=7
[a b]
[  two  spaces ]
[]
[--x]
[-]
[$HOME]
[*]
OUT
cmp "$WORK/rest" "$WORK/expected" || fail "arguments differ: $(cat "$WORK/out")"
