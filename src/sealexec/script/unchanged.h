// Showing that a file the compiler read is still what it read: nothing
// about it, nor about the names that lead to it, changed after a moment
// taken before the compiler started.
//
// The proof is the inode change time (ctime). Every write, rename, link,
// chmod or utimensat sets it to the kernel's clock, and nothing can set it
// back: `mv`, `cp -p`, tar and `rsync -a` keep an old mtime, never an old
// ctime (FACTS §5). A rename also gives the path another inode. Two things
// make the comparison subtle (util/file_time.h has the clocks):
//   - The kernel stamps files from its coarse clock (one tick, 4 ms here),
//     or, once someone has looked at a file's ctime, from the fine clock
//     (multigrain timestamps, Linux 6.13), never earlier than the coarse
//     clock. A moment read from CLOCK_REALTIME_COARSE is therefore never
//     later than the stamp of a change made after it.
//   - A file system may keep coarser times (1 s, 2 s on FAT), rounded down.
//     A stamp is a multiple of its file system's granularity, so the
//     coarsest granularity that could have produced it is known from its
//     trailing zeros, and the moment is rounded down to that before
//     comparing.
#pragma once

#include "sealexec/util/file_time.h"

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <unordered_map>

namespace sealexec::script {

// Checks the names on a path, the way the kernel resolves it: each
// directory, each symbolic link (followed) and the file at the end.
// Verdicts on directories and links are remembered, since headers share
// them.
class PathCheck {
public:
  explicit PathCheck(std::int64_t since_ns) : m_since(since_ns) {}

  // Empty when nothing on the way to `path` was replaced after the moment
  // `since_ns` and `path` still names the inode (dev, ino); otherwise why
  // not. A symbolic link replaced (ln -sfn), or a directory renamed into
  // place (its ctime moves, its mtime does not), is a change. A directory
  // whose mtime equals its ctime only had entries added or removed (a busy
  // /tmp): the names that matter in it are checked by their own ctime.
  [[nodiscard]] std::string changed(const std::string& path, std::uint64_t dev,
                                    std::uint64_t ino);

private:
  struct Component {
    std::string problem; // empty: unchanged
    bool is_link = false;
    std::string target; // of a link
  };
  const Component& component(const std::string& path);

  std::int64_t m_since;
  std::unordered_map<std::string, Component> m_seen;
};

} // namespace sealexec::script
