#!/bin/sh
# check-glibc.sh SEALEXEC ROOT [TABLE]: what `make check-glibc` runs. Makes
# (or reuses) the Debian 13 root with make-root.sh, then runs run-cases.sh in
# it, and times both.
#
# Where it cannot run (not root, no network for the first debootstrap, no
# mount namespace) it prints a SKIPPED banner with the reason and exits 0, so
# a machine without the means does not fail the build; nothing in that
# output reads as a pass. Exit 1 on any failure.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: check-glibc.sh SEALEXEC ROOT [TABLE]" >&2; exit 1; }

skipped() {
  echo "==========================================================================" >&2
  echo "check-glibc: SKIPPED: $1: nothing was checked against glibc 2.41" >&2
  echo "  (the reason is the SKIPPED line above)" >&2
  echo "==========================================================================" >&2
  exit 0
}

start=$(date +%s)
set +e
"$here/make-root.sh" "$2" amd64
rc=$?
set -e
case $rc in
  0) ;;
  77) skipped "the Debian 13 root" ;;
  *) echo "FAIL: check-glibc: make-root.sh failed (exit $rc)" >&2; exit 1 ;;
esac
root_ready=$(date +%s)

set +e
"$here/run-cases.sh" "$@"
rc=$?
set -e
now=$(date +%s)
echo "check-glibc: root ready in $((root_ready - start))s, cases took $((now - root_ready))s, total $((now - start))s"
case $rc in
  0) echo "check-glibc: PASSED" ;;
  77) skipped "the cases" ;;
  *) echo "FAIL: check-glibc: run-cases.sh failed (exit $rc)" >&2; exit 1 ;;
esac
