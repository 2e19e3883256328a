#include "sealexec/exec/launch.h"

#include "sealexec/exec/env_restore.h"
#include "sealexec/exec/name_link.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

extern char** environ;

namespace sealexec {

CStringArray::CStringArray(std::vector<std::string> strings) : m_strings(std::move(strings)) {
  m_pointers.reserve(m_strings.size() + 1);
  for (std::string& s : m_strings) {
    m_pointers.push_back(s.data());
  }
  m_pointers.push_back(nullptr);
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    env.emplace_back(*entry);
  }
  return env;
}

namespace {
bool defines(std::string_view entry, std::string_view name) {
  return entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=';
}
} // namespace

std::optional<std::string_view> find_variable(const std::vector<std::string>& env,
                                              std::string_view name) {
  // The C library's getenv takes the first definition; so does ld.so.
  for (const std::string& entry : env) {
    if (defines(entry, name)) {
      return std::string_view(entry).substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

void set_variable(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  std::string entry(name);
  entry += '=';
  entry += value;
  const auto first = std::ranges::find_if(
      env, [name](const std::string& existing) { return defines(existing, name); });
  if (first == env.end()) {
    env.push_back(std::move(entry));
    return;
  }
  *first = std::move(entry);
  // ld.so takes the last definition, getenv the first: keep only one.
  const auto later = std::remove_if(std::next(first), env.end(), [name](const std::string& e) {
    return defines(e, name);
  });
  env.erase(later, env.end());
}

Expected<Launch> prepare_launch(const SealedImage& image, const ExecOptions& options,
                                const std::filesystem::path& working_directory) {
  Launch launch;
  SEALEXEC_TRY_ASSIGN(launch.program, check_runnable(image, working_directory));
  launch.keep_image_fd = launch.program.kind == ImageKind::script;
  if (is_usable_name(options.name)) {
    launch.name = options.name;
  }

  std::vector<std::string> env = options.env ? *options.env : current_environment();
  if (options.preserve_origin && launch.program.kind == ImageKind::elf) {
    const auto& origin = options.origin ? options.origin : image.origin();
    SEALEXEC_TRY_ASSIGN(launch.origin,
                        plan_origin(image, origin, find_variable(env, "LD_LIBRARY_PATH")));
    if (launch.origin.library_path) {
      const auto& restorer = env_restorer();
      // Under valgrind, ld.so would preload the restorer into valgrind's
      // own launcher, which would take the variable back before the program
      // ever ran.
      if (restorer && can_preload_restorer(launch.program) && !running_on_valgrind()) {
        set_library_path_for_program_only(env, *launch.origin.library_path, *restorer);
      } else {
        set_variable(env, "LD_LIBRARY_PATH", *launch.origin.library_path);
        launch.origin.warnings.push_back(fmt::format(
            "LD_LIBRARY_PATH={} will also reach the programs it starts: {}",
            *launch.origin.library_path,
            running_on_valgrind()
                ? "under valgrind, sealexec-restore-env.so would run in valgrind itself"
            : restorer ? "it is not a program for this machine's glibc, which could preload "
                         "sealexec-restore-env.so to take it back"
                     : "sealexec-restore-env.so, which takes it back, is not installed next to "
                       "sealexec or in libexec/sealexec"));
      }
    }
  }
  std::vector<std::string> argv = options.argv;
  if (argv.empty()) {
    argv.push_back(image.source());
  }
  launch.argv = CStringArray(std::move(argv));
  launch.envp = CStringArray(std::move(env));
  return launch;
}

bool running_on_valgrind() noexcept {
#if __has_include(<valgrind/valgrind.h>)
  return RUNNING_ON_VALGRIND != 0;
#else
  return false;
#endif
}

int exec_fd(int fd, char* const* argv, char* const* envp) noexcept {
  ::syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
  if (errno != ENOENT && errno != ENOSYS) {
    return -1;
  }
  const int execveat_errno = errno;
  // "/proc/self/fd/" plus a decimal fd, built without allocating.
  std::array<char, 32> path{};
  constexpr std::string_view k_prefix = "/proc/self/fd/";
  std::copy(k_prefix.begin(), k_prefix.end(), path.begin());
  const auto [end, error] =
      std::to_chars(path.data() + k_prefix.size(), path.data() + path.size() - 1, fd);
  if (error != std::errc{}) {
    errno = execveat_errno;
    return -1;
  }
  *end = '\0';
  ::execve(path.data(), argv, envp);
  // A missing /proc says nothing useful; report what execveat said.
  if (errno == ENOENT) {
    errno = execveat_errno;
  }
  return -1;
}

} // namespace sealexec
