#!/bin/sh
# sealexec script, real-world programs: every program in tests/realworld/
# (small but genuine C and C++ tools: text filters on stdin, argv and exit
# codes, -lm, -pthread, C11/C17, C++17/C++20 STL and ranges, exceptions caught
# and uncaught, static constructors, templates, stderr, the environment, a
# local header, a helper source, zlib, fmt and sqlite3 through pkg-config, an
# extensionless #! script, a .C file) runs through sealexec with gcc-12/g++-12
# and with clang-19/clang++-19, and behaves exactly as the same program
# compiled directly by the same compiler and run directly: same stdout, same
# exit status or signal, same stderr; and stdout is NAME.expected.
#
# For each program NAME (one per NAME.expected) in tests/realworld/:
#   NAME.c, NAME.cpp, NAME.C or NAME   the program (the first that exists);
#                 an extensionless one names its language by --lang
#   NAME.expected its standard output, exactly (required)
#   NAME.stdin    fed on standard input (else /dev/null)
#   NAME.args     its arguments, one per line (an empty line: an empty one)
#   NAME.env      VAR=VALUE lines exported for the run
#   NAME.status   how it ends: a number is its exit status (0 to 255); a
#                 signal name such as SIGABRT means death by that signal (the
#                 shell's 128+N; with python3, a real signal death is checked
#                 too: returncode -N). Absent: 0.
#   NAME.needs    the program needs a sealexec feature not yet everywhere (one
#                 line saying which); REALWORLD_ONLY_EXISTING=1 leaves it out.
# Other files there (headers, helper sources) are the programs' companions.
#
# Each program, per compiler pair, in a copy of tests/realworld/ under $WORK:
#   1. compiled directly, in its directory, with the flags of its
#      "// sealexec:" lines (first 50 lines; split like sh words):
#      --pkg A[,B] -> $(pkg-config --cflags --libs A B), --source F -> F,
#      --lang L -> a copy named FILE.c or FILE.cpp, anything else as it is; all after the
#      file, as sealexec orders them. A file starting with "#!" is compiled
#      from a copy whose first line is blanked (the same line numbers).
#   2. run directly;
#   3. run through sealexec twice, cold (it compiles) then warm (cached), as
#      `sealexec ./FILE ARGS` (a #! file as `./FILE ARGS`, sealexec on PATH),
#      with CC/CXX set to the pair;
#   4. run once more as `sealexec script -v ./FILE`, which must not compile.
# stdout and status of every run must match the direct run and the expected
# files; the warm run's stderr must equal the direct run's, and so must the
# cold run's when the direct compile printed nothing. Every mismatch is
# reported with the program and the compiler; the scenario fails at the end.
#
# Knobs:
#   REALWORLD_ONLY_EXISTING=1   skip the programs with a NAME.needs file
#   REALWORLD_PROGRAMS="a b"    only these programs
#   REALWORLD_PAIRS="gcc clang" only these compiler pairs (default both)
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"

