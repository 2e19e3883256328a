#!/bin/sh
# A program that looks for itself cannot find itself sealed (its $0 is a
# name link, its /proc/self/exe the memfd), and sealexec says so instead of
# letting it do something else silently:
# - a script that takes its directory from $0 runs, with one warning;
# - a script that follows its own links ($0 and readlink: gcloud's
#   launchers loop forever that way) is refused, 126, unless
#   --allow-self-reference, which warns and runs it;
# - a script that only dispatches on its name, or prints it, runs quietly;
# - a Python script that imports a module next to it is warned about;
# - an ELF program that links OpenJDK's libjli.so is warned about;
# - a node script is refused (node resolves its main script to the memfd);
# - a script larger than the scan's 4 MiB is warned about, unscanned.
. "$TEST_LIB"

cat >"$WORK/home" <<'SCRIPT'
#!/bin/sh
here=$(dirname "$0")
echo "home is $here"
SCRIPT
cat >"$WORK/loops" <<'SCRIPT'
#!/bin/sh
resolve() {
  p=$1
  while l=$(readlink "$p"); do p=$l; done
  echo "resolved to $p"
}
resolve "$0"
SCRIPT
cat >"$WORK/xcmp" <<'SCRIPT'
#!/bin/sh
case ${0##*/} in
  *cmp) echo "comparing" ;;
  *) echo "diffing" ;;
esac
echo "usage: $0 FILE..."
SCRIPT
chmod +x "$WORK/home" "$WORK/loops" "$WORK/xcmp"

expect_code 0 "$SEALEXEC" run "$WORK/home"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: warning: $WORK/home: refers to its own path (\$0, line 2), which is "
expect_file_contains "$WORK/err" "/names/"
expect_file_contains "$WORK/out" "home is "

expect_code 126 "$SEALEXEC" run "$WORK/loops"
expect_error_line "sealexec: $WORK/loops: " \
  "uses its own path and resolves links or walks up directories in a loop (\$0, line 7; readlink, line 4)"
expect_file_contains "$WORK/err" "--allow-self-reference"

expect_code 0 timeout 60 "$SEALEXEC" run --allow-self-reference "$WORK/loops"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: warning: $WORK/loops: refers to its own path"
expect_file_contains "$WORK/out" "resolved to /memfd:sealexec:loops:"

expect_code 0 "$SEALEXEC" run "$WORK/xcmp"
[ ! -s "$WORK/err" ] || fail "a name-dispatching script was warned about: $(cat "$WORK/err")"
expect_file_contains "$WORK/out" "comparing"

if command -v python3 >/dev/null 2>&1 && [ -x /usr/bin/python3 ]; then
  mkdir "$WORK/tool"
  printf 'ANSWER = 42\n' >"$WORK/tool/helper.py"
  printf '#!/usr/bin/python3\nimport sys\nimport helper\nprint(helper.ANSWER)\n' >"$WORK/tool/main"
  chmod +x "$WORK/tool/main"
  expect_code 0 "$WORK/tool/main"
  set +e
  "$SEALEXEC" run "$WORK/tool/main" >"$WORK/out" 2>"$WORK/err"
  set -e
  expect_file_contains "$WORK/err" \
    "sealexec: warning: $WORK/tool/main: imports a module that lives next to it (import helper)"
else
  echo "SKIPPED (part): no /usr/bin/python3" >&2
fi

# gcloud's shape: the loop and readlink on different lines, the path kept in
# a variable first.
cat >"$WORK/sdk-tool" <<'SCRIPT'
#!/bin/sh
_p=$0
while :
do
  _l=$(readlink "$_p") || break
  _p=$_l
done
echo "root is ${_p%/*}"
SCRIPT
chmod +x "$WORK/sdk-tool"
expect_code 126 "$SEALEXEC" run "$WORK/sdk-tool"
expect_error_line "sealexec: $WORK/sdk-tool: " "resolves links or walks up directories in a loop"

printf '#!/usr/bin/node
console.log(1)
' >"$WORK/b.js"
chmod +x "$WORK/b.js"
expect_code 126 "$SEALEXEC" run "$WORK/b.js"
expect_error_line "sealexec: $WORK/b.js: " "is a node script"

{
  printf '#!/bin/sh
cat >/dev/null <<EOF
'
  head -c 4400000 /dev/zero | tr '\0' 'x' | fold -w 100
  printf '\nEOF
echo big ran
'
} >"$WORK/big.sh"
chmod +x "$WORK/big.sh"
expect_code 0 "$SEALEXEC" run "$WORK/big.sh"
expect_eq "$(cat "$WORK/out")" "big ran" "the large script's output"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "is larger than 4 MiB, so it was not checked"

if command -v cc >/dev/null 2>&1; then
  mkdir -p "$WORK/jdk/lib" "$WORK/jdk/bin"
  printf 'int jli_launch(void) { return 0; }\n' >"$WORK/jli.c"
  printf 'int jli_launch(void);\nint main(void) { return jli_launch(); }\n' >"$WORK/java.c"
  cc -shared -fPIC -o "$WORK/jdk/lib/libjli.so" "$WORK/jli.c"
  cc -o "$WORK/jdk/bin/java" "$WORK/java.c" -L"$WORK/jdk/lib" -ljli \
    -Wl,-rpath,'$ORIGIN/../lib' -Wl,--enable-new-dtags
  expect_code 0 "$SEALEXEC" run "$WORK/jdk/bin/java"
  expect_lines "$WORK/err" 1
  expect_file_contains "$WORK/err" \
    "sealexec: warning: $WORK/jdk/bin/java: finds its home through /proc/self/exe (it links libjli.so"
else
  echo "SKIPPED (part): no C compiler" >&2
fi
