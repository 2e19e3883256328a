// The ways bytes get into a sealed, named memfd: from a regular file (which
// may change while it is copied), a stream (readable once) or a buffer.
// SealedImage's factories are built on these.
#pragma once

#include "sealexec/image/copy.h"
#include "sealexec/image/file_stamp.h"
#include "sealexec/image/read_lease.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec {

// A sealed memfd and what is known about its bytes.
struct Sealed {
  Fd fd;
  std::uint64_t size = 0;
  Xxh3Digest digest;
  std::string memfd_name;
  // For a regular file that had not changed for a clock tick before the copy
  // began: the stamp of what was copied, an identity no later change can
  // share (util/file_time.h). Only such copies are remembered by identity
  // (digest hints, the memory tier).
  std::optional<FileStamp> settled;
  // The first min(size, k_image_head_size) sealed bytes when the copy had
  // them in memory anyway (a small file); empty otherwise.
  std::vector<std::byte> head;
};

// A regular file that changes while it is copied is copied again; after this
// many attempts in all it is refused (Errc::changed).
inline constexpr int k_copy_attempts = 3;
// How long a copy waits for a file that another process has open for
// writing to be closed (in steps of 1, 1, 2, 4, ... ms) before it refuses
// it. cp of a large program closes it within this; a writer that keeps it
// open is in the middle of something.
inline constexpr std::chrono::milliseconds k_writer_wait{256};

// Copies the regular file open as `fd`, which fstat described as `first`
// just after it was opened. What is sealed is the file as it stood at one
// moment: an attempt is thrown away when the file's stamp (size, mtime,
// ctime) moved between `first`, or the stamp that began the attempt, and the
// end of the copy, or when the two reads of its bytes (one to name the
// memfd, one to copy) disagree. `source` names the file in errors,
// `basename` the memfd.
//
// First it takes a read lease (read_lease.h) where it can, through `fd`
// itself when `descriptor` says it is ours. A file another process has open
// for writing is waited for, up to k_writer_wait, then refused
// (Errc::changed).
//
// `stop` is asked between chunks of the reads; when it returns true the
// copy ends with Errc::cancelled (copy.h). `hint` is a remembered digest
// (digest_hints.h) that saves the first read; a copy that does not match
// it is redone without it. With options.remember_digests, a large file
// copied without a hint leaves one.
[[nodiscard]] Expected<Sealed> seal_regular_file(int fd, const struct stat& first,
                                                 std::string_view source,
                                                 std::string_view basename,
                                                 const ImageOptions& options,
                                                 ReadLease::Descriptor descriptor,
                                                 const CopyStop& stop = {},
                                                 std::optional<Xxh3Digest> hint = {});

// Errc::digest_mismatch unless the SHA-256 of the `size` sealed bytes of
// `fd` is the one options.expected_sha256 pins (nothing to do without a
// pin): for a copy, and for an image the memory tier served.
[[nodiscard]] Expected<void> check_pinned_sha256(int fd, std::uint64_t size,
                                                 std::string_view source,
                                                 const ImageOptions& options);

// Copies a pipe or socket to its end. A stream can be read only once, so it
// goes into an unnamed staging memfd first, hashed on the way; the named
// memfd is then filled from it while the staging copy's pages are released
// behind the copy, so peak memory stays one image plus a chunk. Refused
// (Errc::too_large) as soon as more than options.max_size bytes arrive.
[[nodiscard]] Expected<Sealed> seal_stream(int fd, std::string_view source,
                                           std::string_view basename,
                                           const ImageOptions& options);

// Copies `bytes`. The sealed copy is hashed again, so a caller that changes
// `bytes` meanwhile gets Errc::changed.
[[nodiscard]] Expected<Sealed> seal_buffer(std::span<const std::byte> bytes,
                                           std::string_view source, std::string_view basename,
                                           const ImageOptions& options);

} // namespace sealexec