RW=$SOURCE_DIR/tests/realworld
[ -d "$RW" ] || fail "no $RW"
case $SEALEXEC in
  /*) ;;
  *) SEALEXEC=$(pwd)/$SEALEXEC ;;
esac
# A #! script finds sealexec through env and PATH.
PATH=$(dirname "$SEALEXEC"):$PATH
export PATH
# An abort must not leave (or wait for) a core dump. dash and bash have -c.
# shellcheck disable=SC3045
ulimit -c 0 2>/dev/null || true
unset RW_GREETING RW_REPEAT RW_PATH RW_EMPTY RW_UNSET RW_SPACES RW_CHILD 2>/dev/null || true
LC_ALL=C
export LC_ALL
have_python=no
command -v python3 >/dev/null 2>&1 && have_python=yes

mkdir "$WORK/res" "$WORK/bin"
failures=0
skipped=""
start=$(date +%s)

mismatch() { # WHAT: one mismatch, reported at once, counted for the end
  failures=$((failures + 1))
  echo "MISMATCH [$name, $cc/$cxx]${needs:+ (needs: $needs)}: $*" >&2
}

show_diff() { # WANT GOT
  diff "$1" "$2" | head -n 20 | sed 's/^/    /' >&2 || true
}

# quote WORD: WORD as one sh word, for eval.
quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# parse_directives FILE: sets $lang (c, c++ or empty), $words (the flags
# for a direct compile, quoted for eval) and $pkgs (pkg-config names).
parse_directives() {
  lang=""
  words=""
  pkgs=""
  directives=$(head -n 50 "$1" | sed -n 's|^// sealexec: ||p')
  # Our own files: no '$' or '`' in directives, so eval only splits and unquotes.
  eval "set -- $(printf '%s\n' "$directives" | tr '\n' ' ')"
  while [ $# -gt 0 ]; do
    case $1 in
      --pkg)
        pkgs="$pkgs $(printf '%s' "$2" | tr ',' ' ')"
        shift 2 ;;
      --source)
        words="$words $(quote "$2")"
        shift 2 ;;
      --lang)
        lang=$2
        shift 2 ;;
      *)
        words="$words $(quote "$1")"
        shift ;;
    esac
  done
}

# run_prog OUT CMD...: runs CMD in $dir with the program's arguments, stdin
# and environment; stdout in OUT.out, stderr in OUT.err, status in $rc (the
# shell's, 128+N for signal N; its "Aborted" notice is kept out).
run_prog() {
  out=$1
  shift
  { (
    cd "$dir"
    if [ -f "$RW/$name.env" ]; then
      # shellcheck disable=SC2163 # kv is NAME=VALUE: exports NAME
      while IFS= read -r kv; do export "$kv"; done <"$RW/$name.env"
    fi
    if [ -f "$RW/$name.args" ]; then
      while IFS= read -r a; do set -- "$@" "$a"; done <"$RW/$name.args"
    fi
    exec "$@" <"$stdin" >"$out.out" 2>"$out.err"
  ) && rc=0 || rc=$?; } 2>/dev/null
}

# run_sealexec OUT: run_prog OUT with the program through sealexec: a #!
# file as ./FILE (env finds sealexec on PATH), any other as sealexec ./FILE.
run_sealexec() {
  if [ "$shebang" = yes ]; then
    run_prog "$1" "./$file"
  else
    run_prog "$1" "$SEALEXEC" "./$file"
  fi
}

# signal_returncode CMD...: python's returncode of CMD (negative: a signal).
signal_returncode() {
  run_prog "$WORK/res/py" python3 -c '
import subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(r.returncode)' "$@"
  cat "$WORK/res/py.out"
}

# check_run KIND: compares run KIND's files and $rc with the direct run's
# (which was compared with the expected files already); sets $run_ok.
check_run() {
  r=$WORK/res/$pair-$name
  run_ok=yes
  if [ "$rc" -ne "$direct_rc" ]; then
    run_ok=no
    mismatch "$1 run: exit status $rc, directly $direct_rc; its stderr:"
    head -n 10 "$r.$1.err" | sed 's/^/    /' >&2
    case $rc in
      124 | 125 | 126 | 127) return 0 ;; # sealexec's own failure: said all there is
    esac
  fi
  if ! cmp -s "$r.direct.out" "$r.$1.out"; then
    run_ok=no
    mismatch "$1 run: stdout differs from the direct run's (< direct, > $1)"
    show_diff "$r.direct.out" "$r.$1.out"
  fi
  if [ "$1" != cold ] || [ ! -s "$r.compile.err" ]; then
    if ! cmp -s "$r.direct.err" "$r.$1.err"; then
      run_ok=no
      mismatch "$1 run: stderr differs from the direct run's (< direct, > $1)"
      show_diff "$r.direct.err" "$r.$1.err"
    fi
  fi
}

# signal_number NAME: the number of the signal NAME (ABRT: 6); dash's kill -l
# maps numbers to names only.
signal_number() {
  i=1
  while [ "$i" -lt 32 ]; do
    [ "$(kill -l "$i" 2>/dev/null)" != "$1" ] || { echo "$i"; return 0; }
    i=$((i + 1))
  done
  return 1
}

# one_program: the whole comparison for $name with the pair $cc/$cxx.
one_program() {
  needs=""
  [ ! -f "$RW/$name.needs" ] || needs=$(head -n 1 "$RW/$name.needs")
  file=""
  for f in "$name.c" "$name.cpp" "$name.C" "$name"; do
    if [ -f "$RW/$f" ]; then
      file=$f
      break
    fi
  done
  [ -n "$file" ] || { mismatch "no program file for $name.expected"; return 0; }
  stdin=/dev/null
  [ ! -f "$RW/$name.stdin" ] || stdin=$RW/$name.stdin
  want_status=0
  [ ! -f "$RW/$name.status" ] || want_status=$(cat "$RW/$name.status")
  case $want_status in
    SIG*)
      signum=$(signal_number "${want_status#SIG}") || fail "$name.status: unknown signal $want_status"
      want_rc=$((128 + signum)) ;;
    *) signum=""; want_rc=$want_status ;;
  esac

  parse_directives "$dir/$file"
  if [ -z "$lang" ]; then
    case $file in
      *.c) lang=c ;;
      *.cpp | *.C) lang=c++ ;;
      *) mismatch "$file: no extension and no --lang"; return 0 ;;
    esac
  fi
  compiler=$cc
  [ "$lang" = c ] || compiler=$cxx
  pkgflags=""
  for p in $pkgs; do
    if ! pkg-config --exists "$p" 2>/dev/null; then
      echo "SKIPPED [$name, $cc/$cxx]: pkg-config does not know $p" >&2
      skipped="$skipped $name($p)"
      return 0
    fi
  done
  # shellcheck disable=SC2086 # one word per package
  [ -z "$pkgs" ] || pkgflags=$(pkg-config --cflags --libs $pkgs)

  # 1. The direct compile.
  r=$WORK/res/$pair-$name
  bin=$WORK/bin/$pair-$name
  src=$file
  xlang=""
  xnone=""
  shebang=no
  # A file without the extension of its language is compiled from a copy
  # named with one ("-x L FILE -x none" would make clang warn, and -Werror
  # fail, about the -x none with no input after it).
  ext=c
  [ "$lang" = c ] || ext=cpp
  if [ "$(head -c 2 "$dir/$file")" = "#!" ]; then
    shebang=yes
    chmod +x "$dir/$file"
    src=.direct-$name.$ext
    sed '1s/.*//' "$dir/$file" >"$dir/$src"
  elif [ "$file" = "$name" ]; then
    src=.direct-$name.$ext
    cp "$dir/$file" "$dir/$src"
  fi
  if ! (cd "$dir" && eval "exec \"\$compiler\" $xlang \"\$src\" $xnone $words $pkgflags -o \"\$bin\"") \
    >"$r.compile.out" 2>"$r.compile.err"; then
    mismatch "direct compile failed: $compiler $xlang $src $xnone $words $pkgflags"
    sed 's/^/    /' "$r.compile.err" | head -n 20 >&2
    return 0
  fi

  # 2. The direct run, against the expected files.
  run_prog "$r.direct" "$bin"
  direct_rc=$rc
  if [ "$direct_rc" -ne "$want_rc" ]; then
    mismatch "direct run: exit status $direct_rc, $name.status says $want_status"
  fi
  if ! cmp -s "$RW/$name.expected" "$r.direct.out"; then
    mismatch "direct run: stdout differs from $name.expected (< expected, > direct)"
    show_diff "$RW/$name.expected" "$r.direct.out"
  fi

  # 3. Through sealexec: cold, then warm.
  # (Both are compared with the direct run, itself compared with the
  # expected files above.)
  run_sealexec "$r.cold"
  check_run cold
  cold_ok=$run_ok
  run_sealexec "$r.warm"
  check_run warm

  # 4. A run by `sealexec script -v` finds the cached binary.
  if [ "$cold_ok" = yes ]; then
    run_prog "$r.verbose" "$SEALEXEC" script -v "./$file"
    if grep -qF 'compiling with' "$r.verbose.err"; then
      mismatch "the run after the warm one compiled again; its -v notes:"
      grep -v '^  ' "$r.verbose.err" | head -n 6 | sed 's/^/    /' >&2
    fi
  fi

  # A signal death is a signal death, directly and through sealexec (not an
  # exit with 128+N; the shell's $? cannot tell them apart, python can).
  if [ -n "$signum" ] && [ "$have_python" = yes ] && [ "$run_ok" = yes ]; then
    got_direct=$(signal_returncode "$bin")
    if [ "$shebang" = yes ]; then
      got_warm=$(signal_returncode "./$file")
    else
      got_warm=$(signal_returncode "$SEALEXEC" "./$file")
    fi
    [ "$got_direct" = "-$signum" ] || mismatch "direct run: python's returncode $got_direct, expected -$signum"
    [ "$got_warm" = "-$signum" ] || mismatch "warm run: python's returncode $got_warm, expected -$signum (not a death by signal?)"
  fi
}

