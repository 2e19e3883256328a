// Cache benchmarks, each against a baseline measured in the same run:
//   hits:  load_image of 4 KiB, 1 MiB and 64 MiB entries vs a bare
//          open + sendfile into a memfd (no checks)           target <= 1.3x
//   puts:  put vs write + fsync + rename of the same bytes
//   gc:    a whole-cache gc over 100,000 entries, and one automatic
//          (one-shard) gc
//   8 processes loading entries at once
#include "sealexec/cache/cache.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

using namespace sealexec;
using namespace sealexec::cache;

namespace {

const Fingerprint k_fp = Fingerprint::of({{"engine", "bench"}});

Sha256Digest key_for(const std::string& name) {
  const std::string_view inputs[] = {name};
  return make_key(k_fp, inputs);
}

std::vector<std::byte> content_of(std::size_t size, unsigned seed) {
  std::vector<std::byte> content(size);
  std::mt19937 random(seed);
  for (auto& b : content) {
    b = static_cast<std::byte>(random());
  }
  return content;
}

// A scratch directory removed at exit. The path is never destroyed, so the
// atexit handler cannot outlive it.
const std::filesystem::path& scratch() {
  static const std::filesystem::path* const dir = [] {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir ? tmpdir : "/tmp") + "/sealexec-bench-cache.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::abort();
    }
    return new std::filesystem::path(pattern);
  }();
  static const bool removed_at_exit =
      std::atexit([] { std::filesystem::remove_all(*dir); }) == 0;
  (void)removed_at_exit;
  return *dir;
}

// g++ 12 warns, wrongly, that destroying the moved-from Expected frees a
// non-heap object (its flow analysis loses track of the error's string).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
Cache open_cache(const std::string& name, CacheConfig config = {}) {
  config.gc_every = 0;
  auto cache = Cache::open(scratch() / name, config);
  if (!cache) {
    std::abort();
  }
  return std::move(*cache);
}
#pragma GCC diagnostic pop

// "miss", or the error a load returned, for SkipWithError (which keeps the
// pointer, so the text lives in a static).
template <typename Loaded>
const char* failure_of(const Loaded& loaded) {
  static std::string text;
  text = loaded ? "miss" : "error: " + loaded.error().message();
  return text.c_str();
}

// A put entry of `size` random bytes, and a plain file with the same bytes
// for the baseline.
struct HitFixture {
  Cache cache = open_cache("hits");
  Sha256Digest key;
  std::filesystem::path plain;
};

HitFixture* hit_fixture(std::size_t size, std::string& error) {
  static std::map<std::size_t, std::unique_ptr<HitFixture>> fixtures;
  auto& slot = fixtures[size];
  if (!slot) {
    auto made = std::make_unique<HitFixture>();
    const auto content = content_of(size, 1);
    made->key = key_for("hit-" + std::to_string(size));
    made->plain = scratch() / ("baseline-" + std::to_string(size));
    if (!made->cache.put(made->key, k_fp, content)) {
      error = "put failed";
      return nullptr;
    }
    const int fd = ::open(made->plain.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
    const bool written =
        fd >= 0 && ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(size);
    if (fd >= 0) {
      ::close(fd);
    }
    if (!written) {
      error = "cannot write the baseline file";
      return nullptr;
    }
    slot = std::move(made);
  }
  return slot.get();
}

// One cache hit: the entry checked, its blob copied into a sealed memfd and
// every byte verified; the image is freed again.
const char* load_once(HitFixture& fixture) {
  auto image = fixture.cache.load_image(fixture.key, k_fp);
  return image && *image ? nullptr : failure_of(image);
}

// The floor: what any cache that hands out memfd copies must do, with no
// checks at all.
bool sendfile_once(const std::filesystem::path& path, std::size_t size) {
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const int memfd = ::memfd_create("baseline", MFD_CLOEXEC);
  off_t offset = 0;
  std::size_t left = size;
  while (left > 0) {
    const ssize_t sent = ::sendfile(memfd, in, &offset, left);
    if (sent <= 0) {
      break;
    }
    left -= static_cast<std::size_t>(sent);
  }
  ::close(in);
  ::close(memfd);
  return left == 0;
}

void set_bytes(benchmark::State& state, std::size_t size) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(size));
}

void BM_CacheHit(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::string error;
  HitFixture* fixture = hit_fixture(size, error);
  if (fixture == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    if (const char* failed = load_once(*fixture)) {
      state.SkipWithError(failed);
      return;
    }
  }
  set_bytes(state, size);
}

void BM_BaselineOpenSendfile(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::string error;
  HitFixture* fixture = hit_fixture(size, error);
  if (fixture == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    if (!sendfile_once(fixture->plain, size)) {
      state.SkipWithError("sendfile failed");
      return;
    }
  }
  set_bytes(state, size);
}

