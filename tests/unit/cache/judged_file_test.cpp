#include "sealexec/cache/judged_file.h"

#include "test_support.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sealexec::cache {
namespace {

using test::TempDir;

class JudgedFileTest : public testing::Test {
protected:
  void SetUp() override {
    std::filesystem::create_directories(m_dir / "from");
    std::filesystem::create_directories(m_dir / "to");
    m_from = Fd(::open((m_dir / "from").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    m_to = Fd(::open((m_dir / "to").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  FileIdentity identity_of(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0);
    return FileIdentity::of(st);
  }
  TempDir m_dir;
  Fd m_from;
  Fd m_to;
};

TEST_F(JudgedFileTest, MovesTheFileThatWasJudged) {
  test::write_file(m_dir / "from/entry", "damaged");
  const FileIdentity judged = identity_of(m_dir / "from/entry");
  const auto acted = move_if_same(m_from.get(), "entry", m_to.get(), "entry.1", judged, "entry");
  ASSERT_OK(acted);
  EXPECT_EQ(*acted, Acted::yes);
  EXPECT_FALSE(std::filesystem::exists(m_dir / "from/entry"));
  EXPECT_EQ(test::read_file(m_dir / "to/entry.1"), "damaged");
}

TEST_F(JudgedFileTest, AFileRepublishedSinceTheJudgementStaysWhereItIs) {
  test::write_file(m_dir / "from/entry", "damaged");
  const FileIdentity judged = identity_of(m_dir / "from/entry");
  // Someone removes it and publishes a valid one under the same name (a new
  // inode) between the judgement and the move.
  test::write_file(m_dir / "from/new", "valid");
  std::filesystem::rename(m_dir / "from/new", m_dir / "from/entry");
  ASSERT_NE(identity_of(m_dir / "from/entry"), judged);
  const auto acted = move_if_same(m_from.get(), "entry", m_to.get(), "entry.1", judged, "entry");
  ASSERT_OK(acted);
  EXPECT_EQ(*acted, Acted::changed);
  EXPECT_EQ(test::read_file(m_dir / "from/entry"), "valid");
  EXPECT_TRUE(std::filesystem::is_empty(m_dir / "to"));
}

TEST_F(JudgedFileTest, RemovalSparesARepublishedFileAndReportsAGoneOne) {
  test::write_file(m_dir / "from/entry", "old");
  const FileIdentity judged = identity_of(m_dir / "from/entry");
  test::write_file(m_dir / "from/new", "new");
  std::filesystem::rename(m_dir / "from/new", m_dir / "from/entry");
  auto acted = remove_if_same(m_from.get(), "entry", m_to.get(), "scratch", judged, "entry");
  ASSERT_OK(acted);
  EXPECT_EQ(*acted, Acted::changed);
  EXPECT_EQ(test::read_file(m_dir / "from/entry"), "new");
  EXPECT_TRUE(std::filesystem::is_empty(m_dir / "to"));

  acted = remove_if_same(m_from.get(), "entry", m_to.get(), "scratch",
                         identity_of(m_dir / "from/entry"), "entry");
  ASSERT_OK(acted);
  EXPECT_EQ(*acted, Acted::yes);
  EXPECT_FALSE(std::filesystem::exists(m_dir / "from/entry"));
  EXPECT_TRUE(std::filesystem::is_empty(m_dir / "to"));

  acted = remove_if_same(m_from.get(), "entry", m_to.get(), "scratch", judged, "entry");
  ASSERT_OK(acted);
  EXPECT_EQ(*acted, Acted::gone);
}

TEST_F(JudgedFileTest, NeverReplacesWhatIsAtTheTarget) {
  test::write_file(m_dir / "from/entry", "damaged");
  test::write_file(m_dir / "to/entry.1", "earlier");
  const auto acted = move_if_same(m_from.get(), "entry", m_to.get(), "entry.1",
                                  identity_of(m_dir / "from/entry"), "entry");
  EXPECT_FALSE(acted);
  EXPECT_EQ(test::read_file(m_dir / "to/entry.1"), "earlier");
  EXPECT_EQ(test::read_file(m_dir / "from/entry"), "damaged");
}

} // namespace
} // namespace sealexec::cache
