// The cache under the attacks of issue 10: entries swapped between keys,
// files that are not ours, damage that must heal, hostile files in place of
// blobs, maintenance racing with writers, and caches from before tags.
#include "sealexec/cache/cache.h"

#include "sealexec/cache/publish.h"
#include "test_support.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace sealexec::cache {
namespace {

using test::as_bytes;
using test::TempDir;

std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Sha256Digest key_of(const Fingerprint& fp, std::string_view input) {
  const std::string_view inputs[] = {input};
  return make_key(fp, inputs);
}

std::size_t files_in(const std::filesystem::path& directory) {
  if (!std::filesystem::exists(directory)) {
    return 0;
  }
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(directory),
                                                std::filesystem::directory_iterator()));
}

// Bytes this process has read through read(2)/pread(2) so far.
std::uint64_t bytes_read_so_far() {
  std::ifstream io("/proc/self/io");
  std::string word;
  std::uint64_t value = 0;
  while (io >> word >> value) {
    if (word == "rchar:") {
      return value;
    }
  }
  return 0;
}

class CacheAttackTest : public testing::Test {
protected:
  Cache open_cache(CacheConfig config = {}) {
    config.gc_every = 0;
    auto cache = Cache::open(m_dir / "cache", config);
    EXPECT_TRUE(cache) << cache.error().message();
    return std::move(*cache);
  }
  std::filesystem::path in_cache(const std::string& relative) const {
    return m_dir / "cache" / relative;
  }
  const Fingerprint m_fp = Fingerprint::of({{"engine", "cranelift"}, {"version", "1"}});
  TempDir m_dir;
};

TEST_F(CacheAttackTest, AnEntryCopiedOverAnotherKeyIsAMissAndQuarantined) {
  Cache cache = open_cache();
  const auto a = key_of(m_fp, "a.c");
  const auto b = key_of(m_fp, "b.c");
  ASSERT_OK(cache.put(a, m_fp, as_bytes("I am a.c")));
  ASSERT_OK(cache.put(b, m_fp, as_bytes("I am b.c")));
  // Same fingerprint, valid checksum: only the binding can tell.
  std::filesystem::copy_file(in_cache(entry_path(b)), in_cache(entry_path(a)),
                             std::filesystem::copy_options::overwrite_existing);
  const auto image = cache.load_image(a, m_fp);
  ASSERT_OK(image);
  EXPECT_FALSE(image->has_value()) << "served b's bytes for a";
  EXPECT_FALSE(std::filesystem::exists(in_cache(entry_path(a))));
  EXPECT_EQ(files_in(in_cache("quarantine")), 1U);
  const auto other = cache.load_image(b, m_fp);
  ASSERT_TRUE(other && other->has_value());
  EXPECT_EQ(text_of((*other)->bytes()), "I am b.c");
  // A rename is the same as a copy.
  std::filesystem::rename(in_cache(entry_path(b)), in_cache(entry_path(a)));
  EXPECT_FALSE(cache.lookup(a, m_fp)->has_value());
  EXPECT_EQ(cache.statistics()->corrupt, 2U);
}

TEST_F(CacheAttackTest, VerifyFindsASwappedEntry) {
  Cache cache = open_cache();
  const auto a = key_of(m_fp, "a");
  const auto b = key_of(m_fp, "b");
  ASSERT_OK(cache.put(a, m_fp, as_bytes("A")));
  ASSERT_OK(cache.put(b, m_fp, as_bytes("B")));
  std::filesystem::copy_file(in_cache(entry_path(b)), in_cache(entry_path(a)),
                             std::filesystem::copy_options::overwrite_existing);
  const auto report = cache.verify();
  ASSERT_OK(report);
  EXPECT_EQ(report->corrupt_entries, 1U);
  EXPECT_EQ(cache.list()->size(), 1U);
}

