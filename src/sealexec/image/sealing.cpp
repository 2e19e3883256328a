#include "sealexec/image/sealing.h"

#include "sealexec/image/copy.h"
#include "sealexec/image/digest_hints.h"
#include "sealexec/image/file_stamp.h"
#include "sealexec/image/read_lease.h"
#include "sealexec/image/memfd.h"
#include "sealexec/util/file_time.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace sealexec {

namespace {

Error too_large_error(std::string_view source, std::uint64_t size, std::uint64_t limit) {
  return make_error(Errc::too_large, source,
                    fmt::format("is {} bytes, more than the limit of {} bytes", size, limit));
}

Error changed_during_copy(std::string_view source) {
  return make_error(Errc::changed, source, "changed while it was being copied");
}

// Seals a filled memfd and checks what the caller pinned. `digest` is the
// XXH3-128 of the bytes it holds; only this process has held the memfd, so
// those are the sealed bytes. A pinned SHA-256 is checked on the sealed memfd
// itself, read back with pread.
Expected<Sealed> seal_and_check(Fd memfd, std::uint64_t size, const Xxh3Digest& digest,
                                std::string memfd_name, std::string_view source,
                                const ImageOptions& options) {
  SEALEXEC_TRY(seal_memfd(memfd.get(), source));
  struct stat st {};
  if (::fstat(memfd.get(), &st) != 0) {
    return fail(system_error("cannot inspect the sealed copy of", source, "fstat"));
  }
  if (static_cast<std::uint64_t>(st.st_size) != size) {
    return fail(make_error(Errc::system, source,
                           fmt::format("the sealed copy has {} bytes, expected {}", st.st_size,
                                       size)));
  }
  if (options.expected_xxh3 && digest != *options.expected_xxh3) {
    return fail(make_error(Errc::digest_mismatch, source,
                           fmt::format("XXH3-128 mismatch: expected {}, got {}",
                                       options.expected_xxh3->hex(), digest.hex())));
  }
  SEALEXEC_TRY(check_pinned_sha256(memfd.get(), size, source, options));
  return Sealed{
      .fd = std::move(memfd), .size = size, .digest = digest, .memfd_name = std::move(memfd_name)};
}

// One attempt at copying a regular file whose stamp was `before`.
//
// The memfd's name must carry the digest of the bytes it will hold, and a
// memfd cannot be renamed, so a file larger than the bounce buffer is read
// twice: hashed, then copied and hashed again from the copy's own buffer. A
// smaller one is read once. Either way the copy is one state of the file
// only if no change started after `before` was taken (the stamp would move)
// and none that started earlier was still going on (wait_for_writers). The
// second digest adds a check where the stamps are weaker (coarse timestamps,
// other file systems).
//
// With a `hint` (digest_hints.h) the file is read once, like a caller's known
// digest, but bytes that differ from the hint are Errc::changed (copied again
// without it) rather than a mismatch.
Expected<Sealed> copy_once(int fd, const FileStamp& before, std::string_view source,
                           std::string_view basename, const ImageOptions& options,
                           const std::optional<Xxh3Digest>& hint, const CopyStop& stop) {
  // A caller that knows the digest (a cache entry) needs neither the
  // barrier nor the stamps: a copy that is not exactly those bytes is
  // refused anyway.
  const bool known = options.expected_xxh3.has_value();
  if (!known) {
    wait_for_writers(fd);
  }
  if (before.size < 0) {
    return fail(make_error(Errc::malformed, source, "has a negative size"));
  }
  const auto size = static_cast<std::uint64_t>(before.size);
  if (size > options.max_size) {
    return fail(too_large_error(source, size, options.max_size));
  }

  // A file that fits in the bounce buffer is read once, into memory; a
  // larger one twice, unless its digest is known or hinted.
  const bool small = size <= k_copy_buffer_size;
  std::vector<std::byte> whole;
  Xxh3Digest named;
  if (small) {
    whole.resize(static_cast<std::size_t>(size));
    SEALEXEC_TRY(read_range(fd, 0, whole, source));
    named = xxh3_128(whole);
  } else if (known) {
    named = *options.expected_xxh3;
  } else if (hint) {
    named = *hint;
  } else {
    SEALEXEC_TRY_ASSIGN(named, hash_file_range(fd, 0, size, source, stop));
  }

  std::string memfd_name = image_memfd_name(basename, named);
  SEALEXEC_TRY_ASSIGN(Fd memfd, create_memfd(memfd_name, options.executable, source));
  Xxh3Digest copied = named;
  if (small) {
    SEALEXEC_TRY(write_all(memfd.get(), whole, source));
  } else {
    SEALEXEC_TRY_ASSIGN(copied, copy_range_hashing(fd, 0, size, memfd.get(), source, stop));
  }

  if (!known) {
    SEALEXEC_TRY_ASSIGN(const FileStamp after, read_stamp(fd, source));
    if (after != before || copied != named) {
      return fail(changed_during_copy(source));
    }
  }
  // With a known digest, `copied` is what the memfd holds and
  // seal_and_check compares it with the one expected.
  auto sealed =
      seal_and_check(std::move(memfd), size, copied, std::move(memfd_name), source, options);
  if (sealed && small) {
    // What was written is what is sealed: the head needs no read back.
    whole.resize(std::min<std::size_t>(whole.size(), k_image_head_size));
    sealed->head = std::move(whole);
  }
  return sealed;
}

} // namespace

