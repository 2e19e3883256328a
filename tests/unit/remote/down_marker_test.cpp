#include "sealexec/remote/down_marker.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>

namespace sealexec::remote {
namespace {

void set_mtime(const std::filesystem::path& file, std::time_t when) {
  const timespec times[2] = {{.tv_sec = when, .tv_nsec = 0}, {.tv_sec = when, .tv_nsec = 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
}

TEST(DownMarker, RemembersAFailureForAWhileAndPerBackend) {
  test::TempDir scratch;
  auto dir = cache::CacheDir::open(scratch.path() / "cache");
  ASSERT_TRUE(dir) << dir.error().message();
  const auto down = parse_backend_url("redis://user:one@h:1");
  const auto other = parse_backend_url("redis://h:2");
  ASSERT_TRUE(down && other);
  EXPECT_FALSE(recently_down(*dir, *down));

  mark_down(*dir, *down);
  EXPECT_TRUE(recently_down(*dir, *down));
  EXPECT_FALSE(recently_down(*dir, *other));
  // The same backend with another password (the mark is by identity).
  EXPECT_TRUE(recently_down(*dir, *parse_backend_url("redis://user:two@h:1")));

  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(scratch.path() / "cache/remote"),
                          std::filesystem::directory_iterator()),
            1);
  const auto marker = std::filesystem::directory_iterator(scratch.path() / "cache/remote")->path();
  EXPECT_EQ(marker.string().find("one"), std::string::npos);
  const std::time_t now = std::time(nullptr);
  set_mtime(marker, now - k_down_for.count() - 1);
  EXPECT_FALSE(recently_down(*dir, *down)) << "an old mark";
  set_mtime(marker, now + 3600);
  EXPECT_FALSE(recently_down(*dir, *down)) << "a mark from the future";
  mark_down(*dir, *down); // refreshes the existing mark
  EXPECT_TRUE(recently_down(*dir, *down));

  // A symlink planted as the mark is not followed, and not a mark.
  std::filesystem::remove(marker);
  std::filesystem::create_symlink("/etc/passwd", marker);
  EXPECT_FALSE(recently_down(*dir, *down));
}

} // namespace
} // namespace sealexec::remote
