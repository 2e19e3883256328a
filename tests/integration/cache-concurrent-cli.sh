#!/bin/sh
# Concurrent writers and readers of one KEY through the CLI: 8 processes put
# 8 different contents (of different sizes) under the same KEY, again and
# again, while 8 others get it in a loop. Every get that hits returns exactly
# one of the 8 contents, never a mix or a truncation; afterwards verify
# passes, exactly one entry exists for KEY, it names one of the 8 blobs, and
# tmp/ is empty.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache
writers=8
readers=8
rounds=10

i=1
while [ "$i" -le "$writers" ]; do
  head -c $((i * 53000 + i * 7)) /dev/urandom >"$WORK/content.$i"
  sha_of "$WORK/content.$i" >>"$WORK/allowed"
  i=$((i + 1))
done
expect_eq "$(sort -u "$WORK/allowed" | wc -l | tr -d ' ')" "$writers" "distinct contents"
# Create the cache before the race, so that every process finds it.
expect_code 0 sx stats

writer() { # N
  r=0
  while [ "$r" -lt "$rounds" ]; do
    "$SEALEXEC" cache --dir "$C" put shared-key "$WORK/content.$1" 2>>"$WORK/writer-err.$1" \
      || echo "put $1 failed with $?" >>"$WORK/writer-err.$1"
    r=$((r + 1))
  done
}

reader() { # N: gets until the writers are done, and twice more.
  n=0
  after=0
  while [ "$after" -lt 2 ]; do
    [ -e "$WORK/writers-done" ] && after=$((after + 1))
    set +e
    "$SEALEXEC" cache --dir "$C" get shared-key >"$WORK/got.$1" 2>>"$WORK/reader-err.$1"
    code=$?
    set -e
    case $code in
      0) echo "$(sha_of "$WORK/got.$1") $(stat -c %s "$WORK/got.$1")" >>"$WORK/hits.$1" ;;
      1) [ ! -s "$WORK/got.$1" ] || echo "a miss printed $(stat -c %s "$WORK/got.$1") bytes" >>"$WORK/reader-err.$1" ;;
      *) echo "get exited $code" >>"$WORK/reader-err.$1" ;;
    esac
    n=$((n + 1))
  done
}

start=$(date +%s)
i=1
while [ "$i" -le "$readers" ]; do
  reader "$i" &
  echo $! >>"$WORK/reader-pids"
  i=$((i + 1))
done
i=1
while [ "$i" -le "$writers" ]; do
  writer "$i" &
  echo $! >>"$WORK/writer-pids"
  i=$((i + 1))
done
for pid in $(cat "$WORK/writer-pids"); do wait "$pid"; done
: >"$WORK/writers-done"
for pid in $(cat "$WORK/reader-pids"); do wait "$pid"; done
elapsed=$(($(date +%s) - start))

for f in "$WORK"/writer-err.* "$WORK"/reader-err.*; do
  [ ! -s "$f" ] || fail "$(basename "$f"): $(cat "$f")"
done
cat "$WORK"/hits.* >"$WORK/hits" 2>/dev/null || true
[ -s "$WORK/hits" ] || fail "no get ever hit"
# Each reader's last gets came after all puts: every reader hit.
i=1
while [ "$i" -le "$readers" ]; do
  [ -s "$WORK/hits.$i" ] || fail "reader $i never hit"
  i=$((i + 1))
done
# Every hit is one of the 8 contents, whole.
while read -r sha size; do
  grep -qx "$sha" "$WORK/allowed" || fail "a get returned $size bytes that are none of the contents put"
done <"$WORK/hits"
echo "$(wc -l <"$WORK/hits") hits in ${elapsed}s" >&2

# Afterwards: one entry for the key, naming one of the 8 blobs; verify
# passes; nothing left in tmp/.
expect_code 0 sx verify
expect_eq "$(cat "$WORK/out")" \
  "1 entries, $writers blobs checked: 0 damaged entries, 0 damaged blobs (quarantined), 0 entries missing their blob" \
  "verify after the race"
expect_code 0 sx ls
expect_lines "$WORK/out" 1
expect_eq "$(count_files "$C/ac")" 1 "entry files"
[ -f "$(entry_of shared-key)" ] || fail "the entry is not at the key of shared-key"
expect_code 0 sx get shared-key
grep -qx "$(sha_of "$WORK/out")" "$WORK/allowed" || fail "the final entry is none of the contents put"
[ -z "$(ls -A "$C/tmp")" ] || fail "temporary files left behind: $(ls -A "$C/tmp")"
expect_eq "$(count_files "$C/quarantine")" 0 "files quarantined during the race"
expect_code 0 sx stats --json
json_load "$WORK/out"
expect_eq "$(json_get puts)" $((writers * rounds)) "puts counted"
expect_eq "$(json_get corrupt)" 0 "corrupt during the race"
# A guard against a hang (a lock never let go), not a timing assertion: 160
# processes on 2 cores take 1-3 s here, and over 20 s under ASan beside the
# suite's other heavy tests, so the bound is far above both.
[ "$elapsed" -lt 180 ] || fail "the race took ${elapsed}s: something waited far too long"
