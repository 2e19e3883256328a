#include "sealexec/image/image_source.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <string>

namespace sealexec {
namespace {

using test::as_bytes;

std::string read_text(const ByteSource& source, std::uint64_t offset, std::size_t length) {
  std::string text(length, '\0');
  const auto done = source.read(offset, std::as_writable_bytes(std::span(text)));
  EXPECT_TRUE(done.has_value()) << done.error().message();
  return text;
}

class ImageSourceTest : public testing::Test {
protected:
  void SetUp() override {
    // Past the head and not a multiple of a block.
    for (std::size_t i = 0; i < k_image_head_size + 3 * 4096 + 77; ++i) {
      m_text += static_cast<char>('a' + i % 26);
    }
    ImageOptions options;
    options.source = "/bin/app";
    auto image = SealedImage::from_bytes(as_bytes(m_text), options);
    ASSERT_OK(image);
    m_image.emplace(std::move(*image));
  }
  std::string m_text;
  std::optional<SealedImage> m_image;
};

TEST_F(ImageSourceTest, ReadsTheSameBytesInsideAndPastTheHead) {
  const ImageSource source(*m_image);
  EXPECT_EQ(source.size(), m_text.size());
  EXPECT_EQ(source.name(), "/bin/app");
  const std::uint64_t head = k_image_head_size;
  for (const auto& [offset, length] : std::initializer_list<std::pair<std::uint64_t, std::size_t>>{
           {0, 64},
           {head - 10, 10},    // the end of the head
           {head - 10, 20},    // across its end
           {head + 4090, 12},  // across a block boundary
           {head + 100, 5000}, // larger than a block
           {m_text.size() - 3, 3},
           {7, 0}}) {
    EXPECT_EQ(read_text(source, offset, length), m_text.substr(offset, length))
        << "offset " << offset << ", length " << length;
  }
}

TEST_F(ImageSourceTest, RefusesRangesPastTheEndWithoutOverflow) {
  const ImageSource source(*m_image);
  std::array<std::byte, 8> buffer{};
  const auto past = source.read(m_text.size() - 4, buffer);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, Errc::malformed);
  EXPECT_EQ(past.error().path, "/bin/app");
  EXPECT_FALSE(source.read(~std::uint64_t{0} - 2, buffer));
}

} // namespace
} // namespace sealexec
