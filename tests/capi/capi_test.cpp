// The C API (sealexec.h) through libsealexec.so.1, as another language's
// program sees it: only the C declarations, only the shared library.
#include <sealexec.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path k_examples = SEALEXEC_EXAMPLES_DIR;

// Owners of the C handles, so that a failed assertion leaks nothing.
struct Free {
  void operator()(sealexec_image* image) const { sealexec_image_free(image); }
  void operator()(sealexec_mapping* mapping) const { sealexec_mapping_free(mapping); }
  void operator()(sealexec_command* command) const { sealexec_command_free(command); }
  void operator()(sealexec_child* child) const { sealexec_child_free(child); }
  void operator()(sealexec_library* library) const { sealexec_library_free(library); }
  void operator()(sealexec_cache* cache) const { sealexec_cache_free(cache); }
  void operator()(sealexec_error* error) const { sealexec_error_free(error); }
  void operator()(char* text) const { sealexec_free(text); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

class TempDir {
public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sealexec-capi.XXXXXX").string();
    m_path = ::mkdtemp(pattern.data());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  [[nodiscard]] fs::path operator/(const std::string& name) const { return m_path / name; }
  [[nodiscard]] const fs::path& path() const { return m_path; }

private:
  fs::path m_path;
};

std::string read_all(int fd) {
  std::string text;
  std::array<char, 4096> buffer{};
  for (ssize_t got; (got = ::read(fd, buffer.data(), buffer.size())) > 0;) {
    text.append(buffer.data(), static_cast<std::size_t>(got));
  }
  return text;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Owned<sealexec_image> image_of(const std::string& bytes, const char* name = nullptr,
                               std::uint32_t flags = 0) {
  sealexec_image* image = nullptr;
  sealexec_error* error = nullptr;
  const sealexec_status status =
      sealexec_image_from_bytes(bytes.data(), bytes.size(), name, nullptr, flags, &image, &error);
  Owned<sealexec_error> owned_error(error);
  EXPECT_EQ(status, SEALEXEC_OK) << (error ? sealexec_error_message(error) : "");
  return Owned<sealexec_image>(image);
}

// Spawns `image` with `argv`, its standard output on a pipe; returns what
// it printed and its wait status.
struct Ran {
  std::string out;
  int status = -1;
};
Ran run(const sealexec_image* image, std::vector<const char*> argv,
        const char* const* env = nullptr, const char* cwd = nullptr) {
  Owned<sealexec_command> command(sealexec_command_new());
  argv.push_back(nullptr);
  EXPECT_EQ(sealexec_command_set_argv(command.get(), argv.data(), nullptr), SEALEXEC_OK);
  if (env != nullptr) {
    EXPECT_EQ(sealexec_command_set_env(command.get(), env, nullptr), SEALEXEC_OK);
  }
  EXPECT_EQ(sealexec_command_set_cwd(command.get(), cwd, nullptr), SEALEXEC_OK);
  EXPECT_EQ(sealexec_command_set_stdio(command.get(), SEALEXEC_STDOUT, SEALEXEC_STDIO_PIPE, -1,
                                       nullptr),
            SEALEXEC_OK);
  sealexec_child* raw = nullptr;
  sealexec_error* error = nullptr;
  if (sealexec_spawn(image, command.get(), &raw, &error) != SEALEXEC_OK) {
    ADD_FAILURE() << sealexec_error_message(error);
    sealexec_error_free(error);
    return {};
  }
  Owned<sealexec_child> child(raw);
  const int out = sealexec_child_take_pipe(child.get(), SEALEXEC_STDOUT);
  EXPECT_GE(out, 0);
  EXPECT_EQ(sealexec_child_take_pipe(child.get(), SEALEXEC_STDOUT), -1) << "taken twice";
  Ran ran;
  ran.out = read_all(out);
  ::close(out);
  EXPECT_EQ(sealexec_child_wait(child.get(), &ran.status, nullptr), SEALEXEC_OK);
  return ran;
}

// Calls `code` as int(int). UBSan's function check reads a type signature
// just before the callee, which hand-written code at the start of a mapping
// does not have (the read faults): it is off here.
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
int call_int_function(const void* code, int argument) {
  using Function = int (*)(int);
  Function function = nullptr;
  std::memcpy(&function, &code, sizeof function);
  return function(argument);
}

TEST(CApiImage, FromBytesIsSealedNamedAndCloseOnExec) {
  const std::string bytes = "#!/bin/sh\necho sealed\n";
  auto image = image_of(bytes, "greeting.sh");
  ASSERT_TRUE(image);
  EXPECT_EQ(sealexec_image_size(image.get()), bytes.size());
  const std::string name = sealexec_image_memfd_name(image.get());
  EXPECT_EQ(name.rfind("sealexec:greeting.sh:", 0), 0u) << name;
  EXPECT_EQ(name.size(), std::strlen("sealexec:greeting.sh:") + 12);
  const int fd = sealexec_image_fd(image.get());
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  const int seals = ::fcntl(fd, F_GET_SEALS);
  for (const int seal : {F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL}) {
    EXPECT_TRUE(seals & seal) << "seal " << seal << " missing: " << seals;
  }
  // Even a descriptor opened for writing cannot change the bytes.
  const int writable = ::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDWR);
  ASSERT_GE(writable, 0);
  EXPECT_EQ(::pwrite(writable, "X", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::ftruncate(writable, 0), -1);
  ::close(writable);
  std::string back(bytes.size(), '\0');
  ASSERT_EQ(::pread(fd, back.data(), back.size(), 0), static_cast<ssize_t>(bytes.size()));
  EXPECT_EQ(back, bytes);
}

TEST(CApiImage, Sha256PinAndDigest) {
  const std::string bytes = "pinned bytes";
  auto image = image_of(bytes);
  ASSERT_TRUE(image);
  std::array<std::uint8_t, 32> digest{};
  ASSERT_EQ(sealexec_image_sha256(image.get(), digest.data(), nullptr), SEALEXEC_OK);
  sealexec_image* pinned = nullptr;
  ASSERT_EQ(sealexec_image_from_bytes(bytes.data(), bytes.size(), nullptr, digest.data(), 0,
                                      &pinned, nullptr),
            SEALEXEC_OK);
  sealexec_image_free(pinned);
  digest[0] ^= 1;
  sealexec_error* error = nullptr;
  sealexec_image* refused = nullptr;
  EXPECT_EQ(sealexec_image_from_bytes(bytes.data(), bytes.size(), nullptr, digest.data(), 0,
                                      &refused, &error),
            SEALEXEC_E_DIGEST_MISMATCH);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(refused, nullptr) << "an out-parameter written on failure";
  EXPECT_EQ(sealexec_error_code(error), SEALEXEC_E_DIGEST_MISMATCH);
  EXPECT_NE(std::string(sealexec_error_message(error)).find("SHA-256"), std::string::npos)
      << sealexec_error_message(error);
  sealexec_error_free(error);
}

TEST(CApiImage, FromPathAndFdAndTheirErrors) {
  TempDir dir;
  sealexec_error* error = nullptr;
  sealexec_image* image = nullptr;
  const std::string missing = (dir / "missing").string();
  EXPECT_EQ(sealexec_image_from_path(missing.c_str(), nullptr, nullptr, 0, &image, &error),
            SEALEXEC_E_NOT_FOUND);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(std::string(sealexec_error_path(error)), missing);
  sealexec_error_free(error);

  ASSERT_EQ(sealexec_image_from_path((k_examples / "hello").c_str(), nullptr, nullptr, 0, &image,
                                     nullptr),
            SEALEXEC_OK);
  Owned<sealexec_image> from_path(image);
  EXPECT_EQ(sealexec_image_size(from_path.get()), fs::file_size(k_examples / "hello"));
  EXPECT_EQ(std::string(sealexec_image_memfd_name(from_path.get())).rfind("sealexec:hello:", 0), 0u);

  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  ASSERT_EQ(::write(pipe_fds[1], "through a pipe", 14), 14);
  ::close(pipe_fds[1]);
  ASSERT_EQ(sealexec_image_from_fd(pipe_fds[0], "piped", nullptr, 0, &image, nullptr), SEALEXEC_OK);
  Owned<sealexec_image> from_pipe(image);
  EXPECT_EQ(sealexec_image_size(from_pipe.get()), 14u);
  EXPECT_EQ(::fcntl(pipe_fds[0], F_GETFD), FD_CLOEXEC) << "the caller's fd was closed";
  ::close(pipe_fds[0]);
}

TEST(CApiErrors, NullArgumentsAreErrorsNotCrashes) {
  sealexec_error* error = nullptr;
  EXPECT_EQ(sealexec_image_from_bytes(nullptr, 3, nullptr, nullptr, 0, nullptr, &error),
            SEALEXEC_E_INVALID_ARGUMENT);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(sealexec_error_message(error)).find("sealexec_image_from_bytes"),
            std::string::npos);
  sealexec_error_free(error);
  sealexec_image* image = nullptr;
  EXPECT_EQ(sealexec_image_from_bytes("x", 1, nullptr, nullptr, 0x80, &image, nullptr),
            SEALEXEC_E_INVALID_ARGUMENT)
      << "unknown flags are refused, so that a later flag never means nothing";
  EXPECT_EQ(sealexec_image_from_path(nullptr, nullptr, nullptr, 0, &image, nullptr),
            SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_spawn(nullptr, nullptr, nullptr, nullptr), SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_exec(nullptr, nullptr, nullptr), SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_cache_open(nullptr, nullptr, nullptr), SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_check_file(nullptr, 0, nullptr, nullptr), SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_image_fd(nullptr), -1);
  Owned<sealexec_command> command(sealexec_command_new());
  const char* no_argv0[] = {nullptr};
  EXPECT_EQ(sealexec_command_set_argv(command.get(), no_argv0, nullptr),
            SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_command_set_name(command.get(), "a/b", nullptr), SEALEXEC_E_INVALID_ARGUMENT)
      << "a name exec could not give is refused, not silently dropped";
  EXPECT_EQ(sealexec_command_set_name(command.get(), "..", nullptr), SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_command_set_name(command.get(), "tool", nullptr), SEALEXEC_OK);
  EXPECT_EQ(sealexec_command_set_origin(command.get(), "relative/lib", nullptr),
            SEALEXEC_E_INVALID_ARGUMENT);
  const char* bad_env[] = {"NOEQUALS", nullptr};
  EXPECT_EQ(sealexec_command_set_env(command.get(), bad_env, nullptr), SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_command_set_stdio(command.get(), 3, SEALEXEC_STDIO_NULL, -1, nullptr),
            SEALEXEC_E_INVALID_ARGUMENT);
  EXPECT_EQ(sealexec_command_set_stdio(command.get(), 0, static_cast<sealexec_stdio>(9), -1,
                                       nullptr),
            SEALEXEC_E_INVALID_ARGUMENT);
  // Every free accepts NULL.
  sealexec_image_free(nullptr);
  sealexec_mapping_free(nullptr);
  sealexec_command_free(nullptr);
  sealexec_child_free(nullptr);
  sealexec_library_free(nullptr);
  sealexec_cache_free(nullptr);
  sealexec_error_free(nullptr);
  sealexec_free(nullptr);
}

TEST(CApiErrors, NamesAndVersion) {
  EXPECT_STREQ(sealexec_status_name(SEALEXEC_E_NOT_FOUND), "SEALEXEC_E_NOT_FOUND");
  EXPECT_STREQ(sealexec_status_name(static_cast<sealexec_status>(999)), "SEALEXEC_E_UNKNOWN");
  EXPECT_EQ(sealexec_api_version(), SEALEXEC_API_VERSION);
  EXPECT_GT(std::strlen(sealexec_version()), 0u);
}

TEST(CApiSpawn, ArgvEnvCwdStatusAndNoLeakedDescriptors) {
  // A script: the CLOEXEC trap of a plain memfd would stop it.
  auto image = image_of("#!/bin/sh\n"
                        "printf '%s|' \"$1\" \"$SEALEXEC_CAPI\" \"$(pwd)\"\n"
                        "for fd in /proc/$$/fd/*; do\n"
                        "  printf '%s=%s\\n' \"${fd##*/}\" \"$(readlink $fd)\"\n"
                        "done\n"
                        "exit 7\n",
                        "env-check");
  ASSERT_TRUE(image);
  // A descriptor of ours without close-on-exec must still not reach it.
  TempDir dir;
  std::ofstream(dir / "stray-marker") << "";
  const int stray = ::open((dir / "stray-marker").c_str(), O_RDONLY);
  ASSERT_GE(stray, 0);
  const std::string env_entry = "SEALEXEC_CAPI=yes";
  const char* env[] = {env_entry.c_str(), "PATH=/usr/bin:/bin", nullptr};
  const Ran ran = run(image.get(), {"env-check", "first"}, env, dir.path().c_str());
  ::close(stray);
  ASSERT_TRUE(WIFEXITED(ran.status));
  EXPECT_EQ(WEXITSTATUS(ran.status), 7);
  const std::string expected_start =
      "first|yes|" + fs::canonical(dir.path()).string() + "|";
  ASSERT_EQ(ran.out.rfind(expected_start, 0), 0u) << ran.out;
  // Beyond 0, 1 and 2: the script itself, which its shell reads, and the
  // shell's own pipes.
  std::istringstream fds(ran.out.substr(expected_start.size()));
  std::set<int> open;
  for (std::string entry; std::getline(fds, entry);) {
    const auto equals = entry.find('=');
    ASSERT_NE(equals, std::string::npos) << ran.out;
    const int fd = std::stoi(entry.substr(0, equals));
    open.insert(fd);
    if (fd > 2) {
      EXPECT_TRUE(entry.find("=/memfd:sealexec:env-check:") != std::string::npos ||
                  entry.find("=pipe:") != std::string::npos)
          << "a descriptor that is not the script's own reached it: " << entry;
    }
  }
  EXPECT_TRUE(open.contains(0) && open.contains(1) && open.contains(2)) << ran.out;
  EXPECT_EQ(ran.out.find("stray-marker"), std::string::npos)
      << "a descriptor of the caller leaked: " << ran.out;
}

TEST(CApiSpawn, AMissingDirectoryIsNamed) {
  auto image = image_of("#!/bin/sh\n", "in-dir");
  Owned<sealexec_command> command(sealexec_command_new());
  ASSERT_EQ(sealexec_command_set_cwd(command.get(), "/nonexistent-dir", nullptr), SEALEXEC_OK);
  sealexec_child* child = nullptr;
  sealexec_error* error = nullptr;
  EXPECT_EQ(sealexec_spawn(image.get(), command.get(), &child, &error), SEALEXEC_E_NOT_FOUND);
  ASSERT_NE(error, nullptr);
  EXPECT_STREQ(sealexec_error_path(error), "/nonexistent-dir");
  EXPECT_EQ(sealexec_error_errno(error), ENOENT);
  sealexec_error_free(error);
  EXPECT_EQ(child, nullptr);
}

TEST(CApiSpawn, StdinPipeSignalAndFreeKillsAndReaps) {
  auto cat = image_of("#!/bin/sh\nread line\necho \"got $line\"\n", "reader");
  ASSERT_TRUE(cat);
  Owned<sealexec_command> command(sealexec_command_new());
  ASSERT_EQ(sealexec_command_set_stdio(command.get(), SEALEXEC_STDIN, SEALEXEC_STDIO_PIPE, -1,
                                       nullptr),
            SEALEXEC_OK);
  ASSERT_EQ(sealexec_command_set_stdio(command.get(), SEALEXEC_STDOUT, SEALEXEC_STDIO_PIPE, -1,
                                       nullptr),
            SEALEXEC_OK);
  sealexec_child* raw = nullptr;
  ASSERT_EQ(sealexec_spawn(cat.get(), command.get(), &raw, nullptr), SEALEXEC_OK);
  Owned<sealexec_child> child(raw);
  const int in = sealexec_child_take_pipe(child.get(), SEALEXEC_STDIN);
  const int out = sealexec_child_take_pipe(child.get(), SEALEXEC_STDOUT);
  ASSERT_EQ(::write(in, "hello\n", 6), 6);
  ::close(in);
  EXPECT_EQ(read_all(out), "got hello\n");
  ::close(out);
  int status = 0;
  ASSERT_EQ(sealexec_child_wait(child.get(), &status, nullptr), SEALEXEC_OK);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  int again = -1;
  ASSERT_EQ(sealexec_child_wait(child.get(), &again, nullptr), SEALEXEC_OK);
  EXPECT_EQ(again, status);

  // A signal's status reads as wait(2)'s; try_wait does not block.
  auto sleeper = image_of("#!/bin/sh\nexec sleep 30\n", "sleeper");
  ASSERT_EQ(sealexec_spawn(sleeper.get(), nullptr, &raw, nullptr), SEALEXEC_OK);
  Owned<sealexec_child> sleeping(raw);
  int ended = -1;
  ASSERT_EQ(sealexec_child_try_wait(sleeping.get(), &status, &ended, nullptr), SEALEXEC_OK);
  EXPECT_EQ(ended, 0);
  ASSERT_EQ(sealexec_child_kill(sleeping.get(), SIGTERM, nullptr), SEALEXEC_OK);
  ASSERT_EQ(sealexec_child_wait(sleeping.get(), &status, nullptr), SEALEXEC_OK);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  ASSERT_EQ(sealexec_child_try_wait(sleeping.get(), &again, &ended, nullptr), SEALEXEC_OK);
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(again, status);

  EXPECT_EQ(sealexec_child_kill(sleeping.get(), 99999, nullptr), SEALEXEC_E_INVALID_ARGUMENT);
  // After the wait, a kill reaches nothing (the pidfd answers ESRCH).
  EXPECT_EQ(sealexec_child_kill(sleeping.get(), SIGKILL, nullptr), SEALEXEC_OK);

  // A kill from another thread while this one waits (Go's and Python's way).
  ASSERT_EQ(sealexec_spawn(sleeper.get(), nullptr, &raw, nullptr), SEALEXEC_OK);
  Owned<sealexec_child> waited(raw);
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(sealexec_child_kill(waited.get(), SIGTERM, nullptr), SEALEXEC_OK);
  });
  ASSERT_EQ(sealexec_child_wait(waited.get(), &status, nullptr), SEALEXEC_OK);
  killer.join();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;

