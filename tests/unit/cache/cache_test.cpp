#include "sealexec/cache/cache.h"

#include "sealexec/cache/publish.h"
#include "test_support.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace sealexec::cache {
namespace {

using test::as_bytes;
using test::TempDir;

std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

class CacheTest : public testing::Test {
protected:
  Cache open_cache(CacheConfig config = {}) {
    config.gc_every = 0; // deterministic unless a test asks
    auto cache = Cache::open(m_dir / "cache", config);
    EXPECT_TRUE(cache) << cache.error().message();
    return std::move(*cache);
  }
  const Fingerprint m_fp = Fingerprint::of({{"engine", "cranelift"}, {"version", "1"}});
  TempDir m_dir;
};

Sha256Digest key_of(const Fingerprint& fp, std::string_view input) {
  const std::string_view inputs[] = {input};
  return make_key(fp, inputs);
}

TEST_F(CacheTest, PutThenLoadAsImageAndAsMapping) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "module.wasm");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("compiled code"), "module.wasm"));
  const auto entry = cache.lookup(key, m_fp);
  ASSERT_OK(entry);
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->description, "module.wasm");
  EXPECT_EQ((*entry)->size, 13U);

  ImageOptions options;
  options.name = "module";
  const auto image = cache.load_image(key, m_fp, options);
  ASSERT_OK(image);
  ASSERT_TRUE(image->has_value());
  EXPECT_EQ(text_of((*image)->bytes()), "compiled code");
  EXPECT_TRUE(has_base_seals((*image)->fd()));

  const auto mapped = cache.load_mapping(key, m_fp);
  ASSERT_OK(mapped);
  ASSERT_TRUE(mapped->has_value());
  EXPECT_EQ(text_of((*mapped)->mapping.bytes()), "compiled code");
}

TEST_F(CacheTest, AnotherFingerprintNeverSharesAnEntry) {
  // Wasmtime #10283: Winch and Cranelift builds shared one key.
  Cache cache = open_cache();
  const Fingerprint winch = Fingerprint::of({{"engine", "winch"}, {"version", "1"}});
  EXPECT_NE(key_of(m_fp, "m.wasm"), key_of(winch, "m.wasm"));
  ASSERT_OK(cache.put(key_of(m_fp, "m.wasm"), m_fp, as_bytes("cranelift code")));
  EXPECT_FALSE(cache.lookup(key_of(winch, "m.wasm"), winch)->has_value());
  // Even asked with the right key, the stored fingerprint must match.
  EXPECT_FALSE(cache.lookup(key_of(m_fp, "m.wasm"), winch)->has_value());
}

TEST_F(CacheTest, PublishedFilesAreReadOnlyAndReplacedNeverRewritten) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "k");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("one")));
  struct stat first {};
  const auto path = m_dir / "cache" / entry_path(key);
  ASSERT_EQ(::stat(path.c_str(), &first), 0);
  EXPECT_EQ(first.st_mode & 0777, 0444U);
  const auto mapped = cache.load_mapping(key, m_fp);
  ASSERT_TRUE(mapped && mapped->has_value());

  ASSERT_OK(cache.put(key, m_fp, as_bytes("two")));
  struct stat second {};
  ASSERT_EQ(::stat(path.c_str(), &second), 0);
  EXPECT_NE(first.st_ino, second.st_ino) << "a new entry is a new inode";
  // The mapping of the old blob is untouched.
  EXPECT_EQ(text_of((*mapped)->mapping.bytes()), "one");
  EXPECT_EQ(text_of((*cache.load_image(key, m_fp))->bytes()), "two");
}

TEST_F(CacheTest, TwoWritersOfTheSameKeyBothSucceed) {
  Cache a = open_cache();
  Cache b = open_cache();
  const auto key = key_of(m_fp, "same");
  ASSERT_OK(a.put(key, m_fp, as_bytes("from a")));
  ASSERT_OK(b.put(key, m_fp, as_bytes("from b")));
  const auto image = a.load_image(key, m_fp);
  ASSERT_TRUE(image && image->has_value());
  EXPECT_EQ(text_of((*image)->bytes()), "from b");
}

