#include "sealexec/exec/program_lookup.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec {

namespace {

std::string default_search_path() {
  const std::size_t size = ::confstr(_CS_PATH, nullptr, 0);
  if (size == 0) {
    return "/bin:/usr/bin";
  }
  std::string text(size, '\0');
  ::confstr(_CS_PATH, text.data(), size);
  text.resize(size - 1); // drop the NUL
  return text;
}

} // namespace

Expected<std::string> find_program(std::string_view name,
                                   std::optional<std::string_view> search_path) {
  if (name.find('/') != std::string_view::npos) {
    return std::string(name);
  }
  if (name.empty()) {
    return fail(make_error(Errc::not_found, "", "an empty program name"));
  }
  const std::string path = search_path ? std::string(*search_path) : default_search_path();
  std::optional<std::string> not_executable;
  std::string_view rest = path;
  for (;;) {
    const std::size_t colon = rest.find(':');
    const std::string_view directory = rest.substr(0, colon);
    const std::string candidate = directory.empty()
                                      ? std::string(name)
                                      : fmt::format("{}/{}", directory, name);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) {
        return directory.empty() ? "./" + candidate : candidate;
      }
      not_executable = not_executable.value_or(candidate);
    }
    if (colon == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(colon + 1);
  }
  if (not_executable) {
    return fail(make_error(Errc::not_runnable, name,
                           fmt::format("found in PATH as {}, which is not executable",
                                       *not_executable)));
  }
  return fail(make_error(Errc::not_found, name, "not found in PATH"));
}

} // namespace sealexec
