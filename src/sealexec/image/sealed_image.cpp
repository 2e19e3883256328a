#include "sealexec/image/sealed_image.h"

#include "sealexec/image/copy.h"
#include "sealexec/util/fd.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace sealexec {

namespace {
// The sealed memfd and what is known about its bytes.
struct Sealed {
  Fd fd;
  Mapping mapping;
  std::uint64_t size = 0;
  Xxh3Digest digest;
  std::string memfd_name;
};
} // namespace

struct SealedImage::Parts {
  Sealed sealed;
  std::string source;
  std::optional<std::filesystem::path> origin;
  Privileges privileges;
};

SealedImage::SealedImage(Parts parts)
    : m_fd(std::move(parts.sealed.fd)),
      m_mapping(std::move(parts.sealed.mapping)),
      m_size(parts.sealed.size),
      m_digest(parts.sealed.digest),
      m_memfd_name(std::move(parts.sealed.memfd_name)),
      m_source(std::move(parts.source)),
      m_origin(std::move(parts.origin)),
      m_privileges(parts.privileges),
      m_kind(classify(m_mapping.bytes())) {}

namespace {

// A source that changes while we copy it is read again, this many times.
constexpr int k_copy_attempts = 3;

Error changed_error(std::string_view source) {
  return make_error(Errc::changed, source,
                    fmt::format("kept changing while it was being copied (tried {} times)",
                                k_copy_attempts));
}

Error too_large_error(std::string_view source, std::uint64_t size, std::uint64_t limit) {
  return make_error(Errc::too_large, source,
                    fmt::format("is {} bytes, more than the limit of {} bytes", size, limit));
}

// Seals a filled memfd, maps it, and checks that the sealed bytes have the
// digest its name was made from (and the caller's SHA-256, if any).
//
// `copied_digest`, when given, is the digest of the bytes as they were
// written into the memfd, hashed from our own buffer: only this process holds
// the unsealed memfd, so the sealed bytes are those, and hashing them again
// would only cost a pass over the whole image.
Expected<Sealed> seal_and_verify(Fd fd, std::uint64_t size, const Xxh3Digest& named_digest,
                                 std::string memfd_name, std::string_view source,
                                 const ImageOptions& options,
                                 std::optional<Xxh3Digest> copied_digest = std::nullopt) {
  SEALEXEC_TRY(seal_memfd(fd.get(), memfd_name));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(system_error("cannot inspect", memfd_name, "fstat"));
  }
  if (static_cast<std::uint64_t>(st.st_size) != size) {
    return fail(make_error(Errc::changed, source,
                           fmt::format("the sealed copy has {} bytes, expected {}", st.st_size,
                                       size)));
  }
  SEALEXEC_TRY_ASSIGN(Mapping mapping,
                      Mapping::map_read_only(fd.get(), static_cast<std::size_t>(size),
                                             memfd_name,
                                             copied_digest ? Prefault::no : Prefault::yes));
  const Xxh3Digest actual = copied_digest ? *copied_digest : xxh3_128(mapping.bytes());
  if (options.expected_xxh3 && actual != *options.expected_xxh3) {
    return fail(make_error(Errc::digest_mismatch, source,
                           fmt::format("XXH3-128 mismatch: expected {}, got {}",
                                       options.expected_xxh3->hex(), actual.hex())));
  }
  if (actual != named_digest) {
    return fail(make_error(Errc::changed, source, "changed while it was being copied"));
  }
  if (options.expected_sha256) {
    const Sha256Digest actual_sha256 = sha256(mapping.bytes());
    if (actual_sha256 != *options.expected_sha256) {
      return fail(make_error(Errc::digest_mismatch, source,
                             fmt::format("SHA-256 mismatch: expected {}, got {}",
                                         options.expected_sha256->hex(), actual_sha256.hex())));
    }
  }
  return Sealed{.fd = std::move(fd),
                .mapping = std::move(mapping),
                .size = size,
                .digest = named_digest,
                .memfd_name = std::move(memfd_name)};
}

// The directory of the file open as `fd`, as ld.so would compute $ORIGIN had
// it been exec'd from disk: the kernel's own path for the open file, with
// every symlink resolved. One readlink; realpath(3) needs one per component.
std::optional<std::filesystem::path> directory_of(int fd, const std::filesystem::path& path) {
  auto real = real_path_of(fd, path);
  if (!real) {
    return std::nullopt;
  }
  return real->parent_path();
}

std::string default_name(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  return name.empty() ? std::string("program") : name;
}