// Writes the cache as a sealexec from before tags left it: no tag, and entries
// in the unbound format.
void make_legacy(const std::filesystem::path& cache_dir, const Sha256Digest& key) {
  const auto entry = cache_dir / entry_path(key);
  auto stored = parse_stored_entry(test::read_bytes(entry), "entry");
  ASSERT_OK(stored);
  ::chmod(entry.c_str(), 0644);
  std::filesystem::remove(entry);
  const auto old = serialize(stored->entry);
  test::write_file(entry, text_of(old), 0444);
  std::filesystem::remove(cache_dir / "CACHEDIR.TAG");
}

TEST_F(CacheAttackTest, ACacheFromBeforeTagsIsAdoptedWithEveryEntryKept) {
  const auto key = key_of(m_fp, "k");
  {
    Cache cache = open_cache();
    ASSERT_OK(cache.put(key, m_fp, as_bytes("kept across the upgrade")));
  }
  make_legacy(m_dir / "cache", key);
  ASSERT_FALSE(parse_stored_entry(test::read_bytes(in_cache(entry_path(key))), "e")->key);
  Cache cache = open_cache();
  EXPECT_EQ(cache.directory().layout(), k_cache_layout);
  EXPECT_TRUE(std::filesystem::exists(in_cache("CACHEDIR.TAG")));
  const auto stored = parse_stored_entry(test::read_bytes(in_cache(entry_path(key))), "e");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->key, key) << "bound to its key on adoption";
  const auto image = cache.load_image(key, m_fp);
  ASSERT_TRUE(image && image->has_value());
  EXPECT_EQ(text_of((*image)->bytes()), "kept across the upgrade");
}

TEST_F(CacheAttackTest, AnAdopterThatIsStoppedHoldsNobodyUpForEver) {
  const auto key = key_of(m_fp, "k");
  {
    Cache cache = open_cache();
    ASSERT_OK(cache.put(key, m_fp, as_bytes("kept")));
  }
  make_legacy(m_dir / "cache", key);
  // An adopter stopped while it holds the cache directory's lock.
  const Fd held(::open((m_dir / "cache").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(held);
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    auto cache = Cache::open(m_dir / "cache");
    // Opened, unadopted: the old entry is a miss until adopted, and the
    // cache works meanwhile.
    const bool usable = cache && !(*cache->lookup(key, m_fp)).has_value() &&
                        cache->put(key_of(m_fp, "new"), m_fp, as_bytes("new")).has_value();
    _exit(usable ? 0 : 1);
  }
  const auto status = test::wait_within(child, std::chrono::seconds(60));
  ASSERT_TRUE(status) << "opening the cache waited for the stopped adopter for 60 s";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  EXPECT_FALSE(std::filesystem::exists(in_cache("CACHEDIR.TAG")));
  ::flock(held.get(), LOCK_UN);
  Cache adopted = open_cache();
  EXPECT_TRUE(std::filesystem::exists(in_cache("CACHEDIR.TAG")));
  EXPECT_TRUE(adopted.lookup(key, m_fp)->has_value());
}

TEST_F(CacheAttackTest, AnUnboundEntryInATaggedCacheIsNeverServedNorCountedAsDamage) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "k");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("v")));
  make_legacy(m_dir / "cache", key);
  // Written by an older sealexec after the adoption: no key to check it by.
  test::write_file(in_cache("CACHEDIR.TAG"), cache_tag_text());
  const auto hit = cache.lookup(key, m_fp);
  ASSERT_OK(hit);
  EXPECT_FALSE(hit->has_value());
  EXPECT_TRUE(std::filesystem::exists(in_cache(entry_path(key))));
  EXPECT_EQ(cache.statistics()->corrupt, 0U);
  ASSERT_OK(cache.put(key, m_fp, as_bytes("v")));
  EXPECT_TRUE(cache.lookup(key, m_fp)->has_value());
}

