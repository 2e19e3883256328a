#include "sealexec/script/compiler.h"

#include "sealexec/exec/command.h"
#include "sealexec/exec/program_lookup.h"
#include "sealexec/util/fd.h"
#include "sealexec/util/record.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

namespace sealexec::script {

namespace {

constexpr std::string_view k_facts_magic = "SEALXCP\n";
constexpr std::uint32_t k_facts_version = 1;
constexpr std::size_t k_max_fact_size = 4096;
constexpr std::size_t k_max_facts_record = 16 * 1024;
// Bumped when what goes into a script's fingerprint changes meaning.
constexpr std::string_view k_fingerprint_version = "1";

std::string_view first_line(std::string_view text) {
  const std::size_t end = text.find('\n');
  return end == std::string_view::npos ? text : text.substr(0, end);
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// The value of `#define NAME VALUE` in -dM output, or nullopt.
std::optional<std::string> macro_value(std::string_view defines, std::string_view name) {
  const std::string prefix = fmt::format("#define {} ", name);
  std::size_t at = 0;
  while (at < defines.size()) {
    const std::size_t end = defines.find('\n', at);
    const std::string_view line =
        defines.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.starts_with(prefix)) {
      return trimmed(line.substr(prefix.size()));
    }
    if (end == std::string_view::npos) {
      break;
    }
    at = end + 1;
  }
  return std::nullopt;
}

Expected<std::string> ask(const CompilerCommand& compiler, std::vector<std::string> args) {
  CommandSpec spec;
  spec.program = compiler.program;
  spec.argv.push_back(compiler.program.string());
  spec.argv.insert(spec.argv.end(), compiler.leading_args.begin(), compiler.leading_args.end());
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.stdout_to = CommandSpec::Output::capture;
  spec.stderr_to = CommandSpec::Output::capture;
  SEALEXEC_TRY_ASSIGN(CommandResult result, run_command(spec, 1024 * 1024));
  if (!result.status.success()) {
    return fail(make_error(Errc::not_runnable, compiler.program.string(),
                           fmt::format("'{}' failed ({}): {}", fmt::join(args, " "),
                                       result.status.describe(), trimmed(first_line(result.err)))));
  }
  return std::move(result.out);
}

Sha256Digest facts_key(const CompilerIdentity& identity, const CompilerCommand& compiler,
                       Language language) {
  const cache::Fingerprint kind = cache::Fingerprint::of({{"sealexec", "compiler facts"}});
  const std::string path = identity.real_path.string();
  const std::string stat = fmt::format("{}:{}:{}:{}", identity.dev, identity.ino, identity.size,
                                       identity.mtime_ns);
  std::string leading;
  for (const std::string& arg : compiler.leading_args) {
    leading += arg;
    leading += '\0';
  }
  // Appended, not a field of its own: keys made before it existed stay valid.
  leading += identity.named_programs;
  const std::array<std::string_view, 4> inputs{path, stat, language_name(language), leading};
  return cache::make_key(kind, inputs);
}

} // namespace

Expected<CompilerCommand> choose_compiler(Language language, std::string_view command,
                                          std::string_view chosen_by,
                                          std::string_view path_variable) {
  CompilerCommand compiler;
  std::vector<std::string> words;
  if (!command.empty()) {
    auto split = split_words(command);
    if (!split || split->empty()) {
      return fail(make_error(Errc::invalid_argument, chosen_by,
                             fmt::format("cannot split '{}' into a command", command)));
    }
    words = std::move(*split);
    compiler.chosen_by = std::string(chosen_by);
  } else {
    words.emplace_back(language == Language::c ? "cc" : "c++");
    compiler.chosen_by = fmt::format("{} in PATH", words.front());
  }
  auto found = find_program(words.front(), path_variable);
  if (!found) {
    Error error = std::move(found).error();
    error.reason = fmt::format("{} (the compiler, from {})", error.reason, compiler.chosen_by);
    return fail(std::move(error));
  }
  std::filesystem::path program(*found);
  if (program.is_relative()) {
    std::error_code ignored;
    program = std::filesystem::absolute(program, ignored);
  }
  compiler.program = std::move(program);
  compiler.leading_args.assign(words.begin() + 1, words.end());
  return compiler;
}

namespace {

Expected<CompilerIdentity> identify_program(const std::filesystem::path& program) {
  const std::string name = program.string();
  auto opened = open_fd(name.c_str(), O_PATH);
  if (!opened) {
    Error error = std::move(opened).error();
    if (error.sys_errno == ENOENT || error.sys_errno == ENOTDIR) {
      error.code = Errc::not_found;
    }
    error.reason += " (the compiler)";
    return fail(std::move(error));
  }
  const Fd fd = std::move(*opened);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(system_error("cannot inspect the compiler", name, "fstat"));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(make_error(Errc::not_runnable, name, "the compiler is not a regular file"));
  }
  CompilerIdentity identity;
  auto real = real_path_of(fd.get(), program);
  if (!real) {
    return fail(make_error(Errc::system, name, "cannot resolve the compiler's real path"));
  }
  identity.real_path = std::move(*real);
  identity.dev = static_cast<std::uint64_t>(st.st_dev);
  identity.ino = static_cast<std::uint64_t>(st.st_ino);
  identity.size = static_cast<std::uint64_t>(st.st_size);
  identity.mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return identity;
}

} // namespace

