#include "sealexec/exec/self_reference.h"

#include "sealexec/elf/elf_file.h"
#include "sealexec/image/image_source.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <span>
#include <vector>

namespace sealexec {

namespace {

std::string_view basename_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// "python3.11" -> "python", "perl5.36" -> "perl".
std::string_view without_version(std::string_view name) {
  std::size_t end = name.size();
  while (end > 0 && (std::isdigit(static_cast<unsigned char>(name[end - 1])) != 0 ||
                     name[end - 1] == '.')) {
    --end;
  }
  return name.substr(0, end);
}

ScriptLanguage language_of_program(std::string_view program) {
  const std::string_view name = without_version(basename_of(program));
  constexpr std::array<std::string_view, 9> shells = {"sh",  "bash", "dash", "zsh",  "ksh",
                                                      "mksh", "ash", "yash", "rbash"};
  if (std::ranges::find(shells, name) != shells.end()) {
    return ScriptLanguage::shell;
  }
  if (name == "perl") {
    return ScriptLanguage::perl;
  }
  if (name == "python" || name == "pypy") {
    return ScriptLanguage::python;
  }
  if (name == "node" || name == "nodejs") {
    return ScriptLanguage::node;
  }
  if (name == "ruby") {
    return ScriptLanguage::ruby;
  }
  return ScriptLanguage::unknown;
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// `word` at `at` in `line`, not inside a longer identifier.
bool word_at(std::string_view line, std::size_t at, std::string_view word) {
  return line.substr(at, word.size()) == word && (at == 0 || !is_word_char(line[at - 1])) &&
         (at + word.size() >= line.size() || !is_word_char(line[at + word.size()]));
}

// The text of `line` that a shell or Perl would expand or run: single-quoted
// parts and what follows an unquoted '#' that starts a word are blanked, and
// an escaped '$' loses its meaning. Quotes do not continue across lines
// (a heuristic: multi-line strings are rare in the constructs looked for).
std::string active_text(std::string_view line) {
  std::string out(line);
  bool single = false;
  bool dbl = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (single) {
      if (c == '\'') {
        single = false;
      }
      out[i] = ' ';
      continue;
    }
    if (c == '\\' && i + 1 < out.size()) {
      out[i] = ' ';
      out[++i] = ' ';
      continue;
    }
    if (c == '"') {
      dbl = !dbl;
    } else if (c == '\'' && !dbl) {
      single = true;
      out[i] = ' ';
    } else if (c == '#' && !dbl && (i == 0 || std::isspace(static_cast<unsigned char>(out[i - 1])) != 0)) {
      out.resize(i);
      break;
    }
  }
  return out;
}

// "$0" not followed by another digit, or "${0" (${0}, ${0%/*}, ${0##*/}).
bool has_dollar_zero(std::string_view text, std::size_t& at) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '$') {
      continue;
    }
    if (text[i + 1] == '0' &&
        (i + 2 >= text.size() || std::isdigit(static_cast<unsigned char>(text[i + 2])) == 0)) {
      at = i;
      return true;
    }
    if (text[i + 1] == '{' && i + 2 < text.size() && text[i + 2] == '0') {
      at = i;
      return true;
    }
  }
  return false;
}

