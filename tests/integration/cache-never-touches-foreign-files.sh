#!/bin/sh
# sealexec touches nothing in a directory it did not make. Pointed (by
# SEALEXEC_CACHE_DIR, --dir, XDG_CACHE_HOME or a typo) at a directory that is
# neither empty nor a sealexec cache, at a system directory or at $HOME, every
# command is refused with one line and exit 2 (125 for exec and scripts), and
# nothing there is created, moved or deleted. An empty directory becomes a
# cache, tagged with a CACHEDIR.TAG that backup tools honour.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/cache.sh"
printf 'content\n' >"$WORK/f"

# A home directory with a ~/tmp of its own (gc once deleted every file there
# whose name was not a temp name of ours, and old files in ~/locks).
H=$WORK/home
mkdir -p "$H/tmp" "$H/locks" "$H/ac/00"
chmod 700 "$H"
printf 'draft\n' >"$H/tmp/draft.txt"
printf 'lock\n' >"$H/locks/notes"
printf 'entry\n' >"$H/ac/00/keep"
printf 'alias ll="ls -l"\n' >"$H/.bashrc"
touch -d '2 hours ago' "$H/tmp/draft.txt" "$H/locks/notes"
snapshot() { (cd "$1" && find . -printf '%p %s %T@\n' | sort); }
snapshot "$H" >"$WORK/before"
for command in "put k $WORK/f" "get k" stats ls verify gc clear; do
  # shellcheck disable=SC2086 # word splitting of $command is intended
  expect_code 2 env "SEALEXEC_CACHE_DIR=$H" "$SEALEXEC" cache $command
  expect_error_line "sealexec: $H: " "refused as a cache: it is neither empty nor a sealexec cache (it holds '.bashrc')"
done
expect_code 125 env "SEALEXEC_CACHE_DIR=$H" "$SEALEXEC" cache exec k
expect_error_line "sealexec: $H: " "neither empty nor a sealexec cache"
# Dozens of puts, each of which could have run the automatic gc.
i=0
while [ $i -lt 40 ]; do
  expect_code 2 "$SEALEXEC" cache --dir "$H" put "k$i" "$WORK/f"
  i=$((i + 1))
done
snapshot "$H" >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || { diff "$WORK/before" "$WORK/after" >&2; fail "the home directory changed"; }

# $HOME itself, even empty.
mkdir -m 700 "$WORK/emptyhome"
expect_code 2 env "HOME=$WORK/emptyhome" "SEALEXEC_CACHE_DIR=$WORK/emptyhome" "$SEALEXEC" cache stats
expect_error_line "sealexec: $WORK/emptyhome: " "is your home directory"
[ -z "$(ls -A "$WORK/emptyhome")" ] || fail "sealexec wrote into \$HOME"

# System directories, whoever asks.
for dir in / /tmp /etc /usr /proc /var/tmp; do
  expect_code 2 "$SEALEXEC" cache --dir "$dir" gc
  expect_error_line "sealexec: $dir: " "is a system directory"
done
expect_code 2 "$SEALEXEC" cache --dir /proc/self/cwd/ stats
expect_error_line "sealexec: /proc/self/cwd/: " "refused as a cache"
[ ! -e /tmp/ac ] && [ ! -e /tmp/CACHEDIR.TAG ] || fail "sealexec wrote into /tmp"

# A C script with such a cache exits 125 before compiling anything.
printf 'int main(void) { return 0; }\n' >"$WORK/s.c"
expect_code 125 env "SEALEXEC_CACHE_DIR=$H" "$SEALEXEC" "$WORK/s.c"
expect_error_line "sealexec: $H: " "neither empty nor a sealexec cache"

# An empty directory becomes a cache, with a tag as the Cache Directory
# Tagging convention defines it; tar --exclude-caches then skips it.
mkdir -m 700 "$WORK/empty"
expect_code 0 "$SEALEXEC" cache --dir "$WORK/empty" put k "$WORK/f"
head -c 43 "$WORK/empty/CACHEDIR.TAG" >"$WORK/signature"
expect_eq "$(cat "$WORK/signature")" "Signature: 8a477f597d28d172789f06886806bc55" "the tag's signature"
expect_file_contains "$WORK/empty/CACHEDIR.TAG" "# sealexec cache layout 2"
if command -v tar >/dev/null 2>&1; then
  tar -C "$WORK" --exclude-caches -cf - empty | tar -tf - >"$WORK/archived"
  if grep -q "empty/ac" "$WORK/archived"; then fail "tar --exclude-caches archived the cache"; fi
fi
# Another program's cache directory is not ours either.
mkdir -m 700 "$WORK/ccache"
printf 'Signature: 8a477f597d28d172789f06886806bc55\n# ccache\n' >"$WORK/ccache/CACHEDIR.TAG"
expect_code 2 "$SEALEXEC" cache --dir "$WORK/ccache" gc
expect_error_line "sealexec: $WORK/ccache: " "another program's cache directory"
