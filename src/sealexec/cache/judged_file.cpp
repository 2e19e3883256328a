#include "sealexec/cache/judged_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec::cache {

namespace {

// rename(2) that never replaces: RENAME_NOREPLACE, or link + unlink where the
// file system lacks it. false with errno EEXIST when `to_name` exists.
bool rename_no_replace(int from, const char* name, int to, const char* to_name) {
  if (::renameat2(from, name, to, to_name, RENAME_NOREPLACE) == 0) {
    return true;
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return false;
  }
  if (::linkat(from, name, to, to_name, 0) != 0) {
    return false;
  }
  ::unlinkat(from, name, 0);
  return true;
}

// After `name` was moved to `moved` in `to`: whether it is the judged file,
// and if not, the other file returned to where it was.
Expected<Acted> check_moved(int from, const std::string& name, int to, const std::string& moved,
                            FileIdentity judged, const std::string& description) {
  struct stat st {};
  if (::fstatat(to, moved.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail(system_error("cannot inspect what was moved from", description, "fstatat"));
  }
  if (FileIdentity::of(st) == judged) {
    return Acted::yes;
  }
  if (!rename_no_replace(to, moved.c_str(), from, name.c_str())) {
    if (errno != EEXIST) {
      return fail(system_error("cannot put back", description, "renameat2"));
    }
    // Published again meanwhile: what we hold is an older version.
    ::unlinkat(to, moved.c_str(), 0);
  }
  return Acted::changed;
}

} // namespace

Expected<Acted> move_if_same(int from, const std::string& name, int to, const std::string& to_name,
                             FileIdentity judged, const std::string& description) {
  if (!rename_no_replace(from, name.c_str(), to, to_name.c_str())) {
    if (errno == ENOENT) {
      return Acted::gone;
    }
    return fail(system_error("cannot move", description, "renameat2"));
  }
  return check_moved(from, name, to, to_name, judged, description);
}

Expected<Acted> remove_if_same(int dir, const std::string& name, int scratch,
                               const std::string& scratch_name, FileIdentity judged,
                               const std::string& description) {
  SEALEXEC_TRY_ASSIGN(const Acted acted,
                      move_if_same(dir, name, scratch, scratch_name, judged, description));
  if (acted == Acted::yes && ::unlinkat(scratch, scratch_name.c_str(), 0) != 0) {
    return fail(system_error("cannot remove", description, "unlinkat"));
  }
  return acted;
}

} // namespace sealexec::cache
