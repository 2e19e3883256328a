#include "sealexec/cli/output.h"

#include "sealexec/cli/exit_codes.h"
#include "sealexec/util/terminal_text.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

namespace sealexec::cli {

namespace {
// One write per line, so lines from concurrent processes do not interleave.
// The text is escaped, so the newline written here is the line's only one.
void write_line(std::string_view prefix, std::string_view text) {
  std::string line(prefix);
  line.reserve(prefix.size() + text.size() + 1);
  append_terminal_text(line, text);
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

void escape_strings(nlohmann::json& value) {
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    if (needs_terminal_escape(text)) {
      text = terminal_text(text);
    }
    return;
  }
  if (value.is_array()) {
    for (nlohmann::json& element : value) {
      escape_strings(element);
    }
    return;
  }
  if (!value.is_object()) {
    return;
  }
  std::vector<std::string> bad_keys;
  for (auto item = value.begin(); item != value.end(); ++item) {
    escape_strings(item.value());
    if (needs_terminal_escape(item.key())) {
      bad_keys.push_back(item.key());
    }
  }
  // Keys cannot be changed in place; move each bad one's value to its escaped
  // name.
  for (const std::string& key : bad_keys) {
    nlohmann::json moved = std::move(value[key]);
    value.erase(key);
    value[terminal_text(key)] = std::move(moved);
  }
}
} // namespace

int report(const Error& error) {
  write_line("sealexec: ", error.message());
  return exit_code_for(error.code);
}

void warn(std::string_view text) { write_line("sealexec: warning: ", text); }

void note(std::string_view text) { write_line("sealexec: ", text); }

std::string shown(std::string_view text) { return terminal_text(text); }

std::string json_text(nlohmann::json document) {
  escape_strings(document);
  return document.dump();
}

} // namespace sealexec::cli
