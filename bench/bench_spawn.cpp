// Starting a child from an existing SealedImage (sealexec::spawn + wait)
// against posix_spawn of the same file on disk (+ waitpid), for a dynamic
// and a static program, with the child's stdout on /dev/null in both.
//
// Target: spawn <= 1.05x posix_spawn. Besides the two plain benchmarks per
// program, BM_SpawnVsPosixSpawn alternates the two in one loop, so that both
// see the same machine state, and reports the ratio as a counter.
//
// The programs default to the examples of this build tree; SEALEXEC_BENCH_HELLO
// and SEALEXEC_BENCH_HELLO_STATIC override them.

#include "sealexec/exec/spawn.h"
#include "sealexec/image/sealed_image.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

extern char** environ;

namespace {

std::string program_path(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  return value != nullptr && *value != '\0' ? std::string(value) : std::string(fallback);
}

const std::string& hello_path(bool is_static) {
  static const std::string dynamic_path =
      program_path("SEALEXEC_BENCH_HELLO", SEALEXEC_BENCH_HELLO);
  static const std::string static_path =
      program_path("SEALEXEC_BENCH_HELLO_STATIC", SEALEXEC_BENCH_HELLO_STATIC);
  return is_static ? static_path : dynamic_path;
}

// One image per program, made once: the benchmark measures spawning from an
// image that already exists.
const sealexec::SealedImage* image_for(const std::string& path, std::string& error) {
  static std::map<std::string, sealexec::SealedImage> images;
  if (auto found = images.find(path); found != images.end()) {
    return &found->second;
  }
  auto image = sealexec::SealedImage::from_path(path);
  if (!image) {
    error = image.error().message();
    return nullptr;
  }
  return &images.emplace(path, std::move(*image)).first->second;
}

// Returns an empty string on success, else what went wrong.
std::string spawn_once(const sealexec::SealedImage& image,
                       const sealexec::SpawnOptions& options) {
  auto child = sealexec::spawn(image, options);
  if (!child) {
    return child.error().message();
  }
  auto status = child->wait();
  if (!status) {
    return status.error().message();
  }
  if (!status->success()) {
    return "child " + status->describe();
  }
  return {};
}

class PosixSpawn {
public:
  explicit PosixSpawn(const std::string& path) : m_path(path) {
    ::posix_spawn_file_actions_init(&m_actions);
    ::posix_spawn_file_actions_addopen(&m_actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    m_argv[0] = m_path.data();
    m_argv[1] = nullptr;
  }
  PosixSpawn(const PosixSpawn&) = delete;
  PosixSpawn& operator=(const PosixSpawn&) = delete;
  ~PosixSpawn() { ::posix_spawn_file_actions_destroy(&m_actions); }

  std::string run_once() {
    pid_t pid = -1;
    const int error = ::posix_spawn(&pid, m_path.c_str(), &m_actions, nullptr, m_argv, environ);
    if (error != 0) {
      return std::string("posix_spawn: ") + std::strerror(error);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        return std::string("waitpid: ") + std::strerror(errno);
      }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return "child failed with wait status " + std::to_string(status);
    }
    return {};
  }

private:
  std::string m_path;
  posix_spawn_file_actions_t m_actions{};
  char* m_argv[2]{};
};

sealexec::SpawnOptions null_stdout_options(const std::string& path) {
  sealexec::SpawnOptions options;
  options.argv = {path};
  options.stdout_stream = sealexec::Stdio::null();
  return options;
}

void BM_Spawn(benchmark::State& state, bool is_static) {
  const std::string& path = hello_path(is_static);
  std::string error;
  const sealexec::SealedImage* image = image_for(path, error);
  if (image == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const sealexec::SpawnOptions options = null_stdout_options(path);
  for (auto _ : state) {
    error = spawn_once(*image, options);
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
  state.SetLabel(is_static ? "hello-static, sealexec::spawn" : "hello, sealexec::spawn");
}

void BM_PosixSpawn(benchmark::State& state, bool is_static) {
  PosixSpawn spawner(hello_path(is_static));
  for (auto _ : state) {
    const std::string error = spawner.run_once();
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
  state.SetLabel(is_static ? "hello-static, posix_spawn" : "hello, posix_spawn");
}

// Both in one loop, alternating which goes first. The reported time is that
// of one spawn plus one posix_spawn; the counters split it.
void BM_SpawnVsPosixSpawn(benchmark::State& state, bool is_static) {
  using Clock = std::chrono::steady_clock;
  const std::string& path = hello_path(is_static);
  std::string error;
  const sealexec::SealedImage* image = image_for(path, error);
  if (image == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const sealexec::SpawnOptions options = null_stdout_options(path);
  PosixSpawn spawner(path);
  Clock::duration spawn_total{};
  Clock::duration posix_total{};
  bool spawn_first = true;
  for (auto _ : state) {
    for (int turn = 0; turn < 2; ++turn) {
      const bool sealed_turn = (turn == 0) == spawn_first;
      const auto start = Clock::now();
      error = sealed_turn ? spawn_once(*image, options) : spawner.run_once();
      const auto elapsed = Clock::now() - start;
      if (!error.empty()) {
        break;
      }
      (sealed_turn ? spawn_total : posix_total) += elapsed;
    }
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    spawn_first = !spawn_first;
  }
  const auto iterations = static_cast<double>(state.iterations());
  if (iterations == 0) {
    return;
  }
  const double spawn_us =
      std::chrono::duration<double, std::micro>(spawn_total).count() / iterations;
  const double posix_us =
      std::chrono::duration<double, std::micro>(posix_total).count() / iterations;
  state.counters["spawn_us"] = spawn_us;
  state.counters["posix_spawn_us"] = posix_us;
  state.counters["ratio"] = posix_us > 0 ? spawn_us / posix_us : 0.0;
  state.SetLabel(is_static ? "hello-static, ratio = spawn / posix_spawn"
                           : "hello, ratio = spawn / posix_spawn");
}

// Children run while the parent waits, so only wall-clock time means
// anything here.
BENCHMARK_CAPTURE(BM_Spawn, hello, false)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PosixSpawn, hello, false)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Spawn, hello_static, true)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PosixSpawn, hello_static, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SpawnVsPosixSpawn, hello, false)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SpawnVsPosixSpawn, hello_static, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