TEST_F(CacheAttackTest, APutOfContentWhoseBlobIsDamagedHealsIt) {
  Cache cache = open_cache();
  const auto first = key_of(m_fp, "first");
  ASSERT_OK(cache.put(first, m_fp, as_bytes("shared content")));
  const auto blob = in_cache(blob_path(sha256(as_bytes("shared content"))));
  ::chmod(blob.c_str(), 0644);
  test::write_file(blob, "shared CONTENT", 0444);
  // Another key, the same content: the put must not trust the damaged file
  // just because it has the right name.
  const auto second = key_of(m_fp, "second");
  ASSERT_OK(cache.put(second, m_fp, as_bytes("shared content")));
  for (const auto& key : {second, first}) {
    const auto image = cache.load_image(key, m_fp);
    ASSERT_TRUE(image && image->has_value());
    EXPECT_EQ(text_of((*image)->bytes()), "shared content");
  }
  EXPECT_EQ(files_in(in_cache("quarantine")), 1U);
  EXPECT_EQ(cache.verify()->corrupt_blobs, 0U);
}

TEST_F(CacheAttackTest, AnUnusableQuarantineIsAnErrorNotSilentMisses) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "k");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("v")));
  std::filesystem::create_directories(m_dir / "elsewhere");
  std::filesystem::create_directory_symlink(m_dir / "elsewhere", in_cache("quarantine"));
  const auto entry = in_cache(entry_path(key));
  ::chmod(entry.c_str(), 0644);
  test::write_file(entry, "garbage", 0444);
  Cache reader = open_cache();
  const auto hit = reader.lookup(key, m_fp);
  ASSERT_FALSE(hit);
  EXPECT_NE(hit.error().path.find("quarantine"), std::string::npos) << hit.error().message();
  EXPECT_TRUE(std::filesystem::is_empty(m_dir / "elsewhere"));
}

TEST_F(CacheAttackTest, AFifoOrSocketInPlaceOfABlobIsAMissAndQuarantined) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "k");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("content")));
  const auto blob = in_cache(blob_path(sha256(as_bytes("content"))));
  std::filesystem::remove(blob);
  ASSERT_EQ(::mkfifo(blob.c_str(), 0600), 0);
  // Someone holds it open for writing, as an attacker would: reads then say
  // EAGAIN instead of end of file.
  const Fd writer(::open(blob.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(writer);
  for (int round = 0; round < 2; ++round) {
    const auto image = cache.load_image(key, m_fp);
    ASSERT_OK(image);
    EXPECT_FALSE(image->has_value());
  }
  EXPECT_FALSE(std::filesystem::exists(blob));
  EXPECT_EQ(files_in(in_cache("quarantine")), 1U);
  // And a put brings it back.
  ASSERT_OK(cache.put(key, m_fp, as_bytes("content")));
  EXPECT_TRUE(cache.load_mapping(key, m_fp)->has_value());
}

TEST_F(CacheAttackTest, ABlobWhoseSizeDisagreesWithItsEntryIsRefusedBeforeReading) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "k");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("small")));
  const auto blob = in_cache(blob_path(sha256(as_bytes("small"))));
  ::chmod(blob.c_str(), 0644);
  std::filesystem::resize_file(blob, std::uint64_t{1} << 40); // a 1 TiB sparse file
  const std::uint64_t before = bytes_read_so_far();
  const auto report = cache.verify();
  ASSERT_OK(report);
  EXPECT_EQ(report->corrupt_blobs, 1U);
  EXPECT_LT(bytes_read_so_far() - before, std::uint64_t{1} << 20) << "verify read the huge blob";
  EXPECT_FALSE(cache.load_image(key, m_fp)->has_value());
}

