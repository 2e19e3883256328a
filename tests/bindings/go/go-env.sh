# Sourced by the Go binding tests after common.sh: checks the toolchain and
# sets up an offline, throw-away Go environment in $WORK that builds
# examples/go against this build's libsealexec.
#   go_build CMD ARGS...   runs `/usr/bin/go CMD -tags sealexec_noflags ARGS`
#                          in examples/go (cgo flags from the environment)

: "${SEALEXEC_LIBRARY:?}" "${SEALEXEC_INCLUDE_DIR:?}"

[ -z "${SANITIZE:-}" ] || skip "sanitizer build ($SANITIZE): an ASan-instrumented libsealexec cannot be loaded into a Go program without the ASan runtime preloaded"
[ -x /usr/bin/go ] || skip "no /usr/bin/go: Debian's golang-go is not installed (make deps installs it)"
[ -f "$SEALEXEC_LIBRARY" ] || fail "no shared library at $SEALEXEC_LIBRARY"

# Debian's toolchains only, whatever else is on PATH (pyenv, rustup...): the
# embedded script's "#!/usr/bin/env python3" must find /usr/bin/python3.
PATH=/usr/bin:/bin
export PATH

# No network, no module downloads, nothing written outside $WORK.
export HOME="$WORK/home" GOPATH="$WORK/gopath" GOCACHE="$WORK/gocache" \
  GOMODCACHE="$WORK/gopath/pkg/mod" GOPROXY=off GOFLAGS=-mod=mod GO111MODULE=on \
  GOTOOLCHAIN=local GOTELEMETRY=off CGO_ENABLED=1
mkdir -p "$HOME"
for cc in gcc gcc-12 cc; do
  if command -v "$cc" >/dev/null 2>&1; then CC=$cc; break; fi
done
[ -n "${CC:-}" ] || skip "cgo needs a C compiler (gcc)"
export CC

# The library under the names the link (-lsealexec) and the loader (its
# SONAME) look for, in a directory of the test's own.
mkdir -p "$WORK/lib"
ln -s "$SEALEXEC_LIBRARY" "$WORK/lib/libsealexec.so"
ln -s "$SEALEXEC_LIBRARY" "$WORK/lib/libsealexec.so.1"
export CGO_CFLAGS="-I$SEALEXEC_INCLUDE_DIR -O2 -g"
export CGO_LDFLAGS="-L$WORK/lib -Wl,-rpath,$WORK/lib"
# Not LD_LIBRARY_PATH: the programs find the library through their RUNPATH.
unset LD_LIBRARY_PATH

go_build() {
  go_command=$1
  shift
  (cd "$SOURCE_DIR/examples/go" && /usr/bin/go "$go_command" -tags sealexec_noflags "$@") \
    >"$WORK/go.log" 2>&1 || { cat "$WORK/go.log" >&2; fail "go $*"; }
}
