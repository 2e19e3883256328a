#include "sealexec/script/script_runner.h"

#include "sealexec/cache/key_lock.h"
#include "sealexec/exec/command.h"
#include "sealexec/image/copy.h"
#include "sealexec/script/compiler.h"
#include "sealexec/script/dependency_list.h"
#include "sealexec/script/manifest.h"
#include "sealexec/script/pkg_config.h"
#include "sealexec/script/unchanged.h"
#include "sealexec/util/fd.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <utility>

namespace sealexec::script {

namespace {

struct ScriptFile {
  std::filesystem::path real_path;
  std::string content;
};

// Reads the script through one descriptor; its real path is the kernel's
// name for that descriptor. Opened without blocking: opening a FIFO for
// reading waits for a writer, for ever if none comes; it is refused below.
Expected<ScriptFile> read_script(const std::filesystem::path& path) {
  const std::string name = path.string();
  auto opened = open_fd(name.c_str(), O_RDONLY | O_NONBLOCK);
  if (!opened) {
    Error error = std::move(opened).error();
    if (error.sys_errno == ENOENT || error.sys_errno == ENOTDIR) {
      error.code = Errc::not_found;
    }
    // A socket, or a device without a driver or terminal behind it.
    if (error.sys_errno == ENXIO || error.sys_errno == ENODEV) {
      return fail(make_error(Errc::not_runnable, name, "is not a regular file"));
    }
    return fail(std::move(error));
  }
  const Fd fd = std::move(*opened);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(system_error("cannot inspect", name, "fstat"));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(make_error(Errc::not_runnable, name, "is not a regular file"));
  }
  if (static_cast<std::uint64_t>(st.st_size) > k_max_script_size) {
    return fail(make_error(Errc::too_large, name,
                           fmt::format("is {} bytes, more than the limit of {} bytes for a script",
                                       st.st_size, k_max_script_size)));
  }
  ScriptFile file;
  auto real = real_path_of(fd.get(), path);
  if (!real) {
    return fail(make_error(Errc::system, name, "cannot resolve the script's real path"));
  }
  file.real_path = std::move(*real);
  // Read straight into the string: no bounce buffer whose pages would
  // have to be faulted in on every run.
  file.content.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t used = 0;
  for (;;) {
    SEALEXEC_TRY_ASSIGN(const std::size_t got,
                        read_up_to(fd.get(), std::span(file.content).subspan(used), name));
    used += got;
    if (used < file.content.size()) {
      break; // the end of the file
    }
    if (file.content.size() > k_max_script_size) {
      return fail(make_error(Errc::too_large, name, "grew past the limit for a script"));
    }
    file.content.resize(file.content.size() * 2);
  }
  file.content.resize(used);
  return file;
}

// A private directory for one compile, removed with everything in it.
class BuildDirectory {
public:
  static Expected<BuildDirectory> create() {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = fmt::format("{}/sealexec-build-XXXXXX",
                                      tmpdir != nullptr && tmpdir[0] == '/' ? tmpdir : "/tmp");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return fail(system_error("cannot create a build directory", pattern, "mkdtemp"));
    }
    return BuildDirectory(std::filesystem::path(pattern));
  }
  BuildDirectory(BuildDirectory&& other) noexcept : m_path(std::move(other.m_path)) {
    other.m_path.clear();
  }
  BuildDirectory& operator=(BuildDirectory&&) = delete;
  BuildDirectory(const BuildDirectory&) = delete;
  BuildDirectory& operator=(const BuildDirectory&) = delete;
  ~BuildDirectory() {
    if (!m_path.empty()) {
      std::error_code ignored; // remove_all never follows symlinks
      std::filesystem::remove_all(m_path, ignored);
    }
  }
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
  explicit BuildDirectory(std::filesystem::path path) : m_path(std::move(path)) {}
  std::filesystem::path m_path;
};

