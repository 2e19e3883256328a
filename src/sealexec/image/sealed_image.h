// A program (or any bytes) copied into an anonymous memory file and sealed so
// that nobody, including us, can change those bytes again.
#pragma once

#include "sealexec/image/memfd.h"
#include "sealexec/image/source.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"
#include "sealexec/util/mapping.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealexec {

class MemoryTier;

enum class ImageKind {
  elf,    // starts with the ELF magic
  script, // starts with "#!"
  other,
};

struct ImageOptions {
  // The <basename> part of the memfd name; defaults to the file's basename,
  // "stdin" for standard input and "memory" for a buffer.
  std::string name;
  // When set, the image is refused (Errc::digest_mismatch) unless the SHA-256
  // of the sealed bytes equals it.
  std::optional<Sha256Digest> expected_sha256;
  // When set, the image is refused (Errc::digest_mismatch) unless the
  // XXH3-128 of the sealed bytes equals it. A regular file whose digest the
  // caller already knows (a cache entry records it) is then not hashed
  // before copying, which saves a read of the whole file.
  std::optional<Xxh3Digest> expected_xxh3;
  // Larger sources are refused with Errc::too_large: a file before anything
  // is copied, a stream (pipe, socket) as soon as more than this many bytes
  // have arrived, so that reading one takes at most this much memory plus a
  // 4 MiB chunk.
  std::uint64_t max_size = std::uint64_t{4} << 30;
  // Executable::no makes a memfd the kernel will never exec (MFD_NOEXEC_SEAL),
  // for data that is only mapped.
  Executable executable = Executable::yes;
  // The image's origin(); by default the directory of the source file.
  std::optional<std::filesystem::path> origin;
  // The image's source(), which errors name; by default the path, "<stdin>",
  // "<fd N>" or "<memory>".
  std::string source;
  // When set, a regular file of at least memory_tier->wants() bytes is first
  // asked of the memory tier (memory_tier.h), by its content digest when
  // expected_xxh3 is set (a cache blob), else by its identity; a copy made
  // here is offered to it. Not owned.
  MemoryTier* memory_tier = nullptr;
  // Read the privileges a source file would grant (set-id bits and the
  // security.capability xattr: lost_privileges()). A content-addressed load
  // (a cache blob, which sealexec wrote 0444 itself) has none to lose and
  // skips the xattr read.
  bool file_privileges = true;
  // Remember the digests of large regular files by identity, so that the
  // next copy reads them once (digest_hints.h).
  bool remember_digests = false;
};

// How many of an image's first bytes it keeps in memory (SealedImage::head):
// enough for the kernel's look at a script, and for an ELF file's headers,
// program headers and, in small programs, everything else the checks read.
inline constexpr std::size_t k_image_head_size = 16 * 1024;

// Nothing maps the whole image unless a caller asks for all of its bytes at
// once (bytes(), map()): the checks read its head from memory and the rest
// with pread (ImageSource), and exec needs only the descriptor.
class SealedImage {
public:
  // Copies the regular file at `path`. Errc::not_found when it does not
  // exist; Errc::not_runnable when it is not a readable regular file;
  // Errc::changed when it kept changing while it was copied (sealing.h).
  [[nodiscard]] static Expected<SealedImage> from_path(const std::filesystem::path& path,
                                                       const ImageOptions& options = {});
  // Copies what `fd` holds: all of a regular file (from offset 0, without
  // moving the descriptor's offset), or a pipe or socket read to its end. The
  // descriptor stays the caller's.
  [[nodiscard]] static Expected<SealedImage> from_fd(int fd, const ImageOptions& options = {});
  // from_fd(STDIN_FILENO); refuses a terminal.
  [[nodiscard]] static Expected<SealedImage> from_stdin(const ImageOptions& options = {});
  // Copies `bytes`.
  [[nodiscard]] static Expected<SealedImage> from_bytes(std::span<const std::byte> bytes,
                                                        const ImageOptions& options = {});

