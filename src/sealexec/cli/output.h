// The only place the CLI writes its own messages. Every line starts with
// "sealexec: " so it can be told apart from the program's output.
//
// Nothing sealexec prints may steer the terminal: names (paths, arguments,
// cache descriptions, what a remote server said) can hold any byte, so every
// message, and every name in data output, goes through terminal_text
// (util/terminal_text.h) exactly once, here at the boundary. report, warn and
// note escape their whole line themselves: pass them raw text, never text
// escaped already (a backslash would be doubled).
#pragma once

#include "sealexec/util/error.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace sealexec::cli {

// Prints `error` as one line on stderr and returns its exit code.
int report(const Error& error);
// "sealexec: warning: <text>".
void warn(std::string_view text);
// "sealexec: <text>", for --verbose.
void note(std::string_view text);

// A name or other data in a line of output that is not a message (check's
// rows, cache ls, cache stats): escaped with terminal_text.
[[nodiscard]] std::string shown(std::string_view text);

// `document` as compact JSON text, with every string in it (values and keys)
// escaped with terminal_text first, as it would be in text output: the JSON
// carries no control character (nlohmann escapes only U+0000-U+001F, not DEL
// or C1), no bidirectional override, and no byte that is not UTF-8 (which
// would make the serializer throw). A reader gets the escaped form back; it
// decodes exactly (README.md).
[[nodiscard]] std::string json_text(nlohmann::json document);

} // namespace sealexec::cli
