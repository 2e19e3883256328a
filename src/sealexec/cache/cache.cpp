#include "sealexec/cache/cache.h"

#include "sealexec/cache/compression.h"
#include "sealexec/cache/publish.h"
#include "sealexec/image/copy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

namespace sealexec::cache {

std::string entry_path(const Sha256Digest& key) {
  const std::string hex = key.hex();
  return fmt::format("ac/{}/{}", hex.substr(0, 2), hex);
}

std::string blob_path(const Sha256Digest& sha256) {
  const std::string hex = sha256.hex();
  return fmt::format("cas/{}/{}", hex.substr(0, 2), hex);
}

std::string compressed_blob_path(const Sha256Digest& sha256) { return blob_path(sha256) + ".zst"; }

namespace {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// A small file from the cache, read whole with a bound.
// Approximate LRU needs only this resolution; refreshing less often keeps a
// metadata write (and its journal traffic) off the common, repeated hit.
constexpr std::chrono::seconds k_lru_resolution{60};

// Reads a small published file through one descriptor, and refreshes its
// time there if it is stale (metadata only: the bytes stay as published).
Expected<std::vector<std::byte>> read_entry_file(const CacheDir& dir, const std::string& relative,
                                    std::size_t limit) {
  SEALEXEC_TRY_ASSIGN(const Fd fd, dir.open_beneath(relative, O_RDONLY | O_NONBLOCK));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(system_error("cannot inspect", dir.describe(relative), "fstat"));
  }
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) > limit) {
    return fail(make_error(Errc::malformed, dir.describe(relative),
                           "damaged cache entry: not a small regular file"));
  }
  std::vector<std::byte> bytes(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::pread(fd.get(), bytes.data() + done, bytes.size() - done,
                                static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return fail(system_error("cannot read", dir.describe(relative), "pread"));
    }
    done += static_cast<std::size_t>(got);
  }
  const auto age = std::chrono::system_clock::now().time_since_epoch() -
                   std::chrono::seconds(st.st_mtim.tv_sec);
  if (age >= k_lru_resolution) {
    ::futimens(fd.get(), nullptr);
  }
  return bytes;
}

bool is_absent(const Error& error) {
  return error.sys_errno == ENOENT || error.sys_errno == ENOTDIR;
}

} // namespace

Expected<Cache> Cache::open(const std::filesystem::path& directory, const CacheConfig& config) {
  SEALEXEC_TRY_ASSIGN(CacheDir dir, CacheDir::open(directory));
  return Cache(std::move(dir), config);
}

Cache::~Cache() { flush_statistics(); }

void Cache::flush_statistics() {
  if (m_dir.fd() >= 0 && append_counters(m_dir, m_counters)) {
    m_counters = Counters{};
  }
  if (m_shared && m_dir.fd() >= 0) {
    m_shared->flush_statistics(m_dir);
  }
}

void Cache::prepare_for_exec() {
  flush_statistics();
  if (m_shared) {
    m_shared->disconnect();
  }
}

Expected<Counters> Cache::statistics() const {
  SEALEXEC_TRY_ASSIGN(Counters total, read_counters(m_dir));
  total += m_counters;
  return total;
}

void Cache::quarantine(const std::string& relative) {
  ++m_counters.corrupt;
  auto quarantine_dir = m_dir.subdirectory("quarantine");
  const std::size_t slash = relative.rfind('/');
  auto from_dir = m_dir.subdirectory(relative.substr(0, slash));
  if (!quarantine_dir || !from_dir) {
    return;
  }
  std::uint64_t random = 0;
  (void)::getrandom(&random, sizeof random, 0);
  const std::string leaf = relative.substr(slash + 1);
  const std::string target = fmt::format("{}.{:08x}", leaf, random & 0xffffffffU);
  // A rename, not a copy: the damaged file keeps its inode, so a reader that
  // has it open is not disturbed, and nothing is lost for a post-mortem.
  if (::renameat(from_dir->get(), leaf.c_str(), quarantine_dir->get(), target.c_str()) != 0) {
    ::unlinkat(from_dir->get(), leaf.c_str(), 0);
  }
}

