// Feeds arbitrary bytes to the "#!" parser and checks the properties that
// hold for whatever Linux would accept.
#include "sealexec/image/shebang.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const auto parsed = parse_shebang(std::as_bytes(std::span(data, size)), "fuzz");
  if (!parsed) {
    return 0;
  }
  // Whatever is accepted starts with "#!", names a non-empty interpreter
  // without blanks or NULs, and fits in the kernel's buffer. The argument may
  // be empty: for "#!/bin/x " without a newline Linux passes "" (checked on
  // 6.18: the NUL padding after the blank counts as the argument's start).
  const bool sane = size >= 2 && data[0] == '#' && data[1] == '!' && !parsed->interpreter.empty() &&
                    parsed->interpreter.find_first_of(std::string_view(" \t\0", 3)) ==
                        std::string::npos &&
                    parsed->interpreter.size() < k_binprm_buf_size &&
                    (!parsed->argument || parsed->argument->size() < k_binprm_buf_size);
  if (!sane) {
    std::abort();
  }
  return 0;
}
