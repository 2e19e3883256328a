#include "sealexec/elf/elf_file.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

namespace sealexec::elf {

namespace {

// Field offsets of the on-disk structures, checked against <elf.h> so that a
// typo cannot slip in; we decode from these instead of casting in place.
struct HeaderLayout {
  std::size_t size, type, machine, version, entry, phoff, shoff, flags, phentsize, phnum,
      shentsize, shnum, shstrndx;
};
constexpr HeaderLayout k_ehdr32{sizeof(Elf32_Ehdr),
                                offsetof(Elf32_Ehdr, e_type),
                                offsetof(Elf32_Ehdr, e_machine),
                                offsetof(Elf32_Ehdr, e_version),
                                offsetof(Elf32_Ehdr, e_entry),
                                offsetof(Elf32_Ehdr, e_phoff),
                                offsetof(Elf32_Ehdr, e_shoff),
                                offsetof(Elf32_Ehdr, e_flags),
                                offsetof(Elf32_Ehdr, e_phentsize),
                                offsetof(Elf32_Ehdr, e_phnum),
                                offsetof(Elf32_Ehdr, e_shentsize),
                                offsetof(Elf32_Ehdr, e_shnum),
                                offsetof(Elf32_Ehdr, e_shstrndx)};
constexpr HeaderLayout k_ehdr64{sizeof(Elf64_Ehdr),
                                offsetof(Elf64_Ehdr, e_type),
                                offsetof(Elf64_Ehdr, e_machine),
                                offsetof(Elf64_Ehdr, e_version),
                                offsetof(Elf64_Ehdr, e_entry),
                                offsetof(Elf64_Ehdr, e_phoff),
                                offsetof(Elf64_Ehdr, e_shoff),
                                offsetof(Elf64_Ehdr, e_flags),
                                offsetof(Elf64_Ehdr, e_phentsize),
                                offsetof(Elf64_Ehdr, e_phnum),
                                offsetof(Elf64_Ehdr, e_shentsize),
                                offsetof(Elf64_Ehdr, e_shnum),
                                offsetof(Elf64_Ehdr, e_shstrndx)};
static_assert(k_ehdr32.size == 52 && k_ehdr64.size == 64);

constexpr std::size_t k_phdr32_size = sizeof(Elf32_Phdr);
constexpr std::size_t k_phdr64_size = sizeof(Elf64_Phdr);
constexpr std::size_t k_dyn32_size = sizeof(Elf32_Dyn);
constexpr std::size_t k_dyn64_size = sizeof(Elf64_Dyn);
static_assert(k_phdr32_size == 32 && k_phdr64_size == 56);
static_assert(k_dyn32_size == 8 && k_dyn64_size == 16);

ProgramHeader decode_phdr(const Decoder& d, ElfClass elf_class) {
  ProgramHeader p;
  if (elf_class == ElfClass::elf64) {
    p.type = d.u32(offsetof(Elf64_Phdr, p_type));
    p.flags = d.u32(offsetof(Elf64_Phdr, p_flags));
    p.offset = d.u64(offsetof(Elf64_Phdr, p_offset));
    p.vaddr = d.u64(offsetof(Elf64_Phdr, p_vaddr));
    p.paddr = d.u64(offsetof(Elf64_Phdr, p_paddr));
    p.filesz = d.u64(offsetof(Elf64_Phdr, p_filesz));
    p.memsz = d.u64(offsetof(Elf64_Phdr, p_memsz));
    p.align = d.u64(offsetof(Elf64_Phdr, p_align));
  } else {
    p.type = d.u32(offsetof(Elf32_Phdr, p_type));
    p.flags = d.u32(offsetof(Elf32_Phdr, p_flags));
    p.offset = d.u32(offsetof(Elf32_Phdr, p_offset));
    p.vaddr = d.u32(offsetof(Elf32_Phdr, p_vaddr));
    p.paddr = d.u32(offsetof(Elf32_Phdr, p_paddr));
    p.filesz = d.u32(offsetof(Elf32_Phdr, p_filesz));
    p.memsz = d.u32(offsetof(Elf32_Phdr, p_memsz));
    p.align = d.u32(offsetof(Elf32_Phdr, p_align));
  }
  return p;
}

} // namespace

bool has_elf_magic(std::span<const std::byte> prefix) {
  return prefix.size() >= SELFMAG && std::memcmp(prefix.data(), ELFMAG, SELFMAG) == 0;
}

Error ElfFile::malformed(std::string_view reason) const {
  return make_error(Errc::malformed, m_source->name(), reason);
}

Expected<ElfFile> ElfFile::read(const ByteSource& source) {
  auto bad = [&source](std::string_view reason) {
    return fail(make_error(Errc::malformed, source.name(), reason));
  };

  std::array<std::byte, sizeof(Elf64_Ehdr)> raw{};
  if (source.size() < EI_NIDENT) {
    return bad(fmt::format("truncated ELF: {} bytes is shorter than the ELF identification",
                           source.size()));
  }
  SEALEXEC_TRY(source.read(0, std::span(raw).first(EI_NIDENT)));
  if (!has_elf_magic(raw)) {
    return bad("not an ELF file (bad magic)");
  }

  FileHeader header;
  const auto ident_class = std::to_integer<std::uint8_t>(raw[EI_CLASS]);
  const auto ident_data = std::to_integer<std::uint8_t>(raw[EI_DATA]);
  if (ident_class != ELFCLASS32 && ident_class != ELFCLASS64) {
    return bad(fmt::format("invalid ELF class {}", ident_class));
  }
  if (ident_data != ELFDATA2LSB && ident_data != ELFDATA2MSB) {
    return bad(fmt::format("invalid ELF byte order {}", ident_data));
  }
  if (std::to_integer<std::uint8_t>(raw[EI_VERSION]) != EV_CURRENT) {
    return bad("unsupported ELF identification version");
  }
  header.elf_class = static_cast<ElfClass>(ident_class);
  header.byte_order = static_cast<ByteOrder>(ident_data);
  header.osabi = std::to_integer<std::uint8_t>(raw[EI_OSABI]);

  const bool is64 = header.elf_class == ElfClass::elf64;
  const HeaderLayout& layout = is64 ? k_ehdr64 : k_ehdr32;
  if (source.size() < layout.size) {
    return bad(fmt::format("truncated ELF: {} bytes is shorter than the {}-byte file header",
                           source.size(), layout.size));
  }
  SEALEXEC_TRY(source.read(0, std::span(raw).first(layout.size)));
  const Decoder d{std::span(raw).first(layout.size), header.byte_order};
  header.type = d.u16(layout.type);
  header.machine = d.u16(layout.machine);
  header.entry = is64 ? d.u64(layout.entry) : d.u32(layout.entry);
  header.phoff = is64 ? d.u64(layout.phoff) : d.u32(layout.phoff);
  header.shoff = is64 ? d.u64(layout.shoff) : d.u32(layout.shoff);
  header.flags = d.u32(layout.flags);
  header.phentsize = d.u16(layout.phentsize);
  header.phnum = d.u16(layout.phnum);
  header.shentsize = d.u16(layout.shentsize);
  header.shnum = d.u16(layout.shnum);
  header.shstrndx = d.u16(layout.shstrndx);

  std::vector<ProgramHeader> phdrs;
  if (header.phnum > 0) {
    const std::size_t entry_size = is64 ? k_phdr64_size : k_phdr32_size;
    if (header.phnum == PN_XNUM) {
      return bad("uses extended program header numbering (PN_XNUM), which is not supported");
    }
    if (header.phentsize != entry_size) {
      return bad(fmt::format("program header entry size {} is not {}", header.phentsize,
                             entry_size));
    }
    const std::uint64_t table_size = std::uint64_t{header.phnum} * entry_size;
    if (!range_fits(header.phoff, table_size, source.size())) {
      return bad(fmt::format("truncated ELF: the program header table ({} entries at offset {}) "
                             "extends past the end of the file ({} bytes)",
                             header.phnum, header.phoff, source.size()));
    }
    std::vector<std::byte> table(table_size);
    SEALEXEC_TRY(source.read(header.phoff, table));
    phdrs.reserve(header.phnum);
    for (std::size_t i = 0; i < header.phnum; ++i) {
      const Decoder entry{std::span(table).subspan(i * entry_size, entry_size), header.byte_order};
      phdrs.push_back(decode_phdr(entry, header.elf_class));
    }
  }
  return ElfFile(source, header, std::move(phdrs));
}

Expected<void> ElfFile::check_loadable() const {
  for (const ProgramHeader& p : m_phdrs) {
    if (p.type != PT_LOAD) {
      continue;
    }
    if (!range_fits(p.offset, p.filesz, m_source->size())) {
      return fail(malformed(fmt::format(
          "truncated ELF: a PT_LOAD segment ({} bytes at offset {}) extends past the end of the "
          "file ({} bytes)",
          p.filesz, p.offset, m_source->size())));
    }
    if (p.filesz > p.memsz) {
      return fail(malformed(fmt::format(
          "corrupt ELF: a PT_LOAD segment has p_filesz {} larger than p_memsz {}", p.filesz,
          p.memsz)));
    }
  }
  return {};
}

std::optional<std::uint64_t> ElfFile::file_offset_of(std::uint64_t vaddr,
                                                     std::uint64_t size) const {
  for (const ProgramHeader& p : m_phdrs) {
    if (p.type != PT_LOAD || vaddr < p.vaddr) {
      continue;
    }
    const std::uint64_t delta = vaddr - p.vaddr;
    if (!range_fits(delta, size, p.filesz) || !range_fits(p.offset, delta, m_source->size())) {
      continue;
    }
    if (range_fits(p.offset + delta, size, m_source->size())) {
      return p.offset + delta;
    }
  }
  return std::nullopt;
}

Expected<std::vector<DynamicEntry>> ElfFile::dynamic_entries() const {
  std::vector<DynamicEntry> entries;
  const auto dynamic = std::ranges::find(m_phdrs, std::uint32_t{PT_DYNAMIC}, &ProgramHeader::type);
  if (dynamic == m_phdrs.end()) {
    return entries;
  }
  const std::size_t entry_size = is_64() ? k_dyn64_size : k_dyn32_size;
  if (!range_fits(dynamic->offset, dynamic->filesz, m_source->size())) {
    return fail(malformed(fmt::format(
        "truncated ELF: the dynamic section ({} bytes at offset {}) extends past the end of the "
        "file",
        dynamic->filesz, dynamic->offset)));
  }
  const std::uint64_t count = std::min(dynamic->filesz / entry_size, k_max_dynamic_entries);
  std::vector<std::byte> raw(count * entry_size);
  SEALEXEC_TRY(m_source->read(dynamic->offset, raw));
  for (std::uint64_t i = 0; i < count; ++i) {
    const Decoder d{std::span(raw).subspan(i * entry_size, entry_size), m_header.byte_order};
    DynamicEntry entry;
    if (is_64()) {
      entry.tag = static_cast<std::int64_t>(d.u64(0));
      entry.value = d.u64(8);
    } else {
      entry.tag = static_cast<std::int32_t>(d.u32(0));
      entry.value = d.u32(4);
    }
    if (entry.tag == DT_NULL) {
      break;
    }
    entries.push_back(entry);
  }
  return entries;
}

namespace {

// Section headers and their names are each read in one go: `run` asks for
// a section name on every start. A table or name table larger than this is
// not read (or cut): only hints are asked of them.
constexpr std::uint64_t k_max_section_read = 1U << 20;

SectionHeader decode_shdr(const Decoder& d, bool is64) {
  SectionHeader s;
  if (is64) {
    s.name = d.u32(offsetof(Elf64_Shdr, sh_name));
    s.type = d.u32(offsetof(Elf64_Shdr, sh_type));
    s.flags = d.u64(offsetof(Elf64_Shdr, sh_flags));
    s.addr = d.u64(offsetof(Elf64_Shdr, sh_addr));
    s.offset = d.u64(offsetof(Elf64_Shdr, sh_offset));
    s.size = d.u64(offsetof(Elf64_Shdr, sh_size));
    s.link = d.u32(offsetof(Elf64_Shdr, sh_link));
    s.info = d.u32(offsetof(Elf64_Shdr, sh_info));
    s.addralign = d.u64(offsetof(Elf64_Shdr, sh_addralign));
    s.entsize = d.u64(offsetof(Elf64_Shdr, sh_entsize));
  } else {
    s.name = d.u32(offsetof(Elf32_Shdr, sh_name));
    s.type = d.u32(offsetof(Elf32_Shdr, sh_type));
    s.flags = d.u32(offsetof(Elf32_Shdr, sh_flags));
    s.addr = d.u32(offsetof(Elf32_Shdr, sh_addr));
    s.offset = d.u32(offsetof(Elf32_Shdr, sh_offset));
    s.size = d.u32(offsetof(Elf32_Shdr, sh_size));
    s.link = d.u32(offsetof(Elf32_Shdr, sh_link));
    s.info = d.u32(offsetof(Elf32_Shdr, sh_info));
    s.addralign = d.u32(offsetof(Elf32_Shdr, sh_addralign));
    s.entsize = d.u32(offsetof(Elf32_Shdr, sh_entsize));
  }
  return s;
}

} // namespace

std::vector<SectionHeader> ElfFile::section_headers() const {
  const FileHeader& h = m_header;
  const std::uint64_t entry_size = is_64() ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
  const std::uint64_t table_bytes = std::uint64_t{h.shnum} * h.shentsize;
  std::vector<SectionHeader> sections;
  if (h.shoff == 0 || h.shnum == 0 || h.shnum > k_max_sections || h.shentsize < entry_size ||
      table_bytes > k_max_section_read) {
    return sections;
  }
  std::vector<std::byte> table(table_bytes);
  if (!m_source->read(h.shoff, table)) {
    return sections;
  }
  sections.reserve(h.shnum);
  for (std::uint64_t index = 0; index < h.shnum; ++index) {
    sections.push_back(decode_shdr(
        Decoder(std::span(table).subspan(index * h.shentsize, entry_size), h.byte_order),
        is_64()));
  }
  return sections;
}

std::optional<SectionHeader> ElfFile::find_section(std::string_view name) const {
  const std::vector<SectionHeader> sections = section_headers();
  if (m_header.shstrndx >= sections.size()) {
    return std::nullopt;
  }
  const SectionHeader& strings = sections[m_header.shstrndx];
  std::vector<std::byte> names(std::min(strings.size, k_max_section_read));
  if (!m_source->read(strings.offset, names)) {
    return std::nullopt;
  }
  for (const SectionHeader& section : sections) {
    const std::uint64_t at = section.name;
    if (at < names.size() && names.size() - at > name.size() &&
        std::memcmp(names.data() + at, name.data(), name.size()) == 0 &&
        names[at + name.size()] == std::byte{0}) {
      return section;
    }
  }
  return std::nullopt;
}

bool ElfFile::has_section(std::string_view name) const { return find_section(name).has_value(); }

Expected<std::string> ElfFile::read_string(std::uint64_t offset, std::uint64_t limit) const {
  // Read in growing chunks so that a short string costs one small read.
  std::string text;
  std::array<std::byte, 256> chunk{};
  while (text.size() < limit) {
    const std::uint64_t want = std::min<std::uint64_t>(chunk.size(), limit - text.size());
    const auto piece = std::span(chunk).first(want);
    SEALEXEC_TRY(m_source->read(offset + text.size(), piece));
    for (const std::byte b : piece) {
      if (b == std::byte{0}) {
        return text;
      }
      text.push_back(static_cast<char>(b));
    }
  }
  return fail(malformed(fmt::format("a string at offset {} is not NUL-terminated", offset)));
}

Expected<std::string> ElfFile::dynamic_string(std::span<const DynamicEntry> entries,
                                              std::uint64_t offset) const {
  std::optional<std::uint64_t> strtab;
  std::optional<std::uint64_t> strsz;
  for (const DynamicEntry& e : entries) {
    if (e.tag == DT_STRTAB) {
      strtab = e.value;
    } else if (e.tag == DT_STRSZ) {
      strsz = e.value;
    }
  }
  if (!strtab || !strsz) {
    return fail(malformed("the dynamic section has no string table (DT_STRTAB, DT_STRSZ)"));
  }
  if (offset >= *strsz) {
    return fail(malformed(fmt::format(
        "a dynamic string offset {} lies outside the string table ({} bytes)", offset, *strsz)));
  }
  const auto table_offset = file_offset_of(*strtab, *strsz);
  if (!table_offset) {
    return fail(malformed("the dynamic string table is not inside a loaded segment"));
  }
  return read_string(*table_offset + offset, std::min(*strsz - offset, k_max_string_length));
}

Expected<std::optional<std::string>> ElfFile::interpreter() const {
  const auto interp = std::ranges::find(m_phdrs, std::uint32_t{PT_INTERP}, &ProgramHeader::type);
  if (interp == m_phdrs.end()) {
    return std::optional<std::string>();
  }
  if (interp->filesz == 0 || !range_fits(interp->offset, interp->filesz, m_source->size())) {
    return fail(malformed("the PT_INTERP segment lies outside the file"));
  }
  SEALEXEC_TRY_ASSIGN(std::string path,
                      read_string(interp->offset, std::min(interp->filesz, k_max_string_length)));
  if (path.empty()) {
    return fail(malformed("the PT_INTERP path is empty"));
  }
  return std::optional<std::string>(std::move(path));
}

} // namespace sealexec::elf
