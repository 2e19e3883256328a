#include "sealexec/script/manifest.h"

#include "sealexec/cache/fingerprint.h"
#include "sealexec/script/include_scan.h"
#include "sealexec/util/fd.h"
#include "sealexec/util/record.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

namespace sealexec::script {

namespace {

constexpr std::string_view k_magic = "SEALXMF\n";
// 2: a watched directory's absent names are relative to it, in one string.
constexpr std::uint32_t k_version = 2;
constexpr std::size_t k_max_path = 4096;

} // namespace

void write_stamp(RecordWriter& w, const FileStamp& stamp) {
  w.u64(stamp.dev);
  w.u64(stamp.ino);
  w.u64(stamp.size);
  w.u64(static_cast<std::uint64_t>(stamp.mtime_ns));
  w.u64(static_cast<std::uint64_t>(stamp.ctime_ns));
}

bool read_stamp(RecordReader& r, FileStamp& stamp) {
  std::uint64_t mtime = 0;
  std::uint64_t ctime = 0;
  if (!r.u64(stamp.dev) || !r.u64(stamp.ino) || !r.u64(stamp.size) || !r.u64(mtime) ||
      !r.u64(ctime)) {
    return false;
  }
  stamp.mtime_ns = static_cast<std::int64_t>(mtime);
  stamp.ctime_ns = static_cast<std::int64_t>(ctime);
  return true;
}

namespace {

// A count that is within the limits and could fit in the bytes that remain.
bool read_count(RecordReader& r, std::uint32_t& count, std::size_t& total) {
  if (!r.u32(count) || count > k_max_manifest_items - total) {
    return false;
  }
  total += count;
  return true;
}

std::int64_t nanoseconds(const struct timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

} // namespace

std::optional<HashedFile> hash_file(const std::string& path, std::string* text) {
  // Without blocking: a FIFO in place of a header would wait for a writer.
  auto fd = open_fd(path.c_str(), O_RDONLY | O_NONBLOCK);
  if (!fd) {
    return std::nullopt;
  }
  struct stat before {};
  if (::fstat(fd->get(), &before) != 0 || !S_ISREG(before.st_mode)) {
    return std::nullopt;
  }
  Sha256Hasher hasher;
  std::array<std::byte, 16 * 1024> buffer; // NOLINT: filled by read
  for (;;) {
    const ssize_t got = ::read(fd->get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return std::nullopt;
    }
    if (got == 0) {
      break;
    }
    hasher.update(std::span(buffer.data(), static_cast<std::size_t>(got)));
    if (text != nullptr && text->size() + static_cast<std::size_t>(got) <= k_max_scanned_size) {
      text->append(reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(got));
    }
  }
  struct stat after {};
  if (::fstat(fd->get(), &after) != 0 || FileStamp::of(before) != FileStamp::of(after)) {
    return std::nullopt;
  }
  return HashedFile{FileStamp::of(after), hasher.digest()};
}

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string canonical_or_empty(const std::string& path) {
  std::error_code error;
  auto canonical = std::filesystem::canonical(path, error);
  return error ? std::string() : canonical.string();
}

// stat(2) of paths taken in order, relative to the last directory opened.
class DirectoryCursor {
public:
  bool stat(const std::string& path, struct stat& st) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) {
      return ::stat(path.c_str(), &st) == 0;
    }
    const std::string_view directory(path.data(), slash);
    if (directory != m_directory) {
      m_directory.assign(directory);
      m_fd = Fd(::open(m_directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    if (!m_fd) {
      return ::stat(path.c_str(), &st) == 0;
    }
    return ::fstatat(m_fd.get(), path.c_str() + slash + 1, &st, 0) == 0;
  }

private:
  std::string m_directory;
  Fd m_fd;
};

// The sorted names in `directory`; empty when it cannot be read.
std::vector<std::string> names_in(const std::string& directory) {
  std::vector<std::string> names;
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return names;
  }
  DIR* stream = ::fdopendir(fd);
  if (stream == nullptr) {
    ::close(fd);
    return names;
  }
  while (const dirent* entry = ::readdir(stream)) {
    names.emplace_back(entry->d_name);
  }
  ::closedir(stream);
  std::sort(names.begin(), names.end());
  return names;
}

// Whether `path`, beneath `directory`, could exist given the names in it: its
// first component below `directory` must be one of them.
bool could_exist(const std::vector<std::string>& names, std::string_view directory,
                 std::string_view path) {
  if (path.size() <= directory.size() + 1 || !path.starts_with(directory) ||
      path[directory.size()] != '/') {
    return true; // not beneath it: look it up
  }
  std::string_view rest = path.substr(directory.size() + 1);
  const std::string first(rest.substr(0, rest.find('/')));
  return std::binary_search(names.begin(), names.end(), first);
}

} // namespace

std::vector<std::string> WatchedDirectory::absent_paths() const {
  std::vector<std::string> paths;
  const std::string prefix = path.ends_with('/') ? path : path + "/";
  for (std::size_t start = 0; start < absent.size();) {
    std::size_t end = absent.find('\0', start);
    end = end == std::string::npos ? absent.size() : end;
    paths.push_back(prefix + absent.substr(start, end - start));
    start = end + 1;
  }
  return paths;
}

FileStamp FileStamp::of(const struct stat& st) {
  return FileStamp{.dev = static_cast<std::uint64_t>(st.st_dev),
                   .ino = static_cast<std::uint64_t>(st.st_ino),
                   .size = static_cast<std::uint64_t>(st.st_size),
                   .mtime_ns = nanoseconds(st.st_mtim),
                   .ctime_ns = nanoseconds(st.st_ctim)};
}

std::vector<std::byte> serialize(const Manifest& manifest) {
  RecordWriter w(k_magic, k_version);
  w.text(manifest.script);
  w.bytes(std::as_bytes(std::span(manifest.result_key.bytes)));
  w.u32(static_cast<std::uint32_t>(manifest.headers.size()));
  for (const HeaderRecord& header : manifest.headers) {
    w.text(header.path);
    write_stamp(w, header.stamp);
    w.bytes(std::as_bytes(std::span(header.sha256.bytes)));
  }
  w.u32(static_cast<std::uint32_t>(manifest.watched.size()));
  for (const WatchedDirectory& directory : manifest.watched) {
    w.text(directory.path);
    write_stamp(w, directory.stamp);
    w.text(directory.absent);
  }
  return std::move(w).finish();
}

Expected<Manifest> parse_manifest(std::span<const std::byte> bytes, std::string_view name) {
  auto bad = [name](std::string_view reason) {
    return fail(make_error(Errc::malformed, name, fmt::format("damaged script manifest: {}", reason)));
  };
  std::string why;
  auto reader = RecordReader::open(bytes, k_magic, k_version, k_max_manifest_size, why);
  if (!reader) {
    // Also an older sealexec's manifest: the script is compiled again.
    return fail(make_error(Errc::malformed, name, fmt::format("unusable script manifest: {}", why)));
  }
  RecordReader& r = *reader;
  Manifest manifest;
  std::size_t total = 0;
  std::uint32_t headers = 0;
  if (!r.text(manifest.script, k_max_path) ||
      !r.bytes(std::as_writable_bytes(std::span(manifest.result_key.bytes))) ||
      !read_count(r, headers, total)) {
    return bad("truncated or oversized field");
  }
  for (std::uint32_t i = 0; i < headers; ++i) {
    HeaderRecord header;
    if (!r.text(header.path, k_max_path) || !read_stamp(r, header.stamp) ||
        !r.bytes(std::as_writable_bytes(std::span(header.sha256.bytes)))) {
      return bad("truncated header record");
    }
    manifest.headers.push_back(std::move(header));
  }
  std::uint32_t watched = 0;
  if (!read_count(r, watched, total)) {
    return bad("truncated or oversized field");
  }
  for (std::uint32_t i = 0; i < watched; ++i) {
    WatchedDirectory directory;
    if (!r.text(directory.path, k_max_path) || !read_stamp(r, directory.stamp) ||
        !r.text(directory.absent, k_max_manifest_size)) {
      return bad("truncated directory record");
    }
    // Names, each ended by a NUL: none empty, none too long, not too many.
    std::size_t start = 0;
    while (start < directory.absent.size()) {
      const std::size_t end = directory.absent.find('\0', start);
      if (end == std::string::npos || end == start || end - start > k_max_path ||
          ++total > k_max_manifest_items) {
        return bad("malformed list of absent names");
      }
      start = end + 1;
    }
    manifest.watched.push_back(std::move(directory));
  }
  if (!r.at_end()) {
    return bad("trailing bytes");
  }
  for (const HeaderRecord& header : manifest.headers) {
    if (!header.path.starts_with('/')) {
      return bad("a header path is not absolute");
    }
  }
  return manifest;
}

ManifestCheck check_manifest(Manifest& manifest, std::int64_t now_ns) {
  ManifestCheck check;
  // A stamp can be trusted for later runs only once the clock has moved past
  // it: a change within the same tick (or second, on a file system with
  // coarse times) would leave it as it is. Every change moves ctime.
  auto settled = [now_ns](const FileStamp& stamp) {
    return stamped_before(stamp.ctime_ns, now_ns);
  };
  // Headers come sorted, so those of one directory are neighbours: each
  // directory is looked up once and its files relative to it, instead of
  // walking every path from the root (a third of a warm run otherwise).
  DirectoryCursor directories;
  for (HeaderRecord& header : manifest.headers) {
    struct stat st {};
    if (!directories.stat(header.path, st)) {
      check.reason = fmt::format("{} is gone", header.path);
      return check;
    }
    if (FileStamp::of(st) == header.stamp) {
      continue;
    }
    const auto hashed = hash_file(header.path);
    if (!hashed || hashed->sha256 != header.sha256) {
      check.reason = fmt::format("{} changed", header.path);
      return check;
    }
    if (settled(hashed->stamp)) {
      header.stamp = hashed->stamp;
      check.refreshed = true;
    }
  }
  for (const WatchedDirectory& directory : manifest.watched) {
    struct stat st {};
    if (::stat(directory.path.c_str(), &st) == 0 && directory.stamp != FileStamp{} &&
        FileStamp::of(st) == directory.stamp) {
      continue;
    }
    // Something in it changed. Its stamp is not refreshed: a script that
    // writes next to itself would otherwise republish its manifest on every
    // run. One listing tells which names could matter instead.
    const std::vector<std::string> names = names_in(directory.path);
    for (const std::string& path : directory.absent_paths()) {
      if (could_exist(names, directory.path, path) && exists(path)) {
        check.reason = fmt::format("{} would now be included instead", path);
        return check;
      }
    }
  }
  check.valid = true;
  return check;
}

Sha256Digest result_key_for(const Sha256Digest& script_key, std::span<const HeaderRecord> headers) {
  std::string listing = script_key.hex();
  for (const HeaderRecord& header : headers) {
    listing += '\0';
    listing += header.path;
    listing += '\0';
    listing += header.sha256.hex();
  }
  const std::array<std::string_view, 1> inputs{listing};
  return cache::make_key(cache::Fingerprint::of({{"sealexec", "script result"}}), inputs);
}

SearchList parse_search_list(std::string_view verbose_output) {
  SearchList list;
  std::vector<std::string>* into = nullptr;
  std::size_t at = 0;
  while (at < verbose_output.size()) {
    const std::size_t end = verbose_output.find('\n', at);
    std::string_view line = verbose_output.substr(
        at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? verbose_output.size() : end + 1;
    if (line.starts_with("#include \"...\" search starts here:")) {
      into = &list.quote;
    } else if (line.starts_with("#include <...> search starts here:")) {
      into = &list.bracket;
    } else if (line.starts_with("End of search list.")) {
      break;
    } else if (into != nullptr && line.starts_with(' ')) {
      line.remove_prefix(1);
      constexpr std::string_view k_framework = " (framework directory)";
      if (line.ends_with(k_framework)) {
        line.remove_suffix(k_framework.size());
      }
      into->emplace_back(line);
    }
  }
  return list;
}

namespace {

// The names that must stay absent for a compile to mean the same, each
// under the deepest directory that exists (creating the name changes that
// directory's mtime).
class AbsentNames {
public:
  void add(const std::string& candidate) {
    if (!m_seen.insert(candidate).second) {
      return;
    }
    std::filesystem::path watch = std::filesystem::path(candidate).parent_path();
    while (!exists(watch.string()) && watch.has_relative_path()) {
      watch = watch.parent_path();
    }
    m_by_directory[watch.string()].push_back(candidate);
  }
  // A place where a header was looked for and not found, or found: its
  // precompiled form, which gcc would take instead (and which no dependency
  // list names), must not appear there either. One that is there already
  // makes the compile's inputs unknown (precompiled()).
  void missing_or_found(const std::string& candidate, bool found) {
    if (!found) {
      add(candidate);
    }
    const std::string precompiled = candidate + ".gch";
    if (m_seen.contains(precompiled)) {
      return;
    }
    if (exists_once(precompiled)) {
      m_seen.insert(precompiled);
      m_precompiled.push_back(precompiled);
    } else {
      add(precompiled);
    }
  }
  // Looks `name` up as the compiler would, in `directories` in order, and
  // records every place it was not found before the one where it was.
  void look_up(std::string_view name, std::span<const std::string> directories) {
    for (const std::string& directory : directories) {
      std::string candidate = directory;
      candidate += '/';
      candidate += name;
      const bool found = exists_once(candidate);
      missing_or_found(candidate, found);
      if (found) {
        return;
      }
    }
  }
  std::map<std::string, std::vector<std::string>>& by_directory() { return m_by_directory; }
  // Precompiled headers (.gch) found where a header was looked for.
  [[nodiscard]] const std::vector<std::string>& precompiled() const { return m_precompiled; }

private:
  // exists(), asked once per path: most names are asked for by many
  // headers (<bits/c++config.h> by dozens), each time in the same places.
  bool exists_once(const std::string& path) {
    const auto [known, inserted] = m_exists.try_emplace(path, false);
    if (inserted) {
      known->second = exists(path);
    }
    return known->second;
  }

  std::set<std::string> m_seen;
  std::unordered_map<std::string, bool> m_exists;
  std::vector<std::string> m_precompiled;
  std::map<std::string, std::vector<std::string>> m_by_directory;
};

// A file that includes others, and the directory a "name" is looked for
// in first (the file's own).
struct Includer {
  std::string_view text;
  std::string directory;
};

// Every name `includer` asks for, looked up as the compiler would.
void watch_references(const Includer& includer, std::span<const std::string> quote_order,
                      std::span<const std::string> bracket_order, AbsentNames& absent,
                      std::vector<std::string>& unwatched, std::string_view name) {
  const IncludeScan scan = scan_includes(includer.text);
  if (scan.computed || scan.truncated) {
    unwatched.push_back(std::string(name));
  }
  std::vector<std::string> quoted_order;
  for (const IncludeReference& reference : scan.references) {
    if (reference.name.starts_with('/')) {
      if (!exists(reference.name)) {
        absent.add(reference.name);
      }
      continue;
    }
    if (!reference.quoted) {
      absent.look_up(reference.name, bracket_order);
      continue;
    }
    if (quoted_order.empty()) {
      quoted_order.push_back(includer.directory);
      quoted_order.insert(quoted_order.end(), quote_order.begin(), quote_order.end());
    }
    absent.look_up(reference.name, quoted_order);
  }
}

} // namespace

Expected<Manifest> build_manifest(std::span<const std::string> prerequisites,
                                  std::string_view skip_prefix, const SearchList& search,
                                  std::int64_t since_ns, const ScriptText& script,
                                  std::vector<std::string>* unwatched) {
  Manifest manifest;
  PathCheck paths(since_ns);
  std::vector<std::string> texts; // of the headers, in prerequisite order
  for (const std::string& path : prerequisites) {
    if (path.starts_with(skip_prefix) || !path.starts_with('/')) {
      continue;
    }
    // Hashed first, its path checked after: a replacement made before the
    // hash is then seen by the check.
    std::string text;
    const auto hashed = hash_file(path, &text);
    if (!hashed) {
      return fail(make_error(Errc::changed, path, "could not be read back after the compile"));
    }
    // ctime, not mtime: mv, cp -p, tar and rsync -a keep an old mtime, and
    // nothing can put ctime back.
    if (!stamped_before(hashed->stamp.ctime_ns, since_ns)) {
      return fail(make_error(Errc::changed, path,
                             "was changed while the script was being compiled"));
    }
    if (std::string why = paths.changed(path, hashed->stamp.dev, hashed->stamp.ino);
        !why.empty()) {
      return fail(make_error(Errc::changed, path, why));
    }
    manifest.headers.push_back({.path = path, .stamp = hashed->stamp, .sha256 = hashed->sha256});
    texts.push_back(std::move(text));
  }

  // The search directories in search order, as given (absolute): names
  // are looked for, and watched, through them as the compiler goes, so that
  // a symbolic link among them that is pointed elsewhere is noticed. Their
  // resolved forms tell which directory a header was found in.
  std::vector<std::string> order;
  std::vector<std::string> resolved;
  std::size_t bracket_start = 0;
  for (const auto* list : {&search.quote, &search.bracket}) {
    if (list == &search.bracket) {
      bracket_start = order.size();
    }
    for (const std::string& directory : *list) {
      const std::string canonical = canonical_or_empty(directory);
      if (!canonical.empty() && !canonical.starts_with(skip_prefix) &&
          directory.starts_with('/')) {
        order.push_back(directory);
        resolved.push_back(canonical);
      }
    }
  }
  const std::span<const std::string> quote_order(order);
  const std::span<const std::string> bracket_order = quote_order.subspan(bracket_start);

  AbsentNames absent;
  std::vector<std::string> not_watched;
  // Names asked for and not found, where they were looked for: by the
  // script (its "..." next to it: the compile copy is elsewhere, and the
  // script's directory comes first in the quote list) and by each header
  // (its "..." next to itself first, then in the quote list).
  watch_references({.text = script.text, .directory = std::string(script.directory)},
                   quote_order, bracket_order, absent, not_watched, "the script");
  for (std::size_t i = 0; i < manifest.headers.size(); ++i) {
    const std::string& path = manifest.headers[i].path;
    watch_references({.text = texts[i], .directory = path.substr(0, path.rfind('/'))},
                     quote_order, bracket_order, absent, not_watched, path);
  }
  if (unwatched != nullptr) {
    *unwatched = std::move(not_watched);
  }

  std::sort(manifest.headers.begin(), manifest.headers.end(),
            [](const HeaderRecord& a, const HeaderRecord& b) {
              const auto directory = [](const std::string& path) {
                return std::string_view(path).substr(0, path.rfind('/'));
              };
              return std::pair(directory(a.path), std::string_view(a.path)) <
                     std::pair(directory(b.path), std::string_view(b.path));
            });

  // Shadowing of the headers found: a file of the same relative name in a
  // directory searched before the one it was found in. (Also covers names
  // included through a macro, which the scan above cannot read.)
  for (const HeaderRecord& header : manifest.headers) {
    // Where it was found: the most specific search directory holding the
    // path as the compiler named it, or else holding its resolved path (a
    // header that is a link elsewhere, as in a stow farm, is matched by the
    // first).
    const std::string real = canonical_or_empty(header.path);
    std::size_t found = order.size();
    std::string relative;
    for (const auto* directories : {&order, &resolved}) {
      const std::string& path = directories == &order ? header.path : real;
      for (std::size_t k = 0; k < directories->size(); ++k) {
        const std::string& directory = (*directories)[k];
        if (path.size() > directory.size() && path.starts_with(directory) &&
            path[directory.size()] == '/' &&
            (found == order.size() || directory.size() > (*directories)[found].size())) {
          found = k;
        }
      }
      if (found != order.size()) {
        relative = path.substr((*directories)[found].size() + 1);
        break;
      }
    }
    if (found == order.size()) {
      continue; // included by a path of its own: only its content matters
    }
    for (std::size_t j = 0; j <= found; ++j) {
      if (j != found && resolved[j] == resolved[found]) {
        continue;
      }
      const std::string candidate = order[j] + "/" + relative;
      // Present yet not chosen (#include_next, or <> past a quote
      // directory): nothing to watch but its precompiled form.
      absent.missing_or_found(candidate, j == found || exists(candidate));
    }
  }
  if (!absent.precompiled().empty()) {
    return fail(make_error(Errc::invalid_argument, absent.precompiled().front(),
                           "is a precompiled header, which the compiler may have read instead "
                           "of its header and which no dependency list names"));
  }
  for (auto& [directory, names] : absent.by_directory()) {
    WatchedDirectory watched{.path = directory, .stamp = {}, .absent = {}};
    const std::size_t prefix = directory.ends_with('/') ? directory.size() : directory.size() + 1;
    for (const std::string& name : names) {
      watched.absent.append(name, prefix);
      watched.absent += '\0';
    }
    struct stat st {};
    if (::stat(directory.c_str(), &st) == 0) {
      const FileStamp stamp = FileStamp::of(st);
      // Changed since the compile began: its state then is unknown, so the
      // names are looked up on every run.
      if (stamped_before(stamp.ctime_ns, since_ns)) {
        watched.stamp = stamp;
      }
    }
    manifest.watched.push_back(std::move(watched));
  }
  return manifest;
}

} // namespace sealexec::script
