// /etc/ld.so.cache, read directly in its "glibc-ld.so.cache1.1" format, the
// way glibc's ld.so reads it (sysdeps/generic/dl-cache.h). The file is
// hostile input like any other: every offset is checked.
#pragma once

#include "sealexec/util/error.h"
#include "sealexec/util/mapping.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::elf {

// Entry flags as ldconfig writes them (sysdeps/generic/ldconfig.h).
inline constexpr std::int32_t k_cache_flag_elf_libc6 = 0x0003;
inline constexpr std::int32_t k_cache_flag_x8664_lib64 = 0x0300;
inline constexpr std::int32_t k_cache_flag_aarch64_lib64 = 0x0a00;
// hwcap values with this bit name a glibc-hwcaps subdirectory.
inline constexpr std::uint64_t k_cache_hwcap_extension = std::uint64_t{1} << 62;

// An entry; its strings point into the cache's own copy of the file.
class LdSoCache {
public:
  // Parses a cache file held in `bytes` (which must outlive the object).
  // Checks the header and that the entries and strings lie in the file;
  // entries are decoded, bounds-checked, only when a lookup reaches them.
  // Errors (Errc::malformed) name `name`.
  [[nodiscard]] static Expected<LdSoCache> parse(std::span<const std::byte> bytes,
                                                 std::string_view name);
  // Maps `path` read-only, as ld.so does (ldconfig replaces the file by
  // renaming a new one over it, never by rewriting it), and parses it.
  [[nodiscard]] static Expected<LdSoCache> load(const std::filesystem::path& path);

  // The path ld.so takes for `soname` when it accepts entries with exactly
  // `flags` (0x303 for x86_64). Like glibc: a binary search over the entries
  // (sorted in descending library-name order), back to the first equal key,
  // then the first acceptable entry. Entries for glibc-hwcaps subdirectories
  // are passed over (sealexec does not model CPU ISA levels; Debian 12 has
  // none by default).
  [[nodiscard]] std::optional<std::string_view> lookup(std::string_view soname,
                                                       std::int32_t flags) const;

  [[nodiscard]] std::size_t size() const { return m_count; }

  LdSoCache(LdSoCache&&) noexcept = default;
  LdSoCache& operator=(LdSoCache&&) noexcept = default;
  LdSoCache(const LdSoCache&) = delete;
  LdSoCache& operator=(const LdSoCache&) = delete;
  ~LdSoCache() = default;

private:
  LdSoCache() = default;
  // The NUL-terminated string at `offset` from the new header, if inside.
  [[nodiscard]] std::optional<std::string_view> string_at(std::uint64_t offset) const;

  Mapping m_mapping; // owns the bytes when loaded from a file
  std::span<const std::byte> m_bytes;
  std::uint64_t m_base = 0;    // offset of the new-format header
  std::uint64_t m_entries = 0; // offset of the first entry
  std::uint64_t m_count = 0;
};

// The order of the cache: glibc's _dl_cache_libcmp. Runs of digits compare
// as numbers, a digit sorts after any other character, the rest byte by
// byte. Negative, zero or positive like strcmp.
[[nodiscard]] int compare_library_names(std::string_view a, std::string_view b);

// The cache flags the ld.so for `machine`/`is64` (and, for Arm and RISC-V,
// the float ABI in `e_flags`) accepts (_DL_CACHE_DEFAULT_ID in glibc's
// sysdeps/*/dl-cache.h); nullopt for architectures sealexec does not model.
[[nodiscard]] std::optional<std::int32_t> cache_flags_for(std::uint16_t machine, bool is64,
                                                          std::uint32_t e_flags = 0);

} // namespace sealexec::elf