  // Freed unwaited: killed and reaped, no zombie left.
  ASSERT_EQ(sealexec_spawn(sleeper.get(), nullptr, &raw, nullptr), SEALEXEC_OK);
  const pid_t pid = sealexec_child_pid(raw);
  ASSERT_GT(pid, 0);
  sealexec_child_free(raw);
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "the child outlived its handle";
}

TEST(CApiExec, ReplacesTheProcessAndReturnsOnlyOnFailure) {
  auto image = image_of("#!/bin/sh\nexit 42\n", "exits-42");
  ASSERT_TRUE(image);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    (void)sealexec_exec(image.get(), nullptr, nullptr);
    ::_exit(99);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << status;

  // Bytes that are no program: an error back, the process unchanged.
  auto data = image_of("just data, no program");
  sealexec_error* error = nullptr;
  EXPECT_EQ(sealexec_exec(data.get(), nullptr, &error), SEALEXEC_E_NOT_RUNNABLE);
  ASSERT_NE(error, nullptr);
  sealexec_error_free(error);
}

TEST(CApiExec, OriginLibrariesFoundWithoutLeakingLibraryPath) {
  sealexec_image* raw = nullptr;
  ASSERT_EQ(sealexec_image_from_path((k_examples / "origin-app/bin/greet").c_str(), nullptr,
                                     nullptr, 0, &raw, nullptr),
            SEALEXEC_OK);
  Owned<sealexec_image> greet(raw);
  const Ran ran = run(greet.get(), {"greet", "env"});
  ASSERT_TRUE(WIFEXITED(ran.status) && WEXITSTATUS(ran.status) == 0) << ran.out;
  EXPECT_NE(ran.out.find("hello from a library found through $ORIGIN"), std::string::npos)
      << ran.out;
  EXPECT_EQ(ran.out.find("\nLD_LIBRARY_PATH="), std::string::npos)
      << "the restorer beside libsealexec.so was not found: " << ran.out;
}

