#!/bin/sh
# gc judges a temporary file by whether its writer still holds its lock, not
# by a pid: in another PID namespace the writer's pid does not exist, and gc
# used to delete the live file, failing the put. Needs root (unshare -p).
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
require_root "a PID namespace"
require_command unshare
C=$WORK/cache
unshare -p -f --mount-proc true 2>"$WORK/err" || skip "cannot make a PID namespace: $(cat "$WORK/err")"

mkfifo "$WORK/feed"
sx put live - <"$WORK/feed" >"$WORK/put.out" 2>"$WORK/put.err" &
put=$!
exec 3>"$WORK/feed"
printf 'first half, ' >&3
# Wait until the put is writing its temporary file.
tries=0
until ls "$C/tmp" 2>/dev/null | grep -q '\.tmp$'; do
  tries=$((tries + 1))
  [ $tries -lt 200 ] || fail "the put never started writing"
  sleep 0.05
done
# A gc in a new PID namespace, where the writer's pid means nothing.
expect_code 0 unshare -p -f --mount-proc "$SEALEXEC" cache --dir "$C" gc
expect_file_contains "$WORK/out" "and 0 stale temporary files"
ls "$C/tmp" | grep -q '\.tmp$' || fail "gc removed the temporary file of a live put"
printf 'second half\n' >&3
exec 3>&-
wait $put || fail "the put failed: $(cat "$WORK/put.err")"
expect_code 0 sx get live
expect_eq "$(cat "$WORK/out")" "first half, second half" "what the put stored"
# Once its writer is gone, the same file would go: plant one nobody holds.
: >"$C/tmp/put-0123456789abcdef.tmp"
expect_code 0 unshare -p -f --mount-proc "$SEALEXEC" cache --dir "$C" gc
expect_file_contains "$WORK/out" "and 1 stale temporary files"