Expected<ActionEntry> Cache::publish(const Sha256Digest& key, const Fingerprint& fingerprint,
                                     TempFile& blob, bool compressed, const Sha256Digest& sha,
                                     const Xxh3Digest& xxh, std::uint64_t size,
                                     std::string_view description) {
  // The blob first, then the entry that names it: a crash in between leaves
  // an orphaned blob for gc, never an entry without its blob.
  SEALEXEC_TRY(blob.finish());
  SEALEXEC_TRY(blob.link_if_absent(compressed ? compressed_blob_path(sha) : blob_path(sha)));
  ActionEntry entry{.fingerprint = fingerprint.canonical(),
                    .description = std::string(description.substr(0, k_max_description_size)),
                    .blob_sha256 = sha,
                    .blob_xxh3 = xxh,
                    .size = size,
                    .created_unix_ns = now_ns()};
  SEALEXEC_TRY_ASSIGN(TempFile action, TempFile::create(m_dir));
  SEALEXEC_TRY(write_all(action.fd(), serialize(entry), m_dir.describe("tmp/" + action.name())));
  SEALEXEC_TRY(action.finish());
  SEALEXEC_TRY(action.rename_over(entry_path(key)));
  ++m_counters.puts;
  maybe_collect();
  return entry;
}

Expected<ActionEntry> Cache::put_local(const Sha256Digest& key, const Fingerprint& fingerprint,
                                       std::span<const std::byte> content,
                                       std::string_view description,
                                       const ActionEntry* verified) {
  if (m_config.compress) {
    // The compressor reads a descriptor; a private memfd serves.
    SEALEXEC_TRY_ASSIGN(const Fd staging, create_memfd("sealexec:put", Executable::no));
    SEALEXEC_TRY(write_all(staging.get(), content, "sealexec:put"));
    ::lseek(staging.get(), 0, SEEK_SET);
    return put_fd_local(key, fingerprint, staging.get(), description);
  }
  SEALEXEC_TRY_ASSIGN(TempFile blob, TempFile::create(m_dir));
  SEALEXEC_TRY(write_all(blob.fd(), content, m_dir.describe("tmp/" + blob.name())));
  if (verified != nullptr && verified->size == content.size()) {
    return publish(key, fingerprint, blob, false, verified->blob_sha256, verified->blob_xxh3,
                   content.size(), description);
  }
  return publish(key, fingerprint, blob, false, sealexec::sha256(content), xxh3_128(content),
                 content.size(), description);
}

Expected<void> Cache::put(const Sha256Digest& key, const Fingerprint& fingerprint,
                          std::span<const std::byte> content, std::string_view description,
                          Reach reach) {
  SEALEXEC_TRY_ASSIGN(const ActionEntry entry, put_local(key, fingerprint, content, description));
  if (reach == Reach::shared) {
    share(key, entry, content);
  }
  return {};
}

void Cache::share(const Sha256Digest& key, const ActionEntry& entry,
                  std::optional<std::span<const std::byte>> content) {
  if (!m_shared) {
    return;
  }
  if (content) {
    m_shared->store(m_dir, key, entry, *content);
    return;
  }
  // Read back what was just published: the one copy of the content there is.
  ImageOptions options;
  options.executable = Executable::no;
  auto blob = open_blob(entry, options);
  if (!blob || !*blob) {
    return; // evicted meanwhile: nothing to share
  }
  if (entry.size == 0) {
    m_shared->store(m_dir, key, entry, {});
    return;
  }
  auto mapping = Mapping::map_read_only((*blob)->fd.get(), static_cast<std::size_t>(entry.size),
                                        m_dir.describe(blob_path(entry.blob_sha256)),
                                        Prefault::yes);
  if (mapping) {
    m_shared->store(m_dir, key, entry, mapping->bytes());
  }
}

Expected<void> Cache::put_fd(const Sha256Digest& key, const Fingerprint& fingerprint, int fd,
                             std::string_view description, Reach reach) {
  SEALEXEC_TRY_ASSIGN(const ActionEntry entry, put_fd_local(key, fingerprint, fd, description));
  if (reach == Reach::shared) {
    share(key, entry, std::nullopt);
  }
  return {};
}