Expected<CompilerIdentity> identify_compiler(const CompilerCommand& compiler,
                                             std::string_view path_variable) {
  SEALEXEC_TRY_ASSIGN(CompilerIdentity identity, identify_program(compiler.program));
  std::string search_path(path_variable);
  const auto add = [&](std::string_view word) {
    auto found = find_program(word, search_path);
    if (!found) {
      return; // an operand of an option ("-include x.h"): not a program
    }
    auto named = identify_program(std::filesystem::absolute(*found));
    if (!named) {
      return;
    }
    identity.named_programs += fmt::format("{}:{}:{}:{}:{}", named->real_path.string(), named->dev,
                                           named->ino, named->size, named->mtime_ns);
    identity.named_programs += '\0';
  };
  for (const std::string& word : compiler.leading_args) {
    if (word.starts_with("PATH=")) {
      search_path = word.substr(5); // env PATH=... cc: cc is looked for there
      continue;
    }
    if (word.empty() || word.starts_with('-') || word.find('=') != std::string::npos) {
      continue; // an option, or env's NAME=value
    }
    add(word);
  }
  // gcc and clang run the assembler and the linker they find in PATH
  // (-print-prog-name=ld says just "ld"): another PATH, another linker.
  add("as");
  add("ld");
  return identity;
}

Expected<CompilerFacts> probe_compiler(const CompilerCommand& compiler, Language language) {
  CompilerFacts facts;
  SEALEXEC_TRY_ASSIGN(const std::string dumped, ask(compiler, {"-dumpfullversion", "-dumpmachine"}));
  // gcc answers both, one per line; clang ignores -dumpfullversion.
  std::vector<std::string> lines;
  for (std::string_view rest = dumped; !rest.empty();) {
    const std::string_view line = first_line(rest);
    if (!trimmed(line).empty()) {
      lines.push_back(trimmed(line));
    }
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
  }
  if (lines.size() == 2) {
    facts.version = lines[0];
    facts.machine = lines[1];
  } else if (lines.size() == 1) {
    facts.machine = lines[0];
    SEALEXEC_TRY_ASSIGN(const std::string version, ask(compiler, {"--version"}));
    facts.version = trimmed(first_line(version));
  }
  if (facts.version.empty() || facts.machine.empty()) {
    return fail(make_error(Errc::not_runnable, compiler.program.string(),
                           "does not say its version and target like gcc or clang do "
                           "(-dumpfullversion -dumpmachine)"));
  }
  SEALEXEC_TRY_ASSIGN(const std::string defines,
                      ask(compiler, {"-x", std::string(language_name(language)), "-E", "-dM",
                                     "/dev/null"}));
  const std::string_view standard_macro =
      language == Language::c ? "__STDC_VERSION__" : "__cplusplus";
  const auto standard = macro_value(defines, standard_macro);
  const bool strict = macro_value(defines, "__STRICT_ANSI__").has_value();
  facts.default_std = fmt::format("{}={} {}", standard_macro, standard.value_or("none"),
                                  strict ? "iso" : "gnu");
  if (facts.version.size() > k_max_fact_size || facts.machine.size() > k_max_fact_size ||
      facts.default_std.size() > k_max_fact_size) {
    return fail(make_error(Errc::not_runnable, compiler.program.string(),
                           "answered with more than 4 KiB for its version or target"));
  }
  return facts;
}

