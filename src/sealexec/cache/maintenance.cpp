// The Cache's housekeeping: list, clear, verify, gc and the adoption of a
// cache from before tags. All of it only ever unlinks or renames, which is
// safe for processes that have an entry mapped or running, and only names it
// recognises exactly: a file that sealexec did not make is never touched.
// What it judges (damaged, stale, orphaned) it moves or removes only while the
// name still refers to the file it judged (judged_file.h).
#include "sealexec/cache/cache.h"

#include "sealexec/cache/compression.h"
#include "sealexec/cache/names.h"
#include "sealexec/cache/publish.h"
#include "sealexec/image/copy.h"
#include "sealexec/util/bounded_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sealexec::cache {

namespace {

// How long a process waits for another that is adopting a cache from
// before tags (rewriting each entry: a second for a large cache).
constexpr std::chrono::milliseconds k_adoption_wait{10'000};

// How long a file being moved out by maintenance ("moving-*.tmp") is left
// alone: the mover puts it back or unlinks it within microseconds, so one
// that is older was left by a mover that died.
constexpr std::int64_t k_moving_settle_s = 60;

// The two-hex-digit shard directories of `store` ("ac" or "cas") that exist.
std::vector<std::string> shards(const CacheDir& dir, std::string_view store,
                                std::optional<std::string> only) {
  std::vector<std::string> result;
  auto top = dir.subdirectory(std::string(store));
  if (!top) {
    return result;
  }
  for (const DirEntry& entry : list_directory(top->get())) {
    if (is_shard_name(entry.name) && S_ISDIR(entry.st.st_mode) &&
        (!only || *only == entry.name)) {
      result.push_back(fmt::format("{}/{}", store, entry.name));
    }
  }
  std::ranges::sort(result);
  return result;
}

enum class EntryState { intact, unbound, damaged };

struct ScannedEntry {
  std::string relative;
  Sha256Digest key;
  std::int64_t mtime = 0;
  FileIdentity identity; // of the file judged
  EntryState state = EntryState::damaged;
  std::optional<ActionEntry> entry; // when intact or unbound
};

// Reads and judges every entry file of `shard` (or of all shards). A file
// that vanished between the listing and its reading is not judged at all.
Expected<std::vector<ScannedEntry>> scan_entries(const CacheDir& dir,
                                                 std::optional<std::string> shard) {
  std::vector<ScannedEntry> scanned;
  for (const std::string& shard_dir : shards(dir, "ac", shard)) {
    SEALEXEC_TRY_ASSIGN(const Fd fd, dir.subdirectory(shard_dir));
    for (const DirEntry& file : list_directory(fd.get())) {
      const auto key = entry_name_digest(file.name);
      if (!key) {
        continue; // not ours
      }
      ScannedEntry item{.relative = shard_dir + "/" + file.name,
                        .key = *key,
                        .mtime = file.st.st_mtim.tv_sec,
                        .identity = FileIdentity::of(file.st)};
      if (S_ISREG(file.st.st_mode)) {
        const int opened = ::openat(fd.get(), file.name.c_str(),
                                    O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (opened < 0 && errno == ENOENT) {
          continue; // removed meanwhile: nothing to judge
        }
        const Fd bytes_fd(opened);
        struct stat st {};
        if (bytes_fd && ::fstat(bytes_fd.get(), &st) == 0) {
          item.identity = FileIdentity::of(st);
          item.mtime = st.st_mtim.tv_sec;
          if (S_ISREG(st.st_mode) &&
              static_cast<std::uint64_t>(st.st_size) <= k_max_action_entry_size) {
            std::vector<std::byte> bytes(static_cast<std::size_t>(st.st_size));
            if (::pread(bytes_fd.get(), bytes.data(), bytes.size(), 0) ==
                static_cast<ssize_t>(bytes.size())) {
              if (auto stored = parse_stored_entry(bytes, dir.describe(item.relative))) {
                if (!stored->key) {
                  item.state = EntryState::unbound;
                  item.entry = std::move(stored->entry);
                } else if (*stored->key == *key) {
                  item.state = EntryState::intact;
                  item.entry = std::move(stored->entry);
                }
              }
            }
          }
        }
      }
      scanned.push_back(std::move(item));
    }
  }
  return scanned;
}

// Locks `name` in `dir` without waiting, if it is still that name's file.
// An Fd holding the lock, or none when someone holds it or it is gone.
Fd lock_if_unheld(int dir, const std::string& name) {
  Fd fd(::openat(dir, name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return {};
  }
  struct stat mine {};
  struct stat named {};
  if (::fstat(fd.get(), &mine) != 0 ||
      ::fstatat(dir, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 ||
      FileIdentity::of(mine) != FileIdentity::of(named)) {
    return {};
  }
  return fd;
}

} // namespace

Expected<std::vector<ListedEntry>> Cache::list() {
  SEALEXEC_TRY_ASSIGN(auto scanned, scan_entries(m_dir, std::nullopt));
  std::vector<ListedEntry> listed;
  listed.reserve(scanned.size());
  for (ScannedEntry& item : scanned) {
    listed.push_back({.key = item.key,
                      .entry = item.state == EntryState::intact ? std::move(item.entry)
                                                                : std::nullopt,
                      .last_used_unix_s = item.mtime});
  }
  return listed;
}

Expected<void> Cache::clear() {
  for (const std::string_view store : {"ac", "cas"}) {
    for (const std::string& shard_dir : shards(m_dir, store, std::nullopt)) {
      SEALEXEC_TRY_ASSIGN(const Fd fd, m_dir.subdirectory(shard_dir));
      for (const DirEntry& file : list_directory(fd.get())) {
        const bool ours = store == "ac" ? entry_name_digest(file.name).has_value()
                                        : blob_name_digest(file.name).has_value();
        if (ours && ::unlinkat(fd.get(), file.name.c_str(), 0) != 0 && errno != ENOENT) {
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
  // The sizes the entries promise for each blob, so that a blob is judged by
  // its size before a byte of it is read (a huge sparse file is not hashed
  // for minutes).
  std::unordered_map<std::string, std::vector<std::uint64_t>> promised;
  for (const ScannedEntry& item : scanned) {
    if (item.entry) {
      promised[item.entry->blob_sha256.hex()].push_back(item.entry->size);
    }
  }
  std::unordered_set<std::string> present_blobs;
  for (const std::string& shard_dir : shards(m_dir, "cas", std::nullopt)) {
    SEALEXEC_TRY_ASSIGN(const Fd fd, m_dir.subdirectory(shard_dir));
    for (const DirEntry& file : list_directory(fd.get())) {
      const auto name = blob_name_digest(file.name);
      if (!name) {
        continue;
      }
      const std::string relative = shard_dir + "/" + file.name;
      const bool compressed = file.name.ends_with(".zst");
      const int opened = ::openat(fd.get(), file.name.c_str(),
                                  O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
      if (opened < 0 && errno == ENOENT) {
        continue; // removed meanwhile
      }
      const Fd blob(opened);
      struct stat st = file.st;
      if (blob && ::fstat(blob.get(), &st) != 0) {
        st = file.st;
      }
      ++report.blobs;
      bool intact = blob && S_ISREG(st.st_mode);
      const auto size = static_cast<std::uint64_t>(st.st_size);
      if (intact && compressed) {
        const auto digest = decompressed_sha256(blob.get(), m_config.max_size,
                                                m_dir.describe(relative));
        intact = digest && *digest == *name;
      } else if (intact) {
        const auto sizes = promised.find(name->hex());
        intact = size <= m_config.max_size &&
                 (sizes == promised.end() || std::ranges::all_of(sizes->second, [&](auto want) {
                    return want == size;
                  }));
        // Recompute the SHA-256 the blob is named by.
        Sha256Hasher hasher;
        std::vector<std::byte> buffer(1 << 18);
        std::uint64_t done = 0;
        for (ssize_t got; intact && done < size &&
                          (got = ::pread(blob.get(), buffer.data(),
                                         std::min<std::uint64_t>(buffer.size(), size - done),
                                         static_cast<off_t>(done))) > 0;) {
          hasher.update(std::span(buffer).first(static_cast<std::size_t>(got)));
          done += static_cast<std::uint64_t>(got);
        }
        intact = intact && done == size && hasher.digest() == *name;
      }
      if (intact) {
        present_blobs.insert(name->hex());
        continue;
      }
      // Counted only when what moved is what was judged: a blob replaced
      // meanwhile by an intact one is no damage.
      SEALEXEC_TRY_ASSIGN(const bool moved, quarantine(relative, FileIdentity::of(st)));
      if (moved) {
        ++report.corrupt_blobs;
      }
    }
  }
  for (const ScannedEntry& item : scanned) {
    ++report.entries;
    if (item.state == EntryState::damaged) {
      SEALEXEC_TRY_ASSIGN(const bool moved, quarantine(item.relative, item.identity));
      if (moved) {
        ++report.corrupt_entries;
      }
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

  // Leftovers of processes that died mid-put, recognised by exact name.
  // Liveness is the writer's flock, which the kernel drops when it dies (a
  // pid would lie across PID namespaces).
  SEALEXEC_TRY_ASSIGN(const Fd tmp, m_dir.subdirectory("tmp"));
  for (const DirEntry& file : list_directory(tmp.get())) {
    const TempName kind = classify_temp_name(file.name);
    if (kind == TempName::not_ours || !S_ISREG(file.st.st_mode)) {
      continue;
    }
    // A file being moved keeps its old mtime, but the rename set its ctime.
    // An older sealexec's writer does not lock its file: its writes keep the
    // mtime fresh.
    if ((kind == TempName::moving && now - file.st.st_ctim.tv_sec <= k_moving_settle_s) ||
        (kind == TempName::legacy && now - file.st.st_mtim.tv_sec <= options.temp_grace_s)) {
      continue;
    }
    const Fd locked = lock_if_unheld(tmp.get(), file.name);
    if (locked && ::unlinkat(tmp.get(), file.name.c_str(), 0) == 0) {
      ++report.temp_files_removed;
    }
  }

  // Lock files nobody holds (a live holder removes its own; one killed
  // leaves it behind). A producer that opened it and locks it after us finds
  // its name gone and takes a new one (key_lock.h).
  SEALEXEC_TRY_ASSIGN(const Fd locks, m_dir.subdirectory("locks"));
  for (const DirEntry& file : list_directory(locks.get())) {
    if (!entry_name_digest(file.name) || !S_ISREG(file.st.st_mode)) {
      continue;
    }
    const Fd locked = lock_if_unheld(locks.get(), file.name);
    if (locked && ::unlinkat(locks.get(), file.name.c_str(), 0) == 0) {
      ++report.temp_files_removed;
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
    if (item.state == EntryState::damaged) {
      SEALEXEC_TRY(quarantine(item.relative, item.identity));
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
    // Only the entry that was judged least recently used: one published
    // again meanwhile is new, and stays.
    SEALEXEC_TRY_ASSIGN(const Acted evicted, remove_judged(item->relative, item->identity));
    if (evicted == Acted::yes) {
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
    const std::string shard_dir = fmt::format("cas/{}", hex.substr(0, 2));
    SEALEXEC_TRY_ASSIGN(const Fd fd, m_dir.subdirectory(shard_dir));
    for (const char* suffix : {"", ".zst"}) {
      if (::unlinkat(fd.get(), fmt::format("{}{}", hex, suffix).c_str(), 0) == 0) {
        ++report.blobs_removed;
      }
    }
  }
  // Orphans: only a whole-cache gc knows every reference. An orphan is judged
  // by the file listed, and removed only while its name still holds it.
  if (!shard) {
    for (const std::string& shard_dir : shards(m_dir, "cas", std::nullopt)) {
      SEALEXEC_TRY_ASSIGN(const Fd fd, m_dir.subdirectory(shard_dir));
      for (const DirEntry& file : list_directory(fd.get())) {
        const auto named = blob_name_digest(file.name);
        if (named && !referenced.contains(named->hex()) &&
            now - file.st.st_mtim.tv_sec > options.orphan_grace_s) {
          SEALEXEC_TRY_ASSIGN(const Acted removed,
                              remove_judged(shard_dir + "/" + file.name, FileIdentity::of(file.st)));
          report.blobs_removed += removed == Acted::yes ? 1 : 0;
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

Expected<void> Cache::adopt_legacy_cache() {
  // One adopter at a time; the others wait here, then find the tag. Not for
  // ever: an adopter that is stopped leaves the cache as it was, unadopted,
  // which works (its old entries are misses until adopted).
  SEALEXEC_TRY_ASSIGN(const bool locked, flock_within(m_dir.fd(), LOCK_EX, k_adoption_wait,
                                                      m_dir.path().string()));
  if (!locked) {
    return {};
  }
  struct Unlock {
    int fd;
    ~Unlock() { ::flock(fd, LOCK_UN); }
  } unlock{m_dir.fd()};
  SEALEXEC_TRY(m_dir.recognise());
  if (m_dir.layout() >= k_cache_layout) {
    return {};
  }
  // Entries of the unbound format name their key only by their file name:
  // bind each to the key it is stored under. (A sealexec from before tags
  // that still runs could replace one meanwhile: the name is checked right
  // before the rename, so at worst its newer entry is bound instead.)
  for (const std::string& shard_dir : shards(m_dir, "ac", std::nullopt)) {
    SEALEXEC_TRY_ASSIGN(const Fd shard, m_dir.subdirectory(shard_dir));
    for (const DirEntry& file : list_directory(shard.get())) {
      const auto key = entry_name_digest(file.name);
      if (!key || !S_ISREG(file.st.st_mode) ||
          static_cast<std::uint64_t>(file.st.st_size) > k_max_action_entry_size) {
        continue;
      }
      const std::string relative = shard_dir + "/" + file.name;
      const Fd fd(::openat(shard.get(), file.name.c_str(),
                           O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
      struct stat st {};
      if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        continue;
      }
      std::vector<std::byte> bytes(static_cast<std::size_t>(st.st_size));
      if (::pread(fd.get(), bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
        continue;
      }
      auto stored = parse_stored_entry(bytes, m_dir.describe(relative));
      if (!stored || stored->key) {
        continue; // damaged (lookups quarantine it) or already bound
      }
      // Not flushed one by one (two fsyncs an entry would make adopting a
      // large cache take minutes): the whole file system is flushed once,
      // before the tag says the cache is adopted.
      SEALEXEC_TRY_ASSIGN(TempFile bound, TempFile::create(m_dir));
      SEALEXEC_TRY(write_all(bound.fd(), serialize_stored(*key, stored->entry),
                             m_dir.describe("tmp/" + bound.name())));
      SEALEXEC_TRY(bound.finish(Durability::unsynced));
      struct stat now_named {};
      if (::fstatat(shard.get(), file.name.c_str(), &now_named, AT_SYMLINK_NOFOLLOW) == 0 &&
          FileIdentity::of(now_named) == FileIdentity::of(st)) {
        SEALEXEC_TRY(bound.rename_over(relative, Durability::unsynced));
      }
    }
  }
  if (::syncfs(m_dir.fd()) != 0) {
    return fail(system_error("cannot flush the adopted cache", m_dir.path().string(), "syncfs"));
  }
  return m_dir.write_tag();
}

} // namespace sealexec::cache