TEST_F(CacheAttackTest, ALookupLeavesADamagedEntryAsItFoundIt) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "k");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("v")));
  const auto entry = in_cache(entry_path(key));
  ::chmod(entry.c_str(), 0644);
  test::write_file(entry, "not an entry", 0444);
  const struct timespec old[2] = {{.tv_sec = 1000, .tv_nsec = 0}, {.tv_sec = 1000, .tv_nsec = 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, entry.c_str(), old, 0), 0);
  EXPECT_FALSE(cache.lookup(key, m_fp)->has_value());
  ASSERT_EQ(files_in(in_cache("quarantine")), 1U);
  const auto quarantined = std::filesystem::directory_iterator(in_cache("quarantine"))->path();
  struct stat st {};
  ASSERT_EQ(::stat(quarantined.c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000) << "the lookup refreshed an entry it had not validated";
}

TEST_F(CacheAttackTest, GcLeavesTheFilesOfLiveWritersAndEverythingNotOurs) {
  Cache cache = open_cache();
  ASSERT_OK(cache.put(key_of(m_fp, "k"), m_fp, as_bytes("v")));
  // A writer that is alive (holds its lock), in whatever PID namespace.
  test::write_file(in_cache("tmp/put-00000000000000aa.tmp"), "being written");
  const Fd held(::open(in_cache("tmp/put-00000000000000aa.tmp").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
  test::write_file(in_cache("tmp/put-00000000000000bb.tmp"), "left by a dead writer");
  test::write_file(in_cache("tmp/notes.txt"), "not ours");
  std::filesystem::create_directories(in_cache("locks"));
  std::filesystem::create_directories(in_cache("ac/00"));
  test::write_file(in_cache("locks/README"), "not ours");
  const std::string lock_name(64, 'a');
  test::write_file(in_cache("locks/" + lock_name), "");
  GcOptions options;
  options.temp_grace_s = -1;
  const auto report = cache.gc(options);
  ASSERT_OK(report);
  EXPECT_EQ(report->temp_files_removed, 2U);
  EXPECT_TRUE(std::filesystem::exists(in_cache("tmp/put-00000000000000aa.tmp")));
  EXPECT_FALSE(std::filesystem::exists(in_cache("tmp/put-00000000000000bb.tmp")));
  EXPECT_EQ(test::read_file(in_cache("tmp/notes.txt")), "not ours");
  EXPECT_EQ(test::read_file(in_cache("locks/README")), "not ours");
  EXPECT_FALSE(std::filesystem::exists(in_cache("locks/" + lock_name)));
  // clear touches only entry and blob names too.
  test::write_file(in_cache("ac/00/notes.txt"), "not ours");
  ASSERT_OK(cache.clear());
  EXPECT_EQ(test::read_file(in_cache("ac/00/notes.txt")), "not ours");
}

TEST_F(CacheAttackTest, GcRefusesATmpOthersCanWrite) {
  Cache cache = open_cache();
  ASSERT_OK(cache.put(key_of(m_fp, "k"), m_fp, as_bytes("v")));
  ASSERT_EQ(::chmod(in_cache("tmp").c_str(), 01777), 0);
  test::write_file(in_cache("tmp/put-00000000000000bb.tmp"), "someone else's");
  Cache again = open_cache();
  const auto report = again.gc();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::policy);
  EXPECT_TRUE(std::filesystem::exists(in_cache("tmp/put-00000000000000bb.tmp")));
}

TEST_F(CacheAttackTest, AWriterWhoseTempFileGcTookStartsAgain) {
  // The file exists a moment before its writer locks it; if gc removes it in
  // that moment, the writer must notice rather than write into nothing.
  Cache cache = open_cache();
  auto temp = TempFile::create(cache.directory());
  ASSERT_OK(temp);
  struct stat st {};
  ASSERT_EQ(::stat(in_cache("tmp/" + temp->name()).c_str(), &st), 0);
  EXPECT_EQ(FileIdentity::of(st), temp->identity());
  // Held: a gc in another process leaves it.
  const pid_t child = ::fork();
  if (child == 0) {
    auto other = Cache::open(m_dir / "cache");
    _exit(other && other->gc() && std::filesystem::exists(in_cache("tmp/" + temp->name())) ? 0
                                                                                           : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

} // namespace
} // namespace sealexec::cache