Expected<ActionEntry> Cache::put_fd_local(const Sha256Digest& key, const Fingerprint& fingerprint,
                                          int fd, std::string_view description) {
  SEALEXEC_TRY_ASSIGN(TempFile blob, TempFile::create(m_dir));
  if (m_config.compress) {
    SEALEXEC_TRY_ASSIGN(const CompressedCopy copy,
                        compress_stream(fd, blob.fd(), m_dir.describe("tmp/" + blob.name())));
    return publish(key, fingerprint, blob, true, copy.sha256, copy.xxh3, copy.size, description);
  }
  // Hash while copying, through one bounded buffer: the content is read
  // once, whatever its size.
  std::vector<std::byte> buffer(k_copy_buffer_size);
  Sha256Hasher sha;
  Xxh3Hasher xxh;
  std::uint64_t size = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail(system_error("cannot read what to store", description, "read"));
    }
    if (got == 0) {
      break;
    }
    const auto chunk = std::span(buffer).first(static_cast<std::size_t>(got));
    sha.update(chunk);
    xxh.update(chunk);
    SEALEXEC_TRY(write_all(blob.fd(), chunk, m_dir.describe("tmp/" + blob.name())));
    size += static_cast<std::uint64_t>(got);
  }
  return publish(key, fingerprint, blob, false, sha.digest(), xxh.digest(), size, description);
}

Expected<std::optional<ActionEntry>> Cache::lookup(const Sha256Digest& key,
                                                   const Fingerprint& fingerprint, Reach reach) {
  SEALEXEC_TRY_ASSIGN(auto local, lookup_local(key, fingerprint));
  if (local || reach == Reach::local_only || !m_shared) {
    return local;
  }
  auto fetched = m_shared->fetch(m_dir, key, fingerprint.canonical(), m_config.max_size);
  if (!fetched) {
    return local;
  }
  // Published here like any put, but not offered back to where it came from.
  // The tier has checked the content against the entry's SHA-256 and XXH3.
  SEALEXEC_TRY_ASSIGN(ActionEntry entry, put_local(key, fingerprint, fetched->content,
                                                   fetched->entry.description, &fetched->entry));
  --m_counters.puts;
  --m_counters.misses;
  ++m_counters.hits;
  return std::optional<ActionEntry>(std::move(entry));
}

Expected<std::optional<ActionEntry>> Cache::lookup_local(const Sha256Digest& key,
                                                         const Fingerprint& fingerprint) {
  const std::string relative = entry_path(key);
  auto file = read_entry_file(m_dir, relative, k_max_action_entry_size);
  if (!file) {
    if (is_absent(file.error())) {
      ++m_counters.misses;
      return std::optional<ActionEntry>();
    }
    if (file.error().code == Errc::malformed) {
      quarantine(relative);
      ++m_counters.misses;
      return std::optional<ActionEntry>();
    }
    return fail(std::move(file).error());
  }
  auto entry = parse_action_entry(*file, m_dir.describe(relative));
  // The fingerprint is part of the key, so a different one here means the
  // file is not what was written: damaged (or planted).
  if (!entry || entry->fingerprint != fingerprint.canonical()) {
    quarantine(relative);
    ++m_counters.misses;
    return std::optional<ActionEntry>();
  }
  ++m_counters.hits;
  return std::optional<ActionEntry>(std::move(*entry));
}

Expected<std::optional<Cache::OpenedBlob>> Cache::open_blob(const ActionEntry& entry,
                                                            ImageOptions options) {
  for (const bool compressed : {false, true}) {
    const std::string relative =
        compressed ? compressed_blob_path(entry.blob_sha256) : blob_path(entry.blob_sha256);
    auto fd = m_dir.open_beneath(relative, O_RDONLY | O_NONBLOCK);
    if (!fd) {
      if (is_absent(fd.error())) {
        continue;
      }
      if (fd.error().code != Errc::malformed) {
        return fail(std::move(fd).error()); // a directory that is not private, or I/O
      }
      quarantine(relative);
      return std::optional<OpenedBlob>();
    }
    if (!compressed) {
      return std::optional<OpenedBlob>(OpenedBlob{.fd = std::move(*fd)});
    }
    auto content = decompress_file(fd->get(), entry.size, m_dir.describe(relative));
    if (!content) {
      if (content.error().code == Errc::malformed) {
        quarantine(relative);
        return std::optional<OpenedBlob>();
      }
      return fail(std::move(content).error());
    }
    auto image = SealedImage::from_bytes(*content, options);
    if (!image) {
      if (image.error().code == Errc::digest_mismatch) {
        quarantine(relative);
        return std::optional<OpenedBlob>();
      }
      return fail(std::move(image).error());
    }
    Fd copy(::fcntl(image->fd(), F_DUPFD_CLOEXEC, 0));
    return std::optional<OpenedBlob>(
        OpenedBlob{.fd = std::move(copy), .decompressed = std::move(*image)});
  }
  return std::optional<OpenedBlob>(); // evicted or quarantined: a dangling entry
}

