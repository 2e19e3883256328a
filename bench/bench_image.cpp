// Making a SealedImage against copying the same number of bytes with memcpy,
// in the same run.
//
// Target: SealedImage::from_path of a 100 MiB regular file (page cache warm)
// reaches at least 50% of memcpy's throughput. memcpy is measured two ways:
//   * into a freshly mmap'd anonymous buffer, page faults included: the fair
//     baseline, since an image is new memory too;
//   * into a pre-faulted buffer reused every iteration: the upper bound.
// Also measured: SealedImage::from_bytes of 100 MiB, and from_path of a 16 KiB
// file (per-image overhead).
//
// The files live in a temporary directory made at start and removed at exit.

#include "sealexec/image/sealed_image.h"

#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace {

constexpr std::size_t k_large_size = std::size_t{100} << 20;
constexpr std::size_t k_small_size = std::size_t{16} << 10;

struct Fixture {
  std::filesystem::path directory;
  std::filesystem::path large_file;
  std::filesystem::path small_file;
  // The large file's bytes, in memory and faulted in: the memcpy source.
  std::vector<std::byte> large_bytes;
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

// Incompressible, non-zero bytes: no file system or memory trick can skip them.
std::vector<std::byte> random_bytes(std::size_t size) {
  std::vector<std::byte> bytes(size);
  std::mt19937_64 generator(0x5ea1ec);
  for (std::size_t i = 0; i < size; i += sizeof(std::uint64_t)) {
    const std::uint64_t word = generator();
    std::memcpy(bytes.data() + i, &word, std::min(sizeof word, size - i));
  }
  return bytes;
}

bool write_file(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  return static_cast<bool>(out);
}

bool set_up() {
  Fixture& f = fixture();
  std::string pattern = (std::filesystem::temp_directory_path() / "sealexec-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return false;
  }
  f.directory = pattern;
  f.large_file = f.directory / "large.bin";
  f.small_file = f.directory / "small.bin";
  f.large_bytes = random_bytes(k_large_size);
  if (!write_file(f.large_file, f.large_bytes) ||
      !write_file(f.small_file, std::span(f.large_bytes).first(k_small_size))) {
    std::fprintf(stderr, "cannot write the test files in %s\n", f.directory.c_str());
    return false;
  }
  // Just written, so in the page cache; one image made here warms every
  // other path the benchmarks take as well.
  auto warm = sealexec::SealedImage::from_path(f.large_file);
  if (!warm) {
    std::fprintf(stderr, "%s\n", warm.error().message().c_str());
    return false;
  }
  return true;
}

void tear_down() {
  Fixture& f = fixture();
  if (!f.directory.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(f.directory, ignored);
  }
}

void BM_ImageFromFile(benchmark::State& state, bool large) {
  const Fixture& f = fixture();
  const std::filesystem::path& path = large ? f.large_file : f.small_file;
  const std::size_t size = large ? k_large_size : k_small_size;
  for (auto _ : state) {
    auto image = sealexec::SealedImage::from_path(path);
    if (!image) {
      state.SkipWithError(image.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(image->fd());
    // The image is destroyed here: unmapping it and freeing its pages is
    // part of what an image costs, as munmap is for the fresh memcpy.
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

void BM_ImageFromBytes(benchmark::State& state) {
  const std::span<const std::byte> bytes(fixture().large_bytes);
  for (auto _ : state) {
    auto image = sealexec::SealedImage::from_bytes(bytes);
    if (!image) {
      state.SkipWithError(image.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(image->fd());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

// memcpy into new anonymous memory, page faults included, then unmapped.
void BM_MemcpyFreshBuffer(benchmark::State& state) {
  const std::vector<std::byte>& source = fixture().large_bytes;
  for (auto _ : state) {
    void* destination = ::mmap(nullptr, source.size(), PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (destination == MAP_FAILED) {
      state.SkipWithError("mmap failed");
      break;
    }
    benchmark::DoNotOptimize(destination);
    std::memcpy(destination, source.data(), source.size());
    benchmark::ClobberMemory();
    ::munmap(destination, source.size());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(source.size()));
}

// memcpy into a buffer faulted in once and reused: no kernel work at all.
void BM_MemcpyReusedBuffer(benchmark::State& state) {
  const std::vector<std::byte>& source = fixture().large_bytes;
  std::vector<std::byte> destination(source.size(), std::byte{1});
  for (auto _ : state) {
    benchmark::DoNotOptimize(destination.data());
    std::memcpy(destination.data(), source.data(), source.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(source.size()));
}

// The copying happens in the kernel (sendfile, page faults), so wall-clock
// time is what counts.
BENCHMARK_CAPTURE(BM_ImageFromFile, 100MiB, true)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemcpyFreshBuffer)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemcpyReusedBuffer)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImageFromBytes)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ImageFromFile, 16KiB, false)->UseRealTime()->Unit(benchmark::kMicrosecond);

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  if (!set_up()) {
    tear_down();
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  tear_down();
  return 0;
}
