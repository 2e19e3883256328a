// Stress tests of the cache under concurrency, crashes and corruption. Each
// mode exits 0 when the property held and 1, with one line saying what broke,
// when it did not. `make test` runs short versions; `make stress` long ones.
//
//   cache-stress wasmtime DIR SECONDS   a reader runs code mapped from an entry
//                                       while writers re-publish the same key
//   cache-stress mixed DIR SECONDS      8 processes put, get and gc at once
//   cache-stress kill9 DIR ROUNDS       writers killed at random moments
//   cache-stress flip DIR ROUNDS        random bytes flipped in published files
//   cache-stress maintenance DIR SECONDS  verify and gc while others remove and
//                                       re-publish the same keys: no damage is
//                                       ever reported and nothing valid moves
#include "sealexec/cache/cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace sealexec;
using namespace sealexec::cache;

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void broke(const std::string& what) {
  std::fprintf(stderr, "cache-stress: FAILED: %s\n", what.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

const Fingerprint k_fp = Fingerprint::of({{"engine", "stress"}, {"version", "1"}});

Sha256Digest key_for(int k) {
  const std::string name = "key-" + std::to_string(k);
  const std::string_view inputs[] = {name};
  return make_key(k_fp, inputs);
}

Cache open_cache(const std::string& dir, CacheConfig config = {}) {
  auto cache = Cache::open(dir, config);
  if (!cache) {
    broke(cache.error().message());
  }
  return std::move(*cache);
}

// Content that says which key and version it is and checks itself:
// "key=K version=V len=N|" + N pseudo-random bytes + XXH3-128 of all before.
std::vector<std::byte> make_content(int key, std::uint64_t version, std::mt19937_64& random,
                                    std::size_t max_length = 65536) {
  const std::size_t length = random() % max_length;
  std::string head = "key=" + std::to_string(key) + " version=" + std::to_string(version) +
                     " len=" + std::to_string(length) + "|";
  std::vector<std::byte> content(head.size() + length);
  std::memcpy(content.data(), head.data(), head.size());
  std::mt19937_64 fill(version * 7919 + static_cast<std::uint64_t>(key));
  for (std::size_t i = head.size(); i < content.size(); ++i) {
    content[i] = static_cast<std::byte>(fill());
  }
  const Xxh3Digest digest = xxh3_128(content);
  content.insert(content.end(), reinterpret_cast<const std::byte*>(digest.bytes.data()),
                 reinterpret_cast<const std::byte*>(digest.bytes.data()) + digest.bytes.size());
  return content;
}

// Checks content made by make_content for `key`.
void check_content(std::span<const std::byte> content, int key, const char* how) {
  if (content.size() < 16) {
    broke(std::string(how) + ": content too short");
  }
  Xxh3Digest digest;
  std::memcpy(digest.bytes.data(), content.data() + content.size() - 16, 16);
  if (xxh3_128(content.first(content.size() - 16)) != digest) {
    broke(std::string(how) + ": a hit returned bytes that are not what was put (torn or mixed)");
  }
  const std::string expected = "key=" + std::to_string(key) + " ";
  if (std::memcmp(content.data(), expected.data(), expected.size()) != 0) {
    broke(std::string(how) + ": a hit returned another key's content");
  }
}

bool deadline_passed(Clock::time_point end) { return Clock::now() >= end; }

// --- The Wasmtime reproduction ---------------------------------------------
//
// wasmtime#10283: a cached module was rewritten in place (fs::write) while
// other processes had it mapped and ran code from it; they died with SIGSEGV
// at their own instruction pointer. Here a reader maps an entry, executes the
// function in it over and over, while writers publish the same key with
// different code. The function must keep returning what it returned first.
std::vector<std::byte> code_returning(std::uint32_t value) {
  std::vector<std::byte> code(4096, std::byte{0xcc});
#if defined(__x86_64__)
  code[0] = std::byte{0xb8}; // mov eax, imm32
  std::memcpy(code.data() + 1, &value, 4);
  code[5] = std::byte{0xc3}; // ret
#else
  std::memcpy(code.data(), &value, 4); // bytes only on other machines
#endif
  return code;
}

// UBSan's -fsanitize=function reads a type signature just before the target
// of every indirect call. Our target is the first byte of a raw mapping, so
// that read lands on whatever page precedes it and faults when none does.
#if defined(__x86_64__)
#if defined(__clang__)
#define SEALEXEC_NO_SANITIZE_FUNCTION __attribute__((no_sanitize("function")))
#else
#define SEALEXEC_NO_SANITIZE_FUNCTION
#endif

SEALEXEC_NO_SANITIZE_FUNCTION
std::uint32_t call_code(const void* code) {
  return reinterpret_cast<std::uint32_t (*)()>(const_cast<void*>(code))();
}
#endif

int reader(const std::string& dir, Clock::time_point end) {
  Cache cache = open_cache(dir);
  auto mapped = cache.load_mapping(key_for(0), k_fp);
  if (!mapped || !*mapped) {
    broke("the reader found no entry to map");
  }
  // Map the immutable blob executable too, as a JIT or Wasm runtime would.
  const std::size_t size = (*mapped)->mapping.size();
  // Put an unmapped page right before the code, as the kernel sometimes
  // does: calling it must not read there (see call_code).
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* reserved = ::mmap(nullptr, page + size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (reserved == MAP_FAILED) {
    broke("cannot reserve address space for the code");
  }
  void* code = ::mmap(static_cast<char*>(reserved) + page, size, PROT_READ | PROT_EXEC,
                      MAP_SHARED | MAP_FIXED, (*mapped)->fd.get(), 0);
  if (code == MAP_FAILED || ::munmap(reserved, page) != 0) {
    broke("cannot map the entry executable");
  }
  std::uint32_t first = 0;
  std::memcpy(&first, (*mapped)->mapping.bytes().data() + 1, 4);
  const Xxh3Digest original = xxh3_128((*mapped)->mapping.bytes());
  std::uint64_t calls = 0;
  while (!deadline_passed(end)) {
#if defined(__x86_64__)
    if (call_code(code) != first) {
      broke("the code under a running reader changed");
    }
#endif
    if (++calls % 1024 == 0 && xxh3_128((*mapped)->mapping.bytes()) != original) {
      broke("the bytes under a reader's mapping changed");
    }
  }
  std::printf("reader: %llu calls, the code never changed\n", static_cast<unsigned long long>(calls));
  std::fflush(stdout);
  return 0;
}

int wasmtime(const std::string& dir, double seconds) {
  {
    Cache cache = open_cache(dir);
    if (!cache.put(key_for(0), k_fp, code_returning(1))) {
      broke("first put failed");
    }
  }
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  std::vector<pid_t> children;
  const pid_t reader_pid = ::fork();
  if (reader_pid == 0) {
    std::_Exit(reader(dir, end));
  }
  for (int w = 0; w < 3; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      CacheConfig config;
      config.max_entries = 4; // evictions unlink blobs under the reader too
      Cache cache = open_cache(dir, config);
      for (std::uint32_t v = 2 + static_cast<std::uint32_t>(w); !deadline_passed(end); v += 3) {
        if (!cache.put(key_for(0), k_fp, code_returning(v))) {
          broke("a writer's put failed");
        }
        if (v % 16 == 0) {
          GcOptions options;
          options.orphan_grace_s = 0;
          (void)cache.gc(options);
        }
      }
      std::_Exit(0);
    }
    children.push_back(pid);
  }
  int status = 0;
  ::waitpid(reader_pid, &status, 0);
  if (WIFSIGNALED(status)) {
    broke(std::string("the reader died of signal ") + ::strsignal(WTERMSIG(status)));
  }
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  for (const pid_t pid : children) {
    ::waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return ok ? 0 : 1;
}

// --- Mixed load --------------------------------------------------------------
int mixed(const std::string& dir, double seconds) {
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  std::vector<pid_t> children;
  for (int p = 0; p < 8; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      CacheConfig config;
      config.max_entries = 12; // keeps gc evicting
      config.gc_every = 4;
      Cache cache = open_cache(dir, config);
      std::mt19937_64 random(static_cast<std::uint64_t>(::getpid()));
      std::uint64_t version = static_cast<std::uint64_t>(p) << 32;
      std::uint64_t hits = 0;
      while (!deadline_passed(end)) {
        const int key = static_cast<int>(random() % 16);
        switch (random() % 8) {
        case 0:
        case 1:
        case 2:
          if (!cache.put(key_for(key), k_fp, make_content(key, ++version, random))) {
            broke("a put failed under load");
          }
          break;
        case 3: {
          GcOptions options;
          options.whole_cache = random() % 2 == 0;
          options.orphan_grace_s = 0;
          options.temp_grace_s = 3600;
          if (!cache.gc(options)) {
            broke("gc failed under load");
          }
          break;
        }
        case 4: {
          auto mapped = cache.load_mapping(key_for(key), k_fp);
          if (!mapped) {
            broke(mapped.error().message());
          }
          if (*mapped) {
            check_content((*mapped)->mapping.bytes(), key, "mapping");
            ++hits;
          }
          break;
        }
        default: {
          auto image = cache.load_image(key_for(key), k_fp);
          if (!image) {
            broke(image.error().message());
          }
          if (*image) {
            check_content((*image)->bytes(), key, "image");
            ++hits;
          }
        }
        }
      }
      std::printf("process %d: %llu verified hits\n", p, static_cast<unsigned long long>(hits));
      std::fflush(stdout);
      std::_Exit(0);
    }
    children.push_back(pid);
  }
  bool ok = true;
  for (const pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  Cache cache = open_cache(dir);
  const auto report = cache.verify();
  if (!report || report->corrupt_entries + report->corrupt_blobs > 0) {
    broke("verify found damage after the mixed load");
  }
  return ok ? 0 : 1;
}

// --- kill -9 ---------------------------------------------------------------
int kill9(const std::string& dir, int rounds) {
  std::mt19937_64 random(12345);
  for (int round = 0; round < rounds; ++round) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Half the writers also collect (and are killed mid-gc); the other
      // half, and all of the last quarter, leave their temporary files for
      // the final gc to find.
      const bool collects = round % 2 == 0 && round < rounds * 3 / 4;
      CacheConfig config;
      config.max_entries = 20;
      config.gc_every = collects ? 3 : 0;
      Cache cache = open_cache(dir, config);
      std::mt19937_64 mine(static_cast<std::uint64_t>(::getpid()));
      for (std::uint64_t v = 0;; ++v) {
        const int key = static_cast<int>(mine() % 32);
        (void)cache.put(key_for(key), k_fp, make_content(key, v, mine));
        if (collects && v % 5 == 0) {
          GcOptions options;
          options.orphan_grace_s = 0;
          (void)cache.gc(options);
        }
      }
    }
    ::usleep(static_cast<useconds_t>(random() % 8000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  Cache cache = open_cache(dir);
  const auto report = cache.verify();
  if (!report) {
    broke(report.error().message());
  }
  if (report->corrupt_entries + report->corrupt_blobs > 0) {
    broke("verify found " + std::to_string(report->corrupt_entries) + " damaged entries and " +
          std::to_string(report->corrupt_blobs) + " damaged blobs after the kills");
  }
  // Every published entry reads back intact.
  std::uint64_t intact = 0;
  for (int key = 0; key < 32; ++key) {
    auto image = cache.load_image(key_for(key), k_fp);
    if (image && *image) {
      check_content((*image)->bytes(), key, "after kill -9");
      ++intact;
    }
  }
  // A writer killed while its gc was moving a file out ("moving-*.tmp",
  // judged_file.h) leaves that file for gc's settle time (a minute), in case
  // a live mover is about to put it back; every other leftover must go now.
  const auto tmp = std::filesystem::path(dir) / "tmp";
  const auto is_moving = [](const std::filesystem::directory_entry& file) {
    return file.path().filename().string().starts_with("moving-");
  };
  const auto count_tmp = [&](bool moving) {
    std::size_t count = 0;
    if (std::filesystem::exists(tmp)) {
      for (const auto& file : std::filesystem::directory_iterator(tmp)) {
        count += is_moving(file) == moving ? 1 : 0;
      }
    }
    return count;
  };
  const std::size_t leftovers = count_tmp(false);
  const std::size_t settling = count_tmp(true);
  GcOptions options;
  options.temp_grace_s = 3600; // dead writers' files go because their pid is gone
  const auto collected = cache.gc(options);
  if (!collected) {
    broke(collected.error().message());
  }
  if (count_tmp(false) != 0) {
    broke("gc left temporary files of killed writers behind");
  }
  if (count_tmp(true) != settling) {
    broke("gc removed a file being moved out before its settle time");
  }
  if (collected->temp_files_removed != leftovers) {
    broke("gc did not remove exactly the temporary files left behind");
  }
  std::printf("%d kills: %llu entries intact, 0 damaged, %zu leftover temporary files removed, "
              "%zu being moved out left to settle\n",
              rounds, static_cast<unsigned long long>(intact), leftovers, settling);
  return 0;
}

// --- Byte flips ------------------------------------------------------------
int flip(const std::string& dir, int rounds) {
  std::mt19937_64 random(4242);
  for (int round = 0; round < rounds; ++round) {
    Cache cache = open_cache(dir);
    const int key = round % 8;
    if (!cache.put(key_for(key), k_fp, make_content(key, static_cast<std::uint64_t>(round), random))) {
      broke("put failed");
    }
    const auto entry = *cache.lookup(key_for(key), k_fp);
    // Damage the entry file or the blob, at a random byte.
    const bool in_blob = random() % 2 == 0;
    const auto path = std::filesystem::path(dir) /
                      (in_blob ? blob_path((*entry).blob_sha256) : entry_path(key_for(key)));
    const auto size = std::filesystem::file_size(path);
    const auto at = static_cast<off_t>(random() % size);
    ::chmod(path.c_str(), 0644);
    const int fd = ::open(path.c_str(), O_RDWR);
    unsigned char byte = 0;
    ::pread(fd, &byte, 1, at);
    byte ^= static_cast<unsigned char>(1U << (random() % 8));
    ::pwrite(fd, &byte, 1, at);
    ::close(fd);
    ::chmod(path.c_str(), 0444);
    const auto before = cache.statistics()->corrupt;
    auto image = cache.load_image(key_for(key), k_fp);
    if (!image) {
      broke("a damaged entry surfaced as an error: " + image.error().message());
    }
    if (*image) {
      broke("a flipped byte went unnoticed in " + path.string());
    }
    if (cache.statistics()->corrupt != before + 1) {
      broke("a damaged entry was not counted");
    }
    if (std::filesystem::exists(path)) {
      broke("a damaged file was not quarantined: " + path.string());
    }
  }
  std::printf("%d flips: all detected, missed and quarantined\n", rounds);
  return 0;
}

// --- maintenance racing with writers ------------------------------------------
// Two processes remove and re-publish entries while a third runs verify and
// gc over and over. Nothing is ever damaged, so every report of damage, every
// quarantined file and every corrupt count is a false one: maintenance acted
// on a name whose file had changed since it judged it.
int maintenance(const std::string& dir, double seconds) {
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  constexpr int k_keys = 64;
  {
    Cache cache = open_cache(dir);
    std::mt19937_64 random(7);
    for (int key = 0; key < k_keys; ++key) {
      if (!cache.put(key_for(key), k_fp, make_content(key, 1, random, 64))) {
        broke("the first puts failed");
      }
    }
  }
  std::vector<pid_t> children;
  // One process takes entries away and puts them back as fast as the kernel
  // allows (a remove and a re-publish of the same bytes, without the cost of
  // a put), so that the moments between maintenance listing a name and
  // opening or moving it are hit often.
  const pid_t flicker = ::fork();
  if (flicker == 0) {
    std::mt19937_64 random(11);
    const std::filesystem::path root(dir);
    const std::filesystem::path hold = root.parent_path() / "flicker-hold";
    while (!deadline_passed(end)) {
      const std::filesystem::path entry = root / entry_path(key_for(static_cast<int>(random() % k_keys)));
      if (::link(entry.c_str(), hold.c_str()) == 0) {
        ::unlink(entry.c_str());
        ::link(hold.c_str(), entry.c_str());
        ::unlink(hold.c_str());
      }
    }
    std::_Exit(0);
  }
  children.push_back(flicker);
  for (int p = 0; p < 2; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      CacheConfig config;
      config.gc_every = 0;
      Cache cache = open_cache(dir, config);
      std::mt19937_64 random(static_cast<std::uint64_t>(::getpid()));
      std::uint64_t version = static_cast<std::uint64_t>(p + 1) << 32;
      while (!deadline_passed(end)) {
        const int key = static_cast<int>(random() % k_keys);
        if (random() % 2 == 0) {
          (void)cache.remove(key_for(key));
        } else if (const auto put = cache.put(key_for(key), k_fp,
                                              make_content(key, ++version, random, 64));
                   !put) {
          broke("a put failed while maintenance ran: " + put.error().message());
        }
      }
      std::_Exit(0);
    }
    children.push_back(pid);
  }
  CacheConfig config;
  config.gc_every = 0;
  config.max_entries = k_keys * 2; // gc runs but evicts nothing
  Cache cache = open_cache(dir, config);
  std::uint64_t verifies = 0;
  while (!deadline_passed(end)) {
    const auto report = cache.verify();
    if (!report) {
      broke(report.error().message());
    }
    if (report->corrupt_entries + report->corrupt_blobs > 0) {
      broke(fmt::format("verify run {} reported {} damaged entries and {} damaged blobs that "
                        "nobody damaged",
                        verifies, report->corrupt_entries, report->corrupt_blobs));
    }
    ++verifies;
    GcOptions options;
    options.orphan_grace_s = 3600;
    if (!cache.gc(options)) {
      broke("gc failed while others wrote");
    }
  }
  bool ok = true;
  for (const pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  const auto counters = cache.statistics();
  if (!counters || counters->corrupt != 0) {
    broke("damage was counted that nobody made");
  }
  const std::filesystem::path quarantine = std::filesystem::path(dir) / "quarantine";
  if (std::filesystem::exists(quarantine) && !std::filesystem::is_empty(quarantine)) {
    broke("valid files were quarantined");
  }
  std::printf("%llu verify and gc runs beside writers: no false damage\n",
              static_cast<unsigned long long>(verifies));
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: cache-stress wasmtime|mixed|kill9|flip|maintenance DIR SECONDS|ROUNDS\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::string dir = argv[2];
  const double amount = std::atof(argv[3]);
  if (mode == "wasmtime") {
    return wasmtime(dir, amount);
  }
  if (mode == "mixed") {
    return mixed(dir, amount);
  }
  if (mode == "kill9") {
    return kill9(dir, static_cast<int>(amount));
  }
  if (mode == "flip") {
    return flip(dir, static_cast<int>(amount));
  }
  if (mode == "maintenance") {
    return maintenance(dir, amount);
  }
  std::fprintf(stderr, "cache-stress: unknown mode %s\n", mode.c_str());
  return 2;
}
