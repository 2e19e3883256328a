#!/bin/sh
# The fish completion: it loads without a word on stderr (sourced, and found
# in $fish_complete_path as the installed sealexec.fish is), and `complete
# -C` completes commands, exactly the options of each command's --help,
# option values and cache keys from a real cache.
. "$TEST_LIB"
. "$(dirname "$0")/man-lib.sh"

command -v fish >/dev/null 2>&1 || skip "needs fish"
completion="$DIST_DIR/completions/sealexec.fish"
mkdir "$WORK/complete" "$WORK/cwd" "$WORK/home" "$WORK/bin"
cp "$completion" "$WORK/complete/sealexec.fish"
# fish autoloads a command's completions only when the command exists: this
# build's sealexec, first in PATH (and the one whose cache ls lists keys).
ln -s "$SEALEXEC" "$WORK/bin/sealexec"
export PATH="$WORK/bin:$PATH"
cd "$WORK/cwd"
touch tool.c notes.txt
# fish keeps its history and variables in the home directory.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"

fish --no-config -c "source '$completion'" 2>"$WORK/load.err" ||
  { cat "$WORK/load.err" >&2; fail "fish cannot source $completion"; }
[ ! -s "$WORK/load.err" ] || { cat "$WORK/load.err" >&2; fail "sourcing $completion wrote to stderr"; }

# complete_line LINE: the candidates fish offers for LINE (autoloading the
# completion from $fish_complete_path), one a line, without descriptions.
complete_line() {
  fish --no-config -c "set -p fish_complete_path '$WORK/complete'; complete -C \$argv[1]" "$1" \
    >"$WORK/reply.raw" 2>"$WORK/reply.err" || { cat "$WORK/reply.err" >&2; fail "fish: complete -C '$1' failed"; }
  [ ! -s "$WORK/reply.err" ] || { cat "$WORK/reply.err" >&2; fail "fish: complete -C '$1' wrote to stderr"; }
  cut -f1 "$WORK/reply.raw" | sort -u >"$WORK/reply"
}
expect_reply() { # LINE EXPECTED-FILE
  same_lines "fish's completions of '$1'" "$2" "$WORK/reply"
}

complete_line "sealexec ru"
printf 'run\n' >"$WORK/expected"; expect_reply "sealexec ru" "$WORK/expected"
complete_line "sealexec check --"
contains_line "$WORK/reply" --deps "fish: sealexec check --"
for command in $(help_commands); do
  complete_line "sealexec $command --"
  help_long_options "$command" >"$WORK/expected"
  expect_reply "sealexec $command --" "$WORK/expected"
done
complete_line "sealexec --"
{ help_long_options; help_long_options script; } >"$WORK/expected"
expect_reply "sealexec --" "$WORK/expected"

complete_line "sealexec run --policy "
printf '%s\n' strict warn off >"$WORK/expected"; expect_reply "sealexec run --policy " "$WORK/expected"
complete_line "sealexec check --fail-on execstack,w"
printf 'execstack,wx\n' >"$WORK/expected"; expect_reply "sealexec check --fail-on execstack,w" "$WORK/expected"
complete_line "sealexec cache "
printf '%s\n' put get exec stats ls verify gc clear rm keygen >"$WORK/expected"
expect_reply "sealexec cache " "$WORK/expected"
complete_line "sealexec serve "
: >"$WORK/expected"; expect_reply "sealexec serve " "$WORK/expected"
# After the program, its own arguments: never run's options.
complete_line "sealexec run ./tool.c --"
if grep -qx -e --policy "$WORK/reply"; then fail "fish: run's options offered after the program"; fi

# Cache keys for rm --listed, as `cache ls` prints them, and descriptions.
cache="$WORK/cache"
"$SEALEXEC" cache --dir "$cache" put first "$SEALEXEC" || fail "cache put failed"
echo data | "$SEALEXEC" cache --dir "$cache" put second - || fail "cache put failed"
"$SEALEXEC" cache ls --dir "$cache" | awk '{ print $1 }' | sort >"$WORK/keys"
expect_lines "$WORK/keys" 2
complete_line "sealexec cache --dir $cache rm --listed "
expect_reply "cache --dir DIR rm --listed " "$WORK/keys"
grep -q "	<stdin>$" "$WORK/reply.raw" || { cat "$WORK/reply.raw" >&2; fail "fish: no description for a key"; }
complete_line "sealexec cache --dir $WORK/missing rm --listed "
: >"$WORK/expected"; expect_reply "cache --dir MISSING rm --listed " "$WORK/expected"
[ ! -e "$WORK/missing" ] || fail "completing created the cache directory $WORK/missing"

echo "ok: fish loads the completion and completes commands, options, values and cache keys"