Expected<void> write_file(const std::filesystem::path& path, std::string_view content) {
  const std::string name = path.string();
  SEALEXEC_TRY_ASSIGN(const Fd fd, open_fd(name.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
  SEALEXEC_TRY(write_all(fd.get(), std::as_bytes(std::span(content.data(), content.size())), name));
  return {};
}

// Where the compiler's standard error goes: a file in memory, so that what
// it says can be kept with the binary. Never on disk in a directory others
// can read.
Expected<Fd> diagnostics_file() {
  const int fd = ::memfd_create("sealexec-compiler-diagnostics", MFD_CLOEXEC);
  if (fd < 0) {
    return fail(system_error("cannot create a file for the compiler's diagnostics", "memfd",
                             "memfd_create"));
  }
  return Fd(fd);
}

// What the compiler wrote there, at most k_max_diagnostics bytes: a
// template error can run to megabytes, and is cut with a note.
constexpr std::size_t k_max_diagnostics = 4 * 1024 * 1024;
std::string read_diagnostics(int fd) {
  std::string text;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    return text;
  }
  text.resize(std::min(static_cast<std::size_t>(st.st_size), k_max_diagnostics));
  std::size_t used = 0;
  while (used < text.size()) {
    const ssize_t got = ::pread(fd, text.data() + used, text.size() - used,
                                static_cast<off_t>(used));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      break;
    }
    used += static_cast<std::size_t>(got);
  }
  text.resize(used);
  if (static_cast<std::size_t>(st.st_size) > k_max_diagnostics) {
    text += fmt::format("\n[sealexec: the compiler's diagnostics were cut at {} of {} bytes]\n",
                        k_max_diagnostics, st.st_size);
  }
  return text;
}

// An option of gcc's or clang's whose value is the next word.
bool takes_separate_value(std::string_view flag) {
  constexpr std::array<std::string_view, 18> k_options{
      "-I",        "-D",          "-U",        "-include",  "-imacros",   "-isystem",
      "-idirafter", "-iquote",    "-iprefix",  "-isysroot", "-iwithprefix", "-x",
      "-Xclang",   "-mllvm",      "-Xpreprocessor", "-Xassembler", "-cxx-isystem",
      "-iwithprefixbefore"};
  return std::ranges::find(k_options, flag) != k_options.end();
}

// A flag only the link takes (clang -Werror refuses it in a compile
// without a link, such as -E -v).
bool is_link_only(std::string_view flag) {
  return flag.starts_with("-l") || flag.starts_with("-L") || flag.starts_with("-Wl,") ||
         flag.starts_with("-fuse-ld=") || flag == "-rdynamic" || flag == "-s" ||
         flag == "-static" || flag == "-shared" || flag == "-pie" || flag == "-no-pie" ||
         flag == "-static-libgcc" || flag == "-shared-libgcc" || flag == "-static-pie" ||
         flag == "-nostartfiles" || flag == "-nostdlib" || flag.starts_with("--ld-path=") ||
         flag.starts_with("--rtlib=") ||
         flag.ends_with(".o") || flag.ends_with(".a") || flag.ends_with(".so");
}

// `flags` without what only the link takes ("-L DIR" and "-Xlinker X"
// with their words).
std::vector<std::string> compile_only(const std::vector<std::string>& flags) {
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const std::string& flag = flags[i];
    if (flag == "-l" || flag == "-L" || flag == "-Xlinker" || flag == "-T" || flag == "-z" ||
        flag == "-u" || flag == "-e") {
      ++i;
    } else if (takes_separate_value(flag) && i + 1 < flags.size()) {
      kept.push_back(flag); // and its value, whatever it looks like ("-I dir.a")
      kept.push_back(flags[++i]);
    } else if (!is_link_only(flag)) {
      kept.push_back(flag);
    }
  }
  return kept;
}

// "250 ms", "60 s".
std::string describe(std::chrono::milliseconds duration) {
  return duration.count() % 1000 == 0 ? fmt::format("{} s", duration.count() / 1000)
                                      : fmt::format("{} ms", duration.count());
}

class Runner {
public:
  Runner(cache::Cache& cache, const ScriptOptions& options) : m_cache(cache), m_options(options) {}

