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

// A small published file, read whole through one descriptor, with what
// fstat said of that descriptor (the file that was read, whatever the name
// holds by now).
struct EntryFile {
  Fd fd;
  struct stat st {};
  std::vector<std::byte> bytes;
};

Expected<EntryFile> read_entry_file(const CacheDir& dir, const std::string& relative,
                                    std::size_t limit) {
  EntryFile file;
  SEALEXEC_TRY_ASSIGN(file.fd, dir.open_beneath(relative, O_RDONLY | O_NONBLOCK));
  if (::fstat(file.fd.get(), &file.st) != 0) {
    return fail(system_error("cannot inspect", dir.describe(relative), "fstat"));
  }
  if (!S_ISREG(file.st.st_mode) || static_cast<std::uint64_t>(file.st.st_size) > limit) {
    Error error = make_error(Errc::malformed, dir.describe(relative),
                             "damaged cache entry: not a small regular file");
    return fail(std::move(error));
  }
  file.bytes.resize(static_cast<std::size_t>(file.st.st_size));
  std::size_t done = 0;
  while (done < file.bytes.size()) {
    const ssize_t got = ::pread(file.fd.get(), file.bytes.data() + done, file.bytes.size() - done,
                                static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail(system_error("cannot read", dir.describe(relative), "pread"));
    }
    if (got == 0) {
      // Published files never shrink: this one is damaged.
      return fail(make_error(Errc::malformed, dir.describe(relative),
                             "damaged cache entry: shorter than its size"));
    }
    done += static_cast<std::size_t>(got);
  }
  return file;
}

// Refreshes the time of a validated entry file (metadata only: its bytes
// stay as published), so that gc evicts the least recently used first.
void mark_used(const EntryFile& file) {
  const auto age = std::chrono::system_clock::now().time_since_epoch() -
                   std::chrono::seconds(file.st.st_mtim.tv_sec);
  if (age >= k_lru_resolution) {
    ::futimens(file.fd.get(), nullptr);
  }
}

// Whether an open failure means "something that is not a file of ours is
// there": a symbolic link (malformed), a socket (ENXIO).
bool is_hostile(const Error& error) {
  return error.code == Errc::malformed || error.sys_errno == ENXIO;
}

bool is_absent(const Error& error) {
  return error.sys_errno == ENOENT || error.sys_errno == ENOTDIR;
}

} // namespace

Expected<Cache> Cache::open(const std::filesystem::path& directory, const CacheConfig& config,
                            std::span<const std::filesystem::path> refused) {
  SEALEXEC_TRY_ASSIGN(CacheDir dir, CacheDir::open(directory, refused));
  Cache cache(std::move(dir), config);
  if (cache.m_dir.layout() < k_cache_layout) {
    SEALEXEC_TRY(cache.adopt_legacy_cache());
  }
  return cache;
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

Expected<bool> Cache::quarantine(const std::string& relative, FileIdentity judged) {
  // An unusable quarantine is an error: damage that cannot be moved away
  // would otherwise be found, and missed, on every lookup.
  SEALEXEC_TRY_ASSIGN(const Fd quarantine_dir, m_dir.subdirectory("quarantine"));
  const std::size_t slash = relative.rfind('/');
  SEALEXEC_TRY_ASSIGN(const Fd from_dir, m_dir.subdirectory(relative.substr(0, slash)));
  std::uint64_t random = 0;
  (void)::getrandom(&random, sizeof random, 0);
  const std::string leaf = relative.substr(slash + 1);
  const std::string target = fmt::format("{}.{:016x}", leaf, random);
  // A rename, not a copy: the damaged file keeps its inode, so a reader that
  // has it open is not disturbed, and nothing is lost for a post-mortem. Only
  // the file that was judged moves (judged_file.h).
  SEALEXEC_TRY_ASSIGN(const Acted acted,
                      move_if_same(from_dir.get(), leaf, quarantine_dir.get(), target, judged,
                                   m_dir.describe(relative)));
  if (acted != Acted::yes) {
    return false;
  }
  ++m_counters.corrupt;
  return true;
}

Expected<bool> Cache::quarantine_name(const std::string& relative) {
  const std::size_t slash = relative.rfind('/');
  SEALEXEC_TRY_ASSIGN(const Fd from_dir, m_dir.subdirectory(relative.substr(0, slash)));
  struct stat st {};
  if (::fstatat(from_dir.get(), relative.substr(slash + 1).c_str(), &st, AT_SYMLINK_NOFOLLOW) !=
      0) {
    return false; // gone meanwhile
  }
  return quarantine(relative, FileIdentity::of(st));
}

Expected<Acted> Cache::remove_judged(const std::string& relative, FileIdentity judged) {
  const std::size_t slash = relative.rfind('/');
  SEALEXEC_TRY_ASSIGN(const Fd from_dir, m_dir.subdirectory(relative.substr(0, slash)));
  SEALEXEC_TRY_ASSIGN(const Fd tmp_dir, m_dir.subdirectory("tmp"));
  return remove_if_same(from_dir.get(), relative.substr(slash + 1), tmp_dir.get(),
                        unique_temp_name("moving"), judged, m_dir.describe(relative));
}

Expected<bool> Cache::existing_blob_is_intact(const std::string& relative, bool compressed,
                                             const Sha256Digest& sha, const Xxh3Digest& xxh,
                                             std::uint64_t size) {
  auto fd = m_dir.open_beneath(relative, O_RDONLY | O_NONBLOCK);
  if (!fd) {
    if (is_absent(fd.error())) {
      return true; // gone meanwhile: linking again will tell
    }
    if (!is_hostile(fd.error())) {
      return fail(std::move(fd).error());
    }
    SEALEXEC_TRY(quarantine_name(relative));
    return false;
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) {
    return fail(system_error("cannot inspect", m_dir.describe(relative), "fstat"));
  }
  bool intact = S_ISREG(st.st_mode);
  if (intact && compressed) {
    const auto digest = decompressed_sha256(fd->get(), size, m_dir.describe(relative));
    intact = digest && *digest == sha;
  } else if (intact) {
    intact = static_cast<std::uint64_t>(st.st_size) == size;
    if (intact) {
      const auto digest = hash_file_range(fd->get(), 0, size, m_dir.describe(relative));
      intact = digest && *digest == xxh;
    }
  }
  if (!intact) {
    SEALEXEC_TRY(quarantine(relative, FileIdentity::of(st)));
  }
  return intact;
}

Expected<bool> Cache::link_blob(TempFile& blob, const std::string& relative, bool compressed,
                                const Sha256Digest& sha, const Xxh3Digest& xxh,
                                std::uint64_t size) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    SEALEXEC_TRY_ASSIGN(const bool created, blob.link_if_absent(relative));
    if (created) {
      return true;
    }
    // The name promises the content, but the file there may be damaged: a
    // put of that content must heal it, or it would miss forever.
    SEALEXEC_TRY_ASSIGN(const bool intact,
                        existing_blob_is_intact(relative, compressed, sha, xxh, size));
    if (intact) {
      return false;
    }
  }
  return fail(make_error(Errc::system, m_dir.describe(relative),
                         "cannot replace a damaged blob: it keeps coming back"));
}