TEST(CApiMapping, ExecutableMappingRunsCodeAndIsNeverWritable) {
  // lea eax, [rdi + rdi + 1]; ret: f(x) = 2x + 1.
  const std::string code = "\x8d\x44\x3f\x01\xc3";
  auto image = image_of(code, "f.bin");
  ASSERT_TRUE(image);
  sealexec_mapping* raw = nullptr;
  sealexec_error* error = nullptr;
  ASSERT_EQ(sealexec_image_map(image.get(), SEALEXEC_MAP_EXEC, &raw, &error), SEALEXEC_OK)
      << (error ? sealexec_error_message(error) : "");
  Owned<sealexec_mapping> mapping(raw);
  image.reset(); // the mapping outlives the image
  ASSERT_EQ(sealexec_mapping_size(mapping.get()), code.size());
  EXPECT_EQ(std::memcmp(sealexec_mapping_data(mapping.get()), code.data(), code.size()), 0);
#if defined(__x86_64__)
  EXPECT_EQ(call_int_function(sealexec_mapping_data(mapping.get()), 20), 41);
#endif
  // Read and execute only: making it writable fails (a shared mapping of a
  // write-sealed memfd).
  void* page = const_cast<void*>(sealexec_mapping_data(mapping.get()));
  EXPECT_EQ(::mprotect(page, code.size(), PROT_READ | PROT_WRITE), -1);

  auto noexec = image_of(code, "data.bin", SEALEXEC_IMAGE_NOEXEC);
  ASSERT_TRUE(noexec);
  EXPECT_EQ(sealexec_image_map(noexec.get(), SEALEXEC_MAP_EXEC, &raw, &error), SEALEXEC_E_POLICY);
  sealexec_error_free(error);
  error = nullptr;
  ASSERT_EQ(sealexec_image_map(noexec.get(), 0, &raw, nullptr), SEALEXEC_OK);
  sealexec_mapping_free(raw);
  auto empty = image_of("");
  ASSERT_EQ(sealexec_image_map(empty.get(), 0, &raw, nullptr), SEALEXEC_OK);
  EXPECT_EQ(sealexec_mapping_size(raw), 0u);
  EXPECT_EQ(sealexec_mapping_data(raw), nullptr);
  sealexec_mapping_free(raw);
}

