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

// The cache is written in the byte order of the machine that wrote it.
ByteOrder host_order() {
  return std::endian::native == std::endian::little ? ByteOrder::little : ByteOrder::big;
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
  const Decoder d{bytes, host_order()};

  LdSoCache cache;
  cache.m_bytes = bytes;
  if (starts_with(0, k_old_magic)) {
    // An old-format table may precede the new one (ldconfig -c compat).
    if (bytes.size() < k_old_header) {
      return bad("truncated: the old-format header is incomplete");
    }
    const std::uint64_t old_count = d.u32(12);
    cache.m_base = (k_old_header + old_count * k_old_entry + 7) & ~std::uint64_t{7};
  }
  if (!starts_with(cache.m_base, k_new_magic)) {
    return bad(fmt::format("not a glibc-ld.so.cache1.1 file (no magic at offset {})",
                           cache.m_base));
  }
  if (!range_fits(cache.m_base, k_new_header, bytes.size())) {
    return bad("truncated: the header is incomplete");
  }
  cache.m_count = d.u32(cache.m_base + 20);
  const std::uint64_t strings_length = d.u32(cache.m_base + 24);
  const auto order_flags = std::to_integer<std::uint8_t>(bytes[cache.m_base + 28]) & 3U;
  if ((order_flags == 2 && host_order() != ByteOrder::little) ||
      (order_flags == 3 && host_order() != ByteOrder::big) || order_flags == 1) {
    return bad("written for another byte order");
  }
  cache.m_entries = cache.m_base + k_new_header;
  if (!range_fits(cache.m_entries, cache.m_count * k_new_entry, bytes.size())) {
    return bad(fmt::format("truncated: {} entries do not fit in {} bytes", cache.m_count,
                           bytes.size()));
  }
  if (!range_fits(cache.m_entries + cache.m_count * k_new_entry, strings_length, bytes.size())) {
    return bad("truncated: the string table runs past the end");
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
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) > k_max_cache_size) {
    return fail(make_error(Errc::malformed, name, "is not a plausible linker cache"));
  }
  SEALEXEC_TRY_ASSIGN(Mapping mapping, Mapping::map_read_only(
                                           fd.get(), static_cast<std::size_t>(st.st_size), name));
  SEALEXEC_TRY_ASSIGN(LdSoCache cache, parse(mapping.bytes(), name));
  cache.m_mapping = std::move(mapping); // the span stays valid: the mapping does not move
  return cache;
}

std::optional<std::string_view> LdSoCache::string_at(std::uint64_t offset) const {
  if (offset >= m_bytes.size() - m_base) {
    return std::nullopt;
  }
  const char* start = reinterpret_cast<const char*>(m_bytes.data() + m_base + offset);
  const std::size_t room = m_bytes.size() - m_base - offset;
  const void* nul = std::memchr(start, '\0', room);
  if (nul == nullptr) {
    return std::nullopt;
  }
  return std::string_view(start, static_cast<std::size_t>(static_cast<const char*>(nul) - start));
}

std::optional<std::string_view> LdSoCache::lookup(std::string_view soname,
                                                  std::int32_t flags) const {
  const Decoder d{m_bytes, host_order()};
  auto at = [this](std::uint64_t index) { return m_entries + index * k_new_entry; };
  // -1, 0, 1: how `soname` compares with entry `index` (a bad key sorts as
  // if it were smaller, as in glibc).
  auto compare = [&](std::uint64_t index) {
    const auto key = string_at(d.u32(at(index) + 4));
    return key ? compare_library_names(soname, *key) : 1;
  };
  std::uint64_t left = 0;
  std::uint64_t right = m_count;
  while (left < right) {
    const std::uint64_t middle = left + (right - left) / 2;
    const int order = compare(middle);
    if (order == 0) {
      std::uint64_t first = middle;
      while (first > 0 && compare(first - 1) == 0) {
        --first;
      }
      for (std::uint64_t i = first; i < m_count && compare(i) == 0; ++i) {
        const auto entry_flags = static_cast<std::int32_t>(d.u32(at(i)));
        const std::uint64_t hwcap = d.u64(at(i) + 16);
        if (entry_flags == flags && (hwcap & k_cache_hwcap_extension) == 0) {
          return string_at(d.u32(at(i) + 8));
        }
      }
      return std::nullopt;
    }
    // Descending order: a smaller name lies further on.
    if (order < 0) {
      left = middle + 1;
    } else {
      right = middle;
    }
  }
  return std::nullopt;
}

int compare_library_names(std::string_view a, std::string_view b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size()) {
    if (digit(a[i])) {
      if (j >= b.size() || !digit(b[j])) {
        return 1;
      }
      // Compare the runs as numbers (wrapping like glibc's int would not
      // matter for real sonames; saturate instead of overflowing).
      std::uint64_t x = 0;
      std::uint64_t y = 0;
      for (; i < a.size() && digit(a[i]); ++i) {
        x = std::min<std::uint64_t>(x * 10 + static_cast<unsigned>(a[i] - '0'), 1ULL << 40);
      }
      for (; j < b.size() && digit(b[j]); ++j) {
        y = std::min<std::uint64_t>(y * 10 + static_cast<unsigned>(b[j] - '0'), 1ULL << 40);
      }
      if (x != y) {
        return x < y ? -1 : 1;
      }
      continue;
    }
    if (j < b.size() && digit(b[j])) {
      return -1;
    }
    if (j >= b.size()) {
      return 1;
    }
    if (a[i] != b[j]) {
      return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
    }
    ++i;
    ++j;
  }
  return j < b.size() ? -1 : 0;
}

std::optional<std::int32_t> cache_flags_for(std::uint16_t machine, bool is64,
                                            std::uint32_t e_flags) {
  // FLAG_* of glibc's sysdeps/generic/ldconfig.h, above FLAG_ELF_LIBC6.
  constexpr std::int32_t k_s390_lib64 = 0x0400;
  constexpr std::int32_t k_powerpc_lib64 = 0x0500;
  constexpr std::int32_t k_x8664_libx32 = 0x0800;
  constexpr std::int32_t k_arm_libhf = 0x0900;
  constexpr std::int32_t k_riscv_float_abi_double = 0x1000;
  constexpr std::uint32_t k_ef_arm_abi_float_hard = 0x400;
  constexpr std::uint32_t k_ef_riscv_float_abi_mask = 0x6;
  constexpr std::uint32_t k_ef_riscv_float_abi_double = 0x4;
  switch (machine) {
  case EM_X86_64:
    return k_cache_flag_elf_libc6 | (is64 ? k_cache_flag_x8664_lib64 : k_x8664_libx32);
  case EM_386:
    return k_cache_flag_elf_libc6;
  case EM_AARCH64:
    return k_cache_flag_elf_libc6 | k_cache_flag_aarch64_lib64;
  case EM_ARM:
    return (e_flags & k_ef_arm_abi_float_hard) != 0 ? k_cache_flag_elf_libc6 | k_arm_libhf
                                                     : k_cache_flag_elf_libc6;
  case EM_PPC64:
    return k_cache_flag_elf_libc6 | k_powerpc_lib64;
  case EM_S390:
    return is64 ? k_cache_flag_elf_libc6 | k_s390_lib64 : k_cache_flag_elf_libc6;
  case EM_RISCV:
    if (is64 && (e_flags & k_ef_riscv_float_abi_mask) == k_ef_riscv_float_abi_double) {
      return k_cache_flag_elf_libc6 | k_riscv_float_abi_double;
    }
    return std::nullopt; // other float ABIs: not modelled
  default:
    return std::nullopt;
  }
}

} // namespace sealexec::elf
