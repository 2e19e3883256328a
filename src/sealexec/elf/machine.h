// Which ELF machines this host runs, and readable names for e_machine values.
#pragma once

#include "sealexec/elf/elf_file.h"

#include <cstdint>
#include <string>

namespace sealexec::elf {

// The (class, byte order, machine) of the code this library was built for.
struct MachineId {
  ElfClass elf_class;
  ByteOrder byte_order;
  std::uint16_t machine;
};
[[nodiscard]] MachineId host_machine();

// True when the kernel of this host can run ELF files of `header`'s class,
// byte order and machine: the native triple, plus the compat ones the
// architecture defines (i386 on x86_64, 32-bit Arm on aarch64).
[[nodiscard]] bool runs_on_host(const FileHeader& header);

// "x86_64", "aarch64", ... or "e_machine 1234" for ones we do not name.
[[nodiscard]] std::string machine_name(std::uint16_t machine);

// "x86_64 (64-bit, little-endian)".
[[nodiscard]] std::string describe_target(const FileHeader& header);

} // namespace sealexec::elf
