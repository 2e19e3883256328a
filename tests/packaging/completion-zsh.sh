#!/bin/sh
# The zsh completion: it loads without a word on stderr (sourced after
# compinit, and autoloaded from $fpath as the installed _sealexec is), and
# in an interactive zsh (completion-zsh.zsh) completes commands, exactly
# the options of each command's --help, option values and cache keys from a
# real cache.
. "$TEST_LIB"
. "$(dirname "$0")/man-lib.sh"

command -v zsh >/dev/null 2>&1 || skip "needs zsh"
here=$(cd "$(dirname "$0")" && pwd)
completion="$DIST_DIR/completions/_sealexec"

# Loads: sourced, it registers itself; from $fpath, compinit finds it.
zsh -f -c "autoload -Uz compinit && compinit -u -D && source '$completion' && print -r -- \$_comps[sealexec]" \
  >"$WORK/load.out" 2>"$WORK/load.err" || { cat "$WORK/load.err" >&2; fail "zsh cannot source $completion"; }
[ ! -s "$WORK/load.err" ] || { cat "$WORK/load.err" >&2; fail "sourcing $completion wrote to stderr"; }
expect_eq "$(cat "$WORK/load.out")" _sealexec "the completion function zsh registered"
mkdir "$WORK/fpath"
cp "$completion" "$WORK/fpath/_sealexec"
zsh -f -c "fpath=('$WORK/fpath' \$fpath); autoload -Uz compinit && compinit -u -D && print -r -- \$_comps[sealexec]" \
  >"$WORK/load.out" 2>"$WORK/load.err" || { cat "$WORK/load.err" >&2; fail "compinit with $completion failed"; }
[ ! -s "$WORK/load.err" ] || { cat "$WORK/load.err" >&2; fail "compinit with $completion wrote to stderr"; }
expect_eq "$(cat "$WORK/load.out")" _sealexec "the completion function compinit found in \$fpath"

zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || skip "needs zsh's zpty module to drive completion"

mkdir "$WORK/cwd"
cd "$WORK/cwd"
touch tool.c notes.txt
cache="$WORK/cache"
"$SEALEXEC" cache --dir "$cache" put first "$SEALEXEC" || fail "cache put failed"
echo data | "$SEALEXEC" cache --dir "$cache" put second - || fail "cache put failed"
"$SEALEXEC" cache ls --dir "$cache" | awk '{ print $1 }' >"$WORK/keys"
expect_lines "$WORK/keys" 2

# The lines to complete, and what each must give (exactly, or containing).
set -- "sealexec ru" "sealexec check --" "sealexec run --policy " "sealexec cache " \
  "$SEALEXEC cache --dir $cache rm --listed " "sealexec check --fail-on execstack,w" \
  "sealexec run ./tool.c --" "sealexec --"
for command in $(help_commands); do
  set -- "$@" "sealexec $command --"
done
mkdir "$WORK/out"
zsh -f "$here/completion-zsh.zsh" "$WORK/fpath" "$WORK/out" "$@" 2>"$WORK/zsh.err" ||
  { cat "$WORK/zsh.err" >&2; fail "driving zsh's completion failed"; }

n=0
for line in "$@"; do
  n=$((n + 1))
  sort -u "$WORK/out/$n" >"$WORK/reply"
  case $line in
    "sealexec ru") printf 'run\n' >"$WORK/expected" ;;
    "sealexec check --") contains_line "$WORK/reply" --deps "zsh: $line"; continue ;;
    "sealexec run --policy ") printf 'off\nstrict\nwarn\n' >"$WORK/expected" ;;
    "sealexec cache ") printf '%s\n' put get exec stats ls verify gc clear rm keygen >"$WORK/expected" ;;
    *"rm --listed ") cp "$WORK/keys" "$WORK/expected" ;;
    *"execstack,w") printf 'wx\n' >"$WORK/expected" ;;
    # After the program, its own arguments: never run's options.
    *"tool.c --")
      if grep -qx -e --policy "$WORK/reply"; then fail "zsh: '$line' offers run's options"; fi
      continue ;;
    "sealexec --") { help_long_options; help_long_options script; } >"$WORK/expected" ;;
    "sealexec "*" --") help_long_options "$(echo "$line" | cut -d' ' -f2)" >"$WORK/expected" ;;
  esac
  same_lines "zsh's completions of '$line'" "$WORK/expected" "$WORK/reply"
done
echo "ok: zsh loads the completion and completes commands, options, values and cache keys"
