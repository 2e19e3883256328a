#include "sealexec/script/manifest.h"

#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <fstream>

namespace sealexec::script {
namespace {

constexpr std::int64_t k_second = 1'000'000'000;

void write(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Moves the file's mtime a minute into the past, as a settled file has.
void age(const std::filesystem::path& path) {
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  const struct utimbuf times{.actime = st.st_atime - 60, .modtime = st.st_mtime - 60};
  ASSERT_EQ(::utime(path.c_str(), &times), 0);
}

struct Tree {
  test::TempDir dir;
  SearchList search;
  std::vector<std::string> prerequisites;

  // inc0 is searched first and lacks the header; inc1 has it.
  Tree() {
    write(dir / "inc1/sub/h.h", "#define H 1\n");
    std::filesystem::create_directories(dir / "inc0");
    age(dir / "inc1/sub/h.h");
    age(dir / "inc0");
    search.bracket = {(dir / "inc0").string(), (dir / "inc1").string()};
    prerequisites = {(dir / "inc1/sub/h.h").string()};
  }
  // As a compile that starts now would: every change made so far is before
  // the moment it compares with.
  Manifest build() {
    auto manifest = build_manifest(prerequisites, "/nonexistent-build/", search,
                                   coarse_clock_after(fine_now_ns()));
    EXPECT_TRUE(manifest) << manifest.error().message();
    return manifest ? *manifest : Manifest{};
  }
};

TEST(Manifest, RoundTrips) {
  Tree tree;
  Manifest manifest = tree.build();
  manifest.script = "/x.cpp";
  const auto bytes = serialize(manifest);
  const auto parsed = parse_manifest(bytes, "m");
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(*parsed, manifest);
  ASSERT_EQ(manifest.headers.size(), 1U);
  // inc0/sub does not exist, so inc0 is what a new sub/h.h would change;
  // inc1/sub is where a precompiled h.h.gch would appear.
  ASSERT_EQ(manifest.watched.size(), 2U);
  EXPECT_EQ(manifest.watched[0].path, (tree.dir / "inc0").string());
  EXPECT_EQ(manifest.watched[1].path, (tree.dir / "inc1/sub").string());
  EXPECT_EQ(manifest.watched[1].absent, std::string("h.h.gch") + '\0');
  EXPECT_EQ(manifest.watched[1].absent_paths(),
            std::vector<std::string>{(tree.dir / "inc1/sub/h.h.gch").string()});
}

TEST(Manifest, AnyDamageIsMalformed) {
  Tree tree;
  auto bytes = serialize(tree.build());
  for (std::size_t i = 0; i < bytes.size(); i += 7) {
    auto damaged = bytes;
    damaged[i] ^= std::byte{0x40};
    const auto parsed = parse_manifest(damaged, "m");
    ASSERT_FALSE(parsed) << "flip at " << i;
    EXPECT_EQ(parsed.error().code, Errc::malformed);
  }
  bytes.pop_back();
  EXPECT_FALSE(parse_manifest(bytes, "m"));
}

TEST(Manifest, UnchangedTreeIsValid) {
  Tree tree;
  Manifest manifest = tree.build();
  const ManifestCheck check = check_manifest(manifest, coarse_now_ns());
  EXPECT_TRUE(check.valid) << check.reason;
  EXPECT_FALSE(check.refreshed);
}

TEST(Manifest, ChangedHeaderIsInvalid) {
  Tree tree;
  Manifest manifest = tree.build();
  write(tree.dir / "inc1/sub/h.h", "#define H 2\n");
  const ManifestCheck check = check_manifest(manifest, coarse_now_ns());
  EXPECT_FALSE(check.valid);
  EXPECT_NE(check.reason.find("h.h changed"), std::string::npos) << check.reason;
}

TEST(Manifest, TouchedHeaderIsValidAndItsStampRefreshed) {
  Tree tree;
  Manifest manifest = tree.build();
  write(tree.dir / "inc1/sub/h.h", "#define H 1\n"); // same bytes, new mtime
  const ManifestCheck check = check_manifest(manifest, coarse_now_ns() + k_second);
  EXPECT_TRUE(check.valid) << check.reason;
  EXPECT_TRUE(check.refreshed);
  // The refreshed stamp matches now: nothing to hash next time.
  const ManifestCheck again = check_manifest(manifest, coarse_now_ns() + k_second);
  EXPECT_TRUE(again.valid);
  EXPECT_FALSE(again.refreshed);
}

TEST(Manifest, NewShadowingHeaderIsInvalid) {
  Tree tree;
  Manifest manifest = tree.build();
  write(tree.dir / "inc0/sub/h.h", "#define H 3\n");
  const ManifestCheck check = check_manifest(manifest, coarse_now_ns());
  EXPECT_FALSE(check.valid);
  EXPECT_NE(check.reason.find("would now be included instead"), std::string::npos)
      << check.reason;
}

TEST(Manifest, UnrelatedFileInAWatchedDirectoryKeepsItValid) {
  Tree tree;
  Manifest manifest = tree.build();
  write(tree.dir / "inc0/other.h", "");
  write(tree.dir / "inc0/sub/other.h", ""); // even the subdirectory's name
  const ManifestCheck check = check_manifest(manifest, coarse_now_ns() + k_second);
  EXPECT_TRUE(check.valid) << check.reason;
  // A directory's stamp is never republished: a script writing next to
  // itself would otherwise republish its manifest on every run.
  EXPECT_FALSE(check.refreshed);
}

// Names asked for and not found are inputs too (include_scan.h).
TEST(Manifest, AHeaderNextToItsIncluderIsWatched) {
  // inc1/sub/h.h includes "n.h", found in inc1 (on the search list); a
  // later inc1/sub/n.h would be found first, next to its includer.
  Tree tree;
  write(tree.dir / "inc1/sub/h.h", "#include \"n.h\"\n");
  write(tree.dir / "inc1/n.h", "#define N 1\n");
  age(tree.dir / "inc1/sub/h.h");
  age(tree.dir / "inc1/n.h");
  age(tree.dir / "inc1/sub");
  tree.search.quote = {(tree.dir / "inc1").string()};
  tree.prerequisites.push_back((tree.dir / "inc1/n.h").string());
  Manifest manifest = tree.build();
  EXPECT_TRUE(check_manifest(manifest, coarse_now_ns() + k_second).valid);
  write(tree.dir / "inc1/sub/n.h", "#define N 2\n");
  const ManifestCheck check = check_manifest(manifest, coarse_now_ns() + k_second);
  EXPECT_FALSE(check.valid);
  EXPECT_NE(check.reason.find("sub/n.h would now be included instead"), std::string::npos)
      << check.reason;
}

TEST(Manifest, ANameTestedWithHasIncludeIsWatchedEverywhereItWasLookedFor) {
  Tree tree;
  const std::string script = "#if __has_include(<opt/o.h>) || __has_include(\"q.h\")\n#endif\n";
  const std::string script_dir = (tree.dir / "src").string();
  std::filesystem::create_directories(script_dir);
  age(script_dir);
  for (const std::string& appears : {"inc1/opt/o.h", "inc0/opt/o.h", "src/q.h", "inc0/q.h"}) {
    auto manifest = build_manifest(tree.prerequisites, "/nonexistent-build/", tree.search,
                                   coarse_clock_after(fine_now_ns()),
                                   {.text = script, .directory = script_dir});
    ASSERT_TRUE(manifest) << manifest.error().message();
    ASSERT_TRUE(check_manifest(*manifest, coarse_now_ns() + k_second).valid) << appears;
    write(tree.dir / appears, "");
    const ManifestCheck check = check_manifest(*manifest, coarse_now_ns() + k_second);
    EXPECT_FALSE(check.valid) << appears << " appeared unnoticed";
    std::filesystem::remove(tree.dir / appears);
  }
}

TEST(Manifest, AnIncludeThroughAMacroIsReported) {
  Tree tree;
  std::vector<std::string> unwatched;
  ASSERT_TRUE(build_manifest(tree.prerequisites, "/nonexistent-build/", tree.search,
                             coarse_clock_after(fine_now_ns()),
                             {.text = "#include HEADER\n", .directory = "/"}, &unwatched));
  EXPECT_EQ(unwatched, std::vector<std::string>{"the script"});
}

TEST(Manifest, APrecompiledHeaderIsNeverCachedAndOneAppearingLaterIsNoticed) {
  // gcc takes h.h.gch instead of h.h where it finds one, and its dependency
  // list then names neither.
  Tree tree;
  Manifest manifest = tree.build();
  write(tree.dir / "inc1/sub/h.h.gch", "pch");
  const ManifestCheck check = check_manifest(manifest, coarse_now_ns() + k_second);
  EXPECT_FALSE(check.valid) << "a precompiled header appeared unnoticed";
  const auto refused = build_manifest(tree.prerequisites, "/nonexistent-build/", tree.search,
                                      coarse_clock_after(fine_now_ns()));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("precompiled header"), std::string::npos)
      << refused.error().message();
}

TEST(Manifest, ASearchDirectoryThatIsALinkPointedElsewhereIsNoticed) {
  // -I link -I inc1: link leads to an empty directory, then to one with h.
  Tree tree;
  std::filesystem::create_directories(tree.dir / "empty");
  write(tree.dir / "full/sub/h.h", "#define H 2\n");
  std::filesystem::create_directory_symlink("empty", tree.dir / "link");
  tree.search.bracket = {(tree.dir / "link").string(), (tree.dir / "inc1").string()};
  Manifest manifest = tree.build();
  ASSERT_TRUE(check_manifest(manifest, coarse_now_ns() + k_second).valid);
  std::filesystem::remove(tree.dir / "link");
  std::filesystem::create_directory_symlink("full", tree.dir / "link");
  EXPECT_FALSE(check_manifest(manifest, coarse_now_ns() + k_second).valid)
      << "the link now leads to a directory holding sub/h.h";
}

TEST(Manifest, AHeaderThatIsALinkElsewhereIsStillWatchedForShadows) {
  Tree tree;
  write(tree.dir / "store/h.h", "#define H 1\n");
  std::filesystem::remove(tree.dir / "inc1/sub/h.h");
  std::filesystem::create_symlink("../../store/h.h", tree.dir / "inc1/sub/h.h");
  Manifest manifest = tree.build();
  ASSERT_TRUE(check_manifest(manifest, coarse_now_ns() + k_second).valid);
  write(tree.dir / "inc0/sub/h.h", "#define H 3\n");
  EXPECT_FALSE(check_manifest(manifest, coarse_now_ns() + k_second).valid);
}

TEST(Manifest, AFifoInPlaceOfAHeaderIsRefusedWithoutWaiting) {
  Tree tree;
  ASSERT_EQ(::mkfifo((tree.dir / "inc1/sub/f.h").c_str(), 0600), 0);
  tree.prerequisites.push_back((tree.dir / "inc1/sub/f.h").string());
  // Opening it for reading would wait for a writer for ever.
  const auto refused = build_manifest(tree.prerequisites, "/nonexistent-build/", tree.search,
                                      coarse_clock_after(fine_now_ns()));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::changed);
}

TEST(Manifest, DeletedHeaderIsInvalid) {
  Tree tree;
  Manifest manifest = tree.build();
  std::filesystem::remove(tree.dir / "inc1/sub/h.h");
  EXPECT_FALSE(check_manifest(manifest, coarse_now_ns()).valid);
}

TEST(Manifest, HeaderNewerThanTheCompileIsNotCached) {
  Tree tree;
  write(tree.dir / "inc1/sub/h.h", "#define H 9\n"); // mtime now
  const auto manifest = build_manifest(tree.prerequisites, "/nonexistent-build/", tree.search,
                                       coarse_now_ns() - k_second);
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().code, Errc::changed);
}

