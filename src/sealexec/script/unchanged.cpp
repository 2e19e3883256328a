#include "sealexec/script/unchanged.h"

#include <fmt/format.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

namespace sealexec::script {

namespace {

constexpr std::int64_t k_second = 1'000'000'000;
// Symbolic links followed on one path before giving up, as the kernel does.
constexpr int k_max_links = 40;

std::int64_t nanoseconds(const struct timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * k_second + time.tv_nsec;
}

// Adds the components of `path` to `pending`, the first one last (pending
// is used as a stack).
void push_components(std::vector<std::string>& pending, std::string_view path) {
  std::vector<std::string> components;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    components.emplace_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  pending.insert(pending.end(), components.rbegin(), components.rend());
}

} // namespace

const PathCheck::Component& PathCheck::component(const std::string& path) {
  const auto [at, inserted] = m_seen.try_emplace(path);
  Component& component = at->second; // nodes stay put when the map grows
  if (!inserted) {
    return component;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    component.problem = fmt::format("{} is gone", path);
    return component;
  }
  const std::int64_t ctime = nanoseconds(st.st_ctim);
  if (S_ISLNK(st.st_mode)) {
    // A link's target never changes; replacing the link makes a new one.
    if (!stamped_before(ctime, m_since)) {
      component.problem =
          fmt::format("{} (a symbolic link) was replaced while the script was being compiled", path);
      return component;
    }
    std::array<char, PATH_MAX> target{};
    const ssize_t length = ::readlink(path.c_str(), target.data(), target.size());
    if (length <= 0 || static_cast<std::size_t>(length) >= target.size()) {
      component.problem = fmt::format("{} (a symbolic link) cannot be read", path);
      return component;
    }
    component.is_link = true;
    component.target.assign(target.data(), static_cast<std::size_t>(length));
  } else if (S_ISDIR(st.st_mode)) {
    // Adding or removing an entry sets mtime and ctime to one value; a
    // rename (or chmod) sets only ctime.
    if (!stamped_before(ctime, m_since) && nanoseconds(st.st_mtim) != ctime) {
      component.problem =
          fmt::format("{} (a directory) was moved or changed while the script was being compiled",
                      path);
    }
  }
  // Anything else is the file at the end, which its caller judges (its
  // content is hashed through one descriptor), or a lookup that fails next.
  return component;
}

std::string PathCheck::changed(const std::string& path, std::uint64_t dev, std::uint64_t ino) {
  if (!path.starts_with('/')) {
    return fmt::format("{} is not an absolute path", path);
  }
  std::vector<std::string> pending;
  push_components(pending, path);
  std::string resolved; // free of symbolic links, "" for the root
  int links = 0;
  while (!pending.empty()) {
    const std::string name = std::move(pending.back());
    pending.pop_back();
    if (name.empty() || name == ".") {
      continue;
    }
    if (name == "..") {
      resolved.resize(resolved.rfind('/') == std::string::npos ? 0 : resolved.rfind('/'));
      continue;
    }
    std::string here = resolved + "/" + name;
    const Component& component = this->component(here);
    if (!component.problem.empty()) {
      return component.problem;
    }
    if (component.is_link) {
      if (++links > k_max_links) {
        return fmt::format("{}: too many symbolic links", path);
      }
      if (component.target.starts_with('/')) {
        resolved.clear();
      }
      push_components(pending, component.target);
      continue;
    }
    resolved = std::move(here);
  }
  struct stat st {};
  if (resolved.empty() || ::lstat(resolved.c_str(), &st) != 0 ||
      static_cast<std::uint64_t>(st.st_dev) != dev || static_cast<std::uint64_t>(st.st_ino) != ino) {
    return fmt::format("{} no longer names the file the compiler read", path);
  }
  return {};
}

} // namespace sealexec::script
