# Shared helpers for the integration scenarios. Each scenario is one POSIX sh
# script that ctest runs with these variables set:
#   SEALEXEC   the built sealexec CLI
#   EXAMPLES   the build's examples directory (hello, hello-static, origin-app/...)
#   FIXTURES   the build's tests/fixtures directory (exe-probe)
#   SOURCE_DIR the source tree
# A scenario exits 0 on success, 1 on failure, 77 when it must be skipped
# (ctest reports that as "Skipped", never as a pass).

set -eu

: "${SEALEXEC:?SEALEXEC must name the sealexec binary}"
: "${EXAMPLES:?}" "${FIXTURES:?}" "${SOURCE_DIR:?}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealexec-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
# A runtime directory of the test's own (name links, the memory tier's
# socket): a memory-tier server a run starts on demand exits as soon as its
# socket is removed with $WORK, instead of outliving the test.
mkdir -m 700 "$WORK/.runtime"
export XDG_RUNTIME_DIR="$WORK/.runtime"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}

# expect_code CODE COMMAND...: runs COMMAND with stdout in $WORK/out and
# stderr in $WORK/err, and fails unless it exits with CODE.
expect_code() {
  want=$1
  shift
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  got=$?
  set -e
  if [ "$got" -ne "$want" ]; then
    echo "--- stdout:" >&2; cat "$WORK/out" >&2
    echo "--- stderr:" >&2; cat "$WORK/err" >&2
    fail "expected exit code $want, got $got from: $*"
  fi
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# expect_file_contains FILE TEXT: a fixed-string match.
expect_file_contains() {
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$1 lacks '$2'"; }
}

# expect_lines FILE N: the file has exactly N lines.
expect_lines() {
  n=$(wc -l <"$1")
  [ "$n" -eq "$2" ] || { cat "$1" >&2; fail "$1 has $n lines, expected $2"; }
}

require_root() {
  [ "$(id -u)" -eq 0 ] || skip "needs root: $1"
}

require_command() {
  command -v "$1" >/dev/null 2>&1 || skip "needs the command $1"
}

# expect_error_line PREFIX TEXT: sealexec's own failure report. $WORK/err
# holds exactly one line, it starts with PREFIX (e.g. "sealexec: FILE: ") and
# contains TEXT; nothing reached stdout.
expect_error_line() {
  expect_lines "$WORK/err" 1
  case $(cat "$WORK/err") in
    "$1"*) ;;
    *) fail "stderr does not start with '$1': $(cat "$WORK/err")" ;;
  esac
  expect_file_contains "$WORK/err" "$2"
  [ ! -s "$WORK/out" ] || fail "unexpected stdout: $(cat "$WORK/out")"
}

# named_path: sed's pattern for the name links that a sealed script gets as
# its $0, ".../names/N/NAME" (exec/name_link.h); it leaves "NAMED/NAME".
named_path='s|/[^ ]*/names/[0-9][0-9]*/|NAMED/|'

# xxh_prefix FILE: the first 12 hex digits of the file's XXH3-128, the digest
# part of sealexec's memfd names. Call require_command xxh128sum first.
xxh_prefix() {
  xxh128sum "$1" | cut -c1-12
}

# debian_root ARCH: sets root_dir to the Debian 13 root for ARCH (amd64 or
# arm64), made once with tests/glibc/make-root.sh and cached beside the build
# directory. Skips when it cannot be made here (no root, no mirror), fails
# when making it failed.
debian_root() {
  root_dir=$(cd "$BUILD_DIR/.." && pwd)/roots/trixie-$1
  set +e
  "$SOURCE_DIR/tests/glibc/make-root.sh" "$root_dir" "$1" >"$WORK/make-root.log" 2>&1
  root_rc=$?
  set -e
  [ $root_rc -ne 77 ] || skip "no $1 Debian 13 root: $(grep SKIPPED "$WORK/make-root.log" | head -1)"
  [ $root_rc -eq 0 ] || { cat "$WORK/make-root.log" >&2; fail "make-root.sh failed ($root_rc)"; }
}
