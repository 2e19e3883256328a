#!/bin/sh
# The optional argument on a #! line reaches the interpreter: a "#!/bin/sh -e"
# script stops at its first failing command (exit 1), while the same script
# without -e carries on. The argument comes before the script's path and the script's
# own arguments.
. "$TEST_LIB"

printf '#!/bin/sh -e\necho "before $1"\nfalse\necho "after"\n' >"$WORK/with-e"
printf '#!/bin/sh\necho "before $1"\nfalse\necho "after"\n' >"$WORK/without-e"
chmod +x "$WORK/with-e" "$WORK/without-e"

expect_code 1 "$SEALEXEC" run "$WORK/with-e" first
expect_eq "$(cat "$WORK/out")" "before first" "stdout of the #!/bin/sh -e script"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

expect_code 0 "$SEALEXEC" run "$WORK/without-e" first
expect_eq "$(cat "$WORK/out")" "before first
after" "stdout of the script without -e"

# The interpreter's exact argv, seen by fd-probe used as the interpreter.
printf '#!%s --opt value\n' "$FIXTURES/fd-probe" >"$WORK/probe-arg"
chmod +x "$WORK/probe-arg"
expect_code 0 "$SEALEXEC" run "$WORK/probe-arg" "x y"
grep '^argv' "$WORK/out" | sed "$named_path" >"$WORK/argv"
cat >"$WORK/expected" <<OUT
argv[0]: $FIXTURES/fd-probe
argv[1]: --opt value
argv[2]: NAMED/probe-arg
argv[3]: x y
OUT
cmp "$WORK/argv" "$WORK/expected" || fail "interpreter argv differs: $(cat "$WORK/out")"
