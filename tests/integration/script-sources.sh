#!/bin/sh
# sealexec script: extra source files (--source in the file's directive or
# on the command line) are compiled and linked with the script, and each is
# tracked with all of its headers: editing the helper, a header only the
# helper includes, or a header of the script's own -- each back-dated, so
# that only the content and ctime tell -- recompiles, and the new code runs.
# Naming another source is another key; nothing else recompiles.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/script.sh"
counting_compiler cc-count cc
CC=$WORK/cc-count
export CC

mkdir "$WORK/s" "$WORK/s/lib"
cd "$WORK/s"
cat >tool <<'SRC'
#!/usr/bin/env sealexec
// sealexec: --lang c --source lib/helper.c
#include <stdio.h>
#include "main.h"
int helper_value(void);
int main(void) {
  printf("main %d helper %d\n", MAIN_VALUE, helper_value());
  return 0;
}
SRC
printf '#define MAIN_VALUE 1\n' >main.h
cat >lib/helper.c <<'SRC'
#include "helper.h"
int helper_value(void) { return HELPER_VALUE + HELPER_OFFSET; }
SRC
printf '#define HELPER_VALUE 10\n#include "deep.h"\n' >lib/helper.h
printf '#define HELPER_OFFSET 0\n' >lib/deep.h
backdate tool main.h lib/helper.c lib/helper.h lib/deep.h

run() { # WANT WHAT
  expect_code 0 "$SEALEXEC" -v tool
  expect_out "$1" "$2"
}
run "main 1 helper 10" "first run"
expect_compiled "first run"
expect_eq "$(compiles cc-count)" 1 "compiles after the first run"
run "main 1 helper 10" "warm run"
expect_not_compiled "warm run"

# Each edit keeps the size and is back-dated: only content and ctime differ.
sed -i 's/HELPER_OFFSET 0/HELPER_OFFSET 5/' lib/deep.h
backdate lib/deep.h
run "main 1 helper 15" "after editing a header only the helper includes, two deep"
expect_compiled "after editing lib/deep.h"

sed -i 's/HELPER_VALUE 10/HELPER_VALUE 20/' lib/helper.h
backdate lib/helper.h
run "main 1 helper 25" "after editing the helper's header"
expect_compiled "after editing lib/helper.h"

sed -i 's/HELPER_VALUE + HELPER_OFFSET/HELPER_VALUE - HELPER_OFFSET/' lib/helper.c
backdate lib/helper.c
run "main 1 helper 15" "after editing the helper"
expect_compiled "after editing lib/helper.c"

sed -i 's/MAIN_VALUE 1/MAIN_VALUE 2/' main.h
backdate main.h
run "main 2 helper 15" "after editing the script's header"
expect_compiled "after editing main.h"
run "main 2 helper 15" "warm again"
expect_not_compiled "warm again"
n=$(compiles cc-count)
expect_eq "$n" 5 "compiles after four edits"

# --source on the command line: another key, and the helper linked in.
sed -i 's| --source lib/helper.c||' tool
backdate tool
expect_code 124 "$SEALEXEC" tool
expect_file_contains "$WORK/err" "helper_value"
expect_code 0 "$SEALEXEC" --source lib/helper.c tool
expect_out "main 2 helper 15" "--source on the command line"

# A source that does not exist: the compiler says so; exit 124.
expect_code 124 "$SEALEXEC" --source lib/missing.c tool
expect_file_contains "$WORK/err" "missing.c"
# A --source that looks like an option is refused in the file.
printf '#!/usr/bin/env sealexec\n// sealexec: --source -lm\nint main() {}\n' >opt
expect_code 126 "$SEALEXEC" opt
expect_file_contains "$WORK/err" "opt:2"
echo "extra sources: tracked with their headers"

# The same helper in the file and on the command line is linked once.
sed -i 's|^// sealexec: --lang c$|// sealexec: --lang c --source lib/helper.c|' tool
grep -q -- '--source lib/helper.c' tool || fail "could not put --source back into the tool"
expect_code 0 "$SEALEXEC" --source lib/helper.c tool
expect_out "main 2 helper 15" "--source named twice"
# A FIFO as a source is refused at once, never handed to the compiler to
# wait on.
mkfifo fifo.c
expect_code 126 timeout 20 "$SEALEXEC" --source fifo.c tool
expect_file_contains "$WORK/err" "not a regular file"
