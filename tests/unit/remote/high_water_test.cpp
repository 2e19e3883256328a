#include "sealexec/remote/high_water.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sealexec::remote {
namespace {

// Keys of shard `shard` (first byte), told apart by their last two bytes.
Sha256Digest key_in_shard(std::uint8_t shard, std::uint16_t n) {
  Sha256Digest key;
  key.bytes.fill(0x11);
  key.bytes[0] = shard;
  key.bytes[30] = static_cast<std::uint8_t>(n >> 8);
  key.bytes[31] = static_cast<std::uint8_t>(n);
  return key;
}

class HighWaterTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = cache::CacheDir::open(m_scratch / "cache");
    ASSERT_TRUE(opened) << opened.error().message();
    m_dir.emplace(std::move(*opened));
  }
  [[nodiscard]] const cache::CacheDir& dir() const { return *m_dir; }
  [[nodiscard]] std::filesystem::path shard_file(std::uint8_t shard) const {
    char name[3];
    std::snprintf(name, sizeof name, "%02x", shard);
    return m_scratch / "cache/remote/high-water" / name;
  }

  test::TempDir m_scratch;
  std::optional<cache::CacheDir> m_dir;
};

TEST_F(HighWaterTest, RisesAndNeverFalls) {
  const auto key = key_in_shard(0xab, 1);
  EXPECT_EQ(high_water(dir(), key), std::nullopt);
  ASSERT_OK(raise_high_water(dir(), key, 2000));
  EXPECT_EQ(high_water(dir(), key), 2000U);
  ASSERT_OK(raise_high_water(dir(), key, 1000)); // an older entry: the mark stays
  EXPECT_EQ(high_water(dir(), key), 2000U);
  ASSERT_OK(raise_high_water(dir(), key, 3000));
  EXPECT_EQ(high_water(dir(), key), 3000U);
  // Per key: neither a neighbour in the shard nor a key of another shard.
  EXPECT_EQ(high_water(dir(), key_in_shard(0xab, 2)), std::nullopt);
  EXPECT_EQ(high_water(dir(), key_in_shard(0x01, 1)), std::nullopt);
  ASSERT_OK(raise_high_water(dir(), key_in_shard(0x01, 1), 5));
  EXPECT_EQ(high_water(dir(), key_in_shard(0x01, 1)), 5U);
  EXPECT_EQ(high_water(dir(), key), 3000U);
}