TEST_F(CacheTest, DamagedEntriesAndBlobsAreMissesQuarantinedAndCounted) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "k");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("precious bytes")));
  // Flip a byte of the blob (made writable for the test, as an intruder would).
  const auto entry = *cache.lookup(key, m_fp);
  const auto blob = m_dir / "cache" / blob_path(entry->blob_sha256);
  ::chmod(blob.c_str(), 0644);
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('X');
  }
  const auto image = cache.load_image(key, m_fp);
  ASSERT_OK(image);
  EXPECT_FALSE(image->has_value());
  EXPECT_FALSE(std::filesystem::exists(blob)) << "quarantined";
  EXPECT_FALSE(std::filesystem::is_empty(m_dir / "cache/quarantine"));

  // A damaged entry file.
  ASSERT_OK(cache.put(key, m_fp, as_bytes("precious bytes")));
  const auto path = m_dir / "cache" / entry_path(key);
  ::chmod(path.c_str(), 0644);
  {
    std::ofstream f(path, std::ios::app);
    f << "junk";
  }
  EXPECT_FALSE(cache.lookup(key, m_fp)->has_value());
  EXPECT_EQ(cache.statistics()->corrupt, 2U);
}

TEST_F(CacheTest, SymlinksInsideTheCacheAreNeverFollowed) {
  Cache cache = open_cache();
  const auto key = key_of(m_fp, "k");
  ASSERT_OK(cache.put(key, m_fp, as_bytes("mine")));
  const auto path = m_dir / "cache" / entry_path(key);
  // Replace the entry with a link to an attacker's well-formed entry elsewhere.
  test::write_file(m_dir / "outside", "whatever");
  std::filesystem::remove(path);
  std::filesystem::create_symlink(m_dir / "outside", path);
  EXPECT_FALSE(cache.lookup(key, m_fp)->has_value());
  // And a shard directory replaced by a link.
  std::filesystem::remove_all(m_dir / "cache/cas");
  std::filesystem::create_directories(m_dir / "elsewhere");
  std::filesystem::create_symlink(m_dir / "elsewhere", m_dir / "cache/cas");
  const auto put = cache.put(key_of(m_fp, "k2"), m_fp, as_bytes("x"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Errc::policy);
  EXPECT_TRUE(std::filesystem::is_empty(m_dir / "elsewhere")) << "nothing written through it";
}

TEST_F(CacheTest, ADirectoryOthersCanWriteIsRefused) {
  std::filesystem::create_directories(m_dir / "shared");
  ::chmod((m_dir / "shared").c_str(), 0770);
  const auto cache = Cache::open(m_dir / "shared");
  ASSERT_FALSE(cache);
  EXPECT_EQ(cache.error().code, Errc::policy);
  EXPECT_NE(cache.error().reason.find("writable by its group"), std::string::npos);

  Cache ok = open_cache();
  struct stat st {};
  ASSERT_EQ(::stat((m_dir / "cache").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
}

TEST_F(CacheTest, ReadsRefuseAShardOthersCanWrite) {
  const auto key = key_of(m_fp, "k");
  {
    Cache writer = open_cache();
    ASSERT_OK(writer.put(key, m_fp, as_bytes("mine")));
  }
  // Someone else could have planted the entry: an error, not a hit or a miss.
  const auto shard = (m_dir / "cache" / entry_path(key)).parent_path();
  ASSERT_EQ(::chmod(shard.c_str(), 0770), 0);
  Cache reader = open_cache();
  const auto hit = reader.load_image(key, m_fp);
  ASSERT_FALSE(hit);
  EXPECT_EQ(hit.error().code, Errc::policy);
  EXPECT_NE(hit.error().reason.find("writable by its group"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(m_dir / "cache" / entry_path(key))) << "not quarantined";
  ASSERT_EQ(::chmod(shard.c_str(), 0700), 0);
  EXPECT_TRUE(reader.load_image(key, m_fp)->has_value());
}

TEST_F(CacheTest, ADirectoryOfAnotherUserIsRefused) {
  if (!test::is_root()) {
    GTEST_SKIP() << "SKIPPED: needs root to give a directory to another user";
  }
  std::filesystem::create_directories(m_dir / "theirs");
  ASSERT_EQ(::chown((m_dir / "theirs").c_str(), 65534, 65534), 0);
  const auto cache = Cache::open(m_dir / "theirs");
  ASSERT_FALSE(cache);
  EXPECT_NE(cache.error().reason.find("belongs to uid 65534"), std::string::npos);
}

TEST_F(CacheTest, GcKeepsTheMostRecentlyUsedWithinTheLimits) {
  CacheConfig config;
  config.max_entries = 2;
  Cache cache = open_cache(config);
  for (const std::string_view name : {"a", "b", "c"}) {
    ASSERT_OK(cache.put(key_of(m_fp, name), m_fp, as_bytes(name)));
  }
  // Make "a" the most recently used, and "b" clearly older.
  const auto b = m_dir / "cache" / entry_path(key_of(m_fp, "b"));
  const timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, b.c_str(), old, 0), 0);
  ASSERT_TRUE(cache.lookup(key_of(m_fp, "a"), m_fp)->has_value());

  GcOptions options;
  options.orphan_grace_s = 0;
  const auto report = cache.gc(options);
  ASSERT_OK(report);
  EXPECT_EQ(report->entries_evicted, 1U);
  EXPECT_EQ(report->entries_after, 2U);
  EXPECT_FALSE(cache.lookup(key_of(m_fp, "b"), m_fp)->has_value());
  EXPECT_TRUE(cache.lookup(key_of(m_fp, "a"), m_fp)->has_value());
  EXPECT_TRUE(cache.lookup(key_of(m_fp, "c"), m_fp)->has_value());
}

TEST_F(CacheTest, AHitRefreshesAnEntryTimeOnlyWhenItIsStale) {
  Cache cache = open_cache();
  ASSERT_OK(cache.put(key_of(m_fp, "k"), m_fp, as_bytes("v")));
  const auto path = m_dir / "cache" / entry_path(key_of(m_fp, "k"));
  auto mtime = [&] {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mtim.tv_sec;
  };
  const std::int64_t now = ::time(nullptr);
  // Ten seconds old: within the LRU resolution, so a hit leaves it alone.
  const timespec recent[2] = {{now - 10, 0}, {now - 10, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), recent, 0), 0);
  ASSERT_TRUE(cache.lookup(key_of(m_fp, "k"), m_fp)->has_value());
  EXPECT_EQ(mtime(), now - 10);
  // An hour old: a hit makes it current again.
  const timespec stale[2] = {{now - 3600, 0}, {now - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), stale, 0), 0);
  ASSERT_TRUE(cache.lookup(key_of(m_fp, "k"), m_fp)->has_value());
  EXPECT_GE(mtime(), now);
}

