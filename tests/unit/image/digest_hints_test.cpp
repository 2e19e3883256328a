// Remembered digests: a hint makes the next copy of a large file one read,
// and a wrong hint costs a read, never a wrong name.
#include "sealexec/image/digest_hints.h"

#include "sealexec/image/copy.h"
#include "sealexec/image/sealed_image.h"
#include "test_support.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

class DigestHintsTest : public testing::Test {
protected:
  void SetUp() override {
    ::mkdir((m_dir / "runtime").c_str(), 0700);
    const char* old = std::getenv("XDG_RUNTIME_DIR");
    m_old = old ? std::optional<std::string>(old) : std::nullopt;
    ::setenv("XDG_RUNTIME_DIR", (m_dir / "runtime").c_str(), 1);
    // Larger than the parallel copy's threshold, so the kernel copies and a
    // second thread hashes.
    m_text.assign(k_hashed_copy_parallel_min + 12345, 'p');
    m_text[777] = 'q';
    test::write_file(m_dir / "prog", m_text);
    std::this_thread::sleep_for(std::chrono::milliseconds(30)); // settled
  }
  void TearDown() override {
    if (m_old) {
      ::setenv("XDG_RUNTIME_DIR", m_old->c_str(), 1);
    } else {
      ::unsetenv("XDG_RUNTIME_DIR");
    }
  }
  FileStamp stamp() {
    struct stat st {};
    EXPECT_EQ(::stat((m_dir / "prog").c_str(), &st), 0);
    return stamp_of(st);
  }
  Xxh3Digest real_digest() const {
    return xxh3_128(std::as_bytes(std::span(m_text.data(), m_text.size())));
  }

  test::TempDir m_dir;
  std::optional<std::string> m_old;
  std::string m_text;
};

TEST_F(DigestHintsTest, ASettledCopyIsRememberedAndTheHintIsRight) {
  ImageOptions options;
  options.remember_digests = true;
  auto image = SealedImage::from_path(m_dir / "prog", options);
  ASSERT_OK(image);
  EXPECT_EQ(image->digest(), real_digest());
  EXPECT_EQ(recall_digest(stamp()), real_digest());
  // With the hint: one read, the same image.
  auto again = SealedImage::from_path(m_dir / "prog", options);
  ASSERT_OK(again);
  EXPECT_EQ(again->digest(), real_digest());
  EXPECT_EQ(again->memfd_name(), image->memfd_name());
}

TEST_F(DigestHintsTest, AWrongHintCostsAReadNotAWrongName) {
  Xxh3Digest wrong = real_digest();
  wrong.bytes[0] ^= 0xff;
  remember_digest(stamp(), wrong);
  ASSERT_EQ(recall_digest(stamp()), wrong);
  ImageOptions options;
  options.remember_digests = true;
  auto image = SealedImage::from_path(m_dir / "prog", options);
  ASSERT_OK(image);
  EXPECT_EQ(image->digest(), real_digest());
  EXPECT_EQ(image->memfd_name(), image_memfd_name("prog", real_digest()));
  EXPECT_EQ(recall_digest(stamp()), real_digest()); // replaced by the right one
}

TEST_F(DigestHintsTest, AHintIsForOneIdentityOnly) {
  remember_digest(stamp(), real_digest());
  FileStamp other = stamp();
  other.ctime_nsec ^= 1;
  EXPECT_FALSE(recall_digest(other));
}

TEST(HashedCopy, TheParallelCopyHoldsAndHashesEveryByte) {
  test::TempDir dir;
  std::string text(k_hashed_copy_parallel_min * 2 + 4097, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) {
    text[i] = static_cast<char>((i * 131) >> 7);
  }
  test::write_file(dir / "source", text);
  auto source = open_fd((dir / "source").c_str(), O_RDONLY);
  ASSERT_OK(source);
  auto memfd = create_memfd("copy", Executable::no);
  ASSERT_OK(memfd);
  auto digest = copy_range_hashing(source->get(), 0, text.size(), memfd->get(), "source");
  ASSERT_OK(digest);
  EXPECT_EQ(*digest, xxh3_128(std::as_bytes(std::span(text.data(), text.size()))));
  std::string back(text.size(), '\0');
  ASSERT_EQ(::pread(memfd->get(), back.data(), back.size(), 0),
            static_cast<ssize_t>(back.size()));
  EXPECT_EQ(back, text);
  // A source shorter than promised is a change, not a short copy.
  auto short_copy = create_memfd("short", Executable::no);
  ASSERT_OK(short_copy);
  auto shrank = copy_range_hashing(source->get(), 0, text.size() + 10, short_copy->get(), "s");
  ASSERT_FALSE(shrank);
  EXPECT_EQ(shrank.error().code, Errc::changed);
}

} // namespace
} // namespace sealexec

namespace sealexec {
namespace {

// The memory tier's answer ends a copy between chunks (sealed_image.cpp):
// both the hashing pass and each kind of copy stop when asked, and only then.
TEST(CopyStop, EndsEachKindOfCopyBetweenChunks) {
  test::TempDir dir;
  const std::string text(k_hashed_copy_parallel_min + 3 * k_copy_buffer_size, 'x');
  test::write_file(dir / "source", text);
  auto source = open_fd((dir / "source").c_str(), O_RDONLY);
  ASSERT_OK(source);
  for (const std::uint64_t length : {std::uint64_t{3} * k_copy_buffer_size,
                                     static_cast<std::uint64_t>(text.size())}) {
    int asked = 0;
    const CopyStop stop_on_third = [&] { return ++asked == 3; };
    auto memfd = create_memfd("stopped", Executable::no);
    ASSERT_OK(memfd);
    auto copied = copy_range_hashing(source->get(), 0, length, memfd->get(), "s", stop_on_third);
    ASSERT_FALSE(copied);
    EXPECT_EQ(copied.error().code, Errc::cancelled);
    EXPECT_EQ(asked, 3);
    asked = 0;
    auto hashed = hash_file_range(source->get(), 0, length, "s", stop_on_third);
    ASSERT_FALSE(hashed);
    EXPECT_EQ(hashed.error().code, Errc::cancelled);
    int never = 0;
    EXPECT_TRUE(hash_file_range(source->get(), 0, length, "s", [&] { return ++never < 0; }));
    EXPECT_GT(never, 2);
  }
}

} // namespace
} // namespace sealexec

namespace sealexec {
namespace {

// A file replaced by rename is a new inode each time, so each version
// leaves a hint: beyond 1,024 the oldest go.
TEST_F(DigestHintsTest, HintsStayBoundedAsFilesAreReplaced) {
  FileStamp stamp = this->stamp();
  for (int version = 0; version < 1100; ++version) {
    stamp.inode = static_cast<ino_t>(1'000'000 + version);
    remember_digest(stamp, real_digest());
  }
  std::size_t hints = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(m_dir / "runtime" / "sealexec" / "digests")) {
    ++hints;
  }
  EXPECT_LE(hints, 1024U);
  EXPECT_GE(hints, 768U);
  EXPECT_EQ(recall_digest(stamp), real_digest()); // the newest stays
}

} // namespace
} // namespace sealexec
