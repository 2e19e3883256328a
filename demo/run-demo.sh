#!/bin/sh
# The main demo (make run): runs the bundled examples from sealed memory and
# says what happens at each step. Usage: demo/run-demo.sh BUILD_DIR
set -eu

build=$(cd "${1:?usage: run-demo.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
sealexec="$build/src/sealexec"
examples="$build/examples"
work=$(mktemp -d "${TMPDIR:-/tmp}/sealexec-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

if [ -t 1 ]; then bold=$(printf '\033[1m'); plain=$(printf '\033[0m'); else bold=; plain=; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
# Prints a command the way it would be typed, then runs it.
print_command() {
  printf '$'
  for word in "$@"; do
    case $word in *' '*) printf " '%s'" "$word" ;; *) printf ' %s' "$word" ;; esac
  done
}
show() { print_command "$@"; echo; "$@"; }
# Runs a command that is expected to fail, showing its exit code.
show_failure() {
  print_command "$@"
  echo "${redirect:-}"
  set +e
  "$@"
  code=$?
  set -e
  echo "(exit code $code)"
  [ "$code" -ne 0 ] || { echo "demo: expected a failure" >&2; exit 1; }
}

step "1. A static binary. sealexec copies it into a memfd, seals it (no more writes,"
echo "   no resizing, no new seals) and replaces itself with it through execveat."
echo "   -v shows the memfd's name: sealexec:<basename>:<first 12 hex digits of XXH3-128>."
show "$sealexec" run -v "$examples/hello-static" first "second argument"
echo "xxh128sum of the file on disk, for comparison:"
xxh128sum "$examples/hello-static" 2>/dev/null || echo "(xxh128sum is in Debian's xxhash package)"

step "2. A dynamic binary whose RUNPATH is \$ORIGIN/../lib."
readelf -d "$examples/origin-app/bin/greet" | grep -E 'RUNPATH|NEEDED.*greeting'
echo "   From a memfd, ld.so expands \$ORIGIN to '/', so a bare memfd exec cannot find"
echo "   libgreeting.so. Read from stdin, the program has no directory of its own:"
redirect=" < $examples/origin-app/bin/greet" show_failure "$sealexec" run - <"$examples/origin-app/bin/greet"
echo "   Run from its path, sealexec expands the RUNPATH against the program's real"
echo "   directory and passes it to ld.so (docs/origin.md explains how and the limits):"
show "$sealexec" run -v "$examples/origin-app/bin/greet"
echo "   --origin names the directory explicitly, which also works for stdin:"
print_command "$sealexec" run --origin "$examples/origin-app/bin" -
echo " < $examples/origin-app/bin/greet"
"$sealexec" run --origin "$examples/origin-app/bin" - <"$examples/origin-app/bin/greet"

step "3. A shell script. The kernel hands /bin/sh the path /dev/fd/N of the memfd, so"
echo "   that descriptor must survive exec: sealexec gives the child a read-only,"
echo "   inheritable copy while its own stays close-on-exec."
show "$sealexec" run "$root/examples/hello.sh" a b

step "4. A program piped in on standard input ('-'): nothing ever touches the disk."
printf '$ cat %s | %s run - piped\n' "$examples/hello" "$sealexec"
cat "$examples/hello" | "$sealexec" run - piped

step "5. A run pinned to a SHA-256 digest."
cp "$examples/hello" "$work/pinned"
digest=$(sha256sum "$work/pinned" | cut -d' ' -f1)
show "$sealexec" run --sha256 "$digest" "$work/pinned"
echo "   Now one byte is appended to the file. The digest is checked on the sealed"
echo "   copy, the very bytes that would run, so the change is refused:"
printf 'x' >>"$work/pinned"
show_failure "$sealexec" run --sha256 "$digest" "$work/pinned"

step "6. A program whose library requires an executable stack. libculprit.so was"
echo "   assembled without .note.GNU-stack. On a laptop the program runs; on SELinux"
echo "   or Nanos it dies at start-up. sealexec check finds the culprit and says why:"
cp -r "$examples/execstack-app" "$work/app"
show "$sealexec" check --deps "$work/app/uses-culprit"
echo "   --policy=strict refuses to run it:"
show_failure "$sealexec" run --policy=strict "$work/app/uses-culprit"
echo "   sealexec fix clears the flag in a new file renamed over the old one:"
show "$sealexec" fix --clear-execstack "$work/app/libculprit.so"
show "$sealexec" check --deps --fail-on execstack "$work/app/uses-culprit"
show "$sealexec" run --policy=strict "$work/app/uses-culprit"

step "Done. Every program above ran from sealed memory; see README.md for more."
