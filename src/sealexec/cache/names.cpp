#include "sealexec/cache/names.h"

#include <fmt/format.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>

namespace sealexec::cache {

namespace {

// "<prefix>-<16 hex>.tmp" for this prefix.
bool has_temp_form(std::string_view name, std::string_view prefix) {
  constexpr std::string_view k_suffix = ".tmp";
  if (name.size() != prefix.size() + 1 + 16 + k_suffix.size() || !name.starts_with(prefix) ||
      name[prefix.size()] != '-' || !name.ends_with(k_suffix)) {
    return false;
  }
  return is_lower_hex(name.substr(prefix.size() + 1, 16));
}

} // namespace

bool is_lower_hex(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

bool is_shard_name(std::string_view name) { return name.size() == 2 && is_lower_hex(name); }

std::optional<Sha256Digest> entry_name_digest(std::string_view name) {
  return name.size() == 64 && is_lower_hex(name) ? Sha256Digest::from_hex(name) : std::nullopt;
}

std::optional<Sha256Digest> blob_name_digest(std::string_view name) {
  if (name.ends_with(".zst")) {
    name.remove_suffix(4);
  }
  return entry_name_digest(name);
}

TempName classify_temp_name(std::string_view name) {
  if (has_temp_form(name, "put")) {
    return TempName::writing;
  }
  if (has_temp_form(name, "moving")) {
    return TempName::moving;
  }
  // "<pid>.<16 hex>.tmp", the names of earlier versions.
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 10 ||
      name.size() != dot + 1 + 16 + 4 || !name.ends_with(".tmp")) {
    return TempName::not_ours;
  }
  if (!std::ranges::all_of(name.substr(0, dot), [](char c) { return c >= '0' && c <= '9'; })) {
    return TempName::not_ours;
  }
  return is_lower_hex(name.substr(dot + 1, 16)) ? TempName::legacy : TempName::not_ours;
}

std::string unique_temp_name(std::string_view prefix) {
  std::uint64_t random = 0;
  if (::getrandom(&random, sizeof random, 0) != sizeof random) {
    static std::uint64_t counter = 0;
    random ^= static_cast<std::uint64_t>(::getpid()) * std::uint64_t{0x9e3779b97f4a7c15} + ++counter;
  }
  return fmt::format("{}-{:016x}.tmp", prefix, random);
}

} // namespace sealexec::cache
