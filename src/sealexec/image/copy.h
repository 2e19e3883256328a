// Moving bytes into a memfd with bounded extra memory.
#pragma once

#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <functional>
#include <string_view>

namespace sealexec {

// Asked between chunks of a long read or copy; returning true ends it with
// Errc::cancelled (the memory tier's answer arrived meanwhile). Empty: never.
using CopyStop = std::function<bool()>;

// The bounce buffer used where the kernel cannot copy for us. Peak memory
// beyond the image itself stays at this size.
inline constexpr std::size_t k_copy_buffer_size = 256 * 1024;

// Appends `length` bytes of `source` from `offset` to `destination` (at its
// file position). Uses sendfile, looping over short copies, and falls back to
// pread/write when sendfile is refused (AppArmor can block it; some file
// systems lack it). Fails with Errc::changed when the source ends early.
[[nodiscard]] Expected<void> copy_range(int source, std::uint64_t offset, std::uint64_t length,
                                        int destination, std::string_view path);

// The userspace half of copy_range: pread into a bounded buffer and write.
// copy_range falls back to it on its own; it is public so that the fallback,
// which the kernels we test on never need, is tested too.
[[nodiscard]] Expected<void> copy_range_with_pread(int source, std::uint64_t offset,
                                                   std::uint64_t length, int destination,
                                                   std::string_view path);

// Copies like copy_range and returns the XXH3-128 of the bytes written.
// From k_hashed_copy_parallel_min bytes on, the kernel copies (sendfile)
// while a second thread reads back and hashes what has arrived, so the
// digest costs no time where there is a second core; below, or when sendfile
// is refused or no thread can start, it is copy_range_with_pread hashing
// from its own buffer while the bytes are hot in the CPU cache.
inline constexpr std::uint64_t k_hashed_copy_parallel_min = 8U << 20;
[[nodiscard]] Expected<Xxh3Digest> copy_range_hashing(int source, std::uint64_t offset,
                                                      std::uint64_t length, int destination,
                                                      std::string_view path,
                                                      const CopyStop& stop = {});

struct StreamCopy {
  std::uint64_t size = 0;
  Xxh3Digest digest; // of the bytes written, hashed from our own buffer
};

// Appends everything `source` yields until end of file to `destination`;
// fails with Errc::too_large as soon as more than `max_size` bytes arrive,
// having written no more than `max_size`. Returns the byte count and their
// XXH3-128.
[[nodiscard]] Expected<StreamCopy> copy_stream(int source, int destination,
                                               std::uint64_t max_size, std::string_view path);

// Fills `destination` with the bytes of `fd` from `offset` (pread, looping
// over short reads). Fails with Errc::changed when the file ends first.
[[nodiscard]] Expected<void> read_range(int fd, std::uint64_t offset,
                                        std::span<std::byte> destination, std::string_view path);

// The XXH3-128 digest of `length` bytes of `fd` from `offset`, read with
// pread into a bounded buffer (never mmap: a file truncated meanwhile must
// give an error, not SIGBUS).
[[nodiscard]] Expected<Xxh3Digest> hash_file_range(int fd, std::uint64_t offset,
                                                   std::uint64_t length, std::string_view path,
                                                   const CopyStop& stop = {});

// The SHA-256 of `length` bytes of `fd` from `offset`, read like
// hash_file_range.
[[nodiscard]] Expected<Sha256Digest> sha256_file_range(int fd, std::uint64_t offset,
                                                       std::uint64_t length,
                                                       std::string_view path);

// Reads from `fd` at its file position until `into` is full or the file
// ends; returns how many bytes were read (fewer than `into` holds: the end).
[[nodiscard]] Expected<std::size_t> read_up_to(int fd, std::span<char> into,
                                               std::string_view path);

// Writes all of `data` to `fd` at its file position.
[[nodiscard]] Expected<void> write_all(int fd, std::span<const std::byte> data,
                                       std::string_view path);

// Writes all of `data` to `fd` at `offset`, leaving the file position alone.
[[nodiscard]] Expected<void> write_all_at(int fd, std::span<const std::byte> data,
                                          std::uint64_t offset, std::string_view path);

} // namespace sealexec
