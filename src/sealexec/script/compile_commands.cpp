#include "sealexec/script/compile_commands.h"

#include "sealexec/image/copy.h"
#include "sealexec/util/fd.h"
#include "sealexec/util/replacement_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace sealexec::script {

namespace {

// Keys keep their order: other tools' entries are rewritten as they were,
// not sorted.
using Json = nlohmann::ordered_json;

// JSON holds text, not bytes: a path that is not UTF-8 cannot be written
// so that the next run finds it again.
bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    if (byte < 0x80) {
      length = 1;
    } else if (byte >= 0xc2 && byte <= 0xdf) {
      length = 2;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      length = 3;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      length = 4;
    } else {
      return false;
    }
    if (i + length > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

// A database larger than this is not one a person keeps by hand or a build
// system writes for one directory; it is not read whole into memory.
constexpr std::size_t k_max_database_size = 256 * 1024 * 1024;

// The file an entry is for, absolute (lexically: the database is text, and
// its files need not exist).
std::string entry_file(const Json& entry) {
  const auto file = entry.find("file");
  if (file == entry.end() || !file->is_string()) {
    return {};
  }
  std::filesystem::path path(file->get<std::string>());
  if (path.is_relative()) {
    const auto directory = entry.find("directory");
    if (directory == entry.end() || !directory->is_string()) {
      return {};
    }
    path = std::filesystem::path(directory->get<std::string>()) / path;
  }
  return path.lexically_normal().string();
}

// A database is an array of flat objects; nlohmann's parser recurses once
// per level, so a hostile file nested 60,000 deep would overflow the stack.
constexpr std::size_t k_max_nesting = 64;
std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Where a symbolic link leads, followed link by link (also to a file that
// does not exist yet: a link to a build directory's database, made before
// the build). Lexically: the kernel resolves it the same way.
Expected<std::filesystem::path> follow_links(std::filesystem::path path) {
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      return path;
    }
    std::error_code error;
    const std::filesystem::path target = std::filesystem::read_symlink(path, error);
    if (error) {
      return fail(make_error(Errc::system, path.string(),
                             fmt::format("cannot read the link: {}", error.message())));
    }
    path = target.is_absolute() ? target : path.parent_path() / target;
  }
  return fail(make_error(Errc::invalid_argument, path.string(), "too many levels of links"));
}

Expected<std::string> read_existing(const std::filesystem::path& path) {
  const std::string name = path.string();
  auto opened = open_fd(name.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!opened) {
    if (opened.error().sys_errno == ENOENT) {
      return std::string();
    }
    return fail(std::move(opened).error());
  }
  struct stat st {};
  if (::fstat(opened->get(), &st) != 0) {
    return fail(system_error("cannot inspect", name, "fstat"));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(make_error(Errc::invalid_argument, name, "is not a regular file"));
  }
  if (static_cast<std::uint64_t>(st.st_size) > k_max_database_size) {
    return fail(make_error(Errc::too_large, name, "is larger than 256 MiB"));
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  SEALEXEC_TRY_ASSIGN(const std::size_t used, read_up_to(opened->get(), text, name));
  text.resize(used);
  return text;
}

} // namespace

Expected<std::string> merge_compile_commands(std::string_view existing,
                                             std::span<const CompileCommand> ours,
                                             std::string_view name) {
  if (nesting_depth(existing) > k_max_nesting) {
    return fail(make_error(Errc::malformed, name,
                           fmt::format("nests arrays or objects more than {} deep; left as it is",
                                       k_max_nesting)));
  }
  Json database = Json::array();
  const bool blank = std::ranges::all_of(
      existing, [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
  if (!blank) {
    database = Json::parse(existing, nullptr, /*allow_exceptions=*/false);
    if (database.is_discarded()) {
      return fail(make_error(Errc::malformed, name, "is not valid JSON; left as it is"));
    }
    if (!database.is_array() ||
        !std::ranges::all_of(database, [](const Json& e) { return e.is_object(); })) {
      return fail(make_error(Errc::malformed, name,
                             "is not a compilation database (a JSON array of objects); left as "
                             "it is"));
    }
  }
  for (const CompileCommand& command : ours) {
    const bool text = is_utf8(command.directory) && is_utf8(command.file) &&
                      std::ranges::all_of(command.arguments, [](const std::string& argument) {
                        return is_utf8(argument);
                      });
    if (!text) {
      return fail(make_error(Errc::invalid_argument, command.file,
                             "its path or flags are not UTF-8, which a compilation database "
                             "(JSON) cannot hold"));
    }
  }
  for (const CompileCommand& command : ours) {
    const std::string file = std::filesystem::path(command.file).lexically_normal().string();
    Json kept = Json::array();
    for (Json& entry : database) {
      if (entry_file(entry) != file) {
        kept.push_back(std::move(entry));
      }
    }
    database = std::move(kept);
    database.push_back({{"directory", command.directory},
                        {"file", command.file},
                        {"arguments", command.arguments}});
  }
  // Invalid UTF-8 (a file name in Latin-1) is replaced, not refused: the
  // database is for editors, and the rest of it is still useful.
  return database.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Expected<void> update_compile_commands(const std::filesystem::path& path,
                                       std::span<const CompileCommand> ours) {
  SEALEXEC_TRY_ASSIGN(const std::filesystem::path target, follow_links(path));
  // Read, merge and replace under a lock on the directory, or two scripts
  // written at once would each drop the other's entry. (Other tools do not
  // take it; they rewrite the whole file anyway.)
  const std::string directory = target.parent_path().string();
  SEALEXEC_TRY_ASSIGN(const Fd directory_fd,
                      open_fd(directory.c_str(), O_RDONLY | O_DIRECTORY));
  while (::flock(directory_fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return fail(system_error("cannot lock", directory, "flock"));
    }
  }
  struct stat st {};
  SEALEXEC_TRY_ASSIGN(const std::string existing, read_existing(target));
  SEALEXEC_TRY_ASSIGN(const std::string merged,
                      merge_compile_commands(existing, ours, target.string()));
  mode_t mode = 0;
  if (::stat(target.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    const mode_t umask = ::umask(0);
    ::umask(umask);
    mode = 0666 & ~umask;
  }
  SEALEXEC_TRY_ASSIGN(ReplacementFile out, ReplacementFile::create(target));
  SEALEXEC_TRY(write_all(out.fd(), std::as_bytes(std::span(merged.data(), merged.size())),
                         target.string()));
  if (::fchmod(out.fd(), mode) != 0) {
    return fail(system_error("cannot set the mode of", target.string(), "fchmod"));
  }
  return out.commit();
}

} // namespace sealexec::script
