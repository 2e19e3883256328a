// What a script's binary was built from, beyond the script itself: every
// header the compiler read (from its depfile) with a stat stamp and a
// SHA-256, and the directories where a new header could appear that would
// shadow one of them.
//
// A warm run stats each header and re-hashes only those whose stamp changed
// (ccache's direct mode). Shadowing is watched through directories: for a
// header found in search directory k, a file of the same relative name in
// any directory searched before k would win. Each such name's deepest
// existing ancestor directory is recorded with its stamp; creating the name
// changes that directory's mtime. Only when a watched directory changed are
// its names looked up one by one.
#pragma once

#include "sealexec/script/unchanged.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"
#include "sealexec/util/record.h"

#include <sys/stat.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

inline constexpr std::size_t k_max_manifest_size = 64 * 1024 * 1024;
inline constexpr std::size_t k_max_manifest_items = 100000;

struct FileStamp {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  [[nodiscard]] static FileStamp of(const struct stat& st);
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

// A stamp in a record (util/record.h), as manifests keep it.
void write_stamp(RecordWriter& w, const FileStamp& stamp);
[[nodiscard]] bool read_stamp(RecordReader& r, FileStamp& stamp);

// SHA-256 and stamp of the file at `path`, read through one descriptor;
// nullopt when it is not a regular file, cannot be read, or changed while
// being read.
struct HashedFile {
  FileStamp stamp;
  Sha256Digest sha256;
};
// A header larger than this is hashed but not scanned for the names it
// includes (no header is near it).
inline constexpr std::size_t k_max_scanned_size = 64 * 1024 * 1024;
// `text`, when given, receives the content too (up to k_max_scanned_size).
[[nodiscard]] std::optional<HashedFile> hash_file(const std::string& path,
                                                  std::string* text = nullptr);

struct HeaderRecord {
  std::string path; // absolute
  FileStamp stamp;
  Sha256Digest sha256;
  friend bool operator==(const HeaderRecord&, const HeaderRecord&) = default;
};

struct WatchedDirectory {
  std::string path; // absolute
  FileStamp stamp;  // all zero: unknown (it changed during the compile)
  // The paths under it that must not appear, relative to it, each ended by
  // a NUL. One string, not one per name: <iostream> alone gives thousands,
  // and a warm run, which reads them only when the directory changed, would
  // otherwise spend a tenth of its time allocating them.
  std::string absent;
  // The absolute paths in `absent`.
  [[nodiscard]] std::vector<std::string> absent_paths() const;
  friend bool operator==(const WatchedDirectory&, const WatchedDirectory&) = default;
};

struct Manifest {
  std::string script;       // for people and `cache ls`
  Sha256Digest result_key;  // where the binary is
  std::vector<HeaderRecord> headers;
  std::vector<WatchedDirectory> watched;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

[[nodiscard]] std::vector<std::byte> serialize(const Manifest& manifest);
[[nodiscard]] Expected<Manifest> parse_manifest(std::span<const std::byte> bytes,
                                                std::string_view name);

struct ManifestCheck {
  bool valid = false;
  // Some stamp was out of date but the content was the same: the updated
  // manifest (stamps refreshed in place) is worth publishing.
  bool refreshed = false;
  std::string reason; // why it is not valid, for --verbose
};

// Checks `manifest` against the file system now. Updates stamps in place
// where only they changed; `now_ns` (CLOCK_REALTIME_COARSE) keeps a stamp
// from being refreshed while a change could still leave it as it is (its
// ctime must be stamped_before now).
[[nodiscard]] ManifestCheck check_manifest(Manifest& manifest, std::int64_t now_ns);

// The key of the binary built from `script_key` with these headers.
[[nodiscard]] Sha256Digest result_key_for(const Sha256Digest& script_key,
                                          std::span<const HeaderRecord> headers);

// The include search list of one compile: directories in search order, as
// the compiler printed them with -v.
struct SearchList {
  std::vector<std::string> quote;   // searched for "..." only
  std::vector<std::string> bracket; // searched for "..." and <...>
};

// Parses the search list from `cc -E -v` standard error. Empty when the
// markers are missing.
[[nodiscard]] SearchList parse_search_list(std::string_view verbose_output);

// After a compile that started after `since_ns` (a CLOCK_REALTIME_COARSE
// reading, see coarse_clock_after): the headers of `prerequisites` (absolute
// paths; those under `skip_prefix`, the private build directory, are not
// headers) hashed and stamped, and the directories to watch for `search`.
// Errc::changed, and nothing may be cached, unless each header is shown
// unchanged since `since_ns` (unchanged.h): its ctime is stamped_before it,
// and nothing on its path was replaced (PathCheck). Otherwise the compiler
// may have read another version than the one hashed now.
//
// Names asked for and not found are watched too (include_scan.h): those the
// script and each header name in #include and __has_include, at every place
// the compiler looked for them before finding them (for "name", first the
// including file's own directory), and the shadows of each header found.
// `unwatched`, when given, receives the files whose includes could not all
// be read (an operand that is a macro).
struct ScriptText {
  std::string_view text;      // as the compiler got it
  std::string_view directory; // where its "name"s are looked for first
};
[[nodiscard]] Expected<Manifest> build_manifest(std::span<const std::string> prerequisites,
                                                std::string_view skip_prefix,
                                                const SearchList& search, std::int64_t since_ns,
                                                const ScriptText& script = {},
                                                std::vector<std::string>* unwatched = nullptr);

} // namespace sealexec::script