std::optional<std::string> find_word(std::string_view text,
                                     std::span<const std::string_view> words) {
  for (std::size_t at = 0; at < text.size(); ++at) {
    for (const std::string_view word : words) {
      if (word_at(text, at, word)) {
        return std::string(word);
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> find_text(std::string_view text,
                                     std::span<const std::string_view> needles) {
  for (const std::string_view needle : needles) {
    if (text.find(needle) != std::string_view::npos) {
      return std::string(needle);
    }
  }
  return std::nullopt;
}

// Splits `text` into lines, calling `visit(line, number)` until it returns true.
template <typename Visit>
void for_each_line(std::string_view text, Visit visit) {
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (visit(line, number)) {
      return;
    }
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
}

std::string_view trimmed_start(std::string_view line) {
  const std::size_t first = line.find_first_not_of(" \t\r");
  return first == std::string_view::npos ? std::string_view() : line.substr(first);
}

// " -h \"" -> "a -h test".
std::string describe_link_test(std::string_view test) {
  const std::size_t dash = test.find('-');
  return dash == std::string_view::npos ? std::string(test)
                                        : "a " + std::string(test.substr(dash, 2)) + " test";
}

bool contains_any(std::string_view text, std::span<const std::string_view> needles) {
  return find_text(text, needles).has_value();
}

// Whether a line that mentions the script's path only takes its basename
// from it: `${0##*/}`, `basename "$0"`, or a sed or Perl substitution that
// deletes everything up to the last '/' (bzcmp's `sed 's|.*/||'`). Dispatching
// on the name works through the name link, so none of these is a home. A
// line that also strips a suffix (`${0%"${0##*/}"}`) keeps the directory.
bool takes_basename_only(std::string_view line) {
  if (line.find("${0%") != std::string_view::npos || line.find("dirname") != std::string_view::npos) {
    return false;
  }
  return line.find("${0##") != std::string_view::npos ||
         line.find("basename") != std::string_view::npos ||
         line.find(".*/") != std::string_view::npos;
}

// A line that only shows text: a usage message with $0 in it.
bool only_prints(std::string_view active) {
  const std::string_view code = trimmed_start(active);
  return code.starts_with("echo ") || code.starts_with("printf ") || code.starts_with("print ");
}

// `NAME=` opening a line (a shell or Python assignment), or "".
std::string_view assigned_name(std::string_view active) {
  const std::string_view code = trimmed_start(active);
  std::size_t end = 0;
  while (end < code.size() && is_word_char(code[end])) {
    ++end;
  }
  std::size_t equals = end;
  while (equals < code.size() && code[equals] == ' ') {
    ++equals;
  }
  if (end == 0 || equals >= code.size() || code[equals] != '=' ||
      (equals + 1 < code.size() && code[equals + 1] == '=')) {
    return {};
  }
  return code.substr(0, end);
}

// The first of `names` used as a shell variable ($NAME, ${NAME...}) in `text`.
std::optional<std::string> uses_variable(std::string_view text,
                                         const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    for (const std::string& form : {"$" + name, "${" + name}) {
      for (std::size_t at = text.find(form); at != std::string_view::npos;
           at = text.find(form, at + 1)) {
        const std::size_t after = at + form.size();
        if (after >= text.size() || !is_word_char(text[after])) {
          return "$" + name;
        }
      }
    }
  }
  return std::nullopt;
}

// The words of a line of shell in command position: the first, those after
// ; & | ( ` and $(, and those after a keyword that takes a command (while,
// until, if, do, then, else, elif, !). "for" in an echo's text, or
// "readlink" in a list of names, is not one.
std::vector<std::string_view> command_words(std::string_view active) {
  constexpr std::array<std::string_view, 8> takes_command = {"while", "until", "if",   "do",
                                                             "then",  "else",  "elif", "!"};
  std::vector<std::string_view> words;
  std::size_t i = 0;
  bool at_command = true;
  while (i < active.size()) {
    const char c = active[i];
    if (c == ';' || c == '&' || c == '|' || c == '(' || c == '`') {
      at_command = true;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < active.size() && std::isspace(static_cast<unsigned char>(active[end])) == 0 &&
           std::string_view(";&|(`").find(active[end]) == std::string_view::npos) {
      ++end;
    }
    const std::string_view word = active.substr(i, end - i);
    if (at_command) {
      words.push_back(word);
      at_command = std::ranges::find(takes_command, word) != takes_command.end();
    }
    i = end;
  }
  return words;
}

// A shell script finds its home when a line that mentions its own path ($0,
// BASH_SOURCE, or a variable assigned from them) also takes a directory from
// it (dirname, ${0%...}, cd, sed, expr), names something next to it ($0.bin,
// $0/..), or resolves it (readlink, realpath); a line that prints $0,
// re-runs or reads "$0" itself, or takes its basename, does not depend on
// the directory. It may loop when it mentions its path (other than to print
// it or take its basename) and resolves links inside a loop (readlink,
// realpath or a -h/-L test between while/until/for and done): through the
// name link that ends in the memfd, not in its directory (gcloud's launchers
// loop forever).
std::optional<SelfReference> scan_shell(std::string_view text) {
  constexpr std::array<std::string_view, 1> self_words = {"BASH_SOURCE"};
  constexpr std::array<std::string_view, 11> home_markers = {
      "dirname", "%/", "${0%", "sed ", "expr ", "awk ", "$0.", "$0/", "${0}.", "${0}/", "cd "};
  constexpr std::array<std::string_view, 8> resolvers = {
      "readlink", "realpath", " -h \"", " -L \"", " -h $", " -L $", " -h ${", " -L ${"};
  constexpr std::array<std::string_view, 6> link_tests = {" -h \"", " -L \"", " -h $",
                                                          " -L $", " -h ${", " -L ${"};
  constexpr std::array<std::string_view, 3> loop_openers = {"while", "until", "for"};
  constexpr std::array<std::string_view, 1> loop_closers = {"done"};
  constexpr std::size_t k_max_tracked = 16;
  std::optional<SelfReference> any;
  std::optional<SelfReference> home;
  std::optional<std::pair<std::string, std::size_t>> looping_resolver;
  std::vector<std::string> tracked; // variables that hold the script's path
  int depth = 0;
  std::string heredoc_end; // inside a here-document: the line that ends it
  bool heredoc_tabs = false;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    // A here-document's body is text (a usage message with $0 in it).
    if (!heredoc_end.empty()) {
      std::string_view body = line;
      while (heredoc_tabs && body.starts_with('\t')) {
        body.remove_prefix(1);
      }
      if (body == heredoc_end || (body.size() == heredoc_end.size() + 1 && body.back() == '\r' &&
                                  body.starts_with(heredoc_end))) {
        heredoc_end.clear();
      }
      return false;
    }
    const std::string active = active_text(line);
    if (const std::size_t at = line.find("<<"); at != std::string_view::npos &&
                                                 line.find("<<<") != at) {
      std::string_view rest = line.substr(at + 2);
      heredoc_tabs = rest.starts_with('-');
      rest = trimmed_start(heredoc_tabs ? rest.substr(1) : rest);
      std::string word;
      for (const char c : rest) {
        if (c == '\'' || c == '"' || c == '\\') {
          continue;
        }
        if (!is_word_char(c) && c != '.' && c != '-') {
          break;
        }
        word += c;
      }
      heredoc_end = word;
    }
    std::size_t at = 0;
    std::optional<std::string> construct;
    if (has_dollar_zero(active, at)) {
      construct = "$0";
    } else if (auto word = find_word(active, self_words)) {
      construct = std::move(word);
    } else if (auto variable = uses_variable(active, tracked)) {
      construct = std::move(variable);
    }
    const bool basename_only = construct && takes_basename_only(line);
    if (construct && !basename_only) {
      const std::string_view name = assigned_name(active);
      if (!name.empty() && tracked.size() < k_max_tracked &&
          std::ranges::find(tracked, name) == tracked.end()) {
        tracked.emplace_back(name);
      }
    }
    if (construct && !any && !basename_only && !only_prints(active)) {
      any = SelfReference{.construct = *construct, .line = number};
    }
    if (construct && !home && !basename_only && !only_prints(active) &&
        (contains_any(active, home_markers) || contains_any(active, resolvers))) {
      home = SelfReference{.construct = *construct, .line = number};
    }
    int opened = 0;
    int closed = 0;
    std::optional<std::string> resolver;
    for (const std::string_view word : command_words(active)) {
      opened += std::ranges::find(loop_openers, word) != loop_openers.end() ? 1 : 0;
      closed += std::ranges::find(loop_closers, word) != loop_closers.end() ? 1 : 0;
      // dirname in a loop walks up towards /, looking for something next to
      // the script: from the name link's directory it reaches / and stays.
      if (!resolver && (word == "readlink" || word == "realpath" || word == "dirname")) {
        resolver = std::string(word);
      }
    }
    if (!resolver) {
      if (auto test = find_text(active, link_tests)) {
        resolver = describe_link_test(*test);
      }
    }
    if (!looping_resolver && resolver && (depth > 0 || opened > 0)) {
      looping_resolver.emplace(std::move(*resolver), number);
    }
    depth = std::clamp(depth + opened - closed, 0, 1 << 16);
    return any && home && looping_resolver;
  });
  if (any && looping_resolver) {
    SelfReference found = home ? *home : *any;
    found.resolves_links = true;
    found.resolver = looping_resolver->first;
    found.resolver_line = looping_resolver->second;
    return found;
  }
  return home;
}

// Perl: FindBin anywhere, or $0 or __FILE__ on a line that takes a directory
// from it or resolves it.
std::optional<SelfReference> scan_perl(std::string_view text) {
  constexpr std::array<std::string_view, 1> find_bin = {"FindBin"};
  constexpr std::array<std::string_view, 1> file_word = {"__FILE__"};
  constexpr std::array<std::string_view, 10> home_markers = {
      "dirname", "abs_path", "realpath", "rel2abs", "catfile", "catdir", "s{", "s!", "=~",
      "fileparse"};
  std::optional<SelfReference> found;
  bool in_pod = false;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    if (line.starts_with("__END__") || line.starts_with("__DATA__")) {
      return true;
    }
    if (line.size() > 1 && line[0] == '=' && std::isalpha(static_cast<unsigned char>(line[1])) != 0) {
      in_pod = !line.starts_with("=cut");
      return false;
    }
    if (in_pod) {
      return false;
    }
    const std::string active = active_text(line);
    std::size_t at = 0;
    if (auto word = find_word(active, find_bin)) {
      found = SelfReference{.construct = std::move(*word), .line = number};
    } else if (contains_any(active, home_markers) && !takes_basename_only(line)) {
      if (has_dollar_zero(active, at)) {
        found = SelfReference{.construct = "$0", .line = number};
      } else if (auto file = find_word(active, file_word)) {
        found = SelfReference{.construct = std::move(*file), .line = number};
      }
    }
    return found.has_value();
  });
  return found;
}

