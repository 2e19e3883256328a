#include "sealexec/util/digest.h"

#include "test_support.h"

#include <gtest/gtest.h>

namespace sealexec {
namespace {

using test::as_bytes;

TEST(Sha256, MatchesTheFips180Vector) {
  EXPECT_EQ(sha256(as_bytes("abc")).hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // The two-block vector, so that padding across a block boundary is covered.
  EXPECT_EQ(
      sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex(),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, ParsesHexOfEitherCaseAndRejectsTheRest) {
  const std::string hex = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  const auto parsed = Sha256Digest::from_hex(hex);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sha256(as_bytes("abc")));
  EXPECT_FALSE(Sha256Digest::from_hex(hex.substr(1)));
  EXPECT_FALSE(Sha256Digest::from_hex(hex.substr(2)));
  EXPECT_FALSE(Sha256Digest::from_hex(std::string(64, 'g')));
  EXPECT_FALSE(Sha256Digest::from_hex(""));
}

TEST(Sha256, StreamingEqualsOneShotAndDigestCanBeTakenTwice) {
  const std::string data(200000, 'q');
  Sha256Hasher hasher;
  for (std::size_t at = 0; at < data.size(); at += 4099) {
    hasher.update(as_bytes(std::string_view(data).substr(at, 4099)));
  }
  EXPECT_EQ(hasher.digest(), sha256(as_bytes(data)));
  EXPECT_EQ(hasher.digest(), sha256(as_bytes(data)));
}

TEST(Xxh3, EmptyInputMatchesXxh128sum) {
  // `xxh128sum /dev/null` prints this.
  EXPECT_EQ(xxh3_128({}).hex(), "99aa06d3014798d86001c324468d497f");
}

TEST(Xxh3, StreamingEqualsOneShotWhateverTheChunking) {
  std::string data;
  for (int i = 0; i < 100000; ++i) {
    data += static_cast<char>(i * 7);
  }
  const Xxh3Digest whole = xxh3_128(as_bytes(data));
  for (const std::size_t chunk : {1UL, 7UL, 4096UL, 65536UL}) {
    Xxh3Hasher hasher;
    for (std::size_t at = 0; at < data.size(); at += chunk) {
      hasher.update(as_bytes(std::string_view(data).substr(at, chunk)));
    }
    EXPECT_EQ(hasher.digest(), whole) << "chunk " << chunk;
  }
  EXPECT_NE(xxh3_128(as_bytes(data.substr(1))), whole);
}

} // namespace
} // namespace sealexec