TEST(CApiLibrary, LoadsAPluginAndFindsItsSymbols) {
  sealexec_image* raw = nullptr;
  ASSERT_EQ(sealexec_image_from_path((k_examples / "libanswer-plugin.so").c_str(), nullptr,
                                     nullptr, 0, &raw, nullptr),
            SEALEXEC_OK);
  Owned<sealexec_image> image(raw);
  sealexec_library* loaded = nullptr;
  sealexec_error* error = nullptr;
  ASSERT_EQ(sealexec_library_load(image.get(), 0, 0, &loaded, &error), SEALEXEC_OK)
      << (error ? sealexec_error_message(error) : "");
  Owned<sealexec_library> library(loaded);
  image.reset(); // the library keeps what it needs
  void* address = nullptr;
  ASSERT_EQ(sealexec_library_symbol(library.get(), "sealexec_plugin_answer", &address, nullptr),
            SEALEXEC_OK);
  using Answer = int (*)();
  Answer answer = nullptr;
  std::memcpy(&answer, &address, sizeof answer);
  EXPECT_EQ(answer(), 42);
  EXPECT_EQ(sealexec_library_symbol(library.get(), "no_such_symbol", &address, &error),
            SEALEXEC_E_NOT_FOUND);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(sealexec_error_message(error)).find("no_such_symbol"), std::string::npos);
  sealexec_error_free(error);

  auto not_elf = image_of("#!/bin/sh\n");
  EXPECT_EQ(sealexec_library_load(not_elf.get(), 0, 0, &loaded, nullptr), SEALEXEC_E_NOT_RUNNABLE);
}

