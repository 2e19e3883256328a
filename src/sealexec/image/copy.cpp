#include "sealexec/image/copy.h"

#include <fmt/format.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <cerrno>
#include <vector>

namespace sealexec {

namespace {

// sendfile moves at most about 2 GiB per call.
constexpr std::uint64_t k_sendfile_chunk = 1U << 30;
// A hashed copy tells the hashing thread of its progress this often.
constexpr std::uint64_t k_hashed_copy_chunk = 4U << 20;

Error source_shrank(std::string_view path, std::uint64_t expected, std::uint64_t got) {
  return make_error(Errc::changed, path,
                    fmt::format("the file shrank while it was being copied (expected {} bytes, "
                                "read {})",
                                expected, got));
}

// Reads `length` bytes of `source` from `offset` with pread, in chunks of at
// most k_copy_buffer_size, and hands each chunk to `consume` (which returns
// Expected<void>). A source that ends early is Errc::changed.
Error cancelled(std::string_view path) {
  return make_error(Errc::cancelled, path, "the copy was stopped by its caller");
}

template <typename Consume>
Expected<void> for_each_chunk(int source, std::uint64_t offset, std::uint64_t length,
                              std::string_view path, Consume consume,
                              const CopyStop& stop = {}) {
  std::vector<std::byte> buffer(static_cast<std::size_t>(
      std::min<std::uint64_t>(k_copy_buffer_size, std::max<std::uint64_t>(length, 1))));
  std::uint64_t done = 0;
  while (done < length) {
    if (stop && stop()) {
      return fail(cancelled(path));
    }
    const std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>(buffer.size(), length - done));
    const ssize_t got = ::pread(source, buffer.data(), want, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read", path, "pread"));
    }
    if (got == 0) {
      return fail(source_shrank(path, length, done));
    }
    SEALEXEC_TRY(consume(std::span<const std::byte>(buffer).first(static_cast<std::size_t>(got))));
    done += static_cast<std::uint64_t>(got);
  }
  return {};
}

} // namespace

Expected<std::size_t> read_up_to(int fd, std::span<char> into, std::string_view path) {
  std::size_t used = 0;
  while (used < into.size()) {
    const ssize_t got = ::read(fd, into.data() + used, into.size() - used);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read", path, "read"));
    }
    if (got == 0) {
      break;
    }
    used += static_cast<std::size_t>(got);
  }
  return used;
}

Expected<void> write_all(int fd, std::span<const std::byte> data, std::string_view path) {
  while (!data.empty()) {
    const ssize_t wrote = ::write(fd, data.data(), data.size());
    if (wrote < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot write a copy of", path, "write"));
    }
    data = data.subspan(static_cast<std::size_t>(wrote));
  }
  return {};
}

Expected<void> copy_range(int source, std::uint64_t offset, std::uint64_t length,
                          int destination, std::string_view path) {
  std::uint64_t done = 0;
  while (done < length) {
    auto position = static_cast<off_t>(offset + done);
    const std::size_t want =
        static_cast<std::size_t>(std::min(k_sendfile_chunk, length - done));
    const ssize_t sent = ::sendfile(destination, source, &position, want);
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EINVAL || errno == ENOSYS || errno == EPERM || errno == EACCES ||
          errno == EOPNOTSUPP) {
        // sendfile refused (an LSM or a file system without splice support):
        // the userspace copy gives the same bytes.
        return copy_range_with_pread(source, offset + done, length - done, destination, path);
      }
      return fail(system_error("cannot copy", path, "sendfile"));
    }
    if (sent == 0) {
      return fail(source_shrank(path, length, done));
    }
    done += static_cast<std::uint64_t>(sent);
  }
  return {};
}

Expected<void> copy_range_with_pread(int source, std::uint64_t offset, std::uint64_t length,
                                    int destination, std::string_view path) {
  return for_each_chunk(source, offset, length, path, [&](std::span<const std::byte> chunk) {
    return write_all(destination, chunk, path);
  });
}

namespace {

// The copy's progress, from the thread that copies to the one that hashes
// behind it.
class Progress {
public:
  void advance(std::uint64_t done) {
    {
      const std::lock_guard lock(m_mutex);
      m_done = done;
    }
    m_changed.notify_one();
  }
  void stop() {
    {
      const std::lock_guard lock(m_mutex);
      m_stopped = true;
    }
    m_changed.notify_one();
  }
  // Waits until more than `seen` bytes are copied; nullopt once stopped.
  std::optional<std::uint64_t> wait_beyond(std::uint64_t seen) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_stopped || m_done > seen; });
    return m_done > seen ? std::optional(m_done) : std::nullopt;
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::uint64_t m_done = 0;
  bool m_stopped = false;
};