// Python: __file__ anywhere; sys.argv[0], or a variable assigned from it,
// on a line that takes a directory from it or resolves it.
std::optional<SelfReference> scan_python(std::string_view text) {
  constexpr std::array<std::string_view, 1> file_word = {"__file__"};
  constexpr std::array<std::string_view, 5> markers = {"dirname", "realpath", "abspath", "Path(",
                                                       "split("};
  constexpr std::size_t k_max_tracked = 16;
  constexpr std::array<std::string_view, 4> start_methods = {"\"spawn\"", "'spawn'",
                                                               "\"forkserver\"", "'forkserver'"};
  constexpr std::array<std::string_view, 3> start_method_calls = {"set_start_method", "get_context",
                                                                  "start_method"};
  std::vector<std::string> tracked = {"sys.argv[0]"};
  std::optional<SelfReference> found;
  std::optional<SelfReference> respawn;
  std::size_t method_call_line = 0; // set_start_method or get_context seen
  std::size_t method_name_line = 0; // "spawn" or "forkserver" seen
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    if (trimmed_start(line).starts_with("#")) {
      return false;
    }
    // The call and the method's name may be lines apart (a variable).
    if (method_call_line == 0 && contains_any(line, start_method_calls)) {
      method_call_line = number;
    }
    if (method_name_line == 0 && contains_any(line, start_methods)) {
      method_name_line = number;
    }
    if (!respawn && method_call_line != 0 && method_name_line != 0) {
      respawn = SelfReference{.construct = "multiprocessing spawn",
                              .line = std::max(method_call_line, method_name_line),
                              .respawns_itself = true};
    }
    if (!found && line.find("sys.path[0]") != std::string_view::npos) {
      found = SelfReference{.construct = "sys.path[0]", .line = number};
    }
    if (!found && find_word(line, file_word)) {
      found = SelfReference{.construct = "__file__", .line = number};
    }
    if (found) {
      return respawn.has_value();
    }
    std::optional<std::string> self;
    for (const std::string& name : tracked) {
      for (std::size_t at = line.find(name); at != std::string_view::npos && !self;
           at = line.find(name, at + 1)) {
        if ((at == 0 || !is_word_char(line[at - 1])) &&
            (at + name.size() >= line.size() || !is_word_char(line[at + name.size()]))) {
          self = name;
        }
      }
    }
    if (!self) {
      return false;
    }
    if (contains_any(line, markers)) {
      found = SelfReference{.construct = *self, .line = number};
      return respawn.has_value();
    }
    if (const std::string_view name = assigned_name(line);
        !name.empty() && tracked.size() < k_max_tracked &&
        std::ranges::find(tracked, name) == tracked.end()) {
      tracked.emplace_back(name);
    }
    return false;
  });
  return respawn ? respawn : found;
}

