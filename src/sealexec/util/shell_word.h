// A name made safe to paste into a POSIX shell as one word: remedies that
// say "sealexec fix --clear-execstack PATH" are copied into terminals, and a
// file named `$(id>x).so` must not run anything there.
#pragma once

#include <string>
#include <string_view>

namespace sealexec {

// `text` unchanged when it holds only characters no shell treats specially
// (letters, digits and _ - . / + , : = @ %), else in single quotes with each
// ' written as '\''. The empty string is ''.
[[nodiscard]] std::string shell_word(std::string_view text);

} // namespace sealexec
