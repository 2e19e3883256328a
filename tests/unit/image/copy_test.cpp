#include "sealexec/image/copy.h"

#include "sealexec/image/memfd.h"
#include "test_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

std::string contents(int fd) {
  std::string text(static_cast<std::size_t>(::lseek(fd, 0, SEEK_END)), '\0');
  EXPECT_EQ(::pread(fd, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
  return text;
}

class CopyTest : public testing::Test {
protected:
  void SetUp() override {
    // Larger than the bounce buffer, and not a multiple of it.
    for (std::size_t i = 0; i < 3 * k_copy_buffer_size + 123; ++i) {
      m_text += static_cast<char>('a' + i % 26);
    }
    test::write_file(m_dir / "source", m_text);
    auto fd = open_fd((m_dir / "source").c_str(), O_RDONLY);
    ASSERT_OK(fd);
    m_source = std::move(*fd);
  }
  test::TempDir m_dir;
  std::string m_text;
  Fd m_source;
};

TEST_F(CopyTest, SendfileAndThePreadFallbackCopyTheSameBytes) {
  auto by_sendfile = create_memfd("a", Executable::no);
  auto by_pread = create_memfd("b", Executable::no);
  ASSERT_OK(by_sendfile);
  ASSERT_OK(by_pread);
  ASSERT_OK(copy_range(m_source.get(), 5, m_text.size() - 5, by_sendfile->get(), "source"));
  ASSERT_OK(copy_range_with_pread(m_source.get(), 5, m_text.size() - 5, by_pread->get(), "source"));
  EXPECT_EQ(contents(by_sendfile->get()), m_text.substr(5));
  EXPECT_EQ(contents(by_pread->get()), m_text.substr(5));
}

TEST_F(CopyTest, ASourceThatEndsEarlyIsReportedAsChanged) {
  auto memfd = create_memfd("c", Executable::no);
  ASSERT_OK(memfd);
  const auto by_sendfile = copy_range(m_source.get(), 0, m_text.size() + 10, memfd->get(), "src");
  ASSERT_FALSE(by_sendfile);
  EXPECT_EQ(by_sendfile.error().code, Errc::changed);
  const auto by_pread =
      copy_range_with_pread(m_source.get(), 0, m_text.size() + 10, memfd->get(), "src");
  ASSERT_FALSE(by_pread);
  EXPECT_EQ(by_pread.error().code, Errc::changed);
}

TEST_F(CopyTest, HashOfARangeMatchesTheOneShotDigest) {
  const auto digest = hash_file_range(m_source.get(), 7, 1000, "source");
  ASSERT_OK(digest);
  EXPECT_EQ(*digest, xxh3_128(test::as_bytes(std::string_view(m_text).substr(7, 1000))));
  const auto past_end = hash_file_range(m_source.get(), 0, m_text.size() + 1, "source");
  ASSERT_FALSE(past_end);
  EXPECT_EQ(past_end.error().code, Errc::changed);

  const auto sha = sha256_file_range(m_source.get(), 7, 1000, "source");
  ASSERT_OK(sha);
  EXPECT_EQ(*sha, sha256(test::as_bytes(std::string_view(m_text).substr(7, 1000))));
}

TEST_F(CopyTest, ReadRangeFillsTheBufferOrReportsAChange) {
  std::string part(300, '\0');
  ASSERT_OK(read_range(m_source.get(), 11, std::as_writable_bytes(std::span(part)), "source"));
  EXPECT_EQ(part, m_text.substr(11, 300));
  const auto short_read = read_range(m_source.get(), m_text.size() - 10,
                                     std::as_writable_bytes(std::span(part)), "source");
  ASSERT_FALSE(short_read);
  EXPECT_EQ(short_read.error().code, Errc::changed);
}

TEST_F(CopyTest, AStreamIsHashedAsItIsCopiedAndStopsAtTheLimit) {
  auto pipe = make_pipe();
  ASSERT_OK(pipe);
  auto memfd = create_memfd("s", Executable::no);
  ASSERT_OK(memfd);
  std::thread writer([&] {
    (void)write_all(pipe->write_end.get(), test::as_bytes(m_text), "pipe");
    pipe->write_end.reset();
  });
  const auto copied = copy_stream(pipe->read_end.get(), memfd->get(), m_text.size(), "pipe");
  writer.join();
  ASSERT_OK(copied);
  EXPECT_EQ(copied->size, m_text.size());
  EXPECT_EQ(copied->digest, xxh3_128(test::as_bytes(m_text)));
  EXPECT_EQ(contents(memfd->get()), m_text);

  // One byte over the limit: refused, and no more than the limit was kept.
  auto again = make_pipe();
  ASSERT_OK(again);
  auto small = create_memfd("t", Executable::no);
  ASSERT_OK(small);
  std::thread second([&] {
    (void)write_all(again->write_end.get(), test::as_bytes(m_text), "pipe");
    again->write_end.reset();
  });
  const auto refused =
      copy_stream(again->read_end.get(), small->get(), m_text.size() - 1, "pipe");
  again->read_end.reset();
  second.join();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::too_large);
  EXPECT_LE(contents(small->get()).size(), m_text.size() - 1);
}

TEST_F(CopyTest, WriteAllAtLeavesTheFilePositionAlone) {
  auto memfd = create_memfd("w", Executable::no);
  ASSERT_OK(memfd);
  ASSERT_OK(write_all(memfd->get(), test::as_bytes("0123456789"), "memfd"));
  ASSERT_OK(write_all_at(memfd->get(), test::as_bytes("ab"), 3, "memfd"));
  EXPECT_EQ(contents(memfd->get()), "012ab56789");
  EXPECT_EQ(::lseek(memfd->get(), 0, SEEK_CUR), 10);
}

} // namespace
} // namespace sealexec
