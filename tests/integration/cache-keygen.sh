#!/bin/sh
# sealexec cache keygen NAME: an Ed25519 key pair for signing shared
# entries. The private half is 0600 whatever the umask, nothing is ever
# replaced, and bad names are refused with exit 2.
. "$TEST_LIB"

cd "$WORK"
umask 022
expect_code 0 "$SEALEXEC" cache keygen team
expect_file_contains "$WORK/out" "team.key"
[ "$(stat -c %a team.key)" = 600 ] || fail "team.key has mode $(stat -c %a team.key), not 600"
[ "$(stat -c %a team.pub)" = 644 ] || fail "team.pub has mode $(stat -c %a team.pub), not 644"
grep -Eq '^sealexec-ed25519-public v1 team [0-9a-f]{64}$' team.pub || fail "bad team.pub: $(cat team.pub)"
grep -Eq '^sealexec-ed25519-secret v1 team [0-9a-f]{128}$' team.key || fail "bad team.key"
# The public half inside the secret key is the .pub key.
[ "$(cut -d' ' -f4 team.key | cut -c65-)" = "$(cut -d' ' -f4 team.pub)" ] ||
  fail "team.key and team.pub do not belong together"

# Never replaces a file, and writes nothing when it refuses.
before=$(cat team.key team.pub | sha256sum)
expect_code 2 "$SEALEXEC" cache keygen team
expect_file_contains "$WORK/err" "already exists"
[ "$(cat team.key team.pub | sha256sum)" = "$before" ] || fail "keygen replaced a key"
echo keep >other.pub
expect_code 2 "$SEALEXEC" cache keygen other
[ ! -e other.key ] || fail "keygen wrote other.key although other.pub exists"

# Two key pairs differ.
expect_code 0 "$SEALEXEC" cache keygen second
[ "$(cut -d' ' -f4 second.pub)" != "$(cut -d' ' -f4 team.pub)" ] || fail "two keygens gave one key"

# Into another directory, and bad names.
mkdir keys
expect_code 0 "$SEALEXEC" cache keygen keys/ci-fleet.1
[ -f keys/ci-fleet.1.key ] && [ -f keys/ci-fleet.1.pub ] || fail "keys/ci-fleet.1.* missing"
expect_code 2 "$SEALEXEC" cache keygen 'bad name'
expect_file_contains "$WORK/err" "letters, digits"
expect_code 2 "$SEALEXEC" cache keygen
expect_code 2 "$SEALEXEC" cache keygen a b
exit 0
