#include "sealexec/cache/stats.h"

#include "cache/stats_processes.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

namespace sealexec::cache {
namespace {

namespace fs = std::filesystem;

class CacheStatsTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto dir = CacheDir::open(m_scratch.path() / "cache");
    ASSERT_TRUE(dir) << dir.error().message();
    m_dir.emplace(std::move(*dir));
    ASSERT_TRUE(m_dir->subdirectory("stats"));
  }

  [[nodiscard]] fs::path stats() const { return m_scratch.path() / "cache/stats"; }

  [[nodiscard]] Counters total() const {
    const auto counters = read_counters(*m_dir);
    EXPECT_TRUE(counters) << counters.error().message();
    return counters ? *counters : Counters{};
  }

  test::TempDir m_scratch;
  std::optional<CacheDir> m_dir;
};

TEST_F(CacheStatsTest, CountersRoundTripAndUnknownWordsAreSkipped) {
  const Counters one{.hits = 1, .misses = 2, .puts = 3, .corrupt = 4, .evicted = 5, .gc_runs = 6};
  EXPECT_EQ(parse_counters(format_counters(one) + format_counters(one)),
            (Counters{.hits = 2, .misses = 4, .puts = 6, .corrupt = 8, .evicted = 10,
                      .gc_runs = 12}));
  EXPECT_EQ(parse_counters("v1 hits=1 future=3\nv1 hits=x\nv2 hits=5\n\nv1 misses=2\n"),
            (Counters{.hits = 1, .misses = 2}));
}

// gc folds the counters; a gc killed at any step of it loses and doubles
// nothing, and the next one finishes its work.
TEST_F(CacheStatsTest, AFoldKilledAtEveryStepLosesAndDoublesNothing) {
  const Counters batch{.hits = 3, .misses = 1, .puts = 1};
  int killed = 0;
  for (int kill_at = 0;; ++kill_at) {
    SCOPED_TRACE(::testing::Message() << "killed at step " << kill_at);
    fs::remove_all(stats());
    ASSERT_OK(m_dir->subdirectory("stats"));
    ASSERT_OK(append_counters(*m_dir, batch));
    ASSERT_OK(fold_counters(*m_dir, 0));
    ASSERT_OK(append_counters(*m_dir, batch));
    ASSERT_OK(append_counters(*m_dir, batch));
    Counters expected{.hits = 9, .misses = 3, .puts = 3};
    ASSERT_EQ(total(), expected);

    const auto end = test::run_killed_at(kill_at, [&](const StatsObserver& observer) {
      return fold_counters(*m_dir, FoldOptions{.threshold_bytes = 0, .observer = observer});
    });
    ASSERT_TRUE(end && *end != test::ChildEnd::failed);
    EXPECT_EQ(total(), expected);
    ASSERT_OK(append_counters(*m_dir, batch));
    expected += batch;
    EXPECT_EQ(total(), expected);
    ASSERT_OK(fold_counters(*m_dir, 0));
    EXPECT_EQ(total(), expected);
    EXPECT_EQ(std::distance(fs::directory_iterator(stats()), fs::directory_iterator()), 2)
        << "a base and the lock";
    if (*end == test::ChildEnd::finished) {
      break;
    }
    ++killed;
  }
  EXPECT_GT(killed, 5);
}

// What an older sealexec left: the counters file (with a line cut short by
// a kill) and folds in progress, "<pid>.folding". Counted once, before and
// after they are folded in.
TEST_F(CacheStatsTest, AnOlderSealexecsFilesAreCountedExactlyOnce) {
  test::write_file(stats() / "counters", "v1 hits=1 misses=2\nv1 hits=10 mi", 0600);
  test::write_file(stats() / "123.folding", "v1 hits=100 puts=1\n", 0600);
  test::write_file(stats() / "4194304.folding", "v1 hits=1000\n", 0600);
  test::write_file(stats() / "x.folding", "v1 hits=20000\n", 0600);   // not a pid
  test::write_file(stats() / "0123.folding", "v1 hits=20000\n", 0600); // not as written
  ASSERT_OK(append_counters(*m_dir, Counters{.hits = 10000}));
  const Counters expected{.hits = 11101, .misses = 2, .puts = 1};
  EXPECT_EQ(total(), expected);

  // A gc now leaves the legacy folds, which might still be an older
  // sealexec's work in progress, and folds the rest.
  ASSERT_OK(fold_counters(*m_dir, 0));
  EXPECT_EQ(total(), expected);
  EXPECT_TRUE(fs::exists(stats() / "123.folding"));
  EXPECT_TRUE(fs::exists(stats() / "4194304.folding"));
  // Old enough, they are taken in.
  ASSERT_OK(fold_counters(*m_dir, FoldOptions{.threshold_bytes = 0, .legacy_grace = std::chrono::seconds{0}}));
  EXPECT_EQ(total(), expected);
  EXPECT_FALSE(fs::exists(stats() / "123.folding"));
  EXPECT_FALSE(fs::exists(stats() / "4194304.folding"));
  EXPECT_TRUE(fs::exists(stats() / "x.folding"));
  EXPECT_TRUE(fs::exists(stats() / "0123.folding"));
}

TEST_F(CacheStatsTest, ALineCutShortByAKilledWriterDoesNotSwallowTheNext) {
  test::write_file(stats() / "counters", "v1 hits=1\nv1 hits=5 mis", 0600);
  ASSERT_OK(append_counters(*m_dir, Counters{.misses = 7}));
  EXPECT_EQ(total(), (Counters{.hits = 1, .misses = 7}));
}

} // namespace
} // namespace sealexec::cache
