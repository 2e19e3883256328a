// Builds small ELF files of any class and byte order for the tests, laid
// out as [file header][program headers][dynamic section][string table], with
// one PT_LOAD mapping the whole file at virtual address k_base.
#pragma once

#include "sealexec/elf/elf_file.h"

#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sealexec::test {

class ElfBuilder {
public:
  static constexpr std::uint64_t k_base = 0x10000;

  elf::ElfClass elf_class = elf::ElfClass::elf64;
  elf::ByteOrder byte_order = elf::ByteOrder::little;
  std::uint16_t type = ET_DYN;
  std::uint16_t machine = EM_X86_64;
  // Extra program headers besides the PT_LOAD and PT_DYNAMIC the builder adds.
  std::vector<elf::ProgramHeader> extra_phdrs;
  // Dynamic entries before DT_STRTAB/DT_STRSZ/DT_NULL; string-valued tags
  // take an offset into `strings`.
  std::vector<elf::DynamicEntry> dynamic;
  // The string table, starting with its mandatory NUL.
  std::string strings{'\0'};
  bool add_dynamic = true;
  // Segments whose bytes the builder places after the string table; their
  // offset, addresses and sizes are filled in.
  std::vector<std::pair<elf::ProgramHeader, std::vector<std::byte>>> data_segments;

  // Appends `text` to the string table and returns its offset.
  std::uint64_t add_string(const std::string& text);
  [[nodiscard]] std::vector<std::byte> build() const;
};

} // namespace sealexec::test
