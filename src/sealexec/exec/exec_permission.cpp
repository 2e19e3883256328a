#include "sealexec/exec/exec_permission.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec {

namespace {

// AT_EACCESS: the effective ids decide, as they do for execve. The kernel's
// X_OK answer already includes the noexec mount (do_faccessat asks
// path_noexec for regular files), and root's rule (some x bit must be set).
bool may_execute(const std::string& path) {
  return ::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) == 0;
}

bool on_noexec_mount(const std::string& path) {
  struct statvfs vfs {};
  return ::statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOEXEC) != 0;
}

} // namespace

Expected<void> check_exec_permission(const std::string& path) {
  if (may_execute(path)) {
    return {};
  }
  if (errno != EACCES) {
    return {};
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return {}; // an unreachable or odd file: opening it says what is wrong
  }
  if (on_noexec_mount(path)) {
    return fail(make_error(
        Errc::not_runnable, path,
        "is on a file system mounted noexec, so the kernel would refuse to execute it; "
        "--allow-non-executable runs a copy anyway"));
  }
  // Execute bits that do not apply to us, or none at all: chmod helps. Bits
  // that should apply: an ACL or a security module says no.
  const bool bits_for_us = (st.st_uid == ::geteuid() ? (st.st_mode & S_IXUSR) != 0
                                                     : (st.st_mode & (S_IXGRP | S_IXOTH)) != 0);
  return fail(make_error(
      Errc::not_runnable, path,
      fmt::format("is not executable by you (mode {:04o}{}), so the kernel would refuse to "
                  "execute it; {}--allow-non-executable runs a copy anyway",
                  st.st_mode & 07777, bits_for_us ? ", but an ACL or a security module denies it" : "",
                  bits_for_us ? "" : "chmod +x it, or ")));
}

Error explain_unreadable(Error error, const std::string& path) {
  if (error.sys_errno != EACCES || !may_execute(path) ||
      ::faccessat(AT_FDCWD, path.c_str(), R_OK, AT_EACCESS) == 0) {
    return error;
  }
  struct stat st {};
  const std::string mode =
      ::stat(path.c_str(), &st) == 0 ? fmt::format(" (mode {:04o})", st.st_mode & 07777) : "";
  return make_error(Errc::not_runnable, path,
                    fmt::format("may be executed but not read by you{}, and sealexec must "
                                "read a program to seal it",
                                mode));
}

} // namespace sealexec
