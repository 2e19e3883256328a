"""Lists the dynamic objects of a root file system, as the root names them.

    python3 root_objects.py ROOT MACHINE OUT

Every regular file under ROOT/usr (symbolic links not followed, so each file
once under its own name) that is an ELF program or shared object (ET_EXEC
or ET_DYN) for e_machine MACHINE, written to OUT one per line as an
absolute path inside the root ("/usr/bin/ls"), sorted.
"""
import os
import struct
import sys

root, machine, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
found = []
for directory, dirs, files in os.walk(os.path.join(root, "usr")):
    dirs.sort()
    for name in sorted(files):
        path = os.path.join(directory, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as f:
                head = f.read(20)
        except OSError:
            continue
        if len(head) < 20 or head[:4] != b"\x7fELF" or head[5] not in (1, 2):
            continue
        order = "<" if head[5] == 1 else ">"
        e_type, e_machine = struct.unpack(order + "HH", head[16:20])
        if e_type in (2, 3) and e_machine == machine:
            found.append("/" + os.path.relpath(path, root))
with open(out, "w") as f:
    f.write("".join(p + "\n" for p in found))
