// Starting a child from an existing SealedImage (sealexec::spawn + wait)
// against posix_spawn of the same file on disk (+ waitpid), for a dynamic
// and a static program, with the child's stdout on /dev/null in both.
//
// Target: spawn <= 1.05x posix_spawn. Besides the two plain benchmarks per
// program, BM_SpawnVsPosixSpawn alternates the two in one loop, so that both
// see the same machine state, and reports the ratio as a counter.
//
// BM_CApiVsCppSpawn does the same for the C API: sealexec_spawn through
// libsealexec.so.1, loaded with dlopen as any C program's loader would load
// it, against sealexec::spawn from the static library. Target: <= 1.05x.
//
// The programs default to the examples of this build tree; SEALEXEC_BENCH_HELLO
// and SEALEXEC_BENCH_HELLO_STATIC override them.

#include "sealexec/capi/sealexec.h"
#include "sealexec/exec/spawn.h"
#include "sealexec/image/sealed_image.h"

#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
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

// Mean microseconds of each of two runners timed in one loop.
struct Paired {
  double first_us = 0;
  double second_us = 0;
};

// Runs `first` and `second` (each returning "" or what went wrong) once per
// iteration, alternating which goes first, so that both see the same machine
// state. nullopt after an error, which skips the benchmark.
template <typename First, typename Second>
std::optional<Paired> interleave(benchmark::State& state, First&& first, Second&& second) {
  using Clock = std::chrono::steady_clock;
  Clock::duration first_total{};
  Clock::duration second_total{};
  bool first_leads = true;
  std::string error;
  for (auto _ : state) {
    for (int turn = 0; turn < 2; ++turn) {
      const bool first_turn = (turn == 0) == first_leads;
      const auto start = Clock::now();
      error = first_turn ? first() : second();
      const auto elapsed = Clock::now() - start;
      if (!error.empty()) {
        state.SkipWithError(error.c_str());
        return std::nullopt;
      }
      (first_turn ? first_total : second_total) += elapsed;
    }
    first_leads = !first_leads;
  }
  const auto iterations = static_cast<double>(state.iterations());
  if (iterations == 0) {
    return std::nullopt;
  }
  return Paired{std::chrono::duration<double, std::micro>(first_total).count() / iterations,
                std::chrono::duration<double, std::micro>(second_total).count() / iterations};
}

// The counters of a pair: each one's mean and ratio = first / second.
void report_pair(benchmark::State& state, const std::optional<Paired>& paired,
                 const char* first_name, const char* second_name, const char* label) {
  if (!paired) {
    return;
  }
  state.counters[first_name] = paired->first_us;
  state.counters[second_name] = paired->second_us;
  state.counters["ratio"] = paired->second_us > 0 ? paired->first_us / paired->second_us : 0.0;
  state.SetLabel(label);
}