TEST(CApiCache, PutGetMapRemoveAndTheCliSeesTheSameEntries) {
  TempDir dir;
  const std::string where = (dir / "cache").string();
  sealexec_cache* raw = nullptr;
  ASSERT_EQ(sealexec_cache_open(where.c_str(), &raw, nullptr), SEALEXEC_OK);
  Owned<sealexec_cache> cache(raw);
  EXPECT_EQ(fs::status(where).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(std::string(sealexec_cache_directory(cache.get())), where);
  const std::string content = "compiled code, configuration A";
  ASSERT_EQ(sealexec_cache_put(cache.get(), "module.wasm", "engine=A", content.data(),
                               content.size(), nullptr),
            SEALEXEC_OK);

  sealexec_image* image = nullptr;
  ASSERT_EQ(sealexec_cache_get(cache.get(), "module.wasm", "engine=A", 0, &image, nullptr),
            SEALEXEC_OK);
  ASSERT_NE(image, nullptr);
  Owned<sealexec_image> hit(image);
  EXPECT_EQ(sealexec_image_size(hit.get()), content.size());
  EXPECT_EQ(std::string(sealexec_image_memfd_name(hit.get())).rfind("sealexec:module.wasm:", 0),
            0u);

  // Another configuration never gets A's bytes (the Wasmtime crash).
  image = reinterpret_cast<sealexec_image*>(1);
  ASSERT_EQ(sealexec_cache_get(cache.get(), "module.wasm", "engine=B", 0, &image, nullptr),
            SEALEXEC_OK);
  EXPECT_EQ(image, nullptr);

  sealexec_mapping* mapping = nullptr;
  ASSERT_EQ(sealexec_cache_map(cache.get(), "module.wasm", "engine=A", &mapping, nullptr),
            SEALEXEC_OK);
  ASSERT_NE(mapping, nullptr);
  Owned<sealexec_mapping> mapped(mapping);
  EXPECT_EQ(std::string(static_cast<const char*>(sealexec_mapping_data(mapped.get())),
                        sealexec_mapping_size(mapped.get())),
            content);

  // The CLI reads what the C API put, and the other way round.
  const std::string from_cli = (dir / "from-cli").string();
  const std::string get = std::string(SEALEXEC_CLI) + " cache get --dir " + where +
                          " --fingerprint engine=A module.wasm -o " + from_cli;
  ASSERT_EQ(std::system(get.c_str()), 0);
  EXPECT_EQ(slurp(from_cli), content);
  {
    std::ofstream(dir / "input") << "put by the CLI";
  }
  const std::string put = std::string(SEALEXEC_CLI) + " cache put --dir " + where +
                          " --fingerprint engine=A by-cli " + (dir / "input").string();
  ASSERT_EQ(std::system(put.c_str()), 0);
  ASSERT_EQ(sealexec_cache_map(cache.get(), "by-cli", "engine=A", &mapping, nullptr), SEALEXEC_OK);
  ASSERT_NE(mapping, nullptr);
  Owned<sealexec_mapping> cli_entry(mapping);
  EXPECT_EQ(std::string(static_cast<const char*>(sealexec_mapping_data(cli_entry.get())),
                        sealexec_mapping_size(cli_entry.get())),
            "put by the CLI");

  EXPECT_EQ(sealexec_cache_put(cache.get(), "", "engine=A", "x", 1, nullptr),
            SEALEXEC_E_INVALID_ARGUMENT);
  int removed = -1;
  ASSERT_EQ(sealexec_cache_remove(cache.get(), "module.wasm", "engine=A", &removed, nullptr),
            SEALEXEC_OK);
  EXPECT_EQ(removed, 1);
  ASSERT_EQ(sealexec_cache_remove(cache.get(), "module.wasm", "engine=A", &removed, nullptr),
            SEALEXEC_OK);
  EXPECT_EQ(removed, 0);
  mapping = reinterpret_cast<sealexec_mapping*>(1);
  ASSERT_EQ(sealexec_cache_map(cache.get(), "module.wasm", "engine=A", &mapping, nullptr),
            SEALEXEC_OK);
  EXPECT_EQ(mapping, nullptr);
}

TEST(CApiCache, PutFdAndExecAnEntry) {
  TempDir dir;
  const std::string where = (dir / "cache").string();
  sealexec_cache* raw = nullptr;
  ASSERT_EQ(sealexec_cache_open(where.c_str(), &raw, nullptr), SEALEXEC_OK);
  Owned<sealexec_cache> cache(raw);
  const int hello = ::open((k_examples / "hello").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(hello, 0);
  ASSERT_EQ(sealexec_cache_put_fd(cache.get(), "tools/hello", "cc=gcc-12", hello, nullptr),
            SEALEXEC_OK);
  ::close(hello);
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    Owned<sealexec_command> command(sealexec_command_new());
    const char* argv[] = {"hello", "cached", nullptr};
    (void)sealexec_command_set_argv(command.get(), argv, nullptr);
    (void)sealexec_cache_exec(cache.get(), "tools/hello", "cc=gcc-12", command.get(), nullptr);
    ::_exit(99);
  }
  ::close(out[1]);
  const std::string printed = read_all(out[0]);
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(printed, "hello from sealed memory\narg 1: cached\n");

  sealexec_error* error = nullptr;
  EXPECT_EQ(sealexec_cache_exec(cache.get(), "tools/none", "cc=gcc-12", nullptr, &error),
            SEALEXEC_E_NOT_FOUND);
  ASSERT_NE(error, nullptr);
  sealexec_error_free(error);
}

TEST(CApiCache, ChecksTheRemoteSettingsOfCacheConfAsTheCliDoes) {
  TempDir dir;
  const std::string where = (dir / "cache").string();
  sealexec_cache* cache = nullptr;
  ASSERT_EQ(sealexec_cache_open(where.c_str(), &cache, nullptr), SEALEXEC_OK);
  sealexec_cache_free(cache);
  std::ofstream(dir / "cache" / "cache.conf") << "insecure_remote = bogus\n";
  sealexec_error* error = nullptr;
  EXPECT_NE(sealexec_cache_open(where.c_str(), &cache, &error), SEALEXEC_OK);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(sealexec_error_message(error)).find("cache.conf"), std::string::npos)
      << sealexec_error_message(error);
  sealexec_error_free(error);
  const std::string cli = std::string(SEALEXEC_CLI) + " cache ls --dir " + where + " 2>/dev/null";
  EXPECT_NE(std::system(cli.c_str()), 0) << "the CLI accepts what the C API refuses";
}

