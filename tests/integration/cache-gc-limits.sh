#!/bin/sh
# cache gc: --max-entries and --max-size evict the least recently used
# entries first (by the entry file's mtime, which a hit refreshes), remove the
# blobs of evicted entries unless a kept entry shares them, remove orphan
# blobs older than an hour and temporary files of dead processes, and report
# numbers that match what happened on disk and in stats.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache
mkdir -m 700 "$C"
# No automatic gc during the puts: this scenario decides when gc runs.
printf 'gc_every = 0\n' >"$C/cache.conf"

gc_says() { # EVICTED BLOBS TEMPS ENTRIES BYTES WHAT
  expect_eq "$(cat "$WORK/out")" \
    "evicted $1 entries, removed $2 blobs and $3 stale temporary files; $4 entries, $5 bytes left" "$6"
}
present() { # NAME...
  for name in "$@"; do
    [ -f "$(entry_of "$name")" ] || fail "$name was evicted"
    [ -f "$(blob_of "$WORK/$name")" ] || fail "the blob of $name was removed"
  done
}
gone() { # NAME...
  for name in "$@"; do
    [ ! -e "$(entry_of "$name")" ] || fail "$name was kept"
    [ ! -e "$(blob_of "$WORK/$name")" ] || fail "the blob of $name was kept"
    expect_code 1 sx get "$name"
  done
}

# Five entries of 1000..5000 bytes, used e1 (oldest) .. e5 (newest).
n=1
for name in e1 e2 e3 e4 e5; do
  head -c $((n * 1000)) /dev/urandom >"$WORK/$name"
  expect_code 0 sx put "$name" "$WORK/$name"
  touch -d "@$((1500000000 + n * 100))" "$(entry_of "$name")"
  n=$((n + 1))
done
# Within the limits, gc does nothing.
expect_code 0 sx --max-entries 5 --max-size 15000 gc
gc_says 0 0 0 5 15000 "gc within the limits"
present e1 e2 e3 e4 e5

# A hit refreshes e1's time: it becomes the most recently used.
expect_code 0 sx get e1
[ "$(stat -c %Y "$(entry_of e1)")" -gt 1500001000 ] || fail "a hit did not refresh the entry's time"

# --max-entries 3: e2 and e3, the least recently used, go with their blobs.
expect_code 0 sx --max-entries 3 gc
gc_says 2 2 0 3 10000 "gc --max-entries 3"
present e1 e4 e5
gone e2 e3
expect_code 0 sx ls
expect_lines "$WORK/out" 3

# --max-size: e4 (4000, oldest now) goes; 6000 bytes left fit 6000 exactly.
expect_code 0 sx gc --max-size 6000
gc_says 1 1 0 2 6000 "gc --max-size 6000"
present e1 e5
gone e4
# One byte less: e5 goes, e1 (the hit) stays.
expect_code 0 sx gc --max-size 5999
gc_says 1 1 0 1 1000 "gc --max-size 5999"
present e1
gone e5
# Sizes with a suffix: 1K is 1024, so e1's 1000 bytes fit.
expect_code 0 sx gc --max-size 1K
gc_says 0 0 0 1 1000 "gc --max-size 1K"
present e1
expect_code 0 sx gc --max-entries 0
gc_says 1 1 0 0 0 "gc --max-entries 0"
gone e1

# A blob shared by two entries stays while one of them is kept.
head -c 2000 /dev/urandom >"$WORK/s1"
cp "$WORK/s1" "$WORK/s2"
expect_code 0 sx put s1 "$WORK/s1"
expect_code 0 sx put s2 "$WORK/s2"
touch -d '@1500000100' "$(entry_of s1)"
expect_code 0 sx gc --max-entries 1
gc_says 1 0 0 1 2000 "gc of an entry whose blob is shared"
[ ! -e "$(entry_of s1)" ] || fail "s1 was kept"
expect_code 0 sx get s2
cmp "$WORK/out" "$WORK/s2" || fail "the kept entry lost its shared blob"

# Orphans: a blob no entry names is removed once older than an hour; a
# fresh one is kept (a put may be between its blob and its entry).
head -c 3000 /dev/urandom >"$WORK/old-orphan"
head -c 3000 /dev/urandom >"$WORK/new-orphan"
expect_code 0 sx put old-orphan "$WORK/old-orphan"
expect_code 0 sx put new-orphan "$WORK/new-orphan"
expect_code 0 sx rm old-orphan
expect_code 0 sx rm new-orphan
touch -d '2 hours ago' "$(blob_of "$WORK/old-orphan")"
touch -d '50 minutes ago' "$(blob_of "$WORK/new-orphan")"
expect_code 0 sx gc
gc_says 0 1 0 1 2000 "gc with orphan blobs"
[ ! -e "$(blob_of "$WORK/old-orphan")" ] || fail "the old orphan blob was kept"
[ -f "$(blob_of "$WORK/new-orphan")" ] || fail "the fresh orphan blob was removed"

# Temporary files, recognised by exact name. A writer's ("put-*") goes once
# nobody holds its lock, whatever its age; one whose writer holds it stays.
# Older sealexec's ("<pid>.<hex>.tmp") go once an hour old. Anything else
# in tmp/ is not ours and stays.
require_command flock
: >"$C/tmp/put-0123456789abcdef.tmp"
: >"$C/tmp/put-00000000000000aa.tmp"
flock "$C/tmp/put-00000000000000aa.tmp" sleep 60 &
holder=$!
until ! flock -n "$C/tmp/put-00000000000000aa.tmp" true; do sleep 0.05; done
: >"$C/tmp/4242.00000000000000bb.tmp"
touch -d '2 hours ago' "$C/tmp/4242.00000000000000bb.tmp"
: >"$C/tmp/4242.00000000000000cc.tmp"
echo "a note of mine" >"$C/tmp/notes.txt"
touch -d '2 hours ago' "$C/tmp/notes.txt"
set +e
"$SEALEXEC" cache --dir "$C" gc >"$WORK/out" 2>"$WORK/err"
code=$?
set -e
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
expect_eq "$code" 0 "exit code of gc with temporary files"
gc_says 0 0 2 1 2000 "gc with stale temporary files"
expect_eq "$(ls -A "$C/tmp" | tr '\n' ' ')" \
  "4242.00000000000000cc.tmp notes.txt put-00000000000000aa.tmp " "temporary files left by gc"
expect_eq "$(cat "$C/tmp/notes.txt")" "a note of mine" "a file that is not ours"

# stats agrees: 6 entries evicted, one gc run for each of the 9 gc commands.
expect_code 0 sx stats --json
json_load "$WORK/out"
expect_eq "$(json_get evicted)" 6 "stats evicted"
expect_eq "$(json_get gc_runs)" 9 "stats gc_runs"
expect_eq "$(json_get entries)" 1 "stats entries"
expect_eq "$(json_get bytes)" 2000 "stats bytes"
