#include "sealexec/cache/stats_file.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::cache {
namespace {

class StatsFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto dir = CacheDir::open(m_scratch.path() / "cache");
    ASSERT_TRUE(dir) << dir.error().message();
    m_dir.emplace(std::move(*dir));
    ASSERT_TRUE(m_dir->subdirectory("stats")); // creates it
  }

  [[nodiscard]] StatsFile file() const { return StatsFile(*m_dir, "lines", ".lines-folding"); }
  [[nodiscard]] std::filesystem::path stats() const { return m_scratch.path() / "cache/stats"; }

  std::vector<std::string> read_lines() const {
    std::vector<std::string> lines;
    EXPECT_TRUE(file().read([&](std::string_view text) {
      while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        lines.emplace_back(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
      }
    }));
    return lines;
  }

  test::TempDir m_scratch;
  std::optional<CacheDir> m_dir;
};

TEST_F(StatsFileTest, ReadsTheFileAndFoldsInProgressButNotOtherFiles) {
  ASSERT_TRUE(file().append("a\n"));
  ASSERT_TRUE(file().append("b\n"));
  test::write_file(stats() / "999999.lines-folding", "c\n", 0600);
  test::write_file(stats() / "x.lines-folding", "not a fold\n", 0600);
  test::write_file(stats() / "other", "not ours\n", 0600);
  auto lines = read_lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(StatsFileTest, ALineLongerThanAChunkIsSkippedToItsEnd) {
  // The tail of the long line looks like a line of its own; it must not be
  // taken for one.
  test::write_file(stats() / "lines", "a\n" + std::string(200'000, 'x') + "tail\nb\n", 0600);
  EXPECT_EQ(read_lines(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(StatsFileTest, FoldReplacesTheLinesWithTheSummaryAndFinishesDeadFolds) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(file().append("1\n"));
  }
  test::write_file(stats() / "999999.lines-folding", "5\n", 0600); // pid 999999 is gone
  const auto sum_into = [](int& total) {
    return [&total](std::string_view text) {
      for (const char c : text) {
        total += c == '\n' ? 0 : c - '0';
      }
    };
  };

  // Small: only the dead fold is finished.
  int total = 0;
  ASSERT_TRUE(file().fold({.threshold_bytes = 1'000}, sum_into(total), [&] { return std::to_string(total) + "\n"; }));
  EXPECT_EQ(total, 5);
  EXPECT_FALSE(std::filesystem::exists(stats() / "999999.lines-folding"));
  EXPECT_EQ(read_lines().size(), 101U);

  // Large: everything becomes one line.
  total = 0;
  ASSERT_TRUE(file().fold({.threshold_bytes = 100}, sum_into(total), [&] { return std::to_string(total) + "\n"; }));
  EXPECT_EQ(read_lines(), std::vector<std::string>{"105"});
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(stats()),
                          std::filesystem::directory_iterator()),
            1);
}

} // namespace
} // namespace sealexec::cache
