#!/bin/sh
# The man pages: one per command `sealexec --help` lists, plus sealexec(1);
# built from this CLI; rendering without a warning (groff -ww, man
# --warnings, lexgrog); each page's OPTIONS listing exactly the options of
# its command's --help, no more, no fewer; the prose agreeing with --help
# (gen-cli-docs.py --check), and that check failing when they drift, either
# way; compressed as Debian wants (gzip -9n).
. "$TEST_LIB"
. "$(dirname "$0")/man-lib.sh"

require_command groff
require_command man
require_command lexgrog
: "${PYTHON3:?}"
generator="$SOURCE_DIR/scripts/gen-cli-docs.py"

# 1. The prose agrees with --help (drift either way is an error).
"$PYTHON3" "$generator" --check --source-dir "$SOURCE_DIR/dist" -- "$SEALEXEC" 2>"$WORK/check.err" ||
  { cat "$WORK/check.err" >&2; fail "the man page prose disagrees with --help"; }

# 2. The built pages and completions are what this CLI generates now
#    (same date as the built ones).
date=$(sed -n 's/^\.TH SEALEXEC 1 "\([^"]*\)".*/\1/p' "$DIST_DIR/man/sealexec.1")
[ -n "$date" ] || fail "no .TH date in $DIST_DIR/man/sealexec.1"
"$PYTHON3" "$generator" --source-dir "$SOURCE_DIR/dist" --out-dir "$WORK/gen" --date "$date" \
  -- "$SEALEXEC" 2>/dev/null || fail "gen-cli-docs.py failed"
for dir in man completions; do
  diff -r "$WORK/gen/$dir" "$DIST_DIR/$dir" >"$WORK/diff" ||
    { cat "$WORK/diff" >&2; fail "$DIST_DIR/$dir is stale: rebuild"; }
done

# 3. One page per command, and sealexec(1).
{ echo sealexec; help_commands | sed 's/^/sealexec-/'; } >"$WORK/pages.expected"
ls "$DIST_DIR/man" | sed -n 's/\.1$//p' >"$WORK/pages.actual"
same_lines "pages (dist/man/*.1) and the commands of sealexec --help" \
  "$WORK/pages.expected" "$WORK/pages.actual"
[ "$(wc -l <"$WORK/pages.expected")" -ge 6 ] || fail "sealexec --help lists too few commands"

