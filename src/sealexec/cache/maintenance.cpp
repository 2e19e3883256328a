// The Cache's housekeeping: list, clear, verify and gc. All of it only ever
// unlinks or renames, which is safe for processes that have an entry mapped
// or running.
#include "sealexec/cache/cache.h"

#include "sealexec/cache/compression.h"
#include "sealexec/cache/publish.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <unordered_set>
#include <vector>

namespace sealexec::cache {

namespace {

// The two-hex-digit shard directories of `store` ("ac" or "cas") that exist.
std::vector<std::string> shards(const CacheDir& dir, std::string_view store,
                                std::optional<std::string> only) {
  std::vector<std::string> result;
  auto top = dir.open_beneath(std::string(store), O_RDONLY | O_DIRECTORY);
  if (!top) {
    return result;
  }
  for (const DirEntry& entry : list_directory(top->get())) {
    if (entry.name.size() == 2 && S_ISDIR(entry.st.st_mode) && (!only || *only == entry.name)) {
      result.push_back(fmt::format("{}/{}", store, entry.name));
    }
  }
  std::ranges::sort(result);
  return result;
}

// The digest a blob or entry file is named by ("<hex>" or, for a compressed
// blob, "<hex>.zst").
std::optional<Sha256Digest> digest_of_name(std::string_view name) {
  if (name.ends_with(".zst")) {
    name.remove_suffix(4);
  }
  return Sha256Digest::from_hex(name);
}

struct ScannedEntry {
  std::string relative;
  Sha256Digest key;
  std::int64_t mtime = 0;
  std::optional<ActionEntry> entry;
};

Expected<std::vector<ScannedEntry>> scan_entries(const CacheDir& dir,
                                                 std::optional<std::string> shard) {
  std::vector<ScannedEntry> scanned;
  for (const std::string& shard_dir : shards(dir, "ac", shard)) {
    SEALEXEC_TRY_ASSIGN(const Fd fd, dir.subdirectory(shard_dir));
    for (const DirEntry& file : list_directory(fd.get())) {
      const auto key = digest_of_name(file.name);
      if (!key) {
        continue; // not ours
      }
      ScannedEntry item{.relative = shard_dir + "/" + file.name,
                        .key = *key,
                        .mtime = file.st.st_mtim.tv_sec};
      if (S_ISREG(file.st.st_mode) &&
          static_cast<std::uint64_t>(file.st.st_size) <= k_max_action_entry_size) {
        auto bytes_fd = dir.open_beneath(item.relative, O_RDONLY | O_NONBLOCK);
        if (bytes_fd) {
          std::vector<std::byte> bytes(static_cast<std::size_t>(file.st.st_size));
          if (::pread(bytes_fd->get(), bytes.data(), bytes.size(), 0) ==
              static_cast<ssize_t>(bytes.size())) {
            if (auto entry = parse_action_entry(bytes, dir.describe(item.relative))) {
              item.entry = std::move(*entry);
            }
          }
        }
      }
      scanned.push_back(std::move(item));
    }
  }
  return scanned;
}

bool unlink_relative(const CacheDir& dir, const std::string& relative) {
  const std::size_t slash = relative.rfind('/');
  auto parent = dir.open_beneath(relative.substr(0, slash), O_RDONLY | O_DIRECTORY);
  return parent && ::unlinkat(parent->get(), relative.substr(slash + 1).c_str(), 0) == 0;
}

} // namespace

Expected<std::vector<ListedEntry>> Cache::list() {
  SEALEXEC_TRY_ASSIGN(auto scanned, scan_entries(m_dir, std::nullopt));
  std::vector<ListedEntry> listed;
  listed.reserve(scanned.size());
  for (ScannedEntry& item : scanned) {
    listed.push_back({.key = item.key, .entry = std::move(item.entry), .last_used_unix_s = item.mtime});
  }
  return listed;
}

Expected<void> Cache::clear() {
  for (const std::string_view store : {"ac", "cas"}) {
    for (const std::string& shard_dir : shards(m_dir, store, std::nullopt)) {
      SEALEXEC_TRY_ASSIGN(const Fd fd, m_dir.subdirectory(shard_dir));
      for (const DirEntry& file : list_directory(fd.get())) {
        if (::unlinkat(fd.get(), file.name.c_str(), 0) != 0 && errno != ENOENT) {
          return fail(system_error("cannot remove", m_dir.describe(shard_dir + "/" + file.name),
                                   "unlinkat"));
        }
      }
    }
  }
  return {};
}

Expected<VerifyReport> Cache::verify() {
  VerifyReport report;
  SEALEXEC_TRY_ASSIGN(const auto scanned, scan_entries(m_dir, std::nullopt));
  std::unordered_set<std::string> present_blobs;
  for (const std::string& shard_dir : shards(m_dir, "cas", std::nullopt)) {
    SEALEXEC_TRY_ASSIGN(const Fd fd, m_dir.subdirectory(shard_dir));
    for (const DirEntry& file : list_directory(fd.get())) {
      const auto name = digest_of_name(file.name);
      if (!name) {
        continue;
      }
      ++report.blobs;
      const std::string relative = shard_dir + "/" + file.name;
      // Recompute the SHA-256 the blob is named by.
      bool intact = false;
      if (S_ISREG(file.st.st_mode) && file.name.ends_with(".zst")) {
        // The content of a compressed blob, for its digest.
        if (auto blob = m_dir.open_beneath(relative, O_RDONLY | O_NONBLOCK)) {
          const auto digest = decompressed_sha256(blob->get(), m_config.max_size,
                                                  m_dir.describe(relative));
          intact = digest && *digest == *name;
        }
      } else if (S_ISREG(file.st.st_mode)) {
        if (auto blob = m_dir.open_beneath(relative, O_RDONLY | O_NONBLOCK)) {
          Sha256Hasher hasher;
          std::vector<std::byte> buffer(1 << 18);
          std::uint64_t done = 0;
          for (ssize_t got; (got = ::pread(blob->get(), buffer.data(), buffer.size(),
                                           static_cast<off_t>(done))) > 0;) {
            hasher.update(std::span(buffer).first(static_cast<std::size_t>(got)));
            done += static_cast<std::uint64_t>(got);
          }
          intact = hasher.digest() == *name;
        }
      }
      if (intact) {
        present_blobs.insert(name->hex());
      } else {
        ++report.corrupt_blobs;
        quarantine(relative);
      }
    }
  }
  for (const ScannedEntry& item : scanned) {
    ++report.entries;
    if (!item.entry) {
      ++report.corrupt_entries;
      quarantine(item.relative);
    } else if (!present_blobs.contains(item.entry->blob_sha256.hex())) {
      ++report.missing_blobs;
    }
  }
  return report;
}

Expected<GcReport> Cache::gc(const GcOptions& options) {
  GcReport report;
  ++m_counters.gc_runs;
  const std::int64_t now = std::time(nullptr);

  // Leftovers of processes that died mid-put.
  if (auto tmp = m_dir.open_beneath("tmp", O_RDONLY | O_DIRECTORY)) {
    for (const DirEntry& file : list_directory(tmp->get())) {
      const auto owner = temp_file_owner(file.name);
      const bool owner_dead = owner && ::kill(*owner, 0) != 0 && errno == ESRCH;
      const bool old = now - file.st.st_mtim.tv_sec > options.temp_grace_s;
      if ((owner_dead || old || !owner) && ::unlinkat(tmp->get(), file.name.c_str(), 0) == 0) {
        ++report.temp_files_removed;
      }
    }
  }

  // Lock files of producers killed while holding them (a live holder
  // removes its own). Removing one that is held is harmless: its holder
  // publishes before it lets go, and everyone checks the cache after locking.
  if (auto locks = m_dir.open_beneath("locks", O_RDONLY | O_DIRECTORY)) {
    for (const DirEntry& file : list_directory(locks->get())) {
      if (S_ISREG(file.st.st_mode) && now - file.st.st_mtim.tv_sec > options.temp_grace_s &&
          ::unlinkat(locks->get(), file.name.c_str(), 0) == 0) {
        ++report.temp_files_removed;
      }
    }
  }

  // Statistics are appended by every process; keep their file small. They
  // are not worth failing a gc for.
  (void)fold_counters(m_dir);

  // One shard, or all: a put-triggered gc looks at one shard of 256 and at
  // its share of the limits, so its work is bounded.
  std::optional<std::string> shard;
  std::uint64_t max_size = m_config.max_size;
  std::uint64_t max_entries = m_config.max_entries;
  if (!options.whole_cache) {
    std::uint8_t random = 0;
    (void)::getrandom(&random, sizeof random, 0);
    shard = fmt::format("{:02x}", random);
    max_size /= 256;
    max_entries = std::max<std::uint64_t>(max_entries / 256, 1);
  }
  SEALEXEC_TRY_ASSIGN(auto scanned, scan_entries(m_dir, shard));
  std::vector<ScannedEntry*> live;
  std::uint64_t bytes = 0;
  for (ScannedEntry& item : scanned) {
    if (!item.entry) {
      quarantine(item.relative);
      continue;
    }
    live.push_back(&item);
    bytes += item.entry->size;
  }
  // Least recently used first.
  std::ranges::sort(live, {}, [](const ScannedEntry* item) { return item->mtime; });
  std::size_t count = live.size();
  std::unordered_set<std::string> evicted_blobs;
  for (ScannedEntry* item : live) {
    if (bytes <= max_size && count <= max_entries) {
      break;
    }
    if (unlink_relative(m_dir, item->relative)) {
      ++report.entries_evicted;
      ++m_counters.evicted;
      evicted_blobs.insert(item->entry->blob_sha256.hex());
    }
    bytes -= item->entry->size;
    --count;
    item->entry.reset();
  }
  std::unordered_set<std::string> referenced;
  for (const ScannedEntry* item : live) {
    if (item->entry) {
      referenced.insert(item->entry->blob_sha256.hex());
    }
  }
  // An evicted entry's blob goes with it unless a kept entry shares it. (In
  // a one-shard gc an entry of another shard may share it; it then misses,
  // which is safe, and is put again.)
  for (const std::string& hex : evicted_blobs) {
    if (referenced.contains(hex)) {
      continue;
    }
    for (const char* suffix : {"", ".zst"}) {
      if (unlink_relative(m_dir, fmt::format("cas/{}/{}{}", hex.substr(0, 2), hex, suffix))) {
        ++report.blobs_removed;
      }
    }
  }
  // Orphans: only a whole-cache gc knows every reference.
  if (!shard) {
    for (const std::string& shard_dir : shards(m_dir, "cas", std::nullopt)) {
      SEALEXEC_TRY_ASSIGN(const Fd fd, m_dir.subdirectory(shard_dir));
      for (const DirEntry& file : list_directory(fd.get())) {
        const auto named = digest_of_name(file.name);
        if (named && !referenced.contains(named->hex()) &&
            now - file.st.st_mtim.tv_sec > options.orphan_grace_s &&
            ::unlinkat(fd.get(), file.name.c_str(), 0) == 0) {
          ++report.blobs_removed;
        }
      }
    }
  }
  report.bytes_after = bytes;
  report.entries_after = count;
  return report;
}

void Cache::maybe_collect() {
  if (m_config.gc_every == 0) {
    return;
  }
  std::uint64_t random = 0;
  (void)::getrandom(&random, sizeof random, 0);
  if (random % m_config.gc_every == 0) {
    GcOptions options;
    options.whole_cache = false;
    (void)gc(options);
  }
}

} // namespace sealexec::cache
