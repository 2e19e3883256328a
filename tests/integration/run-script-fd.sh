#!/bin/sh
# A #! script's interpreter receives exactly one descriptor more than
# sealexec itself was given: the read-only sealed copy N that its script
# path (a name link, .../names/N/NAME, to /proc/self/fd/N) leads to. Checked with fd-probe as the interpreter (which opens nothing
# itself), and from inside a /bin/sh script through /proc/$$/fdinfo.
. "$TEST_LIB"
require_command xxh128sum

# What a program inherits here without sealexec (the test harness may leave
# descriptors open).
"$FIXTURES/fd-probe" | grep '^fd ' | sort >"$WORK/baseline"

printf '#!%s\n' "$FIXTURES/fd-probe" >"$WORK/probe-script"
chmod +x "$WORK/probe-script"
digest=$(xxh_prefix "$WORK/probe-script")
expect_code 0 "$SEALEXEC" run "$WORK/probe-script"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"
path=$(sed -n 's/^argv\[1\]: //p' "$WORK/out")
n=${path%/*}
n=${n##*/}
case $n in '' | *[!0-9]*) fail "the interpreter's script path is not .../names/N/NAME: '$path'" ;; esac
[ "$(readlink "$path")" = "/proc/self/fd/$n" ] || fail "$path does not lead to /proc/self/fd/$n"
grep '^fd ' "$WORK/out" | sort >"$WORK/seen"
{ cat "$WORK/baseline"; echo "fd $n: r -> /memfd:sealexec:probe-script:$digest (deleted)"; } \
  | sort >"$WORK/expected"
cmp "$WORK/seen" "$WORK/expected" || {
  echo "--- expected:" >&2; cat "$WORK/expected" >&2
  echo "--- seen:" >&2; cat "$WORK/seen" >&2
  fail "the interpreter got other descriptors than the baseline plus one read-only script fd"
}

# From inside a shell script: $0 names a read-only descriptor (O_ACCMODE of
# the fdinfo flags is 0) that is the sealed memfd.
cat >"$WORK/self.sh" <<'SCRIPT'
#!/bin/sh
n=${0%/*}
n=${n##*/}
echo "target: $(readlink "/proc/$$/fd/$n")"
flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$$/fdinfo/$n")
echo "accmode: $(( 0$flags & 3 ))"
if (printf x >>"$0") 2>/dev/null; then echo "append: succeeded"; else echo "append: failed"; fi
SCRIPT
chmod +x "$WORK/self.sh"
digest=$(xxh_prefix "$WORK/self.sh")
expect_code 0 "$SEALEXEC" run "$WORK/self.sh"
cat >"$WORK/expected" <<OUT
target: /memfd:sealexec:self.sh:$digest (deleted)
accmode: 0
append: failed
OUT
cmp "$WORK/out" "$WORK/expected" || fail "the script's view of its fd differs: $(cat "$WORK/out")"
