// The only place the CLI writes its own messages. Every line starts with
// "sealexec: " so it can be told apart from the program's output.
#pragma once

#include "sealexec/util/error.h"

#include <string_view>

namespace sealexec::cli {

// Prints `error` as one line on stderr and returns its exit code.
int report(const Error& error);
// "sealexec: warning: <text>".
void warn(std::string_view text);
// "sealexec: <text>", for --verbose.
void note(std::string_view text);

} // namespace sealexec::cli
