#!/bin/sh
# Under `ulimit -v`, a program runs from sealed memory wherever it runs
# directly: sealexec never maps the whole image (neither to hash it nor to
# check it), so a program larger than the address-space limit, most of which
# the kernel never maps (here 128 MiB of data after the ELF file, as in a
# self-extracting archive), runs as it does from disk. (Before, the whole
# image was mapped to be hashed, and this failed with "cannot map
# sealexec:big:...", naming the memfd instead of the file.)
. "$TEST_LIB"
[ -z "${SANITIZE:-}" ] || skip "a sanitizer build ($SANITIZE) cannot start under ulimit -v: its shadow memory needs terabytes of address space"

cp "$EXAMPLES/hello" "$WORK/big"
truncate -s +128M "$WORK/big"
limit_kib=100000 # about 98 MiB: less than the file, plenty for hello itself

# Directly, as the control.
expect_code 0 sh -c 'ulimit -v "$1" && exec "$2" one' sh "$limit_kib" "$WORK/big"
expect_file_contains "$WORK/out" "hello from sealed memory"
cp "$WORK/out" "$WORK/direct"

expect_code 0 sh -c 'ulimit -v "$1" && exec "$2" run "$3" one' sh "$limit_kib" "$SEALEXEC" "$WORK/big"
cmp "$WORK/out" "$WORK/direct" || fail "sealexec's run printed: $(cat "$WORK/out")"
[ ! -s "$WORK/err" ] || fail "unexpected stderr: $(cat "$WORK/err")"

# --sha256 and --fix-execstack read the image without mapping it either.
digest=$(sha256sum "$WORK/big" | cut -d' ' -f1)
expect_code 0 sh -c 'ulimit -v "$1" && exec "$2" run --sha256 "$4" --fix-execstack "$3" one' \
  sh "$limit_kib" "$SEALEXEC" "$WORK/big" "$digest"
cmp "$WORK/out" "$WORK/direct" || fail "the run with --sha256 printed: $(cat "$WORK/out")"

# cache get and cache exec of an entry larger than the limit: it is copied
# into a sealed memfd (verified on the way) and streamed from there, never
# mapped whole (before, get failed with "cannot map").
cache="$WORK/cache"
expect_code 0 "$SEALEXEC" cache --dir "$cache" put big-entry "$WORK/big"
expect_code 0 sh -c 'ulimit -v "$1" && exec "$2" cache --dir "$3" get big-entry' \
  sh "$limit_kib" "$SEALEXEC" "$cache"
cmp "$WORK/out" "$WORK/big" || fail "cache get under ulimit -v gave other bytes"
expect_code 0 sh -c 'ulimit -v "$1" && exec "$2" cache --dir "$3" get -o "$4" big-entry' \
  sh "$limit_kib" "$SEALEXEC" "$cache" "$WORK/big.out"
cmp "$WORK/big.out" "$WORK/big" || fail "cache get -o under ulimit -v wrote other bytes"
expect_code 0 sh -c 'ulimit -v "$1" && exec "$2" cache --dir "$3" exec big-entry one' \
  sh "$limit_kib" "$SEALEXEC" "$cache"
cmp "$WORK/out" "$WORK/direct" || fail "cache exec under ulimit -v printed: $(cat "$WORK/out")"
