// Feeds arbitrary bytes to the depfile parser and checks what holds for any
// accepted file; then reads the same bytes as a list of file names, writes
// them the way gcc escapes them (with -MP's phony rules) and checks that they
// parse back unchanged.
#include "sealexec/script/depfile.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using sealexec::script::Depfile;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

bool has_duplicates(std::vector<std::string> names) {
  std::ranges::sort(names);
  return std::ranges::adjacent_find(names) != names.end();
}

// Every accepted file yields non-empty names without line endings or NULs,
// no more than it had bytes or the limit allows, each once, and targets
// exactly when it has prerequisites.
void check_accepted(const Depfile& depfile, std::size_t size) {
  std::size_t bytes = 0;
  for (const auto* names : {&depfile.targets, &depfile.prerequisites}) {
    for (const auto& name : *names) {
      check(!name.empty() && name.find_first_of(std::string_view("\n\0", 2)) == std::string::npos);
      bytes += name.size();
    }
    check(!has_duplicates(*names));
  }
  check(bytes <= size);
  check(depfile.targets.size() + depfile.prerequisites.size() <=
        sealexec::script::k_max_depfile_entries);
  check(depfile.targets.empty() == depfile.prerequisites.empty());
}

// gcc 12's escaping (libcpp/mkdeps.cc, as seen in its output).
std::string gcc_escape(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == ' ' || c == '\t') {
      for (std::size_t j = i; j > 0 && name[j - 1] == '\\'; --j) {
        out += '\\';
      }
      out += '\\';
    } else if (c == '$' || c == '#') {
      out += c == '$' ? '$' : '\\';
    }
    out += c;
  }
  return out;
}

// Names that gcc's escaping cannot make unambiguous are left out: a trailing
// backslash (it would escape what follows), a backslash before ':' (make
// reads "\:" as ':'), and a trailing ':' (it would end the phony target).
bool gcc_can_write(std::string_view name) {
  return !name.empty() && name.find('\0') == std::string_view::npos && name.back() != '\\' &&
         name.back() != ':' && name.find("\\:") == std::string_view::npos;
}

void check_round_trip(std::string_view input) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= input.size()) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    if (const auto name = input.substr(start, end - start); gcc_can_write(name)) {
      names.emplace_back(name);
    }
    start = end + 1;
  }
  if (2 * names.size() + 1 > sealexec::script::k_max_depfile_entries) {
    return;
  }
  std::string text = "out\\ dir/x.o:";
  for (const auto& name : names) {
    text += " " + gcc_escape(name) + " \\\n";
  }
  text += "\n";
  for (const auto& name : names) {
    text += gcc_escape(name) + ":\n";
  }
  const auto parsed = sealexec::script::parse_depfile(text, "round-trip");
  check(parsed.has_value());
  std::vector<std::string> unique;
  for (const auto& name : names) {
    if (std::ranges::find(unique, name) == unique.end()) {
      unique.push_back(name);
    }
  }
  check(parsed->prerequisites == unique);
  check(parsed->targets == (unique.empty() ? std::vector<std::string>{}
                                           : std::vector<std::string>{"out dir/x.o"}));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto parsed = sealexec::script::parse_depfile(input, "fuzz")) {
    check_accepted(*parsed, size);
  }
  check_round_trip(input);
  return 0;
}
