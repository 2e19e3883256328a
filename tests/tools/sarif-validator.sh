#!/bin/sh
# Installs the SARIF project's own validator (`sarif validate`, from npm's
# @microsoft/sarif-multitool and its Linux build) once into a cache under the
# build directory, and prints the path of its program (Sarif.Multitool, which
# is what the `sarif` command runs).
#
#   tests/tools/sarif-validator.sh [BUILD_DIR]
#
# Exit 0 with the path on stdout; exit 1 with the reason on stderr when it
# cannot be installed (no npm, no registry, no Linux build for this machine).
# Concurrent test runs share one install: it is serialized with flock, and a
# finished install is marked only after the program answered, so a run that
# was killed halfway is redone, never half used.
set -eu

build_dir=${1:-${BUILD_DIR:-}}
[ -n "$build_dir" ] || { echo "sarif-validator: no BUILD_DIR given" >&2; exit 1; }
# Pinned, so that a new release cannot change what the tests accept.
version=5.7.0
cache=$build_dir/tools/sarif
# The Linux build's own program: the packages' bin.js wrappers pass the
# arguments through a shell, which would split a path with a space.
program=$cache/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
done_mark=$cache/installed-$version

if [ -f "$done_mark" ] && [ -x "$program" ]; then
  echo "$program"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "sarif-validator: npm is not installed" >&2; exit 1; }
command -v flock >/dev/null 2>&1 || { echo "sarif-validator: flock is not installed" >&2; exit 1; }
mkdir -p "$cache"

# fd 9 holds the lock until the script exits.
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$done_mark" ] || [ ! -x "$program" ]; then
  rm -f "$done_mark"
  log=$cache/npm-install.log
  # The main package pulls in its Linux build as an optional dependency;
  # name it as well, so that npm fails loudly instead of skipping it.
  if ! npm install --prefix "$cache" --no-audit --no-fund --no-save --fetch-retries=1 \
       "@microsoft/sarif-multitool@$version" "@microsoft/sarif-multitool-linux@$version" \
       >"$log" 2>&1; then
    echo "sarif-validator: npm install failed (log: $log):" >&2
    tail -n 5 "$log" >&2
    exit 1
  fi
  # Its postinstall script only sets the execute bit; npm may have been told
  # not to run install scripts.
  [ ! -f "$program" ] || chmod u+x "$program"
  # The Linux build is a self-contained .NET program: prove it starts here.
  if ! "$program" --version >"$cache/version.txt" 2>&1; then
    echo "sarif-validator: the installed sarif program does not run:" >&2
    tail -n 5 "$cache/version.txt" >&2
    exit 1
  fi
  touch "$done_mark"
fi
echo "$program"
