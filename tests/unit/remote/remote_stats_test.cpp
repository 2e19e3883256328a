#include "sealexec/remote/remote_stats.h"

#include "cache/stats_processes.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sealexec::remote {
namespace {

TEST(RemoteStats, LinesRoundTripAndSumPerBackend) {
  const BackendCounters one{.hits = 1, .misses = 2, .errors = 3, .timeouts = 4, .rejected = 5,
                            .puts = 6};
  std::string text = format_backend_counters("redis://a:6379/0", one) +
                     format_backend_counters("http://b:80/cache", one) +
                     format_backend_counters("redis://a:6379/0", one);
  BackendTotals totals;
  add_backend_counters(totals, text);
  ASSERT_EQ(totals.size(), 2U);
  EXPECT_EQ(totals[0].first, "redis://a:6379/0");
  EXPECT_EQ(totals[0].second.rejected, 10U);
  EXPECT_EQ(totals[1].first, "http://b:80/cache");
  EXPECT_EQ(totals[1].second, one);
}

TEST(RemoteStats, SkipsWhatItCannotRead) {
  BackendTotals totals;
  add_backend_counters(totals, "garbage\nv1\nv1 x hits=1x\nv1 y hits=18446744073709551616\n"
                               "v2 z hits=1\nv1 ok hits=2 future=7\n");
  ASSERT_EQ(totals.size(), 1U);
  EXPECT_EQ(totals[0].first, "ok");
  EXPECT_EQ(totals[0].second.hits, 2U);
}

TEST(RemoteStats, ANameWithBlanksStaysOneLine) {
  const std::string line = format_backend_counters("a b\nc", BackendCounters{.hits = 1});
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  BackendTotals totals;
  add_backend_counters(totals, line);
  ASSERT_EQ(totals.size(), 1U);
  EXPECT_EQ(totals[0].first, "a?b?c");
}

TEST(RemoteStats, AppendedLinesAreReadBack) {
  test::TempDir scratch;
  auto dir = cache::CacheDir::open(scratch.path() / "cache");
  ASSERT_TRUE(dir) << dir.error().message();
  EXPECT_TRUE(read_backend_counters(*dir)->empty());
  ASSERT_TRUE(append_backend_counters(*dir, "redis://h:1/0", BackendCounters{.hits = 2}));
  ASSERT_TRUE(append_backend_counters(*dir, "redis://h:1/0", BackendCounters{.timeouts = 1}));
  ASSERT_TRUE(append_backend_counters(*dir, "redis://h:1/0", BackendCounters{})); // nothing
  const auto totals = read_backend_counters(*dir);
  ASSERT_TRUE(totals);
  ASSERT_EQ(totals->size(), 1U);
  EXPECT_EQ((*totals)[0].second, (BackendCounters{.hits = 2, .timeouts = 1}));
}

TEST(RemoteStats, AWriterFoldsALargeFileWithoutLosingCounts) {
  test::TempDir scratch;
  auto dir = cache::CacheDir::open(scratch.path() / "cache");
  ASSERT_TRUE(dir) << dir.error().message();
  // Years of CI jobs' lines: the file once stopped being read past 16 MiB.
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(append_backend_counters(*dir, "redis://a:1/0", BackendCounters{.misses = 1}));
    ASSERT_TRUE(append_backend_counters(*dir, "http://b:80", BackendCounters{.puts = 2}));
  }
  test::write_file(scratch.path() / "cache/stats/999999.remote-folding",
                   format_backend_counters("redis://a:1/0", BackendCounters{.errors = 3}), 0600);
  const auto before = read_backend_counters(*dir);
  ASSERT_TRUE(before);
  ASSERT_TRUE(fold_backend_counters(*dir));
  const auto after = read_backend_counters(*dir);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, *before);
  ASSERT_EQ(after->size(), 2U);
  EXPECT_EQ((*after)[0].second, (BackendCounters{.misses = 2000, .errors = 3}));
  EXPECT_EQ((*after)[1].second, (BackendCounters{.puts = 4000}));
  EXPECT_FALSE(std::filesystem::exists(scratch.path() / "cache/stats/remote"));
  EXPECT_LT(std::filesystem::file_size(scratch.path() / "cache/stats/remote.base.2"), 200U);
  // An older sealexec's fold, recent enough to be at work still, is left
  // alone (and counted once); an old one is taken in.
  EXPECT_TRUE(std::filesystem::exists(scratch.path() / "cache/stats/999999.remote-folding"));
  ASSERT_OK(fold_backend_counters(*dir, cache::FoldOptions{.legacy_grace = std::chrono::seconds{0}}));
  EXPECT_EQ(*read_backend_counters(*dir), *before);
  EXPECT_FALSE(std::filesystem::exists(scratch.path() / "cache/stats/999999.remote-folding"));
}

// The writer that folds may be killed at any step; the next fold finishes.
TEST(RemoteStats, AFoldKilledAtEveryStepLosesAndDoublesNothing) {
  test::TempDir scratch;
  const auto stats = scratch.path() / "cache/stats";
  int killed = 0;
  for (int kill_at = 0;; ++kill_at) {
    SCOPED_TRACE(::testing::Message() << "killed at step " << kill_at);
    std::filesystem::remove_all(scratch.path() / "cache");
    auto dir = cache::CacheDir::open(scratch.path() / "cache");
    ASSERT_TRUE(dir) << dir.error().message();
    ASSERT_OK(append_backend_counters(*dir, "redis://a:1/0", BackendCounters{.hits = 1}));
    ASSERT_OK(fold_backend_counters(*dir, 0));
    ASSERT_OK(append_backend_counters(*dir, "redis://a:1/0", BackendCounters{.misses = 2}));
    ASSERT_OK(append_backend_counters(*dir, "http://b:80", BackendCounters{.puts = 3}));
    test::write_file(stats / "77.remote-folding",
                     format_backend_counters("http://b:80", BackendCounters{.errors = 4}), 0600);
    BackendTotals expected{{"redis://a:1/0", BackendCounters{.hits = 1, .misses = 2}},
                           {"http://b:80", BackendCounters{.errors = 4, .puts = 3}}};
    const auto sorted = [](BackendTotals totals) {
      std::sort(totals.begin(), totals.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      return totals;
    };
    std::sort(expected.begin(), expected.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    ASSERT_EQ(sorted(*read_backend_counters(*dir)), expected);

    const auto end = test::run_killed_at(kill_at, [&](const cache::StatsObserver& observer) {
      return fold_backend_counters(
          *dir, cache::FoldOptions{.threshold_bytes = 0, .legacy_grace = std::chrono::seconds{0}, .observer = observer});
    });
    ASSERT_TRUE(end && *end != test::ChildEnd::failed);
    EXPECT_EQ(sorted(*read_backend_counters(*dir)), expected);
    ASSERT_OK(append_backend_counters(*dir, "redis://a:1/0", BackendCounters{.timeouts = 5}));
    expected[1].second.timeouts += 5; // "redis..." sorts after "http..."
    EXPECT_EQ(sorted(*read_backend_counters(*dir)), expected);
    ASSERT_OK(fold_backend_counters(*dir, cache::FoldOptions{.threshold_bytes = 0,
                                                             .legacy_grace = std::chrono::seconds{0}}));
    EXPECT_EQ(sorted(*read_backend_counters(*dir)), expected);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(stats),
                            std::filesystem::directory_iterator()),
              2)
        << "a base and the lock";
    if (*end == test::ChildEnd::finished) {
      break;
    }
    ++killed;
  }
  EXPECT_GT(killed, 5);
}

} // namespace
} // namespace sealexec::remote