  SealedImage(SealedImage&&) noexcept;
  SealedImage& operator=(SealedImage&&) noexcept;
  ~SealedImage();

  // The sealed memfd, close-on-exec. Its seals make every write, resize or
  // mode change fail, whatever the descriptor's access mode.
  [[nodiscard]] int fd() const { return m_fd.get(); }
  [[nodiscard]] std::uint64_t size() const { return m_size; }
  // The first min(size(), k_image_head_size) sealed bytes, kept in memory.
  [[nodiscard]] std::span<const std::byte> head() const { return m_head; }
  // A read-only view of all the sealed bytes, mapped on the first call (from
  // any thread) and kept while this object lives. It costs address space of
  // the image's size, which a process under `ulimit -v` may not have: fails
  // (Errc::system, naming source()) when mmap does.
  [[nodiscard]] Expected<std::span<const std::byte>> map() const;
  // A read-only mapping of all the sealed bytes that is the caller's own (it
  // outlives the image), executable too with Executable::yes. Made through a
  // read-only descriptor: Linux before 6.7 refuses every shared mapping of a
  // write-sealed memfd through a writable one (map() uses it too).
  [[nodiscard]] Expected<Mapping> map_separately(Executable executable) const;
  // map(), or an empty span when the mapping cannot be made. Kept for callers
  // that cannot fail here; a caller for whom an empty view of a non-empty
  // image would be wrong must use map() or read fd().
  [[nodiscard]] std::span<const std::byte> bytes() const;
  // XXH3-128 of the sealed bytes; its first 12 hex digits are in the name.
  [[nodiscard]] const Xxh3Digest& digest() const { return m_digest; }
  // SHA-256 of the sealed bytes, read back from fd() on each call (about
  // 1.7 GB/s).
  [[nodiscard]] Expected<Sha256Digest> sha256() const;
  // "sealexec:<basename>:<12 hex digits>", as /proc/PID/exe, ps and perf show it.
  [[nodiscard]] const std::string& memfd_name() const { return m_memfd_name; }
  // Where the bytes came from, for messages: the path, "<stdin>", "<memory>".
  [[nodiscard]] const std::string& source() const { return m_source; }
  // The canonical directory of the source file (what ld.so would use for
  // $ORIGIN had the file run from disk); nullopt for fds and buffers.
  [[nodiscard]] const std::optional<std::filesystem::path>& origin() const { return m_origin; }
  // Privileges the source file would have granted; all lost in memory.
  [[nodiscard]] const Privileges& lost_privileges() const { return m_privileges; }
  [[nodiscard]] ImageKind kind() const { return m_kind; }
  // Whether the sealed memfd came from the memory tier instead of a copy.
  [[nodiscard]] bool from_memory_tier() const { return m_from_memory_tier; }

private:
  struct Parts;
  struct View;
  explicit SealedImage(Parts parts);
  [[nodiscard]] static Expected<SealedImage> finish(Parts parts);

  Fd m_fd;
  std::uint64_t m_size = 0;
  std::vector<std::byte> m_head;
  std::unique_ptr<View> m_view; // the whole mapping, made on demand
  Xxh3Digest m_digest;
  std::string m_memfd_name;
  std::string m_source;
  std::optional<std::filesystem::path> m_origin;
  Privileges m_privileges;
  ImageKind m_kind = ImageKind::other;
  bool m_from_memory_tier = false;
};

// The memfd name for `basename` and `digest`: "sealexec:<basename>:<12 hex>",
// with control characters and spaces in `basename` replaced by '_' and the
// basename shortened to keep the whole within the kernel's limit.
[[nodiscard]] std::string image_memfd_name(std::string_view basename, const Xxh3Digest& digest);

// The kind that the first bytes of a file announce.
[[nodiscard]] ImageKind classify(std::span<const std::byte> head);

} // namespace sealexec
