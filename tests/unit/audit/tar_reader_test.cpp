#include "sealexec/audit/tar_reader.h"

#include "audit/tar_writer.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace sealexec::audit {
namespace {

using test::TarWriter;

struct Read {
  std::vector<TarMember> members;
  std::vector<std::string> contents;
  std::optional<Error> error;
};

Read read_all(const TarWriter& writer) {
  const std::string bytes = writer.text();
  MemoryStream stream(std::as_bytes(std::span(bytes)));
  TarReader reader(stream, "test.tar");
  Read result;
  for (;;) {
    auto member = reader.next();
    if (!member) {
      result.error = member.error();
      return result;
    }
    if (!*member) {
      return result;
    }
    std::string content;
    std::vector<std::byte> buffer(7); // odd-sized reads cross block boundaries
    for (;;) {
      auto got = reader.read_data(buffer);
      if (!got) {
        result.error = got.error();
        return result;
      }
      if (*got == 0) {
        break;
      }
      content.append(reinterpret_cast<const char*>(buffer.data()), *got);
    }
    result.members.push_back(**member);
    result.contents.push_back(std::move(content));
  }
}

TEST(TarReader, ReadsUstarMembersOfEveryKind) {
  TarWriter tar;
  tar.entry("dir/", '5');
  tar.file("dir/file", "hello, world");
  tar.entry("dir/link", '2', "file");
  tar.entry("dir/hard", '1', "dir/file");
  tar.file("old-style", "x", '\0');
  tar.entry("fifo", '6');
  tar.end();
  const Read read = read_all(tar);
  ASSERT_FALSE(read.error) << read.error->message();
  ASSERT_EQ(read.members.size(), 6U);
  EXPECT_EQ(read.members[0].type, TarType::directory);
  EXPECT_EQ(read.members[1].name, "dir/file");
  EXPECT_EQ(read.members[1].type, TarType::regular);
  EXPECT_EQ(read.contents[1], "hello, world");
  EXPECT_EQ(read.members[2].type, TarType::symlink);
  EXPECT_EQ(read.members[2].link_name, "file");
  EXPECT_EQ(read.members[3].type, TarType::hard_link);
  EXPECT_EQ(read.members[4].type, TarType::regular);
  EXPECT_EQ(read.contents[4], "x");
  EXPECT_EQ(read.members[5].type, TarType::other);
  EXPECT_FALSE(read.members[1].data_offset) << "a memory stream has no file offsets";
}

TEST(TarReader, JoinsThePosixPrefixButNotGnus) {
  TarWriter tar;
  tar.header({.name = "name", .size = 0, .prefix = "some/prefix"});
  tar.header({.name = "gnu", .size = 0, .prefix = "ignored", .gnu_magic = true});
  tar.end();
  const Read read = read_all(tar);
  ASSERT_FALSE(read.error) << read.error->message();
  ASSERT_EQ(read.members.size(), 2U);
  EXPECT_EQ(read.members[0].name, "some/prefix/name");
  EXPECT_EQ(read.members[1].name, "gnu");
}

TEST(TarReader, GnuLongNamesAndLinks) {
  const std::string long_name = std::string(300, 'n') + "/file";
  const std::string long_link = std::string(200, 'l');
  TarWriter tar;
  tar.header({.name = "././@LongLink", .type = 'L', .size = long_name.size() + 1, .gnu_magic = true});
  tar.data(long_name + '\0');
  tar.header({.name = "././@LongLink", .type = 'K', .size = long_link.size(), .gnu_magic = true});
  tar.data(long_link);
  tar.header({.name = "truncated-name", .type = '2', .gnu_magic = true});
  tar.file("next", "n");
  tar.end();
  const Read read = read_all(tar);
  ASSERT_FALSE(read.error) << read.error->message();
  ASSERT_EQ(read.members.size(), 2U);
  EXPECT_EQ(read.members[0].name, long_name);
  EXPECT_EQ(read.members[0].link_name, long_link);
  EXPECT_EQ(read.members[1].name, "next") << "extensions apply to one member only";
}

TEST(TarReader, PaxPathLinkpathAndSizeOverrideTheHeader) {
  TarWriter tar;
  tar.pax({{"comment", "ignored"}}, 'g');
  tar.pax({{"path", "a/pax/name with = sign"}, {"linkpath", "target"}, {"mtime", "1.5"}});
  tar.entry("short", '2', "short-target");
  tar.pax({{"size", "5"}});
  tar.header({.name = "sized", .size = 999});
  tar.data("12345");
  tar.end();
  const Read read = read_all(tar);
  ASSERT_FALSE(read.error) << read.error->message();
  ASSERT_EQ(read.members.size(), 2U);
  EXPECT_EQ(read.members[0].name, "a/pax/name with = sign");
  EXPECT_EQ(read.members[0].link_name, "target");
  EXPECT_EQ(read.members[1].size, 5U);
  EXPECT_EQ(read.contents[1], "12345");
}

TEST(TarReader, Base256Sizes) {
  TarWriter tar;
  tar.header({.name = "big-encoding", .size = 3, .base256_size = true});
  tar.data("abc");
  tar.end();
  const Read read = read_all(tar);
  ASSERT_FALSE(read.error) << read.error->message();
  EXPECT_EQ(read.contents.at(0), "abc");
}

// Each damaged archive is one Errc::malformed error naming the archive and,
// where there is one, the member.
void expect_damaged(const TarWriter& tar, std::string_view text) {
  const Read read = read_all(tar);
  ASSERT_TRUE(read.error) << "accepted: " << text;
  EXPECT_EQ(read.error->code, Errc::malformed);
  EXPECT_EQ(read.error->path, "test.tar");
  EXPECT_NE(read.error->message().find(text), std::string::npos) << read.error->message();
}

TEST(TarReader, RefusesABadChecksum) {
  TarWriter tar;
  tar.header({.name = "bad", .size = 0, .break_checksum = true});
  tar.end();
  expect_damaged(tar, "member 'bad': header checksum mismatch");
}

TEST(TarReader, RefusesATruncatedArchive) {
  TarWriter tar;
  tar.header({.name = "cut", .size = 4096});
  tar.data("only a little");
  expect_damaged(tar, "member 'cut': the archive is truncated");
  TarWriter no_end;
  no_end.file("fine", "x");
  expect_damaged(no_end, "no end-of-archive marker");
  TarWriter half_header;
  half_header.file("fine", "x");
  std::string bytes = half_header.text() + std::string(100, 'x');
  const Read read = [&] {
    MemoryStream stream(std::as_bytes(std::span(bytes)));
    TarReader reader(stream, "test.tar");
    Read result;
    while (true) {
      auto member = reader.next();
      if (!member) {
        result.error = member.error();
        return result;
      }
      if (!*member) {
        return result;
      }
    }
  }();
  ASSERT_TRUE(read.error);
  EXPECT_NE(read.error->message().find("truncated inside a header"), std::string::npos);
}

TEST(TarReader, RefusesNumbersThatAreNotOctal) {
  TarWriter tar;
  tar.header({.name = "nan", .raw_size = "12345678x01"});
  tar.end();
  expect_damaged(tar, "member 'nan': a size or mode that is not a number");
  TarWriter negative;
  negative.header({.name = "negative", .raw_size = std::string(12, '\xff')});
  negative.end();
  expect_damaged(negative, "not a number");
}

TEST(TarReader, RefusesBrokenPaxRecords) {
  TarWriter tar;
  tar.header({.name = "pax", .type = 'x', .size = 12});
  tar.data("99 path=x\n\0\0");
  tar.file("next", "");
  tar.end();
  expect_damaged(tar, "a malformed pax extended header");
  TarWriter bad_size;
  bad_size.pax({{"size", "-1"}});
  bad_size.file("next", "");
  bad_size.end();
  expect_damaged(bad_size, "malformed pax");
}

TEST(TarReader, RefusesHugeExtensionsAndNulInNames) {
  TarWriter tar;
  tar.header({.name = "././@LongLink", .type = 'L', .size = 2U << 20, .gnu_magic = true});
  tar.end();
  expect_damaged(tar, "an extended header of 2097152 bytes");
  TarWriter nul;
  nul.pax({{"path", std::string("a\0b", 3)}});
  nul.file("x", "");
  nul.end();
  expect_damaged(nul, "NUL");
  TarWriter dangling;
  dangling.pax({{"path", "nothing-follows"}});
  dangling.end();
  expect_damaged(dangling, "an extended header with no member after it");
}

} // namespace
} // namespace sealexec::audit
