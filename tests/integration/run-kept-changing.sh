#!/bin/sh
# A program that changes during every copy is refused with exit 126 and one
# line that says so; it does not run. Where sealexec can lease the file (root
# here), a writer that holds it open is enough to refuse it; where it cannot,
# it is refused after three attempts that each saw it change. A fanotify
# listener holds each of sealexec's reads of the file until it has rewritten
# the file (with the same bytes: only its ctime tells), so every attempt sees
# a change, deterministically.
. "$TEST_LIB"
require_root "fanotify permission events"
require_command python3

printf '#!/bin/sh\necho ran\n' >"$WORK/prog"
chmod +x "$WORK/prog"

python3 - "$WORK/prog" "$WORK/ready" "$WORK/stop" "$WORK/count" <<'PY' &
import ctypes, os, select, struct, sys
path, ready, stop, count = sys.argv[1:5]
libc = ctypes.CDLL(None, use_errno=True)
libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int,
                               ctypes.c_char_p]
FAN_CLOEXEC, FAN_CLASS_CONTENT, FAN_MARK_ADD = 0x1, 0x4, 0x1
FAN_ACCESS_PERM, FAN_ALLOW, AT_FDCWD = 0x20000, 0x1, -100
text = open(path, "rb").read()  # before the mark: this read would wait for ourselves
writer = os.open(path, os.O_WRONLY)
fan = libc.fanotify_init(FAN_CLOEXEC | FAN_CLASS_CONTENT, os.O_RDONLY)
if fan < 0 or libc.fanotify_mark(fan, FAN_MARK_ADD, FAN_ACCESS_PERM, AT_FDCWD,
                                 path.encode()) != 0:
    sys.exit("fanotify: " + os.strerror(ctypes.get_errno()))
open(ready, "w").close()
reads = 0
# Until told to stop, or until the test's directory is gone (it failed).
while os.path.exists(ready) and not os.path.exists(stop):
    if not select.select([fan], [], [], 0.05)[0]:
        continue
    buffer = os.read(fan, 4096)
    while buffer:
        length, _, _, _, mask, fd, _ = struct.unpack_from("IBBHQii", buffer)
        if mask & FAN_ACCESS_PERM:
            reads += 1
            os.pwrite(writer, text, 0)  # the same bytes: ctime moves, nothing else
            os.write(fan, struct.pack("iI", fd, FAN_ALLOW))
        os.close(fd)
        buffer = buffer[length:]
if os.path.exists(stop):
    with open(count, "w") as f:
        f.write("%d\n" % reads)
PY
listener=$!
tries=0
while [ ! -e "$WORK/ready" ]; do
  tries=$((tries + 1))
  if [ "$tries" -gt 200 ] || ! kill -0 "$listener" 2>/dev/null; then
    : >"$WORK/stop"
    wait "$listener" || skip "fanotify permission events are not available here"
    fail "the fanotify listener did not start"
  fi
  sleep 0.05
done

# Root can lease the file (CAP_LEASE), and the listener holds it open for
# writing: refused without reading it, after waiting for it to be closed.
expect_code 126 "$SEALEXEC" run "$WORK/prog"
expect_error_line "sealexec: $WORK/prog: " \
  "is open for writing by another process, so it may be in the middle of a rewrite; waited 256 ms for it to be closed"
# Another user can read the file but not lease it (neither its owner nor
# CAP_LEASE): the stamps are the guard, and every attempt sees the change.
chmod 755 "$WORK"
expect_code 126 setpriv --reuid 65534 --regid 65534 --clear-groups "$SEALEXEC" run "$WORK/prog"
: >"$WORK/stop"
wait "$listener" || fail "the fanotify listener failed"
expect_error_line "sealexec: $WORK/prog: " \
  "kept changing while it was being copied (3 attempts), so no copy holds one whole version of it; replace it by rename instead of rewriting it in place"
# One read per attempt for a file this small (root's run read nothing).
expect_eq "$(cat "$WORK/count")" 3 "reads of the file"
