#include "sealexec/cli/memory_tier_setting.h"

#include "sealexec/cli/output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string_view>

namespace sealexec::cli {

namespace {

// This program's own path, to start `serve` from; empty when it cannot be
// named (it runs from a memfd or a deleted file).
std::string own_program() {
  std::array<char, 4096> path{};
  const ssize_t length = ::readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (length <= 0) {
    return {};
  }
  const std::string_view text(path.data(), static_cast<std::size_t>(length));
  if (!text.starts_with('/') || text.ends_with(" (deleted)")) {
    return {};
  }
  return std::string(text);
}

} // namespace

std::optional<MemoryTier> memory_tier_from_environment() {
  const char* raw = std::getenv("SEALEXEC_MEMORY_TIER");
  const std::string_view setting = raw == nullptr ? std::string_view() : std::string_view(raw);
  if (setting == "off" || setting == "0" || setting == "no" || setting == "false") {
    return std::nullopt;
  }
  if (!setting.empty() && setting != "on" && setting != "1" && setting != "yes" &&
      setting != "true") {
    warn(fmt::format("SEALEXEC_MEMORY_TIER={}: expected on or off; the memory tier stays off",
                     setting));
    return std::nullopt;
  }
  MemoryTierOptions options;
  options.server_program = own_program;
  return MemoryTier(std::move(options));
}

} // namespace sealexec::cli