// The kernel copies (sendfile, no bytes through our buffers) while a second
// thread reads back what has arrived in `destination` and hashes it, so the
// digest is of what the copy holds and the hashing costs no time on a
// machine with a second core. nullopt when the kernel refuses to copy before
// anything was written (the caller copies through its own buffer), or when
// no thread can be started.
std::optional<Expected<Xxh3Digest>> copy_hashing_behind(int source, std::uint64_t offset,
                                                        std::uint64_t length, int destination,
                                                        std::string_view path,
                                                        const CopyStop& stop) {
  const off_t start = ::lseek(destination, 0, SEEK_CUR);
  if (start < 0) {
    return std::nullopt;
  }
  Progress progress;
  Xxh3Hasher hasher;
  std::optional<Error> hash_error;
  auto hash_behind = [&] {
    std::vector<std::byte> buffer(k_copy_buffer_size);
    std::uint64_t hashed = 0;
    while (hashed < length) {
      const auto copied = progress.wait_beyond(hashed);
      if (!copied) {
        return;
      }
      while (hashed < *copied) {
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), *copied - hashed));
        const ssize_t got = ::pread(destination, buffer.data(), want,
                                    static_cast<off_t>(static_cast<std::uint64_t>(start) + hashed));
        if (got < 0 && errno == EINTR) {
          continue;
        }
        if (got <= 0) {
          hash_error = got < 0 ? system_error("cannot read back the copy of", path, "pread")
                               : source_shrank(path, length, hashed);
          return;
        }
        hasher.update(std::span<const std::byte>(buffer).first(static_cast<std::size_t>(got)));
        hashed += static_cast<std::uint64_t>(got);
      }
    }
  };
  std::thread worker;
  try {
    worker = std::thread(hash_behind);
  } catch (const std::system_error&) {
    return std::nullopt; // no thread (a tight ulimit -v): one thread does both
  }
  auto finish = [&](Expected<void> copied) -> Expected<Xxh3Digest> {
    if (!copied) {
      progress.stop();
    }
    worker.join();
    if (!copied) {
      return fail(std::move(copied).error());
    }
    if (hash_error) {
      return fail(std::move(*hash_error));
    }
    return hasher.digest();
  };
  std::uint64_t done = 0;
  while (done < length) {
    if (stop && stop()) {
      return finish(fail(cancelled(path)));
    }
    auto position = static_cast<off_t>(offset + done);
    // Chunks grow from the bounce buffer's size to k_hashed_copy_chunk, so
    // that `stop` is asked soon after the copy begins (the tier's answer
    // comes within a fraction of a millisecond) and rarely after.
    const std::uint64_t chunk =
        std::clamp<std::uint64_t>(done, k_copy_buffer_size, k_hashed_copy_chunk);
    const std::size_t want = static_cast<std::size_t>(std::min(chunk, length - done));
    const ssize_t sent = ::sendfile(destination, source, &position, want);
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent < 0 && done == 0 &&
        (errno == EINVAL || errno == ENOSYS || errno == EPERM || errno == EACCES ||
         errno == EOPNOTSUPP)) {
      progress.stop();
      worker.join();
      return std::nullopt;
    }
    if (sent <= 0) {
      return finish(fail(sent < 0 ? system_error("cannot copy", path, "sendfile")
                                  : source_shrank(path, length, done)));
    }
    done += static_cast<std::uint64_t>(sent);
    progress.advance(done);
  }
  return finish({});
}

} // namespace

Expected<Xxh3Digest> copy_range_hashing(int source, std::uint64_t offset, std::uint64_t length,
                                        int destination, std::string_view path,
                                        const CopyStop& stop) {
  if (length >= k_hashed_copy_parallel_min) {
    if (auto copied = copy_hashing_behind(source, offset, length, destination, path, stop)) {
      return std::move(*copied);
    }
  }
  Xxh3Hasher hasher;
  SEALEXEC_TRY(for_each_chunk(
      source, offset, length, path,
      [&](std::span<const std::byte> chunk) {
        hasher.update(chunk);
        return write_all(destination, chunk, path);
      },
      stop));
  return hasher.digest();
}

Expected<StreamCopy> copy_stream(int source, int destination, std::uint64_t max_size,
                                 std::string_view path) {
  std::vector<std::byte> buffer(k_copy_buffer_size);
  Xxh3Hasher hasher;
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t got = ::read(source, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read", path, "read"));
    }
    if (got == 0) {
      return StreamCopy{.size = total, .digest = hasher.digest()};
    }
    total += static_cast<std::uint64_t>(got);
    if (total > max_size) {
      return fail(make_error(Errc::too_large, path,
                             fmt::format("is larger than the limit of {} bytes", max_size)));
    }
    const auto chunk = std::span<const std::byte>(buffer).first(static_cast<std::size_t>(got));
    hasher.update(chunk);
    SEALEXEC_TRY(write_all(destination, chunk, path));
  }
}

Expected<void> read_range(int fd, std::uint64_t offset, std::span<std::byte> destination,
                          std::string_view path) {
  std::size_t done = 0;
  while (done < destination.size()) {
    const ssize_t got = ::pread(fd, destination.data() + done, destination.size() - done,
                                static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read", path, "pread"));
    }
    if (got == 0) {
      return fail(source_shrank(path, destination.size(), done));
    }
    done += static_cast<std::size_t>(got);
  }
  return {};
}

Expected<Xxh3Digest> hash_file_range(int fd, std::uint64_t offset, std::uint64_t length,
                                     std::string_view path, const CopyStop& stop) {
  Xxh3Hasher hasher;
  SEALEXEC_TRY(for_each_chunk(
      fd, offset, length, path,
      [&](std::span<const std::byte> chunk) {
        hasher.update(chunk);
        return Expected<void>();
      },
      stop));
  return hasher.digest();
}

Expected<Sha256Digest> sha256_file_range(int fd, std::uint64_t offset, std::uint64_t length,
                                         std::string_view path) {
  Sha256Hasher hasher;
  SEALEXEC_TRY(for_each_chunk(fd, offset, length, path, [&](std::span<const std::byte> chunk) {
    hasher.update(chunk);
    return Expected<void>();
  }));
  return hasher.digest();
}

Expected<void> write_all_at(int fd, std::span<const std::byte> data, std::uint64_t offset,
                            std::string_view path) {
  while (!data.empty()) {
    const ssize_t wrote = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (wrote < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot write a copy of", path, "pwrite"));
    }
    data = data.subspan(static_cast<std::size_t>(wrote));
    offset += static_cast<std::uint64_t>(wrote);
  }
  return {};
}

} // namespace sealexec