// A compile starts (`since`), reads the header, and meanwhile the header is
// replaced by a file whose mtime is older than the compile: what mv, cp -p,
// tar and rsync -a do. The mtime says nothing; the ctime does.
class ReplacedDuringTheCompile : public ::testing::Test {
protected:
  void SetUp() override {
    write(tree.dir / "staged/h.h", "#define H 2\n");
    age(tree.dir / "staged/h.h");
    since = coarse_clock_after(fine_now_ns());
  }
  void expect_not_cached() {
    const auto manifest =
        build_manifest(tree.prerequisites, "/nonexistent-build/", tree.search, since);
    ASSERT_FALSE(manifest) << "cached a header replaced during the compile";
    EXPECT_EQ(manifest.error().code, Errc::changed);
  }
  Tree tree;
  std::int64_t since = 0;
};

TEST_F(ReplacedDuringTheCompile, ByRenameOfAnOlderFile) {
  std::filesystem::rename(tree.dir / "staged/h.h", tree.dir / "inc1/sub/h.h");
  expect_not_cached();
}

TEST_F(ReplacedDuringTheCompile, ByWritingAndPuttingTheMtimeBack) {
  struct stat old {};
  ASSERT_EQ(::stat((tree.dir / "inc1/sub/h.h").c_str(), &old), 0);
  write(tree.dir / "inc1/sub/h.h", "#define H 3\n"); // cp -p: same size,
  const struct utimbuf times{.actime = old.st_atime, .modtime = old.st_mtime};
  ASSERT_EQ(::utime((tree.dir / "inc1/sub/h.h").c_str(), &times), 0); // same mtime
  expect_not_cached();
}

