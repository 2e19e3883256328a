#!/bin/sh
# A PROGRAM without '/' is looked up in PATH like env(1) and execvp do: the
# first executable regular file wins, directories and non-executable files
# are passed over, an empty PATH entry means the current directory, and a
# name with '/' is never looked up.
. "$TEST_LIB"

mkdir -p "$WORK/dirs/tool" "$WORK/first" "$WORK/second" "$WORK/cwd"
printf '#!/bin/sh\necho "second tool: $*"\n' >"$WORK/second/tool"
chmod +x "$WORK/second/tool"
printf '#!/bin/sh\necho never\n' >"$WORK/first/tool" # not executable

expect_code 0 env PATH="$WORK/dirs:$WORK/first:$WORK/second" "$SEALEXEC" run tool a
expect_eq "$(cat "$WORK/out")" "second tool: a" "the tool found in PATH"
# argv[0] stays the name as typed: the program sees it through --verbose.
expect_code 0 env PATH="$WORK/first:$WORK/second" "$SEALEXEC" run -v tool
expect_file_contains "$WORK/err" "sealed $WORK/second/tool"

# Only a non-executable match: it cannot run.
expect_code 126 env PATH="$WORK/first" "$SEALEXEC" run tool
expect_error_line "sealexec: tool: " "not executable"

# An empty entry is the current directory.
cp "$EXAMPLES/hello" "$WORK/cwd/here"
expect_code 0 sh -c 'cd "$1" && PATH=":/nonexistent" exec "$2" run here' sh "$WORK/cwd" "$SEALEXEC"
expect_file_contains "$WORK/out" "hello from sealed memory"

# A real system program, found through the default PATH of this test.
expect_code 0 "$SEALEXEC" run true

# A name with '/' is a path even when PATH has a match.
expect_code 127 env PATH="$WORK/second" "$SEALEXEC" run ./tool
expect_error_line "sealexec: ./tool: " "not found"
