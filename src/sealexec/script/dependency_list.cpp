#include "sealexec/script/dependency_list.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace sealexec::script {

std::optional<std::string> flag_hiding_dependencies(const std::vector<std::string>& flags) {
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const std::string& flag = flags[i];
    if (flag == "-Xlinker" || flag == "-Xassembler") {
      ++i; // the next word is the linker's or the assembler's (-Xlinker -Map)
      continue;
    }
    if (flag.starts_with("-M") || flag.starts_with('@') || flag == "-Xpreprocessor" ||
        (flag.starts_with("--") && flag.find("dependencies") != std::string::npos) ||
        (flag.starts_with("-Wp,") && flag.find(",-M") != std::string::npos)) {
      return flag;
    }
  }
  return std::nullopt;
}

Expected<Depfile> own_dependency_list(std::string_view text, const std::filesystem::path& output) {
  constexpr std::string_view k_what = "the compiler's standard output";
  auto rules = parse_depfile(text, k_what);
  if (!rules) {
    return fail(make_error(Errc::malformed, k_what,
                           fmt::format("is not just its dependency list ({})",
                                       rules.error().reason)));
  }
  if (rules->targets != std::vector<std::string>{output.string()}) {
    return fail(make_error(Errc::malformed, k_what, "is not just its dependency list"));
  }
  return std::move(*rules);
}

Expected<CommandResult> finish_compile(StartedCommand started, std::size_t limit) {
  CommandResult result;
  std::array<char, 16 * 1024> buffer{};
  const auto take = [&](ssize_t got) {
    const std::size_t room = limit - std::min(limit, result.out.size());
    result.out.append(buffer.data(), std::min(room, static_cast<std::size_t>(got)));
  };
  bool exited = false;
  while (started.out) {
    pollfd polled{.fd = started.out.get(), .events = POLLIN, .revents = 0};
    // Normally the pipe ends when the compiler does, and poll says so at
    // once; the timeout only notices a compiler gone while the pipe lives.
    const int ready = ::poll(&polled, 1, exited ? 0 : 100);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready < 0) {
      return fail(system_error("cannot read the output of",
                               fmt::format("pid {}", started.child.pid()), "poll"));
    }
    if (ready == 0) {
      if (exited) {
        break; // all it wrote is read; whatever holds the pipe is not the compiler
      }
      SEALEXEC_TRY_ASSIGN(const auto status, started.child.try_wait());
      exited = status.has_value();
      continue;
    }
    const ssize_t got = ::read(started.out.get(), buffer.data(), buffer.size());
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (got <= 0) {
      break;
    }
    take(got);
    if (exited && result.out.size() >= limit) {
      break; // a process left behind that keeps writing
    }
  }
  started.out.reset();
  SEALEXEC_TRY_ASSIGN(result.status, started.child.wait());
  return result;
}

} // namespace sealexec::script
