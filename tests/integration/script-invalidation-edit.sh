#!/bin/sh
# sealexec script: editing the script's text invalidates its cached binary.
# The edited script is recompiled and prints its new output; after that, runs
# load the new binary without starting the compiler (a counting compiler
# wrapper proves it, independently of sealexec's own -v notes).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-count cc

write_script() { # MESSAGE
  printf '#include <stdio.h>\nint main(void) {\n  puts("%s");\n  return 0;\n}\n' "$1" >"$WORK/edit.c"
  backdate "$WORK/edit.c"
}

write_script "first version"
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/edit.c"
expect_out "first version" "first run"
expect_compiled "first run"
expect_eq "$(compiles cc-count)" 1 "compiles after the first run"

# The cache now serves the first version.
n=$(calls cc-count)
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/edit.c"
expect_out "first version" "second run"
expect_not_compiled "second run"
expect_eq "$(calls cc-count)" "$n" "compiler runs after the second (cached) run"

# Edit the text: a different program.
write_script "second version"
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/edit.c"
expect_out "second version" "run after the edit"
expect_compiled "run after the edit"
expect_eq "$(compiles cc-count)" 2 "compiles after the edit"

# And the edited script is cached in turn: no compiler at all.
n=$(calls cc-count)
expect_code 0 "$SEALEXEC" script --compiler "$WORK/cc-count" "$WORK/edit.c"
expect_out "second version" "run after the recompile"
[ ! -s "$WORK/err" ] || fail "unexpected stderr without -v: $(cat "$WORK/err")"
expect_eq "$(calls cc-count)" "$n" "compiler runs after the edited script was cached"
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/edit.c"
expect_out "second version" "another run after the recompile"
expect_not_compiled "another run after the recompile"
expect_file_contains "$WORK/err" "cached binary, memfd sealexec:edit.c:"
expect_eq "$(calls cc-count)" "$n" "compiler runs after another cached run"

# Going back to the first text finds the first binary, still cached.
write_script "first version"
expect_code 0 "$SEALEXEC" script -v --compiler "$WORK/cc-count" "$WORK/edit.c"
expect_out "first version" "run after reverting the edit"
expect_eq "$(calls cc-count)" "$n" "compiler runs after reverting the edit"