programs=""
for e in "$RW"/*.expected; do
  n=$(basename "$e" .expected)
  if [ -n "${REALWORLD_PROGRAMS:-}" ]; then
    case " $REALWORLD_PROGRAMS " in *" $n "*) ;; *) continue ;; esac
  fi
  if [ "${REALWORLD_ONLY_EXISTING:-0}" = 1 ] && [ -f "$RW/$n.needs" ]; then
    echo "NOTE: REALWORLD_ONLY_EXISTING=1: leaving out $n (needs: $(head -n 1 "$RW/$n.needs"))" >&2
    continue
  fi
  programs="$programs $n"
done
[ -n "$programs" ] || fail "no programs selected in $RW"

ran_pairs=0
for pair in ${REALWORLD_PAIRS:-gcc clang}; do
  case $pair in
    gcc) cc=gcc-12 cxx=g++-12 ;;
    clang) cc=clang-19 cxx=clang++-19 ;;
    *) fail "REALWORLD_PAIRS: unknown pair $pair (gcc or clang)" ;;
  esac
  if ! command -v "$cc" >/dev/null 2>&1 || ! command -v "$cxx" >/dev/null 2>&1; then
    echo "SKIPPED: the $pair pair: needs $cc and $cxx" >&2
    skipped="$skipped pair:$pair"
    continue
  fi
  ran_pairs=$((ran_pairs + 1))
  CC=$cc
  CXX=$cxx
  export CC CXX
  dir=$WORK/$pair
  cp -R "$RW" "$dir"
  pair_start=$(date +%s)
  for name in $programs; do
    one_program
  done
  echo "NOTE: $pair ($cc/$cxx):$(echo "$programs" | wc -w) programs in $(($(date +%s) - pair_start)) s" >&2
done

echo "NOTE: $failures mismatch(es), $(($(date +%s) - start)) s in all" >&2
[ "$failures" -eq 0 ] || fail "$failures mismatch(es) between sealexec and the direct compile (above)"
[ "$ran_pairs" -gt 0 ] || skip "no compiler pair available (gcc-12/g++-12, clang-19/clang++-19)"
[ -z "$skipped" ] || skip "everything that ran passed, but left out:$skipped"
exit 0
