#!/bin/sh
# Where the remote tier's settings come from (cache.conf, then the
# environment, then flags; `none` turns a remote off) and what is refused:
# bad URLs, missing key files, a private key others can read. A key whose
# content is unusable turns the tier off for the run with one warning.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
start_redis
team_keys
head -c 4096 /dev/urandom >"$WORK/content"

# cache.conf alone: the entry reaches redis, another machine reads it.
mkdir -m 700 "$WORK/A"
cat >"$WORK/A/cache.conf" <<CONF
max_entries = 1000
remote = $REDIS_URL
signing_key = $WORK/team.key
trusted_keys = $WORK/team.pub
remote_timeout = 1s
CONF
expect_code 0 "$SEALEXEC" cache --dir "$WORK/A" put conf-key "$WORK/content"
expect_eq "$(remote_stat A puts)" 1 "puts configured by cache.conf"
expect_code 0 "$SEALEXEC" cache --dir "$WORK/B" --remote "$REDIS_URL" --trusted-keys "$WORK/team.pub" get conf-key
expect_eq "$(remote_stat B hits)" 1 "hits configured by flags"

# The environment overrides cache.conf, the flag overrides both; "none"
# switches the remote off (a miss, no remote statistics, no warning).
rm -rf "$WORK/B"
mkdir -m 700 "$WORK/B"
printf 'remote = redis://127.0.0.1:1\ntrusted_keys = %s\n' "$WORK/team.pub" >"$WORK/B/cache.conf"
SEALEXEC_REMOTE=$REDIS_URL expect_code 0 "$SEALEXEC" cache --dir "$WORK/B" get conf-key
rm -rf "$WORK/B/ac" "$WORK/B/cas"
SEALEXEC_REMOTE=$REDIS_URL expect_code 1 "$SEALEXEC" cache --dir "$WORK/B" --remote none get conf-key
[ ! -s "$WORK/err" ] || fail "--remote none still talked of a remote: $(cat "$WORK/err")"

# Refused at once, one line each, exit 2.
expect_code 2 "$SEALEXEC" cache --dir "$WORK/C" --remote 'ftp://x' get k
expect_error_line "sealexec: " "ftp://x"
SEALEXEC_REMOTE='redis://u:hunter2@h:99999' expect_code 2 "$SEALEXEC" cache --dir "$WORK/C" get k
expect_error_line "sealexec: " "SEALEXEC_REMOTE"
grep -q hunter2 "$WORK/err" && fail "a password reached a message: $(cat "$WORK/err")"
expect_code 2 "$SEALEXEC" cache --dir "$WORK/C" --remote "$REDIS_URL" --trusted-keys "$WORK/nope.pub" get k
expect_error_line "sealexec: " "nope.pub"
cp "$WORK/team.key" "$WORK/open.key"
chmod 644 "$WORK/open.key"
expect_code 2 "$SEALEXEC" cache --dir "$WORK/C" --remote "$REDIS_URL" --signing-key "$WORK/open.key" put k "$WORK/content"
expect_error_line "sealexec: " "chmod 600"
printf 'remote = %s\nremote_timeout = forever\n' "$REDIS_URL" >"$WORK/C/cache.conf"
expect_code 2 "$SEALEXEC" cache --dir "$WORK/C" get k
expect_error_line "sealexec: " "cache.conf:2"
rm "$WORK/C/cache.conf"
# The same for a script: exit 125 (sealexec's own failure).
printf 'int main() { return 0; }\n' >"$WORK/s.c"
expect_code 125 env SEALEXEC_CACHE_DIR="$WORK/C" SEALEXEC_REMOTE="$REDIS_URL" \
  SEALEXEC_TRUSTED_KEYS="$WORK/nope.pub" "$SEALEXEC" "$WORK/s.c"
expect_error_line "sealexec: " "nope.pub"

# A trusted key file with garbage in it: noticed at the first remote
# operation, one warning, the tier off, the command still a plain miss.
echo garbage >"$WORK/bad.pub"
expect_code 1 "$SEALEXEC" cache --dir "$WORK/D" --remote "$REDIS_URL" --trusted-keys "$WORK/bad.pub" get conf-key
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "the remote cache is not used in this run"
expect_file_contains "$WORK/err" "bad.pub"

# --help lists the flags.
expect_code 0 "$SEALEXEC" cache --help
expect_file_contains "$WORK/out" "--insecure-remote"
expect_code 0 "$SEALEXEC" script --help
expect_file_contains "$WORK/out" "--trusted-keys"
