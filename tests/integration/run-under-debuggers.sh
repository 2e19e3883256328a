#!/bin/sh
# Debuggers and tracers work on a program run through sealexec with no
# special recipe:
# - gdb --args sealexec run PROG, with `break FUNC` and `run`, stops in the
#   program with its symbols, and `bt` shows file:line (sealexec, traced,
#   runs the program from its file after checking that it holds exactly the
#   sealed bytes, and says so);
# - valgrind --trace-children=yes runs the program and checks it;
# - strace -f and ltrace -f follow into the program;
# - perf names the program's samples, and with its build-id cached
#   (perf buildid-cache --add, perf record --buildid-mmap) its functions.
# Each tool that is missing, or that the kernel does not let trace, is
# skipped loudly, one by one.
. "$TEST_LIB"
target=$FIXTURES/debug-target
skipped=""

if command -v gdb >/dev/null 2>&1; then
  timeout 120 gdb -q -batch -nx -ex 'set breakpoint pending on' \
    -ex 'break sealexec_debug_target_function' -ex run -ex bt -ex kill \
    --args "$SEALEXEC" run "$target" >"$WORK/gdb" 2>&1 || true
  if grep -q "ptrace: Operation not permitted\|Couldn't get registers" "$WORK/gdb"; then
    skipped="$skipped gdb(ptrace refused)"
  else
    grep -q "^Breakpoint 1, sealexec_debug_target_function (x=20) at .*debug_target.c:9" "$WORK/gdb" \
      || { cat "$WORK/gdb" >&2; fail "gdb did not stop in the program with its symbols"; }
    grep -q "^#1 .* in main (.*) at .*debug_target.c:[0-9]" "$WORK/gdb" \
      || { cat "$WORK/gdb" >&2; fail "gdb's backtrace lacks main at file:line"; }
    grep -q "sealexec: $target: traced by pid [0-9]* (gdb): running it from its file" "$WORK/gdb" \
      || { cat "$WORK/gdb" >&2; fail "sealexec did not say that it ran the file"; }
  fi
else
  skipped="$skipped gdb(not installed)"
fi

if command -v strace >/dev/null 2>&1; then
  expect_code 0 strace -f -qq -e trace=execve,execveat -o "$WORK/strace" "$SEALEXEC" run "$target"
  expect_file_contains "$WORK/out" "answer 41"
  expect_file_contains "$WORK/err" "traced by pid"
  expect_file_contains "$WORK/err" "(strace)"
  grep -q 'execveat(.*AT_EMPTY_PATH' "$WORK/strace" \
    || { cat "$WORK/strace" >&2; fail "strace did not see the exec of the program"; }
  # Traced, but the sealed copy is not the file (--fix-execstack patched
  # it): the sealed copy runs, with a warning.
  if command -v cc >/dev/null 2>&1 &&
    cc -z execstack -o "$WORK/execstack" "$SOURCE_DIR/examples/hello.c" 2>/dev/null; then
    expect_code 0 strace -f -qq -o /dev/null "$SEALEXEC" run --fix-execstack "$WORK/execstack"
    expect_file_contains "$WORK/out" "hello"
    expect_file_contains "$WORK/err" "but it does not hold the sealed bytes: running the sealed copy"
  else
    skipped="$skipped traced-patched-copy(no cc)"
  fi
else
  skipped="$skipped strace(not installed)"
fi

if command -v ltrace >/dev/null 2>&1; then
  expect_code 0 timeout 120 ltrace -f -o "$WORK/ltrace" "$SEALEXEC" run "$target"
  expect_file_contains "$WORK/out" "answer 41"
  grep -qF 'printf("answer %d\n", 41)' "$WORK/ltrace" \
    || { tail -20 "$WORK/ltrace" >&2; fail "ltrace did not see the program's library calls"; }
else
  skipped="$skipped ltrace(not installed)"
fi

if command -v valgrind >/dev/null 2>&1 && [ -z "${SANITIZE:-}" ]; then
  expect_code 0 timeout 300 valgrind --trace-children=yes --error-exitcode=99 \
    --log-file="$WORK/valgrind.%p" "$SEALEXEC" run "$target"
  expect_file_contains "$WORK/out" "answer 41"
  # The program's own log (exec keeps the pid, so it replaces sealexec's):
  # valgrind ran it, under its name, and found nothing wrong in it.
  grep -h "Command: .*/names/[0-9]*/debug-target" "$WORK"/valgrind.* >/dev/null \
    || { cat "$WORK"/valgrind.* >&2; fail "valgrind did not run the program"; }
  grep -h "ERROR SUMMARY: 0 errors" "$WORK"/valgrind.* >/dev/null \
    || { cat "$WORK"/valgrind.* >&2; fail "valgrind found errors"; }
else
  skipped="$skipped valgrind(not installed, or a sanitizer build)"
fi

# perf: samples carry the program's name; with the program's build-id in
# perf's cache and build-ids recorded by the kernel, its symbols too.
if command -v perf >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 &&
  perf record -q -e cpu-clock -o "$WORK/probe.data" true >/dev/null 2>&1; then
  cat >"$WORK/spin.c" <<'C'
#include <stdio.h>
volatile double sink;
double sealexec_spin_function(long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += i * 0.5;
  return s;
}
int main(void) { sink = sealexec_spin_function(200000000L); puts("spun"); return 0; }
C
  cc -g -O1 -Wl,--build-id -o "$WORK/spin" "$WORK/spin.c"
  HOME=$WORK perf buildid-cache --add "$WORK/spin" >/dev/null 2>&1
  expect_code 0 env HOME="$WORK" timeout 120 perf record -q --buildid-mmap -e cpu-clock \
    -o "$WORK/perf.data" "$SEALEXEC" run "$WORK/spin"
  expect_file_contains "$WORK/out" "spun"
  HOME=$WORK perf report -i "$WORK/perf.data" --stdio --sort comm,sym >"$WORK/report" 2>/dev/null
  grep -q "spin .*sealexec_spin_function" "$WORK/report" \
    || { head -20 "$WORK/report" >&2; fail "perf did not name the program's function"; }
else
  skipped="$skipped perf(not installed, or perf_event_open refused)"
fi

if [ -n "$skipped" ]; then
  echo "SKIPPED (part):$skipped" >&2
fi
