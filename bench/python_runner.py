#!/usr/bin/env python3
"""Python's way to run a program from memory: os.memfd_create, write the
file's bytes, os.execve on the descriptor. No sealing, hashing or checks."""
import os
import sys


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} PROGRAM [ARGS...]")
    with open(sys.argv[1], "rb") as source:
        data = source.read()
    fd = os.memfd_create("python-runner", os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.execve(fd, sys.argv[1:], os.environ)


if __name__ == "__main__":
    main()
