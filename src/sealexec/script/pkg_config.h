// Libraries by name (`--pkg zlib,fmt`): their compile and link flags from
// pkg-config, and what those flags were resolved from.
//
// Starting pkg-config costs milliseconds per package, and a warm run must
// not pay it. So its answer is cached under the packages asked for, the
// pkg-config program's identity and every PKG_CONFIG* variable, together
// with the stamps of the .pc files it read (the packages and everything
// they require) and of every directory on its search path. A warm run
// stats those; when all are as recorded the answer stands. A changed .pc
// file, or any directory of the search path gaining or losing an entry (a
// package installed, upgraded or shadowed), asks pkg-config again.
//
// What goes into a script's key is the answer itself and the SHA-256 of
// each .pc file read: upgrading a library's development package changes
// its .pc file and so recompiles the scripts that use it.
#pragma once

#include "sealexec/cache/cache.h"
#include "sealexec/script/manifest.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

struct PackageQuery {
  std::vector<std::string> packages;    // names, checked by add_packages
  std::string pkg_config_command;       // $PKG_CONFIG (a command, maybe with arguments); empty: unset
  std::string path_variable;            // $PATH, where pkg-config is looked for
  // As NAME=value: every PKG_CONFIG* variable, and those that change what
  // the compiler reads (CPATH, LIBRARY_PATH...: pkgconf leaves out the
  // directories they name). The answer's key.
  std::vector<std::string> environment;
};

struct PcFile {
  std::string path; // as pkg-config named it
  FileStamp stamp;
  Sha256Digest sha256;
  friend bool operator==(const PcFile&, const PcFile&) = default;
};

struct SearchDirectory {
  std::string path;
  bool exists = false;
  FileStamp stamp; // zero when it does not exist
  friend bool operator==(const SearchDirectory&, const SearchDirectory&) = default;
};

struct PackageFlags {
  std::vector<std::string> cflags; // --cflags, split like sh words
  std::vector<std::string> libs;   // --libs
  std::vector<PcFile> pc_files;    // every .pc file read, requirements included
  std::vector<SearchDirectory> search_path;
  friend bool operator==(const PackageFlags&, const PackageFlags&) = default;
};

// The flags for `query.packages`: the cached answer when its files and
// directories are unchanged, else pkg-config's (then cached, unless
// something it read changed while it ran). `note` says which (may be
// empty). Errc::not_found when pkg-config cannot be found;
// Errc::compile_failed, with pkg-config's own words, when it does not know
// a package or cannot resolve it.
[[nodiscard]] Expected<PackageFlags> resolve_packages(
    cache::Cache& cache, const PackageQuery& query,
    const std::function<void(std::string_view)>& note);

// Whether every .pc file and search directory still has its recorded stamp.
[[nodiscard]] bool still_current(const PackageFlags& flags);

// What a script's key takes from the answer: the flags and each .pc
// file's SHA-256 (not its stamp: another machine's copy of the same
// package gives the same key).
[[nodiscard]] std::string key_text(const PackageFlags& flags);

// The cached answer's on-disk form (hostile input: bounds-checked, fuzzed).
[[nodiscard]] std::vector<std::byte> serialize(const PackageFlags& flags);
[[nodiscard]] Expected<PackageFlags> parse_package_flags(std::span<const std::byte> bytes,
                                                         std::string_view name);

} // namespace sealexec::script
