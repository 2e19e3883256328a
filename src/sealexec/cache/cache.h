// A crash-safe cache for compiled code that can never change under a running
// program (docs/cache.md).
//
// Two stores, the split of Bazel's remote cache: blobs, named by the SHA-256
// of their content (cas/xx/<sha256>), and action entries, which map a key to
// a blob plus metadata (ac/xx/<key>). Published files are 0444, written once
// to a temporary file, fsynced, and linked or renamed into place; nothing is
// ever rewritten. Reads take no lock. Any damage found is a miss: the entry
// moves to quarantine/ and is counted, and never becomes an error for the
// caller. Eviction only unlinks, which is safe for processes that have an
// entry mapped or running.
#pragma once

#include "sealexec/cache/action_entry.h"
#include "sealexec/cache/cache_dir.h"
#include "sealexec/cache/config.h"
#include "sealexec/cache/fingerprint.h"
#include "sealexec/cache/judged_file.h"
#include "sealexec/cache/shared_tier.h"
#include "sealexec/cache/stats.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/digest.h"
#include "sealexec/util/error.h"
#include "sealexec/util/mapping.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealexec::cache {

// An entry loaded as a read-only mapping of its immutable blob file. Cheaper
// than a SealedImage (no copy), but it relies on the file never being
// modified: sealexec never opens a published file for writing, yet another
// program of the same user could (docs/cache.md weighs the two).
struct MappedEntry {
  ActionEntry entry;
  Fd fd;
  Mapping mapping;
};

struct ListedEntry {
  Sha256Digest key;
  std::optional<ActionEntry> entry; // nullopt when damaged (see verify)
  std::int64_t last_used_unix_s = 0; // the entry file's mtime, refreshed on hits
};

struct VerifyReport {
  std::uint64_t entries = 0;
  std::uint64_t blobs = 0;
  std::uint64_t corrupt_entries = 0; // quarantined
  std::uint64_t corrupt_blobs = 0;   // quarantined
  std::uint64_t missing_blobs = 0;   // entries whose blob is gone (misses until re-put)
};

struct GcOptions {
  // Look at every shard, not just one (what `sealexec cache gc` does).
  bool whole_cache = true;
  // Blobs no entry refers to are removed once older than this, so that a
  // put that has written its blob but not yet its entry is not undone.
  std::int64_t orphan_grace_s = 3600;
  // Temporary files of live processes younger than this are left alone.
  std::int64_t temp_grace_s = 3600;
};

struct GcReport {
  std::uint64_t entries_evicted = 0;
  std::uint64_t blobs_removed = 0;
  std::uint64_t temp_files_removed = 0;
  std::uint64_t bytes_after = 0;
  std::uint64_t entries_after = 0;
};

// Whether an operation may involve the shared tier, when there is one.
// Entries that only mean something on this machine (a compiler's facts,
// keyed by its inode) stay local.
enum class Reach { shared, local_only };

class Cache {
public:
  // Opens the cache at `directory` (created 0700, checked, recognised as a
  // cache: CacheDir::open) with `config`. `refused` are directories that
  // must never become a cache (the CLI passes $HOME). A cache made by a
  // sealexec from before cache tags is adopted: its entries are bound to
  // their keys, then it is tagged.
  [[nodiscard]] static Expected<Cache> open(const std::filesystem::path& directory,
                                            const CacheConfig& config = {},
                                            std::span<const std::filesystem::path> refused = {});
  Cache(Cache&&) noexcept = default;
  Cache& operator=(Cache&&) = delete;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  // Records this object's statistics.
  ~Cache();

  // Stores `content` under `key` (from make_key) for `fingerprint`.
  // `description` says, for people, what it came from.
  // With a shared tier, the entry is then offered to it (write-through).
  [[nodiscard]] Expected<void> put(const Sha256Digest& key, const Fingerprint& fingerprint,
                                   std::span<const std::byte> content,
                                   std::string_view description = {},
                                   Reach reach = Reach::shared);
  // The same for the content of a regular file or pipe, copied with bounded
  // memory.
  [[nodiscard]] Expected<void> put_fd(const Sha256Digest& key, const Fingerprint& fingerprint,
                                      int fd, std::string_view description = {},
                                      Reach reach = Reach::shared);

  // The entry for `key`, if present, intact and made by `fingerprint`. On a
  // local miss the shared tier is asked; what it returns is verified by it
  // and published locally first. Hits and misses count both tiers together.
  [[nodiscard]] Expected<std::optional<ActionEntry>> lookup(const Sha256Digest& key,
                                                            const Fingerprint& fingerprint,
                                                            Reach reach = Reach::shared);
  // A hit copied into a sealed memfd: immune to anything that happens to the
  // cache file afterwards. Its bytes are checked against the entry's XXH3-128
  // (which the copy computes anyway).
  [[nodiscard]] Expected<std::optional<SealedImage>> load_image(const Sha256Digest& key,
                                                                const Fingerprint& fingerprint,
                                                                ImageOptions options = {},
                                                                Reach reach = Reach::shared);
  // A hit mapped read-only from the blob file, checked the same way.
  [[nodiscard]] Expected<std::optional<MappedEntry>> load_mapping(const Sha256Digest& key,
                                                                  const Fingerprint& fingerprint,
                                                                  Reach reach = Reach::shared);

