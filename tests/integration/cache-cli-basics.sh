#!/bin/sh
# sealexec cache put/get/rm/clear/ls/stats/verify: put then get returns the
# exact bytes (on stdout, or in -o OUT, which is replaced by rename and never
# touched on a miss), put reads standard input for "-", a miss is exit 1 with
# no output, rm is 0 then 1, clear empties ls, stats adds up the counters of
# separate invocations, rm --listed removes by the key ls prints, and verify
# passes a clean cache. Published files are
# 0444 and a re-put makes a new entry inode.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
C=$WORK/cache
real_work=$(cd "$WORK" && pwd -P)

no_output() { # WHAT
  [ ! -s "$WORK/out" ] || fail "$1: unexpected stdout: $(head -c 200 "$WORK/out")"
  [ ! -s "$WORK/err" ] || fail "$1: unexpected stderr: $(cat "$WORK/err")"
}

# Binary content with NUL bytes and no final newline.
head -c 100000 /dev/urandom >"$WORK/blob"
printf 'second\0content' >"$WORK/second"

# put, then get on stdout: byte-exact.
expect_code 0 sx put k1 "$WORK/blob"
no_output "put"
expect_code 0 sx get k1
cmp "$WORK/out" "$WORK/blob" || fail "get k1 on stdout differs from what was put"
[ ! -s "$WORK/err" ] || fail "unexpected stderr from get: $(cat "$WORK/err")"

# Options may come before or after the command word.
expect_code 0 "$SEALEXEC" cache get --dir "$C" k1
cmp "$WORK/out" "$WORK/blob" || fail "get with --dir after the command word differs"

# get -o OUT: byte-exact, nothing on stdout; -o also before the command word.
expect_code 0 sx get k1 -o "$WORK/got"
no_output "get -o"
cmp "$WORK/got" "$WORK/blob" || fail "get -o OUT differs from what was put"
expect_code 0 "$SEALEXEC" cache --dir "$C" --output "$WORK/got2" get k1
cmp "$WORK/got2" "$WORK/blob" || fail "get --output before the command word differs"
[ ! -e "$WORK/got.sealexec-part" ] || fail "get -o left its temporary file behind"

# Published files are read-only.
expect_eq "$(stat -c %a "$(entry_of k1)")" 444 "mode of the entry file"
expect_eq "$(stat -c %a "$(blob_of "$WORK/blob")")" 444 "mode of the blob file"

# put from standard input; ls describes it as <stdin>, a file by its
# absolute path.
expect_code 0 sx put k2 - <"$WORK/second"
no_output "put -"
expect_code 0 sx get k2
cmp "$WORK/out" "$WORK/second" || fail "get of the entry put from stdin differs"
expect_code 0 sx ls
expect_lines "$WORK/out" 2
grep -q "^$(key_hex k1 | cut -c1-16)  *100000  .*  $real_work/blob\$" "$WORK/out" \
  || fail "ls lacks k1 with its size and path: $(cat "$WORK/out")"
grep -q "^$(key_hex k2 | cut -c1-16)  *14  .*  <stdin>\$" "$WORK/out" \
  || fail "ls lacks k2 described as <stdin>: $(cat "$WORK/out")"

# -o OUT replaces OUT by rename: a hard link to the old OUT keeps the old
# bytes (an in-place write would change them).
ln "$WORK/got" "$WORK/got-link"
expect_code 0 sx get k2 -o "$WORK/got"
cmp "$WORK/got" "$WORK/second" || fail "get -o over an existing OUT differs"
cmp "$WORK/got-link" "$WORK/blob" || fail "get -o rewrote the existing OUT in place"

# A miss: exit 1, no output at all; -o OUT is neither created nor touched.
expect_code 1 sx get nosuchkey
no_output "get of a missing key"
expect_code 1 sx get nosuchkey -o "$WORK/miss-out"
no_output "get -o of a missing key"
[ ! -e "$WORK/miss-out" ] || fail "a miss created OUT"
[ ! -e "$WORK/miss-out.sealexec-part" ] || fail "a miss left a partial OUT"
expect_code 1 sx get nosuchkey -o "$WORK/got"
cmp "$WORK/got" "$WORK/second" || fail "a miss changed an existing OUT"

# Re-put: a new entry inode, the old blob kept, the new content returned.
old_inode=$(stat -c %i "$(entry_of k1)")
expect_code 0 sx put k1 "$WORK/second"
[ "$(stat -c %i "$(entry_of k1)")" != "$old_inode" ] || fail "re-put rewrote the entry in place"
expect_code 0 sx get k1
cmp "$WORK/out" "$WORK/second" || fail "get after re-put returns the old content"
[ -f "$(blob_of "$WORK/blob")" ] || fail "re-put removed the old blob"

