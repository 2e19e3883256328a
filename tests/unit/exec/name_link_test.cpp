#include "sealexec/exec/name_link.h"

#include "sealexec/util/runtime_dir.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace sealexec {
namespace {

// Sets the environment variable `name` to `value` for the scope, and puts
// it back.
class EnvOverride {
public:
  EnvOverride(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) {
      m_old = old;
    }
    ::setenv(name, value.c_str(), 1);
  }
  EnvOverride(const EnvOverride&) = delete;
  EnvOverride& operator=(const EnvOverride&) = delete;
  ~EnvOverride() {
    if (m_old) {
      ::setenv(m_name, m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name);
    }
  }

private:
  const char* m_name;
  std::optional<std::string> m_old;
};

// XDG_RUNTIME_DIR for the scope.
class RuntimeDirOverride : public EnvOverride {
public:
  explicit RuntimeDirOverride(const std::string& value) : EnvOverride("XDG_RUNTIME_DIR", value) {}
};

std::string link_target(const std::filesystem::path& path) {
  return std::filesystem::read_symlink(path).string();
}

TEST(NameLink, NamesThatCannotBeAPathComponentAreRefused) {
  EXPECT_TRUE(is_usable_name("sleep"));
  EXPECT_TRUE(is_usable_name("a b"));
  EXPECT_FALSE(is_usable_name(""));
  EXPECT_FALSE(is_usable_name("."));
  EXPECT_FALSE(is_usable_name(".."));
  EXPECT_FALSE(is_usable_name("a/b"));
  EXPECT_FALSE(is_usable_name(std::string_view("a\0b", 3)));
  EXPECT_FALSE(is_usable_name(std::string(256, 'x')));
  EXPECT_TRUE(is_usable_name(std::string(255, 'x')));
}

TEST(NameLink, IsCreatedOnceInAPrivateDirectoryAndLeadsToTheDescriptor) {
  const test::TempDir dir;
  ::chmod(dir.path().c_str(), 0700);
  const RuntimeDirOverride runtime(dir.path().string());
  const auto link = name_link("sleep", 7);
  ASSERT_TRUE(link) << link.error().message();
  EXPECT_EQ(*link, (dir / "sealexec/names/7/sleep").string());
  EXPECT_EQ(link_target(*link), "/proc/self/fd/7");
  for (const char* sub : {"sealexec", "sealexec/names", "sealexec/names/7"}) {
    struct stat st {};
    ASSERT_EQ(::lstat((dir / sub).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u) << sub;
  }
  // Again: the same link, reused.
  const auto again = name_link("sleep", 7);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *link);
}

TEST(NameLink, AWrongLinkIsReplaced) {
  const test::TempDir dir;
  ::chmod(dir.path().c_str(), 0700);
  const RuntimeDirOverride runtime(dir.path().string());
  ASSERT_TRUE(name_link("tool", 3));
  const auto path = dir / "sealexec/names/3/tool";
  std::filesystem::remove(path);
  std::filesystem::create_symlink("/bin/sh", path);
  const auto link = name_link("tool", 3);
  ASSERT_TRUE(link) << link.error().message();
  EXPECT_EQ(link_target(*link), "/proc/self/fd/3");
}

TEST(NameLink, AnUntrustedRuntimeDirectoryIsRefused) {
  const test::TempDir dir;
  ::chmod(dir.path().c_str(), 0700);
  // Writable by others, not sticky: someone else could swap a link.
  const auto open_dir = dir / "open";
  std::filesystem::create_directory(open_dir);
  ::chmod(open_dir.c_str(), 0777);
  const auto hostile = dir / "hostile"; // stays so: the TMPDIR with no way out
  std::filesystem::create_directory(hostile);
  ::chmod(hostile.c_str(), 0777);
  {
    // Neither the runtime directory nor TMPDIR can be trusted: refused, with
    // the first one's reason.
    const RuntimeDirOverride runtime(open_dir.string());
    const EnvOverride tmpdir("TMPDIR", hostile.string());
    const auto link = name_link("tool", 3);
    ASSERT_FALSE(link);
    EXPECT_NE(link.error().message().find("only you or root can change"), std::string::npos)
        << link.error().message();
  }
  {
    // An untrusted runtime directory (root under `sudo -E` keeps a user's)
    // falls back to TMPDIR.
    const auto private_tmp = dir / "tmp";
    std::filesystem::create_directory(private_tmp);
    ::chmod(private_tmp.c_str(), 0700);
    const RuntimeDirOverride runtime(open_dir.string());
    const EnvOverride tmpdir("TMPDIR", private_tmp.string());
    const auto link = name_link("tool", 3);
    ASSERT_TRUE(link) << link.error().message();
    EXPECT_TRUE(link->starts_with(private_tmp.string() + "/sealexec-")) << *link;
  }
  // Sticky is fine (as /tmp is).
  ::chmod(open_dir.c_str(), 01777);
  {
    const RuntimeDirOverride runtime(open_dir.string());
    EXPECT_TRUE(name_link("tool", 3));
  }
  // Our own directory, but readable by others: refused.
  const auto shared = dir / "shared";
  std::filesystem::create_directories(shared / "sealexec");
  ::chmod((shared / "sealexec").c_str(), 0755);
  {
    const RuntimeDirOverride runtime(shared.string());
    const EnvOverride tmpdir("TMPDIR", hostile.string()); // no way out
    const auto link = name_link("tool", 3);
    ASSERT_FALSE(link);
    EXPECT_NE(link.error().message().find("is not a private directory of yours"),
              std::string::npos)
        << link.error().message();
  }
  // A symbolic link where the directory should be: refused.
  const auto linked = dir / "linked";
  std::filesystem::create_directory(linked);
  std::filesystem::create_directory_symlink(dir / "elsewhere", linked / "sealexec");
  std::filesystem::create_directory(dir / "elsewhere");
  ::chmod((dir / "elsewhere").c_str(), 0700);
  {
    const RuntimeDirOverride runtime(linked.string());
    const EnvOverride tmpdir("TMPDIR", hostile.string());
    EXPECT_FALSE(name_link("tool", 3));
  }
}

} // namespace
} // namespace sealexec
