#!/bin/sh
# The Rust example (examples/rust), built with Debian's cargo and rustc,
# offline, std only, against the shared library of this build: an "engine"
# that caches its compiled code with sealexec, loads it into a sealed
# read-only mapping and calls into it -- the Wasmtime crash's case.
#
# What must hold:
#   - it links libsealexec.so.1 (the SONAME), found through its RUNPATH;
#   - first run: a miss, it compiles and puts; the call gives f(20) = 41;
#     second run: a hit, no compile;
#   - the other configuration (same key, other fingerprint) misses, then has
#     an entry of its own; neither is ever served the other's code;
#   - the memfd refuses write/pwrite/ftruncate with EPERM, the mapping
#     refuses mprotect(PROT_WRITE) with EACCES, /proc/self/maps shows it r-x
#     from a sealexec memfd;
#   - the cache's file rewritten in place under the running code changes
#     nothing there, and is a miss plus quarantine, never wrong code;
#   - the CLI reads exactly the bytes the Rust program put, and the Rust
#     program reads what the CLI put;
#   - a directory that is neither empty nor a cache is refused with
#     SEALEXEC_E_POLICY and the C API's message, and left untouched.
# Needs: SEALEXEC_LIBRARY (libsealexec.so.1), SEALEXEC_INCLUDE_DIR, SEALEXEC.
. "$TEST_LIB"

: "${SEALEXEC_LIBRARY:?SEALEXEC_LIBRARY must name libsealexec.so.1}"

[ -z "${SANITIZE:-}" ] ||
  skip "sanitizer build ($SANITIZE): a Rust program cannot load the instrumented libsealexec without the sanitizer's runtime preloaded"
[ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] ||
  skip "needs Debian's cargo and rustc in /usr/bin (make deps, or apt-get install cargo rustc)"
if [ "$(cat /proc/sys/vm/memfd_noexec 2>/dev/null || echo 0)" = 2 ]; then
  skip "vm.memfd_noexec = 2: this system forbids executable memfds, so no code can run from one"
fi

lib_dir=$(dirname "$SEALEXEC_LIBRARY")
[ -e "$lib_dir/libsealexec.so" ] || fail "no development link $lib_dir/libsealexec.so"
[ -f "$SEALEXEC_INCLUDE_DIR/sealexec.h" ] || fail "no sealexec.h in $SEALEXEC_INCLUDE_DIR"

# The example's declarations follow the header: its major version is theirs.
grep -q '^#define SEALEXEC_API_VERSION_MAJOR 1$' "$SEALEXEC_INCLUDE_DIR/sealexec.h" ||
  fail "sealexec.h's major API version is no longer 1: update examples/rust/src/sealexec.rs"

# Build with Debian's toolchain only: no rustup, no network, nothing written
# into the source tree (Cargo.lock is committed; --locked keeps it as it is).
set +e
env -i HOME="$WORK" PATH=/usr/bin:/bin RUSTC=/usr/bin/rustc \
  CARGO_HOME="$WORK/cargo-home" CARGO_TARGET_DIR="$WORK/target" \
  CARGO_NET_OFFLINE=true RUSTFLAGS="-D warnings" SEALEXEC_LIB_DIR="$lib_dir" \
  /usr/bin/cargo build --offline --locked --quiet \
  --manifest-path "$SOURCE_DIR/examples/rust/Cargo.toml" >"$WORK/build.log" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || { cat "$WORK/build.log" >&2; fail "cargo build failed ($rc)"; }
bin="$WORK/target/debug/sealexec-cached-code"
[ -x "$bin" ] || fail "cargo built no $bin"

# Linked against the shared library by its SONAME, found through RUNPATH.
if command -v readelf >/dev/null 2>&1; then
  readelf -d "$bin" >"$WORK/dynamic"
  expect_file_contains "$WORK/dynamic" "Shared library: [libsealexec.so.1]"
  expect_file_contains "$WORK/dynamic" "$lib_dir"
fi

case $(uname -m) in
  x86_64) native=yes ;;
  *) native=no ;;
esac
cranelift_fp='engine=cranelift;version=1;target=x86_64'
winch_fp='engine=winch;version=1;target=x86_64'
key=demo/double-plus-one
cache="$WORK/cache"

# expect_out TEXT: the last run's stdout holds TEXT.
expect_out() { expect_file_contains "$WORK/out" "$1"; }
expect_not_out() {
  ! grep -qF -- "$1" "$WORK/out" || { cat "$WORK/out" >&2; fail "stdout holds '$1'"; }
}
expect_call() { # expect_call LABEL X RESULT: the line "LABEL: f(X) = RESULT"
  if [ $native = yes ]; then
    expect_out "$1: f($2) = $3"
  else
    expect_out "$1: skipped, this host is"
  fi
}

# --- First run: a miss, compile, put, load, call; every guarantee.
expect_code 0 "$bin" --cache "$cache"
expect_not_out "GUARANTEE BROKEN"
expect_out "[cranelift] fingerprint: $cranelift_fp"
expect_out "[cranelift] lookup: miss"
expect_out "[cranelift] compiled 5 bytes of x86_64 code (8d 44 3f 01 c3) and put them in the cache"
expect_out "[cranelift] loaded: sealexec:double-plus-one:"
expect_call "[cranelift] call" 20 41
# The code runs from a read-only, executable, shared mapping of a sealexec
# memfd: "r-xs ... /memfd:sealexec:double-plus-one:<digest> (deleted)".
grep '^\[cranelift\] /proc/self/maps: ' "$WORK/out" >"$WORK/maps"
grep -Eq ' r-x[sp] .*/memfd:sealexec:double-plus-one:[0-9a-f]{12}' "$WORK/maps" ||
  { cat "$WORK/out" >&2; fail "the code is not mapped r-x from a sealexec memfd"; }