TEST_F(ReplacedDuringTheCompile, ByRenamingItsDirectory) {
  std::filesystem::rename(tree.dir / "inc1/sub", tree.dir / "old-sub");
  std::filesystem::rename(tree.dir / "staged", tree.dir / "inc1/sub");
  expect_not_cached();
}

TEST_F(ReplacedDuringTheCompile, ByRepointingALink) {
  std::filesystem::rename(tree.dir / "inc1/sub", tree.dir / "v1");
  std::filesystem::create_directory_symlink("../v1", tree.dir / "inc1/sub");
  since = coarse_clock_after(fine_now_ns()); // the compile starts; inc1/sub -> ../v1
  ASSERT_TRUE(build_manifest(tree.prerequisites, "/nonexistent-build/", tree.search, since));
  std::filesystem::create_directory_symlink("../staged", tree.dir / "inc1/sub.new");
  std::filesystem::rename(tree.dir / "inc1/sub.new", tree.dir / "inc1/sub"); // ln -sfn
  expect_not_cached();
}

TEST_F(ReplacedDuringTheCompile, NotByFilesAddedNextToIt) {
  // A busy directory (a /tmp, a project where other things are built) is
  // no reason to refuse: its entries that matter are checked one by one.
  write(tree.dir / "inc1/sub/other.h", "");
  write(tree.dir / "new/x", "");
  const auto manifest =
      build_manifest(tree.prerequisites, "/nonexistent-build/", tree.search, since);
  ASSERT_TRUE(manifest) << manifest.error().message();
  EXPECT_EQ(manifest->headers.size(), 1U);
}

