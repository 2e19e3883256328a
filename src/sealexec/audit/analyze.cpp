#include "sealexec/audit/file_report.h"

#include "sealexec/audit/execstack_fix.h"
#include "sealexec/audit/stack_policy.h"
#include "sealexec/audit/trampolines.h"
#include "sealexec/elf/elf_on_disk.h"
#include "sealexec/elf/machine.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace sealexec::audit {

namespace {

// Symbols in .dynsym read to tell a program from a library; more is not
// looked at (a hint only, as is the whole section header table).
constexpr std::uint64_t k_max_symbols = 1U << 16;
constexpr std::uint64_t k_max_symbol_names = 1U << 20;

struct Exports {
  bool defines_function = false; // a global or weak function defined here
  bool main = false;             // one of them is "main"
};

// What .dynsym (found through the section headers) exports. Nothing is
// known for a file without usable section headers.
Exports exported_functions(const elf::ElfFile& file) {
  Exports exports;
  const auto sections = file.section_headers();
  const auto dynsym = std::ranges::find(sections, std::uint32_t{SHT_DYNSYM},
                                        &elf::SectionHeader::type);
  if (dynsym == sections.end() || dynsym->link >= sections.size()) {
    return exports;
  }
  const bool is64 = file.is_64();
  const std::uint64_t entry = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
  const std::uint64_t count = std::min(dynsym->size / entry, k_max_symbols);
  std::vector<std::byte> table(count * entry);
  const elf::SectionHeader& strtab = sections[dynsym->link];
  std::vector<std::byte> names(std::min(strtab.size, k_max_symbol_names));
  if (!file.source().read(dynsym->offset, table) || !file.source().read(strtab.offset, names)) {
    return exports;
  }
  constexpr std::string_view k_main{"main"};
  for (std::uint64_t i = 0; i < count; ++i) {
    const elf::Decoder d{std::span(table).subspan(i * entry, entry), file.header().byte_order};
    const std::uint32_t name = d.u32(0); // st_name opens both layouts
    const auto info = std::to_integer<unsigned char>(
        table[i * entry + (is64 ? offsetof(Elf64_Sym, st_info) : offsetof(Elf32_Sym, st_info))]);
    const std::uint16_t shndx =
        d.u16(is64 ? offsetof(Elf64_Sym, st_shndx) : offsetof(Elf32_Sym, st_shndx));
    const unsigned bind = ELF64_ST_BIND(info);
    if (ELF64_ST_TYPE(info) != STT_FUNC || shndx == SHN_UNDEF ||
        (bind != STB_GLOBAL && bind != STB_WEAK)) {
      continue;
    }
    exports.defines_function = true;
    exports.main = exports.main ||
                   (name < names.size() && names.size() - name > k_main.size() &&
                    std::memcmp(names.data() + name, k_main.data(), k_main.size()) == 0 &&
                    names[name + k_main.size()] == std::byte{0});
  }
  return exports;
}

ObjectKind kind_of(const elf::ElfFile& file, const elf::DynamicInfo& dynamic) {
  switch (file.header().type) {
  case ET_EXEC:
    return ObjectKind::executable;
  case ET_REL:
    return ObjectKind::relocatable;
  case ET_CORE:
    return ObjectKind::core;
  case ET_DYN: {
    if ((dynamic.flags_1 & DF_1_PIE) != 0) {
      return ObjectKind::pie_executable;
    }
    // Linkers before DF_1_PIE: an ET_DYN with an interpreter and no soname
    // is a program. (libc.so.6 has both, and is a library.)
    const auto phdrs = file.program_headers();
    const bool has_interp =
        std::ranges::find(phdrs, std::uint32_t{PT_INTERP}, &elf::ProgramHeader::type) !=
        phdrs.end();
    if (!has_interp || dynamic.soname) {
      return ObjectKind::shared_library;
    }
    // But a library can be made runnable too (pam_cap.so: an interpreter,
    // an entry point of its own, no soname): one that exports functions it
    // defines, none of them main, is a library first. A program exports no
    // function of its own, or (linked with -rdynamic) main among them.
    const Exports exports = exported_functions(file);
    return exports.defines_function && !exports.main ? ObjectKind::shared_library
                                                     : ObjectKind::pie_executable;
  }
  default:
    return ObjectKind::other;
  }
}

void analyze_stack(const elf::ElfFile& file, FileReport& report) {
  for (const elf::ProgramHeader& p : file.program_headers()) {
    if (p.type == PT_GNU_STACK) {
      ++report.gnu_stack_count;
      report.gnu_stack_flags = p.flags; // the last one wins, for both parties
    }
  }
  if (report.gnu_stack_count > 1) {
    report.warnings.push_back(fmt::format(
        "{} PT_GNU_STACK headers: the kernel and ld.so use only the last one",
        report.gnu_stack_count));
  }
  const std::string arch = elf::machine_name(report.header.machine);
  if (report.kind == ObjectKind::relocatable || report.kind == ObjectKind::core ||
      report.kind == ObjectKind::other) {
    // Neither the kernel nor ld.so ever loads these; for an object file the
    // linker decides from its .note.GNU-stack section instead.
    report.stack_reason = "not loaded by the kernel or ld.so";
    return;
  }
  if (report.header.machine == EM_NONE) {
    // Guile's .go files are ET_DYN with e_machine 0: both the kernel
    // (elf_check_arch) and ld.so (elf_machine_matches_host) refuse them.
    report.stack_reason =
        "e_machine is EM_NONE: neither the kernel nor ld.so loads it (Guile's .go files are such)";
    return;
  }
  if (report.gnu_stack_flags) {
    const bool x = (*report.gnu_stack_flags & PF_X) != 0;
    report.ldso_exec_stack = x;
    report.stack_reason = x ? "PT_GNU_STACK has PF_X" : "PT_GNU_STACK without PF_X";
  } else {
    report.ldso_exec_stack = ldso_exec_stack_without_header(report.header);
    report.stack_reason = fmt::format("no PT_GNU_STACK: ld.so's default on {} is {}", arch,
                                      report.ldso_exec_stack ? "RWX" : "RW");
  }
  if (report.is_main_program()) {
    report.kernel_exec_stack =
        report.gnu_stack_flags
            ? (*report.gnu_stack_flags & PF_X) != 0
            : kernel_exec_stack_without_header(report.header);
    if (!report.gnu_stack_flags) {
      report.stack_reason += fmt::format("; the kernel's on {}: {}", arch,
                                         *report.kernel_exec_stack ? "READ_IMPLIES_EXEC"
                                                                   : "non-executable");
    }
  }
}

// Why the stack may be executable on purpose, and what fix will do about
// it; looked at only for a file whose stack a view says is executable, so
// that the bounded code scan is paid for rare files only.
Expected<void> analyze_stack_intent(const elf::ElfFile& file, FileReport& report) {
  if (!report.ldso_exec_stack && !report.kernel_exec_stack.value_or(false)) {
    return {};
  }
  SEALEXEC_TRY_ASSIGN(report.trampoline_offset, find_stack_trampoline(file));
  if (report.trampoline_offset) {
    report.stack_intent = StackIntent::trampolines;
  } else if (report.gnu_stack_flags && (*report.gnu_stack_flags & PF_X) != 0) {
    report.stack_intent = StackIntent::explicit_flag;
  }
  if (report.stack_intent != StackIntent::none) {
    report.warnings.push_back(stack_intent_warning(report));
  }
  report.stack_fix = decide_stack_fix(file, report.stack_intent, report.unfixable_reason);
  return {};
}

} // namespace