TEST_F(HighWaterTest, SurvivesTheProcessAndIsPrivate) {
  const auto key = key_in_shard(0x42, 7);
  ASSERT_OK(raise_high_water(dir(), key, 123456789));
  auto again = cache::CacheDir::open(m_scratch / "cache");
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(high_water(*again, key), 123456789U);
  struct stat st {};
  ASSERT_EQ(::stat(shard_file(0x42).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444U);
  ASSERT_EQ(::stat((m_scratch / "cache/remote/high-water").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700U);
  // Written beside and renamed over: nothing left behind in tmp/.
  EXPECT_TRUE(std::filesystem::is_empty(m_scratch / "cache/tmp"));
}

TEST_F(HighWaterTest, EachShardKeepsItsMostRecentlyRaisedKeys) {
  // A bound of 4 instead of 512, to keep the test fast; the same code.
  constexpr std::size_t k_keep = 4;
  for (std::uint16_t n = 0; n < k_keep; ++n) {
    ASSERT_OK(raise_high_water(dir(), key_in_shard(0x07, n), 100 + n, k_keep));
  }
  // Key 0 raised again (the same entry fetched again) is recent once more.
  ASSERT_OK(raise_high_water(dir(), key_in_shard(0x07, 0), 100, k_keep));
  // One more key: the least recently raised (key 1) is forgotten.
  ASSERT_OK(raise_high_water(dir(), key_in_shard(0x07, 9999), 1, k_keep));
  EXPECT_EQ(high_water(dir(), key_in_shard(0x07, 1)), std::nullopt);
  EXPECT_EQ(high_water(dir(), key_in_shard(0x07, 0)), 100U);
  EXPECT_EQ(high_water(dir(), key_in_shard(0x07, 2)), 102U);
  EXPECT_EQ(high_water(dir(), key_in_shard(0x07, 3)), 103U);
  EXPECT_EQ(high_water(dir(), key_in_shard(0x07, 9999)), 1U);
  // Bounded: the file never holds more than its limit, newest first.
  const auto parsed = parse_high_water(test::read_bytes(shard_file(0x07)), "shard");
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->size(), k_keep);
  EXPECT_EQ(parsed->front().key, key_in_shard(0x07, 9999));
  // Another shard is not touched by this one's bound.
  EXPECT_FALSE(std::filesystem::exists(shard_file(0x08)));
}

TEST_F(HighWaterTest, TheRealBoundHolds) {
  // A full shard (written directly: 512 raises would take seconds of
  // fsyncs) takes one more key by forgetting its oldest.
  std::vector<HighWater> full;
  for (std::uint16_t n = 0; n < k_high_water_per_shard; ++n) {
    full.push_back({key_in_shard(0x5c, n), n + 1U});
  }
  ASSERT_OK(raise_high_water(dir(), key_in_shard(0x5c, 0), 1)); // creates the directories
  std::filesystem::remove(shard_file(0x5c));
  const auto bytes = serialize_high_water(full);
  {
    std::ofstream out(shard_file(0x5c), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_EQ(high_water(dir(), key_in_shard(0x5c, k_high_water_per_shard - 1)),
            std::uint64_t{k_high_water_per_shard});
  ASSERT_OK(raise_high_water(dir(), key_in_shard(0x5c, 9999), 7));
  const auto parsed = parse_high_water(test::read_bytes(shard_file(0x5c)), "shard");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->size(), k_high_water_per_shard);
  EXPECT_EQ(high_water(dir(), key_in_shard(0x5c, 9999)), 7U);
  EXPECT_EQ(high_water(dir(), key_in_shard(0x5c, k_high_water_per_shard - 1)), std::nullopt);
  EXPECT_EQ(high_water(dir(), key_in_shard(0x5c, 0)), 1U);
}

TEST_F(HighWaterTest, ConcurrentRaisesAreNotLost) {
  // Processes raising keys of one shard at once: each rewrites the whole
  // shard, so without the lock one would overwrite another's marks.
  constexpr int k_processes = 6;
  constexpr int k_keys = 8;
  std::vector<pid_t> children;
  for (int p = 0; p < k_processes; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto own = cache::CacheDir::open(m_scratch / "cache");
      bool ok = own.has_value();
      for (int k = 0; ok && k < k_keys; ++k) {
        ok = raise_high_water(*own, key_in_shard(0x99, static_cast<std::uint16_t>(p * 100 + k)),
                              static_cast<std::uint64_t>(p * 100 + k + 1))
                 .has_value();
      }
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  for (int p = 0; p < k_processes; ++p) {
    for (int k = 0; k < k_keys; ++k) {
      EXPECT_EQ(high_water(dir(), key_in_shard(0x99, static_cast<std::uint16_t>(p * 100 + k))),
                static_cast<std::uint64_t>(p * 100 + k + 1))
          << "process " << p << ", key " << k;
    }
  }
}

TEST_F(HighWaterTest, DamagedOrPlantedShardHoldsNoMarksAndIsReplaced) {
  const auto key = key_in_shard(0x30, 1);
  ASSERT_OK(raise_high_water(dir(), key, 50));
  const auto file = shard_file(0x30);
  auto bytes = test::read_bytes(file);
  bytes[bytes.size() / 2] ^= std::byte{1};
  std::filesystem::remove(file);
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_EQ(high_water(dir(), key), std::nullopt);
  ASSERT_OK(raise_high_water(dir(), key_in_shard(0x30, 2), 60));
  EXPECT_EQ(high_water(dir(), key_in_shard(0x30, 2)), 60U);

  // A symlink planted as the shard is not followed, and replaced itself.
  test::write_file(m_scratch / "target", "precious");
  std::filesystem::remove(file);
  std::filesystem::create_symlink(m_scratch / "target", file);
  EXPECT_EQ(high_water(dir(), key), std::nullopt);
  ASSERT_OK(raise_high_water(dir(), key, 70));
  EXPECT_EQ(high_water(dir(), key), 70U);
  EXPECT_FALSE(std::filesystem::is_symlink(file));
  EXPECT_EQ(test::read_file(m_scratch / "target"), "precious");
}

TEST_F(HighWaterTest, ARaiserThatIsStoppedHoldsNobodyUp) {
  // Another process (a debugger's prisoner, a frozen container) holds the
  // marks' lock and never lets go: a raise gives up, and only forgets.
  ASSERT_OK(raise_high_water(dir(), key_in_shard(0x10, 1), 10));
  const Fd held(::open((m_scratch / "cache/remote/high-water").c_str(),
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(held);
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    // Another open file description, as another process's would be.
    auto again = cache::CacheDir::open(m_scratch / "cache");
    const auto raised = again ? raise_high_water(*again, key_in_shard(0x10, 1), 20)
                              : Expected<void>{};
    _exit(!raised && raised.error().code == Errc::timed_out ? 0 : 1);
  }
  const auto status = test::wait_within(child, std::chrono::seconds(30));
  ASSERT_TRUE(status) << "the raise waited for the stopped holder for 30 s";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "the raise did not give up";
  EXPECT_EQ(high_water(dir(), key_in_shard(0x10, 1)), 10U) << "reading needs no lock";
}

TEST(HighWaterMarkFor, NeverPastThisMachinesClock) {
  constexpr std::uint64_t now = 1'700'000'000'000'000'000;
  EXPECT_EQ(mark_for(now - 5, now), now - 5);
  EXPECT_EQ(mark_for(now, now), now);
  // A writer whose clock runs a year ahead.
  EXPECT_EQ(mark_for(now + 365ULL * 86'400'000'000'000, now), now);
}

TEST(HighWaterFormat, RoundTripsAndRefusesAnyDamage) {
  const std::vector<HighWater> marks{{key_in_shard(1, 1), 42}, {key_in_shard(1, 2), ~0ULL}};
  const auto bytes = serialize_high_water(marks);
  const auto parsed = parse_high_water(bytes, "marks");
  ASSERT_OK(parsed);
  EXPECT_EQ(*parsed, marks);
  EXPECT_TRUE(parse_high_water(serialize_high_water({}), "empty").has_value());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto damaged = bytes;
    damaged[i] ^= std::byte{0x40};
    const auto result = parse_high_water(damaged, "marks");
    ASSERT_FALSE(result) << "byte " << i;
    EXPECT_EQ(result.error().code, Errc::malformed);
  }
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(parse_high_water(std::span(bytes).first(cut), "marks")) << "cut at " << cut;
  }
  // More marks than a shard keeps is not something we wrote.
  std::vector<HighWater> too_many(k_high_water_per_shard + 1);
  EXPECT_FALSE(parse_high_water(serialize_high_water(too_many), "marks"));
}

} // namespace
} // namespace sealexec::remote