  // Everything a compile or a cache lookup needs: the script read, its
  // language, flags, packages and compiler, and its key.
  Expected<void> load() {
    m_started_ns = fine_now_ns();
    SEALEXEC_TRY_ASSIGN(ScriptFile file, read_script(m_options.script));
    SEALEXEC_TRY_ASSIGN(m_source, parse_script(file.content, file.real_path));
    SEALEXEC_TRY_ASSIGN(m_language, choose_language(file.real_path));
    m_flags = m_source.flags;
    m_flags.insert(m_flags.end(), m_options.extra_flags.begin(), m_options.extra_flags.end());
    // Each once: the same helper named in the file and on the command line
    // would be linked twice.
    for (const std::vector<std::string>* list :
         {&std::as_const(m_source.directives.sources), &m_options.sources}) {
      for (const std::string& source : *list) {
        const auto same = [&](const std::string& other) {
          return source_path(other) == source_path(source);
        };
        if (std::ranges::none_of(m_sources, same)) {
          m_sources.push_back(source);
        }
      }
    }

    std::string_view command = m_options.compiler_option;
    std::string chosen_by = "--compiler";
    if (command.empty()) {
      command = m_language == Language::c ? m_options.cc_variable : m_options.cxx_variable;
      chosen_by = m_language == Language::c ? "$CC" : "$CXX";
    }
    SEALEXEC_TRY_ASSIGN(m_compiler,
                        choose_compiler(m_language, command, chosen_by, m_options.path_variable));
    SEALEXEC_TRY_ASSIGN(const CompilerIdentity identity,
                        identify_compiler(m_compiler, m_options.path_variable));
    SEALEXEC_TRY_ASSIGN(const CompilerFacts facts,
                        compiler_facts(m_cache, m_compiler, identity, m_language));
    m_fingerprint = compiler_fingerprint(m_compiler, identity, facts, m_language);

    std::vector<std::string> packages = m_source.directives.packages;
    for (const std::string& name : m_options.packages) {
      if (std::ranges::find(packages, name) == packages.end()) {
        packages.push_back(name);
      }
    }
    if (!packages.empty()) {
      // pkgconf leaves out the -I and -L directories that CPATH and
      // LIBRARY_PATH and the like already name: its answer depends on them.
      std::vector<std::string> environment = m_options.pkg_config_environment;
      environment.insert(environment.end(), m_options.compiler_environment.begin(),
                         m_options.compiler_environment.end());
      const PackageQuery query{.packages = std::move(packages),
                               .pkg_config_command = m_options.pkg_config_command,
                               .path_variable = m_options.path_variable,
                               .environment = std::move(environment)};
      auto resolved = resolve_packages(m_cache, query, m_options.note);
      if (!resolved) {
        Error error = std::move(resolved).error();
        error.path = m_options.script.string();
        return fail(std::move(error));
      }
      m_packages = std::move(*resolved);
    }
    if (auto why = refused_flag()) {
      return fail(make_error(Errc::malformed, m_options.script.string(), *why));
    }
    SEALEXEC_TRY(check_sources());
    m_script_key = script_key();
    return {};
  }

  Expected<PreparedScript> run() {
    SEALEXEC_TRY(load());
    if (!m_options.rebuild) {
      SEALEXEC_TRY_ASSIGN(auto hit, cached(/*quiet=*/true));
      if (hit) {
        return std::move(*hit);
      }
    }
    const std::chrono::milliseconds timeout = m_cache.config().lock_timeout;
    SEALEXEC_TRY_ASSIGN(std::optional<cache::KeyLock> lock,
                        cache::KeyLock::acquire(m_cache.directory(), m_script_key,
                                                std::chrono::milliseconds(0)));
    if (!lock && timeout.count() > 0) {
      note(fmt::format("another run is compiling this script: waiting for it, at most {} "
                       "(lock_timeout)",
                       describe(timeout)));
      SEALEXEC_TRY_ASSIGN(lock,
                          cache::KeyLock::acquire(m_cache.directory(), m_script_key, timeout));
    }
    if (!lock) {
      // Stopped, or just slow: either way not worth waiting for any longer.
      // Publishing is atomic, so compiling the same key twice is harmless.
      note(timeout.count() == 0
               ? std::string("another run is compiling this script (lock_timeout 0): "
                             "compiling here too")
               : fmt::format("another run has been compiling this script for {} "
                             "(lock_timeout): compiling here too",
                             describe(timeout)));
    }
    // Whoever held the lock before us may have built it meanwhile.
    if (!m_options.rebuild) {
      SEALEXEC_TRY_ASSIGN(auto hit, cached(/*quiet=*/false));
      if (hit) {
        return std::move(*hit);
      }
    }
    return compile();
  }