  // Removes the entry for `key`; false when there was none.
  [[nodiscard]] Expected<bool> remove(const Sha256Digest& key);
  // Removes every entry and blob.
  [[nodiscard]] Expected<void> clear();
  [[nodiscard]] Expected<std::vector<ListedEntry>> list();
  // Re-reads every entry and recomputes the SHA-256 of every blob; whatever
  // is damaged is quarantined.
  [[nodiscard]] Expected<VerifyReport> verify();
  // Brings the cache within its limits (oldest entries first), removes
  // orphaned blobs and stale temporary files.
  [[nodiscard]] Expected<GcReport> gc(const GcOptions& options = {});

  // Records this object's statistics now (the destructor does it otherwise),
  // the shared tier's included.
  void flush_statistics();
  // flush_statistics, and the shared tier's connections closed: call it
  // before replacing the process with exec.
  void prepare_for_exec();
  // Adds a shared tier below the local store (remote/ makes one).
  void set_shared_tier(std::unique_ptr<SharedTier> tier) { m_shared = std::move(tier); }
  [[nodiscard]] bool has_shared_tier() const { return m_shared != nullptr; }
  // All statistics recorded so far, this object's included.
  [[nodiscard]] Expected<Counters> statistics() const;
  [[nodiscard]] const CacheDir& directory() const { return m_dir; }
  [[nodiscard]] const CacheConfig& config() const { return m_config; }
  // Replaces the limits: for a caller that reads them from the cache's own
  // cache.conf, through the checked directory, after opening it.
  void set_config(const CacheConfig& config) { m_config = config; }

private:
  Cache(CacheDir dir, const CacheConfig& config) : m_dir(std::move(dir)), m_config(config) {}

  [[nodiscard]] Expected<ActionEntry> publish(const Sha256Digest& key,
                                              const Fingerprint& fingerprint, class TempFile& blob,
                                              bool compressed, const Sha256Digest& sha,
                                              const Xxh3Digest& xxh, std::uint64_t size,
                                              std::string_view description);
  // `verified`: an entry whose digests the content is known to match (the
  // shared tier checked them), so they need not be computed again.
  [[nodiscard]] Expected<ActionEntry> put_local(const Sha256Digest& key,
                                                const Fingerprint& fingerprint,
                                                std::span<const std::byte> content,
                                                std::string_view description,
                                                const ActionEntry* verified = nullptr);
  [[nodiscard]] Expected<ActionEntry> put_fd_local(const Sha256Digest& key,
                                                   const Fingerprint& fingerprint, int fd,
                                                   std::string_view description);
  [[nodiscard]] Expected<std::optional<ActionEntry>> lookup_local(const Sha256Digest& key,
                                                                  const Fingerprint& fingerprint);
  // Offers a published entry to the shared tier; `content` when at hand,
  // otherwise the blob is read back from the store.
  void share(const Sha256Digest& key, const ActionEntry& entry,
             std::optional<std::span<const std::byte>> content);
  // The blob of `entry`: opened as stored, or its content decompressed into
  // a sealed memfd when it is stored compressed. nullopt when missing or
  // damaged (then quarantined).
  struct OpenedBlob {
    Fd fd;
    std::string relative;    // where it is in the cache
    FileIdentity identity;   // of the file opened there
    std::optional<SealedImage> decompressed;
  };
  [[nodiscard]] Expected<std::optional<OpenedBlob>> open_blob(const ActionEntry& entry,
                                                              ImageOptions options);
  // Moves the damaged file `relative` to quarantine/ and counts it, if the
  // name still refers to the file that was judged; true when it did. An
  // unusable quarantine directory is an error.
  [[nodiscard]] Expected<bool> quarantine(const std::string& relative, FileIdentity judged);
  // quarantine() of whatever `relative` names now (a link or a socket that
  // could not be opened to be judged through a descriptor).
  [[nodiscard]] Expected<bool> quarantine_name(const std::string& relative);
  // Unlinks `relative` if it is still the file judged (judged_file.h).
  [[nodiscard]] Expected<Acted> remove_judged(const std::string& relative, FileIdentity judged);
  // Links a finished blob in, replacing (by quarantine) a damaged file of
  // its name; false when an intact one was already there.
  [[nodiscard]] Expected<bool> link_blob(class TempFile& blob, const std::string& relative,
                                         bool compressed, const Sha256Digest& sha,
                                         const Xxh3Digest& xxh, std::uint64_t size);
  [[nodiscard]] Expected<bool> existing_blob_is_intact(const std::string& relative,
                                                       bool compressed, const Sha256Digest& sha,
                                                       const Xxh3Digest& xxh, std::uint64_t size);
  // Writes `entry`, bound to `key`, and renames it into place.
  [[nodiscard]] Expected<void> write_entry(const Sha256Digest& key, const ActionEntry& entry);
  // Rewrites the unbound entries of a cache from before tags, bound to the
  // keys they are stored under, and tags the cache (docs/cache.md).
  [[nodiscard]] Expected<void> adopt_legacy_cache();
  void maybe_collect();

  CacheDir m_dir;
  CacheConfig m_config;
  Counters m_counters;
  std::unique_ptr<SharedTier> m_shared;
};

// "ac/ab/abcd...", "cas/ab/abcd..." and, for a blob stored compressed,
// "cas/ab/abcd....zst" (named by the SHA-256 of the uncompressed content).
[[nodiscard]] std::string entry_path(const Sha256Digest& key);
[[nodiscard]] std::string blob_path(const Sha256Digest& sha256);
[[nodiscard]] std::string compressed_blob_path(const Sha256Digest& sha256);

} // namespace sealexec::cache
