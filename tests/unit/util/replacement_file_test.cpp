#include "sealexec/util/replacement_file.h"

#include "test_support.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sealexec {
namespace {


std::size_t files_in(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}

TEST(ReplacementFile, ReplacesTheDestinationOnlyOnCommit) {
  test::TempDir dir;
  test::write_file(dir / "out", "old");
  {
    auto file = ReplacementFile::create(dir / "out");
    ASSERT_OK(file);
    ASSERT_EQ(::write(file->fd(), "new", 3), 3);
    EXPECT_EQ(test::read_file(dir / "out"), "old"); // not yet
    ASSERT_OK(file->commit());
  }
  EXPECT_EQ(test::read_file(dir / "out"), "new");
  EXPECT_EQ(files_in(dir.path()), 1U);
}

TEST(ReplacementFile, AnUncommittedFileLeavesNothingBehind) {
  test::TempDir dir;
  test::write_file(dir / "out", "old");
  {
    auto file = ReplacementFile::create(dir / "out");
    ASSERT_OK(file);
    ASSERT_EQ(::write(file->fd(), "half", 4), 4);
  }
  EXPECT_EQ(test::read_file(dir / "out"), "old");
  EXPECT_EQ(files_in(dir.path()), 1U);
}

TEST(ReplacementFile, WritersOfOneDestinationNeverShareATemporaryFile) {
  test::TempDir dir;
  auto first = ReplacementFile::create(dir / "out");
  auto second = ReplacementFile::create(dir / "out");
  ASSERT_OK(first);
  ASSERT_OK(second);
  ASSERT_EQ(::write(first->fd(), "first", 5), 5);
  ASSERT_EQ(::write(second->fd(), "second", 6), 6);
  ASSERT_OK(first->commit());
  EXPECT_EQ(test::read_file(dir / "out"), "first");
  ASSERT_OK(second->commit());
  EXPECT_EQ(test::read_file(dir / "out"), "second");
}

TEST(ReplacementFile, ReplacesASymlinkAtTheDestinationNotItsTarget) {
  test::TempDir dir;
  test::write_file(dir / "victim", "untouched");
  std::filesystem::create_symlink(dir / "victim", dir / "out");
  auto file = ReplacementFile::create(dir / "out");
  ASSERT_OK(file);
  ASSERT_EQ(::write(file->fd(), "new", 3), 3);
  ASSERT_OK(file->commit());
  EXPECT_FALSE(std::filesystem::is_symlink(dir / "out"));
  EXPECT_EQ(test::read_file(dir / "out"), "new");
  EXPECT_EQ(test::read_file(dir / "victim"), "untouched");
}

TEST(ReplacementFile, AMissingDirectoryIsAClearError) {
  test::TempDir dir;
  const auto file = ReplacementFile::create(dir / "no/such/out");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message().find("cannot create a temporary file next to"),
            std::string::npos);
}

} // namespace
} // namespace sealexec
