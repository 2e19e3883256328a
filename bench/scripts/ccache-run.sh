#!/bin/sh
# The "ccache g++ ... && ./a.out" runner the scripts benchmark compares with,
# at its best: compile through ccache (a hit after the first run; ccache
# never caches a compile-and-link in one step, so the object file is made
# separately), link, run.
#   ccache-run.sh SOURCE OUTPUT
set -e
ccache c++ -c -o "$2.o" "$1"
c++ -o "$2" "$2.o"
exec "$2"