std::string stack_intent_warning(const FileReport& report) {
  switch (report.stack_intent) {
  case StackIntent::trampolines:
    return fmt::format(
        "needs its executable stack on purpose: its code writes GCC nested-function trampolines "
        "onto the stack (file offset {:#x}); with a non-executable stack it crashes when one "
        "runs, so 'sealexec fix' refuses to clear it without --force",
        report.trampoline_offset.value_or(0));
  case StackIntent::explicit_flag:
    return "PT_GNU_STACK asks for an executable stack explicitly (PF_X): the code may need it "
           "on purpose (nested-function trampolines, code run from the stack), or it may come "
           "from an assembly file without .note.GNU-stack; test it after clearing";
  case StackIntent::none:
    break;
  }
  return {};
}

Expected<FileReport> analyze(const elf::ElfFile& file, std::string path) {
  FileReport report;
  report.path = std::move(path);
  report.header = file.header();
  SEALEXEC_TRY_ASSIGN(report.dynamic, elf::read_dynamic(file));
  SEALEXEC_TRY_ASSIGN(report.properties, elf::read_gnu_properties(file));
  SEALEXEC_TRY_ASSIGN(report.interpreter, file.interpreter());
  report.kind = kind_of(file, report.dynamic);
  analyze_stack(file, report);
  SEALEXEC_TRY(analyze_stack_intent(file, report));

  bool has_relro = false;
  const auto phdrs = file.program_headers();
  for (std::size_t i = 0; i < phdrs.size(); ++i) {
    if (phdrs[i].type == PT_LOAD && (phdrs[i].flags & PF_W) != 0 &&
        (phdrs[i].flags & PF_X) != 0) {
      report.wx_segments.push_back(i);
    }
    has_relro = has_relro || phdrs[i].type == PT_GNU_RELRO;
  }
  report.relro = !has_relro                   ? Relro::none
                 : report.dynamic.bind_now() ? Relro::full
                                             : Relro::partial;
  return report;
}

Expected<FileReport> analyze_path(const std::filesystem::path& path) {
  SEALEXEC_TRY_ASSIGN(const auto opened, elf::ElfOnDisk::open(path.string()));
  return analyze(opened->file(), path.string());
}

} // namespace sealexec::audit
