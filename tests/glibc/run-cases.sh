#!/bin/sh
# run-cases.sh SEALEXEC ROOT [TABLE]: proves `sealexec check --deps --json`'s
# glibc_2_41 predictions against the real glibc 2.41 of ROOT, a Debian 13
# root made by make-root.sh ROOT amd64.
#
# It builds the fixtures (fixtures/*.c) with the host's gcc-12 into a scratch
# directory under ROOT/tmp, checks their program headers are what each case
# needs, and hands over to cases.py, which runs every case with
# GLIBC_TUNABLES=glibc.rtld.execstack=0, 1 and 2 through `chroot ROOT`,
# classifies what happened, runs check on the same files and compares. With
# TABLE, the measured table is also written there as Markdown.
#
# Exit status: 0 every prediction agrees; 1 a disagreement, a missing
# prediction or a broken fixture; 77 it cannot run here (not root, no root
# tree, no mount namespace), with a line starting "SKIPPED:".
set -eu

here=$(cd "$(dirname "$0")" && pwd)

skip() {
  echo "SKIPPED: check-glibc: $*" >&2
  exit 77
}
fail() {
  echo "FAIL: check-glibc: $*" >&2
  exit 1
}

[ $# -eq 2 ] || [ $# -eq 3 ] || fail "usage: run-cases.sh SEALEXEC ROOT [TABLE]"
sealexec=$(realpath "$1")
root=$2
table=${3:-}
[ -x "$sealexec" ] || fail "$sealexec is not an executable"

[ "$(uname -m)" = x86_64 ] || skip "the fixtures are x86_64 programs run natively; this host is $(uname -m)"
[ "$(id -u)" -eq 0 ] || skip "chroot and mounting /proc need root (uid $(id -u))"
[ -f "$root/.sealexec-root-stamp" ] ||
  skip "no finished trixie root at $root (tests/glibc/make-root.sh $root amd64 makes one)"
root=$(realpath "$root")
for tool in gcc-12 python3 readelf unshare chroot; do
  command -v "$tool" >/dev/null 2>&1 || skip "needs the command $tool"
done
# /proc/self/maps inside the chroot needs /proc mounted there; a private
# mount namespace keeps that mount to this run and removes it with the run.
unshare --mount --propagation private true 2>/dev/null ||
  skip "cannot make a mount namespace (unshare --mount) to mount /proc in the chroot"

scratch=$(mktemp -d "$root/tmp/sealexec-glibc.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
bin=$scratch/bin
mkdir "$bin"

# Built against the host's glibc 2.36: newer glibc runs them unchanged.
cc="gcc-12 -O2 -Wall -Wextra -Werror -pthread -I$here/fixtures"
noexec="-Wl,-z,noexecstack"
# binutils >= 2.39 warns about -z execstack; here it is the point.
execstack="-Wl,-z,execstack -Wl,--no-warn-execstack"
runpath="-Wl,--enable-new-dtags,-rpath,\$ORIGIN"
src=$here/fixtures

lib() { # NAME SOURCE FLAGS...
  name=$1 source=$2
  shift 2
  # shellcheck disable=SC2086 # $cc is a word list
  $cc -shared -fPIC -Wl,-soname,"$name" -o "$bin/$name" "$src/$source" "$@"
}
program() { # NAME SOURCE FLAGS...
  name=$1 source=$2
  shift 2
  # shellcheck disable=SC2086
  $cc -o "$bin/$name" "$src/$source" "$@"
}
drop_gnu_stack() {
  python3 "$here/drop-gnu-stack.py" "$bin/$1" >/dev/null
}

# shellcheck disable=SC2086
{
  lib libexecstack.so lib.c $execstack
  lib libnohdr.so lib.c $noexec && drop_gnu_stack libnohdr.so
  lib libclean.so lib.c $noexec
  lib libwrap.so wrap.c $noexec -L"$bin" -lexecstack $runpath

  program prog-plain startup.c $noexec
  program prog-links startup.c -DLINKED $noexec -L"$bin" -lexecstack $runpath
  program prog-x startup.c $execstack
  program prog-x-links startup.c -DLINKED $execstack -L"$bin" -lexecstack $runpath
  program prog-nohdr startup.c $noexec && drop_gnu_stack prog-nohdr
  program prog-nohdr-links startup.c -DLINKED $noexec -L"$bin" -lexecstack $runpath &&
    drop_gnu_stack prog-nohdr-links

  program probe-rw dlopen.c $noexec
  program probe-x dlopen.c $execstack
  program probe-nohdr dlopen.c $noexec && drop_gnu_stack probe-nohdr
} || fail "building the fixtures failed"

# Each case rests on its fixture's PT_GNU_STACK: RWE, RW, or none at all.
gnu_stack() {
  LC_ALL=C readelf -lW "$bin/$1" | awk '$1 == "GNU_STACK" { print $(NF - 1); f = 1 } END { if (!f) print "none" }'
}
expect_stack() { # STATE FILE...
  want=$1
  shift
  for f in "$@"; do
    got=$(gnu_stack "$f")
    [ "$got" = "$want" ] || fail "fixture $f: PT_GNU_STACK flags '$got', expected '$want'"
  done
}
expect_stack RWE libexecstack.so prog-x prog-x-links probe-x
expect_stack RW libclean.so libwrap.so prog-plain prog-links probe-rw
expect_stack none libnohdr.so prog-nohdr prog-nohdr-links probe-nohdr

version=$(chroot "$root" /lib/x86_64-linux-gnu/libc.so.6 2>&1 | head -n 1) ||
  fail "cannot run the root's libc.so.6: $version"

# The runs need /proc in the root; the mount lives and dies with this
# namespace. Everything else (check, the comparison) runs in it too. Not
# exec'd: the EXIT trap removes the scratch directory afterwards.
set +e
unshare --mount --propagation private sh -c '
  mount -t proc proc "$1/proc" || { echo "FAIL: check-glibc: cannot mount /proc in $1" >&2; exit 1; }
  shift
  exec python3 "$@"
' sh "$root" "$here/cases.py" --sealexec "$sealexec" --root "$root" --bin "$bin" \
  --glibc "$version" ${table:+--table "$table"}
exit $?