Expected<std::uint64_t> size_of(int fd, std::string_view source) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(system_error("cannot inspect", source, "fstat"));
  }
  if (st.st_size < 0) {
    return fail(make_error(Errc::malformed, source, "has a negative size"));
  }
  return static_cast<std::uint64_t>(st.st_size);
}

// One attempt at copying `size` bytes of a regular file. The memfd's name
// must carry the digest of the bytes it will hold, and a memfd cannot be
// renamed, so the file is hashed first, copied, and the sealed copy hashed
// again. Errc::changed means the file changed meanwhile.
Expected<Sealed> copy_regular_file(int fd, std::uint64_t size, std::string_view source,
                                   std::string_view basename, const ImageOptions& options) {
  if (size > options.max_size) {
    return fail(too_large_error(source, size, options.max_size));
  }
  if (options.expected_xxh3) {
    // One pass: copy and hash together, and compare with what was expected.
    std::string memfd_name = image_memfd_name(basename, *options.expected_xxh3);
    SEALEXEC_TRY_ASSIGN(Fd memfd, create_memfd(memfd_name, options.executable, source));
    SEALEXEC_TRY_ASSIGN(const Xxh3Digest copied,
                        copy_range_hashing(fd, 0, size, memfd.get(), source));
    // Exactly the bytes the caller asked for, whatever came after them.
    return seal_and_verify(std::move(memfd), size, *options.expected_xxh3,
                           std::move(memfd_name), source, options, copied);
  }
  SEALEXEC_TRY_ASSIGN(const Xxh3Digest digest, hash_file_range(fd, 0, size, source));
  std::string memfd_name = image_memfd_name(basename, digest);
  SEALEXEC_TRY_ASSIGN(Fd memfd, create_memfd(memfd_name, options.executable, source));
  SEALEXEC_TRY(copy_range(fd, 0, size, memfd.get(), source));
  SEALEXEC_TRY_ASSIGN(Sealed sealed, seal_and_verify(std::move(memfd), size, digest,
                                                     std::move(memfd_name), source, options));
  // A file that grew meanwhile would leave us with a prefix of it.
  SEALEXEC_TRY_ASSIGN(const std::uint64_t size_after, size_of(fd, source));
  if (size_after != size) {
    return fail(make_error(Errc::changed, source, "changed size while it was being copied"));
  }
  return sealed;
}

// Copies a regular file whose size was `first_size`, again while it keeps
// changing underneath, up to k_copy_attempts times.
Expected<Sealed> seal_regular_file(int fd, std::string_view source, std::string_view basename,
                                   const ImageOptions& options, std::uint64_t first_size) {
  std::uint64_t size = first_size;
  for (int attempt = 0; attempt < k_copy_attempts; ++attempt) {
    if (attempt > 0) {
      SEALEXEC_TRY_ASSIGN(size, size_of(fd, source));
    }
    auto sealed = copy_regular_file(fd, size, source, basename, options);
    if (sealed || sealed.error().code != Errc::changed) {
      return sealed;
    }
  }
  return fail(changed_error(source));
}

// Copies a pipe or socket. A stream can be read only once, so it goes into
// an unnamed staging memfd first; the final, named memfd is filled from it
// while the staging copy's pages are released behind the copy, so peak memory
// stays at one image plus one chunk.
Expected<Sealed> seal_stream(int fd, std::string_view source, std::string_view basename,
                             const ImageOptions& options) {
  SEALEXEC_TRY_ASSIGN(Fd staging, create_memfd("sealexec:staging", Executable::no, source));
  SEALEXEC_TRY_ASSIGN(const std::uint64_t size,
                      copy_stream(fd, staging.get(), options.max_size, source));
  Xxh3Digest digest;
  {
    SEALEXEC_TRY_ASSIGN(const Mapping view, Mapping::map_read_only(
                                                staging.get(), static_cast<std::size_t>(size),
                                                "sealexec:staging"));
    digest = xxh3_128(view.bytes());
  }
  std::string memfd_name = image_memfd_name(basename, digest);
  SEALEXEC_TRY_ASSIGN(Fd memfd, create_memfd(memfd_name, options.executable, source));
  constexpr std::uint64_t k_chunk = 4U << 20;
  for (std::uint64_t done = 0; done < size;) {
    const std::uint64_t length = std::min(k_chunk, size - done);
    SEALEXEC_TRY(copy_range(staging.get(), done, length, memfd.get(), "sealexec:staging"));
    // Releasing the copied range is only an optimisation, so a failure is
    // ignored.
    ::fallocate(staging.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                static_cast<off_t>(done), static_cast<off_t>(length));
    done += length;
  }
  staging.reset();
  return seal_and_verify(std::move(memfd), size, digest, std::move(memfd_name), source, options);
}

} // namespace

