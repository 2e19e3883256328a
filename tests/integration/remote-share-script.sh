#!/bin/sh
# A C++ script compiled on machine A runs on machine B without compiling,
# through each backend: B fetches the script's manifest and its binary,
# checks the headers the manifest names, and runs the binary. The compiler
# is a counting wrapper; B may ask it for its version, never compile.
. "$TEST_LIB"
. "$(dirname "$TEST_LIB")/remote.sh"
. "$(dirname "$TEST_LIB")/script.sh"
require_command c++
counting_compiler cxx c++
start_redis
start_nginx
team_keys
SEALEXEC_SIGNING_KEY=$WORK/team.key
SEALEXEC_TRUSTED_KEYS=$WORK/team.pub
export SEALEXEC_SIGNING_KEY SEALEXEC_TRUSTED_KEYS

cat >"$WORK/shared.cpp" <<'SRC'
#include <iostream>
#include <string>
int main(int argc, char** argv) {
  std::cout << "shared " << (argc > 1 ? std::string(argv[1]) : "none") << "\n";
  return 7;
}
SRC
backdate "$WORK/shared.cpp"

for url in "$REDIS_URL" "$NGINX_URL"; do
  rm -rf "$WORK/A" "$WORK/B"
  : >"$WORK/cxx.count"
  expect_code 7 env SEALEXEC_CACHE_DIR="$WORK/A" "$SEALEXEC" script --remote "$url" \
    --compiler "$WORK/cxx" "$WORK/shared.cpp" one
  expect_out "shared one" "machine A ($url)"
  expect_eq "$(compiles cxx)" 1 "compiles on machine A ($url)"

  expect_code 7 env SEALEXEC_CACHE_DIR="$WORK/B" "$SEALEXEC" script -v --remote "$url" \
    --compiler "$WORK/cxx" "$WORK/shared.cpp" two
  expect_out "shared two" "machine B ($url)"
  expect_eq "$(compiles cxx)" 1 "compiles after machine B ran it ($url)"
  expect_not_compiled "machine B ($url)"
  [ "$(remote_stat B hits)" -ge 2 ] || fail "B's remote hits: $(remote_stat B hits), expected the manifest and the binary"

  # B now runs it from its own cache with the remote switched off.
  expect_code 7 env SEALEXEC_CACHE_DIR="$WORK/B" "$SEALEXEC" script --remote none \
    --compiler "$WORK/cxx" "$WORK/shared.cpp" three
  expect_out "shared three" "machine B, local ($url)"
done