Expected<ActionEntry> Cache::publish(const Sha256Digest& key, const Fingerprint& fingerprint,
                                     TempFile& blob, bool compressed, const Sha256Digest& sha,
                                     const Xxh3Digest& xxh, std::uint64_t size,
                                     std::string_view description) {
  // The blob first, then the entry that names it: a crash in between leaves
  // an orphaned blob for gc, never an entry without its blob.
  SEALEXEC_TRY(blob.finish());
  const std::string blob_relative = compressed ? compressed_blob_path(sha) : blob_path(sha);
  SEALEXEC_TRY_ASSIGN(const bool created,
                      link_blob(blob, blob_relative, compressed, sha, xxh, size));
  ActionEntry entry{.fingerprint = fingerprint.canonical(),
                    .description = std::string(description.substr(0, k_max_description_size)),
                    .blob_sha256 = sha,
                    .blob_xxh3 = xxh,
                    .size = size,
                    .created_unix_ns = now_ns()};
  auto written = write_entry(key, entry);
  if (!written) {
    // A failed put leaves nothing visible: not the blob it linked either.
    if (created) {
      (void)remove_judged(blob_relative, blob.identity());
    }
    return fail(std::move(written).error());
  }
  if (!created) {
    // The blob this entry shares may have been removed meanwhile (gc, or a
    // put that failed after linking it): ours is still at hand.
    struct stat st {};
    const std::size_t slash = blob_relative.rfind('/');
    auto shard = m_dir.subdirectory(blob_relative.substr(0, slash));
    if (shard && ::fstatat(shard->get(), blob_relative.substr(slash + 1).c_str(), &st,
                           AT_SYMLINK_NOFOLLOW) != 0 &&
        errno == ENOENT) {
      (void)blob.link_if_absent(blob_relative);
    }
  }
  ++m_counters.puts;
  maybe_collect();
  return entry;
}

Expected<void> Cache::write_entry(const Sha256Digest& key, const ActionEntry& entry) {
  SEALEXEC_TRY_ASSIGN(TempFile action, TempFile::create(m_dir));
  SEALEXEC_TRY(write_all(action.fd(), serialize_stored(key, entry),
                         m_dir.describe("tmp/" + action.name())));
  SEALEXEC_TRY(action.finish());
  return action.rename_over(entry_path(key));
}

