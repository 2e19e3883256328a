#include "sealexec/script/depfile.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <numeric>
#include <optional>

namespace sealexec::script {

namespace {

constexpr std::size_t k_nowhere = std::string_view::npos;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Walks a depfile one logical line at a time. Every index is checked against
// the text's size before it is read, and every step moves forward.
class Lexer {
public:
  explicit Lexer(std::string_view text) : m_text(text) {}

  [[nodiscard]] bool at_end() const { return m_pos >= m_text.size(); }
  [[nodiscard]] std::size_t position() const { return m_pos; }

  // Where the logical line that starts here has its rule separator, without
  // moving: the first unescaped ':' that ends the target list (followed by a
  // blank, a line ending, a continuation, a comment or the end), or else the
  // first unescaped ':'. nullopt when the line has no unescaped ':' before
  // its end or its comment.
  [[nodiscard]] std::optional<std::size_t> find_separator() const {
    std::optional<std::size_t> first;
    std::size_t i = m_pos;
    while (i < m_text.size()) {
      if (const std::size_t size = continuation_size(i); size > 0) {
        i += size;
        continue;
      }
      const char c = m_text[i];
      if (c == '#' || line_end_size(i) > 0) {
        break;
      }
      if (c == '\\') {
        const std::size_t after = i + backslash_run(i);
        if (continuation_size(after - 1) > 0) {
          i = after - 1;
          continue;
        }
        // Backslashes escape a '#' or ':' that follows them (next_name).
        i = after;
        if (i < m_text.size() && (m_text[i] == '#' || m_text[i] == ':')) {
          ++i;
        }
        continue;
      }
      if (c == ':') {
        if (ends_target_list(i + 1)) {
          return i;
        }
        if (!first) {
          first = i;
        }
      }
      ++i;
    }
    return first;
  }

  // Reads the next name of the logical line into `name`, without going past
  // index `stop`. False, with nothing read, at the line's end, its comment or
  // `stop`. A name read is never empty.
  bool next_name(std::size_t stop, std::string& name) {
    name.clear();
    while (m_pos < m_text.size() && m_pos != stop) {
      if (is_blank(m_text[m_pos])) {
        ++m_pos;
      } else if (const std::size_t size = continuation_size(m_pos); size > 0) {
        m_pos += size;
      } else {
        break;
      }
    }
    if (m_pos >= m_text.size() || m_pos == stop || m_text[m_pos] == '#' ||
        line_end_size(m_pos) > 0) {
      return false;
    }
    while (m_pos < m_text.size() && m_pos != stop) {
      const char c = m_text[m_pos];
      if (is_blank(c) || c == '#' || line_end_size(m_pos) > 0) {
        break;
      }
      if (c == '$') {
        name += '$';
        const bool doubled = m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '$';
        m_pos += doubled ? 2 : 1;
        continue;
      }
      if (c != '\\') {
        name += c;
        ++m_pos;
        continue;
      }
      const std::size_t run = backslash_run(m_pos);
      const std::size_t after = m_pos + run;
      if (continuation_size(after - 1) > 0) {
        // The last backslash continues the line, which ends the name.
        name.append(run - 1, '\\');
        m_pos = after - 1;
        break;
      }
      const char next = after < m_text.size() ? m_text[after] : '\0';
      if (is_blank(next)) {
        if (run % 2 == 1) {
          // gcc doubles the backslashes in front of a blank it escapes.
          name.append(run / 2, '\\');
          name += next;
          m_pos = after + 1;
          continue;
        }
        // An even run escapes nothing and the blank ends the name. make
        // would keep half of the backslashes, but gcc does not double those
        // that end a name, so all of them are the name's (as in ninja).
        name.append(run, '\\');
        m_pos = after;
        break;
      }
      if ((next == '#' || next == ':') && after != stop) {
        // gcc writes '#' as "\#" without doubling the backslashes before it.
        name.append(run - 1, '\\');
        name += next;
        m_pos = after + 1;
        continue;
      }
      name.append(run, '\\');
      m_pos = after;
    }
    return true;
  }

  // Moves just past `separator`, which find_separator returned.
  void skip_separator(std::size_t separator) { m_pos = separator + 1; }

  // Skips what remains of the logical line (blanks, a comment) and its line
  // ending.
  void finish_line() {
    while (m_pos < m_text.size() && line_end_size(m_pos) == 0) {
      // A comment, too, continues over backslash-newline, as in make.
      const std::size_t size = continuation_size(m_pos);
      m_pos += size > 0 ? size : 1;
    }
    m_pos += line_end_size(m_pos);
  }

private:
  // 1 for "\n", 2 for "\r\n", 0 otherwise or past the end.
  [[nodiscard]] std::size_t line_end_size(std::size_t i) const {
    if (i < m_text.size() && m_text[i] == '\n') {
      return 1;
    }
    if (i + 1 < m_text.size() && m_text[i] == '\r' && m_text[i + 1] == '\n') {
      return 2;
    }
    return 0;
  }

