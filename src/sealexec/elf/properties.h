// GNU properties (PT_GNU_PROPERTY, note type NT_GNU_PROPERTY_TYPE_0): the
// control-flow protection an object was built with. Read from the program
// headers, so it works on stripped files; an object file (ET_REL), which has
// none, from its .note.gnu.property section.
#pragma once

#include "sealexec/elf/elf_file.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <optional>

namespace sealexec::elf {

struct GnuProperties {
  bool present = false; // a PT_GNU_PROPERTY segment exists
  bool section = false; // read from an ET_REL's .note.gnu.property section instead
  // GNU_PROPERTY_X86_FEATURE_1_AND: IBT (1), SHSTK (2).
  std::optional<std::uint32_t> x86_feature_1_and;
  // GNU_PROPERTY_AARCH64_FEATURE_1_AND: BTI (1), PAC (2).
  std::optional<std::uint32_t> aarch64_feature_1_and;

  [[nodiscard]] bool ibt() const;
  [[nodiscard]] bool shstk() const;
  [[nodiscard]] bool bti() const;
  [[nodiscard]] bool pac() const;
};

// Reads the GNU property notes of PT_GNU_PROPERTY or, for an ET_REL without
// one, of the .note.gnu.property section (SHT_NOTE). A malformed note is an
// error naming the file; damaged section headers only hide the section.
[[nodiscard]] Expected<GnuProperties> read_gnu_properties(const ElfFile& file);

} // namespace sealexec::elf
