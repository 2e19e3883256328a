#include "sealexec/script/pkg_config.h"

#include "sealexec/cache/fingerprint.h"
#include "sealexec/exec/command.h"
#include "sealexec/exec/program_lookup.h"
#include "sealexec/script/script_source.h"
#include "sealexec/script/unchanged.h"
#include "sealexec/util/record.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <deque>
#include <set>

namespace sealexec::script {

namespace {

constexpr std::string_view k_magic = "SEALXPK\n";
constexpr std::uint32_t k_version = 1;
constexpr std::size_t k_max_record = 4 * 1024 * 1024;
constexpr std::size_t k_max_text = 64 * 1024;
constexpr std::uint32_t k_max_items = 4096;
// A package that requires more than this many others is not resolved
// through --path: something is wrong with its .pc files.
constexpr std::size_t k_max_packages = 512;

struct PkgConfig {
  std::filesystem::path program;
  std::vector<std::string> leading_args;
};

Expected<PkgConfig> find_pkg_config(const PackageQuery& query) {
  std::vector<std::string> words{"pkg-config"};
  std::string chosen_by = "in PATH";
  if (!query.pkg_config_command.empty()) {
    auto split = split_words(query.pkg_config_command);
    if (!split || split->empty()) {
      return fail(make_error(Errc::invalid_argument, "--pkg",
                             fmt::format("$PKG_CONFIG is '{}', which cannot be split into a "
                                         "command",
                                         query.pkg_config_command)));
    }
    words = std::move(*split);
    chosen_by = "from $PKG_CONFIG";
  }
  auto found = find_program(words.front(), query.path_variable);
  if (!found) {
    Error error = std::move(found).error();
    error.reason = fmt::format("pkg-config '{}' ({}) is needed for --pkg: {} (on Debian: apt "
                               "install pkgconf)",
                               words.front(), chosen_by, error.reason);
    return fail(std::move(error));
  }
  PkgConfig pkg_config;
  pkg_config.program = std::filesystem::absolute(*found);
  pkg_config.leading_args.assign(words.begin() + 1, words.end());
  return pkg_config;
}

std::string first_line_of(std::string_view text) {
  const std::size_t end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line;
}

// pkg-config's standard output for `args`. A refusal is the package's
// fault, not sealexec's: Errc::compile_failed, with its own first line.
Expected<std::string> ask(const PkgConfig& pkg_config, std::vector<std::string> args) {
  CommandSpec spec;
  spec.program = pkg_config.program;
  spec.argv.push_back(pkg_config.program.string());
  spec.argv.insert(spec.argv.end(), pkg_config.leading_args.begin(),
                   pkg_config.leading_args.end());
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.stdout_to = CommandSpec::Output::capture;
  spec.stderr_to = CommandSpec::Output::capture;
  auto ran = run_command(spec, k_max_text);
  if (!ran) {
    Error error = std::move(ran).error();
    error.reason = fmt::format("pkg-config '{}', needed for --pkg: {}",
                               pkg_config.program.string(), error.reason);
    return fail(std::move(error));
  }
  CommandResult& result = *ran;
  if (!result.status.success()) {
    std::string said = first_line_of(result.err);
    if (said.empty()) {
      said = first_line_of(result.out);
    }
    constexpr std::size_t k_max_said = 400; // a message, not a dump
    if (said.size() > k_max_said) {
      said.resize(k_max_said);
      said += "...";
    }
    return fail(make_error(Errc::compile_failed, "--pkg",
                           fmt::format("pkg-config {} failed ({}){}{}", fmt::join(args, " "),
                                       result.status.describe(), said.empty() ? "" : ": ",
                                       said)));
  }
  return std::move(result.out);
}

Expected<std::vector<std::string>> ask_words(const PkgConfig& pkg_config,
                                             std::vector<std::string> args) {
  SEALEXEC_TRY_ASSIGN(const std::string out, ask(pkg_config, args));
  auto words = split_words(out);
  if (!words) {
    return fail(make_error(Errc::malformed, "--pkg",
                           fmt::format("cannot split what pkg-config {} printed into words",
                                       fmt::join(args, " "))));
  }
  return std::move(*words);
}

// The names a --print-requires answer lists, one per line, each perhaps
// followed by a version constraint.
std::vector<std::string> required_names(std::string_view text) {
  std::vector<std::string> names;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(text.size(), end + 1));
    const std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
      continue;
    }
    const std::size_t stop = line.find_first_of(" \t\r<>=!", start);
    names.emplace_back(line.substr(start, stop == std::string_view::npos ? stop : stop - start));
  }
  return names;
}

