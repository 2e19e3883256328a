#!/bin/sh
# As root, sealexec never creates a cache, or a parent of one, inside a
# directory that belongs to another user: root running with that user's HOME
# used to leave a root-owned ~/.cache behind, which broke the user's own
# sealexec and `mkdir ~/.cache/pip`. /dev is never a cache either. Needs root.
. "$TEST_LIB"
require_root "act as root on another user's home"
printf 'int main(void) { return 0; }\n' >"$WORK/s.c"

H=$WORK/someone
mkdir -m 755 "$H"
chown 65534:65534 "$H"
expect_code 2 env -u SEALEXEC_CACHE_DIR -u XDG_CACHE_HOME "HOME=$H" "$SEALEXEC" cache stats
expect_error_line "sealexec: $H/.cache/sealexec: " \
  "would create $H/.cache inside $H, which belongs to uid 65534"
expect_code 125 env -u SEALEXEC_CACHE_DIR -u XDG_CACHE_HOME "HOME=$H" "$SEALEXEC" "$WORK/s.c"
expect_error_line "sealexec: $H/.cache/sealexec: " "belongs to uid 65534"
[ -z "$(ls -A "$H")" ] || fail "root left $(ls -A "$H") in another user's home"
# The user's own sealexec then works, and makes its cache its own.
cp "$WORK/s.c" "$H/s.c"
chmod 755 "$WORK"
expect_code 0 setpriv --reuid 65534 --regid 65534 --clear-groups \
  env -u SEALEXEC_CACHE_DIR -u XDG_CACHE_HOME "HOME=$H" "$SEALEXEC" cache stats
[ "$(stat -c %u "$H/.cache/sealexec")" = 65534 ] || fail "the user's cache is not the user's"

# An existing ~/.cache of the user: root creates nothing inside it either.
expect_code 2 env -u SEALEXEC_CACHE_DIR -u XDG_CACHE_HOME "HOME=$H" "$SEALEXEC" cache stats
expect_error_line "sealexec: $H/.cache/sealexec: " "it belongs to uid 65534, not to you"
rm -rf "$H/.cache"
mkdir "$H/.cache"
chown 65534:65534 "$H/.cache"
expect_code 2 env -u SEALEXEC_CACHE_DIR -u XDG_CACHE_HOME "HOME=$H" "$SEALEXEC" cache stats
expect_error_line "sealexec: $H/.cache/sealexec: " "inside $H/.cache, which belongs to uid 65534"
[ -z "$(ls -A "$H/.cache")" ] || fail "root wrote into the user's ~/.cache"

# The user's ~/.cache is a link to a directory of root's: root does not
# follow it to create its cache there.
rm -rf "$H/.cache"
ln -s /etc "$H/.cache"
chown -h 65534:65534 "$H/.cache"
expect_code 2 env -u SEALEXEC_CACHE_DIR -u XDG_CACHE_HOME "HOME=$H" "$SEALEXEC" cache stats
expect_error_line "sealexec: $H/.cache/sealexec: " \
  "would follow $H/.cache, a symbolic link that belongs to uid 65534"
[ ! -e /etc/sealexec ] || fail "root created /etc/sealexec through the user's link"
mkdir -m 700 "$WORK/rootdir"
rm "$H/.cache"
ln -s "$WORK/rootdir" "$H/.cache"
chown -h 65534:65534 "$H/.cache"
expect_code 2 env -u SEALEXEC_CACHE_DIR -u XDG_CACHE_HOME "HOME=$H" "$SEALEXEC" cache stats
[ -z "$(ls -A "$WORK/rootdir")" ] || fail "root created its cache through the user's link"
rm "$H/.cache"

# /dev: refused, and nothing created there.
expect_code 2 env "SEALEXEC_CACHE_DIR=/dev" "$SEALEXEC" cache stats
expect_error_line "sealexec: /dev: " "is a system directory"
for name in ac cas tmp locks stats CACHEDIR.TAG; do
  [ ! -e "/dev/$name" ] || fail "/dev/$name was created"
done
expect_code 2 env "SEALEXEC_CACHE_DIR=/dev/sealexec-test-cache" "$SEALEXEC" cache stats
expect_error_line "sealexec: /dev/sealexec-test-cache: " "inside /proc, /sys or /dev"
[ ! -e /dev/sealexec-test-cache ] || fail "a cache was created in /dev"
