#include "sealexec/image/source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec {

Privileges privileges_of(int fd, const struct stat& st) {
  Privileges privileges;
  privileges.owner = st.st_uid;
  privileges.group = st.st_gid;
  privileges.setuid = (st.st_mode & S_ISUID) != 0;
  // S_ISGID without group execute means mandatory locking, not setgid.
  privileges.setgid = (st.st_mode & S_ISGID) != 0 && (st.st_mode & S_IXGRP) != 0;
  // ENODATA: no capabilities; ENOTSUP: the file system has no xattrs. Either
  // way there is nothing to lose.
  privileges.file_capabilities = ::fgetxattr(fd, "security.capability", nullptr, 0) > 0;
  return privileges;
}

std::string Privileges::describe() const {
  std::string text;
  auto add = [&text](const std::string& part) {
    text += text.empty() ? "" : ", ";
    text += part;
  };
  if (setuid) {
    add(fmt::format("is setuid (owner uid {})", owner));
  }
  if (setgid) {
    add(fmt::format("is setgid (group gid {})", group));
  }
  if (file_capabilities) {
    add("has file capabilities (security.capability)");
  }
  return text;
}

std::string_view file_type_name(const struct stat& st) {
  switch (st.st_mode & S_IFMT) {
  case S_IFREG:
    return "a regular file";
  case S_IFDIR:
    return "a directory";
  case S_IFIFO:
    return "a fifo";
  case S_IFSOCK:
    return "a socket";
  case S_IFCHR:
    return "a character device";
  case S_IFBLK:
    return "a block device";
  case S_IFLNK:
    return "a symbolic link";
  default:
    return "a special file";
  }
}

Expected<OpenedProgram> open_program(const std::filesystem::path& path) {
  const std::string name = path.string();
  auto opened = open_fd(name.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!opened) {
    Error error = std::move(opened).error();
    const int err = error.sys_errno;
    error.operation.clear();
    if (err == ENOENT) {
      error.code = Errc::not_found;
      error.reason = "not found";
      error.sys_errno = 0;
    } else if (err == EISDIR) {
      error.code = Errc::not_runnable;
      error.reason = "is a directory";
      error.sys_errno = 0;
    } else {
      error.code = err == ENOTDIR ? Errc::not_found : Errc::not_runnable;
      error.reason = "cannot open";
      error.operation = "open";
    }
    return fail(std::move(error));
  }
  OpenedProgram program{.fd = std::move(*opened)};
  if (::fstat(program.fd.get(), &program.st) != 0) {
    return fail(system_error("cannot inspect", name, "fstat"));
  }
  if (!S_ISREG(program.st.st_mode)) {
    return fail(make_error(Errc::not_runnable, name,
                           fmt::format("is {}, not a regular file", file_type_name(program.st))));
  }
  // O_NONBLOCK stays: reads of a regular file ignore it, and the descriptor
  // is closed once the copy is sealed.
  return program;
}

} // namespace sealexec
