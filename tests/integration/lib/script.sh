# Helpers for the script-*.sh scenarios (sealexec script FILE); source after
# "$TEST_LIB". Every scenario gets its own cache, $WORK/cache, through
# SEALEXEC_CACHE_DIR, so no test ever touches ~/.cache.
#   counting_compiler NAME REAL [SLEEP]
#                       creates $WORK/NAME, a compiler that appends its
#                       arguments as one line to $WORK/NAME.count (after
#                       sleeping SLEEP seconds when given) and then execs REAL
#                       (a command found on PATH now). Create it once per
#                       scenario and never touch it again: the compiler's
#                       identity (path, inode, size, mtime) is part of the key.
#   calls NAME          how many times $WORK/NAME ran at all (compiles and
#                       the queries sealexec asks a compiler it has not seen)
#   compiles NAME       how many of those runs compiled a file (had "-o")
#   backdate FILE...    sets the files' mtime one minute back (only ctime,
#                       which cannot be set back, decides whether a compile's
#                       inputs were unchanged; scenarios use it to show that)
#   script_entries      how many "script: ..." entries `sealexec cache ls` lists
#   expect_compiled / expect_not_compiled WHAT
#                       on $WORK/err of a -v run: a "compiling with" note or none
#   expect_out TEXT WHAT
#                       $WORK/out is exactly TEXT (plus the newline)

SEALEXEC_CACHE_DIR=$WORK/cache
export SEALEXEC_CACHE_DIR
C=$WORK/cache
unset CC CXX CFLAGS CXXFLAGS CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH 2>/dev/null || true

counting_compiler() {
  real=$(command -v "$2" 2>/dev/null) || skip "needs the compiler $2"
  {
    echo '#!/bin/sh'
    printf 'printf "%%s\\n" "$*" >>"%s"\n' "$WORK/$1.count"
    if [ $# -ge 3 ]; then printf 'sleep %s\n' "$3"; fi
    printf 'exec "%s" "$@"\n' "$real"
  } >"$WORK/$1"
  chmod 755 "$WORK/$1"
  touch -d '-1 min' "$WORK/$1"
  : >"$WORK/$1.count"
}

calls() {
  if [ -f "$WORK/$1.count" ]; then wc -l <"$WORK/$1.count" | tr -d ' '; else echo 0; fi
}

compiles() {
  if [ -f "$WORK/$1.count" ]; then
    grep -c -e ' -o ' -e '^-o ' "$WORK/$1.count" || true
  else
    echo 0
  fi
}

backdate() {
  touch -d '-1 min' "$@"
}

script_entries() {
  "$SEALEXEC" cache --dir "$C" ls >"$WORK/ls" 2>"$WORK/ls.err" \
    || { cat "$WORK/ls.err" >&2; fail "sealexec cache ls failed"; }
  grep -cE '^[0-9a-f]+ +[0-9]+ +[0-9-]+ +[0-9:]+ +script: ' "$WORK/ls" || true
}

expect_compiled() {
  grep -qF 'compiling with' "$WORK/err" \
    || { echo "--- stderr:" >&2; cat "$WORK/err" >&2; fail "$1: no 'compiling with' note, expected a compile"; }
}

expect_not_compiled() {
  if grep -qF 'compiling with' "$WORK/err"; then
    echo "--- stderr:" >&2; cat "$WORK/err" >&2
    fail "$1: compiled, expected the cached binary"
  fi
}

expect_out() {
  printf '%s\n' "$1" >"$WORK/want"
  cmp -s "$WORK/out" "$WORK/want" || {
    echo "--- stdout:" >&2; cat "$WORK/out" >&2
    echo "--- stderr:" >&2; cat "$WORK/err" >&2
    fail "$2: expected stdout '$1'"
  }
}
