# Helpers for the remote-*.sh scenarios; source after "$TEST_LIB" and
# servers.sh. Each "machine" is its own local cache, $WORK/NAME; they share
# entries only through the servers the scenario starts.
#   team_keys           writes $WORK/team.key and $WORK/team.pub (the key
#                       every machine signs with and trusts) and
#                       $WORK/other.key / other.pub (a key nobody trusts)
#   on MACHINE ARGS...  sealexec cache --dir $WORK/MACHINE ARGS..., signing
#                       with team.key and trusting team.pub; the remote is
#                       whatever SEALEXEC_REMOTE or --remote says
#   remote_stat MACHINE FIELD
#                       FIELD (hits, misses, errors, timeouts, rejected,
#                       puts) of MACHINE's remote statistics, summed over
#                       its backends
#   local_blobs MACHINE how many blobs MACHINE's local store holds
#   expect_fast SECONDS COMMAND...
#                       runs COMMAND like expect_code 1 (a miss) and fails
#                       if it took SECONDS or longer

. "$(dirname "$TEST_LIB")/servers.sh"

# libcurl (the HTTP helper) honours proxy variables: never for the tests'
# own servers.
no_proxy=127.0.0.1,localhost
NO_PROXY=$no_proxy
export no_proxy NO_PROXY
unset SEALEXEC_REMOTE SEALEXEC_SIGNING_KEY SEALEXEC_TRUSTED_KEYS SEALEXEC_INSECURE_REMOTE \
  SEALEXEC_CACHE_DIR 2>/dev/null || true

team_keys() {
  (cd "$WORK" && "$SEALEXEC" cache keygen team >/dev/null && "$SEALEXEC" cache keygen other >/dev/null) \
    || fail "cache keygen failed"
}

on() {
  machine=$1
  shift
  "$SEALEXEC" cache --dir "$WORK/$machine" --signing-key "$WORK/team.key" \
    --trusted-keys "$WORK/team.pub" "$@"
}

remote_stat() {
  "$SEALEXEC" cache --dir "$WORK/$1" stats --json >"$WORK/stats.json" \
    || fail "cache stats failed for $1"
  python3 -c 'import json, sys
stats = json.load(open(sys.argv[1]))
print(sum(backend[sys.argv[2]] for backend in stats["remote"]))' "$WORK/stats.json" "$2"
}

local_blobs() {
  if [ -d "$WORK/$1/cas" ]; then
    find "$WORK/$1/cas" -type f | wc -l | tr -d ' '
  else
    echo 0
  fi
}

expect_fast() {
  limit=$1
  shift
  start=$(date +%s.%N)
  expect_code 1 "$@"
  took=$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$start" "$(date +%s.%N)")
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$took" "$limit" \
    || fail "took ${took}s, more than ${limit}s: $*"
}
