#!/bin/sh
# An HTTP cache behind basic authentication (nginx auth_basic): credentials
# come from ~/.netrc, as for curl and git, never from the URL. Without them
# the server's 401 is one warning naming ~/.netrc, the put still succeeds
# locally, nothing reaches the server, and the next runs on that cache skip
# the server quietly; with them machine A shares an
# entry with machine B. The password appears in no message or statistic.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
start_nginx
team_keys
head -c 65536 /dev/urandom >"$WORK/blob"
SEALEXEC_REMOTE=$NGINX_PRIVATE_URL
HOME=$WORK/home
export SEALEXEC_REMOTE HOME
mkdir -p "$HOME"

# No ~/.netrc: refused by the server, a local put all the same.
expect_code 0 on A put k1 "$WORK/blob"
expect_error_line "sealexec: warning: " "HTTP status 401 (credentials are read from ~/.netrc)"
expect_code 0 on A get k1 -o "$WORK/local"
cmp -s "$WORK/blob" "$WORK/local" || fail "A's local copy differs"
expect_eq "$(find "$NGINX_STORE" -type f | wc -l | tr -d ' ')" 0 "files on the server without credentials"
grep -q " 401$" "$NGINX_LOG" || fail "nginx logged no 401: $(cat "$NGINX_LOG")"
# For the next 30 s other runs on A's cache do not ask (nor warn again);
# removing <cache>/remote/ makes the next one try at once.
: >"$NGINX_LOG"
expect_code 0 on A put k1b "$WORK/blob"
[ ! -s "$WORK/err" ] || fail "a run after the failure warned again: $(cat "$WORK/err")"
[ ! -s "$NGINX_LOG" ] || fail "a run after the failure asked the server: $(cat "$NGINX_LOG")"
rm -r "$WORK/A/remote"

# With ~/.netrc: shared.
printf 'machine 127.0.0.1 login %s password %s\n' "$NGINX_USER" "$NGINX_PASSWORD" >"$HOME/.netrc"
chmod 600 "$HOME/.netrc"
expect_code 0 on A put k2 "$WORK/blob"
[ ! -s "$WORK/err" ] || fail "a put with credentials warned: $(cat "$WORK/err")"
expect_eq "$(remote_stat A puts)" 1 "A's remote puts with credentials"
expect_code 0 on B get k2 -o "$WORK/shared"
cmp -s "$WORK/blob" "$WORK/shared" || fail "B read different bytes"
expect_eq "$(remote_stat B hits)" 1 "B's remote hits"

# The password is nowhere sealexec writes.
on A stats >"$WORK/stats.txt" 2>&1 || fail "cache stats failed"
if grep -rqs -e "$NGINX_PASSWORD" "$WORK/stats.txt" "$WORK/err" "$WORK/A/stats" "$WORK/B/stats"; then
  fail "the password was written somewhere"
fi
