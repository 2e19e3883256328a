#!/bin/sh
# sealexec script: a file of any name whose #! line names sealexec runs as a
# script, as ./tool and as `sealexec tool`. Its language is --lang (command
# line, then the file's directive), else the extension (.C is C++), else C++.
# Options may come before the file without `script`, and
# `#!/usr/bin/env -S sealexec --flags ...` works. A file that is none of
# these is refused, never compiled as a guess.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
[ -x /usr/bin/env ] || skip "needs /usr/bin/env"
require_command cc
require_command c++
PATH=$(dirname "$SEALEXEC"):$PATH
export PATH

mkdir "$WORK/bin"
cd "$WORK/bin"

# C++ by default: a C++ library call that C has no such thing as.
cat >mytool <<'SRC'
#!/usr/bin/env sealexec
#include <iostream>
#include <string>
int main(int argc, char **argv) {
  std::string name = argc > 1 ? argv[1] : "nobody";
  std::cout << "c++ says hello to " << name << "\n";
  return argc > 2 ? 5 : 0;
}
SRC
chmod +x mytool
backdate mytool
expect_code 0 ./mytool you
expect_out "c++ says hello to you" "./mytool (extensionless, C++ by default)"
[ ! -s "$WORK/err" ] || fail "./mytool wrote to stderr: $(cat "$WORK/err")"
expect_code 5 ./mytool a b
expect_code 0 "$SEALEXEC" mytool me
expect_out "c++ says hello to me" "sealexec mytool"
# Found on PATH, as a tool in ~/bin is.
expect_code 0 env PATH="$WORK/bin:$PATH" mytool path
expect_out "c++ says hello to path" "mytool found on PATH"

# Options before the file, without `script`: warm, so -v says so.
expect_code 0 "$SEALEXEC" -v mytool v
expect_out "c++ says hello to v" "sealexec -v mytool"
expect_not_compiled "sealexec -v mytool (warm)"
expect_file_contains "$WORK/err" "cached binary"
expect_code 0 "$SEALEXEC" --rebuild -v mytool r
expect_compiled "sealexec --rebuild -v mytool"
# The compile names no language: the copy it compiles is named for it.
grep -F 'compiling with' "$WORK/err" | grep -qF -- ' -x ' && fail "the compile still passes -x: $(cat "$WORK/err")"
expect_code 0 "$SEALEXEC" -- mytool --
expect_out "c++ says hello to --" "sealexec -- mytool --"
expect_code 0 "$SEALEXEC" --flags=-DUNUSED=1 -- mytool dd
expect_out "c++ says hello to dd" "sealexec --flags=... -- mytool"

# --lang c in the file: `new` is a plain name in C, a keyword in C++.
cat >ctool <<'SRC'
#!/usr/bin/env sealexec
// sealexec: --lang c -std=c11
#include <stdio.h>
int main(void) {
  int new = 42;
  printf("c says %d %ld\n", new, __STDC_VERSION__);
  return 0;
}
SRC
chmod +x ctool
backdate ctool
expect_code 0 ./ctool
expect_out "c says 42 201112" "./ctool (--lang c in its directive)"
# The command line's --lang wins over the file's: as C++ it cannot compile.
expect_code 124 "$SEALEXEC" --lang c++ ctool
expect_file_contains "$WORK/err" "did not compile"

# A .C file is C++.
cat >upper.C <<'SRC'
#include <vector>
#include <cstdio>
int main() { std::vector<int> v{1, 2, 3}; std::printf("upper %zu\n", v.size()); }
SRC
expect_code 0 "$SEALEXEC" upper.C
expect_out "upper 3" "sealexec upper.C"

# env -S with flags before the file.
cat >flagged <<'SRC'
#!/usr/bin/env -S sealexec --lang c --flags -DLEVEL=7
#include <stdio.h>
int main(void) { printf("level %d\n", LEVEL); return 0; }
SRC
chmod +x flagged
backdate flagged
expect_code 0 ./flagged
expect_out "level 7" "#!/usr/bin/env -S sealexec --lang c --flags ..."

# The same extensionless file without a #! line: not a script unless told.
sed 1d mytool >plain
expect_code 125 "$SEALEXEC" plain
expect_file_contains "$WORK/err" "unknown command 'plain'"
expect_code 126 "$SEALEXEC" script plain
expect_file_contains "$WORK/err" "is not a C or C++ script"
expect_code 0 "$SEALEXEC" script --lang c++ plain told
expect_out "c++ says hello to told" "sealexec script --lang c++ plain"

# A #! line naming another interpreter is not ours, whatever it contains.
printf '#!/bin/sh\n# sealexec\necho shell\n' >shelltool
chmod +x shelltool
expect_code 125 "$SEALEXEC" shelltool
# As a path, it is taken for a script, and refused as none.
expect_code 126 "$SEALEXEC" ./shelltool
expect_file_contains "$WORK/err" "is not a C or C++ script"
[ ! -s "$WORK/out" ] || fail "./shelltool ran"
# A missing path is not found (127), not an unknown command.
expect_code 127 "$SEALEXEC" ./no-such-tool
expect_file_contains "$WORK/err" "no-such-tool"

# `sealexec tool` applies the options of tool's #! line, as ./tool does.
cat >lined <<'SRC'
#!/usr/bin/env -S sealexec --lang c --flags "-DLEVEL=3 -DOTHER=4"
#include <stdio.h>
int main(void) { int new = LEVEL; printf("lined %d\n", new + OTHER - 4); return 0; }
SRC
chmod +x lined
expect_code 0 ./lined
expect_out "lined 3" "./lined (options on the #! line)"
expect_code 0 "$SEALEXEC" lined
expect_out "lined 3" "sealexec lined (the #! line's options applied)"
# Options before the name: then the #! line's are not added (the kernel's
# ./lined looks the same), as docs/scripts.md says.

# Bad languages and unknown options before a file are usage errors.
expect_code 125 "$SEALEXEC" --lang rust mytool
expect_file_contains "$WORK/err" "c or c++"
printf '#!/usr/bin/env sealexec\n// sealexec: --lang rust\nint main() {}\n' >badlang
expect_code 126 "$SEALEXEC" badlang
expect_file_contains "$WORK/err" "badlang:2"
expect_code 125 "$SEALEXEC" --no-such-option mytool
expect_file_contains "$WORK/err" "unknown option '--no-such-option'"
echo "extensionless scripts: ok"
