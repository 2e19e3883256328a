#include "sealexec/remote/remote_stats.h"

#include "test_support.h"

#include <gtest/gtest.h>

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
  EXPECT_LT(std::filesystem::file_size(scratch.path() / "cache/stats/remote"), 200U);
  EXPECT_FALSE(std::filesystem::exists(scratch.path() / "cache/stats/999999.remote-folding"));
}

} // namespace
} // namespace sealexec::remote