Expected<ActionEntry> Cache::put_local(const Sha256Digest& key, const Fingerprint& fingerprint,
                                       std::span<const std::byte> content,
                                       std::string_view description,
                                       const ActionEntry* verified) {
  if (content.size() > m_config.max_size) {
    return fail(too_large_to_store(description, m_config.max_size));
  }
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
                        compress_stream(fd, blob.fd(), description, m_config.max_size));
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
    size += static_cast<std::uint64_t>(got);
    // A stream without end (yes | sealexec cache put k -) must not fill the
    // disk: nothing larger than the cache keeps is worth storing.
    if (size > m_config.max_size) {
      return fail(too_large_to_store(description, m_config.max_size));
    }
    sha.update(chunk);
    xxh.update(chunk);
    SEALEXEC_TRY(write_all(blob.fd(), chunk, m_dir.describe("tmp/" + blob.name())));
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
  const auto miss = [this]() {
    ++m_counters.misses;
    return std::optional<ActionEntry>();
  };
  auto file = read_entry_file(m_dir, relative, k_max_action_entry_size);
  if (!file) {
    if (is_absent(file.error())) {
      return miss();
    }
    if (is_hostile(file.error())) {
      SEALEXEC_TRY(quarantine_name(relative));
      return miss();
    }
    return fail(std::move(file).error());
  }
  auto stored = parse_stored_entry(file->bytes, m_dir.describe(relative));
  // Bound to another key (a file copied or renamed over this one), or made
  // with another fingerprint (which is part of the key): not what was
  // written here. Damaged, or planted.
  if (!stored || (stored->key && *stored->key != key) ||
      stored->entry.fingerprint != fingerprint.canonical()) {
    SEALEXEC_TRY(quarantine(relative, FileIdentity::of(file->st)));
    return miss();
  }
  if (!stored->key) {
    // An entry of the unbound format, written by an older sealexec after
    // this cache was adopted: nothing ties it to this key, so it is not
    // served. The caller's put replaces it.
    return miss();
  }
  mark_used(*file);
  ++m_counters.hits;
  return std::optional<ActionEntry>(std::move(stored->entry));
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
      if (!is_hostile(fd.error())) {
        return fail(std::move(fd).error()); // a directory that is not private, or I/O
      }
      SEALEXEC_TRY(quarantine_name(relative));
      return std::optional<OpenedBlob>();
    }
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) {
      return fail(system_error("cannot inspect", m_dir.describe(relative), "fstat"));
    }
    const FileIdentity identity = FileIdentity::of(st);
    // A fifo, device or socket put in its place, or a file whose size is not
    // the entry's: damage, found before reading a byte.
    if (!S_ISREG(st.st_mode) ||
        (!compressed && static_cast<std::uint64_t>(st.st_size) != entry.size)) {
      SEALEXEC_TRY(quarantine(relative, identity));
      return std::optional<OpenedBlob>();
    }
    if (!compressed) {
      return std::optional<OpenedBlob>(
          OpenedBlob{.fd = std::move(*fd), .relative = relative, .identity = identity});
    }
    auto content = decompress_file(fd->get(), entry.size, m_dir.describe(relative));
    if (!content) {
      if (content.error().code == Errc::malformed) {
        SEALEXEC_TRY(quarantine(relative, identity));
        return std::optional<OpenedBlob>();
      }
      return fail(std::move(content).error());
    }
    auto image = SealedImage::from_bytes(*content, options);
    if (!image) {
      if (image.error().code == Errc::digest_mismatch) {
        SEALEXEC_TRY(quarantine(relative, identity));
        return std::optional<OpenedBlob>();
      }
      return fail(std::move(image).error());
    }
    Fd copy(::fcntl(image->fd(), F_DUPFD_CLOEXEC, 0));
    return std::optional<OpenedBlob>(OpenedBlob{.fd = std::move(copy),
                                                .relative = relative,
                                                .identity = identity,
                                                .decompressed = std::move(*image)});
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
  auto miss = [this]() {
    --m_counters.hits;
    ++m_counters.misses;
    return std::optional<SealedImage>();
  };
  options.max_size = entry->size;
  // The sealed copy is hashed anyway; checking it against the entry's digest
  // verifies every byte of every hit, and spares hashing the file first.
  options.expected_xxh3 = entry->blob_xxh3;
  options.file_privileges = false; // a blob sealexec wrote 0444 grants nothing
  SEALEXEC_TRY_ASSIGN(auto blob, open_blob(*entry, options));
  if (!blob) {
    return miss();
  }
  auto image = blob->decompressed ? std::move(*blob->decompressed)
                                  : SealedImage::from_fd(blob->fd.get(), options);
  if (!image || image->size() != entry->size) {
    if (image || image.error().code == Errc::too_large || image.error().code == Errc::changed ||
        image.error().code == Errc::malformed || image.error().code == Errc::digest_mismatch) {
      SEALEXEC_TRY(quarantine(blob->relative, blob->identity));
      return miss();
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
  auto miss = [this]() {
    --m_counters.hits;
    ++m_counters.misses;
    return std::optional<MappedEntry>();
  };
  ImageOptions options;
  options.executable = Executable::no;
  SEALEXEC_TRY_ASSIGN(auto blob, open_blob(*entry, options));
  if (!blob) {
    return miss();
  }
  // The caller asked for a mapping, and every byte is hashed right away, so
  // map them all at once.
  auto mapping = Mapping::map_read_only(blob->fd.get(), static_cast<std::size_t>(entry->size),
                                        m_dir.describe(blob->relative), Prefault::yes);
  if (!mapping) {
    return fail(std::move(mapping).error());
  }
  if (xxh3_128(mapping->bytes()) != entry->blob_xxh3) {
    SEALEXEC_TRY(quarantine(blob->relative, blob->identity));
    return miss();
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