  std::vector<CompileCommand> editor_commands() const {
    const std::string directory = m_source.path.parent_path().string();
    std::vector<std::string> common = compiler_argv();
    common.insert(common.end(), {"-iquote", directory});
    // Only what compiles: no libraries, no linker options, no other inputs
    // (a source file named among the flags gets an entry of its own).
    std::vector<std::string> inputs;
    std::vector<std::string> flags = compile_only(m_flags);
    for (std::size_t i = 0; i < flags.size(); ++i) {
      if (takes_separate_value(flags[i]) && i + 1 < flags.size()) {
        common.push_back(flags[i]);
        common.push_back(flags[++i]);
      } else if (!flags[i].starts_with('-') && language_of(flags[i])) {
        inputs.push_back(flags[i]);
      } else {
        common.push_back(flags[i]);
      }
    }
    common.insert(common.end(), m_packages.cflags.begin(), m_packages.cflags.end());
    std::vector<CompileCommand> commands;
    CompileCommand script{.directory = directory, .file = m_source.path.string(), .arguments = common};
    // The script's language may not be its extension's (or it has none).
    script.arguments.insert(script.arguments.end(),
                            {"-x", std::string(language_name(m_language)), "-c", script.file});
    commands.push_back(std::move(script));
    inputs.insert(inputs.begin(), m_sources.begin(), m_sources.end());
    for (const std::string& source : inputs) {
      const std::string file = source.starts_with('/') ? source : directory + "/" + source;
      CompileCommand helper{.directory = directory, .file = file, .arguments = common};
      helper.arguments.insert(helper.arguments.end(), {"-c", file});
      commands.push_back(std::move(helper));
    }
    return commands;
  }

private:
  // A --source that is a FIFO or a device would make the compiler wait
  // for ever or read without end; one that is missing is the compiler's
  // to report (124), like a missing header.
  // A --source file's path, as the compiler (in the script's directory)
  // opens it, normalised lexically to compare spellings.
  std::filesystem::path source_path(const std::string& source) const {
    const std::filesystem::path path = source.starts_with('/') ? std::filesystem::path(source)
                                                               : m_source.path.parent_path() / source;
    return path.lexically_normal();
  }