std::vector<std::byte> serialize(const CompilerFacts& facts) {
  RecordWriter w(k_facts_magic, k_facts_version);
  w.text(facts.version);
  w.text(facts.machine);
  w.text(facts.default_std);
  return std::move(w).finish();
}

Expected<CompilerFacts> parse_compiler_facts(std::span<const std::byte> bytes,
                                             std::string_view name) {
  std::string why;
  auto reader = RecordReader::open(bytes, k_facts_magic, k_facts_version, k_max_facts_record, why);
  CompilerFacts facts;
  if (reader && reader->text(facts.version, k_max_fact_size) &&
      reader->text(facts.machine, k_max_fact_size) &&
      reader->text(facts.default_std, k_max_fact_size) && reader->at_end()) {
    return facts;
  }
  return fail(make_error(Errc::malformed, name,
                         fmt::format("damaged compiler facts: {}",
                                     why.empty() ? "truncated or oversized field" : why)));
}

Expected<CompilerFacts> compiler_facts(cache::Cache& cache, const CompilerCommand& compiler,
                                       const CompilerIdentity& identity, Language language) {
  const Sha256Digest key = facts_key(identity, compiler, language);
  const cache::Fingerprint fingerprint = cache::Fingerprint::of({{"sealexec", "compiler facts"}});
  // Keyed by this machine's inode numbers: no use to anyone else.
  SEALEXEC_TRY_ASSIGN(auto mapped, cache.load_mapping(key, fingerprint, cache::Reach::local_only));
  if (mapped) {
    auto facts = parse_compiler_facts(mapped->mapping.bytes(),
                                      cache.directory().describe(cache::entry_path(key)));
    if (facts) {
      return facts;
    }
    // A damaged record is a miss like any other: ask again below.
  }
  SEALEXEC_TRY_ASSIGN(CompilerFacts facts, probe_compiler(compiler, language));
  // Caching is an optimisation: a full disk must not stop the script.
  (void)cache.put(key, fingerprint, serialize(facts),
                  fmt::format("compiler facts: {}", identity.real_path.string()),
                  cache::Reach::local_only);
  return facts;
}

cache::Fingerprint compiler_fingerprint(const CompilerCommand& compiler,
                                        const CompilerIdentity& identity,
                                        const CompilerFacts& facts, Language language) {
  std::string leading;
  for (const std::string& arg : compiler.leading_args) {
    leading += arg;
    leading += '\0';
  }
  // The named programs appended, not a field of their own: fingerprints
  // made before they were recorded stay valid when there are none.
  leading += identity.named_programs;
  const std::string path = identity.real_path.string();
  return cache::Fingerprint::of({{"sealexec-script", k_fingerprint_version},
                                 {"compiler", path},
                                 {"compiler-args", leading},
                                 {"version", facts.version},
                                 {"machine", facts.machine},
                                 {"language", language_name(language)},
                                 {"default-std", facts.default_std}});
}

} // namespace sealexec::script
