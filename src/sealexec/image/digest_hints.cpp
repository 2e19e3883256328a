#include "sealexec/image/digest_hints.h"

#include "sealexec/image/copy.h"
#include "sealexec/util/fd.h"
#include "sealexec/util/record.h"
#include "sealexec/util/runtime_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

namespace sealexec {

namespace {

constexpr std::string_view k_magic = "SXHINT1\n";
constexpr std::uint32_t k_version = 1;
constexpr std::size_t k_hint_max = 256;

void write_stamp_fields(RecordWriter& out, const FileStamp& stamp) {
  for (const std::int64_t field :
       {static_cast<std::int64_t>(stamp.device), static_cast<std::int64_t>(stamp.inode),
        stamp.size, stamp.mtime_sec, stamp.mtime_nsec, stamp.ctime_sec, stamp.ctime_nsec}) {
    out.u64(static_cast<std::uint64_t>(field));
  }
}

std::vector<std::byte> stamp_bytes(const FileStamp& stamp) {
  RecordWriter out(k_magic, k_version);
  write_stamp_fields(out, stamp);
  return std::move(out).finish();
}

// More hints than this (a file replaced by rename is a new inode each time,
// so each version leaves one) and the oldest go, down to k_hints_kept.
constexpr std::size_t k_hints_max = 1024;
constexpr std::size_t k_hints_kept = 768;

// Removes the least recently written hints (and temporary files a crash
// left) beyond k_hints_max. Only a writer of a hint pays for the look.
void prune_hints(const std::string& directory) {
  DIR* stream = ::opendir(directory.c_str());
  if (stream == nullptr) {
    return;
  }
  std::vector<std::pair<std::int64_t, std::string>> hints; // mtime, name
  const int dir_fd = ::dirfd(stream);
  while (const dirent* entry = ::readdir(stream)) {
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") {
      continue;
    }
    struct stat st {};
    if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      hints.emplace_back(st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
                         std::string(name));
    }
  }
  if (hints.size() > k_hints_max) {
    std::ranges::sort(hints);
    for (std::size_t i = 0; i + k_hints_kept < hints.size(); ++i) {
      ::unlinkat(dir_fd, hints[i].second.c_str(), 0);
    }
  }
  ::closedir(stream);
}

// The hint's path, or nullopt when the runtime directory cannot be trusted.
std::optional<std::string> hint_path(const FileStamp& stamp) {
  auto base = private_runtime_dir();
  if (!base) {
    return std::nullopt;
  }
  const std::string directory = *base + "/digests";
  if (!ensure_private_subdirectory(directory)) {
    return std::nullopt;
  }
  // Named for the file (device and inode) alone, so that a file keeps one
  // hint however often it changes; the hint holds the whole stamp.
  FileStamp file;
  file.device = stamp.device;
  file.inode = stamp.inode;
  return fmt::format("{}/{}", directory, xxh3_128(stamp_bytes(file)).hex());
}

} // namespace

std::optional<Xxh3Digest> recall_digest(const FileStamp& stamp) {
  const auto path = hint_path(stamp);
  if (!path) {
    return std::nullopt;
  }
  auto fd = open_fd(path->c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (!fd) {
    return std::nullopt;
  }
  std::array<char, k_hint_max + 1> buffer{};
  const auto got = read_up_to(fd->get(), buffer, *path);
  if (!got || *got > k_hint_max) {
    return std::nullopt;
  }
  std::string why;
  auto in = RecordReader::open(std::as_bytes(std::span(buffer).first(*got)), k_magic, k_version,
                               k_hint_max, why);
  if (!in) {
    return std::nullopt;
  }
  FileStamp stored;
  std::array<std::uint64_t, 7> fields{};
  for (std::uint64_t& field : fields) {
    if (!in->u64(field)) {
      return std::nullopt;
    }
  }
  stored.device = static_cast<dev_t>(fields[0]);
  stored.inode = static_cast<ino_t>(fields[1]);
  stored.size = static_cast<std::int64_t>(fields[2]);
  stored.mtime_sec = static_cast<std::int64_t>(fields[3]);
  stored.mtime_nsec = static_cast<std::int64_t>(fields[4]);
  stored.ctime_sec = static_cast<std::int64_t>(fields[5]);
  stored.ctime_nsec = static_cast<std::int64_t>(fields[6]);
  Xxh3Digest digest;
  if (stored != stamp || !in->bytes(std::as_writable_bytes(std::span(digest.bytes))) ||
      !in->at_end()) {
    return std::nullopt;
  }
  return digest;
}

void remember_digest(const FileStamp& stamp, const Xxh3Digest& digest) {
  const auto path = hint_path(stamp);
  if (!path) {
    return;
  }
  RecordWriter out(k_magic, k_version);
  write_stamp_fields(out, stamp);
  out.bytes(std::as_bytes(std::span(digest.bytes)));
  const std::vector<std::byte> record = std::move(out).finish();
  // Written beside and renamed over, so a reader sees a whole hint or none;
  // not fsynced: a hint lost in a crash only costs a read.
  std::string temporary = *path + ".XXXXXX";
  Fd file(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!file) {
    return;
  }
  if (!write_all(file.get(), record, temporary) ||
      ::rename(temporary.c_str(), path->c_str()) != 0) {
    ::unlink(temporary.c_str());
    return;
  }
  prune_hints(path->substr(0, path->rfind('/')));
}

void forget_digest(const FileStamp& stamp) {
  if (const auto path = hint_path(stamp)) {
    ::unlink(path->c_str());
  }
}

} // namespace sealexec