  Expected<void> check_sources() const {
    for (const std::string& source : m_sources) {
      const std::filesystem::path path = source_path(source);
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        return fail(make_error(Errc::not_runnable, path.string(),
                               "is not a regular file (named by --source)"));
      }
    }
    return {};
  }

  // sealexec names the output: an "-o" among the flags, the file's, the
  // command line's or pkg-config's, would make the compiler write (or, on
  // failure, delete) another file.
  std::optional<std::string> refused_flag() const {
    // "-o", "-oFILE", "--output[=FILE]", and the same passed on to the
    // linker, preprocessor or assembler (-Wl,-o,FILE); not clang's -obj...
    // options, nor the word after -mllvm (an LLVM option).
    const auto names_output = [](std::string_view word) {
      return (word.starts_with("-o") && !word.starts_with("-obj")) ||
             word.starts_with("--output");
    };
    for (const auto* list : {&m_flags, &m_packages.cflags, &m_packages.libs}) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string& flag = (*list)[i];
        if (flag == "-mllvm") {
          ++i;
          continue;
        }
        bool refused = names_output(flag);
        if (flag.starts_with("-Wl,") || flag.starts_with("-Wp,") || flag.starts_with("-Wa,")) {
          for (std::string_view rest = std::string_view(flag).substr(4); !rest.empty();) {
            const std::size_t comma = std::min(rest.find(','), rest.size());
            refused = refused || names_output(rest.substr(0, comma));
            rest.remove_prefix(std::min(rest.size(), comma + 1));
          }
        }
        if (refused) {
          return fmt::format("'{}' among the flags: sealexec chooses where the binary goes", flag);
        }
      }
    }
    return std::nullopt;
  }

  // --lang on the command line, else in the file; else the extension of
  // the name it was run by, or of its real name; else, for a file whose #!
  // line names sealexec, the default.
  Expected<Language> choose_language(const std::filesystem::path& real_path) const {
    if (m_options.language) {
      return *m_options.language;
    }
    if (m_source.directives.language) {
      return *m_source.directives.language;
    }
    if (const auto language = language_of(m_options.script.string())) {
      return *language;
    }
    if (const auto language = language_of(real_path.string())) {
      return *language;
    }
    if (m_source.sealexec_shebang) {
      return k_default_language;
    }
    return fail(make_error(Errc::not_runnable, m_options.script.string(),
                           "is not a C or C++ script: name it .c or .cpp (.cc, .cxx, .c++, .C), "
                           "give --lang c or --lang c++, or start it with #!/usr/bin/env sealexec"));
  }

  void note(std::string_view text) const {
    if (m_options.note) {
      m_options.note(text);
    }
  }

  Sha256Digest script_key() const {
    std::string flags;
    for (const std::string& flag : m_flags) {
      flags += flag;
      flags += '\0';
    }
    std::string environment;
    for (const std::string& variable : m_options.compiler_environment) {
      environment += variable;
      environment += '\0';
    }
    // Appended only when there are any: the keys of scripts without them
    // stay what they were before --source and --pkg existed.
    for (const std::string& source : m_sources) {
      flags += "--source";
      flags += '\0';
      flags += source;
      flags += '\0';
    }
    if (!m_packages.cflags.empty() || !m_packages.libs.empty() || !m_packages.pc_files.empty()) {
      flags += "--pkg";
      flags += '\0';
      flags += key_text(m_packages);
      flags += '\0';
    }
    const std::string directory = m_source.path.parent_path().string();
    const std::array<std::string_view, 5> inputs{"script", m_source.compile_text, flags,
                                                 environment, directory};
    return cache::make_key(m_fingerprint, inputs);
  }

  ImageOptions image_options() const {
    ImageOptions options;
    options.name = m_source.path.filename().string();
    return options;
  }

  // The binary, if the manifest under the script's key still describes the
  // headers on disk and the binary it names is intact.
  // Misses are explained only when `quiet` is false: the first look, before
  // the lock, is repeated after it.
  Expected<std::optional<PreparedScript>> cached(bool quiet) {
    const auto miss = [&](std::string_view why) {
      if (!quiet) {
        note(why);
      }
      return std::optional<PreparedScript>();
    };
    SEALEXEC_TRY_ASSIGN(auto mapped, m_cache.load_mapping(m_script_key, m_fingerprint));
    if (!mapped) {
      return miss("not in the cache yet");
    }
    auto manifest = parse_manifest(mapped->mapping.bytes(),
                                   m_cache.directory().describe(cache::entry_path(m_script_key)));
    if (!manifest) {
      return miss(manifest.error().message());
    }
    const ManifestCheck check = check_manifest(*manifest, coarse_now_ns());
    if (!check.valid) {
      return miss(fmt::format("recompiling: {}", check.reason));
    }
    ImageOptions options = image_options();
    options.memory_tier = m_options.memory_tier;
    SEALEXEC_TRY_ASSIGN(auto image,
                        m_cache.load_image(manifest->result_key, m_fingerprint, options));
    if (!image) {
      return miss("the binary is missing or damaged in the cache: recompiling");
    }
    if (check.refreshed) {
      // Headers touched but unchanged: remember their new stamps, so the
      // next run need not hash them again.
      (void)m_cache.put(m_script_key, m_fingerprint, serialize(*manifest),
                        fmt::format("manifest: {}", m_source.path.string()));
    }
    note(fmt::format("cached binary, memfd {}", image->memfd_name()));
    if (m_options.show_warnings) {
      show_stored_warnings(manifest->result_key);
    }
    return std::optional<PreparedScript>(PreparedScript{.image = std::move(*image),
                                                        .real_path = m_source.path,
                                                        .compiled = false,
                                                        .cached = true});
  }

  std::vector<std::string> compiler_argv() const {
    std::vector<std::string> argv{m_compiler.program.string()};
    argv.insert(argv.end(), m_compiler.leading_args.begin(), m_compiler.leading_args.end());
    return argv;
  }

  Expected<PreparedScript> compile() {
    SEALEXEC_TRY_ASSIGN(const BuildDirectory build, BuildDirectory::create());
    const std::string language(language_name(m_language));
    // Named so that the compiler takes the script's language from the
    // name, as it would for the file itself: a "-x LANG" needs a "-x none"
    // after it for the sources and libraries among the flags, and clang
    // warns about a "-x none" with no input after it (-Werror: an error).
    // A name no include of a neighbour is likely to ask for: "..."
    // includes look first in the copy's own directory.
    std::string source_name = m_source.path.filename().string();
    if (language_of(source_name) != m_language) {
      source_name += m_language == Language::c ? ".sealexec.c" : ".sealexec.cpp";
    }
    const std::filesystem::path source = build.path() / source_name;
    const std::filesystem::path output = build.path() / "a.out";
    const std::string script_directory = m_source.path.parent_path().string();
    SEALEXEC_TRY(write_file(source, m_source.compile_text));

    CommandSpec compile;
    compile.program = m_compiler.program;
    compile.argv = compiler_argv();
    compile.argv.push_back(source.string());
    compile.argv.insert(compile.argv.end(), m_sources.begin(), m_sources.end());
    compile.argv.insert(compile.argv.end(), {"-o", output.string(), "-iquote", script_directory});
    compile.argv.insert(compile.argv.end(), m_flags.begin(), m_flags.end());
    compile.argv.insert(compile.argv.end(), m_packages.cflags.begin(), m_packages.cflags.end());
    compile.argv.insert(compile.argv.end(), m_packages.libs.begin(), m_packages.libs.end());
    // Every translation unit writes what it read to standard output
    // (dependency_list.h).
    compile.argv.insert(compile.argv.end(), std::begin(k_dependency_flags),
                        std::end(k_dependency_flags));
    compile.cwd = script_directory;
    // The program's standard output is its own: what the compiler prints
    // besides its dependencies goes to the caller (compiler_output).
    compile.stdout_to = CommandSpec::Output::capture;
    // Its diagnostics are kept with the binary (shown again by -v and
    // --warnings); a failed compile shows them at once.
    SEALEXEC_TRY_ASSIGN(const Fd diagnostics_fd, diagnostics_file());
    compile.stderr_to = CommandSpec::Output::to_fd;
    compile.output_fd = diagnostics_fd.get();

    // The include search list of this very compile, asked for alongside it
    // on the other core.
    CommandSpec search;
    search.program = m_compiler.program;
    search.argv = compiler_argv();
    // -iquote first, as in the compile: quote directories are searched in
    // the order given.
    search.argv.insert(search.argv.end(), {"-iquote", script_directory});
    // Only what preprocessing takes: clang -Werror refuses "-E" with a
    // linker input or option it would not use.
    const std::vector<std::string> compile_flags = compile_only(m_flags);
    search.argv.insert(search.argv.end(), compile_flags.begin(), compile_flags.end());
    search.argv.insert(search.argv.end(), m_packages.cflags.begin(), m_packages.cflags.end());
    search.argv.insert(search.argv.end(), {"-x", language, "-E", "-v", "/dev/null"});
    search.cwd = script_directory;
    search.stdout_to = CommandSpec::Output::discard;
    search.stderr_to = CommandSpec::Output::capture;

    // Any change after this moment gets a later ctime than it; any change
    // before the run began an earlier one (unchanged.h).
    const std::int64_t since_ns = coarse_clock_after(m_started_ns);
    note(fmt::format("compiling with {}", fmt::join(compile.argv, " ")));
    SEALEXEC_TRY_ASSIGN(StartedCommand compiling, start_command(compile));
    auto searching = start_command(search);
    SEALEXEC_TRY_ASSIGN(const CommandResult compiled,
                        finish_compile(std::move(compiling), k_max_depfile_size + 1));
    auto dependencies = own_dependency_list(compiled.out, output);
    if (!dependencies && !compiled.out.empty() && m_options.compiler_output) {
      m_options.compiler_output(compiled.out);
    }
    SearchList search_list;
    if (searching) {
      auto searched = finish_command(std::move(*searching), 1024 * 1024);
      if (searched && searched->status.success()) {
        search_list = parse_search_list(searched->err);
        // Relative -I directories are relative to where the compiler ran
        // (joined, not normalised: "inc/.." is up from where inc leads).
        for (auto* list : {&search_list.quote, &search_list.bracket}) {
          for (std::string& directory : *list) {
            if (!directory.starts_with('/')) {
              directory = script_directory + "/" + directory;
            }
          }
        }
      }
    }
    const std::string diagnostics = read_diagnostics(diagnostics_fd.get());
    if (!compiled.status.success()) {
      show_compiler_output(diagnostics);
      return fail(make_error(Errc::compile_failed, m_source.path.string(),
                             fmt::format("did not compile ({} {})",
                                         m_compiler.program.filename().string(),
                                         compiled.status.describe())));
    }

    ImageOptions options = image_options();
    SEALEXEC_TRY_ASSIGN(SealedImage image, SealedImage::from_path(output, options));
    PreparedScript prepared{.image = std::move(image),
                            .real_path = m_source.path,
                            .compiled = true,
                            .cached = false};
    if (m_options.show_warnings) {
      show_compiler_output(diagnostics);
    } else if (!diagnostics.empty()) {
      note("the compiler's diagnostics are kept with the binary: sealexec script --warnings "
           "shows them");
    }
    auto published = publish(build, source, dependencies, search_list, since_ns, prepared.image,
                             diagnostics);
    if (!published) {
      note(fmt::format("not cached: {}; this build runs once, uncached",
                       published.error().message()));
    } else {
      prepared.cached = true;
    }
    return prepared;
  }

  Expected<void> publish(const BuildDirectory& build, const std::filesystem::path& source,
                         const Expected<Depfile>& dependencies, const SearchList& search_list,
                         std::int64_t since_ns, const SealedImage& image,
                         std::string_view diagnostics) {
    if (!dependencies) {
      return fail(dependencies.error());
    }
    std::vector<std::string> every_flag = m_flags;
    every_flag.insert(every_flag.end(), m_packages.cflags.begin(), m_packages.cflags.end());
    every_flag.insert(every_flag.end(), m_packages.libs.begin(), m_packages.libs.end());
    if (const auto flag = flag_hiding_dependencies(every_flag)) {
      return fail(make_error(Errc::invalid_argument, *flag,
                             "may change or hide the compiler's dependency list"));
    }
    // A source of the other language has its own search list (C++'s
    // directories, CPLUS_INCLUDE_PATH, -cxx-isystem), which was not asked
    // for: its shadows could not be watched.
    for (const std::string& extra : m_sources) {
      if (const auto language = language_of(extra); language && *language != m_language) {
        return fail(make_error(Errc::invalid_argument, extra,
                               fmt::format("is {} in a {} script: the other language's include "
                                           "search list is not watched",
                                           language_name(*language), language_name(m_language))));
      }
    }
    // Without the search list, a header that would shadow one read later
    // cannot be watched: such a binary is not one to keep.
    if (search_list.quote.empty() && search_list.bracket.empty()) {
      return fail(make_error(Errc::invalid_argument, "the compiler's include search list",
                             "could not be learned (the compiler refused -E -v with these "
                             "flags)"));
    }
    const std::vector<std::string>& listed = dependencies->prerequisites;
    if (std::find(listed.begin(), listed.end(), source.string()) == listed.end()) {
      return fail(make_error(Errc::malformed, "the compiler's dependency list",
                             "does not list the script"));
    }
    // Relative prerequisites are relative to where the compiler ran (joined,
    // not normalised: the kernel resolves "inc/.." through the link inc).
    const std::string script_directory = m_source.path.parent_path().string();
    std::vector<std::string> prerequisites;
    for (const std::string& path : listed) {
      prerequisites.push_back(path.starts_with('/') ? path : script_directory + "/" + path);
    }
    std::vector<std::string> unwatched;
    SEALEXEC_TRY_ASSIGN(Manifest manifest,
                        build_manifest(prerequisites, build.path().string() + "/", search_list,
                                       since_ns,
                                       {.text = m_source.compile_text,
                                        .directory = script_directory},
                                       &unwatched));
    for (const std::string& file : unwatched) {
      note(fmt::format("{} includes a name made by a macro: a file it could name that appears "
                       "later is noticed only if it shadows a header that was read",
                       file));
    }
    manifest.script = m_source.path.string();
    manifest.result_key = result_key_for(m_script_key, manifest.headers);
    // The binary first: a manifest must never name a binary that is not there.
    // map(), not bytes(): a mapping that cannot be made is an error here, never
    // an empty binary in the cache.
    SEALEXEC_TRY_ASSIGN(const auto binary, image.map());
    SEALEXEC_TRY(m_cache.put(manifest.result_key, m_fingerprint, binary,
                             fmt::format("script: {}", m_source.path.string())));
    // Then what the compiler said about it, empty when nothing: before the
    // manifest, so that a binary found through it has its diagnostics.
    SEALEXEC_TRY(m_cache.put(diagnostics_key(manifest.result_key), m_fingerprint,
                             std::as_bytes(std::span(diagnostics.data(), diagnostics.size())),
                             fmt::format("diagnostics: {}", m_source.path.string())));
    SEALEXEC_TRY(m_cache.put(m_script_key, m_fingerprint, serialize(manifest),
                             fmt::format("manifest: {}", m_source.path.string())));
    note(fmt::format("cached: {} headers, {} watched directories", manifest.headers.size(),
                     manifest.watched.size()));
    return {};
  }

  Sha256Digest diagnostics_key(const Sha256Digest& result_key) const {
    const std::string result = result_key.hex();
    const std::array<std::string_view, 2> inputs{"diagnostics", result};
    return cache::make_key(m_fingerprint, inputs);
  }

  // A binary compiled by a sealexec from before diagnostics were kept has
  // none recorded: said, not shown as "no warnings".
  void show_stored_warnings(const Sha256Digest& result_key) {
    const Sha256Digest key = diagnostics_key(result_key);
    auto mapped = m_cache.load_mapping(key, m_fingerprint);
    if (!mapped || !*mapped) {
      note("the compiler's diagnostics for this binary are not in the cache (compiled by an "
           "older sealexec, or removed since): --rebuild shows them");
      return;
    }
    const auto bytes = (*mapped)->mapping.bytes();
    show_compiler_output(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  void show_compiler_output(std::string_view text) const {
    if (!text.empty() && m_options.compiler_output) {
      m_options.compiler_output(text);
    }
  }

  cache::Cache& m_cache;
  const ScriptOptions& m_options;
  ScriptSource m_source;
  Language m_language = Language::c;
  std::vector<std::string> m_flags;   // the file's, then the command line's
  std::vector<std::string> m_sources; // --source files, the file's first
  PackageFlags m_packages;
  CompilerCommand m_compiler;
  cache::Fingerprint m_fingerprint = cache::Fingerprint::opaque("");
  Sha256Digest m_script_key;
  std::int64_t m_started_ns = 0; // CLOCK_REALTIME
};

} // namespace

Expected<PreparedScript> prepare_script(cache::Cache& cache, const ScriptOptions& options) {
  return Runner(cache, options).run();
}

Expected<std::vector<CompileCommand>> editor_commands(cache::Cache& cache,
                                                      const ScriptOptions& options) {
  Runner runner(cache, options);
  SEALEXEC_TRY(runner.load());
  return runner.editor_commands();
}

} // namespace sealexec::script