TEST(Manifest, BuildDirectoryPrerequisitesAreNotHeaders) {
  Tree tree;
  write(tree.dir / "build/x.cpp", "");
  tree.prerequisites.push_back((tree.dir / "build/x.cpp").string());
  const auto manifest = build_manifest(tree.prerequisites, (tree.dir / "build/").string(),
                                       tree.search, coarse_now_ns() + k_second);
  ASSERT_TRUE(manifest);
  EXPECT_EQ(manifest->headers.size(), 1U);
}

TEST(Manifest, ResultKeyDependsOnHeaderContent) {
  Tree tree;
  Manifest manifest = tree.build();
  const Sha256Digest script{};
  const Sha256Digest first = result_key_for(script, manifest.headers);
  manifest.headers[0].sha256.bytes[0] ^= 1;
  EXPECT_NE(result_key_for(script, manifest.headers), first);
}

TEST(SearchList, ParsesCompilerOutput) {
  const SearchList list = parse_search_list(
      "ignoring nonexistent directory \"/nope\"\n"
      "#include \"...\" search starts here:\n /q\n"
      "#include <...> search starts here:\n /a\n /b (framework directory)\n"
      "End of search list.\n /not-this\n");
  EXPECT_EQ(list.quote, std::vector<std::string>{"/q"});
  EXPECT_EQ(list.bracket, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_TRUE(parse_search_list("garbage").bracket.empty());
}

} // namespace
} // namespace sealexec::script

