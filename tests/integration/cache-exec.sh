#!/bin/sh
# sealexec cache exec KEY [-- ARGS...] replaces itself with the cached entry,
# run from a sealed memfd: the program's output, exit status and death by
# signal pass through unchanged, /proc/self/exe is the memfd, and sealexec's
# own failures are 127 (no such entry), 126 (not runnable) and 125 (unusable
# cache, bad usage), each with one "sealexec:" line.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache

quiet() { # WHAT
  [ ! -s "$WORK/err" ] || fail "$1: unexpected stderr: $(cat "$WORK/err")"
}

# Like expect_code, but the shell's own "Terminated" notice stays out of
# $WORK/err (the redirections belong to the process that execs sealexec).
expect_death() {
  want=$1
  shift
  { (exec "$@" >"$WORK/out" 2>"$WORK/err") && got=0 || got=$?; } 2>/dev/null
  [ "$got" -eq "$want" ] || {
    echo "--- stdout:" >&2; cat "$WORK/out" >&2
    echo "--- stderr:" >&2; cat "$WORK/err" >&2
    fail "expected exit code $want, got $got from: $*"
  }
}

# An ELF program: exactly what it prints when run directly.
expect_code 0 sx put hello "$EXAMPLES/hello"
"$EXAMPLES/hello" a "b c" >"$WORK/direct"
printf 'hello from sealed memory\narg 1: a\narg 2: b c\n' >"$WORK/want"
cmp "$WORK/direct" "$WORK/want" || fail "hello itself prints something else: $(cat "$WORK/direct")"
expect_code 0 sx exec hello -- a "b c"
cmp "$WORK/out" "$WORK/want" || fail "cache exec hello -- a 'b c' printed: $(cat "$WORK/out")"
quiet "exec hello"
# Without "--"; and arguments that look like sealexec's options are the
# program's once KEY is given.
expect_code 0 sx exec hello a "b c"
cmp "$WORK/out" "$WORK/want" || fail "cache exec hello a 'b c' printed: $(cat "$WORK/out")"
expect_code 0 "$SEALEXEC" cache exec --dir "$C" hello -- --dir x
printf 'hello from sealed memory\narg 1: --dir\narg 2: x\n' >"$WORK/want2"
cmp "$WORK/out" "$WORK/want2" || fail "arguments after KEY were not passed through: $(cat "$WORK/out")"

# A #! script: its exit status passes through.
printf '#!/bin/sh\necho "script says $1"\nexit 3\n' >"$WORK/exit3"
expect_code 0 sx put exit3 "$WORK/exit3"
expect_code 3 sx exec exit3 -- hi
expect_eq "$(cat "$WORK/out")" "script says hi" "stdout of the cached script"
quiet "exec exit3"

# A script that kills itself with SIGTERM: 128 + 15.
printf '#!/bin/sh\necho before\nkill -TERM $$\necho survived\n' >"$WORK/die"
expect_code 0 sx put die "$WORK/die"
expect_death 143 "$SEALEXEC" cache --dir "$C" exec die
expect_eq "$(cat "$WORK/out")" "before" "stdout of the cached script killed by SIGTERM"
quiet "exec die"

# The running entry is a sealed memfd, not a file of the cache.
probe=$FIXTURES/exe-probe
direct_fds=$("$probe" | sed -n 's/^fds://p')
expect_code 0 sx put probe "$probe"
expect_code 0 sx exec probe
quiet "exec probe"
exe=$(sed -n 's/^exe: //p' "$WORK/out")
case $exe in
  "/memfd:sealexec:probe:"*" (deleted)") ;;
  *) fail "/proc/self/exe of the cached entry is '$exe', not a sealexec memfd" ;;
esac
if command -v xxh128sum >/dev/null 2>&1; then
  expect_eq "$exe" "/memfd:sealexec:probe:$(xxh_prefix "$probe" 2>/dev/null) (deleted)" "exe link"
fi
seals=$(sed -n 's/^seals: //p' "$WORK/out")
case $seals in 0x[0-9a-f]*) ;; *) fail "F_GET_SEALS on /proc/self/exe failed: '$seals'" ;; esac
[ $((seals & 0xf)) -eq 15 ] || fail "seals $seals lack SHRINK|GROW|WRITE|SEAL (0xf)"
case $(sed -n 's/^write: //p' "$WORK/out") in *failed*) ;; *) fail "the running entry was writable" ;; esac
expect_eq "$(sed -n 's/^fds://p' "$WORK/out")" "$direct_fds" "descriptors the entry inherited"

# Hits are counted even though exec replaces sealexec.
expect_code 0 sx stats --json
json_load "$WORK/out"
expect_eq "$(json_get hits)" 6 "hits after six execs"

# 127: no such entry (also with the wrong fingerprint).
expect_code 127 sx exec nosuchkey -- a
expect_error_line "sealexec: nosuchkey: " "no such entry in the cache"
expect_code 127 sx exec --fingerprint other hello
expect_error_line "sealexec: hello: " "no such entry in the cache"

# 126: an entry that is neither ELF nor #! script.
printf 'just text\n' >"$WORK/text"
expect_code 0 sx put text "$WORK/text"
expect_code 126 sx exec text
expect_error_line "sealexec: " "is neither an ELF executable nor a #! script"

# 125: no KEY; a cache that cannot be used.
expect_code 125 sx exec
expect_error_line "sealexec: " "needs a KEY"
mkdir -m 700 "$WORK/open"
chmod 770 "$WORK/open"
expect_code 125 "$SEALEXEC" cache --dir "$WORK/open" exec hello
expect_error_line "sealexec: $WORK/open: " "writable by its group or others"
