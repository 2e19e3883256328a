#!/bin/sh
find_root() {
  p=$1
  while l=$(readlink "$p"); do p=$l; done
  echo "${p%/*}"
}
ROOT=$(find_root "$0")
[ -h "$0" ] && echo link