// Both in one loop, alternating which goes first. The reported time is that
// of one spawn plus one posix_spawn; the counters split it.
void BM_SpawnVsPosixSpawn(benchmark::State& state, bool is_static) {
  const std::string& path = hello_path(is_static);
  std::string error;
  const sealexec::SealedImage* image = image_for(path, error);
  if (image == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const sealexec::SpawnOptions options = null_stdout_options(path);
  PosixSpawn spawner(path);
  report_pair(state,
              interleave(
                  state, [&] { return spawn_once(*image, options); },
                  [&] { return spawner.run_once(); }),
              "spawn_us", "posix_spawn_us",
              is_static ? "hello-static, ratio = spawn / posix_spawn"
                        : "hello, ratio = spawn / posix_spawn");
}

// The C API of libsealexec.so.1, looked up with dlsym: this program's own
// copy of the library (static, for the C++ API) never stands in for it.
class CApi {
public:
  CApi() {
    m_handle = ::dlopen(SEALEXEC_BENCH_CAPI_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (m_handle == nullptr) {
      m_error = ::dlerror();
      return;
    }
    load(image_from_path, "sealexec_image_from_path");
    load(image_free, "sealexec_image_free");
    load(command_new, "sealexec_command_new");
    load(command_free, "sealexec_command_free");
    load(command_set_argv, "sealexec_command_set_argv");
    load(command_set_stdio, "sealexec_command_set_stdio");
    load(spawn, "sealexec_spawn");
    load(child_wait, "sealexec_child_wait");
    load(child_free, "sealexec_child_free");
    load(error_message, "sealexec_error_message");
    load(error_free, "sealexec_error_free");
  }
  CApi(const CApi&) = delete;
  CApi& operator=(const CApi&) = delete;
  ~CApi() {
    if (m_handle != nullptr) {
      ::dlclose(m_handle);
    }
  }
  [[nodiscard]] const std::string& error() const { return m_error; }

  decltype(&sealexec_image_from_path) image_from_path = nullptr;
  decltype(&sealexec_image_free) image_free = nullptr;
  decltype(&sealexec_command_new) command_new = nullptr;
  decltype(&sealexec_command_free) command_free = nullptr;
  decltype(&sealexec_command_set_argv) command_set_argv = nullptr;
  decltype(&sealexec_command_set_stdio) command_set_stdio = nullptr;
  decltype(&sealexec_spawn) spawn = nullptr;
  decltype(&sealexec_child_wait) child_wait = nullptr;
  decltype(&sealexec_child_free) child_free = nullptr;
  decltype(&sealexec_error_message) error_message = nullptr;
  decltype(&sealexec_error_free) error_free = nullptr;

private:
  template <typename Function>
  void load(Function& function, const char* name) {
    void* address = ::dlsym(m_handle, name);
    if (address == nullptr) {
      m_error = std::string("no ") + name + " in " SEALEXEC_BENCH_CAPI_LIBRARY;
      return;
    }
    std::memcpy(&function, &address, sizeof function);
  }

  void* m_handle = nullptr;
  std::string m_error;
};

// One program spawned through the C API, as a C consumer writes it.
class CApiSpawner {
public:
  CApiSpawner(const CApi& api, const std::string& path) : m_api(api), m_path(path) {
    sealexec_error* error = nullptr;
    m_command = m_api.command_new();
    const char* argv[] = {m_path.c_str(), nullptr};
    if (m_api.image_from_path(m_path.c_str(), nullptr, nullptr, 0, &m_image, &error) !=
            SEALEXEC_OK ||
        m_api.command_set_argv(m_command, argv, &error) != SEALEXEC_OK ||
        m_api.command_set_stdio(m_command, SEALEXEC_STDOUT, SEALEXEC_STDIO_NULL, -1, &error) !=
            SEALEXEC_OK) {
      m_error = error != nullptr ? m_api.error_message(error) : "out of memory";
      m_api.error_free(error);
    }
  }
  CApiSpawner(const CApiSpawner&) = delete;
  CApiSpawner& operator=(const CApiSpawner&) = delete;
  ~CApiSpawner() {
    m_api.command_free(m_command);
    m_api.image_free(m_image);
  }
  [[nodiscard]] const std::string& error() const { return m_error; }

  std::string run_once() {
    sealexec_child* child = nullptr;
    sealexec_error* error = nullptr;
    int status = 0;
    if (m_api.spawn(m_image, m_command, &child, &error) != SEALEXEC_OK ||
        m_api.child_wait(child, &status, &error) != SEALEXEC_OK) {
      std::string message = m_api.error_message(error);
      m_api.error_free(error);
      m_api.child_free(child);
      return message;
    }
    m_api.child_free(child);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return "child failed with wait status " + std::to_string(status);
    }
    return {};
  }

private:
  const CApi& m_api;
  std::string m_path;
  sealexec_image* m_image = nullptr;
  sealexec_command* m_command = nullptr;
  std::string m_error;
};

// sealexec_spawn through the shared library and sealexec::spawn, alternating
// in one loop as BM_SpawnVsPosixSpawn does. The C API closes every
// descriptor the parent left inheritable (one close_range); the C++ side is
// asked for the same, so both do the same work.
void BM_CApiVsCppSpawn(benchmark::State& state, bool is_static) {
  static const CApi api;
  if (!api.error().empty()) {
    state.SkipWithError(api.error().c_str());
    return;
  }
  const std::string& path = hello_path(is_static);
  std::string error;
  const sealexec::SealedImage* image = image_for(path, error);
  if (image == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  sealexec::SpawnOptions options = null_stdout_options(path);
  options.close_other_fds = true;
  CApiSpawner c_spawner(api, path);
  if (!c_spawner.error().empty()) {
    state.SkipWithError(c_spawner.error().c_str());
    return;
  }
  report_pair(state,
              interleave(
                  state, [&] { return c_spawner.run_once(); },
                  [&] { return spawn_once(*image, options); }),
              "capi_us", "cpp_us",
              is_static ? "hello-static, ratio = sealexec_spawn (.so) / sealexec::spawn"
                        : "hello, ratio = sealexec_spawn (.so) / sealexec::spawn");
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
BENCHMARK_CAPTURE(BM_CApiVsCppSpawn, hello, false)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CApiVsCppSpawn, hello_static, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
