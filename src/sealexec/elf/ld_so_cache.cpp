#include "sealexec/elf/ld_so_cache.h"

#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/decoder.h"
#include "sealexec/util/fd.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <bit>
#include <cstring>

namespace sealexec::elf {

namespace {

constexpr std::string_view k_old_magic = "ld.so-1.7.0";
constexpr std::string_view k_new_magic = "glibc-ld.so.cache1.1";
constexpr std::size_t k_old_header = 16;  // magic[11], padding, u32 nlibs
constexpr std::size_t k_old_entry = 12;   // i32 flags, u32 key, u32 value
constexpr std::size_t k_new_header = 48;
constexpr std::size_t k_new_entry = 24;   // i32 flags, u32 key, u32 value, u32 os, u64 hwcap
constexpr std::uint64_t k_max_cache_size = std::uint64_t{64} << 20;

std::string key_of(std::string_view soname, std::int32_t flags) {
  return fmt::format("{}\n{}", soname, flags);
}

} // namespace

Expected<LdSoCache> LdSoCache::parse(std::span<const std::byte> bytes, std::string_view name) {
  auto bad = [name](std::string reason) {
    return fail(make_error(Errc::malformed, name, std::move(reason)));
  };
  auto starts_with = [&bytes](std::size_t at, std::string_view magic) {
    return range_fits(at, magic.size(), bytes.size()) &&
           std::memcmp(bytes.data() + at, magic.data(), magic.size()) == 0;
  };
  // The format is written in the host's byte order (flags say which).
  const ByteOrder host =
      std::endian::native == std::endian::little ? ByteOrder::little : ByteOrder::big;
  const Decoder d{bytes, host};

  std::uint64_t base = 0;
  if (starts_with(0, k_old_magic)) {
    // An old-format table may precede the new one (ldconfig -c compat).
    if (bytes.size() < k_old_header) {
      return bad("truncated: the old-format header is incomplete");
    }
    const std::uint64_t old_count = d.u32(12);
    base = (k_old_header + old_count * k_old_entry + 7) & ~std::uint64_t{7};
  }
  if (!starts_with(base, k_new_magic)) {
    return bad(fmt::format("not a glibc-ld.so.cache1.1 file (no magic at offset {})", base));
  }
  if (!range_fits(base, k_new_header, bytes.size())) {
    return bad("truncated: the header is incomplete");
  }
  const std::uint64_t count = d.u32(base + 20);
  const std::uint64_t strings_length = d.u32(base + 24);
  const auto order_flags = std::to_integer<std::uint8_t>(bytes[base + 28]) & 3U;
  if ((order_flags == 2 && host != ByteOrder::little) ||
      (order_flags == 3 && host != ByteOrder::big) || order_flags == 1) {
    return bad("written for another byte order");
  }
  const std::uint64_t entries_at = base + k_new_header;
  if (!range_fits(entries_at, count * k_new_entry, bytes.size())) {
    return bad(fmt::format("truncated: {} entries do not fit in {} bytes", count, bytes.size()));
  }
  if (!range_fits(entries_at + count * k_new_entry, strings_length, bytes.size())) {
    return bad("truncated: the string table runs past the end");
  }

  // Strings are NUL-terminated and addressed from the start of the new
  // header; they may overlap (ldconfig shares suffixes).
  auto string_at = [&](std::uint64_t offset) -> std::optional<std::string> {
    if (offset >= bytes.size() - base) {
      return std::nullopt;
    }
    const char* start = reinterpret_cast<const char*>(bytes.data() + base + offset);
    const std::size_t room = bytes.size() - base - offset;
    const void* nul = std::memchr(start, '\0', room);
    if (nul == nullptr) {
      return std::nullopt;
    }
    return std::string(start, static_cast<const char*>(nul));
  };

  LdSoCache cache;
  cache.m_entries.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t at = entries_at + i * k_new_entry;
    LdSoCacheEntry entry;
    entry.flags = static_cast<std::int32_t>(d.u32(at));
    auto key = string_at(d.u32(at + 4));
    auto value = string_at(d.u32(at + 8));
    if (!key || !value) {
      return bad(fmt::format("entry {} names a string outside the file", i));
    }
    entry.key = std::move(*key);
    entry.value = std::move(*value);
    entry.hwcap = d.u64(at + 16);
    if ((entry.hwcap & k_cache_hwcap_extension) == 0) {
      cache.m_first.try_emplace(key_of(entry.key, entry.flags), cache.m_entries.size());
    }
    cache.m_entries.push_back(std::move(entry));
  }
  return cache;
}

Expected<LdSoCache> LdSoCache::load(const std::filesystem::path& path) {
  const std::string name = path.string();
  SEALEXEC_TRY_ASSIGN(const Fd fd, open_fd(name.c_str(), O_RDONLY));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(system_error("cannot inspect", name, "fstat"));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > k_max_cache_size) {
    return fail(make_error(Errc::too_large, name, "is implausibly large for a linker cache"));
  }
  std::vector<std::byte> bytes(size);
  const FdSource source(fd.get(), size, name);
  SEALEXEC_TRY(source.read(0, bytes));
  return parse(bytes, name);
}

std::optional<std::string_view> LdSoCache::lookup(std::string_view soname,
                                                  std::int32_t flags) const {
  const auto found = m_first.find(key_of(soname, flags));
  if (found == m_first.end()) {
    return std::nullopt;
  }
  return m_entries[found->second].value;
}

std::optional<std::int32_t> cache_flags_for(std::uint16_t machine, bool is64) {
  switch (machine) {
  case EM_X86_64:
    return is64 ? k_cache_flag_elf_libc6 | k_cache_flag_x8664_lib64
                : std::optional<std::int32_t>(); // x32 uses its own flag; not modelled
  case EM_386:
    return k_cache_flag_elf_libc6;
  case EM_AARCH64:
    return k_cache_flag_elf_libc6 | k_cache_flag_aarch64_lib64;
  default:
    return std::nullopt;
  }
}

} // namespace sealexec::elf
