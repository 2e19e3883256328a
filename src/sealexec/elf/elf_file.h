// A bounds-checked reader of ELF files of either class and byte order. It
// reads the file header and program headers eagerly and anything else on
// request, through a ByteSource, so it never needs the whole file in memory.
#pragma once

#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/decoder.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealexec::elf {

enum class ElfClass : std::uint8_t { elf32 = 1, elf64 = 2 }; // ELFCLASS32 / ELFCLASS64

struct FileHeader {
  ElfClass elf_class = ElfClass::elf64;
  ByteOrder byte_order = ByteOrder::little;
  std::uint8_t osabi = 0;
  std::uint16_t type = 0;    // e_type: ET_EXEC, ET_DYN...
  std::uint16_t machine = 0; // e_machine: EM_X86_64...
  std::uint64_t entry = 0;
  std::uint64_t phoff = 0;
  std::uint64_t shoff = 0;
  std::uint32_t flags = 0;
  std::uint16_t phentsize = 0;
  std::uint16_t phnum = 0;
  std::uint16_t shentsize = 0;
  std::uint16_t shnum = 0;
  std::uint16_t shstrndx = 0;
};

struct ProgramHeader {
  std::uint32_t type = 0; // p_type: PT_LOAD, PT_GNU_STACK...
  std::uint32_t flags = 0; // p_flags: PF_R | PF_W | PF_X
  std::uint64_t offset = 0;
  std::uint64_t vaddr = 0;
  std::uint64_t paddr = 0;
  std::uint64_t filesz = 0;
  std::uint64_t memsz = 0;
  std::uint64_t align = 0;
};

struct SectionHeader {
  std::uint32_t name = 0; // sh_name: offset in the section name table
  std::uint32_t type = 0; // sh_type: SHT_NOTE, SHT_DYNSYM...
  std::uint64_t flags = 0;
  std::uint64_t addr = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint32_t link = 0;
  std::uint32_t info = 0;
  std::uint64_t addralign = 0;
  std::uint64_t entsize = 0;
};

struct DynamicEntry {
  std::int64_t tag = 0; // d_tag: DT_NEEDED, DT_RUNPATH...
  std::uint64_t value = 0;
};

// Upper bounds that keep a hostile file from making us allocate or loop
// without limit. Real files stay far below them.
inline constexpr std::uint64_t k_max_dynamic_entries = 1U << 16;
inline constexpr std::uint64_t k_max_string_length = 1U << 16;
inline constexpr std::uint64_t k_max_sections = 1U << 12;

// True for the first four bytes of an ELF file.
[[nodiscard]] bool has_elf_magic(std::span<const std::byte> prefix);

class ElfFile {
public:
  // Reads and validates the file header and the program header table.
  // `source` must outlive the returned object.
  [[nodiscard]] static Expected<ElfFile> read(const ByteSource& source);

  [[nodiscard]] const FileHeader& header() const { return m_header; }
  [[nodiscard]] std::span<const ProgramHeader> program_headers() const { return m_phdrs; }
  [[nodiscard]] const ByteSource& source() const { return *m_source; }
  [[nodiscard]] bool is_64() const { return m_header.elf_class == ElfClass::elf64; }

  // Entries of PT_DYNAMIC up to DT_NULL; empty when the file has none.
  [[nodiscard]] Expected<std::vector<DynamicEntry>> dynamic_entries() const;

  // The file offset at which `size` bytes from virtual address `vaddr` are
  // stored, when one PT_LOAD segment holds all of them in the file.
  [[nodiscard]] std::optional<std::uint64_t> file_offset_of(std::uint64_t vaddr,
                                                            std::uint64_t size) const;

  // The NUL-terminated string at `offset` in the dynamic string table
  // (DT_STRTAB, DT_STRSZ) named by `entries`.
  [[nodiscard]] Expected<std::string> dynamic_string(std::span<const DynamicEntry> entries,
                                                     std::uint64_t offset) const;

  // Whether the section header table names a section `name` (".fpcdata").
  // False for a file without one, or whose table is damaged or larger than
  // k_max_sections: section headers are optional, so this is a hint, never
  // a reason to refuse a file.
  [[nodiscard]] bool has_section(std::string_view name) const;

  // The section named `name`, under the same rules as has_section (nullopt
  // for a file without a usable table). Its range is not checked.
  [[nodiscard]] std::optional<SectionHeader> find_section(std::string_view name) const;

  // The section header table; empty for a file without one, or whose table
  // is damaged or larger than k_max_sections. Ranges are not checked.
  [[nodiscard]] std::vector<SectionHeader> section_headers() const;

  // The PT_INTERP path, or nullopt for a file without one (static binaries).
  [[nodiscard]] Expected<std::optional<std::string>> interpreter() const;

  // Checks what the kernel needs to map the file: every PT_LOAD's file range
  // lies in the file and p_filesz <= p_memsz.
  [[nodiscard]] Expected<void> check_loadable() const;

  // An Errc::malformed error naming this file.
  [[nodiscard]] Error malformed(std::string_view reason) const;

private:
  ElfFile(const ByteSource& source, FileHeader header, std::vector<ProgramHeader> phdrs)
      : m_source(&source), m_header(header), m_phdrs(std::move(phdrs)) {}

  [[nodiscard]] Expected<std::string> read_string(std::uint64_t offset, std::uint64_t limit) const;

  const ByteSource* m_source;
  FileHeader m_header;
  std::vector<ProgramHeader> m_phdrs;
};

} // namespace sealexec::elf
