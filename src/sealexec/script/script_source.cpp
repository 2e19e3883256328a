#include "sealexec/script/script_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace sealexec::script {

namespace {

constexpr std::string_view k_flags_marker = "sealexec:";

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) {
    text.remove_prefix(1);
  }
  return text;
}

// The flags text of a `// sealexec: ...` line, or nullopt for any other line.
std::optional<std::string_view> flags_text(std::string_view line) {
  line = trim_left(line);
  if (!line.starts_with("//")) {
    return std::nullopt;
  }
  line = trim_left(line.substr(2));
  if (!line.starts_with(k_flags_marker)) {
    return std::nullopt;
  }
  return line.substr(k_flags_marker.size());
}

} // namespace

std::optional<Language> language_of(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  const std::size_t slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return std::nullopt;
  }
  const std::string_view extension = path.substr(dot + 1);
  if (extension == "c") {
    return Language::c;
  }
  constexpr std::array<std::string_view, 5> k_cxx{"cc", "cpp", "cxx", "c++", "C"};
  for (const std::string_view known : k_cxx) {
    if (extension == known) {
      return Language::cxx;
    }
  }
  return std::nullopt;
}

std::string_view language_name(Language language) {
  return language == Language::c ? "c" : "c++";
}

std::optional<Language> parse_language(std::string_view name) {
  if (name == "c" || name == "C") {
    return Language::c;
  }
  if (name == "c++" || name == "C++" || name == "cxx" || name == "cpp") {
    return Language::cxx;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> sealexec_shebang_arguments(std::string_view content) {
  if (!content.starts_with("#!")) {
    return std::nullopt;
  }
  const std::size_t newline = content.find('\n');
  std::string_view line = content.substr(2, newline == std::string_view::npos
                                                ? std::string_view::npos
                                                : newline - 2);
  while (!line.empty() && is_blank(line.back())) {
    line.remove_suffix(1);
  }
  const auto basename = [](std::string_view word) {
    const std::size_t slash = word.rfind('/');
    return slash == std::string_view::npos ? word : word.substr(slash + 1);
  };
  // The kernel splits the interpreter from the rest at the first blank,
  // and passes the rest as one argument.
  line = trim_left(line);
  const std::size_t blank = line.find_first_of(" \t");
  const std::string_view interpreter = line.substr(0, blank);
  const std::string_view rest =
      blank == std::string_view::npos ? std::string_view() : trim_left(line.substr(blank));
  if (basename(interpreter) == "sealexec") {
    if (rest.empty()) {
      return std::vector<std::string>{};
    }
    return std::vector<std::string>{std::string(rest)};
  }
  if (basename(interpreter) != "env") {
    return std::nullopt;
  }
  // env: options, NAME=value, then the program. With -S (--split-string)
  // env splits its argument into words itself, about as sh does.
  auto split = split_words(rest);
  if (!split) {
    return std::nullopt;
  }
  std::vector<std::string> words = std::move(*split);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view word = words[i];
    if (word == "-S" || word == "--split-string" || word == "-i" ||
        word == "--ignore-environment" || word == "-" || word == "-0" || word == "--null" ||
        word == "-v" || word == "--debug") {
      continue;
    }
    if (word == "-u" || word == "--unset" || word == "-C" || word == "--chdir") {
      ++i; // and its argument
      continue;
    }
    if (word.starts_with("--split-string=")) {
      word.remove_prefix(std::string_view("--split-string=").size());
    } else if (word.starts_with("-S")) {
      word.remove_prefix(2); // -Ssealexec
    } else if (word.starts_with('-') || word.find('=') != std::string_view::npos) {
      continue; // another option of env's (-uNAME, --unset=NAME), or NAME=value
    }
    if (basename(word) != "sealexec") {
      return std::nullopt;
    }
    return std::vector<std::string>(words.begin() + static_cast<long>(i) + 1, words.end());
  }
  return std::nullopt;
}

bool starts_with_sealexec_shebang(std::string_view content) {
  return sealexec_shebang_arguments(content).has_value();
}

std::optional<std::string> add_packages(std::string_view value,
                                        std::vector<std::string>& packages) {
  for (std::size_t at = 0; at <= value.size();) {
    const std::size_t comma = std::min(value.find(',', at), value.size());
    const std::string_view name = value.substr(at, comma - at);
    at = comma + 1;
    if (name.empty()) {
      continue; // "zlib," and "a,,b" mean what they say
    }
    const bool valid =
        name.front() != '-' && std::ranges::all_of(name, [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '+' || c == '-';
        });
    if (!valid) {
      return fmt::format("'{}' is not a package name (letters, digits and ._+- only)", name);
    }
    if (std::ranges::find(packages, name) == packages.end()) {
      packages.emplace_back(name);
    }
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_blank(c) || c == '\n') {
      if (in_word) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == text.size()) {
        return std::nullopt;
      }
      word += text[i];
    } else if (c == '\'') {
      const std::size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return std::nullopt;
      }
      word.append(text.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) {
          return std::nullopt;
        }
        if (text[i] == '"') {
          break;
        }
        // Inside double quotes a backslash escapes only what sh lets it.
        if (text[i] == '\\' && i + 1 < text.size() &&
            (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$' ||
             text[i + 1] == '`')) {
          ++i;
        }
        word += text[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) {
    words.push_back(std::move(word));
  }
  return words;
}

