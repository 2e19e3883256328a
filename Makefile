# sealexec: the first two targets set up a fresh Debian 12 machine, build,
# and then run the demo or the tests. Everything else builds on them.
#
#   make run       install missing packages, build, run the demo
#   make test      install missing packages, build, run every test
#   make sanitize  the test suite built with ASan + UBSan (clang-19)
#   make fuzz      each libFuzzer target for FUZZ_SECONDS (default 30)
#   make bench     benchmarks; results in build/release/bench/results.md
#   make stress    long cache stress runs (STRESS_SECONDS, default 60)
#   make corpus    every /usr/bin and /usr/sbin program's --version, directly
#                  and through sealexec, compared (docs/corpus.md)
#   make deb       a Debian package of the build (scripts/make-deb.sh)
#   make check-glibc  check --deps's glibc 2.41 predictions against the real
#                  glibc in a Debian 13 chroot (root; tests/glibc/README.md)

BUILD      ?= build/release
SAN_BUILD  ?= build/sanitize
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 30
STRESS_SECONDS ?= 60
CORPUS_OPTIONS ?=
CORPUS_OUT ?= $(BUILD)/corpus
GLIBC_ROOT ?= build/roots/trixie-amd64
JOBS       ?= $(shell nproc)

# Debian 12 packages the project needs to build, test, fuzz and benchmark.
DEBIAN_PACKAGES := \
  g++-12 cmake ninja-build pkg-config make \
  libssl-dev libxxhash-dev libfmt-dev nlohmann-json3-dev libzstd-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  clang-19 libclang-rt-19-dev llvm-19 \
  hyperfine xxhash python3 libcap2-bin attr util-linux procps file binutils \
  tcc pax-utils checksec ccache zlib1g-dev libsqlite3-dev clangd \
  psmisc bzip2 xz-utils perl gdb valgrind strace ltrace linux-perf \
  libsodium-dev libhiredis-dev libcurl4-openssl-dev redis-server redis-tools nginx \
  gnuplot-nox systemd squashfs-tools \
  debootstrap qemu-user-static podman umoci \
  golang-go rustc cargo lintian dpkg-dev fakeroot zsh fish bash-completion groff-base man-db

.PHONY: run test deps build configure sanitize fuzz bench stress corpus check-glibc clean install deb help

run: build
	demo/run-demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300 -j$(JOBS)

deps:
	@scripts/install-deps.sh $(DEBIAN_PACKAGES)

$(BUILD)/build.ninja: | deps
	CC=gcc-12 CXX=g++-12 cmake -S . -B $(BUILD) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEALEXEC_WERROR=ON

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j$(JOBS)

sanitize: deps
	@test -f $(SAN_BUILD)/build.ninja || CC=clang-19 CXX=clang++-19 cmake -S . -B $(SAN_BUILD) \
	  -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSEALEXEC_WERROR=ON \
	  -DSEALEXEC_SANITIZE=address,undefined -DSEALEXEC_BENCHMARKS=OFF
	cmake --build $(SAN_BUILD) -j$(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --timeout 600 -j$(JOBS)

fuzz: deps
	@test -f $(FUZZ_BUILD)/build.ninja || CC=clang-19 CXX=clang++-19 cmake -S . -B $(FUZZ_BUILD) \
	  -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEALEXEC_FUZZERS=ON -DSEALEXEC_TESTS=OFF \
	  -DSEALEXEC_BENCHMARKS=OFF -DSEALEXEC_STATIC_CLI=OFF -DSEALEXEC_SANITIZE=address,undefined
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	bench/run-benchmarks.sh $(BUILD)

stress: build
	scripts/run-stress.sh $(BUILD) $(STRESS_SECONDS)

corpus: build
	scripts/corpus-sweep.sh $(CORPUS_OPTIONS) $(BUILD)/src/sealexec $(CORPUS_OUT)

# Skips with a loud SKIPPED banner (exit 0) where it cannot run.
check-glibc: build
	tests/glibc/check-glibc.sh $(BUILD)/src/sealexec $(GLIBC_ROOT) $(BUILD)/glibc-measured.md

# A Debian package of the release build in $(BUILD)/deb (scripts/make-deb.sh).
deb: build
	scripts/make-deb.sh $(BUILD)

install: build
	cmake --install $(BUILD) --strip

clean:
	rm -rf build

help:
	@sed -n '1,17p' Makefile
