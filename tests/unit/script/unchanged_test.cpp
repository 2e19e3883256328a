#include "sealexec/script/unchanged.h"

#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace sealexec::script {
namespace {

constexpr std::int64_t k_second = 1'000'000'000;

void write(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  test::write_file(path, text);
}

TEST(StampedBefore, FineStampsCompareAsTheyAre) {
  const std::int64_t moment = 1000 * k_second + 123'456'789;
  EXPECT_TRUE(stamped_before(moment - 1, moment));
  EXPECT_FALSE(stamped_before(moment, moment));
  EXPECT_FALSE(stamped_before(moment + 1, moment));
}

// A file system that keeps whole seconds (or 2 s, FAT) rounds a change made
// after the moment down to the moment's own second: that stamp must not
// pass, while one of an earlier second must.
TEST(StampedBefore, CoarseStampsCompareWithTheMomentRoundedDown) {
  const std::int64_t moment = 1001 * k_second + 500'000'000;
  EXPECT_FALSE(stamped_before(1001 * k_second, moment)); // could be 1001.7
  EXPECT_TRUE(stamped_before(999 * k_second, moment));
  EXPECT_FALSE(stamped_before(1000 * k_second, moment)); // 2 s: could be 1001.7
  EXPECT_TRUE(stamped_before(998 * k_second, moment));
  // Milliseconds (exFAT keeps 10 ms).
  EXPECT_FALSE(stamped_before(1001 * k_second + 500'000'000, moment + 5'000'000));
  EXPECT_TRUE(stamped_before(1001 * k_second + 490'000'000, moment + 5'000'000));
  // Before 1970 too.
  EXPECT_FALSE(stamped_before(-k_second, -k_second / 2));
  EXPECT_TRUE(stamped_before(-3 * k_second, -k_second / 2));
}

TEST(CoarseClockAfter, PassesTheInstant) {
  const std::int64_t instant = fine_now_ns();
  const std::int64_t moment = coarse_clock_after(instant);
  EXPECT_GT(moment, instant);
  EXPECT_LE(moment, coarse_now_ns());
}

// A file changed before the instant is stamped before the moment, however
// soon after the change the moment is taken: what lets a test (or a person)
// edit a header and run at once, and still be cached.
TEST(CoarseClockAfter, AChangeJustBeforeIsBefore) {
  test::TempDir dir;
  for (int i = 0; i < 20; ++i) {
    write(dir / "h.h", std::to_string(i));
    struct stat st {};
    ASSERT_EQ(::stat((dir / "h.h").c_str(), &st), 0); // multigrain: now fine-grained
    write(dir / "h.h", std::to_string(i + 1));
    ASSERT_EQ(::stat((dir / "h.h").c_str(), &st), 0);
    const std::int64_t moment = coarse_clock_after(fine_now_ns());
    EXPECT_TRUE(stamped_before(st.st_ctim.tv_sec * k_second + st.st_ctim.tv_nsec, moment));
    // ...and a change after the moment is not.
    write(dir / "h.h", std::to_string(i + 2));
    ASSERT_EQ(::stat((dir / "h.h").c_str(), &st), 0);
    EXPECT_FALSE(stamped_before(st.st_ctim.tv_sec * k_second + st.st_ctim.tv_nsec, moment));
  }
}

struct Identity {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
};
Identity identity(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

class PathCheckTest : public ::testing::Test {
protected:
  void SetUp() override {
    write(dir / "v1/inc/h.h", "1");
    write(dir / "v2/inc/h.h", "2");
    std::filesystem::create_directory_symlink("v1", dir / "current");
    file = identity(dir / "v1/inc/h.h");
    since = coarse_clock_after(fine_now_ns());
  }
  std::string check(const std::filesystem::path& path) {
    PathCheck paths(since);
    return paths.changed(path.string(), file.dev, file.ino);
  }
  test::TempDir dir;
  Identity file;
  std::int64_t since = 0;
};

TEST_F(PathCheckTest, UnchangedPathPasses) {
  EXPECT_EQ(check(dir / "current/inc/h.h"), "");
  EXPECT_EQ(check(dir / "current/inc/../inc/./h.h"), "");
  // ".." after a link goes up from where the link leads, as in the kernel.
  EXPECT_EQ(check(dir / "current/inc/../../v1/inc/h.h"), "");
}

TEST_F(PathCheckTest, EntriesAddedToADirectoryOnThePathPass) {
  write(dir / "new-file", "");
  write(dir / "v1/inc/other.h", "");
  EXPECT_EQ(check(dir / "current/inc/h.h"), "");
}

TEST_F(PathCheckTest, ARepointedLinkIsAChange) {
  std::filesystem::create_directory_symlink("v2", dir / "current.new");
  std::filesystem::rename(dir / "current.new", dir / "current"); // ln -sfn v2 current
  file = identity(dir / "v1/inc/h.h"); // even were the old file still named
  const std::string why = check(dir / "current/inc/h.h");
  EXPECT_NE(why.find("a symbolic link"), std::string::npos) << why;
}

TEST_F(PathCheckTest, ADirectoryRenamedIntoPlaceIsAChange) {
  std::filesystem::rename(dir / "v1/inc", dir / "v1/inc.old");
  std::filesystem::rename(dir / "v2/inc", dir / "v1/inc");
  file = identity(dir / "v1/inc/h.h");
  const std::string why = check(dir / "current/inc/h.h");
  EXPECT_NE(why.find("a directory"), std::string::npos) << why;
}

TEST_F(PathCheckTest, APathNamingAnotherFileIsAChange) {
  file = identity(dir / "v2/inc/h.h");
  EXPECT_NE(check(dir / "current/inc/h.h").find("no longer names"), std::string::npos);
  EXPECT_NE(check(dir / "current/inc/gone.h").find("is gone"), std::string::npos);
}

TEST_F(PathCheckTest, LinkLoopsEnd) {
  std::filesystem::create_symlink("loop", dir / "loop");
  since = coarse_clock_after(fine_now_ns());
  EXPECT_NE(check(dir / "loop/h.h").find("too many symbolic links"), std::string::npos);
}

} // namespace
} // namespace sealexec::script