SearchDirectory stamp_directory(const std::string& path) {
  SearchDirectory directory;
  directory.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    directory.exists = true;
    directory.stamp = FileStamp::of(st);
  }
  return directory;
}

std::vector<std::string> split_path_list(std::string_view list) {
  std::vector<std::string> parts;
  while (!list.empty()) {
    const std::size_t colon = std::min(list.find(':'), list.size());
    if (colon > 0) {
      parts.emplace_back(list.substr(0, colon));
    }
    list.remove_prefix(std::min(list.size(), colon + 1));
  }
  return parts;
}

std::optional<std::string> variable(const PackageQuery& query, std::string_view name) {
  for (const std::string& entry : query.environment) {
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

// Where pkg-config looks, in its order: $PKG_CONFIG_PATH, then
// $PKG_CONFIG_LIBDIR or its built-in path.
Expected<std::vector<SearchDirectory>> search_path(const PkgConfig& pkg_config,
                                                   const PackageQuery& query) {
  std::vector<std::string> paths;
  if (const auto extra = variable(query, "PKG_CONFIG_PATH")) {
    paths = split_path_list(*extra);
  }
  if (const auto libdir = variable(query, "PKG_CONFIG_LIBDIR")) {
    const auto more = split_path_list(*libdir);
    paths.insert(paths.end(), more.begin(), more.end());
  } else {
    SEALEXEC_TRY_ASSIGN(const std::string builtin,
                        ask(pkg_config, {"--variable", "pc_path", "pkg-config"}));
    const auto more = split_path_list(first_line_of(builtin));
    paths.insert(paths.end(), more.begin(), more.end());
  }
  std::vector<SearchDirectory> directories;
  for (const std::string& path : paths) {
    directories.push_back(stamp_directory(path));
  }
  return directories;
}

// Every .pc file pkg-config reads for `packages`: each package's own, and
// those of the packages it requires, publicly or privately.
Expected<std::vector<std::string>> pc_files_read(const PkgConfig& pkg_config,
                                                 const std::vector<std::string>& packages) {
  std::vector<std::string> files;
  std::set<std::string> seen(packages.begin(), packages.end());
  std::deque<std::string> pending(packages.begin(), packages.end());
  while (!pending.empty()) {
    if (seen.size() > k_max_packages) {
      return fail(make_error(Errc::malformed, "--pkg",
                             fmt::format("the packages require more than {} others",
                                         k_max_packages)));
    }
    const std::string package = std::move(pending.front());
    pending.pop_front();
    SEALEXEC_TRY_ASSIGN(const std::string path, ask(pkg_config, {"--path", package}));
    files.push_back(first_line_of(path));
    for (const char* kind : {"--print-requires", "--print-requires-private"}) {
      SEALEXEC_TRY_ASSIGN(const std::string required, ask(pkg_config, {kind, package}));
      for (std::string& name : required_names(required)) {
        if (seen.insert(name).second) {
          pending.push_back(std::move(name));
        }
      }
    }
  }
  return files;
}

Sha256Digest answer_key(const PkgConfig& pkg_config, const PackageQuery& query) {
  std::string program = pkg_config.program.string();
  std::error_code ignored;
  const auto real = std::filesystem::canonical(pkg_config.program, ignored);
  struct stat st {};
  if (!real.empty() && ::stat(real.c_str(), &st) == 0) {
    program = fmt::format("{}:{}:{}:{}:{}", real.string(), st.st_dev, st.st_ino, st.st_size,
                          st.st_mtim.tv_nsec + st.st_mtim.tv_sec * 1'000'000'000LL);
  }
  std::string packages;
  for (const std::string& name : query.packages) {
    packages += name;
    packages += '\0';
  }
  std::string words;
  for (const std::string& word : pkg_config.leading_args) {
    words += word;
    words += '\0';
  }
  std::string environment;
  for (const std::string& entry : query.environment) {
    environment += entry;
    environment += '\0';
  }
  const std::array<std::string_view, 4> inputs{program, words, packages, environment};
  return cache::make_key(cache::Fingerprint::of({{"sealexec", "pkg-config answer"}}), inputs);
}

Expected<PackageFlags> ask_pkg_config(const PkgConfig& pkg_config, const PackageQuery& query,
                                      bool& cacheable) {
  const std::int64_t since_ns = coarse_clock_after(fine_now_ns());
  PackageFlags flags;
  std::vector<std::string> args{"--cflags"};
  args.insert(args.end(), query.packages.begin(), query.packages.end());
  SEALEXEC_TRY_ASSIGN(flags.cflags, ask_words(pkg_config, args));
  args.front() = "--libs";
  SEALEXEC_TRY_ASSIGN(flags.libs, ask_words(pkg_config, args));
  SEALEXEC_TRY_ASSIGN(flags.search_path, search_path(pkg_config, query));
  auto files = pc_files_read(pkg_config, query.packages);
  cacheable = files.has_value();
  if (!files) {
    return flags; // an older pkg-config without --path: asked on every run
  }
  for (const std::string& path : *files) {
    const auto hashed = hash_file(path);
    if (!hashed) {
      cacheable = false;
      continue;
    }
    flags.pc_files.push_back(PcFile{.path = path, .stamp = hashed->stamp, .sha256 = hashed->sha256});
    // Changed while pkg-config read it: the answer may be of the old one.
    cacheable = cacheable && stamped_before(hashed->stamp.ctime_ns, since_ns);
  }
  for (const SearchDirectory& directory : flags.search_path) {
    cacheable = cacheable && (!directory.exists ||
                              stamped_before(directory.stamp.ctime_ns, since_ns));
  }
  return flags;
}

void write_words(RecordWriter& w, const std::vector<std::string>& words) {
  w.u32(static_cast<std::uint32_t>(words.size()));
  for (const std::string& word : words) {
    w.text(word);
  }
}

bool read_words(RecordReader& r, std::vector<std::string>& words) {
  std::uint32_t count = 0;
  if (!r.u32(count) || count > k_max_items) {
    return false;
  }
  words.resize(count);
  return std::ranges::all_of(words, [&](std::string& word) { return r.text(word, k_max_text); });
}

} // namespace

bool still_current(const PackageFlags& flags) {
  for (const PcFile& file : flags.pc_files) {
    struct stat st {};
    if (::stat(file.path.c_str(), &st) != 0 || FileStamp::of(st) != file.stamp) {
      return false;
    }
  }
  return std::ranges::all_of(flags.search_path, [](const SearchDirectory& directory) {
    return stamp_directory(directory.path) == directory;
  });
}

Expected<PackageFlags> resolve_packages(cache::Cache& cache, const PackageQuery& query,
                                        const std::function<void(std::string_view)>& note) {
  const auto say = [&](std::string_view text) {
    if (note) {
      note(text);
    }
  };
  SEALEXEC_TRY_ASSIGN(const PkgConfig pkg_config, find_pkg_config(query));
  const Sha256Digest key = answer_key(pkg_config, query);
  const cache::Fingerprint fingerprint =
      cache::Fingerprint::of({{"sealexec", "pkg-config answer"}});
  // Stamps are this machine's: no use to anyone else.
  SEALEXEC_TRY_ASSIGN(auto mapped, cache.load_mapping(key, fingerprint, cache::Reach::local_only));
  if (mapped) {
    auto cached = parse_package_flags(mapped->mapping.bytes(),
                                      cache.directory().describe(cache::entry_path(key)));
    if (cached && still_current(*cached)) {
      return std::move(*cached);
    }
    say("pkg-config's answer is out of date (a .pc file or its search path changed): asking "
        "again");
  }
  bool cacheable = false;
  SEALEXEC_TRY_ASSIGN(PackageFlags flags, ask_pkg_config(pkg_config, query, cacheable));
  if (!cacheable) {
    say("pkg-config's answer is not cached: the .pc files it read could not all be named, "
        "or changed while it ran");
    return flags;
  }
  // An optimisation: a full disk must not stop the script.
  (void)cache.put(key, fingerprint, serialize(flags),
                  fmt::format("pkg-config answer: {}", fmt::join(query.packages, ",")),
                  cache::Reach::local_only);
  return flags;
}

std::string key_text(const PackageFlags& flags) {
  std::string text = "cflags";
  for (const std::string& word : flags.cflags) {
    text += '\0';
    text += word;
  }
  text += "\nlibs";
  for (const std::string& word : flags.libs) {
    text += '\0';
    text += word;
  }
  text += "\npc";
  for (const PcFile& file : flags.pc_files) {
    text += '\0';
    text += file.sha256.hex();
  }
  return text;
}

std::vector<std::byte> serialize(const PackageFlags& flags) {
  RecordWriter w(k_magic, k_version);
  write_words(w, flags.cflags);
  write_words(w, flags.libs);
  w.u32(static_cast<std::uint32_t>(flags.pc_files.size()));
  for (const PcFile& file : flags.pc_files) {
    w.text(file.path);
    write_stamp(w, file.stamp);
    w.bytes(std::as_bytes(std::span(file.sha256.bytes)));
  }
  w.u32(static_cast<std::uint32_t>(flags.search_path.size()));
  for (const SearchDirectory& directory : flags.search_path) {
    w.text(directory.path);
    w.u32(directory.exists ? 1 : 0);
    write_stamp(w, directory.stamp);
  }
  return std::move(w).finish();
}

Expected<PackageFlags> parse_package_flags(std::span<const std::byte> bytes,
                                           std::string_view name) {
  std::string why;
  auto reader = RecordReader::open(bytes, k_magic, k_version, k_max_record, why);
  const auto damaged = [&] {
    return fail(make_error(Errc::malformed, name,
                           fmt::format("damaged pkg-config answer: {}",
                                       why.empty() ? "truncated or oversized field" : why)));
  };
  if (!reader) {
    return damaged();
  }
  PackageFlags flags;
  std::uint32_t count = 0;
  if (!read_words(*reader, flags.cflags) || !read_words(*reader, flags.libs) ||
      !reader->u32(count) || count > k_max_items) {
    return damaged();
  }
  flags.pc_files.resize(count);
  for (PcFile& file : flags.pc_files) {
    if (!reader->text(file.path, k_max_text) || !read_stamp(*reader, file.stamp) ||
        !reader->bytes(std::as_writable_bytes(std::span(file.sha256.bytes)))) {
      return damaged();
    }
  }
  if (!reader->u32(count) || count > k_max_items) {
    return damaged();
  }
  flags.search_path.resize(count);
  for (SearchDirectory& directory : flags.search_path) {
    std::uint32_t exists = 0;
    if (!reader->text(directory.path, k_max_text) || !reader->u32(exists) || exists > 1 ||
        !read_stamp(*reader, directory.stamp)) {
      return damaged();
    }
    directory.exists = exists == 1;
  }
  if (!reader->at_end()) {
    return damaged();
  }
  return flags;
}

} // namespace sealexec::script
