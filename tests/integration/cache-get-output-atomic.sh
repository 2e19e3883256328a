#!/bin/sh
# get -o OUT writes a new file and renames it over OUT, with a temporary name
# of its own (FACTS §3, fixed temp names): concurrent gets into the same OUT
# all succeed and OUT always holds one entry whole; a symlink planted where
# the temporary file goes is not written through; nothing is left beside OUT.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache
head -c 8000000 /dev/urandom >"$WORK/a"
head -c 5000000 /dev/urandom >"$WORK/b"
expect_code 0 sx put a "$WORK/a"
expect_code 0 sx put b "$WORK/b"
mkdir "$WORK/outdir"
out=$WORK/outdir/out

# run_gets KEY...: one concurrent `get KEY -o OUT` per KEY; fails unless all
# exit 0 with nothing on stderr.
run_gets() {
  : >"$WORK/pids"
  j=0
  for key in "$@"; do
    j=$((j + 1))
    "$SEALEXEC" cache --dir "$C" get "$key" -o "$out" 2>"$WORK/get-err.$j" &
    echo "$! $j $key" >>"$WORK/pids"
  done
  while read -r pid j key; do
    if wait "$pid"; then code=0; else code=$?; fi
    echo "$code" >"$WORK/get-code.$j"
  done <"$WORK/pids"
  while read -r pid j key; do
    code=$(cat "$WORK/get-code.$j")
    [ "$code" -eq 0 ] || fail "one of $# concurrent get -o exited $code ($key): $(cat "$WORK/get-err.$j")"
    [ ! -s "$WORK/get-err.$j" ] || fail "get $key -o: $(cat "$WORK/get-err.$j")"
  done <"$WORK/pids"
}

# The same key, four at once.
round=1
while [ "$round" -le 5 ]; do
  run_gets a a a a
  cmp "$out" "$WORK/a" || fail "OUT is not the entry after concurrent gets of one key"
  round=$((round + 1))
done
# Two keys: OUT is one of them, whole.
round=1
while [ "$round" -le 5 ]; do
  run_gets a b
  cmp -s "$out" "$WORK/a" || cmp -s "$out" "$WORK/b" \
    || fail "OUT is neither entry after concurrent gets of two keys ($(stat -c %s "$out") bytes)"
  round=$((round + 1))
done
expect_eq "$(ls -A "$WORK/outdir")" out "files beside OUT"

# A symlink where a fixed temporary name would be is not written through.
printf 'victim\n' >"$WORK/victim"
cp "$WORK/victim" "$WORK/victim.orig"
rm -f "$out"
ln -s "$WORK/victim" "$out.sealexec-part"
expect_code 0 sx get b -o "$out"
cmp -s "$WORK/victim" "$WORK/victim.orig" || fail "get -o wrote through a symlink beside OUT"
[ ! -L "$out" ] || fail "OUT became a symlink: $(ls -l "$out")"
cmp "$out" "$WORK/b" || fail "OUT is not the entry"

# An OUT that is a device, a fifo or a link to one is written into, never
# replaced: as root, `get -o /dev/null` once left a regular file there.
printf 'small\n' >"$WORK/small"
expect_code 0 sx put small "$WORK/small"
if [ -c /dev/null ]; then
  expect_code 0 sx get small -o /dev/null
  [ -c /dev/null ] || { rm -f /dev/null; mknod -m 666 /dev/null c 1 3; fail "get -o /dev/null replaced /dev/null"; }
fi
mkfifo "$WORK/fifo"
cat "$WORK/fifo" >"$WORK/from-fifo" &
reader=$!
expect_code 0 sx get small -o "$WORK/fifo"
wait $reader
[ -p "$WORK/fifo" ] || fail "get -o FIFO replaced the fifo"
cmp "$WORK/from-fifo" "$WORK/small" || fail "what came through the fifo differs"
ln -s "$WORK/fifo" "$WORK/fifo-link"
cat "$WORK/fifo" >"$WORK/from-link" &
reader=$!
expect_code 0 sx get small -o "$WORK/fifo-link"
wait $reader
[ -L "$WORK/fifo-link" ] || fail "get -o LINK-TO-FIFO replaced the link"
cmp "$WORK/from-link" "$WORK/small" || fail "what came through the link differs"
expect_code 2 sx get small -o "$WORK/outdir"
expect_error_line "sealexec: $WORK/outdir: " "is a directory"
