#!/usr/bin/env python3
"""drop-gnu-stack.py FILE: turns FILE's PT_GNU_STACK program headers into
PT_NULL, in place, so ld.so and the kernel see an object with no
PT_GNU_STACK at all (what tcc and some old toolchains write). Only for the
fixtures run-cases.sh has just linked; it still checks every offset, since an
ELF file is input like any other. Prints how many headers it changed; fails
unless that is at least one."""
import struct
import sys

PT_NULL = 0
PT_GNU_STACK = 0x6474E551


def main(path):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if len(data) < 64 or data[:4] != b"\x7fELF":
            sys.exit(f"{path}: not an ELF file")
        if data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: only ELF64 little-endian fixtures are made here")
        phoff, = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        if phentsize < 56 or phoff + phentsize * phnum > len(data):
            sys.exit(f"{path}: program headers out of bounds")
        changed = 0
        for i in range(phnum):
            at = phoff + i * phentsize
            p_type, = struct.unpack_from("<I", data, at)
            if p_type == PT_GNU_STACK:
                struct.pack_into("<I", data, at, PT_NULL)
                changed += 1
        if changed == 0:
            sys.exit(f"{path}: no PT_GNU_STACK header to drop")
        f.seek(0)
        f.write(data)
    print(f"{path}: {changed} PT_GNU_STACK header(s) -> PT_NULL")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: drop-gnu-stack.py FILE")
    main(sys.argv[1])