std::string c_string_body(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\{:03o}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// Takes the directives out of one line's words; the rest are flags.
std::optional<std::string> take_directives(std::vector<std::string>& words,
                                           ScriptDirectives& directives) {
  std::vector<std::string> flags;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    std::string_view name = word;
    std::optional<std::string> value;
    if (const std::size_t equals = word.find('='); equals != std::string::npos) {
      name = std::string_view(word).substr(0, equals);
      value = word.substr(equals + 1);
    }
    if (name != "--lang" && name != "--pkg" && name != "--source") {
      flags.push_back(word);
      continue;
    }
    if (!value) {
      if (i + 1 == words.size()) {
        return fmt::format("{} needs a value", name);
      }
      value = words[++i];
    }
    if (name == "--lang") {
      directives.language = parse_language(*value);
      if (!directives.language) {
        return fmt::format("--lang '{}': the language is c or c++", *value);
      }
    } else if (name == "--pkg") {
      if (auto why = add_packages(*value, directives.packages)) {
        return fmt::format("--pkg: {}", *why);
      }
    } else if (value->empty() || value->starts_with('-')) {
      return fmt::format("--source '{}' is not a file name", *value);
    } else {
      directives.sources.push_back(std::move(*value));
    }
  }
  words = std::move(flags);
  return std::nullopt;
}

} // namespace

Expected<ScriptSource> parse_script(std::string_view content,
                                    const std::filesystem::path& real_path) {
  const std::string name = real_path.string();
  if (content.size() > k_max_script_size) {
    return fail(make_error(Errc::too_large, name,
                           fmt::format("is {} bytes, more than the limit of {} bytes for a script",
                                       content.size(), k_max_script_size)));
  }
  ScriptSource script;
  script.path = real_path;
  script.sealexec_shebang = starts_with_sealexec_shebang(content);

  std::string_view body = content;
  std::size_t first_line = 1;
  if (body.starts_with("#!")) {
    const std::size_t newline = body.find('\n');
    body = newline == std::string_view::npos ? std::string_view() : body.substr(newline + 1);
    first_line = 2;
  }
  script.compile_text = fmt::format("#line {} \"{}\"\n", first_line, c_string_body(name));
  script.compile_text.append(body);

  std::string_view rest = body;
  for (std::size_t line = 0; line < k_flags_comment_lines && !rest.empty(); ++line) {
    const std::size_t newline = rest.find('\n');
    const std::string_view text = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    const auto flags = flags_text(text);
    if (!flags) {
      continue;
    }
    auto words = split_words(*flags);
    if (!words) {
      return fail(make_error(
          Errc::malformed, fmt::format("{}:{}", name, first_line + line),
          "unterminated quote or trailing backslash in the sealexec: flags comment"));
    }
    if (auto why = take_directives(*words, script.directives)) {
      return fail(make_error(Errc::malformed, fmt::format("{}:{}", name, first_line + line),
                             fmt::format("in the sealexec: line: {}", *why)));
    }
    script.flags.insert(script.flags.end(), words->begin(), words->end());
  }
  return script;
}

} // namespace sealexec::script