for page in $(cat "$WORK/pages.expected"); do
  file="$DIST_DIR/man/$page.1"
  gz="$file.gz"
  [ -f "$gz" ] || fail "no $gz"

  # 4. Renders without a warning, as lintian checks it.
  groff -man -ww -z "$file" 2>"$WORK/groff.err"
  [ ! -s "$WORK/groff.err" ] || { cat "$WORK/groff.err" >&2; fail "$page: groff warns"; }
  LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$gz" >"$WORK/page.txt" 2>"$WORK/man.err"
  [ ! -s "$WORK/man.err" ] || { cat "$WORK/man.err" >&2; fail "$page: man --warnings warns"; }
  lexgrog "$gz" >"$WORK/lexgrog" 2>&1 || { cat "$WORK/lexgrog" >&2; fail "$page: lexgrog finds no NAME"; }
  grep -qF "\"$page - " "$WORK/lexgrog" || { cat "$WORK/lexgrog" >&2; fail "$page: NAME is not '$page - ...'"; }

  # 5. gzip -9n: valid, no name, no time stamp; the same page as the .1.
  gzip -dc "$gz" | cmp -s - "$file" || fail "$gz is not $file compressed"
  header=$(od -An -tx1 -N10 "$gz" | tr -d ' \n')
  case $header in
    1f8b0800000000000*) ;; # magic, deflate, no flags (no name), mtime 0
    *) fail "$gz: gzip header $header has a name or a time stamp (want gzip -9n)" ;;
  esac

  # 6. OPTIONS lists exactly the options of the command's --help: the tags
  #    of its entries, rendered wide so that none wraps.
  command=${page#sealexec}
  command=${command#-}
  MANWIDTH=1000 man --nh --nj -l "$file" 2>/dev/null | awk '
    /^OPTIONS$/ { on = 1; next }
    on && /^[A-Z]/ { on = 0 }
    on && /^       -/ {
      n = split($0, w, /[ ,]+/)
      for (i = 2; i <= n; i++) if (w[i] ~ /^--?[A-Za-z0-9]/) print w[i]; else break
    }' | sort -u >"$WORK/page.options"
  help_options $command >"$WORK/help.options"
  same_lines "$page: the options in OPTIONS and those of sealexec $command --help" \
    "$WORK/help.options" "$WORK/page.options"

  # The synopsis is the usage of --help.
  MANWIDTH=1000 man --nh --nj -l "$file" 2>/dev/null |
    awk '/^SYNOPSIS$/ { on = 1; next } on && /^[A-Z]/ { on = 0 } on && NF' |
    sed 's/^ *//; s/  */ /g' >"$WORK/page.synopsis"
  "$SEALEXEC" $command --help | awk '/^Usage: / { on = 1; sub(/^Usage: /, "") } on && /^$/ { exit } on' |
    sed 's/^ *//; s/  */ /g' | grep -e '^sealexec' | sed 's/ *(the same as.*//' >"$WORK/help.synopsis.start"
  while IFS= read -r start; do
    grep -qF -- "$start" "$WORK/page.synopsis" ||
      { cat "$WORK/page.synopsis" >&2; fail "$page: SYNOPSIS lacks '$start'"; }
  done <"$WORK/help.synopsis.start"
done

# sealexec(1) lists every command, with its summary.
MANWIDTH=1000 man --nh --nj -l "$DIST_DIR/man/sealexec.1" 2>/dev/null >"$WORK/main.txt"
for command in $(help_commands); do
  grep -qx "       sealexec $command" "$WORK/main.txt" || fail "sealexec(1) does not list $command"
  grep -qF "sealexec-$command(1)" "$WORK/main.txt" || fail "sealexec(1) does not refer to sealexec-$command(1)"
done

# 7. The check fails when the prose drifts from --help, either way.
drift() { # WHAT EXPECTED-MESSAGE: runs the check on $WORK/dist, which must fail so.
  if "$PYTHON3" "$generator" --check --source-dir "$WORK/dist" -- "$SEALEXEC" 2>"$WORK/drift.err"; then
    fail "the check passed prose that $1"
  fi
  grep -qF -- "$2" "$WORK/drift.err" || { cat "$WORK/drift.err" >&2; fail "$1: no '$2' in the check's errors"; }
}
fresh_dist() {
  rm -rf "$WORK/dist"
  cp -R "$SOURCE_DIR/dist" "$WORK/dist"
}
fresh_dist
printf '\nUse `--no-such-option` to go faster.\n' >>"$WORK/dist/man/sealexec-run.md"
drift "names an option run --help lacks" "has no option --no-such-option"
fresh_dist
printf '\n```\nsealexec check --no-such-flag ./app\n```\n' >>"$WORK/dist/man/sealexec-run.md"
drift "gives another command an option it lacks" "sealexec check --help has no --no-such-flag"
fresh_dist
sed -i 's/^## EXIT STATUS$/## OPTIONS\n\n### --gone\n\nGone.\n\n## EXIT STATUS/' "$WORK/dist/man/sealexec-fix.md"
drift "notes an option --help lacks" "sealexec-fix's --help has no option --gone"
fresh_dist
sed -i '/^127$/,/^$/d' "$WORK/dist/man/sealexec-run.md"
drift "misses an exit code --help names" "does not describe exit code 127"
fresh_dist
sed -i 's/^0$/0\n: Fine.\n\n4/' "$WORK/dist/man/sealexec-check.md"
drift "describes an exit code --help does not name" "describes exit code 4"
fresh_dist
sed -i '/^`SEALEXEC_CACHE_MAX_SIZE`/,/^$/d' "$WORK/dist/man/sealexec-cache.md"
drift "misses a variable --help mentions" "ENVIRONMENT does not describe SEALEXEC_CACHE_MAX_SIZE"
fresh_dist
rm "$WORK/dist/man/sealexec-serve.md"
drift "lacks a page for a command" "sealexec-serve.md: missing"
fresh_dist
printf '## DESCRIPTION\n\nGone.\n\n## SEE ALSO\n\nNothing.\n' >"$WORK/dist/man/sealexec-gone.md"
drift "has a page for a command --help lacks" "sealexec-gone.md: no such command"
fresh_dist
printf '\nSee `sealexec-gone`(1).\n' >>"$WORK/dist/man/sealexec-check.md"
drift "refers to a command --help lacks" "sealexec-gone(1): no such command"

echo "ok: $(wc -l <"$WORK/pages.expected") man pages match --help and render cleanly"
