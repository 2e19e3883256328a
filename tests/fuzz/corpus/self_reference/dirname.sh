#!/bin/sh
prog=$(basename $0 tui)
dir=$(dirname $0)
exec $dir/$prog --tui "$@"
