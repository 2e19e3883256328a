#!/usr/bin/env python3
# Embedded in the memfd-script Go program (go:embed) and run from memory.
# It reports what a script run that way can see: its arguments, and every
# descriptor open in its process (a leak shows up here), then exits with
# $MEMFD_SCRIPT_EXIT.
import json
import os
import sys

print("script:", sys.argv[0])
print("args:", json.dumps(sys.argv[1:]))
own_dir = "/proc/%d/fd" % os.getpid()
for name in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        target = os.readlink("/proc/self/fd/" + name)
    except OSError:
        continue  # the descriptor listdir itself used, already closed
    if target == own_dir:
        continue  # the one listdir is using
    print("fd:", name, target)
sys.stdout.flush()
sys.exit(int(os.environ.get("MEMFD_SCRIPT_EXIT", "0")))
