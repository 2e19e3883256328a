# Every dependency is a Debian package found through its own CMake config or
# pkg-config; nothing is vendored. ARCHITECTURE.md says why each one is here.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)   # SHA-256
find_package(fmt REQUIRED)                            # messages (header-only use)
find_package(nlohmann_json 3 REQUIRED)                # check --json, compile_commands.json
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)  # XXH3-128 content digests
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)       # optional cache compression
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)   # Ed25519 signatures on shared entries
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)    # the Redis backend of the remote tier
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)       # HTTP backends (sealexec-remote-http only)

if(SEALEXEC_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SEALEXEC_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
