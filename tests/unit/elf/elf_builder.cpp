#include "elf/elf_builder.h"

#include <cstring>

namespace sealexec::test {

namespace {

class Writer {
public:
  Writer(std::vector<std::byte>& out, elf::ByteOrder order) : m_out(out), m_order(order) {}
  void put(std::uint64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
      const std::size_t shift = m_order == elf::ByteOrder::little ? i : width - 1 - i;
      m_out.push_back(static_cast<std::byte>((value >> (8 * shift)) & 0xff));
    }
  }

private:
  std::vector<std::byte>& m_out;
  elf::ByteOrder m_order;
};

} // namespace

std::uint64_t ElfBuilder::add_string(const std::string& text) {
  const std::uint64_t offset = strings.size();
  strings += text;
  strings += '\0';
  return offset;
}

std::vector<std::byte> ElfBuilder::build() const {
  const bool is64 = elf_class == elf::ElfClass::elf64;
  const std::size_t word = is64 ? 8 : 4;
  const std::size_t ehsize = is64 ? 64 : 52;
  const std::size_t phentsize = is64 ? 56 : 32;
  const std::size_t dynentsize = is64 ? 16 : 8;

  std::vector<elf::ProgramHeader> phdrs;
  phdrs.push_back({.type = PT_LOAD, .flags = PF_R});
  if (add_dynamic) {
    phdrs.push_back({.type = PT_DYNAMIC, .flags = PF_R | PF_W});
  }
  phdrs.insert(phdrs.end(), extra_phdrs.begin(), extra_phdrs.end());
  const std::size_t first_data_phdr = phdrs.size();
  for (const auto& segment : data_segments) {
    phdrs.push_back(segment.first);
  }

  const std::size_t phoff = ehsize;
  const std::size_t dynoff = phoff + phdrs.size() * phentsize;
  const std::size_t dyncount = add_dynamic ? dynamic.size() + 3 : 0;
  const std::size_t stroff = dynoff + dyncount * dynentsize;
  std::size_t total = stroff + (add_dynamic ? strings.size() : 0);
  for (std::size_t i = 0; i < data_segments.size(); ++i) {
    total = (total + 7) & ~std::size_t{7};
    elf::ProgramHeader& p = phdrs[first_data_phdr + i];
    p.offset = total;
    p.vaddr = p.paddr = k_base + total;
    p.filesz = p.memsz = data_segments[i].second.size();
    p.align = 8;
    total += data_segments[i].second.size();
  }

  phdrs[0].offset = 0;
  phdrs[0].vaddr = phdrs[0].paddr = k_base;
  phdrs[0].filesz = phdrs[0].memsz = total;
  phdrs[0].align = 0x1000;
  if (add_dynamic) {
    phdrs[1].offset = dynoff;
    phdrs[1].vaddr = phdrs[1].paddr = k_base + dynoff;
    phdrs[1].filesz = phdrs[1].memsz = dyncount * dynentsize;
    phdrs[1].align = word;
  }

  std::vector<std::byte> out;
  Writer w(out, byte_order);
  const unsigned char ident[EI_NIDENT] = {
      ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, static_cast<unsigned char>(elf_class),
      static_cast<unsigned char>(byte_order), EV_CURRENT};
  for (const unsigned char c : ident) {
    out.push_back(static_cast<std::byte>(c));
  }
  w.put(type, 2);
  w.put(machine, 2);
  w.put(EV_CURRENT, 4);
  w.put(k_base, word);  // e_entry
  w.put(phoff, word);   // e_phoff
  w.put(0, word);       // e_shoff
  w.put(0, 4);          // e_flags
  w.put(ehsize, 2);
  w.put(phentsize, 2);
  w.put(phdrs.size(), 2);
  w.put(is64 ? 64 : 40, 2); // e_shentsize
  w.put(0, 2);              // e_shnum
  w.put(0, 2);              // e_shstrndx

  for (const elf::ProgramHeader& p : phdrs) {
    if (is64) {
      w.put(p.type, 4);
      w.put(p.flags, 4);
      w.put(p.offset, 8);
      w.put(p.vaddr, 8);
      w.put(p.paddr, 8);
      w.put(p.filesz, 8);
      w.put(p.memsz, 8);
      w.put(p.align, 8);
    } else {
      w.put(p.type, 4);
      w.put(p.offset, 4);
      w.put(p.vaddr, 4);
      w.put(p.paddr, 4);
      w.put(p.filesz, 4);
      w.put(p.memsz, 4);
      w.put(p.flags, 4);
      w.put(p.align, 4);
    }
  }
  if (add_dynamic) {
    auto put_entry = [&](std::int64_t tag, std::uint64_t value) {
      w.put(static_cast<std::uint64_t>(tag), word);
      w.put(value, word);
    };
    for (const elf::DynamicEntry& e : dynamic) {
      put_entry(e.tag, e.value);
    }
    put_entry(DT_STRTAB, k_base + stroff);
    put_entry(DT_STRSZ, strings.size());
    put_entry(DT_NULL, 0);
    for (const char c : strings) {
      out.push_back(static_cast<std::byte>(c));
    }
  }
  for (std::size_t i = 0; i < data_segments.size(); ++i) {
    out.resize(phdrs[first_data_phdr + i].offset);
    out.insert(out.end(), data_segments[i].second.begin(), data_segments[i].second.end());
  }
  return out;
}

} // namespace sealexec::test