// The two alternated in one loop, so that both see the same machine state
// (this machine's speed drifts by 20% within a minute); the target uses this
// ratio.
void BM_HitVsSendfile(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const auto size = static_cast<std::size_t>(state.range(0));
  std::string error;
  HitFixture* fixture = hit_fixture(size, error);
  if (fixture == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  Clock::duration hit_total{};
  Clock::duration baseline_total{};
  bool hit_first = true;
  for (auto _ : state) {
    for (int turn = 0; turn < 2; ++turn) {
      const bool hit_turn = (turn == 0) == hit_first;
      const auto start = Clock::now();
      const char* failed = hit_turn ? load_once(*fixture)
                           : sendfile_once(fixture->plain, size) ? nullptr
                                                                 : "sendfile failed";
      (hit_turn ? hit_total : baseline_total) += Clock::now() - start;
      if (failed != nullptr) {
        state.SkipWithError(failed);
        return;
      }
    }
    hit_first = !hit_first;
  }
  const auto iterations = static_cast<double>(state.iterations());
  const double hit_us = std::chrono::duration<double, std::micro>(hit_total).count() / iterations;
  const double baseline_us =
      std::chrono::duration<double, std::micro>(baseline_total).count() / iterations;
  state.counters["hit_us"] = hit_us;
  state.counters["sendfile_us"] = baseline_us;
  state.counters["ratio"] = baseline_us > 0 ? hit_us / baseline_us : 0.0;
  state.SetLabel("ratio = load_image / open + sendfile");
}

// The other way to load: a read-only mapping of the blob file (verified,
// no copy).
void BM_CacheHitMapping(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::string error;
  HitFixture* fixture = hit_fixture(size, error);
  if (fixture == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    auto mapped = fixture->cache.load_mapping(fixture->key, k_fp);
    if (!mapped || !*mapped) {
      state.SkipWithError(failure_of(mapped));
      return;
    }
    benchmark::DoNotOptimize((*mapped)->mapping.size());
  }
  set_bytes(state, size);
}

void BM_CachePut(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  Cache cache = open_cache("puts");
  std::uint64_t n = 0;
  for (auto _ : state) {
    // Different content each time, so that every put writes a new blob.
    state.PauseTiming();
    auto content = content_of(size, static_cast<unsigned>(++n));
    state.ResumeTiming();
    if (!cache.put(key_for("put-" + std::to_string(n % 64)), k_fp, content)) {
      state.SkipWithError("put failed");
      return;
    }
  }
  set_bytes(state, size);
}

// The floor for a crash-safe write: write, fsync, rename, fsync the directory.
void BM_BaselineWriteFsyncRename(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const auto dir = scratch() / "put-baseline";
  std::filesystem::create_directories(dir);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  std::uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto content = content_of(size, static_cast<unsigned>(++n));
    state.ResumeTiming();
    const std::string tmp = "tmp." + std::to_string(n);
    const int fd = ::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0444);
    (void)!::write(fd, content.data(), content.size());
    ::fsync(fd);
    ::close(fd);
    ::renameat(dir_fd, tmp.c_str(), dir_fd, ("final." + std::to_string(n % 64)).c_str());
    ::fsync(dir_fd);
  }
  ::close(dir_fd);
  set_bytes(state, size);
}

// Real compiled code (this benchmark's own executable) stored plain and as
// zstd, for choosing the compression default from a measurement.
const std::vector<std::byte>& compiled_code() {
  static const std::vector<std::byte> bytes = [] {
    std::vector<std::byte> read;
    const int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    std::byte chunk[1 << 16];
    for (ssize_t got; fd >= 0 && (got = ::read(fd, chunk, sizeof chunk)) > 0;) {
      read.insert(read.end(), chunk, chunk + got);
    }
    ::close(fd);
    return read;
  }();
  return bytes;
}

Cache open_compiled_code_cache(bool compress) {
  CacheConfig config;
  config.compress = compress;
  return open_cache(compress ? "zstd" : "plain", config);
}

void BM_PutCompiledCode(benchmark::State& state) {
  const bool compress = state.range(0) != 0;
  Cache cache = open_compiled_code_cache(compress);
  const auto& content = compiled_code();
  std::uint64_t n = 0;
  for (auto _ : state) {
    // The same bytes each time: the blob is rewritten only if it is missing,
    // so remove it first to measure a whole put.
    state.PauseTiming();
    const auto sha = sealexec::sha256(content);
    std::filesystem::remove(cache.directory().path() / blob_path(sha));
    std::filesystem::remove(cache.directory().path() / compressed_blob_path(sha));
    state.ResumeTiming();
    if (!cache.put(key_for("code-" + std::to_string(++n % 8)), k_fp, content)) {
      state.SkipWithError("put failed");
      return;
    }
  }
  const auto sha = sealexec::sha256(content);
  const auto stored = cache.directory().path() /
                      (compress ? compressed_blob_path(sha) : blob_path(sha));
  std::error_code error;
  const auto stored_size = std::filesystem::file_size(stored, error);
  state.counters["stored_fraction"] =
      error ? 0.0 : static_cast<double>(stored_size) / static_cast<double>(content.size());
  state.SetLabel(compress ? "zstd level 3" : "uncompressed");
  set_bytes(state, content.size());
}

