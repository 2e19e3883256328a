// Finding code that writes GCC nested-function trampolines onto the stack:
// the one common reason a program needs an executable stack on purpose.
#pragma once

#include "sealexec/elf/elf_file.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <optional>

namespace sealexec::audit {

// At most this many bytes of executable segments are read per file, so that
// a huge program costs a bounded scan (a trampoline further in is missed).
inline constexpr std::uint64_t k_max_trampoline_scan = 64U << 20;

// The file offset of the first instruction that stores GCC's x86_64
// trampoline tail onto memory, or nullopt when none is found (or the file is
// not x86_64). GCC (12, at -O0 to -O3) builds a trampoline for a nested
// function whose address is taken by storing, into the enclosing frame,
//   49 bb <8 bytes>   movabs $function, %r11
//   49 ba <8 bytes>   movabs $chain, %r10
//   49 ff e3 90       jmp *%r11; nop
// The last four bytes are a 32-bit immediate of a `movl $imm32, mem`
// (opcode c7), and the first two halves appear as 16-bit or 32-bit
// immediates shortly before it. All three must be present: "49 ff e3" is
// not how assemblers encode a real jmp *%r11 (they write 41 ff e3). Only
// executable PT_LOAD bytes are read, at most k_max_trampoline_scan of them.
[[nodiscard]] Expected<std::optional<std::uint64_t>>
find_stack_trampoline(const elf::ElfFile& file);

} // namespace sealexec::audit
