#include "sealexec/elf/properties.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace sealexec::elf {

namespace {

// A note segment bigger than this is not a property note.
constexpr std::uint64_t k_max_property_segment = 1U << 16;

constexpr std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

} // namespace

bool GnuProperties::ibt() const {
  return x86_feature_1_and && (*x86_feature_1_and & GNU_PROPERTY_X86_FEATURE_1_IBT) != 0;
}
bool GnuProperties::shstk() const {
  return x86_feature_1_and && (*x86_feature_1_and & GNU_PROPERTY_X86_FEATURE_1_SHSTK) != 0;
}
bool GnuProperties::bti() const {
  return aarch64_feature_1_and &&
         (*aarch64_feature_1_and & GNU_PROPERTY_AARCH64_FEATURE_1_BTI) != 0;
}
bool GnuProperties::pac() const {
  return aarch64_feature_1_and &&
         (*aarch64_feature_1_and & GNU_PROPERTY_AARCH64_FEATURE_1_PAC) != 0;
}

namespace {

// Parses the notes in `raw` (a PT_GNU_PROPERTY segment or a
// .note.gnu.property section), keeping the feature bits of every
// NT_GNU_PROPERTY_TYPE_0 note. `where` names the container in errors.
Expected<void> parse_property_notes(const ElfFile& file, std::span<const std::byte> raw,
                                    std::string_view where, GnuProperties& properties) {
  // Notes: namesz, descsz, type, name padded to 4, desc padded to the
  // property alignment (8 for ELFCLASS64, 4 for ELFCLASS32).
  const std::uint64_t alignment = file.is_64() ? 8 : 4;
  const Decoder d{raw, file.header().byte_order};
  std::uint64_t at = 0;
  while (at + 12 <= raw.size()) {
    const std::uint64_t namesz = d.u32(at);
    const std::uint64_t descsz = d.u32(at + 4);
    const std::uint32_t type = d.u32(at + 8);
    const std::uint64_t name_at = at + 12;
    const std::uint64_t desc_at = align_up(name_at + namesz, 4);
    if (!range_fits(name_at, namesz, raw.size()) || !range_fits(desc_at, descsz, raw.size())) {
      return fail(file.malformed(fmt::format("a note in {} runs past its end", where)));
    }
    const bool is_gnu = namesz == 4 && std::memcmp(raw.data() + name_at, "GNU", 4) == 0;
    if (is_gnu && type == NT_GNU_PROPERTY_TYPE_0) {
      std::uint64_t p = desc_at;
      const std::uint64_t end = desc_at + descsz;
      while (p + 8 <= end) {
        const std::uint32_t pr_type = d.u32(p);
        const std::uint64_t pr_datasz = d.u32(p + 4);
        if (!range_fits(p + 8, pr_datasz, end)) {
          return fail(file.malformed("a GNU property runs past its note"));
        }
        if (pr_datasz >= 4 && (pr_type == GNU_PROPERTY_X86_FEATURE_1_AND ||
                               pr_type == GNU_PROPERTY_AARCH64_FEATURE_1_AND)) {
          const std::uint32_t value = d.u32(p + 8);
          (pr_type == GNU_PROPERTY_X86_FEATURE_1_AND ? properties.x86_feature_1_and
                                                     : properties.aarch64_feature_1_and) = value;
        }
        p = align_up(p + 8 + pr_datasz, alignment);
      }
    }
    at = align_up(desc_at + descsz, alignment);
  }
  return {};
}

} // namespace

Expected<GnuProperties> read_gnu_properties(const ElfFile& file) {
  GnuProperties properties;
  const auto phdrs = file.program_headers();
  const auto segment = std::ranges::find(phdrs, std::uint32_t{PT_GNU_PROPERTY},
                                         &ProgramHeader::type);
  if (segment != phdrs.end()) {
    properties.present = true;
    if (segment->filesz > k_max_property_segment) {
      return fail(file.malformed("the PT_GNU_PROPERTY segment is implausibly large"));
    }
    std::vector<std::byte> raw(segment->filesz);
    SEALEXEC_TRY(file.source().read(segment->offset, raw));
    SEALEXEC_TRY(parse_property_notes(file, raw, "PT_GNU_PROPERTY", properties));
    return properties;
  }
  // An object file has no program headers: the linker reads its
  // .note.gnu.property section, and so do we (as readelf -n does).
  if (file.header().type != ET_REL) {
    return properties;
  }
  const auto section = file.find_section(".note.gnu.property");
  if (!section || section->type != SHT_NOTE) {
    return properties;
  }
  properties.section = true;
  if (section->size > k_max_property_segment) {
    return fail(file.malformed("the .note.gnu.property section is implausibly large"));
  }
  std::vector<std::byte> raw(section->size);
  SEALEXEC_TRY(file.source().read(section->offset, raw));
  SEALEXEC_TRY(parse_property_notes(file, raw, ".note.gnu.property", properties));
  return properties;
}

} // namespace sealexec::elf
