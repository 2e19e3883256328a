#include "sealexec/elf/machine.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>
#include <string_view>

namespace sealexec::elf {

namespace {

struct MachineName {
  std::uint16_t machine;
  std::string_view name;
};

constexpr std::array k_machine_names{
    MachineName{EM_386, "i386"},        MachineName{EM_X86_64, "x86_64"},
    MachineName{EM_ARM, "arm"},         MachineName{EM_AARCH64, "aarch64"},
    MachineName{EM_PPC, "ppc"},         MachineName{EM_PPC64, "ppc64"},
    MachineName{EM_S390, "s390"},       MachineName{EM_RISCV, "riscv"},
    MachineName{EM_MIPS, "mips"},       MachineName{EM_SPARC, "sparc"},
    MachineName{EM_SPARCV9, "sparc64"}, MachineName{EM_IA_64, "ia64"},
    MachineName{EM_LOONGARCH, "loongarch"}, MachineName{EM_68K, "m68k"},
    MachineName{EM_SH, "sh"},           MachineName{EM_ALPHA, "alpha"},
};

constexpr ByteOrder k_native_order =
    std::endian::native == std::endian::little ? ByteOrder::little : ByteOrder::big;

#if defined(__x86_64__) && defined(__ILP32__)
constexpr MachineId k_host{ElfClass::elf32, k_native_order, EM_X86_64}; // x32
constexpr std::array<MachineId, 0> k_compat{};
#elif defined(__x86_64__)
constexpr MachineId k_host{ElfClass::elf64, k_native_order, EM_X86_64};
// IA-32 emulation; x32 binaries are ELFCLASS32 with EM_X86_64.
constexpr std::array k_compat{MachineId{ElfClass::elf32, k_native_order, EM_386},
                              MachineId{ElfClass::elf32, k_native_order, EM_X86_64}};
#elif defined(__i386__)
constexpr MachineId k_host{ElfClass::elf32, k_native_order, EM_386};
constexpr std::array<MachineId, 0> k_compat{};
#elif defined(__aarch64__)
constexpr MachineId k_host{ElfClass::elf64, k_native_order, EM_AARCH64};
constexpr std::array k_compat{MachineId{ElfClass::elf32, k_native_order, EM_ARM}};
#elif defined(__arm__)
constexpr MachineId k_host{ElfClass::elf32, k_native_order, EM_ARM};
constexpr std::array<MachineId, 0> k_compat{};
#elif defined(__powerpc64__)
constexpr MachineId k_host{ElfClass::elf64, k_native_order, EM_PPC64};
constexpr std::array k_compat{MachineId{ElfClass::elf32, k_native_order, EM_PPC}};
#elif defined(__riscv) && __riscv_xlen == 64
constexpr MachineId k_host{ElfClass::elf64, k_native_order, EM_RISCV};
constexpr std::array<MachineId, 0> k_compat{};
#elif defined(__s390x__)
constexpr MachineId k_host{ElfClass::elf64, k_native_order, EM_S390};
constexpr std::array<MachineId, 0> k_compat{};
#else
#error "sealexec does not know this architecture's ELF machine; add it here"
#endif

bool same(const MachineId& id, const FileHeader& header) {
  return id.elf_class == header.elf_class && id.byte_order == header.byte_order &&
         id.machine == header.machine;
}

} // namespace

MachineId host_machine() { return k_host; }

bool runs_on_host(const FileHeader& header) {
  return same(k_host, header) ||
         std::ranges::any_of(k_compat, [&](const MachineId& id) { return same(id, header); });
}

std::string machine_name(std::uint16_t machine) {
  const auto* found = std::ranges::find(k_machine_names, machine, &MachineName::machine);
  if (found != k_machine_names.end()) {
    return std::string(found->name);
  }
  return fmt::format("e_machine {}", machine);
}

std::string describe_target(const FileHeader& header) {
  return fmt::format("{} ({}-bit, {}-endian)", machine_name(header.machine),
                     header.elf_class == ElfClass::elf64 ? 64 : 32,
                     header.byte_order == ByteOrder::little ? "little" : "big");
}

} // namespace sealexec::elf