Expected<SealedImage> SealedImage::from_path(const std::filesystem::path& path,
                                             const ImageOptions& options) {
  SEALEXEC_TRY_ASSIGN(OpenedProgram program, open_program(path));
  Parts parts;
  parts.source = path.string();
  const std::string basename = options.name.empty() ? default_name(path) : options.name;
  SEALEXEC_TRY_ASSIGN(parts.sealed,
                      seal_regular_file(program.fd.get(), parts.source, basename, options,
                                        static_cast<std::uint64_t>(program.st.st_size)));
  parts.privileges = privileges_of(program.fd.get(), program.st);
  parts.origin = options.origin ? options.origin : directory_of(program.fd.get(), path);
  return SealedImage(std::move(parts));
}

Expected<SealedImage> SealedImage::from_fd(int fd, const ImageOptions& options) {
  Parts parts;
  parts.source = fd == STDIN_FILENO ? std::string("<stdin>") : fmt::format("<fd {}>", fd);
  parts.origin = options.origin;
  const std::string basename =
      !options.name.empty() ? options.name : (fd == STDIN_FILENO ? "stdin" : "fd");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(system_error("cannot inspect", parts.source, "fstat"));
  }
  if (S_ISREG(st.st_mode)) {
    SEALEXEC_TRY_ASSIGN(parts.sealed,
                        seal_regular_file(fd, parts.source, basename, options,
                                          static_cast<std::uint64_t>(st.st_size)));
    parts.privileges = privileges_of(fd, st);
  } else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
    SEALEXEC_TRY_ASSIGN(parts.sealed, seal_stream(fd, parts.source, basename, options));
  } else {
    const bool terminal = ::isatty(fd) != 0;
    return fail(make_error(
        Errc::not_runnable, parts.source,
        terminal ? std::string("is a terminal; pipe or redirect a program into it")
                 : fmt::format("is {}; expected a regular file, a pipe or a socket",
                               file_type_name(st))));
  }
  return SealedImage(std::move(parts));
}

Expected<SealedImage> SealedImage::from_stdin(const ImageOptions& options) {
  return from_fd(STDIN_FILENO, options);
}

Expected<SealedImage> SealedImage::from_bytes(std::span<const std::byte> bytes,
                                              const ImageOptions& options) {
  Parts parts;
  parts.source = "<memory>";
  parts.origin = options.origin;
  if (bytes.size() > options.max_size) {
    return fail(too_large_error(parts.source, bytes.size(), options.max_size));
  }
  const Xxh3Digest digest = xxh3_128(bytes);
  std::string memfd_name = image_memfd_name(options.name.empty() ? "memory" : options.name, digest);
  SEALEXEC_TRY_ASSIGN(Fd memfd, create_memfd(memfd_name, options.executable, parts.source));
  SEALEXEC_TRY(write_all(memfd.get(), bytes, parts.source));
  // A caller that changes `bytes` while we copy gets Errc::changed.
  SEALEXEC_TRY_ASSIGN(parts.sealed, seal_and_verify(std::move(memfd), bytes.size(), digest,
                                                    std::move(memfd_name), parts.source, options));
  return SealedImage(std::move(parts));
}

Sha256Digest SealedImage::sha256() const { return sealexec::sha256(bytes()); }

std::string image_memfd_name(std::string_view basename, const Xxh3Digest& digest) {
  constexpr std::string_view k_prefix = "sealexec:";
  constexpr std::size_t k_digest_digits = 12;
  const std::size_t room = k_memfd_name_max - k_prefix.size() - 1 - k_digest_digits;
  std::string name(k_prefix);
  for (const char c : basename.substr(0, room)) {
    const auto u = static_cast<unsigned char>(c);
    name += (u <= 0x20 || u == 0x7f) ? '_' : c;
  }
  name += ':';
  name += digest.hex().substr(0, k_digest_digits);
  return name;
}

ImageKind classify(std::span<const std::byte> head) {
  static constexpr std::array k_elf_magic{std::byte{0x7f}, std::byte{'E'}, std::byte{'L'},
                                          std::byte{'F'}};
  if (head.size() >= k_elf_magic.size() && std::ranges::equal(head.first(4), k_elf_magic)) {
    return ImageKind::elf;
  }
  if (head.size() >= 2 && head[0] == std::byte{'#'} && head[1] == std::byte{'!'}) {
    return ImageKind::script;
  }
  return ImageKind::other;
}

} // namespace sealexec
