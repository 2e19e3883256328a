#include "sealexec/util/runtime_dir.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <vector>

namespace sealexec {

namespace {

// Others cannot replace `st`'s directory, or anything we own in it.
bool only_we_or_root_can_change(const struct stat& st) {
  if (!S_ISDIR(st.st_mode) || (st.st_uid != 0 && st.st_uid != ::geteuid())) {
    return false;
  }
  return (st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st.st_mode & S_ISVTX) != 0;
}

// Every directory from / down to `path` (a canonical path), `path` included.
Expected<void> check_ancestors(const std::string& path) {
  std::string prefix = "/";
  std::size_t start = 1;
  for (;;) {
    struct stat st {};
    if (::lstat(prefix.c_str(), &st) != 0) {
      return fail(system_error("cannot inspect", prefix, "lstat"));
    }
    if (!only_we_or_root_can_change(st)) {
      return fail(make_error(Errc::policy, prefix,
                             fmt::format("is not a directory that only you or root can change "
                                         "(owner uid {}, mode {:04o})",
                                         st.st_uid, st.st_mode & 07777)));
    }
    if (start >= path.size()) {
      return {};
    }
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    prefix = path.substr(0, end);
    start = end + 1;
  }
}

// $XDG_RUNTIME_DIR/sealexec first; $TMPDIR/sealexec-UID (or /tmp's) when
// that is unset or cannot be trusted (root under `sudo -E` keeps a user's
// $XDG_RUNTIME_DIR, which root must never trust).
std::vector<std::string> base_directories() {
  std::vector<std::string> bases;
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR");
      runtime != nullptr && runtime[0] == '/') {
    bases.push_back(fmt::format("{}/sealexec", runtime));
  }
  const char* tmpdir = std::getenv("TMPDIR");
  bases.push_back(fmt::format("{}/sealexec-{}",
                              tmpdir != nullptr && tmpdir[0] == '/' ? tmpdir : "/tmp",
                              ::geteuid()));
  return bases;
}

Expected<std::string> trusted_base(const std::string& wanted) {
  const std::string parent_given = wanted.substr(0, wanted.rfind('/'));
  char* resolved = ::realpath(parent_given.empty() ? "/" : parent_given.c_str(), nullptr);
  if (resolved == nullptr) {
    return fail(system_error("cannot resolve", parent_given, "realpath"));
  }
  const std::string parent(resolved);
  std::free(resolved);
  SEALEXEC_TRY(check_ancestors(parent));
  const std::string path =
      fmt::format("{}{}", parent == "/" ? "" : parent, wanted.substr(wanted.rfind('/')));
  SEALEXEC_TRY(ensure_private_subdirectory(path));
  return path;
}

} // namespace

Expected<void> ensure_private_subdirectory(const std::string& path) {
  // Looked at first: on every run but the first it exists, and one lstat
  // is all it costs.
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return fail(system_error("cannot inspect", path, "lstat"));
    }
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(system_error("cannot create", path, "mkdir"));
    }
    if (::lstat(path.c_str(), &st) != 0) {
      return fail(system_error("cannot inspect", path, "lstat"));
    }
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    return fail(make_error(Errc::policy, path,
                           fmt::format("is not a private directory of yours (owner uid {}, mode "
                                       "{:04o}, {}a directory)",
                                       st.st_uid, st.st_mode & 07777,
                                       S_ISDIR(st.st_mode) ? "" : "not ")));
  }
  return {};
}

Expected<std::string> private_runtime_dir() {
  std::optional<Error> first_error;
  for (const std::string& wanted : base_directories()) {
    auto base = trusted_base(wanted);
    if (base) {
      return base;
    }
    first_error = first_error.value_or(std::move(base).error());
  }
  return fail(std::move(*first_error));
}

} // namespace sealexec