TEST_F(CacheTest, GcRemovesLeftoversOfDeadWritersAndOrphans) {
  Cache cache = open_cache();
  ASSERT_OK(cache.put(key_of(m_fp, "k"), m_fp, as_bytes("kept")));
  // A temporary file whose writer died (nobody holds its lock), and an
  // orphan blob.
  test::write_file(m_dir / "cache/tmp/put-0123456789abcdef.tmp", "half");
  const auto orphan = sha256(as_bytes("orphan"));
  std::filesystem::create_directories((m_dir / "cache" / blob_path(orphan)).parent_path());
  test::write_file(m_dir / "cache" / blob_path(orphan), "orphan", 0444);
  GcOptions options;
  options.orphan_grace_s = -1;
  const auto report = cache.gc(options);
  ASSERT_OK(report);
  EXPECT_EQ(report->temp_files_removed, 1U);
  EXPECT_EQ(report->blobs_removed, 1U);
  EXPECT_TRUE(std::filesystem::is_empty(m_dir / "cache/tmp"));
  EXPECT_TRUE(cache.lookup(key_of(m_fp, "k"), m_fp)->has_value());
}

TEST_F(CacheTest, VerifyRecomputesEveryBlobsDigest) {
  Cache cache = open_cache();
  ASSERT_OK(cache.put(key_of(m_fp, "good"), m_fp, as_bytes("good")));
  ASSERT_OK(cache.put(key_of(m_fp, "bad"), m_fp, as_bytes("bad")));
  const auto bad = m_dir / "cache" / blob_path(sha256(as_bytes("bad")));
  ::chmod(bad.c_str(), 0644);
  test::write_file(bad, "BAD");
  const auto report = cache.verify();
  ASSERT_OK(report);
  EXPECT_EQ(report->entries, 2U);
  EXPECT_EQ(report->blobs, 2U);
  EXPECT_EQ(report->corrupt_blobs, 1U);
  EXPECT_EQ(report->missing_blobs, 1U);
  EXPECT_EQ(cache.verify()->corrupt_blobs, 0U) << "quarantined the first time";
}

TEST_F(CacheTest, StatisticsSurviveTheObject) {
  {
    Cache cache = open_cache();
    ASSERT_OK(cache.put(key_of(m_fp, "k"), m_fp, as_bytes("v")));
    (void)cache.lookup(key_of(m_fp, "k"), m_fp);
    (void)cache.lookup(key_of(m_fp, "missing"), m_fp);
  }
  Cache again = open_cache();
  const auto counters = again.statistics();
  ASSERT_OK(counters);
  EXPECT_EQ(counters->puts, 1U);
  EXPECT_EQ(counters->hits, 1U);
  EXPECT_EQ(counters->misses, 1U);
}

