#include "sealexec/audit/image_tree.h"
#include "sealexec/audit/scan.h"

#include "audit/tar_writer.h"
#include "test_support.h"

#include <fcntl.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

namespace sealexec::audit {
namespace {

using test::TarWriter;

const std::string k_elf = std::string("\x7f" "ELF", 4) + std::string(60, '\x01');

std::string gzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Each layer written to a file of its own, then applied in order.
class Layers {
public:
  void add(const std::string& bytes) {
    const auto path = m_dir / ("layer" + std::to_string(m_count++));
    test::write_file(path, bytes);
    auto fd = open_fd(path.c_str(), O_RDONLY);
    ASSERT_TRUE(fd);
    m_image.layers.push_back({.file = m_image.files.size(),
                              .offset = 0,
                              .size = bytes.size(),
                              .name = "layer" + std::to_string(m_count)});
    m_image.files.push_back(std::move(*fd));
  }
  Expected<std::unique_ptr<FileTree>> build() { return build_image_tree(std::move(m_image)); }

private:
  test::TempDir m_dir;
  ImageLayers m_image{.name = "test-image"};
  int m_count = 0;
};

std::string content(const FileTree& tree, const std::string& path) {
  auto file = tree.open(path);
  EXPECT_TRUE(file) << file.error().message();
  if (!file) {
    return {};
  }
  std::string bytes(static_cast<std::size_t>((*file)->bytes().size()), '\0');
  const auto read = (*file)->bytes().read(0, std::as_writable_bytes(std::span(bytes)));
  EXPECT_TRUE(read) << read.error().message();
  return bytes;
}

std::vector<std::string> names(const FileTree& tree, const std::string& directory) {
  auto entries = tree.list(directory);
  EXPECT_TRUE(entries) << entries.error().message();
  std::vector<std::string> result;
  for (const TreeEntry& entry : entries.value_or(std::vector<TreeEntry>{})) {
    result.push_back(entry.name);
  }
  std::sort(result.begin(), result.end());
  return result;
}

TEST(ImageTree, WhiteoutsHideLowerLayersOnly) {
  TarWriter lower;
  lower.file("etc/gone", "old");
  lower.file("etc/kept", "old");
  lower.entry("usr/", '5');
  lower.file("usr/lib/a", "a");
  lower.end();
  TarWriter upper;
  upper.file("etc/.wh.gone", "");
  upper.file("etc/new", "same layer as its whiteout");
  upper.file("etc/.wh.new", ""); // hides lower layers only: "new" stays
  upper.file("etc/.wh.never-existed", "");
  upper.file("etc/.wh..wh.plnk", ""); // aufs bookkeeping, not a whiteout
  upper.file("usr/.wh.lib", "");
  upper.end();
  Layers layers;
  layers.add(lower.text());
  layers.add(upper.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ(names(**tree, "/etc"), (std::vector<std::string>{"kept", "new"}));
  EXPECT_EQ(names(**tree, "/usr"), std::vector<std::string>{});
  EXPECT_FALSE((*tree)->kind("/usr/lib/a", false));
  EXPECT_EQ(content(**tree, "/etc/kept"), "old");
}

TEST(ImageTree, OpaqueDirectoriesHideTheirLowerContent) {
  TarWriter lower;
  lower.file("doc/a", "a");
  lower.file("doc/sub/b", "b");
  lower.file("other/c", "c");
  lower.end();
  TarWriter upper;
  upper.entry("doc/", '5');
  upper.file("doc/before-marker", "x");
  upper.file("doc/.wh..wh..opq", "");
  upper.file("doc/after-marker", "y");
  upper.end();
  Layers layers;
  layers.add(lower.text());
  layers.add(upper.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ(names(**tree, "/doc"), (std::vector<std::string>{"after-marker", "before-marker"}));
  EXPECT_EQ(names(**tree, "/other"), std::vector<std::string>{"c"});
}

TEST(ImageTree, LaterLayersReplaceFilesDirectoriesAndLinks) {
  TarWriter lower;
  lower.file("x/inside", "1");
  lower.file("file", "lower");
  lower.end();
  TarWriter upper;
  upper.file("x", "a file where a directory was");
  upper.entry("file", '2', "x");
  upper.end();
  Layers layers;
  layers.add(lower.text());
  layers.add(upper.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ((*tree)->kind("/x", false), TreeKind::regular);
  EXPECT_EQ((*tree)->read_link("/file"), "x");
  EXPECT_EQ(content(**tree, "/file"), "a file where a directory was");
}

TEST(ImageTree, HardLinksShareOneIdentity) {
  TarWriter tar;
  tar.file("bin/prog", k_elf);
  tar.entry("bin/alias", '1', "./bin/prog");
  tar.entry("/bin/other", '1', "/bin/alias"); // absolute names are the image's
  tar.end();
  Layers layers;
  layers.add(tar.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  auto a = (*tree)->open("/bin/prog");
  auto b = (*tree)->open("/bin/alias");
  auto c = (*tree)->open("/bin/other");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ((*a)->id(), (*b)->id());
  EXPECT_EQ((*a)->id(), (*c)->id());
  EXPECT_EQ(content(**tree, "/bin/other"), k_elf);
}

void expect_refused(const std::string& layer, std::string_view text) {
  Layers layers;
  layers.add(layer);
  auto tree = layers.build();
  ASSERT_FALSE(tree) << "accepted: " << text;
  EXPECT_EQ(tree.error().code, Errc::malformed);
  EXPECT_NE(tree.error().message().find(text), std::string::npos) << tree.error().message();
}

TEST(ImageTree, RefusesNamesAndLinksThatLeaveTheImage) {
  TarWriter climb;
  climb.file("a/../../etc/passwd", "x");
  climb.end();
  expect_refused(climb.text(), "member 'a/../../etc/passwd': its name climbs out of the image");
  TarWriter hard_out;
  hard_out.entry("x", '1', "../outside");
  hard_out.end();
  expect_refused(hard_out.text(), "a hard link to '../outside', outside the image");
  TarWriter hard_missing;
  hard_missing.entry("x", '1', "missing");
  hard_missing.end();
  expect_refused(hard_missing.text(), "a hard link to 'missing', which the image does not hold");
  TarWriter hard_dir;
  hard_dir.entry("d/", '5');
  hard_dir.entry("x", '1', "d");
  hard_dir.end();
  expect_refused(hard_dir.text(), "a hard link to the directory 'd'");
  TarWriter under_file;
  under_file.file("f", "x");
  under_file.file("f/g", "y");
  under_file.end();
  expect_refused(under_file.text(), "lies under '/f', which is not a directory");
}

TEST(ImageTree, SymbolicLinksResolveInsideTheImage) {
  TarWriter tar;
  tar.file("usr/bin/true", k_elf);
  tar.entry("bin", '2', "usr/bin");
  tar.entry("abs", '2', "/usr/bin/true");
  tar.entry("climb", '2', "../../../../usr/bin/true");
  tar.entry("loop-a", '2', "/loop-b");
  tar.entry("loop-b", '2', "loop-a");
  tar.entry("host", '2', "/etc/passwd");
  tar.file("bin/through-link", "members under a link land in its target");
  tar.end();
  Layers layers;
  layers.add(tar.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  const FileTree& t = **tree;
  EXPECT_EQ(content(t, "/bin/true"), k_elf);
  EXPECT_EQ(content(t, "/abs"), k_elf);
  EXPECT_EQ(content(t, "/climb"), k_elf);
  EXPECT_EQ(content(t, "/usr/bin/through-link"), "members under a link land in its target");
  EXPECT_EQ(canonical_path(t, "/bin/../bin/true"), "/usr/bin/true");
  auto loop = t.open("/loop-a");
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().sys_errno, ELOOP);
  auto host = t.open("/host");
  ASSERT_FALSE(host);
  EXPECT_EQ(host.error().sys_errno, ENOENT);
  auto not_dir = t.open("/usr/bin/true/x");
  ASSERT_FALSE(not_dir);
  EXPECT_EQ(not_dir.error().sys_errno, ENOTDIR);
  EXPECT_EQ(t.kind("/bin", false), TreeKind::symlink);
  EXPECT_EQ(t.kind("/bin", true), TreeKind::directory);
  auto directory = t.open("/usr");
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code, Errc::not_runnable);
}

TEST(ImageTree, CompressedLayersKeepElfFilesAndTheMagicOfOthers) {
  TarWriter tar;
  tar.file("bin/prog", k_elf);
  tar.file("etc/ld.so.cache", "glibc-ld.so.cache1.1 not ELF but kept");
  tar.file("share/text", "plain text, not kept");
  tar.file("share/tiny", "ab");
  tar.end();
  Layers layers;
  layers.add(gzip(tar.text()));
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ(content(**tree, "/bin/prog"), k_elf);
  EXPECT_EQ(content(**tree, "/etc/ld.so.cache"), "glibc-ld.so.cache1.1 not ELF but kept");
  EXPECT_EQ(content(**tree, "/share/tiny"), "ab");
  auto text = (*tree)->open("/share/text");
  ASSERT_TRUE(text);
  EXPECT_EQ((*text)->bytes().size(), 20U);
  std::array<std::byte, 4> magic{};
  ASSERT_TRUE((*text)->bytes().read(0, magic));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(magic.data()), 4), "plai");
  std::array<std::byte, 5> more{};
  EXPECT_FALSE((*text)->bytes().read(0, more)) << "bytes that were never kept";
}

TEST(ImageTree, ALayerCutShortIsRefused) {
  TarWriter tar;
  tar.file("bin/prog", std::string(4000, 'x'));
  tar.end();
  std::string zipped = gzip(tar.text());
  zipped.resize(zipped.size() / 2);
  Layers layers;
  layers.add(zipped);
  auto tree = layers.build();
  ASSERT_FALSE(tree);
  EXPECT_EQ(tree.error().code, Errc::malformed);
  std::string raw = tar.text();
  raw.resize(1500);
  Layers raw_layers;
  raw_layers.add(raw);
  auto raw_tree = raw_layers.build();
  ASSERT_FALSE(raw_tree);
  EXPECT_NE(raw_tree.error().message().find("truncated"), std::string::npos)
      << raw_tree.error().message();
}

} // namespace
} // namespace sealexec::audit

namespace sealexec::audit {
namespace {

// Found by an attack, each compared with umoci's unpack of the same layers.
TEST(ImageTreeAttacks, AnOpaqueMarkerHidesLowerContentOfSubdirectoriesDeclaredAgain) {
  TarWriter lower;
  lower.file("d/-sub/f", "lower");
  lower.end();
  TarWriter upper;
  upper.entry("d/", '5');
  upper.entry("d/-sub/", '5'); // '-' sorts before '.': declared before the marker
  upper.file("d/-sub/g", "upper");
  upper.file("d/.wh..wh..opq", "");
  upper.end();
  Layers layers;
  layers.add(lower.text());
  layers.add(upper.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ(names(**tree, "/d/-sub"), std::vector<std::string>{"g"});
}

TEST(ImageTreeAttacks, AWhiteoutAfterTheSameLayersDirectoryKeepsOnlyThatLayersContent) {
  TarWriter lower;
  lower.file("a/f", "lower");
  lower.end();
  TarWriter upper;
  upper.entry("a/", '5');
  upper.file("a/g", "upper");
  upper.file(".wh.a", "");
  upper.end();
  Layers layers;
  layers.add(lower.text());
  layers.add(upper.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ(names(**tree, "/a"), std::vector<std::string>{"g"});
}

TEST(ImageTreeAttacks, AnOldStyleDirectoryIsADirectory) {
  TarWriter lower;
  lower.file("usr/bin/a", k_elf);
  lower.end();
  TarWriter upper;
  upper.entry("usr/", '\0'); // v7: a directory only by its trailing '/'
  upper.end();
  Layers layers;
  layers.add(lower.text());
  layers.add(upper.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ((*tree)->kind("/usr", false), TreeKind::directory);
  EXPECT_EQ(content(**tree, "/usr/bin/a"), k_elf);
}

TEST(ImageTreeAttacks, AnLdSoCacheBehindALinkIsKeptInACompressedLayer) {
  TarWriter tar;
  tar.file("var/cache/ld.so.cache", "glibc-ld.so.cache1.1 behind a link");
  tar.entry("etc/ld.so.cache", '2', "../var/cache/ld.so.cache");
  tar.end();
  Layers layers;
  layers.add(gzip(tar.text()));
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  EXPECT_EQ(content(**tree, "/etc/ld.so.cache"), "glibc-ld.so.cache1.1 behind a link");
}


// A member name can nest thousands of directories; the scan descends 256 at
// most and says so, instead of running out of stack.
TEST(ImageTreeAttacks, ADeepTreeIsAnErrorNotACrash) {
  std::string name;
  for (int i = 0; i < 2000; ++i) {
    name += "d/";
  }
  TarWriter tar;
  tar.pax({{"path", name + "f"}}); // longer than a ustar header holds
  tar.file("placeholder", k_elf);
  tar.end();
  Layers layers;
  layers.add(tar.text());
  auto tree = layers.build();
  ASSERT_TRUE(tree) << tree.error().message();
  ScanOptions options;
  options.recursive = true;
  options.tree = tree->get();
  std::vector<std::string> errors;
  const std::vector<std::string> roots{"/"};
  scan(roots, options, [&](ScanItem&& item) {
    if (!item.report) {
      errors.push_back(item.report.error().message());
    }
  });
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_NE(errors[0].find("nested more than 256 directories deep"), std::string::npos) << errors[0];
}

} // namespace
} // namespace sealexec::audit
