# Shared by the man page and completion tests (sourced after common.sh).
#   DIST_DIR  the build's dist/ (man/, completions/: what gen-cli-docs.py wrote)
#   PYTHON3   the python3 the build generates them with

: "${DIST_DIR:?DIST_DIR must name the build's dist directory}"
[ -d "$DIST_DIR/man" ] && [ -d "$DIST_DIR/completions" ] ||
  fail "$DIST_DIR has no generated man pages or completions (was the build run?)"

# Under a sanitizer build, the CLI's leak report at exit is not what these
# tests check.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

# help_commands: the commands `sealexec --help` lists, one a line.
help_commands() {
  "$SEALEXEC" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on { print $1 }'
}

# help_options [COMMAND]: every option name (-v and --verbose alike) that
# `sealexec [COMMAND] --help` lists, one a line, sorted.
help_options() {
  "$SEALEXEC" ${1:+"$1"} --help | awk '
    /^Options:/ { on = 1; next }
    on && /^$/ { on = 0 }
    on {
      for (i = 1; i <= NF; i++) {
        w = $i; sub(/,$/, "", w)
        if (w ~ /^--?[A-Za-z0-9]/) print w; else break
      }
    }' | sort -u
}

# help_long_options [COMMAND]: the --long ones only.
help_long_options() {
  help_options "$@" | grep -e '^--' || true
}

# same_lines WHAT EXPECTED-FILE ACTUAL-FILE: the two sorted sets are equal.
same_lines() {
  sort -u "$2" >"$WORK/same.expected"
  sort -u "$3" >"$WORK/same.actual"
  if ! cmp -s "$WORK/same.expected" "$WORK/same.actual"; then
    echo "--- $1: expected (<) vs actual (>):" >&2
    diff "$WORK/same.expected" "$WORK/same.actual" >&2 || true
    fail "$1 differ"
  fi
}

# contains_line FILE LINE WHAT
contains_line() {
  grep -qxF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$3: no line '$2'"; }
}
