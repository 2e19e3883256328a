#!/bin/sh
# The bash completion, run as bash runs it: bash-completion's helpers
# loaded, COMP_WORDS and COMP_CWORD set, _sealexec called, COMPREPLY read.
# Commands, every command's options (exactly those of its --help), option
# values, a program's own arguments, and cache keys from a real cache.
. "$TEST_LIB"
. "$(dirname "$0")/man-lib.sh"

require_command bash
helpers=/usr/share/bash-completion/bash_completion
[ -r "$helpers" ] || skip "needs bash-completion ($helpers)"
completion="$DIST_DIR/completions/sealexec.bash"

mkdir "$WORK/cwd"
cd "$WORK/cwd"
touch tool.c app.cpp notes.txt
mkdir sub

# complete_line WORD...: what the completion offers for the command line
# WORD... (the last word is the one completed), one a line, in
# $WORK/reply. The first word may be the built sealexec's path.
cat >"$WORK/complete.bash" <<EOF
source "$helpers" || exit 3
source "$completion" || exit 4
complete -p sealexec >/dev/null || exit 5
COMP_WORDS=("\$@")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
COMP_LINE="\$*"
COMP_POINT=\${#COMP_LINE}
COMPREPLY=()
_sealexec "\$1" "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "\${COMPREPLY[@]}" | sed '/^\$/d'
EOF
complete_line() {
  bash --norc --noprofile "$WORK/complete.bash" "$@" >"$WORK/reply" 2>"$WORK/reply.err" ||
    { cat "$WORK/reply.err" >&2; fail "completing '$*' failed (exit $?)"; }
  [ ! -s "$WORK/reply.err" ] || { cat "$WORK/reply.err" >&2; fail "completing '$*' wrote to stderr"; }
}
expect_reply() { # EXPECTED-LINES... (exactly, in any order; none for none)
  : >"$WORK/expected"
  [ $# -eq 0 ] || printf '%s\n' "$@" >"$WORK/expected"
  same_lines "completions of '$line'" "$WORK/expected" "$WORK/reply"
}

# Commands.
line="sealexec ru"; complete_line sealexec ru; expect_reply run
line="sealexec ch"; complete_line sealexec ch; expect_reply check
line="sealexec ''"; complete_line sealexec ''
help_commands >"$WORK/commands"
# sealexec FILE: C and C++ files and directories as well.
{ cat "$WORK/commands"; echo tool.c; echo app.cpp; echo sub; } >"$WORK/expected"
same_lines "completions of 'sealexec '" "$WORK/expected" "$WORK/reply"

# Every command's options: exactly those of its --help.
for command in $(help_commands); do
  line="sealexec $command --"
  complete_line sealexec "$command" --
  help_long_options "$command" >"$WORK/expected"
  same_lines "completions of '$line' and the options of sealexec $command --help" \
    "$WORK/expected" "$WORK/reply"
  line="sealexec $command -"
  complete_line sealexec "$command" -
  help_options "$command" >"$WORK/expected"
  same_lines "completions of '$line' and the options of sealexec $command --help" \
    "$WORK/expected" "$WORK/reply"
done
line="sealexec check --"; complete_line sealexec check --; contains_line "$WORK/reply" --deps "$line"
# Before FILE: sealexec's own options and script's.
line="sealexec --"; complete_line sealexec --
{ help_long_options; help_long_options script; } >"$WORK/expected"
same_lines "completions of '$line'" "$WORK/expected" "$WORK/reply"

# Option values.
line="sealexec run --policy ''"; complete_line sealexec run --policy ''; expect_reply strict warn off
line="sealexec run --policy=w"; complete_line sealexec run --policy=w; expect_reply warn
line="sealexec script --lang ''"; complete_line sealexec script --lang ''; expect_reply c c++
line="sealexec check --fail-on execstack,t"; complete_line sealexec check --fail-on execstack,t
expect_reply execstack,textrel
line="sealexec check --root s"; complete_line sealexec check --root s; expect_reply sub
line="sealexec fix -o no"; complete_line sealexec fix -o no; expect_reply notes.txt
line="sealexec run --name x ./no"; complete_line sealexec run --name x ./no; expect_reply ./notes.txt

# Operands: a program, then its own arguments, never run's options.
line="sealexec run ech"; complete_line sealexec run ech; contains_line "$WORK/reply" echo "$line"
line="sealexec run ./tool.c --"; complete_line sealexec run ./tool.c --
if grep -qx -e --policy "$WORK/reply"; then fail "'$line' offers run's options to the program"; fi
line="sealexec run -- ech"; complete_line sealexec run -- ech; contains_line "$WORK/reply" echo "$line"
line="sealexec check -R ''"; complete_line sealexec check -R ''; contains_line "$WORK/reply" notes.txt "$line"
line="sealexec serve ''"; complete_line sealexec serve ''; expect_reply
line="sealexec cache ''"; complete_line sealexec cache ''
expect_reply put get exec stats ls verify gc clear rm keygen
line="sealexec cache put KEY no"; complete_line sealexec cache put KEY no; expect_reply notes.txt

# Cache keys: the prefixes `cache ls` prints, for rm --listed.
cache="$WORK/cache"
"$SEALEXEC" cache --dir "$cache" put first "$SEALEXEC" || fail "cache put failed"
echo data | "$SEALEXEC" cache --dir "$cache" put --fingerprint fp second - || fail "cache put failed"
"$SEALEXEC" cache ls --dir "$cache" | awk '{ print $1 }' >"$WORK/keys"
expect_lines "$WORK/keys" 2
line="cache --dir DIR rm --listed ''"
complete_line "$SEALEXEC" cache --dir "$cache" rm --listed ''
same_lines "completions of '$line' and cache ls" "$WORK/keys" "$WORK/reply"
first=$(head -c 3 "$WORK/keys")
line="cache rm --listed --dir=DIR $first"
complete_line "$SEALEXEC" cache rm --listed --dir="$cache" "$first"
grep -e "^$first" "$WORK/keys" >"$WORK/expected"
same_lines "completions of '$line'" "$WORK/expected" "$WORK/reply"
line="SEALEXEC_CACHE_DIR=DIR cache rm --listed ''"
export SEALEXEC_CACHE_DIR="$cache"
complete_line "$SEALEXEC" cache rm --listed ''
unset SEALEXEC_CACHE_DIR
same_lines "completions of '$line' and cache ls" "$WORK/keys" "$WORK/reply"
# No KEY completion without --listed: keys are kept only as hashes.
line="cache --dir DIR rm ''"; complete_line "$SEALEXEC" cache --dir "$cache" rm ''; expect_reply
# A cache that does not exist is not listed, and not created either.
line="cache --dir MISSING rm --listed ''"
complete_line "$SEALEXEC" cache --dir "$WORK/missing/cache" rm --listed ''
expect_reply
[ ! -e "$WORK/missing" ] || fail "completing created the cache directory $WORK/missing"

echo "ok: bash completes commands, options, values, programs and cache keys"
