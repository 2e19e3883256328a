#!/bin/sh
# Forged, re-signed, replayed and unsigned action entries, and blobs that
# do not match their entry, planted in a real Redis: each is a miss counted
# as rejected, and nothing reaches the local cache. Reading without any
# trusted key is refused unless --insecure-remote, which says what it means.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
C=$WORK/unused
. "$(dirname "$TEST_LIB")/cache.sh"
start_redis
team_keys
SEALEXEC_REMOTE=$REDIS_URL
export SEALEXEC_REMOTE
head -c 4096 /dev/urandom >"$WORK/good"
head -c 4096 /dev/urandom >"$WORK/evil"

# redis VERB KEY [FILE]: GET into $WORK/value, or SET from FILE, binary-safe.
redis() {
  python3 - "$REDIS_PORT" "$@" <<'PY'
import socket, sys
port, verb, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
args = [verb.encode(), key.encode()] + ([open(sys.argv[4], "rb").read()] if len(sys.argv) > 4 else [])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
reply = b""
while not reply.endswith(b"\r\n") or (reply.startswith(b"$") and not reply.startswith(b"$-1") and
        len(reply) < reply.index(b"\r\n") + 4 + int(reply[1:reply.index(b"\r\n")])):
    reply += s.recv(65536)
if verb == "GET":
    head = reply.index(b"\r\n")
    open("value", "wb").write(reply[head + 2:-2])
PY
}
ac() { echo "sealexec:ac:$(key_hex "$1")"; }

# rejected_read KEY WHAT: a fresh trusting machine B misses KEY, counted
# as rejected, and stores nothing.
rejected_read() {
  rm -rf "$WORK/B"
  expect_code 1 on B get "$1"
  expect_eq "$(remote_stat B rejected)" 1 "rejected count: $2"
  expect_eq "$(remote_stat B hits)" 0 "hits: $2"
  expect_eq "$(local_blobs B)" 0 "blobs stored locally: $2"
}

cd "$WORK"
expect_code 0 on A put good-key "$WORK/good"
redis GET "$(ac good-key)"
cp value good.envelope

# Signed by a key nobody trusts.
expect_code 0 "$SEALEXEC" cache --dir "$WORK/O" --signing-key "$WORK/other.key" put other-key "$WORK/evil"
rejected_read other-key "an entry signed by an untrusted key"

# A trusted entry replayed under another key: the signature covers the key.
redis SET "$(ac replayed-key)" good.envelope
rejected_read replayed-key "a trusted entry replayed under another key"

# A byte of the signed entry changed (its checksum is inside the signature).
python3 -c 'import sys; b = bytearray(open("good.envelope", "rb").read()); b[-20] ^= 1; open("forged", "wb").write(b)'
redis SET "$(ac good-key)" forged
rejected_read good-key "a forged entry"

# The entry intact, its blob replaced on the server.
redis SET "$(ac good-key)" good.envelope
redis SET "sealexec:cas:$(sha_of "$WORK/good")" "$WORK/evil"
rejected_read good-key "a blob that does not match its entry"

# Unsigned (a writer without a key, for insecure readers): rejected by a
# reader with trusted keys, used by one that opted out, with a warning.
expect_code 0 "$SEALEXEC" cache --dir "$WORK/U" --insecure-remote put unsigned-key "$WORK/evil"
expect_file_contains "$WORK/err" "without checking any signature"
rejected_read unsigned-key "an unsigned entry"
expect_code 0 "$SEALEXEC" cache --dir "$WORK/I" --insecure-remote get unsigned-key -o "$WORK/got"
cmp -s "$WORK/evil" "$WORK/got" || fail "the insecure reader read other bytes"
expect_lines "$WORK/err" 1
expect_file_contains "$WORK/err" "sealexec: warning: --insecure-remote:"
SEALEXEC_INSECURE_REMOTE=1 expect_code 0 "$SEALEXEC" cache --dir "$WORK/I2" get unsigned-key
expect_file_contains "$WORK/err" "without checking any signature"

# No trusted key and no opt-out: write-only, and it says so.
expect_code 1 "$SEALEXEC" cache --dir "$WORK/W" get unsigned-key
expect_file_contains "$WORK/err" "used for writing only"
expect_eq "$(local_blobs W)" 0 "blobs a write-only reader stored"
