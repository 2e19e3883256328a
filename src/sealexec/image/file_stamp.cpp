#include "sealexec/image/file_stamp.h"

#include <unistd.h>

#include <limits>

namespace sealexec {

FileStamp stamp_of(const struct stat& st) {
  return FileStamp{.device = st.st_dev,
                   .inode = st.st_ino,
                   .size = st.st_size,
                   .mtime_sec = st.st_mtim.tv_sec,
                   .mtime_nsec = st.st_mtim.tv_nsec,
                   .ctime_sec = st.st_ctim.tv_sec,
                   .ctime_nsec = st.st_ctim.tv_nsec};
}

Expected<FileStamp> read_stamp(int fd, std::string_view path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(system_error("cannot inspect", path, "fstat"));
  }
  return stamp_of(st);
}

void wait_for_writers(int fd) {
  // Asked for data beyond any possible end, the kernel takes the lock, finds
  // nothing and fails with ENXIO without moving the offset, which belongs to
  // the caller of from_fd. Only the lock matters, so the failure is expected.
  (void)::lseek(fd, std::numeric_limits<off_t>::max(), SEEK_DATA);
}

} // namespace sealexec
