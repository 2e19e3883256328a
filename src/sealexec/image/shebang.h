// The "#!" line of a script, parsed exactly as Linux's binfmt_script parses it,
// so that what we check before exec is what the kernel will do.
#pragma once

#include "sealexec/util/error.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace sealexec {

// The kernel reads this many bytes of a file to decide how to run it
// (BINPRM_BUF_SIZE since Linux 5.1).
inline constexpr std::size_t k_binprm_buf_size = 256;

struct Shebang {
  std::string interpreter;
  // Everything after the interpreter, as one argument, as Linux passes it.
  std::optional<std::string> argument;
  friend bool operator==(const Shebang&, const Shebang&) = default;
};

// Parses the start of a file (any length; only the first k_binprm_buf_size
// bytes matter). Fails with Errc::not_runnable when `head` does not start with
// "#!", and with Errc::malformed when there is no interpreter or the line is
// too long for the kernel to see the whole interpreter path. `path` only
// names the file in errors.
[[nodiscard]] Expected<Shebang> parse_shebang(std::span<const std::byte> head,
                                              std::string_view path);

} // namespace sealexec
