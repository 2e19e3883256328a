#include "sealexec/cli/memory_limit.h"

#include "sealexec/util/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <string_view>

namespace sealexec::cli {

namespace {

constexpr std::uint64_t k_stream_limit_cap = std::uint64_t{1} << 30;

// The start of a small kernel file (at most 4 KiB), or nullopt.
std::optional<std::string> read_small(const std::string& path) {
  auto fd = open_fd(path.c_str(), O_RDONLY);
  if (!fd) {
    return std::nullopt;
  }
  std::array<char, 4096> buffer{};
  std::size_t used = 0;
  while (used < buffer.size()) {
    const ssize_t got = ::read(fd->get(), buffer.data() + used, buffer.size() - used);
    if (got <= 0) {
      break;
    }
    used += static_cast<std::size_t>(got);
  }
  return std::string(buffer.data(), used);
}

std::optional<std::uint64_t> leading_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end == text.data()) {
    return std::nullopt;
  }
  return value;
}

// The least limit in `file` of the cgroup at `path` under `root` and of each
// of its ancestors. "max" (v2) and v1's huge "unlimited" values need no
// special case: MemTotal is smaller.
std::optional<std::uint64_t> cgroup_limit(std::string_view root, std::string path,
                                          std::string_view file) {
  std::optional<std::uint64_t> least;
  for (;;) {
    std::string directory(root);
    directory += path;
    if (!directory.ends_with('/')) {
      directory += '/';
    }
    if (const auto text = read_small(directory + std::string(file))) {
      if (const auto value = leading_number(*text)) {
        least = std::min(least.value_or(*value), *value);
      }
    }
    if (path.empty() || path == "/") {
      return least;
    }
    const std::size_t slash = path.rfind('/');
    path.resize(slash == std::string::npos ? 0 : slash);
  }
}

std::optional<std::uint64_t> mem_total() {
  const auto text = read_small("/proc/meminfo");
  constexpr std::string_view k_key = "MemTotal:";
  if (!text || !text->starts_with(k_key)) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(*text).substr(k_key.size());
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  const auto kib = leading_number(rest);
  return kib ? std::optional<std::uint64_t>(*kib * 1024) : std::nullopt;
}

} // namespace

std::optional<std::uint64_t> memory_available() {
  std::optional<std::uint64_t> least = mem_total();
  const auto take = [&least](std::optional<std::uint64_t> limit) {
    if (limit) {
      least = std::min(least.value_or(*limit), *limit);
    }
  };
  // Lines of /proc/self/cgroup: "0::/path" for v2, "4:memory:/path" for v1.
  const auto lines = read_small("/proc/self/cgroup");
  std::string_view rest = lines ? std::string_view(*lines) : std::string_view();
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      continue;
    }
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string path(line.substr(second + 1));
    if (line.starts_with("0::")) {
      take(cgroup_limit("/sys/fs/cgroup", path, "memory.max"));
    } else if (controllers == "memory" || controllers.starts_with("memory,") ||
               controllers.ends_with(",memory") ||
               controllers.find(",memory,") != std::string_view::npos) {
      take(cgroup_limit("/sys/fs/cgroup/memory", path, "memory.limit_in_bytes"));
    }
  }
  return least;
}

std::uint64_t default_stream_limit() {
  const auto available = memory_available();
  return available ? std::min(*available / 4, k_stream_limit_cap) : k_stream_limit_cap;
}

std::uint64_t default_file_limit() {
  constexpr std::uint64_t k_file_limit_cap = std::uint64_t{4} << 30;
  const auto available = memory_available();
  return available ? std::min(*available / 4 * 3, k_file_limit_cap) : k_file_limit_cap;
}

} // namespace sealexec::cli
