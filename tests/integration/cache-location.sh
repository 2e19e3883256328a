#!/bin/sh
# Where the cache lives: --dir, else $SEALEXEC_CACHE_DIR, else
# $XDG_CACHE_HOME/sealexec when XDG_CACHE_HOME is absolute (a relative one is
# ignored, as the XDG specification says), else $HOME/.cache/sealexec. A new
# cache directory and its subdirectories are created 0700 whatever the umask.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
unset SEALEXEC_CACHE_DIR XDG_CACHE_HOME SEALEXEC_CACHE_MAX_SIZE SEALEXEC_CACHE_MAX_ENTRIES \
  SEALEXEC_CACHE_COMPRESSION
export HOME="$WORK/home"
mkdir "$HOME"
printf 'located content\n' >"$WORK/f"

# put KEY with the given environment (VAR=value ... --), then check that the
# entry is in DIR and nowhere else, and that stats names DIR.
put_lands_in() { # DIR KEY VAR=value...
  dir=$1
  key=$2
  shift 2
  expect_code 0 env "$@" "$SEALEXEC" cache put "$key" "$WORK/f"
  [ ! -s "$WORK/err" ] || fail "put with $*: unexpected stderr: $(cat "$WORK/err")"
  C=$dir
  [ -f "$(entry_of "$key")" ] || fail "put with $* did not store its entry in $dir: $(find "$WORK" -path '*/ac/*' -type f)"
  expect_eq "$(find "$WORK" -path "*/ac/*" -name "$(key_hex "$key")" | wc -l | tr -d ' ')" 1 \
    "copies of the entry for $key"
  expect_eq "$(stat -c %a "$dir")" 700 "mode of the new cache directory $dir"
  expect_code 0 env "$@" "$SEALEXEC" cache stats
  expect_eq "$(sed -n 's/^cache directory  //p' "$WORK/out")" "$dir" "stats directory with $*"
  expect_code 0 env "$@" "$SEALEXEC" cache get "$key"
  cmp "$WORK/out" "$WORK/f" || fail "get with $* differs"
}

# HOME alone.
put_lands_in "$HOME/.cache/sealexec" k-home "HOME=$HOME"
# An empty XDG_CACHE_HOME or SEALEXEC_CACHE_DIR counts as unset.
put_lands_in "$HOME/.cache/sealexec" k-empty "HOME=$HOME" XDG_CACHE_HOME= SEALEXEC_CACHE_DIR=
# An absolute XDG_CACHE_HOME, created if missing.
put_lands_in "$WORK/xdg/sealexec" k-xdg "HOME=$HOME" "XDG_CACHE_HOME=$WORK/xdg"
# A relative XDG_CACHE_HOME is ignored: HOME's cache, nothing under the
# working directory.
mkdir "$WORK/cwd"
(
  cd "$WORK/cwd" || exit 1
  put_lands_in "$HOME/.cache/sealexec" k-relative "HOME=$HOME" XDG_CACHE_HOME=rel/xdg
)
[ ! -e "$WORK/cwd/rel" ] || fail "a relative XDG_CACHE_HOME was used: $(find "$WORK/cwd")"
# SEALEXEC_CACHE_DIR wins over XDG_CACHE_HOME and HOME.
put_lands_in "$WORK/env-dir" k-env "HOME=$HOME" "XDG_CACHE_HOME=$WORK/xdg" \
  "SEALEXEC_CACHE_DIR=$WORK/env-dir"
# --dir wins over all of them; the environment's directory is not created.
expect_code 0 env "HOME=$HOME" "XDG_CACHE_HOME=$WORK/xdg2" "SEALEXEC_CACHE_DIR=$WORK/env-dir2" \
  "$SEALEXEC" cache --dir "$WORK/flag-dir" put k-flag "$WORK/f"
C=$WORK/flag-dir
[ -f "$(entry_of k-flag)" ] || fail "--dir did not win over the environment"
[ ! -e "$WORK/env-dir2" ] || fail "SEALEXEC_CACHE_DIR was created although --dir was given"
[ ! -e "$WORK/xdg2" ] || fail "XDG_CACHE_HOME was created although --dir was given"
expect_code 1 env "SEALEXEC_CACHE_DIR=$WORK/env-dir" "$SEALEXEC" cache get k-flag

# No location at all: exit 2, one line saying what to set.
expect_code 2 env -u HOME -u XDG_CACHE_HOME -u SEALEXEC_CACHE_DIR "$SEALEXEC" cache stats
expect_error_line "sealexec: " "no cache directory: set SEALEXEC_CACHE_DIR, XDG_CACHE_HOME or HOME"
expect_code 2 env -u HOME "XDG_CACHE_HOME=relative" "$SEALEXEC" cache stats
expect_error_line "sealexec: " "no cache directory"

# 0700 whatever the umask, for the cache and the directories inside it.
(umask 000 && "$SEALEXEC" cache --dir "$WORK/umask0" put k "$WORK/f") || fail "put with umask 000 failed"
for d in "$WORK/umask0" "$WORK/umask0/ac" "$WORK/umask0/cas" "$WORK/umask0/tmp"; do
  expect_eq "$(stat -c %a "$d")" 700 "mode of $d created under umask 000"
done
(umask 077 && "$SEALEXEC" cache --dir "$WORK/umask77" put k "$WORK/f") || fail "put with umask 077 failed"
expect_eq "$(stat -c %a "$WORK/umask77")" 700 "mode of a cache created under umask 077"
