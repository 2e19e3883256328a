// /etc/ld.so.cache, read directly in its "glibc-ld.so.cache1.1" format, the
// way glibc's ld.so reads it (sysdeps/generic/dl-cache.h). The file is
// hostile input like any other: every offset is checked.
#pragma once

#include "sealexec/util/error.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sealexec::elf {

// Entry flags as ldconfig writes them (sysdeps/generic/ldconfig.h).
inline constexpr std::int32_t k_cache_flag_elf_libc6 = 0x0003;
inline constexpr std::int32_t k_cache_flag_x8664_lib64 = 0x0300;
inline constexpr std::int32_t k_cache_flag_aarch64_lib64 = 0x0a00;
// hwcap values with this bit name a glibc-hwcaps subdirectory.
inline constexpr std::uint64_t k_cache_hwcap_extension = std::uint64_t{1} << 62;

struct LdSoCacheEntry {
  std::int32_t flags = 0;
  std::string key;   // the soname
  std::string value; // the path
  std::uint64_t hwcap = 0;
};

class LdSoCache {
public:
  // Parses a whole cache file. Errors (Errc::malformed) name `name`.
  [[nodiscard]] static Expected<LdSoCache> parse(std::span<const std::byte> bytes,
                                                 std::string_view name);
  // Reads and parses `path` (at most 64 MiB).
  [[nodiscard]] static Expected<LdSoCache> load(const std::filesystem::path& path);

  // The path ld.so takes for `soname` when it accepts entries with exactly
  // `flags` (0x303 for x86_64): the first such entry in file order, which is
  // what glibc's binary search and walk back to the first equal key find.
  // Entries for glibc-hwcaps subdirectories are not considered (sealexec
  // does not model CPU ISA levels; none exist on Debian 12 by default).
  [[nodiscard]] std::optional<std::string_view> lookup(std::string_view soname,
                                                       std::int32_t flags) const;

  [[nodiscard]] const std::vector<LdSoCacheEntry>& entries() const { return m_entries; }

private:
  std::vector<LdSoCacheEntry> m_entries;
  // (soname, flags) -> index of the first matching plain entry.
  std::unordered_map<std::string, std::size_t> m_first;
};

// The cache flags the ld.so for `machine`/`is64` accepts; nullopt for
// architectures sealexec does not model.
[[nodiscard]] std::optional<std::int32_t> cache_flags_for(std::uint16_t machine, bool is64);

} // namespace sealexec::elf