TEST_F(CacheTest, GcFoldsTheStatisticsFileWithoutLosingCounts) {
  {
    Cache cache = open_cache();
    (void)cache.statistics();
  }
  // 5,000 processes' worth of lines (280 KB, so reading crosses many chunk
  // boundaries mid-line), and a fold that died half way (its process, pid
  // 999999, does not exist).
  std::string lines;
  for (int i = 0; i < 5000; ++i) {
    lines += format_counters(Counters{.hits = 2, .misses = 1});
  }
  test::write_file(m_dir / "cache/stats/counters", lines, 0600);
  test::write_file(m_dir / "cache/stats/999999.folding",
                   format_counters(Counters{.puts = 7}), 0600);
  Cache cache = open_cache();
  auto before = cache.statistics();
  ASSERT_OK(before);
  EXPECT_EQ(before->hits, 10000U);
  EXPECT_EQ(before->puts, 7U);

  ASSERT_OK(cache.gc());
  cache.flush_statistics(); // the gc run itself
  const auto after = cache.statistics();
  ASSERT_OK(after);
  EXPECT_EQ(after->hits, 10000U);
  EXPECT_EQ(after->misses, 5000U);
  EXPECT_EQ(after->puts, 7U);
  EXPECT_EQ(after->gc_runs, 1U);
  EXPECT_LT(std::filesystem::file_size(m_dir / "cache/stats/counters"), 200U);
  // An older sealexec's fold is taken in only an hour after it was made (it
  // may still be at work): counted once meanwhile.
  EXPECT_TRUE(std::filesystem::exists(m_dir / "cache/stats/999999.folding"));
}

TEST_F(CacheTest, RemoveAndClear) {
  Cache cache = open_cache();
  ASSERT_OK(cache.put(key_of(m_fp, "a"), m_fp, as_bytes("a")));
  ASSERT_OK(cache.put(key_of(m_fp, "b"), m_fp, as_bytes("b")));
  EXPECT_EQ(cache.remove(key_of(m_fp, "a")), true);
  EXPECT_EQ(cache.remove(key_of(m_fp, "a")), false);
  EXPECT_EQ(cache.list()->size(), 1U);
  ASSERT_OK(cache.clear());
  EXPECT_TRUE(cache.list()->empty());
  EXPECT_FALSE(cache.lookup(key_of(m_fp, "b"), m_fp)->has_value());
}

TEST_F(CacheTest, CompressedBlobsRoundTripAndAreCheckedToo) {
  CacheConfig config;
  config.compress = true;
  Cache cache = open_cache(config);
  std::string content;
  for (int i = 0; i < 20000; ++i) {
    content += "compressible line " + std::to_string(i % 97) + "\n";
  }
  const auto key = key_of(m_fp, "big");
  ASSERT_OK(cache.put(key, m_fp, as_bytes(content)));
  const auto sha = sha256(as_bytes(content));
  const auto stored = m_dir / "cache" / compressed_blob_path(sha);
  ASSERT_TRUE(std::filesystem::exists(stored));
  EXPECT_LT(std::filesystem::file_size(stored), content.size() / 4);
  EXPECT_FALSE(std::filesystem::exists(m_dir / "cache" / blob_path(sha)));

  const auto image = cache.load_image(key, m_fp);
  ASSERT_TRUE(image && image->has_value());
  EXPECT_EQ(text_of((*image)->bytes()), content);
  const auto mapped = cache.load_mapping(key, m_fp);
  ASSERT_TRUE(mapped && mapped->has_value());
  EXPECT_EQ(text_of((*mapped)->mapping.bytes()), content);
  EXPECT_EQ(cache.verify()->corrupt_blobs, 0U);

  // Damage inside the frame: a miss, quarantined.
  ::chmod(stored.c_str(), 0644);
  {
    std::fstream f(stored, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  const auto damaged = cache.load_image(key, m_fp);
  ASSERT_OK(damaged);
  EXPECT_FALSE(damaged->has_value());
  EXPECT_FALSE(std::filesystem::exists(stored));
}

TEST(Publish, TempNamesAreRecognisedExactly) {
  EXPECT_EQ(classify_temp_name("put-0123456789abcdef.tmp"), TempName::writing);
  EXPECT_EQ(classify_temp_name("moving-0123456789abcdef.tmp"), TempName::moving);
  EXPECT_EQ(classify_temp_name("1234.0123456789abcdef.tmp"), TempName::legacy);
  for (const char* name : {"abc.tmp", "1234.0123", "-5.x.tmp", "put-0123456789ABCDEF.tmp",
                           "put-0123456789abcdef.tmp~", "notes.txt", "put-.tmp",
                           "1234.0123456789abcdeg.tmp", "x1234.0123456789abcdef.tmp"}) {
    EXPECT_EQ(classify_temp_name(name), TempName::not_ours) << name;
  }
  EXPECT_EQ(classify_temp_name(unique_temp_name("put")), TempName::writing);
}

} // namespace
} // namespace sealexec::cache
