#!/bin/sh
# A shell script run from sealed memory: the kernel hands /bin/sh the path
# /dev/fd/N of the memfd.
echo "hello from a sealed shell script, run by $0 with $# argument(s)"