# (a) the other configuration, same key: a miss, then an entry of its own.
expect_out "(a) [winch] lookup: miss, cranelift's code is not served to it"
expect_out "(a) [winch] compiled 7 bytes (8d 04 3f 83 c0 01 c3) and put them under the same key"
expect_out "(a) [cranelift] lookup again: hit, its own 5 bytes, winch's entry is separate"
# (b) nothing writes into the code.
expect_out "(b) write() to the image's memfd: refused, EPERM"
expect_out "(b) pwrite() at offset 0 of the image's memfd: refused, EPERM"
expect_out "(b) ftruncate() of the image's memfd to 0: refused, EPERM"
expect_out "(b) ftruncate() of the image's memfd to 1 MiB: refused, EPERM"
expect_out "(b) mprotect(PROT_READ|PROT_WRITE) of the mapping: refused, EACCES"
# (c) the cache's file rewritten in place under the running code.
expect_out "rewritten in place with winch's code, as Wasmtime's cache file was; it now holds 8d 04 3f 83 c0 01 c3"
expect_out "(c) [cranelift] the mapped code is still 8d 44 3f 01 c3"
expect_call "(c) [cranelift] call after the rewrite" 20 41
expect_out "(c) [cranelift] lookup after the rewrite: miss, the damage was detected"
expect_out "(c) [cranelift] put again: lookup hit, 8d 44 3f 01 c3"
expect_out "all guarantees held"
# The damaged file was moved aside by the C API, not served and not deleted.
[ -n "$(ls -A "$cache/quarantine" 2>/dev/null)" ] || fail "nothing was quarantined after the rewrite"

# --- Second run: hits for both configurations, no compile.
expect_code 0 "$bin" --cache "$cache" --arg -7
expect_out "[cranelift] lookup: hit, 5 bytes"
expect_not_out "compiled"
expect_call "[cranelift] call" -7 -13
expect_out "(a) [winch] lookup: hit, 7 bytes (8d 04 3f 83 c0 01 c3), its own entry"
expect_out "all guarantees held"

# --- The other engine's own run: its 7 bytes, the same function.
expect_code 0 "$bin" --cache "$cache" --engine winch --no-tamper --arg 1000
expect_out "[winch] lookup: hit, 7 bytes"
expect_call "[winch] call" 1000 2001
expect_out "(a) [cranelift] lookup: hit, 5 bytes (8d 44 3f 01 c3), its own entry"
expect_out "(c) skipped (--no-tamper)"
expect_out "all guarantees held"

# --- Interop: the CLI gets exactly what the Rust program put, per fingerprint.
printf '\215\104\077\001\303' >"$WORK/cranelift.bin"
printf '\215\004\077\203\300\001\303' >"$WORK/winch.bin"
"$SEALEXEC" cache get --dir "$cache" --fingerprint "$cranelift_fp" "$key" >"$WORK/got" ||
  fail "sealexec cache get of the cranelift entry failed"
cmp "$WORK/got" "$WORK/cranelift.bin" || fail "the CLI got other bytes than the cranelift entry"
"$SEALEXEC" cache get --dir "$cache" --fingerprint "$winch_fp" "$key" >"$WORK/got" ||
  fail "sealexec cache get of the winch entry failed"
cmp "$WORK/got" "$WORK/winch.bin" || fail "the CLI got other bytes than the winch entry"
# A third configuration has nothing under that key.
set +e
"$SEALEXEC" cache get --dir "$cache" --fingerprint 'engine=cranelift;version=2;target=x86_64' \
  "$key" >"$WORK/got" 2>"$WORK/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "the CLI found an entry for a configuration nobody stored"
[ ! -s "$WORK/got" ] || fail "the CLI printed bytes for a miss"
# ...and the Rust program runs what the CLI put.
"$SEALEXEC" cache put --dir "$cache" --fingerprint "$cranelift_fp" cli/made "$WORK/cranelift.bin" ||
  fail "sealexec cache put failed"
expect_code 0 "$bin" --cache "$cache" --key cli/made --no-tamper --arg 5
expect_out "key: cli/made"
expect_out "[cranelift] lookup: hit, 5 bytes"
expect_out "[cranelift] loaded: sealexec:made:"
expect_call "[cranelift] call" 5 11

# --- An error of the C API, as the program reports it: a directory that is
# neither empty nor a sealexec cache is refused, and left as it was.
mkdir "$WORK/home"
echo 'alias ll="ls -l"' >"$WORK/home/.bashrc"
expect_code 2 "$bin" --cache "$WORK/home"
expect_file_contains "$WORK/err" "sealexec-cached-code: cannot open the cache: SEALEXEC_E_POLICY (6): "
expect_file_contains "$WORK/err" "refused as a cache: it is neither empty nor a sealexec cache"
expect_file_contains "$WORK/err" "'.bashrc'"
expect_file_contains "$WORK/err" "(path '$WORK/home'"
[ ! -s "$WORK/out" ] || fail "unexpected stdout: $(cat "$WORK/out")"
expect_eq "$(ls -A "$WORK/home")" ".bashrc" "the refused directory's contents"

echo "ok: the Rust example ran cached code from sealed memory, and every guarantee held"
