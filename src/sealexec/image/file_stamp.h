// Telling whether a file changed while it was being read: what fstat says
// about it, and a barrier against a write that is still in progress.
#pragma once

#include "sealexec/util/error.h"

#include <sys/stat.h>

#include <cstdint>
#include <string_view>

namespace sealexec {

// The metadata that moves whenever a file's bytes do: the kernel sets ctime
// (and mtime) when a write(2), truncate or fallocate starts, under the lock
// that holds off the next one, and nobody can set ctime back. Since Linux
// 6.13, file systems with multigrain timestamps (ext4, XFS, btrfs, tmpfs)
// give a change that follows an fstat a ctime distinct from the one fstat
// returned; elsewhere, ctime has the clock tick's granularity (a few ms).
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_sec = 0;
  std::int64_t mtime_nsec = 0;
  std::int64_t ctime_sec = 0;
  std::int64_t ctime_nsec = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

[[nodiscard]] FileStamp stamp_of(const struct stat& st);

// fstat(`fd`) as a stamp; `path` names the file in errors.
[[nodiscard]] Expected<FileStamp> read_stamp(int fd, std::string_view path);

// Returns once no buffered write(2), truncate or fallocate that had begun on
// `fd`'s file is still in progress. Such a call moves ctime when it starts,
// so a stamp taken while it runs already holds its ctime; the bytes it has
// yet to write would then change under a copy with no later stamp differing.
//
// The barrier is lseek(SEEK_DATA): ext4 and tmpfs take the inode lock for it
// that those calls hold from start to end (seen on this project's kernel).
// XFS needs no barrier, as it takes that lock for every read. On other file
// systems it may return at once; failures are ignored, since the stamps still
// see every change that starts after the first stamp.
void wait_for_writers(int fd);

} // namespace sealexec
