// Creating and sealing anonymous memory files (memfds).
#pragma once

#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <optional>
#include <string>
#include <string_view>

namespace sealexec {

// Flags newer than the kernel headers of Debian 12 (Linux 6.3).
inline constexpr unsigned k_mfd_noexec_seal = 0x0008U; // MFD_NOEXEC_SEAL
inline constexpr unsigned k_mfd_exec = 0x0010U;        // MFD_EXEC
inline constexpr int k_f_seal_exec = 0x0020;           // F_SEAL_EXEC

// The longest memfd name the kernel keeps (NAME_MAX minus "memfd:").
inline constexpr std::size_t k_memfd_name_max = 249;

enum class Executable { yes, no };

// Creates a close-on-exec memfd that can be sealed. `name` is cut to
// k_memfd_name_max bytes. With Executable::yes it asks for MFD_EXEC, retries
// without it on kernels older than 6.3, and fails with Errc::policy, naming
// the vm.memfd_noexec sysctl, when the kernel forbids executable memfds.
// With Executable::no it asks for MFD_NOEXEC_SEAL where the kernel has it.
// Errors name `source` (the file being loaded), or the memfd when empty.
[[nodiscard]] Expected<Fd> create_memfd(std::string_view name, Executable executable,
                                        std::string_view source = {});

// The vm.memfd_noexec setting of this process's pid namespace: 0 allows
// executable memfds, 1 makes them non-executable by default, 2 forbids them.
// nullopt when the kernel has no such setting or it cannot be read.
[[nodiscard]] std::optional<int> memfd_noexec_setting();

// The seals every image carries: nobody may shrink, grow or write the bytes,
// or change the seals.
[[nodiscard]] int base_seals();

// Adds the base seals, plus F_SEAL_EXEC where the kernel knows it (so the
// mode bits cannot change either), then reads them back with F_GET_SEALS and
// fails unless the base set is a subset of what is set. Returns the seals.
// F_GET_SEALS alone proves nothing: a plain tmpfs file reports F_SEAL_SEAL.
[[nodiscard]] Expected<int> seal_memfd(int fd, std::string_view name);

// True when `fd` carries at least the base seals.
[[nodiscard]] bool has_base_seals(int fd);

// A new close-on-exec, read-only descriptor of the memfd `fd`, opened through
// /proc/self/fd/N (the only way to lower a descriptor's access mode). Used
// where a descriptor crosses into another program (a script's interpreter).
// Without /proc it is a plain duplicate, still sealed against writes, whose
// shared file offset is rewound to 0.
[[nodiscard]] Expected<Fd> reopen_read_only(int fd, std::string_view name);

} // namespace sealexec
