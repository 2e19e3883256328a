#include "sealexec/util/hex.h"

#include <gtest/gtest.h>

namespace sealexec {
namespace {

TEST(Hex, RoundTripsEveryByteValue) {
  std::vector<std::uint8_t> bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<std::uint8_t>(i));
  }
  const std::string text = to_hex(bytes);
  EXPECT_EQ(text.substr(0, 8), "00010203");
  EXPECT_EQ(text.substr(text.size() - 4), "feff");
  EXPECT_EQ(from_hex(text), bytes);
}

TEST(Hex, RejectsOddLengthAndNonDigits) {
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_FALSE(from_hex("0x"));
  EXPECT_EQ(from_hex(""), std::vector<std::uint8_t>{});
}

} // namespace
} // namespace sealexec
