#!/bin/sh
# The remote tier on nginx with WebDAV PUT, in Bazel's HTTP cache layout
# (<prefix>/ac/<sha256>, <prefix>/cas/<sha256>): an entry put on machine A
# is read on machine B, verified and stored locally. The blob is stored
# under its SHA-256, which a Bazel cache (bazel-remote) checks.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
start_nginx
team_keys
head -c 4096 /dev/urandom >"$WORK/small"
head -c 1048576 /dev/urandom >"$WORK/large"
SEALEXEC_REMOTE=$NGINX_URL
export SEALEXEC_REMOTE

expect_code 0 on A put small-key "$WORK/small"
expect_code 0 on A put large-key "$WORK/large"
expect_eq "$(remote_stat A puts)" 2 "A's remote puts"
sha=$(sha256sum "$WORK/large" | cut -d' ' -f1)
cmp -s "$WORK/large" "$NGINX_STORE/cas/$sha" || fail "nginx does not hold the blob under its SHA-256"
expect_eq "$(find "$NGINX_STORE/ac" -type f | wc -l | tr -d ' ')" 2 "entries on the server"

expect_code 0 on B get small-key -o "$WORK/small.b"
cmp -s "$WORK/small" "$WORK/small.b" || fail "B read different bytes"
expect_code 0 on B get large-key -o "$WORK/large.b"
cmp -s "$WORK/large" "$WORK/large.b" || fail "B read different 1 MiB bytes"
expect_eq "$(remote_stat B hits)" 2 "B's remote hits"
expect_eq "$(local_blobs B)" 2 "blobs B stored locally"
expect_code 1 on B get no-such-key
expect_eq "$(remote_stat B misses)" 1 "B's remote misses"

# A third put of known content asks (HEAD) and skips the blob's upload.
: >"$NGINX_LOG"
expect_code 0 on A put third-key "$WORK/large"
expect_eq "$(grep -c "^PUT /cache/cas/" "$NGINX_LOG")" 0 "blob uploads for known content"
expect_eq "$(grep -c "^HEAD /cache/cas/$sha 200" "$NGINX_LOG")" 1 "HEAD requests for the blob"

# B's local copy serves it with the server gone, without touching it.
stop_nginx
expect_code 0 on B get large-key -o "$WORK/large.c"
cmp -s "$WORK/large" "$WORK/large.c" || fail "B's local copy differs"
[ ! -s "$WORK/err" ] || fail "a local hit touched the dead remote: $(cat "$WORK/err")"