Expected<std::optional<SealedImage>> Cache::load_image(const Sha256Digest& key,
                                                       const Fingerprint& fingerprint,
                                                       ImageOptions options, Reach reach) {
  SEALEXEC_TRY_ASSIGN(auto entry, lookup(key, fingerprint, reach));
  if (!entry) {
    return std::optional<SealedImage>();
  }
  auto miss = [this](const std::optional<std::string>& damaged) {
    if (damaged) {
      quarantine(*damaged);
    }
    --m_counters.hits;
    ++m_counters.misses;
    return std::optional<SealedImage>();
  };
  options.max_size = entry->size;
  // The sealed copy is hashed anyway; checking it against the entry's digest
  // verifies every byte of every hit, and spares hashing the file first.
  options.expected_xxh3 = entry->blob_xxh3;
  SEALEXEC_TRY_ASSIGN(auto blob, open_blob(*entry, options));
  if (!blob) {
    return miss(std::nullopt);
  }
  auto image = blob->decompressed ? std::move(*blob->decompressed)
                                  : SealedImage::from_fd(blob->fd.get(), options);
  if (!image || image->size() != entry->size) {
    if (image || image.error().code == Errc::too_large || image.error().code == Errc::changed ||
        image.error().code == Errc::malformed || image.error().code == Errc::digest_mismatch) {
      return miss(blob->decompressed ? compressed_blob_path(entry->blob_sha256)
                                     : blob_path(entry->blob_sha256));
    }
    return fail(std::move(image).error());
  }
  return std::optional<SealedImage>(std::move(*image));
}

Expected<std::optional<MappedEntry>> Cache::load_mapping(const Sha256Digest& key,
                                                         const Fingerprint& fingerprint,
                                                         Reach reach) {
  SEALEXEC_TRY_ASSIGN(auto entry, lookup(key, fingerprint, reach));
  if (!entry) {
    return std::optional<MappedEntry>();
  }
  const std::string relative = blob_path(entry->blob_sha256);
  auto miss = [&](bool damaged) {
    if (damaged) {
      quarantine(relative);
    }
    --m_counters.hits;
    ++m_counters.misses;
    return std::optional<MappedEntry>();
  };
  ImageOptions options;
  options.executable = Executable::no;
  SEALEXEC_TRY_ASSIGN(auto blob, open_blob(*entry, options));
  if (!blob) {
    return miss(false);
  }
  struct stat st {};
  if (::fstat(blob->fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != entry->size) {
    return miss(!blob->decompressed);
  }
  // Every byte is hashed right away, so map them all at once.
  auto mapping = Mapping::map_read_only(blob->fd.get(), static_cast<std::size_t>(entry->size),
                                        m_dir.describe(relative), Prefault::yes);
  if (!mapping) {
    return fail(std::move(mapping).error());
  }
  if (xxh3_128(mapping->bytes()) != entry->blob_xxh3) {
    return miss(!blob->decompressed);
  }
  return std::optional<MappedEntry>(MappedEntry{
      .entry = std::move(*entry), .fd = std::move(blob->fd), .mapping = std::move(*mapping)});
}

Expected<bool> Cache::remove(const Sha256Digest& key) {
  const std::string relative = entry_path(key);
  const std::size_t slash = relative.rfind('/');
  auto dir = m_dir.subdirectory(relative.substr(0, slash));
  if (!dir) {
    return fail(std::move(dir).error());
  }
  if (::unlinkat(dir->get(), relative.substr(slash + 1).c_str(), 0) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    return fail(system_error("cannot remove", m_dir.describe(relative), "unlinkat"));
  }
  return true;
}

} // namespace sealexec::cache