void BM_HitCompiledCode(benchmark::State& state) {
  const bool compress = state.range(0) != 0;
  Cache cache = open_compiled_code_cache(compress);
  const auto key = key_for("code-hit");
  if (!cache.put(key, k_fp, compiled_code())) {
    state.SkipWithError("put failed");
    return;
  }
  for (auto _ : state) {
    auto image = cache.load_image(key, k_fp);
    if (!image || !*image) {
      state.SkipWithError(failure_of(image));
      return;
    }
  }
  state.SetLabel(compress ? "zstd level 3" : "uncompressed");
  set_bytes(state, compiled_code().size());
}

// 100,000 entries, written straight into the layout (no fsync: this is the
// setup, not what is measured).
Cache& big_cache() {
  static Cache cache = [] {
    CacheConfig config;
    config.max_entries = 1'000'000;
    Cache made = open_cache("gc", config);
    for (int i = 0; i < 100'000; ++i) {
      const std::string name = std::to_string(i);
      const auto content = std::as_bytes(std::span(name.data(), name.size()));
      const auto sha = sealexec::sha256(content);
      ActionEntry entry{.fingerprint = k_fp.canonical(),
                        .blob_sha256 = sha,
                        .blob_xxh3 = xxh3_128(content),
                        .size = content.size()};
      for (const auto& [relative, bytes] :
           {std::pair{entry_path(key_for(name)), serialize(entry)},
            std::pair{blob_path(sha), std::vector<std::byte>(content.begin(), content.end())}}) {
        const auto path = made.directory().path() / relative;
        std::filesystem::create_directories(path.parent_path());
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0444);
        (void)!::write(fd, bytes.data(), bytes.size());
        ::close(fd);
      }
    }
    return made;
  }();
  return cache;
}

void BM_GcWholeCache100k(benchmark::State& state) {
  Cache& cache = big_cache();
  for (auto _ : state) {
    const auto report = cache.gc();
    if (!report || report->entries_after != 100'000) {
      state.SkipWithError("gc failed or evicted");
      return;
    }
  }
  state.counters["entries"] = 100'000;
}

void BM_GcOneShard100k(benchmark::State& state) {
  Cache& cache = big_cache();
  GcOptions options;
  options.whole_cache = false;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.gc(options));
  }
}

// 8 processes, each loading random entries of 64 x 1 MiB for a fixed time;
// the counter is loads per second across all of them.
void BM_EightProcessHits(benchmark::State& state) {
  Cache cache = open_cache("concurrent");
  for (int i = 0; i < 64; ++i) {
    if (!cache.put(key_for("c" + std::to_string(i)), k_fp, content_of(std::size_t{1} << 20, static_cast<unsigned>(i)))) {
      state.SkipWithError("put failed");
      return;
    }
  }
  for (auto _ : state) {
    int pipes[8][2];
    const auto start = std::chrono::steady_clock::now();
    for (int p = 0; p < 8; ++p) {
      (void)!::pipe(pipes[p]);
      if (::fork() == 0) {
        Cache mine = open_cache("concurrent");
        std::mt19937 random(static_cast<unsigned>(p));
        std::uint64_t loads = 0;
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        while (std::chrono::steady_clock::now() < end) {
          auto image = mine.load_image(key_for("c" + std::to_string(random() % 64)), k_fp);
          loads += image && *image ? 1U : 0U;
        }
        (void)!::write(pipes[p][1], &loads, sizeof loads);
        std::_Exit(0);
      }
    }
    std::uint64_t total = 0;
    for (auto& pipe : pipes) {
      std::uint64_t loads = 0;
      (void)!::read(pipe[0], &loads, sizeof loads);
      total += loads;
      ::close(pipe[0]);
      ::close(pipe[1]);
    }
    while (::wait(nullptr) > 0) {
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.counters["loads_per_s"] = static_cast<double>(total) / seconds; // 1 MiB each
  }
}

} // namespace

BENCHMARK(BM_CacheHit)->Arg(4 << 10)->Arg(1 << 20)->Arg(64 << 20)->UseRealTime();
BENCHMARK(BM_BaselineOpenSendfile)->Arg(4 << 10)->Arg(1 << 20)->Arg(64 << 20)->UseRealTime();
BENCHMARK(BM_HitVsSendfile)->Arg(4 << 10)->Arg(1 << 20)->Arg(64 << 20)->UseRealTime();
BENCHMARK(BM_CacheHitMapping)->Arg(4 << 10)->Arg(1 << 20)->Arg(64 << 20)->UseRealTime();
BENCHMARK(BM_PutCompiledCode)->Arg(0)->Arg(1)->UseRealTime();
BENCHMARK(BM_HitCompiledCode)->Arg(0)->Arg(1)->UseRealTime();
BENCHMARK(BM_CachePut)->Arg(4 << 10)->Arg(1 << 20)->UseRealTime();
BENCHMARK(BM_BaselineWriteFsyncRename)->Arg(4 << 10)->Arg(1 << 20)->UseRealTime();
BENCHMARK(BM_GcWholeCache100k)->Iterations(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GcOneShard100k)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_EightProcessHits)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
