#include "sealexec/remote/high_water.h"

#include "sealexec/cache/publish.h"
#include "sealexec/util/bounded_lock.h"
#include "sealexec/util/fd.h"
#include "sealexec/util/record.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace sealexec::remote {

namespace {

constexpr std::string_view k_magic = "SEALXHW\n";
constexpr std::uint32_t k_version = 1;
constexpr std::string_view k_directory = "remote/high-water";
// A raise takes microseconds; one that waits longer is behind a stopped
// process.
constexpr std::chrono::milliseconds k_raise_wait{1000};
// Magic, version, count, the pairs and the checksum.
constexpr std::size_t k_max_file_size = 8 + 4 + 4 + k_high_water_per_shard * (32 + 8) + 16;

std::string shard_path(const Sha256Digest& key) {
  return fmt::format("{}/{}", k_directory, key.hex().substr(0, 2));
}

bool is_absent(const Error& error) {
  return error.sys_errno == ENOENT || error.sys_errno == ENOTDIR;
}

Expected<std::vector<HighWater>> read_shard(const cache::CacheDir& dir,
                                            const std::string& relative) {
  SEALEXEC_TRY_ASSIGN(const Fd file, dir.open_beneath(relative, O_RDONLY | O_NONBLOCK));
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) {
    return fail(system_error("cannot inspect", dir.describe(relative), "fstat"));
  }
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) > k_max_file_size) {
    return fail(make_error(Errc::malformed, dir.describe(relative),
                           "damaged high-water marks: not a small regular file"));
  }
  std::vector<std::byte> bytes(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::pread(file.get(), bytes.data() + done, bytes.size() - done,
                                static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail(system_error("cannot read", dir.describe(relative), "pread"));
    }
    if (got == 0) {
      break; // shorter than it was: the checksum will say
    }
    done += static_cast<std::size_t>(got);
  }
  bytes.resize(done);
  return parse_high_water(bytes, dir.describe(relative));
}

Expected<void> write_all_to(int fd, std::span<const std::byte> bytes, const std::string& name) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return fail(system_error("cannot write", name, "write"));
    }
    bytes = bytes.subspan(static_cast<std::size_t>(wrote));
  }
  return {};
}

} // namespace

std::vector<std::byte> serialize_high_water(std::span<const HighWater> marks) {
  RecordWriter w(k_magic, k_version);
  w.u32(static_cast<std::uint32_t>(marks.size()));
  for (const HighWater& mark : marks) {
    w.bytes(std::as_bytes(std::span(mark.key.bytes)));
    w.u64(mark.newest_unix_ns);
  }
  return std::move(w).finish();
}

Expected<std::vector<HighWater>> parse_high_water(std::span<const std::byte> bytes,
                                                  std::string_view name) {
  auto bad = [name](std::string_view why) {
    return fail(
        make_error(Errc::malformed, name, fmt::format("damaged high-water marks: {}", why)));
  };
  std::string why;
  auto reader = RecordReader::open(bytes, k_magic, k_version, k_max_file_size, why);
  if (!reader) {
    return bad(why);
  }
  std::uint32_t count = 0;
  if (!reader->u32(count) || count > k_high_water_per_shard) {
    return bad("truncated or oversized count");
  }
  std::vector<HighWater> marks(count);
  for (HighWater& mark : marks) {
    if (!reader->bytes(std::as_writable_bytes(std::span(mark.key.bytes))) ||
        !reader->u64(mark.newest_unix_ns)) {
      return bad("truncated mark");
    }
  }
  if (!reader->at_end()) {
    return bad("trailing bytes");
  }
  return marks;
}

std::optional<std::uint64_t> high_water(const cache::CacheDir& dir, const Sha256Digest& key) {
  const auto marks = read_shard(dir, shard_path(key));
  if (!marks) {
    return std::nullopt;
  }
  const auto found = std::ranges::find(*marks, key, &HighWater::key);
  if (found == marks->end()) {
    return std::nullopt;
  }
  return found->newest_unix_ns;
}

Expected<void> raise_high_water(const cache::CacheDir& dir, const Sha256Digest& key,
                                std::uint64_t unix_ns, std::size_t keep) {
  keep = std::clamp<std::size_t>(keep, 1, k_high_water_per_shard);
  // One raise at a time per cache: each rewrites a whole shard, and two at
  // once would lose one of them. Readers need no lock: a shard is renamed
  // into place whole. The lock goes with the descriptor (also if we die).
  SEALEXEC_TRY_ASSIGN(const Fd marks_dir, dir.subdirectory(k_directory));
  // Bounded: a raiser that is stopped must not stop every fetch and put of
  // this cache. A mark not raised only forgets.
  SEALEXEC_TRY_ASSIGN(const bool locked, flock_within(marks_dir.get(), LOCK_EX, k_raise_wait,
                                                      dir.describe(k_directory)));
  if (!locked) {
    return fail(make_error(Errc::timed_out, dir.describe(k_directory),
                           "another process holds the high-water marks; this one is not raised"));
  }
  const std::string relative = shard_path(key);
  std::vector<HighWater> current;
  if (auto read = read_shard(dir, relative)) {
    current = std::move(*read);
  } else if (!is_absent(read.error()) && read.error().code != Errc::malformed) {
    return fail(std::move(read).error()); // I/O: never drop the other marks for it
  }
  // A damaged shard (only a disk fault or a bug: it is renamed into place
  // whole) has forgotten its marks, and is replaced.
  HighWater raised{.key = key, .newest_unix_ns = unix_ns};
  for (const HighWater& mark : current) {
    if (mark.key == key) {
      raised.newest_unix_ns = std::max(raised.newest_unix_ns, mark.newest_unix_ns);
    }
  }
  if (!current.empty() && current.front() == raised) {
    return {}; // the same entry again: nothing to write, nor to flush
  }
  std::vector<HighWater> marks{raised};
  for (const HighWater& mark : current) {
    if (mark.key != key && marks.size() < keep) {
      marks.push_back(mark);
    }
  }
  SEALEXEC_TRY_ASSIGN(cache::TempFile file, cache::TempFile::create(dir));
  SEALEXEC_TRY(write_all_to(file.fd(), serialize_high_water(marks),
                            dir.describe("tmp/" + file.name())));
  // Not flushed: a mark only refuses older entries later, so one lost to a
  // machine crash forgets that much, and never makes an entry wrong, while a
  // flush would cost a fetch two fsyncs (7 ms here, several times the fetch).
  SEALEXEC_TRY(file.finish(cache::Durability::unsynced));
  return file.rename_over(relative, cache::Durability::unsynced);
}

} // namespace sealexec::remote
