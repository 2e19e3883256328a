#!/bin/sh
# A shell script run from sealed memory: /bin/sh gets as $0 a path that ends
# in the script's name and leads to the sealed memfd (docs/run.md, names).
echo "hello from a sealed shell script, run by $0 with $# argument(s)"