TEST(CApiCache, RefusesADirectoryThatIsNotACache) {
  TempDir dir;
  std::ofstream(dir / "precious.txt") << "a user's file";
  sealexec_cache* cache = nullptr;
  sealexec_error* error = nullptr;
  EXPECT_EQ(sealexec_cache_open(dir.path().c_str(), &cache, &error), SEALEXEC_E_POLICY);
  EXPECT_EQ(cache, nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_GT(std::strlen(sealexec_error_message(error)), 0u);
  sealexec_error_free(error);
  EXPECT_EQ(slurp(dir / "precious.txt"), "a user's file");
}

TEST(CApiCheck, OneFileGivesTheCliDocument) {
  char* json = nullptr;
  ASSERT_EQ(sealexec_check_file((k_examples / "hello").c_str(), 0, &json, nullptr), SEALEXEC_OK);
  Owned<char> document(json);
  const std::string text = json;
  EXPECT_EQ(text.rfind("{\"sealexec_check\":1,\"files\":[", 0), 0u) << text;
  EXPECT_NE(text.find("\"summary\":{\"checked\":1,"), std::string::npos) << text;
  EXPECT_NE(text.find((k_examples / "hello").string()), std::string::npos);

  const std::string cli = std::string(SEALEXEC_CLI) + " check --json " +
                          (k_examples / "hello").string();
  FILE* pipe = ::popen(cli.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  const std::string from_cli = read_all(::fileno(pipe));
  ::pclose(pipe);
  EXPECT_EQ(text, from_cli) << "the C API and `check --json` disagree";

  ASSERT_EQ(sealexec_check_file("/nonexistent/file", SEALEXEC_CHECK_DEPS, &json, nullptr),
            SEALEXEC_OK);
  Owned<char> failed(json);
  EXPECT_NE(std::string(json).find("\"error\":"), std::string::npos) << json;
  EXPECT_NE(std::string(json).find("\"errors\":1"), std::string::npos) << json;
}

} // namespace
