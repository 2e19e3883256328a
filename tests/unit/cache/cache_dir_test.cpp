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
  EXPECT_TRUE(contains(refused.error().reason, "nothing in it shows that sealexec made it"))
      << refused.error().reason;
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

// A directory laid out as a cache of a sealexec from before tags: shards,
// one entry in the format of the time, a blob, statistics.
void lay_out_old_cache(const std::filesystem::path& old) {
  for (const char* sub : {"ac/ab", "cas/cd", "tmp", "stats", "locks", "quarantine"}) {
    std::filesystem::create_directories(old / sub);
  }
  test::write_file(old / "cache.conf", "max_size = 1G\n");
  test::write_file(old / ("ac/ab/ab" + std::string(62, '0')), std::string("SEALXAC\n\1\0\0\0", 12));
  test::write_file(old / ("cas/cd/cd" + std::string(62, '1')), "a blob");
  test::write_file(old / "tmp/4242.0123456789abcdef.tmp", "");
  test::write_file(old / "stats/counters", "v1 hits=1 misses=0\n");
}

TEST(CacheDir, ALookalikeOfACacheThatSealexecDidNotMakeIsRefused) {
  // Bazel's --disk_cache: ac/xx/<sha256>, cas/xx/<sha256>, tmp/, and its
  // action entries are protobufs, not sealexec's.
  TempDir scratch;
  const auto bazel = scratch / "bazel";
  for (const char* sub : {"ac/ab", "cas/cd", "tmp"}) {
    std::filesystem::create_directories(bazel / sub);
  }
  test::write_file(bazel / ("ac/ab/ab" + std::string(62, '0')), "\x0a\x22" "ActionResult");
  test::write_file(bazel / ("cas/cd/cd" + std::string(62, '1')), "blob");
  ::chmod(bazel.c_str(), 0700);
  auto refused = CacheDir::open(bazel);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().reason, "Bazel's --disk_cache?")) << refused.error().reason;
  EXPECT_FALSE(std::filesystem::exists(bazel / "CACHEDIR.TAG"));
  // Empty stores prove nothing either; nor does a file of another name.
  std::filesystem::remove_all(bazel / "ac/ab");
  EXPECT_FALSE(CacheDir::open(bazel));
  const auto other = scratch / "other";
  lay_out_old_cache(other);
  test::write_file(other / "stats/notes.txt", "mine");
  ::chmod(other.c_str(), 0700);
  EXPECT_FALSE(CacheDir::open(other));
  // A cache.conf of sealexec's settings, alone, is a cache made ready; any
  // other file of that name is not.
  const auto ready = scratch / "ready";
  std::filesystem::create_directories(ready);
  ::chmod(ready.c_str(), 0700);
  test::write_file(ready / "cache.conf", "# limits\nmax_size = 1G\n\nremote = none\n");
  ASSERT_OK(CacheDir::open(ready));
  const auto conf = scratch / "conf";
  std::filesystem::create_directories(conf);
  ::chmod(conf.c_str(), 0700);
  test::write_file(conf / "cache.conf", "[cache]\nSize: 1G\n");
  EXPECT_FALSE(CacheDir::open(conf));
  EXPECT_FALSE(std::filesystem::exists(conf / "CACHEDIR.TAG"));
}

TEST(CacheDir, ACacheFromBeforeTagsIsRecognisedForAdoption) {
  TempDir scratch;
  const auto old = scratch / "old";
  lay_out_old_cache(old);
  std::filesystem::create_directories(old / "lost+found"); // on a volume of its own
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
                             "/proc/self", "/sys/kernel", "/dev/pts", "//usr//", "/lost+found",
                             "/var/opt", "/usr/local/src", "/usr/games", "/etc/sealexec",
                             "/boot/cache"}) {
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