// Languages whose comments start with `comment`: a line with one of
// `always`, or with one of `with` together with one of `markers`.
std::optional<SelfReference> scan_plain(std::string_view text, std::string_view comment,
                                        std::span<const std::string_view> always,
                                        std::span<const std::string_view> with,
                                        std::span<const std::string_view> markers) {
  std::optional<SelfReference> found;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    if (trimmed_start(line).starts_with(comment)) {
      return false;
    }
    if (auto needle = find_text(line, always)) {
      found = SelfReference{.construct = std::move(*needle), .line = number};
    } else if (auto self = find_text(line, with); self && contains_any(line, markers)) {
      found = SelfReference{.construct = std::move(*self), .line = number};
    }
    return found.has_value();
  });
  return found;
}

} // namespace

ScriptLanguage script_language(const Shebang& shebang) {
  if (basename_of(shebang.interpreter) != "env") {
    return language_of_program(shebang.interpreter);
  }
  // env's operand: the first word that is not an option ("-S", "-i", "-u
  // NAME" is rare in #! lines) and not an assignment.
  const std::string argument = shebang.argument.value_or("");
  std::string_view rest = argument;
  while (!rest.empty()) {
    rest = trimmed_start(rest);
    const std::size_t end = rest.find_first_of(" \t");
    const std::string_view word = rest.substr(0, end);
    if (!word.empty() && word[0] != '-' && word.find('=') == std::string_view::npos) {
      return language_of_program(word);
    }
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  return ScriptLanguage::unknown;
}

std::optional<SelfReference> scan_script_text(std::string_view text, ScriptLanguage language) {
  text = text.substr(0, k_max_scanned_script);
  // The #! line names the interpreter, not the script's path.
  std::size_t skipped_lines = 0;
  if (text.starts_with("#!")) {
    const std::size_t end = text.find('\n');
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    skipped_lines = 1;
  }
  std::optional<SelfReference> found;
  switch (language) {
  case ScriptLanguage::shell:
    found = scan_shell(text);
    break;
  case ScriptLanguage::perl:
    found = scan_perl(text);
    break;
  case ScriptLanguage::python:
    found = scan_python(text);
    break;
  case ScriptLanguage::node:
    // node resolves its main script's real path (fs.realpathSync), which for
    // a sealed script is /memfd:… (deleted): every node script fails.
    found = SelfReference{.construct = "node", .line = 0, .always_fails = true};
    break;
  case ScriptLanguage::ruby: {
    constexpr std::array<std::string_view, 2> always = {"__dir__", "require_relative"};
    constexpr std::array<std::string_view, 3> with = {"__FILE__", "$0", "$PROGRAM_NAME"};
    constexpr std::array<std::string_view, 3> markers = {"dirname", "expand_path", "realpath"};
    found = scan_plain(text, "#", always, with, markers);
    break;
  }
  case ScriptLanguage::unknown:
    break;
  }
  if (found) {
    // Lines count from the file's first, the #! line that was cut off; a
    // finding about the whole script (node) is on line 1.
    found->line = std::max<std::size_t>(found->line + skipped_lines, 1);
    if (found->resolves_links) {
      found->resolver_line += skipped_lines;
    }
  }
  return found;
}

std::vector<std::string> python_imports(std::string_view text) {
  text = text.substr(0, k_max_scanned_script);
  std::vector<std::string> names;
  auto add = [&names](std::string_view name) {
    if (!name.empty() && names.size() < k_max_sibling_imports &&
        std::ranges::find(names, name) == names.end()) {
      names.emplace_back(name);
    }
  };
  // The leading identifier of `text` (a dotted name's first part).
  auto identifier = [](std::string_view from) {
    std::size_t end = 0;
    while (end < from.size() && is_word_char(from[end])) {
      ++end;
    }
    return from.substr(0, end);
  };
  for_each_line(text, [&](std::string_view line, std::size_t) {
    const std::string_view code = trimmed_start(line);
    if (code.starts_with("import ")) {
      std::string_view rest = code.substr(7);
      while (!rest.empty()) {
        rest = trimmed_start(rest);
        add(identifier(rest));
        const std::size_t comma = rest.find(',');
        if (comma == std::string_view::npos) {
          break;
        }
        rest = rest.substr(comma + 1);
      }
    } else if (code.starts_with("from ")) {
      const std::string_view rest = trimmed_start(code.substr(5));
      if (!rest.starts_with(".")) {
        add(identifier(rest));
      }
    }
    return names.size() >= k_max_sibling_imports;
  });
  return names;
}

namespace {

Expected<std::string> script_text(const SealedImage& image) {
  const std::size_t size =
      static_cast<std::size_t>(std::min<std::uint64_t>(image.size(), k_max_scanned_script));
  std::string text(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got =
        ::pread(image.fd(), text.data() + done, size - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return fail(system_error("cannot read the script", image.source(), "pread"));
    }
    done += static_cast<std::size_t>(got);
  }
  return text;
}

std::optional<SelfReference> sibling_import(std::string_view text,
                                            const std::filesystem::path& directory) {
  for (const std::string& name : python_imports(text)) {
    struct stat st {};
    const auto module = directory / (name + ".py");
    const auto package = directory / name;
    if (::stat(module.c_str(), &st) == 0 ||
        (::stat(package.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
      return SelfReference{.construct = "import " + name, .line = 0};
    }
  }
  return std::nullopt;
}

Expected<std::optional<SelfReference>> elf_self_reference(const SealedImage& image) {
  const ImageSource source(image);
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  const auto entries = file.dynamic_entries();
  if (entries) {
    for (const elf::DynamicEntry& entry : *entries) {
      if (entry.tag != DT_NEEDED) {
        continue;
      }
      const auto name = file.dynamic_string(*entries, entry.value);
      if (name && *name == "libjli.so") {
        return std::optional(SelfReference{.construct = "libjli.so"});
      }
    }
  }
  if (file.has_section(".fpcdata")) {
    return std::optional(SelfReference{.construct = ".fpcdata"});
  }
  return std::optional<SelfReference>();
}

} // namespace

Expected<std::optional<SelfReference>>
find_self_reference(const SealedImage& image, const RunnableProgram& program,
                    const std::optional<std::filesystem::path>& directory) {
  if (program.kind == ImageKind::elf) {
    return elf_self_reference(image);
  }
  if (program.kind != ImageKind::script || !program.shebang) {
    return std::optional<SelfReference>();
  }
  const ScriptLanguage language = script_language(*program.shebang);
  if (language == ScriptLanguage::unknown) {
    return std::optional<SelfReference>();
  }
  if (image.size() > k_max_scanned_script) {
    return std::optional(SelfReference{.unscanned = true});
  }
  SEALEXEC_TRY_ASSIGN(const std::string text, script_text(image));
  auto found = scan_script_text(text, language);
  if (!found && language == ScriptLanguage::python && directory) {
    found = sibling_import(text, *directory);
  }
  return found;
}

} // namespace sealexec