# rm: 0, then 1 (nothing left to remove), and the key misses.
expect_code 0 sx rm k2
no_output "rm"
expect_code 1 sx rm k2
no_output "rm of a missing key"
expect_code 1 sx get k2
[ ! -e "$(entry_of k2)" ] || fail "rm left the entry file"

# rm --listed: by the key `cache ls` prints, for entries whose KEY nobody can
# type (another fingerprint, a script's). Too short or not hex is a usage
# error; a prefix that names nothing is a miss.
expect_code 0 sx put --fingerprint elsewhere k4 "$WORK/second"
listed=$(key_hex elsewhere k4 | cut -c1-16)
expect_code 0 sx ls
grep -q "^$listed " "$WORK/out" || fail "ls lacks k4: $(cat "$WORK/out")"
expect_code 2 sx rm --listed "$(echo "$listed" | cut -c1-7)"
expect_error_line "sealexec: cache: " "8 to 64 lowercase hex digits"
expect_code 2 sx rm --listed "k4k4k4k4k4"
expect_code 0 sx rm --listed "$listed"
no_output "rm --listed"
expect_code 1 sx get --fingerprint elsewhere k4
expect_code 1 sx rm --listed "$listed"
expect_code 0 sx get k1

# verify passes a clean cache: 1 entry, 2 blobs (k1's old blob is an orphan).
expect_code 0 sx verify
expect_eq "$(cat "$WORK/out")" \
  "1 entries, 2 blobs checked: 0 damaged entries, 0 damaged blobs (quarantined), 0 entries missing their blob" \
  "verify of a clean cache"

# clear empties ls and the stores.
expect_code 0 sx put k3 "$WORK/blob"
expect_code 0 sx clear
no_output "clear"
expect_code 0 sx ls
no_output "ls after clear"
expect_code 0 sx ls --json
expect_eq "$(cat "$WORK/out")" "[]" "ls --json after clear"
expect_code 1 sx get k1
expect_code 1 sx get k3
expect_eq "$(count_files "$C/cas")" 0 "blobs left after clear"
expect_eq "$(count_files "$C/ac")" 0 "entries left after clear"

# stats adds up separate invocations, in a fresh cache: 2 puts, 3 hits,
# 2 misses.
C=$WORK/stats-cache
expect_code 0 sx put a "$WORK/blob"
expect_code 0 sx put b - <"$WORK/second"
expect_code 0 sx get a
expect_code 0 sx get a -o "$WORK/a"
expect_code 0 sx get b
expect_code 1 sx get c
expect_code 1 sx get d
expect_code 0 sx stats --json
json_load "$WORK/out"
for pair in entries=2 bytes=100014 hits=3 misses=2 puts=2 corrupt=0 evicted=0 max_entries=100000 \
  max_size=5368709120; do
  expect_eq "$(json_get "${pair%%=*}")" "${pair#*=}" "stats --json ${pair%%=*}"
done
expect_eq "$(json_get directory)" "$C" "stats --json directory"
expect_code 0 sx stats
grep -q '^hits  *3$' "$WORK/out" || fail "stats lacks 'hits 3': $(cat "$WORK/out")"
grep -q '^misses  *2$' "$WORK/out" || fail "stats lacks 'misses 2': $(cat "$WORK/out")"
grep -q '^puts  *2$' "$WORK/out" || fail "stats lacks 'puts 2': $(cat "$WORK/out")"
grep -q '^entries  *2 (limit 100000)$' "$WORK/out" || fail "stats lacks the entries: $(cat "$WORK/out")"

# Usage errors: exit 2 and one sealexec: line.
expect_code 2 sx get
expect_error_line "sealexec: " "get takes one KEY"
expect_code 2 sx put onlykey
expect_error_line "sealexec: " "put takes KEY FILE"
expect_code 2 sx frobnicate
expect_error_line "sealexec: " "unknown cache command 'frobnicate'"
expect_code 2 sx put k "$WORK/no-such-file"
expect_error_line "sealexec: $WORK/no-such-file: " "No such file"
expect_code 2 sx put k "$WORK"
expect_error_line "sealexec: $WORK: " "cannot read what to store"
[ -z "$(ls -A "$C/tmp")" ] || fail "a failed put left temporary files: $(ls -A "$C/tmp")"
expect_code 2 sx
expect_error_line "sealexec: cache: " "no command given"

# A relative FILE is described by its absolute path.
mkdir "$WORK/sub"
printf 'relative\n' >"$WORK/sub/rel"
(cd "$WORK/sub" && "$SEALEXEC" cache --dir "$C" put rel rel) || fail "put of a relative FILE failed"
expect_code 0 sx ls
grep -q "^$(key_hex rel | cut -c1-16)  *9  .*  $real_work/sub/rel\$" "$WORK/out" \
  || fail "ls does not describe the relative FILE by its absolute path: $(cat "$WORK/out")"
