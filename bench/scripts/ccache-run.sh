#!/bin/sh
# The "ccache g++ ... && ./a.out" runner the scripts benchmark compares with:
# compile through ccache (a hit after the first run), then run the binary.
#   ccache-run.sh SOURCE OUTPUT
set -e
ccache c++ -o "$2" "$1"
exec "$2"