Expected<void> check_pinned_sha256(int fd, std::uint64_t size, std::string_view source,
                                   const ImageOptions& options) {
  if (!options.expected_sha256) {
    return {};
  }
  SEALEXEC_TRY_ASSIGN(const Sha256Digest actual, sha256_file_range(fd, 0, size, source));
  if (actual != *options.expected_sha256) {
    return fail(make_error(Errc::digest_mismatch, source,
                           fmt::format("SHA-256 mismatch: expected {}, got {}",
                                       options.expected_sha256->hex(), actual.hex())));
  }
  return {};
}

Expected<Sealed> seal_regular_file(int fd, const struct stat& first, std::string_view source,
                                   std::string_view basename, const ImageOptions& options,
                                   ReadLease::Descriptor descriptor, const CopyStop& stop,
                                   std::optional<Xxh3Digest> hint) {
  FileStamp before = stamp_of(first);
  // Changes stamped before this moment were over before the copy began.
  const std::int64_t began_ns = coarse_now_ns();
  std::chrono::milliseconds waited{0};
  for (int attempt = 1;; ++attempt) {
    // Under a lease nobody is in the middle of rewriting the file, with
    // however many writes, and nobody starts to; without one (not ours,
    // no CAP_LEASE, no leases here) the stamps below are the only guard. A
    // caller that knows the digest (a cache hit) needs neither: a copy
    // that is not exactly those bytes is refused anyway.
    const ReadLease lease = options.expected_xxh3 ? ReadLease::none()
                                                  : ReadLease::take(fd, descriptor);
    if (lease.state() == ReadLease::State::writers) {
      if (waited >= k_writer_wait) {
        return fail(make_error(
            Errc::changed, source,
            fmt::format("is open for writing by another process, so it may be in the middle "
                        "of a rewrite; waited {} ms for it to be closed (replace it by rename "
                        "instead of rewriting it in place)",
                        waited.count())));
      }
      const auto pause = std::max(std::chrono::milliseconds(1), waited);
      std::this_thread::sleep_for(pause);
      waited += pause;
      --attempt; // waiting is no copy attempt
      SEALEXEC_TRY_ASSIGN(before, read_stamp(fd, source));
      continue;
    }
    auto sealed = copy_once(fd, before, source, basename, options, hint, stop);
    if (sealed) {
      const std::int64_t ctime_ns = before.ctime_sec * 1'000'000'000 + before.ctime_nsec;
      if (stamped_before(ctime_ns, began_ns)) {
        sealed->settled = before;
        if (options.remember_digests && !hint && !options.expected_xxh3 &&
            before.size >= static_cast<std::int64_t>(k_digest_hint_min_size)) {
          remember_digest(before, sealed->digest);
        }
      }
      return sealed;
    }
    if (sealed.error().code != Errc::changed) {
      return sealed;
    }
    if (hint) {
      // The hint was wrong, or the file changed: either way, copy it the
      // ordinary way.
      forget_digest(before);
      hint.reset();
      --attempt; // the hint's failure is no copy attempt
    }
    if (attempt == k_copy_attempts) {
      return fail(make_error(
          Errc::changed, source,
          fmt::format("kept changing while it was being copied ({} attempts), so no copy holds "
                      "one whole version of it; replace it by rename instead of rewriting it in "
                      "place",
                      k_copy_attempts)));
    }
    SEALEXEC_TRY_ASSIGN(before, read_stamp(fd, source));
  }
}

Expected<Sealed> seal_stream(int fd, std::string_view source, std::string_view basename,
                             const ImageOptions& options) {
  SEALEXEC_TRY_ASSIGN(Fd staging, create_memfd("sealexec:staging", Executable::no, source));
  SEALEXEC_TRY_ASSIGN(const StreamCopy copied,
                      copy_stream(fd, staging.get(), options.max_size, source));
  std::string memfd_name = image_memfd_name(basename, copied.digest);
  SEALEXEC_TRY_ASSIGN(Fd memfd, create_memfd(memfd_name, options.executable, source));
  constexpr std::uint64_t k_chunk = 4U << 20;
  for (std::uint64_t done = 0; done < copied.size;) {
    const std::uint64_t length = std::min(k_chunk, copied.size - done);
    SEALEXEC_TRY(copy_range(staging.get(), done, length, memfd.get(), source));
    // Releasing the copied range is only an optimisation, so a failure is
    // ignored.
    ::fallocate(staging.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                static_cast<off_t>(done), static_cast<off_t>(length));
    done += length;
  }
  staging.reset();
  // Both memfds were only ever ours: the named one holds what was hashed.
  return seal_and_check(std::move(memfd), copied.size, copied.digest, std::move(memfd_name),
                        source, options);
}

Expected<Sealed> seal_buffer(std::span<const std::byte> bytes, std::string_view source,
                             std::string_view basename, const ImageOptions& options) {
  if (bytes.size() > options.max_size) {
    return fail(too_large_error(source, bytes.size(), options.max_size));
  }
  const Xxh3Digest digest = xxh3_128(bytes);
  std::string memfd_name = image_memfd_name(basename, digest);
  SEALEXEC_TRY_ASSIGN(Fd memfd, create_memfd(memfd_name, options.executable, source));
  SEALEXEC_TRY(write_all(memfd.get(), bytes, source));
  SEALEXEC_TRY_ASSIGN(const Xxh3Digest written,
                      hash_file_range(memfd.get(), 0, bytes.size(), source));
  if (written != digest) {
    return fail(changed_during_copy(source));
  }
  return seal_and_check(std::move(memfd), bytes.size(), digest, std::move(memfd_name), source,
                        options);
}

} // namespace sealexec
