#include "sealexec/image/sealed_image.h"

#include "sealexec/image/copy.h"
#include "sealexec/image/digest_hints.h"
#include "sealexec/image/file_stamp.h"
#include "sealexec/image/memory_tier.h"
#include "sealexec/image/sealing.h"
#include "sealexec/util/fd.h"
#include "sealexec/util/terminal_text.h"
#include "sealexec/util/mapping.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <array>
#include <mutex>

namespace sealexec {

struct SealedImage::Parts {
  Sealed sealed;
  std::string source;
  std::optional<std::filesystem::path> origin;
  Privileges privileges;
  std::vector<std::byte> head;
  bool from_memory_tier = false;
};

struct SealedImage::View {
  std::once_flag once;
  Expected<Mapping> mapping;
};

SealedImage::SealedImage(Parts parts)
    : m_fd(std::move(parts.sealed.fd)),
      m_size(parts.sealed.size),
      m_head(std::move(parts.head)),
      m_view(std::make_unique<View>()),
      m_digest(parts.sealed.digest),
      m_memfd_name(std::move(parts.sealed.memfd_name)),
      m_source(std::move(parts.source)),
      m_origin(std::move(parts.origin)),
      m_privileges(parts.privileges),
      m_kind(classify(m_head)),
      m_from_memory_tier(parts.from_memory_tier) {}

SealedImage::SealedImage(SealedImage&&) noexcept = default;
SealedImage& SealedImage::operator=(SealedImage&&) noexcept = default;
SealedImage::~SealedImage() = default;

Expected<SealedImage> SealedImage::finish(Parts parts) {
  // Read back from the sealed memfd, unless the copy kept the bytes it
  // wrote there: what the checks look at is what runs.
  const auto head_size =
      static_cast<std::size_t>(std::min<std::uint64_t>(parts.sealed.size, k_image_head_size));
  if (parts.sealed.head.size() == head_size) {
    parts.head = std::move(parts.sealed.head);
  } else {
    parts.head.resize(head_size);
    SEALEXEC_TRY(read_range(parts.sealed.fd.get(), 0, parts.head, parts.source));
  }
  return SealedImage(std::move(parts));
}

namespace {

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

// The memory tier's key for the regular file `st` about to be sealed as
// `basename`: its content digest when the caller knows it (a cache blob),
// else its identity.
TierKey tier_key(const struct stat& st, std::string_view basename, const ImageOptions& options) {
  TierKey key;
  key.size = static_cast<std::uint64_t>(st.st_size);
  key.executable = options.executable;
  key.name = std::string(basename);
  if (options.expected_xxh3) {
    key.kind = TierKey::Kind::blob;
    key.digest = *options.expected_xxh3;
  } else {
    key.kind = TierKey::Kind::file;
    key.file = stamp_of(st);
  }
  return key;
}

// seal_regular_file, through the memory tier when the options name one:
// what it holds for the file is used instead of a copy, and a copy made is
// offered to it.
// How long to wait for the memory tier's answer before copying (the copy
// then listens for it between chunks, every 256 KiB at first): a tenth of
// what copying `size` bytes costs (about 2 GB/s), at least what a reply
// takes on an idle machine (so that a hit is not lost to a copy already
// under way) and at most the tier's timeout. A miss is answered as fast as
// a hit, so only a stopped or overloaded server makes a client wait this
// long.
std::chrono::microseconds first_wait(std::uint64_t size, std::chrono::milliseconds timeout) {
  const auto tenth_of_copy = std::chrono::microseconds(size / 20'000);
  return std::clamp<std::chrono::microseconds>(tenth_of_copy, std::chrono::microseconds(150),
                                               timeout);
}

Expected<Sealed> served_image(TierImage served, std::uint64_t size, std::string_view source,
                              const ImageOptions& options) {
  SEALEXEC_TRY(check_pinned_sha256(served.fd.get(), size, source, options));
  return Sealed{.fd = std::move(served.fd),
                .size = size,
                .digest = served.digest,
                .memfd_name = std::move(served.memfd_name)};
}

// seal_regular_file, through the memory tier when the options name one. The
// tier is asked first; its answer is awaited briefly, then listened for
// between chunks while the file is copied, so a miss or a slow server costs
// the copy almost nothing. An image served replaces the copy; a copy made
// is offered to the tier.
Expected<Sealed> seal_file(int fd, const struct stat& st, std::string_view source,
                           std::string_view basename, const ImageOptions& options,
                           ReadLease::Descriptor descriptor, bool& from_memory_tier) {
  MemoryTier* tier = options.memory_tier;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const bool use_tier = tier != nullptr && st.st_size > 0 && tier->wants(size) &&
                        size <= options.max_size;
  // A remembered digest saves the copy a read. It also tells whether the
  // file was ever copied by this user: a file copied once, and settled,
  // leaves one, and the tier holds nothing that did not. A file seen for
  // the first time is therefore not asked for (and, not settled or not, the
  // copy makes its hint), so a first run pays the tier nothing.
  std::optional<Xxh3Digest> hint;
  bool asked_before = true;
  if (options.remember_digests && !options.expected_xxh3 &&
      size >= k_digest_hint_min_size) {
    hint = recall_digest(stamp_of(st));
    asked_before = hint.has_value();
  }
  TierKey key;
  std::optional<PendingFind> pending;
  bool identity_known = false;
  if (use_tier && asked_before) {
    key = tier_key(st, basename, options);
    if (key.kind == TierKey::Kind::file) {
      const auto mount = identity_mount(fd, descriptor == ReadLease::Descriptor::ours);
      identity_known = mount.has_value();
      key.mount_id = mount.value_or(0);
    } else {
      identity_known = true;
    }
    if (identity_known) {
      pending = tier->ask(key);
    }
  }
  std::optional<TierImage> served;
  const auto listen = [&](std::chrono::microseconds wait) {
    if (!pending || pending->settled()) {
      return false;
    }
    served = pending->ready(wait);
    if (served && options.expected_xxh3 && served->digest != *options.expected_xxh3) {
      served.reset();
    }
    return served.has_value();
  };
  if (!listen(first_wait(size, tier ? tier->options().timeout : std::chrono::milliseconds(0)))) {
    auto sealed = seal_regular_file(fd, st, source, basename, options, descriptor,
                                    pending ? CopyStop([&] { return listen({}); }) : CopyStop(),
                                    hint);
    if (sealed || sealed.error().code != Errc::cancelled || !served) {
      if (sealed && identity_known && !served && (options.expected_xxh3 || sealed->settled)) {
        if (key.kind == TierKey::Kind::file) {
          key.file = *sealed->settled;
          key.size = sealed->size;
        }
        tier->offer(key, sealed->fd.get(), sealed->digest);
      }
      return sealed;
    }
  }
  from_memory_tier = true;
  return served_image(std::move(*served), size, source, options);
}

std::string default_name(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  return name.empty() ? std::string("program") : name;
}

} // namespace

Expected<SealedImage> SealedImage::from_path(const std::filesystem::path& path,
                                             const ImageOptions& options) {
  SEALEXEC_TRY_ASSIGN(OpenedProgram program, open_program(path));
  Parts parts;
  parts.source = options.source.empty() ? path.string() : options.source;
  const std::string basename = options.name.empty() ? default_name(path) : options.name;
  SEALEXEC_TRY_ASSIGN(parts.sealed,
                      seal_file(program.fd.get(), program.st, parts.source, basename, options,
                                ReadLease::Descriptor::ours, parts.from_memory_tier));
  parts.privileges = privileges_of(program.fd.get(), program.st);
  parts.origin = options.origin ? options.origin : directory_of(program.fd.get(), path);
  return finish(std::move(parts));
}

Expected<SealedImage> SealedImage::from_fd(int fd, const ImageOptions& options) {
  Parts parts;
  parts.source = !options.source.empty() ? options.source
                 : fd == STDIN_FILENO    ? std::string("<stdin>")
                                         : fmt::format("<fd {}>", fd);
  parts.origin = options.origin;
  const std::string basename =
      !options.name.empty() ? options.name : (fd == STDIN_FILENO ? "stdin" : "fd");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(system_error("cannot inspect", parts.source, "fstat"));
  }
  if (S_ISREG(st.st_mode)) {
    SEALEXEC_TRY_ASSIGN(parts.sealed,
                        seal_file(fd, st, parts.source, basename, options,
                                  ReadLease::Descriptor::shared, parts.from_memory_tier));
    if (options.file_privileges) {
      parts.privileges = privileges_of(fd, st);
    }
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
  return finish(std::move(parts));
}

Expected<SealedImage> SealedImage::from_stdin(const ImageOptions& options) {
  return from_fd(STDIN_FILENO, options);
}

Expected<SealedImage> SealedImage::from_bytes(std::span<const std::byte> bytes,
                                              const ImageOptions& options) {
  Parts parts;
  parts.source = options.source.empty() ? std::string("<memory>") : options.source;
  parts.origin = options.origin;
  SEALEXEC_TRY_ASSIGN(parts.sealed,
                      seal_buffer(bytes, parts.source,
                                  options.name.empty() ? "memory" : options.name, options));
  return finish(std::move(parts));
}

Expected<Mapping> SealedImage::map_separately(Executable executable) const {
  if (m_size > SIZE_MAX) {
    return fail(make_error(Errc::too_large, m_source, "is larger than this process can map"));
  }
  const auto size = static_cast<std::size_t>(m_size);
  SEALEXEC_TRY_ASSIGN(const Fd read_only, reopen_read_only(m_fd.get(), m_source));
  return executable == Executable::yes
             ? Mapping::map_read_execute(read_only.get(), size, m_source)
             : Mapping::map_read_only(read_only.get(), size, m_source);
}

Expected<std::span<const std::byte>> SealedImage::map() const {
  std::call_once(m_view->once,
                 [this] { m_view->mapping = map_separately(Executable::no); });
  if (!m_view->mapping) {
    return fail(m_view->mapping.error());
  }
  return m_view->mapping->bytes();
}

std::span<const std::byte> SealedImage::bytes() const {
  auto view = map();
  return view ? *view : std::span<const std::byte>();
}

Expected<Sha256Digest> SealedImage::sha256() const {
  return sha256_file_range(m_fd.get(), 0, m_size, m_source);
}

std::string image_memfd_name(std::string_view basename, const Xxh3Digest& digest) {
  constexpr std::string_view k_prefix = "sealexec:";
  constexpr std::size_t k_digest_digits = 12;
  const std::size_t room = k_memfd_name_max - k_prefix.size() - 1 - k_digest_digits;
  // ps, top, gdb and audit logs print the name raw: nothing in it may be
  // a control character (C0, DEL, C1 raw or in UTF-8, bidirectional
  // overrides, bytes that are not UTF-8), and a space would split it.
  std::string name(k_prefix);
  for (const char c : replace_terminal_controls(basename.substr(0, room), '_')) {
    name += c == ' ' ? '_' : c;
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
