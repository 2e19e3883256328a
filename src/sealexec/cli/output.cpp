#include "sealexec/cli/output.h"

#include "sealexec/cli/exit_codes.h"

#include <unistd.h>

#include <string>

namespace sealexec::cli {

namespace {
// One write per line, so lines from concurrent processes do not interleave.
void write_line(std::string line) {
  line += '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t wrote = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (wrote <= 0) {
      return;
    }
    rest.remove_prefix(static_cast<std::size_t>(wrote));
  }
}
} // namespace

int report(const Error& error) {
  write_line("sealexec: " + error.message());
  return exit_code_for(error.code);
}

void warn(std::string_view text) { write_line("sealexec: warning: " + std::string(text)); }

void note(std::string_view text) { write_line("sealexec: " + std::string(text)); }

} // namespace sealexec::cli
