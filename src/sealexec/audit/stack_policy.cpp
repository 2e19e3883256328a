#include "sealexec/audit/stack_policy.h"

#include <elf.h>

namespace sealexec::audit {

bool kernel_exec_stack_without_header(const elf::FileHeader& header) {
  const bool is32 = header.elf_class == elf::ElfClass::elf32;
  switch (header.machine) {
  case EM_386:
    return true;
  case EM_PPC:
  case EM_ARM:
    return is32;
  default:
    return false;
  }
}

bool ldso_exec_stack_without_header(const elf::FileHeader& header) {
  switch (header.machine) {
  case EM_AARCH64:
  case EM_PPC64:
  case EM_RISCV:
  case EM_LOONGARCH:
    return false;
  default:
    // i386, x86_64 (and x32), ppc32, arm, s390, sparc, mips: glibc's
    // default stack permissions include PF_X.
    return true;
  }
}

} // namespace sealexec::audit