  // The size of a backslash-newline at `i`, 0 when there is none. A
  // backslash that ends the text counts as one too: a continuation of nothing.
  [[nodiscard]] std::size_t continuation_size(std::size_t i) const {
    if (i >= m_text.size() || m_text[i] != '\\') {
      return 0;
    }
    if (i + 1 == m_text.size()) {
      return 1;
    }
    const std::size_t line_end = line_end_size(i + 1);
    return line_end > 0 ? 1 + line_end : 0;
  }

  // How many backslashes start at `i`.
  [[nodiscard]] std::size_t backslash_run(std::size_t i) const {
    std::size_t end = i;
    while (end < m_text.size() && m_text[end] == '\\') {
      ++end;
    }
    return end - i;
  }

  // Whether a ':' followed by index `i` ends a target list.
  [[nodiscard]] bool ends_target_list(std::size_t i) const {
    return i >= m_text.size() || is_blank(m_text[i]) || m_text[i] == '#' ||
           line_end_size(i) > 0 || continuation_size(i) > 0;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

// Removes repeated names, keeping the first of each, in O(n log n) whatever
// the names are (no hashing a hostile file could aim collisions at).
void remove_duplicates(std::vector<std::string>& names) {
  std::vector<std::size_t> order(names.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Ties go to the earlier name. (Not stable_sort: with clang, libstdc++ 12's
  // version warns about its own use of get_temporary_buffer.)
  std::ranges::sort(order, [&names](std::size_t a, std::size_t b) {
    const auto order_of_names = names[a] <=> names[b];
    return order_of_names != 0 ? order_of_names < 0 : a < b;
  });
  std::vector<bool> keep(names.size(), false);
  for (std::size_t i = 0; i < order.size(); ++i) {
    keep[order[i]] = i == 0 || names[order[i]] != names[order[i - 1]];
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (keep[i]) {
      if (kept != i) {
        names[kept] = std::move(names[i]);
      }
      ++kept;
    }
  }
  names.resize(kept);
}

} // namespace

Expected<Depfile> parse_depfile(std::string_view text, std::string_view name) {
  auto bad = [name](std::string_view reason) {
    return fail(make_error(Errc::malformed, name, fmt::format("bad depfile: {}", reason)));
  };
  auto line_of = [text](std::size_t offset) {
    return 1 + std::ranges::count(text.substr(0, offset), '\n');
  };
  if (text.size() > k_max_depfile_size) {
    return bad(fmt::format("larger than the limit of {} bytes", k_max_depfile_size));
  }
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return bad(fmt::format("NUL byte at offset {}", nul));
  }

  Depfile depfile;
  Lexer lexer(text);
  std::size_t names = 0;
  std::vector<std::string> rule_targets;
  std::string word;
  auto count_name = [&names]() { return ++names <= k_max_depfile_entries; };
  while (!lexer.at_end()) {
    const std::size_t line_start = lexer.position();
    const std::optional<std::size_t> separator = lexer.find_separator();
    rule_targets.clear();
    while (lexer.next_name(separator.value_or(k_nowhere), word)) {
      if (!count_name()) {
        return bad(fmt::format("more than {} names", k_max_depfile_entries));
      }
      rule_targets.push_back(std::move(word));
    }
    if (!separator) {
      if (!rule_targets.empty()) {
        return bad(fmt::format("line {}: names without a ':' (not a make rule)",
                               line_of(line_start)));
      }
      lexer.finish_line();
      continue;
    }
    if (rule_targets.empty()) {
      return bad(fmt::format("line {}: a rule with no target before ':'", line_of(line_start)));
    }
    lexer.skip_separator(*separator);
    const std::size_t before = depfile.prerequisites.size();
    while (lexer.next_name(k_nowhere, word)) {
      if (!count_name()) {
        return bad(fmt::format("more than {} names", k_max_depfile_entries));
      }
      depfile.prerequisites.push_back(std::move(word));
    }
    // A rule without prerequisites, such as -MP's "header.h:", names nothing
    // the targets were built from.
    if (depfile.prerequisites.size() > before) {
      std::ranges::move(rule_targets, std::back_inserter(depfile.targets));
    }
    lexer.finish_line();
  }
  remove_duplicates(depfile.targets);
  remove_duplicates(depfile.prerequisites);
  return depfile;
}

} // namespace sealexec::script
