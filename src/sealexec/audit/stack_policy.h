// What a missing PT_GNU_STACK means, per architecture, to the two parties
// that decide about the stack (FACTS §2).
#pragma once

#include "sealexec/elf/elf_file.h"

namespace sealexec::audit {

// The kernel (fs/binfmt_elf.c), for a main executable without PT_GNU_STACK:
// true where READ_IMPLIES_EXEC applies and the stack becomes executable
// (i386, 32-bit PowerPC and Arm); false on x86_64 (since 5.8), aarch64 and
// the other 64-bit architectures.
[[nodiscard]] bool kernel_exec_stack_without_header(const elf::FileHeader& header);

// glibc's ld.so (DEFAULT_STACK_PERMS in sysdeps/*/stackinfo.h), for any
// object it loads without PT_GNU_STACK: true where the default is RWX, so the
// object *requires* an executable stack (i386, x86_64, 32-bit PowerPC, Arm,
// s390, SPARC, MIPS); false where it is RW (aarch64, 64-bit PowerPC, RISC-V,
// LoongArch).
[[nodiscard]] bool ldso_exec_stack_without_header(const elf::FileHeader& header);

} // namespace sealexec::audit
