#include "sealexec/audit/file_report.h"

#include "sealexec/audit/stack_policy.h"
#include "sealexec/elf/elf_on_disk.h"
#include "sealexec/elf/machine.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>

namespace sealexec::audit {

namespace {

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
    return has_interp && !dynamic.soname ? ObjectKind::pie_executable
                                         : ObjectKind::shared_library;
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

} // namespace

Expected<FileReport> analyze(const elf::ElfFile& file, std::string path) {
  FileReport report;
  report.path = std::move(path);
  report.header = file.header();
  SEALEXEC_TRY_ASSIGN(report.dynamic, elf::read_dynamic(file));
  SEALEXEC_TRY_ASSIGN(report.properties, elf::read_gnu_properties(file));
  SEALEXEC_TRY_ASSIGN(report.interpreter, file.interpreter());
  report.kind = kind_of(file, report.dynamic);
  analyze_stack(file, report);

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
