#include "sealexec/script/include_scan.h"

#include <algorithm>
#include <unordered_set>

namespace sealexec::script {

namespace {

bool identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

class Scanner {
public:
  explicit Scanner(std::string_view text) : m_text(text) {}

  IncludeScan scan() {
    bool line_start = true; // only blanks (and comments) since the last newline
    while (m_at < m_text.size() && !m_scan.truncated) {
      const char c = m_text[m_at];
      if (c == '\n') {
        line_start = true;
        ++m_at;
      } else if (c == '\\' && next_is_newline(m_at + 1)) {
        skip_line_splice(); // a spliced line continues the current one
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++m_at;
      } else if (c == '/' && peek(1) == '/') {
        skip_to_end_of_line();
      } else if (c == '/' && peek(1) == '*') {
        skip_block_comment();
      } else if (line_start && (c == '#' || (c == '%' && peek(1) == ':') ||
                                (c == '?' && peek(1) == '?' && peek(2) == '='))) {
        // '#', or its digraph %: or trigraph ??= (ISO modes read those).
        m_at += c == '#' ? 1U : c == '%' ? 2U : 3U;
        directive();
        line_start = false;
      } else if (c == '"' || c == '\'') {
        skip_literal(c);
        line_start = false;
      } else if (identifier_char(c)) {
        identifier();
        line_start = false;
      } else {
        ++m_at;
        line_start = false;
      }
    }
    return std::move(m_scan);
  }

private:
  [[nodiscard]] char peek(std::size_t ahead) const {
    return m_at + ahead < m_text.size() ? m_text[m_at + ahead] : '\0';
  }
  [[nodiscard]] bool next_is_newline(std::size_t at) const {
    return at < m_text.size() &&
           (m_text[at] == '\n' || (m_text[at] == '\r' && at + 1 < m_text.size() &&
                                   m_text[at + 1] == '\n'));
  }
  void skip_line_splice() {
    ++m_at; // the backslash
    if (m_text[m_at] == '\r') {
      ++m_at;
    }
    ++m_at; // the newline
  }
  void skip_to_end_of_line() {
    while (m_at < m_text.size() && m_text[m_at] != '\n') {
      if (m_text[m_at] == '\\' && next_is_newline(m_at + 1)) {
        skip_line_splice();
      } else {
        ++m_at;
      }
    }
  }
  void skip_block_comment() {
    const std::size_t end = m_text.find("*/", m_at + 2);
    m_at = end == std::string_view::npos ? m_text.size() : end + 2;
  }
  // A string or character literal: ends at its closing quote, or before the
  // end of its line. A quote that opens none (a digit separator: 10'000, an
  // apostrophe in #error text, a line of a raw string) then hides the rest
  // of its line only, never the next line's directive.
  void skip_literal(char quote) {
    ++m_at;
    while (m_at < m_text.size() && m_text[m_at] != quote && m_text[m_at] != '\n') {
      m_at += m_text[m_at] == '\\' && m_at + 1 < m_text.size() && m_text[m_at + 1] != '\n' ? 2U
                                                                                        : 1U;
    }
    if (m_at < m_text.size() && m_text[m_at] == quote) {
      ++m_at;
    }
  }
  void skip_blanks() {
    for (;;) {
      if (m_at < m_text.size() && (m_text[m_at] == ' ' || m_text[m_at] == '\t')) {
        ++m_at;
      } else if (m_at < m_text.size() && m_text[m_at] == '\\' && next_is_newline(m_at + 1)) {
        skip_line_splice();
      } else if (peek(0) == '/' && peek(1) == '*') {
        skip_block_comment();
      } else {
        return;
      }
    }
  }
  // Line splices may fall inside an identifier too. The view is into the
  // text, or into a buffer reused from one identifier to the next (a header
  // has thousands): valid until the next call.
  std::string_view read_identifier() {
    const std::size_t start = m_at;
    while (m_at < m_text.size() && identifier_char(m_text[m_at])) {
      ++m_at;
    }
    if (m_at + 1 >= m_text.size() || m_text[m_at] != '\\' || !next_is_newline(m_at + 1)) {
      return m_text.substr(start, m_at - start);
    }
    m_identifier.assign(m_text.substr(start, m_at - start));
    for (;;) {
      if (m_at < m_text.size() && identifier_char(m_text[m_at])) {
        m_identifier += m_text[m_at++];
      } else if (m_at < m_text.size() && m_text[m_at] == '\\' && next_is_newline(m_at + 1)) {
        skip_line_splice();
      } else {
        return m_identifier;
      }
    }
  }
  // "name" or <name> at the cursor (line splices inside it removed); false
  // (and nothing consumed) otherwise.
  bool header_name() {
    const char open = peek(0);
    if (open != '"' && open != '<') {
      return false;
    }
    const char close = open == '"' ? '"' : '>';
    std::string name;
    for (std::size_t at = m_at + 1; at < m_text.size(); ++at) {
      if (m_text[at] == close) {
        add(name, open == '"');
        m_at = at + 1;
        return true;
      }
      if (m_text[at] == '\\' && next_is_newline(at + 1)) {
        at += m_text[at + 1] == '\r' ? 2U : 1U; // the splice
        continue;
      }
      if (m_text[at] == '\n') {
        return false;
      }
      name += m_text[at];
    }
    return false;
  }
  void add(std::string_view name, bool quoted) {
    if (name.empty()) {
      return;
    }
    std::string key(name);
    key += quoted ? '"' : '>';
    if (!m_seen.insert(std::move(key)).second) {
      return;
    }
    if (m_scan.references.size() == k_max_include_references) {
      m_scan.truncated = true;
      return;
    }
    m_scan.references.push_back({.name = std::string(name), .quoted = quoted});
  }
  void directive() {
    skip_blanks();
    const std::string_view name = read_identifier();
    if (name != "include" && name != "include_next" && name != "import" && name != "embed") {
      return; // the rest of the line is scanned as text (#if __has_include...)
    }
    skip_blanks();
    if (!header_name()) {
      m_scan.computed = true;
    }
  }
  void identifier() {
    const std::string_view name = read_identifier();
    if (name != "__has_include" && name != "__has_include_next" && name != "__has_embed") {
      return;
    }
    skip_blanks();
    if (peek(0) != '(') {
      return; // defined(__has_include), #ifdef __has_include
    }
    ++m_at;
    skip_blanks();
    if (!header_name()) {
      m_scan.computed = true;
    }
  }

  std::string_view m_text;
  std::size_t m_at = 0;
  std::string m_identifier;
  IncludeScan m_scan;
  std::unordered_set<std::string> m_seen;
};

} // namespace

IncludeScan scan_includes(std::string_view text) { return Scanner(text).scan(); }

} // namespace sealexec::script
