#include "sealexec/cache/cache_dir.h"

#include "test_support.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

namespace sealexec::cache {
namespace {

using test::TempDir;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> names_in(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    names.push_back(entry.path().filename().string());
  }
  std::ranges::sort(names);
  return names;
}

TEST(CacheDir, ANewOrEmptyDirectoryBecomesATaggedCache) {
  TempDir scratch;
  auto created = CacheDir::open(scratch / "new/cache");
  ASSERT_OK(created);
  EXPECT_EQ(created->layout(), k_cache_layout);
  EXPECT_EQ(test::read_file(scratch / "new/cache/CACHEDIR.TAG"), cache_tag_text());
  struct stat st {};
  ASSERT_EQ(::stat((scratch / "new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U) << "parents are created private too";

  std::filesystem::create_directories(scratch / "empty");
  ::chmod((scratch / "empty").c_str(), 0700);
  ASSERT_OK(CacheDir::open(scratch / "empty"));
  EXPECT_EQ(names_in(scratch / "empty"), std::vector<std::string>{"CACHEDIR.TAG"});
  // And it is recognised from then on, whatever it holds.
  test::write_file(scratch / "empty/cache.conf", "max_size = 1G\n");
  std::filesystem::create_directories(scratch / "empty/ac");
  ASSERT_OK(CacheDir::open(scratch / "empty"));
}

TEST(CacheDir, ADirectoryNeitherEmptyNorOursIsRefusedAndLeftAlone) {
  TempDir scratch;
  const auto home = scratch / "home";
  std::filesystem::create_directories(home / "tmp");
  ::chmod(home.c_str(), 0700);
  test::write_file(home / "tmp/draft.txt", "my draft");
  const auto refused = CacheDir::open(home);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::policy);
  EXPECT_TRUE(contains(refused.error().reason, "neither empty nor a sealexec cache"))
      << refused.error().reason;
  EXPECT_TRUE(contains(refused.error().reason, "'tmp'")) << refused.error().reason;
  EXPECT_EQ(names_in(home), std::vector<std::string>{"tmp"}) << "nothing created";
  EXPECT_EQ(test::read_file(home / "tmp/draft.txt"), "my draft");

  // A file of ours by name only is not enough, nor is a lone file.
  std::filesystem::create_directories(scratch / "notes");
  ::chmod((scratch / "notes").c_str(), 0700);
  test::write_file(scratch / "notes/todo", "x");
  EXPECT_FALSE(CacheDir::open(scratch / "notes"));
}

TEST(CacheDir, AnotherProgramsCacheAndANewerLayoutAreRefused) {
  TempDir scratch;
  std::filesystem::create_directories(scratch / "ccache");
  ::chmod((scratch / "ccache").c_str(), 0700);
  test::write_file(scratch / "ccache/CACHEDIR.TAG",
                   "Signature: 8a477f597d28d172789f06886806bc55\n# ccache\n");
  auto refused = CacheDir::open(scratch / "ccache");
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().reason, "another program's cache")) << refused.error().reason;

  std::filesystem::create_directories(scratch / "newer");
  ::chmod((scratch / "newer").c_str(), 0700);
  test::write_file(scratch / "newer/CACHEDIR.TAG", cache_tag_text(k_cache_layout + 1));
  refused = CacheDir::open(scratch / "newer");
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().reason, "a newer sealexec made it")) << refused.error().reason;

  // A CACHEDIR.TAG that is no tag at all, alone: a user's file, kept.
  std::filesystem::create_directories(scratch / "odd");
  ::chmod((scratch / "odd").c_str(), 0700);
  test::write_file(scratch / "odd/CACHEDIR.TAG", "my notes about tags");
  EXPECT_FALSE(CacheDir::open(scratch / "odd"));
  EXPECT_EQ(test::read_file(scratch / "odd/CACHEDIR.TAG"), "my notes about tags");
}

TEST(CacheDir, ACacheFromBeforeTagsIsRecognisedForAdoption) {
  TempDir scratch;
  const auto old = scratch / "old";
  for (const char* sub : {"ac/ab", "cas/cd", "tmp", "stats", "locks", "quarantine"}) {
    std::filesystem::create_directories(old / sub);
  }
  test::write_file(old / "cache.conf", "max_size = 1G\n");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(old)) {
    if (entry.is_directory()) {
      ::chmod(entry.path().c_str(), 0700);
    }
  }
  ::chmod(old.c_str(), 0700);
  auto opened = CacheDir::open(old);
  ASSERT_OK(opened);
  EXPECT_EQ(opened->layout(), 1U) << "Cache::open adopts it";
  EXPECT_FALSE(std::filesystem::exists(old / "CACHEDIR.TAG"));
}

TEST(CacheDir, SystemDirectoriesAndHomeAreNeverACache) {
  for (const char* system : {"/", "/dev", "/etc", "/usr", "/tmp", "/proc", "/var/tmp", "/usr/",
                             "/proc/self", "/sys/kernel", "/dev/pts", "//usr//"}) {
    const auto refused = CacheDir::open(system);
    ASSERT_FALSE(refused) << system;
    EXPECT_EQ(refused.error().code, Errc::policy) << system;
  }
  TempDir scratch;
  std::filesystem::create_directories(scratch / "home");
  ::chmod((scratch / "home").c_str(), 0700);
  const std::filesystem::path refused_list[] = {scratch / "home"};
  const auto home = CacheDir::open(scratch / "home/", refused_list);
  ASSERT_FALSE(home);
  EXPECT_TRUE(contains(home.error().reason, "your home directory")) << home.error().reason;
  EXPECT_TRUE(std::filesystem::is_empty(scratch / "home"));
  // Through a symbolic link too.
  std::filesystem::create_directory_symlink(scratch / "home", scratch / "link");
  EXPECT_FALSE(CacheDir::open(scratch / "link/.", refused_list));
  EXPECT_TRUE(std::filesystem::is_empty(scratch / "home"));
  // Below it is fine.
  ASSERT_OK(CacheDir::open(scratch / "home/.cache/sealexec", refused_list));
}

TEST(CacheDir, RootNeverCreatesInsideAnotherUsersDirectory) {
  if (!test::is_root()) {
    GTEST_SKIP() << "SKIPPED: needs root to give a directory to another user";
  }
  TempDir scratch;
  const auto home = scratch / "someone";
  std::filesystem::create_directories(home);
  ASSERT_EQ(::chown(home.c_str(), 65534, 65534), 0);
  const auto refused = CacheDir::open(home / ".cache/sealexec");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::policy);
  EXPECT_TRUE(contains(refused.error().reason, "belongs to uid 65534")) << refused.error().reason;
  EXPECT_TRUE(std::filesystem::is_empty(home)) << "no root-owned ~/.cache left behind";
  // Inside a directory root owns, it is created as before.
  ASSERT_OK(CacheDir::open(scratch / "mine/cache"));
}

} // namespace
} // namespace sealexec::cache
